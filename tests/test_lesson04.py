"""Lesson 4 (LSTM gates): the checkers, the gate explorer, the cell diagram, the notebook's solutions."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnn_course import lstm, palette
from rnn_course.activations import sigmoid
from rnn_course.diagrams.lstm_cell import draw_lstm_cell
from rnn_course.exercises import check, solution_markdown
from rnn_course.exercises import lesson04 as L
from rnn_course.gradcheck import numerical_gradient, relative_error
from rnn_course.widgets import gate_explorer as gx
from rnn_course.widgets.gate_explorer import GateExplorer

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_lstm_gates.ipynb"


def direct_run(values: dict, x) -> dict:
    """The unit run straight through rnn_course.lstm, parameters built here by hand."""
    v = lambda name: float(values.get(name, 0.0))  # noqa: E731
    params = {"W_x": np.array([[v("i_wx")], [v("f_wx")], [v("g_wx")], [v("o_wx")]]),
              "W_h": np.array([[v("i_wh")], [v("f_wh")], [v("g_wh")], [v("o_wh")]]),
              "b": np.array([v("i_bias"), v("f_bias"), v("g_bias"), v("o_bias")])}
    h, c, cache = lstm.forward(params, np.asarray(x, dtype=float)[:, None, None])
    out = {name: cache[name][:, 0, 0] for name in "ifgo"}
    out.update(x=np.asarray(x, dtype=float), c=c[:, 0, 0], h=h[:, 0, 0])
    return out


def assert_plotted(ex: GateExplorer, values: dict, sequence: str):
    expected = direct_run(values, gx.SEQUENCES[sequence])
    for name, line in ex.lines.items():
        np.testing.assert_allclose(line.get_ydata(), expected[name], atol=1e-12, err_msg=name)
        np.testing.assert_allclose(ex.data[name], expected[name], atol=1e-12, err_msg=name)


@pytest.fixture(scope="module")
def explorer():
    return GateExplorer()


# --- the gate explorer -------------------------------------------------------------------------


def test_every_slider_moves_the_plotted_data(explorer):
    rng = np.random.default_rng(0)
    values = {name: round(float(rng.uniform(-3, 3)), 1) for name in gx.SLIDER_NAMES}
    explorer.set_values(values, "noise")
    assert_plotted(explorer, values, "noise")
    for name in gx.SLIDER_NAMES:
        before = {k: line.get_ydata().copy() for k, line in explorer.lines.items()}
        values[name] = round(float(rng.uniform(-3, 3)), 1)
        explorer.sliders[name].value = values[name]
        assert_plotted(explorer, values, "noise")
        changed = [k for k in before if not np.allclose(before[k], explorer.lines[k].get_ydata())]
        assert changed, f"moving {name} changed no trace"


def test_each_slider_changes_its_own_gate_first(explorer):
    explorer.set_values({}, "noise")
    for gate in gx.GATES:
        before = explorer.data[gate].copy()
        explorer.sliders[f"{gate}_bias"].value = 2.0
        assert not np.allclose(explorer.data[gate], before), gate
        explorer.sliders[f"{gate}_bias"].value = 0.0


@pytest.mark.parametrize("name", list(gx.PRESETS))
def test_presets_set_every_slider_and_the_input(explorer, name):
    explorer.set_values({k: 1.0 for k in gx.SLIDER_NAMES}, "step")
    updates = explorer.updates
    explorer.presets[name].click()
    sequence, values = gx.PRESETS[name]
    assert explorer.sequence.value == sequence
    assert explorer.values() == {k: float(values.get(k, 0.0)) for k in gx.SLIDER_NAMES}
    assert explorer.updates == updates + 1, "a preset should redraw once, not once per slider"
    assert_plotted(explorer, values, sequence)


def test_presets_do_what_their_names_say(explorer):
    explorer.presets["remember the first pulse"].click()
    c = explorer.data["c"]
    assert abs(c[gx.STORE_STEP - 1]) < 1e-3 and c[gx.STORE_STEP] > 0.9 and c[-1] > 0.95 * c[gx.STORE_STEP]
    explorer.presets["forget immediately"].click()
    c = explorer.data["c"]
    assert c[gx.STORE_STEP] > 0.9 and abs(c[gx.STORE_STEP + 1]) < 1e-3
    explorer.presets["count pulses"].click()
    c = explorer.data["c"]
    one, two = c[gx.SECOND_PULSE_STEP - 1], c[gx.SECOND_PULSE_STEP]
    assert one > 0.3 and two == pytest.approx(2 * one, rel=0.02)
    explorer.presets["pass the input through"].click()
    x, c, h = explorer.data["x"], explorer.data["c"], explorer.data["h"]
    np.testing.assert_allclose(c, np.tanh(2 * x), atol=1e-3)      # nothing carried from the past
    assert np.all(np.diff(h[np.argsort(x)]) > 0)                     # h rises with x


def test_preset_buttons_have_clear_descriptions(explorer):
    for name, button in explorer.presets.items():
        assert button.description == name
    assert {"remember the first pulse", "forget immediately", "pass the input through", "count pulses"} <= set(
        explorer.presets)
    children = explorer.widget.children
    assert explorer.live.widget in children


def test_input_dropdown_changes_the_input_trace(explorer):
    explorer.set_values(gx.PRESETS["remember the first pulse"][1], "pulse")
    for sequence in gx.SEQUENCES:
        explorer.sequence.value = sequence
        np.testing.assert_array_equal(explorer.lines["x"].get_ydata(), gx.SEQUENCES[sequence])
        assert_plotted(explorer, gx.PRESETS["remember the first pulse"][1], sequence)


def test_the_axes_never_change_so_every_move_is_a_blit(explorer, monkeypatch):
    calls = []
    original = explorer.live.refresh
    monkeypatch.setattr(explorer.live, "refresh", lambda full=False: (calls.append(full), original(full)))
    limits = [ax.get_ylim() for ax in explorer.axes.values()]
    explorer.set_values({"i_bias": 10, "g_bias": 10, "f_bias": 10, "o_bias": 10}, "step")   # c_t = t + 1
    assert explorer.data["c"].max() == pytest.approx(gx.T, rel=0.01)
    assert explorer.axes["c"].get_ylim() == (-gx.C_MAX, gx.C_MAX) and gx.C_MAX >= gx.T + 1
    explorer.sliders["o_bias"].value = 3.0
    explorer.presets["count pulses"].click()
    assert calls == [False, False, False]
    assert [ax.get_ylim() for ax in explorer.axes.values()] == limits


def _extreme_settings(n_random, seed=1):
    rng = np.random.default_rng(seed)
    settings = [{k: gx.LIMIT for k in gx.SLIDER_NAMES}, {k: -gx.LIMIT for k in gx.SLIDER_NAMES}]
    settings += [{k: float(rng.choice([-gx.LIMIT, 0.0, gx.LIMIT])) for k in gx.SLIDER_NAMES} for _ in range(n_random)]
    return settings


# NumPy's default error settings (underflow to 0 is silent and harmless), but every warning an error
WARNINGS_AS_ERRORS = dict(over="raise", divide="raise", invalid="raise")


def test_unit_at_slider_ends_gives_no_nan_and_no_warning():
    with warnings.catch_warnings(), np.errstate(**WARNINGS_AS_ERRORS):
        warnings.simplefilter("error")
        for sequence in gx.SEQUENCES:
            for values in _extreme_settings(150):
                run = gx.run_unit(values, sequence)
                for name, data in run.items():
                    assert np.all(np.isfinite(data)), (name, values)
                assert np.all(np.abs(run["c"]) <= np.arange(1, gx.T + 1))


def test_explorer_at_slider_ends_gives_no_nan_and_no_warning(explorer):
    with warnings.catch_warnings(), np.errstate(**WARNINGS_AS_ERRORS):
        warnings.simplefilter("error")
        for sequence in gx.SEQUENCES:
            explorer.sequence.value = sequence
            for values in _extreme_settings(3, seed=2):
                explorer.set_values(values)
                for name, line in explorer.lines.items():
                    assert np.all(np.isfinite(line.get_ydata())), (name, values)
                lo, hi = explorer.axes["c"].get_ylim()
                assert np.all(np.abs(explorer.data["c"]) <= hi)
        for name, slider in explorer.sliders.items():
            slider.value = slider.max
            slider.value = slider.min
            assert all(np.all(np.isfinite(line.get_ydata())) for line in explorer.lines.values()), name


def test_slider_ranges_and_labels(explorer):
    for slider in explorer.sliders.values():
        assert (slider.min, slider.max) == (-gx.LIMIT, gx.LIMIT)
        assert slider.continuous_update
    assert explorer.sliders["f_bias"].description == "b_f"
    assert explorer.sliders["o_wh"].description == "W_ho"


def test_callbacks_print_nothing(explorer, capsys):
    explorer.sliders["i_bias"].value = 1.5
    explorer.presets["count pulses"].click()
    explorer.sequence.value = "noise"
    explorer.reset.click()
    assert capsys.readouterr() == ("", "")
    assert explorer.values() == {k: 0.0 for k in gx.SLIDER_NAMES}


def test_slider_move_redraws_the_image_in_place(explorer):
    image = explorer.live.widget
    before = image.value
    explorer.sliders["g_bias"].value = 2.0 if explorer.sliders["g_bias"].value != 2.0 else -2.0
    assert explorer.live.widget is image and image.value != before
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_explorer_rejects_unknown_names_and_inputs():
    with pytest.raises(ValueError, match="unknown input"):
        GateExplorer(sequence="sawtooth")
    ex = GateExplorer(values={"f_bias": 4.0})
    assert ex.sliders["f_bias"].value == 4.0
    with pytest.raises(ValueError, match="f_biass"):
        ex.set_values({"f_biass": 1})
    assert ex.sliders["f_bias"].value == 4.0


def test_gate_figure_shows_the_run():
    fig = gate_figure_lines = gx.gate_figure(gx.PRESETS["count pulses"][1], "two pulses", title="count")
    try:
        expected = direct_run(gx.PRESETS["count pulses"][1], gx.SEQUENCES["two pulses"])
        ydata = [ax.lines[0].get_ydata() for ax in gate_figure_lines.axes]
        assert len(ydata) == 7
        for name, data in zip(("x", "i", "f", "g", "o", "c", "h"), ydata):
            np.testing.assert_allclose(data, expected[name], atol=1e-12)
    finally:
        plt.close(fig)


# --- the diagram -----------------------------------------------------------------------------------


def test_cell_diagram_names_everything_in_the_equations():
    fig, ax = plt.subplots()
    try:
        assert draw_lstm_cell(ax) is ax
        texts = " ".join(t.get_text() for t in ax.texts)
        for name in ("c_{t-1}", "c_t", "h_{t-1}", "h_t", "x_t", "i_t", "f_t", "g_t", "o_t", r"\sigma", r"\tanh"):
            assert name in texts, name
    finally:
        plt.close(fig)


# --- 04.lstm_step ------------------------------------------------------------------------------------


def _concat_step(**change):
    return lambda x, h, c, W, b: L._step_variant(x, h, c, W, b, **change)


def test_lstm_step_accepts_the_solution_and_matches_the_package():
    result = check("04.lstm_step", L.lstm_step_concat)
    assert result.passed, result.message


@pytest.mark.parametrize("change, phrase", [
    ({"order": "xh"}, "[h_{t-1}, x_t]"),
    ({"keep": False}, "forgets everything"),
    ({"squash": False}, "without the tanh"),
    ({"g_act": sigmoid}, "candidate g_t uses tanh"),
    ({"gate_act": np.tanh}, "gates i_t, f_t, o_t use the sigmoid"),
    ({"blocks": "ifog"}, "i, f, o, g"),
    ({"blocks": "igfo"}, "i, g, f, o"),
])
def test_lstm_step_explains_typical_mistakes(change, phrase):
    result = check("04.lstm_step", _concat_step(**change))
    assert result.status == "wrong" and phrase in result.message, result.message


def test_lstm_step_other_failures():
    assert check("04.lstm_step", lambda *a: L.lstm_step_concat(*a)[::-1]).message.startswith("h_t and c_t are swapped")
    assert "shape" in check("04.lstm_step", lambda x, h, c, W, b: (h[0], c)).message
    assert "two arrays" in check("04.lstm_step", lambda *a: L.lstm_step_concat(*a)[0]).message
    off = check("04.lstm_step", lambda *a: (L.lstm_step_concat(*a)[0] + 0.01, L.lstm_step_concat(*a)[1]))
    assert off.status == "wrong" and "h_t is off" in off.message

    def placeholder(x_t, h_prev, c_prev, W, b):
        raise NotImplementedError

    assert check("04.lstm_step", placeholder).status == "not attempted"


# --- 04.lstm_step_backward ---------------------------------------------------------------------------


def test_reference_backward_matches_finite_differences():
    rng = np.random.default_rng(3)
    B, D, H = 2, 3, 2
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    W_x, W_h, b = rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H)), rng.normal(size=4 * H)
    wh, wc = rng.normal(size=(B, H)), rng.normal(size=(B, H))

    def loss():
        h_t, c_t, _ = L.lstm_step_forward(x, h, c, W_x, W_h, b)
        return float(np.sum(wh * h_t) + np.sum(wc * c_t))

    _, _, cache = L.lstm_step_forward(x, h, c, W_x, W_h, b)
    dx, dh_prev, dc_prev, grads = L.lstm_step_backward(wh, wc, cache)
    for analytic, array in ((dx, x), (dh_prev, h), (dc_prev, c), (grads["W_x"], W_x), (grads["W_h"], W_h),
                            (grads["b"], b)):
        assert relative_error(analytic, numerical_gradient(loss, array)) < 1e-8


def test_lstm_step_backward_accepts_the_solution():
    result = check("04.lstm_step_backward", L.lstm_step_backward)
    assert result.passed, result.message


@pytest.mark.parametrize("change, phrase", [
    ({"h_path": False}, "reaches the loss two ways"),
    ({"times_f": False}, "dc_prev should be dc * f_t"),
    ({"df_uses_c_prev": False}, "dc * c_{t-1}"),
    ({"do_uses_tanh": False}, "dh_t * tanh(c_t)"),
])
def test_lstm_step_backward_explains_typical_mistakes(change, phrase):
    result = check("04.lstm_step_backward", lambda dh, dc, cache: L._backward_variant(dh, dc, cache, **change))
    assert result.status == "wrong" and phrase in result.message, result.message


def test_lstm_step_backward_other_failures():
    def bad_bias(dh, dc, cache):
        dx, dh_prev, dc_prev, grads = L.lstm_step_backward(dh, dc, cache)
        return dx, dh_prev, dc_prev, {**grads, "b": grads["b"] * 1.1}

    result = check("04.lstm_step_backward", bad_bias)
    assert result.status == "wrong" and 'grads["b"] is wrong' in result.message
    result = check("04.lstm_step_backward", lambda dh, dc, cache: L.lstm_step_backward(dh, dc, cache)[:3])
    assert "four things" in result.message
    result = check("04.lstm_step_backward",
                   lambda dh, dc, cache: (*L.lstm_step_backward(dh, dc, cache)[:3], {"W_x": 0}))
    assert "missing W_h, b" in result.message

    def transposed(dh, dc, cache):
        dx, dh_prev, dc_prev, grads = L.lstm_step_backward(dh, dc, cache)
        return dx, dh_prev, dc_prev, {**grads, "W_x": grads["W_x"].T}

    assert "shape" in check("04.lstm_step_backward", transposed).message


# --- the puzzles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, answer", [("04.puzzle_remember_first", L.REMEMBER_FIRST),
                                          ("04.puzzle_forget_on_request", L.FORGET_ON_REQUEST),
                                          ("04.puzzle_read_on_request", L.READ_ON_REQUEST)])
def test_puzzles_accept_their_solution_as_dict_function_or_explorer(explorer, name, answer):
    assert check(name, answer).passed
    assert check(name, lambda: dict(answer)).passed
    explorer.set_values(answer)
    assert check(name, explorer).passed
    assert check(name, explorer.values).passed
    explorer.sliders["f_bias"].value = -10.0          # a cell that forgets at once solves none of them
    assert check(name, explorer).status == "wrong"
    assert check(name, ...).status == "not attempted"

    def placeholder():
        raise NotImplementedError

    assert check(name, placeholder).status == "not attempted"


def test_puzzle_solutions_sit_on_the_slider_grid():
    for values in (L.REMEMBER_FIRST, L.READ_ON_REQUEST, L.FORGET_ON_REQUEST):
        for name, v in values.items():
            assert name in gx.SLIDER_NAMES and abs(v) <= gx.LIMIT and round(v * 10) == v * 10


def test_remember_first_says_what_is_wrong():
    preset = gx.PRESETS["remember the first pulse"][1]
    message = check("04.puzzle_remember_first", preset).message
    assert "second pulse (step 25)" in message and "W_hi" in message
    message = check("04.puzzle_remember_first", gx.PRESETS["forget immediately"][1]).message
    assert "leaks" in message and "forget gate" in message
    message = check("04.puzzle_remember_first", {}).message
    assert "barely reaches the cell" in message and "i * g = 0 " in message and "candidate g = 0)" in message
    message = check("04.puzzle_remember_first", {**L.REMEMBER_FIRST, "i_bias": -10.0, "i_wx": 2.0}).message
    assert "open the input gate further at the pulse" in message
    message = check("04.puzzle_remember_first", gx.PRESETS["count pulses"][1]).message   # g = tanh(0.5)
    assert "make the candidate larger at the pulse" in message and "input gate further" not in message
    fading = {**L.REMEMBER_FIRST, "f_bias": 5.7}          # sigma(5.7)^20 = 0.94, but ^50 = 0.85
    message = check("04.puzzle_remember_first", fading).message
    assert "does not last 50 steps" in message and "0.9967^50 = 0.85" in message and "from 6 to 55" in message
    leaky_start = {**L.REMEMBER_FIRST, "g_bias": 1.0, "i_bias": 0.0}
    assert "not empty before the first pulse" in check("04.puzzle_remember_first", leaky_start).message


def test_read_on_request_says_what_is_wrong():
    message = check("04.puzzle_read_on_request", gx.PRESETS["remember the first pulse"][1]).message
    assert "step 5" in message and "output gate" in message
    message = check("04.puzzle_read_on_request", gx.PRESETS["forget immediately"][1]).message
    assert "nothing is held" in message
    always_writes = {**L.READ_ON_REQUEST, "i_wx": 0.0, "i_bias": 10.0}   # the question writes -1 into the cell
    message = check("04.puzzle_read_on_request", always_writes).message
    assert "the question itself (x = -1 at step 60) changes the cell" in message
    asks_writes = {**L.READ_ON_REQUEST, "i_wx": 0.0, "i_wh": 0.0, "i_bias": -10.0, "g_bias": 0.0}
    assert "nothing is held" in check("04.puzzle_read_on_request", asks_writes).message
    shut = {**L.READ_ON_REQUEST, "o_wx": 0.0, "o_bias": -10.0}
    message = check("04.puzzle_read_on_request", shut).message
    assert "at the question (step 60)" in message


def test_puzzle_answers_are_validated():
    assert "no slider called 'f_biass'" in check("04.puzzle_remember_first", {"f_biass": 1}).message
    assert "off the slider" in check("04.puzzle_remember_first", {"f_bias": 12}).message
    assert "should be a number" in check("04.puzzle_remember_first", {"f_bias": "ten"}).message
    assert "dict of slider values" in check("04.puzzle_remember_first", [1, 2]).message


# --- the notebook --------------------------------------------------------------------------------------


def test_notebook_solution_cells_match_the_registry():
    if not NOTEBOOK.exists():
        pytest.skip("notebook not built")
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in json.loads(NOTEBOOK.read_text())["cells"]]
    for name in ("04.lstm_step", "04.lstm_step_backward", "04.puzzle_remember_first",
                 "04.puzzle_read_on_request", "04.puzzle_forget_on_request"):
        assert solution_markdown(name) in sources, name
        check_cell = f'check("{name}",'
        index = next(k for k, s in enumerate(sources) if s.startswith(check_cell))
        assert sources[index + 1] == solution_markdown(name)


def test_preset_overview_figure_draws_each_preset_on_its_input():
    fig = gx.preset_overview_figure()
    try:
        assert len(fig.axes) == len(gx.PRESETS)
        for ax, (name, (sequence, values)) in zip(fig.axes, gx.PRESETS.items()):
            x_line, c_line, h_line = ax.lines
            expected = direct_run(values, gx.SEQUENCES[sequence])
            np.testing.assert_allclose(x_line.get_ydata(), expected["x"])
            np.testing.assert_allclose(c_line.get_ydata(), expected["c"], atol=1e-12)
            np.testing.assert_allclose(h_line.get_ydata(), expected["h"], atol=1e-12)
            assert name in ax.get_title()
    finally:
        plt.close(fig)


def test_forget_on_request_accepts_its_solution_and_says_what_is_wrong():
    name = "04.puzzle_forget_on_request"
    assert check(name, L.FORGET_ON_REQUEST).passed
    run = gx.run_unit(L.FORGET_ON_REQUEST, "store, then ask")
    assert run["c"][gx.ASK_STEP - 1] > 0.9 * run["c"][gx.STORE_STEP] and abs(run["c"][gx.ASK_STEP]) < 0.1
    message = check(name, gx.PRESETS["remember the first pulse"][1]).message
    assert "does not erase the cell" in message and "W_xf" in message
    message = check(name, {**L.FORGET_ON_REQUEST, "f_bias": 5.0}).message
    assert "does not hold the value" in message and "0.9933^54" in message and "54 steps from 6 to 59" in message
    message = check(name, {**L.FORGET_ON_REQUEST, "i_wx": 0.0, "i_bias": 10.0})
    assert "writes into the cell" in message.message and "keep the input gate shut" in message.message
    assert "barely reaches the cell" in check(name, gx.PRESETS["count pulses"][1]).message


def test_explorer_checks_the_chosen_puzzle_live(explorer, capsys):
    explorer.set_values({}, "pulse")
    assert explorer.puzzle_status.value == ""
    for label, (name, sequence) in gx.PUZZLES.items():
        explorer.puzzle.value = label
        assert explorer.sequence.value == sequence, "choosing a puzzle shows its input"
        assert "Not yet." in explorer.puzzle_status.value
        solution = {"04.puzzle_remember_first": L.REMEMBER_FIRST, "04.puzzle_read_on_request": L.READ_ON_REQUEST,
                    "04.puzzle_forget_on_request": L.FORGET_ON_REQUEST}[name]
        explorer.set_values(solution)
        assert "Solved." in explorer.puzzle_status.value and name in explorer.puzzle_status.value
        explorer.sliders["f_bias"].value = -10.0
        status = explorer.puzzle_status.value
        assert "Not yet." in status
        # the live status says what check() says
        first_words = check(name, explorer).message.split(":")[0]
        assert first_words[1:] in status, (first_words, status)
    explorer.puzzle.value = gx.NO_PUZZLE
    assert explorer.puzzle_status.value == ""
    assert capsys.readouterr() == ("", "")


def test_carousel_readout_is_the_product_of_forget_gates(explorer):
    explorer.set_values({"f_bias": 10.0}, "pulse")
    lag = gx.T - 1 - gx.STORE_STEP
    assert explorer.carousel_factor() == pytest.approx(float(sigmoid(10.0)) ** lag, rel=1e-9)
    assert f"{explorer.carousel_factor():.3g}" in explorer.carousel.value
    explorer.sliders["f_bias"].value = 0.0
    assert explorer.carousel_factor() == pytest.approx(0.5 ** lag, rel=1e-9)
    assert f"{0.5 ** lag:.3g}" in explorer.carousel.value
    # it is what backpropagation through the single cell gives (no recurrent weights: only the cell path)
    params = gx.params_from_values(explorer.values())
    h, c, cache = lstm.forward(params, gx.SEQUENCES["pulse"][:, None, None])
    dc = np.zeros_like(c)
    dc[-1] = 1.0
    *_, dc_steps = lstm.backward(np.zeros_like(h), cache, dc, return_dc_steps=True)
    assert dc_steps[gx.STORE_STEP, 0, 0] == pytest.approx(explorer.carousel_factor(), rel=1e-9)


# --- the puzzles name the cause that is really at work (review findings) -----------------------------


def test_store_step_blames_the_write_not_the_forget_gate():
    # f_5 multiplies c_4 = 0, so it cannot be why the pulse is stored too small: c_5 = i_5 g_5
    message = check("04.puzzle_remember_first", {"i_wx": 5.4, "i_bias": -5, "g_wx": 0.9, "f_bias": 10}).message
    assert "c = 0.43" in message and "i * g = 0.43" in message, message
    assert "open the input gate further or make the candidate larger" in message
    assert "forget" not in message
    for name in ("04.puzzle_remember_first", "04.puzzle_forget_on_request"):
        message = check(name, {"i_wx": 5.4, "i_bias": -5, "g_wx": 0.9, "f_bias": -10}).message
        assert "i * g = 0.43" in message and "forget" not in message, message


def test_numbers_near_a_threshold_are_printed_on_the_right_side_of_it():
    just_below = {"i_wx": 4.9984, "i_bias": -5, "g_wx": 10, "f_bias": 10}    # c_5 = 0.4996, not 0.5
    message = check("04.puzzle_remember_first", just_below).message
    assert "c = 0.4996 there, and it should be at least 0.5" in message, message
    assert "i * g = 0.4996" in message and "open the input gate further at the pulse" in message
    assert L._n_near(0.4996, 0.5) == "0.4996" and L._n_near(0.43, 0.5) == "0.43" and L._n_near(-0.51, 0.5) == "-0.51"
    assert L._percent(0.1004) == "10.04 %" and L._percent(0.11) == "11 %" and L._percent(1.0) == "100 %"
    assert L._gate(sigmoid(10.0), near_one=True) == "1 - 4.5e-05" and L._gate(sigmoid(-10.0)) == "4.5e-05"


def test_a_cell_that_falls_at_the_second_pulse_blames_the_forget_gate():
    falls = {**L.REMEMBER_FIRST, "f_wx": -10.0}                 # f_25 = sigma(0) = 0.5 at the second pulse
    run = gx.run_unit(falls, "two pulses")
    assert run["c"][gx.SECOND_PULSE_STEP] < 0.6 * run["c"][gx.SECOND_PULSE_STEP - 1]
    message = check("04.puzzle_remember_first", falls).message
    assert "second pulse (step 25) changes the cell from 0.88 to 0.45" in message, message
    assert "the forget gate lets go (f = 0.5" in message and "W_xf" in message
    assert "input gate" not in message
    # a cell that rises there: the input gate opens again
    message = check("04.puzzle_remember_first", gx.PRESETS["remember the first pulse"][1]).message
    assert "from 0.99 to 2" in message and "the input gate opens" in message and "forget gate" not in message


def test_the_question_that_halves_the_cell_blames_the_forget_gate():
    message = check("04.puzzle_read_on_request", {**L.READ_ON_REQUEST, "f_wx": 10.0}).message
    assert "the question itself (x = -1 at step 60) changes the cell" in message
    assert "the forget gate lets go (f = 0.5" in message and "input gate" not in message, message


def test_an_upward_drift_at_rest_blames_the_writes_not_the_forget_gate():
    writes = {**L.FORGET_ON_REQUEST, "g_bias": 3.0}            # i = sigma(-5), g = tanh(3) at rest: c creeps up
    run = gx.run_unit(writes, "store, then ask")
    assert run["c"][gx.ASK_STEP - 1] > run["c"][gx.STORE_STEP]
    message = check("04.puzzle_forget_on_request", writes).message
    hold, erase = message.split("Also, ")
    assert "keeps writing into the cell" in hold and "b_g" in hold, message
    assert "forget gate" not in hold and "closer to 1" not in hold
    # after the command the gate is shut (i = sigma(-15)): the cell refills at rest, the command writes nothing
    assert "does not erase the cell" in erase and "fills up again" in erase and "keeps writing" in erase
    assert "keep the input gate shut for x = -1" not in erase, message


def test_a_downward_drift_at_rest_still_blames_the_forget_gate():
    message = check("04.puzzle_forget_on_request", {**L.FORGET_ON_REQUEST, "f_bias": 5.0}).message
    assert "f must be closer to 1" in message and "keeps writing" not in message


def test_hold_counts_agree_with_the_notebook():
    # puzzle 3 holds c_5 until step 59: c_59 = c_5 f_6 ... f_59, 54 factors; puzzle 1: f_6 ... f_55, 50
    assert gx.ASK_STEP - 1 - gx.STORE_STEP == 54 and L.HOLD_STEPS == 50
    if not NOTEBOOK.exists():
        pytest.skip("notebook not built")
    text = "\n".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"])
    assert r"f_6 f_7 \cdots f_{59}$, 54 factors" in text and r"0.99^{54}" in text and "0.99^{55}" not in text
    assert r"f_6 f_7 \cdots f_{79}$ of the 74 forget" in text and "from step 5 to the" not in text
    assert "`return explorer.values()`" in text and "check(name, explorer)" not in text


# --- 04.lstm_step_backward: the common mistakes, located ---------------------------------------------


def _backward(**change):
    return lambda dh, dc, cache: L._backward_variant(dh, dc, cache, **change)


@pytest.mark.parametrize("change, phrase", [
    ({"candidate_prime": "sigmoid"}, "g_t (1 - g_t) is the sigmoid's"),
    ({"squash_prime_of_c": True}, "not 1 - c_t^2"),
    ({"blocks": "ifog"}, "you stacked da in the order i, f, o, g"),
    ({"blocks": "gfio"}, "you stacked da in the order g, f, i, o"),
    ({"bias_reduce": "mean"}, 'grads["b"] is the batch mean of da'),
])
def test_lstm_step_backward_names_the_common_errors(change, phrase):
    result = check("04.lstm_step_backward", _backward(**change))
    assert result.status == "wrong" and phrase in result.message, result.message
    assert "(the outputs before it" not in result.message


def _with_local_rule(gate, rule):
    """The reference backward, with one gate's local derivative replaced by ``rule(gate value)``."""
    def backward(dh, dc, cache):
        i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
        tanh_c = np.tanh(cache["c_t"])
        dcell = dc + dh * o * (1 - tanh_c**2)
        local = {"i": i * (1 - i), "f": f * (1 - f), "g": 1 - g**2, "o": o * (1 - o)}
        local[gate] = rule(cache[gate])
        upstream = {"i": dcell * g, "f": dcell * cache["c_prev"], "g": dcell * i, "o": dh * tanh_c}
        da = np.concatenate([upstream[k] * local[k] for k in "ifgo"], axis=1)
        grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
        return da @ cache["W_x"], da @ cache["W_h"], dcell * f, grads
    return backward


@pytest.mark.parametrize("gate, name", [("i", "the input gate i"), ("f", "the forget gate f"),
                                        ("g", "the candidate g"), ("o", "the output gate o")])
def test_lstm_step_backward_names_the_gate_whose_block_is_wrong(gate, name):
    result = check("04.lstm_step_backward", _with_local_rule(gate, lambda s: 1 - s**2 if gate != "g" else s))
    assert result.status == "wrong", result.message
    assert f"wrong in the block of {name} (the other blocks are right)" in result.message, result.message
    assert L._GATE_RULES[gate][1] in result.message


def test_lstm_step_backward_says_dc_is_wrong_when_i_f_g_are_and_o_is_not():
    def dc_doubled(dh, dc, cache):
        return L.lstm_step_backward(dh, 2 * dc, cache)       # the cell gradient from step t+1 counted twice

    message = check("04.lstm_step_backward", dc_doubled).message
    assert "wrong in the blocks of i, f and g" in message and "dc is wrong" in message, message


def test_lstm_step_backward_says_which_product_with_da_is_wrong():
    def dx_from_w_h(dh, dc, cache):
        dx, dh_prev, dc_prev, grads = L.lstm_step_backward(dh, dc, cache)
        return -dx, dh_prev, dc_prev, grads

    message = check("04.lstm_step_backward", dx_from_w_h).message
    assert message.startswith("da is right") and "dx_t = da @ W_x" in message and "dh_prev" not in message


# --- the explorer: puzzles and presets agree, and nothing raises ----------------------------------------


def test_a_preset_keeps_the_puzzles_input_so_the_status_matches_the_figure(capsys):
    ex = GateExplorer()
    for label, (name, sequence) in gx.PUZZLES.items():
        ex.puzzle.value = label
        assert ex.sequence.value == sequence and ex.sequence.disabled
        for preset in gx.PRESETS:
            ex.presets[preset].click()
            assert ex.sequence.value == sequence, (label, preset)
            assert ex.values() == {k: float(gx.PRESETS[preset][1].get(k, 0.0)) for k in gx.SLIDER_NAMES}
            assert_plotted(ex, gx.PRESETS[preset][1], sequence)        # the figure shows the puzzle's input
            message = check(name, ex).message                            # and the status says what check says
            status = ex.puzzle_status.value
            if check(name, ex).passed:
                assert "Solved." in status
            else:
                assert "Not yet." in status and message.split(":")[0][1:] in status, (message, status)
    ex.puzzle.value = gx.NO_PUZZLE
    assert not ex.sequence.disabled and ex.puzzle_status.value == ""
    ex.presets["pass the input through"].click()
    assert ex.sequence.value == "noise", "with no puzzle chosen a preset sets its input again"
    assert capsys.readouterr() == ("", "")


def test_the_solved_line_says_what_the_notebook_says():
    ex = GateExplorer()
    for label, (name, _) in gx.PUZZLES.items():
        ex.puzzle.value = label
        ex.set_values({"04.puzzle_remember_first": L.REMEMBER_FIRST, "04.puzzle_read_on_request": L.READ_ON_REQUEST,
                       "04.puzzle_forget_on_request": L.FORGET_ON_REQUEST}[name])
        function = L.ANSWER_FUNCTIONS[name]
        assert "Solved." in ex.puzzle_status.value
        assert f"<code>{function}()</code> <code>return explorer.values()</code>" in ex.puzzle_status.value
        assert f"check(\"{name}\", {function})" in ex.puzzle_status.value
        assert solution_markdown(name).count(f"def {function}():") == 1


def test_every_control_at_every_setting_raises_nothing_even_with_all_floating_point_errors_on():
    ex = GateExplorer()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for sequence in gx.SEQUENCES:
            ex.sequence.value = sequence
            ex.presets["forget immediately"].click()          # f = sigma(-10): f * c_{t-1} underflows
            ex.sequence.value = sequence
            for slider in ex.sliders.values():
                slider.value = slider.max
                slider.value = slider.min
            for values in _extreme_settings(2, seed=3):
                ex.set_values(values)
                assert all(np.all(np.isfinite(line.get_ydata())) for line in ex.lines.values())
                assert 0.0 <= ex.carousel_factor() <= 1.0
        for name in gx.PRESETS:
            ex.presets[name].click()
        for label, (name, _) in gx.PUZZLES.items():
            ex.puzzle.value = label
            for preset in gx.PRESETS:
                ex.presets[preset].click()
            for values in _extreme_settings(2, seed=4):
                ex.set_values(values)
                assert ex.puzzle_status.value
                check(name, values)
        ex.puzzle.value = gx.NO_PUZZLE
        ex.set_values({"f_bias": -10.0}, "pulse")             # 74 gates of sigma(-10): 1e-321, or 0
        assert ex.carousel_factor() < 1e-300
        assert f"{ex.carousel_factor():.3g}" in ex.carousel.value
        for figure in (gx.preset_overview_figure(), gx.gate_figure(gx.PRESETS["forget immediately"][1])):
            plt.close(figure)


def test_carousel_line_names_the_steps_of_its_product(explorer):
    assert "k = 6 &hellip; 79" in explorer.carousel.value and "74 steps back" in explorer.carousel.value


# --- the diagram and the gradient figure -----------------------------------------------------------------


def test_the_o_t_label_sits_clear_of_its_arrow():
    from matplotlib.colors import same_color
    from matplotlib.patches import FancyArrowPatch

    fig, ax = plt.subplots(figsize=(9, 5))
    try:
        draw_lstm_cell(ax)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        label = next(t for t in ax.texts if t.get_text() == "$o_t$").get_window_extent(renderer)
        output_gate = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and same_color(p.get_edgecolor(),
                                                                                            palette.GATES["o"])]
        assert len(output_gate) == 1                       # the arrow from o_t's sigma into the x
        arrow = output_gate[0].get_window_extent(renderer)
        assert not label.overlaps(arrow)
        assert label.y0 >= arrow.y1 + 3, (label, arrow)    # above the arrow, with a gap
        assert label.x1 <= arrow.x1 - 12, (label, arrow)   # and left of the arrowhead
    finally:
        plt.close(fig)


def test_gradient_by_lag_figure_draws_the_curves_it_is_given():
    from rnn_course.plots import gradient_by_lag_figure

    lags = np.arange(20)
    rnn_curve, lstm_curves = 0.5 ** lags, {0.0: 0.6 ** lags, 1.0: 0.9 ** lags}
    cell_path = {0.0: sigmoid(0.0) ** lags}
    fig = gradient_by_lag_figure(lags, rnn_curve, lstm_curves, cell_path)
    try:
        ax = fig.axes[0]
        assert ax.get_yscale() == "log" and len(ax.lines) == 4
        np.testing.assert_allclose(ax.lines[0].get_ydata(), rnn_curve)
        np.testing.assert_allclose(ax.lines[2].get_ydata(), lstm_curves[1.0])
        assert ax.lines[1].get_color() == ax.lines[3].get_color() and ax.lines[3].get_linestyle() == ":"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[:3] == ["tanh RNN", "LSTM, forget bias 0", "LSTM, forget bias 1"]
    finally:
        plt.close(fig)


def test_the_explorer_displays_as_its_widget_with_a_readable_offline_text():
    from rnn_course.widgets.gate_explorer import GateExplorer
    from rnn_course.widgets.live import OFFLINE_TEXT
    explorer = GateExplorer()
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert bundle["text/plain"] == OFFLINE_TEXT
