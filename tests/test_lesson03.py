"""Lesson 3: the exercise checkers (accept the solution, explain the usual mistakes) and the widget."""

import warnings

import matplotlib
import numpy as np
import pytest
from learner_copies import typed

from rnn_course.exercises import check
from rnn_course.exercises import lesson03 as ex
from rnn_course.widgets import gradient_flow as gw

matplotlib.use("Agg")


def _wrong(name, answer, *phrases):
    result = check(name, answer)
    assert result.status == "wrong", result
    for phrase in phrases:
        assert phrase in result.message, result.message
    return result


# --- 03.step_jacobian ---------------------------------------------------------------------------


def test_step_jacobian_accepts_the_reference_and_an_explicit_diag_product():
    assert check("03.step_jacobian", typed(ex.step_jacobian)).passed
    assert check("03.step_jacobian", lambda W, h: np.diag(1 - h**2) @ W).passed


@pytest.mark.parametrize("answer, phrase", [
    (lambda W, h: W @ np.diag(1 - h**2), "columns"),
    (lambda W, h: np.diag(1 - h**2) @ W.T, "transposed"),
    (lambda W, h: W.T @ np.diag(1 - h**2), "transposed"),                 # J^T, what the backward pass uses
    (lambda W, h: W.copy(), "derivative 1 - h_t^2 is missing"),
    (lambda W, h: (1 - h)[:, None] * W, "squared"),
    (lambda W, h: (1 - np.tanh(h) ** 2)[:, None] * W, "a second time"),
    (lambda W, h: np.diag(1 - h**2) * W, "only the diagonal"),
    (lambda W, h: 2 * W, "differs from the expected one"),
    (lambda W, h: (1 - h**2) * W[0], "shape"),
])
def test_step_jacobian_explains_the_usual_mistakes(answer, phrase):
    _wrong("03.step_jacobian", answer, phrase)


# --- 03.predict_vanishing -----------------------------------------------------------------------


GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}


def _sv(W):
    return np.linalg.svd(W, compute_uv=False)


def test_predict_vanishing_accepts_the_reference_and_other_correct_forms():
    result = check("03.predict_vanishing", typed(ex.predict_vanishing))
    assert result.passed and "may" in result.message
    assert check("03.predict_vanishing", lambda W, a: GAMMA[a] * np.linalg.norm(W, 2) < 1).passed


@pytest.mark.parametrize("answer, phrases", [
    (lambda W, a: bool(GAMMA[a] * np.max(np.abs(np.linalg.eigvals(W))) < 1), ("eigenvalues", "spectral radius")),
    (lambda W, a: bool(_sv(W)[0] < 1), ("gamma is missing", "never reaches 1")),
    (lambda W, a: bool(GAMMA[a] * _sv(W)[0] <= 1), ("strict",)),
    (lambda W, a: bool({"sigmoid": 0.5}.get(a, 1.0) * _sv(W)[0] < 1), ("gamma for the sigmoid is wrong",
                                                                     "where is p (1 - p) largest")),
    (lambda W, a: bool({"sigmoid": 4.0}.get(a, 1.0) * _sv(W)[0] < 1), ("gamma for the sigmoid is upside down",)),
    (lambda W, a: bool({"relu": 0.0}.get(a, GAMMA[a]) * _sv(W)[0] < 1), ("gamma for ReLU is wrong",)),
    (lambda W, a: bool(0.25 * _sv(W)[0] < 1), ("not the same for every activation",)),
    (lambda W, a: bool(GAMMA[a] * np.linalg.norm(W) < 1), ("Frobenius",)),
    (lambda W, a: bool(GAMMA[a] * _sv(W).mean() < 1), ("only the largest matters",)),
    (lambda W, a: bool(GAMMA[a] * _sv(W)[-1] < 1), ("only the largest matters", "smallest")),
    (lambda W, a: bool(GAMMA[a] * np.max(W) < 1), ("never negative",)),
    (lambda W, a: "vanishes", ("True or False",)),
    (lambda W, a: float(_sv(W)[0]), ("True or False",)),
    (lambda W, a: True, ("expected False", "you said True")),
    (lambda W, a: a == "sigmoid", ("expected True", "you said False")),
])
def test_predict_vanishing_explains_the_usual_mistakes(answer, phrases):
    _wrong("03.predict_vanishing", answer, *phrases)


