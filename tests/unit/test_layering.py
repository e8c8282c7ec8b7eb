"""The layering written down in ``pyproject.toml`` ([tool.importlinter]) holds.

Three checks of the one list of contracts there:

- ``lint-imports`` finds every contract kept (static: every import statement,
  also inside functions and under ``TYPE_CHECKING``);
- a deliberate violation in a copy of the package breaks it, so the check can
  fail;
- importing each module of the pure layers, and running each subcommand's
  ``--help``, loads no Sphinx and no docutils (at run time, also what is
  loaded lazily).
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def _contract(ident: str) -> dict[str, object]:
    return next(c for c in CONTRACTS if c["id"] == ident)


def _pure_modules() -> list[str]:
    """Every module under the packages the ``pure`` contract names."""
    found: list[str] = []
    for name in _contract("pure")["source_modules"]:  # type: ignore[union-attr]
        found.append(name)
        path = ROOT / Path(*name.split("."))
        if path.is_dir():
            found += [m.name for m in pkgutil.walk_packages([str(path)], prefix=f"{name}.")]
    return sorted(found)


def _lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run(
        [LINT_IMPORTS, str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=package_parent,
        check=False,
    )


def test_every_contract_is_kept() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("model.py", "import docutils.nodes", "sphinx_threats.model -> docutils"),
        ("views/matrix.py", "from ..render import elements", "sphinx_threats.views.matrix ->"),
        ("cli/report.py", "from ..render import elements", "sphinx_threats.cli.report ->"),
        (
            "schema/values.py",
            "from . import syntax as _s",
            "No cycles are allowed in sphinx_threats.schema",
        ),
    ],
)
def test_a_deliberate_violation_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    shutil.copytree(ROOT / "sphinx_threats", tmp_path / "sphinx_threats")
    target = tmp_path / "sphinx_threats" / module
    if module == "schema/values.py":
        # a cycle: values imports syntax; syntax now imports values too
        syntax = tmp_path / "sphinx_threats" / "schema" / "syntax.py"
        syntax.write_text(syntax.read_text() + "\nfrom . import values as _v  # noqa\n")
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "0 broken." not in result.stdout and broken in result.stdout, result.stdout


@pytest.mark.parametrize("module", _pure_modules())
def test_pure_module_loads_no_sphinx(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert out == "", f"importing {module} loaded {out}"


@pytest.mark.parametrize("subcommand", ["report", "diff", "sarif", "import", "export"])
def test_each_subcommand_loads_no_sphinx(subcommand: str) -> None:
    code = (
        "import sys\nfrom sphinx_threats.cli import main\n"
        "try:\n    main([" + repr(subcommand) + ", '--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils'))\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "LOADED=\n" in out, out[-300:]
