"""CTC's pictures: alignments collapsing to one labelling, and the alpha lattice.

:func:`draw_alignments` writes a few alignments of one target as rows of symbols, one box per
time step (the blank as a light "-"), with what the collapse rule B makes of each at its right.
:func:`draw_lattice` shows log alpha over (step t, extended-target state s): where the forward
recursion finds probability, and where no alignment can be.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from .. import palette
from ..ctc import collapse


def _symbol(k: int, blank: int, names) -> str:
    return "-" if k == blank else (names[k] if names else str(k))


def draw_alignments(ax, alignments, *, blank: int = 0, names=None):
    """One row per alignment (a list of symbols, the same length T each), and its collapse."""
    T = len(alignments[0])
    for row, path in enumerate(alignments):
        y = len(alignments) - 1 - row
        for t, k in enumerate(path):
            is_blank = k == blank
            ax.add_patch(Rectangle((t, y + 0.1), 0.9, 0.8, facecolor="white",
                                   edgecolor=palette.CTC["blank"] if is_blank else palette.CTC["label"], lw=1.2))
            ax.text(t + 0.45, y + 0.5, _symbol(k, blank, names), ha="center", va="center", fontsize=12,
                    color=palette.NEUTRAL if is_blank else palette.CTC["label"])
        read = "".join(_symbol(k, blank, names) for k in collapse(path, blank)) or "(empty)"
        ax.text(T + 0.4, y + 0.5, f"→  {read}", ha="left", va="center", fontsize=12)
    ax.set_xlim(-0.2, T + 3.2)
    ax.set_ylim(0, len(alignments))
    ax.set_xticks(np.arange(T) + 0.45, [str(t) for t in range(T)])
    ax.set_xlabel("time step t")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def draw_lattice(ax, log_alpha, extended, *, blank: int = 0, names=None):
    """log alpha (T, S) as an image: states s (the extended target) down, steps t across;
    cells no alignment reaches (-inf) are left white."""
    shown = np.where(np.isfinite(log_alpha), log_alpha, np.nan).T
    image = ax.imshow(shown, aspect="auto", cmap=palette.SEQUENTIAL_CMAP, interpolation="nearest")
    ax.set_yticks(range(len(extended)), [_symbol(k, blank, names) for k in extended])
    ax.set_ylabel("extended target z'_s")
    ax.set_xlabel("time step t")
    return image
