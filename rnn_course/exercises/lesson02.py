"""Lesson 2 exercises: one RNN step, a whole sequence, and the backward pass of one step.

Shapes follow :mod:`rnn_course.rnn`: a batch of B sequences, inputs of size D, H hidden
units, one row per example: x_t (B, D), h (B, H), W_xh (H, D), W_hh (H, H), b_h (H,).
Each checker runs the learner's function on small inputs (B, D and H all different, so a
mixed-up axis shows), compares with the reference and, when they differ, tries the usual
mistakes one by one to say which was made.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .core import Mistake, attempt, exercise, require_array

B, D, H = 3, 2, 4      # batch, input size, hidden size: all different on purpose


def _case(seed: int, T: int | None = None):
    rng = np.random.default_rng(seed)
    shape = (B, D) if T is None else (T, B, D)
    x = rng.normal(size=shape)
    h_prev = rng.uniform(-0.9, 0.9, size=(B, H))
    W_xh = rng.normal(0, 0.8, size=(H, D))
    W_hh = rng.normal(0, 0.6, size=(H, H))
    b_h = np.array([0.5, -0.7, 0.3, 0.9])
    return x, h_prev, W_xh, W_hh, b_h


def _matches(got, expected, tol=1e-6) -> bool:
    got = np.asarray(got)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


def _call(answer, args, hint: str):
    """Run the learner's function on copies of ``args``; a crash becomes a Mistake with ``hint``."""
    try:
        return attempt(answer, *(np.array(a, copy=True) for a in args))
    except Mistake as err:
        text = str(err).rstrip()
        raise Mistake(f"{text}{'' if text.endswith('.') else '.'} {hint}") from None


def _diagnose_pre_activation(got, a, a_parts: dict, what: str) -> None:
    """Say which usual mistake turns the pre-activation ``a`` into ``got``, if any.

    ``a_parts`` maps a description of a wrong pre-activation to its value; every one is
    tried with tanh, and the right ``a`` with the wrong activations.
    """
    if _matches(got, a):
        raise Mistake(f"{what} equals the pre-activation W_hh h + W_xh x + b_h: you forgot the tanh.")
    if _matches(got, sigmoid(a)):
        raise Mistake(f"{what} uses the sigmoid; the vanilla RNN squashes with tanh (range (-1, 1)), "
                      "so the state can be negative too.")
    if _matches(got, np.maximum(a, 0)):
        raise Mistake(f"{what} uses ReLU; this RNN uses tanh, so the state lies in (-1, 1) and can be negative.")
    for mistake, wrong in a_parts.items():
        if _matches(got, np.tanh(wrong)):
            raise Mistake(f"{what}: {mistake}")


# --- 02.rnn_step -------------------------------------------------------------------------


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    # x_t (B, D), h_prev (B, H), W_xh (H, D), W_hh (H, H), b_h (H,)  ->  h_t (B, H)
    # One row per example, so W x (column form) becomes x @ W.T.
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def _step_mistakes(x, h_prev, W_xh, W_hh, b_h) -> dict:
    xin, rec = x @ W_xh.T, h_prev @ W_hh.T
    return {
        "you forgot the bias b_h: the result equals tanh(x_t @ W_xh.T + h_prev @ W_hh.T). "
        "Add b_h inside the tanh.": xin + rec,
        "you left out the recurrent term h_prev @ W_hh.T, so the step does not depend on the past; "
        "that is a feed-forward layer, not an RNN.": xin + b_h,
        "you left out the input term x_t @ W_xh.T, so the step never sees the input.": rec + b_h,
        "W_hh is transposed: you computed h_prev @ W_hh, i.e. W_hh^T h_{t-1}. Row i of W_hh holds the "
        "weights into unit i, so the batch form is h_prev @ W_hh.T. (W_hh is square, so the shape alone "
        "cannot catch this.)": xin + h_prev @ W_hh + b_h,
        "you subtracted the bias; the step is tanh(W_hh h + W_xh x + b_h).": xin + rec - b_h,
    }


