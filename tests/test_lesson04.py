"""Lesson 4 (LSTM gates): the checkers, the gate explorer, the cell diagram, the notebook's solutions."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from learner_copies import typed

from rnn_course import lstm, palette
from rnn_course import puzzles as P
from rnn_course.activations import sigmoid
from rnn_course.diagrams.lstm_cell import draw_lstm_cell
from rnn_course.exercises import check, help_markdown, learner_or_reference, solution_markdown
from rnn_course.exercises import lesson04 as L
from rnn_course.gradcheck import gradcheck, numerical_gradient, relative_error
from rnn_course.widgets import gate_explorer as gx
from rnn_course.widgets.gate_explorer import GateExplorer

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_lstm_gates.ipynb"
REMEMBER_FIRST = P.PUZZLES["04.puzzle_remember_first"].solution
READ_ON_REQUEST = P.PUZZLES["04.puzzle_read_on_request"].solution
FORGET_ON_REQUEST = P.PUZZLES["04.puzzle_forget_on_request"].solution


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
    values = {name: round(float(rng.uniform(-3, 3)), 1) for name in P.SLIDER_NAMES}
    explorer.set_values(values, "noise")
    assert_plotted(explorer, values, "noise")
    for name in P.SLIDER_NAMES:
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
    explorer.set_values({k: 1.0 for k in P.SLIDER_NAMES}, "step")
    updates = explorer.updates
    explorer.presets[name].click()
    sequence, values = gx.PRESETS[name]
    assert explorer.sequence.value == sequence
    assert explorer.values() == {k: float(values.get(k, 0.0)) for k in P.SLIDER_NAMES}
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
    one, two = c[P.SECOND_PULSE_STEP - 1], c[P.SECOND_PULSE_STEP]
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
    settings = [{k: gx.LIMIT for k in P.SLIDER_NAMES}, {k: -gx.LIMIT for k in P.SLIDER_NAMES}]
    settings += [{k: float(rng.choice([-gx.LIMIT, 0.0, gx.LIMIT])) for k in P.SLIDER_NAMES} for _ in range(n_random)]
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
    assert explorer.values() == {k: 0.0 for k in P.SLIDER_NAMES}


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


def _concat_step(*, order="hx", g_act=np.tanh, gate_act=sigmoid, keep=True, squash=True, blocks="ifgo"):
    """The concatenated step as a learner with one slip writes it (independent of the check's own mistakes)."""
    def step(x, h, c, W, b):
        H = h.shape[1]
        z = np.concatenate([h, x] if order == "hx" else [x, h], axis=1) @ W.T + b
        a = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(blocks)}
        i, f, o, g = gate_act(a["i"]), gate_act(a["f"]), gate_act(a["o"]), g_act(a["g"])
        c_t = (f * c if keep else 0.0) + i * g
        return o * (np.tanh(c_t) if squash else c_t), c_t
    return step


def test_lstm_step_accepts_the_solution_and_matches_the_package():
    result = check("04.lstm_step", typed(L.lstm_step_concat))
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
    only_h = check("04.lstm_step", lambda *a: L.lstm_step_concat(*a)[0]).message
    assert "should return 2 arrays, in this order: h_t, c_t" in only_h
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
    result = check("04.lstm_step_backward", typed(L.lstm_step_backward))
    assert result.passed, result.message


# --- the puzzles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, answer", [("04.puzzle_remember_first", REMEMBER_FIRST),
                                          ("04.puzzle_forget_on_request", FORGET_ON_REQUEST),
                                          ("04.puzzle_read_on_request", READ_ON_REQUEST)])
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
    for values in (REMEMBER_FIRST, READ_ON_REQUEST, FORGET_ON_REQUEST):
        for name, v in values.items():
            assert name in P.SLIDER_NAMES and abs(v) <= gx.LIMIT and round(v * 10) == v * 10


