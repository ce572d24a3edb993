"""Optional dependencies, imported when first needed: pyscard for a real PC/SC reader (extra
`hardware`), papermill and nbconvert for the capacity report (extra `notebooks`).

`require` imports one, or raises `MissingDependencyError` with one line that names the package,
what needs it and the command that installs it into the Python that is running, so the command
line prints it like any other input error (exit 2), never a traceback.

    >>> require("json", package="json", extra="dev", needed_for="tests").__name__
    'json'
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from elcart_sim.core.errors import MissingDependencyError

__all__ = ["require", "install_command"]


def install_command(extra: str) -> str:
    """The pip command that installs elcart-sim's `extra` into the running Python, e.g.
    `.venv/bin/python -m pip install 'elcart-sim[hardware]'` (relative when under the current folder)."""
    python = sys.executable or "python3"
    relative = os.path.relpath(python)
    if not relative.startswith(os.pardir):
        python = relative
    return f"{python} -m pip install 'elcart-sim[{extra}]'"


def require(module: str, *, package: str, extra: str, needed_for: str, note: str = "") -> ModuleType:
    """Import `module` (from the distribution `package`, in elcart-sim's extra `extra`), or raise
    MissingDependencyError saying that `needed_for` needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        hint = f" ({note})" if note else ""
        raise MissingDependencyError(
            f"{package} is not installed, and {needed_for} needs it: {install_command(extra)}{hint}"
        ) from None
