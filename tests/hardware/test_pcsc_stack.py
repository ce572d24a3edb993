"""hardware/pcsc-stack.sh: each checkout keeps its own state, and one checkout's `stop` never
takes pcscd away from another that is using it.

Runs while this checkout uses pcscd (bin/test holds it through `pcsc-stack.sh run`). A second
checkout is simulated by a copy of hardware/ in a temporary folder: its own `.pcsc/` state, the
same machine-wide lease folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")


def _pcscd_pid() -> int:
    return int(Path("/run/pcscd/pcscd.pid").read_text().strip("\0 \n"))


def _script(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(checkout / "hardware" / "pcsc-stack.sh"), *args],
                          capture_output=True, text=True, timeout=30)  # fmt: skip


@pytest.fixture
def other_checkout(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "hardware", tmp_path / "hardware")
    return tmp_path


@pytest.mark.hardware
def test_another_checkout_can_neither_stop_nor_take_our_pcscd(pcsc_stack, other_checkout):
    pid = _pcscd_pid()
    ours = REPO / ".pcsc"

    nothing = _script(other_checkout, "stop")  # it never started pcscd: nothing of its own to stop
    assert nothing.returncode == 0 and "nothing to stop" in nothing.stdout, nothing
    assert _pcscd_pid() == pid and PCSCD_SOCKET.is_socket()

    started = _script(other_checkout, "start")
    assert started.returncode == 0 and f"pid {pid}" in started.stdout and "reusing" in started.stdout, started
    assert (other_checkout / ".pcsc" / "owner").read_text().strip() == "reused"
    stopped = _script(other_checkout, "stop")
    assert stopped.returncode == 0 and "running" in stopped.stdout, stopped  # "left running" / "leaving it running"
    assert _pcscd_pid() == pid and PCSCD_SOCKET.is_socket()
    assert not (other_checkout / ".pcsc" / "pcscd.pid").exists()

    if ours.is_dir():  # bin/test's run of pcsc-stack.sh recorded our pcscd here, untouched
        assert (ours / "pcscd.pid").read_text().strip() == str(pid)
