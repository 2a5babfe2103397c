"""The learner's workspace: a folder of lesson copies that the course never overwrites.

``rnn-course start`` (see :mod:`rnn_course.cli`) calls :func:`start_workspace`, ``reset``
calls :func:`reset_lesson`, ``progress`` calls :func:`progress_report` and ``solutions``
calls :func:`solutions_listing`. Everything here is plain functions over paths, so the
tests run them in a temporary folder.

The one promise: a file already in the workspace is never overwritten. ``start`` adds what
is missing, skips identical copies and reports the others as left alone (telling a copy the
learner changed from an unchanged copy of an older version); ``reset`` first
keeps the learner's copy beside the lesson under a timestamped name, then writes the fresh
copy. Problems a learner can cause (a path that is a file, a folder without write
permission, an unknown lesson) raise :class:`WorkspaceError` with a message to print.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rnn_course.exercises import core
from rnn_course.exercises import help as learner_help
from rnn_course.exercises import progress as record

DEFAULT_WORKSPACE = "rnn-course-work"
LESSON_PATTERN = re.compile(r"^(\d{2})_[^.]+\.ipynb$")   # "04_lstm_gates.ipynb", not its backups
SKIPPED_NAMES = {".ipynb_checkpoints", "__pycache__", ".pytest_cache", "conftest.py", core.PROGRESS_FILE}
MANIFEST = ".rnn-course-copies.json"   # {file: sha256 of the course's version last copied in}
MARKER_TEXT = ("This folder is an rnn-course workspace, made by `rnn-course start`.\n"
               "`rnn-course progress` lists which exercises pass; `rnn-course reset LESSON` gives a\n"
               "fresh copy of a lesson and keeps yours beside it. Your files are never overwritten.\n")


class WorkspaceError(Exception):
    """Something the learner can fix; the message says what and how."""


# ---------------------------------------------------------------------------------------
# The lessons shipped with the course
# ---------------------------------------------------------------------------------------

def default_lessons_dir() -> Path:
    """The ``notebooks/`` folder beside the package.

    The lessons live in the repository, next to ``rnn_course/``; the editable install that
    ``make`` does keeps them there, so they are found without shipping them as package data.
    """
    import rnn_course
    return Path(rnn_course.__file__).resolve().parent.parent / "notebooks"


def lessons_dir(source: Path | str | None = None) -> Path:
    """The folder of lesson notebooks: ``source`` if given, else :func:`default_lessons_dir`."""
    source = Path(default_lessons_dir() if source is None else source)
    if not source.is_dir() or not find_lessons(source):
        raise WorkspaceError(
            f"cannot find the course's lessons: {source} is not a folder of lesson notebooks.\n"
            "The lessons live in the repository's notebooks/ folder. Clone the repository and install it "
            "from there (`make install`, or `pip install -e .` in the clone).")
    return source


def find_lessons(source: Path) -> list[Path]:
    """Every lesson notebook (``NN_name.ipynb``) in ``source``, in order."""
    return sorted(p for p in Path(source).iterdir() if p.is_file() and LESSON_PATTERN.match(p.name))


def lesson_number(path: Path | str) -> str:
    """``"04"`` for ``04_lstm_gates.ipynb``."""
    return Path(path).name[:2]


def course_files(source: Path) -> list[Path]:
    """Every file ``start`` copies, relative to ``source``: the lessons and what they need
    (images, data), skipping hidden files, caches and test configuration."""
    files = []
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_NAMES and not d.startswith("."))
        for name in sorted(names):
            if name in SKIPPED_NAMES or name.startswith(".") or name.endswith((".pyc", "~")):
                continue
            files.append(Path(root, name).relative_to(source))
    return files


def lesson_prefix(spec: str) -> str:
    """The two-digit number of lesson ``spec``, also for a lesson whose exercises exist but
    whose notebook does not (yet)."""
    try:
        return lesson_number(resolve_lesson(spec))
    except WorkspaceError:
        text = str(spec).strip()
        if text.isdigit() and any(name.startswith(f"{int(text):02d}.") for name in core.all_exercises()):
            return f"{int(text):02d}"
        raise


def resolve_lesson(spec: str, source: Path | str | None = None) -> Path:
    """The lesson meant by ``spec``: a number (``"4"``), a prefix (``"04"``, ``"04_lstm"``), a
    file name (``"04_lstm_gates.ipynb"``) or a path ending in one."""
    lessons = find_lessons(lessons_dir(source))
    text = str(spec).strip()
    name = Path(text).name
    if text.isdigit():
        matches = [p for p in lessons if int(lesson_number(p)) == int(text)]
    else:
        stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
        exact = [p for p in lessons if p.stem == stem]
        matches = exact or ([p for p in lessons if p.name.startswith(stem)] if stem else [])
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(p.stem for p in lessons)
    if not matches:
        raise WorkspaceError(f"there is no lesson {text!r}. The lessons are: {known}.\n"
                             "Give a number (4), a prefix (04) or a file name (04_lstm_gates.ipynb).")
    raise WorkspaceError(f"{text!r} could mean {', '.join(p.stem for p in matches)}; give more of the name.")


# ---------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------

@dataclass
class StartReport:
    workspace: Path
    added: list[str] = field(default_factory=list)       # copied now
    unchanged: list[str] = field(default_factory=list)   # already there, identical to the course's
    kept: list[str] = field(default_factory=list)        # edited (or not ours): left alone
    outdated: list[str] = field(default_factory=list)    # unedited copy of an older version: left alone too
    first_lesson: str | None = None


def start_workspace(target: Path | str = DEFAULT_WORKSPACE, source: Path | str | None = None) -> StartReport:
    """Copy the lessons into ``target`` (made if missing), never overwriting a file there."""
    source = lessons_dir(source)
    resolved = Path(target).resolve()
    if resolved == source.resolve() or source.resolve() in resolved.parents:
        raise WorkspaceError(f"{target} is inside the course's own lessons folder {source}; the workspace must "
                             f"be somewhere else, e.g. `rnn-course start {DEFAULT_WORKSPACE}`.")
    workspace = _writable_folder(Path(target))
    report = StartReport(workspace.resolve())
    copies = _read_manifest(workspace)
    for rel in course_files(source):
        key, dest, data = rel.as_posix(), workspace / rel, (source / rel).read_bytes()
        if dest.exists() or dest.is_symlink():
            mine = _digest(dest) if dest.is_file() else None
            if mine == _sha256(data):
                report.unchanged.append(key)
                copies[key] = mine
            elif mine is not None and copies.get(key) == mine:
                report.outdated.append(key)
            else:
                report.kept.append(key)
            continue
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise WorkspaceError(f"cannot make the folder {dest.parent}: {_reason(err)}") from None
        if _write_new(dest, data):
            report.added.append(key)
            copies[key] = _sha256(data)
        else:                                   # appeared meanwhile: it is someone's, leave it
            report.kept.append(key)
    _write_manifest(workspace, copies)
    _write_new(workspace / core.WORKSPACE_MARKER, MARKER_TEXT.encode())
    lessons = find_lessons(workspace)
    report.first_lesson = lessons[0].name if lessons else None
    return report


def _writable_folder(target: Path) -> Path:
    """``target`` as an existing folder we may write in, made if missing; else a WorkspaceError."""
    if target.exists() and not target.is_dir():
        raise WorkspaceError(f"{target} is a file, not a folder. Give a folder for the workspace "
                             f"(it is made if missing), e.g. `rnn-course start {DEFAULT_WORKSPACE}`.")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise WorkspaceError(f"cannot make the workspace {target}: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WorkspaceError(f"cannot write in {existing.resolve()} (permission denied). "
                             "Choose a folder you own, e.g. `rnn-course start ~/rnn-course-work`.")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WorkspaceError(f"cannot make the workspace {target}: {_reason(err)}") from None
    return target


def _write_new(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` only if no file is there; False if one is. A failed write
    removes the partial file it made (never anything else)."""
    try:
        handle = open(path, "xb")
    except FileExistsError:
        return False
    except OSError as err:
        raise WorkspaceError(f"cannot write {path}: {_reason(err)}") from None
    try:
        with handle:
            handle.write(data)
    except OSError as err:
        path.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write {path}: {_reason(err)}") from None
    return True


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


