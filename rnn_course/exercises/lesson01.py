"""Lesson 1 exercises: a stable sigmoid, the forward and backward pass of a layer, XOR by hand.

Each usual mistake is a short function computing the wrong answer, with the sentence that
explains it; the one matcher of :mod:`.core` compares the learner's result with each.
"""

from __future__ import annotations

import numpy as np

from .. import mlp
from ..activations import sigmoid
from . import slips
from .core import (
    KnownMistake,
    Mistake,
    attempt,
    compare_exercise,
    exercise,
    known_mistake,
    learner_gradcheck,
    match_mistake,
    require_array,
)
from .matcher import source_of

# --- 01.stable_sigmoid ------------------------------------------------------------------


def stable_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                    # -|z| <= 0, so e lies in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


class _FloatingPointTrouble:
    def __init__(self, message: str):
        self.message = message


def _strict(answer):
    """The learner's function run with NumPy's overflow and invalid-value warnings turned into
    errors, which come back as a :class:`_FloatingPointTrouble` instead of being raised."""
    def run(*args):
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            try:
                return answer(*args)
            except FloatingPointError as err:
                return _FloatingPointTrouble(str(err))
    return run


def _matches(got, expected, tol=1e-6) -> bool:
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=tol, atol=tol))


SIGMOID_MISTAKES = [
    KnownMistake(np.tanh, "that is tanh, whose range is (-1, 1). The sigmoid is 1 / (1 + e^(-z)), range (0, 1)."),
    KnownMistake(lambda z: sigmoid(-z), "the sign of z is flipped: you computed 1 / (1 + e^z), which falls as z "
                                        "grows. The sigmoid rises: sigmoid(2) is about 0.88."),
]


def _overflow_message(answer, z, reported: str) -> str:
    """One line for an answer that overflows at z = +-1000: whether its values come out right once the
    warnings are silenced (the naive formula's do, as does np.where over two formulas, which computes both),
    or not."""
    with np.errstate(all="ignore"):
        try:
            quiet = np.asarray(answer(z.copy()), dtype=float)
        except Exception:  # noqa: BLE001 - any failure just means the values are not right
            quiet = None
    if quiet is not None and quiet.shape == z.shape and _matches(quiet, sigmoid(z), tol=1e-12):
        where = ("even where np.where throws the result away (it computes both a and b for every element)"
                 if "where" in source_of(answer) else "and only the division that follows hides the overflow")
        return (f"your values come out right, but NumPy reported '{reported}' at z = +-1000: exp still receives "
                f"e.g. 1000 somewhere, {where}; arrange that exp only ever sees numbers <= 0.")
    return (f"at z = +-1000 NumPy reported '{reported}': e^1000 is beyond the largest float64 (about 1.8e308); "
            "on the side where that happens, rewrite the fraction so that exp only sees numbers <= 0.")


