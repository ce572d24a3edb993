"""Documentation that is generated or quoted stays true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import elcart_sim
from elcart_sim.core.schemas import schema_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_records_doc_matches_the_schemas():
    assert (ROOT / "docs" / "records.md").read_text(encoding="utf-8") == schema_markdown()


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(elcart_sim.__path__, "elcart_sim.") if not m.name.endswith(("pcsc_link", "__main__"))
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_public_api_is_declared():
    for name in elcart_sim.__all__:
        assert hasattr(elcart_sim, name)
