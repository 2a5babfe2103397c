"""Hints one step at a time and solutions on request, both recorded beside the workspace marker."""

import json

import pytest

from rnn_course import cli
from rnn_course.exercises import core, help_summary, hint, show_solution
from rnn_course.exercises import help as H


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    (tmp_path / core.WORKSPACE_MARKER).write_text("")
    (tmp_path / "lessons").mkdir()
    monkeypatch.chdir(tmp_path / "lessons")
    return tmp_path


def test_every_exercise_has_at_least_three_hints_and_no_hint_is_the_whole_solution():
    for name, ex in core.all_exercises().items():
        hints = H.hints_for(name)          # the table in help.py, or the lesson module's own HINTS
        assert hints and len(hints) >= 3, name
        assert all(h.strip() and ex.source().strip() not in h for h in hints), name
    assert set(H.HINTS) <= set(core.all_exercises())


def test_hints_come_one_at_a_time_and_are_counted_in_help_json(workspace, capsys):
    hint("02.rnn_backward")
    first = capsys.readouterr().out
    assert "Hint 1 of 4" in first and H.HINTS["02.rnn_backward"][0] in first and "again for the next" in first
    hint("02.rnn_backward")
    assert "Hint 2 of 4" in capsys.readouterr().out
    assert help_summary(workspace) == {"02.rnn_backward": {"hints": 2, "solution_seen": False}}
    hint("02.rnn_backward", step=1)                     # reading an earlier one again counts nothing new
    assert "Hint 1 of 4" in capsys.readouterr().out
    assert help_summary(workspace)["02.rnn_backward"]["hints"] == 2
    for _ in range(5):
        hint("02.rnn_backward")
    out = capsys.readouterr().out
    assert "Hint 4 of 4" in out and "last hint" in out and "Hint 5" not in out
    assert help_summary(workspace)["02.rnn_backward"]["hints"] == 4
    assert json.loads((workspace / "help.json").read_text())["02.rnn_backward"]["hints"] == 4
    assert not list(workspace.glob(".help.json.*.tmp"))


def test_show_solution_prints_the_reference_and_records_it(workspace, capsys):
    show_solution("07.gru_backward")
    out = capsys.readouterr().out
    assert core.solution("07.gru_backward") in out
    assert help_summary(workspace) == {"07.gru_backward": {"hints": 0, "solution_seen": True}}


def test_outside_a_workspace_hints_still_step_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(H, "_SESSION", {})
    hint("01.dense_forward")
    hint("01.dense_forward")
    assert "Hint 2 of 3" in capsys.readouterr().out
    show_solution("01.dense_forward")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise called"):
        hint("09.nothing")


def test_a_damaged_help_file_reads_as_empty_and_is_repaired(workspace, capsys):
    (workspace / "help.json").write_text("{not json")
    assert help_summary(workspace) == {}
    hint("01.stable_sigmoid")
    assert help_summary(workspace) == {"01.stable_sigmoid": {"hints": 1, "solution_seen": False}}


def test_rnn_course_solutions_records_what_it_printed(workspace, capsys):
    assert cli.main(["solutions", "4"]) == 0
    out = capsys.readouterr().out
    assert core.solution("04.lstm_step_jacobian") in out
    seen = help_summary(workspace)
    assert seen and all(name.startswith("04.") and entry["solution_seen"] for name, entry in seen.items())
    assert "04.lstm_backward" in seen


def test_the_instructors_markdown_page_records_nothing(workspace, capsys):
    assert cli.main(["solutions", "--markdown"]) == 0
    assert help_summary(workspace) == {}
