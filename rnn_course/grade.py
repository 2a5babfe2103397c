"""``rnn-course grade ROOM``: which exercises each learner in a room has done, judged by the grader alone.

ROOM holds one folder per learner, named after the learner, with that learner's notebooks in it (at
any depth, under any file name). Each notebook is matched to its lesson by the exercises it checks.

**The verdict is the grader's.** The grader reads the notebook itself (a size cap before reading, the
JSON nesting and every cell's shape checked) and builds a program from its code cells (IPython magics
become no-ops), in which every ``check("NN.name", EXPR)`` captures EXPR under that name. The program
runs in a worker process (:mod:`rnn_course.grade_worker`) against the learner edition of the package
(:mod:`rnn_course.grade_shim`: the course's own functions are stand-ins that raise, so the program
keeps the learner's definitions and skips the training runs and figures between them; the helpers an
exercise allows are small copies compiled there). The worker sends back each captured answer as plain
data, a function as a handle. In its own process the grader then judges each answer with
:func:`rnn_course.exercises.core.judge`, the checker the lessons use, on a :class:`LearnerFunction`
standing for the learner's function: calling it sends the arguments to the worker and gets the result
back as arrays (``np.save`` format, never pickle), or :class:`~rnn_course.exercises.core.LearnerError`
/ :class:`~rnn_course.exercises.core.BorrowedCall`. Nothing the learner's code writes is read as a result.

Each notebook runs in the sandbox of :mod:`rnn_course.sandbox` (bubblewrap: no network, the system
read-only, none of the room or the instructor's files visible, an unprivileged user, limits), with a
wall-clock limit per notebook and a time budget per learner. Without a working ``bwrap`` grading
refuses, unless ``sandbox=False`` (``--no-sandbox``: only for notebooks you trust).

The outcome is one :class:`Row` per learner and exercise of every lesson the learner handed in, with a
status of ``correct``, ``wrong``, ``not attempted`` or ``error``. The per-notebook work,
:func:`grade_notebook`, and the per-learner work, :func:`grade_learner`, take and return plain data, so
a Dask cluster can run them (``scheduler=``, :func:`rnn_course.cluster.map_on_cluster`).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rnn_course.exercises import core
from rnn_course.sandbox import LearnerFunction, RunStopped, Session, clean, drop_scratch, sandbox_problem  # noqa: F401

STATUSES = ("correct", "wrong", "not attempted", "error")
CSV_COLUMNS = ("learner", "lesson", "exercise", "status", "message", "hints", "solution_seen")
HELP_LIMIT = 2**20                 # a help.json over 1 MB is not read
DEFAULT_TIMEOUT = 300.0
LEARNER_BUDGET_FACTOR = 3          # a learner's notebooks together may run for 3 x --timeout
FILE_LIMIT = 20 * 2**20            # a notebook over 20 MB is not read
CELL_LIMIT = 5000                  # the lessons have under 100 cells
LESSON_FILE = re.compile(r"^(\d\d)_")
# check("04.lstm_step", ...) in a cell's source; in a file that is not valid JSON the quotes may be escaped.
CHECK_CALL = re.compile(r"""check\(\s*\\?["'](\d\d\.\w+)\\?["']""")
EXERCISE_NAME = re.compile(r"^\d\d\.\w+$")
CAPTURING = ("check", "learner_or_reference")
CELL_TYPES = ("code", "markdown", "raw")
_BAR_LOCK = threading.Lock()
_RANK = {"correct": 3, "wrong": 2, "not attempted": 1, "error": 0}

class GradeError(Exception):
    """ROOM cannot be graded (missing, not a folder, no learner folders, no sandbox): one line for the instructor."""


@dataclass
class Row:
    learner: str
    lesson: str        # the lesson's number, "01" .. "07"; "" for a file that could not be matched
    exercise: str      # the exercise's name, "04.lstm_step"; "" for a file that could not be matched
    status: str        # one of STATUSES
    message: str
    hints: int = 0               # hints taken, as the learner's help.json records them
    solution_seen: bool = False  # the solution was shown, as the learner's help.json records it


@dataclass
class Submission:
    """One notebook in a learner's folder, and the lesson its content says it is."""
    learner: str
    path: Path
    lesson: str | None = None
    problem: str | None = None       # why it cannot be run, else None
    cells: list = field(default_factory=list)     # [{"number": n, "source": python}] of its code cells
    checked: list = field(default_factory=list)   # the exercise names its code cells check
    room: Path | None = None

    def label(self, room: Path | None = None) -> str:
        room = room or self.room
        try:
            return self.path.relative_to(room).as_posix()
        except (ValueError, TypeError):
            return self.path.name


@dataclass
class Outcome:
    """What grading one notebook produced: the result of each exercise it checks, and why it stopped
    early (None when it ran to the end)."""
    results: dict = field(default_factory=dict)     # exercise name -> (status, message)
    stopped: str | None = None


@dataclass
class Report:
    rows: list
    lessons: list                                   # every lesson number with exercises, in order
    problems: list = field(default_factory=list)    # (notebook label, reason) for notebooks that stopped
    ignored: list = field(default_factory=list)     # labels of notebooks that check no exercise
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------
# Finding, reading and matching the notebooks
# ---------------------------------------------------------------------------------------

def lesson_exercises(exercises: Iterable[str] | None = None) -> dict[str, list[str]]:
    """``{"01": ["01.dense_backward", ...], ...}`` from the exercise registry."""
    names = core.all_exercises() if exercises is None else exercises
    lessons: dict[str, list[str]] = {}
    for name in sorted(names):
        lessons.setdefault(name.split(".", 1)[0], []).append(name)
    return lessons


def learner_notebooks(room: Path | str) -> dict[str, list[Path]]:
    """``{learner: [notebook, ...]}`` for every learner folder in ROOM (hidden folders, such as
    JupyterLab's ``.ipynb_checkpoints``, are skipped; symbolic links are listed, not followed: a learner
    folder that is a link is listed as itself, for :func:`read_submission` to refuse)."""
    room = Path(room)
    if not room.exists():
        raise GradeError(f"there is no folder {room}; give the folder that holds one folder per learner.")
    if not room.is_dir():
        raise GradeError(f"{room} is a file; give the folder that holds one folder per learner.")
    learners = {}
    for folder in sorted(p for p in room.iterdir() if not p.name.startswith(".") and p.is_dir()):
        if folder.is_symlink():
            learners[folder.name] = [folder]
            continue
        notebooks = []
        for top, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            notebooks += [Path(top, f) for f in files if f.endswith(".ipynb") and not f.startswith(".")]
        learners[folder.name] = sorted(notebooks)
    if not learners:
        raise GradeError(f"{room} holds no learner folders; put each learner's notebooks in a folder "
                         "named after the learner (see `rnn-course grade --help`).")
    return learners


def checked_exercises(notebook: dict) -> list[str]:
    """The exercise names a notebook's code cells pass to ``check(...)``, in order."""
    names = []
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            names += _checks_in(_source_text(cell.get("source", "")))
    return names


def _source_text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _checks_in(source: str) -> list[str]:
    """Exercise names in ``check("NN.name", ...)`` / ``learner_or_reference("NN.name", ...)`` calls, found
    with ``ast``; a cell that does not parse (or is over 1 MB) falls back on a pattern."""
    if len(source) > 2**20:
        return CHECK_CALL.findall(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return CHECK_CALL.findall(source)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in CAPTURING and isinstance(node.args[0].value, str) and EXERCISE_NAME.match(node.args[0].value):
                names.append(node.args[0].value)
    return names


def _lesson_of(names: Iterable[str], lessons: dict[str, list[str]]) -> str | None:
    """The lesson most of the known exercise names belong to (the lower number on a tie)."""
    votes = Counter(name.split(".", 1)[0] for name in names if name.split(".", 1)[0] in lessons
                    and name in lessons[name.split(".", 1)[0]])
    if not votes:
        return None
    return min(votes, key=lambda lesson: (-votes[lesson], lesson))


_PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")   # cell magics whose body is Python
_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)|^(\s*)[\w.]+\?\??\s*$")


def python_source(source: str) -> str:
    """A code cell as plain Python, line for line (so line numbers stay the notebook's): IPython's
    ``%`` and ``!`` lines and ``name?`` help lines become ``pass``; a ``%%time``-like cell magic line is
    dropped and its Python body kept; any other cell magic (``%%bash``, ``%%html``) empties the cell."""
    if not re.search(r"^\s*[%!?]|\?\s*$", source, re.MULTILINE):
        return source
    lines = source.splitlines(True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].lstrip()[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return "\n" * len(lines)
        lines[first] = "\n"
    out = []
    for line in lines:
        found = _MAGIC_LINE.match(line)
        if found:
            indent = found.group(1) if found.group(1) is not None else found.group(3) or ""
            line = f"{indent}pass\n"
        out.append(line)
    return "".join(out)


def read_submission(learner: str, path: Path, lessons: dict[str, list[str]], room: Path | None = None) -> Submission:
    """Read one notebook safely and match it to a lesson by the exercises it checks. Only a file whose
    content says nothing (it is not valid JSON and names no exercise) falls back on its name."""
    path = Path(path)
    room = Path(room) if room is not None else None
    submission = Submission(learner, path, room=room)
    text = None
    try:
        text = _read_text(learner, path, room)
        notebook = _parse_notebook(text)
    except ValueError as err:
        submission.problem = str(err)
    else:
        submission.cells = [{"number": n, "source": python_source(_source_text(cell["source"]))}
                            for n, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), 1)]
        submission.checked = [name for cell in submission.cells for name in _checks_in(cell["source"])]
        submission.lesson = _lesson_of(submission.checked, lessons)
    if submission.problem:
        submission.lesson = _lesson_of(CHECK_CALL.findall(text or ""), lessons)
    if submission.lesson is None:    # the content names no lesson: a lesson's file name still counts
        named = LESSON_FILE.match(path.name)
        if named and named.group(1) in lessons:
            submission.lesson = named.group(1)
    return submission


def _read_text(learner: str, path: Path, room: Path | None) -> str:
    folder = (room / learner) if room is not None else path.parent
    if path == folder and path.is_symlink():
        raise ValueError("the learner's folder is a symbolic link, not a folder of its own; copy the "
                         "notebooks into it instead")
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder))):
            raise ValueError("the file is a symbolic link to a file outside the learner's folder; it is not graded")
        path = target
    data, size = _read_regular(path, FILE_LIMIT)
    if size > FILE_LIMIT:
        raise ValueError(f"the file is {size / 2**20:.0f} MB, over the {FILE_LIMIT // 2**20} MB "
                         "limit for a notebook; clear its outputs and hand it in again")
    if len(data) > FILE_LIMIT:
        raise ValueError(f"the file is over the {FILE_LIMIT // 2**20} MB limit for a notebook")
    if not data.strip():
        raise ValueError("the file is empty")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"the file is not UTF-8 text (byte {err.start}), so not a notebook") from None


