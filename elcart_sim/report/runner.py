"""Where the report's studies run their replications: on the executor the caller gives (which
the caller closes), or on one the study makes for `workers` local processes and closes itself."""

from __future__ import annotations

from elcart_sim.capacity import Executor, make_executor

__all__ = ["study_executor"]


def study_executor(workers: int, executor: Executor | None) -> tuple[Executor, bool]:
    """The executor to use and whether this call owns it (and must close it)."""
    return (executor, False) if executor is not None else (make_executor(workers), True)
