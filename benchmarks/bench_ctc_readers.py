"""Lesson 8's full run: four CTC readers of handwritten digit lines, compared under one budget.

    python benchmarks/bench_ctc_readers.py                  # the full run the lesson cites
    python benchmarks/bench_ctc_readers.py --steps 300 --seeds 0

Every reader is trained with Adam (lr 1e-2, gradient norm clipped at 5) on fresh batches of 32
lines made from the training images only, and scored on 300 held-out lines made from the test
images (``handwriting.compare_readers``). Hidden sizes are matched to the first reader's parameter
count. Prints the table (error rates in whole percent) and each run's wall time, which depends on
the machine and its load. The stored printout is ``benchmarks/results/ctc_readers_full.txt``.
"""

from __future__ import annotations

import argparse
import sys
import time

from rnn_course.handwriting import READERS, compare_readers, format_runs

FULL = {"steps": 1500, "seeds": (0, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=FULL["steps"], help="training steps per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(FULL["seeds"]), help="seeds")
    args = parser.parse_args(argv)
    print(f"CTC readers of digit lines: Adam lr 0.01, batch 32, {args.steps} steps, seeds {args.seeds}; "
          f"300 held-out lines, beam width 8", flush=True)
    start = time.perf_counter()
    runs = compare_readers(tuple(READERS), seeds=tuple(args.seeds), steps=args.steps,
                           progress=lambda r: print(f"  trained {r.name}, seed {r.seed}: {r.seconds:.0f} s, "
                                                    f"final loss {r.final_loss:.2f}", flush=True))
    print(format_runs(runs))
    print(f"wall time {time.perf_counter() - start:.0f} s for {len(runs)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
