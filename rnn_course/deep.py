"""Recurrent layers stacked and run in both directions, for the RNN, the LSTM and the GRU.

    layer 1:  h1_fwd = cell(x),        h1_bwd = reversed(cell(reversed(x)))
              out1   = [h1_fwd, h1_bwd]                      (T, B, 2H) when bidirectional
    layer k:  the same with out_{k-1} as its input

``layers`` is a list with one entry per layer, each ``{"forward": params}`` or
``{"forward": params, "backward": params}``; ``params`` are the cell's own
(:mod:`rnn_course.rnn`, :mod:`rnn_course.lstm`, :mod:`rnn_course.gru`). Every layer of a
stack runs the same number of directions, and layer k > 0 reads the directions * H
outputs of the layer below, as in PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with
``num_layers`` and ``bidirectional=True``. The backward direction reads the sequence from
its end; its states are put back in time order, so ``out[t]`` holds, side by side, what
the forward direction saw up to step t and what the backward direction saw from step t
to the end. Every layer starts from zero states.
"""

from __future__ import annotations

import numpy as np

from . import gru, lstm, rnn
from ._validate import as_float, float_dtype

CELLS = ("rnn", "lstm", "gru")
DIRECTIONS = ("forward", "backward")

#: Each cell's input weight, recurrent weight, and how many blocks its rows stack.
_WEIGHTS = {"rnn": ("W_xh", "W_hh", 1), "lstm": ("W_x", "W_h", 4), "gru": ("W_x", "W_h", 3)}
_INIT = {"rnn": rnn.init_params, "lstm": lstm.init_params, "gru": gru.init_params}


def _check_cell(cell: str) -> None:
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(map(repr, CELLS))}; got {cell!r}.")


def init_layers(cell: str, input_size: int, hidden_size: int, *, num_layers: int = 1,
                bidirectional: bool = False, seed: int = 0, dtype=np.float64) -> list:
    """Fresh parameters for a stack: ``num_layers`` entries, each with a "forward" (and, when
    ``bidirectional``, a "backward") set of the cell's parameters, every set from its own seed."""
    _check_cell(cell)
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1; got {num_layers}.")
    directions = DIRECTIONS if bidirectional else DIRECTIONS[:1]
    layers = []
    for k in range(num_layers):
        d_in = input_size if k == 0 else len(directions) * hidden_size
        layers.append({name: _INIT[cell](d_in, hidden_size, seed=seed + 2 * k + j, dtype=dtype)
                       for j, name in enumerate(directions)})
    return layers


def _sizes(params, cell: str, where: str) -> tuple:
    """(D, H) of one direction's parameters, or a ValueError naming the layer."""
    w_in, w_rec, blocks = _WEIGHTS[cell]
    if not isinstance(params, dict) or w_in not in params or w_rec not in params:
        got = ", ".join(sorted(params)) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"{where} should hold {cell.upper()} parameters ({w_in}, {w_rec}, ...); got {got}.")
    W_in, W_rec = np.shape(params[w_in]), np.shape(params[w_rec])
    if len(W_in) != 2 or len(W_rec) != 2:
        raise ValueError(f"{where}: {w_in} and {w_rec} should be matrices; got shapes {W_in} and {W_rec}.")
    return W_in[1], W_rec[1]


