"""The progress record: every check's result, per exercise and per copy of the lesson notebook.

Inside a workspace (made by ``rnn-course start``), :func:`record` keeps, in the workspace's
``progress.json``, for each exercise and each copy of its lesson notebook the *best* result
(correct > wrong > not attempted; the first time it was reached) and the *latest* one, each with
its message and time. Re-running a check on a placeholder changes the latest result, never the
best. A copy is told apart by an id that ``rnn-course reset`` gives the fresh notebook (kept in
this file's ``copies``, so the notebook itself is not touched); a notebook never reset is known
by its path in the workspace (``file:04_lstm_gates.ipynb``). The kernel finds its notebook from
``__session__`` (ipykernel) or ``JPY_SESSION_NAME`` (Jupyter server), else takes the lesson's
notebook in the workspace.

The file::

    {"format": 2,
     "copies": {"04_lstm_gates.ipynb": {"id": "3f9c...", "since": "2026-12-05T12:00:41"}},
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


def notebook_key(workspace: Path, notebook: Path | str) -> str:
    """How the record names a notebook: its path inside the workspace (``04_lstm_gates.ipynb``)."""
    path = Path(notebook).resolve()
    try:
        return path.relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return str(path)


def copy_id(workspace: Path, notebook: Path | str, data: dict | None = None) -> str:
    """The id of the copy of ``notebook`` that is in the workspace now: the one ``rnn-course reset``
    gave it (a new id each reset), else ``file:`` and its path."""
    key = notebook_key(workspace, notebook)
    data = read_data(workspace) if data is None else data
    entry = data.get("copies", {}).get(key)
    return entry["id"] if isinstance(entry, dict) and isinstance(entry.get("id"), str) else f"file:{key}"


def start_new_copy(workspace: Path, notebook: Path | str, now: datetime | None = None) -> str | None:
    """Note that ``notebook`` is a fresh copy from now on (``rnn-course reset``): checks run in it are
    recorded under a new id, and the results of the copy before stay on record under theirs. If the
    copy before has no results on record, nothing changes (and None is returned)."""
    data = read_data(workspace)
    key = notebook_key(workspace, notebook)
    old = copy_id(workspace, notebook, data)
    if not any(old in copies for copies in data["exercises"].values()):
        return None
    new = new_copy_id()
    data.setdefault("copies", {})[key] = {"id": new, "since": _now(now)}
    write_data(workspace, data)
    return new


def lesson_notebook(workspace: Path, lesson: str) -> Path | None:
    """The workspace's current copy of lesson ``lesson`` ("04"), if there is exactly one."""
    try:
        found = [p for p in Path(workspace).iterdir()
                 if p.is_file() and (m := LESSON_NOTEBOOK.match(p.name)) and m.group(1) == lesson]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def running_notebook(workspace: Path) -> Path | None:
    """The notebook this kernel runs, as Jupyter tells the kernel (None outside Jupyter): ipykernel's
    ``__session__``, or the server's ``JPY_SESSION_NAME``."""
    main = sys.modules.get("__main__")
    for name in (getattr(main, "__session__", None), os.environ.get("JPY_SESSION_NAME")):
        if not isinstance(name, str) or not name.endswith(".ipynb"):
            continue
        path = Path(name)
        for candidate in (path, Path.cwd() / path.name, Path(workspace) / path):
            if candidate.is_file():
                return candidate.resolve()
    return None


def current_copy(workspace: Path, exercise_name: str, notebook: Path | None = None,
                 data: dict | None = None) -> tuple[str, str | None]:
    """``(copy id, notebook key)`` for a check of ``exercise_name`` run now: the running notebook,
    else the lesson's notebook in the workspace; ``(UNKNOWN_COPY, None)`` if neither is found."""
    notebook = notebook or running_notebook(workspace) or lesson_notebook(workspace, exercise_name.split(".")[0])
    if notebook is None:
        return UNKNOWN_COPY, None
    return copy_id(workspace, notebook, data), notebook_key(workspace, notebook)


# ---------------------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------------------

def _now(now: datetime | None = None) -> str:
    return (now or datetime.now()).isoformat(timespec="seconds")


def _entry(status, message="", time=None) -> dict:
    return {"status": status, "message": message, "time": time}


def read_data(workspace: Path) -> dict:
    """The whole progress file: ``{"format": 2, "copies": {...}, "exercises": {...}}``, migrated
    from the old ``{name: status}`` form; empty parts if there is none or it is unreadable."""
    try:
        data = json.loads((Path(workspace) / PROGRESS_FILE).read_text())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    if data.get("format") == RECORD_FORMAT:
        copies = data.get("copies") if isinstance(data.get("copies"), dict) else {}
        exercises = data.get("exercises") if isinstance(data.get("exercises"), dict) else {}
        return {"format": RECORD_FORMAT, "copies": copies,
                "exercises": {n: c for n, c in exercises.items() if isinstance(c, dict)}}
    exercises = {}                      # the old form: {name: latest status}, copy unknown
    for name, status in data.items():
        if isinstance(status, str) and status in RANK:
            exercises[name] = {EARLIER_COPY: {"notebook": None, "best": _entry(status), "latest": _entry(status)}}
    return {"format": RECORD_FORMAT, "copies": {}, "exercises": exercises}


def write_data(workspace: Path, data: dict) -> None:
    path = Path(workspace) / PROGRESS_FILE
    tmp = Path(workspace) / f".{PROGRESS_FILE}.{os.getpid()}.tmp"
    try:  # via a temporary file, so two kernels or a crash never leave half a file
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only workspace must not break the lesson


def read_record(workspace: Path) -> dict:
    """``{exercise: {copy id: {"notebook", "best", "latest"}}}`` (empty if none or unreadable)."""
    return read_data(workspace)["exercises"]


def record(result, workspace: Path | None = None, notebook: Path | None = None,
           now: datetime | None = None) -> None:
    """Add ``result`` (a CheckResult) to the record of its exercise and notebook copy (workspaces only)."""
    workspace = workspace or find_workspace()
    if workspace is None:
        return
    data = read_data(workspace)
    key, where = current_copy(Path(workspace), result.name, notebook, data)
    entry = _entry(result.status, result.message, _now(now))
    mine = data["exercises"].setdefault(result.name, {}).setdefault(key, {"notebook": where, "best": entry})
    mine["notebook"] = where or mine.get("notebook")
    mine["latest"] = entry
    best = mine.get("best") if isinstance(mine.get("best"), dict) else {}
    if RANK.get(result.status, 0) > RANK.get(best.get("status"), -1):
        mine["best"] = entry
    write_data(Path(workspace), data)


def read_progress(workspace: Path) -> dict:
    """``{exercise name: latest status}``, the most recent result over every copy."""
    out = {}
    for name, copies in read_record(workspace).items():
        latest = [c["latest"] for c in copies.values() if isinstance(c, dict) and isinstance(c.get("latest"), dict)]
        if latest:
            out[name] = max(latest, key=lambda e: e.get("time") or "")["status"]
    return out
