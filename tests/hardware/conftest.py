"""Fixtures for tests that run through the real PC/SC stack.

The chain under test: PcscLink -> pyscard -> libpcsclite -> pcscd -> vpcd driver -> TCP ->
VirtualPhone (in a thread of this process) -> the HCE applet.

This conftest does not start pcscd; ``hardware/pcsc-stack.sh start`` does (the CI job runs it
before pytest). It only checks that the stack is there. When it is not, the hardware tests
SKIP with what is missing and how to start it; with ``CI`` set they FAIL instead, because a
hardware test that quietly skips in CI checks nothing.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from elcart_sim.live.vpcd import VPCD_PORT, Applet, TapRecord, VirtualPhone

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
READER = "Virtual PCD 00 00"  # vpcd slot 0, TCP 35963
START_HINT = "run: bash hardware/pcsc-stack.sh install && bash hardware/pcsc-stack.sh start"
PHONE_JOIN_S = 5.0


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(what: str) -> None:
    """Skip, or fail in CI, naming what is missing."""
    if in_ci():
        pytest.fail(
            f"PC/SC stack missing in CI (hardware tests must not skip): {what}", pytrace=False
        )
    pytest.skip(f"PC/SC stack not available: {what}")


def vpcd_listening(port: int = VPCD_PORT) -> bool:
    """True when something LISTENs on 0.0.0.0:port, read from /proc/net/tcp.

    Never probe by connecting: vpcd would take the probe for a phone placed on the reader.
    """
    needle = f":{port:04X} 00000000:0000 0A"
    try:
        return needle in Path("/proc/net/tcp").read_text()
    except OSError:
        return False


def stack_problem() -> str | None:
    """What is missing from the PC/SC stack, or None when it is ready."""
    if importlib.util.find_spec("smartcard") is None:
        return (
            "pyscard is not installed (pip install -e '.[hardware]'; needs gcc and libpcsclite-dev)"
        )
    if not PCSCD_SOCKET.is_socket():
        return f"pcscd is not running (no {PCSCD_SOCKET}); {START_HINT}"
    if not vpcd_listening():
        return (
            f"vpcd is not listening on TCP {VPCD_PORT} (is vsmartcard-vpcd installed, and was "
            f"pcscd started after it?); {START_HINT}"
        )
    from elcart_sim.core.errors import LinkError
    from elcart_sim.live.pcsc_link import list_readers

    try:
        readers = list_readers()
    except LinkError as exc:
        return f"{exc}; {START_HINT}"
    if READER not in readers:
        return f"reader '{READER}' is not known to pcscd (readers: {readers}); {START_HINT}"
    return None


@pytest.fixture(scope="session")
def pcsc_stack() -> str:
    """The vpcd reader name, once the stack is known to be ready."""
    problem = stack_problem()
    if problem is not None:
        _unavailable(problem)
    return READER


@pytest.fixture(scope="session")
def pyscard_installed() -> None:
    if importlib.util.find_spec("smartcard") is None:
        _unavailable("pyscard is not installed (pip install -e '.[hardware]')")


@dataclass
class PhoneRun:
    """A VirtualPhone serving taps in a background thread."""

    phone: VirtualPhone
    thread: threading.Thread
    records: list[TapRecord] = field(default_factory=list)
    error: BaseException | None = None

    def join(self, timeout_s: float = PHONE_JOIN_S) -> list[TapRecord]:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), f"phone thread still running after {timeout_s} s"
        if self.error is not None:
            raise self.error
        return self.records


@pytest.fixture
def start_phone(pcsc_stack: str) -> Iterator[Callable[..., PhoneRun]]:
    """Start a phone: ``start_phone(applet_factory, taps=..., tear_after_apdus=...)``.

    At teardown the phone is taken away and the test waits until pcscd sees the slot empty,
    so the next test starts with no stale card in the reader.
    """
    runs: list[PhoneRun] = []

    def start(
        applet_factory: Callable[[], Applet],
        *,
        taps: int | None = None,
        hold_s: float | None = None,
        **phone_options: object,
    ) -> PhoneRun:
        phone = VirtualPhone(VPCD_PORT, **phone_options)  # type: ignore[arg-type]
        run = PhoneRun(phone=phone, thread=threading.Thread())

        def serve() -> None:
            try:
                run.records.extend(phone.serve(applet_factory, taps=taps, hold_s=hold_s))
            except BaseException as exc:  # surfaced by join()
                run.error = exc

        run.thread = threading.Thread(target=serve, name="virtual-phone", daemon=True)
        run.thread.start()
        runs.append(run)
        return run

    yield start

    from elcart_sim.live.pcsc_link import PcscLink

    for run in runs:
        run.phone.stop()
    for run in runs:
        run.thread.join(PHONE_JOIN_S)
    with PcscLink(pcsc_stack, wait=False) as link:
        link.wait_for_removal(10.0)  # a ceiling: returns as soon as pcscd sees the slot empty
    assert not any(run.thread.is_alive() for run in runs), "a phone thread did not stop"
