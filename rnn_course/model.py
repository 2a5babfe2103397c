"""A sequence model: a recurrent cell (RNN, LSTM or GRU) followed by the linear read-out.

    h = cell(x);  y_t = W_hy h_t + b_y

The parameters are one flat dict: the cell's keys (``W_xh, W_hh, b_h`` for the RNN,
``W_x, W_h, b`` for the LSTM, ``W_x, W_h, b_x, b_h`` for the GRU) plus ``W_hy, b_y``.
The cell is told apart by its keys.
``readout="last"`` reads only the final step (the adding problem); ``"all"`` every step
(language models, the copy task).
"""

from __future__ import annotations

import numpy as np

from . import gru, linear, lstm, rnn


def init_params(cell: str, input_size: int, hidden_size: int, output_size: int, *, seed: int = 0,
                forget_bias: float = 1.0, dtype=np.float64) -> dict:
    """Parameters of a ``cell`` ("rnn", "lstm" or "gru") model; the LSTM's forget bias starts at 1."""
    if cell == "rnn":
        params = rnn.init_params(input_size, hidden_size, seed=seed, dtype=dtype)
    elif cell == "lstm":
        params = lstm.init_params(input_size, hidden_size, seed=seed, forget_bias=forget_bias, dtype=dtype)
    elif cell == "gru":
        params = gru.init_params(input_size, hidden_size, seed=seed, dtype=dtype)
    else:
        raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru'; got {cell!r}.")
    params.update(linear.init_params(hidden_size, output_size, seed=seed + 1, dtype=dtype))
    return params


def cell_of(params: dict) -> str:
    if "W_hh" in params:
        return "rnn"
    if "b_x" in params:
        return "gru"
    if "W_h" in params:
        return "lstm"
    raise ValueError("params hold neither an RNN (W_xh, W_hh, b_h), an LSTM (W_x, W_h, b) nor a GRU "
                     "(W_x, W_h, b_x, b_h); "
                     f"got keys {', '.join(sorted(params))}.")


def _split(params):
    out = {k: params[k] for k in linear.PARAM_KEYS}
    cell = cell_of(params)
    keys = {"rnn": rnn.PARAM_KEYS, "lstm": lstm.PARAM_KEYS, "gru": gru.PARAM_KEYS}[cell]
    return cell, {k: params[k] for k in keys}, out


def forward(params: dict, x, *, readout: str = "all", activation: str = "tanh"):
    """x (T, B, D) -> (y, cache): y (T, B, O) for ``readout="all"``, (B, O) for ``"last"``."""
    if readout not in ("all", "last"):
        raise ValueError(f"readout must be 'all' or 'last'; got {readout!r}.")
    cell, cell_params, out_params = _split(params)
    if cell == "rnn":
        h, cell_cache = rnn.forward(cell_params, x, activation=activation)
    elif cell == "gru":
        h, cell_cache = gru.forward(cell_params, x)
    else:
        h, _, cell_cache = lstm.forward(cell_params, x)
    y, out_cache = linear.forward(out_params, h[-1] if readout == "last" else h)
    return y, {"cell": cell, "cell_cache": cell_cache, "out_cache": out_cache, "h": h, "readout": readout}


def backward(dy, cache) -> dict:
    """Gradients of every parameter, keyed like ``params``."""
    dh_read, grads = linear.backward(dy, cache["out_cache"])
    h = cache["h"]
    if cache["readout"] == "last":
        dh = np.zeros_like(h)
        dh[-1] = dh_read
    else:
        dh = dh_read
    if cache["cell"] == "rnn":
        _, _, cell_grads = rnn.backward(dh, cache["cell_cache"])
    elif cache["cell"] == "gru":
        _, _, cell_grads = gru.backward(dh, cache["cell_cache"])
    else:
        _, _, _, cell_grads = lstm.backward(dh, cache["cell_cache"])
    grads.update(cell_grads)
    return grads