@exercise("01.stable_sigmoid", "A sigmoid that never overflows", solution=stable_sigmoid)
def _check_stable_sigmoid(answer):
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 2.0, 5.0]])
    try:
        got = attempt(_strict(answer), z.copy())
    except Mistake as err:
        if "truth value of an array" in str(err):
            raise Mistake(f"{str(err).rstrip('.')}. The function receives a whole array, so `if z >= 0:` cannot "
                          "decide for all of it: choose element by element (np.where, or a boolean mask).") from None
        if "TypeError" in str(err):
            raise Mistake(f"{str(err).rstrip('.')}. The function receives a whole array: use np.exp (which "
                          "works element by element), not math.exp.") from None
        raise
    if isinstance(got, _FloatingPointTrouble):
        raise Mistake(f"NumPy reported '{got.message}' even for small z; check the formula 1 / (1 + e^(-z)).")
    got = require_array(got, z.shape, "stable_sigmoid(z) for z of shape (2, 3)")
    expected = sigmoid(z)
    if not _matches(got, expected):
        named = match_mistake(got, (z,), SIGMOID_MISTAKES)
        if named:
            raise Mistake(named)
        wrong = np.flatnonzero(~np.isclose(got, expected, rtol=1e-6, atol=1e-6))
        zs, gs, es = z.ravel()[wrong], np.asarray(got, float).ravel()[wrong], expected.ravel()[wrong]
        where = ("only for negative z: check the branch for z < 0" if np.all(zs < 0) else
                 "only for positive z: check the branch for z >= 0" if np.all(zs > 0) else "")
        raise Mistake(f"for z = {zs[0]:g} the sigmoid is {es[0]:.3g}, but your function gives {gs[0]:.3g}"
                      + (f"; it is off {where}." if where else
                         f" (wrong at {len(wrong)} of {z.size} test values)."))
    extreme = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    before = extreme.copy()
    got = attempt(_strict(answer), extreme)
    if isinstance(got, _FloatingPointTrouble):
        raise Mistake(_overflow_message(answer, extreme, got.message))
    if got is not None and np.asarray(got).shape == extreme.shape and np.isnan(np.asarray(got, float)).any():
        raise Mistake("your function returns NaN for large |z|: e^1000 / (1 + e^1000) is inf / inf. Only ever "
                      "exponentiate a number <= 0, e.g. e = exp(-|z|).")
    got = require_array(got, extreme.shape, "stable_sigmoid(z) for z of shape (5,)")
    if not np.array_equal(extreme, before):
        raise Mistake("your function changed its input array in place; compute into a new array instead.")
    if not _matches(got, sigmoid(extreme), tol=1e-12):
        raise Mistake(f"for z = -1000, -50, 0, 50, 1000 the sigmoid is about 0, 2e-22, 0.5, 1, 1; yours gives "
                      f"{', '.join(f'{v:.3g}' for v in got)}.")
    return "it matches 1 / (1 + e^(-z)) and stays finite, with no overflow, at z = +-1000."


# --- 01.dense_forward -------------------------------------------------------------------


def dense_forward(X, W, b):
    # X (N, D), W (H, D): one row per neuron, b (H,)  ->  (N, H), one row per example
    return np.tanh(X @ W.T + b)


def _layer_case(N: int, D: int, H: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, D)), rng.normal(size=(H, D)) * 0.7, rng.uniform(-1.5, 1.5, size=H)


def _z(X, W, b):
    return X @ W.T + b


DENSE_FORWARD_MISTAKES = [
    known_mistake(slips.no_bias("b", "the result equals tanh(X @ W.T); b belongs inside the activation, "
                                     "tanh(X @ W.T + b)"))(lambda X, W, b: np.tanh(X @ W.T)),
    known_mistake(slips.bias_after_activation("b", "tanh", "tanh(X @ W.T + b)"))(lambda X, W, b: np.tanh(X @ W.T) + b),
    known_mistake("you subtracted the bias; the layer computes tanh(X @ W.T + b).")(
        lambda X, W, b: np.tanh(X @ W.T - b)),
    known_mistake("you multiplied by the bias; it is added: tanh(X @ W.T + b).")(lambda X, W, b: np.tanh(X @ W.T * b)),
    known_mistake("you forgot the activation: the result equals X @ W.T + b. Apply np.tanh to it.")(_z),
    known_mistake(slips.sigmoid_for_tanh("this layer"))(lambda *a: sigmoid(_z(*a))),
    known_mistake("you used ReLU; this layer uses tanh.")(lambda *a: np.maximum(_z(*a), 0)),
    known_mistake("your result has shape (H, N): it is transposed. Each row should be one example, so the result is "
                  "(N, H).")(lambda *a: np.tanh(_z(*a)).T),
    known_mistake("your result is transposed and has no bias: tanh(W @ X.T) is (H, N); each row should be one "
                  "example, (N, H), with b added inside the tanh.")(lambda X, W, b: np.tanh(W @ X.T)),
    known_mistake("you applied tanh to the input X before the weights; the layer squashes its own sum: "
                  "tanh(X @ W.T + b).")(lambda X, W, b: np.tanh(X) @ W.T + b),
]

