"""Lesson 5's headline table at full size: a tanh RNN of the LSTM's width, a tanh RNN of the LSTM's
parameter count, and the LSTM, five seeds each, on the adding problem.

    python benchmarks/bench_rnn_vs_lstm_seeds.py                 # T = 50, 1500 steps (the stored printout)
    python benchmarks/bench_rnn_vs_lstm_seeds.py --T 20 --steps 500   # what lesson 5 runs live
    python benchmarks/bench_rnn_vs_lstm_seeds.py --dtype float64      # the same in double precision

Every model: Adam (lr 1e-2), batches of 32 fresh sequences drawn from its seed, scored on the same 2,560
held-out sequences; an answer counts as right when its absolute error is below 0.04 (Hochreiter &
Schmidhuber's criterion). Like lesson 5, it trains in float32 unless told otherwise. The printouts of
the default run and of the same run in float64 are kept in benchmarks/results/rnn_vs_lstm_seeds.txt,
which lesson 5 cites.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnn_course import ensemble, experiments

MODELS = (("rnn", 32), ("rnn", 65), ("lstm", 32))     # 65 units: about the LSTM's 4,513 parameters


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=50)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float32")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    x_test, y_test = experiments.adding_test_set(args.T)
    runs = [ensemble.train_adding_seeds(cell, args.T, args.seeds, hidden_size=H, steps=args.steps,
                                        x_test=x_test, y_test=y_test, dtype=np.dtype(args.dtype))
            for cell, H in MODELS]
    print(f"adding problem, T = {args.T}, {args.steps} steps of 32 sequences, Adam lr 0.01, {args.dtype}; "
          "fraction of 2,560 test sequences answered within 0.04")
    print(ensemble.seed_table(runs))
    print(f"(wall time {time.perf_counter() - start:.0f} s on this machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
