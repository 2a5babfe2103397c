"""Lesson 2: the exercise checkers, the one-unit RNN widget and the unrolled-graph diagram."""

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from learner_copies import typed

from rnn_course import losses, rnn
from rnn_course.activations import sigmoid
from rnn_course.diagrams.unrolled import draw_unrolled
from rnn_course.exercises import check, solution_markdown
from rnn_course.exercises import lesson02 as L
from rnn_course.widgets import rnn_unit

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_rnn_recurrence.ipynb"


def _not_attempted(*_args):
    raise NotImplementedError


def _assert_wrong(name, answer, *phrases):
    result = check(name, answer)
    assert result.status == "wrong", result
    for phrase in phrases:
        assert phrase in result.message, (phrase, result.message)


# --- 02.rnn_step ---------------------------------------------------------------------------


def test_rnn_step_accepts_the_reference_and_equals_the_package():
    assert check("02.rnn_step", typed(L.rnn_step)).status == "correct"
    x, h_prev, W_xh, W_hh, b_h = L._case(5)
    expected, _ = rnn.step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, x, h_prev)
    np.testing.assert_allclose(L.rnn_step(x, h_prev, W_xh, W_hh, b_h), expected, rtol=1e-12)


def test_rnn_step_unattempted_is_not_an_error():
    assert check("02.rnn_step", _not_attempted).status == "not attempted"


@pytest.mark.parametrize("answer, phrases", [
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T), ["forgot the bias"]),
    (lambda x, h, Wx, Wh, b: sigmoid(x @ Wx.T + h @ Wh.T + b), ["sigmoid", "tanh"]),
    (lambda x, h, Wx, Wh, b: np.maximum(x @ Wx.T + h @ Wh.T + b, 0), ["ReLU"]),
    (lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b, ["forgot the tanh"]),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b), ["W_hh is transposed", "square"]),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b), ["recurrent term", "feed-forward"]),
    (lambda x, h, Wx, Wh, b: np.tanh(h @ Wh.T + b), ["never sees the input"]),
    (lambda x, h, Wx, Wh, b: np.tanh(Wx @ x.T + Wh @ h.T + b[:, None]), ["shape (H, B)", "transposed"]),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), ["ValueError", "W_xh (H, D)"]),
    (lambda x, h, Wx, Wh, b: None, ["returned None"]),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T + b)[0], ["shape (4,)", "expected (3, 4)"]),
    (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T) + b, ["after the tanh", "inside"]),
])
def test_rnn_step_explains_typical_mistakes(answer, phrases):
    _assert_wrong("02.rnn_step", answer, *phrases)


# --- 02.rnn_forward ------------------------------------------------------------------------


def test_rnn_forward_accepts_the_reference_and_equals_the_package():
    assert check("02.rnn_forward", typed(L.rnn_forward)).status == "correct"
    assert check("02.rnn_forward", _not_attempted).status == "not attempted"
    x, h0, W_xh, W_hh, b_h = L._case(9, T=6)
    expected, _ = rnn.forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, x, h0)
    np.testing.assert_allclose(L.rnn_forward(x, h0, W_xh, W_hh, b_h), expected, rtol=1e-12)


def _forward_variant(*, carry=True, keep_h0=False, last_only=False, zeros=False, shift=False, act=np.tanh,
                     transpose=False, bias=True):
    def answer(x, h0, W_xh, W_hh, b_h):
        start = np.zeros_like(h0) if zeros else h0
        prev, out = start, []
        Wh = W_hh if transpose else W_hh.T
        for t in range(x.shape[0]):
            new = act(x[t] @ W_xh.T + (prev if carry else start) @ Wh + (b_h if bias else 0))
            out.append(prev if shift else new)
            prev = new
        if last_only:
            return prev
        if keep_h0:
            return np.stack([start] + out)
        return np.stack(out)
    return answer


@pytest.mark.parametrize("variant, phrases", [
    (dict(last_only=True), ["one state", "(T, B, H)"]),
    (dict(keep_h0=True), ["T + 1", "leave out h0"]),
    (dict(carry=False), ["never fed the next step"]),
    (dict(zeros=True), ["ignored h0"]),
    (dict(shift=True), ["shifted by one step"]),
    (dict(transpose=True), ["W_hh is transposed"]),
    (dict(bias=False), ["forgot the bias"]),
    (dict(act=sigmoid), ["sigmoid"]),
])
def test_rnn_forward_explains_typical_mistakes(variant, phrases):
    _assert_wrong("02.rnn_forward", _forward_variant(**variant), *phrases)


