"""A missing optional package is one line naming it and the command that installs it, exit 2."""

from __future__ import annotations

import sys

import pytest

from elcart_sim.cli import main
from elcart_sim.core.errors import MissingDependencyError
from elcart_sim.core.optional import install_command


@pytest.fixture(autouse=True)
def _modules_as_they_were():
    """Installed packages imported first (so blocking one does not half-import another), and
    whatever a blocked import left half-made removed afterwards."""
    import nbconvert  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    before = dict(sys.modules)
    yield
    for name in set(sys.modules) - set(before):
        del sys.modules[name]
    sys.modules.update(before)


def _missing(monkeypatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails


def test_the_install_command_names_the_running_python_and_the_extra():
    command = install_command("hardware")
    assert command.endswith(" -m pip install 'elcart-sim[hardware]'")
    assert command.split(" -m pip")[0].endswith("python") or "python3" in command


def test_a_missing_pyscard_is_one_line_with_the_install_command(monkeypatch, capsys):
    _missing(monkeypatch, "smartcard", "smartcard.scard")
    from elcart_sim.live.pcsc_link import PcscLink, list_readers

    with pytest.raises(MissingDependencyError, match=r"pyscard is not installed, and a PC/SC reader needs it: .*"
                       r"-m pip install 'elcart-sim\[hardware\]'") as caught:  # fmt: skip
        list_readers()
    assert isinstance(caught.value, ImportError)
    with pytest.raises(MissingDependencyError):
        PcscLink()
    assert main(["tap", "--list-readers"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("elcart-sim: error: pyscard is not installed")
    assert f"{install_command('hardware')} (it builds from source" in err


@pytest.mark.parametrize("module", ["papermill", "nbconvert", "nbformat", "ipykernel"])
def test_a_missing_notebook_tool_stops_the_report_before_any_work(module, monkeypatch, capsys, tmp_path):
    _missing(monkeypatch, module)
    out = tmp_path / "reports"
    assert main(["report", "--scale", "0.001", "--replications", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"elcart-sim: error: {module} is not installed, and the capacity report needs it: "
                   f"{install_command('notebooks')}\n")  # fmt: skip
    assert not out.exists()


def test_rendering_without_nbconvert_says_so(monkeypatch, tmp_path):
    from elcart_sim.report.notebook import render_html

    _missing(monkeypatch, "nbconvert")
    with pytest.raises(MissingDependencyError, match="nbconvert is not installed"):
        render_html(tmp_path / "executed.ipynb", tmp_path / "report.html", title="t")
