"""How far the report's studies have got, shown while the notebook runs in its kernel.

The kernel is another process whose output goes into the notebook, not to the terminal. So
`build_with_progress` names a file in `ELCART_SIM_PROGRESS_FILE` before the kernel starts (the
kernel inherits the environment); every executor `map` in the kernel appends one JSON line per
finished run to it (`elcart_sim.capacity.executors`), and `StudyFollower` reads the new lines
every quarter second and shows them on stderr: a tqdm bar per study on a terminal, else one
line per finished study. The notebook is executed in a background thread meanwhile, so that
Ctrl-C reaches this process's main thread at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import threading
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from elcart_sim.capacity.executors import PROGRESS_FILE_ENV
from elcart_sim.cli.interrupts import Activity, end_child_processes
from elcart_sim.report.notebook import ReportParameters, build_report

__all__ = ["StudyFollower", "build_with_progress"]

_POLL_S = 0.25
_BAR = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} runs [{elapsed}<{remaining}]"


class StudyFollower:
    """Reads the progress lines appended to `path` and shows them (see the module docstring)."""

    def __init__(self, path: Path, *, shown: bool, activity: Activity | None = None, bars: bool | None = None):
        self.path = path
        self.shown = shown
        self.bars = sys.stderr.isatty() if bars is None else bars
        self.activity = activity
        self._offset = 0
        self._bar = None
        self._desc: str | None = None

    def poll(self) -> None:
        """Show every complete line appended since the last poll."""
        try:
            with open(self.path, encoding="utf-8") as source:
                source.seek(self._offset)
                chunk = source.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind("\n") + 1]
        self._offset += len(complete.encode("utf-8"))
        for line in complete.splitlines():
            self._show(json.loads(line))

    def _show(self, event: dict[str, Any]) -> None:
        desc, done, total = event["desc"], event["done"], event["total"]
        if self.activity is not None:
            where = f"after {desc}" if done == total else f"{desc}: {done} of {total} runs done"
            self.activity.now(f"executing the report notebook ({where})")
        if not self.shown:
            return
        if self.bars:
            if desc != self._desc or self._bar is None:
                self.close()
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=desc, unit="run", leave=False, dynamic_ncols=True, file=sys.stderr,
                                 bar_format=_BAR)  # no rate: runs arrive here in bursts, a poll at a time
                self._desc = desc
            self._bar.update(done - self._bar.n)
            if done == total:
                self.close()
        elif done == total:
            print(f"report: {desc}: {total} run{'s' if total != 1 else ''} done in {event['elapsed_s']:.1f} s",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._desc = None


def _close_event_loop() -> None:
    """Close the asyncio loop that running the notebook left in this thread (nbclient makes one
    per thread and leaves it open, with its sockets)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return
    if not loop.is_running():
        loop.close()
    asyncio.set_event_loop(None)


def build_with_progress(
    parameters: ReportParameters,
    out_dir: str | os.PathLike,
    *,
    show_code: bool = False,
    progress: bool = True,
    activity: Activity | None = None,
) -> Path:
    """`build_report` in a background thread, its studies' progress shown here; returns the HTML
    file. Ctrl-C stops the kernel and its workers, then lets the KeyboardInterrupt go on."""
    answer: Future[Path] = Future()  # the HTML file, or what stopped the build: for the main thread

    def build() -> None:
        try:
            answer.set_result(build_report(parameters, out_dir, show_code=show_code))
        except BaseException as exc:
            answer.set_exception(exc)
        finally:
            _close_event_loop()

    with tempfile.TemporaryDirectory(prefix="elcart-report-") as folder:
        path = Path(folder) / "progress.jsonl"
        follower = StudyFollower(path, shown=progress, activity=activity)
        previous = os.environ.get(PROGRESS_FILE_ENV)
        os.environ[PROGRESS_FILE_ENV] = str(path)
        worker = threading.Thread(target=build, name="report-notebook", daemon=True)
        try:
            worker.start()
            while worker.is_alive():
                worker.join(_POLL_S)
                follower.poll()
        except KeyboardInterrupt:
            logging.disable(logging.CRITICAL)  # nbclient would log the kernel's death we cause
            end_child_processes()  # the kernel and its workers; the thread then sees a dead kernel
            worker.join(timeout=5.0)
            raise
        finally:
            follower.close()
            if previous is None:
                os.environ.pop(PROGRESS_FILE_ENV, None)
            else:
                os.environ[PROGRESS_FILE_ENV] = previous
    return answer.result()
