"""The baselines lesson 5 measures against really are what the tasks say they are."""

import numpy as np
import pytest

from rnn_course import experiments, losses, tasks


def test_adding_problem_baseline_is_one_sixth():
    # The MSE of always answering 1 is the variance of a sum of two U[0, 1] values: 1/6.
    _, y = tasks.adding_problem(6, 200_000, np.random.default_rng(0))
    mse = np.mean((1.0 - y) ** 2)
    assert mse == pytest.approx(1 / 6, abs=0.003)
    assert tasks.ADDING_BASELINE_MSE == pytest.approx(1 / 6)


def test_answering_one_is_the_best_constant_on_the_adding_problem():
    _, y = tasks.adding_problem(6, 200_000, np.random.default_rng(1))
    assert np.mean(y) == pytest.approx(1.0, abs=0.005)
    for other in (0.9, 1.1):
        assert np.mean((other - y) ** 2) > np.mean((1.0 - y) ** 2)


@pytest.mark.parametrize("T", [10, 25, 50])
def test_a_model_blind_to_the_markers_scores_one_sixth_minus_one_over_3t(T):
    # Monte Carlo, 200,000 sequences: the mean of each half's values, summed, against the formula.
    x, y = tasks.adding_problem(T, 200_000, np.random.default_rng(T))
    mse = np.mean((experiments.blind_answer(x) - y) ** 2)
    assert mse == pytest.approx(experiments.adding_blind_mse(T), abs=0.002)
    assert experiments.adding_blind_mse(T) == pytest.approx(1 / 6 - 1 / (3 * T), abs=1e-4)
    assert experiments.adding_blind_mse(T) < tasks.ADDING_BASELINE_MSE


def test_blind_baseline_formula_even_and_odd():
    assert experiments.adding_blind_mse(10) == pytest.approx(1 / 6 - 1 / 30)          # 0.1333
    assert experiments.adding_blind_mse(50) == pytest.approx(0.16)
    assert experiments.adding_blind_mse(25) == pytest.approx((2 - 1 / 12 - 1 / 13) / 12)
    assert experiments.adding_blind_mse(25) < 1 / 6 - 1 / 75                           # a hair below, odd T
    assert experiments.adding_blind_mse(2) == 0.0                                       # both values are marked
    with pytest.raises(ValueError, match="T >= 2"):
        experiments.adding_blind_mse(1)


def test_the_blind_answer_ignores_the_markers_and_beats_other_marker_blind_answers():
    T = 10
    x, y = tasks.adding_problem(T, 200_000, np.random.default_rng(4))
    moved = x.copy()
    moved[..., 1] = np.roll(moved[..., 1], 1, axis=0)
    np.testing.assert_array_equal(experiments.blind_answer(moved), experiments.blind_answer(x))
    best = np.mean((experiments.blind_answer(x) - y) ** 2)
    values = x[..., 0]
    last_step = values[-1] / (T - T // 2) + 1.0 - 0.5 / (T - T // 2)      # E[y | v_T], blind to m_T
    for other in (np.ones_like(y[:, 0]), last_step, 0.9 * experiments.blind_answer(x)[:, 0] + 0.1):
        assert np.mean((other - y[:, 0]) ** 2) > best


@pytest.mark.parametrize("T", [2, 7, 50])
def test_adding_problem_marks_one_value_in_each_half_and_sums_them(T):
    x, y = tasks.adding_problem(T, 500, np.random.default_rng(T))
    assert x.shape == (T, 500, 2) and y.shape == (500, 1)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values <= 1))
    half = T // 2
    assert np.all(markers[:half].sum(axis=0) == 1) and np.all(markers[half:].sum(axis=0) == 1)
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=0))


@pytest.mark.parametrize("T", [1, 10, 40])
def test_copy_task_memoryless_baseline_holds(T):
    # The memoryless strategy: certain of a blank wherever one is due, uniform over the
    # 8 symbols in the last 10 steps. Its cross-entropy is the stated baseline.
    x, targets = tasks.copy_task(T, 300, np.random.default_rng(T))
    steps, B, V = x.shape
    assert steps == T + 20 and V == 10
    logits = np.full((steps, B, V), -50.0)
    logits[:-10, :, tasks.BLANK] = 50.0
    logits[-10:, :, 1:9] = 0.0
    loss, _ = losses.softmax_cross_entropy(logits, targets)
    assert loss == pytest.approx(tasks.copy_baseline(T), rel=1e-9)
    assert tasks.copy_baseline(T) == pytest.approx(10 * np.log(8) / (T + 20))


def test_copy_task_symbols_are_uniform_so_no_memoryless_guess_beats_the_baseline():
    # Without memory the best guess for a symbol is its frequency; uniform frequencies cost ln 8 each.
    _, targets = tasks.copy_task(5, 20_000, np.random.default_rng(3))
    symbols = targets[-10:].ravel()
    freq = np.bincount(symbols, minlength=10)[1:9] / symbols.size
    np.testing.assert_allclose(freq, 1 / 8, atol=0.005)
    entropy = -np.sum(freq * np.log(freq))
    assert entropy == pytest.approx(np.log(8), abs=1e-3)


def test_copy_task_layout():
    x, targets = tasks.copy_task(5, 4, np.random.default_rng(0))
    ids = x.argmax(axis=-1)
    assert np.all((ids[:10] >= 1) & (ids[:10] <= 8))
    assert np.all(ids[10 + 5 - 1] == tasks.DELIMITER)
    assert np.all(targets[:-10] == tasks.BLANK)
    np.testing.assert_array_equal(targets[-10:], ids[:10])
