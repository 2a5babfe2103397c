"""Lesson 2 exercises: one RNN step, a whole sequence, the backward pass of one step and of a whole
sequence (BPTT), and the gradient of the softmax cross-entropy.

Shapes follow :mod:`rnn_course.rnn`: a batch of B sequences, inputs of size D, H hidden units,
one row per example: x_t (B, D), h (B, H), W_xh (H, D), W_hh (H, H), b_h (H,); sequences are
time-major, (T, B, .). Every check runs on two cases of different sizes, with T, B, D and H all
different, so a mixed-up axis shows as a wrong shape. Each usual mistake is a short function
computing the wrong answer, with the sentence that explains it (see :mod:`.core`).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..losses import softmax, softmax_cross_entropy
from . import slips
from .core import KnownMistake, compare_exercise, known_mistake, learner_gradcheck

B, D, H = 3, 2, 4      # batch, input size, hidden size of the first case: all different on purpose
SECOND = (2, 5, 3)     # (B, D, H) of the second case
SHAPES = "x_t (B, D), h_prev (B, H), W_xh (H, D), W_hh (H, H), b_h (H,)"


def _case(seed: int, T: int | None = None, sizes=(B, D, H)):
    b, d, n = sizes
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(b, d) if T is None else (T, b, d))
    h_prev = rng.uniform(-0.9, 0.9, size=(b, n))
    W_xh = rng.normal(0, 0.8, size=(n, d))
    W_hh = rng.normal(0, 0.6, size=(n, n))
    b_h = np.array([0.5, -0.7, 0.3, 0.9]) if n == 4 else rng.uniform(-0.9, 0.9, size=n)
    return x, h_prev, W_xh, W_hh, b_h


# --- 02.rnn_step -------------------------------------------------------------------------


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    # x_t (B, D), h_prev (B, H), W_xh (H, D), W_hh (H, H), b_h (H,)  ->  h_t (B, H)
    # One row per example, so W x (column form) becomes x @ W.T.
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def _a(x, h, W_xh, W_hh, b):
    return x @ W_xh.T + h @ W_hh.T + b


STEP_MISTAKES = [
    known_mistake(slips.no_bias("b_h", "the result equals tanh(x_t @ W_xh.T + h_prev @ W_hh.T); b_h belongs inside "
                                       "the tanh"))(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, 0.0))),
    known_mistake("you forgot the tanh: the result equals the pre-activation W_hh h + W_xh x + b_h.")(_a),
    known_mistake(slips.sigmoid_for_tanh("the vanilla RNN's state"))(lambda *args: sigmoid(_a(*args))),
    known_mistake("you used ReLU; this RNN uses tanh, so the state lies in (-1, 1) and can be negative.")(
        lambda *args: np.maximum(_a(*args), 0)),
    known_mistake(slips.bias_after_activation("b_h", "the tanh", "tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), so h_t "
                                              "stays in (-1, 1)"))(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, 0.0)) + b),
    known_mistake("you subtracted the bias; the step is tanh(W_hh h + W_xh x + b_h).")(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, -b))),
    known_mistake("you applied tanh to each term on its own; the step squashes their sum once: "
                  "tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).")(
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T) + np.tanh(h @ Wh.T) + b),
    known_mistake("you added the recurrent term h_prev @ W_hh.T after the tanh; it belongs inside, with the input "
                  "term and the bias: tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).")(
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b) + h @ Wh.T),
    known_mistake("you left out the recurrent term W_hh h_{t-1}, so the step does not depend on the past; that is a "
                  "feed-forward layer, not an RNN.")(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b)),
    known_mistake("you left out the input term W_xh x_t, so the step never sees the input.")(
        lambda x, h, Wx, Wh, b: np.tanh(h @ Wh.T + b)),
    known_mistake(slips.weight_transposed("W_hh", "h_prev @ W_hh", "W_hh^T h_{t-1}"))(
        lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b)),
    known_mistake("your h_t has shape (H, B): it is transposed. You wrote the column form W_xh x_t; the batch keeps "
                  "one row per example, so h_t is (B, H).")(lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, b)).T),
]


def _step_cases():
    return [_case(0), _case(1, sizes=SECOND)]


compare_exercise("02.rnn_step", "One step of a vanilla RNN", solution=rnn_step, cases=_step_cases,
                 mistakes=STEP_MISTAKES, hint=f"Shapes: {SHAPES}; h_t is (B, H).",
                 praise="tanh(W_xh x_t + W_hh h_{t-1} + b_h) for a batch, shape (B, H): one step of the recurrence.")


# --- 02.rnn_forward ----------------------------------------------------------------------


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    # x (T, B, D), h0 (B, H)  ->  h (T, B, H): the state after every step (h0 itself is not included)
    h = np.empty((x.shape[0], h0.shape[0], W_hh.shape[0]))
    h_prev = h0
    for t in range(x.shape[0]):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)   # the same weights at every step
        h[t] = h_prev
    return h


def _unroll(step, x, h0, W_xh, W_hh, b_h):
    """The solution's loop over time, with ``step`` (the signature of rnn_step) for each step."""
    h, h_prev = [], h0
    for t in range(x.shape[0]):
        h_prev = step(x[t], h_prev, W_xh, W_hh, b_h)
        h.append(h_prev)
    return np.stack(h)


