"""The exercise machinery: a registry of exercises, checking, and the verdict without recording.

Three modules share the work: :mod:`.matcher` runs the learner's function and names the mistake,
:mod:`.progress` keeps the record of every attempt, and this one holds the registry, ``check``
and ``judge``; it re-exports what lesson modules, notebooks and tests use.

Most exercises ask for a function, and are checked by comparing it with the reference solution
on a few seeded cases. A lesson module registers such an exercise with :func:`compare_exercise`,
listing the usual mistakes as short functions that compute the *wrong* answer, each with the
sentence that explains it (:func:`known_mistake`)::

    def dense_forward(X, W, b):                       # the reference solution
        return np.tanh(X @ W.T + b)

    @known_mistake("you forgot the bias: the result equals tanh(X @ W.T).")
    def _no_bias(X, W, b):                            # same signature, returns the wrong answer
        return np.tanh(X @ W.T)

    def _cases():                                     # fresh seeded arguments, two sizes
        rng = np.random.default_rng(0)
        return [(rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)),
                (rng.normal(size=(1, 2)), rng.normal(size=(6, 2)), rng.normal(size=6))]

    compare_exercise("01.dense_forward", "The forward pass of a tanh layer",
                     solution=dense_forward, cases=_cases, mistakes=[_no_bias],
                     praise="tanh(X @ W.T + b), shape (N, H).")

In the notebook the learner fills in ``dense_forward`` and runs ``check("01.dense_forward",
dense_forward)``, which prints one line. :func:`diagnose`, the one matcher, decides which:

1. a body of only ``...``, ``pass`` or a docstring, or ``raise NotImplementedError``:
   "not attempted" (so the shipped notebooks run top to bottom);
2. the function raises: "your function raised KeyError: 'W' (line 3 of dense_forward: `...`)"
   (one line, never a traceback; the ``def`` line is line 1, the line is the learner's own,
   also in a helper the learner wrote);
3. it returns None, the wrong number of outputs, or an output of the wrong shape or dtype
   (float32 in means float32 out) or holding NaN or infinity: a line naming that output.
   A list or tuple of the right numbers counts as right;
4. it changed one of its input arrays in place: a line naming the argument. The learner's
   own arrays are never touched: the function only ever sees copies;
5. every output matches the solution's: right. The tolerance follows the dtype (at least a
   few dozen rounding steps of float32 for a float32 case) and the size of the expected values;
6. otherwise each known mistake runs on the same arguments; the first whose every output
   matches the learner's gives its sentence (a wrong shape in 3 is tried against them too,
   so a transposed result can be named; a custom checker that computed the learner's result
   itself asks the same question with :func:`match_mistake`);
7. otherwise a diagnosis that needs no list (:mod:`.matcher`): the reference's result with an
   argument left out (zeros), a square weight transposed or the steps read in reverse; then per
   output (:func:`.matcher.explain`) outputs swapped, axes swapped, the sign flipped, a constant
   factor ("exactly 1/5 of the expected values (1/N, N = 5): did you divide by N ..."), an output
   off by another output's expected value, a sequence right up to some step and wrong from there
   ("right for t = 5 and 4 and wrong from t = 3 back ...", steps t = 1 to T with index t - 1
   holding step t), naming the outputs that are right.

Whatever the verdict, the learner's function runs under a guard (:mod:`.matcher`) that notes a
call into the rnn_course package that the exercise does not ``allow`` (or into a copy of a
registered solution). An answer that would pass fails instead with "your function calls
rnn_course.lstm.backward, the course's own; write the computation yourself"; a wrong one keeps
its mistake's message.

With ``cases`` of different sizes (B, D, H, T all different) a swapped axis shows as a wrong
shape. A backward exercise passes ``after=``, e.g. a :func:`learner_gradcheck` of the
learner's own function, whose line is added to the praise::

    compare_exercise(..., after=lambda answer: learner_gradcheck(
        answer, forward_loss, inputs, grads_from_answer))

Exercises that are not a function of arrays (weights for XOR, a yes/no prediction) keep a
custom checker registered with :func:`exercise`; it raises :class:`Mistake` with the reason,
and where it compares arrays it calls :func:`diagnose` with its own list of KnownMistakes::

    @exercise("01.stable_sigmoid", "A sigmoid that never overflows", solution=stable_sigmoid)
    def _check(answer):
        got = attempt(answer, np.array([0.0]))   # NotImplementedError -> "not attempted"
        if ...:
            raise Mistake("what is wrong, and a hint why")
        return "what the learner got right"

``check(name, answer)`` never raises for a learner's answer (only for an unknown name) and
returns a :class:`CheckResult` whose status is "correct", "wrong" or "not attempted".
``judge(name, answer)`` gives the same verdict and records nothing (what the grader calls in its
own process); ``check`` also records it, inside a workspace, for ``rnn-course progress``
(:mod:`.progress`: best and latest result per exercise and per copy of the notebook).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from . import matcher
from .matcher import (  # noqa: F401  (re-exported: lesson modules, notebooks and tests import them from core)
    ALLOWED,
    BORROWED,
    BorrowedCall,
    KnownMistake,
    LearnerError,
    Mistake,
    NotAttempted,
    attempt,
    diagnose,
    is_placeholder,
    known_mistake,
    learner_gradcheck,
    match_mistake,
    require_array,
    tidy,
)
from .matcher import one_line as _one_line
from .progress import PROGRESS_FILE, WORKSPACE_MARKER, find_workspace, read_progress, read_record  # noqa: F401
from .progress import record as _record_result

REGISTRY: dict = {}


@dataclass
class Exercise:
    name: str
    title: str
    checker: object
    solution: object
    solution_text: str | None = None
    # Full names of the package functions the learner's function may call (``rnn_course.activations.sigmoid``);
    # every other function of the rnn_course package, the exercise's own solution first, is the course's work.
    allow: tuple = ()

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


def exercise(name: str, title: str, *, solution, solution_text: str | None = None, allow: Sequence[str] = ()):
    """Decorator registering a custom checker under ``name`` (``"LL.short_name"``); ``allow`` lists the
    package functions (full names) the learner's answer may call."""
    def register(checker):
        if name in REGISTRY:
            raise ValueError(f"exercise {name!r} is registered twice.")
        REGISTRY[name] = Exercise(name, title, checker, solution, solution_text, tuple(allow))
        matcher.register_solution(solution)
        return checker
    return register


