"""The gated recurrent unit (GRU), forward and backward through time, in PyTorch's form.

For every step t, with sigma the logistic sigmoid and * element-wise:

    r_t = sigma(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)          reset gate      (0..1)
    z_t = sigma(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)          update gate     (0..1)
    n_t = tanh (W_xn x_t + b_xn + r_t * (W_hn h_{t-1} + b_hn))  candidate state (-1..1)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}                       hidden state

The three blocks are stacked in the order r, z, n into W_x (3H, D), W_h (3H, H) and two
biases b_x (3H,), b_h (3H,): the layout of PyTorch's ``nn.GRU`` (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``). The two biases cannot be merged into one,
as the LSTM's can: b_hn sits inside r_t * (...), so the reset gate scales it.

This is the form PyTorch and cuDNN compute, with the reset gate applied *after* the matrix
product W_hn h_{t-1}, as in the first arXiv version of Cho et al. (2014); their EMNLP version applies it before,
tanh(W_xn x_t + W_hn (r_t * h_{t-1})) (by the account of Keras's and TensorFlow 1's documentation).
The two are different functions of the same weights (lesson 7 shows by how much).

Against the LSTM: the GRU has no separate cell state; z_t plays the forget gate (how much of
h_{t-1} to keep) and 1 - z_t the input gate (how much of the candidate to let in), coupled so
they sum to one; r_t decides how much of h_{t-1} the candidate may read; nothing plays the
output gate: the whole state is the output.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float, check_sequence, check_shape, check_state, float_dtype, require_keys
from .activations import sigmoid_via_tanh as sigmoid

PARAM_KEYS = ("W_x", "W_h", "b_x", "b_h")
GATES = ("r", "z", "n")


def gate_slices(H: int) -> dict:
    """Where each block sits in the stacked 3H axis."""
    return {name: slice(k * H, (k + 1) * H) for k, name in enumerate(GATES)}


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, dtype=np.float64) -> dict:
    """Random parameters as PyTorch initialises them: every weight and bias uniform in
    [-1/sqrt(H), 1/sqrt(H)].

    Returns ``{"W_x": (3H, D), "W_h": (3H, H), "b_x": (3H,), "b_h": (3H,)}``, blocks r, z, n;
    the same seed gives the same numbers.
    """
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be at least 1; got {input_size} and {hidden_size}.")
    rng = np.random.default_rng(seed)
    H = hidden_size
    k = 1.0 / np.sqrt(H)
    return {
        "W_x": rng.uniform(-k, k, (3 * H, input_size)).astype(dtype),
        "W_h": rng.uniform(-k, k, (3 * H, H)).astype(dtype),
        "b_x": rng.uniform(-k, k, 3 * H).astype(dtype),
        "b_h": rng.uniform(-k, k, 3 * H).astype(dtype),
    }


def _unpack(params: dict, dtype):
    require_keys(params, PARAM_KEYS, "GRU")
    W_x = as_float(params["W_x"], dtype, "W_x")
    if W_x.ndim != 2 or W_x.shape[0] % 3 or W_x.shape[0] == 0:
        raise ValueError(
            f"W_x should have shape (3H, D), the blocks r, z, n stacked; got shape {W_x.shape}"
            + (f", whose first size {W_x.shape[0]} does not divide by 3." if W_x.ndim == 2 else ".")
        )
    H = W_x.shape[0] // 3
    W_h = as_float(params["W_h"], dtype, "W_h")
    check_shape(W_h, (3 * H, H), "W_h", f"(3H, H) with H = {H} from W_x")
    b_x = as_float(params["b_x"], dtype, "b_x")
    check_shape(b_x, (3 * H,), "b_x", f"(3H,) with H = {H} from W_x")
    b_h = as_float(params["b_h"], dtype, "b_h")
    check_shape(b_h, (3 * H,), "b_h", f"(3H,) with H = {H} from W_x")
    return W_x, W_h, b_x, b_h


def step_forward(params: dict, x_t, h_prev=None):
    """One GRU step for a batch: x_t (B, D), h_prev (B, H) or None for zeros -> ``(h_t, cache)``.

    ``cache`` holds the gates by name ("r", "z", "n").
    """
    dtype = float_dtype(x_t)
    W_x, W_h, b_x, b_h = _unpack(params, dtype)
    H, D = W_x.shape[0] // 3, W_x.shape[1]
    x_t = as_float(x_t, dtype, "x_t")
    check_shape(x_t, (None, D), "x_t", "(B, D)")
    h_prev = check_state(h_prev, x_t.shape[0], H, dtype, "h_prev")
    a_x = x_t @ W_x.T + b_x
    a_h = h_prev @ W_h.T + b_h
    r = sigmoid(a_x[:, :H] + a_h[:, :H])
    z = sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    h_t = (1 - z) * n + z * h_prev
    return h_t, {"r": r, "z": z, "n": n, "h_prev": h_prev}


def candidate_reset_before(params: dict, x_t, h_prev):
    """The candidate state in the reset-before form (Cho et al.'s 2014 EMNLP version), for comparison with
    PyTorch's: the reset gate scales h_{t-1} *before* the product,
    n_t = tanh(W_xn x_t + b_xn + W_hn (r_t * h_{t-1}) + b_hn).

    Same parameters and shapes as :func:`step_forward`; returns n_t (B, H).
    """
    dtype = float_dtype(x_t)
    W_x, W_h, b_x, b_h = _unpack(params, dtype)
    H = W_x.shape[0] // 3
    x_t = as_float(x_t, dtype, "x_t")
    h_prev = check_state(h_prev, x_t.shape[0], H, dtype, "h_prev")
    a_x = x_t @ W_x.T + b_x
    r = sigmoid(a_x[:, :H] + h_prev @ W_h[:H].T + b_h[:H])
    return np.tanh(a_x[:, 2 * H:] + (r * h_prev) @ W_h[2 * H:].T + b_h[2 * H:])


def forward(params: dict, x, h0=None):
    """Run the GRU over a whole sequence.

    x (T, B, D); h0 (B, H) or None for zeros -> ``(h (T, B, H), cache)``. ``cache["r"]``,
    ``cache["z"]``, ``cache["n"]`` are the gate values of every step, each (T, B, H).
    float32 inputs give float32 states; anything else float64.
    """
    dtype = float_dtype(x)
    W_x, W_h, b_x, b_h = _unpack(params, dtype)
    H, D = W_x.shape[0] // 3, W_x.shape[1]
    x = check_sequence(x, D, dtype)
    T, B, _ = x.shape
    h0 = check_state(h0, B, H, dtype, "h0")

    # Every input projection in one matrix product, (T*B, D) x (D, 3H) -> (T, B, 3H).
    a_x = (x.reshape(T * B, D) @ W_x.T).reshape(T, B, 3 * H) + b_x
    r = np.empty((T, B, H), dtype=dtype)
    z = np.empty((T, B, H), dtype=dtype)
    n = np.empty((T, B, H), dtype=dtype)
    hn = np.empty((T, B, H), dtype=dtype)      # W_hn h_{t-1} + b_hn, which r_t scales
    h = np.empty((T, B, H), dtype=dtype)
    W_h_T = W_h.T
    h_prev = h0
    for t in range(T):
        a_h = h_prev @ W_h_T + b_h
        r[t] = sigmoid(a_x[t, :, :H] + a_h[:, :H])
        z[t] = sigmoid(a_x[t, :, H:2 * H] + a_h[:, H:2 * H])
        hn[t] = a_h[:, 2 * H:]
        n[t] = np.tanh(a_x[t, :, 2 * H:] + r[t] * hn[t])
        h[t] = (1 - z[t]) * n[t] + z[t] * h_prev
        h_prev = h[t]
    cache = {"x": x, "h0": h0, "h": h, "r": r, "z": z, "n": n, "hn": hn, "W_x": W_x, "W_h": W_h}
    return h, cache


def backward(dh, cache):
    """Backpropagation through time for :func:`forward`.

    dh (T, B, H): the loss gradient for every step's state, ``dh[t-1]`` at h_t (zeros where a step has no loss).
    Returns ``(dx (T, B, D), dh0 (B, H), grads)``, ``grads`` keyed like the parameters.

    With a_x = W_x x_t + b_x and a_h = W_h h_{t-1} + b_h the pre-activations, and g the
    total gradient reaching h_t (its own ``dh[t-1]`` plus what flows back from step t + 1):

        dn  = g (1 - z),            da_n = dn (1 - n^2)           (both a_xn and r * a_hn)
        dz  = g (h_{t-1} - n),      da_z = dz z (1 - z)
        dr  = da_n a_hn,            da_r = dr r (1 - r)
        da_x = [da_r, da_z, da_n],  da_h = [da_r, da_z, r da_n]
        dh_{t-1} = g z + da_h W_h

    Every factor that does not depend on g is computed for all steps before the loop.
    """
    h, x, h0 = cache["h"], cache["x"], cache["h0"]
    W_x, W_h = cache["W_x"], cache["W_h"]
    r, z, n, hn = cache["r"], cache["z"], cache["n"], cache["hn"]
    dh = as_float(dh, h.dtype, "dh")
    check_shape(dh, h.shape, "dh", "(T, B, H), like h")
    T, B, H = h.shape
    h_prev = np.concatenate([h0[None], h[:-1]], axis=0)

    # d pre-activation / d g, for every step at once: blocks r, z, n of da_x = g * local
    local = np.empty((T, B, 3, H), dtype=h.dtype)
    local[:, :, 2] = (1 - z) * (1 - n * n)
    local[:, :, 1] = (h_prev - n) * z * (1 - z)
    local[:, :, 0] = local[:, :, 2] * hn * r * (1 - r)

    da_x = np.empty((T, B, 3, H), dtype=h.dtype)
    da_h = np.empty((T, B, 3, H), dtype=h.dtype)
    carry = np.zeros((B, H), dtype=h.dtype)         # gradient arriving from step t + 1
    for t in range(T - 1, -1, -1):
        g = dh[t] + carry
        da_x[t] = local[t] * g[:, None, :]
        da_h[t, :, :2] = da_x[t, :, :2]
        da_h[t, :, 2] = r[t] * da_x[t, :, 2]
        carry = g * z[t] + da_h[t].reshape(B, 3 * H) @ W_h

    flat_x, flat_h = da_x.reshape(T * B, 3 * H), da_h.reshape(T * B, 3 * H)
    grads = {
        "W_x": flat_x.T @ x.reshape(T * B, -1),
        "W_h": flat_h.T @ h_prev.reshape(T * B, H),
        "b_x": flat_x.sum(axis=0),
        "b_h": flat_h.sum(axis=0),
    }
    dx = (flat_x @ W_x).reshape(T, B, -1)
    return dx, carry, grads
