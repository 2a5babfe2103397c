"""A drawn LSTM cell whose labels are the names in the equations (lesson 4).

    i_t = sigma(W_xi x_t + W_hi h_{t-1} + b_i)      f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f)
    g_t = tanh (W_xg x_t + W_hg h_{t-1} + b_g)      o_t = sigma(W_xo x_t + W_ho h_{t-1} + b_o)
    c_t = f_t * c_{t-1} + i_t * g_t                 h_t = o_t * tanh(c_t)

The cell state runs along the top, touched only by one multiplication (the forget gate)
and one addition (what the input gate lets in); the gates sit below, each reading
h_{t-1} and x_t. Colours match the gate explorer's traces.
"""

from __future__ import annotations

from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .. import palette

COLORS = {**palette.GATES, "c": palette.STATES["c"], "h": palette.STATES["h"]}

#: Where each part sits, in the diagram's own units (x 0..13, y 0..7).
CELL_Y, BUS_Y, GATE_Y, OUT_Y = 5.4, 1.7, 3.0, 0.95
GATE_X = {"f": 3.2, "i": 4.9, "g": 6.5, "o": 8.0}
TIMES_F = (3.2, CELL_Y)
TIMES_IG = (5.7, 4.2)
PLUS = (5.7, CELL_Y)
TANH_C = (9.8, 4.2)
TIMES_O = (9.8, 3.0)


def _arrow(ax, start, end, color="0.25", style="-|>", lw=1.6, **kw):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color,
                                 linewidth=lw, shrinkA=0, shrinkB=0, **kw))


def _line(ax, xs, ys, color="0.25", lw=1.6):
    ax.plot(xs, ys, color=color, linewidth=lw, solid_capstyle="round", zorder=1)


def _node(ax, xy, symbol, color="0.25"):
    ax.add_patch(Circle(xy, 0.32, facecolor="white", edgecolor=color, linewidth=1.6, zorder=3))
    ax.text(*xy, symbol, ha="center", va="center", fontsize=13, zorder=4, color=color)


