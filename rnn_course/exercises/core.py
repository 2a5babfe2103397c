"""The exercise machinery: a registry of exercises, and one matcher that names a learner's mistake.

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
2. the function raises: "your function raised KeyError: 'W'" (one line, never a traceback);
3. it returns None, the wrong number of outputs, or an output of the wrong shape or dtype
   (float32 in means float32 out) or holding NaN or infinity: a line naming that output.
   A list or tuple of the right numbers counts as right;
4. it changed one of its input arrays in place: a line naming the argument. The learner's
   own arrays are never touched: the function only ever sees copies;
5. every output matches the solution's (``rtol``, ``atol``): right;
6. otherwise each known mistake runs on the same arguments; the first whose every output
   matches the learner's gives its sentence (a wrong shape in 3 is tried against them too,
   so a transposed result can be named; a custom checker that computed the learner's result
   itself asks the same question with :func:`match_mistake`);
7. otherwise a line naming the outputs that are wrong, with their relative error, and the
   ones that are right.

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
Inside a workspace each result is recorded for ``rnn-course progress``.
"""

from __future__ import annotations

import ast
import copy
import dis
import importlib
import inspect
import json
import os
import pkgutil
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..gradcheck import gradcheck, relative_error

REGISTRY: dict = {}
WORKSPACE_MARKER = ".rnn-course-workspace"
PROGRESS_FILE = "progress.json"
GRADE_LOG_VARIABLE = "RNN_COURSE_GRADE_LOG"   # set by `rnn-course grade` for the kernels it runs


class Mistake(Exception):
    """Raised by a checker: the answer is wrong, and the message says why (one line)."""


class NotAttempted(Exception):
    """Raised when the learner's cell still holds the placeholder."""


class LearnerError(Exception):
    """A crash inside the learner's function that ran elsewhere (the grader's sandbox): the
    exception's type name, its one-line text, and where in the learner's function it happened
    (e.g. "line 4 of lstm_forward: h[t] = o * np.tanh(c)"), for the same one-line message as a
    crash here."""

    def __init__(self, type_name: str, text: str, where: str = ""):
        super().__init__(type_name, text, where)
        self.type_name, self.text, self.where = type_name, text, where


class BorrowedCall(Exception):
    """The learner's function called a function of the course's own package that its exercise
    does not allow: ``qualname`` is that function's full name (``rnn_course.lstm.backward``)."""

    def __init__(self, qualname: str):
        super().__init__(qualname)
        self.qualname = qualname


class KnownMistake(NamedTuple):
    """A usual wrong answer: ``compute`` takes the reference solution's arguments and returns
    the wrong result; ``explanation`` is the sentence the learner reads when theirs equals it."""

    compute: Callable
    explanation: str


def known_mistake(explanation: str):
    """Decorator: turns a function computing a wrong answer into a :class:`KnownMistake`."""
    def make(compute: Callable) -> KnownMistake:
        return KnownMistake(compute, explanation)
    return make


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
        return checker
    return register


# ---------------------------------------------------------------------------------------
# Running the learner's function safely
# ---------------------------------------------------------------------------------------

_PLACEHOLDER_OPS = {"RESUME", "NOP", "CACHE", "LOAD_CONST", "RETURN_CONST", "RETURN_VALUE", "POP_TOP"}


def is_placeholder(fn) -> bool:
    """True for a function whose body is only ``...``, ``pass`` and/or a docstring, or a lambda of ``...``.
    An answer that ran elsewhere (the grader's proxy) says so itself in ``__rnn_course_placeholder__``."""
    flag = getattr(type(fn), "__rnn_course_placeholder__", None)
    if flag is not None:
        return bool(fn.__rnn_course_placeholder__)
    code = getattr(fn, "__code__", None)
    if code is None or any(ins.opname not in _PLACEHOLDER_OPS for ins in dis.get_instructions(code)):
        return False
    constants = [ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_CONST", "RETURN_CONST")]
    if code.co_name == "<lambda>":
        return any(c is Ellipsis for c in constants)
    body = _function_body(fn)         # `return None` compiles like `pass`: the source tells them apart
    if body is not None:
        return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                   for s in body)
    return all(c is None or c is Ellipsis or c == fn.__doc__ for c in constants)


