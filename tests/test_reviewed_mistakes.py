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


# --- the second review of lessons 1-7 (first-time learner), written as the learner wrote them -----------------


def test_dense_backward_returned_in_another_order():
    def dense_backward(dA, X, W, A):
        dZ = dA * (1 - A ** 2)
        return dZ.sum(axis=0), dZ.T @ X, dZ @ W
    _says("01.dense_backward", dense_backward, "you returned db, dW, dX; return dX, dW, db")


def test_rnn_step_with_the_recurrent_term_outside_the_tanh():
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + b_h) + h_prev @ W_hh.T
    _says("02.rnn_step", rnn_step, "recurrent term h_prev @ W_hh.T after the tanh")


def test_rnn_forward_looping_backwards_and_appending_in_loop_order():
    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        out, h = [], h0
        for t in reversed(range(len(x))):
            h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b_h)
            out.append(h)
        return np.stack(out)
    _says("02.rnn_forward", rnn_forward, "runs backwards in time")


def test_softmax_gradient_with_a_float64_one_hot_says_the_values_are_right():
    def softmax_cross_entropy_backward(logits, targets):
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return (p - np.eye(logits.shape[1])[targets]) / len(logits)
    _says("02.softmax_cross_entropy_backward", softmax_cross_entropy_backward,
          "your values are right; only the dtype differs")


def test_clip_grad_norm_returning_none_for_the_norm():
    def clip_grad_norm(grads, max_norm):
        norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
        scale = min(1.0, max_norm / (norm + 1e-6))
        return {k: g * scale for k, g in grads.items()}, None
    _says("03.clip_grad_norm", clip_grad_norm, "one number; yours is None")


def test_lstm_step_backward_with_the_bias_gradient_not_summed():
    def lstm_step_backward(dh_t, dc_t, cache):
        dx_t, dh_prev, dc_prev, grads = reference_step_backward(dh_t, dc_t, cache)
        H = dh_t.shape[1]
        i, f, g, o, c_t = cache["i"], cache["f"], cache["g"], cache["o"], cache["c_t"]
        dc = dc_t + dh_t * o * (1 - np.tanh(c_t) ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                             dh_t * np.tanh(c_t) * o * (1 - o)], axis=1)
        assert da.shape[1] == 4 * H
        return dx_t, dh_prev, dc_prev, {**grads, "b": da}
    _says("04.lstm_step_backward", typed(lstm_step_backward), "sum da over the examples (axis 0)")


def _jacobian(drop=None, columns=False):
    def lstm_step_jacobian(x_t, h_prev, c_prev, W_x, W_h, b):
        H = h_prev.shape[1]
        a = x_t @ W_x.T + h_prev @ W_h.T + b
        sig = lambda z: 1 / (1 + np.exp(-z))          # noqa: E731
        i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        tc = np.tanh(f * c_prev + i * g)
        D = (lambda v, W: W[None] * v[:, None, :]) if columns else (lambda v, W: v[:, :, None] * W)  # noqa: E731
        routes = {"f": D(c_prev * f * (1 - f), W_h[H:2 * H]), "i": D(g * i * (1 - i), W_h[:H]),
                  "g": D(i * (1 - g ** 2), W_h[2 * H:3 * H])}
        dc_dh = sum(r for k, r in routes.items() if k != drop)
        k = (o * (1 - tc ** 2))[:, :, None]
        dh_dh = D(tc * o * (1 - o), W_h[3 * H:]) + k * dc_dh
        dc_dc = f[:, :, None] * np.eye(H)
        return np.concatenate([np.concatenate([dh_dh, k * dc_dc], 2), np.concatenate([dc_dh, dc_dc], 2)], 1)
    return lstm_step_jacobian


def test_lstm_step_jacobian_with_one_gate_route_left_out_or_the_columns_scaled():
    for gate, route in (("f", "W_hf"), ("i", "W_hi"), ("g", "W_hg")):
        _says("04.lstm_step_jacobian", _jacobian(drop=gate), "leaves out one of the three routes through the gates, "
              "D(")
        assert route in check("04.lstm_step_jacobian", _jacobian(drop=gate)).message
    _says("04.lstm_step_jacobian", _jacobian(columns=True), "scaled the columns of the W_h blocks")
    assert check("04.lstm_step_jacobian", _jacobian()).passed


def test_gru_backward_reading_the_state_after_the_step():
    from rnn_course.exercises.lesson07 import gru_step_backward

    def gru_backward(dh, x, h0, W_x, W_h, b_x, b_h):
        from rnn_course import gru
        hs, _ = gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x, h0)
        hs = np.concatenate([h0[None], hs])
        dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
        total = [np.zeros_like(p) for p in (W_x, W_h, b_x, b_h)]
        for t in reversed(range(len(x))):
            dx[t], dh_next, *share = gru_step_backward(dh[t] + dh_next, x[t], hs[t + 1], W_x, W_h, b_x, b_h)
            total = [a + s for a, s in zip(total, share)]
        return (dx, dh_next, *total)
    result = check("07.gru_backward", gru_backward)
    assert result.status == "wrong" and ("h_{t-1}, the state the step read" in result.message
                                         or "rnn_course" in result.message), result.message


