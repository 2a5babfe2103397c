"""Lesson 1's pictures: one neuron over the input plane, and a small network learning.

**One neuron**, a = act(w1 x1 + w2 x2 + b). Two panels: left, its output over the square
[-0.5, 1.5]^2 with the line where z = w1 x1 + w2 x2 + b = 0 and the four XOR corners; right,
the activation curve a(z) with those corners placed on it. The neuron says "1" where z > 0
(sigmoid above 0.5, tanh above 0, ReLU above 0), so the figure also counts how many corners
it gets right: never all four, since no straight line separates XOR.
``plot_neuron(...)`` draws the static figure, ``neuron_explorer(...)`` the live one::

    w = neuron_explorer()
    w.sliders["b"].value = -1.5   # the line moves; w.data["output"] changes
    w.widget                      # the layout to display

**Training**: ``plot_regions`` draws a trained :mod:`rnn_course.mlp` network's decision regions,
``plot_training_snapshots`` a few moments of training side by side, and ``training_explorer``
puts a slider over the recorded steps.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import FancyArrowPatch

from .. import activations, mlp, palette
from ..mlp import XOR_X, XOR_Y
from .live import LiveFigure, ShowsOffline

LIMITS = (-0.5, 1.5)
Z_RANGE = (-6.0, 6.0)
N_GRID = 81
SLIDER_RANGE = (-5.0, 5.0)
#: Colour limits of the output image: the activation's range (ReLU's is cut at 3 for display).
OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0)}
CURVE_YLIM = {"sigmoid": (-0.1, 1.1), "tanh": (-1.15, 1.15), "relu": (-0.3, 6.3)}

_xs = np.linspace(*LIMITS, N_GRID)
_gx, _gy = np.meshgrid(_xs, _xs)
_curve_z = np.linspace(*Z_RANGE, 241)
_labels = XOR_Y[:, 0]


def neuron_state(w1: float, w2: float, b: float, activation: str = "sigmoid") -> dict:
    """Everything the figure shows for one setting of the neuron, as arrays.

    ``output`` (N_GRID, N_GRID): a over the plane (rows follow x2); ``boundary``: (x1s, x2s)
    of the line z = 0 inside the square (empty when w1 = w2 = 0); ``arrow``: :func:`weight_arrow`;
    ``z_points``/``a_points``: the four XOR corners' weighted sums and outputs; ``curve``: (z, a(z));
    ``correct``: how many corners land on their label's side of z = 0.
    """
    act, _ = activations.get(activation)
    output = act(w1 * _gx + w2 * _gy + b)
    z_points = XOR_X @ np.array([w1, w2]) + b
    return {"output": output, "boundary": boundary_line(w1, w2, b), "arrow": weight_arrow(w1, w2, b),
            "z_points": z_points, "a_points": act(z_points), "curve": (_curve_z, act(_curve_z)),
            "correct": int(np.sum((z_points > 0) == (_labels > 0.5)))}


def weight_arrow(w1: float, w2: float, b: float, length: float = 0.35):
    """(start, end) of an arrow along w, starting on the line z = 0 at its point nearest the square's
    centre: it points towards larger z, i.e. uphill. None when w1 = w2 = 0."""
    w = np.array([w1, w2], dtype=float)
    norm = float(np.hypot(w1, w2))
    if norm == 0:
        return None
    centre = np.full(2, sum(LIMITS) / 2)
    foot = centre - (w @ centre + b) / norm**2 * w          # projection of the centre onto the line
    return tuple(foot), tuple(foot + length * w / norm)


def boundary_line(w1: float, w2: float, b: float):
    """Two end points (x1s, x2s) of the line w1 x1 + w2 x2 + b = 0 across the square, or empty arrays."""
    lo, hi = LIMITS
    if abs(w2) >= abs(w1) and w2 != 0:          # not steep: solve for x2 at both ends of x1
        x1 = np.array([lo, hi])
        return x1, -(w1 * x1 + b) / w2
    if w1 != 0:                                  # steep: solve for x1 at both ends of x2
        x2 = np.array([lo, hi])
        return -(w2 * x2 + b) / w1, x2
    return np.array([]), np.array([])


def _build(fig):
    """Axes and artists of the two panels, drawn in ``fig``; returns the artists to update."""
    ax_plane, ax_curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    image = ax_plane.imshow(np.zeros((N_GRID, N_GRID)), origin="lower", extent=(*LIMITS, *LIMITS),
                            cmap=palette.DIVERGING_CMAP, vmin=0, vmax=1, aspect="equal")
    line, = ax_plane.plot([], [], color="black", linewidth=2, label="z = 0")
    arrow = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", mutation_scale=14, color="black", linewidth=1.5,
                            zorder=4)
    ax_plane.add_patch(arrow)
    arrow_label = ax_plane.text(0, 0, "$\\mathbf{w}$", ha="center", va="center", fontsize=11, zorder=4)
    corners = []
    for label, marker, face, name in ((0, "o", "white", "XOR = 0"), (1, "s", "black", "XOR = 1")):
        pts = XOR_X[_labels == label]
        corners.append(ax_plane.scatter(pts[:, 0], pts[:, 1], marker=marker, s=90, facecolor=face, edgecolor="black",
                                        linewidth=1.5, zorder=3, label=name))
    ax_plane.set_xlim(LIMITS)
    ax_plane.set_ylim(LIMITS)
    ax_plane.set_xlabel("input $x_1$")
    ax_plane.set_ylabel("input $x_2$")
    ax_plane.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8, frameon=False)
    score = ax_plane.text(0.5, 1.03, "", transform=ax_plane.transAxes, ha="center", fontsize=10)

    curve, = ax_curve.plot([], [], color=palette.CURVE, linewidth=2)
    ax_curve.axvline(0, color="black", linewidth=2)
    ax_curve.axhline(0, color="gray", linewidth=0.8)
    dots = [ax_curve.plot([], [], marker, markersize=9, markerfacecolor=face, markeredgecolor="black",
                          markeredgewidth=1.5, linestyle="none")[0]
            for marker, face in (("o", "white"), ("s", "black"))]
    ax_curve.set_xlim(Z_RANGE)
    ax_curve.set_xlabel("weighted sum $z = w_1 x_1 + w_2 x_2 + b$")
    ax_curve.set_ylabel("output $a$")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.24, top=0.88, wspace=0.3)
    return {"ax_plane": ax_plane, "ax_curve": ax_curve, "image": image, "line": line, "score": score,
            "curve": curve, "dots": dots, "corners": corners, "arrow": arrow,
            "arrow_label": arrow_label}


def _draw(artists: dict, state: dict, activation: str) -> None:
    """Put ``state`` into the artists (data only, plus the limits that depend on the activation)."""
    artists["image"].set_data(state["output"])
    artists["image"].set_clim(*OUTPUT_RANGE[activation])
    artists["line"].set_data(*state["boundary"])
    for artist in (artists["arrow"], artists["arrow_label"]):
        artist.set_visible(state["arrow"] is not None)
    if state["arrow"] is not None:
        start, end = np.array(state["arrow"])
        artists["arrow"].set_positions(tuple(start), tuple(end))
        artists["arrow_label"].set_position(tuple(end + 0.35 * (end - start)))
    artists["curve"].set_data(*state["curve"])
    z = np.clip(state["z_points"], *Z_RANGE)           # corners beyond the axis sit at its edge
    a = activations.get(activation)[0](z)
    for dot, label in zip(artists["dots"], (0, 1)):
        dot.set_data(z[_labels == label], a[_labels == label])
    artists["score"].set_text(f"corners on the right side of z = 0: {state['correct']} of 4")
    artists["ax_curve"].set_ylim(*CURVE_YLIM[activation])
    artists["ax_curve"].set_title(f"the corners on the curve a = {activation}(z)", fontsize=10)
    capped = " (colours capped at 3)" if activation == "relu" else ""
    artists["ax_plane"].set_title(f"output a = {activation}(z) over the plane{capped}", fontsize=10, pad=18)


def plot_neuron(w1: float = 1.0, w2: float = 1.0, b: float = -0.5, activation: str = "sigmoid",
                figsize=(9, 4)):
    """The static figure of one neuron (pyplot, so it shows inline and on GitHub)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    _draw(_build(fig), neuron_state(w1, w2, b, activation), activation)
    return fig


