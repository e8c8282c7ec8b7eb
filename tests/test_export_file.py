"""The ``threats.json`` file: written safely wherever it goes.

A path it cannot write is a warning naming the path (the build's exit status
is unchanged); a FIFO in its place is replaced, never read; an epub build
neither packs the last build's export nor warns about it. Each build is a real
``sphinx-build`` subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOTS

#: A real sphinx-build subprocess per case:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


def _copy(tmp_path: Path, root: str) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / f"test-{root}", src)
    return src


def _sphinx_build(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("blocker", ["directory", "read-only"])
def test_unwritable_export_is_a_warning(tmp_path: Path, blocker: str) -> None:
    """8: no extension error: a warning naming the path, the normal exit status."""
    src = _copy(tmp_path, "late-extension")  # a root whose gaps do not fail
    out = tmp_path / "out"
    if blocker == "directory":
        (out / "threats.json").mkdir(parents=True)
        target = out / "threats.json"
        result = _sphinx_build("-b", "html", src, out)
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "threats.json"
        result = _sphinx_build("-b", "html", "-D", f"threats_export={target}", src, out)
        locked.chmod(0o700)
        if os.access(locked, os.W_OK) and os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
    assert result.returncode == 0, result.stderr
    assert f"cannot write {target}" in result.stderr
    assert "[threats.invalid]" in result.stderr
    assert "Extension error" not in result.stderr


def test_export_replaces_a_fifo_without_reading_it(tmp_path: Path) -> None:
    src = _copy(tmp_path, "late-extension")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "threats.json")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "threats.json").is_file()


def test_epub_rebuild_is_as_clean_as_the_first(tmp_path: Path) -> None:
    """9: the last threats.json (and badge) is not packed (nor warned about) by
    the next epub build; both are written beside the book."""
    src = _copy(tmp_path, "late-extension")
    out, doctrees = tmp_path / "epub", tmp_path / "doctrees"
    runs, packed = [], []
    for _ in range(2):
        runs.append(
            _sphinx_build(
                "-b", "epub", "-d", doctrees, "-D", "version=1", "-D", "copyright=x", src, out
            )
        )
        (book,) = out.glob("*.epub")
        with zipfile.ZipFile(book) as epub:
            packed.append(sorted(name for name in epub.namelist() if "threats" in name))
    for run in runs:
        assert "threats.json" not in run.stderr
    assert runs[0].stderr == runs[1].stderr
    assert packed == [["_static/sphinx-threats.css"]] * 2
    assert (out / "threats.json").is_file()
    assert (out / "threats-coverage.svg").is_file()
