"""Checks a learner can trust: no right answer rejected, the course's own functions not counted as the
learner's work, wrong answers named by their cause, a crash named by its line.

Every answer here is written the way a learner would write it, in this file (outside the package)."""

from __future__ import annotations

import importlib.util
import linecache
import types

import numpy as np
import pytest

from rnn_course import activations, interop, lstm, model, optim, rnn
from rnn_course.exercises import check, core, learner_or_reference, matcher
from rnn_course.exercises import lesson04 as L4

# ---------------------------------------------------------------------------------------------------
# Right answers, written differently from the reference: every one must pass
# ---------------------------------------------------------------------------------------------------


def sig(z):
    return 1 / (1 + np.exp(-z))


def sig_tanh(z):
    return 0.5 * (1 + np.tanh(z / 2))


def sig_exp_form(z):
    e = np.exp(z)
    return e / (1 + e)


# --- lesson 1 ---

def stable_sigmoid_where(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def stable_sigmoid_tanh(z):
    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))


def stable_sigmoid_minimum(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


def dense_forward_einsum(X, W, b):
    return np.tanh(np.einsum("nd,hd->nh", X, W) + b)


def dense_forward_loops(X, W, b):
    out = np.zeros((X.shape[0], W.shape[0]))
    for n in range(X.shape[0]):
        for h in range(W.shape[0]):
            out[n, h] = np.tanh(np.dot(X[n], W[h]) + b[h])
    return out


def dense_forward_transposes(X, W, b):
    return np.tanh((W @ X.T).T + b[None, :])


def dense_backward_einsum(dA, X, W, A):
    dZ = dA * (1 - A * A)
    return np.einsum("nh,hd->nd", dZ, W), np.einsum("nh,nd->hd", dZ, X), np.einsum("nh->h", dZ)


def dense_backward_loops(dA, X, W, A):
    dZ = dA * (1 - np.tanh(np.arctanh(A)) ** 2)
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[0])
    for n in range(X.shape[0]):
        dW += np.outer(dZ[n], X[n])
        db += dZ[n]
    return dZ @ W, dW, db


# --- lesson 2 ---

def rnn_step_einsum(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(np.einsum("bd,hd->bh", x_t, W_xh) + np.einsum("bk,hk->bh", h_prev, W_hh) + b_h)


def rnn_step_concat(x_t, h_prev, W_xh, W_hh, b_h):
    W = np.concatenate([W_xh, W_hh], axis=1)
    return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W.T + b_h)


def rnn_step_exp(x_t, h_prev, W_xh, W_hh, b_h):
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h
    return 2 / (1 + np.exp(-2 * a)) - 1


def rnn_forward_projected(x, h0, W_xh, W_hh, b_h):
    xs = x @ W_xh.T + b_h                 # every step's input share in one product
    h, out = h0, []
    for t in range(len(x)):
        h = np.tanh(xs[t] + h @ W_hh.T)
        out.append(h)
    return np.array(out)


def rnn_forward_own_step(x, h0, W_xh, W_hh, b_h):
    hs, h = [], h0
    for x_t in x:
        h = rnn_step_einsum(x_t, h, W_xh, W_hh, b_h)     # the learner's own earlier function
        hs.append(h)
    return np.stack(hs)


def rnn_step_backward_einsum(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t - dh_t * h_t ** 2
    return (np.einsum("bh,hd->bd", da, W_xh), np.einsum("bh,hk->bk", da, W_hh),
            np.einsum("bh,bd->hd", da, x_t), np.einsum("bh,bk->hk", da, h_prev), np.sum(da, 0))


def rnn_step_backward_loops(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t) * (1 + h_t)
    dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
    for b in range(len(da)):
        dW_xh += np.outer(da[b], x_t[b])
        dW_hh += np.outer(da[b], h_prev[b])
    return da @ W_xh, da @ W_hh, dW_xh, dW_hh, da.sum(axis=0)


def rnn_backward_forward_sum_order(dh, x, h0, h, W_xh, W_hh):
    T = len(x)
    das = [None] * T
    carry = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        das[t] = (dh[t] + carry) * (1 - h[t] ** 2)
        carry = das[t] @ W_hh
    da = np.stack(das)
    h_prev = np.concatenate([h0[None], h[:-1]])
    dW_xh = sum(das[t].T @ x[t] for t in range(T))           # summed first step to last
    return da @ W_xh, carry, dW_xh, np.einsum("tbh,tbk->hk", da, h_prev), da.sum(axis=(0, 1))


def rnn_backward_own_step(dh, x, h0, h, W_xh, W_hh):
    dx = np.zeros_like(x)
    dW_xh, dW_hh, db_h = 0, 0, 0
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        prev = h0 if t == 0 else h[t - 1]
        dx[t], dh_next, a, b, c = rnn_step_backward_loops(dh[t] + dh_next, x[t], prev, h[t], W_xh, W_hh)
        dW_xh, dW_hh, db_h = dW_xh + a, dW_hh + b, db_h + c
    return dx, dh_next, dW_xh, dW_hh, db_h


def xent_backward_logsumexp(logits, targets):
    m = logits.max(axis=1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(targets)), targets] = 1
    return (np.exp(log_p) - onehot) / logits.shape[0]


def xent_backward_eye(logits, targets):
    e = np.exp(logits - np.max(logits, axis=-1)[:, None])
    p = e / np.sum(e, axis=-1)[:, None]
    return ((p - np.eye(logits.shape[1], dtype=logits.dtype)[targets]) / len(targets)).astype(logits.dtype)


# --- lesson 3 ---

def step_jacobian_diag(W_hh, h_t):
    return np.diag(1 - h_t ** 2) @ W_hh


def step_jacobian_einsum(W_hh, h_t):
    return np.einsum("i,ij->ij", 1 - h_t * h_t, W_hh)


def clip_grad_norm_concat(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: g * scale for k, g in grads.items()}, norm


def clip_grad_norm_loop(grads, max_norm):
    total = 0.0
    for g in grads.values():
        total += float((g * g).sum())
    norm = total ** 0.5
    out = {}
    for k, g in grads.items():
        out[k] = g / norm * max_norm if norm > max_norm else g.copy()
    return out, norm


# --- lesson 4 ---

def lstm_step_split(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = h_prev @ W[:, :H].T + x_t @ W[:, H:].T + b
    i, f, g, o = np.split(z, 4, axis=1)
    c = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def lstm_step_package_sigmoid(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.hstack([h_prev, x_t]) @ W.T + b
    i, f, o = (activations.sigmoid(z[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
    c = f * c_prev + i * np.tanh(z[:, 2 * H:3 * H])
    return o * np.tanh(c), c


def lstm_forward_sigmoid_as_written(x, h0, c0, W_x, W_h, b):
    """The issue's example: the sigmoid written 1 / (1 + np.exp(-z))."""
    H = h0.shape[1]
    h, c = h0, c0
    hs, cs = [], []
    for t in range(x.shape[0]):
        z = x[t] @ W_x.T + h @ W_h.T + b
        i = 1 / (1 + np.exp(-z[:, :H]))
        f = 1 / (1 + np.exp(-z[:, H:2 * H]))
        g = np.tanh(z[:, 2 * H:3 * H])
        o = 1 / (1 + np.exp(-z[:, 3 * H:]))
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def lstm_forward_preallocated(x, h0, c0, W_x, W_h, b):
    T, B, _ = x.shape
    H = h0.shape[1]
    hs, cs = np.zeros((T, B, H), dtype=x.dtype), np.zeros((T, B, H), dtype=x.dtype)
    xz = np.einsum("tbd,gd->tbg", x, W_x) + b
    h, c = h0, c0
    for t in range(T):
        z = xz[t] + h @ W_h.T
        c = sig_tanh(z[:, H:2 * H]) * c + sig_exp_form(z[:, :H]) * np.tanh(z[:, 2 * H:3 * H])
        h = sig(z[:, 3 * H:]) * np.tanh(c)
        hs[t], cs[t] = h, c
    return hs, cs


def lstm_forward_own_step(x, h0, c0, W_x, W_h, b):
    W = np.concatenate([W_h, W_x], axis=1)
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        h, c = lstm_step_split(x_t, h, c, W, b)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


def lstm_step_backward_mine(dh_t, dc_t, cache):
    i, f, g, o, c_t = (cache[k] for k in ("i", "f", "g", "o", "c_t"))
    t = np.tanh(c_t)
    dc = dc_t + dh_t * o * (1 - t * t)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g * g),
                    dh_t * t * o * (1 - o)])
    grads = {"b": np.einsum("bg->g", da), "W_h": np.einsum("bg,bh->gh", da, cache["h_prev"]),
             "W_x": np.einsum("bg,bd->gd", da, cache["x_t"])}
    return da @ cache["W_x"], da @ cache["W_h"], dc * f, grads


def lstm_backward_mine(dh, x, h0, c0, W_x, W_h, b):
    T, H = len(x), h0.shape[1]
    hs, cs, caches = [h0], [c0], []
    for t in range(T):
        z = x[t] @ W_x.T + hs[-1] @ W_h.T + b
        i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        caches.append({"i": i, "f": f, "g": g, "o": o, "c_t": cs[-1], "c_prev": cs[-2], "h_prev": hs[-2],
                       "x_t": x[t], "W_x": W_x, "W_h": W_h})
    dx = np.zeros_like(x)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(T - 1, -1, -1):
        dx[t], dh_next, dc_next, grads = lstm_step_backward_mine(dh[t] + dh_next, dc_next, caches[t])
        dW_x, dW_h, db = dW_x + grads["W_x"], dW_h + grads["W_h"], db + grads["b"]
    return dx, dh_next, dc_next, dW_x, dW_h, db


# --- lesson 5 ---

def forecast_mine(params, context, n_ahead):
    values = np.array(context, dtype=float)
    out = np.zeros(n_ahead)
    for k in range(n_ahead):
        y, _ = model.forward(params, values[-len(context):].reshape(-1, 1, 1), readout="last")
        out[k] = y.item()
        values = np.append(values, y.item())
    return out


def softmax_temperature_logsumexp(logits, temperature):
    z = np.asarray(logits, dtype=float) / temperature
    return np.exp(z - (z.max() + np.log(np.sum(np.exp(z - z.max())))))


def softmax_temperature_loop(logits, temperature):
    z = [v / temperature for v in logits]
    top = max(z)
    e = [np.exp(v - top) for v in z]
    total = sum(e)
    return np.array([v / total for v in e])


# --- lesson 6 ---

def tf1_to_course_indices(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    order = np.r_[0:H, 2 * H:3 * H, H:2 * H, 3 * H:4 * H]        # i, f, g, o out of i, j, f, o
    k = kernel[:, order]
    b = bias[order].copy()
    b[H:2 * H] += forget_bias
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": b}


# --- lesson 7 ---

def gru_step_split(x_t, h_prev, W_x, W_h, b_x, b_h):
    xr, xz, xn = np.split(x_t @ W_x.T + b_x, 3, axis=1)
    hr, hz, hn = np.split(h_prev @ W_h.T + b_h, 3, axis=1)
    r, z = activations.sigmoid(xr + hr), activations.sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return n + z * (h_prev - n)


def gru_step_einsum(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a = np.einsum("bd,gd->bg", x_t, W_x) + b_x
    c = np.einsum("bh,gh->bg", h_prev, W_h) + b_h
    r = sig_tanh(a[:, :H] + c[:, :H])
    z = sig(a[:, H:2 * H] + c[:, H:2 * H])
    return (1 - z) * np.tanh(a[:, 2 * H:] + r * c[:, 2 * H:]) + z * h_prev


RIGHT_ANSWERS = {
    "01.stable_sigmoid": [stable_sigmoid_where, stable_sigmoid_tanh, stable_sigmoid_minimum],
    "01.dense_forward": [dense_forward_einsum, dense_forward_loops, dense_forward_transposes],
    "01.dense_backward": [dense_backward_einsum, dense_backward_loops],
    "02.rnn_step": [rnn_step_einsum, rnn_step_concat, rnn_step_exp],
    "02.rnn_forward": [rnn_forward_projected, rnn_forward_own_step],
    "02.rnn_step_backward": [rnn_step_backward_einsum, rnn_step_backward_loops],
    "02.rnn_backward": [rnn_backward_forward_sum_order, rnn_backward_own_step],
    "02.softmax_cross_entropy_backward": [xent_backward_logsumexp, xent_backward_eye],
    "03.step_jacobian": [step_jacobian_diag, step_jacobian_einsum],
    "03.clip_grad_norm": [clip_grad_norm_concat, clip_grad_norm_loop],
    "04.lstm_step": [lstm_step_split, lstm_step_package_sigmoid],
    "04.lstm_forward": [lstm_forward_sigmoid_as_written, lstm_forward_preallocated, lstm_forward_own_step],
    "04.lstm_step_backward": [lstm_step_backward_mine],
    "04.lstm_backward": [lstm_backward_mine],
    "05.forecast": [forecast_mine],
    "05.temperature_softmax": [softmax_temperature_logsumexp, softmax_temperature_loop],
    "06.tf1_to_course": [tf1_to_course_indices],
    "07.gru_step": [gru_step_split, gru_step_einsum],
}


@pytest.mark.parametrize("name, answer", [(n, a) for n, answers in RIGHT_ANSWERS.items() for a in answers],
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_a_right_answer_written_another_way_passes(name, answer):
    result = core.judge(name, answer)
    assert result.passed, result


def test_every_array_exercise_of_lessons_1_to_7_has_right_answers_here():
    arrays = {n for n, ex in core.all_exercises().items()
              if n[:2] in {"01", "02", "03", "04", "05", "06", "07"} and callable(ex.solution)
              and n not in {"01.xor_by_hand", "03.predict_vanishing"} and "puzzle" not in n}
    assert arrays <= set(RIGHT_ANSWERS)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_issues_example_passes_in_float32_and_float64(dtype):
    """04.lstm_forward with the sigmoid written 1 / (1 + np.exp(-z)): once rejected in float32."""
    rng = np.random.default_rng(3)
    args = tuple(a.astype(dtype) for a in L4._sequence(rng, 6, 3, 4, 5))
    expected = L4.lstm_forward(*args)
    got = lstm_forward_sigmoid_as_written(*args)
    assert all(matcher.close(g, e) for g, e in zip(got, expected))
    matcher.diagnose(lstm_forward_sigmoid_as_written, L4.lstm_forward, args, outputs=("h", "c"))
    assert check("04.lstm_forward", lstm_forward_sigmoid_as_written).passed


def test_tolerances_follow_the_dtype_and_the_size_of_the_values():
    small = np.array([1e-3, 2.0], dtype=np.float32)
    rtol32, atol32 = matcher.tolerances(small)
    rtol64, atol64 = matcher.tolerances(small.astype(np.float64))
    assert rtol32 > 5 * rtol64 and atol32 == pytest.approx(rtol32 * 2.0)
    big = np.array([0.0, 1e6])
    assert matcher.close(big + np.array([1e-3, 0.0]), big)          # an entry near 0 in an array of large values
    assert not matcher.close(big * (1 + 1e-3), big)
    assert not matcher.close(np.array([1.0, 1.001], dtype=np.float32), np.array([1.0, 1.0], dtype=np.float32))


# ---------------------------------------------------------------------------------------------------
# The course's own functions are not the learner's work
# ---------------------------------------------------------------------------------------------------

def _says_borrowed(name, answer, qualname):
    result = core.judge(name, answer)
    assert result.status == "wrong", result
    assert result.message == f"your function calls {qualname}, the course's own; write the computation yourself."


def test_the_package_functions_the_issue_names_are_rejected_by_name():
    def sigmoid_borrowed(z):
        return activations.sigmoid(np.asarray(z, dtype=float))

    def clip_borrowed(grads, max_norm):
        return optim.clip_grad_norm(grads, max_norm)

    def forward_by_steps(x, h0, W_xh, W_hh, b_h):
        h, out = h0, []
        for x_t in x:
            h, _ = rnn.step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}, x_t, h)
            out.append(h)
        return np.stack(out)

    def backward_borrowed(dh, x, h0, c0, W_x, W_h, b):
        _, _, cache = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x, h0, c0)
        dx, dh0, dc0, grads = lstm.backward(dh, cache)
        return dx, dh0, dc0, grads["W_x"], grads["W_h"], grads["b"]

    def port_borrowed(kernel, bias, forget_bias=1.0):
        return interop.from_tf1(kernel, bias, forget_bias)

    _says_borrowed("01.stable_sigmoid", sigmoid_borrowed, "rnn_course.activations.sigmoid")
    _says_borrowed("03.clip_grad_norm", clip_borrowed, "rnn_course.optim.clip_grad_norm")
    _says_borrowed("02.rnn_forward", forward_by_steps, "rnn_course.rnn.step_forward")
    _says_borrowed("04.lstm_backward", backward_borrowed, "rnn_course.lstm.forward")   # the outermost, first call
    _says_borrowed("06.tf1_to_course", port_borrowed, "rnn_course.interop.from_tf1")
    _says_borrowed("06.tf1_to_course", interop.from_tf1, "rnn_course.interop.from_tf1")


def test_lstm_backward_is_named_when_the_forward_is_the_learners():
    caches = {}
    for _, x, h0, c0, W_x, W_h, b in L4._backward_cases():          # made here, not by the learner's function
        caches[x.tobytes()] = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x, h0, c0)[2]

    def backward_borrowed(dh, x, h0, c0, W_x, W_h, b):
        dx, dh0, dc0, grads = lstm.backward(dh, caches[x.tobytes()])
        return dx, dh0, dc0, grads["W_x"], grads["W_h"], grads["b"]

    _says_borrowed("04.lstm_backward", backward_borrowed, "rnn_course.lstm.backward")


def test_the_registered_solution_and_its_text_are_rejected():
    _says_borrowed("04.lstm_forward", L4.lstm_forward, "rnn_course.exercises.lesson04.lstm_forward")

    def wraps_solution(*args):
        return L4.lstm_forward(*args)

    _says_borrowed("04.lstm_forward", wraps_solution, "rnn_course.exercises.lesson04.lstm_forward")

    def solution_of_another_exercise(x, h0, c0, W_x, W_h, b):      # the step of 04.lstm_step, reused
        W = np.concatenate([W_h, W_x], axis=1)
        h, c, hs, cs = h0, c0, [], []
        for x_t in x:
            h, c = L4.lstm_step_concat(x_t, h, c, W, b)
            hs.append(h)
            cs.append(c)
        return np.stack(hs), np.stack(cs)

    _says_borrowed("04.lstm_forward", solution_of_another_exercise, "rnn_course.exercises.lesson04.lstm_step_concat")

    namespace = {"np": np, "sigmoid": activations.sigmoid}
    exec(core.solution("04.lstm_forward"), namespace)                  # compiled from the solution's text
    _says_borrowed("04.lstm_forward", namespace["lstm_forward"], "rnn_course.exercises.lesson04.lstm_forward")

    def execs_inside(*args):
        scope = {"np": np, "sigmoid": activations.sigmoid}
        exec(core.solution("04.lstm_forward"), scope)
        return scope["lstm_forward"](*args)

    _says_borrowed("04.lstm_forward", execs_inside, "rnn_course.exercises.core.solution")


def test_a_copy_of_a_package_functions_code_is_caught():
    copied = types.FunctionType(optim.clip_grad_norm.__code__, vars(optim), "mine", optim.clip_grad_norm.__defaults__)

    def clip(grads, max_norm):
        return copied(grads, max_norm)

    _says_borrowed("03.clip_grad_norm", clip, "rnn_course.optim.clip_grad_norm")


def test_allowed_helpers_and_the_learners_own_functions_stay_allowed():
    assert core.judge("04.lstm_step", lstm_step_package_sigmoid).passed       # allow= the package sigmoid
    assert core.judge("07.gru_step", gru_step_split).passed
    assert core.judge("02.rnn_forward", rnn_forward_own_step).passed            # the learner's earlier step
    assert core.judge("05.forecast", forecast_mine).passed                     # the lesson says: model.forward
    function, used = learner_or_reference("02.rnn_step", rnn_step_einsum)
    assert function is rnn_step_einsum

    def forward_with_what_learner_or_reference_returned(x, h0, W_xh, W_hh, b_h):
        return rnn_forward_own_step(x, h0, W_xh, W_hh, b_h) if function is rnn_step_einsum else None

    assert core.judge("02.rnn_forward", forward_with_what_learner_or_reference_returned).passed


def test_the_sigmoid_is_not_allowed_where_it_is_the_exercise():
    def borrowed_inside_a_wrong_answer(z):
        return activations.sigmoid(-np.asarray(z, dtype=float))   # wrong anyway: the mistake is named

    result = core.judge("01.stable_sigmoid", borrowed_inside_a_wrong_answer)
    assert result.status == "wrong" and "sign of z is flipped" in result.message


class _Proxy:
    """What the grader hands the checks: a function that ran elsewhere."""

    __rnn_course_placeholder__ = False

    def __init__(self, error):
        self.error = error

    def __call__(self, *args, **kwargs):
        raise self.error


def test_a_proxy_s_borrowed_call_and_crash_read_like_local_ones():
    result = core.judge("04.lstm_backward", _Proxy(core.BorrowedCall("rnn_course.lstm.backward")))
    assert result.message == ("your function calls rnn_course.lstm.backward, the course's own; write the "
                              "computation yourself.")
    crash = core.LearnerError("IndexError", "index 5 is out of bounds", "line 4 of lstm_forward: `h[t] = o * c`")
    result = core.judge("04.lstm_forward", _Proxy(crash))
    assert result.status == "wrong"
    assert result.message.startswith("your function raised IndexError: index 5 is out of bounds (line 4 of "
                                     "lstm_forward: `h[t] = o * c`).")
    result = core.judge("04.lstm_forward", _Proxy(core.LearnerError("NotImplementedError", "")))
    assert result.status == "not attempted"


# ---------------------------------------------------------------------------------------------------
# A crash names the line of the learner's function
# ---------------------------------------------------------------------------------------------------

CELL = '''def lstm_forward(x, h0, c0, W_x, W_h, b):
    T = x.shape[0]
    h = np.zeros((T, h0.shape[0], h0.shape[1]), dtype=x.dtype)
    for t in range(T + 1):
        h[t] = h0
    return h, h
'''

HELPER_CELL = '''def gates(z, H):
    return z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:5 * H].reshape(-1, 2, H)

def lstm_forward(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    z = x[0] @ W_x.T + h0 @ W_h.T + b
    i, f, g, o = gates(z, H)
    return o, o
'''


def _cell(source, number):
    """A function defined in a notebook cell, as ipykernel compiles it (the cell's text in linecache)."""
    filename = f"/tmp/ipykernel_4242/{number}.py"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_crash_in_a_cell_names_the_line_counting_the_def_line_as_1():
    result = check("04.lstm_forward", _cell(CELL, 1)["lstm_forward"])
    assert result.status == "wrong"
    assert result.message.startswith("your function raised IndexError: index 5 is out of bounds for axis 0 with "
                                     "size 5 (line 5 of lstm_forward: `h[t] = h0`).")


def test_a_crash_in_the_learners_helper_names_the_helpers_line():
    result = check("04.lstm_forward", _cell(HELPER_CELL, 2)["lstm_forward"])
    assert "(line 2 of gates: `return z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H]," in result.message


def test_a_crash_in_a_py_file_names_the_line(tmp_path):
    path = tmp_path / "my_answers.py"
    path.write_text("import numpy as np\n\n\n" + CELL)
    spec = importlib.util.spec_from_file_location("my_answers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = check("04.lstm_forward", module.lstm_forward)
    assert "(line 5 of lstm_forward: `h[t] = h0`)" in result.message


# ---------------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------------

def test_an_array_of_objects_or_strings_says_what_it_holds():
    with pytest.raises(core.Mistake, match=r"^c should be an array of numbers; it is an array of Python objects "
                                           r"\(dtype object"):
        matcher.numbers(np.array([np.zeros(2), None], dtype=object), "c")
    with pytest.raises(core.Mistake, match=r"it is an array of strings"):
        matcher.numbers(np.array(["a", "b"]), "c")
    with pytest.raises(core.Mistake, match=r"^c should be an array of numbers; a list; as an array it is an array "
                                           r"of strings"):
        matcher.numbers(["0.5", "1"], "c")


def test_no_message_has_a_doubled_full_stop():
    def crashes_with_a_full_stop(x, h0, c0, W_x, W_h, b):
        raise ValueError("this part.")

    result = check("04.lstm_forward", crashes_with_a_full_stop)
    assert ".." not in result.message.replace("...", "") and " ." not in result.message
    assert "ValueError: this part. (line 2 of crashes_with_a_full_stop" in result.message
    assert matcher.tidy("a part.. context") == "a part. context"
    assert matcher.tidy("rows 0..H-1 stay") == "rows 0..H-1 stay"


# ---------------------------------------------------------------------------------------------------
# Diagnoses that need no list
# ---------------------------------------------------------------------------------------------------

def _message(name, answer):
    result = core.judge(name, answer)
    assert result.status == "wrong", result
    return result.message


def test_a_constant_factor_is_named_with_the_size_it_equals():
    def xent_over_N_twice(logits, targets):
        return xent_backward_logsumexp(logits, targets) / len(targets)

    message = _message("02.softmax_cross_entropy_backward", xent_over_N_twice)   # a known mistake names it first
    assert message.startswith("you divided by N twice: the result is 1/N of the gradient.")

    def xent_over_N_cubed(logits, targets):
        return xent_backward_logsumexp(logits, targets) / len(targets) ** 3

    message = _message("02.softmax_cross_entropy_backward", xent_over_N_cubed)
    assert message.startswith("your result is exactly 1/125 of the expected values"), message

    def xent_over_N_squared(logits, targets):
        return xent_backward_logsumexp(logits, targets) / len(targets) ** 2

    message = _message("02.softmax_cross_entropy_backward", xent_over_N_squared)
    assert message.startswith("your result is exactly 1/25 of the expected values (1/N^2, N = 5): did you divide "
                              "by N twice?")

    message = _message("07.gru_step", lambda *a: 2 * gru_step_split(*a))
    assert message == "your result is exactly 2 times the expected values: where does a factor 2 come in?"

    def db_times_B(dh, x, h0, c0, W_x, W_h, b):
        out = list(lstm_backward_mine(dh, x, h0, c0, W_x, W_h, b))
        out[5] = out[5] * x.shape[1]
        return tuple(out)

    message = _message("04.lstm_backward", db_times_B)
    assert message.startswith("db is exactly 3 times the expected values (B = 3): did you sum over B")
    assert message.endswith("; dx, dh0, dc0, dW_x, dW_h are right.")


def test_the_sign_flipped_and_outputs_swapped():
    message = _message("02.rnn_step_backward", lambda *a: tuple(-v for v in rnn_step_backward_einsum(*a)))
    assert "sign" in message
    message = _message("07.gru_step", lambda *a: -gru_step_split(*a))
    assert message.startswith("your result has the sign flipped: it is exactly -1 times the expected values")

    def swapped(*args):
        h, c = lstm_step_split(*args)
        return c, h

    assert "h_t and c_t are swapped" in _message("04.lstm_step", swapped) or \
        "h_t holds what c_t should" in _message("04.lstm_step", swapped)


def test_a_backward_right_at_the_last_steps_names_the_step_it_goes_wrong_from():
    def forgets_the_carry_before_step_3(dh, x, h0, c0, W_x, W_h, b):     # the cell path dropped from step 3 on
        out = list(lstm_backward_mine(dh, x, h0, c0, W_x, W_h, b))
        dx = out[0].copy()
        dx[:2] = 0.5 * dx[:2]
        out[0] = dx
        return tuple(out)

    message = _message("04.lstm_backward", forgets_the_carry_before_step_3)
    assert message.startswith("dx is right for t = 5, 4 and 3 and wrong from t = 2 back (steps t = 1 to T; index "
                              "t - 1 holds step t): look at what step 3 sends back to step 2")


def test_a_forward_right_at_the_first_steps_names_the_step_it_goes_wrong_from():
    def late_from_step_3(x, h0, c0, W_x, W_h, b):
        h, c = lstm_forward_own_step(x, h0, c0, W_x, W_h, b)
        h = h.copy()
        h[2:] = h[2:] * 0.9
        return h, c

    message = _message("04.lstm_forward", late_from_step_3)
    assert message.startswith("h is right for t = 1 and 2 and wrong from t = 3 on (steps t = 1 to T; index t - 1 "
                              "holds step t): look at what step 2 hands on to step 3")
    assert message.endswith("; c is right.")


def test_axes_swapped_and_an_output_off_by_another():
    def batch_first(x, h0, c0, W_x, W_h, b):
        h, c = lstm_forward_own_step(x, h0, c0, W_x, W_h, b)
        return h.transpose(1, 0, 2), c.transpose(1, 0, 2)

    message = _message("04.lstm_forward", batch_first)
    assert "the right values transposed, axes (B, T, H) instead of (T, B, H)" in message

    def dh0_plus_dc0(dh, x, h0, c0, W_x, W_h, b):
        dx, dh0, dc0, *rest = lstm_backward_mine(dh, x, h0, c0, W_x, W_h, b)
        return (dx, dh0 + dc0, dc0, *rest)

    assert _message("04.lstm_backward", dh0_plus_dc0).startswith(
        "dh0 is the expected dh0 plus the expected dc0: dc0's share does not belong in dh0")


# ---------------------------------------------------------------------------------------------------
# A battery of realistic wrong answers: none accepted, at least 95 % named by their cause
# ---------------------------------------------------------------------------------------------------

def _change(fn, k, how):
    def answer(*args):
        out = list(fn(*args))
        out[k] = how(out[k], *args)
        return tuple(out)
    return answer


def _rnn_backward_variant(*, carry=True, forwards=False, tanh_prime=True, mean_T=False, sign=1.0, c=1.0):
    def answer(dh, x, h0, h, W_xh, W_hh):
        T = len(x)
        dx, dW_xh, dW_hh = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh)
        db_h = np.zeros(W_hh.shape[0])
        dh_next = np.zeros_like(h0)
        for t in (range(T) if forwards else reversed(range(T))):
            prev = h[t - 1] if t > 0 else h0
            g = dh[t] + (dh_next if carry else 0)
            da = sign * c * g * ((1 - h[t] ** 2) if tanh_prime else 1)
            dx[t] = da @ W_xh
            dW_xh += da.T @ x[t]
            dW_hh += da.T @ prev
            db_h += da.sum(axis=0)
            dh_next = da @ W_hh
        k = T if mean_T else 1
        return dx, dh_next, dW_xh / k, dW_hh / k, db_h / k
    return answer


def _lstm_forward_variant(*, c0_ignored=False, no_i=False, h0_each=False, reversed_time=False):
    def answer(x, h0, c0, W_x, W_h, b):
        H = h0.shape[1]
        h, c = h0, (np.zeros_like(c0) if c0_ignored else c0)
        hs, cs = [], []
        steps = range(len(x) - 1, -1, -1) if reversed_time else range(len(x))
        for t in steps:
            z = x[t] @ W_x.T + (h0 if h0_each else h) @ W_h.T + b
            i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
            c = f * c + (g if no_i else i * g)
            h = o * np.tanh(c)
            hs.append(h)
            cs.append(c)
        if reversed_time:
            hs, cs = hs[::-1], cs[::-1]
        return np.stack(hs), np.stack(cs)
    return answer


def _xent_variant(*, axis=1, sign=1.0, mean=True):
    def answer(logits, targets):
        z = logits - logits.max(axis=axis, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(targets)), targets] = 1
        return (sign * (p - onehot) / (len(targets) if mean else 1)).astype(logits.dtype)
    return answer