class NeuronExplorer(ShowsOffline):
    """Sliders for w1, w2 and b, buttons for the activation, and the live two-panel figure.

    ``sliders``: ``{"w1", "w2", "b"}`` FloatSliders and ``"activation"`` ToggleButtons;
    ``data``: :func:`neuron_state` of what is drawn now; ``widget``: the layout to display.
    """

    def __init__(self, w1: float = 1.0, w2: float = 1.0, b: float = -0.5, activation: str = "sigmoid"):
        def slider(name, value):
            return widgets.FloatSlider(value=value, min=SLIDER_RANGE[0], max=SLIDER_RANGE[1], step=0.1,
                                       description=name, continuous_update=True, readout_format=".1f",
                                       style={"description_width": "80px"}, layout=widgets.Layout(width="360px"))

        self.sliders = {"w1": slider("weight w₁", w1), "w2": slider("weight w₂", w2), "b": slider("bias b", b),
                        "activation": widgets.ToggleButtons(options=["sigmoid", "tanh", "relu"],
                                                            value=activation, description="activation",
                                                            style={"description_width": "80px",
                                                                   "button_width": "80px"})}
        self.live = LiveFigure(figsize=(9, 4))
        self.artists = _build(self.live.figure)
        # Animated artists are drawn over the static background in this order: the corners go
        # after the image that changes under them, or the image would cover them.
        a = self.artists
        self.live.animate(a["image"], a["line"], a["arrow"], a["arrow_label"], *a["corners"],
                          a["curve"], *a["dots"], a["score"])
        self._activation = None
        self.data: dict = {}
        for control in self.sliders.values():
            control.observe(self._update, names="value")
        controls = widgets.VBox([self.sliders["activation"], self.sliders["w1"], self.sliders["w2"],
                                 self.sliders["b"]])
        self.widget = widgets.VBox([controls, self.live.widget])
        self._update()

    def _update(self, change=None) -> None:
        s = self.sliders
        activation = s["activation"].value
        self.data = neuron_state(s["w1"].value, s["w2"].value, s["b"].value, activation)
        _draw(self.artists, self.data, activation)
        full = activation != self._activation          # titles and limits changed: redraw the background
        self._activation = activation
        self.live.refresh(full=full)


