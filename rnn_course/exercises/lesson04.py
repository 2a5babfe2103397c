"""Lesson 4 (LSTM gates): the step and the whole sequence, forward and backward, and the gate puzzles.

Exercises:

- ``04.lstm_step``: one LSTM step in Olah's form, one weight matrix over [h_{t-1}, x_t]
- ``04.lstm_forward``: the LSTM over a whole sequence, ``(h, c)`` of every step
- ``04.lstm_step_backward``: the step's backward pass
- ``04.lstm_backward``: backpropagation through the whole sequence
- ``04.puzzle_remember_first``, ``04.puzzle_read_on_request``, ``04.puzzle_forget_on_request``:
  gate weights set by hand (the puzzles themselves are defined in :mod:`rnn_course.puzzles`)

Shapes follow :mod:`rnn_course.lstm`: time-major x (T, B, D), h and c (T, B, H), the four
blocks stacked in the order i, f, g, o into W_x (4H, D), W_h (4H, H) and b (4H,) (PyTorch's
layout). The array exercises are checked by :func:`~rnn_course.exercises.core.diagnose` on
two cases with T, B, D and H all different; each usual mistake is a short function computing
the wrong answer, with the sentence that explains it.

A puzzle's answer is the explorer itself (its sliders are read), a dict of slider values
such as ``{"f_bias": 10, ...}`` (a name left out is 0), or a function returning either.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import lstm
from ..activations import sigmoid
from ..puzzles import LIMIT, PUZZLES, SLIDER_NAMES
from . import slips
from .core import (
    KnownMistake,
    Mistake,
    NotAttempted,
    attempt,
    compare_exercise,
    diagnose,
    exercise,
    known_mistake,
    learner_gradcheck,
)

# ---------------------------------------------------------------------------------------------
# The reference solutions
# ---------------------------------------------------------------------------------------------


def lstm_step_concat(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.concatenate([h_prev, x_t], axis=1) @ W.T + b     # [h_{t-1}, x_t], as Olah writes it
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:3 * H])
    o = sigmoid(z[:, 3 * H:])
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    return h_t, c_t


def lstm_forward(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h_t, c_t, hs, cs = h0, c0, [], []
    for x_t in x:                                             # one step per time step, in order
        z = x_t @ W_x.T + h_t @ W_h.T + b                     # (B, 4H): the blocks i, f, g, o
        i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
        g, o = np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        hs.append(h_t)
        cs.append(c_t)
    return np.stack(hs), np.stack(cs)


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """The notebook's step: returns (h_t, c_t, cache) with the gates in the cache."""
    H = h_prev.shape[1]
    z = x_t @ W_x.T + h_prev @ W_h.T + b
    i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 3 * H:])
    g = np.tanh(z[:, 2 * H:3 * H])
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    cache = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev, "i": i, "f": f, "g": g, "o": o,
             "c_t": c_t, "W_x": W_x, "W_h": W_h}
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tanh_c = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tanh_c**2)     # c_t reaches the loss directly and through h_t
    do = dh_t * tanh_c
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i
    dc_prev = dc * f                             # the cell's path back: one multiplication by f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], dc_prev, grads


def lstm_backward(dh, x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    hs, cs, gates = [h0], [c0], []                  # forward again, keeping what the way back needs
    for x_t in x:
        z = x_t @ W_x.T + hs[-1] @ W_h.T + b
        i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
        g, o = np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        cs.append(f * cs[-1] + i * g)
        hs.append(o * np.tanh(cs[-1]))
        gates.append((i, f, g, o))
    dx = np.zeros_like(x)
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        i, f, g, o = gates[t]
        tanh_c = np.tanh(cs[t + 1])                 # index t is step t + 1: cs[t + 1] its c, cs[t], hs[t] before it
        dh_t = dh[t] + dh_next                      # the loss at step t, and step t + 1 through its gates
        dc = dc_next + dh_t * o * (1 - tanh_c**2)   # step t + 1 along the cell, and h_t = o tanh(c_t)
        da = np.concatenate([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f),
                             dc * i * (1 - g**2), dh_t * tanh_c * o * (1 - o)], axis=1)
        dx[t] = da @ W_x
        dW_x += da.T @ x[t]                         # the weights are shared: every step adds its share
        dW_h += da.T @ hs[t]
        db += da.sum(axis=0)
        dh_next, dc_next = da @ W_h, dc * f
    return dx, dh_next, dc_next, dW_x, dW_h, db


# ---------------------------------------------------------------------------------------------
# The test cases: two sizes, with T, B, D and H all different in each
# ---------------------------------------------------------------------------------------------

STEP_SIZES = ((3, 2, 4), (2, 5, 3))                 # (B, D, H)
SEQUENCE_SIZES = ((5, 3, 2, 4), (4, 2, 5, 3))       # (T, B, D, H)


def _weights(rng, D, H):
    return rng.normal(0, 0.6, size=(4 * H, D)), rng.normal(0, 0.5, size=(4 * H, H)), rng.normal(0, 0.5, size=4 * H)


def _step_state(rng, B, D, H):
    return rng.normal(size=(B, D)), rng.uniform(-0.8, 0.8, size=(B, H)), rng.normal(size=(B, H))


def _step_cases():
    rng = np.random.default_rng(4)
    cases = []
    for B, D, H in STEP_SIZES:
        x, h, c = _step_state(rng, B, D, H)
        W_x, W_h, b = _weights(rng, D, H)
        cases.append((x, h, c, np.concatenate([W_h, W_x], axis=1), b))
    return cases


def _step_backward_cases():
    rng = np.random.default_rng(44)
    cases = []
    for B, D, H in STEP_SIZES:
        x, h, c = _step_state(rng, B, D, H)
        _, _, cache = lstm_step_forward(x, h, c, *_weights(rng, D, H))
        cases.append((rng.normal(size=(B, H)), rng.normal(size=(B, H)), cache))
    return cases


def _sequence(rng, T, B, D, H):
    x = rng.normal(size=(T, B, D))
    h0, c0 = rng.uniform(-0.8, 0.8, size=(B, H)), rng.normal(size=(B, H))
    return (x, h0, c0, *_weights(rng, D, H))


def _forward_cases():
    rng = np.random.default_rng(40)
    cases = [_sequence(rng, *sizes) for sizes in SEQUENCE_SIZES]
    return [*cases, tuple(a.astype(np.float32) for a in cases[0])]     # float32 in, float32 out