#: A slip inside the step is the same slip in the loop (all but the transposed h_t, a shape mistake there).
FORWARD_MISTAKES = [KnownMistake(lambda *args, m=m: _unroll(m.compute, *args), m.explanation)
                    for m in STEP_MISTAKES[:-1]]


@known_mistake("you returned one state of shape (B, H); return the state after every step, stacked along time: "
               "(T, B, H).")
def _last_state_only(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x, h0, W_xh, W_hh, b_h)[-1]


@known_mistake("you returned T + 1 states: leave out h0 and return the states after steps 1 to T, shape (T, B, H).")
def _h0_kept(x, h0, W_xh, W_hh, b_h):
    return np.concatenate([h0[None], rnn_forward(x, h0, W_xh, W_hh, b_h)])


@known_mistake(slips.initial_state_ignored("h0", "h_prev"))
def _h0_ignored(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x, np.zeros_like(h0), W_xh, W_hh, b_h)


@known_mistake(slips.state_not_carried("h0", "h_prev", "h_t"))
def _state_not_carried(x, h0, W_xh, W_hh, b_h):
    return np.stack([rnn_step(x_t, h0, W_xh, W_hh, b_h) for x_t in x])


@known_mistake(slips.first_input_every_step("x"))
def _first_input(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(np.broadcast_to(x[0], x.shape), h0, W_xh, W_hh, b_h)


@known_mistake(slips.one_step_late("h", "h0", "x"))
def _one_step_late(x, h0, W_xh, W_hh, b_h):
    return np.concatenate([h0[None], rnn_forward(x, h0, W_xh, W_hh, b_h)[:-1]])


@known_mistake("the first step is missing: h[0] was never computed, and h[1] was computed from h0. The loop must run "
               "over every step, for t in range(T), starting with x[0].")
def _first_step_missing(x, h0, W_xh, W_hh, b_h):
    h = np.zeros((x.shape[0], *h0.shape))
    h[1:] = rnn_forward(x[1:], h0, W_xh, W_hh, b_h)
    return h


@known_mistake(slips.loop_runs_backwards("h_{t-1}"))
def _backwards_in_time(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x[::-1], h0, W_xh, W_hh, b_h)[::-1]      # step T - 1 first, each stored at its own t


@known_mistake(slips.loop_runs_backwards("h_{t-1}") + " (You also stored the states in the order your loop made "
               "them, so h[0] holds the state after x_T.)")
def _backwards_in_time_in_loop_order(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x[::-1], h0, W_xh, W_hh, b_h)


@known_mistake("each state is transposed, (H, B); keep one row per example, (B, H).")
def _states_transposed(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x, h0, W_xh, W_hh, b_h).transpose(0, 2, 1)


@known_mistake("the last step is missing: the loop stopped one step short, so you returned T - 1 states. Run it over "
               "every step, for t in range(1, T + 1).")
def _last_step_missing(x, h0, W_xh, W_hh, b_h):
    return rnn_forward(x[:-1], h0, W_xh, W_hh, b_h)


FORWARD_MISTAKES += [_last_state_only, _h0_kept, _h0_ignored, _state_not_carried, _first_input, _one_step_late,
                     _first_step_missing, _backwards_in_time, _backwards_in_time_in_loop_order, _states_transposed,
                     _last_step_missing]


def _forward_cases():
    x, h0, *w = _case(7, T=5)
    x2, h02, *w2 = _case(8, T=4, sizes=SECOND)
    return [(x, h0, *w), (x2, h02, *w2)]


compare_exercise("02.rnn_forward", "A whole sequence, one step at a time", solution=rnn_forward,
                 cases=_forward_cases, mistakes=FORWARD_MISTAKES,
                 hint="Shapes: x (T, B, D), h0 (B, H); x[t-1] is step t of every sequence, (B, D); return (T, B, H).",
                 praise="the states after steps 1 to T, shape (T, B, H), each step feeding the next with the same "
                        "weights.")


# --- 02.rnn_step_backward ----------------------------------------------------------------


def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    # dh_t (B, H): dL/dh_t.  Forward was h_t = tanh(a), a = x_t @ W_xh.T + h_prev @ W_hh.T + b_h.
    da = dh_t * (1 - h_t ** 2)      # through tanh: tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2
    dx_t = da @ W_xh                # (B, D)
    dh_prev = da @ W_hh             # (B, H): what flows back to the previous step
    dW_xh = da.T @ x_t              # (H, D), like W_xh: summed over the batch
    dW_hh = da.T @ h_prev           # (H, H), like W_hh
    db_h = da.sum(axis=0)           # (H,), like b_h
    return dx_t, dh_prev, dW_xh, dW_hh, db_h


STEP_GRADS = ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")

#: Wrong ways through the tanh: (sentence, da from (dh, h_prev, h_t)). Shared by both backward exercises.
WRONG_DA = [
    (slips.tanh_derivative_missing("da", "dh", "h_t"), lambda dh, hp, ht: dh),
    (slips.tanh_derivative_not_squared("h_t"), lambda dh, hp, ht: dh * (1 - ht)),
    (slips.tanh_applied_twice("h_t", "a"), lambda dh, hp, ht: dh * (1 - np.tanh(ht) ** 2)),
    ("you used the derivative at the previous state, 1 - h_prev**2; the tanh of this step produced h_t, so use 1 - "
     "h_t**2.", lambda dh, hp, ht: dh * (1 - hp ** 2)),
    (slips.sigmoid_derivative_for_tanh("h_t"), lambda dh, hp, ht: dh * ht * (1 - ht)),
    (slips.wrong_sign("through tanh, da = +dh * (1 - h_t**2)"), lambda dh, hp, ht: -dh * (1 - ht ** 2)),
    (slips.precedence("dh", "h_t"), lambda dh, hp, ht: dh * 1 - ht ** 2),
]


def _grads_from(da, x_t, h_prev, W_xh, W_hh):
    """The five gradients from da, as the solution computes them: (dx_t, dh_prev, dW_xh, dW_hh, db_h)."""
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def _through(wrong_da):
    """The step's backward pass going through the tanh as ``wrong_da(dh, h_prev, h_t)`` does."""
    return lambda dh, x, hp, ht, Wx, Wh: _grads_from(wrong_da(dh, hp, ht), x, hp, Wx, Wh)


STEP_BACKWARD_MISTAKES = [KnownMistake(_through(wrong_da), text) for text, wrong_da in WRONG_DA]


@known_mistake(slips.backward_weight_transposed("dh_prev", "W_hh", "h_prev"))
def _dh_prev_transposed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, _, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_t * (1 - h_t ** 2) @ W_hh.T, dW_xh, dW_hh, db_h


@known_mistake(slips.tanh_derivative_missing_from("dh_prev", "dW_hh", "da", "dh_t", "h_t"))
def _dh_prev_without_slope(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, _, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_t @ W_hh, dW_xh, dW_hh, db_h


@known_mistake(slips.tanh_derivative_missing_from("dx_t", "dW_xh", "da", "dh_t", "h_t"))
def _dx_without_slope(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    _, dh_prev, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dh_t @ W_xh, dh_prev, dW_xh, dW_hh, db_h


@known_mistake(slips.current_state_for_previous("dW_hh", "da", "h_t", "h_prev", "W_hh"))
def _dW_hh_from_h_t(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    return rnn_step_backward(dh_t, x_t, h_t, h_t, W_xh, W_hh)        # h_t where h_prev belongs


DW_HH_TRANSPOSED = ("dW_hh is transposed: entry (i, j) is the gradient of the weight from unit j into unit i, "
                    "da[:, i] times h_prev[:, j], summed over the batch.")


@known_mistake(DW_HH_TRANSPOSED)
def _dW_hh_transposed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_prev, dW_xh, dW_hh.T, db_h


@known_mistake(slips.not_summed_over_batch("db_h", "(B, H)", "b_h", "(H,)", "da"))
def _db_h_not_summed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, dW_xh, dW_hh, _ = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_prev, dW_xh, dW_hh, dh_t * (1 - h_t ** 2)


@known_mistake("dW_xh has shape (D, H), but W_xh is (H, D): a weight's gradient has the weight's shape.")
def _dW_xh_transposed(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_prev, dW_xh.T, dW_hh, db_h


def _averaged(*which):
    """The step's backward pass with the outputs at positions ``which`` divided by the batch size."""
    def backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
        grads = list(rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh))
        return tuple(g / len(x_t) if k in which else g for k, g in enumerate(grads))
    return backward


@known_mistake(slips.outputs_swapped("dx_t", "dh_prev", "them in the order dx_t (B, D), dh_prev (B, H), dW_xh, dW_hh, "
                                     "db_h"))
def _dx_dh_prev_swapped(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, *weights = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return (dh_prev, dx_t, *weights)


@known_mistake("dh_prev multiplies by the tanh derivative after W_hh; the derivative belongs to this step's a, "
               "before the weight: da = dh_t * (1 - h_t**2), then dh_prev = da @ W_hh.")
def _dh_prev_slope_after(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, _, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, (dh_t @ W_hh) * (1 - h_t ** 2), dW_xh, dW_hh, db_h


@known_mistake(slips.derivative_of_the_previous_step("dh_prev", "h_prev"))
def _dh_prev_through_the_previous_tanh(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, dW_xh, dW_hh, db_h = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_prev * (1 - h_prev ** 2), dW_xh, dW_hh, db_h


DB_FROM_DH = slips.bias_grad_from_upstream("db_h", "da", "dh_t * (1 - h_t**2)", "dh_t", "batch")


@known_mistake(DB_FROM_DH)
def _db_h_from_dh(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    dx_t, dh_prev, dW_xh, dW_hh, _ = rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh)
    return dx_t, dh_prev, dW_xh, dW_hh, dh_t.sum(axis=0)


STEP_BACKWARD_MISTAKES += [
    _dh_prev_transposed, _dh_prev_without_slope, _dx_without_slope, _dW_hh_from_h_t, _dW_hh_transposed,
    _db_h_not_summed, _dW_xh_transposed,
    KnownMistake(_averaged(2, 3, 4), slips.averaged("dW_xh, dW_hh and db_h", "batch", "B", "dh_t")),
    KnownMistake(_averaged(3), slips.averaged("dW_hh", "batch", "B", "dh_t", "the sum, da.T @ h_prev")),
    KnownMistake(_averaged(2), slips.averaged("dW_xh", "batch", "B", "dh_t", "the sum, da.T @ x_t")),
    KnownMistake(_averaged(4), slips.averaged("db_h", "batch", "B", "dh_t", "the sum, da.sum(axis=0)")),
    KnownMistake(_averaged(0, 1, 2, 3, 4), slips.averaged("every gradient", "batch", "B", "dh_t")),
    _dx_dh_prev_swapped, _dh_prev_slope_after, _dh_prev_through_the_previous_tanh, _db_h_from_dh,
]


def _step_backward_case(seed: int, sizes=(B, D, H)):
    x, h_prev, W_xh, W_hh, b_h = _case(seed, sizes=sizes)
    h_t = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
    dh = np.random.default_rng(seed + 1).normal(size=h_t.shape)
    return dh, x, h_prev, h_t, W_xh, W_hh


def _step_backward_gradcheck(answer) -> str:
    _, x, h_prev, _, W_xh, W_hh = _step_backward_case(21, sizes=SECOND)
    b_h = np.linspace(-0.5, 0.5, W_hh.shape[0])
    upstream = np.random.default_rng(22).normal(size=h_prev.shape)

    def loss(p):
        return float(np.sum(upstream * rnn_step(p["x_t"], p["h_prev"], p["W_xh"], p["W_hh"], p["b_h"])))

    def grads(step_backward, p):
        h_t = rnn_step(p["x_t"], p["h_prev"], p["W_xh"], p["W_hh"], p["b_h"])
        dx, dh_prev, dW_xh, dW_hh, db_h = step_backward(upstream, p["x_t"], p["h_prev"], h_t, p["W_xh"], p["W_hh"])
        return {"x_t": dx, "h_prev": dh_prev, "W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}

    inputs = {"x_t": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}
    return learner_gradcheck(answer, loss, inputs, grads)


compare_exercise("02.rnn_step_backward", "Backpropagation through one RNN step", solution=rnn_step_backward,
                 cases=lambda: [_step_backward_case(3), _step_backward_case(5, sizes=SECOND)],
                 mistakes=STEP_BACKWARD_MISTAKES, outputs=STEP_GRADS, after=_step_backward_gradcheck,
                 hint="Shapes: dh_t (B, H), x_t (B, D), h_prev and h_t (B, H), W_xh (H, D), W_hh (H, H); a gradient "
                      "has the shape of what it is for: dx_t (B, D), dh_prev (B, H), dW_xh (H, D), dW_hh (H, H), db_h "
                      "(H,).",
                 praise="all five gradients are right: through the tanh first, then each input gets the gradient "
                        "times its weight and each weight the gradient times its input.")


# --- 02.rnn_backward ---------------------------------------------------------------------


def rnn_backward(dh, x, h0, h, W_xh, W_hh):
    # dh (T, B, H): dL/dh[t] from each step's own output; h (T, B, H): the forward states, without h0
    dx, dW_xh, dW_hh = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0], dtype=W_hh.dtype)
    dh_next = np.zeros_like(h0)                  # dL/dh[t] arriving from step t + 1: none after the last
    for t in reversed(range(x.shape[0])):        # backwards: step t needs what step t + 1 sends
        h_prev = h[t - 1] if t > 0 else h0
        da = (dh[t] + dh_next) * (1 - h[t] ** 2)  # both paths to the loss, then through the tanh
        dx[t] = da @ W_xh
        dW_xh += da.T @ x[t]                     # shared weights: add every step's share
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dh_next = da @ W_hh
    return dx, dh_next, dW_xh, dW_hh, db_h       # after the loop, dh_next is dL/dh0


SEQUENCE_GRADS = ("dx", "dh0", "dW_xh", "dW_hh", "db_h")


def _bptt_step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh):
    """Step t of BPTT as the solution does it: both paths into h_t, then the step's own backward pass."""
    return rnn_step_backward(dh_t + dh_next, x_t, h_prev, h_t, W_xh, W_hh)


def _bptt(dh, x, h0, h, W_xh, W_hh, *, step=_bptt_step, order=reversed, add=np.add):
    """BPTT, the loop of the solution: the steps visited in ``order``, each done by ``step`` (the signature of
    :func:`_bptt_step`), each step's weight gradients combined with the total by ``add``."""
    h_prevs = [h0, *h[:-1]]                      # the state each step read: h0, then h[t - 1]
    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
    for t in order(range(x.shape[0])):
        dx[t], dh_next, *share = step(dh[t], dh_next, x[t], h_prevs[t], h[t], W_xh, W_hh)
        dW_xh, dW_hh, db_h = add(dW_xh, share[0]), add(dW_hh, share[1]), add(db_h, share[2])
    return dx, dh_next, dW_xh, dW_hh, db_h


def _bptt_through(wrong_da):
    """BPTT with every step going through the tanh as ``wrong_da(dh, h_prev, h_t)`` does."""
    step = _through(wrong_da)
    return lambda *args: _bptt(*args, step=lambda dh_t, dh_next, *rest: step(dh_t + dh_next, *rest))


SEQUENCE_MISTAKES = [KnownMistake(_bptt_through(wrong_da), text) for text, wrong_da in WRONG_DA]


@known_mistake(slips.no_carry("", "dh[t-1]", "The state h[t-1]", "dh_next = da @ W_hh",
                              "dh[t-1] before going through the tanh"))
def _no_carry(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=lambda dh_t, dh_next, *rest: rnn_step_backward(dh_t, *rest))


@known_mistake(slips.assigned_not_accumulated())
def _assigned(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, add=lambda total, share: share)


@known_mistake(slips.current_state_for_previous("dW_hh", "da[t-1]", "h[t-1]", "h[t-2]", "W_hh", "h0"))
def _dW_hh_from_h_t_in_sequence(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, *weights):
        return _bptt_step(dh_t, dh_next, x_t, h_t, h_t, *weights)        # h_t where h_prev belongs
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=step)


@known_mistake(slips.first_input_in_gradient("dW_xh", "x", "da[t-1]"))
def _first_input_in_dW_xh(dh, x, h0, h, W_xh, W_hh):
    return rnn_backward(dh, np.broadcast_to(x[0], x.shape), h0, h, W_xh, W_hh)


@known_mistake(slips.averaged("dW_xh, dW_hh and db_h", "T steps", "T", "dh", "the sum of every step's share"))
def _averaged_over_T(dh, x, h0, h, W_xh, W_hh):
    dx, dh0, *weights = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return (dx, dh0, *(w / len(x) for w in weights))


@known_mistake(slips.loop_runs_forwards())
def _runs_forwards(dh, x, h0, h, W_xh, W_hh):
    return _bptt(dh, x, h0, h, W_xh, W_hh, order=iter)


@known_mistake(slips.backward_weight_transposed("the gradient sent back to the previous state", "W_hh", "h_prev"))
def _carry_transposed(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, *rest):
        return _dh_prev_transposed.compute(dh_t + dh_next, *rest)
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=step)


@known_mistake("at step 1 you took h[t-2] = h[-1], which Python reads as the LAST state; the state before step 1 is "
               "h0.")
def _h_minus_1_for_h0(dh, x, h0, h, W_xh, W_hh):
    return rnn_backward(dh, x, h[-1], h, W_xh, W_hh)


@known_mistake(slips.initial_state_ignored("h0", "h_prev"))
def _h0_ignored_in_backward(dh, x, h0, h, W_xh, W_hh):
    return rnn_backward(dh, x, np.zeros_like(h0), h, W_xh, W_hh)


@known_mistake("you added what comes back from step t + 1 after the tanh derivative; add it to dh[t-1] first: "
               "da = (dh[t-1] + dh_next) * (1 - h[t-1]**2), since both reach h[t-1] before its tanh.")
def _carry_after_the_slope(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, x_t, h_prev, h_t, W_xh, W_hh):
        return _grads_from(dh_t * (1 - h_t ** 2) + dh_next, x_t, h_prev, W_xh, W_hh)
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=step)


@known_mistake(slips.tanh_derivative_missing_from("dh_next", "dW_hh", "da", "(dh[t-1] + dh_next)", "h[t-1]"))
def _carry_without_slope(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, *rest):
        return _dh_prev_without_slope.compute(dh_t + dh_next, *rest)
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=step)


@known_mistake(DW_HH_TRANSPOSED)
def _dW_hh_transposed_in_sequence(dh, x, h0, h, W_xh, W_hh):
    dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return dx, dh0, dW_xh, dW_hh.T, db_h


@known_mistake("at every step but the last, da dropped the loss's own gradient dh[t-1]: it is dh[t-1] plus what comes "
               "back from step t + 1, not either one.")
def _loss_at_the_last_step_only(dh, x, h0, h, W_xh, W_hh):
    only_last = np.zeros_like(dh)
    only_last[-1] = dh[-1]
    return rnn_backward(only_last, x, h0, h, W_xh, W_hh)


@known_mistake("dW_xh has shape (D, H), but W_xh is (H, D): a weight's gradient has the weight's shape, "
               "da[t-1].T @ x[t-1].")
def _dW_xh_transposed_in_sequence(dh, x, h0, h, W_xh, W_hh):
    dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return dx, dh0, dW_xh.T, dW_hh, db_h


@known_mistake(slips.derivative_of_the_previous_step("dh_next", "h[t-2]"))
def _carry_through_the_previous_tanh(dh, x, h0, h, W_xh, W_hh):
    def step(dh_t, dh_next, *rest):
        return _dh_prev_through_the_previous_tanh.compute(dh_t + dh_next, *rest)
    return _bptt(dh, x, h0, h, W_xh, W_hh, step=step)


@known_mistake("you returned dh[0] as dh0; dh[0] is the loss's gradient at h_1, while dh0 is what step 1 sends back "
               "to h0: dh_next after the loop.")
def _dh0_from_dh(dh, x, h0, h, W_xh, W_hh):
    dx, _, *weights = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return (dx, dh[0], *weights)


@known_mistake(slips.initial_gradient_zero("dh0", "h0", "dh_next"))
def _dh0_zero(dh, x, h0, h, W_xh, W_hh):
    dx, dh0, *weights = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return (dx, np.zeros_like(dh0), *weights)


@known_mistake(slips.bias_grad_from_upstream("db_h", "da", "(dh[t-1] + dh_next) * (1 - h[t-1]**2)", "dh[t-1]", "batch"))
def _db_h_from_dh_in_sequence(dh, x, h0, h, W_xh, W_hh):
    dx, dh0, dW_xh, dW_hh, _ = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return dx, dh0, dW_xh, dW_hh, dh.sum(axis=(0, 1))


SEQUENCE_MISTAKES += [_no_carry, _assigned, _dW_hh_from_h_t_in_sequence, _first_input_in_dW_xh, _averaged_over_T,
                      _runs_forwards, _carry_transposed, _h_minus_1_for_h0, _h0_ignored_in_backward,
                      _carry_after_the_slope, _carry_without_slope, _dW_hh_transposed_in_sequence,
                      _loss_at_the_last_step_only, _dW_xh_transposed_in_sequence, _carry_through_the_previous_tanh,
                      _dh0_from_dh, _dh0_zero, _db_h_from_dh_in_sequence]


def _sequence_divided(count_of, which, text):
    """BPTT with the outputs at positions ``which`` divided by ``count_of(x)``."""
    def backward(dh, x, h0, h, W_xh, W_hh):
        grads = rnn_backward(dh, x, h0, h, W_xh, W_hh)
        return tuple(g / count_of(x) if k in which else g for k, g in enumerate(grads))
    return KnownMistake(backward, text)


@known_mistake(slips.input_gradient_not_stored("dx", "x", "da @ W_xh"))
def _dx_zero(dh, x, h0, h, W_xh, W_hh):
    dx, *rest = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return (np.zeros_like(dx), *rest)


@known_mistake(slips.input_gradient_not_stored("dx", "x", "da @ W_xh")
               + " You returned the share of step 1 alone (dx[0]).")
def _dx_of_step_0(dh, x, h0, h, W_xh, W_hh):
    dx, *rest = rnn_backward(dh, x, h0, h, W_xh, W_hh)
    return (dx[0], *rest)


SEQUENCE_MISTAKES += [
    _dx_zero, _dx_of_step_0,
    _sequence_divided(lambda x: x.shape[1], (2, 3, 4), slips.averaged("dW_xh, dW_hh and db_h", "batch", "B", "dh")),
    _sequence_divided(len, (0, 1, 2, 3, 4), slips.averaged("every gradient", "T steps", "T", "dh")),
]


def _sequence_case(seed: int, T: int, sizes=(B, D, H)):
    x, h0, W_xh, W_hh, b_h = _case(seed, T=T, sizes=sizes)
    h = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh = np.random.default_rng(seed + 1).normal(size=h.shape)
    return dh, x, h0, h, W_xh, W_hh


def _sequence_gradcheck(answer) -> str:
    _, x, h0, _, W_xh, W_hh = _sequence_case(31, 6, sizes=SECOND)
    b_h = np.linspace(-0.5, 0.5, W_hh.shape[0])
    upstream = np.random.default_rng(32).normal(size=(x.shape[0], *h0.shape))

    def forward(p):
        return rnn_forward(p["x"], p["h0"], p["W_xh"], p["W_hh"], p["b_h"])

    def grads(backward, p):
        dx, dh0, dW_xh, dW_hh, db_h = backward(upstream, p["x"], p["h0"], forward(p), p["W_xh"], p["W_hh"])
        return {"x": dx, "h0": dh0, "W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h}

    inputs = {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}
    return learner_gradcheck(answer, lambda p: float(np.sum(upstream * forward(p))), inputs, grads)


compare_exercise("02.rnn_backward", "Backpropagation through time for a whole sequence", solution=rnn_backward,
                 cases=lambda: [_sequence_case(13, 5), _sequence_case(15, 4, sizes=SECOND)],
                 mistakes=SEQUENCE_MISTAKES, outputs=SEQUENCE_GRADS, after=_sequence_gradcheck,
                 hint="Shapes: dh and h (T, B, H), x (T, B, D), h0 (B, H), W_xh (H, D), W_hh (H, H); return dx (T, B, "
                      "D), dh0 (B, H), dW_xh (H, D), dW_hh (H, H), db_h (H,).",
                 praise="BPTT: each state gets its own gradient plus what the next step sends back, and the shared "
                        "weights add up every step's share.")


# --- 02.softmax_cross_entropy_backward ---------------------------------------------------


def softmax_cross_entropy_backward(logits, targets):
    # logits (N, C), targets (N,) class indices; L = mean over the N rows of -log softmax(logits)[target]
    z = logits - logits.max(axis=1, keepdims=True)    # the same softmax, and np.exp cannot overflow
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(targets)), targets] -= 1.0        # p - onehot(y)
    return p / len(targets)                           # the mean over N rows puts 1/N on each