def test_rnn_forward_that_skips_the_first_step_is_told_so():
    def answer(x, h0, W_xh, W_hh, b_h):
        h, prev = np.zeros((x.shape[0], h0.shape[0], W_hh.shape[0])), h0
        for t in range(1, x.shape[0]):
            prev = np.tanh(x[t] @ W_xh.T + prev @ W_hh.T + b_h)
            h[t] = prev
        return h

    _assert_wrong("02.rnn_forward", answer, "first step is missing", "range(T)")


def test_rnn_forward_must_not_keep_hidden_state_between_calls():
    memory = {}

    def answer(x, h0, W_xh, W_hh, b_h):
        if "h" not in memory:                       # caches its first result: wrong for other inputs
            memory["h"] = L.rnn_forward(x, h0, W_xh, W_hh, b_h)
        return memory["h"]

    _assert_wrong("02.rnn_forward", answer, "has shape (5, 3, 4), expected (4, 2, 3)")


# --- 02.rnn_step_backward ------------------------------------------------------------------


def test_rnn_step_backward_accepts_the_reference_and_equals_the_package(rng):
    assert check("02.rnn_step_backward", typed(L.rnn_step_backward)).status == "correct"
    assert check("02.rnn_step_backward", _not_attempted).status == "not attempted"
    x, h_prev, W_xh, W_hh, b_h = L._case(11)
    params = {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}
    h_t, cache = rnn.step_forward(params, x, h_prev)
    dh = rng.normal(size=h_t.shape)
    dx, dh_prev, grads = rnn.step_backward(dh, cache)
    mine = L.rnn_step_backward(dh, x, h_prev, h_t, W_xh, W_hh)
    for got, want in zip(mine, (dx, dh_prev, grads["W_xh"], grads["W_hh"], grads["b_h"])):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _backward_variant(*, da=None, dh_prev_T=False, dW_hh_from_h_t=False, dW_hh_T=False, db_not_summed=False,
                      dW_xh_T=False, count=5, mean=(), swap=False):
    def answer(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
        d = dh_t * (1 - h_t ** 2) if da is None else da(dh_t, h_prev, h_t)
        out = [d @ W_xh, d @ (W_hh.T if dh_prev_T else W_hh),
               x_t.T @ d if dW_xh_T else d.T @ x_t,
               (d.T @ h_t) if dW_hh_from_h_t else ((d.T @ h_prev).T if dW_hh_T else d.T @ h_prev),
               d if db_not_summed else d.sum(axis=0)]
        for k in mean:                                  # averaged over the batch instead of summed
            out[k] = out[k] / d.shape[0]
        if swap:
            out[0], out[1] = out[1], out[0]
        return tuple(out[:count])
    return answer


@pytest.mark.parametrize("variant, phrases", [
    (dict(da=lambda dh, hp, ht: dh), ["skipped the tanh"]),
    (dict(da=lambda dh, hp, ht: dh * (1 - ht)), ["1 - h_t**2 (squared)"]),
    (dict(da=lambda dh, hp, ht: dh * (1 - np.tanh(ht) ** 2)), ["applying tanh a second time"]),
    (dict(da=lambda dh, hp, ht: dh * (1 - hp ** 2)), ["previous state"]),
    (dict(da=lambda dh, hp, ht: dh * ht * (1 - ht)), ["sigmoid's derivative"]),
    (dict(da=lambda dh, hp, ht: -dh * (1 - ht ** 2)), ["wrong sign"]),
    (dict(dh_prev_T=True), ["transposed weight", "W_hh^T"]),
    (dict(dW_hh_from_h_t=True), ["multiplies da by h_t"]),
    (dict(dW_hh_T=True), ["dW_hh is transposed"]),
    (dict(db_not_summed=True), ["db_h has shape (B, H)", "sum"]),
    (dict(dW_xh_T=True), ["dW_xh has shape (D, H)", "weight's shape"]),
    (dict(count=4), ["5 arrays", "dx_t, dh_prev, dW_xh, dW_hh, db_h"]),
    (dict(mean=(2, 3, 4)), ["averaged over the batch", "sum"]),
    (dict(mean=(3,)), ["dW_hh is averaged", "da.T @ h_prev"]),
    (dict(mean=(2,)), ["dW_xh is averaged", "da.T @ x_t"]),
    (dict(swap=True), ["dx_t and dh_prev are swapped"]),
])
def test_rnn_step_backward_explains_typical_mistakes(variant, phrases):
    _assert_wrong("02.rnn_step_backward", _backward_variant(**variant), *phrases)


def test_rnn_step_backward_crash_gets_a_shape_hint():
    def answer(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
        da = dh_t * (1 - h_t ** 2)
        return da @ W_xh.T, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(0)   # W_xh.T: (D, H) cannot follow (B, H)

    _assert_wrong("02.rnn_step_backward", answer, "ValueError", "dx_t (B, D)")


# --- 02.rnn_backward ----------------------------------------------------------------------


def test_rnn_backward_accepts_the_reference_equals_the_package_and_gradchecks_the_learner(rng):
    result = check("02.rnn_backward", typed(L.rnn_backward))
    assert result.passed and "Gradient check of your function: largest relative error" in result.message
    assert "trust it" in result.message
    assert check("02.rnn_backward", _not_attempted).status == "not attempted"
    x, h0, W_xh, W_hh, b_h = L._case(17, T=6, sizes=(2, 5, 3))
    h, cache = rnn.forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, x, h0)
    dh = rng.normal(size=h.shape)
    dx, dh0, grads = rnn.backward(dh, cache)
    mine = L.rnn_backward(dh, x, h0, h, W_xh, W_hh)
    for got, want in zip(mine, (dx, dh0, grads["W_xh"], grads["W_hh"], grads["b_h"])):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _bptt_variant(*, da=None, carry=True, assign=False, prev_is_current=False, x_at=None, mean_over_T=False,
                  forwards=False, carry_T=False):
    """BPTT as a learner with one slip writes it (independent of the check's own list of mistakes)."""
    def answer(dh, x, h0, h, W_xh, W_hh):
        T = x.shape[0]
        da_of = (lambda g, hp, ht: g * (1 - ht ** 2)) if da is None else da
        dx, dW_xh, dW_hh = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh)
        db_h, dh_next = np.zeros(W_hh.shape[0]), np.zeros_like(h0)
        for t in (range(T) if forwards else reversed(range(T))):
            h_prev = h[t] if prev_is_current else (h[t - 1] if t > 0 else h0)
            a = da_of(dh[t] + dh_next, h[t - 1] if t > 0 else h0, h[t])
            dx[t] = a @ W_xh
            step = (a.T @ x[t if x_at is None else x_at], a.T @ h_prev, a.sum(axis=0))
            if assign:
                dW_xh, dW_hh, db_h = step
            else:
                dW_xh, dW_hh, db_h = dW_xh + step[0], dW_hh + step[1], db_h + step[2]
            dh_next = a @ (W_hh.T if carry_T else W_hh) if carry else np.zeros_like(h0)
        if mean_over_T:
            dW_xh, dW_hh, db_h = dW_xh / T, dW_hh / T, db_h / T
        dh0 = (a @ (W_hh.T if carry_T else W_hh)) if not carry else dh_next
        return dx, dh0, dW_xh, dW_hh, db_h
    return answer


