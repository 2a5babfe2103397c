"""`rnn-course grade ROOM --scheduler ADDRESS`: a small room graded through a real Dask scheduler and two
workers on 127.0.0.1 gives the same CSV as the same room graded on this machine (about 30 s)."""

from __future__ import annotations

import inspect
import io
import json
from pathlib import Path

import pytest

from rnn_course import grade
from rnn_course.exercises import core

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "06_notation_and_frameworks.ipynb"

# Until the grader takes a scheduler (its own change), there is nothing to distribute: say so by name.
pytestmark = pytest.mark.skipif("scheduler" not in inspect.signature(grade.grade_room).parameters,
                                reason="rnn_course.grade.grade_room has no `scheduler` parameter yet "
                                       "(the distributed grader is not merged)")


def _lesson6() -> dict:
    return json.loads(LESSON.read_text(encoding="utf-8"))


def _answer(nb: dict, name: str, source: str) -> dict:
    """Put ``source`` in the exercise's cell: the code cell just above its ``check("NAME", ...)``."""
    at = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
              and f'check("{name}"' in "".join(c["source"]))
    assert nb["cells"][at - 1]["cell_type"] == "code"
    nb["cells"][at - 1]["source"] = source
    return nb


def _write(path: Path, nb: dict | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb, indent=1), encoding="utf-8")


def small_room(room: Path) -> Path:
    """Four learners: all right, one wrong, one crash after a check, one file that is not a notebook."""
    right = _lesson6()
    for name in ("06.tf1_to_course", "06.which_gate"):
        _answer(right, name, core.solution(name))
    _write(room / "ada" / "lesson six.ipynb", right)
    _write(room / "grace" / LESSON.name, _answer(_lesson6(), "06.which_gate", 'which_gate = "i"\n'))
    crash = _answer(_lesson6(), "06.which_gate", 'which_gate = "f"\n')
    at = next(i for i, c in enumerate(crash["cells"]) if 'check("06.which_gate"' in "".join(c["source"]))
    crash["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "crash", "metadata": {},
                                   "outputs": [], "source": "undefined_name + 1\n"})
    _write(room / "edsger" / "lesson.ipynb", crash)
    text = LESSON.read_text(encoding="utf-8")
    _write(room / "alan" / LESSON.name, text[: len(text) // 2])
    return room


def csv_of(report) -> str:
    out = io.StringIO()
    grade.write_csv(report.rows, out)
    return out.getvalue()


def test_a_room_graded_through_a_dask_scheduler_gives_the_local_csv(tmp_path):
    from cluster_fixture import start_cluster

    room = small_room(tmp_path / "room")
    local = csv_of(grade.grade_room(room, timeout=120, jobs=2))
    assert "correct" in local and "wrong" in local and "error" in local
    cluster = start_cluster(tmp_path)
    try:
        distributed = csv_of(grade.grade_room(room, timeout=120, scheduler=cluster.address))
    finally:
        cluster.stop()
    assert distributed == local
