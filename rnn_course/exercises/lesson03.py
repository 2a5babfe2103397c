"""Lesson 3 exercises: one step's Jacobian, predicting vanishing gradients, gradient-norm clipping.

Each checker runs the learner's function on small inputs, compares it with the reference
solution and, when they differ, tries the usual mistakes one by one to say which was made.
"""

from __future__ import annotations

import numpy as np

from .core import Mistake, attempt, exercise, require_array

# --- 03.step_jacobian -------------------------------------------------------------------------


def step_jacobian(W_hh, h_t):
    # dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh: row i of W_hh scaled by tanh'(a_t[i])
    return (1.0 - h_t**2)[:, None] * W_hh


def _jacobian_case():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 4))
    h = np.tanh(rng.standard_normal(4) * 1.5)
    return W, h


@exercise("03.step_jacobian", "The Jacobian of one tanh RNN step", solution=step_jacobian)
def _check_step_jacobian(answer):
    W, h = _jacobian_case()
    got = attempt(answer, W.copy(), h.copy())
    got = require_array(got, W.shape, "step_jacobian(W_hh, h_t) for H = 4")
    d = 1.0 - h**2
    expected = d[:, None] * W
    if np.allclose(got, expected):
        return ("diag(1 - h_t^2) W_hh: each row i of W_hh scaled by how responsive unit i is. "
                "Multiplying T of these is what carries a gradient T steps back.")
    if np.allclose(got, W * d[None, :]):
        raise Mistake("you scaled the columns of W_hh (W_hh diag(1 - h_t^2)). The derivative belongs to "
                      "the unit being computed, h_t[i], so it scales row i: diag(1 - h_t^2) W_hh.")
    if np.allclose(got, d[:, None] * W.T) or np.allclose(got, (d[:, None] * W).T):
        raise Mistake("W_hh is transposed. Entry (i, j) is dh_t[i]/dh_{t-1}[j] = tanh'(a_t[i]) W_hh[i, j].")
    if np.allclose(got, W):
        raise Mistake("that is W_hh alone: the tanh's derivative 1 - h_t^2 is missing (it is what "
                      "saturated units use to shrink the gradient).")
    if np.allclose(got, (1.0 - h)[:, None] * W) or np.allclose(got, (1.0 - np.abs(h))[:, None] * W):
        raise Mistake("the derivative of tanh is 1 - tanh(a)^2 = 1 - h_t**2 (squared), not 1 - h_t.")
    if np.allclose(got, (1.0 - np.tanh(h) ** 2)[:, None] * W):
        raise Mistake("h_t is already tanh(a_t): the derivative is 1 - h_t**2, with no second tanh.")
    if np.allclose(np.diag(got), np.diag(expected)) or np.allclose(got, np.diag(d) * W):
        raise Mistake("only the diagonal is right. Use diag(1 - h_t**2) @ W_hh (a matrix product), or "
                      "(1 - h_t**2)[:, None] * W_hh, not an element-wise product with diag(...).")
    raise Mistake(f"entry (0, 1) should be (1 - h_t[0]^2) W_hh[0, 1] = {expected[0, 1]:.4g}; "
                  f"yours is {got[0, 1]:.4g}.")


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

#: Rules learners often use instead of gamma * sigma_max < 1, and what to tell them.
_MISTAKES = [
    (lambda W, a: _GAMMA[a] * np.max(np.abs(np.linalg.eigvals(W))) < 1,
     "you used the eigenvalues (spectral radius). For W_hh = [[0.5, 1.5], [0, 0.5]] both eigenvalues are 0.5, "
     "yet the largest singular value is about 1.65: some vectors grow in one step. The guarantee needs "
     "sigma_max, not the spectral radius."),
    (lambda W, a: _singular_values(W)[0] < 1,
     "the activation's derivative bound gamma is missing: for the sigmoid, act' <= 1/4, so a W_hh with "
     "sigma_max = 3 still gives 3/4 < 1 per step, and gradients must vanish."),
    (lambda W, a: _GAMMA[a] * _singular_values(W)[0] <= 1,
     "at gamma * sigma_max exactly 1 (e.g. W_hh = I with tanh) the bound is 1 ** lag = 1: nothing forces the "
     "gradient to shrink. Use a strict <."),
    (lambda W, a: _GAMMA[a] * np.linalg.norm(W) < 1,
     "np.linalg.norm(W) is the Frobenius norm, sqrt of the sum of all squared singular values: larger than "
     "sigma_max, so it misses cases that are guaranteed. Use the largest singular value (or np.linalg.norm(W, 2))."),
    (lambda W, a: _GAMMA[a] * _singular_values(W).mean() < 1, _NOT_THE_LARGEST),
    (lambda W, a: _GAMMA[a] * _singular_values(W)[-1] < 1, _NOT_THE_LARGEST),
    (lambda W, a: _GAMMA[a] * np.max(W) < 1, _NEGATIVE),
    (lambda W, a: _GAMMA[a] * np.max(np.linalg.eigvals(W).real) < 1, _NEGATIVE),
]


@exercise("03.predict_vanishing", "Predict vanishing gradients from W_hh", solution=predict_vanishing)
def _check_predict_vanishing(answer):
    cases = _vanishing_cases()
    got = []
    for W, activation, _ in cases:
        value = attempt(answer, W.copy(), activation)
        if not isinstance(value, (bool, np.bool_)):
            raise Mistake(f"predict_vanishing should return True or False; it returned {type(value).__name__} "
                          f"({value!r}).")
        got.append(bool(value))
    expected = [predict_vanishing(W, a) for W, a, _ in cases]
    if got == expected:
        return ("gamma * sigma_max(W_hh) < 1 guarantees that gradients vanish; above 1 they may, or may not, "
                "explode.")
    for rule, message in _MISTAKES:
        if got == [bool(rule(W, a)) for W, a, _ in cases]:
            raise Mistake(message)
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


def _grads(scale: float) -> dict:
    rng = np.random.default_rng(7)
    return {"W_hh": rng.standard_normal((3, 3)) * scale, "b_h": rng.standard_normal(3) * scale}


@exercise("03.clip_grad_norm", "Gradient-norm clipping", solution=clip_grad_norm)
def _check_clip_grad_norm(answer):
    big = _grads(10.0)
    before = {k: g.copy() for k, g in big.items()}
    out = attempt(answer, big, 1.0)
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], dict)):
        raise Mistake("clip_grad_norm should return a pair: (dict of clipped gradients, norm before clipping).")
    clipped, norm = out
    if set(clipped) != set(before):
        raise Mistake(f"the clipped dict should have the same keys as grads, {sorted(before)}; got {sorted(clipped)}.")
    if any(not np.array_equal(big[k], before[k]) for k in before):
        raise Mistake("your function changed the gradients it was given (in place). Return new arrays: "
                      "the caller may still need the originals, e.g. to log them.")
    true_norm = float(np.sqrt(sum(np.sum(g**2) for g in before.values())))
    got = {k: require_array(clipped[k], before[k].shape, f"clipped[{k!r}]") for k in before}
    expected, _ = clip_grad_norm(before, 1.0)
    if not np.isclose(float(norm), true_norm):
        out_norm = float(np.sqrt(sum(np.sum(g**2) for g in got.values())))
        if np.isclose(float(norm), out_norm):
            raise Mistake("the second value should be the norm *before* clipping (what the training history "
                          "records), not after.")
        raise Mistake(f"the norm should be sqrt of the sum of squares of every entry of every gradient: "
                      f"{true_norm:.4g}; you returned {float(norm):.4g}.")
    if not all(np.allclose(got[k], expected[k]) for k in before):
        per_array = {k: g * min(1.0, 1.0 / np.linalg.norm(g)) for k, g in before.items()}
        if all(np.allclose(got[k], per_array[k]) for k in before):
            raise Mistake("you clipped each gradient by its own norm. Use one global norm over all of them, "
                          "so every gradient is scaled by the same factor and the direction of the whole "
                          "update is kept.")
        if all(np.allclose(got[k], np.clip(before[k], -1.0, 1.0)) for k in before):
            raise Mistake("np.clip limits each entry separately and so changes the gradient's direction. "
                          "Scale the whole gradient by max_norm / ||g|| instead.")
        raise Mistake(f"after clipping, the global norm should be max_norm = 1 and the direction unchanged; "
                      f"entry W_hh[0, 0] should be {expected['W_hh'][0, 0]:.4g}, yours is {got['W_hh'][0, 0]:.4g}.")
    small = _grads(0.01)
    clipped_small, _ = attempt(answer, {k: g.copy() for k, g in small.items()}, 1.0)
    for k in small:
        g = require_array(clipped_small[k], small[k].shape, f"clipped[{k!r}] for a small gradient")
        if not np.allclose(g, small[k]):
            raise Mistake("a gradient whose norm is already below max_norm must be left as it is; yours was "
                          "rescaled (clipping only ever shrinks).")
    return "one global norm, one common factor, and small gradients untouched: algorithm 1 of Pascanu et al. (2013)."
