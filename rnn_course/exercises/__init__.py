"""Exercises with checks that explain a wrong answer. See :mod:`rnn_course.exercises.core`.

In a notebook::

    from rnn_course.exercises import check, hint, show_solution
    check("01.stable_sigmoid", stable_sigmoid)
    hint("01.stable_sigmoid")            # one step at a time
    show_solution("01.stable_sigmoid")   # the reference, on request (recorded)
"""

from .core import CheckResult, Mistake, all_exercises, check, learner_or_reference, solution, solution_markdown
from .help import help_markdown, help_summary, hint, show_solution

__all__ = ["CheckResult", "Mistake", "all_exercises", "check", "help_markdown", "help_summary", "hint",
           "learner_or_reference",
           "show_solution", "solution", "solution_markdown"]
