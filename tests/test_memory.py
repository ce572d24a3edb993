"""The process's C heap is changed by the runner only, explicitly (core/memory.py)."""

from __future__ import annotations

import ctypes
import platform

import pytest

from elcart_sim import load_scenario
from elcart_sim.core import memory
from elcart_sim.core.records import Records
from elcart_sim.model.simulation import Simulation


def test_building_changes_nothing_and_the_run_asks_for_both_settings_in_order(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(memory, "keep_large_blocks_mapped", lambda: calls.append("keep_large_blocks_mapped") or True)
    monkeypatch.setattr(memory, "return_free_memory", lambda: calls.append("return_free_memory") or True)
    loaded: list[object] = []
    real_cdll = ctypes.CDLL
    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: loaded.append(args) or real_cdll(*args, **kwargs))

    simulation = Simulation(load_scenario("national-day", scale=0.0005, seed=3))
    Records()
    assert (calls, loaded) == ([], [])

    simulation.run()
    assert calls == ["keep_large_blocks_mapped", "return_free_memory"]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_trim are glibc's")
def test_on_glibc_both_calls_are_made():
    assert memory.keep_large_blocks_mapped() is True
    assert memory.return_free_memory() is True
