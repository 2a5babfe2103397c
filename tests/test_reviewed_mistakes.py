"""Mistakes that first-time learners made in the review of the lessons, written the way they wrote
them, each of which the checks must now name (not only report a relative error)."""

import numpy as np
from learner_copies import typed

from rnn_course.exercises import check
from rnn_course.exercises.lesson04 import lstm_step_backward as reference_step_backward


def _says(name, answer, phrase):
    result = check(name, answer)
    assert result.status == "wrong", result
    assert phrase in result.message, result.message


def test_dense_backward_with_tanh_applied_twice():
    def dense_backward(dA, X, W, A):
        dZ = dA * (1 - np.tanh(A) ** 2)
        return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
    _says("01.dense_backward", dense_backward, "applying tanh a second time")


def _rnn_backward(wrap=False, carry_after=False, carry_raw=False):
    def rnn_backward(dh, x, h0, h, W_xh, W_hh):
        dx, dW_xh, dW_hh = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh)
        db_h, dh_next = np.zeros(W_hh.shape[0]), np.zeros_like(h0)
        for t in reversed(range(len(x))):
            h_prev = h[t - 1] if (t > 0 or wrap) else h0
            g = dh[t] + dh_next
            da = dh[t] * (1 - h[t] ** 2) + dh_next if carry_after else g * (1 - h[t] ** 2)
            dx[t] = da @ W_xh
            dW_xh += da.T @ x[t]
            dW_hh += da.T @ h_prev
            db_h += da.sum(axis=0)
            dh_next = (g if carry_raw else da) @ W_hh
        return dx, dh_next, dW_xh, dW_hh, db_h
    return rnn_backward


def test_rnn_backward_slips_of_the_review():
    assert check("02.rnn_backward", _rnn_backward()).status == "correct"
    _says("02.rnn_backward", _rnn_backward(wrap=True), "h[-1]")
    _says("02.rnn_backward", _rnn_backward(carry_after=True), "after the tanh derivative")
    _says("02.rnn_backward", _rnn_backward(carry_raw=True), "skipped the tanh")


def test_softmax_gradient_with_a_column_slice():
    def softmax_cross_entropy_backward(logits, targets):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[:, targets] -= 1
        return p / len(targets)
    _says("02.softmax_cross_entropy_backward", softmax_cross_entropy_backward, "p[np.arange(N), targets]")


def test_dtype_message_names_no_variable_the_function_does_not_have():
    def softmax_cross_entropy_backward(logits, targets):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return (p - np.eye(logits.shape[1])[targets]) / len(targets)
    result = check("02.softmax_cross_entropy_backward", softmax_cross_entropy_backward)   # np.eye is float64
    assert result.status == "wrong" and "dtype" in result.message and "x.dtype" not in result.message


def _step_backward(change):
    def lstm_step_backward(dh_t, dc_t, cache):
        i, f, g, o, c_t, c_prev = (cache[k] for k in ("i", "f", "g", "o", "c_t", "c_prev"))
        tanh_c = np.tanh(c_t)
        dc = dc_t + dh_t * o * ((1 - tanh_c ** 2) if change != "no tanh slope" else 1.0)
        do = dh_t * tanh_c
        df = dc * (c_t if change == "c_t in df" else c_prev)
        sig = (lambda s: 1.0) if change == "no sigmoid slope" else (lambda s: s * (1 - s))
        da = np.concatenate([dc * g * sig(i), df * sig(f), dc * i * (1 - g ** 2), do * sig(o)], axis=1)
        dc_prev = (dc_t if change == "incoming dc" else dc) * f
        grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
        return da @ cache["W_x"], da @ cache["W_h"], dc_prev, grads
    return lstm_step_backward


def test_lstm_step_backward_slips_of_the_review():
    assert check("04.lstm_step_backward", _step_backward(None)).status == "correct"
    assert check("04.lstm_step_backward", typed(reference_step_backward)).status == "correct"
    _says("04.lstm_step_backward", _step_backward("no sigmoid slope"), "sigmoid's derivative")
    _says("04.lstm_step_backward", _step_backward("c_t in df"), "df = dc * c_{t-1}")
    _says("04.lstm_step_backward", _step_backward("no tanh slope"), "its slope 1 - tanh(c_t)^2")
    _says("04.lstm_step_backward", _step_backward("incoming dc"), "*total* dc")


def test_lstm_forward_one_step_late_and_float32():
    from rnn_course.exercises.lesson04 import lstm_forward

    def late(x, h0, c0, W_x, W_h, b):
        h, c = lstm_forward(x, h0, c0, W_x, W_h, b)
        return np.concatenate([h0[None], h[:-1]]), np.concatenate([c0[None], c[:-1]])
    _says("04.lstm_forward", late, "one step late")

    def in_float64(x, h0, c0, W_x, W_h, b):
        return lstm_forward(*(np.asarray(a, dtype=np.float64) for a in (x, h0, c0, W_x, W_h, b)))
    _says("04.lstm_forward", in_float64, "dtype")


def test_lstm_backward_swapped_states_and_old_cell():
    from rnn_course.exercises.lesson04 import lstm_backward

    def swapped(*args):
        dx, dh0, dc0, *grads = lstm_backward(*args)
        return (dx, dc0, dh0, *grads)
    _says("04.lstm_backward", swapped, "dh0 and dc0 are swapped")


def test_gru_step_without_the_recurrent_bias():
    from rnn_course.exercises.lesson07 import gru_step

    def no_b_h(x_t, h_prev, W_x, W_h, b_x, b_h):
        return gru_step(x_t, h_prev, W_x, W_h, b_x, 0 * b_h)
    _says("07.gru_step", no_b_h, "recurrent biases b_h are missing")
