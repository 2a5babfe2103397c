"""Plot helpers shared by the lessons (figure plumbing kept out of the notebooks)."""

from __future__ import annotations

import numpy as np

from . import palette


def smooth(values, window: int = 25) -> np.ndarray:
    """Moving average, for noisy training curves (same length as the input)."""
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def model_style(name: str) -> dict:
    """Matplotlib keywords (colour, line style) for a model named like ``"RNN"``, ``"lstm"``, ``"GRU"``."""
    key = name.upper() if name.upper() in palette.MODELS else name
    if key not in palette.MODELS:
        return {}
    return {"color": palette.MODELS[key], "linestyle": palette.LINESTYLE[key]}


def loss_curve(ax, losses, *, label=None, color=None, baseline=None, baseline_label="baseline", log=True,
               window=25):
    """A training-loss curve (raw, faint; smoothed, solid), optionally with a baseline line.

    A label naming a model (``"RNN"``, ``"LSTM"``, ``"GRU"``) takes that model's palette colour.
    """
    steps = np.arange(len(losses))
    style = model_style(label) if (label and color is None) else ({"color": color} if color else {})
    line, = ax.plot(steps, smooth(losses, window), label=label, **style)
    ax.plot(steps, losses, color=line.get_color(), alpha=0.2, linewidth=0.8)
    if baseline is not None:
        ax.axhline(baseline, color=palette.NEUTRAL, linestyle="--", linewidth=1, label=baseline_label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    return line


# --- lesson 4: gradient size against the lag (the constant error carousel) ---------------

def gradient_routes_figure(lags, rnn_curve, routes: dict, *, ylim=(1e-25, 1e2)):
    """Two panels: how much gradient reaches each earlier step, and how much of it the cell path carries.

    ``lags`` (L,); ``rnn_curve`` (L,): a tanh RNN's gradient size relative to lag 0; ``routes``:
    forget bias -> :class:`rnn_course.gradient_flow.LSTMGradientRoutes`. Left, log scale: the RNN,
    each LSTM's total (solid) and its cell-path part (dotted, same colour). Right: the cell path's
    share of the total. One colour per forget bias, dark to light as the bias grows. Returns the figure.
    """
    import matplotlib.pyplot as plt

    lags = np.asarray(lags)
    fig, (ax, ax_share) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    ax.semilogy(lags, rnn_curve, linewidth=2, label="tanh RNN", **model_style("RNN"))
    colours = palette.shades(len(routes))
    for colour, (bias, r) in zip(colours, routes.items()):
        ax.semilogy(lags, r.total, color=colour, linewidth=2, label=f"LSTM, forget bias {bias:g}: all routes")
        ax.semilogy(lags, r.cell_path, color=colour, linestyle=":", linewidth=1.6,
                    label=f"LSTM, forget bias {bias:g}: cell path alone")
        ax_share.semilogy(lags, r.cell_share, color=colour, linewidth=2, label=f"forget bias {bias:g}")
    ax.set(ylim=ylim, xlabel="lag (steps back from the loss)", ylabel="gradient size, relative to lag 0",
           title="How much gradient reaches each earlier step")
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)
    ax_share.axhline(1.0, color=palette.NEUTRAL, linewidth=0.8, linestyle="--")
    ax_share.set(xlabel="lag (steps back from the loss)", ylabel="cell path / all routes",
                 title="The cell path's share of that gradient")
    ax_share.legend(fontsize=8, loc="lower left")
    ax_share.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig

