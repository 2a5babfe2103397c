"""A battery of realistic answers to every array exercise of lessons 1 to 7, written the way a first-time
learner types them: each wrong one must be told "wrong" with a sentence that names its cause (not only a
relative error), each right one written another way (einsum, loops, float32) must pass.

The summary test measures the fraction of wrong answers named by their cause
the issue asks for 95 %.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from rnn_course import model
from rnn_course.exercises import check

WRONG: list = []      # (exercise, learner function)
RIGHT: list = []


def wrong(name):
    def add(fn):
        WRONG.append((name, fn))
        return fn
    return add


def right(name, needs=""):
    """A right answer written another way; ``needs`` names what the check still lacks to accept it (an expected
    failure until then)."""
    def add(fn):
        marks = [pytest.mark.xfail(reason=f"needs {needs}", strict=False)] if needs else []
        RIGHT.append(pytest.param(name, fn, marks=marks, id=f"{name}:{fn.__name__}"))
        return fn
    return add


def sig(z):
    return 1 / (1 + np.exp(-z))


# =====================================================================================================
# 01.stable_sigmoid
# =====================================================================================================

@wrong("01.stable_sigmoid")
def stable_sigmoid_naive(z):
    return 1 / (1 + np.exp(-z))


@wrong("01.stable_sigmoid")
def stable_sigmoid_where(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


@wrong("01.stable_sigmoid")
def stable_sigmoid_tanh(z):
    return np.tanh(z)


@wrong("01.stable_sigmoid")
def stable_sigmoid_sign(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))


@wrong("01.stable_sigmoid")
def stable_sigmoid_math(z):
    return 1 / (1 + math.exp(-z))


@wrong("01.stable_sigmoid")
def stable_sigmoid_one_branch(z):
    e = np.exp(-np.abs(z))
    return 1 / (1 + e)


@wrong("01.stable_sigmoid")
def stable_sigmoid_other_branch(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e)


@wrong("01.stable_sigmoid")
def stable_sigmoid_if(z):
    if z >= 0:
        return 1 / (1 + np.exp(-z))
    return np.exp(z) / (1 + np.exp(z))


@right("01.stable_sigmoid")
def stable_sigmoid_loop(z):
    out = np.empty_like(np.asarray(z, dtype=float))
    for k, v in np.ndenumerate(np.asarray(z, dtype=float)):
        out[k] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out


# =====================================================================================================
# 01.dense_forward
# =====================================================================================================

@wrong("01.dense_forward")
def dense_forward_no_transpose(X, W, b):
    return np.tanh(X @ W + b)


@wrong("01.dense_forward")
def dense_forward_no_bias(X, W, b):
    return np.tanh(X @ W.T)


@wrong("01.dense_forward")
def dense_forward_bias_after(X, W, b):
    Z = X @ W.T
    return np.tanh(Z) + b


@wrong("01.dense_forward")
def dense_forward_sigmoid(X, W, b):
    return 1 / (1 + np.exp(-(X @ W.T + b)))


@wrong("01.dense_forward")
def dense_forward_relu(X, W, b):
    return np.maximum(0, X @ W.T + b)


@wrong("01.dense_forward")
def dense_forward_column_form(X, W, b):
    return np.tanh(W @ X.T + b[:, None])


@wrong("01.dense_forward")
def dense_forward_linear(X, W, b):
    return X @ W.T + b


@wrong("01.dense_forward")
def dense_forward_times_bias(X, W, b):
    return np.tanh(X @ W.T * b)


@wrong("01.dense_forward")
def dense_forward_tanh_of_input(X, W, b):
    return np.tanh(X) @ W.T + b


@right("01.dense_forward")
def dense_forward_einsum(X, W, b):
    return np.tanh(np.einsum("nd,hd->nh", X, W) + b)


@right("01.dense_forward")
def dense_forward_loops(X, W, b):
    out = np.zeros((X.shape[0], W.shape[0]))
    for n in range(X.shape[0]):
        for j in range(W.shape[0]):
            out[n, j] = math.tanh(sum(X[n, d] * W[j, d] for d in range(X.shape[1])) + b[j])
    return out


# =====================================================================================================
# 01.dense_backward
# =====================================================================================================

@wrong("01.dense_backward")
def dense_backward_no_derivative(dA, X, W, A):
    return dA @ W, dA.T @ X, dA.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_one_minus_A(dA, X, W, A):
    dZ = dA * (1 - A)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_sigmoid_derivative(dA, X, W, A):
    dZ = dA * A * (1 - A)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_dW_transposed(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return dZ @ W, X.T @ dZ, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_mean(dA, X, W, A):
    N = X.shape[0]
    dZ = dA * (1 - A ** 2)
    return dZ @ W, dZ.T @ X / N, np.sum(dZ, axis=0) / N


@wrong("01.dense_backward")
def dense_backward_all_mean(dA, X, W, A):
    N = X.shape[0]
    dZ = dA * (1 - A ** 2) / N
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_db_rows(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return dZ @ W, dZ.T @ X, dZ


@wrong("01.dense_backward")
def dense_backward_dX_skips(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return dA @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_tanh_again(dA, X, W, A):
    dZ = dA * (1 - np.tanh(A) ** 2)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_db_axis1(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=1)


@wrong("01.dense_backward")
def dense_backward_precedence(dA, X, W, A):
    dZ = dA * 1 - A ** 2
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_db_scalar(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return dZ @ W, dZ.T @ X, np.sum(dZ)


@wrong("01.dense_backward")
def dense_backward_A_for_dA(dA, X, W, A):
    dZ = A * (1 - A ** 2)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_dX_column_form(dA, X, W, A):
    dZ = dA * (1 - A ** 2)
    return W.T @ dZ.T, dZ.T @ X, dZ.sum(axis=0)


@wrong("01.dense_backward")
def dense_backward_derivative_alone(dA, X, W, A):
    dZ = (1 - A ** 2)
    return dZ @ W, dZ.T @ X, dZ.sum(0)


@wrong("01.dense_backward")
def dense_backward_plus_A_squared(dA, X, W, A):
    dZ = dA * (1 + A ** 2)
    return dZ @ W, dZ.T @ X, dZ.sum(0)


@right("01.dense_backward")
def dense_backward_einsum(dA, X, W, A):
    dZ = dA * (1 - A * A)
    return np.einsum("nh,hd->nd", dZ, W), np.einsum("nh,nd->hd", dZ, X), np.einsum("nh->h", dZ)


# =====================================================================================================
# 02.rnn_step
# =====================================================================================================

@wrong("02.rnn_step")
def rnn_step_no_bias(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)


@wrong("02.rnn_step")
def rnn_step_sigmoid(x_t, h_prev, W_xh, W_hh, b_h):
    a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h
    return 1 / (1 + np.exp(-a))


@wrong("02.rnn_step")
def rnn_step_relu(x_t, h_prev, W_xh, W_hh, b_h):
    return np.maximum(0, x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


@wrong("02.rnn_step")
def rnn_step_no_tanh(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h


@wrong("02.rnn_step")
def rnn_step_W_hh_transposed(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h)


@wrong("02.rnn_step")
def rnn_step_no_recurrence(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + b_h)


@wrong("02.rnn_step")
def rnn_step_bias_after(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T) + b_h


@wrong("02.rnn_step")
def rnn_step_tanh_per_term(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T) + np.tanh(h_prev @ W_hh.T) + b_h


@wrong("02.rnn_step")
def rnn_step_column_form(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_xh @ x_t.T + W_hh @ h_prev.T + b_h[:, None])


@right("02.rnn_step")
def rnn_step_einsum(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(np.einsum("bd,hd->bh", x_t, W_xh) + np.einsum("bk,hk->bh", h_prev, W_hh) + b_h)


@right("02.rnn_step")
def rnn_step_concatenated(x_t, h_prev, W_xh, W_hh, b_h):
    W = np.concatenate([W_xh, W_hh], axis=1)
    return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W.T + b_h)


# =====================================================================================================
# 02.rnn_forward
# =====================================================================================================

def _rnn_loop(x, h_start, W_xh, W_hh, b_h):
    h, out = h_start, []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b_h)
        out.append(h)
    return np.stack(out)


@wrong("02.rnn_forward")
def rnn_forward_h0_ignored(x, h0, W_xh, W_hh, b_h):
    T, B, _ = x.shape
    h = np.zeros((T, B, W_hh.shape[0]))
    h_prev = np.zeros((B, W_hh.shape[0]))
    for t in range(T):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)
        h[t] = h_prev
    return h


@wrong("02.rnn_forward")
def rnn_forward_not_carried(x, h0, W_xh, W_hh, b_h):
    h = []
    for t in range(len(x)):
        h.append(np.tanh(x[t] @ W_xh.T + h0 @ W_hh.T + b_h))
    return np.array(h)


@wrong("02.rnn_forward")
def rnn_forward_last_only(x, h0, W_xh, W_hh, b_h):
    h = h0
    for t in range(len(x)):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b_h)
    return h


@wrong("02.rnn_forward")
def rnn_forward_keeps_h0(x, h0, W_xh, W_hh, b_h):
    hs = [h0]
    for t in range(len(x)):
        hs.append(np.tanh(x[t] @ W_xh.T + hs[-1] @ W_hh.T + b_h))
    return np.stack(hs)


@wrong("02.rnn_forward")
def rnn_forward_shifted(x, h0, W_xh, W_hh, b_h):
    h = np.zeros((x.shape[0], h0.shape[0], h0.shape[1]))
    h_prev = h0
    for t in range(x.shape[0]):
        h[t] = h_prev
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)
    return h


@wrong("02.rnn_forward")
def rnn_forward_first_input(x, h0, W_xh, W_hh, b_h):
    h, out = h0, []
    for _ in range(len(x)):
        h = np.tanh(x[0] @ W_xh.T + h @ W_hh.T + b_h)
        out.append(h)
    return np.stack(out)


@wrong("02.rnn_forward")
def rnn_forward_W_hh_transposed(x, h0, W_xh, W_hh, b_h):
    h, out = h0, []
    for t in range(len(x)):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh + b_h)
        out.append(h)
    return np.stack(out)


@wrong("02.rnn_forward")
def rnn_forward_backwards_in_time(x, h0, W_xh, W_hh, b_h):
    h = np.zeros((x.shape[0], h0.shape[0], W_hh.shape[0]))
    h_prev = h0
    for t in reversed(range(x.shape[0])):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)
        h[t] = h_prev
    return h


@wrong("02.rnn_forward")
def rnn_forward_skips_first(x, h0, W_xh, W_hh, b_h):
    h = np.zeros((x.shape[0], h0.shape[0], W_hh.shape[0]))
    h_prev = h0
    for t in range(1, x.shape[0]):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)
        h[t] = h_prev
    return h


@wrong("02.rnn_forward")
def rnn_forward_one_step_short(x, h0, W_xh, W_hh, b_h):
    h, out = h0, []
    for t in range(len(x) - 1):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b_h)
        out.append(h)
    return np.stack(out)


@right("02.rnn_forward")
def rnn_forward_preallocated_einsum(x, h0, W_xh, W_hh, b_h):
    xs = np.einsum("tbd,hd->tbh", x, W_xh) + b_h        # every input projected at once
    h = np.empty_like(xs)
    prev = h0
    for t in range(len(x)):
        prev = h[t] = np.tanh(xs[t] + prev @ W_hh.T)
    return h


# =====================================================================================================
# 02.rnn_step_backward
# =====================================================================================================

@wrong("02.rnn_step_backward")
def rnn_step_backward_no_tanh(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    return dh_t @ W_xh, dh_t @ W_hh, dh_t.T @ x_t, dh_t.T @ h_prev, dh_t.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_dh_prev_no_tanh(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    dh_prev = dh_t @ W_hh
    return da @ W_xh, dh_prev, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_one_minus_h(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_dh_prev_transposed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh.T, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_dW_hh_from_h_t(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_t, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_dW_hh_transposed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, h_prev.T @ da, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_mean(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    B = x_t.shape[0]
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t / B, da.T @ h_prev / B, da.mean(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_all_over_B(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2) / len(x_t)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_sign(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = -dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_prev_derivative(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_prev ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_precedence(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * 1 - h_t ** 2
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_slope_after_weight(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    dh_prev = dh_t @ W_hh * (1 - h_t ** 2)
    return da @ W_xh, dh_prev, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_previous_tanh_too(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh * (1 - h_prev ** 2), da.T @ x_t, da.T @ h_prev, da.sum(0)


@wrong("02.rnn_step_backward")
def rnn_step_backward_db_from_dh(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, dh_t.sum(0)


@right("02.rnn_step_backward")
def rnn_step_backward_einsum(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    da = dh_t * (1 - h_t * h_t)
    return (np.einsum("bh,hd->bd", da, W_xh), np.einsum("bh,hk->bk", da, W_hh), np.einsum("bh,bd->hd", da, x_t),
            np.einsum("bh,bk->hk", da, h_prev), np.einsum("bh->h", da))


# =====================================================================================================
# 02.rnn_backward
# =====================================================================================================

@wrong("02.rnn_backward")
def rnn_backward_no_carry(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_prev = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = dh[t] * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_prev = da @ W_hh
    return dx, dh_prev, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_forwards_in_time(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in range(len(x)):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_assigned(dh, x, h0, h, W_xh, W_hh):
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh = da.T @ x[t]
        dW_hh = da.T @ h_prev
        db_h = da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_h0_ignored(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else np.zeros_like(h0)
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_wraps_to_last(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h[t - 1]
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_mean_over_T(dh, x, h0, h, W_xh, W_hh):
    T = len(x)
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh / T, dW_hh / T, db_h / T


@wrong("02.rnn_backward")
def rnn_backward_carry_skips_tanh(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        g = dh[t] + dh_next
        da = g * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = g @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_no_tanh(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = dh[t] + dh_next
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_dW_hh_from_h_t(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h[t]
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_dW_hh_transposed(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += h_prev.T @ da
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_loss_only_at_the_end(dh, x, h0, h, W_xh, W_hh):
    T = len(x)
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = dh[T - 1]
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else h0
        da = dh_next * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_dW_xh_transposed(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros((x.shape[2], W_hh.shape[0])), np.zeros_like(W_hh), 0
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += x[t].T @ da
        dW_hh += da.T @ h_prev
        db_h = db_h + da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_dh0_is_dh0(dh, x, h0, h, W_xh, W_hh):
    dx, dWx, dWh, db = np.zeros_like(x), 0 * W_xh, 0 * W_hh, 0
    dn = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        hp = h[t - 1] if t > 0 else h0
        da = (dh[t] + dn) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dWx += da.T @ x[t]
        dWh += da.T @ hp
        db = db + da.sum(0)
        dn = da @ W_hh
    return dx, dh[0], dWx, dWh, db


@wrong("02.rnn_backward")
def rnn_backward_dh0_zero(dh, x, h0, h, W_xh, W_hh):
    dx, dWx, dWh, db = np.zeros_like(x), 0 * W_xh, 0 * W_hh, 0
    dn = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        hp = h[t - 1] if t > 0 else h0
        da = (dh[t] + dn) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dWx += da.T @ x[t]
        dWh += da.T @ hp
        db = db + da.sum(0)
        dn = da @ W_hh
    return dx, np.zeros_like(h0), dWx, dWh, db


@wrong("02.rnn_backward")
def rnn_backward_carry_through_previous_tanh(dh, x, h0, h, W_xh, W_hh):
    dx, dWx, dWh, db = np.zeros_like(x), 0 * W_xh, 0 * W_hh, 0
    dn = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        hp = h[t - 1] if t > 0 else h0
        da = (dh[t] + dn) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dWx += da.T @ x[t]
        dWh += da.T @ hp
        db = db + da.sum(0)
        dn = da @ W_hh * (1 - hp ** 2)
    return dx, dn, dWx, dWh, db


@wrong("02.rnn_backward")
def rnn_backward_batch_mean(dh, x, h0, h, W_xh, W_hh):
    B = x.shape[1]
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t] / B
        dW_hh += da.T @ h_prev / B
        db_h += da.mean(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@wrong("02.rnn_backward")
def rnn_backward_dx_forgotten(dh, x, h0, h, W_xh, W_hh):
    dx, dW_xh, dW_hh, db_h = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)
        dW_xh += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h


@right("02.rnn_backward")
def rnn_backward_states_with_h0(dh, x, h0, h, W_xh, W_hh):
    states = np.concatenate([h0[None], h])           # states[t] is h_{t-1}
    dx = np.zeros_like(x)
    dW_xh, dW_hh, db_h = 0 * W_xh, 0 * W_hh, np.zeros(W_hh.shape[0])
    carry = 0 * h0
    for t in range(len(x) - 1, -1, -1):
        da = (dh[t] + carry) * (1 - states[t + 1] ** 2)
        dx[t] = np.einsum("bh,hd->bd", da, W_xh)
        dW_xh = dW_xh + np.einsum("bh,bd->hd", da, x[t])
        dW_hh = dW_hh + np.einsum("bh,bk->hk", da, states[t])
        db_h = db_h + da.sum(0)
        carry = da @ W_hh
    return dx, carry, dW_xh, dW_hh, db_h


# =====================================================================================================
# 02.softmax_cross_entropy_backward
# =====================================================================================================

def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@wrong("02.softmax_cross_entropy_backward")
def xent_no_mean(logits, targets):
    p = _softmax_rows(logits)
    p[np.arange(len(targets)), targets] -= 1
    return p


@wrong("02.softmax_cross_entropy_backward")
def xent_sign(logits, targets):
    p = _softmax_rows(logits)
    p[np.arange(len(targets)), targets] -= 1
    return -p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_softmax_only(logits, targets):
    return _softmax_rows(logits) / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_wrong_axis(logits, targets):
    e = np.exp(logits - logits.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_column_slice(logits, targets):
    p = _softmax_rows(logits)
    p[:, targets] -= 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_divided_by_C(logits, targets):
    p = _softmax_rows(logits)
    p[np.arange(len(targets)), targets] -= 1
    return p / logits.shape[1]


@wrong("02.softmax_cross_entropy_backward")
def xent_no_shift(logits, targets):
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_whole_batch_sum(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum()
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_global_max(logits, targets):
    e = np.exp(logits - logits.max())
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_minus_one_everywhere(logits, targets):
    return (_softmax_rows(logits) - 1) / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_one_added(logits, targets):
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(targets)), targets] += 1
    return p / len(targets)


@wrong("02.softmax_cross_entropy_backward")
def xent_divided_by_size(logits, targets):
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1
    return p / logits.size


@wrong("02.softmax_cross_entropy_backward")
def xent_divided_twice(logits, targets):
    N = logits.shape[0]
    p = _softmax_rows(logits) / N
    p[np.arange(N), targets] -= 1 / N
    return p / N


@right("02.softmax_cross_entropy_backward")
def xent_onehot_loop(logits, targets):
    out = np.empty_like(logits)
    for n in range(logits.shape[0]):
        z = logits[n] - logits[n].max()
        p = np.exp(z) / np.exp(z).sum()
        p[targets[n]] -= 1
        out[n] = p / logits.shape[0]
    return out


@right("02.softmax_cross_entropy_backward")
def xent_onehot_in_the_logits_dtype(logits, targets):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    p = np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(targets)), targets] = 1
    return (p - onehot) / logits.shape[0]


# =====================================================================================================
# 03.step_jacobian
# =====================================================================================================

@wrong("03.step_jacobian")
def jacobian_columns(W_hh, h_t):
    return W_hh * (1 - h_t ** 2)


@wrong("03.step_jacobian")
def jacobian_W_T(W_hh, h_t):
    return np.diag(1 - h_t ** 2) @ W_hh.T


@wrong("03.step_jacobian")
def jacobian_transposed(W_hh, h_t):
    return W_hh.T @ np.diag(1 - h_t ** 2)


@wrong("03.step_jacobian")
def jacobian_W_only(W_hh, h_t):
    return W_hh


@wrong("03.step_jacobian")
def jacobian_one_minus_h(W_hh, h_t):
    return np.diag(1 - h_t) @ W_hh


@wrong("03.step_jacobian")
def jacobian_tanh_again(W_hh, h_t):
    return np.diag(1 - np.tanh(h_t) ** 2) @ W_hh


@wrong("03.step_jacobian")
def jacobian_elementwise_diag(W_hh, h_t):
    return np.diag(1 - h_t ** 2) * W_hh


@wrong("03.step_jacobian")
def jacobian_sigmoid_slope(W_hh, h_t):
    return np.diag(h_t * (1 - h_t)) @ W_hh


@right("03.step_jacobian")
def jacobian_loops(W_hh, h_t):
    J = np.zeros_like(W_hh)
    for i in range(len(h_t)):
        for j in range(len(h_t)):
            J[i, j] = (1 - h_t[i] ** 2) * W_hh[i, j]
    return J


@right("03.step_jacobian")
def jacobian_einsum(W_hh, h_t):
    return np.einsum("i,ij->ij", 1 - h_t ** 2, W_hh)


# =====================================================================================================
# 03.clip_grad_norm
# =====================================================================================================

@wrong("03.clip_grad_norm")
def clip_each(grads, max_norm):
    out, total = {}, np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    for k, g in grads.items():
        n = np.linalg.norm(g)
        out[k] = g * max_norm / n if n > max_norm else g
    return out, total


@wrong("03.clip_grad_norm")
def clip_entries(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, norm


@wrong("03.clip_grad_norm")
def clip_norm_after(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm > max_norm:
        grads = {k: g * max_norm / norm for k, g in grads.items()}
    return grads, np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))


@wrong("03.clip_grad_norm")
def clip_always(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return {k: g * max_norm / norm for k, g in grads.items()}, norm


@wrong("03.clip_grad_norm")
def clip_no_sqrt(grads, max_norm):
    norm = sum(np.sum(g ** 2) for g in grads.values())
    if norm > max_norm:
        return {k: g * max_norm / norm for k, g in grads.items()}, norm
    return dict(grads), norm


@wrong("03.clip_grad_norm")
def clip_sum_of_norms(grads, max_norm):
    norm = sum(np.linalg.norm(g) for g in grads.values())
    if norm > max_norm:
        return {k: g * max_norm / norm for k, g in grads.items()}, norm
    return dict(grads), norm


@wrong("03.clip_grad_norm")
def clip_inverted(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm > max_norm:
        return {k: g * norm / max_norm for k, g in grads.items()}, norm
    return dict(grads), norm


@wrong("03.clip_grad_norm")
def clip_in_place(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads, norm


@wrong("03.clip_grad_norm")
def clip_divided(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    if norm > max_norm:
        return {k: g / norm for k, g in grads.items()}, norm
    return dict(grads), norm


@right("03.clip_grad_norm")
def clip_with_min(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    scale = min(1.0, max_norm / norm)
    return {k: scale * g for k, g in grads.items()}, norm


# =====================================================================================================
# 04.lstm_step
# =====================================================================================================

def _gates(z, H):
    return sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])


@wrong("04.lstm_step")
def lstm_step_xh(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.concatenate([x_t, h_prev], axis=1) @ W.T + b, H)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_no_input_gate(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = f * c_prev + g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_no_forget(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_no_squash(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = f * c_prev + i * g
    return o * c_t, c_t


@wrong("04.lstm_step")
def lstm_step_sigmoid_candidate(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.hstack([h_prev, x_t]) @ W.T + b
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), sig(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_ifog(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.hstack([h_prev, x_t]) @ W.T + b
    i, f, o, g = sig(z[:, :H]), sig(z[:, H:2 * H]), sig(z[:, 2 * H:3 * H]), np.tanh(z[:, 3 * H:])
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_no_output_gate(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = f * c_prev + i * g
    return np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_old_cell_shown(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_prev), c_t


@wrong("04.lstm_step")
def lstm_step_no_bias(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T, H)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_tanh_gates(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.tanh(np.hstack([h_prev, x_t]) @ W.T + b)
    i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@wrong("04.lstm_step")
def lstm_step_gate_inside_tanh(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    i, f, g, o = _gates(np.hstack([h_prev, x_t]) @ W.T + b, H)
    c_t = f * c_prev + i * g
    return np.tanh(o * c_t), c_t


@wrong("04.lstm_step")
def lstm_step_coupled(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.hstack([h_prev, x_t]) @ W.T + b
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sig(z[:, 3*H:])  # noqa: F841 (the learner's own line)
    c = f * c_prev + (1 - f) * g
    return o * np.tanh(c), c


@wrong("04.lstm_step")
def lstm_step_tanh_of_cell_returned(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.hstack([h_prev, x_t]) @ W.T + b
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sig(z[:, 3*H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), np.tanh(c)


@right("04.lstm_step")
def lstm_step_split(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    W_h, W_x = W[:, :H], W[:, H:]
    z = np.einsum("bd,gd->bg", x_t, W_x) + np.einsum("bk,gk->bg", h_prev, W_h) + b
    i, f, g, o = np.split(z, 4, axis=1)
    c_t = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_t), c_t


# =====================================================================================================
# 04.lstm_forward
# =====================================================================================================

def _lstm_cell(x_t, h, c, W_x, W_h, b):
    H = h.shape[1]
    i, f, g, o = _gates(x_t @ W_x.T + h @ W_h.T + b, H)
    c = f * c + i * g
    return o * np.tanh(c), c, (i, f, g, o)


@wrong("04.lstm_forward")
def lstm_forward_c0_ignored(x, h0, c0, W_x, W_h, b):
    h, c = h0, np.zeros_like(c0)
    hs, cs = [], []
    for t in range(len(x)):
        H = h.shape[1]
        z = x[t] @ W_x.T + h @ W_h.T + b
        i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_h0_ignored(x, h0, c0, W_x, W_h, b):
    h, c, hs, cs = np.zeros_like(h0), c0, [], []
    for x_t in x:
        h, c, _ = _lstm_cell(x_t, h, c, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_no_input_gate(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(len(x)):
        i, f, g, o = _gates(x[t] @ W_x.T + h @ W_h.T + b, H)
        c = f * c + g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_backwards_in_time(x, h0, c0, W_x, W_h, b):
    h, c = h0, c0
    hs, cs = np.zeros((len(x), *h0.shape)), np.zeros((len(x), *c0.shape))
    for t in reversed(range(len(x))):
        h, c, _ = _lstm_cell(x[t], h, c, W_x, W_h, b)
        hs[t], cs[t] = h, c
    return hs, cs


@wrong("04.lstm_forward")
def lstm_forward_stale_c(x, h0, c0, W_x, W_h, b):
    h, hs, cs = h0, [], []
    for t in range(len(x)):
        h, c, _ = _lstm_cell(x[t], h, c0, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_stale_h(x, h0, c0, W_x, W_h, b):
    c, hs, cs = c0, [], []
    for t in range(len(x)):
        h, c, _ = _lstm_cell(x[t], h0, c, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_ifog(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(len(x)):
        z = x[t] @ W_x.T + h @ W_h.T + b
        i, f, o, g = sig(z[:, :H]), sig(z[:, H:2 * H]), sig(z[:, 2 * H:3 * H]), np.tanh(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_one_step_late(x, h0, c0, W_x, W_h, b):
    h, c, hs, cs = h0, c0, [], []
    for t in range(len(x)):
        hs.append(h)
        cs.append(c)
        h, c, _ = _lstm_cell(x[t], h, c, W_x, W_h, b)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_no_squash(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(len(x)):
        i, f, g, o = _gates(x[t] @ W_x.T + h @ W_h.T + b, H)
        c = f * c + i * g
        h = o * c
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_h0_c0_swapped(x, h0, c0, W_x, W_h, b):
    h, c, hs, cs = c0, h0, [], []
    for x_t in x:
        h, c, _ = _lstm_cell(x_t, h, c, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_old_cell_shown(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(len(x)):
        i, f, g, o = _gates(x[t] @ W_x.T + h @ W_h.T + b, H)
        h = o * np.tanh(c)
        c = f * c + i * g
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_coupled(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        z = x_t @ W_x.T + h @ W_h.T + b
        i, f, g, o = sig(z[:, :H]), sig(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sig(z[:, 3*H:])  # noqa: F841 (the learner's own line)
        c = f * c + (1 - f) * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@wrong("04.lstm_forward")
def lstm_forward_tanh_of_cell_returned(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        z = x_t @ W_x.T + h @ W_h.T + b
        i, f, g, o = sig(z[:, :H]), sig(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sig(z[:, 3*H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(np.tanh(c))
    return np.stack(hs), np.stack(cs)


@right("04.lstm_forward")
def lstm_forward_einsum_preallocated(x, h0, c0, W_x, W_h, b):
    T, H = len(x), h0.shape[1]
    hs = np.zeros((T, *h0.shape), dtype=x.dtype)
    cs = np.zeros_like(hs)
    xw = np.einsum("tbd,gd->tbg", x, W_x) + b
    h, c = h0, c0
    for t in range(T):
        z = xw[t] + h @ W_h.T
        i, f, o = (np.exp(-np.logaddexp(0, -z[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
        c = f * c + i * np.tanh(z[:, 2 * H:3 * H])
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c
    return hs, cs


# =====================================================================================================
# 04.lstm_step_backward
# =====================================================================================================

def _lstm_step_grads(da, cache):
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_no_h_path(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_no_f(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_do_with_c(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * cache["c_t"] * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_slope_of_c(dh_t, dc_t, cache):
    i, f, g, o, c_t = cache["i"], cache["f"], cache["g"], cache["o"], cache["c_t"]
    dc = dc_t + dh_t * o * (1 - c_t ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * np.tanh(c_t) * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_candidate_sigmoid_slope(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * g * (1 - g),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_ifog(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dh_t * tc * o * (1 - o),
                    dc * i * (1 - g ** 2)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_db_mean(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    grads["b"] = da.mean(axis=0)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_no_gate_slopes(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g, dc * cache["c_prev"], dc * i * (1 - g ** 2), dh_t * tc])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_di_without_g(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_do_from_dc(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dc * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_without_dc_t(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_dg_without_i(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    dx, dh_prev, grads = _lstm_step_grads(da, cache)
    return dx, dh_prev, dc * f, grads


@wrong("04.lstm_step_backward")
def lstm_step_backward_batch_mean(dh_t, dc_t, cache):
    B = dh_t.shape[0]
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g ** 2),
                    dh_t * tc * o * (1 - o)])
    grads = {"W_x": da.T @ cache["x_t"] / B, "W_h": da.T @ cache["h_prev"] / B, "b": da.mean(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], dc * f, grads


@right("04.lstm_step_backward")
def lstm_step_backward_einsum(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tc = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tc * tc)
    da = np.concatenate([dc * g * i * (1 - i), dc * cache["c_prev"] * f * (1 - f), dc * i * (1 - g * g),
                         dh_t * tc * o * (1 - o)], axis=-1)
    grads = {"W_x": np.einsum("bg,bd->gd", da, cache["x_t"]), "W_h": np.einsum("bg,bk->gk", da, cache["h_prev"]),
             "b": np.einsum("bg->g", da)}
    return np.einsum("bg,gd->bd", da, cache["W_x"]), np.einsum("bg,gk->bk", da, cache["W_h"]), dc * f, grads


# =====================================================================================================
# 04.lstm_backward
# =====================================================================================================

def _lstm_forward_keep(x, h0, c0, W_x, W_h, b):
    hs, cs, gates = [h0], [c0], []
    for t in range(len(x)):
        h, c, gate = _lstm_cell(x[t], hs[-1], cs[-1], W_x, W_h, b)
        hs.append(h)
        cs.append(c)
        gates.append(gate)
    return hs, cs, gates


@wrong("04.lstm_backward")
def lstm_backward_no_dc_carry(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_no_dh_carry(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t]
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_forwards_in_time(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in range(len(x)):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_c0_ignored(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, np.zeros_like(c0), W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_assigned(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x = da.T @ x[t]
        dW_h = da.T @ hs[t]
        db = da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_dW_h_from_h_t(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t + 1]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_dc_next_without_f(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_no_h_path(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@wrong("04.lstm_backward")
def lstm_backward_mean_over_T(dh, x, h0, c0, W_x, W_h, b):
    T = len(x)
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx, dW_x, dW_h, db = np.zeros_like(x), np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x / T, dW_h / T, db / T


@wrong("04.lstm_backward")
def lstm_backward_dc0_zero(dh, x, h0, c0, W_x, W_h, b):
    from rnn_course.exercises.lesson04 import lstm_backward
    dx, dh0, dc0, a, bb, cc = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return dx, dh0, np.zeros_like(dc0), a, bb, cc


@wrong("04.lstm_backward")
def lstm_backward_dx_overwritten(dh, x, h0, c0, W_x, W_h, b):
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc ** 2)
        da = np.hstack([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g ** 2),
                        dh_t * tc * o * (1 - o)])
        dx = da @ W_x
        dW_x += da.T @ x[t]
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


@right("04.lstm_backward")
def lstm_backward_cache_lists(dh, x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    hs, cs, gates = _lstm_forward_keep(x, h0, c0, W_x, W_h, b)
    dx = np.zeros_like(x)
    grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
    dh_next, dc_next = 0 * h0, 0 * c0
    for t in range(len(x) - 1, -1, -1):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tc * tc)
        da = np.empty((x.shape[1], 4 * H))
        da[:, :H], da[:, H:2 * H] = dc * g * i * (1 - i), dc * cs[t] * f * (1 - f)
        da[:, 2 * H:3 * H], da[:, 3 * H:] = dc * i * (1 - g * g), dh_t * tc * o * (1 - o)
        dx[t] = da @ W_x
        grads = [grads[0] + np.einsum("bg,bd->gd", da, x[t]), grads[1] + np.einsum("bg,bk->gk", da, hs[t]),
                 grads[2] + da.sum(0)]
        dh_next, dc_next = da @ W_h, dc * f
    return (dx, dh_next, dc_next, *grads)


# =====================================================================================================
# 05.forecast
# =====================================================================================================

@wrong("05.forecast")
def forecast_same_number(params, context, n_ahead):
    x = np.array(context)[:, None, None]
    y, _ = model.forward(params, x, readout="last")
    return np.array([y[0, 0]] * n_ahead)


@wrong("05.forecast")
def forecast_feeds_observed(params, context, n_ahead):
    values, out = list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-len(context):])[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(context[-1])
    return np.array(out)


@wrong("05.forecast")
def forecast_growing_window(params, context, n_ahead):
    values, out = list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values)[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(y[0, 0])
    return np.array(out)


@wrong("05.forecast")
def forecast_batch_axis(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[None, :, None], readout="last")
        out.append(y[0, 0])
        values.append(y[0, 0])
    return np.array(out)


@wrong("05.forecast")
def forecast_skips_first(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None], readout="last")
        values.append(y[0, 0])
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None], readout="last")
        out.append(y[0, 0])
    return np.array(out)


@wrong("05.forecast")
def forecast_with_context(params, context, n_ahead):
    window, values = len(context), list(context)
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None], readout="last")
        values.append(y[0, 0])
    return np.array(values)


@wrong("05.forecast")
def forecast_first_step_output(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None])
        out.append(y[0, 0, 0])
        values.append(y[0, 0, 0])
    return np.array(out)


@wrong("05.forecast")
def forecast_window_one_short(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window + 1:])[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(y[0, 0])
    return np.array(out)


@wrong("05.forecast")
def forecast_keeps_arrays(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None])
        out.append(y[-1])
        values.append(y[-1, 0, 0])
    return np.array(out)


@right("05.forecast")
def forecast_readout_all(params, context, n_ahead):
    window = np.array(context, dtype=float)
    out = []
    for _ in range(n_ahead):
        y, _ = model.forward(params, window.reshape(-1, 1, 1))
        out.append(float(y[-1, 0, 0]))
        window = np.append(window[1:], out[-1])
    return out


# =====================================================================================================
# 05.temperature_softmax
# =====================================================================================================

@wrong("05.temperature_softmax")
def temperature_ignored(logits, temperature):
    e = np.exp(logits - np.max(logits))
    return e / e.sum()


@wrong("05.temperature_softmax")
def temperature_multiplied(logits, temperature):
    z = logits * temperature
    e = np.exp(z - z.max())
    return e / e.sum()


@wrong("05.temperature_softmax")
def temperature_not_normalised(logits, temperature):
    z = logits / temperature
    return np.exp(z - z.max())


@wrong("05.temperature_softmax")
def temperature_no_shift(logits, temperature):
    e = np.exp(logits / temperature)
    return e / e.sum()


@wrong("05.temperature_softmax")
def temperature_after_softmax(logits, temperature):
    e = np.exp(logits - logits.max())
    return e / e.sum() / temperature


@wrong("05.temperature_softmax")
def temperature_sum_unscaled(logits, temperature):
    z = logits - logits.max()
    return np.exp(z / temperature) / np.exp(z).sum()


@wrong("05.temperature_softmax")
def temperature_log_probs(logits, temperature):
    z = logits / temperature
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


@wrong("05.temperature_softmax")
def temperature_min_shift(logits, temperature):
    z = logits / temperature
    e = np.exp(z - z.min())
    return e / e.sum()


@wrong("05.temperature_softmax")
def temperature_power(logits, temperature):
    e = np.exp(logits - logits.max())
    return (e / e.sum()) ** (1 / temperature)


@right("05.temperature_softmax")
def temperature_logsumexp(logits, temperature):
    z = np.asarray(logits, float) / temperature
    return np.exp(z - z.max() - np.log(np.sum(np.exp(z - z.max()))))


# =====================================================================================================
# 06.tf1_to_course
# =====================================================================================================

@wrong("06.tf1_to_course")
def tf1_no_transpose(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D], "W_h": k[D:], "b": np.concatenate([b_i, b_f + forget_bias, b_j, b_o])}


@wrong("06.tf1_to_course")
def tf1_swapped_rows(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[H:].T, "W_h": k[:H].T, "b": np.concatenate([b_i, b_f + forget_bias, b_j, b_o])}


@wrong("06.tf1_to_course")
def tf1_kept_order(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    b = bias.copy()
    b[2 * H:3 * H] += forget_bias
    return {"W_x": kernel[:D].T, "W_h": kernel[D:].T, "b": b}


@wrong("06.tf1_to_course")
def tf1_no_forget_bias(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": np.concatenate([b_i, b_f, b_j, b_o])}


@wrong("06.tf1_to_course")
def tf1_fixed_forget_bias(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": np.concatenate([b_i, b_f + 1.0, b_j, b_o])}


@wrong("06.tf1_to_course")
def tf1_bias_everywhere(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": np.concatenate([b_i, b_f, b_j, b_o]) + forget_bias}


@wrong("06.tf1_to_course")
def tf1_ifog(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, o, j], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": np.concatenate([b_i, b_f + forget_bias, b_o, b_j])}


@wrong("06.tf1_to_course")
def tf1_bias_not_reordered(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b = bias.copy()
    b[H:2 * H] += forget_bias
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": b}


@wrong("06.tf1_to_course")
def tf1_forget_bias_subtracted(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)
    k = np.concatenate([i, f, j, o], axis=1)
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    return {"W_x": k[:D].T, "W_h": k[D:].T, "b": np.concatenate([b_i, b_f - forget_bias, b_j, b_o])}


@right("06.tf1_to_course")
def tf1_by_index(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    order = np.r_[0:H, 2 * H:3 * H, H:2 * H, 3 * H:4 * H]       # TF1's i, j, f, o -> the course's i, f, g, o
    b = bias[order].copy()
    b[H:2 * H] += forget_bias
    return {"W_x": np.ascontiguousarray(kernel[:D, order].T), "W_h": np.ascontiguousarray(kernel[D:, order].T),
            "b": b}


# =====================================================================================================
# 07.gru_step
# =====================================================================================================

@wrong("07.gru_step")
def gru_reset_before(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + (r * h_prev) @ W_h[2 * H:].T + b_h[2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_swapped_z(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return z * n + (1 - z) * h_prev


@wrong("07.gru_step")
def gru_bias_outside(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * (h_prev @ W_h[2 * H:].T) + b_h[2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_keras_order(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    z = sig(a_x[:, :H] + a_h[:, :H])
    r = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_no_reset(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_no_b_x(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_reset_on_everything(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(r * (a_x[:, 2 * H:] + a_h[:, 2 * H:]))
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_gates_from_input_only(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H])
    z = sig(a_x[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_candidate_returned(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(a_x[:, :H] + a_h[:, :H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return n


@wrong("07.gru_step")
def gru_no_b_hn(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x
    a_h = h_prev @ W_h.T
    r = sig(a_x[:, :H] + a_h[:, :H] + b_h[:H])
    z = sig(a_x[:, H:2 * H] + a_h[:, H:2 * H] + b_h[H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_r_in_update(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax, ah = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(ax[:, :H] + ah[:, :H])
    z = sig(ax[:, H:2*H] + ah[:, H:2*H])  # noqa: F841 (the learner's own line)
    n = np.tanh(ax[:, 2*H:] + r * ah[:, 2*H:])
    return (1 - r) * n + r * h_prev


@wrong("07.gru_step")
def gru_z_in_candidate(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    ax, ah = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = sig(ax[:, :H] + ah[:, :H])  # noqa: F841 (the learner's own line)
    z = sig(ax[:, H:2*H] + ah[:, H:2*H])
    n = np.tanh(ax[:, 2*H:] + z * ah[:, 2*H:])
    return (1 - z) * n + z * h_prev


@wrong("07.gru_step")
def gru_tanh_gates(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r = np.tanh(a_x[:, :H] + a_h[:, :H])
    z = np.tanh(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


@right("07.gru_step")
def gru_split(x_t, h_prev, W_x, W_h, b_x, b_h):
    x_r, x_z, x_n = np.split(np.einsum("bd,gd->bg", x_t, W_x) + b_x, 3, axis=1)
    h_r, h_z, h_n = np.split(np.einsum("bk,gk->bg", h_prev, W_h) + b_h, 3, axis=1)
    r, z = sig(x_r + h_r), sig(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return n + z * (h_prev - n)


# =====================================================================================================
# The tests
# =====================================================================================================

GENERIC = re.compile(
    r"(^|; )[\w\[\]\"'.]+ is off \(relative error|your result differs from the expected one"
    # the custom checkers' own fallbacks: a number or a formula, but no cause
    r"|b should be TF1's bias reordered|after clipping, the global norm should be|wrong at \d+ of \d+ test values"
    r"|the norm should be sqrt of the sum of squares of every entry of every gradient: "
    r"|should have global norm 5: scale them")


def is_named(message: str) -> bool:
    """True when the message names a cause, not only how far off the result is."""
    return not GENERIC.search(message)


def _id(entry):
    return f"{entry[0]}:{entry[1].__name__}"


@pytest.mark.parametrize("entry", WRONG, ids=_id)
def test_a_wrong_answer_is_wrong_and_named(entry):
    name, answer = entry
    result = check(name, answer)
    assert result.status == "wrong", result
    assert is_named(result.message), result.message


@pytest.mark.parametrize("name, answer", RIGHT)
def test_a_right_answer_written_another_way_passes(name, answer):
    result = check(name, answer)
    assert result.passed, result


def test_every_array_exercise_has_at_least_eight_wrong_answers():
    counts = {}
    for name, _ in WRONG:
        counts[name] = counts.get(name, 0) + 1
    expected = {"01.stable_sigmoid", "01.dense_forward", "01.dense_backward", "02.rnn_step", "02.rnn_forward",
                "02.rnn_step_backward", "02.rnn_backward", "02.softmax_cross_entropy_backward", "03.step_jacobian",
                "03.clip_grad_norm", "04.lstm_step", "04.lstm_forward", "04.lstm_step_backward", "04.lstm_backward",
                "05.forecast", "05.temperature_softmax", "06.tf1_to_course", "07.gru_step"}
    assert set(counts) == expected
    assert min(counts.values()) >= 8, counts


def test_at_least_95_percent_of_the_wrong_answers_are_named():
    results = [check(name, answer) for name, answer in WRONG]
    named = sum(r.status == "wrong" and is_named(r.message) for r in results)
    assert named / len(results) >= 0.95, f"{named} of {len(results)} named"


def test_the_generic_pattern_tells_a_relative_error_from_a_cause():
    assert not is_named("dx is off (relative error 0.33); dh0, dW_xh, dW_hh, db_h are right.")
    assert not is_named("your result differs from the expected one (relative error 0.5): at index (0, 1) ...")
    assert not is_named('dW_x is off (relative error 0.2); grads["b"] is off (relative error 0.1).')
    assert not is_named("b should be TF1's bias reordered to i, f, g, o with forget_bias added to the f block: [1]")
    assert is_named("you skipped the tanh derivative: da must be dh * (1 - h_t**2).")
