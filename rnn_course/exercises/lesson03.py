"""Lesson 3 exercises: one step's Jacobian, predicting vanishing gradients, gradient-norm clipping.

Each usual mistake is a short function computing the wrong answer, with the sentence that explains
it (see :mod:`.core`); the yes/no prediction and the clipping keep custom checkers that run the
same kind of list.
"""

from __future__ import annotations

import numpy as np

from . import slips
from .core import KnownMistake, Mistake, attempt, compare_exercise, exercise, known_mistake, require_array
from .matcher import Borrowed

# --- 03.step_jacobian -------------------------------------------------------------------------


def step_jacobian(W_hh, h_t):
    # dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh: row i of W_hh scaled by tanh'(a_t[i])
    return (1.0 - h_t**2)[:, None] * W_hh


def _jacobian_case(H: int = 4, seed: int = 3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((H, H)), np.tanh(rng.standard_normal(H) * 1.5)


def _d(h):
    return 1.0 - h**2


JACOBIAN_MISTAKES = [
    known_mistake("you scaled the columns of W_hh: column j by unit j's slope. The slope belongs to the unit being "
                  "computed, h_t[i], so it scales the rows.")(lambda W, h: W * _d(h)[None, :]),
    known_mistake("you scaled row i by h_t[i] itself; the factor is tanh's slope at a_t[i], which lesson 1's table "
                  "gives and which you can write with h_t.")(lambda W, h: h[:, None] * W),
    known_mistake("W_hh is transposed. Entry (i, j) is dh_t[i]/dh_{t-1}[j] = tanh'(a_t[i]) W_hh[i, j].")(
        lambda W, h: _d(h)[:, None] * W.T),
    known_mistake("that is the transposed Jacobian (what the backward pass multiplies by). Entry (i, j) is "
                  "dh_t[i]/dh_{t-1}[j] = tanh'(a_t[i]) W_hh[i, j].")(lambda W, h: (_d(h)[:, None] * W).T),
    known_mistake("that is W_hh alone: the tanh's derivative 1 - h_t^2 is missing (it is what saturated units use "
                  "to shrink the gradient).")(lambda W, h: W),
    known_mistake(slips.tanh_derivative_not_squared("h_t"))(lambda W, h: (1.0 - h)[:, None] * W),
    known_mistake("the derivative of tanh is 1 - tanh(a)^2 = 1 - h_t**2 (squared), not 1 - |h_t|.")(
        lambda W, h: (1.0 - np.abs(h))[:, None] * W),
    known_mistake(slips.tanh_applied_twice("h_t", "a_t"))(lambda W, h: _d(np.tanh(h))[:, None] * W),
    known_mistake(slips.sigmoid_derivative_for_tanh("h_t"))(lambda W, h: (h * (1 - h))[:, None] * W),
    known_mistake("only the diagonal is right: np.diag(v) * W_hh multiplies element by element, so every entry off "
                  "the diagonal becomes 0. Scaling the rows needs a matrix product with diag(v), or broadcasting.")(
        lambda W, h: np.diag(_d(h)) * W),
]

compare_exercise("03.step_jacobian", "The Jacobian of one tanh RNN step", solution=step_jacobian,
                 cases=lambda: [_jacobian_case(), _jacobian_case(3, seed=4)], mistakes=JACOBIAN_MISTAKES,
                 hint="Shapes: W_hh (H, H), h_t (H,); the Jacobian dh_t/dh_{t-1} is (H, H).",
                 praise="diag(1 - h_t^2) W_hh: each row i of W_hh scaled by how responsive unit i is. Multiplying "
                        "T of these is what carries a gradient T steps back.")


# --- 03.predict_vanishing ---------------------------------------------------------------------


def predict_vanishing(W_hh, activation):
    gamma = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}[activation]   # the most act' can be
    sigma_max = np.linalg.svd(W_hh, compute_uv=False)[0]               # the most W_hh can stretch
    return bool(gamma * sigma_max < 1.0)


def _matrix(singular_values, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(singular_values)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return u @ np.diag(singular_values) @ v.T


_GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}


def _symmetric(eigenvalues, seed: int) -> np.ndarray:
    u, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(eigenvalues),) * 2))
    return u @ np.diag(eigenvalues) @ u.T


