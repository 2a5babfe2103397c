"""Lesson 8's widget: a held-out line of handwritten digits and what the CTC reader makes of it.

Top: the line as the network reads it, one 8-pixel column per step. Bottom: the reader's
probability of every symbol at every column; the blank in light grey, each digit label as a
coloured curve with its digit written over its peak (the "CTC spikes"). Sliders pick the line
and the beam width of the prefix beam search; the text says what greedy decoding and the beam
read, against the truth.

    w = ctc_reader_widget(params, lines)
    w.sliders["beam"].value = 8       # w.data changes with it
    w                                 # the notebook displays it

:func:`draw_spikes` draws the same two panels as a static figure.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import ctc, palette
from ..handwriting import BLANK, N_SYMBOLS, Lines, logits_of, text_of
from .live import LiveFigure, ShowsOffline

PEAK = 0.5            # a digit's curve above this at a column is labelled with the digit
MAX_MARKS = 40        # digit labels drawn at most (a line has at most 6 digits, a few columns each)


def _peaks(probs) -> list:
    """(column, digit, probability) of every local top of a digit's curve above PEAK."""
    marks = []
    for k in range(1, N_SYMBOLS):
        p = probs[:, k]
        for t in range(len(p)):
            if p[t] > PEAK and (t == 0 or p[t] >= p[t - 1]) and (t == len(p) - 1 or p[t] > p[t + 1]):
                marks.append((t, k - 1, p[t]))
    return marks


def draw_spikes(ax_line, ax_probs, column_image, probs, *, title: str = ""):
    """The line (T, 8) above the per-column probabilities (T, 11). Returns the artists:
    (image, blank curve, digit curves, digit marks)."""
    T = len(column_image)
    image = ax_line.imshow(column_image.T, cmap="gray_r", vmin=0, vmax=1, aspect="auto", interpolation="nearest",
                           extent=(-0.5, T - 0.5, 7.5, -0.5))
    ax_line.set_yticks([])
    ax_line.set_xticks([])
    if title:
        ax_line.set_title(title, fontsize=10)
    columns = np.arange(T)
    blank, = ax_probs.plot(columns, probs[:, BLANK], color=palette.CTC["blank"], lw=1.5, ls="--", label="blank")
    curves = [ax_probs.plot(columns, probs[:, k], color=palette.CTC["label"], lw=1.2,
                            label="a digit" if k == 1 else None)[0] for k in range(1, N_SYMBOLS)]
    marks = [ax_probs.text(0, 0, "", ha="center", va="bottom", fontsize=9, color=palette.CTC["label"],
                           visible=False) for _ in range(MAX_MARKS)]
    _place_marks(marks, probs)
    ax_probs.set(xlim=(-0.5, T - 0.5), ylim=(0, 1.15), xlabel="column (time step)", ylabel="probability")
    ax_probs.legend(loc="center right", fontsize=8)
    return image, blank, curves, marks


def _place_marks(marks, probs):
    peaks = _peaks(probs)[:len(marks)]
    for mark, (t, digit, p) in zip(marks, peaks):
        mark.set_position((t, p + 0.02))
        mark.set_text(str(digit))
        mark.set_visible(True)
    for mark in marks[len(peaks):]:
        mark.set_visible(False)


def reading(logits_line, beam_width: int) -> dict:
    """Greedy and beam-search readings of one line's logits (T, 11), and its probabilities."""
    one = logits_line[:, None, :]
    return {"probs": np.exp(ctc.log_softmax(logits_line)),
            "greedy": text_of(ctc.greedy_decode(one, blank=BLANK)[0]),
            "beam": text_of(ctc.beam_search(one, beam_width, blank=BLANK)[0])}


class CTCReaderWidget(ShowsOffline):
    """Sliders for the line and the beam width, and a live two-panel figure (``sliders``, ``data``)."""

    def __init__(self, params: dict, lines: Lines, *, line: int = 0, beam_width: int = 4):
        self.lines = lines
        self.logits = logits_of(params, lines.x)                         # every line once; a move only decodes
        n = len(lines.texts)
        style = {"description_width": "120px"}
        layout = widgets.Layout(width="420px")
        self.sliders = {
            "line": widgets.IntSlider(value=line, min=0, max=n - 1, description="held-out line", style=style,
                                      layout=layout),
            "beam": widgets.IntSlider(value=beam_width, min=1, max=16, description="beam width", style=style,
                                      layout=layout),
        }
        self.live = LiveFigure(figsize=(9, 4.2), nrows=2, gridspec_kw={"height_ratios": [1, 2.2]}, sharex=False)
        self.live.figure.subplots_adjust(left=0.08, right=0.97, bottom=0.12, top=0.9, hspace=0.12)
        ax_line, ax_probs = self.live.axes
        self.data = self._compute()
        self.image, self.blank, self.curves, self.marks = draw_spikes(
            ax_line, ax_probs, lines.x[:, line, :], self.data["probs"])
        self.title = ax_line.set_title("", fontsize=10)
        self.live.animate(self.image, self.blank, *self.curves, *self.marks, self.title)
        self._update_title()
        self.live.refresh(full=True)
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.VBox(list(self.sliders.values())), self.live.widget])

    def _compute(self) -> dict:
        b = self.sliders["line"].value
        data = reading(self.logits[:, b, :], self.sliders["beam"].value)
        data["truth"] = self.lines.texts[b]
        return data

    def _update_title(self):
        d = self.data
        self.title.set_text(f"truth {d['truth']}    greedy {d['greedy']}    "
                            f"beam ({self.sliders['beam'].value}) {d['beam']}")

    def _on_change(self, _change=None):
        self.data = d = self._compute()
        self.image.set_data(self.lines.x[:, self.sliders["line"].value, :].T)
        self.blank.set_ydata(d["probs"][:, BLANK])
        for k, curve in enumerate(self.curves, start=1):
            curve.set_ydata(d["probs"][:, k])
        _place_marks(self.marks, d["probs"])
        self._update_title()
        self.live.refresh()


def ctc_reader_widget(params: dict, lines: Lines, **kwargs) -> CTCReaderWidget:
    """Build the widget; display it in a notebook."""
    return CTCReaderWidget(params, lines, **kwargs)