@pytest.mark.parametrize("answer, phrases", [
    (_bptt_variant(carry=False), ["no gradient is carried from later steps"]),
    (_bptt_variant(assign=True), ["assigned them at every step", "+="]),
    (_bptt_variant(prev_is_current=True), ["h[t-1]"]),
    (_bptt_variant(x_at=0), ["x[0]", "x[t]"]),
    (_bptt_variant(mean_over_T=True), ["averaged over the T steps"]),
    (_bptt_variant(forwards=True), ["runs forwards"]),
    (_bptt_variant(carry_T=True), ["transposed weight"]),
    (_bptt_variant(da=lambda g, hp, ht: -g * (1 - ht ** 2)), ["wrong sign"]),
    (_bptt_variant(da=lambda g, hp, ht: g), ["skipped the tanh"]),
    (_bptt_variant(da=lambda g, hp, ht: g * (1 - hp ** 2)), ["previous state"]),
    (lambda dh, x, h0, h, Wx, Wh: L.rnn_backward(dh, x, h0, h, Wx, Wh)[:4], ["5 arrays"]),
    (lambda *args: (2 * L.rnn_backward(*args)[0], *L.rnn_backward(*args)[1:]),
     ["dx is exactly 2 times the expected values", "dh0, dW_xh, dW_hh, db_h are right"]),
])
def test_rnn_backward_names_the_usual_mistakes(answer, phrases):
    _assert_wrong("02.rnn_backward", answer, *phrases)


