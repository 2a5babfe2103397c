"""Lesson 4 (LSTM gates): the step forward and backward, and the gate puzzles.

Exercises:

- ``04.lstm_step``: one LSTM step in Olah's form, one weight matrix over [h_{t-1}, x_t]
- ``04.lstm_step_backward``: the step's backward pass
- ``04.puzzle_remember_first``: gate weights that keep the first pulse and ignore the second
- ``04.puzzle_read_on_request``: gate weights that show the stored value only when asked
- ``04.puzzle_forget_on_request``: gate weights that hold a value until the input says "erase"

A puzzle's answer is the explorer itself (its sliders are read), a dict of slider values
such as ``{"f_bias": 10, ...}`` (a name left out is 0), or a function returning either.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import lstm
from ..activations import sigmoid
from ..widgets import gate_explorer as gx
from .core import Mistake, NotAttempted, attempt, exercise, require_array

# --- 04.lstm_step ------------------------------------------------------------------------------


def lstm_step_concat(x_t, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    z = np.concatenate([h_prev, x_t], axis=1) @ W.T + b     # [h_{t-1}, x_t], as Olah writes it
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:3 * H])
    o = sigmoid(z[:, 3 * H:])
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    return h_t, c_t


def _step_variant(x, h, c, W, b, *, order="hx", g_act=np.tanh, gate_act=sigmoid, keep=True, squash=True,
                  blocks="ifgo"):
    """The step with one deliberate change: the mistakes the checker recognises."""
    H = h.shape[1]
    z = np.concatenate([h, x] if order == "hx" else [x, h], axis=1) @ W.T + b
    a = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(blocks)}
    i, f, o = gate_act(a["i"]), gate_act(a["f"]), gate_act(a["o"])
    g = g_act(a["g"])
    c_t = (f * c if keep else 0.0) + i * g
    return o * (np.tanh(c_t) if squash else c_t), c_t


_STEP_MISTAKES = (
    ({"order": "xh"}, "you concatenated [x_t, h_{t-1}]; here W's first H columns multiply h_{t-1} and the last D "
                      "multiply x_t, so the order is [h_{t-1}, x_t]."),
    ({"keep": False}, "c_t forgets everything: it is f_t * c_{t-1} + i_t * g_t; the forget gate scales the old "
                      "cell state, it does not replace it."),
    ({"squash": False}, "h_t should be o_t * tanh(c_t); without the tanh, h_t copies c_t, which can grow past 1."),
    ({"g_act": sigmoid}, "the candidate g_t uses tanh, not sigmoid: it is a value that may be negative, "
                         "while the gates i, f, o are openings between 0 and 1."),
    ({"gate_act": np.tanh}, "the gates i_t, f_t, o_t use the sigmoid (0 to 1, how far open); tanh would let a "
                            "gate be negative."),
    ({"blocks": "ifog"}, "the four blocks of W and b come in the order i, f, g, o (as in rnn_course.lstm and "
                         "PyTorch); you read them as i, f, o, g."),
    ({"blocks": "igfo"}, "the four blocks of W and b come in the order i, f, g, o; you read them as i, g, f, o."),
)


@exercise("04.lstm_step", "One LSTM step with one weight matrix over [h_{t-1}, x_t]", solution=lstm_step_concat)
def _check_lstm_step(answer):
    rng = np.random.default_rng(4)
    B, D, H = 3, 2, 4
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)) * 0.5, rng.normal(size=(B, H))
    W, b = rng.normal(size=(4 * H, H + D)), rng.normal(size=4 * H) * 0.5
    out = attempt(answer, x, h, c, W, b)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake("return two arrays, (h_t, c_t).")
    h_t = require_array(out[0], (B, H), "h_t (the first value returned)")
    c_t = require_array(out[1], (B, H), "c_t (the second value returned)")
    h_ref, c_ref, _ = lstm.step_forward({"W_x": W[:, H:], "W_h": W[:, :H], "b": b}, x, h, c)
    if np.allclose(h_t, h_ref, atol=1e-8) and np.allclose(c_t, c_ref, atol=1e-8):
        return ("h_t and c_t match rnn_course.lstm.step_forward with W_h = W[:, :H] and W_x = W[:, H:]: "
                "the two ways of writing the step are the same computation.")
    if np.allclose(h_t, c_ref, atol=1e-8) and np.allclose(c_t, h_ref, atol=1e-8):
        raise Mistake("h_t and c_t are swapped: return (h_t, c_t).")
    for change, message in _STEP_MISTAKES:
        h_bad, c_bad = _step_variant(x, h, c, W, b, **change)
        if np.allclose(h_t, h_bad, atol=1e-8) and np.allclose(c_t, c_bad, atol=1e-8):
            raise Mistake(message)
    if np.allclose(c_t, c_ref, atol=1e-8):
        raise Mistake(f"c_t is right but h_t is off by up to {np.max(np.abs(h_t - h_ref)):.2g}: "
                      "h_t = o_t * tanh(c_t).")
    raise Mistake(f"c_t is off by up to {np.max(np.abs(c_t - c_ref)):.2g}. Compute z = [h_{{t-1}}, x_t] W^T + b, "
                  "split it into four blocks of H columns (i, f, g, o), squash them, then "
                  "c_t = f * c_prev + i * g.")


# --- 04.lstm_step_backward -----------------------------------------------------------------------


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """The notebook's step: returns (h_t, c_t, cache) with the gates in the cache."""
    H = h_prev.shape[1]
    z = x_t @ W_x.T + h_prev @ W_h.T + b
    i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 3 * H:])
    g = np.tanh(z[:, 2 * H:3 * H])
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    cache = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev, "i": i, "f": f, "g": g, "o": o,
             "c_t": c_t, "W_x": W_x, "W_h": W_h}
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tanh_c = np.tanh(cache["c_t"])
    dc = dc_t + dh_t * o * (1 - tanh_c**2)     # c_t reaches the loss directly and through h_t
    do = dh_t * tanh_c
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i
    dc_prev = dc * f                             # the cell's path back: one multiplication by f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": da.sum(axis=0)}
    return da @ cache["W_x"], da @ cache["W_h"], dc_prev, grads


