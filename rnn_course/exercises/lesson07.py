"""Lesson 7's exercise: one step of a GRU in PyTorch's form, with the usual mistakes named."""

from __future__ import annotations

import numpy as np

from .. import gru
from ..activations import sigmoid
from . import slips
from .core import compare_exercise, known_mistake


def gru_step(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x                  # (B, 3H): the input's share of r, z, n
    a_h = h_prev @ W_h.T + b_h               # (B, 3H): the previous state's share
    r = 1 / (1 + np.exp(-(a_x[:, :H] + a_h[:, :H])))
    z = 1 / (1 + np.exp(-(a_x[:, H:2 * H] + a_h[:, H:2 * H])))
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return (1 - z) * n + z * h_prev


def _parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="rzn"):
    """What the forms of the step share, with the blocks read in ``order``: the gates r and z, and the input's and
    the state's share of the candidate, a_xn and a_hn (each with its bias)."""
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    block = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
    r, z = (sigmoid(a_x[:, block[gate]] + a_h[:, block[gate]]) for gate in "rz")
    return r, z, a_x[:, block["n"]], a_h[:, block["n"]]


def _new_state(z, n, h_prev):
    return (1 - z) * n + z * h_prev


@known_mistake("you applied the reset gate before the product, as the EMNLP version of Cho et al. (2014) does: "
               "tanh(W_xn x + b_xn + W_hn (r * h_prev) + b_hn). PyTorch (and cuDNN, and Keras's default "
               "reset_after=True) apply it after: r * (W_hn h_prev + b_hn).")