def test_rnn_backward_that_accumulates_into_its_input_is_caught_and_the_input_kept():
    def in_place(dh, x, h0, h, W_xh, W_hh):
        for t in reversed(range(1, len(dh))):                # adds the carried gradient into dh itself
            dh[t - 1] += ((dh[t]) * (1 - h[t] ** 2)) @ W_hh
        return L.rnn_backward(np.zeros_like(dh), x, h0, h, W_xh, W_hh)

    _assert_wrong("02.rnn_backward", in_place, "changed its argument `dh` in place")


# --- 02.softmax_cross_entropy_backward -----------------------------------------------------


def test_softmax_cross_entropy_backward_is_the_package_gradient_and_stays_finite():
    result = check("02.softmax_cross_entropy_backward", typed(L.softmax_cross_entropy_backward))
    assert result.passed and "Gradient check of your function" in result.message
    logits = np.array([[1000.0, 0.0, -3.0], [0.5, 0.25, 2.0]])
    targets = np.array([2, 1])
    np.testing.assert_allclose(L.softmax_cross_entropy_backward(logits, targets),
                               losses.softmax_cross_entropy(logits, targets)[1], rtol=1e-12)
    assert L.softmax_cross_entropy_backward(logits.astype(np.float32), targets).dtype == np.float32


def _xent(scale=None, *, onehot_sign=1.0, axis=1, stable=True):
    def answer(logits, targets):
        z = logits - logits.max(axis=axis, keepdims=True) if stable else logits
        p = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(targets)), targets] = 1.0
        g = (p - onehot) * onehot_sign
        return g / (len(targets) if scale is None else scale(logits))
    return answer


@pytest.mark.parametrize("answer, phrases", [
    (_xent(lambda z: 1.0), ["the sum over the N rows", "mean"]),
    (_xent(onehot_sign=-1.0), ["sign is flipped"]),
    (_xent(lambda z: z.shape[1]), ["divided by C"]),
    (_xent(axis=0), ["axis 0"]),
    (lambda z, y: np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
     ["softmax alone", "subtract onehot(y)"]),
    (_xent(stable=False), ["contains NaN"]),
    (lambda z, y: (losses.softmax(z) - np.eye(z.shape[1])[y]) / len(y), ["dtype float64, expected float32"]),
])
def test_softmax_cross_entropy_backward_names_the_usual_mistakes(answer, phrases):
    _assert_wrong("02.softmax_cross_entropy_backward", answer, *phrases)


# --- the widget ----------------------------------------------------------------------------


@pytest.fixture
def explorer():
    return rnn_unit.rnn_unit_explorer()


def _direct(w_hh, w_xh, b, x):
    params = {"W_xh": np.array([[w_xh]]), "W_hh": np.array([[w_hh]]), "b_h": np.array([b])}
    return rnn.forward(params, x)[0][:, 0, 0]


def test_widget_draws_exactly_what_rnn_forward_computes(explorer):
    x = rnn_unit.pulse_input()
    for w_hh, w_xh, b in [(0.3, 1.0, 0.0), (1.7, -0.8, 0.25), (-2.0, 2.5, -1.0)]:
        explorer.sliders["w_hh"].value = w_hh
        explorer.sliders["w_xh"].value = w_xh
        explorer.sliders["b"].value = b
        data = explorer.data
        np.testing.assert_allclose(data["h_drawn"], _direct(w_hh, w_xh, b, x), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(data["baseline_drawn"], _direct(w_hh, w_xh, b, np.zeros_like(x)), atol=1e-15)
        np.testing.assert_allclose(data["map_drawn"], np.tanh(w_hh * rnn_unit.MAP_GRID + b), atol=1e-15)


@pytest.fixture(scope="module")
def shared_explorer():
    return rnn_unit.rnn_unit_explorer()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w_hh=st.floats(-3, 3), w_xh=st.floats(-3, 3), b=st.floats(-2, 2))