def _box(ax, center, text, color):
    x, y = center
    ax.add_patch(FancyBboxPatch((x - 0.55, y - 0.38), 1.1, 0.76, boxstyle="round,pad=0.05",
                                facecolor=color, edgecolor=color, alpha=0.9, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=11, color="white", zorder=4, fontweight="bold")


def draw_lstm_cell(ax=None):
    """Draw the cell on ``ax`` (a new pyplot figure when None); returns the axes.

    Every name of the equations appears as a label: c_{t-1}, c_t, h_{t-1}, h_t, x_t and
    the gates i_t, f_t, g_t, o_t.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 5))
    ax.set_xlim(-0.3, 13.3)
    ax.set_ylim(-1.3, 6.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(FancyBboxPatch((1.2, 0.3), 10.3, 5.8, boxstyle="round,pad=0.1", facecolor="#f4f6fb",
                                edgecolor="0.6", linewidth=1.2, zorder=0))

    # the cell state: one multiplication, one addition, straight through
    c = COLORS["c"]
    _arrow(ax, (0.0, CELL_Y), (TIMES_F[0] - 0.32, CELL_Y), color=c, lw=2.6)
    _arrow(ax, (TIMES_F[0] + 0.32, CELL_Y), (PLUS[0] - 0.32, CELL_Y), color=c, lw=2.6)
    _arrow(ax, (PLUS[0] + 0.32, CELL_Y), (13.0, CELL_Y), color=c, lw=2.6)
    ax.text(0.0, CELL_Y + 0.3, "$c_{t-1}$", fontsize=13, color=c, va="bottom")
    ax.text(12.3, CELL_Y + 0.3, "$c_t$", fontsize=13, color=c, va="bottom")
    _node(ax, TIMES_F, r"$\times$", c)
    _node(ax, PLUS, "$+$", c)

    # the input bus: [h_{t-1}, x_t] reaches every gate
    _line(ax, [0.0, GATE_X["o"]], [BUS_Y, BUS_Y])
    _line(ax, [1.8, 1.8], [-0.5, BUS_Y])
    ax.text(0.0, BUS_Y + 0.15, "$h_{t-1}$", fontsize=13, va="bottom")
    ax.text(2.0, -0.5, "$x_t$", fontsize=13, va="bottom")
    for gate, x in GATE_X.items():
        _arrow(ax, (x, BUS_Y), (x, GATE_Y - 0.45))
        _box(ax, (x, GATE_Y), r"$\tanh$" if gate == "g" else r"$\sigma$", COLORS[gate])

    # forget: f_t scales c_{t-1}
    _arrow(ax, (GATE_X["f"], GATE_Y + 0.45), (TIMES_F[0], TIMES_F[1] - 0.32), color=COLORS["f"])
    ax.text(GATE_X["f"] - 0.2, 4.1, "$f_t$", fontsize=13, color=COLORS["f"], ha="right")
    # input: i_t * g_t is added
    _node(ax, TIMES_IG, r"$\times$")
    _arrow(ax, (GATE_X["i"], GATE_Y + 0.45), (TIMES_IG[0] - 0.25, TIMES_IG[1] - 0.22), color=COLORS["i"])
    _arrow(ax, (GATE_X["g"], GATE_Y + 0.45), (TIMES_IG[0] + 0.25, TIMES_IG[1] - 0.22), color=COLORS["g"])
    ax.text(GATE_X["i"] - 0.2, 3.7, "$i_t$", fontsize=13, color=COLORS["i"], ha="right")
    ax.text(GATE_X["g"] + 0.2, 3.7, "$g_t$", fontsize=13, color=COLORS["g"])
    _arrow(ax, (TIMES_IG[0], TIMES_IG[1] + 0.32), (PLUS[0], PLUS[1] - 0.32))
    ax.text(TIMES_IG[0] + 0.2, 4.75, r"$i_t \odot g_t$", fontsize=10, color="0.3")

    # output: h_t = o_t * tanh(c_t)
    _line(ax, [TANH_C[0], TANH_C[0]], [CELL_Y, TANH_C[1] + 0.3], color=c)
    ax.add_patch(FancyBboxPatch((TANH_C[0] - 0.5, TANH_C[1] - 0.28), 1.0, 0.56, boxstyle="round,pad=0.05",
                                facecolor="white", edgecolor="0.25", linewidth=1.4, zorder=3))
    ax.text(*TANH_C, r"$\tanh$", ha="center", va="center", fontsize=11, zorder=4)
    _arrow(ax, (TANH_C[0], TANH_C[1] - 0.33), (TIMES_O[0], TIMES_O[1] + 0.32))
    _node(ax, TIMES_O, r"$\times$")
    _arrow(ax, (GATE_X["o"] + 0.6, GATE_Y), (TIMES_O[0] - 0.32, TIMES_O[1]), color=COLORS["o"])
    # the label sits above the arrow into the x, left of its arrowhead and clear of the box
    ax.text(GATE_X["o"] + 0.95, GATE_Y + 0.16, "$o_t$", fontsize=13, color=COLORS["o"], ha="center", va="bottom")
    _line(ax, [TIMES_O[0], TIMES_O[0]], [TIMES_O[1] - 0.32, OUT_Y])
    _arrow(ax, (TIMES_O[0], OUT_Y), (13.0, OUT_Y))
    ax.text(12.3, OUT_Y + 0.15, "$h_t$", fontsize=13, va="bottom")
    ax.text(11.8, OUT_Y - 0.15, "output, and\nto step $t+1$", fontsize=8, va="top", color="0.3")

    ax.text(6.5, -1.25, r"$\sigma$: sigmoid, 0 to 1 (how far a gate is open)    "
            r"$\tanh$: $-1$ to $1$ (a value, with its sign)", ha="center", va="bottom", fontsize=10,
            color="0.3")
    return ax
