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