compare_exercise("01.dense_forward", "The forward pass of a tanh layer", solution=dense_forward,
                 cases=lambda: [_layer_case(5, 3, 4, seed=5), _layer_case(1, 2, 6, seed=1)],
                 mistakes=DENSE_FORWARD_MISTAKES,
                 hint="X (N, D), W (H, D), b (H,); the result is (N, H). Write one example's formula as a row first.",
                 praise="tanh(X @ W.T + b) with the right shape (N, H), for a batch and for a single example.")


# --- 01.dense_backward ------------------------------------------------------------------


def dense_backward(dA, X, W, A):
    # A = tanh(X @ W.T + b) from the forward pass; dA = dL/dA, shape (N, H)
    dZ = dA * (1 - A**2)          # through tanh, element by element  (N, H)
    dX = dZ @ W                   # (N, D): what the layer below receives
    dW = dZ.T @ X                 # (H, D), like W
    db = dZ.sum(axis=0)           # (H,), like b: b is added to every row
    return dX, dW, db


def _backward_case(seed: int, N: int = 5, D: int = 3, H: int = 4):
    X, W, b = _layer_case(N, D, H, seed)
    dA = np.random.default_rng(seed + 1).normal(size=(N, H))
    return dA, X, W, np.tanh(X @ W.T + b)


def _dZ(dA, A):
    return dA * (1 - A**2)


def _back_from(dZ, X, W):
    """The three gradients from dZ, as the solution computes them: (dX, dW, db)."""
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


#: A backward pass through another derivative than tanh's 1 - A**2: (the sentence, that derivative of A).
_OTHER_SLOPES = [
    (slips.tanh_derivative_missing("dZ", "dA", "A"), lambda A: 1.0),
    (slips.tanh_derivative_not_squared("A"), lambda A: 1 - A),
    (slips.sigmoid_derivative_for_tanh("A"), lambda A: A * (1 - A)),
    ("you multiplied by (1 - A)**2; tanh's derivative is 1 - A**2.", lambda A: (1 - A) ** 2),
    (slips.tanh_applied_twice("A", "Z"), lambda A: 1 - np.tanh(A) ** 2),
    ("you multiplied by 1 + A**2; tanh's derivative is 1 - A**2, with a minus.", lambda A: 1 + A**2),
    (slips.wrong_sign("dZ = +dA * (1 - A**2)"), lambda A: -(1 - A**2)),
]

#: ``dA * 1 - A**2``: the same derivative without its parentheses.
_PRECEDENCE = KnownMistake(lambda dA, X, W, A: _back_from(dA * 1 - A**2, X, W), slips.precedence("dA", "A"))


def _through(slope):
    """The backward pass with ``slope(A)`` in place of tanh's derivative 1 - A**2."""
    return lambda dA, X, W, A: _back_from(dA * slope(A), X, W)


DENSE_BACKWARD_MISTAKES = [KnownMistake(_through(slope), text) for text, slope in _OTHER_SLOPES]


