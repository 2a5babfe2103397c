"""The matcher: run the learner's function safely, compare it with the reference, name the mistake.

:func:`diagnose` is the one matcher every array exercise goes through (the order of its
questions is in :mod:`rnn_course.exercises.core`'s docstring). This module also holds what it
needs:

- running the learner's function (:func:`attempt`): copies in, one line out for a crash, naming
  the line of the learner's function where it happened ("line 4 of lstm_forward: `h[t] = ...`",
  the ``def`` line being line 1);
- the borrowed-call guard: while the learner's function runs, a profile hook watches for a call
  into the rnn_course package (a function whose code lives in the package's files, so a copy of
  a package function's ``__code__`` counts too) that the exercise does not ``allow``, and for a
  function compiled from a registered solution's text (``exec(core.solution(...))``: no source
  to show, the reference's bytecode). Either ends the check with one line naming the function;
- tolerances that follow the dtype and the size of the expected values (:func:`tolerances`);
- known mistakes (:func:`known_mistake`), then diagnoses that need no list (:func:`explain`):
  a constant factor, a flipped sign, axes swapped, outputs swapped, an output off by another
  output's expected value, a sequence right up to some step and wrong from there, and which
  outputs are right.

Time steps in messages are counted t = 1 to T, and array index t - 1 holds step t; the
messages say so.
"""

from __future__ import annotations

import ast
import contextvars
import copy
import dis
import inspect
import itertools
import linecache
import os
import re
import sys
import sysconfig
import textwrap
import types
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..gradcheck import gradcheck, relative_error

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)      # .../rnn_course
PACKAGE_NAME = "rnn_course"


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


def sentence(text: str) -> str:
    """``text`` ending with exactly one full stop (or its own ? or !)."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def tidy(text: str) -> str:
    """One line with no doubled full stop and no space before one (``..`` that ends a sentence)."""
    text = " ".join(text.split())
    text = re.sub(r"(?<!\.)\.\.(?=\s|$|\))", ".", text)
    return re.sub(r"(?<=\w) \.(?=\s|$)", ".", text)


class Borrowed(Mistake):
    """The answer is the course's own work (see :func:`borrowed_message`)."""


def borrowed_message(qualname: str) -> str:
    return f"your function calls {qualname}, the course's own; write the computation yourself."


# ---------------------------------------------------------------------------------------
# Where code lives: the package, libraries, or the learner
# ---------------------------------------------------------------------------------------

_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))
_KINDS: dict = {}


def code_kind(filename: str) -> str:
    """"package" (a file of rnn_course), "library" (Python's or an installed package's, or
    frozen) or "learner" (anything else: a notebook cell, a script, exec'd text)."""
    kind = _KINDS.get(filename)
    if kind is None:
        if filename.startswith("<frozen"):
            kind = "library"
        elif filename.startswith("<"):
            kind = "learner"
        else:
            real = os.path.realpath(filename)
            kind = ("package" if real.startswith(PACKAGE_DIR + os.sep) else
                    "library" if real.startswith(_LIBRARY_DIRS) else "learner")
        _KINDS[filename] = kind
    return kind


def package_qualname(code: types.CodeType) -> str:
    """``rnn_course.lstm.backward`` for the code of :func:`rnn_course.lstm.backward`."""
    rel = os.path.relpath(os.path.realpath(code.co_filename), PACKAGE_DIR)
    parts = [PACKAGE_NAME, *Path(rel).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) + "." + getattr(code, "co_qualname", code.co_name)


def is_allowed(qualname: str, allow: Sequence[str]) -> bool:
    """An allowed name covers itself and what is defined inside it (a module, a class)."""
    return any(qualname == a or qualname.startswith(a + ".") for a in allow)