def _read_manifest(workspace: Path) -> dict:
    """Which version of each course file this workspace was given (to tell an edited copy from an
    old one). Only ever used to choose a message: nothing is overwritten because of it."""
    try:
        copies = json.loads((workspace / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return copies if isinstance(copies, dict) else {}


def _write_manifest(workspace: Path, copies: dict) -> None:
    tmp = workspace / f"{MANIFEST}.tmp"
    try:
        tmp.write_text(json.dumps(copies, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, workspace / MANIFEST)
    except OSError:
        tmp.unlink(missing_ok=True)   # only messages depend on it


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied. Choose a folder you own, e.g. ~/rnn-course-work"
    return err.strerror or str(err)


# ---------------------------------------------------------------------------------------
# Finding an existing workspace; reset
# ---------------------------------------------------------------------------------------

def open_workspace(path: Path | str | None = None) -> Path:
    """The workspace at ``path``; without one, the workspace holding the current folder, or
    ``./rnn-course-work``. A WorkspaceError if there is none."""
    if path is not None:
        folder = Path(path)
        if not folder.is_dir():
            raise WorkspaceError(f"{folder} is not a folder. Make a workspace with `rnn-course start {folder}`.")
        if not (folder / core.WORKSPACE_MARKER).is_file():
            raise WorkspaceError(f"{folder} is not an rnn-course workspace (it has no {core.WORKSPACE_MARKER} "
                                 f"file). Make one with `rnn-course start {folder}`; it overwrites nothing.")
        return folder.resolve()
    found = core.find_workspace()
    if found is not None:
        return found
    default = Path(DEFAULT_WORKSPACE)
    if (default / core.WORKSPACE_MARKER).is_file():
        return default.resolve()
    raise WorkspaceError(f"no rnn-course workspace here or in ./{DEFAULT_WORKSPACE}. Run the command inside "
                         "your workspace, give it with --workspace DIR, or make one with `rnn-course start`.")


@dataclass
class ResetReport:
    lesson: Path               # the fresh copy in the workspace
    backup: Path | None        # where the learner's copy was kept (None: nothing to keep)
    already_fresh: bool = False


def reset_lesson(workspace: Path | str, spec: str, source: Path | str | None = None,
                 now: datetime | None = None) -> ResetReport:
    """Give ``workspace`` a fresh copy of lesson ``spec``, first keeping the learner's copy
    beside it as ``NN_name.<timestamp>.ipynb`` (an existing backup is never overwritten).

    The fresh copy gets a new id in the progress record, so it starts as not attempted in
    ``rnn-course progress`` while the results of the copy before stay on record."""
    workspace = open_workspace(workspace)
    now = now or datetime.now()
    fresh = resolve_lesson(spec, source)
    dest = workspace / fresh.name
    data = fresh.read_bytes()
    if dest.is_dir():
        raise WorkspaceError(f"{dest} is a folder; move it away, then run the reset again.")
    copies = _read_manifest(workspace)
    copies[fresh.name] = _sha256(data)
    if not dest.exists():
        if not _write_new(dest, data):
            raise WorkspaceError(f"{dest} appeared while resetting; run the reset again.")
        _write_manifest(workspace, copies)
        record.start_new_copy(workspace, dest, now)
        return ResetReport(dest, None)
    if _same_bytes(dest, fresh):
        _write_manifest(workspace, copies)
        record.start_new_copy(workspace, dest, now)
        return ResetReport(dest, None, already_fresh=True)
    backup = _keep_copy(dest, now)
    tmp = dest.with_name(f".{dest.name}.rnn-course-new")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write the fresh copy {dest}: {_reason(err)}. "
                             f"Your copy is unchanged (and also kept as {backup.name}).") from None
    _write_manifest(workspace, copies)
    record.start_new_copy(workspace, dest, now)
    return ResetReport(dest, backup)


def _keep_copy(path: Path, now: datetime) -> Path:
    """Copy ``path`` to a new ``<stem>.<timestamp>[-N]<suffix>`` beside it and return that."""
    stamp = now.strftime("%Y-%m-%dT%H-%M-%S")
    data = path.read_bytes()
    for n in range(1, 1000):
        backup = path.with_name(f"{path.stem}.{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}")
        if _write_new(backup, data):
            if backup.read_bytes() != data:   # never trust a backup we cannot read back
                raise WorkspaceError(f"could not keep a copy of {path.name}; nothing was changed.")
            return backup
    raise WorkspaceError(f"too many backups of {path.name} from {stamp}; nothing was changed.")


# ---------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------

STATUS_LABELS = {"correct": "pass", "wrong": "not yet", "not attempted": "not attempted",
                 None: "not checked yet"}


@dataclass
class CopyResult:
    """One copy of a lesson notebook's results for one exercise: best and latest, each
    ``{"status", "message", "time"}``."""
    copy: str
    notebook: str | None
    best: dict | None
    latest: dict | None


@dataclass
class ProgressRow:
    name: str
    title: str
    status: str | None        # the best result of the current copy: "correct", "wrong", "not attempted"; None: none
    latest: dict | None = None                       # the current copy's latest result
    earlier: list[CopyResult] = field(default_factory=list)   # other copies (before a reset, or unknown)

    @property
    def passed(self) -> bool:
        return self.status == "correct"


def exercise_order(exercises, lessons: list[Path]) -> list[str]:
    """Exercise names in lesson order: lesson number, then the order of the check cells in the
    lesson's notebook; exercises no notebook checks come last in their lesson, by name."""
    position = {}
    call = re.compile(r"""check\(\s*["'](\d{2}\.[\w.]+)["']""")
    for path in lessons:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError, AttributeError):
            continue
        for cell in cells:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                for name in call.findall("".join(source) if isinstance(source, list) else str(source)):
                    position.setdefault(name, len(position))
    return sorted(exercises, key=lambda n: (n.split(".", 1)[0], position.get(n, len(position)), n))


def progress_rows(workspace: Path | str) -> list[ProgressRow]:
    """Every registered exercise, in lesson order, with the current copy's best and latest result
    and the results of every other copy of its notebook on record."""
    workspace = Path(workspace)
    data = record.read_data(workspace)
    exercises = core.all_exercises()
    try:
        lessons = find_lessons(lessons_dir())
    except WorkspaceError:
        lessons = find_lessons(workspace)
    rows = []
    for name in exercise_order(exercises, lessons):
        notebook = record.lesson_notebook(workspace, name.split(".")[0])
        current = record.copy_id(workspace, notebook, data) if notebook else record.UNKNOWN_COPY
        copies = data["exercises"].get(name, {})
        mine = copies.get(current) if isinstance(copies.get(current), dict) else {}
        earlier = [CopyResult(key, entry.get("notebook"), entry.get("best"), entry.get("latest"))
                   for key, entry in copies.items() if key != current and isinstance(entry, dict)]
        earlier.sort(key=lambda c: (c.latest or {}).get("time") or "")
        best = mine.get("best") if isinstance(mine.get("best"), dict) else None
        rows.append(ProgressRow(name, exercises[name].title, best and best.get("status"), mine.get("latest"), earlier))
    return rows


def _when(entry: dict | None) -> str:
    time = (entry or {}).get("time")
    return f" at {time.replace('T', ' ')[:16]}" if isinstance(time, str) and time else ""


def _label(entry: dict | None) -> str:
    return STATUS_LABELS.get((entry or {}).get("status"), str((entry or {}).get("status")))


def progress_report(workspace: Path | str | None = None, lesson: str | None = None) -> str:
    """A text table of which exercises pass, lesson by lesson, in the order of the lessons' check
    cells: for the copy of each notebook in the workspace now, the best result (with the latest
    when it differs), and below it what earlier copies (before a ``reset``) achieved. Also usable
    in a notebook cell: ``print(progress_report())`` inside a workspace."""
    workspace = open_workspace(workspace)
    rows = progress_rows(workspace)
    if lesson is not None:
        number = lesson_prefix(lesson)
        rows = [r for r in rows if r.name.startswith(number + ".")]
    titles = _lesson_names()
    asked = learner_help.help_summary(workspace)
    passed = sum(r.passed for r in rows)
    lines = [f"Progress in {workspace}: {passed} of {len(rows)} exercises pass (in the lessons' copies there now)."]
    width = max((len(r.name) for r in rows), default=0)
    current = None
    for row in rows:
        number = row.name.split(".", 1)[0]
        if number != current:
            current = number
            lines.append("")
            lines.append(f"Lesson {number}" + (f"  ({titles[number]})" if number in titles else ""))
        mark = "x" if row.passed else " "
        status = STATUS_LABELS.get(row.status, row.status)
        if row.latest and row.latest.get("status") != row.status:
            status = f"best: {status}; latest: {_label(row.latest)}{_when(row.latest)}"
        lines.append(f"  [{mark}] {row.name:<{width}}  {row.title}  ({status}{help_note(row.name, asked)})")
        for old in row.earlier:
            where = (f"earlier copy of {old.notebook}" if old.notebook else
                     "a copy recorded before copies were told apart" if old.copy == record.EARLIER_COPY else
                     "a notebook that could not be identified")
            lines.append(f"  {'':<{width + 4}}  {where}: best {_label(old.best)}{_when(old.best)}, "
                         f"latest {_label(old.latest)}{_when(old.latest)}")
    if rows and passed < len(rows):
        lines.append("")
        lines.append("An exercise counts once its check cell has run in a lesson inside this workspace; after "
                     "`rnn-course reset`, the fresh copy starts again (earlier copies' results stay listed).")
    return "\n".join(lines)


def help_note(name: str, asked: dict) -> str:
    """What the learner asked for on exercise ``name``, to follow its result: "; 2 of 3 hints, solution seen"
    (empty when nothing was asked). ``asked`` is :func:`rnn_course.exercises.help_summary`'s record."""
    entry = asked.get(name) or {}
    parts = []
    if entry.get("hints"):
        try:
            total = len(learner_help.hints_for(name))
        except (ValueError, ImportError):
            total = 0
        count = entry["hints"]
        parts.append(f"{count} of {total} hints" if total else f"{count} hint{'s' if count != 1 else ''}")
    if entry.get("solution_seen"):
        parts.append("solution seen")
    return "; " + ", ".join(parts) if parts else ""


def _lesson_names() -> dict[str, str]:
    """``{"04": "04_lstm_gates.ipynb", ...}`` for the lessons that can be found."""
    try:
        return {lesson_number(p): p.name for p in find_lessons(lessons_dir())}
    except WorkspaceError:
        return {}


# ---------------------------------------------------------------------------------------
# solutions
# ---------------------------------------------------------------------------------------

SOLUTIONS_HEADER = """# Reference solutions

Every exercise's reference solution, in one place for instructors. Learners find the same
solution under each exercise in the lesson, in a collapsed "Show a solution" block.

Generated from the exercise registry; do not edit by hand. Regenerate with

    rnn-course solutions --markdown > docs/solutions.md
"""


def solutions_listing(lesson: str | None = None, *, markdown: bool = False) -> str:
    """Every reference solution (of one lesson if given), as text or as a Markdown page."""
    exercises = core.all_exercises()
    if lesson is not None:
        number = lesson_prefix(lesson)
        exercises = {n: ex for n, ex in exercises.items() if n.startswith(number + ".")}
        if not exercises:
            raise WorkspaceError(f"lesson {number} has no exercises.")
    titles = _lesson_names()
    out = [SOLUTIONS_HEADER] if markdown else []
    current = None
    for name, ex in exercises.items():
        number = name.split(".", 1)[0]
        if number != current:
            current = number
            where = titles.get(number)
            if markdown:  # from the registry alone, so the page changes only when an exercise does
                out.append(f"## Lesson {number}\n")
            else:
                out.append(f"=== Lesson {number}" + (f" ({where})" if where else "") + " ===\n")
        if markdown:
            out.append(f"### `{name}`: {ex.title}\n\n```python\n{ex.source()}\n```\n")
        else:
            out.append(f"--- {name}: {ex.title}\n\n{ex.source()}\n")
    if not exercises:
        out.append("No exercises are registered yet.\n")
    return "\n".join(out)

