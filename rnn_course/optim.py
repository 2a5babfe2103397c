"""Optimizers and gradient-norm clipping.

An optimizer keeps its own running state (momentum, Adam's moments) and returns new
parameters from ``step(params, grads)``; it never changes the arrays it is given.
"""

from __future__ import annotations

import numpy as np


def global_norm(grads: dict) -> float:
    """sqrt of the sum of squares of every gradient entry."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))


def clip_grad_norm(grads: dict, max_norm: float):
    """Gradient-norm clipping (Pascanu, Mikolov & Bengio 2013, algorithm 1).

    If the global norm ||g|| is at least ``max_norm``, every gradient is scaled by
    max_norm / ||g||, keeping its direction. Returns ``(clipped grads, norm before clipping)``.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive; got {max_norm}.")
    norm = global_norm(grads)
    if norm >= max_norm:
        scale = max_norm / norm
        return {k: g * scale for k, g in grads.items()}, norm
    return dict(grads), norm


def clip_grad_value(grads: dict, limit: float):
    """Element-wise clipping: every gradient entry is cut to the range [-limit, limit].

    What min-char-rnn (``np.clip(dparam, -5, 5)``) and deeplearning.ai's RNN assignment do.
    Unlike norm clipping it can change the gradient's *direction*: the large entries are cut,
    the small ones kept. Returns ``(clipped grads, norm before clipping)``.
    """
    if limit <= 0:
        raise ValueError(f"limit must be positive; got {limit}.")
    return {k: np.clip(g, -limit, limit) for k, g in grads.items()}, global_norm(grads)


def cosine(grads: dict, other: dict) -> float:
    """The cosine of the angle between two gradients seen as one long vector each (1: same direction)."""
    dot = sum(float(np.sum(grads[k] * other[k])) for k in grads)
    norms = global_norm(grads) * global_norm(other)
    return dot / norms if norms > 0 else 1.0


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum.

    v <- momentum v + g;  w <- w - lr v
    """

    def __init__(self, lr: float = 0.1, momentum: float = 0.0):
        self.lr, self.momentum = lr, momentum
        self.velocity: dict = {}

    def step(self, params: dict, grads: dict) -> dict:
        new = dict(params)
        for k, g in grads.items():
            v = self.momentum * self.velocity.get(k, 0.0) + g
            self.velocity[k] = v
            new[k] = params[k] - self.lr * v
        return new


class Adam:
    """Adam (Kingma & Ba 2015): per-weight steps scaled by running gradient moments.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
    w <- w - lr * m_hat / (sqrt(v_hat) + eps), with the bias-corrected m_hat, v_hat.
    """

    def __init__(self, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m: dict = {}
        self.v: dict = {}
        self.t = 0

    def step(self, params: dict, grads: dict) -> dict:
        self.t += 1
        b1, b2 = self.betas
        new = dict(params)
        for k, g in grads.items():
            m = b1 * self.m.get(k, 0.0) + (1 - b1) * g
            v = b2 * self.v.get(k, 0.0) + (1 - b2) * (g * g)
            self.m[k], self.v[k] = m, v
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            new[k] = (params[k] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(params[k].dtype, copy=False)
        return new
