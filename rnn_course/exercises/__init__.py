"""Exercises with checks that explain a wrong answer. See :mod:`rnn_course.exercises.core`.

In a notebook::

    from rnn_course.exercises import check
    check("01.stable_sigmoid", stable_sigmoid)
"""

from .core import CheckResult, Mistake, all_exercises, check, learner_or_reference, solution, solution_markdown

__all__ = ["CheckResult", "Mistake", "all_exercises", "check", "learner_or_reference", "solution", "solution_markdown"]
