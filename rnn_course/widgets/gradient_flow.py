"""Lesson 3's widget: how far back a gradient reaches through an RNN.

Sliders set the recurrent weight scale (W_hh = scale * Q with Q orthogonal, so the scale is
both the spectral radius and the largest singular value), the sequence length, the input
size (how hard the inputs push tanh units into saturation) and the activation. Two panels
follow: ||dL/dh_t|| against the lag T - t on a log scale, with the bound scale ** lag beside
it, and a heat map of each hidden unit i's share of the gradient at every lag, log10 |dL/dh_t[i]|
relative to the largest unit's at that lag.

    w = gradient_flow_widget()
    w.sliders["scale"].value = 1.5      # the plotted data in w.data changes with it
    w                                   # the notebook displays it (w.widget is its layout)

:func:`draw_gradient_flow` draws the same two panels as a static figure.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import gradient_flow as gf
from .. import palette
from .live import LiveFigure, ShowsOffline

HIDDEN_SIZE = 32
#: Fixed log-axis limits. A gradient 1e16 times smaller than another is lost in float64
#: rounding when the two are added, so below 1e-16 a contribution no longer counts.
NORM_LIMITS = (1e-16, 1e16)
HEAT_LIMITS = (-3.0, 0.0)      # log10 of a unit's gradient relative to the largest unit's at the same lag


def flow_data(scale: float, T: int, activation: str = "tanh", input_scale: float = 1.0, *,
              hidden_size: int = HIDDEN_SIZE, seed: int = 0) -> dict:
    """What the panels show, from the real backward pass (:func:`gradient_flow.lag_gradient_norms`).

    Returns ``lags (T,)``, ``norms (T,)`` (index = lag), ``bound (T,)`` = (gamma * scale) ** lag,
    ``heat (H, T)`` = log10 |dL/dh_t[i]| with columns in lag order like the other panel (the
    loss's own step in column 0), floored so that an exactly zero gradient stays finite, and
    ``share (H, T)`` = log10 (|dL/dh_t[i]| / max_j |dL/dh_t[j]|), what the heat map draws: every
    column shares one geometric decay, which the curve shows, so the map shows each unit's part
    of the gradient at that lag (0: the unit carrying most; -3: a thousand times less).
    Gradients that fall below the smallest float64 become 0 (underflow is the right answer
    there, not an error).
    """
    W_hh = scale * gf.random_orthogonal(hidden_size, seed=seed)
    with np.errstate(under="ignore"):
        flow = gf.lag_gradient_norms(W_hh, T, activation, input_scale=input_scale, seed=seed)
        bound = gf.gradient_bound(W_hh, flow.lags, activation)
    tiny = np.finfo(np.float64).tiny
    heat = np.log10(np.maximum(flow.per_unit.T, tiny))
    share = heat - heat.max(axis=0, keepdims=True)
    return {"lags": flow.lags, "norms": flow.norms, "bound": bound, "heat": heat, "share": share,
            "rate": gf.fitted_rate(flow.norms), "saturation": float(flow.saturation.mean())}


def _positive(y):
    """Zeros (exact underflow, a dead ReLU) become NaN: not drawn on a log axis, no warning."""
    y = np.asarray(y, dtype=np.float64)
    return np.where(y > 0, y, np.nan)


def draw_gradient_flow(ax_norm, ax_heat, data: dict, *, title: str | None = None):
    """Draw both panels on the given axes; returns (norm line, bound line, heat image)."""
    norm_line, = ax_norm.plot(data["lags"], _positive(data["norms"]), color=palette.MODELS["RNN"], lw=2,
                              label="measured ||dL/dh_t||")
    bound_line, = ax_norm.plot(data["lags"], _positive(data["bound"]), color=palette.NEUTRAL, ls="--", lw=1.5,
                               label="bound (γ σ_max)^lag")
    ax_norm.set_yscale("log")
    ax_norm.set_ylim(*NORM_LIMITS)
    ax_norm.set_xlim(0, len(data["lags"]) - 1)
    ax_norm.set_xlabel("lag T - t (steps back from the loss)")
    ax_norm.set_ylabel("gradient norm")
    ax_norm.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax_norm.legend(loc="lower left", fontsize=8)
    if title:
        ax_norm.set_title(title, fontsize=10)
    heat = data["share"]
    image = ax_heat.imshow(heat, aspect="auto", origin="lower", cmap=palette.SEQUENTIAL_CMAP,
                           vmin=HEAT_LIMITS[0], vmax=HEAT_LIMITS[1], interpolation="nearest",
                           extent=(-0.5, heat.shape[1] - 0.5, -0.5, heat.shape[0] - 0.5))
    ax_heat.set_xlabel("lag T - t (steps back from the loss)")
    ax_heat.set_ylabel("hidden unit i")
    ax_heat.set_title("each unit's share: log10 |dL/dh_t[i]| / max_j |dL/dh_t[j]|", fontsize=9)
    return norm_line, bound_line, image


class GradientFlowWidget(ShowsOffline):
    """Sliders + a live two-panel figure. ``sliders`` and ``data`` are what tests read and set."""

    def __init__(self, scale: float = 1.0, T: int = 50, activation: str = "tanh", input_scale: float = 0.1,
                 *, seed: int = 0):
        self.seed = seed
        style = {"description_width": "170px"}
        layout = widgets.Layout(width="460px")
        self.sliders = {
            "scale": widgets.FloatSlider(value=scale, min=0.1, max=3.0, step=0.05, readout_format=".2f",
                                         description="W_hh scale (σ_max = ρ)", style=style, layout=layout,
                                         continuous_update=True),
            "T": widgets.IntSlider(value=T, min=5, max=200, step=1, description="sequence length T",
                                   style=style, layout=layout),
            "input_scale": widgets.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1,
                                               readout_format=".1f", description="input size (saturation)",
                                               style=style, layout=layout),
            "activation": widgets.ToggleButtons(options=["tanh", "relu"], value=activation,
                                                description="activation", style=style),
        }
        self.live = LiveFigure(figsize=(9.5, 3.6), ncols=2)
        self.live.figure.subplots_adjust(left=0.08, right=0.9, bottom=0.15, top=0.86, wspace=0.3)
        ax_norm, ax_heat = self.live.axes
        self.data = self._compute()
        self.norm_line, self.bound_line, self.image = draw_gradient_flow(ax_norm, ax_heat, self.data)
        self.live.figure.colorbar(self.image, ax=ax_heat, fraction=0.05)
        self.text = ax_norm.text(0.02, 0.97, "", transform=ax_norm.transAxes, ha="left", va="top", fontsize=8)
        self.live.animate(self.norm_line, self.bound_line, self.image, self.text)
        self._update_text()
        self.live.refresh(full=True)
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        controls = widgets.VBox([self.sliders[k] for k in ("scale", "T", "input_scale", "activation")])
        self.widget = widgets.VBox([controls, self.live.widget])

    def _compute(self) -> dict:
        s = self.sliders
        return flow_data(s["scale"].value, s["T"].value, s["activation"].value, s["input_scale"].value,
                         seed=self.seed)

    def _update_text(self):
        d = self.data
        measured = "all zero" if not np.any(d["norms"][1:] > 0) else f"{d['rate']:.2f}/step"
        self.text.set_text(f"bound: {d['bound'][1]:.2f}/step\nmeasured: {measured}\n"
                           f"saturation: {d['saturation']:.2f}")

    def _on_change(self, _change=None):
        old_T = len(self.data["lags"])
        self.data = d = self._compute()
        T = len(d["lags"])
        self.norm_line.set_data(d["lags"], _positive(d["norms"]))
        self.bound_line.set_data(d["lags"], _positive(d["bound"]))
        self.image.set_data(d["share"])
        self._update_text()
        full = T != old_T            # only the length moves the axes; then redraw them too
        if full:
            self.live.axes[0].set_xlim(0, T - 1)
            self.image.set_extent((-0.5, T - 0.5, -0.5, d["heat"].shape[0] - 0.5))
        self.live.refresh(full=full)


def gradient_flow_widget(**kwargs) -> GradientFlowWidget:
    """Build the widget; display ``.widget`` in a notebook."""
    return GradientFlowWidget(**kwargs)