def test_any_slider_setting_draws_rnn_forward(shared_explorer, w_hh, w_xh, b):
    for name, value in (("w_hh", w_hh), ("w_xh", w_xh), ("b", b)):
        shared_explorer.sliders[name].value = value
    v = shared_explorer.values                                  # as the sliders hold them
    data = shared_explorer.data
    np.testing.assert_allclose(data["h_drawn"], _direct(v["w_hh"], v["w_xh"], v["b"], rnn_unit.pulse_input()),
                               rtol=1e-12, atol=1e-15)
    assert data["label_drawn"] == rnn_unit.describe(data["h"], data["baseline"])


def test_moving_a_slider_changes_the_drawing_and_renders(explorer):
    before = explorer.data["h_drawn"].copy()
    renders, png = explorer.live.renders, explorer.live.widget.value
    explorer.sliders["w_hh"].value = 1.5                     # from a fading memory to a persistent one
    after = explorer.data["h_drawn"]
    assert explorer.live.renders == renders + 1
    assert explorer.live.widget.value != png
    assert abs(after[-1]) > 0.8 > 1e-3 > abs(before[-1])
    assert explorer.data["label_drawn"] == "memory persists"


@pytest.mark.parametrize("name, words", [
    ("fades", "memory fades"), ("persists", "memory persists"), ("oscillates", "oscillating"),
    ("saturates", "saturated"),
])
def test_preset_buttons_set_the_sliders_and_the_label(explorer, name, words):
    renders = explorer.live.renders
    explorer.presets[name].click()
    assert explorer.values == rnn_unit.PRESETS[name]
    assert explorer.live.renders == renders + 1                # one redraw for three slider changes
    assert words in explorer.data["label_drawn"]


def test_describe_tells_the_regimes_apart():
    def label(w_hh, w_xh=1.0, b=0.0):
        return rnn_unit.pulse_response(w_hh, w_xh, b)["label"]

    assert label(0.6) == "memory fades"
    assert label(1.0) == "memory fades slowly"
    assert label(1.5) == "memory persists"
    assert label(-1.5) == "memory persists, oscillating"
    assert label(-0.8) == "memory fades, oscillating"
    assert label(0.5, w_xh=0.0) == "the pulse barely moves h"
    assert label(3.0, w_xh=3.0).endswith("saturated: |h| > 0.99, tanh' < 0.02")


def test_sliders_at_their_extremes_give_finite_values_and_no_warnings(explorer):
    corners = [(lo, hi) for lo, hi in rnn_unit.SLIDER_RANGES.values()]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for w_hh in corners[0]:
            for w_xh in corners[1]:
                for b in corners[2]:
                    explorer.sliders["w_hh"].value = w_hh
                    explorer.sliders["w_xh"].value = w_xh
                    explorer.sliders["b"].value = b
                    data = explorer.data
                    for key in ("h_drawn", "baseline_drawn", "map_drawn"):
                        assert np.all(np.isfinite(data[key])), (w_hh, w_xh, b, key)
                    assert np.all(np.abs(data["h_drawn"]) <= 1)
        explorer.sliders["w_xh"].value = 0.0                  # no pulse at all: the "barely moves" branch
        assert explorer.data["label_drawn"] == "the pulse barely moves h"


def test_widget_callbacks_print_nothing(explorer, capsys):
    explorer.sliders["b"].value = 0.5
    explorer.presets["oscillates"].click()
    assert capsys.readouterr().out == ""


def test_slider_labels_are_readable(explorer):
    assert [s.description for s in explorer.sliders.values()] == [
        "recurrent weight w_hh", "input weight w_xh", "bias b"]


def test_static_figure_shows_the_presets():
    fig = rnn_unit.plot_regimes()
    try:
        axes = fig.axes
        assert len(axes) == 2 * len(rnn_unit.PRESETS)
        for col, w in enumerate(rnn_unit.PRESETS.values()):
            drawn = [line.get_ydata() for line in axes[col].get_lines() if len(line.get_ydata()) == rnn_unit.T_STEPS]
            expected = _direct(w["w_hh"], w["w_xh"], w["b"], rnn_unit.pulse_input())
            assert any(np.allclose(y, expected) for y in drawn)
    finally:
        plt.close(fig)


