"""Lesson 7's backward exercises: GRU step and sequence backward, truncated BPTT's chunk loop, the reverse
layer; the references agree with the package and finite differences, every named slip is named."""

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import deep, gradcheck, gru
from rnn_course.exercises import check
from rnn_course.exercises import lesson07 as L7
from rnn_course.exercises import lesson07_backward as B

EXERCISES = {
    "07.gru_step_backward": (B.gru_step_backward, B.STEP_MISTAKES, B._step_cases),
    "07.gru_backward": (B.gru_backward, B.SEQUENCE_MISTAKES, B._sequence_cases),
    "07.truncated_bptt": (B.truncated_bptt, B.TBPTT_MISTAKES, B._tbptt_cases),
    "07.reverse_layer": (B.reverse_layer, B.REVERSE_MISTAKES, B._reverse_cases),
}


def _params(W_x, W_h, b_x, b_h):
    return {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}


def test_gru_backward_equals_the_package():
    for dh, x, h0, *w in B._sequence_cases():
        _, cache = gru.forward(_params(*w), x, h0)
        dx, dh0, grads = gru.backward(dh, cache)
        got = B.gru_backward(dh, x, h0, *w)
        for a, e in zip(got, (dx, dh0, grads["W_x"], grads["W_h"], grads["b_x"], grads["b_h"])):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_gru_step_backward_is_the_one_step_sequence():
    for dh_t, x_t, h_prev, *w in B._step_cases():
        np.testing.assert_allclose(B.gru_step_backward(dh_t, x_t, h_prev, *w)[1],
                                   B.gru_backward(dh_t[None], x_t[None], h_prev, *w)[1], rtol=1e-12)


def test_truncated_bptt_with_one_chunk_is_full_bptt_and_carries_the_state():
    dh, x, h0, *w, chunk = B._tbptt_cases()[0]
    full = B.gru_backward(dh, x, h0, *w)
    one_chunk = B.truncated_bptt(dh, x, h0, *w, len(x))
    for a, e in zip(one_chunk[1:], full[2:]):
        np.testing.assert_allclose(a, e, rtol=1e-10)
    h_all, _ = gru.forward(_params(*w), x, h0)
    np.testing.assert_allclose(B.truncated_bptt(dh, x, h0, *w, chunk)[0], h_all[-1], rtol=1e-12)
    assert not np.allclose(B.truncated_bptt(dh, x, h0, *w, chunk)[1], full[2])


def test_reverse_layer_matches_the_backward_direction_of_the_package_stack():
    x, h0, *w = B._reverse_cases()[0]
    layers = [{"forward": _params(*w), "backward": _params(*w)}]
    out, _ = deep.forward(layers, x, cell="gru")
    H = h0.shape[1]
    np.testing.assert_allclose(B.reverse_layer(x, np.zeros_like(h0), *w), out[:, :, H:], rtol=1e-12)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_reference_passes_with_a_gradient_check_where_there_is_a_backward(name):
    result = check(name, typed(EXERCISES[name][0]))
    assert result.passed, result.message
    if name != "07.reverse_layer":
        assert "largest relative error" in result.message and "below 1e-6" in result.message
    assert getattr(L7, name.split(".")[1]) is EXERCISES[name][0]


@pytest.mark.parametrize("name,index", [(n, i) for n, (_, ms, _) in EXERCISES.items() for i in range(len(ms))])
def test_each_named_mistake_is_named(name, index):
    mistake = EXERCISES[name][1][index]
    result = check(name, mistake.compute)
    assert result.status == "wrong"
    assert result.message == mistake.explanation


@pytest.mark.parametrize("name", EXERCISES)
def test_every_mistake_differs_from_the_right_answer_on_some_case(name):
    solution, mistakes, cases = EXERCISES[name]
    for mistake in mistakes:
        differs = False
        for args in cases():
            right, wrong = solution(*args), mistake.compute(*args)
            right = right if isinstance(right, tuple) else (right,)
            wrong = wrong if isinstance(wrong, tuple) else (wrong,)
            differs |= any(np.shape(a) != np.shape(b) or not np.allclose(a, b) for a, b in zip(right, wrong))
        assert differs, mistake.explanation


def test_a_wrong_gradient_check_is_reported_for_an_unknown_slip():
    def doubled(*args):
        dx, dh0, *g = B.gru_backward(*args)
        return (dx, 2 * dh0, *g)

    result = check("07.gru_backward", doubled)
    assert result.status == "wrong" and "dh0 is exactly 2 times" in result.message and "\n" not in result.message


def test_the_chunk_loops_gradient_check_holds_the_starts_fixed():
    line = B._tbptt_gradcheck(B.truncated_bptt)
    assert "below 1e-6" in line
    assert "above 1e-6" in B._tbptt_gradcheck(B._not_detached.compute)


def test_the_helpers_are_allowed_where_the_lesson_gives_them():
    from rnn_course.exercises.core import get

    assert "rnn_course.gru.forward" in get("07.truncated_bptt").allow
    assert "rnn_course.gru.backward" in get("07.truncated_bptt").allow
    assert get("07.gru_backward").allow == ("rnn_course.activations.sigmoid",)


def test_gradcheck_of_the_reference_step():
    dh_t, x_t, h_prev, *w = B._step_cases()[1]
    weights = np.random.default_rng(0).normal(size=dh_t.shape)

    def loss():
        return float(np.sum(weights * gru.step_forward(_params(*w), x_t, h_prev)[0]))

    numeric = gradcheck.numerical_gradient(loss, h_prev)
    np.testing.assert_allclose(B.gru_step_backward(weights, x_t, h_prev, *w)[1], numeric, rtol=1e-6, atol=1e-9)
