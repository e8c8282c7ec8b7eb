"""Helpers for the tests of the ``sphinx-threats`` command: real builds of
test roots, the real command in a subprocess, golden files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .helpers import built_app

ROOTS = Path(__file__).parent / "roots"
GOLDEN = Path(__file__).parent / "golden"

#: Set to rewrite the golden files (and the docs snippets) from this run.
UPDATE = bool(os.environ.get("SPHINX_THREATS_UPDATE_GOLDEN"))


def build(srcdir: Path, outdir: Path, **kwargs: Any) -> tuple[Path, int]:
    """Build ``srcdir`` with the ``dummy`` builder (the CI check); return the
    ``threats.json`` it wrote, copied to ``outdir``, and the build's exit status."""
    with built_app("dummy", srcdir=srcdir, builddir=outdir / "_build", **kwargs) as app:
        written = Path(app.outdir, "threats.json")
        status = app.statuscode
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / "threats.json"
    shutil.copyfile(written, target)
    return target, status


def copy_root(name: str, dest: Path) -> Path:
    """A copy of ``tests/roots/test-NAME`` at ``dest`` (to edit, or to build in)."""
    shutil.copytree(ROOTS / f"test-{name}", dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a command run: 80 columns, colour settings unset."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["COLUMNS"] = "80"
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx_threats ARGS`` in a subprocess, output captured (not a tty)."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx_threats", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=cli_env(**env),
        check=False,
    )


def check_golden(path: Path, actual: str) -> None:
    """``actual`` must equal the file's bytes (rewritten under ``UPDATE``)."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    assert actual == expected, (
        f"{path.name} differs from this run; rerun with SPHINX_THREATS_UPDATE_GOLDEN=1 "
        "and review the diff"
    )