def _function_body(fn):
    """The statements of ``fn``'s body, parsed from its source; None if the source is not available."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.__name__:
            return node.body
    return None


def _one_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:200]}" if text else type(err).__name__


def _run(answer, args, kwargs, verb: str):
    if answer is None or answer is Ellipsis or is_placeholder(answer):
        raise NotAttempted()
    if not callable(answer):
        raise Mistake(f"expected a function, got {type(answer).__name__}; pass the function itself, "
                      "without calling it.")
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return answer(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as err:  # the learner's code failed: say how, as a wrong answer
        raise Mistake(f"{verb} raised {_one_line(err)}") from None


def attempt(answer, *args, **kwargs):
    """Call the learner's function (as given: pass copies yourself), turning the placeholder
    into :class:`NotAttempted` and any crash into a :class:`Mistake` that names the error."""
    return _run(answer, args, kwargs, "your code")


def require_array(got, shape, what: str) -> np.ndarray:
    """The answer must be an array of ``shape``; otherwise a Mistake naming both shapes."""
    if got is None:
        raise Mistake(f"{what} returned None; did you forget to `return` the result?")
    arr = _numbers(got, what)
    if arr.shape != tuple(shape):
        raise Mistake(f"{what} has shape {arr.shape}, expected {tuple(shape)}.")
    if not np.all(np.isfinite(arr)):
        raise Mistake(f"{what} contains NaN or infinity.")
    return arr


def _numbers(value, what: str) -> np.ndarray:
    """``value`` as an array of numbers (a list or tuple of numbers is fine), else a Mistake."""
    if value is None:
        raise Mistake(f"{what} is None; did you forget to `return` it?")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise Mistake(f"{what} should be an array of numbers; it is a {type(value).__name__}.")
    return arr


def _split(value, outputs, who: str) -> list:
    """The returned value as a list of raw outputs, one per name in ``outputs``."""
    if outputs is None:
        if value is None:
            raise Mistake(f"{who} returned None; did you forget to `return` the result?")
        return [value]
    order = ", ".join(outputs)
    if value is None:
        raise Mistake(f"{who} returned None; did you forget to `return {order}`?")
    if not isinstance(value, tuple | list) or len(value) != len(outputs):
        got = f"{len(value)} values" if isinstance(value, tuple | list) else f"one {type(value).__name__}"
        raise Mistake(f"{who} should return {len(outputs)} arrays, in this order: {order}; it returned {got}.")
    return list(value)


def _labels(outputs) -> tuple:
    return ("your result",) if outputs is None else tuple(outputs)


def _same(a, b) -> bool:
    """Equal, element by element (NaN equals NaN), through dicts, lists and tuples."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _argument_names(solution, n: int) -> list:
    try:
        names = list(inspect.signature(solution).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n)]


def _matching_mistake(got: list, solution, args, mistakes, outputs, rtol, atol) -> str | None:
    """The explanation of the first known mistake whose every output equals ``got``."""
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrong = _split(mistake.compute(*copy.deepcopy(args)), outputs, "a known mistake")
            wrong = [np.asarray(w) for w in wrong]
        except Exception:  # a mistake that does not apply to these arguments
            continue
        if all(_close(g, w, rtol, atol) for g, w in zip(got, wrong)):
            return mistake.explanation
    return None


def match_mistake(got, args, mistakes, outputs=None, *, rtol=1e-6, atol=1e-8) -> str | None:
    """For custom checkers: the explanation of the first KnownMistake whose result on ``args``
    equals ``got`` (the learner's result, already computed), or None."""
    try:
        got = [np.asarray(g) for g in _split(got, outputs, "your function")]
    except Mistake:
        return None
    return _matching_mistake(got, None, args, mistakes, outputs, rtol, atol)


