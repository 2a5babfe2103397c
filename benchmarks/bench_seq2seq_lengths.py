"""Lesson 9's FULL run: the encoder-decoder with and without attention on the reversal task, by length.

    PYTHONPATH=. python benchmarks/bench_seq2seq_lengths.py > benchmarks/results/seq2seq_lengths.txt

Longer strings (3 to 20 letters), five times the lesson's training steps and three seeds; the
lesson's default run (lengths 3 to 12, 400 steps, seed 0) quotes this printout for the longer view.
"""

from __future__ import annotations

import platform
import time

import numpy as np

from rnn_course import seq2seq

SETTINGS = {"steps": 2000, "hidden_size": 32, "batch_size": 32, "lr": 2e-2, "min_length": 3, "max_length": 20,
            "n_test": 100}
SEEDS = (0, 1, 2)


def main() -> None:
    start = time.perf_counter()
    runs = [seq2seq.reversal_by_length(attention=attention, seed=seed, **SETTINGS)
            for attention in (False, True) for seed in SEEDS]
    print("Reversal task: exact-match accuracy (greedy decoding) by source length,")
    H = SETTINGS["hidden_size"]
    print(f"{SETTINGS['n_test']} fresh strings per length; trained on lengths {SETTINGS['min_length']}-"
          f"{SETTINGS['max_length']}, {SETTINGS['steps']} Adam steps of {SETTINGS['batch_size']} strings, "
          f"lr {SETTINGS['lr']}, H = {H} (bidirectional encoder of 2 x {H // 2}).")
    print(seq2seq.format_length_table(runs))
    for attention in (False, True):
        mean = np.mean([r.accuracy for r in runs if r.attention == attention], axis=0)
        print(f"mean over seeds, {'with attention' if attention else 'no attention':<14}  "
              + " ".join(f"{a:5.0%}" for a in mean))
    print(f"# {platform.python_version()}, numpy {np.__version__}, {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
