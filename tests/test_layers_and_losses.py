"""Activations, the linear read-out, losses and the model wrapper: values and gradient checks."""

import warnings

import numpy as np
import pytest

from rnn_course import activations, gradcheck, linear, losses, model


def test_sigmoid_is_exact_and_silent_at_the_extremes():
    z = np.array([-1000.0, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = activations.sigmoid(z)
        s32 = activations.sigmoid(z.astype(np.float32))
    np.testing.assert_allclose(s[2:-2], 1 / (1 + np.exp(-z[2:-2])), rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[4] == 0.5
    assert s32.dtype == np.float32 and np.all(np.isfinite(s32))
    # symmetric: sigmoid(-z) = 1 - sigmoid(z)
    np.testing.assert_allclose(activations.sigmoid(-z), 1 - s, atol=1e-16)


def test_sigmoid_in_place_on_its_own_input():
    z = np.array([-3.0, -0.5, 0.5, 3.0])
    expected = 1 / (1 + np.exp(-z))
    activations.sigmoid(z, out=z)
    np.testing.assert_allclose(z, expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_derivatives_match_finite_differences(name):
    f, dfdo = activations.get(name)
    z = np.linspace(-3, 3, 13) + 0.05          # avoid ReLU's kink at 0
    numeric = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(dfdo(f(z)), numeric, rtol=1e-6, atol=1e-9)


def test_activation_derivative_bounds():
    z = np.linspace(-10, 10, 2001)
    assert activations.sigmoid_grad_from_output(activations.sigmoid(z)).max() == pytest.approx(0.25)
    assert activations.tanh_grad_from_output(np.tanh(z)).max() == pytest.approx(1.0)


def test_linear_forward_is_the_output_equation_and_backward_checks(rng):
    p = {"W_hy": rng.normal(size=(2, 3)), "b_y": rng.normal(size=2)}
    h = rng.normal(size=(4, 5, 3))
    y, cache = linear.forward(p, h)
    np.testing.assert_allclose(y[1, 2], p["W_hy"] @ h[1, 2] + p["b_y"])
    w = rng.normal(size=y.shape)
    dh, grads = linear.backward(w, cache)

    def loss():
        return float(np.sum(w * linear.forward(p, h)[0]))

    assert max(gradcheck.gradcheck(lambda P: loss(), p, grads).values()) < 1e-7
    assert gradcheck.relative_error(dh, gradcheck.numerical_gradient(loss, h)) < 1e-7


def test_linear_rejects_a_mismatched_hidden_size():
    p = linear.init_params(4, 2)
    with pytest.raises(ValueError, match=r"h should have shape \(\.\.\., H\) with H = 4.*\(3, 5\)"):
        linear.forward(p, np.zeros((3, 5)))


def test_mse_value_and_gradient(rng):
    pred, target = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    loss, d = losses.mse(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    numeric = gradcheck.numerical_gradient(lambda: losses.mse(pred, target)[0], pred)
    assert gradcheck.relative_error(d, numeric) < 1e-7
    with pytest.raises(ValueError, match=r"target should have the prediction's shape \(6, 2\)"):
        losses.mse(pred, target[:, :1])


def test_softmax_cross_entropy_value_gradient_and_mask(rng):
    logits = rng.normal(size=(3, 4, 5))
    targets = rng.integers(0, 5, (3, 4))
    loss, d = losses.softmax_cross_entropy(logits, targets)
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = -np.mean(np.log(np.take_along_axis(p, targets[..., None], -1)))
    assert loss == pytest.approx(expected)
    numeric = gradcheck.numerical_gradient(lambda: losses.softmax_cross_entropy(logits, targets)[0], logits)
    assert gradcheck.relative_error(d, numeric) < 1e-7
    mask = (rng.random((3, 4)) > 0.5).astype(float)
    _, dm = losses.softmax_cross_entropy(logits, targets, mask)
    numeric = gradcheck.numerical_gradient(lambda: losses.softmax_cross_entropy(logits, targets, mask)[0], logits)
    assert gradcheck.relative_error(dm, numeric) < 1e-7


def test_softmax_cross_entropy_is_stable_and_validates():
    loss, d = losses.softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([0]))
    assert loss == 0.0 and np.all(np.isfinite(d))
    with pytest.raises(ValueError, match=r"targets should lie in \[0, 2\)"):
        losses.softmax_cross_entropy(np.zeros((1, 2)), np.array([2]))
    with pytest.raises(ValueError, match="integer class indices"):
        losses.softmax_cross_entropy(np.zeros((1, 2)), np.array([0.0]))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("readout", ["all", "last"])
def test_model_gradients_check(cell, readout, rng):
    params = model.init_params(cell, 2, 3, 2, seed=3)
    x = rng.normal(size=(4, 2, 2))
    y, cache = model.forward(params, x, readout=readout)
    assert y.shape == ((4, 2, 2) if readout == "all" else (2, 2))
    w = rng.normal(size=y.shape)
    grads = model.backward(w, cache)
    assert set(grads) == set(params)
    errors = gradcheck.gradcheck(lambda P: float(np.sum(w * model.forward(P, x, readout=readout)[0])), params, grads)
    assert max(errors.values()) < 1e-6, errors


def test_model_rejects_unknown_cells_and_readouts():
    with pytest.raises(ValueError, match="cell must be 'rnn', 'lstm' or 'gru'"):
        model.init_params("transformer", 1, 1, 1)
    with pytest.raises(ValueError, match="readout must be"):
        model.forward(model.init_params("rnn", 1, 1, 1), np.zeros((1, 1, 1)), readout="first")
