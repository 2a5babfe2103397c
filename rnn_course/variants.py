"""The LSTM with one part taken away: the variants Greff et al. (2017) compared, forward and BPTT.

Every variant uses the standard LSTM's parameters (:mod:`rnn_course.lstm`: W_x (4H, D),
W_h (4H, H), b (4H,), blocks i, f, g, o) and changes one equation:

=========================  =====  ==========================================================
variant                    Greff  what changes
=========================  =====  ==========================================================
``"standard"``             V      nothing: c_t = f_t c_{t-1} + i_t g_t, h_t = o_t tanh(c_t)
``"no forget gate"``       NFG    f_t = 1: c_t = c_{t-1} + i_t g_t (the 1997 cell)
``"no input gate"``        NIG    i_t = 1: c_t = f_t c_{t-1} + g_t
``"no output activation"`` NOAF   h_t = o_t c_t, with no tanh
``"coupled gates"``        CIFG   f_t = 1 - i_t: what is written replaces what is kept
=========================  =====  ==========================================================

A block that a variant does not use (f in NFG and CIFG, i in NIG) keeps its weights and gets
a zero gradient, so every variant trains the same parameter dict with the same optimizer.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_sequence, float_dtype
from .activations import sigmoid_via_tanh as sigmoid
from .lstm import _unpack

VARIANTS = ("standard", "no forget gate", "no input gate", "no output activation", "coupled gates")
GREFF_NAMES = {"standard": "V", "no forget gate": "NFG", "no input gate": "NIG",
               "no output activation": "NOAF", "coupled gates": "CIFG"}


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(map(repr, VARIANTS))}; got {variant!r}.")


def forward(params: dict, x, variant: str = "standard"):
    """Run one variant over x (T, B, D) from zero states -> ``(h (T, B, H), cache)``."""
    _check_variant(variant)
    dtype = float_dtype(x)
    W_x, W_h, b = _unpack(params, dtype)
    H, D = W_x.shape[0] // 4, W_x.shape[1]
    x = check_sequence(x, D, dtype)
    T, B, _ = x.shape
    a_x = (x.reshape(T * B, D) @ W_x.T).reshape(T, B, 4 * H) + b
    i, f, g, o, c, act, h = (np.empty((T, B, H), dtype=dtype) for _ in range(7))
    h_prev = c_prev = np.zeros((B, H), dtype=dtype)
    for t in range(T):
        a = a_x[t] + h_prev @ W_h.T
        i[t] = 1.0 if variant == "no input gate" else sigmoid(a[:, :H])
        if variant == "no forget gate":
            f[t] = 1.0
        elif variant == "coupled gates":
            f[t] = 1.0 - i[t]
        else:
            f[t] = sigmoid(a[:, H:2 * H])
        g[t] = np.tanh(a[:, 2 * H:3 * H])
        o[t] = sigmoid(a[:, 3 * H:])
        c[t] = f[t] * c_prev + i[t] * g[t]
        act[t] = c[t] if variant == "no output activation" else np.tanh(c[t])
        h[t] = o[t] * act[t]
        h_prev, c_prev = h[t], c[t]
    cache = {"variant": variant, "x": x, "h": h, "c": c, "act": act, "i": i, "f": f, "g": g, "o": o,
             "W_x": W_x, "W_h": W_h}
    return h, cache


def backward(dh, cache):
    """BPTT for :func:`forward`: dh (T, B, H) -> ``(dx (T, B, D), grads)``, grads keyed like params."""
    variant = cache["variant"]
    h, c, x = cache["h"], cache["c"], cache["x"]
    i, f, g, o, act = cache["i"], cache["f"], cache["g"], cache["o"], cache["act"]
    W_x, W_h = cache["W_x"], cache["W_h"]
    dh = np.asarray(dh, dtype=h.dtype)
    if dh.shape != h.shape:
        raise ValueError(f"dh should have shape (T, B, H), like h = {h.shape}; got {dh.shape}.")
    T, B, H = h.shape
    c_prev = np.concatenate([np.zeros((1, B, H), h.dtype), c[:-1]], axis=0)
    h_prev = np.concatenate([np.zeros((1, B, H), h.dtype), h[:-1]], axis=0)
    d_act = np.ones_like(c) if variant == "no output activation" else 1.0 - act * act

    da = np.zeros((T, B, 4 * H), dtype=h.dtype)
    dh_carry = np.zeros((B, H), dtype=h.dtype)
    dc_carry = np.zeros((B, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        dh_t = dh[t] + dh_carry
        dc = dc_carry + dh_t * o[t] * d_act[t]            # through h = o act(c)
        di = dc * g[t]
        df = dc * c_prev[t]
        if variant == "coupled gates":                     # f = 1 - i: what reaches f reaches i, negated
            di = di - df
        if variant != "no input gate":
            da[t, :, :H] = di * i[t] * (1.0 - i[t])
        if variant not in ("no forget gate", "coupled gates"):
            da[t, :, H:2 * H] = df * f[t] * (1.0 - f[t])
        da[t, :, 2 * H:3 * H] = dc * i[t] * (1.0 - g[t] * g[t])
        da[t, :, 3 * H:] = dh_t * act[t] * o[t] * (1.0 - o[t])
        dc_carry = dc * f[t]
        dh_carry = da[t] @ W_h

    flat = da.reshape(T * B, 4 * H)
    grads = {"W_x": flat.T @ x.reshape(T * B, -1), "W_h": flat.T @ h_prev.reshape(T * B, H),
             "b": flat.sum(axis=0)}
    return (flat @ W_x).reshape(T, B, -1), grads