@exercise("02.rnn_step", "One step of a vanilla RNN", solution=rnn_step)
def _check_rnn_step(answer):
    hint = (f"With x_t of shape (B, D) = ({B}, {D}) and W_xh of shape (H, D) = ({H}, {D}), the input term is "
            f"x_t @ W_xh.T, of shape (B, H) = ({B}, {H}); likewise h_prev @ W_hh.T.")
    for seed in (0, 1):
        x, h_prev, W_xh, W_hh, b_h = _case(seed)
        got = _call(answer, (x, h_prev, W_xh, W_hh, b_h), hint)
        if got is not None and np.asarray(got).shape == (H, B):
            raise Mistake(f"your h_t has shape (H, B) = ({H}, {B}): it is transposed. You wrote the column form "
                          "W_xh x_t; with one row per example that is x_t @ W_xh.T, giving (B, H).")
        got = require_array(got, (B, H), f"rnn_step(...) for x_t {x.shape} and h_prev {h_prev.shape}")
        a = x @ W_xh.T + h_prev @ W_hh.T + b_h
        if _matches(got, np.tanh(a)):
            continue
        if _matches(got, np.tanh(a - b_h) + b_h):
            raise Mistake("you added b_h after the tanh; the bias belongs inside it, "
                          "tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), so h_t stays in (-1, 1).")
        _diagnose_pre_activation(got, a, _step_mistakes(x, h_prev, W_xh, W_hh, b_h), "your h_t")
        raise Mistake(f"the values differ from tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h); for the first example "
                      f"and first unit expected {np.tanh(a)[0, 0]:.3g}, got {got[0, 0]:.3g}.")
    return "tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), shape (B, H): one step of the recurrence."


# --- 02.rnn_forward ----------------------------------------------------------------------


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    # x (T, B, D), h0 (B, H)  ->  h (T, B, H): the state after every step (h0 itself is not included)
    h = np.empty((x.shape[0], h0.shape[0], W_hh.shape[0]))
    h_prev = h0
    for t in range(x.shape[0]):
        h_prev = np.tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h)   # the same weights at every step
        h[t] = h_prev
    return h


def _reference_forward(x, h0, W_xh, W_hh, b_h, *, carry=True, transpose_hh=False, bias=True):
    out, prev = [], h0
    Whh = W_hh if transpose_hh else W_hh.T
    for t in range(x.shape[0]):
        prev = np.tanh(x[t] @ W_xh.T + (prev if carry else h0) @ Whh + (b_h if bias else 0.0))
        out.append(prev)
    return np.stack(out)


@exercise("02.rnn_forward", "A whole sequence, one step at a time", solution=rnn_forward)
def _check_rnn_forward(answer):
    T = 5
    hint = (f"x has shape (T, B, D) = ({T}, {B}, {D}); x[t] is step t for every sequence, shape (B, D), "
            f"and each step computes tanh(x[t] @ W_xh.T + h_prev @ W_hh.T + b_h).")
    x, h0, W_xh, W_hh, b_h = _case(7, T=T)
    got = _call(answer, (x, h0, W_xh, W_hh, b_h), hint)
    expected = _reference_forward(x, h0, W_xh, W_hh, b_h)
    if got is not None:
        shape = np.asarray(got).shape
        if shape == (B, H):
            raise Mistake(f"you returned one state of shape (B, H) = ({B}, {H}); return the state after every "
                          f"step, stacked along time: shape (T, B, H) = ({T}, {B}, {H}).")
        if shape == (T + 1, B, H):
            raise Mistake(f"you returned T + 1 = {T + 1} states: leave out h0 and return h_1 ... h_T, "
                          f"shape (T, B, H) = ({T}, {B}, {H}).")
        if shape == (T, H, B):
            raise Mistake("each state is transposed, (H, B); keep one row per example: x[t] @ W_xh.T.")
    got = require_array(got, (T, B, H), f"rnn_forward(...) for x {x.shape} and h0 {h0.shape}")
    if _matches(got, expected):
        zeros = np.zeros_like(h0)
        again = require_array(_call(answer, (x, zeros, W_xh, W_hh, b_h), hint), (T, B, H),
                              "rnn_forward(...) with h0 = 0")
        if not _matches(again, _reference_forward(x, zeros, W_xh, W_hh, b_h)):
            raise Mistake("with h0 = 0 the result is wrong although it was right for another h0; "
                          "the function should not depend on anything but its arguments.")
        return "the states h_1 ... h_T, shape (T, B, H), each step feeding the next with the same weights."
    if _matches(got, _reference_forward(x, np.zeros_like(h0), W_xh, W_hh, b_h)):
        raise Mistake("you ignored h0 and started from zeros; the first step uses h_prev = h0.")
    if _matches(got, _reference_forward(x, h0, W_xh, W_hh, b_h, carry=False)):
        raise Mistake("every step used h0 as its previous state: the new state never fed the next step. "
                      "Update h_prev = h_t inside the loop, so that step t + 1 sees h_t.")
    shifted = np.concatenate([h0[None], expected[:-1]])
    if _matches(got, shifted):
        raise Mistake("your states are shifted by one step: h[0] is h0 and h[t] holds h_{t-1}. Store the new "
                      "state after computing it: h[t] = tanh(...), then h_prev = h[t].")
    if _matches(got, _reference_forward(x, h0, W_xh, W_hh, b_h, transpose_hh=True)):
        raise Mistake("W_hh is transposed: use h_prev @ W_hh.T (row i of W_hh holds the weights into unit i).")
    if _matches(got, _reference_forward(x, h0, W_xh, W_hh, b_h, bias=False)):
        raise Mistake("you forgot the bias b_h inside the tanh.")
    if _matches(got[1:], _reference_forward(x[1:], h0, W_xh, W_hh, b_h)):
        raise Mistake("the first step is missing: h[0] was never computed, and h[1] was computed from h0. "
                      "The loop must run over every step, for t in range(T), starting with x[0].")
    if _matches(got[0], expected[0]) and not _matches(got[1], expected[1]):
        raise Mistake("step 1 is right but step 2 is not: check what you pass as the previous state from the "
                      "second step on (it must be the state you just computed).")
    if not _matches(got[0], expected[0]):
        a = x[0] @ W_xh.T + h0 @ W_hh.T + b_h
        _diagnose_pre_activation(got[0], a, _step_mistakes(x[0], h0, W_xh, W_hh, b_h), "your first state h[0]")
    raise Mistake(f"the states differ from the recurrence; at t = 1, first example, first unit expected "
                  f"{expected[0, 0, 0]:.3g}, got {got[0, 0, 0]:.3g}.")


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


