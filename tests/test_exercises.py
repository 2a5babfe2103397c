"""Every exercise: its checker accepts its own solution, says "not attempted" for the
placeholder, and the notebooks show the solution exactly as registered."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from learner_copies import retyped_namespace

from rnn_course.exercises import core, help_markdown

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
EXERCISES = core.all_exercises()


def _placeholder(*args, **kwargs):
    raise NotImplementedError


def _notebook_cells():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            yield path, cell["cell_type"], "".join(cell["source"])


def typed_by_learner(name, folder):
    """The registered solution as a learner would type it from the collapsed block: compiled from its
    text in a file of the learner's (outside the package), with the lesson module's names at hand."""
    ex = EXERCISES[name]
    if not callable(ex.solution):
        return ex.solution
    module = sys.modules[ex.solution.__module__]
    path = folder / f"learner_{name.replace('.', '_')}.py"
    path.write_text(ex.source() + "\n")
    namespace = retyped_namespace(module)
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace[ex.solution.__name__]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes_its_check(name, tmp_path):
    """The solution shown in the notebook, typed into the learner's own cell, passes; the course's own
    function object (the registered solution itself) does not count as the learner's work."""
    ex = EXERCISES[name]
    result = core.check(name, typed_by_learner(name, tmp_path))
    assert result.passed, result
    if callable(ex.solution):
        borrowed = core.check(name, ex.solution)
        assert borrowed.status == "wrong" and "the course's own" in borrowed.message, borrowed


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_placeholder_is_not_attempted_rather_than_a_crash(name):
    placeholder = _placeholder if callable(EXERCISES[name].solution) else ...
    result = core.check(name, placeholder)
    assert result.status == "not attempted", result
    assert "Not attempted yet" in repr(result)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_each_exercise_is_checked_in_a_notebook_with_help_on_request(name):
    cells = list(_notebook_cells())
    call = re.compile(rf"check\(\s*[\"']{re.escape(name)}[\"']")
    checks = [src for _, kind, src in cells if kind == "code" and call.search(src)]
    assert checks, f"no notebook calls check({name!r}, ...)"
    block = help_markdown(name)
    assert any(kind == "markdown" and src.strip() == block for _, kind, src in cells), (
        f"no notebook offers hints and the solution of {name!r}; paste help_markdown({name!r})"
    )


def test_no_notebook_carries_a_reference_solution():
    for path, _kind, src in _notebook_cells():
        assert "Show a solution" not in src, path.name
    for name, ex in EXERCISES.items():
        if callable(ex.solution) and ex.solution_text is None:
            body = ex.source()
            for path, _kind, src in _notebook_cells():
                assert body not in src, f"{path.name} shows the reference solution of {name}"


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise called 'nope'"):
        core.check("nope", None)


def test_a_crashing_answer_is_reported_as_wrong_with_the_error():
    if not EXERCISES:
        pytest.skip("no exercises registered yet")
    name = sorted(EXERCISES)[0]

    def crashes(*args, **kwargs):
        raise ZeroDivisionError("boom")

    result = core.check(name, crashes)
    assert result.status == "wrong" and "ZeroDivisionError: boom" in result.message


# --- the matcher itself: core.diagnose and core.compare_exercise -------------------------------

def _affine(x, w):
    """The toy reference: (N, D) @ (D,) + 1."""
    return x @ w + 1.0


def _affine_pair(x, w):
    return x @ w + 1.0, 2.0 * x


@core.known_mistake("you forgot the + 1.")
def _no_offset(x, w):
    return x @ w


def _args(dtype=float):
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)


def _diagnose(answer, *, outputs=None, solution=_affine, mistakes=(_no_offset,), args=None):
    """The matcher's verdict as (status, message), the way check() would report it."""
    try:
        core.diagnose(answer, solution, args or _args(), mistakes, outputs, rtol=1e-6, atol=1e-8)
    except core.NotAttempted:
        return "not attempted", ""
    except core.Mistake as err:
        return "wrong", str(err)
    return "correct", ""


