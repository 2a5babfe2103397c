"""``rnn-course grade ROOM``: which exercises each learner in a room has done.

ROOM holds one folder per learner, named after the learner, with that learner's notebooks in it
(at any depth, under any file name). Each notebook is matched to its lesson by the exercises it
checks, then run from top to bottom, headless, in a fresh kernel of this Python, on a copy in a
temporary folder, with a time limit. Every ``check(...)`` the notebook reaches reports its result
through the same function the lessons use (:func:`rnn_course.exercises.core.check`), which
appends it to a log file this module names in the kernel's environment
(:data:`~rnn_course.exercises.core.GRADE_LOG_VARIABLE`).

The outcome is one :class:`Row` per learner and exercise of every lesson the learner handed in,
with a status of ``correct``, ``wrong``, ``not attempted`` or ``error``. A notebook that cannot be
read, raises outside a check, or runs past its limit stops there: the checks it reached keep their
results, the ones after get ``error`` with the reason. The learners' files are only ever read.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rnn_course.exercises import core

STATUSES = ("correct", "wrong", "not attempted", "error")
CSV_COLUMNS = ("learner", "lesson", "exercise", "status", "message")
DEFAULT_TIMEOUT = 300.0
KERNEL_NAME = "rnn-course-grade"
LESSON_FILE = re.compile(r"^(\d\d)_")
# check("04.lstm_step", ...) in a cell's source; in a file that is not valid JSON the quotes may be escaped.
CHECK_CALL = re.compile(r"""check\(\s*\\?["'](\d\d\.\w+)\\?["']""")
_RANK = {"correct": 3, "wrong": 2, "not attempted": 1, "error": 0}


class GradeError(Exception):
    """ROOM cannot be graded (missing, not a folder, no learner folders): one line for the instructor."""


@dataclass
class Row:
    learner: str
    lesson: str        # the lesson's number, "01" .. "06"; "" for a file that could not be matched
    exercise: str      # the exercise's name, "04.lstm_step"; "" for a file that could not be matched
    status: str        # one of STATUSES
    message: str


@dataclass
class Submission:
    """One notebook in a learner's folder, and the lesson its content says it is."""
    learner: str
    path: Path
    lesson: str | None = None
    problem: str | None = None       # why it cannot be run (not a valid notebook), else None
    notebook: object = None          # the parsed notebook, when it could be read
    checked: list = field(default_factory=list)   # the exercise names its code cells check

    def label(self, room: Path) -> str:
        return self.path.relative_to(room).as_posix()


@dataclass
class Outcome:
    """What running one notebook produced: the last result of each check it reached, and why it
    stopped early (None when it ran to the end)."""
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
# Finding and matching the notebooks
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
    JupyterLab's ``.ipynb_checkpoints``, are skipped)."""
    room = Path(room)
    if not room.exists():
        raise GradeError(f"there is no folder {room}; give the folder that holds one folder per learner.")
    if not room.is_dir():
        raise GradeError(f"{room} is a file; give the folder that holds one folder per learner.")
    learners = {}
    for folder in sorted(p for p in room.iterdir() if p.is_dir() and not p.name.startswith(".")):
        notebooks = [p for p in folder.rglob("*.ipynb") if p.is_file()
                     and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
        learners[folder.name] = sorted(notebooks)
    if not learners:
        raise GradeError(f"{room} holds no learner folders; put each learner's notebooks in a folder "
                         "named after the learner (see `rnn-course grade --help`).")
    return learners


def checked_exercises(notebook: dict) -> list[str]:
    """The exercise names a notebook's code cells pass to ``check(...)``, in order."""
    names = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            names += CHECK_CALL.findall("".join(source) if isinstance(source, list) else source)
    return names


def _lesson_of(names: Iterable[str], lessons: dict[str, list[str]]) -> str | None:
    """The lesson most of the known exercise names belong to (the lower number on a tie)."""
    votes = Counter(name.split(".", 1)[0] for name in names if name.split(".", 1)[0] in lessons
                    and name in lessons[name.split(".", 1)[0]])
    if not votes:
        return None
    return min(votes, key=lambda lesson: (-votes[lesson], lesson))


def read_submission(learner: str, path: Path, lessons: dict[str, list[str]]) -> Submission:
    """Read one notebook and match it to a lesson by the exercises it checks. Only a file whose
    content says nothing (it is not valid JSON and names no exercise) falls back on its name."""
    import nbformat
    submission = Submission(learner, path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        submission.problem = f"could not read the file: {getattr(err, 'strerror', None) or err}"
        text = ""
    else:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
                raise ValueError("it has no list of cells")
            with warnings.catch_warnings():      # nbformat's advice on old or odd notebooks is not for the grader
                warnings.simplefilter("ignore")
                submission.notebook = nbformat.reads(text, as_version=4)
        except (ValueError, KeyError, TypeError, AttributeError) as err:   # nbformat's own checks too
            submission.problem = _json_reason(err)
    if submission.notebook is not None:
        submission.checked = checked_exercises(submission.notebook)
        submission.lesson = _lesson_of(submission.checked, lessons)
    else:
        submission.lesson = _lesson_of(CHECK_CALL.findall(text), lessons)
    if submission.lesson is None and (submission.problem or submission.notebook is not None):
        named = LESSON_FILE.match(path.name)
        if named and named.group(1) in lessons:
            submission.lesson = named.group(1)
    return submission


def _json_reason(err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return f"the file is not valid JSON ({err.msg}: line {err.lineno}, column {err.colno})"
    return f"the file is not a notebook ({err})"


# ---------------------------------------------------------------------------------------
# Running one notebook
# ---------------------------------------------------------------------------------------

def _write_kernel_spec(folder: Path) -> Path:
    """A kernel spec that runs this Python: the course's environment, whatever other ``python3``
    kernels the machine has."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rnn-course (grading)", "language": "python"}))
    return folder / "kernels"


def _error_line(err: BaseException) -> str:
    from nbclient.exceptions import CellExecutionError
    if isinstance(err, CellExecutionError):
        return f"{err.ename}: {err.evalue}".strip().rstrip(":")
    return f"{type(err).__name__}: {err}".strip().rstrip(":")


async def run_notebook(submission: Submission, timeout: float, kernels: Path, scratch: Path) -> Outcome:
    """Run a copy of the notebook in ``scratch`` in a fresh kernel, stopping at the first error or
    once ``timeout`` seconds of running have passed; collect the checks it reached."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    shutil.copy2(submission.path, scratch / submission.path.name)   # the run's own copy, for the record
    log = scratch / "checks.jsonl"
    env = dict(os.environ, **{core.GRADE_LOG_VARIABLE: str(log), "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME,
                                 kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    deadline = math.inf
    client = NotebookClient(submission.notebook, km=manager, kernel_name=KERNEL_NAME, allow_errors=False,
                            timeout_func=lambda cell: max(1, math.ceil(deadline - time.monotonic())),
                            resources={"metadata": {"path": str(scratch)}}, startup_timeout=120)
    outcome = Outcome()
    code_cell = 0
    try:
        # The kernel's own stderr (ipykernel's start-up warnings) is not the notebook's output: drop it.
        await client.async_start_new_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await client.async_start_new_kernel_client()
        deadline = time.monotonic() + timeout
        for index, cell in enumerate(client.nb.cells):
            if cell.get("cell_type") != "code":
                continue
            if time.monotonic() > deadline:          # the cell before used up the time
                raise CellTimeoutError("the time limit passed between two cells")
            code_cell += 1
            await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
    except CellTimeoutError:
        outcome.stopped = f"the notebook ran past its time limit of {_seconds(timeout)} (in code cell {code_cell})"
    except DeadKernelError:
        outcome.stopped = f"the kernel died in code cell {code_cell} (out of memory, or the notebook stopped it)"
    except Exception as err:  # an error in the learner's code, or a kernel that would not start
        where = f"in code cell {code_cell}" if code_cell else "before its first cell"
        outcome.stopped = f"the notebook stopped {where} with {_error_line(err)}"
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        if manager.has_kernel:
            await manager.shutdown_kernel(now=True)
    outcome.results = read_check_log(log)
    return outcome


def read_check_log(log: Path) -> dict:
    """``{exercise: (status, message)}``, the last result of each check written to ``log``."""
    results = {}
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except OSError:
        return results
    for line in lines:
        try:
            entry = json.loads(line)
            status = entry["status"]
            results[entry["name"]] = (status if status in STATUSES else "wrong", str(entry.get("message", "")))
        except (ValueError, KeyError, TypeError):
            continue
    return results


def _seconds(value: float) -> str:
    return f"{value:g} s"


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


def grade_room(room: Path | str, timeout: float = DEFAULT_TIMEOUT, jobs: int = 1,
               progress: Callable[[int], object] | None = None) -> Report:
    """Grade every learner's notebooks in ``room``; ``progress(total)`` makes a progress bar
    (anything with ``update(1)`` and ``close()``)."""
    if not timeout > 0:
        raise GradeError(f"--timeout must be a positive number of seconds, got {timeout}.")
    if jobs < 1:
        raise GradeError(f"--jobs must be 1 or more, got {jobs}.")
    started = time.monotonic()
    room = Path(room)
    lessons = lesson_exercises()
    submissions = [read_submission(learner, path, lessons)
                   for learner, paths in learner_notebooks(room).items() for path in paths]
    # A notebook named like a lesson that checks nothing needs no run: all its exercises are not attempted.
    to_run = [s for s in submissions if s.problem is None and s.lesson is not None and s.checked]
    report = Report(rows=[], lessons=list(lessons))
    bar = progress(len(to_run)) if progress else None
    with tempfile.TemporaryDirectory(prefix="rnn-course-grade-") as scratch:
        kernels = _write_kernel_spec(Path(scratch))
        outcomes = _run_coroutine(_run_all(to_run, timeout, jobs, kernels, Path(scratch), bar))
    if bar is not None:
        bar.close()

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
    for (learner, lesson), runs in sorted(by_lesson.items()):
        report.rows += rows_for(learner, lesson, lessons[lesson], runs)
    report.rows.sort(key=lambda r: (r.learner, r.lesson, r.exercise))
    report.seconds = time.monotonic() - started
    return report


def _run_coroutine(coroutine):
    """``asyncio.run(coroutine)``, in a thread of its own when this thread already runs an event loop
    (grade called from a notebook cell, or after a library that keeps a loop running)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _run_all(submissions, timeout, jobs, kernels: Path, scratch: Path, bar) -> dict:
    slots = asyncio.Semaphore(jobs)
    outcomes = {}

    async def one(number: int, submission: Submission):
        async with slots:
            folder = scratch / f"{number:04d}"
            folder.mkdir()
            outcomes[id(submission)] = await run_notebook(submission, timeout, kernels, folder)
            if bar is not None:
                bar.update(1)

    await asyncio.gather(*(one(n, s) for n, s in enumerate(submissions)))
    return outcomes


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------

def write_csv(rows: Iterable[Row], out) -> None:
    """The rows as CSV with the header ``learner,lesson,exercise,status,message``."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.learner, row.lesson, row.exercise, row.status, row.message])


def table(report: Report) -> str:
    """Learners by lessons: correct exercises out of the lesson's, ``-`` where nothing was handed
    in, ``!`` where a notebook of that lesson stopped with an error."""
    cells: dict[tuple[str, str], list[Row]] = {}
    learners = []
    for row in report.rows:
        if row.learner not in learners:
            learners.append(row.learner)
        if row.lesson:
            cells.setdefault((row.learner, row.lesson), []).append(row)
    width = max([len("learner"), *map(len, learners)])
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
        lines.append("  ".join([f"{learner:<{width}}", *entries]).rstrip())
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The table, what it means, and every notebook that stopped or was left out."""
    graded = len({(r.learner, r.lesson) for r in report.rows if r.lesson})
    out = [f"Correct exercises out of each lesson's, per learner ({graded} lesson notebook(s) graded "
           f"in {report.seconds:.0f} s; - nothing handed in, ! a notebook stopped with an error):", "",
           table(report)]
    if report.problems:
        out += ["", "Notebooks that stopped (the checks after the stop count as `error`):"]
        out += [f"  {label}: {reason}" for label, reason in report.problems]
    if report.ignored:
        out += ["", "Not graded, because they check no exercise: " + ", ".join(report.ignored)]
    return "\n".join(out)