def test_predict_vanishing_cases_cover_both_answers_and_every_activation():
    cases = ex._vanishing_cases()
    answers = {ex.predict_vanishing(W, a) for W, a, _ in cases}
    assert answers == {True, False}
    assert {a for _, a, _ in cases} == {"tanh", "relu", "sigmoid"}


# --- 03.clip_grad_norm --------------------------------------------------------------------------


def test_clip_grad_norm_accepts_the_reference_and_rejects_the_package_version():
    from rnn_course.optim import clip_grad_norm

    assert check("03.clip_grad_norm", typed(ex.clip_grad_norm)).passed
    borrowed = check("03.clip_grad_norm", clip_grad_norm)
    assert borrowed.status == "wrong" and borrowed.message == (
        "your function calls rnn_course.optim.clip_grad_norm, the course's own; write the computation yourself.")


def _per_array(grads, c):
    return {k: g * min(1.0, c / np.linalg.norm(g)) for k, g in grads.items()}, \
        np.sqrt(sum(np.sum(g**2) for g in grads.values()))


def _elementwise(grads, c):
    return {k: np.clip(g, -c, c) for k, g in grads.items()}, np.sqrt(sum(np.sum(g**2) for g in grads.values()))


def _in_place(grads, c):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    if norm >= c:
        for g in grads.values():
            g *= c / norm
    return grads, norm


def _norm_after(grads, c):
    clipped, _ = ex.clip_grad_norm(grads, c)
    return clipped, np.sqrt(sum(np.sum(g**2) for g in clipped.values()))


def _always_rescale(grads, c):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: g * (c / norm) for k, g in grads.items()}, norm


def _max_abs_norm(grads, c):
    norm = max(np.abs(g).max() for g in grads.values())
    return {k: g * min(1.0, c / norm) for k, g in grads.items()}, norm


@pytest.mark.parametrize("answer, phrase", [
    (_per_array, "each gradient by its own norm"),
    (_elementwise, "np.clip"),
    (_in_place, "in place"),
    (_norm_after, "before"),
    (_always_rescale, "only ever shrinks"),
    (_max_abs_norm, "sum of squares"),
    (lambda grads, c: grads, "a pair"),
])
def test_clip_grad_norm_explains_the_usual_mistakes(answer, phrase):
    _wrong("03.clip_grad_norm", answer, phrase)


# --- the widget ---------------------------------------------------------------------------------


@pytest.fixture
def widget():
    w = gw.gradient_flow_widget(scale=1.0, T=40, activation="tanh", input_scale=0.1)
    yield w


def test_widget_exposes_its_sliders_and_draws_its_data(widget):
    assert set(widget.sliders) == {"scale", "T", "input_scale", "activation"}
    np.testing.assert_array_equal(widget.norm_line.get_ydata(), widget.data["norms"])
    assert widget.data["heat"].shape == (gw.HIDDEN_SIZE, 40)
    assert widget.live.widget.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_raising_the_scale_makes_the_far_gradient_grow(widget):
    before_far, before_png, renders = widget.data["norms"][-1], widget.live.widget.value, widget.live.renders
    widget.sliders["scale"].value = 1.5
    assert widget.data["norms"][-1] > 100 * before_far
    assert widget.data["bound"][1] == pytest.approx(1.5)
    np.testing.assert_allclose(widget.bound_line.get_ydata(), 1.5 ** np.arange(40))
    assert widget.live.renders == renders + 1 and widget.live.widget.value != before_png
    assert widget.data["heat"][:, -1].mean() > np.log10(before_far)       # the farthest lag, like norms[-1]


