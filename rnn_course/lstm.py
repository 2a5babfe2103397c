"""Long Short-Term Memory, forward and backward through time.

For every step t, with sigma the logistic sigmoid and * element-wise:

    i_t = sigma(W_xi x_t + W_hi h_{t-1} + b_i)      input gate      (0..1)
    f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f)      forget gate     (0..1)
    g_t = tanh (W_xg x_t + W_hg h_{t-1} + b_g)      cell candidate  (-1..1)
    o_t = sigma(W_xo x_t + W_ho h_{t-1} + b_o)      output gate     (0..1)
    c_t = f_t * c_{t-1} + i_t * g_t                 cell state
    h_t = o_t * tanh(c_t)                           hidden state

The four blocks are stacked in the order i, f, g, o into W_x (4H, D), W_h (4H, H) and
b (4H,): the layout of PyTorch's ``nn.LSTM`` (``weight_ih_l0``, ``weight_hh_l0``, and
``b = bias_ih_l0 + bias_hh_l0``), so weights carry over between the two unchanged.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float, check_sequence, check_shape, check_state, float_dtype, require_keys
from .activations import sigmoid_via_tanh as sigmoid

PARAM_KEYS = ("W_x", "W_h", "b")
GATES = ("i", "f", "g", "o")


def gate_slices(H: int) -> dict:
    """Where each gate's block sits in the stacked 4H axis."""
    return {name: slice(k * H, (k + 1) * H) for k, name in enumerate(GATES)}


def init_params(input_size: int, hidden_size: int, *, seed: int = 0, forget_bias: float = 0.0,
                dtype=np.float64) -> dict:
    """Random parameters: weights uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's default).

    Biases start at zero except the forget block, which starts at ``forget_bias``
    (1.0 is the common choice after Gers et al. 2000 and Jozefowicz et al. 2015: the
    cell then keeps its content by default). Returns ``{"W_x": (4H, D), "W_h": (4H, H),
    "b": (4H,)}``.
    """
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be at least 1; got {input_size} and {hidden_size}.")
    rng = np.random.default_rng(seed)
    H = hidden_size
    k = 1.0 / np.sqrt(H)
    b = np.zeros(4 * H, dtype=dtype)
    b[gate_slices(H)["f"]] = forget_bias
    return {
        "W_x": rng.uniform(-k, k, (4 * H, input_size)).astype(dtype),
        "W_h": rng.uniform(-k, k, (4 * H, H)).astype(dtype),
        "b": b,
    }


def _unpack(params: dict, dtype):
    require_keys(params, PARAM_KEYS, "LSTM")
    W_x = as_float(params["W_x"], dtype, "W_x")
    if W_x.ndim != 2 or W_x.shape[0] % 4:
        raise ValueError(
            f"W_x should have shape (4H, D), the blocks i, f, g, o stacked; got shape {W_x.shape}"
            + (f", whose first size {W_x.shape[0]} does not divide by 4." if W_x.ndim == 2 else ".")
        )
    H = W_x.shape[0] // 4
    W_h = as_float(params["W_h"], dtype, "W_h")
    check_shape(W_h, (4 * H, H), "W_h", f"(4H, H) with H = {H} from W_x")
    b = as_float(params["b"], dtype, "b")
    check_shape(b, (4 * H,), "b", f"(4H,) with H = {H} from W_x")
    return W_x, W_h, b


def step_forward(params: dict, x_t, h_prev=None, c_prev=None):
    """One LSTM step for a batch: x_t (B, D), h_prev and c_prev (B, H) or None for zeros.

    Returns ``(h_t, c_t, cache)``; ``cache`` holds the gates by name ("i", "f", "g", "o").
    """
    dtype = float_dtype(x_t)
    W_x, W_h, b = _unpack(params, dtype)
    H, D = W_x.shape[0] // 4, W_x.shape[1]
    x_t = as_float(x_t, dtype, "x_t")
    check_shape(x_t, (None, D), "x_t", "(B, D)")
    B = x_t.shape[0]
    h_prev = check_state(h_prev, B, H, dtype, "h_prev")
    c_prev = check_state(c_prev, B, H, dtype, "c_prev")
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev, "c_t": c_t, "tanh_c": tanh_c,
             "W_x": W_x, "W_h": W_h, "i": i, "f": f, "g": g, "o": o}
    return h_t, c_t, cache


def _gate_grads(dh, dc, i, f, g, o, c_prev, tanh_c, out):
    """Gradient at the four pre-activations, written into out (B, 4H); returns dc_prev."""
    H = i.shape[-1]
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)        # through h = o tanh(c)
    out[:, :H] = dc * g * i * (1.0 - i)                # input gate
    out[:, H:2 * H] = dc * c_prev * f * (1.0 - f)      # forget gate
    out[:, 2 * H:3 * H] = dc * i * (1.0 - g * g)       # candidate
    out[:, 3 * H:] = dh * tanh_c * o * (1.0 - o)       # output gate
    return dc * f                                      # the cell's additive path back


def step_backward(dh_t, dc_t, cache):
    """Backward of :func:`step_forward`.

    dh_t, dc_t (B, H) (dc_t may be None: no loss on the cell) ->
    ``(dx_t (B, D), dh_prev (B, H), dc_prev (B, H), grads)``.
    """
    dtype = cache["c_t"].dtype
    dh_t = as_float(dh_t, dtype, "dh_t")
    check_shape(dh_t, cache["c_t"].shape, "dh_t", "(B, H)")
    dc_t = np.zeros_like(dh_t) if dc_t is None else as_float(dc_t, dtype, "dc_t")
    check_shape(dc_t, cache["c_t"].shape, "dc_t", "(B, H)")
    B, H = dh_t.shape
    da = np.empty((B, 4 * H), dtype=dtype)
    dc_prev = _gate_grads(dh_t, dc_t, cache["i"], cache["f"], cache["g"], cache["o"],
                          cache["c_prev"], cache["tanh_c"], da)
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], dc_prev, grads


def forward(params: dict, x, h0=None, c0=None):
    """Run the LSTM over a whole sequence.

    x (T, B, D); h0, c0 (B, H) or None for zeros -> ``(h, c, cache)`` with h and c (T, B, H).
    ``cache["i"]``, ``cache["f"]``, ``cache["g"]``, ``cache["o"]`` are the gate values of
    every step, each (T, B, H), ready to plot.
    """
    dtype = float_dtype(x)
    W_x, W_h, b = _unpack(params, dtype)
    H, D = W_x.shape[0] // 4, W_x.shape[1]
    x = check_sequence(x, D, dtype)
    T, B, _ = x.shape
    h0 = check_state(h0, B, H, dtype, "h0")
    c0 = check_state(c0, B, H, dtype, "c0")

    # Every input projected in one matrix product, (T*B, D) x (D, 4H) -> (T, B, 4H); the
    # loop is the equations as written. (Working in place and folding the four blocks into
    # one tanh call made it only a few percent faster: benchmarks/bench_numerics.py.)
    a_x = (x.reshape(T * B, D) @ W_x.T).reshape(T, B, 4 * H) + b
    i, f, g, o, c, tanh_c, h = (np.empty((T, B, H), dtype=dtype) for _ in range(7))
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = a_x[t] + h_prev @ W_h.T
        i[t] = sigmoid(a[:, :H])
        f[t] = sigmoid(a[:, H:2 * H])
        g[t] = np.tanh(a[:, 2 * H:3 * H])
        o[t] = sigmoid(a[:, 3 * H:])
        c[t] = f[t] * c_prev + i[t] * g[t]
        tanh_c[t] = np.tanh(c[t])
        h[t] = o[t] * tanh_c[t]
        h_prev, c_prev = h[t], c[t]

    cache = {"x": x, "h0": h0, "c0": c0, "h": h, "c": c, "tanh_c": tanh_c,
             "W_x": W_x, "W_h": W_h, "i": i, "f": f, "g": g, "o": o}
    return h, c, cache


def backward(dh, cache, dc=None, *, return_dc_steps: bool = False):
    """Backpropagation through time for :func:`forward`.

    dh (T, B, H): loss gradient for every step's h, ``dh[t-1]`` at h_t; dc (T, B, H) or None: the same for c.
    Returns ``(dx (T, B, D), dh0 (B, H), dc0 (B, H), grads)``, ``grads`` keyed like the
    parameters. With ``return_dc_steps=True`` a fifth value holds the total gradient that
    reached every step's cell state, (T, B, H): lesson 4's constant error carousel.
    """
    h, c, x = cache["h"], cache["c"], cache["x"]
    W_x, W_h = cache["W_x"], cache["W_h"]
    dh = as_float(dh, h.dtype, "dh")
    check_shape(dh, h.shape, "dh", "(T, B, H), like h")
    if dc is not None:
        dc = as_float(dc, h.dtype, "dc")
        check_shape(dc, h.shape, "dc", "(T, B, H), like c")
    T, B, H = h.shape
    i, f, g, o, tanh_c = cache["i"], cache["f"], cache["g"], cache["o"], cache["tanh_c"]
    c_prev = np.concatenate([cache["c0"][None], c[:-1]], axis=0)

    # Every factor that does not depend on the gradient flowing back is computed for all
    # steps at once; the loop keeps only what must be sequential.
    through_h = o * (1.0 - tanh_c * tanh_c)           # dc_t / dh_t along h = o tanh(c)
    local = np.empty((T, B, 4 * H), dtype=h.dtype)    # d pre-activation / d (dc or dh)
    local[..., :H] = g * i * (1.0 - i)
    local[..., H:2 * H] = c_prev * f * (1.0 - f)
    local[..., 2 * H:3 * H] = i * (1.0 - g * g)
    local[..., 3 * H:] = tanh_c * o * (1.0 - o)
    local3 = local.reshape(T, B, 4, H)

    da = np.empty_like(local)
    da3 = da.reshape(T, B, 4, H)
    dc_total = np.empty_like(c) if return_dc_steps else None
    dh_carry = np.zeros((B, H), dtype=h.dtype)
    dc_carry = np.zeros((B, H), dtype=h.dtype)
    dh_t = np.empty((B, H), dtype=h.dtype)
    dc_t = np.empty((B, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        np.add(dh[t], dh_carry, out=dh_t)
        np.multiply(dh_t, through_h[t], out=dc_t)
        dc_t += dc_carry
        if dc is not None:
            dc_t += dc[t]
        if dc_total is not None:
            dc_total[t] = dc_t
        np.multiply(local3[t, :, :3], dc_t[:, None, :], out=da3[t, :, :3])   # i, f, g
        np.multiply(local3[t, :, 3], dh_t, out=da3[t, :, 3])                 # o
        np.multiply(dc_t, f[t], out=dc_carry)          # the cell's additive path back
        np.matmul(da[t], W_h, out=dh_carry)

    flat_da = da.reshape(T * B, 4 * H)
    h_prev = np.concatenate([cache["h0"][None], h[:-1]], axis=0).reshape(T * B, H)
    grads = {
        "W_x": flat_da.T @ x.reshape(T * B, -1),
        "W_h": flat_da.T @ h_prev,
        "b": flat_da.sum(axis=0),
    }
    dx = (flat_da @ W_x).reshape(T, B, -1)
    if return_dc_steps:
        return dx, dh_carry, dc_carry, grads, dc_total
    return dx, dh_carry, dc_carry, grads