def _fingerprint(code: types.CodeType):
    """What a function compiled from the same text has in common, wherever it was compiled."""
    consts = tuple(_fingerprint(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts)
    return code.co_name, code.co_names, code.co_varnames, consts, sum(1 for _ in dis.get_instructions(code))


_SOLUTION_PRINTS: dict = {}    # fingerprint -> full name of a registered solution


def register_solution(fn) -> None:
    """Remember a registered solution's bytecode, to recognise a copy compiled from its text."""
    code = getattr(fn, "__code__", None)
    if code is not None and code_kind(code.co_filename) == "package":
        _SOLUTION_PRINTS.setdefault(_fingerprint(code), package_qualname(code))


def _has_source(code: types.CodeType) -> bool:
    return bool(linecache.getlines(code.co_filename)) or os.path.isfile(code.co_filename)


def solution_copy(code: types.CodeType) -> str | None:
    """The registered solution that ``code`` was compiled from (by exec, with no source to show)."""
    if not _SOLUTION_PRINTS or _has_source(code):
        return None
    return _SOLUTION_PRINTS.get(_fingerprint(code))


def _unwrap(answer):
    """The Python function behind ``answer`` (a partial, a method, np.vectorize, a callable object)."""
    for _ in range(10):
        if isinstance(answer, types.FunctionType):
            return answer
        inner = (getattr(answer, "func", None) or getattr(answer, "__func__", None) or getattr(answer, "pyfunc", None)
                 or getattr(answer, "__wrapped__", None))
        if inner is None:
            call = vars(type(answer)).get("__call__")
            return call if isinstance(call, types.FunctionType) else None
        answer = inner
    return None


def borrowed_answer(answer, allow: Sequence[str] = ()) -> str | None:
    """The full name of the course's function that ``answer`` itself is, if it is one."""
    if getattr(type(answer), "__rnn_course_placeholder__", None) is not None:
        return None             # a proxy of a function that ran elsewhere: the sandbox watches it
    fn = _unwrap(answer)
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    if code_kind(code.co_filename) == "package":
        name = package_qualname(code)
        return None if is_allowed(name, allow) else name
    return solution_copy(code)


#: The package functions the learner's function may call, set by ``judge`` for its exercise.
ALLOWED: contextvars.ContextVar = contextvars.ContextVar("rnn_course_allowed_calls", default=())
#: The course's functions the learner's function called during one ``judge`` (None outside one:
#: then :func:`attempt` itself fails the call).
BORROWED: contextvars.ContextVar = contextvars.ContextVar("rnn_course_borrowed_calls", default=None)


def note_borrowed(qualname: str) -> None:
    """Remember that the answer being judged uses the course's ``qualname``; outside ``judge``, fail now.

    Inside ``judge`` the check goes on, so an answer that is wrong anyway (built on one of the
    course's mistake simulators, say) still has its mistake named; an answer that would pass
    fails with :func:`borrowed_message` instead.
    """
    found = BORROWED.get()
    if found is None:
        raise Borrowed(borrowed_message(qualname))
    if qualname not in found:
        found.append(qualname)


class _Guard:
    """A profile hook, installed only while the learner's function runs: the first call that the
    learner's own code makes into the package (not allowed) or into a copy of a solution. It only
    takes note; the calls inside such a function are not looked at."""

    def __init__(self, allow, boundary):
        self.allow, self.boundary, self.found, self.seen = tuple(allow), boundary, None, set()

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        kind = code_kind(code.co_filename)
        if kind == "package":
            caller = frame.f_back
            while (caller is not None and caller is not self.boundary
                   and code_kind(caller.f_code.co_filename) == "library"):
                caller = caller.f_back
            if caller is None or caller is self.boundary or code_kind(caller.f_code.co_filename) != "learner":
                return          # the check's own wrapper, or a call inside an allowed function
            name = package_qualname(code)
            if is_allowed(name, self.allow):
                return
        elif kind == "learner" and code not in self.seen:
            self.seen.add(code)
            name = solution_copy(code)
            if name is None:
                return
        else:
            return
        if self.found is None:
            self.found = name


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


def source_of(fn) -> str:
    """The source code of the learner's ``fn``, dedented; "" where Python cannot find it."""
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return ""


def _function_body(fn):
    """The statements of ``fn``'s body, parsed from its source; None if the source is not available."""
    try:
        tree = ast.parse(source_of(fn))
    except (SyntaxError, IndentationError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.__name__:
            return node.body
    return None


def one_line(err: Exception) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:200]}" if text else type(err).__name__


def crash_site(tb) -> str:
    """Where in the learner's own code a traceback ends: "line 4 of lstm_forward: `h[t] = ...`",
    counting the ``def`` line as line 1; "" if no frame of it is the learner's."""
    site = None
    while tb is not None:
        if code_kind(tb.tb_frame.f_code.co_filename) == "learner":
            site = (tb.tb_frame.f_code, tb.tb_lineno)
        tb = tb.tb_next
    if site is None:
        return ""
    code, lineno = site
    name = "your lambda" if code.co_name == "<lambda>" else code.co_name
    where = f"line {lineno - code.co_firstlineno + 1} of {name}"
    text = linecache.getline(code.co_filename, lineno).strip()
    return f"{where}: `{text}`" if text else where