def test_length_changes_the_curve_and_the_heat_map(widget):
    widget.sliders["T"].value = 120
    assert len(widget.norm_line.get_xdata()) == 120 and widget.data["heat"].shape == (gw.HIDDEN_SIZE, 120)
    assert widget.image.get_array().shape == (gw.HIDDEN_SIZE, 120)
    assert widget.live.axes[0].get_xlim() == (0, 119)


def test_activation_and_input_size_change_the_measured_rate(widget):
    tanh_rate = widget.data["rate"]
    widget.sliders["activation"].value = "relu"
    assert widget.data["rate"] < tanh_rate - 0.1
    widget.sliders["activation"].value = "tanh"
    widget.sliders["scale"].value = 1.5
    calm = widget.data["rate"]
    widget.sliders["input_scale"].value = 3.0
    assert calm > 1.0 > widget.data["rate"]
    assert "saturation" in widget.text.get_text()


@pytest.mark.parametrize("settings", [
    {"scale": 0.1, "T": 200, "input_scale": 3.0, "activation": "tanh"},
    {"scale": 3.0, "T": 200, "input_scale": 0.0, "activation": "relu"},
    {"scale": 3.0, "T": 200, "input_scale": 0.0, "activation": "tanh"},
    {"scale": 0.1, "T": 5, "input_scale": 0.0, "activation": "relu"},
    {"scale": 3.0, "T": 5, "input_scale": 3.0, "activation": "relu"},
])
def test_sliders_at_their_extremes_give_finite_data_and_no_warnings(widget, settings, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for name, value in settings.items():
                widget.sliders[name].value = value
    assert np.all(np.isfinite(widget.data["heat"])) and np.all(np.isfinite(widget.data["norms"]))
    assert np.all(np.isfinite(widget.data["bound"]))
    assert capsys.readouterr().out == ""


def test_static_drawing_matches_the_widget_data():
    import matplotlib.pyplot as plt

    data = gw.flow_data(0.9, 30, "relu", 0.5)
    fig, (a, b) = plt.subplots(1, 2)
    norm_line, bound_line, image = gw.draw_gradient_flow(a, b, data, title="x")
    np.testing.assert_array_equal(norm_line.get_ydata(), data["norms"])
    assert image.get_array().shape == (gw.HIDDEN_SIZE, 30)
    plt.close(fig)


def test_the_widget_displays_as_its_layout_with_a_readable_offline_text():
    from rnn_course.widgets.live import OFFLINE_TEXT
    explorer = gw.gradient_flow_widget(T=20)
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert bundle["text/plain"] == OFFLINE_TEXT


def test_heat_map_columns_run_in_lag_order_like_the_curve():
    data = gw.flow_data(0.5, 30, "tanh", 0.1)
    column_size = (10.0 ** data["heat"]).mean(axis=0)          # per lag, like norms
    assert np.all(np.diff(np.log(column_size)) < 0)            # s = 0.5: shrinks with every step back
    assert np.all(np.diff(np.log(data["norms"])) < 0)


def _lesson03_sources():
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / "03_vanishing_gradients.ipynb"
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]


def test_no_answer_stands_before_its_exercise_in_lesson_3():
    sources = _lesson03_sources()
    jacobian = sources.index('check("03.step_jacobian", step_jacobian)')
    vanishing = sources.index('check("03.predict_vanishing", predict_vanishing)')
    clipping = sources.index('check("03.clip_grad_norm", clip_grad_norm)')
    before = "\n".join(sources[:jacobian])
    assert "step_jacobian(" not in before.replace("def step_jacobian(", "").replace("`step_jacobian(", "")
    assert "diag}\\!\\left(1 - h" not in before and "1 - h_t[i]^2" not in before
    assert "1/4, at" not in "\n".join(sources[:vanishing])
    assert "one long vector" not in "\n".join(sources[:clipping])
    # the lesson goes on with the learner's function, and states the answer right after the exercise
    assert any('learner_or_reference("03.step_jacobian", step_jacobian)' in s for s in sources[jacobian:])
    assert "\\operatorname{diag}\\!\\left(1 - h_t^2\\right) W_{hh}" in sources[jacobian + 2]
