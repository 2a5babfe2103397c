"""Run one function over many items on an existing Dask distributed cluster.

``rnn-course grade ROOM --scheduler ADDRESS`` hands each notebook to :func:`map_on_cluster`, which
sends one task per item to the scheduler at ADDRESS and returns the results in the items' order.
Dask is imported here, and only when this function is called: without ``--scheduler`` the course
never needs it (``pip install rnn-course[cluster]`` adds it).

A worker that dies or loses its connection mid-task takes its tasks with it; the scheduler gives
them to another worker, up to its ``distributed.scheduler.allowed-failures`` times per task (Dask's
default is 3; it is the scheduler's own setting), and the client resubmits a task whose run raised
(``retries``). ``fn`` must be importable on every
worker (a top-level function of a module installed there, at the same version), and the items
and results plain, picklable data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

#: How long to wait for the scheduler to answer before saying it cannot be reached (seconds).
CONNECT_TIMEOUT = 20.0
#: How many times a task is run again after its worker was lost (the scheduler's count) or its run
#: raised (the client's count).
RETRIES = 3


class ClusterError(OSError):
    """The cluster cannot be used (no Dask here, no scheduler at the address): one line to print.
    An ``OSError``, so the command line prints it as it prints any other "cannot reach" error."""


def map_on_cluster(fn: Callable, items: list, address: str, *, connect_timeout: float = CONNECT_TIMEOUT,
                   retries: int = RETRIES) -> list:
    """``[fn(item) for item in items]``, one Dask task per item, on the scheduler at ``address``
    (``tcp://host:8786``); the results come back in the items' order."""
    try:
        import dask
        from distributed import Client, KilledWorker
    except ImportError as err:
        raise ClusterError(f"--scheduler needs Dask ({err}); install it with `pip install rnn-course[cluster]`.") \
            from None
    items = list(items)
    if not items:
        return []
    with dask.config.set({"distributed.comm.timeouts.connect": f"{connect_timeout}s"}):
        try:
            # First a bare connection: a Client that fails to connect leaves a half-made object whose
            # clean-up, at exit, prints a traceback under the one line this function promises.
            _probe(address, connect_timeout)
            client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {_reason(err)}") from None
        try:
            # pure=False: two equal items (two learners handing in the same file) are still two tasks,
            # each under a key of its own, so two graders sharing a scheduler never share a result.
            futures = client.map(fn, items, pure=False, retries=retries)
            try:
                return client.gather(futures)
            except KilledWorker as err:     # the scheduler gave up on a task whose workers kept dying
                raise ClusterError(f"the Dask scheduler at {address} gave up on a task: every worker that ran "
                                   f"it died ({_reason(err)})") from None
        finally:
            client.close()


def _probe(address: str, timeout: float) -> None:
    """Open and close one connection to the scheduler; raises OSError or ValueError when it cannot.
    In a thread of its own, so it works when the caller's thread already runs an event loop."""
    from distributed.comm import connect

    async def knock():
        comm = await connect(address, timeout=timeout)
        await comm.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, knock()).result()


def _reason(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= 200 else text[:197] + "..."