def test_remember_first_says_what_is_wrong():
    preset = gx.PRESETS["remember the first pulse"][1]
    message = check("04.puzzle_remember_first", preset).message
    assert "second pulse (step 26)" in message and "W_hi" in message
    message = check("04.puzzle_remember_first", gx.PRESETS["forget immediately"][1]).message
    assert "leaks" in message and "forget gate" in message
    message = check("04.puzzle_remember_first", {}).message
    assert "barely reaches the cell" in message and "i * g = 0 " in message and "candidate g = 0)" in message
    message = check("04.puzzle_remember_first", {**REMEMBER_FIRST, "i_bias": -10.0, "i_wx": 2.0}).message
    assert "open the input gate further at the pulse" in message
    message = check("04.puzzle_remember_first", gx.PRESETS["count pulses"][1]).message   # g = tanh(0.5)
    assert "make the candidate larger at the pulse" in message and "input gate further" not in message
    fading = {**REMEMBER_FIRST, "f_bias": 5.7}          # sigma(5.7)^20 = 0.94, but ^50 = 0.85
    message = check("04.puzzle_remember_first", fading).message
    assert "does not last 50 steps" in message and "0.9967^50 = 0.85" in message and "from 7 to 56" in message
    leaky_start = {**REMEMBER_FIRST, "g_bias": 1.0, "i_bias": 0.0}
    assert "not empty before the first pulse" in check("04.puzzle_remember_first", leaky_start).message


def test_read_on_request_says_what_is_wrong():
    message = check("04.puzzle_read_on_request", gx.PRESETS["remember the first pulse"][1]).message
    assert "step 6" in message and "output gate" in message
    message = check("04.puzzle_read_on_request", gx.PRESETS["forget immediately"][1]).message
    assert "nothing is held" in message
    always_writes = {**READ_ON_REQUEST, "i_wx": 0.0, "i_bias": 10.0}   # the question writes -1 into the cell
    message = check("04.puzzle_read_on_request", always_writes).message
    assert "the question itself (x = -1 at step 61) changes the cell" in message
    asks_writes = {**READ_ON_REQUEST, "i_wx": 0.0, "i_wh": 0.0, "i_bias": -10.0, "g_bias": 0.0}
    assert "nothing is held" in check("04.puzzle_read_on_request", asks_writes).message
    shut = {**READ_ON_REQUEST, "o_wx": 0.0, "o_bias": -10.0}
    message = check("04.puzzle_read_on_request", shut).message
    assert "at the question (step 61)" in message


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
    for name in ("04.lstm_step", "04.lstm_forward", "04.lstm_step_backward", "04.lstm_backward",
                 "04.puzzle_remember_first",
                 "04.puzzle_read_on_request", "04.puzzle_forget_on_request"):
        assert help_markdown(name) in sources, name
        check_cell = f'check("{name}",'
        index = next(k for k, s in enumerate(sources) if s.startswith(check_cell))
        assert sources[index + 1] == help_markdown(name)


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
    assert check(name, FORGET_ON_REQUEST).passed
    run = gx.run_unit(FORGET_ON_REQUEST, "store, then ask")
    assert run["c"][P.ASK_STEP - 1] > 0.9 * run["c"][gx.STORE_STEP] and abs(run["c"][P.ASK_STEP]) < 0.1
    message = check(name, gx.PRESETS["remember the first pulse"][1]).message
    assert "does not erase the cell" in message and "W_xf" in message
    message = check(name, {**FORGET_ON_REQUEST, "f_bias": 5.0}).message
    assert "does not hold the value" in message and "0.9933^54" in message and "54 steps from 7 to 60" in message
    message = check(name, {**FORGET_ON_REQUEST, "i_wx": 0.0, "i_bias": 10.0})
    assert "writes into the cell" in message.message and "keep the input gate shut" in message.message
    assert "barely reaches the cell" in check(name, gx.PRESETS["count pulses"][1]).message


def test_explorer_checks_the_chosen_puzzle_live(explorer, capsys):
    explorer.set_values({}, "pulse")
    assert explorer.puzzle_status.value == ""
    for label, (name, sequence) in gx.PUZZLES.items():
        explorer.puzzle.value = label
        assert explorer.sequence.value == sequence, "choosing a puzzle shows its input"
        assert "Not yet." in explorer.puzzle_status.value
        solution = {"04.puzzle_remember_first": REMEMBER_FIRST, "04.puzzle_read_on_request": READ_ON_REQUEST,
                    "04.puzzle_forget_on_request": FORGET_ON_REQUEST}[name]
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
    assert P._n_near(0.4996, 0.5) == "0.4996" and P._n_near(0.43, 0.5) == "0.43" and P._n_near(-0.51, 0.5) == "-0.51"
    assert P._percent(0.1004) == "10.04 %" and P._percent(0.11) == "11 %" and P._percent(1.0) == "100 %"
    assert P._gate(sigmoid(10.0), near_one=True) == "1 - 4.5e-05" and P._gate(sigmoid(-10.0)) == "4.5e-05"


