"""Lesson 4's gate explorer: one LSTM unit, twelve sliders, six traces redrawn live.

One unit (H = 1) reads a one-number input x_t (D = 1). Each of its four blocks has an
input weight, a recurrent weight and a bias, and each is a slider:

    i_t = sigma(W_xi x_t + W_hi h_{t-1} + b_i)      sliders "i_wx", "i_wh", "i_bias"
    f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f)      sliders "f_wx", "f_wh", "f_bias"
    g_t = tanh (W_xg x_t + W_hg h_{t-1} + b_g)      sliders "g_wx", "g_wh", "g_bias"
    o_t = sigma(W_xo x_t + W_ho h_{t-1} + b_o)      sliders "o_wx", "o_wh", "o_bias"
    c_t = f_t c_{t-1} + i_t g_t,   h_t = o_t tanh(c_t)

The unit runs through :func:`rnn_course.lstm.forward`; the figure is built once and a
slider move only swaps the traces' data and blits them (:class:`LiveFigure`).

    from rnn_course.widgets.gate_explorer import GateExplorer
    ex = GateExplorer()
    ex.sliders["f_bias"].value = 5
    ex.presets["remember the first pulse"].click()
    ex.widget          # display it in a notebook
    ex.data["c"]       # what the cell-state panel shows now
    ex.puzzle.value = "1. keep the first pulse, ignore the second"
    ex.puzzle_status.value   # what the puzzle still wants, updated on every move

While a puzzle is chosen, the input is the puzzle's: the input menu is greyed out and the
presets set the sliders only, so the traces always show what the status line checks.

Every computation runs with floating-point underflow allowed: a product of shut forget gates
is 0 (or a subnormal number), which is the right answer, not an error, even under
``np.seterr(all="raise")``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.gridspec import GridSpec

from .. import palette, puzzles
from ..puzzles import GATES, KINDS, LIMIT, SEQUENCES, STORE_STEP, T, params_from_values, run_unit, step_of
from .live import HoldRedraws, LiveFigure, ShowsOffline

GATE_TITLES = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate"}
SYMBOLS = {"i": ("W_xi", "W_hi", "b_i"), "f": ("W_xf", "W_hf", "b_f"),
           "g": ("W_xg", "W_hg", "b_g"), "o": ("W_xo", "W_ho", "b_o")}
COLORS = {name: palette.QUANTITY[name] for name in ("x", "i", "f", "g", "o", "c", "h")}
PANEL_TITLES = {"x": "input $x_t$", "i": "input gate $i_t$", "f": "forget gate $f_t$",
                "g": "candidate $g_t$", "o": "output gate $o_t$", "c": "cell state $c_t$",
                "h": "hidden state $h_t$"}
#: The cell-state panel is linear for |c| <= 1 (where the gates' work shows) and logarithmic
#: beyond, up to 100: |c_t| <= t (c_0 = 0, and each step adds at most 1), so the panel never needs
#: rescaling, and a slider move never costs a full redraw.
C_LINEAR, C_MAX = 1.0, 100.0


#: Lesson 4's puzzles (defined in :mod:`rnn_course.puzzles`), checked live under the sliders:
#: menu label -> (exercise name, its input).
PUZZLES = {puzzle.label: (puzzle.name, puzzle.sequence) for puzzle in puzzles.PUZZLES.values()}
NO_PUZZLE = "(none)"

#: One-click settings: (input to show, slider values; a slider not named is 0).
PRESETS = {
    "remember the first pulse": ("pulse", {"i_wx": 10, "i_bias": -5, "g_wx": 10, "f_bias": 10, "o_bias": 10}),
    "forget immediately": ("pulse", {"i_wx": 10, "i_bias": -5, "g_wx": 10, "f_bias": -10, "o_bias": 10}),
    "pass the input through": ("noise", {"i_bias": 10, "g_wx": 2, "f_bias": -10, "o_bias": 10}),
    "count pulses": ("two pulses", {"i_wx": 10, "i_bias": -5, "g_wx": 0.5, "f_bias": 10, "o_bias": 10}),
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(figure, top: float = 0.96):
    """Axes for x (top, full width) and the six traces, in the order the cell computes them."""
    grid = GridSpec(4, 2, figure=figure, height_ratios=(0.7, 1, 1, 1.7), hspace=0.75, wspace=0.22,
                    left=0.08, right=0.98, top=top, bottom=0.07)
    spots = {"x": grid[0, :], "i": grid[1, 0], "f": grid[1, 1], "g": grid[2, 0], "o": grid[2, 1],
             "c": grid[3, 0], "h": grid[3, 1]}
    axes = {}
    for name, spot in spots.items():
        ax = figure.add_subplot(spot, sharex=axes.get("x"))
        ax.set_title(PANEL_TITLES[name], fontsize=11, loc="left")
        ax.set_xlim(0, T - 1)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=9)
        axes[name] = ax
    for name in ("i", "f", "o"):
        axes[name].set_ylim(-0.05, 1.05)
    for name in ("x", "g", "h"):
        axes[name].set_ylim(-1.15, 1.15)
    axes["c"].set_yscale("symlog", linthresh=C_LINEAR, linscale=2.0)
    axes["c"].set_ylim(-C_MAX, C_MAX)
    ticks = [-100, -10, -1, 0, 1, 10, 100]
    axes["c"].set_yticks(ticks, [str(t) for t in ticks])
    axes["c"].set_yticks([], minor=True)
    axes["c"].set_title(PANEL_TITLES["c"] + r"   (linear for $|c_t| \leq 1$, log beyond)", fontsize=10, loc="left")
    for name in ("c", "h"):
        axes[name].set_xlabel("time step $t$", fontsize=10)
    return axes


def forget_readout(f) -> str:
    """What the forget gate does to the cell over many steps, readable where the trace is not.

    On the panel's linear axis f = 0.95 and f = 0.99995 draw the same line, yet with the first
    the cell keeps half of itself for about 14 steps and with the second for about 14,000. So
    the readout gives the median f over the run, 1 - f, and the half-life ln(1/2) / ln(f).
    """
    f_mid = float(np.median(np.asarray(f, dtype=np.float64)))
    gap = 1.0 - f_mid
    if gap <= 1e-15:
        return "median f = 1: the cell keeps everything"
    if f_mid <= 0.0:
        return "median f = 0: the cell is wiped at every step"
    half_life = np.log(0.5) / np.log(f_mid)
    held = f"half of c survives {half_life:,.0f} steps" if half_life >= 1.5 else "c is mostly gone after one step"
    digits = max(2, int(np.ceil(-np.log10(gap))) + 2)          # enough to show the first two digits of 1 - f
    return f"median f = {f_mid:.{digits}f}, 1 - f = {gap:.1e}: {held}"


def draw_traces(figure, data: dict, top: float = 0.96):
    """Draw a run's traces (from :func:`run_unit`) on ``figure``; returns ``(axes, lines, readout)``,
    ``readout`` the text of :func:`forget_readout` written in the forget gate's panel."""
    axes = _layout(figure, top)
    steps = np.arange(1, len(data["x"]) + 1)          # steps t = 1 .. T: the array entry [t-1] is step t
    lines = {}
    for name, ax in axes.items():
        lines[name], = ax.plot(steps, data[name], color=COLORS[name], linewidth=1.6)
    readout = axes["f"].text(0.98, 0.5, forget_readout(data["f"]), transform=axes["f"].transAxes, ha="right",
                             va="center", fontsize=8, color=COLORS["f"],
                             bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    return axes, lines, readout


def gate_figure(values: dict, sequence: str = "pulse", title: str | None = None):
    """A static (pyplot) figure of the unit's traces: what the explorer shows for ``values``."""
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(8, 6))
    draw_traces(figure, run_unit(values, sequence), top=0.9 if title else 0.96)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


