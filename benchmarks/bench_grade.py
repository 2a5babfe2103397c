"""Time `rnn-course grade` on a room of learners who each hand in every lesson (nine today).

    python benchmarks/bench_grade.py [--learners 30] [--jobs N] [--timeout 300] [--no-sandbox] [--keep DIR]

The room is built from the shipped lesson notebooks. Learners take turns being one of three kinds:
every answer filled in from the reference solution's source ("right"), the notebook as shipped
("placeholder"), or every answer wrong (the reference solution wrapped so that each number or array it
returns is scaled by 1.5 and each yes/no flipped, a string answer swapped for another; "wrong": a few
of those still pass, a scaled network that computes XOR for one). It prints the room's size, the jobs,
the seconds the whole grade took and per notebook, and how many rows came out with each status.
--jobs defaults to grade's own default, the number of cores.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnn_course import grade  # noqa: E402
from rnn_course.exercises import core  # noqa: E402

KINDS = ("right", "placeholder", "wrong")

WRAP = '''
def _scaled(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, np.ndarray | float | int):
        return value * 1.5
    if isinstance(value, tuple):
        return tuple(_scaled(v) for v in value)
    if isinstance(value, dict):
        return {{k: _scaled(v) for k, v in value.items()}}
    return value


_right_{name} = {name}


def {name}(*args, **kwargs):
    return _scaled(_right_{name}(*args, **kwargs))
'''


def defined_name(source: str) -> tuple[str, str] | None:
    """The name the solution defines and whether it is a function ("def") or a value ("value")."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            return node.name, "def"
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id, "value"
    return None


def wrong_answer(name: str) -> str:
    source = core.solution(name)
    found = defined_name(source)
    if found is None:
        return source
    defined, kind = found
    if kind == "value":
        return f"{defined} = 'i'\n"
    return source + "\n" + WRAP.format(name=defined)


def answered(notebook: dict, kind: str) -> dict:
    if kind == "placeholder":
        return notebook
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        for name in grade.checked_exercises({"cells": [cell]}):
            if name in core.all_exercises() and i > 0 and notebook["cells"][i - 1]["cell_type"] == "code":
                notebook["cells"][i - 1]["source"] = core.solution(name) if kind == "right" else wrong_answer(name)
    return notebook


def lesson_files() -> list:
    return sorted((ROOT / "notebooks").glob("0*.ipynb"))


def build_room(room: Path, learners: int) -> int:
    lessons = lesson_files()
    for n in range(learners):
        kind = KINDS[n % len(KINDS)]
        folder = room / f"learner{n:02d}-{kind}"
        folder.mkdir(parents=True)
        for lesson in lessons:
            notebook = answered(json.loads(lesson.read_text(encoding="utf-8")), kind)
            (folder / lesson.name).write_text(json.dumps(notebook), encoding="utf-8")
    return learners * len(lessons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=grade.DEFAULT_TIMEOUT)
    parser.add_argument("--no-sandbox", action="store_true")
    parser.add_argument("--keep", help="build the room in this folder and keep it")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-grade-"))
    room = base / "room"
    shutil.rmtree(room, ignore_errors=True)
    notebooks = build_room(room, args.learners)
    jobs = args.jobs or grade._cores()
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores; sandbox "
          f"{'off' if args.no_sandbox else 'on (bubblewrap)'}")
    print(f"room: {args.learners} learners x {len(lesson_files())} lessons = {notebooks} notebooks; jobs {jobs}")
    started = time.perf_counter()
    report = grade.grade_room(room, timeout=args.timeout, jobs=jobs, sandbox=not args.no_sandbox)
    seconds = time.perf_counter() - started
    print(f"graded in {seconds:.1f} s ({seconds / notebooks:.2f} s per notebook, "
          f"{seconds * jobs / notebooks:.2f} s of one core per notebook)")
    counts = Counter((r.learner.rsplit("-", 1)[1], r.status) for r in report.rows)
    for kind in KINDS:
        print(f"  {kind:>11} learners' rows: " + ", ".join(f"{status} {counts[kind, status]}"
                                                          for status in grade.STATUSES if counts[kind, status]))
    if report.problems:
        print(f"  notebooks that stopped: {len(report.problems)}, e.g. {report.problems[0]}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
