"""Lesson 4's gate puzzles, defined once: the one-unit LSTM they run on, their inputs, what each
asks, its solution, and what an answer that does not solve it yet still gets wrong.

Two parts of the course read this module and nothing else about the puzzles: the checks
(:mod:`rnn_course.exercises.lesson04`, which turn a learner's answer into slider values) and the
gate explorer (:mod:`rnn_course.widgets.gate_explorer`, which shows the same diagnosis live under
its sliders). Neither imports the other.

The unit has one input (D = 1) and one cell (H = 1), so each of its four blocks has three numbers,
an input weight, a recurrent weight and a bias, named after the gate and the kind:

    i_t = sigma(W_xi x_t + W_hi h_{t-1} + b_i)      "i_wx", "i_wh", "i_bias"
    f_t = sigma(W_xf x_t + W_hf h_{t-1} + b_f)      "f_wx", "f_wh", "f_bias"
    g_t = tanh (W_xg x_t + W_hg h_{t-1} + b_g)      "g_wx", "g_wh", "g_bias"
    o_t = sigma(W_xo x_t + W_ho h_{t-1} + b_o)      "o_wx", "o_wh", "o_bias"
    c_t = f_t c_{t-1} + i_t g_t,   h_t = o_t tanh(c_t)

An answer is a dict of those names (a name left out is 0). Each puzzle's ``problems(values)``
returns the sentences still to fix, an empty list when it is solved. Every diagnosis runs with
floating-point underflow allowed: a product of shut forget gates is 0, the right answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import lstm

GATES = ("i", "f", "g", "o")
KINDS = ("wx", "wh", "bias")
SLIDER_NAMES = tuple(f"{gate}_{kind}" for gate in GATES for kind in KINDS)
#: Every number lies in [-LIMIT, LIMIT] (the explorer's slider range): far enough to shut a gate
#: (sigma(-10) ~ 5e-5).
LIMIT = 10.0
T = 80
#: Array positions (from 0) of the inputs' events. The course counts steps from 1 (the array entry x[t-1] is
#: x_t), so the pulse at position 5 is step 6, and every sentence below names steps with :func:`step_of`.
STORE_STEP, SECOND_PULSE_STEP, ASK_STEP, STEP_START = 5, 25, 60, 20
#: Puzzle 1 holds the first pulse over the 50 steps 7 .. 56; every hold and erase allows 10 %.
HOLD_STEPS = 50
TOLERANCE = 0.1


def input_sequences(T: int = T) -> dict:
    """The inputs to choose from, each an array (T,). Seeded: the same every call."""
    pulse = np.zeros(T)
    pulse[STORE_STEP] = 1.0
    step = np.zeros(T)
    step[STEP_START:] = 1.0
    two = pulse.copy()
    two[SECOND_PULSE_STEP] = 1.0
    ask = pulse.copy()
    ask[ASK_STEP] = -1.0
    noise = np.random.default_rng(0).uniform(-1.0, 1.0, T)
    return {"pulse": pulse, "step": step, "noise": noise, "two pulses": two, "store, then ask": ask}


SEQUENCES = input_sequences()


def params_from_values(values: dict) -> dict:
    """The LSTM parameter dict (W_x (4, 1), W_h (4, 1), b (4,)) of slider ``values``.

    ``values`` maps slider names ("f_bias", "i_wx", ...) to numbers; a name left out is 0.
    """
    unknown = set(values) - set(SLIDER_NAMES)
    if unknown:
        raise ValueError(f"unknown weight name(s) {', '.join(sorted(unknown))}; "
                         f"the names are {', '.join(SLIDER_NAMES)}.")
    get = {name: float(values.get(name, 0.0)) for name in SLIDER_NAMES}
    return {
        "W_x": np.array([[get[f"{g}_wx"]] for g in GATES]),
        "W_h": np.array([[get[f"{g}_wh"]] for g in GATES]),
        "b": np.array([get[f"{g}_bias"] for g in GATES]),
    }


def run_unit(values: dict, x) -> dict:
    """Run the one-unit LSTM with slider ``values`` over ``x`` (T,) (a sequence's name works too).

    Returns ``{"x", "i", "f", "g", "o", "c", "h"}``, each an array (T,).
    """
    if isinstance(x, str):
        x = SEQUENCES[x]
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(under="ignore"):            # f * c_{t-1} with f ~ 5e-5 for many steps: 0 is right
        h, c, cache = lstm.forward(params_from_values(values), x[:, None, None])
    out = {"x": x}
    out.update({gate: cache[gate][:, 0, 0] for gate in GATES})
    out["c"], out["h"] = c[:, 0, 0], h[:, 0, 0]
    return out


# --- numbers in messages -------------------------------------------------------------------------


def _n(value, digits: int = 2) -> str:
    """A number for a message: ``digits`` significant digits, and 0 for anything below 1e-3 in size."""
    return "0" if abs(value) < 1e-3 else f"{value:.{digits}g}"


def _n_near(value, threshold: float, digits: int = 2) -> str:
    """``value`` for a message that compares its size with ``threshold``: as many digits as it takes
    for the printed number to fall on the same side of the threshold (0.4996, not 0.5, against 0.5)."""
    for d in range(digits, 7):
        text = f"{value:.{d}g}"
        shown = abs(float(text))
        if shown != threshold and (shown < threshold) == (abs(value) < threshold):
            return text
    return f"{value:.7g}"


def _gate(value, near_one: bool = False) -> str:
    """A gate's value (0 to 1): 4.5e-05 rather than 0; with ``near_one`` (a forget gate, whose distance
    from 1 decides how long a value lasts) also 0.9995 or 1 - 4.5e-05 rather than 1."""
    if value < 1e-3:
        return "0" if value == 0 else f"{value:.1e}"
    if not near_one:
        return _n(value)
    return f"1 - {1 - value:.1e}" if 1 - value < 1e-4 else _n_near(value, 1.0)


def _percent(ratio) -> str:
    """A relative change in per cent, with enough decimals to compare it with the 10 % tolerance."""
    value, threshold = 100 * abs(ratio), 100 * TOLERANCE
    for decimals in range(0 if value >= 1 else 1, 4):
        shown = float(f"{value:.{decimals}f}")
        if shown != threshold and (shown < threshold) == (value < threshold):
            break
    return f"{value:.{decimals}f} %"


def _most_of(causes: list, floor: float) -> str:
    """The causes (size, text) whose size reaches ``floor``, largest first; the largest one if none does."""
    named = [cause for cause in causes if cause[0] >= floor] or [max(causes)]
    return "; ".join(text for _, text in sorted(named, reverse=True))


def _quiet_underflow(problems_of):
    """Run a diagnosis with underflow to 0 allowed: a product of shut gates is 0, not an error."""
    @functools.wraps(problems_of)
    def run(values: dict) -> list[str]:
        with np.errstate(under="ignore"):
            return problems_of(values)

    return run



# --- why an answer falls short ---------------------------------------------------------------


def step_of(position) -> int:
    """The step number t of array position ``position``: x[t-1] holds x_t, so position 5 is step 6."""
    return int(position) + 1


def _store_too_small(run: dict, t: int, what: str) -> str:
    """Why the pulse at step ``t`` leaves |c_t| below 0.5: c_t = f_t c_{t-1} + i_t g_t."""
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    written, carried = i[t] * g[t], f[t] * c[t - 1]
    text = (f"{what} (step {step_of(t)}) barely reaches the cell: c = {_n_near(c[t], 0.5)} there, and it should be at "
            "least 0.5 in size.")
    if abs(written) < 0.5:
        advice = ("open the input gate further" if abs(g[t]) >= 0.95 else
                  "make the candidate larger" if i[t] >= 0.95 else
                  "open the input gate further or make the candidate larger")
        text += (f" Why: the pulse writes only i * g = {_n_near(written, 0.5)} (input gate i = {_gate(i[t])}, "
                 f"candidate g = {_n(g[t])}): {advice} at the pulse.")
    if abs(carried) >= TOLERANCE / 2 and np.sign(carried) != np.sign(written):
        text += (f" {'And' if abs(written) < 0.5 else f'The pulse writes i * g = {_n(written)}, but'} the cell "
                 f"already holds c = {_n(c[t - 1])} from before the pulse, which cancels it: with x = 0 the unit "
                 "should write nothing (look at b_i and b_g).")
    return text


def _hold_causes(run: dict, steps, stored: float, hold: tuple[int, int]) -> str:
    """Why the stored value drifts over ``steps``: what the forget gates erased, what the input gate wrote.

    Over a step c changes by i_k g_k - (1 - f_k) c_{k-1}; a cause is named when its sum over ``steps``
    is at least half the tolerance. ``hold`` = (first, last) step the value must survive.
    """
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    t = int(steps[-1])
    erased = float(np.sum((1 - f[steps]) * c[steps - 1]))
    written = float(np.sum(i[steps] * g[steps]))
    n = hold[1] - hold[0] + 1
    shown = _n_near(f[t], 1.0, 4) if f[t] >= 1e-3 else _gate(f[t])
    decay = (f"at rest (x = 0) the forget gate is f = {shown} (step {step_of(t)}), and over the {n} steps from "
             f"{step_of(hold[0])} to {step_of(hold[1])} the value is multiplied by {shown}^{n} = "
             f"{_n_near(f[t] ** n, 1 - TOLERANCE)}, which "
             f"should stay above {1 - TOLERANCE:g}: f must be closer to 1")
    return _most_of([(abs(erased), decay), (abs(written), _writes_at_rest(run, steps))],
                    TOLERANCE / 2 * abs(stored))


def _writes_at_rest(run: dict, steps) -> str:
    i, g = run["i"], run["g"]
    t = int(steps[-1])
    return (f"at rest (x = 0) the unit keeps writing into the cell: i * g = {_n(i[t] * g[t])} at step {step_of(t)} "
            f"(i = {_gate(i[t])}, g = {_n(g[t])}), {_n(float(np.sum(i[steps] * g[steps])))} in all from step "
            f"{step_of(steps[0])} to {step_of(t)}; with x = 0 the input gate should be shut or the candidate 0 "
            "(look at b_i and b_g)")


def _step_causes(run: dict, t: int, stored: float, *, forget_advice: str, input_advice: str) -> str:
    """Why the cell changed at step ``t``: the forget gate let go (c falls) or the input gate wrote (c rises)."""
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    erased, written = (1 - f[t]) * c[t - 1], i[t] * g[t]
    let_go = (f"the forget gate lets go (f = {_gate(f[t], near_one=True)} there, so only that fraction of "
              f"c_{step_of(t) - 1} is kept); {forget_advice}")
    opens = (f"the input gate opens (i = {_gate(i[t])}) and writes i * g = {_n(written)} (g = {_n(g[t])}); "
             f"{input_advice}")
    return _most_of([(abs(erased), let_go), (abs(written), opens)],
                    TOLERANCE / 2 * abs(stored))


def _moved(now: float, stored: float) -> str:
    return "leaks" if abs(now) < abs(stored) else "grows"


@_quiet_underflow
def remember_first_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "keep the first pulse for 50 steps, ignore the second"."""
    run = run_unit(values, "two pulses")
    c = run["c"]
    first, second = STORE_STEP, SECOND_PULSE_STEP
    stored = c[first]
    if abs(stored) < 0.5:
        return [_store_too_small(run, first, "the first pulse")]
    problems = []
    if np.any(np.abs(c[:first]) > TOLERANCE):
        problems.append("the cell is not empty before the first pulse: with x = 0 the unit should write "
                        "nothing (look at b_i and b_g).")
    hold = (first + 1, first + HOLD_STEPS)
    window = np.arange(hold[0], hold[1] + 1)
    drift = np.abs(c[window] - stored) / abs(stored)
    off = window[drift > TOLERANCE]
    before = off[off < second]
    if len(before):
        t = before[0]
        steps = np.arange(first + 1, t + 1)
        problems.append(f"the cell {_moved(c[t], stored)} before the second pulse: at step {step_of(t)} c = {_n(c[t])} "
                        f"after storing {_n(stored)}, a change of {_percent(abs(c[t] - stored) / abs(stored))} "
                        f"(at most {100 * TOLERANCE:g} % is allowed). Why: "
                        f"{_hold_causes(run, steps, stored, hold)}.")
    elif second in off:
        why = _step_causes(run, second, stored,
                           forget_advice="the pulse reaches the forget gate through W_xf (and h_{t-1} through "
                                         "W_hf): keep f near 1 there",
                           input_advice="make the input gate shut once something is stored: W_hi sees h_{t-1}, "
                                        "which is not 0 any more")
        problems.append(f"the second pulse (step {step_of(second)}) changes the cell from {_n(c[second - 1])} to "
                        f"{_n(c[second])}: {why}.")
    elif len(off):
        t = off[0]
        steps = np.arange(first + 1, t + 1)
        problems.append(f"the value does not last {HOLD_STEPS} steps: at step {step_of(t)} c = {_n(c[t])} after "
                        f"storing {_n(stored)}, a change of {_percent(abs(c[t] - stored) / abs(stored))}. Why: "
                        f"{_hold_causes(run, steps[steps != second], stored, hold)}.")
    return problems