@known_mistake("dW has shape (D, H): it is transposed. Every gradient has the shape of its parameter, here W's (H, D).")
def _dW_transposed(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dX, dW.T, db


@known_mistake(slips.averaged("dW", "examples", "N", "dA", "the sum, dZ.T @ X"))
def _dW_mean(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dX, dW / len(X), db


@known_mistake(slips.averaged("db", "examples", "N", "dA", "the sum, dZ.sum(axis=0)"))
def _db_mean(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dX, dW, db / len(X)


@known_mistake(slips.averaged("dW and db", "examples", "N", "dA", "the sums dZ.T @ X and dZ.sum(axis=0)"))
def _dW_db_mean(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dX, dW / len(X), db / len(X)


@known_mistake(slips.averaged("dX, dW and db", "examples", "N", "dA", "computed from dZ = dA * (1 - A**2) as it is"))
def _all_mean(dA, X, W, A):
    return _back_from(_dZ(dA, A) / len(X), X, W)


@known_mistake(slips.not_summed_over_batch("db", "(N, H)", "b", "(H,)", "dZ"))
def _db_rows(dA, X, W, A):
    dX, dW, _ = _back_from(_dZ(dA, A), X, W)
    return dX, dW, _dZ(dA, A)


@known_mistake("db has shape (N,): you summed over the neurons (axis=1). Sum over the examples instead, axis 0: one "
               "number per neuron, like b.")
def _db_axis_1(dA, X, W, A):
    dX, dW, _ = _back_from(_dZ(dA, A), X, W)
    return dX, dW, _dZ(dA, A).sum(axis=1)


@known_mistake(slips.bias_grad_from_upstream("db", "dZ", "dA * (1 - A**2)", "dA", "examples"))
def _db_from_dA(dA, X, W, A):
    dX, dW, _ = _back_from(_dZ(dA, A), X, W)
    return dX, dW, dA.sum(axis=0)


@known_mistake(slips.tanh_derivative_missing_from("dX", "dW", "dZ", "dA", "A"))
def _dX_from_dA(dA, X, W, A):
    _, dW, db = _back_from(_dZ(dA, A), X, W)
    return dA @ W, dW, db


@known_mistake(slips.outputs_swapped("dX", "dW", "dX (N, D) first, then dW (H, D), then db"))
def _dX_dW_swapped(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dW, dX, db


@known_mistake("db is one number: you summed over everything, dZ.sum(); sum over the examples only, "
               "dZ.sum(axis=0), one number per neuron, like b.")
def _db_summed_over_everything(dA, X, W, A):
    dX, dW, _ = _back_from(_dZ(dA, A), X, W)
    return dX, dW, _dZ(dA, A).sum()


@known_mistake("dZ uses A where dA belongs: dZ = dA * (1 - A**2), the gradient arriving from above times tanh's "
               "derivative.")
def _A_for_dA(dA, X, W, A):
    return _back_from(A * (1 - A**2), X, W)


@known_mistake("dX has shape (D, N): it is transposed. dX = dZ @ W, (N, H) @ (H, D), one row per example like X.")
def _dX_transposed(dA, X, W, A):
    dX, dW, db = _back_from(_dZ(dA, A), X, W)
    return dX.T, dW, db


@known_mistake("dZ is tanh's derivative alone, 1 - A**2: multiply it by dA, the gradient arriving from above, "
               "dZ = dA * (1 - A**2).")
def _derivative_alone(dA, X, W, A):
    return _back_from(1 - A**2, X, W)


DENSE_BACKWARD_MISTAKES += [_dW_transposed, _dW_mean, _db_mean, _dW_db_mean, _all_mean, _db_rows, _db_axis_1,
                            _db_from_dA, _dX_from_dA, _dX_dW_swapped, _PRECEDENCE, _db_summed_over_everything,
                            _A_for_dA, _dX_transposed, _derivative_alone]


def _dense_gradcheck(answer) -> str:
    _, X, W, _ = _backward_case(23, N=4, D=2, H=3)
    b = np.array([0.3, -0.6, 0.9])
    upstream = np.random.default_rng(24).normal(size=(4, 3))     # L = sum(upstream * A), so dL/dA = upstream

    def grads(backward, p):
        dX, dW, db = backward(upstream, p["X"], p["W"], dense_forward(p["X"], p["W"], p["b"]))
        return {"X": dX, "W": dW, "b": db}

    return learner_gradcheck(answer, lambda p: float(np.sum(upstream * dense_forward(p["X"], p["W"], p["b"]))),
                             {"X": X, "W": W, "b": b}, grads)


compare_exercise("01.dense_backward", "The backward pass of a tanh layer", solution=dense_backward,
                 cases=lambda: [_backward_case(11), _backward_case(12, N=2, D=5, H=3)],
                 mistakes=DENSE_BACKWARD_MISTAKES, outputs=("dX", "dW", "db"), after=_dense_gradcheck,
                 hint="Shapes: dA and A (N, H), X (N, D), W (H, D); each gradient has the shape of what it is for: dX "
                      "(N, D), dW (H, D), db (H,).",
                 praise="dX, dW and db all match, with the shapes of X, W and b.")


# --- 01.xor_by_hand ---------------------------------------------------------------------


def xor_params():
    # Hidden unit 1 measures "how many inputs are on" (x1 + x2); unit 2 fires only when both are (x1 + x2 - 1).
    # The output x1 + x2 - 2 relu(x1 + x2 - 1) is 0, 1, 1, 0 on the four corners: XOR.
    return {"W1": np.array([[1.0, 1.0], [1.0, 1.0]]), "b1": np.array([0.0, -1.0]),
            "W2": np.array([[1.0, -2.0]]), "b2": np.array([0.0])}


_TRUTH_TABLES = {
    (0, 1, 1, 0): "XOR", (0, 1, 1, 1): "OR", (0, 0, 0, 1): "AND", (1, 1, 1, 0): "NAND",
    (1, 0, 0, 0): "NOR", (1, 0, 0, 1): "XNOR (the opposite of XOR)", (0, 0, 0, 0): "a constant 0",
    (1, 1, 1, 1): "a constant 1", (0, 0, 1, 1): "'x1' alone", (0, 1, 0, 1): "'x2' alone",
}


def xor_network_outputs(params) -> np.ndarray:
    """The outputs y = W2 relu(W1 x + b1) + b2 of the lesson's XOR network on the four corners (4,)."""
    return mlp.forward(params, mlp.XOR_X, activation="relu")[0][:, 0]


@exercise("01.xor_by_hand", "Weights that compute XOR", solution=xor_params)
def _check_xor_by_hand(answer):
    params = attempt(answer)
    if params is None:
        raise Mistake("xor_params() returned None; did you forget to `return` the dict?")
    if not isinstance(params, dict):
        raise Mistake(f"xor_params() should return a dict with keys W1, b1, W2, b2; it returned a "
                      f"{type(params).__name__}.")
    try:
        y = xor_network_outputs(params)
    except ValueError as err:
        raise Mistake(f"{err} For two inputs and H hidden units: W1 (H, 2), b1 (H,), W2 (1, H), b2 (1,).") from None
    if not np.all(np.isfinite(y)):
        raise Mistake("the network's outputs contain NaN or infinity; use moderate numbers.")
    said = tuple(int(v > 0.5) for v in y)
    shown = ", ".join(f"{v:.3g}" for v in y)
    if said == (0, 1, 1, 0):
        return f"outputs {shown} on (0,0), (0,1), (1,0), (1,1): above 0.5 exactly where XOR is 1."
    if np.asarray(params["W1"]).shape[0] == 1:
        hint = (" With one hidden unit the network can only cut the plane with one straight line "
                "(relu of one weighted sum, then a threshold), and no line separates XOR: use two.")
    elif not np.any(mlp.XOR_X @ np.asarray(params["W1"], float).T + np.asarray(params["b1"], float) > 0):
        hint = (" Every hidden unit outputs 0 on all four corners (its weighted sum is never positive), so the "
                "output cannot tell them apart.")
    else:
        hint = (" Hint: let one hidden unit count the inputs that are on (x1 + x2) and another fire only when "
                "both are on, then subtract enough of the second to cancel (1, 1).")
    name = _TRUTH_TABLES.get(said, f"the truth table {said}")
    raise Mistake(f"your network outputs {shown} on (0,0), (0,1), (1,0), (1,1), so after the 0.5 threshold "
                  f"it computes {name}, not XOR (0, 1, 1, 0).{hint}")


__all__ = ["dense_backward", "dense_forward", "stable_sigmoid", "xor_network_outputs", "xor_params"]
