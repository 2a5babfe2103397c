"""rnn_course.cluster.map_on_cluster on a real Dask cluster: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1, started and stopped by these tests (about 15 s in all)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnn_course import cluster

pytest.importorskip("distributed", reason="the cluster tests need Dask: pip install -e '.[cluster]'")

from cluster_fixture import free_port, start_cluster  # noqa: E402  (after the skip: it needs Dask)


def square_where(item: tuple) -> tuple:
    """The task the tests send: a top-level function of plain data, as the grader's is. It leaves a
    file saying which process started which item, sleeps, and returns the square and its process."""
    number, folder, seconds = item
    Path(folder, f"{number}-{os.getpid()}").touch()
    time.sleep(seconds)
    return number * number, os.getpid()


@pytest.fixture
def loopback_cluster(tmp_path):
    running = start_cluster(tmp_path)
    yield running
    running.stop()
    assert all(p.poll() is not None for p in [running.scheduler, *running.workers])


def test_map_on_cluster_gives_the_local_results_in_the_items_order(loopback_cluster, tmp_path):
    items = [(n, str(tmp_path), 0.05) for n in [7, 3, 3, 0, 12, 5, 9, 1]]
    results = cluster.map_on_cluster(square_where, items, loopback_cluster.address)
    assert [square for square, _ in results] == [n * n for n, _, _ in items]
    assert {pid for _, pid in results} <= set(loopback_cluster.worker_pids())
    # one task per item, the two equal items included
    assert len(list(tmp_path.glob("3-*"))) == 2
    assert cluster.map_on_cluster(square_where, [], loopback_cluster.address) == []


def test_the_items_of_a_worker_killed_mid_run_are_rerun_on_the_other(loopback_cluster, tmp_path):
    started = tmp_path / "started"
    started.mkdir()
    items = [(n, str(started), 1.0) for n in range(6)]
    victim, survivor = loopback_cluster.workers
    with subprocess.Popen([sys.executable, "-c", KILL_WHEN_BUSY, str(started), str(victim.pid)]) as killer:
        results = cluster.map_on_cluster(square_where, items, loopback_cluster.address)
        killer.wait(timeout=30)
    assert killer.returncode == 0, "the victim worker never started a task"
    assert victim.poll() is not None
    assert [square for square, _ in results] == [n * n for n in range(6)]
    on_victim = {int(p.name.split("-")[0]) for p in started.glob(f"*-{victim.pid}")}
    assert on_victim, "no item had started on the killed worker"
    for number in on_victim:      # started there, finished on the survivor
        assert results[number][1] == survivor.pid
        assert (started / f"{number}-{survivor.pid}").exists()


def die(item):
    """A task that takes its worker down with it, every time."""
    os._exit(1)


def test_a_task_that_kills_every_worker_it_runs_on_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    # A scheduler that gives up at the first lost worker (Dask's default is after three), so two do.
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")
    running = start_cluster(tmp_path)
    try:
        with pytest.raises(cluster.ClusterError, match="gave up on a task: every worker that ran it died"):
            cluster.map_on_cluster(die, [1], running.address)
    finally:
        running.stop()


# Run beside the mapping: wait until the victim has started a task, then kill it (SIGKILL: no goodbye
# to the scheduler, as when a machine is lost).
KILL_WHEN_BUSY = """
import os, signal, sys, time
from pathlib import Path
folder, pid = Path(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 25
while not list(folder.glob(f"*-{pid}")):
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)
time.sleep(0.3)
os.kill(pid, signal.SIGKILL)
"""


def test_a_scheduler_that_cannot_be_reached_is_one_line_naming_the_address():
    """In a process of its own, to see everything it prints up to its exit: one line per address, and
    nothing else (a Dask client that failed to connect can leave a traceback behind it, at exit)."""
    nobody = f"tcp://127.0.0.1:{free_port()}"              # nothing listens there
    misspelt = f"http://127.0.0.1:{free_port()}"          # not an address a Dask scheduler has
    code = ("import sys\nfrom rnn_course import cluster\nfor address in sys.argv[1:]:\n    try:\n"
            "        cluster.map_on_cluster(abs, [1], address, connect_timeout=2)\n"
            "    except cluster.ClusterError as err:\n        print(err)\n")
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code, nobody, misspelt], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent)))
    assert time.monotonic() - started < 30
    first, second = out.stdout.splitlines()
    assert first.startswith(f"cannot reach the Dask scheduler at {nobody}: ")
    assert second.startswith(f"cannot reach the Dask scheduler at {misspelt}: ")
    assert out.stderr == ""


def test_without_dask_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)          # `import distributed` now fails
    with pytest.raises(cluster.ClusterError, match=r"pip install rnn-course\[cluster\]"):
        cluster.map_on_cluster(abs, [1], "tcp://127.0.0.1:8786")


def test_nothing_imports_dask_unless_a_scheduler_is_given():
    """Grading and the rest of the command line work without Dask: importing them loads none of it."""
    code = ("import sys, rnn_course.cli, rnn_course.grade, rnn_course.cluster; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent)))
    assert out.stdout.strip() == "[]"
