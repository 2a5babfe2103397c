"""Plot helpers shared by the lessons (figure plumbing kept out of the notebooks)."""

from __future__ import annotations

import numpy as np


def smooth(values, window: int = 25) -> np.ndarray:
    """Moving average, for noisy training curves (same length as the input)."""
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def loss_curve(ax, losses, *, label=None, baseline=None, baseline_label="baseline", log=True, window=25):
    """A training-loss curve (raw, faint; smoothed, solid), optionally with a baseline line."""
    steps = np.arange(len(losses))
    line, = ax.plot(steps, smooth(losses, window), label=label)
    ax.plot(steps, losses, color=line.get_color(), alpha=0.2, linewidth=0.8)
    if baseline is not None:
        ax.axhline(baseline, color="gray", linestyle="--", linewidth=1, label=baseline_label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    return line


# --- lesson 4: gradient size against the lag (the constant error carousel) ---------------

#: Each LSTM forget bias gets one colour, shared by its measured curve and its cell-path product.
FORGET_BIAS_COLORS = {0.0: "tab:red", 1.0: "tab:blue", 3.0: "tab:green"}
OTHER_COLORS = ("tab:purple", "tab:brown", "tab:olive", "tab:cyan")


def _color(bias: float, k: int) -> str:
    return FORGET_BIAS_COLORS.get(float(bias), OTHER_COLORS[k % len(OTHER_COLORS)])


def gradient_by_lag_figure(lags, rnn_curve, lstm_curves: dict, cell_path: dict | None = None, *, ylim=(1e-25, 1e2)):
    """One log-scale plot of gradient size against lag, for a tanh RNN and LSTMs.

    ``lags`` (L,); ``rnn_curve`` (L,): the RNN's gradient size relative to lag 0 (drawn black);
    ``lstm_curves``: forget bias -> (L,), the LSTM's, one solid line per bias; ``cell_path``:
    forget bias -> (L,), the pure cell-path product sigma(b_f)^lag, dotted in that bias's colour.
    Returns the pyplot figure.
    """
    import matplotlib.pyplot as plt

    lags = np.asarray(lags)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.semilogy(lags, rnn_curve, color="black", linewidth=2, label="tanh RNN")
    for k, (bias, curve) in enumerate(lstm_curves.items()):
        ax.semilogy(lags, curve, color=_color(bias, k), linewidth=2, label=f"LSTM, forget bias {bias:g}")
    for k, (bias, curve) in enumerate((cell_path or {}).items()):
        ax.semilogy(lags, curve, color=_color(bias, k), linestyle=":",
                    label=rf"$\sigma({bias:g})^{{\mathrm{{lag}}}}$ (cell path, $b_f = {bias:g}$)")
    ax.set_ylim(*ylim)
    ax.set_xlabel("lag (steps back from the loss)")
    ax.set_ylabel("gradient size, relative to lag 0")
    ax.set_title("How much gradient reaches each earlier step")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(True, which="major", alpha=0.3)
    return fig
