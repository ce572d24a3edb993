"""The Python example of hardware/README.md runs as written on the virtual reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "hardware" / "README.md"


@pytest.mark.hardware
def test_the_hardware_readme_example_taps_twice(pcsc_stack, capsys):
    from elcart_sim.live.pcsc_link import PcscLink

    (example,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    exec(compile(example, "hardware/README.md example", "exec"), {"__name__": "readme"})
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["online", "1"], ["online", "2"]], lines
    with PcscLink(pcsc_stack, wait=False) as link:  # the phone has left: the next test starts clean
        link.wait_for_removal(10.0)  # a ceiling: returns as soon as pcscd sees the slot empty
