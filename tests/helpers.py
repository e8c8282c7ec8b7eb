"""Helpers for reading what a build showed the user."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.testing.util import SphinxTestApp

_WARNING = re.compile(
    r"^(?P<loc>\S*?):(?P<line>\d+)?:? WARNING: (?P<msg>.*?) \[(?P<sub>threats\.[a-z-]+)\]$"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: The ``threats.json`` key of each kind's items, as the SPEC names them
#: (written out here, not taken from the package, so the tests check it).
PLURAL = {
    "threat-actor": "threat-actors",
    "service": "services",
    "threat": "threats",
    "mitigation": "mitigations",
    "risk-acceptance": "risk-acceptances",
    "not-applicable": "not-applicable",
    "assumption": "assumptions",
}


def threat_warnings(app: Sphinx) -> list[tuple[str, int, str]]:
    """``(file relative to srcdir, line, subtype)`` of every threats.* warning."""
    out = []
    srcdir = str(app.srcdir)
    for raw in _ANSI.sub("", app.warning.getvalue()).splitlines():
        m = _WARNING.match(raw.strip())
        if not m:
            continue
        loc = m.group("loc")
        if loc.startswith(srcdir):
            loc = loc[len(srcdir) + 1 :]
        out.append((loc, int(m.group("line") or 0), m.group("sub").split(".", 1)[1]))
    return out


def all_warnings(app: Sphinx) -> list[str]:
    """Every WARNING/ERROR line."""
    text = _ANSI.sub("", app.warning.getvalue())
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def threats_json(app: Sphinx) -> dict[str, Any]:
    """The exported ``threats.json``."""
    return json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))


def html(app: Sphinx, page: str) -> str:
    """A written HTML page."""
    return Path(app.outdir, f"{page}.html").read_text(encoding="utf-8")


@contextmanager
def built_app(builder: str, **kwargs: Any) -> Iterator[SphinxTestApp]:
    """A test app that has built with ``builder`` (output kept in memory), cleaned up after."""
    kwargs.setdefault("status", io.StringIO())
    kwargs.setdefault("warning", io.StringIO())
    app = SphinxTestApp(builder, **kwargs)
    try:
        app.build()
        yield app
    finally:
        app.cleanup()


def serial_and_parallel(src: Path, where: Path) -> list[dict[str, bytes]]:
    """``src`` built to HTML by ``sphinx-build -j 1`` and ``-j 2`` in
    subprocesses (under ``where``): each build's pages and ``threats.json``."""
    outputs = []
    for jobs in ("1", "2"):
        out = where / f"out-{jobs}"
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-j", jobs, "-b", "html", str(src), str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        outputs.append(
            {p.name: p.read_bytes() for p in [*out.glob("*.html"), out / "threats.json"]}
        )
    return outputs