def _read_regular(path: Path, limit: int) -> tuple[bytes, int]:
    """``(content, size)`` of the regular file at ``path``, opened without following a link and without
    blocking on a pipe: at most ``limit + 1`` bytes, none when its size is already over ``limit``. A
    ValueError says why a file cannot be read this way."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise ValueError(f"could not read the file: {err.strerror or err}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        return (b"" if info.st_size > limit else f.read(limit + 1)), info.st_size


def _parse_notebook(text: str) -> dict:
    """The notebook as a dict whose cells are all dicts of a known type with a string source."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"the file is not valid JSON ({err.msg}: line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise ValueError("the file is not a notebook (its JSON is nested too deeply to read)") from None
    if not isinstance(data, dict):
        raise ValueError("the file is not a notebook (it has no list of cells)")
    if not isinstance(data.get("cells"), list):
        if "worksheets" in data:
            raise ValueError("the file is not a notebook of format 4 (it is an old format-3 notebook); open and "
                             "save it in JupyterLab")
        raise ValueError("the file is not a notebook (it has no list of cells)")
    if data.get("nbformat") != 4 or isinstance(data.get("nbformat"), bool):
        raise ValueError(f"the file is not a notebook of format 4 (nbformat {clean(repr(data.get('nbformat')))[:20]}); "
                         "open and save it in JupyterLab")
    if len(data["cells"]) > CELL_LIMIT:
        raise ValueError(f"the file is not a notebook this course wrote (it has {len(data['cells'])} cells; "
                         f"the limit is {CELL_LIMIT})")
    for number, cell in enumerate(data["cells"], 1):
        if not isinstance(cell, dict):
            raise ValueError(f"the file is not a notebook (cell {number} is a {type(cell).__name__}, not a cell)")
        if cell.get("cell_type") not in CELL_TYPES:
            raise ValueError(f"the file is not a notebook (cell {number} has no known cell_type)")
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise ValueError(f"the file is not a notebook (the source of cell {number} is not text)")
        cell["source"] = source
    return data


def learner_help(folder: Path) -> dict:
    """What the learner asked for, per exercise, from every ``help.json`` in their folder (the file
    ``hint()`` and ``show_solution()`` keep in a workspace): the most hints any copy records, and
    whether any says the solution was seen. It is the learner's own record, so a learner can edit or
    delete it; it is read with the notebooks' care (no links followed, regular files of at most 1 MB,
    nothing but counts and yes/no kept) and never run."""
    from rnn_course.exercises.help import HELP_FILE, clean_record

    merged: dict[str, dict] = {}
    if folder.is_symlink() or not folder.is_dir():
        return merged
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if HELP_FILE not in files:
            continue
        try:
            data, size = _read_regular(Path(top, HELP_FILE), HELP_LIMIT)
            if size > HELP_LIMIT or len(data) > HELP_LIMIT:
                continue
            record = clean_record(json.loads(data.decode("utf-8")))
        except (ValueError, RecursionError):    # unreadable, not UTF-8 or not JSON: no record
            continue
        for name, entry in record.items():
            into = merged.setdefault(name, {"hints": 0, "solution_seen": False})
            into["hints"] = max(into["hints"], entry["hints"])
            into["solution_seen"] = into["solution_seen"] or entry["solution_seen"]
    return merged


# ---------------------------------------------------------------------------------------
# Grading one notebook, one learner
# ---------------------------------------------------------------------------------------

def _seconds(value: float) -> str:
    return f"{value:g} s"


def _groups(names: Iterable[str]) -> list[tuple[tuple, list[str]]]:
    """The exercises by the helpers they allow: one worker per group, so an exercise that forbids a
    helper never has it in its process."""
    groups: dict[tuple, list[str]] = {}
    for name in names:
        allow = tuple(sorted(getattr(core.get(name), "allow", ()) or ()))
        groups.setdefault(allow, []).append(name)
    return sorted(groups.items())


def grade_notebook(job: dict) -> dict:
    """Grade one notebook: ``job`` = ``{"cells": [{"number", "source"}], "checked": [names],
    "timeout": seconds, "sandbox": bool}`` (plain data, so a cluster can ship it). Returns
    ``{"results": {name: [status, message]}, "stopped": reason or None, "seconds": s}``."""
    started = time.monotonic()
    timeout, results, stopped = float(job["timeout"]), {}, None
    names = [n for n in dict.fromkeys(job["checked"]) if n in core.all_exercises()]
    if job.get("sandbox", True) and sandbox_problem():     # on a cluster's worker, say, without bubblewrap
        return {"results": {}, "stopped": f"not run on this machine: {sandbox_problem()}", "seconds": 0.0}
    try:
        for allow, group in _groups(names):
            session = Session(job["cells"], allow, timeout, bool(job.get("sandbox", True)))
            with session:
                try:
                    ready = session.ready()
                except RunStopped as err:
                    reason = _stop_reason(err, session, timeout)
                    stopped = stopped or reason
                    continue
                if ready["stopped"]:
                    stopped = stopped or (f"the notebook ran past its time limit of {_seconds(timeout)} "
                                          f"(in code cell {ready['stopped']})")
                for name in group:
                    results[name] = _judge(name, ready, session, timeout, stopped)
                    if results[name] is None:
                        del results[name]
    except Exception as err:  # noqa: BLE001 - a fault of the grader's must not cost the room its CSV
        stopped = stopped or f"the grader could not run this notebook ({type(err).__name__}: {err})"
    return {"results": {k: list(v) for k, v in results.items()}, "stopped": stopped,
            "seconds": time.monotonic() - started}


def _stop_reason(err: RunStopped, session: Session, timeout: float) -> str:
    why = str(err)
    if why == "timeout":
        return f"the notebook ran past its time limit of {_seconds(timeout)}"
    if why == "died":
        detail = session.error_text() if session.calls == 0 and time.monotonic() - session.started < 1 else ""
        return ("the notebook's process ended early (out of memory, or its code stopped it)"
                + (f": {detail}" if detail and "bwrap" in detail else ""))
    return f"the notebook's process broke the grader's protocol ({why.partition(': ')[2] or why})"


def _judge(name: str, ready: dict, session: Session, timeout: float, stopped: str | None):
    if name in ready["answers"]:
        try:
            result = core.judge(name, ready["answers"][name])
        except RunStopped as err:
            why = str(err)
            if why == "timeout":
                return ("error", f"your function ran past the time limit of {_seconds(timeout)} while being checked")
            return ("error", _stop_reason(err, session, timeout) + " while being checked")
        except Exception as err:  # noqa: BLE001
            return ("error", f"the grader could not check this answer ({type(err).__name__}: {err})")
        return (result.status, result.message)
    if name in ready["failures"]:
        return ("error", ready["failures"][name])
    if stopped:
        return None                                   # "never checked: <why it stopped>", from rows_for
    note = next(iter(ready["notes"]), "")
    return ("error", "the notebook never reached this check" + (f" ({note})" if note else ""))


def grade_learner(job: dict) -> list[dict]:
    """Grade one learner's notebooks one after the other within the learner's time budget: ``job`` =
    ``{"notebooks": [notebook job, ...], "budget": seconds}``; returns one result per notebook."""
    spent, out = 0.0, []
    for notebook in job["notebooks"]:
        left = float(job["budget"]) - spent
        if left <= 0:
            out.append({"results": {}, "stopped": f"not run: this learner's time budget of "
                        f"{_seconds(float(job['budget']))} was used up by their other notebooks", "seconds": 0.0})
            continue
        result = grade_notebook(dict(notebook, timeout=min(float(notebook["timeout"]), left)))
        spent += result["seconds"]
        out.append(result)
    return out


# ---------------------------------------------------------------------------------------
# A room
# ---------------------------------------------------------------------------------------

def rows_for(learner: str, lesson: str, exercises: list[str], runs: list[tuple[str, Outcome]]) -> list[Row]:
    """One row per exercise of ``lesson`` for a learner who handed in the notebooks ``runs``
    (label, outcome); with several notebooks of one lesson (a backup beside the real one), each
    exercise takes its best result, and its message names the notebook."""
    rows = []
    for name in exercises:
        candidates = []
        for label, outcome in runs:
            if name in outcome.results:
                status, message = outcome.results[name]
            elif outcome.stopped:
                status, message = "error", f"never checked: {outcome.stopped}"
            else:
                status, message = "not attempted", "the notebook has no check cell for this exercise"
            if len(runs) > 1:
                message = f"{message} [{label}]"
            candidates.append((status, message))
        status, message = max(candidates, key=lambda c: _RANK[c[0]])
        rows.append(Row(learner, lesson, name, status, message))
    return rows


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def grade_room(room: Path | str, timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
               progress: Callable[[int], object] | None = None, scheduler: str | None = None,
               sandbox: bool = True) -> Report:
    """Grade every learner's notebooks in ``room``; ``progress(total)`` makes a progress bar
    (anything with ``update(n)`` and ``close()``); ``jobs`` notebooks at a time (default: the number
    of cores); ``scheduler``: the address of a Dask scheduler to run the notebooks on instead;
    ``sandbox=False`` runs them without bubblewrap (only for notebooks you trust)."""
    if not timeout > 0:
        raise GradeError(f"--timeout must be a positive number of seconds, got {timeout}.")
    jobs = _cores() if jobs is None else jobs
    if jobs < 1:
        raise GradeError(f"--jobs must be 1 or more, got {jobs}.")
    started = time.monotonic()
    room = Path(room)
    lessons = lesson_exercises()
    found = learner_notebooks(room)
    if sandbox and scheduler is None:
        problem = sandbox_problem()
        if problem:
            raise GradeError(problem)
    submissions = [read_submission(learner, path, lessons, room) for learner, paths in found.items() for path in paths]
    report = Report(rows=[], lessons=list(lessons))
    # A notebook that checks nothing of its lesson needs no run: all its exercises are not attempted.
    to_run = [s for s in submissions if s.problem is None and s.lesson is not None
              and any(n in lessons[s.lesson] for n in s.checked)]
    by_learner: dict[str, list[Submission]] = {}
    for s in to_run:
        by_learner.setdefault(s.learner, []).append(s)
    learner_jobs = [{"learner": learner, "budget": LEARNER_BUDGET_FACTOR * timeout,
                     "notebooks": [{"label": s.label(room), "cells": s.cells, "timeout": timeout, "sandbox": sandbox,
                                    "checked": [n for n in s.checked if n in lessons[s.lesson]]} for s in subs]}
                    for learner, subs in by_learner.items()]
    bar = progress(len(to_run)) if progress else None
    outcomes: dict[int, Outcome] = {}
    try:
        results = _run_learners(learner_jobs, jobs, scheduler, bar)
    finally:
        if bar is not None:
            bar.close()
        drop_scratch()
    for learner, result in zip(by_learner, results):
        for s, r in zip(by_learner[learner], result):
            outcomes[id(s)] = Outcome({k: tuple(v) for k, v in r["results"].items()}, r["stopped"])

    by_lesson: dict[tuple[str, str], list[tuple[str, Outcome]]] = {}
    for submission in submissions:
        label = submission.label(room)
        if submission.problem is None and submission.lesson is None:
            report.ignored.append(label)
            continue
        outcome = Outcome(stopped=submission.problem) if submission.problem else outcomes.get(id(submission), Outcome())
        if outcome.stopped:
            report.problems.append((label, outcome.stopped))
        if submission.lesson is None:   # unreadable, and nothing in it names a lesson: one row says so
            report.rows.append(Row(submission.learner, "", "", "error", f"{label}: {outcome.stopped}"))
        else:
            by_lesson.setdefault((submission.learner, submission.lesson), []).append((label, outcome))
    asked = {learner: learner_help(room / learner) for learner in found}
    for (learner, lesson), runs in sorted(by_lesson.items()):
        for row in rows_for(learner, lesson, lessons[lesson], runs):
            entry = asked.get(learner, {}).get(row.exercise, {})
            row.hints, row.solution_seen = entry.get("hints", 0), entry.get("solution_seen", False)
            report.rows.append(row)
    report.rows.sort(key=lambda r: (r.learner, r.lesson, r.exercise))
    report.seconds = time.monotonic() - started
    return report


def _run_learners(learner_jobs: list[dict], jobs: int, scheduler: str | None, bar) -> list[list[dict]]:
    if scheduler is not None:
        try:
            from rnn_course.cluster import map_on_cluster
        except ImportError:
            raise GradeError("--scheduler needs Dask: pip install rnn-course[cluster]") from None
        results = map_on_cluster(grade_learner, learner_jobs, scheduler)
        if bar is not None:
            bar.update(sum(len(j["notebooks"]) for j in learner_jobs))
        return results

    def one(job: dict) -> list[dict]:
        out = []
        for notebook in job["notebooks"]:
            out += grade_learner(dict(job, notebooks=[notebook], budget=job["budget"] - sum(r["seconds"] for r in out)))
            if bar is not None:
                with _BAR_LOCK:
                    bar.update(1)
        return out

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, learner_jobs))