WRONG_ANSWERS = [
    ("02.rnn_backward", _rnn_backward_variant(carry=False)),
    ("02.rnn_backward", _rnn_backward_variant(forwards=True)),
    ("02.rnn_backward", _rnn_backward_variant(tanh_prime=False)),
    ("02.rnn_backward", _rnn_backward_variant(mean_T=True)),
    ("02.rnn_backward", _rnn_backward_variant(sign=-1.0)),
    ("02.rnn_backward", lambda dh, *a: rnn_backward_own_step(np.zeros_like(dh) + dh[-1:], *a)),
    ("02.rnn_backward", _change(rnn_backward_own_step, 2, lambda v, *a: v.T)),
    ("02.rnn_backward", _change(rnn_backward_own_step, 4, lambda v, *a: v / a[0].shape[1])),
    ("02.rnn_backward", _change(rnn_backward_own_step, 1, lambda v, *a: np.zeros_like(v))),
    ("02.rnn_forward", lambda x, h0, Wx, Wh, b: rnn_forward_projected(x, np.zeros_like(h0), Wx, Wh, b)),
    ("02.rnn_forward", lambda x, h0, Wx, Wh, b: rnn_forward_projected(x, h0, Wx, Wh, b).transpose(1, 0, 2)),
    ("02.rnn_forward", lambda x, h0, Wx, Wh, b: np.concatenate([h0[None],
                                                                rnn_forward_projected(x, h0, Wx, Wh, b)[:-1]])),
    ("02.rnn_forward", lambda x, h0, Wx, Wh, b: rnn_forward_projected(x, h0, Wx, Wh, 0 * b)),
    ("02.rnn_forward", lambda x, h0, Wx, Wh, b: rnn_forward_projected(x, h0, Wx, Wh.T, b)),
    ("02.rnn_step", lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b)),
    ("02.rnn_step", lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T) + b),
    ("02.rnn_step", lambda x, h, Wx, Wh, b: -rnn_step_einsum(x, h, Wx, Wh, b)),
    ("02.rnn_step", lambda x, h, Wx, Wh, b: 2 * rnn_step_einsum(x, h, Wx, Wh, b)),
    ("02.rnn_step_backward", _change(rnn_step_backward_einsum, 2, lambda v, *a: v.T)),
    ("02.rnn_step_backward", _change(rnn_step_backward_einsum, 4, lambda v, *a: v / len(a[0]))),
    ("02.rnn_step_backward", lambda dh, x, hp, ht, Wx, Wh: rnn_step_backward_einsum(dh / (1 - ht ** 2) * (1 - hp ** 2),
                                                                                   x, hp, ht, Wx, Wh)),
    ("02.softmax_cross_entropy_backward", _xent_variant(axis=0)),
    ("02.softmax_cross_entropy_backward", _xent_variant(sign=-1.0)),
    ("02.softmax_cross_entropy_backward", _xent_variant(mean=False)),
    ("01.dense_forward", lambda X, W, b: np.tanh(X @ W.T + b) / len(X)),
    ("01.dense_forward", lambda X, W, b: np.tanh(X @ W.T + b).T),
    ("01.dense_backward", _change(dense_backward_einsum, 1, lambda v, *a: v / len(a[1]))),
    ("01.dense_backward", _change(dense_backward_einsum, 2, lambda v, *a: v / len(a[1]))),
    ("01.dense_backward", _change(dense_backward_einsum, 0, lambda v, *a: -v)),
    ("01.dense_backward", lambda dA, X, W, A: dense_backward_einsum(dA, X, W, A)[::-1]),
    ("03.step_jacobian", lambda W, h: W @ np.diag(1 - h ** 2)),
    ("03.step_jacobian", lambda W, h: np.diag(1 - h ** 2) @ W.T),
    ("03.step_jacobian", lambda W, h: 2 * np.diag(1 - h ** 2) @ W),
    ("04.lstm_step", lambda x, h, c, W, b: lstm_step_split(h, x, c, np.concatenate([W[:, h.shape[1]:],
                                                                                     W[:, :h.shape[1]]], 1), b)
     if False else lstm_step_split(x, h, np.zeros_like(c), W, b)),
    ("04.lstm_step", lambda *a: lstm_step_split(*a)[::-1]),
    ("04.lstm_step", _change(lstm_step_split, 1, lambda v, *a: -v)),
    ("04.lstm_forward", _lstm_forward_variant(c0_ignored=True)),
    ("04.lstm_forward", _lstm_forward_variant(no_i=True)),
    ("04.lstm_forward", _lstm_forward_variant(h0_each=True)),
    ("04.lstm_forward", _lstm_forward_variant(reversed_time=True)),
    ("04.lstm_forward", lambda *a: tuple(v.transpose(1, 0, 2) for v in lstm_forward_own_step(*a))),
    ("04.lstm_forward", lambda *a: lstm_forward_own_step(*a)[::-1]),
    ("04.lstm_backward", _change(lstm_backward_mine, 5, lambda v, *a: v / a[1].shape[1])),
    ("04.lstm_backward", _change(lstm_backward_mine, 3, lambda v, *a: v / len(a[1]))),
    ("04.lstm_backward", _change(lstm_backward_mine, 0, lambda v, *a: -v)),
    ("04.lstm_backward", lambda *a: (lambda o: (o[0], o[2], o[1], *o[3:]))(lstm_backward_mine(*a))),
    ("04.lstm_backward", _change(lstm_backward_mine, 4, lambda v, *a: v.T if v.shape[0] == v.shape[1] else 2 * v)),
    ("05.temperature_softmax", lambda z, T: softmax_temperature_loop(z, 1.0)),
    ("05.temperature_softmax", lambda z, T: softmax_temperature_loop(z, T) * len(z)),
    ("07.gru_step", lambda x, h, Wx, Wh, bx, bh: gru_step_split(x, np.zeros_like(h), Wx, Wh, bx, bh)),
    ("07.gru_step", lambda x, h, Wx, Wh, bx, bh: gru_step_split(x, h, Wx, Wh, bx, bh).T),
    ("07.gru_step", lambda x, h, Wx, Wh, bx, bh: 0.5 * gru_step_split(x, h, Wx, Wh, bx, bh)),
]