def _run(answer, args, kwargs, verb: str):
    if answer is None or answer is Ellipsis or is_placeholder(answer):
        raise NotAttempted()
    if not callable(answer):
        raise Mistake(f"expected a function, got {type(answer).__name__}; pass the function itself, "
                      "without calling it.")
    guard = None
    previous = sys.getprofile()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if getattr(type(answer), "__rnn_course_placeholder__", None) is None:
                guard = _Guard(ALLOWED.get(), sys._getframe())
                sys.setprofile(guard)
            try:
                value = answer(*args, **kwargs)
            finally:
                if guard is not None:
                    sys.setprofile(previous)
    except BorrowedCall as err:
        raise Borrowed(borrowed_message(err.qualname)) from None
    except LearnerError as err:
        if err.type_name == "NotImplementedError":
            raise NotAttempted() from None
        text = f"{err.type_name}: {_plain(' '.join(str(err.text).split()))[:200]}" if err.text else err.type_name
        raise Mistake(f"{verb} raised {text}" + (f" ({err.where})" if err.where else "") + _why(text)) from None
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as err:  # the learner's code failed: say how, as a wrong answer
        where = crash_site(err.__traceback__)
        text = _plain(one_line(err))
        raise Mistake(f"{verb} raised {text}" + (f" ({where})" if where else "") + _why(text)) from None
    if guard is not None and guard.found:
        note_borrowed(guard.found)
    return value


def attempt(answer, *args, **kwargs):
    """Call the learner's function (as given: pass copies yourself), turning the placeholder
    into :class:`NotAttempted`, a call of the course's own functions into a :class:`Mistake`
    naming it, and any crash into a :class:`Mistake` that names the error and its line."""
    return _run(answer, args, kwargs, "your code")


def require_array(got, shape, what: str) -> np.ndarray:
    """The answer must be an array of ``shape``; otherwise a Mistake naming both shapes."""
    if got is None:
        raise Mistake(f"{what} returned None; did you forget to `return` the result?")
    arr = numbers(got, what)
    if arr.shape != tuple(shape):
        raise Mistake(f"{what} has shape {arr.shape}, expected {tuple(shape)}.")
    if not np.all(np.isfinite(arr)):
        raise Mistake(f"{what} contains NaN or infinity.")
    return arr


def _holds(arr: np.ndarray) -> str:
    if arr.dtype.kind in "US":
        return f"it is an array of strings (dtype {arr.dtype})"
    if arr.dtype.kind == "O":
        kinds = sorted({type(v).__name__ for v in arr.ravel()[:50]})
        return (f"it is an array of Python objects (dtype object, holding {', '.join(kinds)}): arrays of different "
                "shapes, or None, inside a list")
    if arr.dtype.kind == "c":
        return f"it holds complex numbers (dtype {arr.dtype})"
    return f"it is an array of dtype {arr.dtype}"


def numbers(value, what: str) -> np.ndarray:
    """``value`` as an array of numbers (a list or tuple of numbers is fine), else a Mistake."""
    if value is None:
        raise Mistake(f"{what} is None; did you forget to `return` it?")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        raise Mistake(f"{what} should be an array of numbers; it is a {type(value).__name__} that NumPy cannot turn "
                      "into one array (parts of different shapes?).") from None
    if arr.dtype.kind not in "biuf":
        seen = "" if isinstance(value, np.ndarray) else f"a {type(value).__name__}; as an array "
        raise Mistake(f"{what} should be an array of numbers; {seen}{_holds(arr)}.")
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


def same(a, b) -> bool:
    """Equal, element by element (NaN equals NaN), through dicts, lists and tuples."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:
        return a is b


# ---------------------------------------------------------------------------------------
# Tolerances that follow the dtype and the size of the values
# ---------------------------------------------------------------------------------------

#: How many rounding steps of the answer's float type two right computations may differ by
#: (relative to the largest expected value): a float32 recurrence over a few steps stays well inside.
ROUNDING_STEPS = 64


def tolerances(expected: np.ndarray, rtol: float = 1e-6, atol: float = 1e-8, got: np.ndarray | None = None):
    """``(rtol, atol)`` for comparing with ``expected``: at least ROUNDING_STEPS rounding steps of the
    coarsest float involved, and an absolute part scaled by the largest expected value, so an
    entry near zero in an array of large values is held to the array's precision."""
    eps = max((np.finfo(a.dtype).eps for a in (expected, got) if a is not None and a.dtype.kind == "f"),
              default=np.finfo(np.float64).eps)
    rtol = max(rtol, ROUNDING_STEPS * float(eps))
    scale = float(np.max(np.abs(expected))) if expected.size and np.all(np.isfinite(expected)) else 0.0
    return rtol, max(atol, rtol * scale)