def test_cobweb_walks_the_staircase():
    xs, ys = rnn_unit.cobweb(np.array([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(xs, [0.1, 0.1, 0.2, 0.2, 0.3])
    np.testing.assert_allclose(ys, [0.1, 0.2, 0.2, 0.3, 0.3])


@pytest.mark.parametrize("preset", list(rnn_unit.PRESETS))
def test_cobweb_corners_sit_on_the_map_and_on_the_diagonal(preset):
    w = rnn_unit.PRESETS[preset]
    data = rnn_unit.pulse_response(w["w_hh"], w["w_xh"], w["b"])
    xs, ys = data["cobweb_x"], data["cobweb_y"]
    # (h_k, h_k) on the diagonal, then (h_k, h_{k+1}) straight above or below it, on the map
    np.testing.assert_allclose(xs[0::2], ys[0::2])
    np.testing.assert_allclose(ys[1::2], rnn_unit.unit_map(w["w_hh"], w["b"], xs[1::2]))


def test_saturated_means_where_the_state_settles_not_a_passing_peak():
    settles_high = rnn_unit.pulse_response(**rnn_unit.PRESETS["saturates"])["label"]
    assert "saturated" in settles_high
    moderate = rnn_unit.pulse_response(w_hh=1.5, w_xh=1.0, b=0.5)["label"]   # settles at 0.96
    assert "saturated" not in moderate


# --- the diagram ---------------------------------------------------------------------------


@pytest.mark.parametrize("T, folded", [(4, True), (2, False)])
def test_unrolled_diagram_draws_the_same_weights_at_every_step(T, folded):
    fig = draw_unrolled(T=T, folded=folded)
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        extra = 1 if folded else 0
        for weight in ("$W_{xh}$", "$W_{hh}$", "$W_{hy}$"):
            assert texts.count(weight) == T + extra, (weight, texts)
        for t in range(1, T + 1):
            for node in ("x", "h", "y"):
                assert f"${node}_{{{t}}}$" in texts
        assert "$h_0$" in texts
        assert f"${'x'}_{{{T + 1}}}$" not in texts
    finally:
        plt.close(fig)


def test_unrolled_diagram_rejects_an_empty_sequence():
    with pytest.raises(ValueError, match="T must be at least 1"):
        draw_unrolled(T=0)


# --- the notebook as shipped ---------------------------------------------------------------


def test_notebook_ships_exercises_unattempted_with_their_solutions():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    sources = [cell.source for cell in nb.cells]
    for name, func in [("02.rnn_step", "rnn_step"), ("02.rnn_forward", "rnn_forward"),
                       ("02.rnn_step_backward", "rnn_step_backward"), ("02.rnn_backward", "rnn_backward"),
                       ("02.softmax_cross_entropy_backward", "softmax_cross_entropy_backward")]:
        i = sources.index(f'check("{name}", {func})')
        assert sources[i - 1].startswith(f"def {func}(")
        assert sources[i - 1].rstrip().endswith("raise NotImplementedError")
        assert nb.cells[i + 1].cell_type == "markdown"
        assert sources[i + 1] == solution_markdown(name)
        outputs = nb.cells[i].outputs
        assert outputs and "Not attempted yet" in outputs[0]["data"]["text/plain"]


def test_notebook_gives_no_line_of_code_before_its_exercise():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    sources = [cell.source for cell in nb.cells]
    step = sources.index('check("02.rnn_step", rnn_step)')
    step_backward = sources.index('check("02.rnn_step_backward", rnn_step_backward)')
    assert not any("np.tanh(x_t @ W_xh.T" in s for s in sources[:step])
    assert not any("da.T @ h_prev" in s or "da @ W_hh" in s for s in sources[:step_backward])
    assert not any(s.startswith("def bptt(") for s in sources)


def test_notebook_falls_back_to_the_package_bptt_and_says_so():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "learner_or_reference(\"02.rnn_backward\"" in c.source)
    assert cell.outputs[0]["text"] == ("BPTT below: the package's rnn.backward, since yours does not pass "
                                       "02.rnn_backward yet.\n")


def test_the_explorer_displays_as_its_widget_with_a_readable_offline_text():
    from rnn_course.widgets.live import OFFLINE_TEXT
    explorer = rnn_unit.rnn_unit_explorer()
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert bundle["text/plain"] == OFFLINE_TEXT
