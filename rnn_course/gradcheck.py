"""Gradient checking: compare a backward pass with centred finite differences.

    df/dw ~ (f(w + eps) - f(w - eps)) / (2 eps)

The error of the centred difference shrinks like eps^2 while rounding error grows like
1/eps; eps = 1e-5 balances the two in float64, where a correct backward pass agrees to a
relative error around 1e-9 and a wrong one is off by something like 1e-1.
"""

from __future__ import annotations

import numpy as np


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||): 0 for equal gradients, 1 when one is zero or they point apart.

    Taken over the whole array (a tiny floor keeps two all-zero gradients at 0).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}.")
    with np.errstate(all="ignore"):           # infinities give NaN, said as NaN, not as a warning
        return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """d f() / d x by centred differences, nudging ``x`` in place and restoring it.

    ``f`` takes no arguments and returns a float; it must read ``x`` (the same array object).
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + eps
        f_plus = f()
        x[idx] = old - eps
        f_minus = f()
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradcheck(loss_fn, params: dict, grads: dict, eps: float = 1e-5) -> dict:
    """Relative error of every analytic gradient in ``grads`` against finite differences.

    ``loss_fn(params) -> float`` computes the loss from ``params`` (a dict of float64
    arrays, nudged in place). Returns ``{name: relative error}`` for each key of ``grads``.
    """
    errors = {}
    for name, analytic in grads.items():
        if name not in params:
            raise ValueError(f"grads has {name!r}, which params does not; params has {', '.join(params)}.")
        numeric = numerical_gradient(lambda: loss_fn(params), params[name], eps)
        errors[name] = relative_error(analytic, numeric)
    return errors
