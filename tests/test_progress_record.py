"""The progress record keeps every attempt: best and latest per exercise and per copy of the notebook,
a fresh copy after `reset` starts as not attempted, and `progress` lists exercises in lesson order."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from rnn_course import cli
from rnn_course import workspace as ws
from rnn_course.exercises import core
from rnn_course.exercises import progress as record


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                                  "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    """A course with one lesson 98 whose check cells come in the order second, first (not alphabetical)."""
    source = tmp_path / "course"
    source.mkdir()
    (source / "98_toy.ipynb").write_text(notebook('check("98.zeta", zeta)', 'check("98.alpha", alpha)'))
    monkeypatch.setattr(ws, "default_lessons_dir", lambda: source)
    return source


@pytest.fixture
def exercises(monkeypatch):
    def checker(answer):
        got = core.attempt(answer, 3)
        if got != 6:
            raise core.Mistake(f"double 3 is 6, not {got}.")
        return "doubled."
    for name in ("98.alpha", "98.zeta"):
        monkeypatch.setitem(core.REGISTRY, name, core.Exercise(name, f"Exercise {name}", checker, None))


@pytest.fixture
def workspace(lessons, exercises, tmp_path, monkeypatch):
    folder = tmp_path / "work"
    ws.start_workspace(folder, lessons)
    monkeypatch.chdir(folder)               # where the lesson's kernel runs
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return folder.resolve()


def _placeholder(x):
    raise NotImplementedError


def _copies(folder, name):
    return record.read_record(folder)[name]


def test_a_placeholder_never_turns_an_earlier_pass_back_into_not_attempted(workspace):
    assert not core.check("98.alpha", lambda x: x + 1).passed
    assert core.check("98.alpha", lambda x: 2 * x).passed
    assert core.check("98.alpha", _placeholder).status == "not attempted"
    [entry] = _copies(workspace, "98.alpha").values()
    assert entry["best"]["status"] == "correct" and entry["latest"]["status"] == "not attempted"
    assert entry["notebook"] == "98_toy.ipynb"
    assert entry["best"]["time"] and entry["latest"]["message"].startswith("Replace the placeholder")
    row = next(r for r in ws.progress_rows(workspace) if r.name == "98.alpha")
    assert row.passed and row.latest["status"] == "not attempted"
    out = ws.progress_report(workspace)
    assert "[x] 98.alpha" in out and "(best: pass; latest: not attempted at " in out


def test_after_reset_the_fresh_copy_starts_as_not_attempted_and_the_old_passes_stay(workspace, capsys):
    assert core.check("98.alpha", lambda x: 2 * x).passed
    assert core.check("98.zeta", lambda x: 2 * x).passed
    assert "2 of 2 exercises pass" in ws.progress_report(workspace, "98")
    (workspace / "98_toy.ipynb").write_text(notebook("# my edits"))
    report = ws.reset_lesson(workspace, "98", now=datetime(2026, 12, 5, 13, 0, 0))
    assert report.backup is not None
    out = ws.progress_report(workspace, "98")
    assert "0 of 2 exercises pass" in out
    assert "[ ] 98.alpha" in out and "(not checked yet)" in out
    assert out.count("earlier copy of 98_toy.ipynb: best pass") == 2
    assert core.check("98.alpha", _placeholder).status == "not attempted"    # in the fresh copy
    copies = _copies(workspace, "98.alpha")
    assert sorted(e["best"]["status"] for e in copies.values()) == ["correct", "not attempted"]
    status = cli.main(["progress", "-w", str(workspace)])
    assert status == 0 and "(not attempted)" in capsys.readouterr().out


def test_the_backup_copy_is_a_copy_of_its_own(workspace):
    (workspace / "98_toy.ipynb").write_text(notebook("# mine"))
    backup = ws.reset_lesson(workspace, "98").backup
    assert core.check("98.alpha", lambda x: 2 * x).passed                      # recorded: no results yet, same id
    record.record(core.judge("98.zeta", lambda x: 2 * x), workspace, notebook=backup)
    zeta = _copies(workspace, "98.zeta")
    assert [e["notebook"] for e in zeta.values()] == [backup.name]
    row = next(r for r in ws.progress_rows(workspace) if r.name == "98.zeta")
    assert not row.passed and row.earlier[0].notebook == backup.name


def test_the_kernel_finds_its_notebook_from_the_session(workspace, monkeypatch):
    other = workspace / "98_toy.extra.ipynb"
    other.write_text(notebook("# a second copy"))
    monkeypatch.setenv("JPY_SESSION_NAME", str(other))
    assert core.check("98.alpha", lambda x: 2 * x).passed
    [entry] = _copies(workspace, "98.alpha").values()
    assert entry["notebook"] == "98_toy.extra.ipynb"
    assert record.running_notebook(workspace) == other.resolve()


def test_progress_lists_exercises_in_the_order_of_the_lessons_check_cells(workspace):
    out = ws.progress_report(workspace)
    assert out.index("98.zeta") < out.index("98.alpha")
    names = [r.name for r in ws.progress_rows(workspace)]
    assert names.index("98.zeta") < names.index("98.alpha")


def test_the_real_lessons_are_listed_in_the_order_of_their_notebooks():
    lessons = ws.find_lessons(Path(__file__).resolve().parents[1] / "notebooks")
    order = ws.exercise_order(core.all_exercises(), lessons)
    assert order.index("01.dense_forward") < order.index("01.xor_by_hand") < order.index("01.dense_backward")
    assert order.index("04.lstm_forward") < order.index("04.puzzle_remember_first") < order.index("04.lstm_backward")
    assert [n[:2] for n in order] == sorted(n[:2] for n in order)


def test_an_old_progress_file_is_migrated_as_an_earlier_copy(workspace):
    (workspace / core.PROGRESS_FILE).write_text(json.dumps({"98.alpha": "correct", "98.zeta": "wrong"}))
    assert core.read_progress(workspace) == {"98.alpha": "correct", "98.zeta": "wrong"}
    out = ws.progress_report(workspace)
    assert "a copy recorded before copies were told apart: best pass" in out
    assert core.check("98.alpha", _placeholder).status == "not attempted"
    data = json.loads((workspace / core.PROGRESS_FILE).read_text())
    assert data["format"] == 2
    assert data["exercises"]["98.alpha"][record.EARLIER_COPY]["best"]["status"] == "correct"


def test_a_damaged_or_foreign_progress_file_is_read_as_empty(workspace):
    (workspace / core.PROGRESS_FILE).write_text('{"format": 2, "exercises": [1, 2]}')
    assert record.read_record(workspace) == {}
    (workspace / core.PROGRESS_FILE).write_text("[]")
    assert core.read_progress(workspace) == {}
    assert core.check("98.alpha", lambda x: 2 * x).passed
    assert core.read_progress(workspace) == {"98.alpha": "correct"}


def test_judge_records_nothing(workspace):
    before = (workspace / core.PROGRESS_FILE).exists()
    assert core.judge("98.alpha", lambda x: 2 * x).passed
    assert (workspace / core.PROGRESS_FILE).exists() == before