def _vanishing_cases():
    """(W_hh, activation, note) covering both answers, every activation, and the traps below."""
    return [
        (_matrix([0.9, 0.5, 0.2], 0), "tanh", "all singular values below 1"),
        (np.array([[0.5, 1.5], [0.0, 0.5]]), "tanh", "eigenvalues 0.5 and 0.5, sigma_max about 1.65"),
        (_matrix([3.0, 2.0, 1.0], 2), "sigmoid", "sigma_max 3, times 1/4"),
        (_matrix([5.0, 0.1, 0.1], 3), "sigmoid", "sigma_max 5, times 1/4"),
        (_matrix([1.5, 0.4], 6), "sigmoid", "sigma_max 1.5, times 1/4"),
        (_matrix([0.5, 0.3], 7), "sigmoid", "sigma_max 0.5, times 1/4"),
        (_matrix([0.95, 0.9, 0.9], 4), "relu", "every singular value below 1"),
        (-1.2 * np.eye(3), "tanh", "negative entries"),
        (_symmetric([1.2, 0.3, 0.05], 5), "relu", "one singular value above 1"),
        (np.eye(3), "tanh", "sigma_max exactly 1"),
    ]


def _singular_values(W):
    return np.linalg.svd(W, compute_uv=False)


_NEGATIVE = ("W_hh = -1.2 I has negative entries and eigenvalues; singular values are sizes, never negative "
             "(here all 1.2), so vanishing is not guaranteed. Use sizes: singular values.")

_NOT_THE_LARGEST = ("a guarantee needs the largest singular value, not a typical or the smallest one: a single "
                    "direction that W_hh stretches by more than 1 is enough to allow growth, however small the "
                    "others are (only the largest matters).")

_SIGMOID_GAMMA = ("gamma for the sigmoid is wrong: it is the largest value of the sigmoid's slope p (1 - p), with "
                  "p = sigmoid(a), not of the sigmoid itself; where is p (1 - p) largest?")
_SIGMOID_GAMMA_UPSIDE_DOWN = ("gamma for the sigmoid is upside down: the bound multiplies sigma_max by the sigmoid's "
                              "largest slope, a number below 1, not by its inverse.")
_SAME_GAMMA = ("gamma is not the same for every activation: 1/4 is the sigmoid's; the slopes of tanh and ReLU reach "
               "a larger value. Where is each largest?")
_RELU_GAMMA = ("gamma for ReLU is wrong: the bound must hold for the largest slope the activation can have, and "
               "ReLU's slope where the unit is active is not 0.")

#: Rules learners often use instead of gamma * sigma_max < 1, each with what to tell them.
VANISHING_MISTAKES = [
    KnownMistake(lambda W, a: _GAMMA[a] * np.max(np.abs(np.linalg.eigvals(W))) < 1,
                 "you used the eigenvalues (spectral radius). For W_hh = [[0.5, 1.5], [0, 0.5]] both eigenvalues "
                 "are 0.5, yet the largest singular value is about 1.65: some vectors grow in one step. The "
                 "guarantee needs sigma_max, not the spectral radius."),
    KnownMistake(lambda W, a: _singular_values(W)[0] < 1,
                 "the activation's derivative bound gamma is missing (or taken as 1 for every activation): the "
                 "slope of the activation also limits how much one step can stretch, and the sigmoid's never "
                 "reaches 1, so even a W_hh with sigma_max = 3 can guarantee vanishing."),
    KnownMistake(lambda W, a: {"sigmoid": 0.5}.get(a, 1.0) * _singular_values(W)[0] < 1, _SIGMOID_GAMMA),
    KnownMistake(lambda W, a: {"sigmoid": 4.0}.get(a, 1.0) * _singular_values(W)[0] < 1, _SIGMOID_GAMMA_UPSIDE_DOWN),
    KnownMistake(lambda W, a: 0.25 * _singular_values(W)[0] < 1, _SAME_GAMMA),
    KnownMistake(lambda W, a: {"relu": 0.0}.get(a, _GAMMA[a]) * _singular_values(W)[0] < 1, _RELU_GAMMA),
    KnownMistake(lambda W, a: _GAMMA[a] * _singular_values(W)[0] <= 1,
                 "at gamma * sigma_max exactly 1 (e.g. W_hh = I with tanh) the bound is 1 ** lag = 1: nothing "
                 "forces the gradient to shrink. Use a strict <."),
    KnownMistake(lambda W, a: _GAMMA[a] * np.linalg.norm(W) < 1,
                 "np.linalg.norm(W) is the Frobenius norm, sqrt of the sum of all squared singular values: larger "
                 "than sigma_max, so it misses cases that are guaranteed. Use the largest singular value (or "
                 "np.linalg.norm(W, 2))."),
    KnownMistake(lambda W, a: _GAMMA[a] * _singular_values(W).mean() < 1, _NOT_THE_LARGEST),
    KnownMistake(lambda W, a: _GAMMA[a] * _singular_values(W)[-1] < 1, _NOT_THE_LARGEST),
    KnownMistake(lambda W, a: _GAMMA[a] * np.max(W) < 1, _NEGATIVE),
    KnownMistake(lambda W, a: _GAMMA[a] * np.max(np.linalg.eigvals(W).real) < 1, _NEGATIVE),
]


