"""Token embeddings: a lookup table of learned vectors, one row per token id.

    x[t, b] = W[ids[t, b]]                         forward: pick a row per token
    dW[v]   = sum over (t, b) with ids[t, b] = v of dx[t, b]    backward: add into the rows used

W is (V, E), as PyTorch's ``nn.Embedding.weight``. Picking row v is the product of a one-hot
vector with W, so the backward is that product's transposed: every position sends its gradient to
the row it read, and a token that occurs twice gets both gradients added (``np.add.at``; a plain
``dW[ids] += dx`` would keep only one of them).
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float, float_dtype


def init_params(vocab_size: int, embed_size: int, *, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """A (V, E) table drawn from N(0, 1), PyTorch's default for ``nn.Embedding``."""
    if vocab_size < 1 or embed_size < 1:
        raise ValueError(f"vocab_size and embed_size must be at least 1; got {vocab_size} and {embed_size}.")
    return np.random.default_rng(seed).normal(size=(vocab_size, embed_size)).astype(dtype)


def _check_ids(ids, V: int) -> np.ndarray:
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids should be integer token ids; got dtype {ids.dtype}.")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"ids should lie in [0, {V}) for a table of {V} rows; got values from {ids.min()} "
                         f"to {ids.max()}.")
    return ids


def forward(W, ids):
    """W (V, E), ids (...) integers in [0, V) -> ``(x, cache)`` with x (..., E) = W[ids]."""
    W = as_float(W, float_dtype(W), "W")
    if W.ndim != 2:
        raise ValueError(f"the embedding table W should have shape (V, E), but it has shape {W.shape}.")
    ids = _check_ids(ids, W.shape[0])
    return W[ids], {"ids": ids, "shape": W.shape}


def backward(dx, cache):
    """Backward of :func:`forward`: dx (..., E) -> dW (V, E), the gradients added into the rows used."""
    ids, (V, E) = cache["ids"], cache["shape"]
    dx = as_float(dx, float_dtype(dx), "dx")
    if dx.shape != (*ids.shape, E):
        raise ValueError(f"dx should have shape ids.shape + (E,) = {(*ids.shape, E)}, but it has shape {dx.shape}.")
    dW = np.zeros((V, E), dtype=dx.dtype)
    np.add.at(dW, ids.reshape(-1), dx.reshape(-1, E))
    return dW