def _backward_variant(dh, dc_in, cache, *, h_path=True, times_f=True, df_uses_c_prev=True, do_uses_tanh=True,
                      squash_prime_of_c=False, candidate_prime="tanh", blocks="ifgo", bias_reduce="sum"):
    """The step backward with one deliberate change: the mistakes the checker recognises."""
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    c_t = cache["c_t"]
    tanh_c = np.tanh(c_t)
    squash_prime = 1 - c_t**2 if squash_prime_of_c else 1 - tanh_c**2
    dc = dc_in + (dh * o * squash_prime if h_path else 0.0)
    do = dh * (tanh_c if do_uses_tanh else c_t)
    df = dc * (cache["c_prev"] if df_uses_c_prev else 1.0)
    g_prime = 1 - g**2 if candidate_prime == "tanh" else g * (1 - g)
    da_of = {"i": dc * g * i * (1 - i), "f": df * f * (1 - f), "g": dc * i * g_prime, "o": do * o * (1 - o)}
    da = np.concatenate([da_of[gate] for gate in blocks], axis=1)
    db = da.sum(axis=0) if bias_reduce == "sum" else da.mean(axis=0)
    grads = {"W_x": da.T @ cache["x_t"], "W_h": da.T @ cache["h_prev"], "b": db}
    return da @ cache["W_x"], da @ cache["W_h"], dc * (f if times_f else 1.0), grads


_BIAS_AVERAGED = ('grads["b"] is the batch mean of da; every example adds its share to the loss, so the bias '
                  "gradient is the sum, da.sum(axis=0) (just as da.T @ x_t sums over the batch for W_x).")
_BLOCK_ORDER = ("you stacked da in the order {order}; the rows of W_x, W_h and b come in the order i, f, g, o, "
                "and da must follow them: [da_i, da_f, da_g, da_o].")

