"""Help on request: hints one step at a time, and the reference solution when the learner asks for it.

In a notebook::

    from rnn_course.exercises import hint, show_solution
    hint("04.lstm_backward")           # the first hint; run it again for the next one
    hint("04.lstm_backward", step=1)   # read hint 1 again (counts nothing new)
    show_solution("04.lstm_backward")  # prints the reference solution

Each exercise's hints are steps: the first names the quantity to start from, the last is nearly the line.
Inside a workspace (the folder ``rnn-course start`` made) what was asked is recorded in its own small file,
``help.json`` beside the workspace marker, written atomically; never in a notebook. ``help_summary(workspace)``
reads it back as ``{exercise: {"hints": n, "solution_seen": bool}}`` for ``rnn-course progress`` and the grader.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

from . import core

HELP_FILE = "help.json"

# The hints of every exercise, in the order they are given.
HINTS: dict[str, tuple[str, ...]] = {
    "01.stable_sigmoid": (
        "exp(-z) overflows for large negative z. On that side, multiply the top and the bottom of 1 / (1 + e^-z) "
        "by e^z: what do you get, and what does exp see there?",
        "1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0 each only take exp of a number <= 0. np.where "
        "computes both for every element, so compute one e = exp(-|z|) and build both from it.",
        "e = np.exp(-np.abs(z)); then np.where(z >= 0, 1 / (1 + e), e / (1 + e)).",
    ),
    "01.dense_forward": (
        "Start from one example x (D,): h = tanh(W x + b) is a column. Transposed, h^T = tanh(x^T W^T + b^T) is "
        "a row.",
        "Stack the rows x^T of all the examples: that is X (N, D), so all the rows h^T at once come from X @ W.T, "
        "(N, H); b (H,) is added to every row as it is.",
        "return np.tanh(X @ W.T + b)",
    ),
    "01.dense_backward": (
        "Start from dZ, the gradient of the pre-activation Z = X @ W.T + b: the tanh sits between dA and it.",
        "tanh'(Z) = 1 - tanh(Z)^2 = 1 - A^2, so dZ = dA * (1 - A**2), shape (N, H).",
        "Each output has the shape of what it is the gradient of: dX (N, D) from dZ and W (H, D); dW (H, D) from "
        "dZ and X; db (H,) sums the rows of dZ.",
        "dX = dZ @ W;  dW = dZ.T @ X;  db = dZ.sum(axis=0).",
    ),
    "01.xor_by_hand": (
        "Start from the four inputs and the sum x1 + x2: it is 0, 1, 1, 2. XOR is 1 exactly where the sum is 1.",
        "One hidden ReLU can pass the sum, x1 + x2; another can fire only when both are on: relu(x1 + x2 - 1).",
        "The output sum - 2 * relu(sum - 1) is 0, 1, 1, 0: W1 = [[1, 1], [1, 1]], b1 = [0, -1], W2 = [[1, -2]], "
        "b2 = [0].",
    ),
    "02.rnn_step": (
        "Start from the equation h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) for one example, as column vectors.",
        "With one example per row (x_t is (B, D)), W v becomes v @ W.T.",
        "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)",
    ),
    "02.rnn_forward": (
        "Start from h0 and apply the step once per time step, feeding each new state to the next step.",
        "Make h = np.empty((T, B, H)) and keep the running state in h_prev; h[t - 1] holds h_t.",
        "for t in range(1, T + 1): h_prev = np.tanh(x[t-1] @ W_xh.T + h_prev @ W_hh.T + b_h); h[t-1] = h_prev",
    ),
    "02.softmax_cross_entropy_backward": (
        "Start from one row: L = -log p_y with p = softmax(logits); differentiate with respect to each logit.",
        "For one row the gradient is p - onehot(y); the mean over N rows divides every row by N.",
        "p = softmax of logits (subtract the row max first); p[np.arange(N), targets] -= 1; return p / N.",
    ),
    "02.rnn_step_backward": (
        "Start from da, the gradient of the pre-activation a = x_t W_xh^T + h_prev W_hh^T + b_h: the tanh sits "
        "between dh_t and it.",
        "tanh'(a) = 1 - h_t^2, so da = dh_t * (1 - h_t**2), (B, H). Everything else is a matrix product with da.",
        "Match shapes: dx_t (B, D) from da and W_xh (H, D); dh_prev (B, H) from da and W_hh; dW_xh (H, D) from da "
        "and x_t; dW_hh (H, H) from da and h_prev; db_h sums da over the batch.",
        "dx_t = da @ W_xh;  dh_prev = da @ W_hh;  dW_xh = da.T @ x_t;  dW_hh = da.T @ h_prev;  db_h = da.sum(0).",
    ),
    "02.rnn_backward": (
        "Start from the last step: the only gradient reaching h_T is its own dh[T-1]. Go backwards from there.",
        "At step t, h_t reaches the loss twice: its own output (dh[t-1]) and step t + 1, which sends back "
        "dh_next. Add them before going through the tanh.",
        "The weights are the same at every step, so each step ADDS its share to dW_xh, dW_hh and db_h.",
        "for t in range(T, 0, -1): da = (dh[t-1] + dh_next) * (1 - h[t-1]**2); dx[t-1] = da @ W_xh; "
        "dW_xh += da.T @ x[t-1]; dW_hh += da.T @ h_prev; db_h += da.sum(0); dh_next = da @ W_hh "
        "(h_prev is h_{t-1}: h[t-2], or h0 at step t = 1; dh0 is dh_next after the loop).",
    ),
    "03.step_jacobian": (
        "Start from h_t = tanh(a_t), a_t = W_hh h_{t-1} + ...: the derivative of a_t with respect to h_{t-1} "
        "is W_hh.",
        "The chain rule multiplies it by tanh'(a_t) = 1 - h_t^2, one factor per row (per output unit): "
        "diag(1 - h_t^2) W_hh.",
        "return (1 - h_t**2)[:, None] * W_hh",
    ),
    "03.predict_vanishing": (
        "The guarantee is gamma * sigma_max(W_hh) < 1. For the sigmoid's gamma: its slope is p (1 - p) with "
        "p = sigmoid(a) in (0, 1), a parabola in p; where is its top?",
        "gamma is the largest slope the activation reaches: 1 for tanh and ReLU, 1/4 for the sigmoid; sigma_max "
        "is the largest singular value.",
        "return gamma * np.linalg.svd(W_hh, compute_uv=False)[0] < 1",
    ),
    "03.clip_grad_norm": (
        "Start from ONE norm over all the gradients together, as if they were one long vector.",
        "norm = sqrt of the sum of every entry squared, over every array in grads.",
        "If norm >= max_norm, multiply every array by max_norm / norm; return the new dict and the norm.",
    ),
    "04.lstm_step": (
        "Start from the one product z = [h_{t-1}, x_t] W^T + b, shape (B, 4H): four blocks of H columns.",
        "The blocks are i, f, g, o in that order; i, f, o go through the sigmoid, g through tanh.",
        "c_t = f * c_prev + i * g;  h_t = o * np.tanh(c_t).",
    ),
    "04.lstm_forward": (
        "Start from the step with two matrices: z = x_t W_x^T + h_{t-1} W_h^T + b, then the four gates.",
        "Loop over t, carrying h and c; keep every step's h_t and c_t (h[t - 1] holds h_t).",
        "Stack the lists at the end: np.stack(hs), np.stack(cs), each (T, B, H).",
    ),
    "04.lstm_step_backward": (
        "Start from dc, the WHOLE gradient of c_t: c_t reaches the loss directly (dc_t) and through "
        "h_t = o * tanh(c_t).",
        "dc = dc_t + dh_t * o * (1 - tanh(c_t)^2); do = dh_t * tanh(c_t); from c_t = f c_prev + i g: di = dc * g, "
        "df = dc * c_prev, dg = dc * i, dc_prev = dc * f.",
        "Through each nonlinearity: da_i = di * i(1-i), da_f = df * f(1-f), da_g = dg * (1-g^2), "
        "da_o = do * o(1-o); stack da = [da_i, da_f, da_g, da_o] in that order, (B, 4H).",
        "dx_t = da @ W_x; dh_prev = da @ W_h; grads = {'W_x': da.T @ x_t, 'W_h': da.T @ h_prev, 'b': da.sum(0)}.",
    ),
    "04.lstm_backward": (
        "Start from what flows back between steps: two arrays, dh_next and dc_next, both zero after the last step.",
        "At step t the gradient of h_t is dh[t-1] + dh_next; run your step backward with it and dc_next, "
        "then the step's dh_prev and dc_prev become the next dh_next and dc_next.",
        "You need the forward's h_{t-1}, c_{t-1} and gates at every step: run the forward first and keep them.",
        "Add every step's share to dW_x, dW_h, db; dx[t-1] is the step's dx_t; after the loop dh0, dc0 are "
        "dh_next, dc_next.",
    ),
    "04.lstm_step_jacobian": (
        "Start from the corner you already know: c_t = f * c_{t-1} + i * g gives dc_t/dc_{t-1} = diag(f_t).",
        "c_t also depends on h_{t-1}, through a = W_h h_{t-1} + ...: each of i, f, g contributes a term "
        "diag(its factor) times its block of W_h. The row j of diag(v) W is v_j times row j of W: "
        "v[:, :, None] * W_block.",
        "h_t = o * tanh(c_t): dh_t/dc_{t-1} = diag(o (1 - tanh^2 c_t)) diag(f); dh_t/dh_{t-1} = "
        "diag(tanh(c_t) o(1-o)) W_ho + diag(o (1 - tanh^2 c_t)) dc_t/dh_{t-1}.",
        "dc_dh = (c_prev*f*(1-f))[:, :, None]*W_hf + (g*i*(1-i))[:, :, None]*W_hi + (i*(1-g**2))[:, :, None]*W_hg; "
        "then np.concatenate the blocks: rows [dh_dh, dh_dc] over [dc_dh, dc_dc].",
    ),
    "04.puzzle_remember_first": (
        "Start from the forget gate: to hold a value for 50 steps, f must stay near 1 whatever the input "
        "(a large f_bias).",
        "The candidate writes the pulse (g_wx large) and the output gate lets h show the cell (o_bias large). "
        "What must tell the input gate that the cell is already full when the second pulse comes?",
        "The input gate reads h through i_wh: a pulse opens it (i_wx = 10 against i_bias = -8), a full cell "
        "(h near 1) shuts it again (i_wh = -10).",
    ),
    "04.puzzle_read_on_request": (
        "Start from the output gate: it alone decides whether h shows the cell.",
        "The store pulse is +1 and the question is -1 (step 60): the input gate should open only for +1, the "
        "output gate only for -1.",
        "Shut by default (i_bias = -5, o_bias = -5); i_wx = +10 opens the input for the +1 pulse, o_wx = -10 "
        "opens the output for the -1 question; f_bias = 10 holds the value, g_wx = 10 writes it.",
    ),
    "04.puzzle_forget_on_request": (
        "Start from the forget gate: it is the only way to empty the cell.",
        "The erase command is the -1 at step 60: f must be near 1 for inputs 0 and +1, near 0 for -1.",
        "f_bias = 7 with f_wx = 10: sigma(7) ~ 1 at rest, sigma(-3) ~ 0.05 on the -1; store with i_wx = 10, "
        "i_bias = -5, g_wx = 10, and show the cell with o_bias = 10.",
    ),
    "05.temperature_softmax": (
        "Start from the logits divided by the temperature: z = logits / T.",
        "Subtract the largest z before np.exp, so nothing overflows; the softmax does not change.",
        "e = np.exp(z - z.max()); return e / e.sum().",
    ),
    "05.forecast": (
        "Start from the model's one-step prediction for the last `window` values.",
        "Append each prediction to the values, so it becomes the newest input for the next prediction.",
        "Loop n_ahead times: x = np.array(values[-window:])[:, None, None]; y = model.forward(params, x, "
        "readout='last')[0]; append y[0, 0] to both lists.",
    ),
    "06.which_gate": (
        "Start from TensorFlow 1's order of the four blocks in its kernel.",
        "TF1 stacks i, j (the candidate), f, o.",
        "The third block of TF1's kernel is the forget gate: 'f'.",
    ),
    "06.tf1_to_course": (
        "Start from the two differences in layout: TF1 multiplies [x, h] @ kernel (inputs first, columns per "
        "unit), the course W_x x + W_h h (rows per unit).",
        "Reorder the four column blocks from TF1's i, j, f, o to the course's i, f, g, o, and split the rows: "
        "the first D rows belong to x.",
        "TF1 adds forget_bias inside the step: fold it into the forget block of b.",
        "W_x = k[:D].T, W_h = k[D:].T, b = concat(b_i, b_f + forget_bias, b_j, b_o).",
    ),
    "07.gru_step": (
        "Start from the two products a_x = x_t W_x^T + b_x and a_h = h_prev W_h^T + b_h, (B, 3H), blocks r, z, n.",
        "r and z are sigmoids of the sums of their blocks; the candidate is n = tanh(a_xn + r * a_hn).",
        "return (1 - z) * n + z * h_prev",
    ),
    "07.gru_step_backward": (
        "Start from the last line of the forward, h_t = (1 - z) n + z h_prev: it gives dn, dz, and a first "
        "share of dh_prev.",
        "dn = dh_t (1 - z); dz = dh_t (h_prev - n); da_n = dn (1 - n^2); r multiplies a_hn, so dr = da_n a_hn; "
        "da_r = dr r(1-r), da_z = dz z(1-z).",
        "What reaches a_x is [da_r, da_z, da_n]; what reaches a_h is [da_r, da_z, r * da_n]: the reset gate "
        "scales only the recurrent part of n.",
        "dx_t = da_x @ W_x; dh_prev = dh_t * z + da_h @ W_h; dW_x = da_x.T @ x_t; dW_h = da_h.T @ h_prev; "
        "db_x, db_h = da_x.sum(0), da_h.sum(0).",
    ),
    "07.gru_backward": (
        "Start from the forward: you need every h_{t-1} (h0 and the states before the last).",
        "Then the loop of 02.rnn_backward with a GRU step: g = dh[t-1] + dh_next from step T down to step 1.",
        "Your gru_step_backward(g, x[t-1], h_prev, ...) gives dx[t-1], the next dh_next and the step's share of "
        "each parameter gradient; add the shares.",
        "After the loop dh0 is dh_next.",
    ),
    "07.truncated_bptt": (
        "Start from the chunk starts: range(0, T, chunk); the last chunk may be shorter.",
        "Each chunk: h, cache = gru.forward(params, x[s:s + chunk], h_carry); grads from gru.backward(dh[s:s + "
        "chunk], cache).",
        "The gradient stops at the chunk's edge: drop the dh0 that gru.backward returns. The state goes on: "
        "h_carry = h[-1] for the next chunk.",
        "Add each chunk's gradients; return h_carry and the four sums.",
    ),
    "07.reverse_layer": (
        "Start from the input read backwards: x[::-1] holds x_T first.",
        "Run the GRU over it from h0: its state number k has read x_T, ..., x_{T-k+1}.",
        "Flip the states back so each sits beside the last input it read: return h[::-1].",
    ),
}


def hints_for(name: str) -> tuple:
    """The hints of exercise ``name`` (a ValueError names the known exercises if it is unknown)."""
    core.get(name)
    if name in HINTS:
        return HINTS[name]
    lesson = importlib.import_module(f"{__package__}.lesson{name.split('.', 1)[0]}")   # a lesson's own HINTS
    return tuple(getattr(lesson, "HINTS", {}).get(name, ()))


# ---------------------------------------------------------------------------------------------
# The record: help.json beside the workspace marker
# ---------------------------------------------------------------------------------------------

_SESSION: dict = {}        # outside a workspace: the hints taken in this kernel


def read_help(workspace) -> dict:
    """``{exercise: {"hints": n, "solution_seen": bool}}`` recorded in ``workspace`` (empty if none)."""
    try:
        data = json.loads((Path(workspace) / HELP_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return clean_record(data)


def clean_record(data) -> dict:
    """A help record read from JSON, keeping only well-formed entries: ``{exercise: {"hints": n,
    "solution_seen": bool}}`` (anything else, or a file that is not such a record, gives ``{}``)."""
    if not isinstance(data, dict):
        return {}
    clean = {}
    for name, entry in data.items():
        if isinstance(name, str) and isinstance(entry, dict):
            hints = entry.get("hints", 0)
            ok = isinstance(hints, int) and not isinstance(hints, bool) and 0 <= hints < 1000
            clean[name] = {"hints": hints if ok else 0, "solution_seen": entry.get("solution_seen") is True}
    return clean


def help_summary(workspace) -> dict:
    """What the learner asked for, per exercise: ``{exercise: {"hints": n, "solution_seen": bool}}``."""
    return dict(sorted(read_help(workspace).items()))


def _update(workspace, name: str, *, hints: int | None = None, solution_seen: bool = False) -> None:
    """Raise the hint count of ``name`` to ``hints`` and/or mark its solution seen, atomically."""
    record = read_help(workspace)
    entry = record.setdefault(name, {"hints": 0, "solution_seen": False})
    if hints is not None:
        entry["hints"] = max(entry["hints"], hints)
    entry["solution_seen"] = entry["solution_seen"] or solution_seen
    path = Path(workspace) / HELP_FILE
    tmp = Path(workspace) / f".{HELP_FILE}.{os.getpid()}.tmp"
    try:  # via a temporary file, so two kernels or a crash never leave half a file
        tmp.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only workspace must not break the lesson


def record_solutions_seen(names, workspace=None) -> None:
    """Mark every exercise in ``names`` as having had its solution shown (in ``workspace``, or the
    workspace holding the current folder; nothing outside a workspace)."""
    workspace = workspace or core.find_workspace()
    if workspace is None:
        return
    for name in names:
        _update(workspace, name, solution_seen=True)


def _taken(name: str, workspace) -> int:
    if workspace is None:
        return _SESSION.get(name, 0)
    return read_help(workspace).get(name, {}).get("hints", 0)


# ---------------------------------------------------------------------------------------------
# What the learner calls
# ---------------------------------------------------------------------------------------------


def hint(name: str, step: int | None = None) -> None:
    """Print the next hint of exercise ``name`` (the first, then the second on the next call, ...), or
    hint number ``step`` again (only hints already taken can be read again without counting)."""
    hints = hints_for(name)
    if not hints:
        print(f"[{name}] This exercise has no hints; show_solution({name!r}) prints the reference solution.")
        return
    workspace = core.find_workspace()
    taken = _taken(name, workspace)
    number = min(taken + 1, len(hints)) if step is None else int(step)
    if not 1 <= number <= len(hints):
        print(f"[{name}] There are hints 1 to {len(hints)}.")
        return
    if number > taken:
        if workspace is None:
            _SESSION[name] = number
        else:
            _update(workspace, name, hints=number)
    print(f"[{name}] Hint {number} of {len(hints)}: {hints[number - 1]}")
    if number == len(hints):
        print(f"That was the last hint; show_solution({name!r}) prints the reference solution (it is recorded).")
    else:
        print(f"Run hint({name!r}) again for the next one.")


def show_solution(name: str) -> None:
    """Print the reference solution of exercise ``name``; inside a workspace, record that it was seen."""
    source = core.solution(name)
    record_solutions_seen([name])
    print(f"The reference solution of {name} ({core.get(name).title}):\n\n{source}")


def help_markdown(name: str) -> str:
    """The cell that stands under an exercise's check in the lessons, where a solution block used to be."""
    n = len(hints_for(name))
    return (f"*Stuck?* `hint(\"{name}\")` gives one hint at a time ({n} in all, the first names where to start, "
            f"the last is nearly the line); `show_solution(\"{name}\")` prints the reference solution. "
            "Both are noted in your progress (`rnn-course progress`).")
