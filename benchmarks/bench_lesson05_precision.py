"""Lesson 5's three training runs in double and in single precision: the figures the lesson prints, and
the time each run takes.

    python benchmarks/bench_lesson05_precision.py

Lesson 5 trains in float32 so that Restart & Run All stays short. This script runs the same experiments
with the lesson's default settings in float64 and in float32: the adding problem (three models, five
seeds, T = 20, 500 steps), the forecasters (RNN and LSTM, seeds 0 and 1, kept after 200, 400 and 800
steps) and the character model (500 steps). It prints each figure as the lesson prints it, so the two
blocks can be compared line by line. The printout is kept in benchmarks/results/lesson05_precision.txt.
"""

from __future__ import annotations

import time

import numpy as np

from rnn_course import ensemble, experiments, tasks

ADDING = (("rnn", 32), ("rnn", 65), ("lstm", 32))
BUDGETS, FORECAST_SEEDS, WINDOW, HORIZON = (200, 400, 800), (0, 1), 24, 40


def adding(dtype) -> list[str]:
    x_test, y_test = experiments.adding_test_set(20)
    runs = [ensemble.train_adding_seeds(cell, 20, (0, 1, 2, 3, 4), hidden_size=H, steps=500,
                                        x_test=x_test, y_test=y_test, dtype=dtype) for cell, H in ADDING]
    return [ensemble.seed_table(runs, floor=0.10), ensemble.mse_table(runs, ceiling=0.1)]


def forecast(dtype) -> list[str]:
    series = tasks.noisy_sines(800, np.random.default_rng(1))
    clean = tasks.noisy_sines(800, np.random.default_rng(1), noise=0.0)
    origins = np.arange(600, len(series) - HORIZON + 1, 4)
    contexts = series[origins[None, :] + np.arange(-WINDOW, 0)[:, None]]
    truth = clean[origins[None, :] + np.arange(HORIZON)[:, None]]
    lines = [f"{'forecast RMSE':<24}" + "".join(f"{f'{b} steps':>12}" for b in BUDGETS)]
    for cell in ("rnn", "lstm"):
        runs = ensemble.train_forecasters(cell, series[:600], WINDOW, FORECAST_SEEDS, hidden_size=16,
                                          steps=max(BUDGETS), snapshots=BUDGETS, dtype=dtype)
        for seed, run in runs.items():
            errors = [experiments.rmse(experiments.rollout(run.snapshots[b], contexts, HORIZON), truth)
                      for b in BUDGETS]
            lines.append(f"{cell.upper() + ', seed ' + str(seed):<24}" + "".join(f"{e:>12.2f}" for e in errors))
    return lines


def char_model(dtype) -> list[str]:
    text = tasks.load_text("sonnets")
    vocab = tasks.CharVocab(text)
    ids = vocab.encode(text)
    held_out = text.rfind("SONNET")
    run = experiments.train_char_lm(ids[:held_out], len(vocab), valid_ids=ids[held_out:], hidden_size=64, T=25,
                                    steps=500, seed=0, progress=False, dtype=dtype)
    return [f"character model after 500 steps: training text {run.train_loss[-1]:.1f}, held-out sonnet "
            f"{run.valid_loss[-1]:.1f}; lowest held-out {min(run.valid_loss):.1f} after {run.best_step} steps"]


def main() -> int:
    for dtype in (np.float64, np.float32):
        print(f"=== {np.dtype(dtype).name} ===")
        for name, experiment in (("adding problem", adding), ("forecasters", forecast),
                                 ("character model", char_model)):
            start = time.perf_counter()
            lines = experiment(dtype)
            print("\n".join(lines))
            print(f"({name}: {time.perf_counter() - start:.1f} s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