_BACKWARD_MISTAKES = (
    ({"h_path": False}, "c_t reaches the loss two ways: directly (dc_t) and through h_t = o_t * tanh(c_t). "
                        "Start from dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2)."),
    ({"times_f": False}, "dc_prev should be dc * f_t: c_{t-1} enters c_t multiplied by the forget gate."),
    ({"df_uses_c_prev": False}, "the forget gate multiplies c_{t-1}, so its gradient is dc * c_{t-1} "
                                "(before the sigmoid's f (1 - f))."),
    ({"do_uses_tanh": False}, "h_t = o_t * tanh(c_t), so the output gate's gradient is dh_t * tanh(c_t), "
                              "not dh_t * c_t."),
    ({"squash_prime_of_c": True}, "dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2): the tanh's derivative at c_t is "
                                  "1 - tanh(c_t)^2, not 1 - c_t^2 (c_t is what goes into the tanh, not what "
                                  "comes out)."),
    ({"candidate_prime": "sigmoid"}, "the candidate is g_t = tanh(a_g), so its derivative is 1 - g_t^2; "
                                     "g_t (1 - g_t) is the sigmoid's, right for i, f and o only."),
    ({"blocks": "ifog"}, _BLOCK_ORDER.format(order="i, f, o, g")),
    ({"bias_reduce": "mean"}, _BIAS_AVERAGED),
)

#: Each gate's name and local rule; its block of da is columns k H .. (k + 1) H, k in the order i, f, g, o.
_GATE_RULES = {
    "i": ("the input gate i", "da_i = dc * g_t * i_t (1 - i_t)"),
    "f": ("the forget gate f", "da_f = dc * c_{t-1} * f_t (1 - f_t)"),
    "g": ("the candidate g", "da_g = dc * i_t * (1 - g_t^2)"),
    "o": ("the output gate o", "da_o = dh_t * tanh(c_t) * o_t (1 - o_t)"),
}
#: How each output is built from da (once da is right).
_FROM_DA = {"dx_t": "dx_t = da @ W_x", "dh_prev": "dh_prev = da @ W_h", "dc_prev": "dc_prev = dc * f_t",
            'grads["W_x"]': 'grads["W_x"] = da.T @ x_t', 'grads["W_h"]': 'grads["W_h"] = da.T @ h_prev'}


def _close(a, b) -> bool:
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _blocks(v, H: int) -> dict:
    return {gate: v[k * H:(k + 1) * H] for k, gate in enumerate("ifgo")}


def _diagnose_backward(got: dict, ref: dict, H: int, B: int) -> str:
    """Which part of a wrong backward is wrong, read off the bias gradient block by block.

    ``got`` and ``ref`` map "dx_t", "dh_prev", "dc_prev", 'grads["W_x"]', 'grads["W_h"]' and
    'grads["b"]' to arrays. grads["b"] is da summed over the batch, so each of its four blocks
    shows whether that gate's da is right; when all four are, the mistake is in what is built from da.
    """
    got_b, ref_b = got['grads["b"]'], ref['grads["b"]']
    if _close(got_b, ref_b / B):
        return _BIAS_AVERAGED
    got_blocks, ref_blocks = _blocks(got_b, H), _blocks(ref_b, H)
    order = [next((gate for gate in "ifgo" if _close(got_blocks[k], ref_blocks[gate])), None) for k in "ifgo"]
    if None not in order and len(set(order)) == 4 and order != list("ifgo"):
        return _BLOCK_ORDER.format(order=", ".join(order))
    wrong = [gate for gate in "ifgo" if not _close(got_blocks[gate], ref_blocks[gate])]
    if wrong and all(_close(got[n], ref[n]) for n in ('grads["W_x"]', 'grads["W_h"]')):
        return ('grads["b"] is wrong, but grads["W_x"] and grads["W_h"] are right, so da is right: the bias '
                "gradient is da summed over the batch, da.sum(axis=0).")
    if set(wrong) == {"i", "f", "g"}:
        return ('grads["b"] (da summed over the batch) is wrong in the blocks of i, f and g and right in the '
                "output gate's. The three start from dc, so dc is wrong: "
                "dc = dc_t + dh_t * o_t * (1 - tanh(c_t)^2).")
    if wrong:
        names = " and ".join(_GATE_RULES[gate][0] for gate in wrong)
        rules = "; ".join(_GATE_RULES[gate][1] for gate in wrong)
        others = "the other blocks are right" if len(wrong) < 4 else "every block is off"
        return (f'grads["b"] (da summed over the batch) is wrong in the block{"s" if len(wrong) > 1 else ""} '
                f"of {names} ({others}), so that part of da is wrong: {rules}.")
    bad = [name for name in _FROM_DA if not _close(got[name], ref[name])]
    return (f'da is right (grads["b"] matches, block by block), but {" and ".join(bad)} '
            f"{'is' if len(bad) == 1 else 'are'} not: {'; '.join(_FROM_DA[name] for name in bad)}.")