def compare_exercise(name: str, title: str, *, solution, cases, mistakes: Sequence[KnownMistake] = (),
                     outputs=None, after=None, solution_text=None, rtol=1e-6, atol=1e-8,
                     praise: str | None = None, hint: str = "", allow: Sequence[str] = ()) -> Exercise:
    """Register exercise ``name``, checked by running the learner's function and ``solution`` on
    every argument tuple of ``cases()`` through :func:`diagnose`.

    ``cases``: callable () -> list of argument tuples (seeded, fresh arrays each call; use at least
    two of different sizes). ``mistakes``: KnownMistakes tried in order. ``outputs``: names of the
    returned arrays, or None for one array. ``after``: callable(answer) -> str, run once every case
    is right; its line is added to ``praise``. ``hint`` is added to crash and shape messages.
    ``rtol``/``atol`` are the float64 tolerances; float32 cases get wider ones (:func:`.matcher.tolerances`).
    ``allow``: full names of the package functions the learner's function may call.
    """
    direction = "backward" if "backward" in name else "forward"

    def checker(answer):
        for args in cases():
            diagnose(answer, solution, args, mistakes, outputs, rtol=rtol, atol=atol, hint=hint, direction=direction)
        text = praise or "your function matches the reference on every test case."
        if after is not None:
            text = f"{text} {after(answer)}"
        return text

    exercise(name, title, solution=solution, solution_text=solution_text, allow=allow)(checker)
    return REGISTRY[name]


