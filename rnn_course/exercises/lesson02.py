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
    known_mistake("you forgot the bias b_h: the result equals tanh(x_t @ W_xh.T + h_prev @ W_hh.T). Add b_h inside "
                  "the tanh.")(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, 0.0))),
    known_mistake("you forgot the tanh: the result equals the pre-activation W_hh h + W_xh x + b_h.")(_a),
    known_mistake("you used the sigmoid; the vanilla RNN squashes with tanh (range (-1, 1)), so the state can be "
                  "negative too.")(lambda *args: sigmoid(_a(*args))),
    known_mistake("you used ReLU; this RNN uses tanh, so the state lies in (-1, 1) and can be negative.")(
        lambda *args: np.maximum(_a(*args), 0)),
    known_mistake("you added b_h after the tanh; the bias belongs inside it, so h_t stays in (-1, 1).")(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, 0.0)) + b),
    known_mistake("you subtracted the bias; the step is tanh(W_hh h + W_xh x + b_h).")(
        lambda x, h, Wx, Wh, b: np.tanh(_a(x, h, Wx, Wh, -b))),
    known_mistake("you left out the recurrent term W_hh h_{t-1}, so the step does not depend on the past; that is a "
                  "feed-forward layer, not an RNN.")(lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b)),
    known_mistake("you left out the input term W_xh x_t, so the step never sees the input.")(
        lambda x, h, Wx, Wh, b: np.tanh(h @ Wh.T + b)),
    known_mistake("W_hh is transposed: you computed h_prev @ W_hh, i.e. W_hh^T h_{t-1}. Row i of W_hh holds the "
                  "weights into unit i. (W_hh is square, so the shape alone cannot catch this.)")(
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


def _unroll(x, h0, W_xh, W_hh, b_h, *, step=rnn_step, carry=True, start=0, x_at=None, keep_h0=False):
    """The forward loop, as a usual mistake writes it: another step function, the state not carried,
    the loop starting at ``start``, the input of step ``x_at`` at every step, or h0 kept."""
    h, prev = [np.zeros_like(h0)] * start, h0
    for t in range(start, x.shape[0]):
        new = step(x[t if x_at is None else x_at], prev, W_xh, W_hh, b_h)
        h.append(new)
        prev = new if carry else h0
    return np.stack(([h0] if keep_h0 else []) + h)


FORWARD_MISTAKES = [KnownMistake(lambda *args, m=m: _unroll(*args, step=m.compute), m.explanation)
                    for m in STEP_MISTAKES[:-1]] + [
    known_mistake("you returned one state of shape (B, H); return the state after every step, stacked along time: (T, "
                  "B, H).")(lambda *args: rnn_forward(*args)[-1]),
    known_mistake("you returned T + 1 states: leave out h0 and return the states after steps 1 to T, shape (T, B, H).")(
        lambda *args: _unroll(*args, keep_h0=True)),
    known_mistake("you ignored h0 and started from zeros; the first step uses h_prev = h0.")(
        lambda x, h0, *w: rnn_forward(x, np.zeros_like(h0), *w)),
    known_mistake("every step used h0 as its previous state: the new state never fed the next step. Update h_prev "
                  "inside the loop, so that step t + 1 sees h_t.")(lambda *args: _unroll(*args, carry=False)),
    known_mistake("every step read the input of step 0, x[0]: index the input with the loop's t, x[t].")(
        lambda *args: _unroll(*args, x_at=0)),
    known_mistake("your states are shifted by one step: h[0] is h0 and h[t] holds h_{t-1}. Store the new state after "
                  "computing it.")(lambda x, h0, *w: np.concatenate([h0[None], rnn_forward(x, h0, *w)[:-1]])),
    known_mistake("the first step is missing: h[0] was never computed, and h[1] was computed from h0. The loop must "
                  "run over every step, for t in range(T), starting with x[0].")(lambda *args: _unroll(*args, start=1)),
    known_mistake("each state is transposed, (H, B); keep one row per example, (B, H).")(
        lambda *args: rnn_forward(*args).transpose(0, 2, 1)),
]


def _forward_cases():
    x, h0, *w = _case(7, T=5)
    x2, h02, *w2 = _case(8, T=4, sizes=SECOND)
    return [(x, h0, *w), (x2, h02, *w2)]


compare_exercise("02.rnn_forward", "A whole sequence, one step at a time", solution=rnn_forward,
                 cases=_forward_cases, mistakes=FORWARD_MISTAKES,
                 hint="Shapes: x (T, B, D), h0 (B, H); x[t] is step t of every sequence, (B, D); return (T, B, H).",
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

#: Wrong ways to go through the tanh: (sentence, da from (dh, h_prev, h_t)). Shared by both backward exercises.
WRONG_DA = [
    ("you skipped the tanh: da must be dh * (1 - h_t**2), the derivative of tanh written with its output h_t.",
     lambda dh, hp, ht: dh),
    ("the tanh derivative is 1 - h_t**2 (squared); you used 1 - h_t.", lambda dh, hp, ht: dh * (1 - ht)),
    ("you used 1 - tanh(h_t)**2, applying tanh a second time; h_t already is tanh(a), so tanh'(a) = 1 - h_t**2.",
     lambda dh, hp, ht: dh * (1 - np.tanh(ht) ** 2)),
    ("you used the derivative at the previous state, 1 - h_prev**2; the tanh of this step produced h_t, so use 1 - "
     "h_t**2.", lambda dh, hp, ht: dh * (1 - hp ** 2)),
    ("you used the sigmoid's derivative h_t (1 - h_t); this step's activation is tanh: 1 - h_t**2.",
     lambda dh, hp, ht: dh * ht * (1 - ht)),
    ("every gradient has the wrong sign: through tanh, da = +dh * (1 - h_t**2), and each product keeps that sign.",
     lambda dh, hp, ht: -dh * (1 - ht ** 2)),
]


def _step_back(dh, x, hp, ht, Wx, Wh, *, da=None, dh_prev_T=False, dW_hh_from_h_t=False, dW_hh_T=False,
               db_unsummed=False, dW_xh_T=False, mean=(), swap=False):
    """One backward step, with the usual mistakes as switches."""
    d = dh * (1 - ht ** 2) if da is None else da(dh, hp, ht)
    out = [d @ Wx, d @ (Wh.T if dh_prev_T else Wh), x.T @ d if dW_xh_T else d.T @ x,
           d.T @ (ht if dW_hh_from_h_t else hp), d if db_unsummed else d.sum(axis=0)]
    if dW_hh_T:
        out[3] = out[3].T
    for k in mean:                  # averaged over the batch instead of summed
        out[k] = out[k] / d.shape[0]
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def _sb(explanation, **switches):
    return KnownMistake(lambda *args: _step_back(*args, **switches), explanation)


STEP_BACKWARD_MISTAKES = [_sb(text, da=da) for text, da in WRONG_DA] + [
    _sb("dh_prev uses the transposed weight: the forward multiplied by W_hh (row form h_prev @ W_hh.T), so the "
        "backward multiplies by W_hh^T (row form: the untransposed W_hh). W_hh is square, so the shape alone cannot "
        "catch this.", dh_prev_T=True),
    _sb("dW_hh multiplies da by h_t; the weight W_hh multiplied h_prev in the forward pass, so its gradient is da "
        "times h_prev.", dW_hh_from_h_t=True),
    _sb("dW_hh is transposed: entry (i, j) is the gradient of the weight from unit j into unit i, da[:, i] times "
        "h_prev[:, j], summed over the batch.", dW_hh_T=True),
    _sb("db_h has shape (B, H): sum da over the batch. b_h is shared by every example, so its gradient adds up their "
        "contributions.", db_unsummed=True),
    _sb("dW_xh has shape (D, H), but W_xh is (H, D): a weight's gradient has the weight's shape.", dW_xh_T=True),
    _sb("db_h is the mean over the batch, and so are dW_xh and dW_hh; they must be the sum. The loss already carries "
        "any 1/B factor inside dh_t, so dividing again shrinks the gradients B times.", mean=(2, 3, 4)),
    _sb("dW_hh is averaged over the batch; it must be the sum, da.T @ h_prev (the loss already carries any 1/B factor "
        "inside dh_t).", mean=(3,)),
    _sb("dW_xh is averaged over the batch; it must be the sum, da.T @ x_t (the loss already carries any 1/B factor "
        "inside dh_t).", mean=(2,)),
    _sb("db_h is averaged over the batch; it must be the sum (the loss already carries any 1/B factor inside dh_t)."
        , mean=(4,)),
    _sb("dx_t and dh_prev are swapped: return them in the order dx_t (B, D), dh_prev (B, H), dW_xh, dW_hh, db_h.",
        swap=True),
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


def _bptt(dh, x, h0, h, W_xh, W_hh, *, da=None, carry=True, assign=False, prev_is_current=False, x_at=None,
          mean_over_T=False, forwards=False, carry_T=False, wrap_h0=False, carry_after=False, carry_raw=False):
    """BPTT as a usual mistake writes it, one switch per mistake."""
    T = x.shape[0]
    da_of = (lambda g, hp, ht: g * (1 - ht ** 2)) if da is None else da
    dx, dW_xh, dW_hh = np.zeros_like(x), np.zeros_like(W_xh), np.zeros_like(W_hh)
    db_h, dh_next = np.zeros(W_hh.shape[0]), np.zeros_like(h0)
    for t in (range(T) if forwards else reversed(range(T))):
        h_prev = h[t] if prev_is_current else (h[t - 1] if t > 0 or wrap_h0 else h0)
        g = dh[t] + dh_next
        a = (da_of(dh[t], h_prev, h[t]) + dh_next if carry_after else da_of(g, h[t - 1] if t > 0 else h0, h[t]))
        dx[t] = a @ W_xh
        step = (a.T @ x[t if x_at is None else x_at], a.T @ h_prev, a.sum(axis=0))
        if assign:
            dW_xh, dW_hh, db_h = step
        else:
            dW_xh, dW_hh, db_h = dW_xh + step[0], dW_hh + step[1], db_h + step[2]
        dh_next = (g if carry_raw else a) @ (W_hh.T if carry_T else W_hh) if carry else np.zeros_like(h0)
    if mean_over_T:
        dW_xh, dW_hh, db_h = dW_xh / T, dW_hh / T, db_h / T
    dh0 = (a @ (W_hh.T if carry_T else W_hh)) if not carry else dh_next
    return dx, dh0, dW_xh, dW_hh, db_h


def _bp(explanation, **switches):
    return KnownMistake(lambda *args: _bptt(*args, **switches), explanation)


SEQUENCE_MISTAKES = [_bp(text, da=da) for text, da in WRONG_DA] + [
    _bp("no gradient is carried from later steps: each step sees only its own dh[t]. The state h[t] also feeds step t "
        "+ 1, so add what step t + 1 sends back (dh_next = da @ W_hh) to dh[t] before going through the tanh."
        , carry=False),
    _bp("the weight gradients hold only the last step you visited (step 0): you assigned them at every step. The same "
        "weights act at every step, so add up every step's share (+=).", assign=True),
    _bp("dW_hh multiplies da[t] by h[t]; the weight W_hh multiplied the previous state in the forward pass: h[t-1], "
        "and h0 at the first step.", prev_is_current=True),
    _bp("dW_xh uses the input of step 0, x[0], at every step; step t's share is da[t] times x[t].", x_at=0),
    _bp("the weight gradients are averaged over the T steps; the loss is a sum over steps, so they must be the sum of "
        "every step's share.", mean_over_T=True),
    _bp("your loop runs forwards, t = 0, 1, ...; the gradient flows from the last step back to the first, so step t "
        "needs what step t + 1 sent: for t in reversed(range(T)).", forwards=True),
    _bp("the gradient sent back to the previous state uses the transposed weight: the forward multiplied by W_hh (row "
        "form h_prev @ W_hh.T), so the backward multiplies by W_hh^T (row form: the untransposed W_hh).",
        carry_T=True),
    _bp("at t = 0 you took h[t - 1] = h[-1], which Python reads as the LAST state; the state before step 0 is h0.",
        wrap_h0=True),
    _bp("you added what comes back from step t + 1 after the tanh derivative; add it to dh[t] first: "
        "da = (dh[t] + dh_next) * (1 - h[t]**2), since both reach h[t] before its tanh.", carry_after=True),
    _bp("the gradient sent back to h[t-1] skipped the tanh: it is da @ W_hh with da = (dh[t] + dh_next) * "
        "(1 - h[t]**2), not (dh[t] + dh_next) @ W_hh.", carry_raw=True),
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
    known_mistake("your softmax normalises each column (axis 0); each row is one example's distribution over the C "
                  "classes: normalise along axis 1.")(lambda z, y: (_p(z, axis=0) - _onehot(y, z.shape[1])) / len(y)),
    known_mistake("p[:, targets] -= 1 subtracts 1 in every row at every target's column (N columns per row); "
                  "subtract it once per row, at that row's own target: p[np.arange(N), targets] -= 1.")(
        lambda z, y: (_p(z) - np.isin(np.arange(z.shape[1]), y)[None, :] * 1.0) / len(y)),
    known_mistake("you multiplied by p (1 - p), as for a sigmoid; with the softmax and the cross-entropy together, "
                  "those factors cancel and the gradient is just (p - onehot(y)) / N.")(
        lambda z, y: (_p(z) - _onehot(y, z.shape[1])) * _p(z) * (1 - _p(z)) / len(y)),
]


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
