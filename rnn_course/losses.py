"""Losses, each returning (loss, gradient with respect to the prediction)."""

from __future__ import annotations

import numpy as np

from ._validate import as_float, float_dtype


def mse(pred, target):
    """Mean squared error over every element: mean((pred - target)^2).

    Returns ``(loss, dpred)`` with dpred = 2 (pred - target) / N.
    """
    dtype = float_dtype(pred)
    pred = as_float(pred, dtype, "pred")
    target = as_float(target, dtype, "target")
    if pred.shape != target.shape:
        raise ValueError(f"target should have the prediction's shape {pred.shape}, but it has shape {target.shape}.")
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff


def softmax(logits, axis: int = -1):
    """exp(z) / sum(exp(z)), shifted by the maximum so that nothing overflows."""
    z = np.asarray(logits)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(logits, axis: int = -1):
    z = np.asarray(logits)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_cross_entropy(logits, targets, mask=None):
    """Mean of -log softmax(logits)[target] over all positions.

    logits (..., V); targets (...) integer classes in [0, V); mask (...) of 0/1 weights
    (None: every position counts). Returns ``(loss, dlogits)``, dlogits = (softmax - onehot) / N.
    """
    dtype = float_dtype(logits)
    logits = as_float(logits, dtype, "logits")
    targets = np.asarray(targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets should have shape {logits.shape[:-1]} (the logits' shape without the "
                         f"class axis), but they have shape {targets.shape}.")
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets should be integer class indices; got dtype {targets.dtype}.")
    V = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= V):
        raise ValueError(f"targets should lie in [0, {V}) for {V} classes; got values from {targets.min()} "
                         f"to {targets.max()}.")
    w = np.ones(targets.shape, dtype=dtype) if mask is None else as_float(mask, dtype, "mask")
    n = max(float(w.sum()), 1.0)
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    loss = float(-(picked * w).sum() / n)
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
    dlogits *= (w / n)[..., None]
    return loss, dlogits


def masked_softmax_cross_entropy(logits, targets, mask):
    """Cross-entropy over the real tokens of a padded batch: the mean of -log softmax(logits)[target]
    over the positions where ``mask`` is True.

    logits (T, B, V); targets (T, B) integer ids (any value at a masked position: padding);
    mask (T, B) booleans, True for a real token. With N = mask.sum() real tokens,

        loss = -(1/N) sum_{t,b: mask} log softmax(logits[t, b])[targets[t, b]]
        dlogits[t, b] = (softmax(logits[t, b]) - onehot(targets[t, b])) / N   where mask, else 0.

    This is PyTorch's ``cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=PAD)``
    with the padded targets set to PAD. A batch with no real token at all (N = 0) has nothing to
    score: loss 0 and dlogits all zero (PyTorch returns nan there, from 0/0). The softmax is
    shifted by its maximum, so logits of +-500 stay finite; float32 in gives float32 out (the loss
    a numpy float32, else a float64, which is a Python float). Returns ``(loss, dlogits)``.
    """
    dtype = float_dtype(logits)
    logits = as_float(logits, dtype, "logits")
    if logits.ndim != 3:
        raise ValueError(f"logits should have shape (T, B, V), time first, but they have shape {logits.shape}.")
    T, B, V = logits.shape
    targets, mask = np.asarray(targets), np.asarray(mask)
    if targets.shape != (T, B):
        raise ValueError(f"targets should have shape (T, B) = {(T, B)}, the logits' shape without the class "
                         f"axis, but they have shape {targets.shape}.")
    if mask.shape != (T, B):
        raise ValueError(f"mask should have shape (T, B) = {(T, B)}, like the targets, but it has shape "
                         f"{mask.shape}.")
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets should be integer token ids; got dtype {targets.dtype}.")
    if mask.dtype != np.bool_:
        if not np.isin(mask, (0, 1)).all():
            raise ValueError(f"mask should hold booleans (True for a real token); got dtype {mask.dtype} with "
                             "values other than 0 and 1.")
        mask = mask.astype(bool)
    real = targets[mask]
    if real.size and (real.min() < 0 or real.max() >= V):
        raise ValueError(f"targets at real (unmasked) positions should lie in [0, {V}) for {V} classes; got "
                         f"values from {real.min()} to {real.max()}.")
    n = int(mask.sum())
    dlogits = np.zeros_like(logits)
    if n == 0:
        return dtype.type(0.0), dlogits
    safe = np.where(mask, targets, 0)[..., None]                # padding ids may be anything, e.g. -100
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, safe, axis=-1)[..., 0]    # (T, B)
    loss = -picked[mask].sum(dtype=dtype) / dtype.type(n)
    probs = np.exp(logp)
    np.put_along_axis(probs, safe, np.take_along_axis(probs, safe, axis=-1) - 1, axis=-1)
    dlogits[mask] = probs[mask] / dtype.type(n)
    return dtype.type(loss), dlogits
