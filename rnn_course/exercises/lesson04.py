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

import numpy as np

from .. import lstm
from ..activations import sigmoid
from ..puzzles import LIMIT, PUZZLES, SLIDER_NAMES
from .core import (
    KnownMistake,
    Mistake,
    NotAttempted,
    attempt,
    compare_exercise,
    diagnose,
    exercise,
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


def _order_name(order: str) -> str:
    return ", ".join(order)


#: Orders of the four blocks that other sources use (TF1 calls the candidate j).
OTHER_ORDERS = {"figo": "Olah's blog post", "ifog": "CS231n's", "igfo": "TensorFlow 1's (i, j, f, o)"}
_ORDER_TEXT = ("you read the four blocks of {what} in the order {order}, {source}; here they are stacked "
               "i, f, g, o, as in PyTorch and rnn_course.lstm.")


def _step_variant(x, h, c, W, b, *, order="hx", g_act=np.tanh, gate_act=sigmoid, keep=True, squash=True,
                  blocks="ifgo"):
    """The concatenated step with one deliberate change."""
    H = h.shape[1]
    z = np.concatenate([h, x] if order == "hx" else [x, h], axis=1) @ W.T + b
    a = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(blocks)}
    i, f, o = gate_act(a["i"]), gate_act(a["f"]), gate_act(a["o"])
    g = g_act(a["g"])
    c_t = (f * c if keep else 0.0) + i * g
    return o * (np.tanh(c_t) if squash else c_t), c_t


def _step_mistake(explanation: str, **change) -> KnownMistake:
    return KnownMistake(lambda x, h, c, W, b: _step_variant(x, h, c, W, b, **change), explanation)


_STEP_MISTAKES = [
    _step_mistake("you concatenated [x_t, h_{t-1}]; here W's first H columns multiply h_{t-1} and the last D "
                  "multiply x_t, so the order is [h_{t-1}, x_t].", order="xh"),
    _step_mistake("c_t forgets everything: it is f_t * c_{t-1} + i_t * g_t; the forget gate scales the old cell "
                  "state, it does not replace it.", keep=False),
    _step_mistake("h_t should be o_t * tanh(c_t); without the tanh, h_t copies c_t, which can grow past 1.",
                  squash=False),
    _step_mistake("the candidate g_t uses tanh, not sigmoid: it is a value that may be negative, while the gates "
                  "i, f, o are openings between 0 and 1.", g_act=sigmoid),
    _step_mistake("the gates i_t, f_t, o_t use the sigmoid (0 to 1, how far open); tanh would let a gate be "
                  "negative.", gate_act=np.tanh),
    *(_step_mistake(_ORDER_TEXT.format(what="W and b", order=_order_name(order), source=source), blocks=order)
      for order, source in OTHER_ORDERS.items()),
    KnownMistake(lambda *args: lstm_step_concat(*args)[::-1], "h_t and c_t are swapped: return (h_t, c_t)."),
]


def _trajectory(x, h0, c0, W_x, W_h, b, *, order="ifgo", forget=True, candidate=True, squash=True, bias=True,
                first_input=False, stale_h=False, stale_c=False, gate_act=sigmoid, cand_act=np.tanh):
    """The forward pass through a sequence with one named change (the defaults are right).

    Returns ``(hs, cs, gates)``: hs and cs lists of T + 1 arrays (B, H) starting with h0 and c0,
    gates a list of T dicts "i", "f", "g", "o".
    """
    H = h0.shape[1]
    hs, cs, gates = [h0], [c0], []
    for t in range(len(x)):
        h_prev, c_prev = (h0 if stale_h else hs[-1]), (c0 if stale_c else cs[-1])
        z = (x[0] if first_input else x[t]) @ W_x.T + h_prev @ W_h.T + (b if bias else 0.0)
        a = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        gate = {"i": gate_act(a["i"]), "f": gate_act(a["f"]), "g": cand_act(a["g"]), "o": gate_act(a["o"])}
        written = gate["i"] * gate["g"] if candidate else gate["i"]
        cs.append((gate["f"] * c_prev if forget else c_prev) + written)
        hs.append(gate["o"] * (np.tanh(cs[-1]) if squash else cs[-1]))
        gates.append(gate)
    return hs, cs, gates


def _forward_variant(shifted=False, **change):
    def forward(x, h0, c0, W_x, W_h, b):
        hs, cs, _ = _trajectory(x, h0, c0, W_x, W_h, b, **change)
        kept = slice(None, -1) if shifted else slice(1, None)
        return np.stack(hs[kept]), np.stack(cs[kept])
    return forward


def _backward_variant(dh, x, h0, c0, W_x, W_h, b, *, carry_dh=True, carry_dc=True, sign=1.0, summed=True,
                      loss_at_every_step=True, h_path=True, times_f=True, dW_x_from_x0=False, dW_h_from_h_t=False,
                      da_order=None, db_mean=False, tanh_of_c_prev=False, **model):
    """Backpropagation through the sequence with one named change (the defaults are right).

    ``model`` changes the forward pass as in :func:`_trajectory` (order, forget, candidate,
    squash, bias, first_input), and the way back is then that model's exact gradient; the other
    keywords are slips on the way back itself.
    """
    order = model.get("order", "ifgo")
    forget, candidate = model.get("forget", True), model.get("candidate", True)
    squash, first_input = model.get("squash", True), model.get("first_input", False)
    hs, cs, gates = _trajectory(x, h0, c0, W_x, W_h, b, **model)
    T = len(x)
    dx = np.zeros_like(x)
    grads = {"W_x": np.zeros_like(W_x), "W_h": np.zeros_like(W_h), "b": np.zeros_like(b)}
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        i, f, g, o = (gates[t][k] for k in "ifgo")
        c_in_h = cs[t] if tanh_of_c_prev else cs[t + 1]
        s = np.tanh(c_in_h) if squash else c_in_h
        dh_t = (dh[t] if loss_at_every_step or t == T - 1 else 0.0) + (dh_next if carry_dh else 0.0)
        dc = (dc_next if carry_dc else 0.0) + (dh_t * o * ((1 - s**2) if squash else 1.0) if h_path else 0.0)
        da_of = {"i": dc * (g if candidate else 1.0) * i * (1 - i),
                 "f": dc * cs[t] * f * (1 - f) * (1.0 if forget else 0.0),
                 "g": dc * i * (1 - g**2) * (1.0 if candidate else 0.0),
                 "o": dh_t * s * o * (1 - o)}
        da = np.concatenate([da_of[k] for k in (da_order or order)], axis=1)
        x_in = x[0] if first_input or dW_x_from_x0 else x[t]
        step = {"W_x": da.T @ x_in, "W_h": da.T @ (hs[t + 1] if dW_h_from_h_t else hs[t]),
                "b": da.mean(axis=0) if db_mean else da.sum(axis=0)}
        for name in grads:
            grads[name] = grads[name] + step[name] if summed else step[name]
        if first_input:
            dx[0] += da @ W_x
        else:
            dx[t] = da @ W_x
        dh_next = da @ W_h
        dc_next = dc * f if forget and times_f else dc
    return tuple(sign * v for v in (dx, dh_next, dc_next, grads["W_x"], grads["W_h"], grads["b"]))


def _sequence_mistake(kind: str, explanation: str, **change) -> KnownMistake:
    if kind == "forward":
        return KnownMistake(_forward_variant(**change), explanation)
    return KnownMistake(lambda *args: _backward_variant(*args, **change), explanation)


