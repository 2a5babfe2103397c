"""Lesson 9's widgets: where the decoder looks, one output step at a time; greedy against beam search.

    explorer = AttentionExplorer(weights, source_chars, output_chars)
    explorer.slider.value = 3          # explorer.row() is what the bar panel draws
    explorer                            # the notebook displays it

    beams = BeamExplorer(params, pairs, source_vocab, target_vocab)
    beams.slider.value = 4             # beams.rows() is the table it shows

:func:`attention_heatmap` draws the static figure the lesson shows beside each.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from .. import palette, seq2seq
from .live import LiveFigure, ShowsOffline


def attention_heatmap(ax, weights, source, output, *, title: str | None = None):
    """Weights (L, S) as an image: a row per output character, a column per source character."""
    weights = np.asarray(weights, dtype=float)
    image = ax.imshow(weights, cmap=palette.SEQUENTIAL_CMAP, vmin=0.0, vmax=1.0, aspect="auto",
                      interpolation="nearest")
    ax.set_xticks(range(len(source)), [_show(ch) for ch in source], fontsize=8)
    ax.set_yticks(range(len(output)), [_show(ch) for ch in output], fontsize=8)
    ax.set_xlabel("source character (what the encoder read)")
    ax.set_ylabel("output character")
    if title:
        ax.set_title(title, fontsize=10)
    return image


def _show(ch: str) -> str:
    return "␣" if ch == " " else ch


class AttentionExplorer(ShowsOffline):
    """A slider over the output steps: the heat map with the chosen row framed, and that row's
    weights as bars over the source characters."""

    def __init__(self, weights, source: str, output: str):
        self.weights = np.asarray(weights, dtype=float)
        L, S = self.weights.shape
        if (len(output), len(source)) != (L, S):
            raise ValueError(f"weights should have shape (len(output), len(source)) = ({len(output)}, "
                             f"{len(source)}), but they have shape {self.weights.shape}.")
        self.source, self.output = source, output
        self.live = LiveFigure(figsize=(8, 4.6), nrows=2, ncols=1, gridspec_kw={"height_ratios": (2.2, 1)})
        heat_ax, bar_ax = self.live.axes
        attention_heatmap(heat_ax, self.weights, source, output)
        heat_ax.set_xlabel("")
        self.frame = self.live.animate(heat_ax.add_patch(
            _rectangle((-0.5, -0.5), S, 1, palette.GATES["f"])))
        self.bars = bar_ax.bar(range(S), self.weights[0], color=palette.STATES["c"])
        for bar in self.bars:
            self.live.animate(bar)
        bar_ax.set_ylim(0, 1)
        bar_ax.set_xlim(-0.5, S - 0.5)
        bar_ax.set_xticks(range(S), [_show(ch) for ch in source], fontsize=8)
        bar_ax.set_ylabel("weight")
        self.label = self.live.animate(bar_ax.text(0.99, 0.9, "", transform=bar_ax.transAxes, ha="right",
                                                   va="top", fontsize=9))
        self.live.figure.tight_layout()
        self.slider = widgets.IntSlider(value=0, min=0, max=L - 1, description="output step",
                                        continuous_update=True)
        self.slider.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([self.slider, self.live.widget])
        self.update()

    def row(self) -> np.ndarray:
        return self.weights[self.slider.value]

    def update(self) -> None:
        t, w = self.slider.value, self.row()
        self.frame.set_y(t - 0.5)
        for bar, value in zip(self.bars, w):
            bar.set_height(value)
        top = int(np.argmax(w))
        self.label.set_text(f"writing {_show(self.output[t])!r}: most weight ({w[top]:.2f}) on "
                            f"{_show(self.source[top])!r} at position {top}")
        self.live.refresh()


def _rectangle(xy, width, height, colour):
    from matplotlib.patches import Rectangle
    return Rectangle(xy, width, height, fill=False, edgecolor=colour, linewidth=2.5)


class BeamExplorer(ShowsOffline):
    """A beam-width slider: for each example, the output of greedy decoding (grey) and of beam search
    of that width (blue), each drawn as its negative log-probability (shorter is more probable) and
    marked right or wrong; a table below lists the outputs. Width 1 is greedy decoding."""

    offline_text = ("[A live figure with a beam-width slider: run the notebook to use it. The cell below prints "
                    "its table at widths 1 and 3.]")

    def __init__(self, params: dict, pairs, source, target, *, max_width: int = 8):
        self.params, self.pairs, self.source, self.target = params, list(pairs), source, target
        self.greedy, self.greedy_out = seq2seq.translate(params, self.pairs, source, target, beam_width=1)
        n = len(self.pairs)
        self.live = LiveFigure(figsize=(8, 0.42 * n + 1.3), nrows=1, ncols=1)
        ax = self.live.axes
        y = np.arange(n)
        ax.barh(y - 0.2, -self.greedy_out.scores, height=0.38, color=palette.NEUTRAL, label="greedy")
        self.bars = ax.barh(y + 0.2, -self.greedy_out.scores, height=0.38, color=palette.STATES["c"],
                            label="beam search")
        for bar in self.bars:
            self.live.animate(bar)
        longest = float(np.max(-self.greedy_out.scores))
        self.marks = [self.live.animate(ax.text(0, i + 0.2, "", va="center", fontsize=8)) for i in y]
        for i, (g, (_, t)) in enumerate(zip(self.greedy, self.pairs)):
            ax.text(-self.greedy_out.scores[i] + 0.02 * longest, i - 0.2, f"{g}: {'right' if g == t else 'wrong'}",
                    va="center", fontsize=8, color=palette.NEUTRAL)
        ax.set_yticks(y, [s for s, _ in self.pairs], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.6 * longest)
        ax.set_xlabel("- log-probability of the output (shorter: the model finds it more likely)")
        ax.legend(loc="lower right", fontsize=8)
        self.title = self.live.animate(ax.set_title("beam width 8: 8 of 8 right (greedy: 8)", fontsize=10))
        self.live.figure.tight_layout()
        self.slider = widgets.IntSlider(value=1, min=1, max=max_width, description="beam width")
        self.table = widgets.HTML()
        self.slider.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([self.slider, self.live.widget, self.table])
        self.update()

    def rows(self) -> list[dict]:
        """One dict per example: source, target, greedy and beam outputs with their log-probabilities."""
        beam, out = seq2seq.translate(self.params, self.pairs, self.source, self.target, beam_width=self.slider.value)
        return [{"source": s, "target": t, "greedy": g, "greedy_logp": float(gs), "beam": b, "beam_logp": float(bs)}
                for (s, t), g, gs, b, bs in zip(self.pairs, self.greedy, self.greedy_out.scores, beam, out.scores)]

    def update(self) -> None:
        rows = self.rows()
        longest = self.live.axes.get_xlim()[1] / 1.6
        for bar, mark, r in zip(self.bars, self.marks, rows):
            bar.set_width(-r["beam_logp"])
            mark.set_x(-r["beam_logp"] + 0.02 * longest)
            mark.set_text(f"{r['beam']}: {'right' if r['beam'] == r['target'] else 'wrong'}")
        right = sum(r["beam"] == r["target"] for r in rows)
        greedy_right = sum(r["greedy"] == r["target"] for r in rows)
        self.title.set_text(f"beam width {self.slider.value}: {right} of {len(rows)} right "
                            f"(greedy: {greedy_right})")
        self.live.refresh()
        cells = "".join(
            f"<tr><td>{html.escape(r['source'])}</td><td>{r['target']}</td>"
            f"<td>{r['greedy']} ({r['greedy_logp']:.2f})</td><td>{r['beam']} ({r['beam_logp']:.2f})</td></tr>"
            for r in rows)
        self.table.value = ("<table><tr><th>source</th><th>target</th><th>greedy (log-prob)</th>"
                            f"<th>beam width {self.slider.value} (log-prob)</th></tr>{cells}</table>")
