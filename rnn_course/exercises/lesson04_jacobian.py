"""Lesson 4's Jacobian exercise: ``04.lstm_step_jacobian``, the derivative of one LSTM step's state.

For each example b of the batch the learner returns the (2H, 2H) matrix

    J[b] = d [h_t, c_t] / d [h_{t-1}, c_{t-1}]       rows h_t then c_t, columns h_{t-1} then c_{t-1}

of the step (PyTorch's layout, blocks i, f, g, o stacked in W_x (4H, D), W_h (4H, H), b (4H,)):

    a = W_x x_t + W_h h_{t-1} + b,   i, f, o = sigma(a_i, a_f, a_o),   g = tanh(a_g)
    c_t = f * c_{t-1} + i * g,       h_t = o * tanh(c_t)

Its four blocks, with D(v) the diagonal matrix of v and W_hi, W_hf, W_hg, W_ho the blocks of W_h:

    dc_t/dc_{t-1} = D(f)                                            the carousel
    dc_t/dh_{t-1} = D(c_{t-1} f(1-f)) W_hf + D(g i(1-i)) W_hi + D(i (1-g^2)) W_hg   the routes through the gates
    dh_t/dc_{t-1} = D(o (1 - tanh^2 c_t)) D(f)
    dh_t/dh_{t-1} = D(tanh c_t o(1-o)) W_ho + D(o (1 - tanh^2 c_t)) dc_t/dh_{t-1}

The check compares with this reference on two sizes, names the usual slips, and once the answer
is right runs a finite-difference check of the learner's own J (a scalar u . h_t + v . c_t, whose
gradient with respect to [h_{t-1}, c_{t-1}] is [u, v] J).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .core import compare_exercise, known_mistake, learner_gradcheck

# ---------------------------------------------------------------------------------------------
# The reference, written block by block as the equations above
# ---------------------------------------------------------------------------------------------


def _gates(x_t, h_prev, W_x, W_h, b):
    """The step's gates and new cell: (i, f, g, o, c_t), each (B, H)."""
    H = h_prev.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    return i, f, g, o


def _blocks(x_t, h_prev, c_prev, W_x, W_h, b):
    """The four (B, H, H) blocks dh/dh, dh/dc, dc/dh, dc/dc of the step's Jacobian."""
    H = h_prev.shape[1]
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    W_hi, W_hf, W_hg, W_ho = (W_h[k * H:(k + 1) * H] for k in range(4))
    # D(v) W for a batch: v[:, :, None] * W scales row j of W by v[:, j]
    dc_dh = ((c_prev * f * (1 - f))[:, :, None] * W_hf + (g * i * (1 - i))[:, :, None] * W_hi
             + (i * (1 - g**2))[:, :, None] * W_hg)
    dc_dc = f[:, :, None] * np.eye(H)
    through_c = (o * (1 - tanh_c**2))[:, :, None]          # dh_t/dc_t, a diagonal
    dh_dh = (tanh_c * o * (1 - o))[:, :, None] * W_ho + through_c * dc_dh
    dh_dc = through_c * dc_dc
    return dh_dh, dh_dc, dc_dh, dc_dc


def _assemble(dh_dh, dh_dc, dc_dh, dc_dc):
    """[[dh/dh, dh/dc], [dc/dh, dc/dc]] as one (B, 2H, 2H) array."""
    return np.concatenate([np.concatenate([dh_dh, dh_dc], axis=2),
                           np.concatenate([dc_dh, dc_dc], axis=2)], axis=1)


