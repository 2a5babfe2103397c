"""Lesson 7's exercise: one step of a GRU in PyTorch's form, with the usual mistakes named."""

from __future__ import annotations

import numpy as np

from .. import gru
from ..activations import sigmoid
from .core import KnownMistake, compare_exercise, known_mistake


def gru_step(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x                  # (B, 3H): the input's share of r, z, n
    a_h = h_prev @ W_h.T + b_h               # (B, 3H): the previous state's share
    r = 1 / (1 + np.exp(-(a_x[:, :H] + a_h[:, :H])))
    z = 1 / (1 + np.exp(-(a_x[:, H:2 * H] + a_h[:, H:2 * H])))
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


def _step_variant(x_t, h_prev, W_x, W_h, b_x, b_h, *, order="rzn", reset="after", candidate=np.tanh,
                  swap_z=False, return_n=False):
    """The GRU step with one named change (the defaults are right); blocks read in ``order``.

    ``reset``: "after" (PyTorch: r * (W_hn h + b_hn)), "before" (Cho et al.: W_hn (r * h) + b_hn),
    "bias outside" (r * (W_hn h) + b_hn) or "none" (no reset gate).
    """
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    block = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
    r, z = (sigmoid(a_x[:, block[g]] + a_h[:, block[g]]) for g in "rz")
    if reset == "before":
        n = gru.candidate_reset_before({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x_t, h_prev)
    else:
        recurrent = {"after": r * a_h[:, block["n"]], "none": a_h[:, block["n"]],
                     "bias outside": r * (h_prev @ W_h[block["n"]].T) + b_h[block["n"]]}[reset]
        n = candidate(a_x[:, block["n"]] + recurrent)
    if return_n:
        return n
    return z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev


def _mistake(explanation: str, **change) -> KnownMistake:
    return KnownMistake(lambda *args: _step_variant(*args, **change), explanation)


_reset_before_product = _mistake(
    "you applied the reset gate before the product, as Cho et al. (2014) write the GRU: "
    "tanh(W_xn x + b_xn + W_hn (r * h_prev) + b_hn). PyTorch (and cuDNN, and Keras's default "
    "reset_after=True) apply it after: r * (W_hn h_prev + b_hn).", reset="before")
_swapped_z = _mistake(
    "z and 1 - z are swapped: you computed h = z * n + (1 - z) * h_prev. In PyTorch's form z is "
    "how much of h_prev is KEPT: h = (1 - z) * n + z * h_prev (minGRU papers write it the other way "
    "round, so check which convention a source uses).", swap_z=True)
_b_hn_outside = _mistake(
    "the recurrent bias b_hn is outside the reset gate: r * (W_hn h_prev) + b_hn. In PyTorch's "
    "form it is inside, r * (W_hn h_prev + b_hn), which is why the GRU keeps two biases.", reset="bias outside")
_keras_order = _mistake(
    "you read the blocks in the order z, r, n (Keras's kernel order); PyTorch stacks them "
    "r, z, n: rows 0..H-1 are the reset gate, H..2H-1 the update gate.", order="zrn")
_no_reset = _mistake(
    "the reset gate is missing: n = tanh(a_xn + a_hn). It belongs on the recurrent part, "
    "n = tanh(a_xn + r * a_hn).", reset="none")
_sigmoid_candidate = _mistake(
    "your candidate uses the sigmoid; the candidate n is a tanh (range -1..1), only r and z are "
    "sigmoids.", candidate=sigmoid)
_returned_n = _mistake(
    "you returned the candidate n, not the new state: finish with h = (1 - z) * n + z * h_prev.", return_n=True)


@known_mistake("the recurrent biases b_h are missing: PyTorch's GRU adds two biases, b_x to the input's share "
               "and b_h to the state's, a_h = h_prev @ W_h.T + b_h (b_hn then sits inside the reset gate).")
def _no_b_h(x_t, h_prev, W_x, W_h, b_x, b_h):
    return gru_step(x_t, h_prev, W_x, W_h, b_x, np.zeros_like(b_h))


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


# ---------------------------------------------------------------------------------------------
# The backward exercises (issue 22): their own module, registered with this lesson's exercise
# ---------------------------------------------------------------------------------------------

from .lesson07_backward import gru_backward, gru_step_backward, reverse_layer, truncated_bptt  # noqa: E402,F401
