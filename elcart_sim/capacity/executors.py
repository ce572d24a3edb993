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

Ctrl-C. The terminal sends SIGINT to the whole foreground process group, workers included. Local
workers ignore it, so that only this process decides: `map` interrupted stops its workers (local
ones are terminated at once, a Dask cluster's tasks are cancelled), closes the executor and lets
the KeyboardInterrupt go on, with no second Ctrl-C able to break the clean-up half-way.

Progress. With `progress=True`, `map` shows a tqdm bar on stderr when stderr is a terminal and
otherwise prints one line when all items are done. Whatever `progress` says, when the
environment variable `ELCART_SIM_PROGRESS_FILE` names a file, every finished item also appends a
JSON line `{"desc", "done", "total", "elapsed_s"}` to it: `elcart-sim report` follows the
studies that run inside the report notebook's kernel this way.
"""

from __future__ import annotations

import abc
import contextlib
import json
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from elcart_sim.core.errors import CapacityError

__all__ = [
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
    "run_all",
    "worker_identity",
    "default_workers",
    "PROGRESS_FILE_ENV",
]

T = TypeVar("T")
R = TypeVar("R")

PROGRESS_FILE_ENV = "ELCART_SIM_PROGRESS_FILE"
"""Environment variable: a file to which every `map` appends one JSON line per finished item."""


def default_workers() -> int:
    """The machine's cores (`os.cpu_count()`): the command line's default for `--workers`."""
    return os.cpu_count() or 1


class _Progress:
    """Counts finished items of one `map`: a tqdm bar on a terminal, else one line at the end
    (when `shown`); JSON lines to the file in `ELCART_SIM_PROGRESS_FILE` (when set)."""

    def __init__(self, total: int, shown: bool, desc: str | None):
        self.total = total
        self.desc = desc or "runs"
        self.done = 0
        self.started = time.perf_counter()
        self.bar = None
        self.line = shown and not sys.stderr.isatty()
        if shown and not self.line:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="run", leave=False, dynamic_ncols=True, file=sys.stderr)
        self.file = os.environ.get(PROGRESS_FILE_ENV) or None
        self._write()

    def _write(self) -> None:
        if self.file is None:
            return
        event = {"desc": self.desc, "done": self.done, "total": self.total,
                 "elapsed_s": round(time.perf_counter() - self.started, 3)}
        with open(self.file, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(event) + "\n")

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update()
        self._write()
        if self.line and self.done == self.total:
            print(f"{self.desc}: {self.total} run{'s' if self.total != 1 else ''} done in "
                  f"{time.perf_counter() - self.started:.1f} s", file=sys.stderr, flush=True)

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while an interrupted executor cleans up (in the main thread; elsewhere
    signals cannot be set and are not delivered anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Executor(abc.ABC):
    """Runs a function over items; subclasses decide where."""

    name = "executor"

    @abc.abstractmethod
    def map(self, fn: Callable[[T], R], items: Iterable[T], *, progress: bool = False, desc: str | None = None) -> list[R]:
        """`[fn(item) for item in items]`, computed wherever this executor runs things; with
        `progress`, a tqdm bar on stderr counts finished items (a line at the end when stderr is
        not a terminal)."""

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
        with _Progress(len(items), progress, desc) as bar:
            for item in items:
                answers.append(fn(item))
                bar.update()
        return answers


class ProcessExecutor(Executor):
    """A pool of `workers` local processes (concurrent.futures).

    Workers are started with the `spawn` method by default: a fresh interpreter that imports
    elcart_sim, safe whatever threads this process runs (fork is not) and the same on every OS.
    They ignore SIGINT; an interrupted `map` terminates them.
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
            # Workers ignore Ctrl-C: the process that owns the pool stops them. (signal.signal itself
            # is the initializer, so a new worker is ready without importing elcart_sim first.)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context,
                initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN),
            )  # fmt: skip
        return self._pool

    def map(self, fn, items, *, progress=False, desc=None):
        items = list(items)
        pool = self._ensure_pool()
        try:
            futures = [pool.submit(fn, item) for item in items]
            with _Progress(len(items), progress, desc) as bar:
                for _ in as_completed(futures):
                    bar.update()
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            with _sigint_ignored():
                self.terminate()
            raise

    def terminate(self) -> None:
        """Stop the workers now, whatever they are running, and release the pool."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # concurrent.futures has no public way to stop busy workers before Python 3.14
        # (ProcessPoolExecutor.terminate_workers); the pool keeps its processes in _processes.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        for process in processes:
            process.join()

    def close(self) -> None:
        if self._pool is not None:
            try:
                self._pool.shutdown(wait=True, cancel_futures=True)
            except KeyboardInterrupt:  # Ctrl-C while waiting for the last runs: stop them
                with _sigint_ignored():
                    self.terminate()
                raise
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
                # Errors only from the cluster's own processes: the warnings it logs while its
                # tasks are cancelled and its workers stopped after Ctrl-C are the clean-up itself.
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR,
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
        try:
            with _Progress(len(items), progress, desc) as bar:
                for _ in dask_as_completed(futures):
                    bar.update()
        except KeyboardInterrupt:
            # Ctrl-C also reached the cluster's worker processes; what the cluster logs while it
            # notices them gone and closes is the clean-up itself, not news for the user.
            previous = logging.root.manager.disable
            logging.disable(logging.CRITICAL)
            try:
                with _sigint_ignored():
                    client.cancel(futures)
                    self.close()
            finally:
                logging.disable(previous)
            raise
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
