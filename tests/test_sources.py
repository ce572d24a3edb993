"""The repository carries its own sources page, and no file cites notes that users do not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The team's private notes, by name; spelled in pieces so that this file does not cite them.
PRIVATE_NOTES = ["shared" + "/reference", "/work/" + "shared"] + [
    stem + ".md"
    for stem in ("elcart-" + "facts", "pcsc-and-" + "emv", "simpy-" + "performance",
                 "capacities-and-" + "people", "services-settlement-" + "faults", "pe" + "ers")
]  # fmt: skip
NOT_OURS = {".git", ".venv", "__pycache__", ".pcsc", "results", "reports", "build", ".pytest_cache", ".ipynb_checkpoints"}


def _tracked_files() -> list[Path]:
    """The files git tracks; without git (an unpacked archive), every file outside the folders
    that are not the project's."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [ROOT / name for name in listing.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and not NOT_OURS & set(p.relative_to(ROOT).parts)
                and not p.name.endswith(".egg-info")]  # fmt: skip


def test_no_file_cites_the_teams_private_notes():
    offenders = []
    files = _tracked_files()
    assert len(files) > 50
    for path in files:
        if not path.is_file():  # deleted in the working tree
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {note}" for note in PRIVATE_NOTES if note in text]
    assert offenders == []


def test_the_sources_page_labels_its_figures_and_links_them():
    page = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    labels = set(re.findall(r"\[(published\??|estimate(?: from published)?|not found|measured)\]", page))
    assert labels == {"published", "published?", "estimate", "estimate from published", "not found", "measured"}
    assert len(re.findall(r"\]\(https://", page)) >= 20
    for figure in ("3,651,617", "11,633", "28.7 million", "KGS 1,390", "21 ", "9417"):
        assert figure in page, figure


def test_the_data_and_hardware_docs_point_to_it():
    for doc in ("data/README.md", "hardware/README.md", "README.md"):
        assert "docs/sources.md" in (ROOT / doc).read_text(encoding="utf-8"), doc
