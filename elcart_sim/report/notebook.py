"""The report notebook, executed and rendered into one HTML file.

`build_report` injects the parameters into the `parameters` cell of
`notebooks/04_capacity_planning.ipynb` with papermill, executes it in a fresh kernel (the same
Python as the caller), keeps the executed notebook, and renders it with nbconvert into a single
self-contained HTML file: plots are embedded as base64 PNGs and no script, style sheet or font is
fetched from the network, so the file can be mailed or archived as it is.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from elcart_sim.capacity.sizing_report import DEFAULT_TARGET_P99_S
from elcart_sim.core.errors import MissingDependencyError, ReportError
from elcart_sim.core.optional import install_command, require
from elcart_sim.scenario import Scenario, load_scenario

__all__ = [
    "NOTEBOOK",
    "ReportParameters",
    "require_notebook_tools",
    "notebook_path",
    "report_scenario",
    "execute_notebook",
    "render_html",
    "build_report",
]

NOTEBOOK = "04_capacity_planning.ipynb"

# The report HTML extends nbconvert's JupyterLab template and drops everything it would load
# from a CDN (require.js, MathJax, Mermaid, widget manager): the report has none of those.
_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


@dataclass(frozen=True)
class ReportParameters:
    """What the report notebook's `parameters` cell receives (None: the scenario's own value)."""

    scenario: str = "national-day"
    seed: int | None = None
    scale: float | None = None
    replications: int = 5
    target_p99_s: float = DEFAULT_TARGET_P99_S
    peak_taps: int = 2_000
    max_years: int = 30
    sizing_points: int = 8
    workers: int = 1
    dask: str | None = None
    days: int = 0  # 0: no days section; N >= 2: N days in a row from the scenario's date
    drills: int = 0  # 0: no drills section; N: N drill runs under seeded random fault plans

    def as_notebook_parameters(self) -> dict[str, Any]:
        return {name.upper(): value for name, value in asdict(self).items()}


def _tool(module: str, package: str):
    return require(module, package=package, extra="notebooks", needed_for="the capacity report")


def require_notebook_tools() -> None:
    """Raise MissingDependencyError (one line, with the install command) unless papermill,
    nbconvert, nbformat and ipykernel are installed: check this before a report starts work."""
    for module, package in (("papermill", "papermill"), ("nbconvert", "nbconvert"), ("nbformat", "nbformat")):
        _tool(module, package)
    try:
        found = importlib.util.find_spec("ipykernel") is not None
    except ValueError:  # a module set to None in sys.modules
        found = False
    if not found:
        raise MissingDependencyError(
            f"ipykernel is not installed, and the capacity report needs it: {install_command('notebooks')}"
        )


def notebook_path() -> Path:
    """The report notebook (override the folder with ELCART_SIM_NOTEBOOKS)."""
    folder = os.environ.get("ELCART_SIM_NOTEBOOKS")
    return (Path(folder) if folder else Path(__file__).resolve().parents[2] / "notebooks") / NOTEBOOK


def report_scenario(
    name_or_path: str, seed: int | None = None, scale: float | None = None, fidelity: str | None = "fast"
) -> Scenario:
    """The scenario a report is about: a bundled name or a YAML path, with the seed and scale
    replaced where given. Reports run the `fast` fidelity by default: the same outcomes and
    timings as `wire` (tests/test_runs.py checks it), fewer codec cycles.

    >>> s = report_scenario("national-day", scale=0.01)
    >>> s.scale, s.fidelity
    (0.01, 'fast')
    """
    overrides: dict[str, Any] = {}
    if fidelity is not None:
        overrides["fidelity"] = fidelity
    if seed is not None:
        overrides["seed"] = seed
    if scale is not None:
        overrides["scale"] = scale
    return load_scenario(name_or_path, **overrides)


def execute_notebook(parameters: ReportParameters, executed_path: Path, *, source: Path | None = None) -> Path:
    """Run the report notebook with `parameters` (papermill) and save the executed copy."""
    papermill = _tool("papermill", "papermill")

    source = source or notebook_path()
    if not source.exists():
        raise ReportError(f"report notebook {str(source)!r} does not exist")
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed_path),
            parameters=parameters.as_notebook_parameters(),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(source.parent),
            extra_arguments=["--log-level=ERROR"],  # the kernel's start-up notices are not the report's
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(
            f"report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(the executed notebook is {executed_path})"
        ) from None
    return executed_path


def render_html(executed_path: Path, html_path: Path, *, title: str, show_code: bool = False) -> Path:
    """Render an executed notebook into one self-contained HTML file (images inline, no CDN)."""
    jinja2 = _tool("jinja2", "jinja2")
    nbformat = _tool("nbformat", "nbformat")
    HTMLExporter = _tool("nbconvert", "nbconvert").HTMLExporter

    notebook = nbformat.read(executed_path, as_version=4)
    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"elcart_report.html.j2": _TEMPLATE})],
        template_file="elcart_report.html.j2",
        embed_images=True,
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(notebook)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def build_report(parameters: ReportParameters, out_dir: str | os.PathLike, *, show_code: bool = False) -> Path:
    """Execute the report notebook for `parameters` and write `DIR/capacity-report-<scenario>.html`
    (and the executed notebook beside it); returns the HTML file."""
    scenario = report_scenario(parameters.scenario, parameters.seed, parameters.scale)  # fail fast
    if Path(parameters.scenario).suffix:  # a YAML path: the kernel runs in notebooks/
        parameters = ReportParameters(**{**asdict(parameters), "scenario": str(Path(parameters.scenario).resolve())})
    out = Path(out_dir)
    executed = execute_notebook(parameters, out / f"capacity-report-{scenario.name}.ipynb")
    title = f"ELKART Pay capacity plan — {scenario.name} (seed {scenario.seed}, scale {scenario.scale:g})"
    return render_html(executed, out / f"capacity-report-{scenario.name}.html", title=title, show_code=show_code)