@_quiet_underflow
def read_on_request_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "h_t shows the stored value only when asked (x = -1)"."""
    run = run_unit(values, "store, then ask")
    c, h, o = run["c"], run["h"], run["o"]
    store, ask = STORE_STEP, ASK_STEP
    problems = []
    held = c[ask - 1]
    if abs(held) < 0.5:
        problems.append(f"nothing is held in the cell when the question comes: c = {_n_near(held, 0.5)} at step "
                        f"{step_of(ask - 1)} (store the pulse of step {step_of(store)} and keep it; the preset "
                        "\"remember the first pulse\" is a start).")
    elif abs(c[ask] - held) > TOLERANCE * abs(held):
        why = _step_causes(run, ask, held,
                           forget_advice="the question reaches the forget gate through W_xf: keep f near 1 there",
                           input_advice="the question should read the cell, not write it")
        problems.append(f"the question itself (x = -1 at step {step_of(ask)}) changes the cell from {_n(held)} to "
                        f"{_n(c[ask])}: {why}.")
    if abs(h[ask]) < 0.5:
        problems.append(f"at the question (step {step_of(ask)}) h = {_n_near(h[ask], 0.5)}: it should show the stored "
                        f"value, at least 0.5 in size (the output gate is o = {_gate(o[ask])} there).")
    elif abs(held) >= 0.5 and np.sign(h[ask]) != np.sign(held):
        problems.append(f"at the question h = {_n(h[ask])} has the opposite sign to the stored {_n(held)}.")
    others = np.flatnonzero(np.abs(h) >= TOLERANCE)
    others = others[others != ask]
    if len(others):
        t = others[0]
        problems.append(f"outside the question, h_t should stay below {TOLERANCE} in size; at step {step_of(t)} "
                        f"(x = {run['x'][t]:g}) h = {_n_near(h[t], TOLERANCE)}, because the output gate is "
                        f"o = {_gate(o[t])} there. Let the output gate depend on the input.")
    return problems


@_quiet_underflow
def forget_on_request_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "hold the value until x = -1, then erase it"."""
    run = run_unit(values, "store, then ask")
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    store, erase = STORE_STEP, ASK_STEP
    stored = c[store]
    if abs(stored) < 0.5:
        return [_store_too_small(run, store, "the pulse")]
    problems = []
    hold = (store + 1, erase - 1)
    held = np.arange(hold[0], hold[1] + 1)
    drift = np.abs(c[held] - stored) / abs(stored)
    if np.any(drift > TOLERANCE):
        t = held[np.argmax(drift > TOLERANCE)]
        problems.append(f"the cell does not hold the value until the command: at step {step_of(t)} c = "
                        f"{_n(c[t])} after storing {_n(stored)}, a change of "
                        f"{_percent(abs(c[t] - stored) / abs(stored))}. Why: "
                        f"{_hold_causes(run, np.arange(hold[0], t + 1), stored, hold)}.")
    after = np.arange(erase, len(c))
    left = np.abs(c[after]) / abs(stored)
    kept, written = f[erase] * c[erase - 1], i[erase] * g[erase]
    if np.any(left > TOLERANCE):
        t = after[np.argmax(left > TOLERANCE)]
        if t == erase and abs(kept) >= abs(written):
            why = (f"the forget gate is f = {_gate(f[erase], near_one=True)} at the command; it can read x_t too "
                   "(W_xf)")
        elif t == erase:
            why = (f"the command writes into the cell (i = {_gate(i[erase])}, g = {_n(g[erase])}, i * g = "
                   f"{_n(written)}): keep the input gate shut for x = -1")
        else:
            steps = np.arange(erase + 1, t + 1)
            why = (f"the command does empty it (c = {_n(c[erase])} at step {step_of(erase)}), but the cell fills up "
                   f"again: {_writes_at_rest(run, steps)}")
        problems.append(f"the command (x = -1 at step {step_of(erase)}) does not erase the cell: at step "
                        f"{step_of(t)} "
                        f"c = {_n(c[t])}, {_percent(left[t - erase])} of the stored {_n(stored)} (it should be "
                        f"below {100 * TOLERANCE:g} %); {why}.")
    elif abs(kept) > TOLERANCE * abs(stored):
        # the cell is empty, but the forget gate kept the value and the input gate wrote -c over it
        problems.append(f"the cell is emptied at the command by writing -c through the input gate, not by the "
                        f"forget gate: f = {_gate(f[erase], near_one=True)} still keeps f * c = {_n(kept, 3)}, and "
                        f"i * g = {_n(written)} (i = {_gate(i[erase])}, g = {_n(g[erase])}) cancels it. That "
                        "subtracts a copy of what is stored, so it erases only a value known in advance; erase "
                        "with the forget gate instead: make f drop near 0 at the command (it reads x_t through "
                        "W_xf).")
    return problems