def test_matcher_accepts_the_right_answer_also_as_a_list():
    assert _diagnose(lambda x, w: x @ w + 1.0)[0] == "correct"
    assert _diagnose(lambda x, w: [float(v) for v in x @ w + 1.0])[0] == "correct"
    assert _diagnose(lambda x, w: (list(x @ w + 1.0), (2.0 * x).tolist()), solution=_affine_pair,
                     outputs=("y", "dx"))[0] == "correct"


def test_matcher_placeholders_are_not_attempted():
    def ellipsis_body(x, w):
        ...

    def pass_body(x, w):
        """Return x @ w + 1."""
        pass

    def raises_not_implemented(x, w):
        raise NotImplementedError

    for answer in (None, ..., ellipsis_body, pass_body, raises_not_implemented, lambda x, w: ...):
        assert _diagnose(answer)[0] == "not attempted", answer


def test_matcher_names_the_exception_in_one_line():
    def crashes(x, w):
        return {}["W"]

    status, message = _diagnose(crashes)
    assert status == "wrong" and message.startswith("your function raised KeyError: 'W'") and "\n" not in message


def test_matcher_none_wrong_shape_and_wrong_count():
    def forgot_return(x, w):
        x @ w + 1.0

    def returns_none(x, w):
        return None

    assert "returned None" in _diagnose(forgot_return)[1]
    assert "returned None" in _diagnose(returns_none)[1]
    assert _diagnose(lambda x, w: np.zeros(3))[1] == "your result has shape (3,), expected (4,)."
    message = _diagnose(lambda x, w: x @ w + 1.0, solution=_affine_pair, outputs=("y", "dx"))[1]
    assert message == "your function should return 2 arrays, in this order: y, dx; it returned one ndarray."
    message = _diagnose(lambda x, w: (x @ w + 1.0, 2.0 * x.T), solution=_affine_pair, outputs=("y", "dx"))[1]
    assert message == "dx has shape (3, 4), expected (4, 3): it is the expected dx transposed."
    message = _diagnose(lambda x, w: (x @ w + 1.0, np.zeros((3, 5))), solution=_affine_pair, outputs=("y", "dx"))[1]
    assert message == "dx has shape (3, 5), expected (4, 3)."


def test_matcher_dtype_nan_and_infinity():
    status, message = _diagnose(lambda x, w: (x @ w + 1.0).astype(np.float64), args=_args(np.float32))
    assert status == "wrong" and "dtype float64, expected float32" in message
    assert _diagnose(lambda x, w: x @ w + 1.0, args=_args(np.float32))[0] == "correct"
    assert "contains NaN" in _diagnose(lambda x, w: np.full(4, np.nan))[1]
    assert "contains infinity" in _diagnose(lambda x, w: np.exp(np.full(4, 1000.0)))[1]


def test_matcher_catches_in_place_changes_and_leaves_the_learners_arrays_alone():
    def scales_x_in_place(x, w):
        x *= 2.0
        return x @ w / 2.0 + 1.0

    x, w = _args()
    before = x.copy()
    status, message = _diagnose(scales_x_in_place, args=(x, w))
    assert status == "wrong" and "changed its argument `x` in place" in message
    np.testing.assert_array_equal(x, before)


def test_matcher_recognises_a_known_mistake_and_names_an_unknown_one_by_output():
    assert _diagnose(lambda x, w: x @ w) == ("wrong", "you forgot the + 1.")
    status, message = _diagnose(lambda x, w: x @ w + 2.0)
    assert status == "wrong" and message.startswith("your result differs from the expected one (relative error")
    status, message = _diagnose(lambda x, w: (x @ w + 1.0, 3.0 * x), solution=_affine_pair, outputs=("y", "dx"))
    assert status == "wrong" and message == "dx is exactly 3/2 times the expected values: a constant factor is off; " \
                                            "y is right."
    status, message = _diagnose(lambda x, w: (x @ w + 1.0, 2.0 * x**2), solution=_affine_pair, outputs=("y", "dx"))
    assert status == "wrong" and message.startswith("dx is off (relative error") and message.endswith("; y is right.")


