"""Toy tasks are what they claim, and training is seeded and learns the adding problem."""

import numpy as np
import pytest

from rnn_course import model, tasks, train
from rnn_course.optim import Adam


def test_adding_problem_layout_and_target(rng):
    x, y = tasks.adding_problem(12, 64, rng)
    assert x.shape == (12, 64, 2) and y.shape == (64, 1)
    markers = x[..., 1]
    assert np.all(markers.sum(axis=0) == 2)
    assert np.all(markers[:6].sum(axis=0) == 1) and np.all(markers[6:].sum(axis=0) == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(axis=0))
    assert 0 <= x[..., 0].min() and x[..., 0].max() <= 1


def test_adding_problem_mean_predictor_scores_one_sixth():
    _, y = tasks.adding_problem(10, 200_000, np.random.default_rng(0))
    assert np.mean((y - 1.0) ** 2) == pytest.approx(tasks.ADDING_BASELINE_MSE, rel=0.02)


def test_adding_problem_is_seeded_and_validates():
    a = tasks.adding_problem(5, 3, np.random.default_rng(1))
    b = tasks.adding_problem(5, 3, np.random.default_rng(1))
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="T >= 2"):
        tasks.adding_problem(1, 3)


def test_copy_task_layout_and_baseline():
    x, targets = tasks.copy_task(5, 4, np.random.default_rng(0))
    assert x.shape == (25, 4, 10) and targets.shape == (25, 4)
    ids = x.argmax(-1)
    np.testing.assert_array_equal(ids[-10:], 0)
    np.testing.assert_array_equal(ids[14], tasks.DELIMITER)
    np.testing.assert_array_equal(targets[-10:], ids[:10])
    np.testing.assert_array_equal(targets[:-10], 0)
    assert tasks.copy_baseline(100) == pytest.approx(10 * np.log(8) / 120)


def test_noisy_sines_and_windows():
    s = tasks.noisy_sines(100, np.random.default_rng(0), noise=0.0)
    assert s.shape == (100,) and np.abs(s).max() <= 1.5 + 1e-9
    x, y = tasks.forecast_windows(np.arange(10.0), window=3, horizon=2)
    assert x.shape == (3, 6, 1) and y.shape == (6, 1)
    np.testing.assert_array_equal(x[:, 0, 0], [0, 1, 2])
    assert y[0, 0] == 4.0
    with pytest.raises(ValueError, match="too short"):
        tasks.forecast_windows(np.arange(3.0), window=3)


def test_text_ships_with_the_package_and_round_trips():
    text = tasks.load_text()
    assert len(text) > 3000 and "Shall I compare thee" in text
    vocab = tasks.CharVocab(text)
    ids = vocab.encode(text[:200])
    assert vocab.decode(ids) == text[:200]
    x, targets = tasks.char_batches(vocab.encode(text), 20, 4, np.random.default_rng(0), len(vocab))
    assert x.shape == (20, 4, len(vocab))
    np.testing.assert_array_equal(x.argmax(-1)[1:], targets[:-1])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("\u00e9")
    with pytest.raises(ValueError, match="no text called"):
        tasks.load_text("missing")


def _adding(T):
    return lambda r: tasks.adding_problem(T, 32, r)


def test_training_is_seeded_and_records_history():
    params = model.init_params("rnn", 2, 8, 1, seed=0)
    a = train.train(params, _adding(5), steps=20, progress=False, seed=4)
    b = train.train(params, _adding(5), steps=20, progress=False, seed=4)
    assert a.losses == b.losses and len(a.losses) == len(a.grad_norms) == 20
    for k in params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_training_history_keeps_the_gradient_norm_before_clipping():
    params = model.init_params("rnn", 2, 8, 1, seed=0)
    r = train.train(params, _adding(5), steps=5, clip=1e-3, progress=False)
    assert max(r.grad_norms) > 1e-3      # the history keeps the norm before clipping


def test_a_small_lstm_beats_the_adding_baseline_clearly():
    """Smoke test: 300 Adam steps of a 16-unit LSTM on T = 10 get far below MSE 1/6."""
    params = model.init_params("lstm", 2, 16, 1, seed=0)
    result = train.train(params, _adding(10), steps=300, optimizer=Adam(lr=1e-2), progress=False)
    x, y = tasks.adding_problem(10, 500, np.random.default_rng(99))
    pred, _ = model.forward(result.params, x, readout="last")
    assert np.mean((pred - y) ** 2) < 0.2 * tasks.ADDING_BASELINE_MSE


def test_a_finished_notebook_progress_bar_leaves_a_text_without_timings(monkeypatch):
    import IPython.display

    from rnn_course import train as train_module

    shown = []

    class Handle:
        def update(self, data, raw=False):
            shown.append(data["text/plain"])

    def fake_display(data, raw=False, display_id=None):
        assert raw and display_id and "application/vnd.jupyter.widget-view+json" in data
        shown.append(data["text/plain"])
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    bar = train_module._notebook_bar()(range(4), total=4, desc="RNN T=10")
    assert list(bar) == [0, 1, 2, 3]
    bar.close()                                   # a second close (as train() does) changes nothing
    assert shown == ["RNN T=10: 0/4", "RNN T=10: 4/4 done"]