@exercise("04.lstm_step_backward", "The LSTM step's backward pass", solution=lstm_step_backward)
def _check_lstm_step_backward(answer):
    rng = np.random.default_rng(44)
    B, D, H = 3, 2, 4
    x, h, c = rng.normal(size=(B, D)), rng.normal(size=(B, H)) * 0.5, rng.normal(size=(B, H))
    W_x, W_h, b = rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H)) * 0.5, rng.normal(size=4 * H) * 0.5
    _, _, cache = lstm_step_forward(x, h, c, W_x, W_h, b)
    dh, dc = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    out = attempt(answer, dh, dc, {k: v.copy() for k, v in cache.items()})
    if not isinstance(out, tuple) or len(out) != 4 or not isinstance(out[3], dict):
        raise Mistake("return four things: dx_t, dh_prev, dc_prev and a dict grads with keys W_x, W_h, b.")
    missing = [k for k in ("W_x", "W_h", "b") if k not in out[3]]
    if missing:
        raise Mistake(f"grads is missing {', '.join(missing)}; it needs W_x, W_h and b.")
    names = ("dx_t", "dh_prev", "dc_prev", 'grads["W_x"]', 'grads["W_h"]', 'grads["b"]')
    shapes = ((B, D), (B, H), (B, H), (4 * H, D), (4 * H, H), (4 * H,))
    values = (out[0], out[1], out[2], out[3]["W_x"], out[3]["W_h"], out[3]["b"])
    got = {name: require_array(v, shape, name) for name, v, shape in zip(names, values, shapes)}

    def as_dict(dx, dh_prev, dc_prev, grads):
        return dict(zip(names, (dx, dh_prev, dc_prev, grads["W_x"], grads["W_h"], grads["b"])))

    pcache = lstm.step_forward({"W_x": W_x, "W_h": W_h, "b": b}, x, h, c)[2]
    ref = as_dict(*lstm.step_backward(dh, dc, pcache))
    if all(_close(got[name], ref[name]) for name in names):
        return ("every gradient matches rnn_course.lstm.step_backward (itself checked against finite "
                "differences).")
    for change, message in _BACKWARD_MISTAKES:
        variant = as_dict(*_backward_variant(dh, dc, cache, **change))
        if all(_close(got[name], variant[name]) for name in names):
            raise Mistake(message)
    raise Mistake(_diagnose_backward(got, ref, H, B))


# --- the gate puzzles ----------------------------------------------------------------------------

REMEMBER_FIRST = {"i_wx": 10.0, "i_wh": -10.0, "i_bias": -8.0, "g_wx": 10.0, "f_bias": 10.0, "o_bias": 10.0}
READ_ON_REQUEST = {"i_wx": 10.0, "i_bias": -5.0, "g_wx": 10.0, "f_bias": 10.0, "o_wx": -10.0, "o_bias": -5.0}
FORGET_ON_REQUEST = {"i_wx": 10.0, "i_bias": -5.0, "g_wx": 10.0, "f_wx": 10.0, "f_bias": 7.0, "o_bias": 10.0}
HOLD_STEPS = 50
TOLERANCE = 0.1
#: The notebook's answer function of each puzzle (the explorer's "Solved" line names it).
ANSWER_FUNCTIONS = {"04.puzzle_remember_first": "remember_first", "04.puzzle_read_on_request": "read_on_request",
                    "04.puzzle_forget_on_request": "forget_on_request"}


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


def _values_of(answer) -> dict:
    """Slider values from an explorer, a dict, or a function returning one of them."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted()
    if callable(answer) and not hasattr(answer, "sliders"):
        answer = attempt(answer)
    if hasattr(answer, "sliders") and hasattr(answer, "values"):
        answer = answer.values()
    if not isinstance(answer, dict):
        raise Mistake(f"give a dict of slider values such as {{'f_bias': 10}}, or the explorer; got "
                      f"{type(answer).__name__}.")
    unknown = sorted(set(answer) - set(gx.SLIDER_NAMES))
    if unknown:
        raise Mistake(f"there is no slider called {', '.join(map(repr, unknown))}; the names are "
                      f"{', '.join(gx.SLIDER_NAMES)}.")
    values = {}
    for name, value in answer.items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise Mistake(f"{name} should be a number; got {value!r}.") from None
        if not np.isfinite(value) or abs(value) > gx.LIMIT:
            raise Mistake(f"{name} = {value:g} is off the slider: keep every number between "
                          f"{-gx.LIMIT:g} and {gx.LIMIT:g}.")
        values[name] = value
    return values


def _solution_text(name: str, values: dict) -> str:
    """The solution as the notebook's answer function of puzzle ``name`` returning ``values``."""
    lines = [f"def {ANSWER_FUNCTIONS[name]}():"]
    lines.append("    return {" + ", ".join(f'"{k}": {v:g}' for k, v in values.items()) + "}")
    return "\n".join(lines)


def _store_too_small(run: dict, t: int, what: str) -> str:
    """Why the pulse at step ``t`` leaves |c_t| below 0.5: c_t = f_t c_{t-1} + i_t g_t."""
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    written, carried = i[t] * g[t], f[t] * c[t - 1]
    text = (f"{what} (step {t}) barely reaches the cell: c = {_n_near(c[t], 0.5)} there, and it should be at "
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
    decay = (f"at rest (x = 0) the forget gate is f = {shown} (step {t}), and over the {n} steps from {hold[0]} to "
             f"{hold[1]} the value is multiplied by {shown}^{n} = {_n_near(f[t] ** n, 1 - TOLERANCE)}, which "
             f"should stay above {1 - TOLERANCE:g}: f must be closer to 1")
    return _most_of([(abs(erased), decay), (abs(written), _writes_at_rest(run, steps))],
                    TOLERANCE / 2 * abs(stored))


def _writes_at_rest(run: dict, steps) -> str:
    i, g = run["i"], run["g"]
    t = int(steps[-1])
    return (f"at rest (x = 0) the unit keeps writing into the cell: i * g = {_n(i[t] * g[t])} at step {t} "
            f"(i = {_gate(i[t])}, g = {_n(g[t])}), {_n(float(np.sum(i[steps] * g[steps])))} in all from step "
            f"{int(steps[0])} to {t}; with x = 0 the input gate should be shut or the candidate 0 (look at b_i "
            "and b_g)")


def _step_causes(run: dict, t: int, stored: float, *, forget_advice: str, input_advice: str) -> str:
    """Why the cell changed at step ``t``: the forget gate let go (c falls) or the input gate wrote (c rises)."""
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    erased, written = (1 - f[t]) * c[t - 1], i[t] * g[t]
    let_go = (f"the forget gate lets go (f = {_gate(f[t], near_one=True)} there, so only that fraction of "
              f"c_{t - 1} is kept); {forget_advice}")
    opens = (f"the input gate opens (i = {_gate(i[t])}) and writes i * g = {_n(written)} (g = {_n(g[t])}); "
             f"{input_advice}")
    return _most_of([(abs(erased), let_go), (abs(written), opens)],
                    TOLERANCE / 2 * abs(stored))


def _moved(now: float, stored: float) -> str:
    return "leaks" if abs(now) < abs(stored) else "grows"


@_quiet_underflow
def remember_first_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "keep the first pulse for 50 steps, ignore the second"."""
    run = gx.run_unit(values, "two pulses")
    c = run["c"]
    first, second = gx.STORE_STEP, gx.SECOND_PULSE_STEP
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
        problems.append(f"the cell {_moved(c[t], stored)} before the second pulse: at step {t} c = {_n(c[t])} "
                        f"after storing {_n(stored)}, a change of {_percent(abs(c[t] - stored) / abs(stored))} "
                        f"(at most {100 * TOLERANCE:g} % is allowed). Why: "
                        f"{_hold_causes(run, steps, stored, hold)}.")
    elif second in off:
        why = _step_causes(run, second, stored,
                           forget_advice="the pulse reaches the forget gate through W_xf (and h_{t-1} through "
                                         "W_hf): keep f near 1 there",
                           input_advice="make the input gate shut once something is stored: W_hi sees h_{t-1}, "
                                        "which is not 0 any more")
        problems.append(f"the second pulse (step {second}) changes the cell from {_n(c[second - 1])} to "
                        f"{_n(c[second])}: {why}.")
    elif len(off):
        t = off[0]
        steps = np.arange(first + 1, t + 1)
        problems.append(f"the value does not last {HOLD_STEPS} steps: at step {t} c = {_n(c[t])} after storing "
                        f"{_n(stored)}, a change of {_percent(abs(c[t] - stored) / abs(stored))}. Why: "
                        f"{_hold_causes(run, steps[steps != second], stored, hold)}.")
    return problems


@_quiet_underflow
def read_on_request_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "h_t shows the stored value only when asked (x = -1)"."""
    run = gx.run_unit(values, "store, then ask")
    c, h, o = run["c"], run["h"], run["o"]
    store, ask = gx.STORE_STEP, gx.ASK_STEP
    problems = []
    held = c[ask - 1]
    if abs(held) < 0.5:
        problems.append(f"nothing is held in the cell when the question comes: c = {_n_near(held, 0.5)} at step "
                        f"{ask - 1} (store the pulse of step {store} and keep it; the preset \"remember the "
                        "first pulse\" is a start).")
    elif abs(c[ask] - held) > TOLERANCE * abs(held):
        why = _step_causes(run, ask, held,
                           forget_advice="the question reaches the forget gate through W_xf: keep f near 1 there",
                           input_advice="the question should read the cell, not write it")
        problems.append(f"the question itself (x = -1 at step {ask}) changes the cell from {_n(held)} to "
                        f"{_n(c[ask])}: {why}.")
    if abs(h[ask]) < 0.5:
        problems.append(f"at the question (step {ask}) h = {_n_near(h[ask], 0.5)}: it should show the stored "
                        f"value, at least 0.5 in size (the output gate is o = {_gate(o[ask])} there).")
    elif abs(held) >= 0.5 and np.sign(h[ask]) != np.sign(held):
        problems.append(f"at the question h = {_n(h[ask])} has the opposite sign to the stored {_n(held)}.")
    others = np.flatnonzero(np.abs(h) >= TOLERANCE)
    others = others[others != ask]
    if len(others):
        t = others[0]
        problems.append(f"outside the question, h_t should stay below {TOLERANCE} in size; at step {t} "
                        f"(x = {run['x'][t]:g}) h = {_n_near(h[t], TOLERANCE)}, because the output gate is "
                        f"o = {_gate(o[t])} there. Let the output gate depend on the input.")
    return problems


@_quiet_underflow
def forget_on_request_problems(values: dict) -> list[str]:
    """What keeps ``values`` from solving "hold the value until x = -1, then erase it"."""
    run = gx.run_unit(values, "store, then ask")
    c, f, i, g = run["c"], run["f"], run["i"], run["g"]
    store, erase = gx.STORE_STEP, gx.ASK_STEP
    stored = c[store]
    if abs(stored) < 0.5:
        return [_store_too_small(run, store, "the pulse")]
    problems = []
    hold = (store + 1, erase - 1)
    held = np.arange(hold[0], hold[1] + 1)
    drift = np.abs(c[held] - stored) / abs(stored)
    if np.any(drift > TOLERANCE):
        t = held[np.argmax(drift > TOLERANCE)]
        problems.append(f"the cell does not hold the value until the command: at step {t} c = {_n(c[t])} after "
                        f"storing {_n(stored)}, a change of {_percent(abs(c[t] - stored) / abs(stored))}. Why: "
                        f"{_hold_causes(run, np.arange(hold[0], t + 1), stored, hold)}.")
    after = np.arange(erase, len(c))
    left = np.abs(c[after]) / abs(stored)
    if np.any(left > TOLERANCE):
        t = after[np.argmax(left > TOLERANCE)]
        kept, written = f[erase] * c[erase - 1], i[erase] * g[erase]
        if t == erase and abs(kept) >= abs(written):
            why = (f"the forget gate is f = {_gate(f[erase], near_one=True)} at the command; it can read x_t too "
                   "(W_xf)")
        elif t == erase:
            why = (f"the command writes into the cell (i = {_gate(i[erase])}, g = {_n(g[erase])}, i * g = "
                   f"{_n(written)}): keep the input gate shut for x = -1")
        else:
            steps = np.arange(erase + 1, t + 1)
            why = (f"the command does empty it (c = {_n(c[erase])} at step {erase}), but the cell fills up again: "
                   f"{_writes_at_rest(run, steps)}")
        problems.append(f"the command (x = -1 at step {erase}) does not erase the cell: at step {t} "
                        f"c = {_n(c[t])}, {_percent(left[t - erase])} of the stored {_n(stored)} (it should be "
                        f"below {100 * TOLERANCE:g} %); {why}.")
    return problems


def _puzzle_check(answer, problems_of, success):
    problems = problems_of(_values_of(answer))
    if problems:
        raise Mistake(" Also, ".join(problems))
    return success


@exercise("04.puzzle_remember_first", "Keep the first pulse for 50 steps and ignore the second",
          solution=REMEMBER_FIRST, solution_text=_solution_text("04.puzzle_remember_first", REMEMBER_FIRST))
def _check_remember_first(answer):
    return _puzzle_check(answer, remember_first_problems,
                         "the cell stores the first pulse, shrugs off the second and holds the value for "
                         f"{HOLD_STEPS} steps.")


@exercise("04.puzzle_read_on_request", "Show the stored value only when the input asks",
          solution=READ_ON_REQUEST, solution_text=_solution_text("04.puzzle_read_on_request", READ_ON_REQUEST))
def _check_read_on_request(answer):
    return _puzzle_check(answer, read_on_request_problems,
                         "the cell holds the value out of sight and the output gate opens only for the question.")


@exercise("04.puzzle_forget_on_request", "Hold the value until the input says erase",
          solution=FORGET_ON_REQUEST, solution_text=_solution_text("04.puzzle_forget_on_request", FORGET_ON_REQUEST))
def _check_forget_on_request(answer):
    return _puzzle_check(answer, forget_on_request_problems,
                         "the cell holds the value and the forget gate wipes it on command: the reset that "
                         "Gers et al. (2000) gave the LSTM.")


#: The puzzles' diagnoses by exercise name (the gate explorer shows them live).
PROBLEMS = {
    "04.puzzle_remember_first": remember_first_problems,
    "04.puzzle_read_on_request": read_on_request_problems,
    "04.puzzle_forget_on_request": forget_on_request_problems,
}
