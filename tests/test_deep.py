"""Stacked and bidirectional layers: shapes, direction order, gradient checks, bad input."""

import numpy as np
import pytest

from rnn_course import deep, gradcheck, gru, lstm, rnn

CELLS = ("rnn", "lstm", "gru")


def _flat(layers):
    """Every parameter array of a stack under one name, for gradcheck (same array objects)."""
    return {f"{k}.{d}.{name}": arr for k, layer in enumerate(layers) for d, p in layer.items()
            for name, arr in p.items()}


def _randomise(layers, rng):
    for layer in layers:
        for p in layer.values():
            for name in p:
                p[name] = rng.normal(0, 0.6, p[name].shape)
    return layers


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (1, True), (2, True), (3, False)])
def test_stack_passes_gradient_check(cell, num_layers, bidirectional, rng):
    T, B, D, H = 4, 2, 3, 2
    layers = _randomise(deep.init_layers(cell, D, H, num_layers=num_layers, bidirectional=bidirectional), rng)
    x = rng.normal(size=(T, B, D))
    out, cache = deep.forward(layers, x, cell=cell)
    dirs = 2 if bidirectional else 1
    assert out.shape == (T, B, dirs * H)
    w = rng.normal(size=out.shape)

    def loss():
        return float(np.sum(w * deep.forward(layers, x, cell=cell)[0]))

    dx, grads = deep.backward(w, cache)
    assert len(grads) == num_layers and all(set(g) == set(layer) for g, layer in zip(grads, layers))
    errors = gradcheck.gradcheck(lambda P: loss(), _flat(layers), _flat(grads))
    assert max(errors.values()) < 1e-7, errors
    assert gradcheck.relative_error(dx, gradcheck.numerical_gradient(loss, x)) < 1e-7


@pytest.mark.parametrize("cell", CELLS)
def test_one_forward_layer_is_the_cell_itself(cell, rng):
    layers = _randomise(deep.init_layers(cell, 3, 4), rng)
    x = rng.normal(size=(5, 2, 3))
    out, _ = deep.forward(layers, x, cell=cell)
    module = {"rnn": rnn, "lstm": lstm, "gru": gru}[cell]
    np.testing.assert_allclose(out, module.forward(layers[0]["forward"], x)[0], rtol=1e-13)


def test_backward_direction_reads_the_future_and_comes_back_in_time_order(rng):
    H = 3
    layers = _randomise(deep.init_layers("gru", 2, H, bidirectional=True), rng)
    x = rng.normal(size=(6, 1, 2))
    out, _ = deep.forward(layers, x, cell="gru")
    reversed_run, _ = gru.forward(layers[0]["backward"], x[::-1])
    np.testing.assert_allclose(out[..., H:], reversed_run[::-1], rtol=1e-13)
    # changing the last input changes the backward half at every step, the forward half only at the end
    y = x.copy()
    y[-1] += 1.0
    out2, _ = deep.forward(layers, y, cell="gru")
    assert np.all(np.abs(out2[:, 0, H:] - out[:, 0, H:]).max(axis=1) > 1e-6)
    np.testing.assert_array_equal(out2[:-1, 0, :H], out[:-1, 0, :H])


def test_float32_stays_float32(rng):
    layers = deep.init_layers("lstm", 3, 4, num_layers=2, bidirectional=True, dtype=np.float32)
    out, cache = deep.forward(layers, rng.normal(size=(3, 2, 3)).astype(np.float32), cell="lstm")
    dx, grads = deep.backward(np.ones_like(out), cache)
    assert out.dtype == dx.dtype == np.float32
    assert all(a.dtype == np.float32 for g in grads for p in g.values() for a in p.values())


def test_bad_stacks_are_clear_value_errors(rng):
    x = np.zeros((2, 1, 3))
    with pytest.raises(ValueError, match="cell must be one of"):
        deep.forward(deep.init_layers("gru", 3, 2), x, cell="transformer")
    with pytest.raises(ValueError, match="non-empty list"):
        deep.forward([], x, cell="gru")
    with pytest.raises(ValueError, match=r"layers\[0\] should be \{'forward': params\}"):
        deep.forward([{"fwd": {}}], x, cell="gru")
    mixed = deep.init_layers("gru", 3, 2, num_layers=2, bidirectional=True)
    del mixed[1]["backward"]
    with pytest.raises(ValueError, match=r"layers\[0\] has forward, backward, layers\[1\] has forward"):
        deep.forward(mixed, x, cell="gru")
    wrong = deep.init_layers("gru", 3, 2, num_layers=2, bidirectional=True)
    wrong[1] = {d: gru.init_params(2, 2) for d in ("forward", "backward")}
    with pytest.raises(ValueError, match=r"2 x 2 = 4 outputs of layers\[0\].*should be 4; got 2"):
        deep.forward(wrong, x, cell="gru")
    with pytest.raises(ValueError, match=r"should hold LSTM parameters \(W_x, W_h, \.\.\.\); got W_hh, W_xh, b_h"):
        deep.forward(deep.init_layers("rnn", 3, 2), x, cell="lstm")
    with pytest.raises(ValueError, match=r"x should have shape \(T, B, D\) = \(\?, \?, 3\)"):
        deep.forward(deep.init_layers("rnn", 3, 2), np.zeros((2, 1, 4)), cell="rnn")
    out, cache = deep.forward(deep.init_layers("rnn", 3, 2, bidirectional=True), x, cell="rnn")
    with pytest.raises(ValueError, match=r"dout should have the shape.*\(2, 1, 4\); got \(2, 1, 2\)"):
        deep.backward(np.zeros((2, 1, 2)), cache)