#: Changes to the model itself: (what the forward pass does instead, the change). A backward pass
#: built on such a forward pass is that model's exact gradient, so it is named the same way.
_SEQUENCE_MODEL_MISTAKES = (
    ("the cell has no forget gate, c_t = c_{t-1} + i_t * g_t: that is the 1997 LSTM; the forget gate of Gers et "
     "al. (2000) scales the old cell, c_t = f_t * c_{t-1} + i_t * g_t.", {"forget": False}),
    ("c_t = f_t * c_{t-1} + i_t leaves out the candidate: the input gate says how much to write and g_t what, "
     "so c_t = f_t * c_{t-1} + i_t * g_t.", {"candidate": False}),
    ("h_t = o_t * c_t leaves out the tanh: the cell is squashed before it is shown, h_t = o_t * tanh(c_t).",
     {"squash": False}),
    ("every step reads the input of step 0: step t reads x[t] (loop over the first axis, time).",
     {"first_input": True}),
    ("the bias b is missing: every block's pre-activation is x_t @ W_x.T + h_{t-1} @ W_h.T + b.", {"bias": False}),
    *((_ORDER_TEXT.format(what="W_x, W_h and b", order=_order_name(order), source=source), {"order": order})
      for order, source in OTHER_ORDERS.items()),
)

_FORWARD_MISTAKES = [
    *(_sequence_mistake("forward", text, **change) for text, change in _SEQUENCE_MODEL_MISTAKES),
    _sequence_mistake("forward", "every step reads h0 as h_{t-1}: carry h_t over to the next step.", stale_h=True),
    _sequence_mistake("forward", "every step reads c0 as c_{t-1}: carry c_t over to the next step, or the cell "
                                 "remembers nothing.", stale_c=True),
    _sequence_mistake("forward", "the candidate g_t uses tanh, not sigmoid: a value that may be negative.",
                      cand_act=sigmoid),
    _sequence_mistake("forward", "the gates i, f, o use the sigmoid (0 to 1, how far open), not tanh.",
                      gate_act=np.tanh),
    KnownMistake(lambda *args: lstm_forward(*args)[::-1], "h and c are swapped: return (h, c)."),
    _sequence_mistake("forward", "every state is one step late: h[t] should be the state after reading x[t], so "
                                 "h[0] is the first new state, not h0 (store h_t after computing it).", shifted=True),
]

_BACKWARD_MISTAKES = [
    _sequence_mistake("backward", "no gradient comes back from later steps through h: δh_t is dh[t] plus what "
                                  "step t + 1 sends back through its gates, da_{t+1} @ W_h.", carry_dh=False),
    _sequence_mistake("backward", "no gradient comes back from later steps along the cell: δc_t includes what "
                                  "step t + 1 sends back, δc_{t+1} * f_{t+1}, the constant error carousel.",
                      carry_dc=False),
    _sequence_mistake("backward", "every gradient has the wrong sign: they are the derivatives of the loss, not "
                                  "of minus the loss.", sign=-1.0),
    _sequence_mistake("backward", "the weight gradients hold only one step's share (step 0, the last one the "
                                  "loop reaches): the weights are shared by all steps, so add every step's "
                                  "share (+=) instead of assigning it.", summed=False),
    _sequence_mistake("backward", "at every step but the last, δh_t dropped the loss's own gradient dh[t]: it "
                                  "is dh[t] plus what comes back from step t + 1, not either one.",
                      loss_at_every_step=False),
    _sequence_mistake("backward", "dW_h uses h_t where h_{t-1} belongs: step t's gates read h_{t-1}, so its share "
                                  "is da_t.T @ h_{t-1} (h0 at step 0).", dW_h_from_h_t=True),
    _sequence_mistake("backward", "dW_x uses the input of step 0 at every step: step t's share is da_t.T @ x[t].",
                      dW_x_from_x0=True),
    _sequence_mistake("backward", "c_t reaches the loss two ways, along the cell and through h_t = o_t * "
                                  "tanh(c_t): δc = δc_t + δh_t * o_t * (1 - tanh(c_t)^2).", h_path=False),
    _sequence_mistake("backward", "the gradient passed back along the cell should be δc * f_t: c_{t-1} enters "
                                  "c_t multiplied by the forget gate.", times_f=False),
    _sequence_mistake("backward", "tanh(c_{t-1}) appears where tanh(c_t) belongs: step t shows its new cell, "
                                  "h_t = o_t * tanh(c_t), so δo_t and the (1 - tanh^2) factor use c_t.",
                      tanh_of_c_prev=True),
    KnownMistake(lambda *args: (lambda out: (out[0], out[2], out[1], *out[3:]))(lstm_backward(*args)),
                 "dh0 and dc0 are swapped: return (dx, dh0, dc0, dW_x, dW_h, db)."),
    _sequence_mistake("backward", "db is the batch mean of da at each step; every example adds its share to the "
                                  "loss, so it is the sum, da.sum(axis=0), like da.T @ x_t.", db_mean=True),
    *(_sequence_mistake("backward", f"you stacked da in the order {_order_name(order)} ({source}); the rows of "
                                    "W_x, W_h and b come in the order i, f, g, o, and da must follow them.",
                        da_order=order) for order, source in OTHER_ORDERS.items()),
    *(_sequence_mistake("backward", f"in the forward pass inside your backward, {text}", **change)
      for text, change in _SEQUENCE_MODEL_MISTAKES),
]


