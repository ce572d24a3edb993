"""The benchmark scripts still run (they assert nothing about speed: figures are theirs to print)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_national_day_prints_the_library_floor_of_a_wire_run():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_national_day.py"), "--scale", "0.002", "--fidelity", "wire", "--library-floor"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "transactions / s" in out
    for call in ("pyiso8583.encode", "pyiso8583.decode", "pyemv.generate_ac", "pyemv.generate_arpc_2", "cryptography.generate_arqc"):
        assert call in out, f"{call} was not timed: did the library rename it?\n{out}"
    assert "library floor" in out


def test_every_benchmark_script_starts():
    """Each script imports what it measures (a moved module breaks it here, not on a planner's machine)."""
    for script in sorted(BENCHMARKS.glob("bench_*.py")):
        done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
        assert done.returncode == 0, f"{script.name}: {done.stderr}"


def test_the_card_dialogue_benchmark_prints_both_fidelities():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_card_dialogue.py"), "--wallets", "5", "--taps", "4", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "fast  both" in out and "wire  both" in out


def test_the_support_benchmark_prints_the_cost_per_contact_beside_the_yardstick():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_support.py"), "--contacts-per-day", "400", "--replications", "2"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CPU per contact" in out and "raw SimPy events / s" in out and "staffing search" in out


def test_the_invariants_benchmark_prints_their_cost_per_transaction():
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_invariants.py"), "--scale", "0.001", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "invariants cost" in out and "per transaction" in out and "raw SimPy events / s" in out