def close(got, expected, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """``got`` equals ``expected`` to the tolerances of :func:`tolerances`."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return False
    r, a = tolerances(expected, rtol, atol, got)
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=r, atol=a))


def _value_text(v) -> str:
    """One entry as the learner reads it: -inf is named as the impossible state it stands for."""
    v = float(v)
    if v == -np.inf:
        return "-inf (an impossible state)"
    if v == np.inf:
        return "+inf"
    return "NaN" if np.isnan(v) else f"{v:.4g}"


def _error_text(g: np.ndarray, e: np.ndarray) -> str:
    """ "relative error 0.031" over the entries where both are finite, "" when an infinity differs
    (a relative error of NaN says nothing)."""
    g, e = g.astype(np.float64), e.astype(np.float64)
    both_inf = np.isinf(g) & np.isinf(e) & (g == e)
    g, e = g[~both_inf], e[~both_inf]
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(e))):
        return ""
    return f"relative error {relative_error(g, e):.2g}"


def _argument_names(solution, n: int) -> list:
    try:
        names = list(inspect.signature(solution).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(n)]


def _matching_mistake(got: list, args, mistakes, outputs, rtol, atol) -> str | None:
    """The explanation of the first known mistake whose every output equals ``got``."""
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrong = _split(mistake.compute(*copy.deepcopy(args)), outputs, "a known mistake")
            wrong = [np.asarray(w) for w in wrong]
        except Exception:  # a mistake that does not apply to these arguments
            continue
        if len(wrong) == len(got) and all(close(g, w, rtol, atol) for g, w in zip(got, wrong)):
            return mistake.explanation
    return None


def match_mistake(got, args, mistakes, outputs=None, *, rtol=1e-6, atol=1e-8) -> str | None:
    """For custom checkers: the explanation of the first KnownMistake whose result on ``args``
    equals ``got`` (the learner's result, already computed), or None."""
    try:
        got = [np.asarray(g) for g in _split(got, outputs, "your function")]
    except Mistake:
        return None
    return _matching_mistake(got, args, mistakes, outputs, rtol, atol)


# ---------------------------------------------------------------------------------------
# Diagnoses that need no list
# ---------------------------------------------------------------------------------------

#: The letters of the course's shapes, from the arguments' names: (name, ndim) -> letter per axis.
_AXES = {("x", 3): "TBD", ("dh", 3): "TBH", ("h", 3): "TBH", ("dc", 3): "TBH",
         ("x_t", 2): "BD", ("h0", 2): "BH", ("c0", 2): "BH", ("h_prev", 2): "BH", ("c_prev", 2): "BH",
         ("h_t", 2): "BH", ("dh_t", 2): "BH", ("dc_t", 2): "BH", ("X", 2): "ND", ("dA", 2): "NH", ("A", 2): "NH",
         ("logits", 2): "NC", ("targets", 1): "N", ("W", 2): "HD", ("W_xh", 2): "HD", ("W_hh", 2): "HH"}


class Shapes(NamedTuple):
    """What the diagnoses know of a case: the size of each letter (T, B, N, H, D, C) and T if
    the case is a sequence (time-major, first axis T)."""

    sizes: dict
    T: int | None


def read_shapes(args, arg_names) -> Shapes:
    sizes = {}
    for name, value in zip(arg_names, args):
        shape = np.shape(value) if isinstance(value, np.ndarray) else None
        letters = _AXES.get((name, len(shape))) if shape is not None else None
        for letter, size in zip(letters or "", shape or ()):
            sizes.setdefault(letter, size)
    return Shapes(sizes, sizes.get("T"))


def _letters(size: int, sizes: dict) -> list:
    """The letters whose size is ``size``; none for 2, too common a factor to blame on a size."""
    return [letter for letter, n in sizes.items() if n == size and n > 2]


def _steps(ts: list) -> str:
    """"5 and 4", "5, 4 and 3", "5 down to 2" (1-based steps in the order given)."""
    ts = list(ts)
    if len(ts) == 1:
        return str(ts[0])
    if len(ts) <= 3:
        return ", ".join(map(str, ts[:-1])) + f" and {ts[-1]}"
    return f"{ts[0]} {'down' if ts[0] > ts[-1] else 'up'} to {ts[-1]}"


def _factor(g: np.ndarray, e: np.ndarray, rtol, atol) -> float | None:
    """The constant k with g = k e, if there is one (and it is not 1)."""
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(g))):
        return None
    denom = float(np.sum(e.astype(np.float64) ** 2))
    if denom == 0.0 or not np.any(np.abs(e) > tolerances(e, rtol, atol)[1]):
        return None
    k = float(np.sum(g.astype(np.float64) * e) / denom)
    if abs(k - 1) < 1e-9 or not np.isfinite(k) or k == 0 or not close(g, k * e, rtol, atol):
        return None
    return k