def test_matcher_a_known_mistake_of_another_shape_is_named():
    transposed = core.KnownMistake(lambda x, w: (x @ w + 1.0, 2.0 * x.T), "dx is transposed: it must be (N, D).")
    message = _diagnose(lambda x, w: (x @ w + 1.0, 2.0 * x.T), solution=_affine_pair, outputs=("y", "dx"),
                        mistakes=(transposed,))[1]
    assert message == "dx is transposed: it must be (N, D)."


def test_compare_exercise_checks_every_case_and_appends_the_after_line():
    def cases():
        return [_args(), (np.ones((2, 5)), np.arange(5.0))]

    try:
        core.compare_exercise("99.toy", "A toy", solution=_affine, cases=cases, mistakes=[_no_offset],
                              praise="x @ w + 1.", after=lambda answer: "And more.")
        assert repr(core.check("99.toy", _affine)) == "[99.toy] Correct! x @ w + 1. And more."
        only_first = core.check("99.toy", lambda x, w: x @ w + 1.0 if len(x) == 4 else x @ w)
        assert only_first.status == "wrong" and only_first.message == "you forgot the + 1."
        crashed = core.check("99.toy", lambda x, w: 1 / 0).message
        assert crashed.startswith("your function raised ZeroDivisionError: division by zero (line 1 of your lambda: `")
    finally:
        core.REGISTRY.pop("99.toy", None)


def test_check_never_raises_for_an_answer_that_is_not_a_function():
    result = core.check(sorted(EXERCISES)[0], 42)
    assert result.status == "wrong"


def test_learner_gradcheck_trusts_a_right_backward_and_flags_a_wrong_one():
    inputs = {"x": np.linspace(-1, 1, 6).reshape(2, 3)}

    def loss(params):
        return float(np.sum(np.tanh(params["x"])))

    def grads(backward, params):
        return {"x": backward(params["x"])}

    right = core.learner_gradcheck(lambda x: 1 - np.tanh(x) ** 2, loss, inputs, grads)
    assert right.startswith("Gradient check of your function: largest relative error") and "trust it" in right
    wrong = core.learner_gradcheck(lambda x: 1 - np.tanh(x), loss, inputs, grads)
    assert "look again" in wrong
    broken = core.learner_gradcheck(lambda x: {}["x"], loss, inputs, grads)
    assert broken == "The gradient check of your function could not run: KeyError: 'x'."


def test_learner_or_reference_picks_the_learners_function_only_once_it_passes(tmp_path):
    from rnn_course.exercises import lesson02

    def placeholder(*args):
        raise NotImplementedError

    function, used = core.learner_or_reference("02.rnn_backward", placeholder)
    assert function is lesson02.rnn_backward
    assert used == "the course's reference solution of 02.rnn_backward, since yours does not pass 02.rnn_backward yet."

    typed = typed_by_learner("02.rnn_backward", tmp_path)

    def mine(*args):
        return typed(*args)

    function, used = core.learner_or_reference("02.rnn_backward", mine, placeholder, "the package's")
    assert function is mine and used == "your mine, which passes 02.rnn_backward."


def test_a_mistyped_name_in_a_notebook_is_one_line_with_the_likely_name(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_cell('from rnn_course.exercises import check, hint\ncheck("02.rnn_stpe", None)')
        shown = capsys.readouterr().out.strip().splitlines()
        assert shown == ["UnknownExercise: there is no exercise called '02.rnn_stpe'; did you mean '02.rnn_step'? "
                         "lesson 02's are " + ", ".join(n for n in core.all_exercises() if n.startswith("02.")) + "."]
        shell.run_cell('hint("nope")')
        shown = capsys.readouterr().out.strip().splitlines()
        assert len(shown) == 1 and "no exercise called 'nope'" in shown[0] and "Traceback" not in shown[0]
    finally:
        InteractiveShell.clear_instance()