def diagnose(answer, solution, args, mistakes=(), outputs=None, *, rtol=1e-6, atol=1e-8, hint: str = "") -> None:
    """The one matcher: return None if ``answer(*args)`` equals ``solution(*args)``, else raise
    :class:`NotAttempted` or a one-line :class:`Mistake` (the order is in the module docstring).

    ``outputs`` names the returned arrays (None: a single array); ``hint``, if given, is added
    to the messages about a crash or a wrong shape (e.g. the shapes of the arguments).
    """
    args = tuple(args)
    pristine = copy.deepcopy(args)
    given = copy.deepcopy(args)
    extra = f" {hint}" if hint else ""
    try:
        value = _run(answer, given, {}, "your function")
    except Mistake as err:
        raise Mistake(f"{err}.{extra}") from None
    expected = [np.asarray(e) for e in _split(solution(*copy.deepcopy(args)), outputs, "the reference")]
    labels = _labels(outputs)
    raw = _split(value, outputs, "your function")
    got = [_numbers(v, name) for v, name in zip(raw, labels)]
    for name, g, e, r in zip(labels, got, expected, raw):
        if g.shape != e.shape:
            named = _matching_mistake(got, solution, args, mistakes, outputs, rtol, atol)
            if named:
                raise Mistake(named)
            flipped = " (transposed?)" if g.ndim > 1 and g.shape == e.shape[::-1] else ""
            raise Mistake(f"{name} has shape {g.shape}, expected {e.shape}{flipped}.{extra}")
        if (isinstance(r, np.ndarray | np.generic) and e.dtype.kind == "f" and g.dtype.kind == "f"
                and g.dtype != e.dtype):
            raise Mistake(f"{name} has dtype {g.dtype}, expected {e.dtype}, the dtype of the inputs: create new "
                          "arrays with the inputs' dtype (np.zeros_like keeps it; np.eye(C, dtype=...) takes it).")
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
            what = "NaN" if np.isnan(g).any() else "infinity"
            raise Mistake(f"{name} contains {what}; the expected values are all finite.{extra}")
    for arg_name, before, after in zip(_argument_names(solution, len(args)), pristine, given):
        if not _same(before, after):
            raise Mistake(f"your function changed its argument `{arg_name}` in place; compute into a new array "
                          f"instead (your own `{arg_name}` is untouched: the check passes copies).")
    if all(_close(g, e, rtol, atol) for g, e in zip(got, expected)):
        return None
    named = _matching_mistake(got, solution, args, mistakes, outputs, rtol, atol)
    if named:
        raise Mistake(named)
    wrong = [(n, relative_error(g, e)) for n, g, e in zip(labels, got, expected) if not _close(g, e, rtol, atol)]
    right = [n for n, g, e in zip(labels, got, expected) if _close(g, e, rtol, atol)]
    if outputs is None:
        g, e = got[0], expected[0]
        at = np.unravel_index(np.argmax(np.abs(g.astype(float) - e)), e.shape) if e.ndim else ()
        where = f" at index {tuple(int(i) for i in at)}" if e.ndim else ""
        raise Mistake(f"your result differs from the expected one (relative error {wrong[0][1]:.2g}): "
                      f"{where.strip() + ' ' if where else ''}expected {e[at]:.4g}, got {g[at]:.4g}.")
    text = "; ".join(f"{n} is off (relative error {err:.2g})" for n, err in wrong)
    if right:
        text += f"; {', '.join(right)} {'is' if len(right) == 1 else 'are'} right"
    raise Mistake(text + ".")