def _factor_text(name: str, k: float, shapes: Shapes) -> str:
    if abs(k + 1) < 1e-6:
        return f"{name} has the sign flipped: it is exactly -1 times the expected values; check the sign of each term"
    sign = "minus " if k < 0 else ""
    size = abs(k)
    frac = Fraction(size).limit_denominator(1000)
    if abs(float(frac) - size) > 1e-6 * size:
        return (f"{name} is exactly {k:.4g} times the expected values: a constant factor is off (an extra or a "
                "missing scale)")
    num, den = frac.numerator, frac.denominator
    shown = f"{sign}{num}/{den}" if den > 1 else f"{sign}{num}"
    if num == 1 and den > 1:
        text = f"{name} is exactly {shown} of the expected values"
        named = _letters(den, shapes.sizes)
        squared = [letter for letter, n in shapes.sizes.items() if n > 1 and n * n == den]
        if named:
            text += f" (1/{named[0]}, {named[0]} = {den}): did you divide by {named[0]} (a mean) where a sum belongs?"
        elif squared:
            letter = squared[0]
            text += f" (1/{letter}^2, {letter} = {shapes.sizes[letter]}): did you divide by {letter} twice?"
        else:
            text += f": where does a factor 1/{den} come in?"
        return text
    if den == 1:
        text = f"{name} is exactly {shown} times the expected values"
        named = _letters(num, shapes.sizes)
        if named:
            return (text + f" ({named[0]} = {num}): did you sum over {named[0]} where a mean belongs, or forget to "
                           f"divide by {named[0]}?")
        return text + f": where does a factor {num} come in?"
    return f"{name} is exactly {shown} times the expected values: a constant factor is off"


def _sequence_text(name: str, g: np.ndarray, e: np.ndarray, T: int, direction: str, rtol, atol) -> str | None:
    """Which steps of a time-major output are right, if some are and some are not."""
    r, a = tolerances(e, rtol, atol, g)
    ok = [bool(np.allclose(g[t].astype(np.float64), e[t], rtol=r, atol=a)) for t in range(T)]
    if all(ok) or not any(ok):
        return None
    wrong = [t + 1 for t in range(T) if not ok[t]]
    index = "(steps t = 1 to T; index t - 1 holds step t)"
    if direction == "backward" and ok[-1]:
        first_bad = max(wrong)
        right = list(range(T, first_bad, -1))
        return (f"{name} is right for t = {_steps(right)} and wrong from t = {first_bad} back {index}: look at what "
                f"step {first_bad + 1} sends back to step {first_bad}")
    if direction != "backward" and ok[0]:
        first_bad = min(wrong)
        right = list(range(1, first_bad))
        return (f"{name} is right for t = {_steps(right)} and wrong from t = {first_bad} on {index}: look at what "
                f"step {first_bad - 1} hands on to step {first_bad}")
    return (f"{name} is wrong only at t = {_steps(wrong)} and right at the other steps {index}"
            if len(wrong) < T - 1 else None)


def _axes_text(name: str, g: np.ndarray, e: np.ndarray, rtol, atol, shapes: Shapes) -> str | None:
    """The expected values with their axes in another order (a transpose)."""
    if g.ndim != e.ndim or g.ndim < 2 or sorted(g.shape) != sorted(e.shape):
        return None
    for perm in itertools.permutations(range(e.ndim)):
        if perm == tuple(range(e.ndim)):
            continue
        moved = np.transpose(e, perm)
        if moved.shape != g.shape or not close(g, moved, rtol, atol):
            continue
        if g.shape == e.shape:
            return f"{name} is the expected {name} transposed"
        lookup = {n: letter for letter, n in reversed(list(shapes.sizes.items()))}
        start = f"{name} has shape {g.shape}, expected {e.shape}"
        if all(n in lookup for n in e.shape) and len({lookup[n] for n in e.shape}) == e.ndim:
            yours = ", ".join(lookup[e.shape[p]] for p in perm)
            wanted = ", ".join(lookup[n] for n in e.shape)
            return f"{start}: the right values transposed, axes ({yours}) instead of ({wanted})"
        if g.ndim == 2:
            return f"{start}: it is the expected {name} transposed"
        return f"{start}: the right values with the axes in another order (transposed)"
    return None


