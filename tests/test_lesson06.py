"""Lesson 6 (appendix) checkers: the reference answers pass, the usual mistakes are named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import interop
from rnn_course.exercises import check, help_markdown
from rnn_course.exercises.lesson06 import PUZZLE_H, puzzle_weights, tf1_to_course

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_notation_and_frameworks.ipynb"


def test_the_puzzle_has_exactly_one_non_zero_block_the_tf1_forget_gate():
    kernel, bias = puzzle_weights()
    H = PUZZLE_H
    nonzero = [k for k in range(4) if kernel[:, k * H:(k + 1) * H].any() or bias[k * H:(k + 1) * H].any()]
    assert nonzero == [2]
    params = interop.from_tf1(kernel, bias, forget_bias=0.0)
    assert params["W_x"][H:2 * H].any() and not np.delete(params["W_x"], np.s_[H:2 * H], axis=0).any()


# --- 06.which_gate ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["f", "F", " forget gate ", "forget"])
def test_which_gate_accepts_the_forget_gate(answer):
    result = check("06.which_gate", answer)
    assert result.status == "correct"
    assert "i, j, f, o" in result.message


@pytest.mark.parametrize("answer, hint", [
    ("g", "PyTorch's and Keras's order"),
    ("candidate", "PyTorch's and Keras's order"),
    ("j", "own letter for the candidate"),
    ("o", "CS231n's and Karpathy's order"),
    ("i", "third of the four blocks"),
    ("x", "not a gate name"),
    (3, "answer with a string"),
])
def test_which_gate_explains_wrong_answers(answer, hint):
    result = check("06.which_gate", answer)
    assert result.status == "wrong"
    assert hint in result.message


def test_which_gate_placeholder_is_not_attempted():
    assert check("06.which_gate", ...).status == "not attempted"


# --- 06.tf1_to_course ---------------------------------------------------------------------------


def _variant(*, transpose=True, order="course", fold=1.0, fold_into="f", swap_xh=False, fixed_bias=None,
             reorder_bias=True, in_place=False):
    """tf1_to_course with one mistake switched on."""
    def convert(kernel, bias, forget_bias=1.0):
        H = kernel.shape[1] // 4
        D = kernel.shape[0] - H
        k = interop.reorder_gates(kernel, "tf1", order, axis=1)
        b = interop.reorder_gates(bias, "tf1", "course") if reorder_bias else bias.copy()
        amount = forget_bias if fixed_bias is None else fixed_bias
        if fold_into == "all":
            b = b + amount * fold
        else:
            b[{"f": slice(H, 2 * H), "g": slice(2 * H, 3 * H)}[fold_into]] += amount * fold
        if in_place:
            bias += 0.0 * bias + 1.0
        x_rows, h_rows = (k[D:], k[:D]) if swap_xh else (k[:D], k[D:])
        return {"W_x": x_rows.T if transpose else x_rows, "W_h": h_rows.T if transpose else h_rows, "b": b}
    return convert


def test_tf1_to_course_accepts_the_reference_solution():
    result = check("06.tf1_to_course", typed(tf1_to_course))
    assert result.status == "correct", result.message


def test_tf1_to_course_rejects_the_interop_converter_which_the_lesson_forbids():
    result = check("06.tf1_to_course", interop.from_tf1)
    assert result.status == "wrong" and result.message == (
        "your function calls rnn_course.interop.from_tf1, the course's own; write the computation yourself.")


def _in(dtype, convert):
    def answer(kernel, bias, forget_bias=1.0):
        return {k: np.asarray(v).astype(dtype) for k, v in convert(kernel, bias, forget_bias).items()}
    return answer


def test_tf1_to_course_accepts_a_correct_port_returned_in_float32():
    # float32 rounds every number at about 1e-7 relative: still a right port, not a wrong block
    result = check("06.tf1_to_course", _in(np.float32, typed(tf1_to_course)))
    assert result.status == "correct", result.message
    assert "float32" in result.message


def test_tf1_to_course_still_names_a_float32_port_s_real_mistake():
    result = check("06.tf1_to_course", _in(np.float32, _variant(order="ifog")))
    assert result.status == "wrong"
    assert "the g block of W_x (rows 4:6) is wrong: it holds TF1's block for o" in result.message
    result = check("06.tf1_to_course", _in(np.float32, _variant(fold=0.0)))
    assert "missing the forget bias" in result.message


def test_tf1_to_course_placeholder_is_not_attempted():
    def placeholder(kernel, bias, forget_bias=1.0):
        raise NotImplementedError
    assert check("06.tf1_to_course", placeholder).status == "not attempted"


@pytest.mark.parametrize("answer, hint", [
    (lambda kernel, bias, forget_bias=1.0: None, "returned None"),
    (lambda kernel, bias, forget_bias=1.0: (kernel, bias), "a dict with keys W_x, W_h, b"),
    (lambda kernel, bias, forget_bias=1.0: kernel[5], "your code raised IndexError"),
    (_variant(transpose=False), "Transpose"),
    (_variant(swap_xh=True), "W_x and W_h are swapped"),
    (_variant(order="tf1"), "in TF1's order i, j, f, o"),
    (_variant(order="ifog"), "the g block of W_x (rows 4:6) is wrong: it holds TF1's block for o"),
    (_variant(fold=0.0), "missing the forget bias"),
    (_variant(fold_into="g"), "went into the candidate block"),
    (_variant(fold_into="all"), "added to every block"),
    (_variant(fixed_bias=1.0), "use the forget_bias argument"),
    (_variant(reorder_bias=False, fold=0.0), "still in TF1's order"),
    (_variant(in_place=True), "changed the TF1 arrays"),
])
def test_tf1_to_course_names_the_usual_mistakes(answer, hint):
    result = check("06.tf1_to_course", answer)
    assert result.status == "wrong"
    assert hint in result.message, result.message


# --- the notebook ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["06.which_gate", "06.tf1_to_course"])
def test_the_notebook_ships_the_exercise_unattempted_with_its_solution_block(name):
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    source = ["".join(c["source"]) for c in cells]
    at = next(k for k, s in enumerate(source) if cells[k]["cell_type"] == "code" and f'check("{name}"' in s)
    assert cells[at + 1]["cell_type"] == "markdown" and source[at + 1] == help_markdown(name)
    printed = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                      for o in cells[at].get("outputs", []))
    assert "Not attempted yet" in printed