_NAMES = ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")


@exercise("02.rnn_step_backward", "Backpropagation through one RNN step", solution=rnn_step_backward)
def _check_rnn_step_backward(answer):
    x, h_prev, W_xh, W_hh, b_h = _case(3)
    h_t = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
    dh = np.random.default_rng(4).normal(size=(B, H))
    hint = ("Shapes: da = dh_t * (1 - h_t**2) is (B, H); a gradient has the shape of what it is for: "
            f"dx_t (B, D) = {x.shape}, dh_prev (B, H), dW_xh (H, D) = {W_xh.shape}, dW_hh (H, H), db_h (H,).")
    got = _call(answer, (dh, x, h_prev, h_t, W_xh, W_hh), hint)
    if got is None:
        raise Mistake("rnn_step_backward returned None; did you forget to `return` the five gradients?")
    if not isinstance(got, (tuple, list)) or len(got) != 5:
        raise Mistake("return five arrays, in this order: dx_t, dh_prev, dW_xh, dW_hh, db_h.")
    expected = rnn_step_backward(dh, x, h_prev, h_t, W_xh, W_hh)
    shapes = {"dx_t": (B, D), "dh_prev": (B, H), "dW_xh": (H, D), "dW_hh": (H, H), "db_h": (H,)}
    given = [np.shape(v) if v is not None else None for v in got]
    if given[0] == (B, H) and given[1] == (B, D):
        raise Mistake("dx_t and dh_prev are swapped: return them in the order dx_t (B, D), dh_prev (B, H), "
                      "dW_xh, dW_hh, db_h.")
    for name, value in zip(_NAMES, got):
        arr = None if value is None else np.asarray(value)
        if name == "db_h" and arr is not None and arr.shape == (B, H):
            raise Mistake(f"db_h has shape (B, H) = ({B}, {H}): sum da over the batch, da.sum(axis=0). b_h is "
                          "shared by every example, so its gradient adds up their contributions.")
        if name == "dW_xh" and arr is not None and arr.shape == (D, H):
            raise Mistake(f"dW_xh has shape (D, H) = ({D}, {H}), but W_xh is (H, D) = ({H}, {D}): a weight's "
                          "gradient has the weight's shape. Use da.T @ x_t.")
        require_array(value, shapes[name], name)
    got = dict(zip(_NAMES, (np.asarray(v, dtype=float) for v in got)))
    ref = dict(zip(_NAMES, expected))

    # The usual ways to get da wrong show in every gradient: test them first.
    da = dh * (1 - h_t ** 2)
    wrong_da = {
        "you skipped the tanh: da must be dh_t * (1 - h_t**2), the derivative of tanh written with its "
        "output h_t.": dh,
        "the tanh derivative is 1 - h_t**2 (squared); you used 1 - h_t.": dh * (1 - h_t),
        "you used 1 - tanh(h_t)**2, applying tanh a second time; h_t already is tanh(a), so "
        "tanh'(a) = 1 - h_t**2.": dh * (1 - np.tanh(h_t) ** 2),
        "you used the derivative at the previous state, 1 - h_prev**2; the tanh of this step produced h_t, "
        "so use 1 - h_t**2.": dh * (1 - h_prev ** 2),
        "you used the sigmoid's derivative h_t (1 - h_t); this step's activation is tanh: 1 - h_t**2.":
            dh * h_t * (1 - h_t),
    }
    if not _matches(got["db_h"], ref["db_h"]):
        for message, wrong in wrong_da.items():
            if _matches(got["db_h"], wrong.sum(axis=0)):
                raise Mistake(message)
        if _matches(got["db_h"], ref["db_h"] / B):
            raise Mistake(f"db_h is the mean over the batch; it must be the sum, da.sum(axis=0). The loss "
                          f"already carries any 1/B factor inside dh_t, so dividing again shrinks the gradient "
                          f"{B} times.")
        if _matches(got["db_h"], -ref["db_h"]):
            raise Mistake("db_h has the wrong sign; the gradient of a + b_h with respect to b_h is +1.")
        raise Mistake(f"db_h should be da.sum(axis=0) with da = dh_t * (1 - h_t**2); expected "
                      f"{ref['db_h'][0]:.3g} for the first unit, got {got['db_h'][0]:.3g}.")
    if not _matches(got["dh_prev"], ref["dh_prev"]):
        if _matches(got["dh_prev"], da @ W_hh.T):
            raise Mistake("dh_prev uses the transposed weight: the forward used h_prev @ W_hh.T, so the "
                          "backward is da @ W_hh (in column form, W_hh^T da). W_hh is square, so the shape "
                          "alone cannot catch this.")
        if _matches(got["dh_prev"], dh):
            raise Mistake("dh_prev just passes dh_t through; it must go back through tanh and W_hh: da @ W_hh.")
        raise Mistake(f"dh_prev should be da @ W_hh; expected {ref['dh_prev'][0, 0]:.3g} for the first example "
                      f"and unit, got {got['dh_prev'][0, 0]:.3g}.")
    if not _matches(got["dW_hh"], ref["dW_hh"]):
        if _matches(got["dW_hh"], ref["dW_hh"] / B):
            raise Mistake("dW_hh is averaged over the batch; it must be the sum, da.T @ h_prev (the loss "
                          "already carries any 1/B factor inside dh_t).")
        if _matches(got["dW_hh"], ref["dW_hh"].T):
            raise Mistake("dW_hh is transposed: entry (i, j) is the gradient of the weight from unit j into "
                          "unit i, da[:, i] times h_prev[:, j], i.e. da.T @ h_prev.")
        if _matches(got["dW_hh"], da.T @ h_t):
            raise Mistake("dW_hh multiplies da by h_t; the weight W_hh multiplied h_prev in the forward pass, "
                          "so its gradient is da.T @ h_prev.")
        raise Mistake(f"dW_hh should be da.T @ h_prev; expected {ref['dW_hh'][0, 0]:.3g} at (0, 0), "
                      f"got {got['dW_hh'][0, 0]:.3g}.")
    if not _matches(got["dW_xh"], ref["dW_xh"]):
        if _matches(got["dW_xh"], ref["dW_xh"] / B):
            raise Mistake("dW_xh is averaged over the batch; it must be the sum, da.T @ x_t (the loss "
                          "already carries any 1/B factor inside dh_t).")
        raise Mistake(f"dW_xh should be da.T @ x_t (shape (H, D)); expected {ref['dW_xh'][0, 0]:.3g} at (0, 0), "
                      f"got {got['dW_xh'][0, 0]:.3g}.")
    if not _matches(got["dx_t"], ref["dx_t"]):
        raise Mistake(f"dx_t should be da @ W_xh (shape (B, D)); expected {ref['dx_t'][0, 0]:.3g} for the first "
                      f"example, got {got['dx_t'][0, 0]:.3g}.")
    return ("all five gradients are right: da = dh_t * (1 - h_t**2), then each input gets da times its weight "
            "and each weight gets da times its input.")


__all__ = ["rnn_forward", "rnn_step", "rnn_step_backward"]