def _reset_before_product(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, z, _, _ = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    n = gru.candidate_reset_before({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x_t, h_prev)
    return _new_state(z, n, h_prev)


@known_mistake("z and 1 - z are swapped: you computed h = z * n + (1 - z) * h_prev. In PyTorch's form z is how much "
               "of h_prev is KEPT: h = (1 - z) * n + z * h_prev (minGRU papers write it the other way round, so "
               "check which convention a source uses).")
def _swapped_z(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(1 - z, np.tanh(a_xn + r * a_hn), h_prev)


@known_mistake("the recurrent bias b_hn is outside the reset gate: r * (W_hn h_prev) + b_hn. In PyTorch's form it "
               "is inside, r * (W_hn h_prev + b_hn), which is why the GRU keeps two biases.")
def _b_hn_outside(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    b_hn = b_h[2 * H:]
    return _new_state(z, np.tanh(a_xn + r * (a_hn - b_hn) + b_hn), h_prev)


@known_mistake("you read the blocks in the order z, r, n (Keras's kernel order); PyTorch stacks them r, z, n: rows "
               "0..H-1 are the reset gate, H..2H-1 the update gate.")
def _keras_order(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h, order="zrn")
    return _new_state(z, np.tanh(a_xn + r * a_hn), h_prev)


@known_mistake("the reset gate is missing: n = tanh(a_xn + a_hn). It belongs on the recurrent part, "
               "n = tanh(a_xn + r * a_hn).")
def _no_reset(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(a_xn + a_hn), h_prev)


@known_mistake(slips.candidate_not_tanh("n", "r and z"))
def _sigmoid_candidate(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, sigmoid(a_xn + r * a_hn), h_prev)


@known_mistake("you returned the candidate n, not the new state: finish with h = (1 - z) * n + z * h_prev.")
def _returned_n(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, _, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return np.tanh(a_xn + r * a_hn)


@known_mistake("the recurrent biases b_h are missing: PyTorch's GRU adds two biases, b_x to the input's share "
               "and b_h to the state's, a_h = h_prev @ W_h.T + b_h (b_hn then sits inside the reset gate).")
def _no_b_h(x_t, h_prev, W_x, W_h, b_x, b_h):
    return gru_step(x_t, h_prev, W_x, W_h, b_x, np.zeros_like(b_h))


@known_mistake("the input biases b_x are missing: PyTorch's GRU adds two biases, b_x to the input's share, "
               "a_x = x_t @ W_x.T + b_x, and b_h to the state's.")
def _no_b_x(x_t, h_prev, W_x, W_h, b_x, b_h):
    return gru_step(x_t, h_prev, W_x, W_h, np.zeros_like(b_x), b_h)


@known_mistake("the reset gate multiplies the whole candidate, tanh(r * (a_xn + a_hn)); it acts on the state's share "
               "only: n = tanh(a_xn + r * a_hn).")
def _reset_on_everything(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(r * (a_xn + a_hn)), h_prev)


@known_mistake("your gates r and z read only the input; each gate sees both, r = sigmoid(a_xr + a_hr) and "
               "z = sigmoid(a_xz + a_hz), with a_h = h_prev @ W_h.T + b_h.")
def _gates_from_the_input_only(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x
    r, z = sigmoid(a_x[:, :H]), sigmoid(a_x[:, H:2 * H])
    _, _, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(a_xn + r * a_hn), h_prev)


@known_mistake("the candidate's recurrent bias b_hn is missing: the state's share of n is W_hn h_prev + b_hn, and the "
               "reset gate multiplies all of it, r * (W_hn h_prev + b_hn).")
def _no_b_hn(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    r, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(a_xn + r * (a_hn - b_h[2 * H:])), h_prev)


@known_mistake("the new state mixes with the reset gate r; the update gate z decides how much of h_prev is kept: "
               "h = (1 - z) * n + z * h_prev, and r only acts inside the candidate.")
def _r_in_the_update(x_t, h_prev, W_x, W_h, b_x, b_h):
    r, _, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(r, np.tanh(a_xn + r * a_hn), h_prev)


@known_mistake("the candidate uses the update gate z where the reset gate belongs: n = tanh(a_xn + r * a_hn); z "
               "only mixes n and h_prev.")
def _z_in_the_candidate(x_t, h_prev, W_x, W_h, b_x, b_h):
    _, z, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(a_xn + z * a_hn), h_prev)


@known_mistake(slips.gates_not_sigmoid("r and z"))
def _tanh_gates(x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a = x_t @ W_x.T + b_x + h_prev @ W_h.T + b_h
    r, z = np.tanh(a[:, :H]), np.tanh(a[:, H:2 * H])
    _, _, a_xn, a_hn = _parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    return _new_state(z, np.tanh(a_xn + r * a_hn), h_prev)


GRU_MISTAKES = [_reset_before_product, _swapped_z, _b_hn_outside, _keras_order, _no_reset, _sigmoid_candidate, _no_b_h,
                _returned_n, _no_b_x, _reset_on_everything, _gates_from_the_input_only, _no_b_hn,
                _r_in_the_update, _z_in_the_candidate, _tanh_gates]


def _cases():
    rng = np.random.default_rng(7)
    out = []
    for B, D, H in ((3, 4, 5), (2, 6, 3)):
        out.append((rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(0, 0.8, (3 * H, D)),
                    rng.normal(0, 0.8, (3 * H, H)), rng.normal(0, 0.5, 3 * H), rng.normal(0, 0.5, 3 * H)))
    return out


compare_exercise(
    "07.gru_step", "One step of a GRU, in PyTorch's form", solution=gru_step, cases=_cases,
    mistakes=GRU_MISTAKES,
    allow=("rnn_course.activations.sigmoid",),
    praise="r and z from both inputs, the reset gate on W_hn h_prev + b_hn, and z keeping h_prev: "
           "PyTorch's nn.GRU step.",
    hint="Shapes: x_t (B, D), h_prev (B, H), W_x (3H, D), W_h (3H, H), b_x and b_h (3H,); return h_t (B, H).",
)


# ---------------------------------------------------------------------------------------------
# The backward exercises (issue 22): their own module, registered with this lesson's exercise
# ---------------------------------------------------------------------------------------------

from .lesson07_backward import gru_backward, gru_step_backward, reverse_layer, truncated_bptt  # noqa: E402,F401
