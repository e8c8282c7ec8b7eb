"""``threat-graph``: the DOT it writes, the pictures' links, and what stands
in for a picture (text builder, no ``dot``).

``test-graph`` (reStructuredText) and ``test-graph-myst`` (the web service and
the reports page in MyST) hold two services in a subdirectory, a product
page with actors (one with quotes, a backslash and markup in its title),
threats and mitigations, a graph ``:of:`` each service page and, on the
reports page, the whole model and the service map.  The real ``dot``
(Debian's ``graphviz``) draws them.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import (
    all_warnings,
    built_app,
    built_serial_and_parallel,
    dangling_fragments,
    latex_labels,
    threat_warnings,
)
from .pictures import assert_golden_dot, copy_root, dangling_svg_links, dot_app

GOLDEN = Path(__file__).parent / "golden" / "graph"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(params=["graph", "graph-myst"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Both roots built to HTML with SVG pictures; ``app.dot`` holds the DOT per page."""
    app = dot_app(copy_root(request.param, tmp_path))
    try:
        app.build()
        yield app
    finally:
        app.cleanup()


# -- the DOT text ----------------------------------------------------------------------


def test_dot_text_is_the_golden_text(built: Any) -> None:
    dot: dict[str, list[str]] = built.dot
    assert {page: len(codes) for page, codes in dot.items() if codes} == {
        "services/web": 1,
        "services/api": 1,
        "reports": 2,
    }
    assert_golden_dot(dot, GOLDEN)


def test_model_text_never_becomes_dot_syntax(built: Any) -> None:
    whole = built.dot["reports"][0]
    actor = next(line for line in whole.splitlines() if line.startswith('  "threat-actor:TA-NET"'))
    # quotes and the backslash escaped: a quoted string, not HTML, not a \N substitution
    assert (
        'label="TA-NET\\nNetwork attacker on the\\n\\"public\\" \\\\N Wi-Fi\\n<b>\\n"' not in actor
    )
    assert '\\"public\\" \\\\N' in actor
    assert (
        'tooltip="threat-actor TA-NET: Network attacker on the \\"public\\" \\\\\\\\N Wi-Fi <b>"'
        in actor
    )
    svg = _svgs(built)
    text = "".join(svg.values())
    assert "<b>" not in text  # the title's markup is text in the SVG: escaped
    assert '"public" \\N Wi-Fi' in html.unescape(text)
    # the tooltip too: not the node's name in place of the title's \N
    assert 'title="threat-actor TA-NET: Network attacker on the "public" \\N Wi-Fi <b>"' in (
        html.unescape(text)
    )


def test_edges_say_what_they_are(built: Any) -> None:
    whole = built.dot["reports"][0]
    edges = [line.strip() for line in whole.splitlines() if "->" in line]
    assert edges == sorted(edges)  # deterministic order
    gap = '"threat:T-REPLAY" -> "service:api" [color="#b00020", label="GAP"'
    assert any(e.startswith(gap) for e in edges)
    # a planned mitigation is dotted, a partial one dashed, a full one in effect solid
    assert any(
        e.startswith('"threat:T-BREACH" -> "mitigation:M-ROTATE"') and "dotted" in e for e in edges
    )
    assert any(
        e.startswith('"threat:T-XSS" -> "mitigation:M-CSP"') and "dashed" in e for e in edges
    )
    encrypt = next(e for e in edges if e.startswith('"threat:T-BREACH" -> "mitigation:M-ENCRYPT"'))
    assert "style=" not in encrypt
    assert '"threat-actor:TA-NET" -> "threat:T-REPLAY"' in whole
    assert '"mitigation:M-ENCRYPT" -> "service:web"' in whole


def test_service_map_shows_dependencies_and_coverage(built: Any) -> None:
    services = built.dot["reports"][1]
    assert '"service:web" -> "service:api"' in services
    assert '"service:api" -> "service:storage"' in services
    api = next(line for line in services.splitlines() if line.startswith('  "service:api"'))
    # coverage and the worst status in words, and the product threats as a count
    assert "[GAP]\\ncoverage 50%\\n2 product threats" in api
    assert 'fillcolor="#fde2e4"' in api  # red: its worst answer is a GAP


def test_of_and_depth_draw_a_neighbourhood(built: Any) -> None:
    api = built.dot["services/api"][0]
    keys = re.findall(r'^  "([^"]+)" \[', api, flags=re.M)
    # depth 1 from api: what covers it and the threats it has as a gap
    assert sorted(keys) == ["mitigation:M-ENCRYPT", "service:api", "threat:T-REPLAY"]