def test_a_cell_that_falls_at_the_second_pulse_blames_the_forget_gate():
    falls = {**REMEMBER_FIRST, "f_wx": -10.0}                 # f_25 = sigma(0) = 0.5 at the second pulse
    run = gx.run_unit(falls, "two pulses")
    assert run["c"][P.SECOND_PULSE_STEP] < 0.6 * run["c"][P.SECOND_PULSE_STEP - 1]
    message = check("04.puzzle_remember_first", falls).message
    assert "second pulse (step 26) changes the cell from 0.88 to 0.45" in message, message
    assert "the forget gate lets go (f = 0.5" in message and "W_xf" in message
    assert "input gate" not in message
    # a cell that rises there: the input gate opens again
    message = check("04.puzzle_remember_first", gx.PRESETS["remember the first pulse"][1]).message
    assert "from 0.99 to 2" in message and "the input gate opens" in message and "forget gate" not in message


def test_the_question_that_halves_the_cell_blames_the_forget_gate():
    message = check("04.puzzle_read_on_request", {**READ_ON_REQUEST, "f_wx": 10.0}).message
    assert "the question itself (x = -1 at step 61) changes the cell" in message
    assert "the forget gate lets go (f = 0.5" in message and "input gate" not in message, message


def test_an_upward_drift_at_rest_blames_the_writes_not_the_forget_gate():
    writes = {**FORGET_ON_REQUEST, "g_bias": 3.0}            # i = sigma(-5), g = tanh(3) at rest: c creeps up
    run = gx.run_unit(writes, "store, then ask")
    assert run["c"][P.ASK_STEP - 1] > run["c"][gx.STORE_STEP]
    message = check("04.puzzle_forget_on_request", writes).message
    hold, erase = message.split("Also, ")
    assert "keeps writing into the cell" in hold and "b_g" in hold, message
    assert "forget gate" not in hold and "closer to 1" not in hold
    # after the command the gate is shut (i = sigma(-15)): the cell refills at rest, the command writes nothing
    assert "does not erase the cell" in erase and "fills up again" in erase and "keeps writing" in erase
    assert "keep the input gate shut for x = -1" not in erase, message


def test_a_downward_drift_at_rest_still_blames_the_forget_gate():
    message = check("04.puzzle_forget_on_request", {**FORGET_ON_REQUEST, "f_bias": 5.0}).message
    assert "f must be closer to 1" in message and "keeps writing" not in message


