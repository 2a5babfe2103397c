"""Lesson 7: the GRU-step check names each known mistake; the studies behind the lesson."""

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import after_lstm, gradcheck, gru, lstm, variants
from rnn_course.exercises import check
from rnn_course.exercises import lesson07 as L


def test_reference_gru_step_agrees_with_the_package():
    for args in L._cases():
        x_t, h_prev, W_x, W_h, b_x, b_h = args
        h, _ = gru.step_forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x_t, h_prev)
        np.testing.assert_allclose(L.gru_step(*args), h, rtol=1e-12)


@pytest.mark.parametrize("mistake", [m for m in (L._reset_before_product, L._swapped_z, L._b_hn_outside,
                                                 L._keras_order, L._no_reset, L._sigmoid_candidate, L._returned_n)])
def test_each_known_mistake_is_named(mistake):
    result = check("07.gru_step", mistake.compute)
    assert result.status == "wrong"
    assert result.message == mistake.explanation


def test_the_cho_form_is_named_as_such_and_the_right_answer_passes():
    assert "Cho et al." in check("07.gru_step", L._reset_before_product.compute).message
    assert "swapped" in check("07.gru_step", L._swapped_z.compute).message
    assert check("07.gru_step", typed(L.gru_step)).passed


def test_a_transposed_result_and_a_crash_get_one_line():
    mine = typed(L.gru_step)

    def transposed(x_t, h_prev, W_x, W_h, b_x, b_h):
        return mine(x_t, h_prev, W_x, W_h, b_x, b_h).T

    def crashes(x_t, h_prev, W_x, W_h, b_x, b_h):
        return x_t @ W_h

    assert "transposed" in check("07.gru_step", transposed).message
    msg = check("07.gru_step", crashes).message
    assert "raised ValueError" in msg and "\n" not in msg


@pytest.mark.parametrize("variant", variants.VARIANTS)
def test_every_variant_passes_a_gradient_check(variant, rng):
    T, B, D, H = 4, 3, 2, 5
    p = {"W_x": rng.normal(0, 0.6, (4 * H, D)), "W_h": rng.normal(0, 0.6, (4 * H, H)), "b": rng.normal(0, 0.5, 4 * H)}
    x, w = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))

    def loss():
        return float(np.sum(w * variants.forward(p, x, variant)[0]))

    h, cache = variants.forward(p, x, variant)
    dx, grads = variants.backward(w, cache)
    errors = gradcheck.gradcheck(lambda P: loss(), p, grads)
    assert max(errors.values()) < 1e-7, errors
    assert gradcheck.relative_error(dx, gradcheck.numerical_gradient(loss, x)) < 1e-7


def test_variants_change_exactly_one_equation(rng):
    p = lstm.init_params(2, 3, seed=1, forget_bias=0.5)
    p["b"] = rng.normal(size=12)
    x = rng.normal(size=(5, 2, 2))
    h_std, c_std = lstm.forward(p, x)[:2]
    h, cache = variants.forward(p, x, "standard")
    np.testing.assert_allclose(h, h_std, rtol=1e-13)
    _, nfg = variants.forward(p, x, "no forget gate")
    np.testing.assert_array_equal(nfg["f"], 1.0)
    _, cifg = variants.forward(p, x, "coupled gates")
    np.testing.assert_allclose(cifg["f"], 1 - cifg["i"])
    _, nig = variants.forward(p, x, "no input gate")
    np.testing.assert_array_equal(nig["i"], 1.0)
    h_noaf, noaf = variants.forward(p, x, "no output activation")
    np.testing.assert_allclose(h_noaf, noaf["o"] * noaf["c"])
    with pytest.raises(ValueError, match="variant must be one of"):
        variants.forward(p, x, "peepholes")


def test_future_task_labels_each_step_by_a_later_input():
    x, y = after_lstm.future_task(6, 4, np.random.default_rng(0), lag=2)
    np.testing.assert_array_equal(y[:4], x[2:])
    np.testing.assert_array_equal(y[4:], x[4:])


def test_min_gru_scan_equals_the_loop_for_any_length(rng):
    for T in (1, 2, 3, 7, 16, 33):
        z = rng.uniform(size=(T, 2, 3))
        h_tilde = rng.normal(size=(T, 2, 3))
        h0 = rng.normal(size=(2, 3))
        np.testing.assert_allclose(after_lstm.min_gru_scan(z, h_tilde, h0), after_lstm.min_gru_loop(z, h_tilde, h0),
                                   rtol=1e-12, atol=1e-14)


def test_streams_continue_from_chunk_to_chunk():
    ids = np.arange(20)
    s = after_lstm.streams(ids, 4)
    assert s.shape == (5, 4)
    np.testing.assert_array_equal(s[:, 1], [5, 6, 7, 8, 9])


def test_carrying_the_state_changes_the_held_out_loss_and_both_runs_see_the_same_chunks():
    rng = np.random.default_rng(0)
    ids = np.tile(rng.integers(0, 5, 37), 6)
    a = after_lstm.train_tbptt(ids[:180], ids[180:], 5, carry=True, T=4, batch_size=3, hidden_size=6, epochs=1)
    b = after_lstm.train_tbptt(ids[:180], ids[180:], 5, carry=False, T=4, batch_size=3, hidden_size=6, epochs=1)
    assert len(a.losses) == len(b.losses)
    assert a.losses[0] == b.losses[0]                 # the first chunk starts from zeros in both
    assert a.losses[1] != b.losses[1]
    assert a.valid_carried != a.valid_reset


def test_bidirectional_model_sees_the_future_and_one_way_cannot():
    one_way = after_lstm.train_future(False, steps=120, seed=0)
    both = after_lstm.train_future(True, steps=120, seed=0)
    assert both.accuracy > 0.95
    assert one_way.accuracy_by_step[:-2].mean() < 0.65     # chance on the steps whose label is still ahead
