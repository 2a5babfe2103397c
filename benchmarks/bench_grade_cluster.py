"""Wall-clock time of grading one room through a Dask scheduler with one worker, then with two.

    python benchmarks/bench_grade_cluster.py [--learners 24] [--threads 1] [--repeat 3]

Builds a room of LEARNERS learners, each handing in lesson 6 (the shortest lesson with exercises) with
both exercises answered, then grades it on this machine (``grade_room(room, jobs=1)``, for reference),
and through a `dask scheduler` on 127.0.0.1 with one `dask worker`, then two (each with ``--threads``
threads), started and stopped here. Each is timed ``--repeat`` times after one untimed warm-up run, and
the median printed. Every run must give the same CSV. On a machine with
fewer cores than workers times threads, the workers share the cores and two workers gain less; the
figures are this machine's, so the script prints its core count beside them.

Needs the `cluster` extra (`pip install -e '.[cluster]'`) and a grader that takes ``scheduler=``.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from cluster_fixture import start_cluster  # noqa: E402  (tests/ holds the loopback cluster)

from rnn_course import grade  # noqa: E402
from rnn_course.exercises import core  # noqa: E402

LESSON = REPO / "notebooks" / "06_notation_and_frameworks.ipynb"


def build_room(room: Path, learners: int) -> Path:
    nb = json.loads(LESSON.read_text(encoding="utf-8"))
    for name in ("06.tf1_to_course", "06.which_gate"):
        at = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                  and f'check("{name}"' in "".join(c["source"]))
        nb["cells"][at - 1]["source"] = core.solution(name)
    for n in range(learners):
        folder = room / f"learner{n:03d}"
        folder.mkdir(parents=True)
        (folder / LESSON.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return room


def csv_of(report) -> str:
    out = io.StringIO()
    grade.write_csv(report.rows, out)
    return out.getvalue()


def timed(run, repeat: int) -> tuple[float, str]:
    """The median wall-clock seconds of ``repeat`` runs after a warm-up, and the CSV (all the same)."""
    csvs, seconds = {csv_of(run())}, []
    for _ in range(repeat):
        start = time.perf_counter()
        report = run()
        seconds.append(time.perf_counter() - start)
        csvs.add(csv_of(report))
    if len(csvs) != 1:
        raise SystemExit("bench_grade_cluster: two runs of the same room gave different CSVs")
    return statistics.median(seconds), csvs.pop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--learners", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1, help="threads per worker (notebooks at a time)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (the median is printed)")
    args = ap.parse_args()
    if "scheduler" not in inspect.signature(grade.grade_room).parameters:
        print("bench_grade_cluster: this grader has no `scheduler` parameter; nothing to measure.", file=sys.stderr)
        return 2
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.learners} learners x lesson 6, {args.threads} thread(s) per worker, median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="rnn-course-bench-") as tmp:
        room = build_room(Path(tmp) / "room", args.learners)
        seconds, local = timed(lambda: grade.grade_room(room, jobs=1), args.repeat)
        print(f"  this machine, one notebook at a time: {seconds:6.1f} s")
        for workers in (1, 2):
            folder = Path(tmp) / f"cluster{workers}"
            folder.mkdir()
            cluster = start_cluster(folder, workers=workers, threads=args.threads)
            try:
                seconds, distributed = timed(lambda: grade.grade_room(room, scheduler=cluster.address),
                                             args.repeat)
            finally:
                cluster.stop()
            same = "same CSV" if distributed == local else "A DIFFERENT CSV"
            print(f"  Dask, {workers} worker(s):                 {seconds:6.1f} s  ({same} as this machine's)")
            if distributed != local:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