# -- the pictures and their links ------------------------------------------------------


def _svgs(app: Any) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8") for p in Path(app.outdir, "_images").glob("*.svg")
    }


_NODE = re.compile(
    r"<(?:\w+:)?title>([a-z]+(?:-|&#45;)?[a-z]*):([^<]+)</(?:\w+:)?title>\s*<(?:\w+:)?g[^>]*>"
    r"<(?:\w+:)?a [^>]*href=\"([^\"]+)\""
)


def svg_links(outdir: Path) -> list[tuple[str, str, str]]:
    """(svg file, node ID, link) of every node of every SVG in ``_images``."""
    out = []
    for svg in sorted(Path(outdir, "_images").glob("*.svg")):
        for _kind, ident, href in _NODE.findall(svg.read_text(encoding="utf-8")):
            out.append((svg.name, html.unescape(ident), html.unescape(href)))
    return out


def test_every_node_links_to_its_items_anchor(built: Any) -> None:
    links = svg_links(Path(built.outdir))
    nodes_drawn = sum(
        len(re.findall(r'^  "[^"]+" \[', code, flags=re.M))
        for codes in built.dot.values()
        for code in codes
    )
    assert len(links) == nodes_drawn  # every node is a link
    assert all(urlsplit(href).fragment == ident for _svg, ident, href in links)
    assert 'target="_top"' in "".join(_svgs(built).values())
    assert dangling_svg_links(Path(built.outdir)) == []


@pytest.mark.slow
@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml"])
def test_svg_links_resolve_in_every_html_builder(builder: str, tmp_path: Path) -> None:
    with built_app(builder, srcdir=copy_root("graph", tmp_path)) as app:
        assert len(svg_links(Path(app.outdir))) > 10
        assert dangling_svg_links(Path(app.outdir)) == []


@pytest.mark.slow
def test_serial_and_parallel_builds_write_identical_pictures(tmp_path: Path) -> None:
    src = copy_root("graph", tmp_path)
    outputs = [
        {p.name: p.read_bytes() for p in (out / "_images").glob("*.svg")}
        for out in built_serial_and_parallel(src, tmp_path, seeds=True)
    ]
    assert len(outputs[0]) == 4
    assert outputs[0] == outputs[1]


# -- without a picture -----------------------------------------------------------------


def test_without_dot_one_warning_and_the_lists(tmp_path: Path) -> None:
    with built_app(
        "html", srcdir=copy_root("graph", tmp_path), confoverrides={"graphviz_dot": "no-such-dot"}
    ) as app:
        warnings = [w for w in all_warnings(app) if "Graphviz" in w]
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(f"{app.srcdir}/reports.rst:7: WARNING: threat-graph:")
        assert "apt-get install graphviz" in warnings[0]
        assert "brew install graphviz" in warnings[0]
        assert warnings[0].endswith("[threats]")
        assert not Path(app.outdir, "_images").exists()
        page = Path(app.outdir, "services", "api.html").read_text(encoding="utf-8")
        assert 'class="threats-graph-list' in page
        assert 'href="#api"' in page and 'href="../product.html#T-REPLAY"' in page


def test_text_builder_writes_the_adjacency_list(tmp_path: Path) -> None:
    with built_app("text", srcdir=copy_root("graph", tmp_path)) as app:
        text = Path(app.outdir, "services", "api.txt").read_text(encoding="utf-8")
        assert "* threat T-REPLAY Replay of captured requests [GAP]\n\n  * GAP at: api" in text
        assert (
            "* mitigation M-ENCRYPT Encryption at rest with per-tenant keys\n  [verified]" in text
        )
        assert "[graph" not in text
        assert not [w for w in all_warnings(app) if "Graphviz" in w]


def test_latex_builds_the_picture_and_a_linked_list(tmp_path: Path) -> None:
    with built_app("latex", srcdir=copy_root("graph", tmp_path)) as app:
        tex = Path(app.outdir, "graph.tex").read_text(encoding="utf-8")
        assert tex.count(r"\sphinxincludegraphics[]{graphviz-") == 4
        assert len(list(Path(app.outdir).glob("graphviz-*.pdf"))) == 4
        labels, refs = latex_labels(tex)
        assert "product:T-REPLAY" in refs
        assert set(refs) <= set(labels)


