"""The GRU in PyTorch's form: equations, layout r, z, n, BPTT gradient checks, shapes, dtypes, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_course import gradcheck, gru

SIZES = [(1, 1, 1, 1), (1, 2, 3, 2), (5, 1, 2, 1), (4, 3, 2, 5), (6, 2, 1, 3)]  # (T, B, D, H)


def _random_params(D, H, rng, scale=0.7):
    return {"W_x": rng.normal(0, scale, (3 * H, D)), "W_h": rng.normal(0, scale, (3 * H, H)),
            "b_x": rng.normal(0, 0.5, 3 * H), "b_h": rng.normal(0, 0.5, 3 * H)}


def _sig(a):
    return 1 / (1 + np.exp(-a))


def test_forward_matches_pytorchs_equations_with_blocks_r_z_n(rng):
    T, B, D, H = 3, 2, 4, 3
    p = _random_params(D, H, rng)
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    h, cache = gru.forward(p, x, h0)
    blk = {name: slice(k * H, (k + 1) * H) for k, name in enumerate("rzn")}
    hp = h0
    for t in range(T):
        for b in range(B):
            W = {k: (p["W_x"][s], p["W_h"][s], p["b_x"][s], p["b_h"][s]) for k, s in blk.items()}
            r = _sig(W["r"][0] @ x[t, b] + W["r"][2] + W["r"][1] @ hp[b] + W["r"][3])
            z = _sig(W["z"][0] @ x[t, b] + W["z"][2] + W["z"][1] @ hp[b] + W["z"][3])
            n = np.tanh(W["n"][0] @ x[t, b] + W["n"][2] + r * (W["n"][1] @ hp[b] + W["n"][3]))
            np.testing.assert_allclose(h[t, b], (1 - z) * n + z * hp[b], rtol=1e-12, atol=1e-14)
            for name, val in zip("rzn", (r, z, n)):
                np.testing.assert_allclose(cache[name][t, b], val, rtol=1e-12, atol=1e-14)
        hp = h[t]


def test_step_forward_agrees_with_forward(rng):
    p = _random_params(2, 3, rng)
    x = rng.normal(size=(5, 2, 2))
    h, _ = gru.forward(p, x)
    hp = None
    for t in range(5):
        hp, step_cache = gru.step_forward(p, x[t], hp)
        np.testing.assert_allclose(hp, h[t], rtol=1e-12)
        assert set("rzn") <= set(step_cache)


@pytest.mark.parametrize("T,B,D,H", SIZES)
def test_backward_passes_gradient_check(T, B, D, H, rng):
    p = _random_params(D, H, rng)
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    w = rng.normal(size=(T, B, H))

    def loss():
        return float(np.sum(w * gru.forward(p, x, h0)[0]))

    _, cache = gru.forward(p, x, h0)
    dx, dh0, grads = gru.backward(w, cache)
    assert set(grads) == set(p)
    errors = gradcheck.gradcheck(lambda P: loss(), p, grads)
    assert max(errors.values()) < 1e-7, errors
    for analytic, arr in ((dx, x), (dh0, h0)):
        assert gradcheck.relative_error(analytic, gradcheck.numerical_gradient(loss, arr)) < 1e-7


def test_a_wrong_backward_would_fail_the_check(rng):
    """The check is not vacuous: dropping the carried gradient is caught."""
    p = _random_params(2, 3, rng)
    x = rng.normal(size=(4, 2, 2))
    w = rng.normal(size=(4, 2, 3))
    _, cache = gru.forward(p, x)
    _, _, grads = gru.backward(w, cache)
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong["W_h"] *= -1
    errors = gradcheck.gradcheck(lambda P: float(np.sum(w * gru.forward(P, x)[0])), p, wrong)
    assert errors["W_h"] > 0.5


def test_init_params_layout_and_seeding():
    p = gru.init_params(3, 5, seed=2)
    assert p["W_x"].shape == (15, 3) and p["W_h"].shape == (15, 5)
    assert p["b_x"].shape == p["b_h"].shape == (15,)
    k = 1 / np.sqrt(5)
    assert all(np.all(np.abs(v) <= k) for v in p.values())
    q = gru.init_params(3, 5, seed=2)
    for name in p:
        np.testing.assert_array_equal(p[name], q[name])
    assert gru.gate_slices(5)["n"] == slice(10, 15)


def test_float32_in_float32_out(rng):
    p = gru.init_params(3, 4)
    x = rng.normal(size=(5, 2, 3))
    h64, _ = gru.forward(p, x)
    assert h64.dtype == np.float64
    h32, cache = gru.forward(p, x.astype(np.float32))
    assert h32.dtype == np.float32
    dx, dh0, grads = gru.backward(np.ones_like(h32), cache)
    assert dx.dtype == dh0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    np.testing.assert_allclose(h32, h64, atol=1e-5)


def test_extreme_weights_give_finite_states_and_no_warnings(rng):
    for sign in (1.0, -1.0):
        p = {"W_x": np.full((6, 3), 1000.0 * sign), "W_h": np.full((6, 2), -1000.0 * sign),
             "b_x": np.full(6, 1000.0), "b_h": np.full(6, -1000.0)}
        x = rng.normal(size=(50, 2, 3)) * 1000
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            h, cache = gru.forward(p, x)
            out = gru.backward(np.ones_like(h), cache)
        assert np.all(np.isfinite(h)) and all(np.all(np.isfinite(a)) for a in out[:2])
        for gate in "rz":
            assert np.all((cache[gate] >= 0) & (cache[gate] <= 1))


def test_bad_inputs_are_clear_value_errors():
    p = gru.init_params(3, 4)
    with pytest.raises(ValueError, match=r"x should be time-major with shape \(T, B, D\)"):
        gru.forward(p, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"\(T, B, D\) = \(\?, \?, 3\).*\(5, 2, 4\)"):
        gru.forward(p, np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match="does not divide by 3"):
        gru.forward({"W_x": np.zeros((8, 3)), "W_h": np.zeros((8, 2)), "b_x": np.zeros(8), "b_h": np.zeros(8)},
                    np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match=r"W_h should have shape \(3H, H\).*\(12, 4\).*\(12, 3\)"):
        gru.forward(dict(p, W_h=np.zeros((12, 3))), np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match=r"b_h should have shape \(3H,\).*\(12,\).*\(4,\)"):
        gru.forward(dict(p, b_h=np.zeros(4)), np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="GRU parameters are missing b_x, b_h"):
        gru.forward({"W_x": p["W_x"], "W_h": p["W_h"], "b": np.zeros(12)}, np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match=r"h0 should have shape \(B, H\) = \(2, 4\)"):
        gru.forward(p, np.zeros((1, 2, 3)), h0=np.zeros((1, 4)))
    _, cache = gru.forward(p, np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"dh should have shape \(T, B, H\), like h = \(2, 2, 4\)"):
        gru.backward(np.zeros((2, 4)), cache)


@settings(max_examples=20, deadline=None)
@given(T=st.integers(1, 5), B=st.integers(1, 3), D=st.integers(1, 3), H=st.integers(1, 3), seed=st.integers(0, 99))
def test_property_shapes_and_gradients_for_random_sizes(T, B, D, H, seed):
    rng = np.random.default_rng(seed)
    p = _random_params(D, H, rng, scale=0.5)
    x = rng.normal(size=(T, B, D))
    h, cache = gru.forward(p, x)
    assert h.shape == (T, B, H)
    w = rng.normal(size=h.shape)
    dx, dh0, grads = gru.backward(w, cache)
    assert dx.shape == x.shape and dh0.shape == (B, H)
    errors = gradcheck.gradcheck(lambda P: float(np.sum(w * gru.forward(P, x)[0])), p, grads)
    assert max(errors.values()) < 1e-6
