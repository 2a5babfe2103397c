"""The progress record: every check's result, per exercise and per copy of the lesson notebook.

Inside a workspace (made by ``rnn-course start``), :func:`record` keeps, in the workspace's
``progress.json``, for each exercise and each copy of its lesson notebook the *best* result
(correct > wrong > not attempted; the first time it was reached) and the *latest* one, each with
its message and time. Re-running a check on a placeholder changes the latest result, never the
best. A copy is told apart by an id that ``rnn-course reset`` writes into the fresh notebook's
metadata (``{"rnn_course": {"copy": "..."}}``); a notebook without one is known by its file name.
The kernel finds its notebook from ``__session__`` (ipykernel) or ``JPY_SESSION_NAME`` (Jupyter
server), else takes the lesson's notebook in the workspace.

The file::

    {"format": 2,
     "exercises": {"04.lstm_forward": {"3f9c...": {"notebook": "04_lstm_gates.ipynb",
                                                   "best": {"status": "correct", "message": "...",
                                                            "time": "2026-12-05T12:01:07"},
                                                   "latest": {...}}}}}

A file in the old form ``{name: status}`` is read as results of an unknown earlier copy.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from datetime import datetime
from pathlib import Path

WORKSPACE_MARKER = ".rnn-course-workspace"
PROGRESS_FILE = "progress.json"
RECORD_FORMAT = 2
METADATA_KEY = "rnn_course"            # notebook metadata: {"rnn_course": {"copy": "<id>"}}
RANK = {"not attempted": 0, "wrong": 1, "correct": 2}
EARLIER_COPY = "earlier"               # results migrated from the old {name: status} file
UNKNOWN_COPY = "unknown"               # a check whose notebook could not be found
LESSON_NOTEBOOK = re.compile(r"^(\d{2})_[^.]+\.ipynb$")


def find_workspace(start: Path | None = None) -> Path | None:
    """The learner's workspace folder (made by ``rnn-course start``) holding ``start``, if any."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_MARKER).is_file():
            return folder
    return None


# ---------------------------------------------------------------------------------------
# Which copy of a notebook
# ---------------------------------------------------------------------------------------

def new_copy_id() -> str:
    return uuid.uuid4().hex[:12]


def stamp_copy(data: bytes, copy_id: str) -> bytes:
    """Notebook ``data`` with ``copy_id`` in its metadata (the bytes unchanged if not a notebook)."""
    try:
        nb = json.loads(data)
        nb.setdefault("metadata", {})[METADATA_KEY] = {"copy": copy_id}
    except (ValueError, AttributeError, TypeError):
        return data
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def unstamped(data: bytes) -> bytes:
    """Notebook ``data`` without a copy id, serialised as :func:`stamp_copy` does (to compare)."""
    try:
        nb = json.loads(data)
        nb.get("metadata", {}).pop(METADATA_KEY, None)
    except (ValueError, AttributeError, TypeError):
        return data
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def copy_id(notebook: Path | str) -> str:
    """The id of this copy of a notebook: from its metadata, else its file name."""
    path = Path(notebook)
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get(METADATA_KEY, {})
        if isinstance(meta, dict) and isinstance(meta.get("copy"), str) and meta["copy"]:
            return meta["copy"]
    except (OSError, ValueError, AttributeError):
        pass
    return f"file:{path.name}"


def lesson_notebook(workspace: Path, lesson: str) -> Path | None:
    """The workspace's current copy of lesson ``lesson`` ("04"), if there is exactly one."""
    try:
        found = [p for p in Path(workspace).iterdir()
                 if p.is_file() and (m := LESSON_NOTEBOOK.match(p.name)) and m.group(1) == lesson]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def running_notebook(workspace: Path) -> Path | None:
    """The notebook this kernel runs, as Jupyter tells the kernel (None outside Jupyter)."""
    main = sys.modules.get("__main__")
    names = [getattr(main, "__session__", None), os.environ.get("JPY_SESSION_NAME")]
    for name in names:
        if not isinstance(name, str) or not name.endswith(".ipynb"):
            continue
        path = Path(name)
        for candidate in (path, Path.cwd() / path.name, Path(workspace) / path):
            if candidate.is_file():
                return candidate.resolve()
    return None


def current_copy(workspace: Path, exercise_name: str, notebook: Path | None = None) -> tuple[str, str | None]:
    """``(copy id, notebook file name)`` for a check of ``exercise_name`` run now."""
    notebook = notebook or running_notebook(workspace) or lesson_notebook(workspace, exercise_name.split(".")[0])
    if notebook is None:
        return UNKNOWN_COPY, None
    return copy_id(notebook), Path(notebook).name


# ---------------------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------------------

def _entry(status, message="", time=None) -> dict:
    return {"status": status, "message": message, "time": time}


def read_record(workspace: Path) -> dict:
    """``{exercise: {copy id: {"notebook", "best", "latest"}}}`` (empty if none or unreadable)."""
    try:
        data = json.loads((Path(workspace) / PROGRESS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if data.get("format") == RECORD_FORMAT and isinstance(data.get("exercises"), dict):
        return {name: copies for name, copies in data["exercises"].items() if isinstance(copies, dict)}
    record = {}                         # the old form: {name: latest status}
    for name, status in data.items():
        if isinstance(status, str) and status in RANK:
            record[name] = {EARLIER_COPY: {"notebook": None, "best": _entry(status), "latest": _entry(status)}}
    return record


def write_record(workspace: Path, record: dict) -> None:
    path = Path(workspace) / PROGRESS_FILE
    tmp = Path(workspace) / f".{PROGRESS_FILE}.{os.getpid()}.tmp"
    try:  # via a temporary file, so two kernels or a crash never leave half a file
        tmp.write_text(json.dumps({"format": RECORD_FORMAT, "exercises": record}, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only workspace must not break the lesson


def record(result, workspace: Path | None = None, notebook: Path | None = None,
           now: datetime | None = None) -> None:
    """Add ``result`` (a CheckResult) to the record of its exercise and notebook copy (workspaces only)."""
    workspace = workspace or find_workspace()
    if workspace is None:
        return
    key, name = current_copy(Path(workspace), result.name, notebook)
    entry = _entry(result.status, result.message, (now or datetime.now()).isoformat(timespec="seconds"))
    data = read_record(workspace)
    copies = data.setdefault(result.name, {})
    mine = copies.setdefault(key, {"notebook": name, "best": entry, "latest": entry})
    mine["notebook"] = name or mine.get("notebook")
    mine["latest"] = entry
    best = mine.get("best") or {}
    if RANK.get(result.status, 0) > RANK.get(best.get("status"), -1):
        mine["best"] = entry
    write_record(Path(workspace), data)


def read_progress(workspace: Path) -> dict:
    """``{exercise name: latest status}``, the most recent result over every copy."""
    out = {}
    for name, copies in read_record(workspace).items():
        latest = [c["latest"] for c in copies.values() if isinstance(c, dict) and isinstance(c.get("latest"), dict)]
        if latest:
            out[name] = max(latest, key=lambda e: e.get("time") or "")["status"]
    return out