def test_png_pictures_have_image_maps_linking_each_node(tmp_path: Path) -> None:
    # PNG output goes through sphinx.ext.graphviz itself, links page-relative
    with built_app(
        "html", srcdir=copy_root("graph", tmp_path), confoverrides={"graphviz_output_format": "png"}
    ) as app:
        outdir = Path(app.outdir)
        assert len(list((outdir / "_images").glob("graphviz-*.png"))) == 4
        page = (outdir / "services" / "api.html").read_text(encoding="utf-8")
        areas = re.findall(r'<area shape="rect" id="node\d+" href="([^"]+)"', page)
        assert areas == ["#api", "../product.html#T-REPLAY", "../product.html#M-ENCRYPT"]
        assert dangling_fragments(outdir) == []
        assert not [w for w in all_warnings(app) if "picture was not drawn" in w]


# -- dot in the background ------------------------------------------------------------


def _fake_dot(tmp_path: Path, body: str) -> str:
    """A program standing in for ``dot`` (``graphviz_dot``) that runs ``body``."""
    program = tmp_path / "bin" / "fake-dot"
    program.parent.mkdir()
    program.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    program.chmod(0o755)
    return str(program)


def _undrawn(app: Any) -> list[str]:
    return [w for w in all_warnings(app) if "the picture was not drawn" in w]


def test_a_picture_dot_fails_on_is_one_warning_at_its_graph(tmp_path: Path) -> None:
    # dot's error output quotes the model: a terminal escape and a CI command in it
    said = "printf 'Error: syntax \\033[31mred\\n::error::x\\n' >&2; exit 3"
    src = copy_root("graph", tmp_path)
    with built_app(
        "html", srcdir=src, confoverrides={"graphviz_dot": _fake_dot(tmp_path, said)}
    ) as app:
        warnings = _undrawn(app)
        where = sorted(w.partition(": WARNING")[0] for w in warnings)
        assert where == [
            f"{src}/reports.rst:12",
            f"{src}/reports.rst:7",
            f"{src}/services/api.rst:13",
            f"{src}/services/web.rst:21",
        ]
        assert all(
            w.endswith(
                "WARNING: the picture was not drawn: dot exited with status 3: "
                "Error: syntax [31mred ::error::x [threats]"
            )
            for w in warnings
        ), warnings
        assert not any("\x1b" in w for w in warnings)
        # nothing half-drawn is left for a later build to take as drawn
        assert list(Path(app.outdir, "_images").iterdir()) == []
        page = Path(app.outdir, "services", "api.html").read_text(encoding="utf-8")
        assert '<p class="warning">Threat graph: neighbourhood of api' in page


def test_a_dot_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sphinx_threats.dot_runs

    monkeypatch.setattr(sphinx_threats.dot_runs, "SECONDS", 0.5)
    src = copy_root("graph", tmp_path)
    program = _fake_dot(tmp_path, "exec sleep 30")
    with built_app("html", srcdir=src, confoverrides={"graphviz_dot": program}) as app:
        warnings = _undrawn(app)
        assert len(warnings) == 4
        assert all(
            "dot took longer than 0.5 seconds and was stopped [threats]" in w for w in warnings
        )
        assert list(Path(app.outdir, "_images").iterdir()) == []


def test_an_epub_holds_the_pictures(tmp_path: Path) -> None:
    import zipfile

    with built_app("epub", srcdir=copy_root("graph", tmp_path)) as app:
        book = next(Path(app.outdir).glob("*.epub"))
        with zipfile.ZipFile(book) as packed:
            svgs = [n for n in packed.namelist() if n.endswith(".svg")]
            assert len(svgs) == 4, svgs
            assert all(packed.read(n).startswith(b"<?xml") for n in svgs)
        assert not _undrawn(app)


# -- bad input, the size guard, incremental builds ------------------------------------


def test_bad_options_warn_at_their_line_and_the_graph_still_draws(tmp_path: Path) -> None:
    src = copy_root("graph", tmp_path)
    with (src / "reports.rst").open("a") as page:
        page.write(
            "\n.. threat-graph::\n   :depth: many\n   :of: <script>\n\n"
            ".. threat-graph::\n   :of: NOWHERE\n"
        )
    with built_app("html", srcdir=src) as app:
        invalid = [w for w in threat_warnings(app) if w[2] == "invalid"]
        assert invalid == [("reports.rst", 16, "invalid"), ("reports.rst", 17, "invalid")]
        page = Path(app.outdir, "reports.html").read_text(encoding="utf-8")
        assert page.count('class="graphviz threats-graph"') == 3  # the bad one draws everything
        assert "No service, threat, threat actor or mitigation 'NOWHERE' to draw." in page