def _onehot(targets, C):
    return np.eye(C)[targets]


def _p(logits, axis=1):
    return softmax(np.asarray(logits, dtype=np.float64), axis=axis)


XENT_MISTAKES = [
    known_mistake("that is the gradient of the sum over the N rows; the loss is their mean, so divide by N.")(
        lambda z, y: _p(z) - _onehot(y, z.shape[1])),
    known_mistake("the sign is flipped: you returned (onehot(y) - p) / N. Raising the right class's score lowers the "
                  "loss, so its gradient is negative: (p - onehot(y)) / N."
                  )(lambda z, y: (_onehot(y, z.shape[1]) - _p(z)) / len(y)),
    known_mistake("that is the softmax alone, divided by N: subtract onehot(y), i.e. 1 at each row's target class.")(
        lambda z, y: _p(z) / len(y)),
    known_mistake("that is the softmax alone: subtract onehot(y), i.e. 1 at each row's target class, then divide by N."
                  )(
        lambda z, y: _p(z)),
    known_mistake("you divided by C, the number of classes; the mean is over the N rows, so divide by N.")(
        lambda z, y: (_p(z) - _onehot(y, z.shape[1])) / z.shape[1]),
    known_mistake(slips.softmax_wrong_axis("example", "C classes"))(
        lambda z, y: (_p(z, axis=0) - _onehot(y, z.shape[1])) / len(y)),
    known_mistake("p[:, targets] -= 1 subtracts 1 in every row at every target's column (N columns per row); "
                  "subtract it once per row, at that row's own target: p[np.arange(N), targets] -= 1.")(
        lambda z, y: (_p(z) - np.isin(np.arange(z.shape[1]), y)[None, :] * 1.0) / len(y)),
    known_mistake("you multiplied by p (1 - p), as for a sigmoid; with the softmax and the cross-entropy together, "
                  "those factors cancel and the gradient is just (p - onehot(y)) / N.")(
        lambda z, y: (_p(z) - _onehot(y, z.shape[1])) * _p(z) * (1 - _p(z)) / len(y)),
]


