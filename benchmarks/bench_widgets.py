"""Kernel time of one slider move in the lessons' widgets, and of the alternatives we rejected.

    python benchmarks/bench_widgets.py [--repeat 60]

For lesson 4's gate explorer it times, in milliseconds (wall-clock median and 90th
percentile, and the process's CPU time, which other programs on a busy machine disturb less):

- a slider move as the learner makes it (``slider.value = v``: observe callback, rerun
  the LSTM unit, swap the traces' data, blit, encode the PNG for the Image widget), without
  and with a puzzle chosen (its check then reruns the unit on the puzzle's input);
- its parts: the LSTM run alone, the blit + PNG encode alone;
- a full redraw, which happens once, when the explorer is built (its axes never change);
- the same frame with ipympl (``%matplotlib widget``): ``set_ydata`` then the full Agg
  draw and diff-image encode the kernel does when the front end asks for a redraw. ipympl is
  not a course dependency (no lesson uses it); this line is measured only where it is
  installed (``.venv/bin/pip install ipympl``);
- the same frame re-rendered as an inline PNG into an ``Output`` widget (``savefig``).

Then one slider move of each other lesson's widget that exists (neuron, rnn_unit,
gradient_flow): every class in those modules that builds with no arguments and exposes
``sliders``. Only kernel time is measured here; what the browser adds is measured by the
Playwright tests in ``tests/browser``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import os
import platform
import time

import numpy as np


def _stats(times) -> str:
    wall, cpu = np.asarray(times).T
    return (f"wall median {np.median(wall):6.1f} ms  p90 {np.percentile(wall, 90):6.1f} ms   "
            f"CPU median {np.median(cpu):6.1f} ms   (n={len(wall)})")


def _time_each(fn, args):
    """(wall, CPU) milliseconds of each call; CPU time is less disturbed by other processes."""
    out = []
    for a in args:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(a)
        out.append(((time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000))
    return out


def bench_gate_explorer(repeat: int) -> dict:
    from rnn_course.widgets import gate_explorer as gx

    ex = gx.GateExplorer()
    ex.presets["remember the first pulse"].click()
    # values that keep |c| inside one range of the c panel: the common case while dragging
    sweep = [round(v, 1) for v in np.linspace(2.0, 10.0, repeat)]
    results = {}
    results["slider move (LiveFigure, blit)"] = _time_each(lambda v: setattr(ex.sliders["f_bias"], "value", v),
                                                           sweep)
    values = ex.values()
    results["  of which: LSTM unit run"] = _time_each(lambda v: gx.run_unit({**values, "f_bias": v}, "pulse"),
                                                      sweep)
    results["  of which: blit + PNG encode"] = _time_each(lambda _: ex.live.png(), sweep)
    ex.puzzle.value = next(iter(gx.PUZZLES))             # the live puzzle check runs on every move too
    ex.sequence.value = "pulse"
    results["slider move with a puzzle chosen"] = _time_each(
        lambda v: setattr(ex.sliders["f_bias"], "value", v), sweep)
    ex.puzzle.value = gx.NO_PUZZLE
    results["  full redraw (only when built)"] = _time_each(lambda _: ex.live.png(full=True), sweep[:10])
    results.update(_bench_alternatives(gx, sweep))
    return results


def _bench_alternatives(gx, sweep) -> dict:
    values = gx.PRESETS["remember the first pulse"][1]
    return {**_bench_ipympl(gx, sweep, values), **_bench_inline(gx, sweep, values)}


def _bench_ipympl(gx, sweep, values) -> dict:
    try:
        import matplotlib

        matplotlib.use("module://ipympl.backend_nbagg")
        import matplotlib.pyplot as plt
    except Exception as err:  # ipympl not installed (it is no course dependency) or unusable here
        return {f"ipympl: not measured ({type(err).__name__}; `pip install ipympl` to measure it)": []}
    results = {}
    fig = plt.figure(figsize=(8, 6), dpi=80)
    axes, lines, _ = gx.draw_traces(fig, gx.run_unit(values, "pulse"))
    canvas = fig.canvas
    canvas.syncing_data_url = False          # as once a front end has connected
    canvas.draw()

    def ipympl_frame(v):
        data = gx.run_unit({**values, "f_bias": v}, "pulse")
        for name, line in lines.items():
            line.set_ydata(data[name])
        canvas.draw_idle()                   # asks the front end, which calls back handle_draw:
        canvas.draw()                        # full Agg draw + diff image + send, in the kernel

    results["ipympl: set_ydata + draw (diff image)"] = _time_each(ipympl_frame, sweep)
    plt.close(fig)
    return results


def _bench_inline(gx, sweep, values) -> dict:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 6), dpi=80)
    FigureCanvasAgg(fig)
    axes, lines, _ = gx.draw_traces(fig, gx.run_unit(values, "pulse"))

    def inline_frame(v):
        data = gx.run_unit({**values, "f_bias": v}, "pulse")
        for name, line in lines.items():
            line.set_ydata(data[name])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")       # what an Output widget + inline backend re-renders
        return buf.getvalue()

    return {"inline PNG into an Output widget": _time_each(inline_frame, sweep)}


def bench_other_widgets(repeat: int) -> dict:
    import ipywidgets as widgets

    results = {}
    for module_name in ("neuron", "rnn_unit", "gradient_flow"):
        try:
            module = importlib.import_module(f"rnn_course.widgets.{module_name}")
        except ImportError:
            results[f"{module_name}: not there yet"] = []
            continue
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            try:
                explorer = cls()
            except Exception:  # needs arguments (e.g. recorded training runs): not a slider widget to time
                continue
            sliders = getattr(explorer, "sliders", None)
            if not isinstance(sliders, dict):
                continue
            name, slider = next(((n, s) for n, s in sliders.items() if isinstance(s, widgets.FloatSlider)),
                                (None, None))
            if slider is None:
                continue
            sweep = np.linspace(slider.min, slider.max, repeat)
            results[f"{module_name}.{cls_name}: slider {name!r}"] = _time_each(
                lambda v, s=slider: setattr(s, "value", float(v)), sweep)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=60)
    a = ap.parse_args()
    import matplotlib

    print(f"numpy {np.__version__}, matplotlib {matplotlib.__version__}, python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print("kernel time per slider move (no browser):")
    results = {}
    results.update(bench_other_widgets(a.repeat))       # before ipympl takes over pyplot
    results = {**bench_gate_explorer(a.repeat), **results}
    width = max(len(k) for k in results)
    for name, times in results.items():
        print(f"  {name:{width}s}  {_stats(times) if times else ''}")


if __name__ == "__main__":
    main()
