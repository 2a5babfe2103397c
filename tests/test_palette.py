"""One visual language: every quantity has one colour, defined in rnn_course.palette, and the
colours stay apart for colour-blind eyes."""

import itertools
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color, to_rgb  # noqa: E402

from rnn_course import palette  # noqa: E402
from rnn_course.diagrams import lstm_cell, unrolled  # noqa: E402
from rnn_course.widgets import gate_explorer as gx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Machado, Oliveira & Fernandes (2009): full-severity simulation matrices, applied in linear RGB.
SIMULATIONS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _seen(colour, matrix):
    c = np.array(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    out = np.clip(np.array(matrix) @ linear, 0, 1)
    return np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)


@pytest.mark.parametrize("group", ["lstm", "models", "gru"])
@pytest.mark.parametrize("vision", [None, *SIMULATIONS])
def test_colours_that_share_a_figure_stay_apart_for_every_eye(group, vision):
    table = {"lstm": {**palette.GATES, **palette.STATES},
             "models": palette.MODELS,
             "gru": {**palette.GRU_GATES, "c": palette.STATES["c"], "h": palette.STATES["h"]}}[group]
    identity = np.eye(3)
    matrix = identity if vision is None else SIMULATIONS[vision]
    seen = {name: _seen(colour, matrix) for name, colour in table.items()}
    closest = min(((np.linalg.norm(seen[a] - seen[b]), a, b) for a, b in itertools.combinations(seen, 2)))
    assert closest[0] > 0.1, f"{closest[1]} and {closest[2]} look alike under {vision or 'normal vision'}"


def test_every_figure_takes_the_gate_colours_from_the_palette():
    for gate, colour in palette.GATES.items():
        assert lstm_cell.COLORS[gate] == colour == gx.COLORS[gate]
    assert lstm_cell.COLORS["c"] == gx.COLORS["c"] == palette.STATES["c"]
    assert unrolled.COLOURS == palette.WEIGHTS


def test_the_explorer_draws_each_trace_in_its_quantitys_colour():
    fig = gx.gate_figure(gx.PRESETS["remember the first pulse"][1], "pulse")
    try:
        for ax, name in zip(fig.axes, ("x", "i", "f", "g", "o", "c", "h")):
            assert same_color(ax.lines[0].get_color(), palette.QUANTITY[name])
    finally:
        plt.close(fig)


def test_no_module_or_lesson_names_a_colour_of_its_own_for_a_quantity():
    """Matplotlib's default cycle names ("C0", "tab:red") would give a quantity a colour that the
    palette does not know; every such colour must come from rnn_course.palette instead."""
    pattern = re.compile(r"""["'](?:C\d|tab:[a-z]+)["']""")
    offenders = []
    for path in [*ROOT.joinpath("rnn_course").rglob("*.py"), *ROOT.joinpath("notebooks").glob("*.ipynb")]:
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line.replace('\\"', '"')):
                offenders.append(f"{path.relative_to(ROOT)}:{k}")
    assert not offenders, "colours outside the palette: " + ", ".join(offenders)


def test_palette_names_its_colours_and_refuses_unknown_names():
    assert palette.colour("f") == palette.GATES["f"]
    assert palette.colour("LSTM") == palette.MODELS["LSTM"]
    with pytest.raises(ValueError, match="no colour for 'q'"):
        palette.colour("q")
    shades = palette.shades(3)
    assert len(set(shades)) == 3 and palette.shades(0) == []
