"""The vanilla (Elman) recurrent network, forward and backward through time.

For every time step t = 1..T and every sequence in the batch:

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)

Shapes (time-major): x (T, B, D), h (T, B, H), W_xh (H, D), W_hh (H, H), b_h (H,).
In batched code a row vector times a transposed matrix does the same as the column
form above. The array ``h[t-1]`` holds h_t (``h0`` is h_0, not in ``h``), so step t reads
``h[t-1] = tanh(x[t-1] @ W_xh.T + h_prev @ W_hh.T + b_h)``, with ``h_prev`` = ``h[t-2]``, or ``h0`` at t = 1.

The input projection ``x @ W_xh.T + b_h`` of all T steps is one matrix product;
only the recurrence, which really depends on the previous step, loops in Python.
"""

from __future__ import annotations

import numpy as np

from . import activations
from ._validate import as_float, check_sequence, check_shape, check_state, float_dtype, require_keys

PARAM_KEYS = ("W_xh", "W_hh", "b_h")


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float64) -> dict:
    """Random parameters: weights uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's default), zero bias.

    Returns ``{"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,)}``; the same seed gives the same numbers.
    """
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be at least 1; got {input_size} and {hidden_size}.")
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(hidden_size)
    return {
        "W_xh": rng.uniform(-k, k, (hidden_size, input_size)).astype(dtype),
        "W_hh": rng.uniform(-k, k, (hidden_size, hidden_size)).astype(dtype),
        "b_h": np.zeros(hidden_size, dtype=dtype),
    }


def _unpack(params: dict, dtype):
    require_keys(params, PARAM_KEYS, "RNN")
    W_xh = as_float(params["W_xh"], dtype, "W_xh")
    if W_xh.ndim != 2:
        raise ValueError(f"W_xh should have shape (H, D), but it has shape {W_xh.shape}.")
    H, D = W_xh.shape
    W_hh = as_float(params["W_hh"], dtype, "W_hh")
    check_shape(W_hh, (H, H), "W_hh", f"(H, H) with H = {H} from W_xh")
    b_h = as_float(params["b_h"], dtype, "b_h")
    check_shape(b_h, (H,), "b_h", f"(H,) with H = {H} from W_xh")
    return W_xh, W_hh, b_h


def step_forward(params: dict, x_t, h_prev, activation: str = "tanh"):
    """One step: h_t = act(W_hh h_prev + W_xh x_t + b_h) for a batch.

    x_t (B, D), h_prev (B, H) -> (h_t (B, H), cache).
    """
    dtype = float_dtype(x_t)
    W_xh, W_hh, b_h = _unpack(params, dtype)
    H, D = W_xh.shape
    x_t = as_float(x_t, dtype, "x_t")
    check_shape(x_t, (None, D), "x_t", "(B, D)")
    h_prev = check_state(h_prev, x_t.shape[0], H, dtype, "h_prev")
    act, _ = activations.get(activation)
    h_t = act(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
    return h_t, {"x_t": x_t, "h_prev": h_prev, "h_t": h_t, "W_xh": W_xh, "W_hh": W_hh, "activation": activation}


def step_backward(dh_t, cache):
    """Backward of :func:`step_forward`.

    dh_t (B, H), the loss gradient for h_t -> (dx_t (B, D), dh_prev (B, H), grads).
    With a = W_hh h_prev + W_xh x_t + b_h: da = dh_t * act'(a), then each input gets
    da times its weight, and each weight gets da times its input.
    """
    _, dact = activations.get(cache["activation"])
    h_t = cache["h_t"]
    dh_t = as_float(dh_t, h_t.dtype, "dh_t")
    check_shape(dh_t, h_t.shape, "dh_t", "(B, H)")
    da = dh_t * dact(h_t)
    grads = {"W_xh": da.T @ cache["x_t"], "W_hh": da.T @ cache["h_prev"], "b_h": da.sum(axis=0)}
    return da @ cache["W_xh"], da @ cache["W_hh"], grads


def forward(params: dict, x, h0=None, activation: str = "tanh"):
    """Run the RNN over a whole sequence.

    x (T, B, D), h0 (B, H) or None for zeros -> (h (T, B, H), cache).
    ``activation`` is "tanh" (default) or "relu" (lesson 3 compares them).
    float32 inputs give float32 states; anything else float64.
    """
    dtype = float_dtype(x)
    W_xh, W_hh, b_h = _unpack(params, dtype)
    H, D = W_xh.shape
    x = check_sequence(x, D, dtype)
    T, B, _ = x.shape
    h0 = check_state(h0, B, H, dtype, "h0")
    act, _ = activations.get(activation)

    # every input projected in one matrix product, (T*B, D) x (D, H) -> (T, B, H)
    h = (x.reshape(T * B, D) @ W_xh.T).reshape(T, B, H)
    h += b_h
    W_hh_T = W_hh.T
    recurrent = np.empty((B, H), dtype=dtype)
    prev = h0
    for t in range(T):
        np.matmul(prev, W_hh_T, out=recurrent)
        h[t] += recurrent
        if activation == "tanh":
            np.tanh(h[t], out=h[t])
        else:
            h[t] = act(h[t])
        prev = h[t]
    cache = {"x": x, "h0": h0, "h": h, "W_xh": W_xh, "W_hh": W_hh, "activation": activation}
    return h, cache


def backward(dh, cache, *, return_dh_steps: bool = False):
    """Backpropagation through time for :func:`forward`.

    dh (T, B, H) is the loss gradient for every step's state, ``dh[t-1]`` at h_t (zeros where a step has no loss).
    Returns ``(dx (T, B, D), dh0 (B, H), grads)`` with ``grads`` keyed like the parameters.

    Walking back from t = T to t = 1: the gradient reaching h_t is its own ``dh[t-1]`` plus what
    flows back from step t + 1 through W_hh. With ``return_dh_steps=True`` a fourth value holds
    that total gradient for every step, (T, B, H): what lesson 3 plots against the lag.
    """
    h, x, h0 = cache["h"], cache["x"], cache["h0"]
    W_xh, W_hh = cache["W_xh"], cache["W_hh"]
    dh = as_float(dh, h.dtype, "dh")
    check_shape(dh, h.shape, "dh", "(T, B, H), like h")
    _, dact = activations.get(cache["activation"])
    T, B, H = h.shape

    deriv = dact(h)                           # act'(a_t) for every step at once, from h_t
    da = np.empty_like(h)                     # gradient at the pre-activation, every step
    dh_total = np.empty_like(h) if return_dh_steps else np.empty((1, B, H), dtype=h.dtype)
    carry = np.zeros((B, H), dtype=h.dtype)   # gradient arriving from step t + 1
    for t in range(T - 1, -1, -1):
        total = dh_total[t if return_dh_steps else 0]
        np.add(dh[t], carry, out=total)
        np.multiply(total, deriv[t], out=da[t])
        np.matmul(da[t], W_hh, out=carry)

    flat_da = da.reshape(T * B, H)
    h_prev = np.concatenate([h0[None], h[:-1]], axis=0).reshape(T * B, H)
    grads = {
        "W_xh": flat_da.T @ x.reshape(T * B, -1),
        "W_hh": flat_da.T @ h_prev,
        "b_h": flat_da.sum(axis=0),
    }
    dx = (flat_da @ W_xh).reshape(T, B, -1)
    if return_dh_steps:
        return dx, carry, grads, dh_total
    return dx, carry, grads
