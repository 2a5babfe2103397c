"""One colour per quantity, for every figure and widget of the course.

A learner who has seen the forget gate drawn in vermillion in lesson 4 should find it in
vermillion in lesson 6, 7 and in every slider panel. So colours are data, defined here once
and imported everywhere else; nothing else in the package or the lessons names a colour for a
quantity.

The hues are Okabe and Ito's set ("Color Universal Design", 2008), chosen so that the common
forms of colour blindness (deuteranopia, protanopia, tritanopia) still tell them apart, with
Paul Tol's darker indigo and olive for the models. Lines that carry meaning also differ in
line style where two of them share a plot (see :data:`LINESTYLE`), so the figures read in
greyscale too.
"""

from __future__ import annotations

import numpy as np

# Okabe-Ito.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
# Paul Tol ("muted" and "bright" sets), for what Okabe-Ito has no room left for.
INDIGO = "#332288"
OLIVE = "#999933"
WINE = "#882255"
GREY = "#BBBBBB"

#: The LSTM's (and GRU's) quantities: gates, cell state, hidden state, input.
GATES = {
    "i": BLUISH_GREEN,    # input gate
    "f": VERMILLION,      # forget gate
    "g": REDDISH_PURPLE,  # cell candidate (Olah's C~)
    "o": ORANGE,          # output gate
}
STATES = {
    "c": BLUE,            # cell state
    "h": BLACK,           # hidden state / output
    "x": GREY,            # the input sequence (light, so that it stays apart from the gates for every eye)
}
GRU_GATES = {
    "r": WINE,            # reset gate
    "z": VERMILLION,      # update gate: it plays the forget gate's part (h keeps z of h_prev)
    "n": REDDISH_PURPLE,  # candidate state: the GRU's g
}

#: Every named quantity, one colour each.
QUANTITY = {**GATES, **STATES, **GRU_GATES}

#: Models compared in lessons 3, 5 and 7.
MODELS = {
    "RNN": SKY_BLUE,
    "LSTM": INDIGO,
    "GRU": OLIVE,
    "minGRU": WINE,
    "LSTM + attention": VERMILLION,     # lesson 9's encoder-decoder with attention beside the plain LSTM one
    "baseline": GREY,
}

#: Line styles that go with the models, so a greyscale print still tells them apart.
LINESTYLE = {"RNN": "-", "LSTM": "-", "GRU": "-.", "minGRU": ":", "LSTM + attention": "-", "baseline": "--"}

#: Lesson 8's CTC outputs: the blank (light, it is "nothing here") and the digit labels.
CTC = {"blank": GREY, "label": BLUE}

#: The RNN's three weight matrices in the unrolled diagram of lesson 2 and the text beside it.
WEIGHTS = {"W_xh": BLUE, "W_hh": VERMILLION, "W_hy": BLUISH_GREEN}

#: A weight's sign (lesson 1's network drawing): a diverging pair readable by colour-blind eyes.
SIGN = {"positive": "#B2182B", "negative": "#2166AC"}

#: The two classes of lesson 1's datasets (spirals), blue and red like the ends of DIVERGING_CMAP, which
#: paints a network's probability of class 1 behind them.
CLASSES = ("#2166AC", "#B2182B")

#: A curve that is not one of the quantities above: an activation function, a training loss.
CURVE = WINE

#: A neutral colour for reference lines (zero, diagonal, baselines that are not a model).
NEUTRAL = "0.55"

#: Colour maps: a sequential one for magnitudes, a diverging one for signed values.
SEQUENTIAL_CMAP = "cividis"
DIVERGING_CMAP = "RdBu_r"


def shades(n: int, *, start: float = 0.1, stop: float = 0.85) -> list[str]:
    """``n`` colours from the sequential map, dark to light: one per value of a swept setting
    (a forget bias, a sequence length), so their order reads from the colour."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[SEQUENTIAL_CMAP]
    if n <= 0:
        return []
    return [to_hex(cmap(v)) for v in np.linspace(start, stop, n)]


def colour(name: str) -> str:
    """The colour of a quantity or model by its name (``"f"``, ``"c"``, ``"LSTM"``...)."""
    for table in (QUANTITY, MODELS, WEIGHTS):
        if name in table:
            return table[name]
    known = ", ".join([*QUANTITY, *MODELS, *WEIGHTS])
    raise ValueError(f"the palette has no colour for {name!r}; it knows: {known}.")


__all__ = ["CLASSES", "CTC", "CURVE", "DIVERGING_CMAP", "GATES", "GRU_GATES", "LINESTYLE", "MODELS", "NEUTRAL",
           "QUANTITY", "SEQUENTIAL_CMAP", "SIGN", "STATES", "WEIGHTS", "colour", "shades"]
