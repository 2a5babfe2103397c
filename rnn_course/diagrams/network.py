"""A drawn feed-forward network: layers of circles (neurons) joined by lines (weights).

    fig, ax = plt.subplots()
    draw_network(ax, [2, 3, 1], names=["input x", "hidden h", "output y"])

With ``weights=[W1, W2]`` (each of shape (next layer, this layer), as in the lessons) the
lines are coloured by sign (red positive, blue negative) and as thick as the weight is large.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle

from .. import palette


def layer_positions(sizes, spacing: float = 0.6) -> list:
    """Centres of the neurons, layer by layer: a list of (n_i, 2) arrays, layers 1 apart, centred on y = 0,
    first neuron on top."""
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"a network needs at least two layers of at least one neuron; got sizes {list(sizes)}.")
    return [np.stack([np.full(n, float(i)), ((n - 1) / 2 - np.arange(n)) * spacing], axis=1)
            for i, n in enumerate(sizes)]


def draw_network(ax, sizes, *, names=None, weights=None, neuron_labels=None, radius: float = 0.17):
    """Draw a fully connected network with ``sizes`` neurons per layer on ``ax``.

    ``names``: one caption per layer (under it); ``weights``: per pair of layers an array
    (n_{i+1}, n_i), or None for plain grey lines; ``neuron_labels``: per layer a list of
    strings written inside the circles. Returns the list of weight lines, layer pair by pair.
    """
    positions = layer_positions(sizes)
    if weights is not None and len(weights) != len(sizes) - 1:
        raise ValueError(f"weights needs one matrix per pair of layers ({len(sizes) - 1}); got {len(weights)}.")
    lines = []
    for i in range(len(sizes) - 1):
        W = None if weights is None else np.asarray(weights[i], dtype=float)
        if W is not None and W.shape != (sizes[i + 1], sizes[i]):
            raise ValueError(f"weights[{i}] should have shape (next, this) = {(sizes[i + 1], sizes[i])}, "
                             f"but it has shape {W.shape}.")
        scale = 1.0 if W is None else max(float(np.abs(W).max()), 1e-12)
        for j, end in enumerate(positions[i + 1]):
            for k, start in enumerate(positions[i]):
                if W is None:
                    color, width = "0.6", 1.2
                else:
                    color = palette.SIGN["positive"] if W[j, k] > 0 else palette.SIGN["negative"]
                    width = 0.5 + 3.5 * abs(W[j, k]) / scale
                line, = ax.plot([start[0], end[0]], [start[1], end[1]], color=color, linewidth=width, zorder=1)
                lines.append(line)
    for i, layer in enumerate(positions):
        for n, (x, y) in enumerate(layer):
            ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="black", linewidth=1.5, zorder=2))
            if neuron_labels is not None and neuron_labels[i] is not None:
                ax.text(x, y, neuron_labels[i][n], ha="center", va="center", fontsize=10, zorder=3)
    low = min(float(p[:, 1].min()) for p in positions) - radius
    high = max(float(p[:, 1].max()) for p in positions) + radius
    if names is not None:
        for i, name in enumerate(names):
            ax.text(i, low - 0.25, name, ha="center", va="top", fontsize=10)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(low - 0.7, high + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return lines