def test_hold_counts_agree_with_the_notebook():
    # puzzle 3 holds c_6 (the pulse is step 6, x[5]) until step 60: c_60 = c_6 f_7 ... f_60, 54 factors;
    # puzzle 1: f_7 ... f_56, 50
    assert P.ASK_STEP - 1 - gx.STORE_STEP == 54 and P.HOLD_STEPS == 50
    if not NOTEBOOK.exists():
        pytest.skip("notebook not built")
    text = "\n".join("".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"])
    assert r"f_7 f_8 \cdots f_{60}$, 54 factors" in text and r"0.99^{54}" in text and "0.99^{55}" not in text
    assert r"f_7 f_8 \cdots f_{80}$ of the 74 forget" in text and "from step 6 to the" not in text
    assert "`return explorer.values()`" in text and "check(name, explorer)" not in text


# --- the mistakes the array checks recognise: each by its own sentence ---------------------------------


def _with_dict_grads(flat):
    """A step backward returning (dx_t, dh_prev, dc_prev, grads), built from a flat known mistake."""
    def backward(dh, dc, cache):
        dx, dh_prev, dc_prev, dW_x, dW_h, db = flat(dh, dc, cache)
        return dx, dh_prev, dc_prev, {"W_x": dW_x, "W_h": dW_h, "b": db}
    return backward


MISTAKE_LISTS = {"04.lstm_step": (L._STEP_MISTAKES, None), "04.lstm_forward": (L._FORWARD_MISTAKES, None),
                 "04.lstm_step_backward": (L._STEP_BACKWARD_MISTAKES, _with_dict_grads),
                 "04.lstm_backward": (L._BACKWARD_MISTAKES, None)}
EVERY_MISTAKE = [(name, k) for name, (mistakes, _) in MISTAKE_LISTS.items() for k in range(len(mistakes))]


@pytest.mark.parametrize("name, k", EVERY_MISTAKE)
def test_every_known_mistake_is_recognised_by_its_own_sentence(name, k):
    mistakes, wrap = MISTAKE_LISTS[name]
    mistake = mistakes[k]
    answer = wrap(mistake.compute) if wrap else mistake.compute
    result = check(name, answer)
    assert result.status == "wrong" and result.message == mistake.explanation, (result.message, mistake.explanation)


def test_the_mistake_sentences_are_all_different():
    for name, (mistakes, _) in MISTAKE_LISTS.items():
        sentences = [m.explanation for m in mistakes]
        assert len(set(sentences)) == len(sentences), name


@pytest.mark.parametrize("name, phrase", [
    ("04.lstm_forward", "Olah's blog post"), ("04.lstm_forward", "CS231n's"), ("04.lstm_forward", "TensorFlow 1's"),
    ("04.lstm_forward", "1997 LSTM"), ("04.lstm_forward", "c_t = f_t * c_{t-1} + i_t leaves out the candidate"),
    ("04.lstm_forward", "h_t = o_t * c_t leaves out the tanh"), ("04.lstm_forward", "reads the input of step 0"),
    ("04.lstm_forward", "forgot the bias b"),
    ("04.lstm_backward", "through h:"), ("04.lstm_backward", "along the cell:"),
    ("04.lstm_backward", "wrong sign"), ("04.lstm_backward", "add every step's share (+=) instead of assigning"),
    ("04.lstm_backward", "by h_t, where h_{t-1} belongs"), ("04.lstm_backward", "input of step 0 at every step"),
    ("04.lstm_backward", "forgot the bias b"), ("04.lstm_backward", "1997 LSTM"),
    ("04.lstm_backward", "CS231n's"),
])
def test_the_mistakes_the_issue_names_are_each_in_a_list(name, phrase):
    mistakes, _ = MISTAKE_LISTS[name]
    assert any(phrase in m.explanation for m in mistakes), phrase


def test_the_step_mistakes_of_before_are_still_recognised():
    step = " ".join(m.explanation for m in L._STEP_MISTAKES)
    for phrase in ("[h_{t-1}, x_t]", "forgets everything", "without the tanh", "candidate g_t uses tanh",
                   "gates i_t, f_t, o_t use the sigmoid", "order i, f, o, g", "order i, g, f, o", "swapped"):
        assert phrase in step, phrase
    backward = " ".join(m.explanation for m in L._STEP_BACKWARD_MISTAKES)
    for phrase in ("reaches the loss two ways", "dc_prev should be dc * f_t", "dc * c_{t-1}", "dh_t * tanh(c_t)",
                   "not 1 - c_t^2", "g_t (1 - g_t) is the sigmoid's", "averaged over the batch",
                   "you stacked da in the order i, f, o, g", "you stacked da in the order g, f, i, o"):
        assert phrase in backward, phrase


def test_model_mistakes_in_the_backward_are_the_exact_gradients_of_that_model():
    rng = np.random.default_rng(5)
    x, h0, c0, W_x, W_h, b = L._sequence(rng, 3, 2, 2, 3)
    weights = rng.normal(size=(3, 2, 3))
    for text, model in L.MODEL_MISTAKES:
        arrays = {"x": x, "h0": h0, "c0": c0, "W_x": W_x, "W_h": W_h, "b": b}
        grads = dict(zip(arrays, model.backward(weights, *arrays.values())))
        if "forgot the bias" in text:
            del grads["b"]          # that model has no bias; the learner's db is still the sum of da

        def loss(p, model=model):
            return float(np.sum(weights * model.forward(p["x"], p["h0"], p["c0"], p["W_x"], p["W_h"], p["b"])[0]))

        for name, error in gradcheck(loss, {k: v.copy() for k, v in arrays.items()}, grads).items():
            assert error < 1e-7, (text, name, error)


# --- 04.lstm_forward and 04.lstm_backward: the reference, and what the learner sees ---------------------


@pytest.mark.parametrize("T, B, D, H", [(5, 3, 2, 4), (1, 1, 1, 1), (7, 2, 6, 3)])
def test_reference_solutions_match_the_package(T, B, D, H):
    rng = np.random.default_rng(T)
    args = L._sequence(rng, T, B, D, H)
    dh = rng.normal(size=(T, B, H))
    for ours, package in zip(L.lstm_forward(*args), L.package_lstm_forward(*args)):
        np.testing.assert_allclose(ours, package, rtol=1e-12, atol=1e-12)
    for ours, package in zip(L.lstm_backward(dh, *args), L.package_lstm_backward(dh, *args)):
        np.testing.assert_allclose(ours, package, rtol=1e-10, atol=1e-12)


def test_reference_solutions_keep_float32():
    rng = np.random.default_rng(1)
    args = tuple(a.astype(np.float32) for a in L._sequence(rng, 4, 3, 2, 5))
    dh = rng.normal(size=(4, 3, 5)).astype(np.float32)
    assert all(out.dtype == np.float32 for out in L.lstm_forward(*args))
    assert all(out.dtype == np.float32 for out in L.lstm_backward(dh, *args))
    h, c = L.lstm_forward(*args)
    h64, c64 = L.lstm_forward(*(a.astype(np.float64) for a in args))
    np.testing.assert_allclose(h, h64, atol=1e-5)


def test_reference_backward_of_the_sequence_matches_finite_differences():
    rng = np.random.default_rng(2)
    arrays = dict(zip(("x", "h0", "c0", "W_x", "W_h", "b"), L._sequence(rng, 4, 2, 3, 2)))
    weights = rng.normal(size=(4, 2, 2))
    grads = dict(zip(arrays, L.lstm_backward(weights, *arrays.values())))

    def loss(p):
        return float(np.sum(weights * L.lstm_forward(*p.values())[0]))

    assert max(gradcheck(loss, arrays, grads).values()) < 1e-8


def test_the_cases_have_all_four_sizes_different():
    for T, B, D, H in L.SEQUENCE_SIZES:
        assert len({T, B, D, H}) == 4
    assert len(L.SEQUENCE_SIZES) >= 2 and len(set(L.SEQUENCE_SIZES)) == len(L.SEQUENCE_SIZES)
    for B, D, H in L.STEP_SIZES:
        assert len({B, D, H}) == 3


def test_a_right_backward_gets_its_own_gradient_check_in_the_praise():
    for name, solution in (("04.lstm_backward", L.lstm_backward), ("04.lstm_step_backward", L.lstm_step_backward)):
        result = check(name, typed(solution))
        assert result.passed, result.message
        assert "Gradient check of your function: largest relative error" in result.message
        assert "trust it" in result.message


def test_a_wrong_backward_is_named_before_any_gradient_check():
    result = check("04.lstm_backward", L._no_carry_along_the_cell.compute)
    assert result.status == "wrong" and "Gradient check" not in result.message


def test_the_right_numbers_as_lists_count_as_right():
    forward, backward = typed(L.lstm_forward), typed(L.lstm_backward)
    assert check("04.lstm_forward", lambda *a: tuple(v.tolist() for v in forward(*a))).passed
    assert check("04.lstm_backward", lambda *a: [v.tolist() for v in backward(*a)]).passed


def _shifted(fn, k, delta):
    def answer(*args):
        out = list(fn(*args))
        out[k] = out[k] + delta
        return tuple(out)
    return answer


def test_an_unknown_slip_names_the_wrong_outputs_and_the_right_ones():
    message = check("04.lstm_backward", _shifted(L.lstm_backward, 4, 0.01)).message
    assert message.startswith("dW_h is off (relative error") and "dx, dh0, dc0, dW_x, db are right" in message
    message = check("04.lstm_forward", _shifted(L.lstm_forward, 0, 0.01)).message
    assert message.startswith("h is off") and "c is right" in message


def _placeholder_dots(x, h0, c0, W_x, W_h, b):
    ...


def _raises(*args):
    raise KeyError("W")


def _modifies_x(x, h0, c0, W_x, W_h, b):
    x *= 2
    return L.lstm_forward(x, h0, c0, W_x, W_h, b)


def _modifies_dh(dh, *args):
    dh[:] = 0
    return L.lstm_backward(dh, *args)


BAD_FORWARDS = [
    (_raises, "your function raised KeyError: 'W'"),
    (lambda *a: None, "returned None"),
    (lambda *a: L.lstm_forward(*a)[0], "should return 2 arrays, in this order: h, c"),
    (lambda *a: tuple(v[-1] for v in L.lstm_forward(*a)), "h has shape"),
    (lambda *a: tuple(v.astype(np.float32) for v in L.lstm_forward(*a)), "h has dtype float32, expected float64"),
    (lambda *a: (L.lstm_forward(*a)[0] * np.nan, L.lstm_forward(*a)[1]), "h contains NaN"),
    (lambda *a: (L.lstm_forward(*a)[0], L.lstm_forward(*a)[1] / 0.0), "c contains infinity"),
    (_modifies_x, "changed its argument `x` in place"),
    (lambda *a: "h, c", "should return 2 arrays"),
]


@pytest.mark.parametrize("answer, phrase", BAD_FORWARDS)
def test_a_bad_forward_gets_one_line_and_never_a_traceback(answer, phrase):
    result = check("04.lstm_forward", answer)
    assert result.status == "wrong" and phrase in result.message, result.message
    assert "\n" not in result.message and "Traceback" not in result.message


BAD_BACKWARDS = [
    (_raises, "your function raised KeyError: 'W'"),
    (lambda *a: None, "returned None"),
    (lambda *a: L.lstm_backward(*a)[:5], "should return 6 arrays, in this order: dx, dh0, dc0, dW_x, dW_h, db"),
    (lambda *a: (*L.lstm_backward(*a)[:3], L.lstm_backward(*a)[3].T, *L.lstm_backward(*a)[4:]),
     "dW_x has shape"),
    (lambda *a: tuple(v * np.inf for v in L.lstm_backward(*a)), "contains"),
    (_modifies_dh, "changed its argument `dh` in place"),
]


@pytest.mark.parametrize("answer, phrase", BAD_BACKWARDS)
def test_a_bad_backward_gets_one_line_and_never_a_traceback(answer, phrase):
    result = check("04.lstm_backward", answer)
    assert result.status == "wrong" and phrase in result.message, result.message
    assert "\n" not in result.message


def test_bad_step_answers_get_one_line():
    def modifies_cache(dh, dc, cache):
        cache["i"][:] = 0
        return L.lstm_step_backward(dh, dc, cache)

    assert "changed its argument `cache` in place" in check("04.lstm_step_backward", modifies_cache).message
    assert "raised KeyError" in check("04.lstm_step_backward", _raises).message
    assert "raised KeyError" in check("04.lstm_step", _raises).message
    assert "returned None" in check("04.lstm_step", lambda *a: None).message


def test_the_learners_own_arrays_are_left_as_they_were():
    args = L._forward_cases()[0]
    kept = [a.copy() for a in args]
    check("04.lstm_forward", _modifies_x)
    for before, after in zip(kept, args):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("name", ["04.lstm_forward", "04.lstm_backward", "04.lstm_step", "04.lstm_step_backward"])
def test_a_body_of_dots_is_not_attempted(name):
    assert check(name, _placeholder_dots).status == "not attempted"


def test_the_lesson_goes_on_with_yours_only_when_it_passes():
    def not_yet(x, h0, c0, W_x, W_h, b):
        raise NotImplementedError

    function, used = learner_or_reference("04.lstm_forward", not_yet, L.package_lstm_forward, "the package's")
    assert function is L.package_lstm_forward and used.startswith("the package's")
    function, _ = learner_or_reference("04.lstm_forward", lambda *a: L.lstm_forward(*a[:-1], 0 * a[-1]),
                                       L.package_lstm_forward)
    assert function is L.package_lstm_forward
    mine = typed(L.lstm_backward)
    function, used = learner_or_reference("04.lstm_backward", mine, L.package_lstm_backward)
    assert function is mine and "your lstm_backward" in used
    function, _ = learner_or_reference("04.lstm_backward", L.lstm_backward, L.package_lstm_backward)
    assert function is L.package_lstm_backward           # the course's own function is not the learner's


# --- puzzle 3 must be solved with the forget gate ---------------------------------------------------------

CANCEL_THROUGH_THE_INPUT_GATE = {"i_bias": 10.0, "g_wx": 10.0, "f_bias": 10.0, "o_bias": 10.0}


def test_erasing_by_writing_minus_c_through_the_input_gate_is_rejected_by_the_check():
    run = gx.run_unit(CANCEL_THROUGH_THE_INPUT_GATE, "store, then ask")
    assert abs(run["c"][P.ASK_STEP:]).max() < 0.1 * run["c"][gx.STORE_STEP]    # the cell is empty after all
    assert run["f"][P.ASK_STEP] > 0.99                                           # but the forget gate kept it
    result = check("04.puzzle_forget_on_request", CANCEL_THROUGH_THE_INPUT_GATE)
    assert result.status == "wrong"
    assert "writing -c through the input gate, not by the forget gate" in result.message, result.message
    assert "erase with the forget gate" in result.message


def test_erasing_by_writing_minus_c_through_the_input_gate_is_not_solved_in_the_explorer():
    ex = GateExplorer()
    ex.puzzle.value = next(label for label, (name, _) in gx.PUZZLES.items() if name == "04.puzzle_forget_on_request")
    ex.set_values(CANCEL_THROUGH_THE_INPUT_GATE)
    assert "Not yet." in ex.puzzle_status.value and "Solved." not in ex.puzzle_status.value
    assert "writing -c through the input gate" in ex.puzzle_status.value
    ex.set_values(FORGET_ON_REQUEST)
    assert "Solved." in ex.puzzle_status.value


def test_a_forget_gate_that_only_half_erases_with_the_input_gate_doing_the_rest_is_rejected():
    half = {**CANCEL_THROUGH_THE_INPUT_GATE, "f_wx": 10.0, "f_bias": 10.0, "g_wx": 5.0}   # f = 0.5 at x = -1
    run = gx.run_unit(half, "store, then ask")
    assert run["f"][P.ASK_STEP] == pytest.approx(0.5)
    message = check("04.puzzle_forget_on_request", half).message
    assert "not by the forget gate" in message or "does not erase" in message, message


# --- the puzzles are data, read by the checks and the explorer, which do not import each other -----------


def test_the_checks_and_the_explorer_read_the_same_puzzles():
    assert [name for name, _ in gx.PUZZLES.values()] == list(P.PUZZLES)
    for label, (name, sequence) in gx.PUZZLES.items():
        puzzle = P.PUZZLES[name]
        assert (puzzle.label, puzzle.sequence) == (label, sequence)
        assert solution_markdown(name).count(f"def {puzzle.answer_function}():") == 1


@pytest.mark.parametrize("module, other", [("rnn_course.widgets.gate_explorer", "rnn_course.exercises.lesson04"),
                                           ("rnn_course.exercises.lesson04", "rnn_course.widgets.gate_explorer")])
def test_lesson04_and_the_gate_explorer_do_not_import_each_other(module, other):
    import subprocess
    import sys

    code = f"import sys, {module}; print({other!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- the explorer: puzzles and presets agree, and nothing raises ----------------------------------------


def test_a_preset_keeps_the_puzzles_input_so_the_status_matches_the_figure(capsys):
    ex = GateExplorer()
    for label, (name, sequence) in gx.PUZZLES.items():
        ex.puzzle.value = label
        assert ex.sequence.value == sequence and ex.sequence.disabled
        for preset in gx.PRESETS:
            ex.presets[preset].click()
            assert ex.sequence.value == sequence, (label, preset)
            assert ex.values() == {k: float(gx.PRESETS[preset][1].get(k, 0.0)) for k in P.SLIDER_NAMES}
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
        ex.set_values({"04.puzzle_remember_first": REMEMBER_FIRST, "04.puzzle_read_on_request": READ_ON_REQUEST,
                       "04.puzzle_forget_on_request": FORGET_ON_REQUEST}[name])
        function = P.PUZZLES[name].answer_function
        assert "Solved." in ex.puzzle_status.value
        assert f"<code>{function}()</code> <code>return explorer.values()</code>" in ex.puzzle_status.value
        assert f"check(\"{name}\", {function})" in ex.puzzle_status.value
        assert solution_markdown(name).count(f"def {function}():") == 1


def test_every_control_at_every_setting_raises_nothing_even_with_all_floating_point_errors_on():
    ex = GateExplorer()
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        # ... from the course's code. matplotlib's own calls into its dependencies are not the course's: an
        # older matplotlib (3.7) calls pyparsing 3.3's deprecated names when it lays out math text.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"matplotlib\.")
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
    assert "k = 7 &hellip; 80" in explorer.carousel.value and "74 steps back" in explorer.carousel.value


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


def test_the_explorer_displays_as_its_widget_with_a_readable_offline_text():
    from rnn_course.widgets.gate_explorer import GateExplorer
    from rnn_course.widgets.live import OFFLINE_TEXT
    explorer = GateExplorer()
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert bundle["text/plain"] == OFFLINE_TEXT


def _notebook_cells():
    return [("".join(c["source"]), c) for c in json.loads(NOTEBOOK.read_text())["cells"]]


def test_no_answer_stands_before_its_exercise():
    if not NOTEBOOK.exists():
        pytest.skip("notebook not built")
    cells = _notebook_cells()
    sources = [s for s, _ in cells]
    forward_at = next(k for k, s in enumerate(sources) if s.startswith("def lstm_forward("))
    backward_at = next(k for k, s in enumerate(sources) if s.startswith("def lstm_backward("))
    before_forward = [s for s, c in cells[:forward_at] if c["cell_type"] == "code"]
    before_backward = [s for s, c in cells[:backward_at] if c["cell_type"] == "code"]
    assert not any("for t in range(T)" in s and "lstm_step(" in s for s in before_forward)
    step_at = next(k for k, s in enumerate(sources) if s.startswith("def lstm_step_concat("))
    assert not any(s.startswith("def lstm_step(") for s, c in cells[:forward_at] if c["cell_type"] == "code"), \
        "the course's step stands before the forward exercises"
    assert step_at < forward_at
    assert not any("reversed(range(" in s for s in before_backward), "a backward loop through time before exercise 4"
    assert not any("def lstm_bptt" in s for s in sources)
    # the worked examples use sizes other than the checks'
    sizes_of_worked_step = (2, 3, 5)
    before_step_backward = [s for s, c in cells[:next(k for k, s in enumerate(sources)
                                                       if s.startswith("def lstm_step_backward("))]]
    assert sizes_of_worked_step not in L.STEP_SIZES and "B, D, H = 2, 3, 5" in "\n".join(before_step_backward)
    assert (7, 2, 3, 4) not in L.SEQUENCE_SIZES and "T, B, D, H = 7, 2, 3, 4" in "\n".join(sources)


def test_the_stored_outputs_show_the_fallback_to_the_package():
    if not NOTEBOOK.exists():
        pytest.skip("notebook not built")
    texts = ["".join(o.get("text", "")) for _, c in _notebook_cells() if c["cell_type"] == "code"
             for o in c.get("outputs", [])]
    assert ("Forward pass below: the package's lstm.forward, since yours does not pass 04.lstm_forward yet.\n"
            "Backward pass below: the package's lstm.backward, since yours does not pass 04.lstm_backward yet.\n"
            ) in texts
    sources = [s for s, _ in _notebook_cells()]
    for name in ("lstm_forward", "lstm_backward"):
        assert f"def {name}(x" in "".join(sources) or f"def {name}(dh" in "".join(sources)
        assert any(s.startswith(f"def {name}(") and s.rstrip().endswith("raise NotImplementedError") for s in sources)


def test_the_instructor_guide_counts_the_mistakes_the_checks_know():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "instructor-guide.md").read_text()
    lesson4 = guide[guide.index("### Lesson 4"):guide.index("### Lesson 5")]
    count = sum(len(mistakes) for mistakes, _ in MISTAKE_LISTS.values())
    assert f"lesson 4's checks recognise {count} this way" in " ".join(lesson4.split())