def neuron_explorer(**initial) -> NeuronExplorer:
    """The live neuron: ``neuron_explorer(w1=1, w2=1, b=-0.5, activation="sigmoid")``."""
    return NeuronExplorer(**initial)


# --- decision regions of a trained network, and how they grow during training -----------

REGION_LIM = 1.25


def region_grid(params: dict, activation: str = "tanh", n: int = 80):
    """p = the network's probability of class 1 over the square [-REGION_LIM, REGION_LIM]^2, shape (n, n)."""
    _, _, points = mlp.grid((-REGION_LIM, REGION_LIM), (-REGION_LIM, REGION_LIM), n)
    return mlp.predict_proba(params, points, activation)[:, 0].reshape(n, n)


def _regions_axes(ax, X, Y, proba):
    """Draw p over the plane (red: class 1, blue: class 0) with the data on top; returns (image, points)."""
    extent = (-REGION_LIM, REGION_LIM, -REGION_LIM, REGION_LIM)
    image = ax.imshow(proba, origin="lower", extent=extent, cmap=palette.DIVERGING_CMAP, vmin=0, vmax=1, alpha=0.55)
    labels = np.asarray(Y)[:, 0] > 0.5
    points = [ax.scatter(X[~labels, 0], X[~labels, 1], s=14, c=palette.CLASSES[0], edgecolor="black", linewidth=0.4,
                         label="class 0"),
              ax.scatter(X[labels, 0], X[labels, 1], s=14, c=palette.CLASSES[1], edgecolor="black", linewidth=0.4,
                         label="class 1")]
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return image, points


def plot_regions(ax, params: dict, X, Y, *, activation: str = "tanh", title=None):
    """Static decision regions of a two-layer network (:mod:`rnn_course.mlp` parameters) with its data,
    and the line where p = 0.5."""
    proba = region_grid(params, activation)
    _regions_axes(ax, X, Y, proba)
    xs = np.linspace(-REGION_LIM, REGION_LIM, proba.shape[0])
    if proba.min() < 0.5 < proba.max():
        ax.contour(xs, xs, proba, levels=[0.5], colors="black", linewidths=1.2)
    accuracy = mlp.accuracy(params, X, Y, activation)
    ax.set_title(title if title is not None else f"accuracy {accuracy:.0%}", fontsize=10)
    return accuracy