def lstm_step_jacobian(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    a = x_t @ W_x.T + h_prev @ W_h.T + b                   # (B, 4H): the blocks i, f, g, o
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c_t = f * c_prev + i * g
    tanh_c = np.tanh(c_t)
    W_hi, W_hf, W_hg, W_ho = W_h[:H], W_h[H:2 * H], W_h[2 * H:3 * H], W_h[3 * H:]
    # row j of a block D(v) W is v_j times row j of W: v[:, :, None] * W, for every example at once
    dc_dc = f[:, :, None] * np.eye(H)                       # the carousel: diag(f_t)
    dc_dh = ((c_prev * f * (1 - f))[:, :, None] * W_hf     # the routes through the gates
             + (g * i * (1 - i))[:, :, None] * W_hi
             + (i * (1 - g**2))[:, :, None] * W_hg)
    dh_dc_t = (o * (1 - tanh_c**2))[:, :, None]            # h_t = o tanh(c_t): diag(o (1 - tanh^2 c_t))
    dh_dh = (tanh_c * o * (1 - o))[:, :, None] * W_ho + dh_dc_t * dc_dh
    dh_dc = dh_dc_t * dc_dc
    top = np.concatenate([dh_dh, dh_dc], axis=2)            # rows h_t
    bottom = np.concatenate([dc_dh, dc_dc], axis=2)         # rows c_t
    return np.concatenate([top, bottom], axis=1)            # (B, 2H, 2H)


# ---------------------------------------------------------------------------------------------
# The usual slips, each a few lines over the shared blocks
# ---------------------------------------------------------------------------------------------


@known_mistake("you kept only the carousel: dc_t/dh_{t-1} is zero in your J, but c_t also depends on h_{t-1} through "
               "the gates i, f and g (each reads W_h h_{t-1}); add D(c_{t-1} f(1-f)) W_hf + D(g i(1-i)) W_hi "
               "+ D(i (1-g^2)) W_hg.")
def _carousel_only(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    H = h_prev.shape[1]
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    tanh_c = np.tanh(f * c_prev + i * g)
    return _assemble((tanh_c * o * (1 - o))[:, :, None] * W_h[3 * H:], dh_dc, 0 * dc_dh, dc_dc)


@known_mistake("your dh_t/dh_{t-1} has only the output gate's route, D(tanh c_t o(1-o)) W_ho; h_t = o tanh(c_t) "
               "also changes with h_{t-1} through c_t: add D(o (1 - tanh^2 c_t)) dc_t/dh_{t-1}.")
def _h_misses_cell_route(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    H = h_prev.shape[1]
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    tanh_c = np.tanh(f * c_prev + i * g)
    return _assemble((tanh_c * o * (1 - o))[:, :, None] * W_h[3 * H:], dh_dc, dc_dh, dc_dc)


@known_mistake("your dh_t/dh_{t-1} misses the output gate's route: h_t = o tanh(c_t), and o reads W_ho h_{t-1}, "
               "so add D(tanh c_t o(1-o)) W_ho to D(o (1 - tanh^2 c_t)) dc_t/dh_{t-1}.")
def _h_misses_output_route(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    tanh_c = np.tanh(f * c_prev + i * g)
    return _assemble((o * (1 - tanh_c**2))[:, :, None] * dc_dh, dh_dc, dc_dh, dc_dc)


@known_mistake("dh_t/dc_{t-1} is zero in your J: h_t reads c_t, and c_t = f * c_{t-1} + ..., so "
               "dh_t/dc_{t-1} = D(o (1 - tanh^2 c_t)) D(f).")
def _no_h_from_c(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    return _assemble(dh_dh, 0 * dh_dc, dc_dh, dc_dc)


@known_mistake("your dh_t/dc_{t-1} misses the factor f: the way from c_{t-1} to h_t goes through c_t = f * c_{t-1} "
               "+ ..., so it is D(o (1 - tanh^2 c_t)) D(f), not D(o (1 - tanh^2 c_t)).")
def _h_from_c_without_f(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, _, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    h_t, c_t = _step(x_t, h_prev, c_prev, W_x, W_h, b)
    o = _gates(x_t, h_prev, W_x, W_h, b)[3]
    return _assemble(dh_dh, (o * (1 - np.tanh(c_t)**2))[:, :, None] * np.eye(h_prev.shape[1]), dc_dh, dc_dc)


@known_mistake("each example's matrix is transposed: row j of J[b] must be the derivative of output j "
               "(h_t first, then c_t), column k the input k it is taken with respect to (h_{t-1} first, then "
               "c_{t-1}), so a block like D(v) W_hf scales the ROWS of W_hf.")
def _transposed(x_t, h_prev, c_prev, W_x, W_h, b):
    return lstm_step_jacobian(x_t, h_prev, c_prev, W_x, W_h, b).transpose(0, 2, 1)


def _columns_scaled_jacobian(diagonal_too: bool):
    """J with the W_h blocks scaled by columns, W D(v) for D(v) W; ``diagonal_too``: the diagonal through c_t
    in dh_t/dh_{t-1} and dh_t/dc_{t-1} column-scaled as well (else by rows, as it should be)."""
    def jacobian(x_t, h_prev, c_prev, W_x, W_h, b):
        H = h_prev.shape[1]
        i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
        tanh_c = np.tanh(f * c_prev + i * g)
        W_hi, W_hf, W_hg, W_ho = (W_h[k * H:(k + 1) * H] for k in range(4))
        dc_dh = ((c_prev * f * (1 - f))[:, None, :] * W_hf + (g * i * (1 - i))[:, None, :] * W_hi
                 + (i * (1 - g**2))[:, None, :] * W_hg)
        dc_dc = f[:, :, None] * np.eye(H)
        slope = o * (1 - tanh_c**2)
        through_c = slope[:, None, :] if diagonal_too else slope[:, :, None]
        return _assemble((tanh_c * o * (1 - o))[:, None, :] * W_ho + through_c * dc_dh, through_c * dc_dc,
                         dc_dh, dc_dc)
    return jacobian


_columns_scaled = known_mistake(
    "you scaled the columns of the W_h blocks instead of their rows (W * v[:, None, :], i.e. W D(v)); "
    "the chain rule gives D(v) W: v[:, :, None] * W, row j times v_j.")(_columns_scaled_jacobian(True))
_gate_blocks_columns_scaled = known_mistake(
    "you scaled the columns of the W_h blocks instead of their rows (W[None] * v[:, None, :], i.e. "
    "W D(v)); the chain rule gives D(v) W: v[:, :, None] * W, row j of W times v_j.")(_columns_scaled_jacobian(False))


@known_mistake("your rows come c_t first, then h_t, and your columns c_{t-1} first; the exercise stacks the state "
               "as [h, c]: rows h_t then c_t, columns h_{t-1} then c_{t-1}.")
def _c_before_h(x_t, h_prev, c_prev, W_x, W_h, b):
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    return _assemble(dc_dc, dc_dh, dh_dc, dh_dh)


@known_mistake("you returned only dh_t/dh_{t-1}, (B, H, H); J holds all four blocks, (B, 2H, 2H): "
               "[[dh_t/dh_{t-1}, dh_t/dc_{t-1}], [dc_t/dh_{t-1}, dc_t/dc_{t-1}]].")
def _dh_dh_only(x_t, h_prev, c_prev, W_x, W_h, b):
    return _blocks(x_t, h_prev, c_prev, W_x, W_h, b)[0]


@known_mistake("your derivative of the candidate g uses the sigmoid's g(1-g); g = tanh(a_g), whose derivative is "
               "1 - g^2.")
def _tanh_grad_as_sigmoid(x_t, h_prev, c_prev, W_x, W_h, b):
    H = h_prev.shape[1]
    dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    c_t = f * c_prev + i * g
    W_hg = W_h[2 * H:3 * H]
    wrong = dc_dh + (i * (g * (1 - g) - (1 - g**2)))[:, :, None] * W_hg
    through_c = (o * (1 - np.tanh(c_t)**2))[:, :, None]
    return _assemble(dh_dh + through_c * (wrong - dc_dh), dh_dc, wrong, dc_dc)


_ROUTE = {"f": "D(c_{t-1} f(1-f)) W_hf: the forget gate reads W_hf h_{t-1} and multiplies c_{t-1}",
          "i": "D(g i(1-i)) W_hi: the input gate reads W_hi h_{t-1} and multiplies g",
          "g": "D(i (1-g^2)) W_hg: the candidate reads W_hg h_{t-1} and is multiplied by i"}


def _without_route(gate: str):
    """The Jacobian with one gate's route left out of dc_t/dh_{t-1} (and so of dh_t/dh_{t-1} through c_t)."""
    def jacobian(x_t, h_prev, c_prev, W_x, W_h, b):
        H = h_prev.shape[1]
        dh_dh, dh_dc, dc_dh, dc_dc = _blocks(x_t, h_prev, c_prev, W_x, W_h, b)
        i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
        v, block = {"i": (g * i * (1 - i), 0), "f": (c_prev * f * (1 - f), 1), "g": (i * (1 - g**2), 2)}[gate]
        route = v[:, :, None] * W_h[block * H:(block + 1) * H]
        through_c = (o * (1 - np.tanh(f * c_prev + i * g)**2))[:, :, None]
        return _assemble(dh_dh - through_c * route, dh_dc, dc_dh - route, dc_dc)
    return known_mistake(f"your dc_t/dh_{{t-1}} leaves out one of the three routes through the gates, {_ROUTE[gate]}; "
                         "c_t = f * c_{t-1} + i * g changes with h_{t-1} through f, i and g, so add all three "
                         "(and dh_t/dh_{t-1} takes them through c_t).")(jacobian)


MISTAKES = [_carousel_only, _h_misses_cell_route, _h_misses_output_route, _no_h_from_c, _h_from_c_without_f,
            _transposed, _columns_scaled, _gate_blocks_columns_scaled, _c_before_h, _dh_dh_only,
            _tanh_grad_as_sigmoid, *(_without_route(gate) for gate in "fig")]


# ---------------------------------------------------------------------------------------------
# Cases, the learner's own finite-difference check, the registration
# ---------------------------------------------------------------------------------------------

JACOBIAN_SIZES = ((3, 2, 4), (2, 5, 3))                 # (B, D, H), all different


def _case(rng, B, D, H):
    return (rng.normal(size=(B, D)), rng.uniform(-0.8, 0.8, size=(B, H)), rng.normal(size=(B, H)),
            rng.normal(0, 0.6, size=(4 * H, D)), rng.normal(0, 0.5, size=(4 * H, H)), rng.normal(0, 0.5, size=4 * H))


def _cases():
    rng = np.random.default_rng(414)
    return [_case(rng, *sizes) for sizes in JACOBIAN_SIZES]


def _step(x_t, h_prev, c_prev, W_x, W_h, b):
    i, f, g, o = _gates(x_t, h_prev, W_x, W_h, b)
    c_t = f * c_prev + i * g
    return o * np.tanh(c_t), c_t


def _jacobian_gradcheck(answer) -> str:
    """Finite differences of u . h_t + v . c_t against [u, v] J, J from the learner's function."""
    rng = np.random.default_rng(41)
    B, D, H = 2, 3, 3
    x_t, h_prev, c_prev, W_x, W_h, b = _case(rng, B, D, H)
    u, v = rng.normal(size=(B, H)), rng.normal(size=(B, H))

    def loss(p):
        h_t, c_t = _step(x_t, p["h_prev"], p["c_prev"], W_x, W_h, b)
        return float(np.sum(u * h_t) + np.sum(v * c_t))

    def grads(jacobian, p):
        J = np.asarray(jacobian(x_t.copy(), p["h_prev"], p["c_prev"], W_x.copy(), W_h.copy(), b.copy()))
        row = np.concatenate([u, v], axis=1)                 # (B, 2H): dL/d[h_t, c_t]
        d_state = np.einsum("bi,bij->bj", row, J)            # (B, 2H): dL/d[h_{t-1}, c_{t-1}]
        return {"h_prev": d_state[:, :H], "c_prev": d_state[:, H:]}

    return learner_gradcheck(answer, loss, {"h_prev": h_prev, "c_prev": c_prev}, grads).replace(
        "Gradient check", "Finite-difference check")


compare_exercise(
    "04.lstm_step_jacobian", "The Jacobian of one LSTM step, d[h_t, c_t]/d[h_{t-1}, c_{t-1}]",
    solution=lstm_step_jacobian, cases=_cases, mistakes=MISTAKES, after=_jacobian_gradcheck,
    allow=("rnn_course.activations.sigmoid",),
    praise="all four blocks match: the carousel D(f_t) in the corner, the routes through the gates via W_h "
           "beside it.",
    hint="(x_t is (B, D), h_prev and c_prev (B, H), W_x (4H, D), W_h (4H, H), b (4H,); J is (B, 2H, 2H), rows "
         "h_t then c_t, columns h_{t-1} then c_{t-1}.)")