def compare_exercise(name: str, title: str, *, solution, cases, mistakes: Sequence[KnownMistake] = (),
                     outputs=None, after=None, solution_text=None, rtol=1e-6, atol=1e-8,
                     praise: str | None = None, hint: str = "", allow: Sequence[str] = ()) -> Exercise:
    """Register exercise ``name``, checked by running the learner's function and ``solution`` on
    every argument tuple of ``cases()`` through :func:`diagnose`.

    ``cases``: callable () -> list of argument tuples (seeded, fresh arrays each call; use at least
    two of different sizes). ``mistakes``: KnownMistakes tried in order. ``outputs``: names of the
    returned arrays, or None for one array. ``after``: callable(answer) -> str, run once every case
    is right; its line is added to ``praise``. ``hint`` is added to crash and shape messages.
    """
    def checker(answer):
        for args in cases():
            diagnose(answer, solution, args, mistakes, outputs, rtol=rtol, atol=atol, hint=hint)
        text = praise or "your function matches the reference on every test case."
        if after is not None:
            text = f"{text} {after(answer)}"
        return text

    exercise(name, title, solution=solution, solution_text=solution_text, allow=allow)(checker)
    return REGISTRY[name]


def learner_gradcheck(backward_answer, forward_loss, inputs: dict, grads_from_answer, *,
                      threshold: float = 1e-6) -> str:
    """A numeric gradient check of the learner's own backward function, as one line.

    ``inputs``: ``{name: array}``, the arrays the loss depends on (copied to float64).
    ``forward_loss(params) -> float``: the scalar loss computed from ``params`` (a dict like
    ``inputs`` whose arrays are nudged in place, so read them from the dict each call).
    ``grads_from_answer(backward_answer, params) -> {name: gradient}``: the gradients of that loss,
    computed with the learner's function; every key must be a key of ``inputs``.

    Returns e.g. "Gradient check of your function: largest relative error 3.1e-09 (below 1e-6:
    trust it)." (relative error ||a - n|| / (||a|| + ||n||) against centred differences).
    """
    params = {k: np.array(v, dtype=np.float64, copy=True) for k, v in inputs.items()}
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grads = grads_from_answer(backward_answer, copy.deepcopy(params))
            grads = {k: np.asarray(g, dtype=np.float64) for k, g in grads.items()}
        errors = gradcheck(forward_loss, params, grads)
    except Exception as err:
        return f"The gradient check of your function could not run: {_one_line(err)}."
    worst = max(errors, key=errors.get)
    error, limit = errors[worst], f"{threshold:.0e}".replace("e-0", "e-")     # 1e-06 -> 1e-6
    if error < threshold:
        return f"Gradient check of your function: largest relative error {error:.1e} (below {limit}: trust it)."
    return (f"Gradient check of your function: largest relative error {error:.1e}, for {worst} "
            f"(above {limit}: look again).")


# ---------------------------------------------------------------------------------------
# The registry, checking, progress
# ---------------------------------------------------------------------------------------

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
    """Check the learner's ``answer`` to exercise ``name`` and say what is right or wrong.
    Never raises for an answer, only for an unknown ``name`` (ValueError)."""
    result = judge(name, answer)
    _record(result)
    return result


def judge(name: str, answer) -> CheckResult:
    """The verdict of ``check``, recorded nowhere: what the grader calls, in its own process, on a
    proxy of the learner's function."""
    ex = get(name)
    try:
        if answer is None or answer is Ellipsis or is_placeholder(answer):
            raise NotAttempted()
        praise = ex.checker(answer)
        result = CheckResult(name, "correct", praise or "Well done.")
    except NotAttempted:
        result = CheckResult(name, "not attempted",
                             "Replace the placeholder (`raise NotImplementedError` or `...`) with your answer, "
                             "run that cell, then this one.")
    except Mistake as err:
        result = CheckResult(name, "wrong", str(err))
    except Exception as err:  # a checker tripped over an odd answer: still one line, never a traceback
        result = CheckResult(name, "wrong", f"the check could not use your answer ({_one_line(err)}).")
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
