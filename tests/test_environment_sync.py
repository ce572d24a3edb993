"""environment.yml (conda users) lists exactly the dependencies of pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip())
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_split(r) for r in extra)

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed: dict[str, str] = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for requirement in item["pip"]:
                if not requirement.startswith("-e"):
                    listed.update([_split(requirement)])
        elif not item.startswith(("python", "pip")) or item.startswith("python-"):
            listed.update([_split(item)])
    assert listed == wanted, {
        "missing from environment.yml": sorted(set(wanted) - set(listed)),
        "not in pyproject.toml": sorted(set(listed) - set(wanted)),
        "different pins": sorted(k for k in set(wanted) & set(listed) if wanted[k] != listed[k]),
    }


def test_python_version_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{project['requires-python']}" in env["dependencies"]