def argument_slip(got: list, solution, args, arg_names, outputs, rtol, atol) -> str | None:
    """The learner's result, if it is the reference's on one changed argument: left out (zeros),
    transposed (a square weight), or a sequence read in reverse (time-major ``x``)."""
    def reference_with(k, value):
        changed = list(copy.deepcopy(args))
        changed[k] = value
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [np.asarray(v) for v in _split(solution(*changed), outputs, "the reference")]

    def matches(values):
        return len(values) == len(got) and all(close(g, v, rtol, atol) for g, v in zip(got, values))

    for k, (name, value) in enumerate(zip(arg_names, args)):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or not np.any(value):
            continue
        tries = [(np.zeros_like(value), f"your result is what the reference gives with {name} set to zeros: did you "
                                        f"leave out {name} (or start from zeros instead of it)?")]
        if value.ndim == 2 and value.shape[0] == value.shape[1]:
            tries.append((value.T.copy(), f"your result is what the reference gives with {name} transposed: use "
                                          f"{name} as given (row i holds the weights into unit i)."))
        for changed, text in tries:
            try:
                if matches(reference_with(k, changed)):
                    return text
            except Exception:   # the reference cannot run on that change: not this slip
                continue
        if name == "x" and value.ndim == 3 and len(value) > 1:
            try:
                values = reference_with(k, value[::-1].copy())
            except Exception:
                continue
            if matches([v[::-1] if v.ndim and len(v) == len(value) else v for v in values]):
                return ("your loop runs through the steps in reverse: step t = 1 reads x[0] and hands its state on "
                        "to step 2; loop over t = 0, 1, ..., T - 1 (index t - 1 holds step t).")
    return None


def explain(labels, got: list, expected: list, rtol, atol, shapes: Shapes, direction: str = "forward") -> str:
    """A one-line cause for outputs that are wrong, found without a list of mistakes (infinities in
    the values, such as -inf for an impossible state, raise no warnings)."""
    with np.errstate(all="ignore"):
        return _explain(labels, got, expected, rtol, atol, shapes, direction)


def _explain(labels, got: list, expected: list, rtol, atol, shapes: Shapes, direction: str) -> str:
    wrong = [i for i, (g, e) in enumerate(zip(got, expected)) if not close(g, e, rtol, atol)]
    right = [labels[i] for i in range(len(got)) if i not in wrong]
    factors = {i: _factor(got[i], expected[i], rtol, atol) for i in wrong if got[i].shape == expected[i].shape}
    ks = [factors.get(i) for i in wrong]
    if len(wrong) > 1 and all(k is not None for k in ks) and max(ks) - min(ks) < 1e-6 * max(abs(k) for k in ks):
        return sentence(_factor_text("every output", ks[0], shapes))
    parts, unexplained = [], []
    for i in wrong:
        name, g, e = labels[i], got[i], expected[i]
        text = None
        for j, other in enumerate(expected):
            if j != i and other.shape == g.shape and close(g, other, rtol, atol) and not close(e, other, rtol, atol):
                order = ", ".join(labels)
                text = f"{name} holds what {labels[j]} should: return them in the order {order}"
                break
        if text is None:
            text = _axes_text(name, g, e, rtol, atol, shapes)
        if text is None and factors.get(i) is not None:
            text = _factor_text(name, factors[i], shapes)
        if text is None:
            for j, other in enumerate(expected):
                if j == i or other.shape != g.shape or not np.any(other):
                    continue
                for sign, how in ((1, "plus"), (-1, "minus")):
                    if close(g, e + sign * other, rtol, atol):
                        text = (f"{name} is the expected {name} {how} the expected {labels[j]}: "
                                f"{labels[j]}'s share does not belong in {name}")
                        break
                if text:
                    break
        if text is None and g.shape == e.shape and not np.any(g) and np.any(e):
            text = f"{name} is all zeros; did you return an array before filling it in?"
        if text is None and shapes.T and g.shape == e.shape and g.ndim >= 2 and g.shape[0] == shapes.T > 1:
            text = _sequence_text(name, g, e, shapes.T, direction, rtol, atol)
        if text is None:
            unexplained.append(i)
            if g.shape == e.shape:
                error = _error_text(g, e)
                text = f"{name} is off ({error})" if error else f"{name} is off"
            else:
                text = f"{name} has shape {g.shape}, expected {e.shape}"
        parts.append(text)
    if unexplained and len(unexplained) < len(wrong):     # name the causes found; the rest may follow from them
        parts = [part for i, part in zip(wrong, parts) if i not in unexplained]
        rest = [labels[i] for i in unexplained]
        parts.append(f"{', '.join(rest)} {'is' if len(rest) == 1 else 'are'} off as well (fix the above first: "
                     f"{'it' if len(rest) == 1 else 'they'} may follow from it)")
    text = "; ".join(parts)
    if right:
        text += f"; {', '.join(right)} {'is' if len(right) == 1 else 'are'} right"
    return sentence(text)