def _backward_cases():
    rng = np.random.default_rng(400)
    cases = []
    for T, B, D, H in SEQUENCE_SIZES:
        args = _sequence(rng, T, B, D, H)
        cases.append((rng.normal(size=(T, B, H)), *args))
    return cases


# ---------------------------------------------------------------------------------------------
# Mistakes, computed: each is the right computation with one named change
# ---------------------------------------------------------------------------------------------

#: Orders of the four blocks that other sources use (TF1 calls the candidate j).
OTHER_ORDERS = {"figo": "Olah's blog post", "ifog": "CS231n's", "igfo": "TensorFlow 1's (i, j, f, o)"}


def _order_name(order: str) -> str:
    return ", ".join(order)


def _order_text(arrays: str, order: str) -> str:
    return slips.block_order(arrays, _order_name(order), OTHER_ORDERS[order], "i, f, g, o, as in PyTorch and "
                             "rnn_course.lstm")


def _da_order_text(order: str) -> str:
    source = f" ({OTHER_ORDERS[order]})" if order in OTHER_ORDERS else ""
    return (f"you stacked da in the order {_order_name(order)}{source}; the rows of W_x, W_h and b come in the order "
            "i, f, g, o, and da must follow them: [da_i, da_f, da_g, da_o].")


# --- the forward step, shared by every forward mistake ------------------------------------------


def _lstm_gates(z, H, order="ifgo", gate=sigmoid, candidate=np.tanh):
    """The four blocks of the pre-activation z (B, 4H), read in ``order`` and squashed: (i, f, g, o)."""
    a = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
    return gate(a["i"]), gate(a["f"]), candidate(a["g"]), gate(a["o"])


def _held(**constants):
    """The gates of a cell without some of them: ``_held(f=1.0)`` is the cell with no forget gate."""
    def gates(z, H):
        given = dict(zip("ifgo", _lstm_gates(z, H)))
        return tuple(np.full_like(given[k], constants[k]) if k in constants else given[k] for k in "ifgo")
    return gates


def _run(x, h0, c0, W_x, W_h, b, gates=_lstm_gates, show=np.tanh):
    """The forward pass over the sequence, with the gates computed by ``gates(z, H)`` and the cell shown through
    ``show``: (h (T, B, H), c (T, B, H), each step's cache as lstm_step_forward builds it)."""
    H = h0.shape[1]
    h, c, hs, cs, caches = h0, c0, [], [], []
    for x_t in x:
        i, f, g, o = gates(x_t @ W_x.T + h @ W_h.T + b, H)
        cache = {"x_t": x_t, "h_prev": h, "c_prev": c, "i": i, "f": f, "g": g, "o": o, "W_x": W_x, "W_h": W_h}
        c = f * c + i * g
        h = o * show(c)
        hs.append(h)
        cs.append(c)
        caches.append({**cache, "c_t": c})
    return np.stack(hs), np.stack(cs), caches


# --- the step backward, shared by every backward mistake ----------------------------------------


def _gate_grads(dh_t, dc_t, cache):
    """The first lines of lstm_step_backward: dc, the cell's whole gradient, and the four gates' gradients."""
    tanh_c = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * cache["o"] * (1 - tanh_c**2)
    return dc, {"i": dc * cache["g"], "f": dc * cache["c_prev"], "g": dc * cache["i"], "o": dh_t * tanh_c}


#: Through each gate's squashing, from its gradient d and its value s: the sigmoid's s (1 - s) for i, f and o,
#: the tanh's 1 - s^2 for the candidate g.
SQUASHING = {"i": lambda d, s: d * s * (1 - s), "f": lambda d, s: d * s * (1 - s), "g": lambda d, s: d * (1 - s**2),
             "o": lambda d, s: d * s * (1 - s)}


def _finish(d, dc_prev, cache, order="ifgo", squashing=SQUASHING):
    """The last lines of lstm_step_backward: through each gate's squashing to its pre-activation, stacked in
    ``order``, then every input and weight: (dx_t, dh_prev, dc_prev, grads)."""
    da = np.concatenate([squashing[k](d[k], cache[k]) for k in order], axis=1)
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], dc_prev, grads


def _with_step(step_backward):
    """Step t of BPTT from a function with lstm_step_backward's signature: the loss's dh[t] and what step t + 1
    sends back through h both reach h_t; what comes back along the cell is dc_t."""
    return lambda dh_t, dh_next, dc_next, cache: step_backward(dh_t + dh_next, dc_next, cache)


def _backprop(dh, caches, step=None, add=np.add):
    """BPTT over the forward pass's caches, as lstm_backward does it: each step's backward pass by
    ``step(dh_t, dh_next, dc_next, cache)`` (by default lstm_step_backward, through :func:`_with_step`), each
    step's weight gradients combined with the total by ``add``."""
    step = step or _with_step(lstm_step_backward)
    dx = [None] * len(caches)
    dh_next, dc_next = np.zeros_like(dh[0]), np.zeros_like(dh[0])
    grads = {"W_x": 0.0, "W_h": 0.0, "b": 0.0}
    for t in reversed(range(len(caches))):
        dx[t], dh_next, dc_next, share = step(dh[t], dh_next, dc_next, caches[t])
        grads = {k: add(grads[k], share[k]) for k in grads}
    return np.stack(dx), dh_next, dc_next, grads["W_x"], grads["W_h"], grads["b"]


# --- other cells: a whole model a learner builds instead, named the same in every exercise -------

NO_FORGET_GATE = ("the cell has no forget gate, c_t = c_{t-1} + i_t * g_t: that is the 1997 LSTM; the forget gate of "
                  "Gers et al. (2000) scales the old cell, c_t = f_t * c_{t-1} + i_t * g_t.")
NO_CANDIDATE = ("c_t = f_t * c_{t-1} + i_t leaves out the candidate: the input gate says how much to write and g_t "
                "what, so c_t = f_t * c_{t-1} + i_t * g_t.")
NOT_SQUASHED = ("h_t = o_t * c_t leaves out the tanh: the cell is squashed before it is shown, h_t = o_t * tanh(c_t); "
                "without the tanh, h_t copies c_t, which can grow past 1.")
