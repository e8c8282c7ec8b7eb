"""What the ``threat-graph`` and ``threat-dfd`` tests share: a root copied
to build, an app that collects the DOT each page's pictures are drawn from,
the golden DOT files, and the links in the SVGs ``dot`` wrote."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from docutils import nodes
from sphinx.ext.graphviz import graphviz
from sphinx.testing.util import SphinxTestApp

from .helpers import html_anchors

ROOTS = Path(__file__).parent / "roots"
#: Rewrite the golden DOT files from the build (then review their diff).
REGENERATE = os.environ.get("THREATS_REGENERATE_GOLDEN") == "1"

_LINK = re.compile(r'<(?:\w+:)?a [^>]*href="([^"]+)"')


def copy_root(root: str, tmp_path: Path) -> Path:
    """A copy of ``tests/roots/test-<root>`` to build (and edit)."""
    target = tmp_path / root
    shutil.copytree(ROOTS / f"test-{root}", target)
    return target


def dot_app(src: Path, **kwargs: Any) -> SphinxTestApp:
    """An HTML app whose ``dot`` attribute collects, per page, the DOT of every
    graphviz node as the writer gets it."""
    app = SphinxTestApp("html", srcdir=src, status=io.StringIO(), warning=io.StringIO(), **kwargs)
    found: dict[str, list[str]] = {}

    def collect(_app: Any, doctree: nodes.document, docname: str) -> None:
        found[docname] = [node["code"] for node in doctree.findall(graphviz)]

    app.connect("doctree-resolved", collect, priority=900)
    app.dot = found  # type: ignore[attr-defined]
    return app


def assert_golden_dot(dot: dict[str, list[str]], golden: Path) -> None:
    """Each page's DOT is its file in ``golden`` (``page-n.dot``), or rewrites
    it with ``THREATS_REGENERATE_GOLDEN=1``."""
    for page, codes in sorted(dot.items()):
        for n, code in enumerate(codes):
            path = golden / f"{page.replace('/', '-')}-{n}.dot"
            if REGENERATE:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(code, encoding="utf-8")
            assert code == path.read_text(encoding="utf-8"), path.name


def svg_hrefs(outdir: Path) -> list[tuple[str, str]]:
    """(svg file, href) of every link in every SVG of ``_images``, once each
    (a flow's line and its label are two links to the same item)."""
    out: set[tuple[str, str]] = set()
    for svg in sorted(Path(outdir, "_images").glob("*.svg")):
        text = svg.read_text(encoding="utf-8")
        out |= {(svg.name, html.unescape(h)) for h in _LINK.findall(text)}
    return sorted(out)


def dangling_svg_links(outdir: Path) -> list[str]:
    """Links in the SVGs whose page or ``#fragment`` does not exist (they
    resolve against the SVG's own place, ``_images/``)."""
    images = Path(outdir, "_images")
    dangling = []
    for svg, href in svg_hrefs(outdir):
        parts = urlsplit(href)
        page = (images / unquote(parts.path)).resolve()
        if page.is_dir():
            page = page / "index.html"
        if not page.is_file() or unquote(parts.fragment) not in html_anchors(page)[0]:
            dangling.append(f"{svg}: {href}")
    return dangling
