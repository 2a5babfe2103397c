"""Appendix (lesson 6) exercises: read a gate out of another framework's weights, then port them.

The weights come from TensorFlow 1's ``LSTMCell``: one kernel (D + H, 4H) over [x, h], blocks
stacked i, j, f, o (j is the candidate), and a ``forget_bias`` added inside every step.
"""

from __future__ import annotations

import numpy as np

from .. import interop, lstm
from .core import Mistake, NotAttempted, attempt, exercise, require_array

PUZZLE_D, PUZZLE_H = 3, 2


def puzzle_weights():
    """TF1 ``LSTMCell`` weights (kernel (D + H, 4H), bias (4H,)) in which only one block is non-zero."""
    rng = np.random.default_rng(6)
    D, H = PUZZLE_D, PUZZLE_H
    kernel, bias = np.zeros((D + H, 4 * H)), np.zeros(4 * H)
    kernel[:, 2 * H:3 * H] = np.round(rng.normal(0, 1, (D + H, H)), 2)
    bias[2 * H:3 * H] = 0.5
    return kernel, bias


# --- 06.which_gate ------------------------------------------------------------------------------

_NAMES = {
    "i": {"i", "input", "input gate"},
    "f": {"f", "forget", "forget gate"},
    "g": {"g", "j", "c", "candidate", "cell candidate", "input node", "block input", "c~", "c_tilde", "new input"},
    "o": {"o", "output", "output gate"},
}


def _nonzero_block(kernel) -> int:
    H = kernel.shape[1] // 4
    return next(k for k in range(4) if np.any(kernel[:, k * H:(k + 1) * H]))


@exercise("06.which_gate", "Which gate is the non-zero block?", solution="f",
          solution_text='which_gate = "f"   # TF1 stacks i, j, f, o: the third block is the forget gate')
def _check_which_gate(answer):
    if answer is None or answer is Ellipsis:
        raise NotAttempted()
    if not isinstance(answer, str):
        raise Mistake(f'answer with a string: "i", "f", "g" or "o"; got {type(answer).__name__}.')
    word = answer.strip().lower().strip("$")
    word = word[:-2] if word.endswith("_t") and len(word) > 2 else word       # f_t, the course's symbol, is f
    said = next((gate for gate, names in _NAMES.items() if word in names), None)
    position = _nonzero_block(puzzle_weights()[0])            # 2: the third block
    truth = interop.ORDERS["tf1"][position]
    if said is None:
        raise Mistake(f'"{answer}" is not a gate name; answer "i", "f", "g" or "o".')
    if said == truth:
        return ("TF1 stacks i, j, f, o, so its third block is the forget gate. Read as PyTorch or Keras "
                "weights (i, f, g, o) the same numbers would drive the candidate g instead.")
    if said == "g" and word in ("j", "c"):
        raise Mistake(f'"{answer.strip()}" is a source\'s own letter for the candidate (TF1 calls it j, Keras c); '
                      "answer with the course's name of the gate that the third block drives.")
    if said == "g":
        raise Mistake("the third block is g in PyTorch's and Keras's order (i, f, g, o), but these are TF1 "
                      "weights: look up TF1's stacked order in the table first.")
    if said == "o":
        raise Mistake("o is third in CS231n's and Karpathy's order (i, f, o, g), but these are TF1 weights: look "
                      "up TF1's stacked order in the table.")
    raise Mistake(f"the non-zero columns are {2 * PUZZLE_H}:{3 * PUZZLE_H}, the third of the four blocks; "
                  "in TF1's order i, j, f, o which gate is third?")


# --- 06.tf1_to_course ---------------------------------------------------------------------------


def tf1_to_course(kernel, bias, forget_bias=1.0):
    H = kernel.shape[1] // 4
    D = kernel.shape[0] - H
    i, j, f, o = np.split(kernel, 4, axis=1)           # TF1's order: i, j (the candidate), f, o
    k = np.concatenate([i, f, j, o], axis=1)            # the course's order: i, f, g, o
    b_i, b_j, b_f, b_o = np.split(bias, 4)
    b = np.concatenate([b_i, b_f + forget_bias, b_j, b_o])   # TF1 adds forget_bias in the step
    return {"W_x": k[:D].T.copy(),                      # TF1 multiplies [x, h] @ kernel: first D rows are x's
            "W_h": k[D:].T.copy(),
            "b": b}


def _tolerance(*arrays) -> float:
    """How close two arrays must be to count as equal: 1e-10 in float64; for a coarser float
    (a float32 answer is a correct port, only rounded) a few of its rounding steps."""
    eps = max((np.finfo(a.dtype).eps for a in arrays if a.dtype.kind == "f"), default=0.0)
    return max(1e-10, 50 * eps)


def _close(a, b) -> bool:
    tol = _tolerance(a, b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))


def _check_weights(W, kernel_rows, name, rows_meaning):
    """W (4H, n) against the course's blocks from TF1's kernel rows (n, 4H); explain a wrong order."""
    expected = interop.reorder_gates(kernel_rows.T, "tf1", "course")
    if _close(W, expected):
        return
    if _close(W, kernel_rows.T):
        raise Mistake(f"{name} has TF1's blocks in TF1's order i, j, f, o. The course stacks i, f, g, o: swap "
                      "the second and third blocks (TF1's j is the candidate g).")
    H = W.shape[0] // 4
    tf1_blocks = np.split(kernel_rows.T, 4, axis=0)
    for k, gate in enumerate(lstm.GATES):
        block = W[k * H:(k + 1) * H]
        if not _close(block, expected[k * H:(k + 1) * H]):
            same_as = [interop.ORDERS["tf1"][m] for m, tb in enumerate(tf1_blocks) if _close(block, tb)]
            where = (f"it holds TF1's block for {same_as[0]}" if same_as else
                     f"it matches none of TF1's blocks (check which rows of the kernel are {rows_meaning})")
            raise Mistake(f"the {gate} block of {name} (rows {k * H}:{(k + 1) * H}) is wrong: {where}.")


@exercise("06.tf1_to_course", "Port TensorFlow 1 LSTMCell weights to the course's layout", solution=tf1_to_course)
def _check_tf1_to_course(answer):
    rng = np.random.default_rng(60)
    D, H = 3, 2
    kernel, bias = rng.normal(size=(D + H, 4 * H)), rng.normal(size=4 * H)
    given = (kernel.copy(), bias.copy())
    got = attempt(answer, kernel, bias, 1.0)
    if got is None:
        raise Mistake("your function returned None; did you forget to `return` the params dict?")
    if not isinstance(got, dict) or any(k not in got for k in ("W_x", "W_h", "b")):
        keys = ", ".join(map(str, got)) if isinstance(got, dict) else type(got).__name__
        raise Mistake(f"return the course's params: a dict with keys W_x, W_h, b; got {keys}.")
    if not (np.array_equal(kernel, given[0]) and np.array_equal(bias, given[1])):
        raise Mistake("your function changed the TF1 arrays it was given; build new arrays instead.")
    W_x, W_h, b = (np.asarray(got[k]) for k in ("W_x", "W_h", "b"))
    if W_x.shape == (D, 4 * H):
        raise Mistake(f"W_x has shape {W_x.shape} = (D, 4H): TF1 multiplies from the right, [x, h] @ kernel, "
                      "and the course from the left, W_x x. Transpose: the course's W_x is (4H, D).")
    if W_x.shape == (4 * H, H) and W_h.shape == (4 * H, D):
        raise Mistake("W_x and W_h are swapped: TF1 concatenates [x, h], so the kernel's first D rows "
                      "multiply x and its last H rows multiply h.")
    W_x = require_array(W_x, (4 * H, D), "W_x (the course's is (4H, D))")
    W_h = require_array(W_h, (4 * H, H), "W_h (the course's is (4H, H))")
    b = require_array(b, (4 * H,), "b (the course's is (4H,))")
    _check_weights(W_x, kernel[:D], "W_x", "x's (the first D)")
    _check_weights(W_h, kernel[D:], "W_h", "h's (the last H)")

    expected_b = interop.from_tf1(kernel, bias, 1.0)["b"]
    reordered = interop.reorder_gates(bias, "tf1", "course")
    g = lstm.gate_slices(H)["g"]
    if not _close(b, expected_b):
        if _close(b, reordered):
            raise Mistake("b is missing the forget bias. TF1 adds forget_bias to the forget block inside every "
                          "step instead of storing it; the course's cell adds nothing, so add forget_bias to "
                          "b's f block (rows H:2H).")
        folded_in_tf1_order, folded_at_course_f = bias.copy(), bias.copy()
        folded_in_tf1_order[2 * H:3 * H] += 1.0
        folded_at_course_f[H:2 * H] += 1.0
        if _close(b, bias) or _close(b, folded_in_tf1_order) or _close(b, folded_at_course_f):
            raise Mistake("b is still in TF1's order i, j, f, o; reorder it to i, f, g, o like the weights.")
        shifted = reordered.copy()
        shifted[g] += 1.0
        if _close(b, shifted):
            raise Mistake("forget_bias went into the candidate block (rows 2H:3H). In the course's order the "
                          "forget gate is second: rows H:2H.")
        subtracted = reordered.copy()
        subtracted[H:2 * H] -= 1.0
        if _close(b, subtracted):
            raise Mistake("forget_bias was subtracted from the f block; TF1 adds it inside every step, so the "
                          "course's b adds it too: b_f + forget_bias.")
        if _close(b, reordered + 1.0):
            raise Mistake("forget_bias was added to every block; TF1 adds it to the forget gate only.")
        raise Mistake(f"b should be TF1's bias reordered to i, f, g, o with forget_bias added to the f block: "
                      f"{np.round(expected_b, 3)}; yours is {np.round(b, 3)}.")

    got = attempt(answer, kernel, bias, 0.25)
    b25 = np.asarray(got["b"]) if isinstance(got, dict) and "b" in got else None
    if b25 is None or not _close(b25, interop.from_tf1(kernel, bias, 0.25)["b"]):
        raise Mistake("with forget_bias=0.25 the f block of b is wrong: use the forget_bias argument, "
                      "not a fixed 1.0.")

    x = rng.normal(size=(4, 2, D))                          # finally, the cell itself
    params = {k: np.asarray(v, dtype=float) for k, v in attempt(answer, kernel, bias, 1.0).items()}
    h_course, _, _ = lstm.forward(params, x)
    h, c = np.zeros((2, H)), np.zeros((2, H))
    for t in range(x.shape[0]):
        h, c = interop.tf1_cell_step(x[t], h, c, kernel, bias, 1.0)
    tol = _tolerance(W_x, W_h, b)
    if not np.allclose(h_course[-1], h, rtol=tol, atol=tol):
        raise Mistake("your params have the right blocks, yet the course's cell does not reproduce TF1's; "
                      "check that every array is a plain float array.")
    coarse = sorted({str(a.dtype) for a in (W_x, W_h, b) if a.dtype != np.float64})
    note = (f" (Your arrays are {', '.join(coarse)}, TF1's were float64: the same numbers, rounded; "
            "keep the input's dtype unless you mean to change it.)" if coarse else "")
    return ("your params, run through rnn_course.lstm.forward, give the outputs of TF1's own step equations: "
            "blocks reordered, kernel split into x's and h's rows and transposed, forget bias folded into b."
            + note)