#: A graph and a diagram ``:of:`` IDs that name nothing they can draw, per
#: syntax: (page, text appended, the lines of the two ``:of:`` options).
UNKNOWN_OF = {
    "graph": (
        "reports.rst",
        "\n.. threat-graph::\n   :of: T-REPLAYY\n\n.. threat-dfd::\n   :of: T-REPLAY\n",
        (16, 19),
    ),
    "graph-myst": (
        "reports.md",
        "\n```{threat-graph}\n:of: T-REPLAYY\n```\n\n"
        "```{threat-dfd}\n---\nof: T-REPLAY\n---\n```\n",
        (17, 22),
    ),
}


@pytest.mark.parametrize("root", sorted(UNKNOWN_OF))
def test_an_of_naming_nothing_is_one_unknown_ref_at_its_line(root: str, tmp_path: Path) -> None:
    src = copy_root(root, tmp_path)
    page, text, lines = UNKNOWN_OF[root]
    with (src / page).open("a") as file:
        file.write(text)
    with built_app("html", srcdir=src) as app:
        found = [w for w in threat_warnings(app) if w[2] in ("unknown-ref", "invalid")]
        assert found == [(page, lines[0], "unknown-ref"), (page, lines[1], "unknown-ref")]
        warnings = [w for w in all_warnings(app) if "unknown-ref" in w]
        assert "threat-graph :of: names an unknown service, threat, threat actor or " in warnings[0]
        assert "has the ID 'T-REPLAYY'; did you mean 'T-REPLAY'?" in warnings[0]
        assert (
            "threat-dfd :of: names an unknown service, data store, external entity or "
            "trust boundary: 'T-REPLAY' is a threat, not a service, data store" in warnings[1]
        )
        shown = Path(app.outdir, page.replace(".rst", ".html").replace(".md", ".html"))
        assert "No service, threat, threat actor or mitigation 'T-REPLAYY' to draw." in (
            shown.read_text(encoding="utf-8")
        )
        export = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        assert [g["ids"] for g in export["gaps"] if g["kind"] == "unknown-ref"] == [
            ["T-REPLAYY"],
            ["T-REPLAY"],
        ]


def test_the_size_guard_draws_the_first_nodes_and_says_how_to_filter(tmp_path: Path) -> None:
    app = dot_app(copy_root("graph", tmp_path), confoverrides={"threats_graph_max_nodes": 3})
    try:
        app.build()
        whole = app.dot["reports"][0]  # type: ignore[attr-defined]
        keys = re.findall(r'^  "([^"]+)" \[', whole, flags=re.M)
        # actors first, then threats by severity: the first three
        assert keys == ["threat-actor:TA-INSIDER", "threat-actor:TA-NET", "threat:T-BREACH"]
        page = Path(app.outdir, "reports.html").read_text(encoding="utf-8")
        assert "Showing the first 3 of 11 nodes (threats_graph_max_nodes = 3)" in page
        assert ":of: and :depth:, or the filters :service:" in page
    finally:
        app.cleanup()


def _written(status: str) -> set[str]:
    status = re.sub(r"\x1b\[[0-9;]*m", "", status)
    return set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", status))


def test_a_change_rewrites_only_the_graphs_that_show_it(tmp_path: Path) -> None:
    src = copy_root("graph", tmp_path)
    out = tmp_path / "out"

    def build() -> set[str]:
        app = dot_app(src, builddir=out)
        try:
            app.build()
            return _written(app.status.getvalue())
        finally:
            app.cleanup()

    build()
    before = {p.name for p in (out / "html" / "_images").glob("*.svg")}
    product = src / "product.rst"
    product.write_text(product.read_text().replace("Malicious insider", "Malicious administrator"))
    stamp = product.stat().st_mtime + 10
    os.utime(product, (stamp, stamp))
    # the insider is on the whole-model graph only (reports), not near web or api
    # (index: the parent of a changed page in the toctree, as Sphinx does)
    assert build() == {"index", "product", "reports"}
    after = {p.name for p in (out / "html" / "_images").glob("*.svg")}
    assert len(after - before) == 1  # one new picture: the whole model's
