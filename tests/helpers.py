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
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

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


class _Anchors(HTMLParser):
    """The ids and the ``href`` values of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value is not None:
                self.ids.append(value)
            elif name == "href" and value is not None:
                self.hrefs.append(value)


def html_anchors(page: Path) -> tuple[list[str], list[str]]:
    """Every ``id`` (with repeats) and every ``href`` of an HTML page."""
    parser = _Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.ids, parser.hrefs


def dangling_fragments(outdir: str | Path) -> list[str]:
    """``page: href`` of every link in the HTML output whose ``#fragment``
    names no element of the page it points into (``dir/`` is ``dir/index.html``)."""
    outdir = Path(outdir)
    pages = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    ids = {page.resolve(): set(html_anchors(page)[0]) for page in pages}
    dangling = []
    for page in pages:
        for href in html_anchors(page)[1]:
            parsed = urlsplit(href)
            if parsed.scheme or parsed.netloc or not parsed.fragment:
                continue
            target = (page.parent / unquote(parsed.path)).resolve() if parsed.path else page
            if parsed.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            if unquote(parsed.fragment) not in ids.get(target.resolve(), set()):
                dangling.append(f"{page.relative_to(outdir)}: {href}")
    return dangling


_LATEX_LABEL = re.compile(r"\\label\{\\detokenize\{([^}]*)\}\}")
_LATEX_REF = re.compile(r"\\(?:hyperref\[|(?:auto)?(?:page)?ref\*?\{)\\detokenize\{([^}]*)\}")


def latex_labels(tex: str) -> tuple[list[str], list[str]]:
    """Every label a LaTeX file defines (with repeats) and every label it refers to."""
    return _LATEX_LABEL.findall(tex), _LATEX_REF.findall(tex)


def built_serial_and_parallel(src: Path, where: Path, *, seeds: bool = False) -> list[Path]:
    """``src`` built to HTML by ``sphinx-build -j 1`` and ``-j 2`` in
    subprocesses (under ``where``): the two output directories.  ``seeds``:
    each build with another ``PYTHONHASHSEED`` (its job count), so that an
    order taken from hashing shows as a difference."""
    outdirs = []
    for jobs in ("1", "2"):
        out = where / f"out-{jobs}"
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-j", jobs, "-b", "html", str(src), str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": jobs if seeds else "0"},
        )
        outdirs.append(out)
    return outdirs


def serial_and_parallel(src: Path, where: Path) -> list[dict[str, bytes]]:
    """``src`` built to HTML by ``sphinx-build -j 1`` and ``-j 2`` in
    subprocesses (under ``where``): each build's pages and ``threats.json``."""
    return [
        {p.name: p.read_bytes() for p in [*out.glob("*.html"), out / "threats.json"]}
        for out in built_serial_and_parallel(src, where)
    ]