def test_reverse_layer_returning_the_pair_or_flipping_another_axis():
    from rnn_course import gru

    def pair(x, h0, W_x, W_h, b_x, b_h):
        h = gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x[::-1], h0)
        return h[::-1]

    def batch_axis(x, h0, W_x, W_h, b_x, b_h):
        h, _ = gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x[:, ::-1], h0)
        return h[:, ::-1]

    def feature_axis(x, h0, W_x, W_h, b_x, b_h):
        h, _ = gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, np.flip(x, -1), h0)
        return h
    _says("07.reverse_layer", pair, "returns a pair (h, cache); take h out of it first")
    _says("07.reverse_layer", batch_axis, "you reversed axis 1 of x (the batch")
    _says("07.reverse_layer", feature_axis, "you reversed axis 2 of x (the features")


def test_forecast_keeping_the_models_whole_output_says_to_take_the_number_out():
    from rnn_course import model

    def forecast(params, context, n_ahead):
        values, out = list(context), []
        for _ in range(n_ahead):
            x = np.array(values[-len(context):]).reshape(-1, 1, 1)
            y, _ = model.forward(params, x, readout="last")
            out.append(y)
            values.append(y)
        return np.array(out)
    _says("05.forecast", forecast, "kept a whole output, such as a (1, 1) array, where a number belongs")


# --- the learner review of stop 28 (lessons 1, 3, 5 and 6 after "derive, don't transcribe") ---------------


def test_a_layer_written_as_in_the_column_formula_gets_the_sizes_in_plain_words_not_the_answer():
    def dense_forward(X, W, b):
        return np.tanh(W @ X + b)
    result = check("01.dense_forward", dense_forward)
    assert result.status == "wrong"
    assert "A's last size was 3 and B's first 5" in result.message, result.message
    assert "gufunc" not in result.message and "X @ W.T" not in result.message


def test_a_sigmoid_of_two_right_formulas_in_np_where_is_told_its_values_are_right():
    def stable_sigmoid(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
    _says("01.stable_sigmoid", stable_sigmoid, "your values come out right")
    _says("01.stable_sigmoid", stable_sigmoid, "np.where throws the result away (it computes both")


def test_the_naive_sigmoid_is_not_given_the_two_branches():
    def stable_sigmoid(z):
        return 1 / (1 + np.exp(-z))
    result = check("01.stable_sigmoid", stable_sigmoid)
    assert result.status == "wrong" and "exp(-|z|)" not in result.message, result.message
    assert "np.where" not in result.message and "only the division that follows hides" in result.message


def test_gradients_of_different_shapes_stacked_into_one_array_are_told_to_go_one_by_one():
    def clip_grad_norm(grads, max_norm):
        norm = np.linalg.norm(list(grads.values()))
        return dict(grads), norm
    _says("03.clip_grad_norm", clip_grad_norm, "must be handled one by one")


def _per_array_clipping(norm_of):
    def clip_grad_norm(grads, max_norm):
        clipped, norms = {}, {}
        for name, g in grads.items():
            norms[name] = np.linalg.norm(g)
            clipped[name] = g * min(1.0, max_norm / norms[name])
        return clipped, norm_of(norms)
    return clip_grad_norm


def test_per_array_clipping_is_named_whatever_norm_comes_with_it():
    for norm_of in (lambda norms: norms, lambda norms: max(norms.values()), lambda norms: sum(norms.values())):
        _says("03.clip_grad_norm", _per_array_clipping(norm_of), "you clipped each gradient by its own norm")


def test_a_list_of_two_is_a_pair_for_clipping():
    def clip_grad_norm(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
        return [{k: g * min(1.0, max_norm / norm) for k, g in grads.items()}, norm]
    assert check("03.clip_grad_norm", clip_grad_norm).passed


def test_a_shift_by_the_mean_is_not_enough_for_the_temperature_softmax():
    def softmax_with_temperature(logits, temperature):
        z = np.asarray(logits) / temperature
        e = np.exp(z - z.mean())
        return e / e.sum()
    result = check("05.temperature_softmax", softmax_with_temperature)
    assert result.status == "wrong" and "largest" not in result.message, result.message


def test_the_step_jacobian_scaled_by_h_itself_is_named():
    _says("03.step_jacobian", lambda W_hh, h_t: h_t[:, None] * W_hh, "you scaled row i by h_t[i] itself")


def test_the_course_sigma_max_may_serve_predict_vanishing():
    from rnn_course import gradient_flow as gf

    def predict_vanishing(W_hh, activation):
        return {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}[activation] * gf.sigma_max(W_hh) < 1
    assert check("03.predict_vanishing", predict_vanishing).passed


def test_which_gate_takes_the_course_symbol():
    assert check("06.which_gate", "f_t").passed
    assert "own letter for the candidate" in check("06.which_gate", "j").message


def test_a_crash_in_one_activations_branch_says_which_call_failed():
    def predict_vanishing(W_hh, activation):
        if activation == "tanh":
            gamma = 1.0
        elif activation == "sigmoid":
            gamma = 0.25
        return gamma * np.linalg.svd(W_hh, compute_uv=False)[0] < 1
    _says("03.predict_vanishing", predict_vanishing, "(called with activation='relu')")
