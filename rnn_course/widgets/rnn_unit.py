"""A one-unit RNN hit by a single input pulse: how long does it remember?

    h_t = tanh(w_hh h_{t-1} + w_xh x_t + b),   h_0 = 0,   x_t = 1 at t = PULSE_AT, else 0

Left panel: h_t against t, with the same unit run without the pulse (dashed) for
comparison. Right panel: the map h_{t-1} -> h_t = tanh(w_hh h_{t-1} + b) that applies
once the input is 0 again, with the diagonal h_t = h_{t-1}; where they cross, h stands
still (a fixed point). The staircase ("cobweb") follows the state after the pulse.

:func:`plot_regimes` draws four settings side by side (a static figure);
:func:`rnn_unit_explorer` is the same drawing with sliders for w_hh, w_xh and b. The
states come from :func:`rnn_course.rnn.forward`, so the widget shows exactly what the
package computes.
"""

from __future__ import annotations

import numpy as np

from .. import palette, rnn
from .live import HoldRedraws, ShowsOffline

T_STEPS = 30
PULSE_AT = 3                    # the pulse arrives at t = 3 (t counts from 1; h_0 is the start)
MAP_GRID = np.linspace(-1.0, 1.0, 201)
SLIDER_RANGES = {"w_hh": (-3.0, 3.0), "w_xh": (-3.0, 3.0), "b": (-2.0, 2.0)}
SLIDER_LABELS = {"w_hh": "recurrent weight w_hh", "w_xh": "input weight w_xh", "b": "bias b"}

#: Four settings that show the four behaviours (the pulse has height 1).
PRESETS = {
    "fades": {"w_hh": 0.6, "w_xh": 1.0, "b": 0.0},
    "persists": {"w_hh": 1.5, "w_xh": 1.0, "b": 0.0},
    "oscillates": {"w_hh": -1.5, "w_xh": 1.0, "b": 0.0},
    "saturates": {"w_hh": 3.0, "w_xh": 3.0, "b": 0.0},
}


def pulse_input(T: int = T_STEPS, pulse_at: int = PULSE_AT, height: float = 1.0) -> np.ndarray:
    """x of shape (T, 1, 1): zero except ``height`` at step ``pulse_at`` (counting from 1)."""
    if not 1 <= pulse_at <= T:
        raise ValueError(f"pulse_at must lie in 1..T = 1..{T}; got {pulse_at}.")
    x = np.zeros((T, 1, 1))
    x[pulse_at - 1] = height
    return x


def unit_params(w_hh: float, w_xh: float, b: float) -> dict:
    """The parameters of a one-unit RNN (D = H = 1) in the shapes :mod:`rnn_course.rnn` expects."""
    return {"W_xh": np.array([[float(w_xh)]]), "W_hh": np.array([[float(w_hh)]]), "b_h": np.array([float(b)])}


def unit_map(w_hh: float, b: float, h_prev=MAP_GRID) -> np.ndarray:
    """tanh(w_hh h_prev + b): the next state when the input is 0."""
    return np.tanh(w_hh * np.asarray(h_prev, dtype=np.float64) + b)


def cobweb(h_after: np.ndarray):
    """The staircase through (h_0', h_0'), (h_0', h_1'), (h_1', h_1'), ... for a trajectory h'."""
    h_after = np.asarray(h_after, dtype=np.float64)
    xs = np.repeat(h_after, 2)[:-1]     # up to the map at x = h_k, across to the diagonal at h_{k+1}
    ys = np.repeat(h_after, 2)[1:]
    return xs, ys


