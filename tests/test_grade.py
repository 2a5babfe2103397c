"""`rnn-course grade ROOM`: honest rooms built from the shipped lessons 1 and 6, graded for real.

The notebooks run in the sandbox against the learner edition of the package, and the grader judges
the answers itself (tests/test_grade_attacks.py tries to fool and harm it). A lesson-6 notebook is
graded in well under a second, so the rooms here are small but real.
"""

import asyncio
import csv
import io
import json
import os
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from rnn_course import cli, grade, sandbox
from rnn_course import grade_worker as wire
from rnn_course.exercises import core

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "06_notation_and_frameworks.ipynb"
LESSON1 = ROOT / "notebooks" / "01_neural_networks.ipynb"
EXERCISES = ["06.tf1_to_course", "06.which_gate"]
NO_SANDBOX = grade.sandbox_problem()
needs_sandbox = pytest.mark.skipif(bool(NO_SANDBOX), reason=f"no sandbox: {NO_SANDBOX}")


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


def small(*cells: str) -> dict:
    return {"cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None,
                       "source": source} for i, source in enumerate(cells)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


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


CRASHING_BACKWARD = """def dense_backward(dA, X, W, A):
    dZ = dA * (1 - A**2)
    dX = dZ @ W.T
    return dX, dZ.T @ X, dZ.sum(axis=0)
"""


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
    # What hint() and show_solution() record in a workspace; two copies of the record are merged.
    (room / "grace" / "rnn-course-work" / "help.json").write_text(json.dumps(
        {"06.which_gate": {"hints": 2, "solution_seen": False}, "01.dense_forward": {"hints": 1}}))
    (room / "grace" / "help.json").write_text(json.dumps({"06.which_gate": {"hints": 1, "solution_seen": True}}))
    broken = LESSON.read_text(encoding="utf-8")
    (room / "alan").mkdir()
    (room / "alan" / LESSON.name).write_text(broken[: len(broken) // 2], encoding="utf-8")  # not valid JSON
    nb = answer(lesson6(), "06.which_gate", 'which_gate = "f"\n')
    nb = answer(nb, "06.tf1_to_course", core.solution("06.tf1_to_course"))
    write(room / "edsger" / "lesson.ipynb",                              # a cell raises between the checks
          insert_cell(nb, check_cell(nb, "06.which_gate") + 1, "undefined_name + 1\n"))
    nb = json.loads(LESSON1.read_text(encoding="utf-8"))
    answer(nb, "01.dense_forward", core.solution("01.dense_forward"))
    answer(nb, "01.stable_sigmoid", "def stable_sigmoid(z):\n    return np.tanh(z)\n")
    answer(nb, "01.dense_backward", CRASHING_BACKWARD)
    write(room / "linus" / "01_neural_networks.ipynb", nb)
    before = snapshot(room)
    csv_file = room.parent / f"{room.name}.csv"
    status = cli.main(["grade", str(room), "--csv", str(csv_file), "--jobs", "2", "--timeout", "60"])
    return room, before, status, csv_file


@needs_sandbox
def test_grade_writes_a_row_per_learner_and_exercise_of_each_lesson_handed_in(room, capsys):
    _, _, status, csv_file = room
    assert status == 0
    rows = read_csv(csv_file)
    assert list(rows[0]) == ["learner", "lesson", "exercise", "status", "message", "hints", "solution_seen"]
    asked = {(r["learner"], r["exercise"]): (r["hints"], r["solution_seen"]) for r in rows if r["hints"] != "0"
             or r["solution_seen"] != "no"}
    assert asked == {("grace", "06.which_gate"): ("2", "yes"), ("grace", "01.dense_forward"): ("1", "no")}
    got = {(r["learner"], r["lesson"], r["exercise"]): r["status"] for r in rows}
    assert got == {
        ("ada", "06", "06.tf1_to_course"): "correct",
        ("ada", "06", "06.which_gate"): "correct",
        ("alan", "06", "06.tf1_to_course"): "error",
        ("alan", "06", "06.which_gate"): "error",
        ("edsger", "06", "06.tf1_to_course"): "correct",
        ("edsger", "06", "06.which_gate"): "correct",
        ("grace", "06", "06.tf1_to_course"): "not attempted",
        ("grace", "06", "06.which_gate"): "wrong",
        **{("grace", "01", name): "not attempted" for name in grade.lesson_exercises()["01"]},
        ("linus", "01", "01.dense_forward"): "correct",
        ("linus", "01", "01.stable_sigmoid"): "wrong",
        ("linus", "01", "01.dense_backward"): "wrong",
        ("linus", "01", "01.xor_by_hand"): "not attempted",
    }
    messages = {(r["learner"], r["exercise"]): r["message"] for r in rows}
    assert "not valid JSON" in messages["alan", "06.which_gate"]
    assert messages["grace", "06.which_gate"] == core.check("06.which_gate", "i").message   # the lesson's own line
    assert messages["linus", "01.stable_sigmoid"] == core.check("01.stable_sigmoid", np.tanh).message
    crash = messages["linus", "01.dense_backward"]                       # the crash, with its line
    assert "ValueError" in crash and "line 3 of dense_backward" in crash and "dX = dZ @ W.T" in crash
    assert "no check cell" in messages["grace", "01.stable_sigmoid"]


@needs_sandbox
def test_grade_never_writes_to_the_submissions(room):
    folder, before, _, _ = room
    assert snapshot(folder) == before


@needs_sandbox
def test_grade_prints_learners_by_lessons_with_counts_of_correct(room):
    rows = [grade.Row(*list(r.values())[:5]) for r in read_csv(room[3])]
    report = grade.Report(rows=rows, lessons=list(grade.lesson_exercises()),
                          problems=[("alan/x.ipynb", "the file is not valid JSON")])
    lines = grade.table(report).splitlines()
    header = lines[0].split()
    assert header[0] == "learner" and header[1:] == list(grade.lesson_exercises())
    by_learner = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    column = header.index("06") - 1
    assert by_learner["ada"][column] == "2/2"
    assert by_learner["grace"][column] == "0/2"
    assert by_learner["edsger"][column] == "2/2"
    assert by_learner["alan"][column] == "0/2!"
    assert by_learner["ada"][0] == "-"
    assert by_learner["linus"][0] == f"1/{len(grade.lesson_exercises()['01'])}"
    assert "notes.ipynb" in grade.summary(grade.Report(rows=rows, lessons=["06"], ignored=["ada/notes.ipynb"]))


@needs_sandbox
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


@needs_sandbox
def test_grade_runs_inside_a_running_event_loop(tmp_path):
    """As from a notebook cell, or in a test session after Playwright's sync API left its loop running."""
    write(tmp_path / "room" / "ada" / "quick.ipynb",
          small('from rnn_course.exercises import check\ncheck("06.which_gate", "f")'))

    async def inside_a_loop():
        return grade.grade_room(tmp_path / "room", timeout=60)
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(asyncio.run, inside_a_loop()).result()
    assert [(r.exercise, r.status) for r in report.rows] == [("06.tf1_to_course", "not attempted"),
                                                             ("06.which_gate", "correct")]


@needs_sandbox
def test_an_allowed_helper_works_and_the_course_function_is_named(tmp_path, monkeypatch):
    """04.lstm_step allows the package's sigmoid (a copy compiled in the learner edition); a learner
    function calling rnn_course.lstm.step_forward is told so by name and does not pass."""
    monkeypatch.setattr(core.get("04.lstm_step"), "allow", ("rnn_course.activations.sigmoid",))
    head = "import numpy as np\nfrom rnn_course import lstm\nfrom rnn_course.activations import sigmoid\n"
    check = 'from rnn_course.exercises import check\ncheck("04.lstm_step", lstm_step_concat)\n'
    write(tmp_path / "room" / "ada" / "l4.ipynb", small(head, core.solution("04.lstm_step"), check))
    borrowed = ("def lstm_step_concat(x_t, h_prev, c_prev, W, b):\n    H = h_prev.shape[1]\n"
                "    h, c, _ = lstm.step_forward(x_t, h_prev, c_prev, W[:, H:], W[:, :H], b)\n    return h, c\n")
    write(tmp_path / "room" / "bob" / "l4.ipynb", small(head, borrowed, check))
    report = grade.grade_room(tmp_path / "room", timeout=60, jobs=2)
    got = {(r.learner, r.exercise): (r.status, r.message) for r in report.rows if r.exercise == "04.lstm_step"}
    assert got["ada", "04.lstm_step"][0] == "correct"
    assert got["bob", "04.lstm_step"][0] == "wrong"
    assert "rnn_course.lstm.step_forward" in got["bob", "04.lstm_step"][1]


def test_the_learner_edition_holds_copies_of_allowed_helpers_only():
    sources = sandbox._allowed_sources(["rnn_course.activations.sigmoid"])
    assert sources["export"] == [["rnn_course.activations", "sigmoid"]]
    assert list(sources["modules"]) == ["rnn_course.activations"]
    text = "\n".join(sources["modules"]["rnn_course.activations"]["sources"])
    assert "def sigmoid(" in text and "def tanh(" not in text
    used = sandbox._allowed_sources(["rnn_course.model.forward"])      # with what it uses, privately
    assert used["export"] == [["rnn_course.model", "forward"]]
    assert {"rnn_course.model", "rnn_course.rnn", "rnn_course.lstm", "rnn_course.linear"} <= set(used["modules"])
    assert not any("def backward(" in t for m in used["modules"].values() for t in m["sources"])
    spec = sandbox._module_spec()["modules"]
    assert "backward" in spec["rnn_course.lstm"]["names"]
    assert "rnn_course.exercises.lesson06" in spec


def test_grade_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch, capsys):
    write(tmp_path / "room" / "ada" / "quick.ipynb",
          small('from rnn_course.exercises import check\ncheck("06.which_gate", "f")'))
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert cli.main(["grade", str(tmp_path / "room")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["grade", str(tmp_path / "room"), "--no-sandbox", "--csv", str(tmp_path / "out.csv")]) == 0
    assert [(r["exercise"], r["status"]) for r in read_csv(tmp_path / "out.csv")] == [
        ("06.tf1_to_course", "not attempted"), ("06.which_gate", "correct")]


def test_scheduler_without_dask_says_what_to_install(tmp_path, monkeypatch, capsys):
    write(tmp_path / "room" / "ada" / "quick.ipynb",
          small('from rnn_course.exercises import check\ncheck("06.which_gate", "f")'))
    monkeypatch.setitem(sys.modules, "rnn_course.cluster", None)
    assert cli.main(["grade", str(tmp_path / "room"), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "pip install rnn-course[cluster]" in capsys.readouterr().err


@needs_sandbox
def test_grading_one_notebook_takes_and_returns_plain_data():
    job = {"cells": [{"number": 1, "source": 'which_gate = "g"\n'},
                     {"number": 2, "source": 'check("06.which_gate", which_gate)\n'}],
           "checked": ["06.which_gate"], "timeout": 30.0, "sandbox": True}
    assert pickle.loads(pickle.dumps(grade.grade_notebook)) is grade.grade_notebook
    result = grade.grade_notebook(json.loads(json.dumps(job)))
    assert json.loads(json.dumps(result)) == result
    assert result["results"]["06.which_gate"][0] == "wrong" and result["stopped"] is None
    learner = grade.grade_learner({"notebooks": [job, job], "budget": 0.001})
    assert "time budget" in learner[1]["stopped"]


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


def test_magics_become_no_ops_and_checks_are_found_with_ast():
    source = grade.python_source("%matplotlib inline\n!ls\nx = 1\ncheck('06.which_gate', x)  # check(\"01.no\"\n")
    assert "%" not in source.split("\n")[0] and "x = 1" in source
    assert grade._checks_in(source) == ["06.which_gate"]
    assert grade._checks_in("check('06.which_gate', (") == ["06.which_gate"]     # not Python: the pattern


def test_several_notebooks_of_one_lesson_give_each_exercise_its_best_result():
    runs = [("ada/old.ipynb", grade.Outcome({"06.a": ("correct", "ok")}, stopped="the notebook stopped")),
            ("ada/new.ipynb", grade.Outcome({"06.a": ("wrong", "no"), "06.b": ("wrong", "no")}))]
    rows = grade.rows_for("ada", "06", ["06.a", "06.b", "06.c"], runs)
    assert [(r.exercise, r.status) for r in rows] == [("06.a", "correct"), ("06.b", "wrong"),
                                                       ("06.c", "not attempted")]
    assert rows[0].message == "ok [ada/old.ipynb]"


def test_learner_text_is_cleaned_for_the_terminal_and_the_spreadsheet():
    assert grade.clean("\x1b[31mred\x1b[0m\x07 \u202eevil\r\nx") == "red   evil  x"
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)"):
        assert grade.spreadsheet_safe(text) == "'" + text
    assert grade.spreadsheet_safe("\tx") == "x".rjust(2)              # a tab is cleaned to a space first
    out = io.StringIO()
    grade.write_csv([grade.Row("=cmd|' /C calc'!A0", "06", "06.x", "wrong", "\x1b]0;title\x07ok")], out)
    assert out.getvalue().splitlines()[1] == "'=cmd|' /C calc'!A0,06,06.x,wrong,ok,0,no"


def test_the_protocol_refuses_what_is_not_plain_data():
    blobs = []
    tree = wire.encode({"a": (np.arange(3.0), [1, 2.5, None, "s", True]), "b": np.float32(2)}, blobs)
    value = wire.decode(tree, blobs)
    assert value["a"][1] == [1, 2.5, None, "s", True] and isinstance(value["a"], tuple)
    assert np.array_equal(value["a"][0], np.arange(3.0)) and value["b"].dtype == np.float32
    pickled = io.BytesIO()
    np.save(pickled, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):                                # no pickle from the learner's side
        wire.decode({"A": 0}, [pickled.getvalue()])
    deep = {"L": []}
    for _ in range(100):
        deep = {"L": [deep]}
    with pytest.raises(wire.ProtocolError):
        wire.decode(deep, [])
    with pytest.raises(wire.ProtocolError):
        wire.unpack(b"\xff\xff\xff\xff" + b"{}" * 4)
    assert type(wire.decode({"O": "Sneaky"}, [], opaque=sandbox._opaque)).__name__ == "Sneaky"


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


def test_grade_help_explains_the_room_the_sandbox_and_the_statuses(capsys):
    assert cli.main(["grade", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ["one folder per learner", "--csv FILE", "--timeout SECONDS", "--jobs N", "sandbox",
                  "bubblewrap", "--no-sandbox", "only for notebooks you trust", "--scheduler ADDRESS",
                  "only read", "not attempted", "not valid JSON", "`error`", "install bubblewrap"]:
        assert words in text, words


def test_a_learners_help_record_is_read_with_care_and_never_trusted_for_more_than_counts(tmp_path):
    folder = tmp_path / "mallory"
    (folder / "deep").mkdir(parents=True)
    (tmp_path / "secret.json").write_text(json.dumps({"02.rnn_step": {"hints": 3, "solution_seen": True}}))
    (folder / "help.json").symlink_to(tmp_path / "secret.json")                # a link: not followed
    (folder / "deep" / "help.json").write_text("[" * 100_000 + "]" * 100_000)   # too deep to parse: skipped
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "help.json").write_text(json.dumps({"02.rnn_step": {"hints": 9}}))   # hidden: skipped
    assert grade.learner_help(folder) == {}
    big = folder / "big"
    big.mkdir()
    (big / "help.json").write_text(json.dumps({"02.rnn_step": {"hints": 1}}) + " " * grade.HELP_LIMIT)
    assert grade.learner_help(folder) == {}
    (folder / "deep" / "help.json").write_text(json.dumps(
        {"02.rnn_step": {"hints": True, "solution_seen": "yes"}, "01.xor_by_hand": {"hints": 2, "solution_seen": True},
         "=cmd|' /C calc'!A0": {"hints": 10**9}}))
    assert grade.learner_help(folder) == {
        "02.rnn_step": {"hints": 0, "solution_seen": False},
        "01.xor_by_hand": {"hints": 2, "solution_seen": True},
        "=cmd|' /C calc'!A0": {"hints": 0, "solution_seen": False}}
    os.mkfifo(folder / "fifo")
    (folder / "pipe").mkdir()
    os.mkfifo(folder / "pipe" / "help.json")                                    # a pipe: never blocks the grader
    assert grade.learner_help(folder)["01.xor_by_hand"]["hints"] == 2
