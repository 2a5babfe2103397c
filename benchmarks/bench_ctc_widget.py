"""Kernel time of one slider move in lesson 8's CTC reader widget.

    python benchmarks/bench_ctc_widget.py [--repeat 40]

Builds the widget on 40 held-out lines with a reader of lesson 8's size, freshly initialised
(its outputs spread over many symbols, so the beam search keeps the most prefixes alive: the slow
case), then times moves of each slider: a new line at beam width 16 (the widest), and every beam
width on one line. A move decodes the line greedily and with the beam, blits the changed artists
and encodes the PNG. Prints the wall-clock median and 90th percentile and the CPU time, in ms.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rnn_course import handwriting as hw
from rnn_course.widgets.ctc_reader import ctc_reader_widget


def _time(moves) -> str:
    wall, cpu = [], []
    for move in moves:
        start, start_cpu = time.perf_counter(), time.process_time()
        move()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return (f"wall median {np.median(wall):6.1f} ms  p90 {np.percentile(wall, 90):6.1f} ms   "
            f"CPU median {np.median(cpu):6.1f} ms   (n={len(wall)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    images, digits = hw.load_digits()
    _, test = hw.split_images(len(images))
    lines = hw.make_lines(images, digits, test, 40, seed=12345)
    params = hw.init_reader(seed=0)
    w = ctc_reader_widget(params, lines, beam_width=16)
    slider_line, slider_beam = w.sliders["line"], w.sliders["beam"]
    moves_line = [lambda i=i: setattr(slider_line, "value", (i + 1) % 40) for i in range(args.repeat)]
    print("line slider, beam width 16:", _time(moves_line))
    moves_beam = [lambda i=i: setattr(slider_beam, "value", 1 + (i % 16)) for i in range(args.repeat)]
    print("beam slider, widths 1..16: ", _time(moves_beam))


if __name__ == "__main__":
    main()
