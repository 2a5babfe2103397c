"""Seeds trained together (rnn_course.ensemble): each stacked seed is the run it would be alone."""

import numpy as np
import pytest

from rnn_course import ensemble, experiments, gradcheck


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_stacked_seeds_equal_separate_runs(cell):
    stacked = ensemble.train_adding_seeds(cell, 6, (0, 3), hidden_size=5, steps=15)
    for k, seed in enumerate((0, 3)):
        alone = experiments.train_adding(cell, 6, hidden_size=5, steps=15, seed=seed, progress=False)
        for key, value in alone.params.items():
            np.testing.assert_allclose(stacked.params[key][k], value, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(stacked.losses[:, k], alone.losses, rtol=1e-10)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_the_stacked_gradients_pass_a_gradient_check(cell):
    params = ensemble.stack_params(cell, 2, 3, (0, 1))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(2, 4, 3, 2)), rng.uniform(size=(2, 3, 1))
    _, grads = ensemble.loss_and_grads(params, x, y)
    errors = gradcheck.gradcheck(lambda p: float(ensemble.loss_and_grads(p, x, y)[0].sum()), params, grads)
    assert max(errors.values()) < 1e-7, errors


def test_the_table_counts_parameters_and_seeds():
    runs = [ensemble.train_adding_seeds(c, 4, (0, 1), hidden_size=h, steps=2) for c, h in (("rnn", 65), ("lstm", 32))]
    assert runs[0].n_params == 65 * 67 + 65 + 66 and runs[1].n_params == 4 * 32 * 34 + 4 * 32 + 33
    table = ensemble.seed_table(runs)
    assert "RNN, H = 65" in table and "LSTM, H = 32" in table and table.count(" of 2") == 2
    assert all(0.0 <= w <= 1.0 for r in runs for w in r.within)


def test_stacked_forecasters_equal_separate_ones():
    from rnn_course import tasks

    series = tasks.noisy_sines(120, np.random.default_rng(1))
    stacked = ensemble.train_forecasters("lstm", series, 8, (0, 1), hidden_size=4, steps=12, snapshots=(6, 12))
    for seed in (0, 1):
        alone = experiments.train_forecaster("lstm", series, 8, hidden_size=4, steps=12, snapshots=(6, 12),
                                             seed=seed, progress=False)
        for b in (6, 12):
            for key, value in alone.snapshots[b].items():
                np.testing.assert_allclose(stacked[seed].snapshots[b][key], value, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(stacked[seed].losses, alone.losses, rtol=1e-10)


def test_a_share_below_the_floor_and_an_mse_above_the_ceiling_print_only_the_bound():
    assert ensemble.format_share(0.0796, 0.10) == "<10%" and ensemble.format_share(0.0796) == "8%"
    assert ensemble.format_share(0.10, 0.10) == "10%" and ensemble.format_share(0.4176, 0.10) == "42%"
    assert ensemble.format_seed_mse(0.1653, 0.1) == ">0.1" and ensemble.format_seed_mse(0.1653) == "0.17"
    assert ensemble.format_seed_mse(0.00115, 0.1) == "1e-3"
    runs = [ensemble.train_adding_seeds("rnn", 4, (0, 1), hidden_size=3, steps=2)]
    runs[0].within[:] = (0.07, 0.55)
    runs[0].test_mse[:] = (0.17, 0.004)
    row = ensemble.seed_table(runs, floor=0.10).splitlines()[1]
    assert row.split()[-6:] == ["<10%", "55%", "31%", "1", "of", "2"], row
    assert ensemble.mse_table(runs, ceiling=0.1).split()[-2:] == [">0.1", "4e-3"]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_float32_training_stays_float32_and_follows_the_float64_run(cell):
    single = ensemble.train_adding_seeds(cell, 6, (0, 1), hidden_size=5, steps=15, dtype=np.float32)
    double = ensemble.train_adding_seeds(cell, 6, (0, 1), hidden_size=5, steps=15)
    assert all(v.dtype == np.float32 for v in single.params.values())
    assert all(v.dtype == np.float64 for v in double.params.values())
    params = ensemble.unstack(single.params, 0)
    x, y = np.zeros((1, 6, 2, 2), np.float32), np.zeros((1, 2, 1), np.float32)
    losses, grads = ensemble.loss_and_grads({k: v[None] for k, v in params.items()}, x, y)
    assert losses.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    for key in double.params:
        np.testing.assert_allclose(single.params[key], double.params[key], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(single.losses, double.losses, rtol=1e-3)


def test_stacked_forecasters_train_in_float32_when_asked():
    from rnn_course import tasks

    series = tasks.noisy_sines(120, np.random.default_rng(1))
    runs = ensemble.train_forecasters("rnn", series, 8, (0,), hidden_size=4, steps=5, snapshots=(5,),
                                      dtype=np.float32)
    assert all(v.dtype == np.float32 for v in runs[0].params.values())
    assert all(v.dtype == np.float32 for v in runs[0].snapshots[5].values())


def test_a_dtype_other_than_float32_or_float64_is_refused_by_name():
    with pytest.raises(ValueError, match="float32 or float64; got float16"):
        ensemble.train_adding_seeds("rnn", 4, (0,), hidden_size=3, steps=1, dtype=np.float16)
