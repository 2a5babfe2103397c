"""Lesson 7's exercise: one step of a GRU in PyTorch's form, with the usual mistakes named."""

from __future__ import annotations

import numpy as np

from .core import compare_exercise, known_mistake


def gru_step(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x                  # (B, 3H): the input's share of r, z, n
    a_h = h_prev @ W_h.T + b_h               # (B, 3H): the previous state's share
    r = 1 / (1 + np.exp(-(a_x[:, :H] + a_h[:, :H])))
    z = 1 / (1 + np.exp(-(a_x[:, H:2 * H] + a_h[:, H:2 * H])))
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="rzn"):
    """The pre-activations split into blocks, read in ``order`` (the reference reads r, z, n)."""
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    blocks = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
    return H, {k: (a_x[:, s], a_h[:, s]) for k, s in blocks.items()}


@known_mistake("you applied the reset gate before the product, as Cho et al. (2014) write the GRU: "
               "tanh(W_xn x + b_xn + W_hn (r * h_prev) + b_hn). PyTorch (and cuDNN, and Keras's default "
               "reset_after=True) apply it after: r * (W_hn h_prev + b_hn).")
def _reset_before_product(x_t, h_prev, W_x, W_h, b_x, b_h):
    H, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    r, z = _sigmoid(sum(p["r"])), _sigmoid(sum(p["z"]))
    n = np.tanh(p["n"][0] + (r * h_prev) @ W_h[2 * H:].T + b_h[2 * H:])
    return (1 - z) * n + z * h_prev


@known_mistake("z and 1 - z are swapped: you computed h = z * n + (1 - z) * h_prev. In PyTorch's form z is "
               "how much of h_prev is KEPT: h = (1 - z) * n + z * h_prev (minGRU papers write it the other way "
               "round, so check which convention a source uses).")
def _swapped_z(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    r, z = _sigmoid(sum(p["r"])), _sigmoid(sum(p["z"]))
    n = np.tanh(p["n"][0] + r * p["n"][1])
    return z * n + (1 - z) * h_prev


@known_mistake("the recurrent bias b_hn is outside the reset gate: r * (W_hn h_prev) + b_hn. In PyTorch's "
               "form it is inside, r * (W_hn h_prev + b_hn), which is why the GRU keeps two biases.")
def _b_hn_outside(x_t, h_prev, W_x, W_h, b_x, b_h):
    H, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    r, z = _sigmoid(sum(p["r"])), _sigmoid(sum(p["z"]))
    n = np.tanh(p["n"][0] + r * (h_prev @ W_h[2 * H:].T) + b_h[2 * H:])
    return (1 - z) * n + z * h_prev


@known_mistake("you read the blocks in the order z, r, n (Keras's kernel order); PyTorch stacks them "
               "r, z, n: rows 0..H-1 are the reset gate, H..2H-1 the update gate.")
def _keras_order(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="zrn")
    r, z = _sigmoid(sum(p["r"])), _sigmoid(sum(p["z"]))
    n = np.tanh(p["n"][0] + r * p["n"][1])
    return (1 - z) * n + z * h_prev


@known_mistake("the reset gate is missing: n = tanh(a_xn + a_hn). It belongs on the recurrent part, "
               "n = tanh(a_xn + r * a_hn).")
def _no_reset(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    z = _sigmoid(sum(p["z"]))
    n = np.tanh(sum(p["n"]))
    return (1 - z) * n + z * h_prev


@known_mistake("your candidate uses the sigmoid; the candidate n is a tanh (range -1..1), only r and z are "
               "sigmoids.")
def _sigmoid_candidate(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    r, z = _sigmoid(sum(p["r"])), _sigmoid(sum(p["z"]))
    n = _sigmoid(p["n"][0] + r * p["n"][1])
    return (1 - z) * n + z * h_prev


@known_mistake("the recurrent biases b_h are missing: PyTorch's GRU adds two biases, b_x to the input's share "
               "and b_h to the state's, a_h = h_prev @ W_h.T + b_h (b_hn then sits inside the reset gate).")
def _no_b_h(x_t, h_prev, W_x, W_h, b_x, b_h):
    return gru_step(x_t, h_prev, W_x, W_h, b_x, np.zeros_like(b_h))


@known_mistake("you returned the candidate n, not the new state: finish with h = (1 - z) * n + z * h_prev.")
def _returned_n(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, p = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    r = _sigmoid(sum(p["r"]))
    return np.tanh(p["n"][0] + r * p["n"][1])


def _cases():
    rng = np.random.default_rng(7)
    out = []
    for B, D, H in ((3, 4, 5), (2, 6, 3)):
        out.append((rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(0, 0.8, (3 * H, D)),
                    rng.normal(0, 0.8, (3 * H, H)), rng.normal(0, 0.5, 3 * H), rng.normal(0, 0.5, 3 * H)))
    return out


compare_exercise(
    "07.gru_step", "One step of a GRU, in PyTorch's form", solution=gru_step, cases=_cases,
    mistakes=[_reset_before_product, _swapped_z, _b_hn_outside, _keras_order, _no_reset, _sigmoid_candidate, _no_b_h,
              _returned_n],
    praise="r and z from both inputs, the reset gate on W_hn h_prev + b_hn, and z keeping h_prev: "
           "PyTorch's nn.GRU step.",
    hint="Shapes: x_t (B, D), h_prev (B, H), W_x (3H, D), W_h (3H, H), b_x and b_h (3H,); return h_t (B, H).",
)
