"""A real Dask cluster on loopback for the tests: one `dask scheduler` and two `dask worker` processes,
started on free ports and stopped (every process reaped) by the fixture that uses it.

Workers run without a nanny, so a worker killed by a test stays dead (a nanny would restart it),
and with this folder on their PYTHONPATH, so a top-level function of a test module can be sent to
them by reference, as the grader's is.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def dask_command(*args: str) -> list:
    """`dask scheduler ...` / `dask worker ...` of this Python (`python -m dask` is the `dask` command)."""
    return [sys.executable, "-m", "dask", *args]


@dataclass
class LoopbackCluster:
    address: str
    scheduler: subprocess.Popen
    workers: list = field(default_factory=list)
    log: Path | None = None

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self.workers]

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the workers, then to the scheduler (a worker whose scheduler went first keeps
        trying to reach it); whatever has not ended after ``grace`` seconds is killed. All are reaped."""
        for group in (self.workers, [self.scheduler]):
            for process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for process in group:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def start_cluster(folder: Path, workers: int = 2, threads: int = 1) -> LoopbackCluster:
    """A scheduler and ``workers`` workers of ``threads`` threads each on 127.0.0.1; waits until all
    have joined."""
    from distributed import Client

    port = free_port()
    log = folder / "cluster.log"
    out = open(log, "ab")  # the processes keep their own copy
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent),
                                                       os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    scheduler = subprocess.Popen(dask_command("scheduler", "--host", "127.0.0.1", "--port", str(port),
                                              "--no-dashboard", "--no-show"),
                                 cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    cluster = LoopbackCluster(f"tcp://127.0.0.1:{port}", scheduler, log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not port_is_open(port):
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dask scheduler did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        for n in range(workers):
            cluster.workers.append(subprocess.Popen(
                dask_command("worker", cluster.address, "--host", "127.0.0.1", "--nthreads", str(threads),
                             "--no-nanny", "--no-dashboard", "--name", f"worker-{n}", "--death-timeout", "60"),
                cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT))
        with Client(cluster.address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT)
    except BaseException:
        cluster.stop()
        raise
    finally:
        out.close()
    return cluster
