"""Lesson 4's step-Jacobian exercise: the reference equals finite differences, every named slip is named."""

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import lstm
from rnn_course.exercises import check
from rnn_course.exercises import lesson04 as L4
from rnn_course.exercises import lesson04_jacobian as J


def _numeric_jacobian(x_t, h_prev, c_prev, W_x, W_h, b, eps=1e-6):
    B, H = h_prev.shape
    out = np.zeros((B, 2 * H, 2 * H))
    for k in range(2 * H):
        plus, minus = [np.array(a) for a in (h_prev, c_prev)], [np.array(a) for a in (h_prev, c_prev)]
        plus[k // H][:, k % H] += eps
        minus[k // H][:, k % H] -= eps
        hp, cp = J._step(x_t, plus[0], plus[1], W_x, W_h, b)
        hm, cm = J._step(x_t, minus[0], minus[1], W_x, W_h, b)
        out[:, :, k] = (np.concatenate([hp, cp], 1) - np.concatenate([hm, cm], 1)) / (2 * eps)
    return out


def test_reference_equals_finite_differences_and_the_package_step():
    for args in J._cases():
        np.testing.assert_allclose(J.lstm_step_jacobian(*args), _numeric_jacobian(*args), rtol=1e-6, atol=1e-8)
        x_t, h_prev, c_prev, W_x, W_h, b = args
        h, c, _ = lstm.step_forward({"W_x": W_x, "W_h": W_h, "b": b}, x_t, h_prev, c_prev)
        np.testing.assert_allclose(J._step(*args), (h, c), rtol=1e-12)


def test_the_shared_blocks_assemble_into_the_reference():
    for args in J._cases():
        np.testing.assert_allclose(J._assemble(*J._blocks(*args)), J.lstm_step_jacobian(*args), rtol=1e-12)


def test_the_carousel_is_the_lower_right_block():
    x_t, h_prev, c_prev, W_x, W_h, b = J._cases()[0]
    H = h_prev.shape[1]
    f = J._gates(x_t, h_prev, W_x, W_h, b)[1]
    Jac = J.lstm_step_jacobian(*J._cases()[0])
    np.testing.assert_allclose(Jac[:, H:, H:], f[:, :, None] * np.eye(H))


def test_the_right_answer_passes_with_its_finite_difference_check():
    result = check("04.lstm_step_jacobian", typed(J.lstm_step_jacobian))
    assert result.passed, result.message
    assert "Finite-difference check of your function: largest relative error" in result.message
    assert "below 1e-6" in result.message
    assert L4.lstm_step_jacobian is J.lstm_step_jacobian


@pytest.mark.parametrize("mistake", J.MISTAKES, ids=lambda m: m.compute.__name__)
def test_each_named_mistake_is_named(mistake):
    result = check("04.lstm_step_jacobian", mistake.compute)
    assert result.status == "wrong"
    assert result.message == mistake.explanation


def test_every_mistake_differs_from_the_right_answer():
    for args in J._cases():
        right = J.lstm_step_jacobian(*args)
        for mistake in J.MISTAKES:
            wrong = np.asarray(mistake.compute(*args))
            assert wrong.shape != right.shape or not np.allclose(wrong, right), mistake.compute.__name__


def test_an_unknown_slip_gets_one_line_naming_the_error():
    def half(*args):
        return 0.5 * J.lstm_step_jacobian(*args)

    result = check("04.lstm_step_jacobian", half)
    assert result.status == "wrong" and "\n" not in result.message and "exactly 1/2" in result.message


def test_the_placeholder_is_not_attempted():
    def lstm_step_jacobian(x_t, h_prev, c_prev, W_x, W_h, b):
        ...

    assert check("04.lstm_step_jacobian", lstm_step_jacobian).status == "not attempted"


def test_exercise_is_registered_with_its_helper_allowed():
    from rnn_course.exercises.core import get

    assert get("04.lstm_step_jacobian").allow == ("rnn_course.activations.sigmoid",)
