"""The computation graph of a vanilla RNN, folded (one cell with a loop) and unrolled over T steps.

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h),   y_t = W_hy h_t + b_y

Every arrow of one kind carries the same matrix, drawn in the same colour and labelled
with its name at every step: unrolling copies the cell, not its weights.
"""

from __future__ import annotations

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .. import palette

#: The colour of each weight matrix in the drawing (and in the lesson's text).
COLOURS = palette.WEIGHTS
LABELS = {"W_xh": "$W_{xh}$", "W_hh": "$W_{hh}$", "W_hy": "$W_{hy}$"}

_Y_X, _Y_H, _Y_Y = 0.0, 1.6, 3.2        # heights of the input, hidden and output rows
_R = 0.36                               # radius of a hidden-state circle


def _node(ax, x, y, text, kind):
    if kind == "h":
        ax.add_patch(Circle((x, y), _R, facecolor="#fde9c9", edgecolor="black", linewidth=1.2, zorder=2))
    else:
        face = "#e3eefa" if kind == "x" else "#e4f4e4"
        ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.26), 0.64, 0.52, boxstyle="round,pad=0.04",
                                    facecolor=face, edgecolor="black", linewidth=1.0, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=12, zorder=3)


def _arrow(ax, start, end, weight, *, label_at=None, connectionstyle="arc3", ha="left"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.6,
                                 color=COLOURS[weight], connectionstyle=connectionstyle, zorder=1))
    if label_at is not None:
        ax.text(*label_at, LABELS[weight], color=COLOURS[weight], fontsize=10, ha=ha, va="center", zorder=3)


def draw_unrolled(T: int = 4, ax=None, *, folded: bool = True):
    """Draw the RNN folded (optional) and unrolled over ``T`` steps; returns the figure.

    Text labels: x_1..x_T, h_0..h_T, y_1..y_T and one weight label per arrow, so a test can
    count T copies of each of W_xh, W_hh and W_hy (plus one each in the folded cell).
    """
    import matplotlib.pyplot as plt

    if T < 1:
        raise ValueError(f"T must be at least 1; got {T}.")
    width = 1.6 + 1.7 * T + (2.7 if folded else 0)        # data units, as set by the limits below
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.8 * width, 0.8 * 5.3))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    else:
        fig = ax.figure
    left = 0.0
    if folded:
        _node(ax, 0, _Y_X, "$x_t$", "x")
        _node(ax, 0, _Y_H, "$h_t$", "h")
        _node(ax, 0, _Y_Y, "$y_t$", "y")
        _arrow(ax, (0, _Y_X + 0.3), (0, _Y_H - _R), "W_xh", label_at=(0.12, (_Y_X + _Y_H) / 2))
        _arrow(ax, (0, _Y_H + _R), (0, _Y_Y - 0.3), "W_hy", label_at=(0.12, (_Y_H + _Y_Y) / 2))
        _arrow(ax, (_R * 0.8, _Y_H + _R * 0.6), (_R * 0.8, _Y_H - _R * 0.6), "W_hh",
               label_at=(0.5, _Y_H - 0.52), connectionstyle="arc3,rad=-2.2")
        ax.text(0, _Y_X - 0.75, "folded: one cell\nwith a loop", ha="center", va="top", fontsize=9)
        ax.text(1.55, _Y_H, "unroll\n=", ha="center", va="center", fontsize=13)
        left = 2.7
    step = 1.7
    xs = [left + step * t for t in range(T + 1)]         # xs[0] is h_0's column
    _node(ax, xs[0], _Y_H, "$h_0$", "h")
    ax.text(xs[0], _Y_H - _R - 0.15, "initial\nstate", ha="center", va="top", fontsize=8)
    for t in range(1, T + 1):
        x = xs[t]
        _node(ax, x, _Y_X, f"$x_{{{t}}}$", "x")
        _node(ax, x, _Y_H, f"$h_{{{t}}}$", "h")
        _node(ax, x, _Y_Y, f"$y_{{{t}}}$", "y")
        _arrow(ax, (x, _Y_X + 0.3), (x, _Y_H - _R), "W_xh", label_at=(x + 0.1, (_Y_X + _Y_H) / 2 - 0.05))
        _arrow(ax, (x, _Y_H + _R), (x, _Y_Y - 0.3), "W_hy", label_at=(x + 0.1, (_Y_H + _Y_Y) / 2 + 0.05))
        _arrow(ax, (xs[t - 1] + _R, _Y_H), (x - _R, _Y_H), "W_hh",
               label_at=((xs[t - 1] + x) / 2, _Y_H + 0.22), ha="center")
    ax.text((xs[1] + xs[-1]) / 2, _Y_X - 0.75,
            f"unrolled over T = {T} steps: the same $W_{{xh}}$, $W_{{hh}}$, $W_{{hy}}$ (and $b_h$, $b_y$) "
            "at every step", ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.8 if folded else xs[0] - 0.8, xs[-1] + 0.8)
    ax.set_ylim(_Y_X - 1.35, _Y_Y + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


__all__ = ["COLOURS", "draw_unrolled"]
