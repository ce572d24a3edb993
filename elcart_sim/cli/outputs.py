"""Where a command writes, checked before any work, and what it has written so far.

Every command that writes (run, replicate, sweep, size, validate, report) takes `--out DIR`.
`OutputPlace.check` refuses, in one line naming the place, a DIR that exists as a file, or that
cannot be written: DIR itself when it exists, else its nearest existing parent, which must be a
folder in which DIR can be made (a missing DIR, and missing parents, are made when the first file
is written). It runs before the scenario is simulated, so a mistyped `--out` costs nothing.

`OutputPlace.written` lists the files that appeared or changed in DIR since the check: what an
interrupted command reports as kept.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     place = OutputPlace(Path(folder) / "results")
    ...     place.check()
    ...     before = place.kept()
    ...     (place.path / "summary.json").parent.mkdir()
    ...     _ = (place.path / "summary.json").write_text("{}")
    ...     after = place.kept().replace(str(place.path.resolve()), "DIR")
    >>> before, after
    ('nothing written', 'kept 1 file in DIR: summary.json')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from elcart_sim.core.errors import OutputError

__all__ = ["OutputPlace"]

_NAMED_FILES = 6  # an interrupted command names this many kept files, then counts the rest


class OutputPlace:
    """The folder `--out` names (`option` is how the error message calls it)."""

    def __init__(self, path: str | os.PathLike, option: str = "--out"):
        self.path = Path(path)
        self.option = option
        self._before: dict[Path, tuple[int, int]] = {}

    def check(self) -> None:
        """Raise OutputError unless files can be written into the folder (see the module docstring);
        remember what it holds now."""
        path = self.path
        where = f"{self.option} {path}"
        if path.exists() and not path.is_dir():
            raise OutputError(f"cannot write to {where}: it is a file, not a folder")
        existing = path.absolute()
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"cannot write to {where}: {existing} is a file, so the folder cannot be made in it")
        if not _writable(existing):
            whose = "it" if existing == path.absolute() else f"its parent {existing}"
            raise OutputError(f"cannot write to {where}: {whose} is not writable")
        self._before = _files(path)

    def written(self) -> list[Path]:
        """Files in the folder that are new or changed since `check`, by name."""
        return sorted(f for f, stamp in _files(self.path).items() if self._before.get(f) != stamp)

    def kept(self) -> str:
        """What an interrupted command says it leaves behind: 'nothing written', or the files."""
        files = self.written()
        if not files:
            return "nothing written"
        names = [f.name for f in files[:_NAMED_FILES]]
        more = f" and {len(files) - _NAMED_FILES} more" if len(files) > _NAMED_FILES else ""
        noun = "file" if len(files) == 1 else "files"
        return f"kept {len(files)} {noun} in {self.path.resolve()}: {', '.join(names)}{more}"


def _writable(folder: Path) -> bool:
    """Whether a file can be made in `folder`: the permission bits say so (not enough for root,
    for whom they always do) and a temporary file can really be made and removed."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _files(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file in `folder` (not in its sub-folders: the commands write none there) with its
    modification time and size; empty if there is no such folder."""
    if not folder.is_dir():
        return {}
    stamps = {}
    for path in folder.iterdir():
        try:
            if path.is_file():
                stat = path.stat()
                stamps[path] = (stat.st_mtime_ns, stat.st_size)
        except OSError:  # removed meanwhile
            continue
    return stamps
