"""`rnn-course grade ROOM`: a small room built from the shipped lesson 6, graded for real.

Lesson 6 is the shortest lesson with exercises; every notebook runs in its own kernel, so the
room is kept to a handful of notebooks (about 20 s in all on two cores).
"""

import csv
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rnn_course import cli, grade
from rnn_course.exercises import core

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "06_notation_and_frameworks.ipynb"
EXERCISES = ["06.tf1_to_course", "06.which_gate"]


def lesson6() -> dict:
    return json.loads(LESSON.read_text(encoding="utf-8"))


def check_cell(nb: dict, name: str) -> int:
    """The index of the code cell that runs check("NAME", ...)."""
    return next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                and f'check("{name}"' in "".join(c["source"]))


def answer(nb: dict, name: str, source: str) -> dict:
    """Put ``source`` in the exercise's cell: the code cell just above its check."""
    at = check_cell(nb, name)
    cell = nb["cells"][at - 1]
    assert cell["cell_type"] == "code"
    cell["source"] = source
    return nb


def insert_cell(nb: dict, at: int, source: str) -> dict:
    nb["cells"].insert(at, {"cell_type": "code", "execution_count": None, "id": f"inserted{at}",
                            "metadata": {}, "outputs": [], "source": source})
    return nb


def write(path: Path, nb: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    room = tmp_path_factory.mktemp("room")
    nb = lesson6()
    for name in EXERCISES:
        answer(nb, name, core.solution(name))
    write(room / "ada" / "my lesson six.ipynb", nb)                     # renamed, every answer right
    write(room / "ada" / "notes.ipynb", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write(room / "grace" / "rnn-course-work" / LESSON.name,               # a home folder: one level down
          answer(lesson6(), "06.which_gate", 'which_gate = "i"\n'))
    write(room / "grace" / "01_neural_networks.ipynb",                    # named as lesson 1, checks nothing
          {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    write(room / "grace" / ".ipynb_checkpoints" / "other-checkpoint.ipynb", lesson6())   # hidden: skipped
    broken = LESSON.read_text(encoding="utf-8")
    (room / "alan").mkdir()
    (room / "alan" / LESSON.name).write_text(broken[: len(broken) // 2], encoding="utf-8")  # not valid JSON
    nb = answer(lesson6(), "06.which_gate", 'which_gate = "f"\n')
    write(room / "edsger" / "lesson.ipynb",                              # raises after the first check
          insert_cell(nb, check_cell(nb, "06.which_gate") + 1, "undefined_name + 1\n"))
    before = snapshot(room)
    csv_file = room.parent / f"{room.name}.csv"
    status = cli.main(["grade", str(room), "--csv", str(csv_file), "--jobs", "2", "--timeout", "120"])
    return room, before, status, csv_file


def test_grade_writes_a_row_per_learner_and_exercise_of_each_lesson_handed_in(room, capsys):
    _, _, status, csv_file = room
    assert status == 0
    rows = read_csv(csv_file)
    assert list(rows[0]) == ["learner", "lesson", "exercise", "status", "message"]
    got = {(r["learner"], r["lesson"], r["exercise"]): r["status"] for r in rows}
    assert got == {
        ("ada", "06", "06.tf1_to_course"): "correct",
        ("ada", "06", "06.which_gate"): "correct",
        ("alan", "06", "06.tf1_to_course"): "error",
        ("alan", "06", "06.which_gate"): "error",
        ("edsger", "06", "06.tf1_to_course"): "error",
        ("edsger", "06", "06.which_gate"): "correct",
        ("grace", "06", "06.tf1_to_course"): "not attempted",
        ("grace", "06", "06.which_gate"): "wrong",
        **{("grace", "01", name): "not attempted" for name in grade.lesson_exercises()["01"]},
    }
    messages = {(r["learner"], r["exercise"]): r["message"] for r in rows}
    assert "not valid JSON" in messages["alan", "06.which_gate"]
    assert "NameError" in messages["edsger", "06.tf1_to_course"]
    assert "code cell" in messages["edsger", "06.tf1_to_course"]
    wrong = core.check("06.which_gate", "i")            # the message the lesson itself prints
    assert messages["grace", "06.which_gate"] == wrong.message
    assert "no check cell" in messages["grace", "01.stable_sigmoid"]


def test_grade_never_writes_to_the_submissions(room):
    folder, before, _, _ = room
    assert snapshot(folder) == before


def test_grade_prints_learners_by_lessons_with_counts_of_correct(room):
    rows = [grade.Row(*r.values()) for r in read_csv(room[3])]
    report = grade.Report(rows=rows, lessons=list(grade.lesson_exercises()),
                          problems=[("alan/x.ipynb", "the file is not valid JSON")])
    lines = grade.table(report).splitlines()
    header = lines[0].split()
    assert header[0] == "learner" and header[1:] == list(grade.lesson_exercises())
    by_learner = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    column = header.index("06") - 1
    assert by_learner["ada"][column] == "2/2"
    assert by_learner["grace"][column] == "0/2"
    assert by_learner["edsger"][column] == "1/2!"
    assert by_learner["alan"][column] == "0/2!"
    assert by_learner["ada"][0] == "-"
    assert by_learner["grace"][0] == f"0/{len(grade.lesson_exercises()['01'])}"
    assert "notes.ipynb" in grade.summary(grade.Report(rows=rows, lessons=["06"], ignored=["ada/notes.ipynb"]))


def test_grade_stops_a_notebook_that_runs_past_the_timeout_and_goes_on(tmp_path, capsys):
    nb = answer(lesson6(), "06.which_gate", 'which_gate = "f"\n')
    write(tmp_path / "room" / "barbara" / "06.ipynb", insert_cell(nb, 0, "import time\ntime.sleep(600)\n"))
    write(tmp_path / "room" / "claude" / LESSON.name, {"cells": "no list", "metadata": {}})
    (tmp_path / "room" / "claude" / "scratch.ipynb").write_text("{")     # says nothing of its lesson
    status = cli.main(["grade", str(tmp_path / "room"), "--csv", str(tmp_path / "out.csv"), "--timeout", "2"])
    out = capsys.readouterr().out
    assert status == 0
    rows = read_csv(tmp_path / "out.csv")
    assert [(r["learner"], r["lesson"], r["exercise"], r["status"]) for r in rows] == [
        ("barbara", "06", "06.tf1_to_course", "error"), ("barbara", "06", "06.which_gate", "error"),
        ("claude", "", "", "error"),
        ("claude", "06", "06.tf1_to_course", "error"), ("claude", "06", "06.which_gate", "error")]
    assert "time limit of 2 s" in rows[0]["message"] and "code cell 1" in rows[0]["message"]
    assert rows[2]["message"].startswith("claude/scratch.ipynb: the file is not valid JSON")
    assert "not a notebook" in rows[3]["message"]
    assert "barbara/06.ipynb: the notebook ran past its time limit" in out


def test_grade_runs_inside_a_running_event_loop(tmp_path):
    """As from a notebook cell, or in a test session after Playwright's sync API left its loop running."""
    import asyncio
    nb = {"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": 'from rnn_course.exercises import check\ncheck("06.which_gate", "f")'}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path / "room" / "ada" / "quick.ipynb", nb)

    async def inside_a_loop():
        return grade.grade_room(tmp_path / "room", timeout=60)
    # A thread of its own for the outer loop: this test session may already run one (Playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(asyncio.run, inside_a_loop()).result()
    assert [(r.exercise, r.status) for r in report.rows] == [("06.tf1_to_course", "not attempted"),
                                                             ("06.which_gate", "correct")]


def test_a_notebook_is_matched_by_the_exercises_it_checks_not_its_name(tmp_path):
    lessons = grade.lesson_exercises(["01.a", "01.b", "04.c", "06.d"])
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": 'check("06.d", x)'},
                    {"cell_type": "code", "id": "b", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": ['check("04.c", f)\n', "check('01.a', g); check( \"01.b\", h)"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    named_wrongly = write(tmp_path / "06_notation_and_frameworks.ipynb", nb)
    assert grade.read_submission("ada", named_wrongly, lessons).lesson == "01"
    broken = tmp_path / "scratch.ipynb"
    broken.write_text(json.dumps(nb)[:-20])                      # cut short: names still readable
    read = grade.read_submission("ada", broken, lessons)
    assert read.lesson == "01" and "not valid JSON" in read.problem
    unnamed = tmp_path / "04_lstm_gates.ipynb"
    unnamed.write_text("{ not json")                              # nothing inside: the name is all there is
    assert grade.read_submission("ada", unnamed, lessons).lesson == "04"
    no_such_lesson = tmp_path / "05_rnn_vs_lstm.ipynb"
    no_such_lesson.write_text("{ not json")
    assert grade.read_submission("ada", no_such_lesson, lessons).lesson is None
    empty = write(tmp_path / "mine.ipynb", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert grade.read_submission("ada", empty, lessons).lesson is None


def test_several_notebooks_of_one_lesson_give_each_exercise_its_best_result():
    runs = [("ada/old.ipynb", grade.Outcome({"06.a": ("correct", "ok")}, stopped="the notebook stopped")),
            ("ada/new.ipynb", grade.Outcome({"06.a": ("wrong", "no"), "06.b": ("wrong", "no")}))]
    rows = grade.rows_for("ada", "06", ["06.a", "06.b", "06.c"], runs)
    assert [(r.exercise, r.status) for r in rows] == [("06.a", "correct"), ("06.b", "wrong"),
                                                       ("06.c", "not attempted")]
    assert rows[0].message == "ok [ada/old.ipynb]"


def test_check_appends_each_result_to_the_grade_log_only_when_grade_asks(tmp_path, monkeypatch):
    log = tmp_path / "checks.jsonl"
    monkeypatch.delenv(core.GRADE_LOG_VARIABLE, raising=False)
    core.check("06.which_gate", "f")
    assert not log.exists()
    monkeypatch.setenv(core.GRADE_LOG_VARIABLE, str(log))
    core.check("06.which_gate", "f")
    core.check("06.which_gate", ...)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["name"], e["status"]) for e in lines] == [("06.which_gate", "correct"),
                                                         ("06.which_gate", "not attempted")]
    assert grade.read_check_log(log) == {"06.which_gate": ("not attempted", lines[1]["message"])}


def test_grade_says_what_is_wrong_with_the_room_in_one_line(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "missing")]) == 2
    assert "there is no folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert cli.main(["grade", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path)]) == 2           # only a file in it, no learner folders
    assert "no learner folders" in capsys.readouterr().err
    (tmp_path / "ada").mkdir()
    assert cli.main(["grade", str(tmp_path), "--csv", str(tmp_path / "ada")]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path), "--timeout", "0"]) == 2
    assert "--timeout must be a positive" in capsys.readouterr().err


def test_grade_help_explains_the_room_and_the_statuses(capsys):
    assert cli.main(["grade", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ["one folder per learner", "--csv FILE", "--timeout SECONDS", "fresh kernel",
                  "only read", "not attempted", "not valid JSON", "`error`"]:
        assert words in text, words


def test_grade_runs_the_kernel_of_this_python(tmp_path):
    kernels = grade._write_kernel_spec(tmp_path)
    spec = json.loads((kernels / grade.KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and os.path.isabs(spec["argv"][0])