@known_mistake(slips.softmax_whole_batch())
def _one_sum_for_the_batch(logits, targets):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum() - _onehot(targets, logits.shape[1])) / len(targets)


@known_mistake("you subtracted 1 from every entry; subtract it only at each row's target class, "
               "p[np.arange(N), targets] -= 1 (that is p - onehot(y)).")
def _one_subtracted_everywhere(logits, targets):
    return (_p(logits) - 1) / len(targets)


@known_mistake("you added 1 at the target class; subtract it: the gradient is (p - onehot(y)) / N, negative at the "
               "right class.")
def _one_added(logits, targets):
    return (_p(logits) + _onehot(targets, logits.shape[1])) / len(targets)


@known_mistake("you divided by N * C, the number of entries (logits.size); the mean is over the N rows only, so "
               "divide by N.")
def _divided_by_the_size(logits, targets):
    return (_p(logits) - _onehot(targets, logits.shape[1])) / logits.size


@known_mistake("you divided by N twice: the result is 1/N of the gradient. The mean over the N rows puts one 1/N "
               "on each: (p - onehot(y)) / N.")
def _divided_twice(logits, targets):
    return (_p(logits) - _onehot(targets, logits.shape[1])) / len(targets) ** 2


XENT_MISTAKES += [_one_sum_for_the_batch, _one_subtracted_everywhere, _one_added, _divided_by_the_size,
                  _divided_twice]