# ---------------------------------------------------------------------------------------
# Output: cleaned text, the CSV, the table
# ---------------------------------------------------------------------------------------

def spreadsheet_safe(text) -> str:
    """:func:`clean`, and a leading quote before = + - @ so a spreadsheet shows the cell as text."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(rows: Iterable[Row], out) -> None:
    """The rows as CSV with the header ``learner,lesson,exercise,status,message,hints,solution_seen``
    (the last two from the learner's help.json: a number, and yes or no)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in (row.learner, row.lesson, row.exercise, row.status, row.message)]
                        + [str(int(row.hints)), "yes" if row.solution_seen else "no"])


def save_csv(rows: Iterable[Row], path: Path | str) -> None:
    """Write the CSV to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            write_csv(rows, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table(report: Report) -> str:
    """Learners by lessons: correct exercises out of the lesson's, ``-`` where nothing was handed
    in, ``!`` where an exercise of that lesson got ``error``."""
    cells: dict[tuple[str, str], list[Row]] = {}
    learners = []
    for row in report.rows:
        if row.learner not in learners:
            learners.append(row.learner)
        if row.lesson:
            cells.setdefault((row.learner, row.lesson), []).append(row)
    shown = {learner: clean(learner)[:40] for learner in learners}
    width = max([len("learner"), *map(len, shown.values())])
    lines = ["  ".join([f"{'learner':<{width}}", *(f"{lesson:>5} " for lesson in report.lessons)]).rstrip()]
    for learner in learners:
        entries = []
        for lesson in report.lessons:
            rows = cells.get((learner, lesson))
            if not rows:
                entries.append(f"{'-':>5} ")
                continue
            correct = sum(r.status == "correct" for r in rows)
            flag = "!" if any(r.status == "error" for r in rows) else " "
            entries.append(f"{f'{correct}/{len(rows)}':>5}{flag}")
        lines.append("  ".join([f"{shown[learner]:<{width}}", *entries]).rstrip())
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The table, what it means, and every notebook that stopped or was left out."""
    graded = len({(r.learner, r.lesson) for r in report.rows if r.lesson})
    out = [f"Correct exercises out of each lesson's, per learner ({graded} lesson notebook(s) graded "
           f"in {report.seconds:.0f} s; - nothing handed in, ! an exercise got `error`: see the CSV):", "",
           table(report)]
    helped = {}
    for r in report.rows:
        if r.solution_seen:
            helped.setdefault(r.learner, []).append(r.exercise)
    if helped:
        out += ["", "Exercises whose solution the learner asked to see (from each learner's own help.json, which a "
                "learner can edit; the CSV also counts hints):"]
        out += [f"  {clean(learner)[:40]}: {', '.join(names)}" for learner, names in helped.items()]
    if report.problems:
        out += ["", "Notebooks that stopped (the checks after the stop count as `error`):"]
        out += [f"  {clean(label)}: {clean(reason)}" for label, reason in report.problems]
    if report.ignored:
        out += ["", "Not graded, because they check no exercise: " + ", ".join(map(clean, report.ignored))]
    return "\n".join(out)