def plot_training_snapshots(snapshots, X, Y, steps, *, activation: str = "tanh", figsize=None):
    """Decision regions at a few of the recorded training steps, side by side (the static figure)."""
    import matplotlib.pyplot as plt

    found = dict(snapshots)
    missing = [s for s in steps if s not in found]
    if missing:
        raise ValueError(f"no snapshot at step(s) {missing}; recorded steps: {sorted(found)}.")
    fig, axes = plt.subplots(1, len(steps), figsize=figsize or (2.6 * len(steps), 2.9))
    for ax, step in zip(np.atleast_1d(axes), steps):
        accuracy = mlp.accuracy(found[step], X, Y, activation)
        plot_regions(ax, found[step], X, Y, activation=activation, title=f"step {step}: {accuracy:.0%} right")
    fig.tight_layout()
    return fig


class TrainingExplorer(ShowsOffline):
    """A slider over recorded training steps: the decision regions then, and where that is on the loss curve.

    ``sliders["step"]`` (a SelectionSlider over the recorded steps); ``data``: ``{"step", "proba"
    (n, n), "accuracy", "loss"}`` of what is drawn now; ``widget``: the layout to display.
    """

    def __init__(self, snapshots, losses, X, Y, *, activation: str = "tanh"):
        if not snapshots:
            raise ValueError("snapshots is empty; train with snapshot_every=... to record some.")
        self.X, self.Y, self.activation = np.asarray(X), np.asarray(Y), activation
        self.steps = [step for step, _ in snapshots]
        self.grids = {step: region_grid(params, activation) for step, params in snapshots}
        self.accuracies = {step: mlp.accuracy(params, X, Y, activation) for step, params in snapshots}
        self.losses = np.asarray(losses, dtype=float)

        self.live = LiveFigure(figsize=(8.5, 3.6))
        ax_regions, ax_loss = self.live.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
        self.image, points = _regions_axes(ax_regions, self.X, self.Y, self.grids[self.steps[0]])
        self.title = ax_regions.text(0.5, 1.03, "", transform=ax_regions.transAxes, ha="center", fontsize=10)
        ax_loss.plot(np.arange(len(self.losses)), self.losses, color=palette.CURVE)
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("loss (cross-entropy)")
        self.marker = ax_loss.axvline(0, color="black", linestyle="--")
        self.dot, = ax_loss.plot([], [], "o", color="black")
        self.live.figure.subplots_adjust(left=0.04, right=0.97, bottom=0.15, top=0.9, wspace=0.25)
        self.live.animate(self.image, *points, self.title, self.marker, self.dot)   # points over the image

        self.sliders = {"step": widgets.SelectionSlider(options=self.steps, value=self.steps[-1],
                                                        description="after step", continuous_update=True,
                                                        layout=widgets.Layout(width="480px"))}
        self.sliders["step"].observe(self._update, names="value")
        self.data: dict = {}
        self.widget = widgets.VBox([self.sliders["step"], self.live.widget])
        self._update()

    def _loss_at(self, step: int) -> float:
        return float(self.losses[min(step, len(self.losses) - 1)])

    def _update(self, change=None) -> None:
        step = self.sliders["step"].value
        self.data = {"step": step, "proba": self.grids[step], "accuracy": self.accuracies[step],
                     "loss": self._loss_at(step)}
        self.image.set_data(self.data["proba"])
        self.title.set_text(f"after {step} steps: {self.data['accuracy']:.0%} of the points right")
        self.marker.set_xdata([step, step])
        self.dot.set_data([step], [self.data["loss"]])
        self.live.refresh()


def training_explorer(snapshots, losses, X, Y, *, activation: str = "tanh") -> TrainingExplorer:
    """The live view of training: ``training_explorer(snapshots, losses, X, Y)`` (from :func:`mlp.train`)."""
    return TrainingExplorer(snapshots, losses, X, Y, activation=activation)