# ---------------------------------------------------------------------------------------
# The registry, checking
# ---------------------------------------------------------------------------------------

def all_exercises() -> dict:
    """Every registered exercise, importing each lesson module of this package once."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"{__package__}.{info.name}")
    return dict(sorted(REGISTRY.items()))


class UnknownExercise(ValueError):
    """A name no exercise has (a typo in a check, hint or show_solution cell). In a notebook it shows
    as its one line, not a traceback (IPython calls ``_render_traceback_``)."""

    def _render_traceback_(self):
        return [f"UnknownExercise: {self}"]


def get(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        import difflib

        close = difflib.get_close_matches(str(name), list(exercises), n=1, cutoff=0.6)
        guess = f"did you mean {close[0]!r}? " if close else ""
        same_lesson = [n for n in exercises if n[:3] == str(name)[:3]]
        listed = f"lesson {str(name)[:2]}'s are {', '.join(same_lesson)}" if same_lesson else \
            f"the names look like {next(iter(exercises))!r} (all: rnn_course.exercises.all_exercises())"
        raise UnknownExercise(f"there is no exercise called {name!r}; {guess}{listed}.")
    return exercises[name]


def check(name: str, answer) -> CheckResult:
    """Check the learner's ``answer`` to exercise ``name`` and say what is right or wrong.
    Never raises for an answer, only for an unknown ``name`` (ValueError)."""
    result = judge(name, answer)
    _record(result)
    return result


def judge(name: str, answer) -> CheckResult:
    """The verdict of ``check``, recorded nowhere: what the grader calls, in its own process, on a
    proxy of the learner's function."""
    ex = get(name)
    allowed, borrowed = ALLOWED.set(ex.allow), BORROWED.set([])
    try:
        if answer is None or answer is Ellipsis or is_placeholder(answer):
            raise NotAttempted()
        itself = matcher.borrowed_answer(answer, ex.allow)
        if itself:
            matcher.note_borrowed(itself)
        praise = ex.checker(answer)
        used = BORROWED.get()
        if used:           # right, but by the course's own code: not the learner's work
            raise Mistake(matcher.borrowed_message(used[0]))
        result = CheckResult(name, "correct", tidy(praise or "Well done."))
    except NotAttempted:
        result = CheckResult(name, "not attempted",
                             "Replace the placeholder (`raise NotImplementedError` or `...`) with your answer, "
                             "run that cell, then this one.")
    except Mistake as err:
        result = CheckResult(name, "wrong", tidy(str(err)))
    except Exception as err:  # a checker tripped over an odd answer: still one line, never a traceback
        result = CheckResult(name, "wrong", f"the check could not use your answer ({_one_line(err)}).")
    finally:
        ALLOWED.reset(allowed)
        BORROWED.reset(borrowed)
    return result


def learner_or_reference(name: str, answer, reference=None, reference_label: str | None = None):
    """``(function, what it is)`` for a lesson to go on with: the learner's ``answer`` if it passes
    exercise ``name``, else ``reference`` (by default the registered solution), so the lesson
    always runs and says which one it used."""
    if check(name, answer).passed:
        return answer, f"your {getattr(answer, '__name__', 'function')}, which passes {name}."
    fallback = get(name).solution if reference is None else reference
    label = reference_label or f"the course's reference solution of {name}"
    return fallback, f"{label}, since yours does not pass {name} yet."


def solution(name: str) -> str:
    """The reference solution's source code."""
    return get(name).source()


def solution_markdown(name: str) -> str:
    """A collapsed block revealing the solution, as it stands in the notebooks."""
    ex = get(name)
    return (f"<details><summary>Show a solution to \"{ex.title}\"</summary>\n\n"
            f"```python\n{ex.source()}\n```\n\n</details>")


def _record(result: CheckResult) -> None:
    """Keep the result in the workspace's progress record (workspaces only; see :mod:`.progress`)."""
    _record_result(result)