# --- the step backward: the learner returns (dx_t, dh_prev, dc_prev, grads), grads a dict ----------------

STEP_BACKWARD_OUTPUTS = ("dx_t", "dh_prev", "dc_prev", 'grads["W_x"]', 'grads["W_h"]', 'grads["b"]')


def _flat(step_backward):
    """``step_backward`` with its grads dict spread into three outputs, for the matcher."""
    def flat(dh_t, dc_t, cache):
        dx_t, dh_prev, dc_prev, grads = step_backward(dh_t, dc_t, cache)
        return dx_t, dh_prev, dc_prev, grads["W_x"], grads["W_h"], grads["b"]
    return flat


def _step_backward_variant(dh, dc_in, cache, *, h_path=True, times_f=True, df_factor="c_prev", do_uses_tanh=True,
                           squash_slope="tanh", candidate_prime="tanh", tanh_prime_for="", blocks="ifgo",
                           bias_reduce="sum", gate_prime=True, carry_incoming=False):
    """The step backward with one deliberate change, its grads spread out as in :func:`_flat`."""
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    c_t = cache["c_t"]
    tanh_c = np.tanh(c_t)
    slope = {"tanh": 1 - tanh_c**2, "of c": 1 - c_t**2, "none": 1.0}[squash_slope]
    dc = dc_in + (dh * o * slope if h_path else 0.0)
    do = dh * (tanh_c if do_uses_tanh else c_t)
    df = dc * {"c_prev": cache["c_prev"], "c_t": c_t, "one": 1.0}[df_factor]
    g_prime = 1 - g**2 if candidate_prime == "tanh" else g * (1 - g)
    prime = {gate: 1 - s**2 if gate in tanh_prime_for else s * (1 - s) if gate_prime else 1.0
             for gate, s in (("i", i), ("f", f), ("o", o))}
    da_of = {"i": dc * g * prime["i"], "f": df * prime["f"], "g": dc * i * g_prime, "o": do * prime["o"]}
    da = np.concatenate([da_of[gate] for gate in blocks], axis=1)
    db = da.sum(axis=0) if bias_reduce == "sum" else da.mean(axis=0)
    dc_back = dc_in if carry_incoming else dc
    return (da @ cache["W_x"], da @ cache["W_h"], dc_back * (f if times_f else 1.0), da.T @ cache["x_t"],
            da.T @ cache["h_prev"], db)


def _step_backward_mistake(explanation: str, **change) -> KnownMistake:
    return KnownMistake(lambda dh, dc, cache: _step_backward_variant(dh, dc, cache, **change), explanation)


_GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "o": "output gate o"}
_STEP_BACKWARD_MISTAKES = [
    _step_backward_mistake("c_t reaches the loss two ways: directly (dc_t) and through h_t = o_t * tanh(c_t). "
                           "Start from dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2).", h_path=False),
    _step_backward_mistake("dc_prev should be dc * f_t: c_{t-1} enters c_t multiplied by the forget gate.",
                           times_f=False),
    _step_backward_mistake("the forget gate multiplies c_{t-1}, so its gradient is dc * c_{t-1} (before the "
                           "sigmoid's f (1 - f)).", df_factor="one"),
    _step_backward_mistake("h_t = o_t * tanh(c_t), so the output gate's gradient is dh_t * tanh(c_t), not "
                           "dh_t * c_t.", do_uses_tanh=False),
    _step_backward_mistake("dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2): the tanh's derivative at c_t is "
                           "1 - tanh(c_t)^2, not 1 - c_t^2 (c_t is what goes into the tanh, not what comes out).",
                           squash_slope="of c"),
    _step_backward_mistake("the candidate is g_t = tanh(a_g), so its derivative is 1 - g_t^2; g_t (1 - g_t) is "
                           "the sigmoid's, right for i, f and o only.", candidate_prime="sigmoid"),
    *(_step_backward_mistake(f"the {_GATE_NAMES[gate]} is a sigmoid, so its derivative is {gate}_t (1 - {gate}_t); "
                             f"1 - {gate}_t^2 is the tanh's, right for the candidate g only.", tanh_prime_for=gate)
      for gate in "ifo"),
    _step_backward_mistake("the gates' pre-activations need the sigmoid's derivative: da_i = di * i_t (1 - i_t), "
                           "and the same for f and o; without it the gradient skips the squashing.",
                           gate_prime=False),
    _step_backward_mistake("the forget gate multiplies c_{t-1}, the cell before this step, so df = dc * c_{t-1}; "
                           "c_t is the cell after it.", df_factor="c_t"),
    _step_backward_mistake("dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2): the path through h_t = o_t * tanh(c_t) "
                           "passes the tanh, so its slope 1 - tanh(c_t)^2 belongs in it.", squash_slope="none"),
    _step_backward_mistake("dc_prev should be the *total* dc (dc_t plus what came through h_t) times f_t, not the "
                           "dc_t that came in.", carry_incoming=True),
    _step_backward_mistake('grads["b"] is the batch mean of da; every example adds its share to the loss, so the '
                           "bias gradient is the sum, da.sum(axis=0) (just as da.T @ x_t sums over the batch for "
                           "W_x).", bias_reduce="mean"),
    *(_step_backward_mistake(f"you stacked da in the order {_order_name(order)}; the rows of W_x, W_h and b come "
                             "in the order i, f, g, o, and da must follow them: [da_i, da_f, da_g, da_o].",
                             blocks="".join(order))
      for order in itertools.permutations("ifgo") if order != tuple("ifgo")),
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
    praise="h_t and c_t match rnn_course.lstm.step_forward with W_h = W[:, :H] and W_x = W[:, H:]: the two ways "
           "of writing the step are the same computation.",
    hint="(x_t is (B, D), h_prev and c_prev (B, H), W (4H, H + D), b (4H,).)")

compare_exercise(
    "04.lstm_forward", "The LSTM over a whole sequence",
    solution=lstm_forward, cases=_forward_cases, mistakes=_FORWARD_MISTAKES, outputs=("h", "c"),
    praise="h and c match rnn_course.lstm.forward at every step, for two sizes of T, B, D and H.",
    hint="(x is (T, B, D), h0 and c0 (B, H), W_x (4H, D), W_h (4H, H), b (4H,); h and c are (T, B, H).)")

compare_exercise(
    "04.lstm_backward", "Backpropagation through time for the LSTM",
    solution=lstm_backward, cases=_backward_cases, mistakes=_BACKWARD_MISTAKES,
    outputs=("dx", "dh0", "dc0", "dW_x", "dW_h", "db"), after=_backward_gradcheck,
    praise="every gradient matches rnn_course.lstm.backward, for two sizes of T, B, D and H.",
    hint="(dh and x are (T, B, H) and (T, B, D); return dx (T, B, D), dh0 and dc0 (B, H), dW_x (4H, D), "
         "dW_h (4H, H), db (4H,).)")


@exercise("04.lstm_step_backward", "The LSTM step's backward pass", solution=lstm_step_backward)
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
    return _backward_variant(dh, x, h0, c0, W_x, W_h, b, times_f=False)


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
             solution_text=_solution_text(_puzzle))(_puzzle_checker(_puzzle))



# ---------------------------------------------------------------------------------------------
# The step's Jacobian (issue 22): its own module, registered with this lesson's exercises
# ---------------------------------------------------------------------------------------------

from .lesson04_jacobian import lstm_step_jacobian  # noqa: E402,F401
