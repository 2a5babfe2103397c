"""Activation functions and their derivatives.

Each derivative is written in terms of the activation's *output* where that is how
backpropagation uses it (for tanh, d/dz tanh(z) = 1 - tanh(z)^2), and the functions
accept any array shape.

| function | range    | derivative             | largest derivative |
|----------|----------|------------------------|--------------------|
| sigmoid  | (0, 1)   | s (1 - s)              | 1/4 at z = 0       |
| tanh     | (-1, 1)  | 1 - t^2                | 1 at z = 0         |
| relu     | [0, inf) | 1 where z > 0, else 0  | 1                  |
"""

from __future__ import annotations

import numpy as np


def sigmoid(z, out=None):
    """Logistic sigmoid 1 / (1 + e^-z), computed without overflow for any z.

    Only ever exponentiates a non-positive number: for z >= 0 it uses 1 / (1 + e^-z),
    for z < 0 the equal form e^z / (1 + e^z). So sigmoid(+-1000) is exactly 1 or 0 and
    NumPy warns about nothing.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    neg = z < 0                      # before writing: ``out`` may be ``z`` itself
    e = np.exp(-np.abs(z))
    if out is None:
        out = np.empty_like(z)
    np.divide(1.0, 1.0 + e, out=out)
    np.multiply(out, e, out=out, where=neg)
    return out


def sigmoid_via_tanh(z):
    """The same logistic sigmoid written as (1 + tanh(z / 2)) / 2.

    It cannot overflow either, and one tanh costs less than the exp, compare and select of
    :func:`sigmoid`: the recurrent loops of :mod:`rnn_course.lstm` and :mod:`rnn_course.gru`
    use it (benchmarks/bench_numerics.py measures the LSTM's loop about 40% slower with
    :func:`sigmoid`). It agrees with :func:`sigmoid` to a few units in the last place.
    """
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(z))


def sigmoid_grad_from_output(s):
    """d sigmoid / dz given s = sigmoid(z): s (1 - s)."""
    return s * (1.0 - s)


def tanh(z):
    """Hyperbolic tangent, range (-1, 1); NumPy's is already stable for large |z|."""
    return np.tanh(z)


def tanh_grad_from_output(t):
    """d tanh / dz given t = tanh(z): 1 - t^2."""
    return 1.0 - t * t


def relu(z):
    """max(0, z)."""
    return np.maximum(z, 0)


def relu_grad_from_output(r):
    """d relu / dz given r = relu(z): 1 where r > 0, else 0 (we take 0 at z = 0)."""
    return (r > 0).astype(np.asarray(r).dtype)


ACTIVATIONS = {
    "tanh": (tanh, tanh_grad_from_output),
    "relu": (relu, relu_grad_from_output),
    "sigmoid": (sigmoid, sigmoid_grad_from_output),
}


def get(name: str):
    """(function, derivative-from-output) for an activation's name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}.") from None