def _xent_cases():
    rng = np.random.default_rng(41)
    return [(rng.normal(size=(5, 3)) * 2, rng.integers(0, 3, size=5)),
            (rng.normal(size=(2, 7)) * 2, np.array([6, 0])),
            (np.array([[1000.0, 999.0, 0.0, -5.0], [0.0, 0.0, 0.0, 0.0], [-1000.0, 0.0, 3.0, 1.0]]),
             np.array([1, 2, 0])),
            (rng.normal(size=(4, 6)).astype(np.float32), np.array([0, 5, 2, 2]))]


def _xent_gradcheck(answer) -> str:
    rng = np.random.default_rng(42)
    targets = rng.integers(0, 5, size=6)

    def grads(backward, p):
        return {"logits": backward(p["logits"], targets.copy())}

    return learner_gradcheck(answer, lambda p: softmax_cross_entropy(p["logits"], targets)[0],
                             {"logits": rng.normal(size=(6, 5))}, grads)


compare_exercise("02.softmax_cross_entropy_backward", "The gradient of the softmax cross-entropy",
                 solution=softmax_cross_entropy_backward, cases=_xent_cases, mistakes=XENT_MISTAKES,
                 after=_xent_gradcheck, rtol=1e-5, atol=1e-7,
                 hint="Shapes: logits (N, C), targets (N,) integer class indices; return dlogits (N, C). Subtract "
                      "each row's own largest logit (axis=1, keepdims=True) before np.exp, so that nothing "
                      "overflows and no row underflows to 0 / 0.",
                 praise="(p - onehot(y)) / N, finite even for logits of 1000, and float32 in gives float32 out.")


__all__ = ["rnn_backward", "rnn_forward", "rnn_step", "rnn_step_backward", "softmax_cross_entropy_backward"]