NO_OUTPUT_GATE = ("h_t = tanh(c_t) leaves out the output gate: h_t = o_t * tanh(c_t), the gate deciding how much of "
                  "the cell is shown.")
NO_BIAS = slips.no_bias("b", "every block's pre-activation is x_t @ W_x.T + h_{t-1} @ W_h.T + b")
OUTPUT_GATE_INSIDE = ("the output gate went inside the tanh, h_t = tanh(o_t * c_t); it scales what the tanh shows: "
                      "h_t = o_t * tanh(c_t).")
COUPLED = ("you wrote the cell update with 1 - f_t where the input gate i_t belongs, c_t = f_t * c_{t-1} + "
           "(1 - f_t) * g_t (coupled gates, as the GRU does); this LSTM has its own input gate: "
           "c_t = f_t * c_{t-1} + i_t * g_t.")
TANH_OF_CELL_RETURNED = ("you returned tanh(c_t) as the cell; the cell is c_t itself, f_t * c_{t-1} + i_t * g_t "
                         "(tanh(c_t) is only what h_t shows of it).")
H0_C0_SWAPPED = "h0 and c0 are swapped: the state starts as h0 and the cell as c0, h_prev, c_prev = h0, c0."
CANDIDATE_NOT_TANH = slips.candidate_not_tanh("g_t", "i_t, f_t, o_t")
GATES_NOT_SIGMOID = slips.gates_not_sigmoid("i_t, f_t, o_t")


def _unsquashed_step_backward(dh_t, dc_t, cache):
    """The exact step backward of the cell h_t = o_t * c_t (no tanh on the way out)."""
    dc = dc_t + dh_t * cache["o"]
    d = {"i": dc * cache["g"], "f": dc * cache["c_prev"], "g": dc * cache["i"], "o": dh_t * cache["c_t"]}
    return _finish(d, dc * cache["f"], cache)


def _stacked_in(order):
    """lstm_step_backward with da stacked in ``order`` (the exact step backward of a cell whose blocks are read in
    that order)."""
    def step_backward(dh_t, dc_t, cache):
        dc, d = _gate_grads(dh_t, dc_t, cache)
        return _finish(d, dc * cache["f"], cache, order)
    return step_backward


class _Model(NamedTuple):
    """Another cell, whole: its forward pass over a sequence (h, c) and the exact backward pass of that cell."""
    forward: Callable
    backward: Callable


def _model(gates=_lstm_gates, show=np.tanh, step_backward=lstm_step_backward) -> _Model:
    def forward(x, h0, c0, W_x, W_h, b):
        return _run(x, h0, c0, W_x, W_h, b, gates, show)[:2]

    def backward(dh, x, h0, c0, W_x, W_h, b):
        return _backprop(dh, _run(x, h0, c0, W_x, W_h, b, gates, show)[2], _with_step(step_backward))
    return _Model(forward, backward)


def _reads_x0(x, h0, c0, W_x, W_h, b):
    return lstm_forward(np.broadcast_to(x[0], x.shape), h0, c0, W_x, W_h, b)


def _reads_x0_backward(dh, x, h0, c0, W_x, W_h, b):
    dx_steps, *rest = lstm_backward(dh, np.broadcast_to(x[0], x.shape), h0, c0, W_x, W_h, b)
    dx = np.zeros_like(x)
    dx[0] = dx_steps.sum(axis=0)                  # x[0] fed every step: its gradient adds up every step's
    return (dx, *rest)


#: Cells a learner builds instead of the LSTM: (sentence, the model). The forward exercise names the model's
#: forward pass, the backward exercise the exact gradient of that model (a forward pass inside the backward).
MODEL_MISTAKES = [
    (NO_FORGET_GATE, _model(gates=_held(f=1.0))),
    (NO_CANDIDATE, _model(gates=_held(g=1.0))),
    (NOT_SQUASHED, _model(show=lambda c: c, step_backward=_unsquashed_step_backward)),
    (slips.first_input_every_step("x"), _Model(_reads_x0, _reads_x0_backward)),
    (NO_BIAS, _Model(lambda *args: lstm_forward(*args[:-1], 0 * args[-1]),
                     lambda *args: lstm_backward(*args[:-1], 0 * args[-1]))),
    *((_order_text("W_x, W_h and b", order), _model(gates=lambda z, H, order=order: _lstm_gates(z, H, order),
                                                    step_backward=_stacked_in(order)))
      for order in OTHER_ORDERS),
    (slips.input_gate_missing(), _model(gates=_held(i=1.0))),
]


# --- 04.lstm_step: the concatenated form --------------------------------------------------------


def _coupled(z, H):
    """The gates of a cell whose input gate is 1 - f_t (coupled input and forget gates)."""
    i, f, g, o = _lstm_gates(z, H)
    return 1 - f, f, g, o


def _concat_step(x_t, h_prev, c_prev, W, b, gates=_lstm_gates, show=np.tanh):
    """lstm_step_concat with the gates computed by ``gates(z, H)`` and the cell shown through ``show``."""
    i, f, g, o = gates(np.concatenate([h_prev, x_t], axis=1) @ W.T + b, h_prev.shape[1])
    c_t = f * c_prev + i * g
    return o * show(c_t), c_t


def _step_with(text, **change) -> KnownMistake:
    return KnownMistake(lambda x, h, c, W, b: _concat_step(x, h, c, W, b, **change), text)


@known_mistake("you concatenated [x_t, h_{t-1}]; here W's first H columns multiply h_{t-1} and the last D multiply "
               "x_t, so the order is [h_{t-1}, x_t].")
def _x_before_h(x_t, h_prev, c_prev, W, b):
    i, f, g, o = _lstm_gates(np.concatenate([x_t, h_prev], axis=1) @ W.T + b, h_prev.shape[1])
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


@known_mistake("h_t shows the old cell: h_t = o_t * tanh(c_t), the cell after this step's update, not tanh(c_{t-1}).")
def _shows_old_cell(x_t, h_prev, c_prev, W, b):
    _, c_t = lstm_step_concat(x_t, h_prev, c_prev, W, b)
    o = _lstm_gates(np.concatenate([h_prev, x_t], axis=1) @ W.T + b, h_prev.shape[1])[3]
    return o * np.tanh(c_prev), c_t