def describe(h, baseline, pulse_at: int = PULSE_AT) -> str:
    """Put the pulse's effect on h (h minus the no-pulse run) into words."""
    h, baseline = np.asarray(h, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    effect = (h - baseline)[pulse_at - 1:]
    peak = float(np.max(np.abs(effect)))
    if peak < 1e-3:
        return "the pulse barely moves h"
    end, earlier = abs(effect[-1]), abs(effect[-5])      # 4 steps apart: same phase of a 2-cycle
    if end < 0.1 * peak:
        words = "memory fades"
    elif end < 0.99 * earlier:
        words = "memory fades slowly"
    else:
        words = "memory persists"
    visible = effect[:12][np.abs(effect[:12]) > 1e-3 * peak]
    if np.count_nonzero(np.diff(np.sign(visible))) >= 2:
        words += ", oscillating"
    if np.min(np.abs(h[-5:])) > 0.99:                     # where it settles, not a passing peak
        words += "; saturated: |h| > 0.99, tanh' < 0.02"
    return words


def pulse_response(w_hh: float, w_xh: float, b: float, *, T: int = T_STEPS, pulse_at: int = PULSE_AT) -> dict:
    """Everything the figure shows for one setting, computed with :func:`rnn_course.rnn.forward`.

    Keys: ``t`` (1..T), ``x`` (T,), ``h`` (T,), ``baseline`` (T,: the same unit without the
    pulse), ``map_h``/``map_f`` (the map tanh(w_hh h + b)), ``cobweb_x``/``cobweb_y`` and ``label``.
    """
    params = unit_params(w_hh, w_xh, b)
    x = pulse_input(T, pulse_at)
    h = rnn.forward(params, x)[0][:, 0, 0]
    baseline = rnn.forward(params, np.zeros_like(x))[0][:, 0, 0]
    cx, cy = cobweb(h[pulse_at - 1:])
    return {"t": np.arange(1, T + 1), "x": x[:, 0, 0], "h": h, "baseline": baseline,
            "map_h": MAP_GRID, "map_f": unit_map(w_hh, b), "cobweb_x": cx, "cobweb_y": cy,
            "label": describe(h, baseline, pulse_at)}


def _frame(ax_time, ax_map, T: int = T_STEPS, pulse_at: int = PULSE_AT) -> None:
    """The parts of both panels that never change."""
    ax_time.axvspan(pulse_at - 0.5, pulse_at + 0.5, color=palette.YELLOW, alpha=0.35, linewidth=0)
    ax_time.text(pulse_at + 0.7, -1.08, "input pulse x = 1", fontsize=8, color=palette.STATES["x"])
    ax_time.axhline(0, color="gray", linewidth=0.6)
    ax_time.set(xlim=(0.5, T + 0.5), ylim=(-1.15, 1.15), xlabel="time step t", ylabel="hidden state $h_t$")
    ax_map.plot([-1, 1], [-1, 1], color="gray", linewidth=0.8, linestyle=":")
    ax_map.set_title("orange: $h_t$ = tanh($w_{hh} h_{t-1} + b$)\ndotted: $h_t = h_{t-1}$ (fixed points)",
                     fontsize=8)
    ax_map.axhline(0, color="gray", linewidth=0.4)
    ax_map.axvline(0, color="gray", linewidth=0.4)
    ax_map.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), aspect="equal",
               xlabel="$h_{t-1}$", ylabel="$h_t$ (input 0)")


def _artists(ax_time, ax_map, data: dict) -> dict:
    """The parts that depend on the weights, drawn from ``data``."""
    baseline, = ax_time.plot(data["t"], data["baseline"], color=palette.NEUTRAL, linestyle="--", linewidth=1,
                             label="no pulse")
    h_line, = ax_time.plot(data["t"], data["h"], color=palette.STATES["h"], marker="o", markersize=3,
                           label="with pulse")
    label = ax_time.text(0.0, 1.02, data["label"], transform=ax_time.transAxes, va="bottom", fontsize=9)
    map_line, = ax_map.plot(data["map_h"], data["map_f"], color=palette.MODELS["RNN"], label="tanh($w_{hh} h + b$)")
    web, = ax_map.plot(data["cobweb_x"], data["cobweb_y"], color=palette.STATES["h"], linewidth=0.9, alpha=0.8)
    return {"h": h_line, "baseline": baseline, "label": label, "map": map_line, "cobweb": web}


def plot_regimes(presets: dict | None = None, *, T: int = T_STEPS):
    """A static figure: one column per setting (default :data:`PRESETS`), h_t on top, the map below."""
    import matplotlib.pyplot as plt

    presets = PRESETS if presets is None else presets
    n = len(presets)
    fig, axes = plt.subplots(2, n, figsize=(3.2 * n, 6.2), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 1.1]})
    for col, (name, w) in enumerate(presets.items()):
        ax_time, ax_map = axes[0, col], axes[1, col]
        _frame(ax_time, ax_map, T)
        data = pulse_response(w["w_hh"], w["w_xh"], w["b"], T=T)
        artists = _artists(ax_time, ax_map, data)
        artists["label"].set_text(data["label"].replace("; ", "\n"))
        artists["label"].set_fontsize(8)
        ax_time.set_title(f"{name}: $w_{{hh}}$ = {w['w_hh']:g}, $w_{{xh}}$ = {w['w_xh']:g}, b = {w['b']:g}",
                          fontsize=10, pad=26)
        if col:
            ax_time.set_ylabel("")
            ax_map.set_ylabel("")
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.88, wspace=0.28, hspace=0.55)
    return fig


