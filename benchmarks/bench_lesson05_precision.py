"""Lesson 5 in double and in single precision: whether anything it prints changes, and what its training
cells cost in each.

    python benchmarks/bench_lesson05_precision.py

Lesson 5 trains in float32 (``DTYPE = np.float32`` in its settings cell) so that Restart & Run All stays
short. This script runs the lesson itself twice in a fresh kernel, as it is and with ``DTYPE = np.float64``
(the file is never written), with the runner of bench_notebook_times.py. It prints the seconds of the three
training cells (the five seeds of each adding-problem model, the forecasters, the character model) and of
the whole run, then compares every text output of the two runs, cell by cell (the progress bar's cell,
marked NBVAL_IGNORE_OUTPUT, is left out). The printout is kept in benchmarks/results/lesson05_precision.txt.
"""

from __future__ import annotations

from pathlib import Path

from bench_notebook_times import run_cells

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "05_rnn_vs_lstm.ipynb"
SETTING = "DTYPE = np.float32"
TRAINING = {"adding problem, 3 models x 5 seeds": "ensemble.train_adding_seeds(",
            "forecasters": "ensemble.train_forecasters(", "character model": "experiments.train_char_lm("}


def main() -> int:
    runs = {}
    for dtype in ("float64", "float32"):
        ran = runs[dtype] = run_cells(LESSON, replace=(SETTING, f"DTYPE = np.{dtype}"))
        print(f"=== {dtype} ===")
        training = {name: sum(cell[2] for cell in ran if call in cell[1]) for name, call in TRAINING.items()}
        for name, seconds in training.items():
            print(f"{name + ' (its cell)':<46}{seconds:6.1f} s")
        print(f"{'training cells together':<46}{sum(training.values()):6.1f} s")
        print(f"{'Restart & Run All':<46}{sum(cell[2] for cell in ran):6.1f} s\n")
    compared = [(a, b) for a, b in zip(runs["float64"], runs["float32"]) if "NBVAL_IGNORE_OUTPUT" not in a[1]]
    differ = [a[0] for a, b in compared if a[3] != b[3]]
    print(f"text outputs of {len(compared)} code cells compared: "
          + (f"cells {differ} differ" if differ else "every one is the same in float64 and float32"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