@known_mistake(OUTPUT_GATE_INSIDE)
def _output_gate_inside(x_t, h_prev, c_prev, W, b):
    _, c_t = lstm_step_concat(x_t, h_prev, c_prev, W, b)
    o = _lstm_gates(np.concatenate([h_prev, x_t], axis=1) @ W.T + b, h_prev.shape[1])[3]
    return np.tanh(o * c_t), c_t


@known_mistake(TANH_OF_CELL_RETURNED)
def _tanh_of_cell_returned(x_t, h_prev, c_prev, W, b):
    h_t, c_t = lstm_step_concat(x_t, h_prev, c_prev, W, b)
    return h_t, np.tanh(c_t)


_STEP_MISTAKES = [
    _x_before_h,
    _step_with("c_t forgets everything: it is f_t * c_{t-1} + i_t * g_t; the forget gate scales the old cell state, "
               "it does not replace it.", gates=_held(f=0.0)),
    _step_with(NOT_SQUASHED, show=lambda c: c),
    _step_with(CANDIDATE_NOT_TANH, gates=lambda z, H: _lstm_gates(z, H, candidate=sigmoid)),
    _step_with(GATES_NOT_SIGMOID, gates=lambda z, H: _lstm_gates(z, H, gate=np.tanh)),
    *(_step_with(_order_text("W and b", order), gates=lambda z, H, order=order: _lstm_gates(z, H, order))
      for order in OTHER_ORDERS),
    KnownMistake(lambda *args: lstm_step_concat(*args)[::-1], slips.outputs_swapped("h_t", "c_t", "(h_t, c_t)")),
    _step_with(slips.input_gate_missing(), gates=_held(i=1.0)),
    _step_with(NO_FORGET_GATE, gates=_held(f=1.0)),
    _step_with(NO_OUTPUT_GATE, gates=_held(o=1.0)),
    _shows_old_cell,
    KnownMistake(lambda x, h, c, W, b: lstm_step_concat(x, h, c, W, 0 * b), NO_BIAS),
    _output_gate_inside,
    KnownMistake(lambda x, h, c, W, b: _concat_step(x, h, c, W, b, gates=_coupled), COUPLED),
    _tanh_of_cell_returned,
]


# --- 04.lstm_forward ---------------------------------------------------------------------------


def _step(x_t, h_prev, c_prev, W_x, W_h, b):
    return lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b)[:2]