# ---------------------------------------------------------------------------------------
# The one matcher
# ---------------------------------------------------------------------------------------

def _reordered(got, expected, labels, rtol, atol) -> str | None:
    """A sentence when the outputs are all right but returned in another order (``db, dW, dX`` for
    ``dX, dW, db``), else None."""
    import itertools

    if len(got) < 2 or len(got) > 6 or all(close(g, e, rtol, atol) for g, e in zip(got, expected)):
        return None
    for order in itertools.permutations(range(len(got))):
        if order != tuple(range(len(got))) and all(close(got[k], expected[i], rtol, atol) for i, k in enumerate(order)):
            yours = [None] * len(got)
            for i, k in enumerate(order):
                yours[k] = labels[i]
            return (f"your values are right but in another order: you returned {', '.join(yours)}; return "
                    f"{', '.join(labels)}, in that order.")
    return None


_MATMUL_MISMATCH = re.compile(r"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                              r"signature \S+ \(size (\d+) is different from (\d+)\)")


def _plain(crash: str) -> str:
    """NumPy's wording of a crash, with a matrix product's gufunc jargon put in the course's words."""
    return _MATMUL_MISMATCH.sub(r"a matrix product A @ B needs A's last size to equal B's first; here A's last "
                                r"size was \2 and B's first \1", crash)


def _why(crash: str) -> str:
    """What a crash usually means, when NumPy's own words do not say it ("" when there is nothing to add)."""
    if "inhomogeneous" in crash:
        return (": NumPy could not make one array of a list whose items differ in shape. Arrays of different "
                "shapes (such as the gradients of different weights) must be handled one by one; and if you kept a "
                "whole output, such as a (1, 1) array, where a number belongs, take the number out (y[0, 0])")
    return ""


def _pair_returned(value, expected, name: str) -> None:
    """A Mistake when ``value`` is a tuple or list of which exactly one item has the expected shape and the
    others do not stack with it: a course function's ``(result, cache)`` returned whole, or reversed."""
    if not isinstance(value, tuple | list) or len(value) < 2 or not expected.shape:
        return
    fits = [isinstance(v, np.ndarray) and v.shape == expected.shape for v in value]
    if sum(fits) != 1 or all(isinstance(v, np.ndarray) and v.shape == value[0].shape for v in value):
        return       # no such item, or a list of equal arrays: NumPy stacks it, and the shape check speaks
    raise Mistake(f"{name} is a {type(value).__name__} of {len(value)} items, one of which has the expected shape "
                  f"{expected.shape}: a function such as gru.forward returns a pair (h, cache); take h out of it "
                  "first, h, _ = gru.forward(...).")


def diagnose(answer, solution, args, mistakes=(), outputs=None, *, rtol=1e-6, atol=1e-8, hint: str = "",
             direction: str = "forward") -> None:
    """The one matcher: return None if ``answer(*args)`` equals ``solution(*args)``, else raise
    :class:`NotAttempted` or a one-line :class:`Mistake` (the order is in :mod:`.core`'s docstring).

    ``outputs`` names the returned arrays (None: a single array); ``hint``, if given, is added
    to the messages about a crash or a wrong shape (e.g. the shapes of the arguments);
    ``direction`` ("forward" or "backward") says which way a sequence's steps depend on each other.
    """
    args = tuple(args)
    pristine = copy.deepcopy(args)
    given = copy.deepcopy(args)
    extra = f" {hint}" if hint else ""
    try:
        value = _run(answer, given, {}, "your function")
    except Borrowed:
        raise
    except Mistake as err:
        raise Mistake(sentence(str(err)) + extra) from None
    expected = [np.asarray(e) for e in _split(solution(*copy.deepcopy(args)), outputs, "the reference")]
    labels = _labels(outputs)
    raw = _split(value, outputs, "your function")
    for r, e, name in zip(raw, expected, labels):
        _pair_returned(r, e, name)
    got = [numbers(v, name) for v, name in zip(raw, labels)]
    shapes = read_shapes(args, _argument_names(solution, len(args)))
    reordered = _reordered(got, expected, labels, rtol, atol)
    if reordered:       # a known mistake that says more (dh0 and dc0 swapped, with why) goes first
        raise Mistake(_matching_mistake(got, args, mistakes, outputs, rtol, atol) or reordered)
    for name, g, e, r in zip(labels, got, expected, raw):
        if g.shape != e.shape:
            named = _matching_mistake(got, args, mistakes, outputs, rtol, atol)
            if named:
                raise Mistake(named)
            axes = _axes_text(name, g, e, rtol, atol, shapes)
            if axes:
                raise Mistake(sentence(axes))
            flipped = " (transposed?)" if g.ndim > 1 and g.shape == e.shape[::-1] else ""
            raise Mistake(f"{name} has shape {g.shape}, expected {e.shape}{flipped}.{extra}")
        if (isinstance(r, np.ndarray | np.generic) and e.ndim and e.dtype.kind == "f" and g.dtype.kind == "f"
                and g.dtype != e.dtype):    # a single number (a loss) may come as any float, Python's included
            right = bool(np.all(np.isfinite(g))) and close(g.astype(e.dtype), e, rtol, atol)
            raise Mistake(("your values are right; only the dtype differs: " if right else "")
                          + f"{name} has dtype {g.dtype}, expected {e.dtype}, the dtype of the inputs: create new "
                          "arrays with the inputs' dtype (np.zeros_like keeps it; np.eye(C, dtype=...) takes it).")
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(e)):
            what = "NaN" if np.isnan(g).any() else "infinity"
            raise Mistake(f"{name} contains {what}; the expected values are all finite.{extra}")
    for arg_name, before, after in zip(_argument_names(solution, len(args)), pristine, given):
        if not same(before, after):
            raise Mistake(f"your function changed its argument `{arg_name}` in place; compute into a new array "
                          f"instead (your own `{arg_name}` is untouched: the check passes copies).")
    if all(close(g, e, rtol, atol) for g, e in zip(got, expected)):
        return None
    named = _matching_mistake(got, args, mistakes, outputs, rtol, atol)
    if named:
        raise Mistake(named)
    slip = argument_slip(got, solution, args, _argument_names(solution, len(args)), outputs, rtol, atol)
    if slip:
        raise Mistake(slip)
    if outputs is None:
        g, e = got[0], expected[0]
        text = explain(labels, got, expected, rtol, atol, shapes, direction)
        if not text.startswith("your result is off"):
            raise Mistake(text)
        at = _largest_difference(g, e) if e.ndim else ()
        where = f"most off at index {at}, " if e.ndim else ""
        error = _error_text(g, e)
        raise Mistake(f"your result differs from the expected one{f' ({error})' if error else ''}: "
                      f"{where}expected {_value_text(e[at])}, got {_value_text(g[at])}.")
    raise Mistake(explain(labels, got, expected, rtol, atol, shapes, direction))


def _largest_difference(got, expected) -> tuple:
    """The index where ``got`` is furthest from ``expected``: the entry that shows a mistake best (the
    first entry past the tolerance may differ only a little, when the wrong formula nearly agrees there)."""
    g, e = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        gap = np.where(g == e, 0.0, np.abs(g - e))                  # equal infinities are equal
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.nan_to_num(gap, nan=np.inf))), gap.shape))


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
        return f"The gradient check of your function could not run: {sentence(one_line(err))}"
    worst = max(errors, key=errors.get)
    error, limit = errors[worst], f"{threshold:.0e}".replace("e-0", "e-")     # 1e-06 -> 1e-6
    if error < threshold:
        return f"Gradient check of your function: largest relative error {error:.1e} (below {limit}: trust it)."
    return (f"Gradient check of your function: largest relative error {error:.1e}, for {worst} "
            f"(above {limit}: look again).")
