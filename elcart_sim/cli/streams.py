"""Standard output whose reader may leave: `elcart-sim run | head` ends quietly.

When the reader of a pipe exits, the next write raises BrokenPipeError. `reader_may_leave`
wraps stdout and stderr for the length of a command: the first write or flush that finds the
pipe closed points the stream's file descriptor at /dev/null, and the command goes on — writes
its files, returns its own exit status — printing nothing more and no traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["reader_may_leave"]


class _LeavableStream:
    """A text stream whose BrokenPipeError sends it, and all later output, to /dev/null."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()

    def _to_devnull(self) -> None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # what is still buffered goes there too
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """Within: sys.stdout and sys.stderr shrug off a reader that left (see the module docstring)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _LeavableStream(saved[0]), _LeavableStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved
