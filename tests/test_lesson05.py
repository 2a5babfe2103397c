"""Lesson 5: the experiments module and the temperature-softmax exercise."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import experiments, model, tasks
from rnn_course.exercises import check, help_markdown
from rnn_course.exercises.lesson05 import forecast, softmax_with_temperature

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_rnn_vs_lstm.ipynb"


# ---------------------------------------------------------------------------------------
# The claim itself, small enough for a unit test
# ---------------------------------------------------------------------------------------

def test_lstm_learns_the_adding_problem_where_a_tanh_rnn_of_the_same_size_does_not():
    # T = 20, 16 units, 600 Adam steps on the same batches: about 1 s on a quiet machine.
    x_test, y_test = experiments.adding_test_set(20, n=1000)
    scores = {}
    for cell in ("lstm", "rnn"):
        result = experiments.train_adding(cell, 20, hidden_size=16, steps=600, seed=0, progress=False)
        scores[cell] = experiments.evaluate_adding(result.params, x_test, y_test)
    assert scores["lstm"]["mse"] < 0.01
    assert scores["lstm"]["within"] > 0.5
    assert scores["rnn"]["mse"] > 0.1                 # still near the baseline 1/6
    assert scores["rnn"]["within"] < 0.2


# ---------------------------------------------------------------------------------------
# The adding problem helpers
# ---------------------------------------------------------------------------------------

def constant_model(cell, value, hidden_size=4):
    """A model whose read-out ignores the state and always answers ``value``."""
    params = model.init_params(cell, 2, hidden_size, 1, seed=0)
    params["W_hy"] = np.zeros_like(params["W_hy"])
    params["b_y"] = np.array([value])
    return params


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_evaluate_adding_scores_the_constant_answer_at_the_baseline(cell):
    x, y = experiments.adding_test_set(12)
    scores = experiments.evaluate_adding(constant_model(cell, 1.0), x, y)
    assert scores["mse"] == pytest.approx(np.mean((1.0 - y) ** 2))
    assert scores["mse"] == pytest.approx(tasks.ADDING_BASELINE_MSE, abs=0.02)
    assert scores["within"] == pytest.approx(np.mean(np.abs(1.0 - y) < 0.04))
    assert 0.0 < scores["within"] < 0.15


def test_baseline_within_fraction_matches_the_constant_answer():
    x, y = tasks.adding_problem(4, 200_000, np.random.default_rng(5))
    assert np.mean(np.abs(1.0 - y) < 0.04) == pytest.approx(experiments.ADDING_BASELINE_WITHIN, abs=0.003)
    assert experiments.ADDING_BASELINE_WITHIN == pytest.approx(0.0784)


def test_evaluate_adding_counts_answers_within_the_tolerance():
    x, y = experiments.adding_test_set(6, n=4)
    y = np.array([[1.0], [1.03], [0.95], [1.5]])
    scores = experiments.evaluate_adding(constant_model("rnn", 1.0), x, y)
    assert scores["within"] == pytest.approx(0.5)     # errors 0, 0.03 count; 0.05 and 0.5 do not
    assert scores["mse"] == pytest.approx((0.03 ** 2 + 0.05 ** 2 + 0.5 ** 2) / 4)


def test_adding_test_set_is_seeded_and_sized_like_the_paper():
    x1, y1 = experiments.adding_test_set(8)
    x2, y2 = experiments.adding_test_set(8)
    assert x1.shape == (8, 2560, 2) and y1.shape == (2560, 1)
    np.testing.assert_array_equal(x1, x2)
    # not the training batches of seed 0
    x_train, _ = tasks.adding_problem(8, 32, np.random.default_rng(0))
    assert not np.allclose(x1[:, :32], x_train)


def test_compare_adding_gives_both_cells_the_same_budget_and_batches():
    runs = experiments.compare_adding([4, 6], steps={4: 3, 6: 5}, hidden_size=4, n_test=16, progress=False)
    assert [(r.T, r.cell, r.steps) for r in runs] == [(4, "rnn", 3), (4, "lstm", 3), (6, "rnn", 5), (6, "lstm", 5)]
    for run in runs:
        assert len(run.result.losses) == run.steps
    # the same seed draws the same batches, so the first losses differ only through the cell
    first = experiments.train_adding("rnn", 4, hidden_size=4, steps=1, seed=0, progress=False)
    assert runs[0].result.losses[0] == pytest.approx(first.losses[0])


def test_adding_table_rounds_coarsely_and_gives_verdicts():
    run = experiments.AddingRun
    runs = [run("rnn", 50, 1500, 0.1612, 0.0812, None), run("lstm", 50, 1500, 0.000577, 0.9305, None),
            run("rnn", 10, 600, 0.0209, 0.2418, None)]
    table = experiments.adding_table(runs, n_test=500)
    lines = table.splitlines()
    assert "0.167" in lines[1] and "8%" in lines[1] and "always answer 1" in lines[1]
    blind50 = experiments.blind_scores(50, 500)
    assert lines[2].split()[:3] == ["50", "blind", f"{blind50['mse']:.3f}"]
    assert lines[2].endswith("baseline: best answer blind to the markers")
    assert lines[3].split()[:5] == ["50", "RNN", "1500", "48,000", "0.16"] and lines[3].endswith("near the baselines")
    assert "6e-4" in lines[4] and "93%" in lines[4] and lines[4].endswith("learned")
    assert lines[5].split()[:2] == ["10", "blind"]                 # one blind row for each length, before its runs
    assert lines[6].endswith("partly") and "24%" in lines[6]
    assert len(lines) == 7
    assert experiments.format_mse(0.00115) == "1e-3"
    assert experiments.format_mse(0.0209) == "0.02"


def test_blind_scores_are_the_blind_answer_on_the_test_set():
    x, y = experiments.adding_test_set(12, n=300)
    want = np.mean((experiments.blind_answer(x) - y) ** 2)
    scores = experiments.blind_scores(12, 300)
    assert scores["mse"] == pytest.approx(want)
    assert scores["mse"] == pytest.approx(experiments.adding_blind_mse(12), abs=0.03)
    assert scores["within"] == pytest.approx(np.mean(np.abs(experiments.blind_answer(x) - y) < 0.04))


# ---------------------------------------------------------------------------------------
# Forecasting
# ---------------------------------------------------------------------------------------

def test_rollout_feeds_its_own_predictions_back():
    params = model.init_params("rnn", 1, 5, 1, seed=3)
    context = np.sin(np.arange(6))
    preds = experiments.rollout(params, context, 3)
    assert preds.shape == (3,)
    window = list(context)
    for k in range(3):
        want, _ = model.forward(params, np.array(window[-6:])[:, None, None], readout="last")
        assert preds[k] == pytest.approx(want[0, 0])
        window.append(preds[k])
    np.testing.assert_array_equal(context, np.sin(np.arange(6)))     # the context is left alone


def test_a_trained_forecaster_beats_repeating_the_last_value():
    series = tasks.noisy_sines(300, np.random.default_rng(0), noise=0.0)
    result = experiments.train_forecaster("rnn", series[:260], 12, hidden_size=8, steps=150, progress=False)
    preds = experiments.rollout(result.params, series[248:260], 10)
    assert experiments.rmse(preds, series[260:270]) < 0.5 * experiments.rmse(np.full(10, series[259]),
                                                                              series[260:270])


def test_rmse():
    assert experiments.rmse([1.0, 3.0], [1.0, 1.0]) == pytest.approx(np.sqrt(2.0))
    with pytest.raises(ValueError, match="shape"):
        experiments.rmse([1.0], [1.0, 2.0])


# ---------------------------------------------------------------------------------------
# Character model and sampling
# ---------------------------------------------------------------------------------------

def test_temperature_probs_sharpen_and_flatten():
    logits = np.array([2.0, 1.0, 0.0])
    p1 = experiments.temperature_probs(logits, 1.0)
    np.testing.assert_allclose(p1, np.exp(logits) / np.exp(logits).sum())
    cold, hot = experiments.temperature_probs(logits, 0.25), experiments.temperature_probs(logits, 100.0)
    assert cold[0] > p1[0] > hot[0]
    np.testing.assert_allclose(hot, 1 / 3, atol=0.01)
    np.testing.assert_allclose(experiments.temperature_probs([1000.0, 0.0], 0.5), [1.0, 0.0])
    with pytest.raises(ValueError, match="positive"):
        experiments.temperature_probs(logits, 0.0)


def biased_char_model(cell, V, favourite, strength):
    params = model.init_params(cell, V, 6, V, seed=0)
    params["W_hy"] = np.zeros_like(params["W_hy"])
    params["b_y"] = np.zeros(V)
    params["b_y"][favourite] = strength
    return params


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sample_follows_the_temperature(cell):
    V = 4
    params = biased_char_model(cell, V, favourite=2, strength=3.0)
    cold = experiments.sample(params, [0], 200, temperature=0.05, seed=0)
    assert np.all(cold == 2)
    hot = experiments.sample(params, [0, 1], 4000, temperature=1e6, seed=0)
    np.testing.assert_allclose(np.bincount(hot, minlength=V) / hot.size, 1 / V, atol=0.03)
    at_one = experiments.sample(params, [0], 4000, temperature=1.0, seed=0)
    p = np.exp(3.0) / (np.exp(3.0) + 3)
    assert np.mean(at_one == 2) == pytest.approx(p, abs=0.03)


def test_sample_is_seeded_and_needs_a_prime():
    params = model.init_params("lstm", 5, 6, 5, seed=1)
    a = experiments.sample(params, [1, 2], 50, seed=3)
    np.testing.assert_array_equal(a, experiments.sample(params, [1, 2], 50, seed=3))
    assert not np.array_equal(a, experiments.sample(params, [1, 2], 50, seed=4))
    assert a.shape == (50,) and a.min() >= 0 and a.max() < 5
    with pytest.raises(ValueError, match="prime"):
        experiments.sample(params, [], 5)


def test_text_loss_of_a_know_nothing_model_is_ln_v():
    V = 7
    params = model.init_params("lstm", V, 5, V, seed=0)
    params["W_hy"] = np.zeros_like(params["W_hy"])
    ids = np.random.default_rng(0).integers(0, V, 301)
    assert experiments.text_loss(params, ids, V, T=50) == pytest.approx(np.log(V))
    with pytest.raises(ValueError, match="fewer"):
        experiments.text_loss(params, ids[:10], V, T=50)


def test_char_lm_records_held_out_losses_and_keeps_the_best_weights():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, 400)
    valid = rng.integers(0, 5, 201)
    run = experiments.train_char_lm(ids, 5, valid_ids=valid, hidden_size=6, T=10, batch_size=4, steps=30,
                                    eval_every=10, progress=False)
    assert run.eval_steps == [0, 10, 20, 30] and len(run.losses) == 30
    assert run.train_loss[0] == pytest.approx(experiments.text_loss(
        model.init_params("lstm", 5, 6, 5, seed=0), ids, 5))
    assert run.valid_loss[-1] == pytest.approx(experiments.text_loss(run.params, valid, 5))
    assert run.best_step == run.eval_steps[int(np.argmin(run.valid_loss))]
    assert experiments.text_loss(run.best_params, valid, 5) == pytest.approx(min(run.valid_loss))


def test_char_lm_draws_the_same_batches_as_the_package_training_loop():
    from rnn_course.train import train

    ids = np.random.default_rng(1).integers(0, 4, 300)
    run = experiments.train_char_lm(ids, 4, hidden_size=5, T=8, batch_size=4, steps=5, progress=False)
    params = model.init_params("lstm", 4, 5, 4, seed=0)
    reference = train(params, lambda rng: tasks.char_batches(ids, 8, 4, rng, n_classes=4), loss="xent",
                      readout="all", steps=5, clip=5.0, seed=0, progress=False)
    np.testing.assert_allclose(run.losses, reference.losses)
    assert run.best_params is None and run.best_step is None


def test_char_lm_learns_an_alternating_text():
    vocab = tasks.CharVocab("ab")
    ids = vocab.encode("ab" * 200)
    result = experiments.train_char_lm(ids, 2, hidden_size=8, T=10, batch_size=8, steps=80, progress=False)
    assert experiments.text_loss(result.params, ids, 2, T=50) < 0.1     # ln 2 = 0.69 for guessing
    assert vocab.decode(experiments.sample(result.params, vocab.encode("a"), 6, temperature=0.5)) == "bababa"


# ---------------------------------------------------------------------------------------
# The exercise
# ---------------------------------------------------------------------------------------

def test_checker_accepts_the_reference_solution():
    assert check("05.temperature_softmax", typed(softmax_with_temperature)).passed


def test_checker_reports_a_placeholder_as_not_attempted():
    def placeholder(logits, temperature):
        raise NotImplementedError

    assert check("05.temperature_softmax", placeholder).status == "not attempted"


def multiplied(logits, temperature):
    z = np.asarray(logits) * temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def ignored(logits, temperature):
    e = np.exp(logits - np.max(logits))
    return e / e.sum()


def unshifted(logits, temperature):
    e = np.exp(np.asarray(logits) / temperature)
    return e / e.sum()


def unnormalised(logits, temperature):
    z = np.asarray(logits) / temperature
    return np.exp(z - z.max())


def no_return(logits, temperature):
    np.exp(np.asarray(logits) / temperature)


def scalar(logits, temperature):
    return 1.0


def argmax_only(logits, temperature):
    p = np.zeros(len(logits))
    p[np.argmax(logits)] = 1.0
    return p


@pytest.mark.parametrize("answer, hint", [
    (multiplied, "multiplied the logits"),
    (ignored, "plain softmax"),
    (unshifted, "overflow"),
    (unnormalised, "sum to"),
    (no_return, "return"),
    (scalar, "shape"),
    (argmax_only, "expected"),
])
def test_checker_explains_typical_mistakes(answer, hint):
    result = check("05.temperature_softmax", answer)
    assert result.status == "wrong"
    assert hint in result.message


@pytest.mark.parametrize("name, function", [("05.temperature_softmax", "softmax_with_temperature"),
                                            ("05.forecast", "forecast")])
def test_notebook_ships_the_exercises_unattempted_with_their_solutions(name, function):
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    i = next(k for k, s in enumerate(sources) if s.startswith(f"def {function}("))
    assert "raise NotImplementedError" in sources[i]
    assert sources[i + 1].strip() == f'check("{name}", {function})'
    assert "Not attempted yet" in "".join(o.get("text", "") + str(o.get("data", {}))
                                          for o in cells[i + 1]["outputs"])
    assert sources[i + 2] == help_markdown(name)


def test_notebook_training_cells_are_marked_and_print_nothing_else():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    trained = 0
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(r"experiments\.(compare_adding|train_\w+)\(", source):
            trained += 1
            assert source.startswith("# NBVAL_IGNORE_OUTPUT"), source
            assert "print(" not in source
    assert trained == 1          # the language model
    # the adding problem's and the forecasters' seeds train together, stacked, without a progress bar
    assert sum("ensemble.train_forecasters(" in "".join(c["source"]) for c in cells) == 1
    adding = [c for c in cells if "ensemble.train_adding_seeds(" in "".join(c["source"])]
    assert len(adding) == 1 and not "".join(adding[0]["source"]).startswith("# NBVAL_IGNORE_OUTPUT")
    assert "LSTM, H = 32" in "".join("".join(o.get("text", "")) for o in adding[0]["outputs"])


def test_rollout_runs_many_series_at_once():
    params = model.init_params("lstm", 1, 5, 1, seed=2)
    contexts = np.stack([np.sin(np.arange(8)), np.cos(np.arange(8))], axis=1)     # (8, 2)
    batched = experiments.rollout(params, contexts, 4)
    assert batched.shape == (4, 2)
    for j in range(2):
        np.testing.assert_allclose(batched[:, j], experiments.rollout(params, contexts[:, j], 4))


# the forecast exercise

def test_forecast_checker_accepts_the_reference_solution():
    assert check("05.forecast", typed(forecast)).passed


def test_forecast_checker_reports_a_placeholder_as_not_attempted():
    def placeholder(params, context, n_ahead):
        raise NotImplementedError

    assert check("05.forecast", placeholder).status == "not attempted"


def no_feedback(params, context, n_ahead):
    y, _ = model.forward(params, np.asarray(context)[:, None, None], readout="last")
    return np.full(n_ahead, y[0, 0])


def growing(params, context, n_ahead):
    values, out = list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values)[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(y[0, 0])
    return np.array(out)


def feeds_back_the_observation(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(values[window - 1])                 # the last observed value, not the prediction
    return np.array(out)


def in_place(params, context, n_ahead):
    out = forecast(params, context, n_ahead)
    context[:] = 0.0
    return out


def batch_major(params, context, n_ahead):
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        y, _ = model.forward(params, np.array(values[-window:])[None, :, None], readout="last")   # (1, window, 1)
        out.append(y[-1, 0])
        values.append(y[-1, 0])
    return np.array(out)


def skips_the_first(params, context, n_ahead):
    return forecast(params, context, n_ahead + 1)[1:]


def whole_series(params, context, n_ahead):
    return np.concatenate([context, forecast(params, context, n_ahead)])


def noisy(params, context, n_ahead):
    out = forecast(params, context, n_ahead)
    out[2:] += 0.1
    return out


@pytest.mark.parametrize("answer, hint", [
    (no_feedback, "same number"),
    (growing, "window grows"),
    (feeds_back_the_observation, "Append the model's prediction instead"),
    (in_place, "changed its argument `context` in place"),
    (batch_major, "time-major"),
    (skips_the_first, "first forecast"),
    (whole_series, "shape"),
    (noisy, "expected"),
])
def test_forecast_checker_explains_typical_mistakes(answer, hint):
    result = check("05.forecast", answer)
    assert result.status == "wrong"
    assert hint in result.message


def test_char_lm_trains_in_float32_when_asked_and_follows_the_float64_run():
    ids = np.random.default_rng(1).integers(0, 4, 300)
    single = experiments.train_char_lm(ids, 4, hidden_size=5, T=8, batch_size=4, steps=10, eval_every=5,
                                       progress=False, dtype=np.float32, valid_ids=ids[:120])
    double = experiments.train_char_lm(ids, 4, hidden_size=5, T=8, batch_size=4, steps=10, eval_every=5,
                                       progress=False, valid_ids=ids[:120])
    assert all(v.dtype == np.float32 for v in single.params.values())
    np.testing.assert_allclose(single.losses, double.losses, rtol=1e-4)
    np.testing.assert_allclose(single.valid_loss, double.valid_loss, rtol=1e-4)
    assert isinstance(single.valid_loss[0], float)


def test_the_overflow_trick_is_left_for_the_learner_to_find():
    sources = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]]
    at = sources.index('check("05.temperature_softmax", softmax_with_temperature)')
    assert not any("Subtracting the largest" in s or "z.max()" in s for s in sources[:at])


def test_every_training_run_of_the_lesson_uses_its_precision_setting():
    sources = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]]
    assert any("DTYPE = np.float32" in s for s in sources)
    for call in ("ensemble.train_adding_seeds(", "ensemble.train_forecasters(", "experiments.train_char_lm("):
        cell = next(s for s in sources if call in s)
        assert "dtype=DTYPE" in cell, call
