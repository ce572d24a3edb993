"""Where replications run: in this process, on local worker processes, or on a Dask cluster.

A replication is single-threaded, and replications are independent, so a study scales out by
running them side by side. Every executor has one verb, `map(fn, items)`: it calls the
module-level function `fn` on each item and returns the answers in the items' order, whatever
order they finished in. Items and answers cross process (or machine) boundaries, so both must be
picklable and small: a frozen Scenario and a replication index go out, a dict of metrics comes
back; a Simulation never travels. Because each replication's random streams are derived from
(seed, replication, stream name) alone, the answers are identical on every executor.

    >>> with SerialExecutor() as executor:
    ...     executor.map(abs, [-2, 3])
    [2, 3]

Executors hold workers (a process pool, a Dask client and perhaps a local cluster) between calls
of `map`; use them as context managers, or call `close()`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from elcart_sim.core.errors import CapacityError

__all__ = ["Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "run_all", "worker_identity"]

T = TypeVar("T")
R = TypeVar("R")


def _progress_bar(total: int, progress: bool, desc: str | None):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", disable=not progress, leave=False, dynamic_ncols=True)


class Executor:
    """Runs a function over items; subclasses decide where."""

    name = "executor"

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, progress: bool = False, desc: str | None = None) -> list[R]:
        """`[fn(item) for item in items]`, computed wherever this executor runs things; with
        `progress`, a tqdm bar on stderr counts finished items."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __str__(self) -> str:
        """Where the work runs, in words (for banners and reports)."""
        return self.name


class SerialExecutor(Executor):
    """Everything in this process, one item after another."""

    name = "serial"

    def __str__(self) -> str:
        return "this process, serially"

    def map(self, fn, items, *, progress=False, desc=None):
        items = list(items)
        answers = []
        with _progress_bar(len(items), progress, desc) as bar:
            for item in items:
                answers.append(fn(item))
                bar.update()
        return answers


class ProcessExecutor(Executor):
    """A pool of `workers` local processes (concurrent.futures).

    Workers are started with the `spawn` method by default: a fresh interpreter that imports
    elcart_sim, safe whatever threads this process runs (fork is not) and the same on every OS.
    """

    name = "processes"

    def __init__(self, workers: int | None = None, *, start_method: str = "spawn"):
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise CapacityError(f"workers must be >= 1, got {self.workers}")
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method)
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool

    def map(self, fn, items, *, progress=False, desc=None):
        items = list(items)
        pool = self._ensure_pool()
        futures = [pool.submit(fn, item) for item in items]
        with _progress_bar(len(items), progress, desc) as bar:
            for _ in as_completed(futures):
                bar.update()
        return [future.result() for future in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessExecutor(workers={self.workers})"

    def __str__(self) -> str:
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"


class DaskExecutor(Executor):
    """A Dask cluster: an existing one by scheduler address (`tcp://host:8786`), or — with
    `address=None` or `"local"` — a LocalCluster of `workers` single-threaded worker processes
    started for this executor and stopped by `close()`.

    Every worker needs the same elcart_sim (and data folder) as this process: the tasks name
    the function `elcart_sim.capacity.replications.run_replication` and carry only the scenario.
    """

    name = "dask"

    def __init__(self, address: str | None = None, *, workers: int = 2, connect_timeout_s: float = 30.0):
        self.address = None if address in (None, "", "local") else address
        self.workers = workers
        if workers < 1:
            raise CapacityError(f"workers must be >= 1, got {workers}")
        self.connect_timeout_s = connect_timeout_s
        self._client = None
        self._cluster = None

    @property
    def client(self):
        """The distributed.Client (connected, or with its local cluster started, on first use)."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.address, timeout=self.connect_timeout_s)
                except (OSError, TimeoutError) as exc:
                    raise CapacityError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
        return self._client

    def map(self, fn, items, *, progress=False, desc=None):
        from distributed import as_completed as dask_as_completed

        items = list(items)
        if not items:
            return []
        client = self.client
        futures = client.map(fn, items, pure=False)
        with _progress_bar(len(items), progress, desc) as bar:
            for _ in dask_as_completed(futures):
                bar.update()
        return client.gather(futures)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __repr__(self) -> str:
        where = self.address or f"local, {self.workers} workers"
        return f"DaskExecutor({where})"

    def __str__(self) -> str:
        return f"the Dask cluster at {self.address}" if self.address else f"a local Dask cluster of {self.workers} workers"


def worker_identity(_item: object = None) -> str:
    """`host:pid` of the process that runs this call: map it over a few items to see which
    workers an executor really uses.

    >>> worker_identity() == f"{socket.gethostname()}:{os.getpid()}"
    True
    """
    return f"{socket.gethostname()}:{os.getpid()}"


def make_executor(workers: int = 1, dask: str | None = None) -> Executor:
    """The executor the command line asks for: `dask` (a scheduler address, or "local" for a
    LocalCluster of `workers`) wins; otherwise `workers` > 1 local processes, else serial."""
    if dask is not None:
        return DaskExecutor(dask, workers=max(1, workers))
    if workers > 1:
        return ProcessExecutor(workers)
    if workers < 1:
        raise CapacityError(f"workers must be >= 1, got {workers}")
    return SerialExecutor()


def run_all(
    executor: Executor | None, fn: Callable[[T], R], items: list[T], *, progress: bool = False, desc: str | None = None
) -> list[Any]:
    """`executor.map(fn, items, ...)`, or serially in this process when `executor` is None: what
    every study function does with its tasks. `fn` must be a module-level function."""
    if executor is None:
        with SerialExecutor() as serial:
            return serial.map(fn, items, progress=progress, desc=desc)
    return executor.map(fn, items, progress=progress, desc=desc)
