"""The exercise machinery: a registry of checkers that explain wrong answers.

A lesson module registers each exercise with :func:`exercise`::

    def stable_sigmoid(z):                      # the reference solution
        ...

    @exercise("01.stable_sigmoid", "A sigmoid that never overflows", solution=stable_sigmoid)
    def _check(answer):
        got = attempt(answer, np.array([0.0]))  # NotImplementedError -> "not attempted yet"
        if ...:
            raise Mistake("what is wrong, and a hint why")
        return "what the learner got right"

In a notebook the learner fills in a function and runs ``check("01.stable_sigmoid",
stable_sigmoid)``. The result prints as one line: correct, not yet (with the reason),
or not attempted yet. A function left as ``raise NotImplementedError`` is "not attempted",
so the shipped notebooks run top to bottom.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REGISTRY: dict = {}
WORKSPACE_MARKER = ".rnn-course-workspace"
PROGRESS_FILE = "progress.json"
GRADE_LOG_VARIABLE = "RNN_COURSE_GRADE_LOG"   # set by `rnn-course grade` for the kernels it runs


class Mistake(Exception):
    """Raised by a checker: the answer is wrong, and the message says why."""


class NotAttempted(Exception):
    """Raised when the learner's cell still holds the placeholder."""


@dataclass
class Exercise:
    name: str
    title: str
    checker: object
    solution: object
    solution_text: str | None = None

    def source(self) -> str:
        """The reference solution as the learner would type it."""
        if self.solution_text is not None:
            return self.solution_text.strip("\n")
        if callable(self.solution):
            return textwrap.dedent(inspect.getsource(self.solution)).strip("\n")
        return repr(self.solution)


@dataclass
class CheckResult:
    name: str
    status: str            # "correct", "wrong" or "not attempted"
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        label = {"correct": "Correct!", "wrong": "Not yet.", "not attempted": "Not attempted yet."}[self.status]
        return f"[{self.name}] {label} {self.message}"

    __str__ = __repr__


def exercise(name: str, title: str, *, solution, solution_text: str | None = None):
    """Decorator registering a checker under ``name`` (``"LL.short_name"``)."""
    def register(checker):
        if name in REGISTRY:
            raise ValueError(f"exercise {name!r} is registered twice.")
        REGISTRY[name] = Exercise(name, title, checker, solution, solution_text)
        return checker
    return register


def attempt(answer, *args, **kwargs):
    """Call the learner's function, turning the placeholder into :class:`NotAttempted`
    and any crash into a :class:`Mistake` that names the error."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted()
    try:
        return answer(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as err:  # the learner's code failed: say how, as a wrong answer
        raise Mistake(f"your code raised {type(err).__name__}: {err}") from None


def require_array(got, shape, what: str) -> np.ndarray:
    """The answer must be an array of ``shape``; otherwise a Mistake naming both shapes."""
    if got is None:
        raise Mistake(f"{what} returned None; did you forget to `return` the result?")
    arr = np.asarray(got)
    if arr.shape != tuple(shape):
        raise Mistake(f"{what} has shape {arr.shape}, expected {tuple(shape)}.")
    if not np.all(np.isfinite(arr)):
        raise Mistake(f"{what} contains NaN or infinity.")
    return arr


def all_exercises() -> dict:
    """Every registered exercise, importing each lesson module of this package once."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"{__package__}.{info.name}")
    return dict(sorted(REGISTRY.items()))


def get(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise ValueError(f"there is no exercise called {name!r}; known: {', '.join(exercises)}.")
    return exercises[name]


def check(name: str, answer) -> CheckResult:
    """Check the learner's ``answer`` to exercise ``name`` and say what is right or wrong."""
    ex = get(name)
    try:
        if answer is None or answer is Ellipsis:
            raise NotAttempted()
        praise = ex.checker(answer)
        result = CheckResult(name, "correct", praise or "Well done.")
    except NotAttempted:
        result = CheckResult(name, "not attempted",
                             "Replace the placeholder (`raise NotImplementedError` or `...`) with your answer, "
                             "run that cell, then this one.")
    except Mistake as err:
        result = CheckResult(name, "wrong", str(err))
    _record(result)
    return result


def solution(name: str) -> str:
    """The reference solution's source code."""
    return get(name).source()


def solution_markdown(name: str) -> str:
    """A collapsed block revealing the solution, as it stands in the notebooks."""
    ex = get(name)
    return (f"<details><summary>Show a solution to \"{ex.title}\"</summary>\n\n"
            f"```python\n{ex.source()}\n```\n\n</details>")


def find_workspace(start: Path | None = None) -> Path | None:
    """The learner's workspace folder (made by ``rnn-course start``) holding ``start``, if any."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_MARKER).is_file():
            return folder
    return None


def read_progress(workspace: Path) -> dict:
    """``{exercise name: latest status}`` recorded in ``workspace`` (empty if none or unreadable)."""
    try:
        progress = json.loads((Path(workspace) / PROGRESS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return progress if isinstance(progress, dict) else {}


def _record(result: CheckResult) -> None:
    """Remember the latest result per exercise in the workspace's progress file (workspaces only)."""
    _log_for_grading(result)
    workspace = find_workspace()
    if workspace is None:
        return
    progress = read_progress(workspace)
    progress[result.name] = result.status
    path = workspace / PROGRESS_FILE
    tmp = workspace / f".{PROGRESS_FILE}.{os.getpid()}.tmp"
    try:  # via a temporary file, so two kernels or a crash never leave half a file
        tmp.write_text(json.dumps(progress, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only workspace must not break the lesson


def _log_for_grading(result: CheckResult) -> None:
    """Under ``rnn-course grade``, also append the result as one JSON line to the file that
    :data:`GRADE_LOG_VARIABLE` names (grade sets it for each notebook's kernel; otherwise unset)."""
    log = os.environ.get(GRADE_LOG_VARIABLE)
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps({"name": result.name, "status": result.status, "message": result.message}) + "\n")
