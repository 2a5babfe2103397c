"""rnn_course.gradient_flow: Jacobian products, the bound, measured per-lag gradients, the length sweep."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnn_course import gradient_flow as gf
from rnn_course import rnn

ROOT = Path(__file__).resolve().parent.parent


def test_singular_value_and_spectral_radius_of_known_matrices():
    W = np.array([[0.5, 1.5], [0.0, 0.5]])
    assert gf.spectral_radius(W) == pytest.approx(0.5)
    assert gf.sigma_max(W) == pytest.approx(np.sqrt(np.linalg.eigvalsh(W.T @ W).max()))
    assert gf.sigma_max(W) > 1.6
    D = np.diag([-2.0, 0.5])
    assert gf.sigma_max(D) == pytest.approx(2.0) and gf.spectral_radius(D) == pytest.approx(2.0)


def test_rescaling_hits_the_target_and_copies(rng):
    W = rng.standard_normal((6, 6))
    before = W.copy()
    assert gf.spectral_radius(gf.scale_to_spectral_radius(W, 0.9)) == pytest.approx(0.9)
    assert gf.sigma_max(gf.scale_to_sigma_max(W, 1.3)) == pytest.approx(1.3)
    np.testing.assert_array_equal(W, before)
    with pytest.raises(ValueError, match="negative"):
        gf.scale_to_sigma_max(W, -1.0)
    with pytest.raises(ValueError, match="square"):
        gf.sigma_max(np.ones((2, 3)))


def test_random_orthogonal_has_all_singular_values_one():
    Q = gf.random_orthogonal(8, seed=3)
    np.testing.assert_allclose(Q.T @ Q, np.eye(8), atol=1e-12)
    s = 1.7
    assert gf.sigma_max(s * Q) == pytest.approx(s) and gf.spectral_radius(s * Q) == pytest.approx(s)
    np.testing.assert_array_equal(Q, gf.random_orthogonal(8, seed=3))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_step_jacobian_matches_finite_differences(rng, activation):
    H = 5
    params = {"W_xh": rng.standard_normal((H, 2)), "W_hh": rng.standard_normal((H, H)), "b_h": rng.standard_normal(H)}
    x_t, h_prev = rng.standard_normal((1, 2)), rng.standard_normal((1, H))
    h_t, _ = rnn.step_forward(params, x_t, h_prev, activation)
    eps = 1e-6
    numeric = np.empty((H, H))
    for j in range(H):
        up, down = h_prev.copy(), h_prev.copy()
        up[0, j] += eps
        down[0, j] -= eps
        numeric[:, j] = (rnn.step_forward(params, x_t, up, activation)[0] -
                         rnn.step_forward(params, x_t, down, activation)[0])[0] / (2 * eps)
    np.testing.assert_allclose(gf.step_jacobian(params["W_hh"], h_t[0], activation), numeric, atol=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_jacobian_products_agree_with_the_backward_pass(rng, activation):
    H, T = 4, 7
    params = {"W_xh": rng.standard_normal((H, 1)), "W_hh": rng.standard_normal((H, H)) * 0.6, "b_h": np.zeros(H)}
    x = rng.standard_normal((T, 1, 1))
    h, cache = rnn.forward(params, x, activation=activation)
    products = gf.jacobian_products(params["W_hh"], h[:, 0], activation)
    assert products.shape == (T, H, H)
    np.testing.assert_array_equal(products[-1], np.eye(H))
    v = rng.standard_normal((1, H))
    dh = np.zeros_like(h)
    dh[-1] = v
    *_, dh_steps = rnn.backward(dh, cache, return_dh_steps=True)
    np.testing.assert_allclose(np.einsum("tij,i->tj", products, v[0]), dh_steps[:, 0], atol=1e-12)


def test_bound_and_guarantee_use_sigma_max_and_the_activation_bound():
    non_normal = np.array([[0.5, 1.5], [0.0, 0.5]])
    assert not gf.guaranteed_to_vanish(non_normal, "tanh")          # rho = 0.5 but sigma_max > 1
    assert gf.guaranteed_to_vanish(3.0 * np.eye(2), "sigmoid")       # 3 / 4 < 1
    assert not gf.guaranteed_to_vanish(3.0 * np.eye(2), "relu")
    np.testing.assert_allclose(gf.gradient_bound(0.5 * np.eye(3), [0, 1, 2, 10]), 0.5 ** np.array([0, 1, 2, 10]))
    with pytest.raises(ValueError, match="unknown activation"):
        gf.bound_rate(np.eye(2), "softplus")


def test_measured_norms_start_at_one_and_stay_under_the_bound():
    Q = gf.random_orthogonal(16, seed=0)
    for s in (0.5, 0.9, 1.5):
        flow = gf.lag_gradient_norms(s * Q, 30, "tanh", input_scale=1.0)
        assert flow.norms.shape == (30,) and flow.per_unit.shape == (30, 16)
        assert flow.norms[0] == pytest.approx(1.0)
        assert np.all(flow.norms <= gf.gradient_bound(s * Q, flow.lags) * (1 + 1e-9))
        assert np.all((flow.saturation >= 0) & (flow.saturation <= 1))


def test_without_input_tanh_stays_linear_and_meets_the_bound_exactly():
    Q = gf.random_orthogonal(16, seed=1)
    flow = gf.lag_gradient_norms(1.3 * Q, 25, "tanh", input_scale=0.0)
    np.testing.assert_allclose(flow.norms, 1.3 ** np.arange(25), rtol=1e-10)
    assert gf.fitted_rate(flow.norms) == pytest.approx(1.3)
    assert flow.saturation.max() == 0.0


def test_saturation_turns_a_growing_gradient_into_a_vanishing_one():
    W = 1.5 * gf.random_orthogonal(32, seed=0)
    calm = gf.lag_gradient_norms(W, 50, "tanh", input_scale=0.1)
    saturated = gf.lag_gradient_norms(W, 50, "tanh", input_scale=3.0)
    assert gf.fitted_rate(calm.norms) > 1.0 > gf.fitted_rate(saturated.norms)
    assert saturated.saturation.mean() > calm.saturation.mean()


def test_relu_with_no_input_sends_no_gradient_back():
    flow = gf.lag_gradient_norms(gf.random_orthogonal(8), 10, "relu", input_scale=0.0)
    assert flow.norms[0] == pytest.approx(1.0) and np.all(flow.norms[1:] == 0)
    assert np.isnan(gf.fitted_rate(flow.norms))


def test_fitted_rate_recovers_a_geometric_rate_and_skips_a_transient():
    lags = np.arange(20)
    assert gf.fitted_rate(3.0 * 0.7**lags) == pytest.approx(0.7)
    transient = np.concatenate([[1, 5, 9], 9 * 0.8 ** np.arange(1, 18)])
    assert gf.fitted_rate(transient, skip=3) == pytest.approx(0.8)
    assert gf.fitted_rate([1.0, 0.0, 0.0]) != gf.fitted_rate([1.0, 0.0, 0.0])     # NaN


def test_bad_lengths_are_refused():
    with pytest.raises(ValueError, match="T must be at least 1"):
        gf.lag_gradient_norms(np.eye(2), 0)
    with pytest.raises(ValueError, match=r"\(T, H\)"):
        gf.jacobian_products(np.eye(2), np.zeros((3, 1, 2)))
    with pytest.raises(ValueError, match=r"h_t should have shape"):
        gf.step_jacobian(np.eye(2), np.zeros(3))


def test_sweep_result_counts_successes_and_prints_a_table():
    result = gf.SweepResult([5, 20], [0, 1, 2], np.array([[0.001, 0.02, 0.005], [0.16, 0.17, 0.18]]), 0.01, 10)
    np.testing.assert_array_equal(result.success_rate, [2 / 3, 0.0])
    lines = result.table().splitlines()
    assert len(lines) == 3 and "2/3" in lines[1] and "0/3" in lines[2] and "0.17" in lines[2]


def test_sweep_summary_reads_the_same_whatever_the_failed_runs_scored():
    solved = [0.004, 0.0041, 0.0062]
    a = gf.SweepResult([10, 30], [0, 1, 2], np.array([solved, [0.16, 0.17, 0.18]]), 0.01, 10)
    b = gf.SweepResult([10, 30], [0, 1, 2], np.array([solved, [0.18, 0.19, 0.21]]), 0.01, 10)
    assert a.summary() == b.summary()
    lines = a.summary().splitlines()
    assert lines[1].split() == ["10", "3/3", "0.0041"]
    assert "0/3" in lines[2] and "at the baseline" in lines[2]
    partly = gf.SweepResult([20], [0], np.array([[0.05]]), 0.01, 10)
    assert partly.summary().splitlines()[1].split() == ["20", "0/1", "0.05"]


def test_length_sweep_trains_and_tests_each_run():
    result = gf.length_sweep([4, 6], [0], steps=3)
    assert result.mse.shape == (2, 1) and np.all(np.isfinite(result.mse)) and np.all(result.mse > 0)
    assert gf.adding_mse(result.params[1][0], 6) == pytest.approx(result.mse[1, 0])
    again = gf.length_sweep([4, 6], [0], steps=3)
    np.testing.assert_array_equal(result.mse, again.mse)


def test_benchmark_script_runs_a_tiny_sweep(capsys):
    path = ROOT / "benchmarks" / "bench_long_sequences.py"
    spec = importlib.util.spec_from_file_location("bench_long_sequences", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--lengths", "4", "--seeds", "0", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "solved" in out and "wall time" in out and "0/1" in out