@known_mistake(slips.state_not_carried("h0", "h_prev", "h_t"))
def _h0_every_step(x, h0, c0, W_x, W_h, b):
    hs, cs, c = [], [], c0
    for x_t in x:
        h, c = _step(x_t, h0, c, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@known_mistake(slips.state_not_carried("c0", "c_prev", "c_t") + " Without it the cell remembers nothing.")
def _c0_every_step(x, h0, c0, W_x, W_h, b):
    hs, cs, h = [], [], h0
    for x_t in x:
        h, c = _step(x_t, h, c0, W_x, W_h, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@known_mistake(slips.one_step_late("h", "h0", "x"))
def _one_step_late(x, h0, c0, W_x, W_h, b):
    h, c = lstm_forward(x, h0, c0, W_x, W_h, b)
    return np.concatenate([h0[None], h[:-1]]), np.concatenate([c0[None], c[:-1]])


@known_mistake(slips.initial_state_ignored("c0", "c_prev"))
def _c0_ignored(x, h0, c0, W_x, W_h, b):
    return lstm_forward(x, h0, np.zeros_like(c0), W_x, W_h, b)


@known_mistake(slips.initial_state_ignored("h0", "h_prev"))
def _h0_ignored(x, h0, c0, W_x, W_h, b):
    return lstm_forward(x, np.zeros_like(h0), c0, W_x, W_h, b)


@known_mistake(slips.loop_runs_backwards("h_{t-1}, c_{t-1}"))
def _forward_backwards_in_time(x, h0, c0, W_x, W_h, b):
    h, c = lstm_forward(x[::-1], h0, c0, W_x, W_h, b)     # step T - 1 first, each stored at its own t
    return h[::-1], c[::-1]


@known_mistake("h_t shows the old cell: h_t = o_t * tanh(c_t), the cell after this step's update, not tanh(c_{t-1}).")
def _shows_old_cell_in_sequence(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        i, f, g, o = _lstm_gates(x_t @ W_x.T + h @ W_h.T + b, H)
        c, h = f * c + i * g, o * np.tanh(c)          # h from the cell before the update
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@known_mistake(OUTPUT_GATE_INSIDE)
def _output_gate_inside_in_sequence(x, h0, c0, W_x, W_h, b):
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for x_t in x:
        i, f, g, o = _lstm_gates(x_t @ W_x.T + h @ W_h.T + b, H)
        c = f * c + i * g
        h = np.tanh(o * c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


@known_mistake(TANH_OF_CELL_RETURNED)
def _tanh_of_cells_returned(x, h0, c0, W_x, W_h, b):
    h, c = lstm_forward(x, h0, c0, W_x, W_h, b)
    return h, np.tanh(c)


@known_mistake(H0_C0_SWAPPED)
def _h0_c0_swapped(x, h0, c0, W_x, W_h, b):
    return lstm_forward(x, c0, h0, W_x, W_h, b)


_FORWARD_MISTAKES = [
    *(KnownMistake(model.forward, text) for text, model in MODEL_MISTAKES),
    _h0_every_step, _c0_every_step,
    KnownMistake(_model(gates=lambda z, H: _lstm_gates(z, H, candidate=sigmoid)).forward, CANDIDATE_NOT_TANH),
    KnownMistake(_model(gates=lambda z, H: _lstm_gates(z, H, gate=np.tanh)).forward, GATES_NOT_SIGMOID),
    KnownMistake(lambda *args: lstm_forward(*args)[::-1], slips.outputs_swapped("h", "c", "(h, c)")),
    _one_step_late, _c0_ignored, _h0_ignored, _forward_backwards_in_time,
    KnownMistake(_model(gates=_held(o=1.0)).forward, NO_OUTPUT_GATE),
    _shows_old_cell_in_sequence,
    KnownMistake(_model(gates=_coupled).forward, COUPLED),
    _tanh_of_cells_returned, _output_gate_inside_in_sequence, _h0_c0_swapped,
]


# --- 04.lstm_step_backward: the learner returns (dx_t, dh_prev, dc_prev, grads), grads a dict -------

STEP_BACKWARD_OUTPUTS = ("dx_t", "dh_prev", "dc_prev", 'grads["W_x"]', 'grads["W_h"]', 'grads["b"]')


def _flat(step_backward):
    """``step_backward`` with its grads dict spread into three outputs, for the matcher."""
    def flat(dh_t, dc_t, cache):
        dx_t, dh_prev, dc_prev, grads = step_backward(dh_t, dc_t, cache)
        return dx_t, dh_prev, dc_prev, grads["W_x"], grads["W_h"], grads["b"]
    return flat


def step_backward_mistake(explanation: str):
    """Like :func:`known_mistake`, for a step backward returning (dx_t, dh_prev, dc_prev, grads); the function
    itself stays callable, so the sequence's mistakes can use it for each step."""
    def make(step_backward):
        step_backward.known = KnownMistake(_flat(step_backward), explanation)
        return step_backward
    return make


TWO_WAYS = ("c_t reaches the loss two ways: along the cell (dc_t) and through h_t = o_t * tanh(c_t). Start from "
            "dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2).")
TIMES_F = "dc_prev should be dc * f_t: c_{t-1} enters c_t multiplied by the forget gate."


@step_backward_mistake(TWO_WAYS)
def _no_path_through_h(dh_t, dc_t, cache):
    _, d = _gate_grads(dh_t, dc_t, cache)
    d.update(i=dc_t * cache["g"], f=dc_t * cache["c_prev"], g=dc_t * cache["i"])     # dc = dc_t alone
    return _finish(d, dc_t * cache["f"], cache)


@step_backward_mistake(TIMES_F)
def _dc_prev_without_f(dh_t, dc_t, cache):
    dc, d = _gate_grads(dh_t, dc_t, cache)
    return _finish(d, dc, cache)


def _with_gate_grad(gate, explanation, grad_of):
    """lstm_step_backward with the gradient of one gate computed as ``grad_of(dh_t, dc, cache)``."""
    @step_backward_mistake(explanation)
    def step_backward(dh_t, dc_t, cache):
        dc, d = _gate_grads(dh_t, dc_t, cache)
        d[gate] = grad_of(dh_t, dc, cache)
        return _finish(d, dc * cache["f"], cache)
    return step_backward


def _with_cell_slope(explanation, slope_of):
    """lstm_step_backward with ``slope_of(c_t)`` in place of the tanh's slope 1 - tanh(c_t)^2 on the path from h_t."""
    @step_backward_mistake(explanation)
    def step_backward(dh_t, dc_t, cache):
        _, d = _gate_grads(dh_t, dc_t, cache)
        dc = dc_t + dh_t * cache["o"] * slope_of(cache["c_t"])
        d.update(i=dc * cache["g"], f=dc * cache["c_prev"], g=dc * cache["i"])
        return _finish(d, dc * cache["f"], cache)
    return step_backward


def _with_squashing(explanation, **other):
    """lstm_step_backward going through some gates' squashing as ``other[gate](d, s)`` does."""
    @step_backward_mistake(explanation)
    def step_backward(dh_t, dc_t, cache):
        dc, d = _gate_grads(dh_t, dc_t, cache)
        return _finish(d, dc * cache["f"], cache, squashing={**SQUASHING, **other})
    return step_backward


def _sigmoid_slope(d, s):
    return d * s * (1 - s)


def _tanh_slope(d, s):
    return d * (1 - s**2)


def _no_slope(d, s):
    return d


@step_backward_mistake("dc_prev should be the *total* dc (dc_t plus what came through h_t) times f_t, not the dc_t "
                       "that came in.")
def _dc_prev_from_incoming(dh_t, dc_t, cache):
    dc, d = _gate_grads(dh_t, dc_t, cache)
    return _finish(d, dc_t * cache["f"], cache)


@step_backward_mistake(slips.averaged('grads["b"]', "batch", "B", "dh_t", "the sum, da.sum(axis=0), just as "
                                      "da.T @ x_t sums over the batch for W_x"))
def _db_averaged(dh_t, dc_t, cache):
    dx_t, dh_prev, dc_prev, grads = lstm_step_backward(dh_t, dc_t, cache)
    return dx_t, dh_prev, dc_prev, {**grads, "b": grads["b"] / len(dh_t)}


def _stacked_in_mistake(order):
    return step_backward_mistake(_da_order_text("".join(order)))(_stacked_in("".join(order)))


_GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}
_STEP_BACKWARD_FUNCTIONS = [
    _no_path_through_h,
    _dc_prev_without_f,
    _with_gate_grad("f", "the forget gate multiplies c_{t-1}, so its gradient is dc * c_{t-1} (before the sigmoid's "
                         "f (1 - f)).", lambda dh_t, dc, cache: dc),
    _with_gate_grad("o", "h_t = o_t * tanh(c_t), so the output gate's gradient is dh_t * tanh(c_t), not dh_t * c_t.",
                    lambda dh_t, dc, cache: dh_t * cache["c_t"]),
    _with_cell_slope("dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2): the tanh's derivative at c_t is 1 - tanh(c_t)^2, "
                     "not 1 - c_t^2 (c_t is what goes into the tanh, not what comes out).", lambda c: 1 - c**2),
    _with_squashing("the candidate is g_t = tanh(a_g), so its derivative is 1 - g_t^2; g_t (1 - g_t) is the "
                    "sigmoid's, right for i, f and o only.", g=_sigmoid_slope),
    *(_with_squashing(f"the {_GATE_NAMES[gate]} is a sigmoid, so its derivative is {gate}_t (1 - {gate}_t); "
                      f"1 - {gate}_t^2 is the tanh's, right for the candidate g only.", **{gate: _tanh_slope})
      for gate in "ifo"),
    _with_squashing("the gates' pre-activations need the sigmoid's derivative: da_i = di * i_t (1 - i_t), and the "
                    "same for f and o; without it the gradient skips the squashing.",
                    i=_no_slope, f=_no_slope, o=_no_slope),
    _with_gate_grad("f", "the forget gate multiplies c_{t-1}, the cell before this step, so df = dc * c_{t-1}; c_t is "
                         "the cell after it.", lambda dh_t, dc, cache: dc * cache["c_t"]),
    _with_cell_slope("dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2): the path through h_t = o_t * tanh(c_t) passes the "
                     "tanh, so its slope 1 - tanh(c_t)^2 belongs in it.", lambda c: 1.0),
    _dc_prev_from_incoming,
    _db_averaged,
    *(_stacked_in_mistake(order) for order in itertools.permutations("ifgo") if order != tuple("ifgo")),
    _with_gate_grad("g", "the candidate enters the cell multiplied by the input gate, i_t * g_t, so its gradient is "
                         "dg = dc * i_t.", lambda dh_t, dc, cache: dc),
    _with_gate_grad("i", "the input gate multiplies the candidate, i_t * g_t, so its gradient is di = dc * g_t.",
                    lambda dh_t, dc, cache: dc),
    _with_gate_grad("o", "the output gate acts on h_t = o_t * tanh(c_t) only, so its gradient starts from dh_t: "
                         "do = dh_t * tanh(c_t), not dc * tanh(c_t).",
                    lambda dh_t, dc, cache: dc * np.tanh(cache["c_t"])),
]


@step_backward_mistake("dc left out the incoming dc_t: c_t reaches the loss along the cell too, so "
                       "dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2).")
def _incoming_dc_left_out(dh_t, dc_t, cache):
    return lstm_step_backward(dh_t, 0 * dc_t, cache)


@step_backward_mistake(slips.averaged('grads["W_x"], grads["W_h"] and grads["b"]', "batch", "B", "dh_t"))
def _weights_averaged(dh_t, dc_t, cache):
    dx_t, dh_prev, dc_prev, grads = lstm_step_backward(dh_t, dc_t, cache)
    return dx_t, dh_prev, dc_prev, {k: g / len(dh_t) for k, g in grads.items()}


_STEP_BACKWARD_FUNCTIONS += [_incoming_dc_left_out, _weights_averaged]
_STEP_BACKWARD_MISTAKES = [step_backward.known for step_backward in _STEP_BACKWARD_FUNCTIONS]


@step_backward_mistake(slips.not_summed_over_batch('grads["b"]', "(B, 4H)", "b", "(4H,)", "da"))
def _db_not_summed(dh_t, dc_t, cache):
    dc, d = _gate_grads(dh_t, dc_t, cache)
    dx_t, dh_prev, dc_prev, grads = _finish(d, dc * cache["f"], cache)
    da = np.concatenate([SQUASHING[k](d[k], cache[k]) for k in "ifgo"], axis=1)
    return dx_t, dh_prev, dc_prev, {**grads, "b": da}


_STEP_BACKWARD_MISTAKES.append(_db_not_summed.known)     # a shape slip of the step alone (the sequence sums anyway)


# --- 04.lstm_backward --------------------------------------------------------------------------


def _sequence_backward(step_backward):
    """The whole-sequence backward with each step done by ``step_backward`` (lstm_step_backward's signature)."""
    def backward(dh, x, h0, c0, W_x, W_h, b):
        return _backprop(dh, _run(x, h0, c0, W_x, W_h, b)[2], _with_step(step_backward))
    return backward


@known_mistake(slips.no_carry(" through h", "dh[t]", "h_t", "da_{t+1} @ W_h", "dh[t]"))
def _no_carry_through_h(dh, x, h0, c0, W_x, W_h, b):
    return _backprop(dh, _run(x, h0, c0, W_x, W_h, b)[2],
                     lambda dh_t, dh_next, dc_next, cache: lstm_step_backward(dh_t, dc_next, cache))


@known_mistake(slips.no_carry(" along the cell", "dh[t]", "c_t", "δc_{t+1} * f_{t+1}, the constant error carousel",
                              "δc_t"))
def _no_carry_along_the_cell(dh, x, h0, c0, W_x, W_h, b):
    return _backprop(dh, _run(x, h0, c0, W_x, W_h, b)[2],
                     lambda dh_t, dh_next, dc_next, cache: lstm_step_backward(dh_t + dh_next, 0 * dc_next, cache))


@known_mistake(slips.wrong_sign("the backward pass starts from dL/dh, not -dL/dh"))
def _wrong_sign(dh, x, h0, c0, W_x, W_h, b):
    return tuple(-g for g in lstm_backward(dh, x, h0, c0, W_x, W_h, b))


@known_mistake(slips.assigned_not_accumulated())
def _assigned(dh, x, h0, c0, W_x, W_h, b):
    return _backprop(dh, _run(x, h0, c0, W_x, W_h, b)[2], add=lambda total, share: share)


@known_mistake("at every step but the last, δh_t dropped the loss's own gradient dh[t]: it is dh[t] plus what comes "
               "back from step t + 1, not either one.")
def _loss_at_the_last_step_only(dh, x, h0, c0, W_x, W_h, b):
    only_last = np.zeros_like(dh)
    only_last[-1] = dh[-1]
    return lstm_backward(only_last, x, h0, c0, W_x, W_h, b)


@known_mistake(slips.current_state_for_previous("dW_h", "da_t", "h_t", "h_{t-1}", "W_h", "h0"))
def _dW_h_from_h_t(dh, x, h0, c0, W_x, W_h, b):
    h, _, caches = _run(x, h0, c0, W_x, W_h, b)
    return _backprop(dh, [{**cache, "h_prev": h[t]} for t, cache in enumerate(caches)])      # h_t for h_{t-1}


@known_mistake(slips.first_input_in_gradient("dW_x", "x", "da_t"))
def _first_input_in_dW_x(dh, x, h0, c0, W_x, W_h, b):
    _, _, caches = _run(x, h0, c0, W_x, W_h, b)
    return _backprop(dh, [{**cache, "x_t": x[0]} for cache in caches])


@known_mistake("tanh(c_{t-1}) appears where tanh(c_t) belongs: step t shows its new cell, h_t = o_t * tanh(c_t), so "
               "δo_t and the (1 - tanh^2) factor use c_t.")
def _old_cell_in_tanh(dh, x, h0, c0, W_x, W_h, b):
    _, _, caches = _run(x, h0, c0, W_x, W_h, b)
    return _backprop(dh, [{**cache, "c_t": cache["c_prev"]} for cache in caches])


@known_mistake(slips.loop_runs_forwards())
def _backward_runs_forwards(dh, x, h0, c0, W_x, W_h, b):
    caches = _run(x, h0, c0, W_x, W_h, b)[2]
    dx, dh0, dc0, *grads = _backprop(dh[::-1], caches[::-1])     # the steps visited 0, 1, ..., T - 1
    return (dx[::-1], dh0, dc0, *grads)


@known_mistake(slips.initial_state_ignored("c0", "c_prev"))
def _c0_ignored_in_backward(dh, x, h0, c0, W_x, W_h, b):
    return lstm_backward(dh, x, h0, np.zeros_like(c0), W_x, W_h, b)


@known_mistake(slips.initial_state_ignored("h0", "h_prev"))
def _h0_ignored_in_backward(dh, x, h0, c0, W_x, W_h, b):
    return lstm_backward(dh, x, np.zeros_like(h0), c0, W_x, W_h, b)


@known_mistake(slips.averaged("dW_x, dW_h and db", "T steps", "T", "dh", "the sum of every step's share"))
def _averaged_over_T(dh, x, h0, c0, W_x, W_h, b):
    dx, dh0, dc0, *grads = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return (dx, dh0, dc0, *(g / len(x) for g in grads))


@known_mistake(slips.initial_gradient_zero("dc0", "c0", "dc_next"))
def _dc0_zero(dh, x, h0, c0, W_x, W_h, b):
    dx, dh0, dc0, *grads = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return (dx, dh0, np.zeros_like(dc0), *grads)


@known_mistake(slips.initial_gradient_zero("dh0", "h0", "dh_next"))
def _dh0_zero(dh, x, h0, c0, W_x, W_h, b):
    dx, dh0, dc0, *grads = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return (dx, np.zeros_like(dh0), dc0, *grads)


@known_mistake(slips.input_gradient_not_stored("dx", "x", "da @ W_x"))
def _dx_zero(dh, x, h0, c0, W_x, W_h, b):
    dx, *rest = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return (np.zeros_like(dx), *rest)


@known_mistake(slips.input_gradient_not_stored("dx", "x", "da @ W_x") + " You returned the share of step 0 alone.")
def _dx_of_step_0(dh, x, h0, c0, W_x, W_h, b):
    dx, *rest = lstm_backward(dh, x, h0, c0, W_x, W_h, b)
    return (dx[0], *rest)


_BACKWARD_MISTAKES = [
    _no_carry_through_h, _no_carry_along_the_cell, _wrong_sign, _assigned, _loss_at_the_last_step_only,
    _dW_h_from_h_t, _first_input_in_dW_x,
    KnownMistake(_sequence_backward(_no_path_through_h), TWO_WAYS),
    KnownMistake(_sequence_backward(_dc_prev_without_f), TIMES_F),
    _old_cell_in_tanh,
    KnownMistake(lambda *args: (lambda out: (out[0], out[2], out[1], *out[3:]))(lstm_backward(*args)),
                 slips.outputs_swapped("dh0", "dc0", "(dx, dh0, dc0, dW_x, dW_h, db)")),
    KnownMistake(_sequence_backward(_db_averaged),
                 slips.averaged("db", "batch", "B", "dh", "the sum, da.sum(axis=0), at every step")),
    *(KnownMistake(_sequence_backward(_stacked_in(order)), _da_order_text(order)) for order in OTHER_ORDERS),
    *(KnownMistake(model.backward, f"in the forward pass inside your backward, {text}")
      for text, model in MODEL_MISTAKES),
    _backward_runs_forwards, _c0_ignored_in_backward, _h0_ignored_in_backward, _averaged_over_T,
    KnownMistake(lambda dh, x, h0, c0, *weights: lstm_backward(dh, x, c0, h0, *weights),
                 f"in the forward pass inside your backward, {H0_C0_SWAPPED}"),
    _dc0_zero, _dh0_zero, _dx_zero, _dx_of_step_0,
    KnownMistake(_sequence_backward(_weights_averaged), slips.averaged("dW_x, dW_h and db", "batch", "B", "dh")),
]


# ---------------------------------------------------------------------------------------------
# The learner's own gradient check (run once the backward matches the reference)
# ---------------------------------------------------------------------------------------------


def _backward_gradcheck(answer) -> str:
    rng = np.random.default_rng(7)
    T, B, D, H = 3, 2, 4, 3
    x, h0, c0, W_x, W_h, b = _sequence(rng, T, B, D, H)
    weights = rng.normal(size=(T, B, H))                       # L = sum of weights * h: dL/dh = weights
    inputs = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "b": b}

    def loss(p):
        return float(np.sum(weights * package_lstm_forward(p["x"], p["h0"], p["c0"], p["W_x"], p["W_h"], p["b"])[0]))

    def grads(backward, p):
        return dict(zip(("x", "h0", "c0", "W_x", "W_h", "b"), backward(weights, p["x"], p["h0"], p["c0"], p["W_x"],
                                                                        p["W_h"], p["b"])))

    return learner_gradcheck(answer, loss, inputs, grads)


def _step_backward_gradcheck(answer) -> str:
    rng = np.random.default_rng(8)
    B, D, H = 2, 3, 2
    x, h, c = _step_state(rng, B, D, H)
    W_x, W_h, b = _weights(rng, D, H)
    wh, wc = rng.normal(size=(B, H)), rng.normal(size=(B, H))  # L = sum(wh * h_t) + sum(wc * c_t)
    inputs = {"x_t": x, "h_prev": h, "c_prev": c, "W_x": W_x, "W_h": W_h, "b": b}

    def loss(p):
        h_t, c_t, _ = lstm_step_forward(p["x_t"], p["h_prev"], p["c_prev"], p["W_x"], p["W_h"], p["b"])
        return float(np.sum(wh * h_t) + np.sum(wc * c_t))

    def grads(backward, p):
        _, _, cache = lstm_step_forward(p["x_t"], p["h_prev"], p["c_prev"], p["W_x"], p["W_h"], p["b"])
        dx, dh_prev, dc_prev, g = backward(wh, wc, cache)
        return {"x_t": dx, "h_prev": dh_prev, "c_prev": dc_prev, "W_x": g["W_x"], "W_h": g["W_h"], "b": g["b"]}

    return learner_gradcheck(answer, loss, inputs, grads)


# ---------------------------------------------------------------------------------------------
# The exercises
# ---------------------------------------------------------------------------------------------

compare_exercise(
    "04.lstm_step", "One LSTM step with one weight matrix over [h_{t-1}, x_t]",
    solution=lstm_step_concat, cases=_step_cases, mistakes=_STEP_MISTAKES, outputs=("h_t", "c_t"),
    allow=("rnn_course.activations.sigmoid",),
    praise="h_t and c_t match rnn_course.lstm.step_forward with W_h = W[:, :H] and W_x = W[:, H:]: the two ways "
           "of writing the step are the same computation.",
    hint="(x_t is (B, D), h_prev and c_prev (B, H), W (4H, H + D), b (4H,).)")

compare_exercise(
    "04.lstm_forward", "The LSTM over a whole sequence",
    solution=lstm_forward, cases=_forward_cases, mistakes=_FORWARD_MISTAKES, outputs=("h", "c"),
    allow=("rnn_course.activations.sigmoid",),
    praise="h and c match rnn_course.lstm.forward at every step, for two sizes of T, B, D and H.",
    hint="(x is (T, B, D), h0 and c0 (B, H), W_x (4H, D), W_h (4H, H), b (4H,); h and c are (T, B, H).)")

compare_exercise(
    "04.lstm_backward", "Backpropagation through time for the LSTM",
    solution=lstm_backward, cases=_backward_cases, mistakes=_BACKWARD_MISTAKES,
    outputs=("dx", "dh0", "dc0", "dW_x", "dW_h", "db"), after=_backward_gradcheck,
    allow=("rnn_course.activations.sigmoid",),
    praise="every gradient matches rnn_course.lstm.backward, for two sizes of T, B, D and H.",
    hint="(dh and x are (T, B, H) and (T, B, D); return dx (T, B, D), dh0 and dc0 (B, H), dW_x (4H, D), "
         "dW_h (4H, H), db (4H,).)")


@exercise("04.lstm_step_backward", "The LSTM step's backward pass", solution=lstm_step_backward,
          allow=("rnn_course.activations.sigmoid",))
def _check_lstm_step_backward(answer):
    for dh, dc, cache in _step_backward_cases():
        out = attempt(answer, dh.copy(), dc.copy(), copy.deepcopy(cache))
        if not isinstance(out, tuple | list) or len(out) != 4 or not isinstance(out[3], dict):
            raise Mistake("return four things: dx_t, dh_prev, dc_prev and a dict grads with keys W_x, W_h, b.")
        missing = [k for k in ("W_x", "W_h", "b") if k not in out[3]]
        if missing:
            raise Mistake(f"grads is missing {', '.join(missing)}; it needs W_x, W_h and b.")
        diagnose(_flat(answer), _flat(lstm_step_backward), (dh, dc, cache), _STEP_BACKWARD_MISTAKES,
                 STEP_BACKWARD_OUTPUTS, rtol=1e-6, atol=1e-9)
    return ("every gradient matches rnn_course.lstm.step_backward (itself checked against finite differences). "
            + _step_backward_gradcheck(answer))


# ---------------------------------------------------------------------------------------------
# After the exercises: the package's functions with the exercises' signatures, for
# learner_or_reference to fall back on, and a backward with a slip for the lesson to test
# ---------------------------------------------------------------------------------------------


def package_lstm_forward(x, h0, c0, W_x, W_h, b):
    """rnn_course.lstm.forward with the exercise's signature: ``(h, c)``."""
    h, c, _ = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x, h0, c0)
    return h, c


def package_lstm_backward(dh, x, h0, c0, W_x, W_h, b):
    """rnn_course.lstm.backward with the exercise's signature: ``(dx, dh0, dc0, dW_x, dW_h, db)``."""
    _, _, cache = lstm.forward({"W_x": W_x, "W_h": W_h, "b": b}, x, h0, c0)
    dx, dh0, dc0, grads = lstm.backward(dh, cache)
    return dx, dh0, dc0, grads["W_x"], grads["W_h"], grads["b"]


def backward_without_f(dh, x, h0, c0, W_x, W_h, b):
    """A whole-sequence backward with one slip, for the lesson to show that a gradient check
    catches it: the gradient passed back along the cell is dc, not dc * f_t (the check of
    04.lstm_backward names this slip too)."""
    return _sequence_backward(_dc_prev_without_f)(dh, x, h0, c0, W_x, W_h, b)


# ---------------------------------------------------------------------------------------------
# The gate puzzles: answers read as slider values, judged by rnn_course.puzzles
# ---------------------------------------------------------------------------------------------


def _values_of(answer) -> dict:
    """Slider values from an explorer, a dict, or a function returning one of them."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted()
    if callable(answer) and not hasattr(answer, "sliders"):
        answer = attempt(answer)
    if hasattr(answer, "sliders") and hasattr(answer, "values"):
        answer = answer.values()
    if not isinstance(answer, dict):
        raise Mistake(f"give a dict of slider values such as {{'f_bias': 10}}, or the explorer; got "
                      f"{type(answer).__name__}.")
    unknown = sorted(set(answer) - set(SLIDER_NAMES))
    if unknown:
        raise Mistake(f"there is no slider called {', '.join(map(repr, unknown))}; the names are "
                      f"{', '.join(SLIDER_NAMES)}.")
    values = {}
    for name, value in answer.items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Mistake(f"{name} should be a number; got {value!r}.") from None
        if not np.isfinite(value) or abs(value) > LIMIT:
            raise Mistake(f"{name} = {value:g} is off the slider: keep every number between "
                          f"{-LIMIT:g} and {LIMIT:g}.")
        values[name] = value
    return values


def _solution_text(puzzle) -> str:
    """The solution as the notebook's answer function returning the puzzle's values."""
    items = ", ".join(f'"{k}": {v:g}' for k, v in puzzle.solution.items())
    return f"def {puzzle.answer_function}():\n    return {{{items}}}"


def _puzzle_checker(puzzle):
    def checker(answer):
        problems = puzzle.problems(_values_of(answer))
        if problems:
            raise Mistake(" Also, ".join(problems))
        return puzzle.success
    return checker


for _puzzle in PUZZLES.values():
    exercise(_puzzle.name, _puzzle.title, solution=_puzzle.solution,
             solution_text=_solution_text(_puzzle),
             allow=("rnn_course.widgets.gate_explorer.GateExplorer.values",))(_puzzle_checker(_puzzle))



# ---------------------------------------------------------------------------------------------
# The step's Jacobian (issue 22): its own module, registered with this lesson's exercises
# ---------------------------------------------------------------------------------------------

from .lesson04_jacobian import lstm_step_jacobian  # noqa: E402,F401