def _directions(layers, cell: str) -> tuple:
    """The directions every layer runs, checked: the same in every layer, sizes that chain."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers should be a non-empty list of {{'forward': params}} or "
                         f"{{'forward': params, 'backward': params}} dicts; got {type(layers).__name__}"
                         + (" of length 0." if isinstance(layers, (list, tuple)) else "."))
    first = None
    H_below = None
    for k, layer in enumerate(layers):
        if not isinstance(layer, dict) or "forward" not in layer or set(layer) - set(DIRECTIONS):
            got = ", ".join(sorted(layer)) if isinstance(layer, dict) else type(layer).__name__
            raise ValueError(f"layers[{k}] should be {{'forward': params}} or {{'forward': params, "
                             f"'backward': params}}; got {got}.")
        dirs = tuple(d for d in DIRECTIONS if d in layer)
        if first is None:
            first = dirs
        elif dirs != first:
            raise ValueError(f"every layer runs the same directions: layers[0] has {', '.join(first)}, "
                             f"layers[{k}] has {', '.join(dirs)}.")
        sizes = {d: _sizes(layer[d], cell, f"layers[{k}][{d!r}]") for d in dirs}
        Hs = {H for _, H in sizes.values()}
        if len(Hs) > 1:
            raise ValueError(f"layers[{k}]: both directions need the same hidden size; got "
                             + ", ".join(f"{d} H = {H}" for d, (_, H) in sizes.items()) + ".")
        if k > 0:
            for d, (D, _) in sizes.items():
                if D != len(dirs) * H_below:
                    raise ValueError(
                        f"layers[{k}][{d!r}] reads the {len(dirs)} x {H_below} = {len(dirs) * H_below} outputs "
                        f"of layers[{k - 1}], so its input size should be {len(dirs) * H_below}; got {D}.")
        H_below = Hs.pop()
    return first


def _run(cell: str, params: dict, x):
    if cell == "rnn":
        return rnn.forward(params, x)
    if cell == "lstm":
        h, _, cache = lstm.forward(params, x)
        return h, cache
    return gru.forward(params, x)


def _run_backward(cell: str, dh, cache):
    if cell == "lstm":
        dx, _, _, grads = lstm.backward(dh, cache)
    else:
        dx, _, grads = (rnn if cell == "rnn" else gru).backward(dh, cache)
    return dx, grads


def forward(layers: list, x, *, cell: str = "lstm"):
    """Run the stack over x (T, B, D) -> ``(out (T, B, directions * H), cache)``.

    ``out[..., :H]`` is the top layer's forward direction, ``out[..., H:]`` its backward
    direction in time order. ``cache["outputs"]`` keeps every layer's output.
    """
    _check_cell(cell)
    dirs = _directions(layers, cell)
    dtype = float_dtype(x)
    out = as_float(x, dtype, "x")
    caches, outputs = [], []
    for layer in layers:
        layer_caches, states = {}, []
        for d in dirs:
            seq = out if d == "forward" else out[::-1]
            h, layer_caches[d] = _run(cell, layer[d], seq)
            states.append(h if d == "forward" else h[::-1])
        out = np.concatenate(states, axis=-1) if len(states) > 1 else states[0]
        caches.append(layer_caches)
        outputs.append(out)
    return out, {"cell": cell, "directions": dirs, "caches": caches,
                                           "outputs": outputs}


def backward(dout, cache):
    """Backpropagation through the whole stack.

    dout (T, B, directions * H), the loss gradient for every output of the top layer ->
    ``(dx (T, B, D), grads)``, ``grads`` a list shaped like ``layers`` (one dict per
    direction, keyed like its parameters).
    """
    cell, dirs = cache["cell"], cache["directions"]
    top = cache["outputs"][-1]
    dout = np.asarray(dout, dtype=top.dtype)
    if dout.shape != top.shape:
        raise ValueError(f"dout should have the shape of the stack's output (T, B, directions * H) = "
                         f"{top.shape}; got {dout.shape}.")
    grads = [None] * len(cache["caches"])
    for k in range(len(cache["caches"]) - 1, -1, -1):
        layer_caches = cache["caches"][k]
        H = dout.shape[-1] // len(dirs)
        dx, grads[k] = None, {}
        for j, d in enumerate(dirs):
            dh = dout[..., j * H:(j + 1) * H]
            if d == "backward":
                dh = dh[::-1]
            dx_d, grads[k][d] = _run_backward(cell, np.ascontiguousarray(dh), layer_caches[d])
            if d == "backward":
                dx_d = dx_d[::-1]
            dx = dx_d if dx is None else dx + dx_d
        dout = dx
    return dout, grads
