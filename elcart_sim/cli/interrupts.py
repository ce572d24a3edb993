"""Ctrl-C on a long command: one line saying what stopped and what was kept, exit 130, and no
process left behind.

The terminal sends SIGINT to every process of the foreground group. The command's own process
turns it into KeyboardInterrupt; local workers ignore it and are terminated by their executor
(`elcart_sim.capacity.executors`); the report notebook's kernel runs in a session of its own and
never sees it. `main` then calls `end_child_processes`, which stops whatever this process
started and is still running (the kernel with its workers, a worker a race left behind), and
prints `Activity.interrupted()`.

    >>> activity = Activity("run")
    >>> activity.now("simulating national-day")
    >>> activity.interrupted()
    'run interrupted while simulating national-day; nothing written'
"""

from __future__ import annotations

import os
import signal

from elcart_sim.cli.outputs import OutputPlace

__all__ = ["EXIT_INTERRUPTED", "Activity", "end_child_processes"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


class Activity:
    """What a command is doing (`now`), and where it writes: the line it prints when interrupted."""

    def __init__(self, command: str, out: OutputPlace | None = None):
        self.command = command
        self.out = out
        self.doing = "starting"

    def now(self, doing: str) -> None:
        """Say what the command does from here on, e.g. 'simulating national-day'."""
        self.doing = doing

    def interrupted(self) -> str:
        kept = self.out.kept() if self.out is not None else "nothing written"
        return f"{self.command} interrupted while {self.doing}; {kept}"


def _is_resource_tracker(process) -> bool:
    """multiprocessing's resource tracker ignores SIGINT and SIGTERM by design and leaves by itself
    once every process that shares its pipe (ours, our workers) has gone."""
    try:
        return any("resource_tracker" in part for part in process.cmdline())
    except Exception:  # gone meanwhile, or not ours to read
        return False


def end_child_processes(grace_s: float = 3.0) -> list[int]:
    """Stop every process this one started that still runs: SIGTERM to each child's process
    group when the child leads one of its own (a Jupyter kernel and its workers), else to the
    child; after `grace_s`, SIGKILL to what is left. Returns the pids signalled."""
    import psutil

    me = psutil.Process()
    children = [p for p in me.children(recursive=True) if not _is_resource_tracker(p)]
    if not children:
        return []
    own_group = os.getpgrp()
    for child in children:
        try:
            if child.ppid() == me.pid and os.getpgid(child.pid) == child.pid != own_group:
                os.killpg(child.pid, signal.SIGTERM)
            else:
                child.terminate()
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    _, alive = psutil.wait_procs(children, timeout=grace_s)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=grace_s)
    return [child.pid for child in children]