class GateExplorer(HoldRedraws, ShowsOffline):
    """Sliders for one LSTM unit's twelve numbers, an input picker, presets, live traces.

    Attributes a test or a lesson can use:

    - ``sliders``: name -> ``FloatSlider`` (names in :data:`SLIDER_NAMES`, e.g. "f_bias")
    - ``sequence``: the ``Dropdown`` choosing the input (keys of :data:`SEQUENCES`); disabled
      while a puzzle is chosen (the puzzle sets the input)
    - ``presets``: description -> ``Button`` (keys of :data:`PRESETS`); a preset sets the
      sliders and its input, or only the sliders while a puzzle is chosen; ``reset``: all to 0
    - ``puzzle``: the ``Dropdown`` choosing a puzzle (keys of :data:`PUZZLES`) to check live;
      ``puzzle_status``: the ``HTML`` line saying what it still wants, or that it is solved
    - ``carousel``: an ``HTML`` line with :meth:`carousel_factor`, the product of the forget
      gates f_6 ... f_79 (how much gradient the cell path carries back from c_79 to c_5)
    - ``data``: what the panels show now, ``{"x", "i", "f", "g", "o", "c", "h"}`` (T,) each
    - ``lines``: the matplotlib lines, by the same names; ``live``: the :class:`LiveFigure`
    - ``widget``: the whole thing, to display
    """

    def __init__(self, sequence: str = "pulse", values: dict | None = None, *, continuous_update: bool = True):
        if sequence not in SEQUENCES:
            raise ValueError(f"unknown input {sequence!r}; choose one of {', '.join(SEQUENCES)}.")
        self._holding = False
        self.sliders = {}
        columns = []
        for gate in GATES:
            column = [widgets.HTML(f"<b>{GATE_TITLES[gate]} {gate}<sub>t</sub></b>")]
            for kind, symbol in zip(KINDS, SYMBOLS[gate]):
                slider = widgets.FloatSlider(
                    value=0.0, min=-LIMIT, max=LIMIT, step=0.1, description=symbol,
                    continuous_update=continuous_update, readout_format=".1f",
                    style={"description_width": "36px"}, layout=widgets.Layout(width="215px"))
                slider.observe(self._on_change, names="value")
                self.sliders[f"{gate}_{kind}"] = slider
                column.append(slider)
            columns.append(widgets.VBox(column))
        self.sequence = widgets.Dropdown(options=list(SEQUENCES), value=sequence, description="input",
                                         layout=widgets.Layout(width="230px"))
        self.sequence.observe(self._on_change, names="value")
        self.presets = {}
        for name in PRESETS:
            button = widgets.Button(description=name, tooltip=f"preset: {name}",
                                    layout=widgets.Layout(width="auto"))
            button.on_click(lambda _button, name=name: self.apply_preset(name))
            self.presets[name] = button
        self.reset = widgets.Button(description="all zero", tooltip="set every slider to 0",
                                    layout=widgets.Layout(width="auto"))
        self.reset.on_click(lambda _button: self.set_values({}))
        self.puzzle = widgets.Dropdown(options=[NO_PUZZLE, *PUZZLES], value=NO_PUZZLE, description="puzzle",
                                       layout=widgets.Layout(width="380px"))
        self.puzzle.observe(self._on_puzzle, names="value")
        self.puzzle_status = widgets.HTML("", layout=widgets.Layout(width="640px"))
        self.carousel = widgets.HTML("", layout=widgets.Layout(width="640px"))

        self.live = LiveFigure(figsize=(8, 6), dpi=80)
        self.data = run_unit(self.values(), self.sequence.value)
        self.axes, self.lines, self.forget_text = draw_traces(self.live.figure, self.data)
        self.live.animate(*self.lines.values(), self.forget_text)
        self.updates = 0
        if values:
            self.set_values(values)
        self.live.refresh(full=True)
        width, _ = self.live.canvas.get_width_height()
        self.live.widget.layout = widgets.Layout(width=f"{width}px")   # native size: sharp, and fits a screen

        controls = widgets.HBox([self.sequence, widgets.Label("presets:"), *self.presets.values(), self.reset],
                                layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self._show_carousel()
        self.widget = widgets.VBox([controls, widgets.HBox(columns), widgets.HBox([self.puzzle]),
                                    self.puzzle_status, self.carousel, self.live.widget])

    # -- reading and setting the numbers ---------------------------------------------------
    def values(self) -> dict:
        """The twelve slider values, by name."""
        return {name: slider.value for name, slider in self.sliders.items()}

    def params(self) -> dict:
        """The LSTM parameter dict of the current sliders (see :func:`params_from_values`)."""
        return params_from_values(self.values())

    def set_values(self, values: dict, sequence: str | None = None) -> None:
        """Set every slider (names left out go to 0) and optionally the input, with one redraw."""
        params_from_values(values)            # rejects unknown names before anything moves
        with self._hold():
            for name, slider in self.sliders.items():
                slider.value = float(np.clip(values.get(name, 0.0), -LIMIT, LIMIT))
            if sequence is not None:
                self.sequence.value = sequence

    def apply_preset(self, name: str) -> None:
        """Set the sliders (and the input, unless a puzzle is chosen: then it keeps the puzzle's)."""
        sequence, values = PRESETS[name]
        self.set_values(values, None if self.puzzle.value in PUZZLES else sequence)

    # -- redrawing ----------------------------------------------------------------------------
    def _on_change(self, _change) -> None:
        if not self._holding:
            self.update()

    def update(self) -> None:
        """Recompute the unit's run and redraw the traces (no new figure, no printing)."""
        self.data = run_unit(self.values(), self.sequence.value)
        for name, line in self.lines.items():
            line.set_ydata(self.data[name])
        self.forget_text.set_text(forget_readout(self.data["f"]))
        with np.errstate(under="ignore"):    # drawing traces that hold subnormal values (c ~ 1e-320)
            self.live.refresh()              # blit: the axes never change, only the traces
        self._check_puzzle()
        self._show_carousel()
        self.updates += 1

    def carousel_factor(self) -> float:
        """prod f_k over the steps after the pulse, k = 7 .. 80 (array positions STORE_STEP + 1 .. T - 1, 74
        factors): d c_80 / d c_6 along the cell path, c_6 being the cell at the pulse (position STORE_STEP).
        With every f_k near sigma(-10) the product is below 1e-300: 0 or subnormal."""
        with np.errstate(under="ignore"):
            return float(np.prod(self.data["f"][STORE_STEP + 1:]))

    def _show_carousel(self) -> None:
        lag = T - 1 - STORE_STEP
        pulse = step_of(STORE_STEP)
        self.carousel.value = (f"Cell path (section 6): a gradient at c<sub>{T}</sub> reaches c<sub>{pulse}"
                               f"</sub>, {lag} steps back, multiplied by &prod; f<sub>k</sub> over k = "
                               f"{pulse + 1} &hellip; {T} = <b>{self.carousel_factor():.3g}</b>")

    # -- the puzzles, checked as the sliders move -------------------------------------------------
    def _on_puzzle(self, change) -> None:
        chosen = change["new"] in PUZZLES
        # the puzzle owns the input while it is chosen, so the traces show what the status line checks
        self.sequence.disabled = chosen
        self.sequence.tooltip = "the puzzle sets the input; choose puzzle (none) to change it" if chosen else None
        if chosen:
            self.sequence.value = PUZZLES[change["new"]][1]     # reruns and rechecks
        self._check_puzzle()

    def _check_puzzle(self) -> None:
        """Say under the sliders what the chosen puzzle still wants (no printing, no progress file)."""
        if self.puzzle.value not in PUZZLES:
            self.puzzle_status.value = ""
            return
        puzzle = puzzles.PUZZLES[PUZZLES[self.puzzle.value][0]]
        name = puzzle.name
        problems = puzzle.problems(self.values())
        if problems:
            text = " ".join(p[0].upper() + p[1:] for p in problems)
            self.puzzle_status.value = f"<span style='color:#b35900'><b>Not yet.</b> {_escape(text)}</span>"
        else:
            function = puzzle.answer_function
            self.puzzle_status.value = ("<span style='color:#1a7f37'><b>Solved.</b> Hand it in: make "
                                        f"<code>{function}()</code> <code>return explorer.values()</code> and run "
                                        f"<code>check(\"{name}\", {function})</code>.</span>")


def preset_overview_figure():
    """A static (pyplot) row of panels: what each preset does to x_t, c_t and h_t on its input."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(PRESETS), figsize=(11, 2.7), sharey=True)
    for ax, (name, (sequence, values)) in zip(axes, PRESETS.items()):
        run = run_unit(values, sequence)
        steps = np.arange(1, len(run["x"]) + 1)
        ax.plot(steps, run["x"], color=COLORS["x"], linewidth=1, alpha=0.6, label="input $x_t$")
        ax.plot(steps, run["c"], color=COLORS["c"], linewidth=2, label="cell $c_t$")
        ax.plot(steps, run["h"], color=COLORS["h"], linewidth=1.4, linestyle="--", label="output $h_t$")
        ax.set_title(f"{name}\n(input: {sequence})", fontsize=9)
        ax.set_xlabel("time step $t$", fontsize=9)
        ax.set_ylim(-1.15, 1.15)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=9)
    axes[0].legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    return figure
