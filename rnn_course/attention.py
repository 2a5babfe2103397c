"""Dot-product attention over a sequence of states, with the padding masked out.

For every query q_t (a decoder state) and the S states k_s = v_s it may look at (an encoder's),

    score[t, s]  = q_t . k_s / sqrt(H)          (PyTorch's scaled default; Luong et al.'s "dot" has no scale)
    score[t, s]  = -inf where s is padding       (mask[s] False)
    weight[t, :] = softmax over s of score[t, :]  (each row sums to 1 over the real positions)
    context_t    = sum_s weight[t, s] v_s

Shapes are time-major like the rest of the course: query (T, B, H), keys (S, B, H), values
(S, B, Dv), mask (S, B) True for a real position; context (T, B, Dv), weights (T, B, S). All T
queries are answered at once: nothing here is sequential.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float, float_dtype
from .losses import softmax


def _check(query, keys, values, mask):
    dtype = float_dtype(query)
    q, k, v = (as_float(a, dtype, n) for a, n in ((query, "query"), (keys, "keys"), (values, "values")))
    if q.ndim != 3 or k.ndim != 3 or v.ndim != 3:
        raise ValueError(f"query (T, B, H), keys (S, B, H) and values (S, B, Dv) should be 3-d; got shapes "
                         f"{q.shape}, {k.shape} and {v.shape}.")
    T, B, H = q.shape
    if k.shape[1:] != (B, H):
        raise ValueError(f"keys should have shape (S, B, H) = (?, {B}, {H}) to match the query {q.shape}, but "
                         f"they have shape {k.shape}.")
    S = k.shape[0]
    if v.shape[:2] != (S, B):
        raise ValueError(f"values should have shape (S, B, Dv) = ({S}, {B}, ?) like the keys, but they have "
                         f"shape {v.shape}.")
    if mask is None:
        mask = np.ones((S, B), dtype=bool)
    mask = np.asarray(mask)
    if mask.shape != (S, B):
        raise ValueError(f"mask should have shape (S, B) = {(S, B)}, one flag per key, but it has shape {mask.shape}.")
    mask = mask.astype(bool)
    if not mask.any(axis=0).all():
        empty = int(np.flatnonzero(~mask.any(axis=0))[0])
        raise ValueError(f"sequence {empty} of the batch has no real position in the mask: attention needs at "
                         "least one position to look at.")
    return q, k, v, mask


def forward(query, keys, values, mask=None, *, scaled: bool = True):
    """Attention of every query over the keys. Returns ``(context (T, B, Dv), weights (T, B, S), cache)``."""
    q, k, v, mask = _check(query, keys, values, mask)
    H = q.shape[2]
    scale = q.dtype.type(1.0 / np.sqrt(H) if scaled else 1.0)
    qb, kb, vb = q.transpose(1, 0, 2), k.transpose(1, 0, 2), v.transpose(1, 0, 2)   # batch first for matmul
    scores = (qb @ kb.transpose(0, 2, 1)) * scale                                     # (B, T, S)
    scores = np.where(mask.T[:, None, :], scores, -np.inf)
    weights = softmax(scores, axis=-1)
    context = weights @ vb                                                            # (B, T, Dv)
    cache = {"q": qb, "k": kb, "v": vb, "weights": weights, "scale": scale}
    return context.transpose(1, 0, 2), weights.transpose(1, 0, 2), cache


def backward(dcontext, cache):
    """Backward of :func:`forward`: dcontext (T, B, Dv) -> ``(dquery, dkeys, dvalues)``.

    Through context = weights v:      dweights = dcontext v^T,   dvalues = weights^T dcontext;
    through the softmax (per row):    dscores  = weights * (dweights - sum_s weights * dweights);
    through scores = scale q k^T:     dquery   = scale dscores k, dkeys = scale dscores^T q.
    A masked position has weight 0, so it receives no gradient on either path.
    """
    w, q, k, v, scale = cache["weights"], cache["q"], cache["k"], cache["v"], cache["scale"]
    dctx = as_float(dcontext, w.dtype, "dcontext").transpose(1, 0, 2)
    if dctx.shape != (w.shape[0], w.shape[1], v.shape[2]):
        expected = (w.shape[1], w.shape[0], v.shape[2])
        raise ValueError(f"dcontext should have the context's shape (T, B, Dv) = {expected}, but it has shape "
                         f"{np.shape(dcontext)}.")
    dw = dctx @ v.transpose(0, 2, 1)                                  # (B, T, S)
    dv = w.transpose(0, 2, 1) @ dctx                                  # (B, S, Dv)
    dscores = w * (dw - (w * dw).sum(axis=-1, keepdims=True)) * scale
    dq = dscores @ k                                                  # (B, T, H)
    dk = dscores.transpose(0, 2, 1) @ q                               # (B, S, H)
    return dq.transpose(1, 0, 2), dk.transpose(1, 0, 2), dv.transpose(1, 0, 2)