VAGUE = ("is off (relative error", "differs from the expected one (relative error")


def _is_named(message: str) -> bool:
    return not any(v in message for v in VAGUE)


@pytest.mark.parametrize("index", range(len(WRONG_ANSWERS)))
def test_no_wrong_answer_is_accepted(index):
    name, answer = WRONG_ANSWERS[index]
    result = core.judge(name, answer)
    assert result.status == "wrong", (name, result)
    assert "\n" not in result.message


def test_at_least_95_percent_of_the_wrong_answers_are_named_by_their_cause():
    messages = [core.judge(name, answer).message for name, answer in WRONG_ANSWERS]
    vague = [(WRONG_ANSWERS[i][0], m) for i, m in enumerate(messages) if not _is_named(m)]
    assert len(vague) <= 0.05 * len(WRONG_ANSWERS), vague


def test_an_allowed_name_covers_what_is_defined_inside_it():
    assert matcher.is_allowed("rnn_course.activations.sigmoid", ("rnn_course.activations.sigmoid",))
    assert matcher.is_allowed("rnn_course.widgets.gate_explorer.GateExplorer.values",
                              ("rnn_course.widgets.gate_explorer.GateExplorer",))
    assert not matcher.is_allowed("rnn_course.activations.sigmoid_prime", ("rnn_course.activations.sigmoid",))
    assert matcher.package_qualname(lstm.backward.__code__) == "rnn_course.lstm.backward"
    assert matcher.code_kind(__file__) == "learner" and matcher.code_kind(np.__file__) == "library"