@exercise("03.predict_vanishing", "Predict vanishing gradients from W_hh", solution=predict_vanishing,
          allow=("rnn_course.gradient_flow.sigma_max",))     # lesson 3 shows it before the exercise; gamma is the point
def _check_predict_vanishing(answer):
    cases = _vanishing_cases()
    got = []
    for W, activation, _ in cases:
        try:
            value = attempt(answer, W.copy(), activation)
        except Borrowed:
            raise
        except Mistake as err:                        # say which call failed: often one activation's branch
            raise Mistake(f"{str(err).rstrip('.')} (called with activation={activation!r}).") from None
        if not isinstance(value, (bool, np.bool_)):
            raise Mistake(f"predict_vanishing should return True or False; it returned {type(value).__name__} "
                          f"({value!r}).")
        got.append(bool(value))
    expected = [predict_vanishing(W, a) for W, a, _ in cases]
    if got == expected:
        return ("gamma * sigma_max(W_hh) < 1 guarantees that gradients vanish; above 1 they may, or may not, "
                "explode.")
    for mistake in VANISHING_MISTAKES:      # a rule explains the answers if it gives every one of them
        if got == [bool(mistake.compute(W, a)) for W, a, _ in cases]:
            raise Mistake(mistake.explanation)
    i = next(k for k in range(len(cases)) if got[k] != expected[k])
    W, activation, note = cases[i]
    s = _singular_values(W)
    raise Mistake(f"for a W_hh with singular values {np.round(s, 3).tolist()} ({note}) and {activation}: "
                  f"gamma * sigma_max = {_GAMMA[activation] * s[0]:.3g}, so expected {expected[i]}, you said "
                  f"{got[i]}. Vanishing is guaranteed exactly when gamma * sigma_max < 1.")


# --- 03.clip_grad_norm ------------------------------------------------------------------------


def clip_grad_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))   # one norm over every gradient
    if norm >= max_norm:
        return {k: g * (max_norm / norm) for k, g in grads.items()}, norm
    return dict(grads), norm


def _global_norm(grads):
    return np.sqrt(sum(np.sum(g**2) for g in grads.values()))


def _scaled(grads, factor):
    return {k: g * factor for k, g in grads.items()}


#: Wrong global norms: (sentence, norm of the gradients), each named when the learner returns that norm.
NORM_MISTAKES = [
    KnownMistake(lambda grads: sum(np.sum(g**2) for g in grads.values()),
                 "your norm is the sum of squares without its square root: ||g|| = sqrt(sum of g**2 over every "
                 "entry of every gradient)."),
    KnownMistake(lambda grads: sum(np.linalg.norm(g) for g in grads.values()),
                 "you added up the norms of the gradients; the global norm is sqrt of the sum of squares of every "
                 "entry of every gradient (the norms add in squares: sqrt(||a||^2 + ||b||^2))."),
    KnownMistake(lambda grads: max(np.abs(g).max() for g in grads.values()),
                 "your norm is the largest entry; the global norm is sqrt of the sum of squares of every entry of "
                 "every gradient."),
]

#: The per-array rule, the choice lesson 3 asks the learner to think about before writing.
_PER_ARRAY = KnownMistake(
    lambda grads, c: {k: g * min(1.0, c / np.linalg.norm(g)) for k, g in grads.items()},
    "you clipped each gradient by its own norm, so each array gets its own factor and the gradient as a whole "
    "turns. Use one norm over all of them, so every gradient is scaled by the same factor and the direction of "
    "the whole gradient is kept.")

CLIP_MISTAKES = [
    KnownMistake(lambda grads, c: _scaled(grads, _global_norm(grads) / c),
                 "the factor is upside down: you multiplied by ||g|| / max_norm, which makes a large gradient "
                 "larger. Multiply by max_norm / ||g||."),
    KnownMistake(lambda grads, c: _scaled(grads, 1 / _global_norm(grads)),
                 "you divided by the norm alone, so the clipped gradient has norm 1 whatever max_norm is; "
                 "multiply by max_norm / ||g||."),
    _PER_ARRAY,
    KnownMistake(lambda grads, c: {k: np.clip(g, -c, c) for k, g in grads.items()},
                 "np.clip limits each entry on its own: common in short teaching code such as min-char-rnn, but "
                 "it cuts the large entries and keeps the small ones, so it turns the gradient's direction and "
                 "does not bound its norm. This exercise asks for norm clipping: scale the whole gradient by "
                 "max_norm / ||g||."),
]


def _pair(out):
    """The learner's return value, a list of two read as the pair it is."""
    return tuple(out) if isinstance(out, list) and len(out) == 2 else out