class RNNUnitExplorer(HoldRedraws, ShowsOffline):
    """Sliders for w_hh, w_xh and b driving :func:`pulse_response`, drawn in a :class:`LiveFigure`.

    ``sliders``: name -> FloatSlider; ``presets``: name -> Button; ``data``: what is drawn now
    (read back from the figure's artists); ``widget``: the layout to display.
    """

    def __init__(self, w_hh: float = 0.6, w_xh: float = 1.0, b: float = 0.0, *, T: int = T_STEPS):
        import ipywidgets as widgets

        from .live import LiveFigure

        self.T = T
        self._holding = False
        start = {"w_hh": w_hh, "w_xh": w_xh, "b": b}
        self.sliders = {
            name: widgets.FloatSlider(value=start[name], min=lo, max=hi, step=0.05, description=SLIDER_LABELS[name],
                                      continuous_update=True, readout_format=".2f",
                                      style={"description_width": "150px"}, layout=widgets.Layout(width="420px"))
            for name, (lo, hi) in SLIDER_RANGES.items()
        }
        self.presets = {name: widgets.Button(description=name, layout=widgets.Layout(width="100px"))
                        for name in PRESETS}
        for name, button in self.presets.items():
            button.on_click(lambda _button, name=name: self.apply_preset(name))

        self.live = LiveFigure(figsize=(9.5, 3.6), dpi=80)
        fig = self.live.figure
        grid = fig.add_gridspec(1, 2, width_ratios=[2.3, 1])
        ax_time, ax_map = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        _frame(ax_time, ax_map, T)
        self._data = pulse_response(w_hh, w_xh, b, T=T)
        self.artists = _artists(ax_time, ax_map, self._data)
        ax_time.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False,
                       borderaxespad=0.1)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.25)
        self.live.animate(*self.artists.values())

        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox(list(self.sliders.values())),
                          widgets.VBox([widgets.Label("Try a setting:"),
                                        widgets.HBox(list(self.presets.values())[:2]),
                                        widgets.HBox(list(self.presets.values())[2:])])]),
            self.live.widget,
        ])
        self.update()

    @property
    def values(self) -> dict:
        return {name: float(s.value) for name, s in self.sliders.items()}

    @property
    def data(self) -> dict:
        """What the figure shows now, read from its artists (plus the full computed record)."""
        out = dict(self._data)
        out["h_drawn"] = np.asarray(self.artists["h"].get_ydata(), dtype=np.float64)
        out["baseline_drawn"] = np.asarray(self.artists["baseline"].get_ydata(), dtype=np.float64)
        out["map_drawn"] = np.asarray(self.artists["map"].get_ydata(), dtype=np.float64)
        out["label_drawn"] = self.artists["label"].get_text()
        return out

    def apply_preset(self, name: str) -> None:
        with self._hold():
            for key, value in PRESETS[name].items():
                self.sliders[key].value = value

    def _on_change(self, _change) -> None:
        if not self._holding:
            self.update()

    def update(self) -> None:
        v = self.values
        self._data = d = pulse_response(v["w_hh"], v["w_xh"], v["b"], T=self.T)
        self.artists["h"].set_ydata(d["h"])
        self.artists["baseline"].set_ydata(d["baseline"])
        self.artists["map"].set_ydata(d["map_f"])
        self.artists["cobweb"].set_data(d["cobweb_x"], d["cobweb_y"])
        self.artists["label"].set_text(d["label"])
        self.live.refresh()


def rnn_unit_explorer(w_hh: float = 0.6, w_xh: float = 1.0, b: float = 0.0, *, T: int = T_STEPS) -> RNNUnitExplorer:
    """The one-unit RNN with sliders; display the returned object (or its ``.widget``)."""
    return RNNUnitExplorer(w_hh, w_xh, b, T=T)


__all__ = ["PRESETS", "RNNUnitExplorer", "cobweb", "describe", "plot_regimes", "pulse_input", "pulse_response",
           "rnn_unit_explorer", "unit_map", "unit_params"]