# --- the three puzzles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Puzzle:
    """One gate puzzle: what the checks and the explorer need to know about it."""
    name: str                   # the exercise, e.g. "04.puzzle_remember_first"
    title: str                  # the exercise's title
    label: str                  # its entry in the explorer's puzzle menu
    sequence: str               # the input it runs on (a key of SEQUENCES)
    answer_function: str        # the notebook's function that returns the learner's answer
    solution: dict              # slider values that solve it
    problems: Callable          # values -> list of sentences still to fix (empty: solved)
    success: str                # what the check says when it is solved


#: The puzzles by exercise name, in the lesson's order.
PUZZLES = {puzzle.name: puzzle for puzzle in (
    Puzzle("04.puzzle_remember_first", "Keep the first pulse for 50 steps and ignore the second",
           "1. keep the first pulse, ignore the second", "two pulses", "remember_first",
           {"i_wx": 10.0, "i_wh": -10.0, "i_bias": -8.0, "g_wx": 10.0, "f_bias": 10.0, "o_bias": 10.0},
           remember_first_problems,
           f"the cell stores the first pulse, shrugs off the second and holds the value for {HOLD_STEPS} steps."),
    Puzzle("04.puzzle_read_on_request", "Show the stored value only when the input asks",
           "2. show the value only when asked", "store, then ask", "read_on_request",
           {"i_wx": 10.0, "i_bias": -5.0, "g_wx": 10.0, "f_bias": 10.0, "o_wx": -10.0, "o_bias": -5.0},
           read_on_request_problems,
           "the cell holds the value out of sight and the output gate opens only for the question."),
    Puzzle("04.puzzle_forget_on_request", "Hold the value until the input says erase",
           "3. erase on command", "store, then ask", "forget_on_request",
           {"i_wx": 10.0, "i_bias": -5.0, "g_wx": 10.0, "f_wx": 10.0, "f_bias": 7.0, "o_bias": 10.0},
           forget_on_request_problems,
           "the cell holds the value and the forget gate wipes it on command: the reset that Gers et al. "
           "(2000) gave the LSTM."),
)}