def _named_clip(clipped: dict, grads: dict, max_norm: float, mistakes=CLIP_MISTAKES) -> str | None:
    """The explanation of the first of ``mistakes`` whose clipping of ``grads`` the learner's ``clipped``
    equals, key for key; None when none does (or ``clipped`` is malformed)."""
    for mistake in mistakes:
        wrong = mistake.compute(grads, max_norm)
        if set(clipped) == set(wrong) and all(
                isinstance(clipped[k], np.ndarray) and clipped[k].shape == wrong[k].shape
                and np.allclose(clipped[k], wrong[k]) for k in wrong):
            return mistake.explanation
    return None


def _grads(scale: float) -> dict:
    rng = np.random.default_rng(7)
    return {"W_hh": rng.standard_normal((3, 3)) * scale, "b_h": rng.standard_normal(3) * scale}


@exercise("03.clip_grad_norm", "Gradient-norm clipping", solution=clip_grad_norm)
def _check_clip_grad_norm(answer):
    big = _grads(10.0)
    before = {k: g.copy() for k, g in big.items()}
    out = _pair(attempt(answer, big, 1.0))
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict)):
        raise Mistake("clip_grad_norm should return a pair: (dict of clipped gradients, norm before clipping); "
                      f"yours returned {type(out).__name__}"
                      + (f" of {len(out)} items." if isinstance(out, tuple | list) else "."))
    clipped, norm = out
    per_array = _named_clip(clipped, before, 1.0, [_PER_ARRAY])    # the choice the lesson asks about, whatever norm
    if per_array:
        raise Mistake(per_array)
    if isinstance(norm, bool) or not isinstance(norm, int | float | np.number | np.ndarray) or np.ndim(norm) != 0:
        raise Mistake(f"the second value should be the gradients' norm before clipping, one number; yours is "
                      f"{'None' if norm is None else type(norm).__name__}.")
    if set(clipped) != set(before):
        raise Mistake(f"the clipped dict should have the same keys as grads, {sorted(before)}; got {sorted(clipped)}.")
    if any(not np.array_equal(big[k], before[k]) for k in before):
        raise Mistake("your function changed the gradients it was given (in place). Return new arrays: "
                      "the caller may still need the originals, e.g. to log them.")
    true_norm = float(_global_norm(before))
    got = {k: require_array(clipped[k], before[k].shape, f"clipped[{k!r}]") for k in before}
    expected, _ = clip_grad_norm(before, 1.0)
    if not np.isclose(float(norm), true_norm):
        if np.isclose(float(norm), float(_global_norm(got))):
            raise Mistake("the second value should be the norm *before* clipping (what the training history "
                          "records), not after.")
        for mistake in NORM_MISTAKES:
            if np.isclose(float(norm), float(mistake.compute(before))):
                raise Mistake(mistake.explanation)
        raise Mistake(f"the norm should be sqrt of the sum of squares of every entry of every gradient: "
                      f"{true_norm:.4g}; you returned {float(norm):.4g}.")
    if not all(np.allclose(got[k], expected[k]) for k in before):
        named = _named_clip(got, before, 1.0)
        if named:
            raise Mistake(named)
        raise Mistake(f"after clipping, the global norm should be max_norm = 1 and the direction unchanged; "
                      f"entry W_hh[0, 0] should be {expected['W_hh'][0, 0]:.4g}, yours is {got['W_hh'][0, 0]:.4g}.")
    other = _grads(10.0)                             # max_norm = 5: the factor is max_norm / ||g||, not 1 / ||g||
    out = _pair(attempt(answer, {k: g.copy() for k, g in other.items()}, 5.0))
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict) and set(out[0]) == set(other):
        got5 = {k: require_array(out[0][k], other[k].shape, f"clipped[{k!r}] for max_norm = 5") for k in other}
        expected5, _ = clip_grad_norm(other, 5.0)
        if not all(np.allclose(got5[k], expected5[k]) for k in other):
            named = _named_clip(got5, other, 5.0)
            if named:
                raise Mistake(named)
            raise Mistake("with max_norm = 5 the clipped gradients should have global norm 5: scale them by "
                          "max_norm / ||g||.")
    small = _grads(0.01)
    clipped_small, _ = attempt(answer, {k: g.copy() for k, g in small.items()}, 1.0)
    for k in small:
        g = require_array(clipped_small[k], small[k].shape, f"clipped[{k!r}] for a small gradient")
        if not np.allclose(g, small[k]):
            raise Mistake("a gradient whose norm is already below max_norm must be left as it is; yours was "
                          "rescaled (clipping only ever shrinks).")
    return "one global norm, one common factor, and small gradients untouched: algorithm 1 of Pascanu et al. (2013)."
