"""The pure core and the command line import no Sphinx and no docutils."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = [
    "sphinx_threats",
    "sphinx_threats.model",
    "sphinx_threats.schema.options",
    "sphinx_threats.schema.syntax",
    "sphinx_threats.schema.values",
    "sphinx_threats.analysis",
    "sphinx_threats.figures",
    "sphinx_threats.views.items",
    "sphinx_threats.views.matrix",
    "sphinx_threats.views.coverage",
    "sphinx_threats.views.risk_map",
    "sphinx_threats.views.gaps",
    "sphinx_threats.views.summary",
    "sphinx_threats.views.graph",
    "sphinx_threats.render.dot",
    "sphinx_threats.export",
    "sphinx_threats.config",
    "sphinx_threats.catalog",
    "sphinx_threats.external",
    "sphinx_threats.cli",
]


@pytest.mark.parametrize("module", PURE)
def test_module_imports_no_sphinx(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing {module} loaded {out}"
