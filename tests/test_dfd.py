"""``threat-dfd``: the data-flow diagram's DOT, its pictures' links, and what
stands in for a picture (no ``dot``, the text builder), serial and parallel,
incremental.

``test-dfd`` (reStructuredText) and ``test-dfd-myst`` (the relay page and the
diagram page in MyST) hold two external entities (one with quotes, a
backslash and markup in its title), two services with a store each, five
flows (one both ways, one whose data has quotes, ``\\N`` and markup), a
boundary nested in another and an empty one; the diagram page draws the
whole model and ``:of:`` the cloud boundary, the relay page ``:of:`` relay.
The real ``dot`` (Debian's ``graphviz``) draws them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import all_warnings, built_app, built_serial_and_parallel
from .pictures import assert_golden_dot, copy_root, dangling_svg_links, dot_app, svg_hrefs

GOLDEN = Path(__file__).parent / "golden" / "dfd"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


@pytest.fixture(params=["dfd", "dfd-myst"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Both roots built to HTML with SVG pictures; ``app.dot`` holds the DOT per page."""
    app = dot_app(copy_root(request.param, tmp_path))
    try:
        app.build()
        yield app
    finally:
        app.cleanup()


def _keys(dot: str) -> list[str]:
    """The drawn nodes' keys (not a boundary's invisible point)."""
    return re.findall(r'^\s+"([a-z-]+:[^"]+)" \[label=', dot, flags=re.M)


def _edges(dot: str) -> list[tuple[str, str, str]]:
    """(tail, head, flow URL fragment) of every edge."""
    return [
        (tail, head, url.rpartition("#")[2])
        for tail, head, url in re.findall(r'^  "([^"]+)" -> "([^"]+)" \[.*URL="([^"]*)"', dot, re.M)
    ]


# -- the DOT text ----------------------------------------------------------------------


def test_dot_text_is_the_golden_text(built: Any) -> None:
    dot: dict[str, list[str]] = built.dot
    assert {page: len(codes) for page, codes in dot.items() if codes} == {
        "services/relay": 1,
        "diagram": 2,
    }
    assert_golden_dot(dot, GOLDEN)


def test_the_diagram_shows_elements_flows_and_nested_boundaries(built: Any) -> None:
    whole = built.dot["diagram"][0]
    assert sorted(_keys(whole)) == [
        "data-store:db",
        "data-store:queue",
        "external-entity:client",
        "external-entity:ops",
        "service:relay",
        "service:storage",
    ]
    assert sorted(_edges(whole)) == [
        ("external-entity:client", "service:relay", "F-SEND"),
        ("external-entity:ops", "service:storage", "F-ADMIN"),
        ("service:relay", "data-store:queue", "F-ENQ"),
        ("service:relay", "service:storage", "F-STORE"),
        ("service:storage", "data-store:db", "F-PERSIST"),
    ]
    # the usual shapes; the count and the worst status in words, never colour alone
    line = {key: next(x for x in whole.splitlines() if f'"{key}" [' in x) for key in _keys(whole)}
    assert "shape=ellipse" in line["service:relay"]
    assert "shape=cylinder" in line["data-store:db"]
    assert "shape=box" in line["external-entity:ops"]
    assert "[1 threat, GAP]" in line["external-entity:ops"]
    assert "[2 threats, planned]" in line["service:storage"]
    assert "[no threats]" in line["data-store:queue"]
    # boundaries: dashed clusters, inner nested in cloud, db in inner, the empty one kept
    cloud = whole.index('subgraph "cluster_trust-boundary:cloud"')
    inner = whole.index('subgraph "cluster_trust-boundary:inner"')
    closing = whole.index("\n  }\n", cloud)
    assert cloud < inner < whole.index('"data-store:db" [') < closing
    assert 'style="dashed,rounded"' in whole[cloud:inner]
    assert '"trust-boundary:office" [shape=point, style=invis' in whole
    # a flow is labelled with what flows and how, both ways when bidirectional
    send = next(x for x in whole.splitlines() if '"external-entity:client" -> ' in x)
    assert "dir=both" in send and "\\nHTTPS" in send and "[1 threat, mitigated]" in send
    # model text is a quoted string: never DOT syntax, HTML-like labels or \N
    assert 'ciphertext \\"sealed\\" \\\\N\\n<i>' in send


def test_of_a_service_or_a_boundary_draws_its_neighbourhood(built: Any) -> None:
    relay = built.dot["services/relay"][0]
    # relay, its store, and the ends of its flows
    assert sorted(_keys(relay)) == [
        "data-store:queue",
        "external-entity:client",
        "service:relay",
        "service:storage",
    ]
    assert "cluster_trust-boundary:inner" not in relay
    cloud = built.dot["diagram"][1]
    # everything inside the cloud, and the outside ends of the flows crossing it
    assert len(_keys(cloud)) == 6 and "office" not in cloud
    assert "cluster_trust-boundary:inner" in cloud


# -- the pictures and their links ------------------------------------------------------


def test_every_element_and_boundary_links_to_its_item(built: Any) -> None:
    outdir = Path(built.outdir)
    links = svg_hrefs(outdir)
    # per picture: its nodes, its flows and its boundaries, each one link
    drawn = 0
    for codes in built.dot.values():
        for code in codes:
            drawn += len(_keys(code)) + len(_edges(code)) + code.count('subgraph "cluster_')
    assert len(links) == drawn == (6 + 5 + 3) + (6 + 5 + 2) + (4 + 3 + 1)
    assert {urlsplit(href).fragment for _svg, href in links} >= {"F-SEND", "cloud", "db"}
    assert dangling_svg_links(outdir) == []


@pytest.mark.slow
@pytest.mark.parametrize("builder", ["dirhtml", "singlehtml"])
def test_svg_links_resolve_in_every_html_builder(builder: str, tmp_path: Path) -> None:
    with built_app(builder, srcdir=copy_root("dfd", tmp_path)) as app:
        assert len(svg_hrefs(Path(app.outdir))) > 20
        assert dangling_svg_links(Path(app.outdir)) == []


@pytest.mark.slow
def test_serial_and_parallel_builds_write_identical_pictures(tmp_path: Path) -> None:
    src = copy_root("dfd", tmp_path)
    outputs = []
    for out in built_serial_and_parallel(src, tmp_path, seeds=True):
        pictures = {p.name: p.read_bytes() for p in (out / "_images").glob("*.svg")}
        pages = {
            p.name: re.sub(r"\?v=[0-9a-f]+", "", p.read_text(encoding="utf-8"))
            for p in (out / "services").glob("*.html")
        }
        outputs.append((pictures, pages, (out / "diagram.html").read_text(encoding="utf-8")))
    assert len(outputs[0][0]) == 3
    assert outputs[0] == outputs[1]


# -- without a picture -----------------------------------------------------------------


def test_without_dot_one_warning_and_the_lists(tmp_path: Path) -> None:
    with built_app(
        "html", srcdir=copy_root("dfd", tmp_path), confoverrides={"graphviz_dot": "no-such-dot"}
    ) as app:
        warnings = [w for w in all_warnings(app) if "Graphviz" in w]
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(
            f"{app.srcdir}/diagram.rst:6: WARNING: threat-dfd: the Graphviz program 'no-such-dot'"
        )
        assert not Path(app.outdir, "_images").exists()
        page = Path(app.outdir, "diagram.html").read_text(encoding="utf-8")
        assert 'class="threats-graph-list' in page
        assert 'href="services/relay.html#F-STORE"' in page  # the flow, linked
        assert 'href="elements.html#cloud"' in page  # the boundary, linked


def test_text_builder_writes_the_adjacency_list(tmp_path: Path) -> None:
    with built_app("text", srcdir=copy_root("dfd", tmp_path)) as app:
        text = Path(app.outdir, "diagram.txt").read_text(encoding="utf-8")
        assert (
            "  * flows to: queue by F-ENQ Enqueue [no threats]\n\n"
            "  * flows to: storage by F-STORE Hand over for storage (blobs, gRPC)\n"
            "    [no threats]\n" in text
        )
        assert (
            "* trust-boundary cloud Cloud provider contains: relay, storage, queue,\n  inner"
            in text
        )
        assert "* trust-boundary office Office network\n" in text
        assert "both ways" in text
        assert not [w for w in all_warnings(app) if "Graphviz" in w]


# -- bad input, the size guard, incremental builds ------------------------------------


def test_of_nothing_drawable_says_so(tmp_path: Path) -> None:
    src = copy_root("dfd", tmp_path)
    with (src / "diagram.rst").open("a") as page:
        page.write("\n.. threat-dfd::\n   :of: T-REPLAY\n\n.. threat-dfd::\n   :of: <b>\n")
    with built_app("html", srcdir=src) as app:
        page = Path(app.outdir, "diagram.html").read_text(encoding="utf-8")
        assert (
            "No service, data store, external entity or trust boundary 'T-REPLAY' to draw." in page
        )
        bad = [w for w in all_warnings(app) if "threats.invalid" in w]
        assert len(bad) == 1 and "diagram.rst:17:" in bad[0], bad


def test_the_size_guard_draws_the_first_nodes_and_says_how_to_filter(tmp_path: Path) -> None:
    app = dot_app(copy_root("dfd", tmp_path), confoverrides={"threats_graph_max_nodes": 3})
    try:
        app.build()
        whole = app.dot["diagram"][0]  # type: ignore[attr-defined]
        # entities first, then services
        assert _keys(whole) == ["external-entity:client", "external-entity:ops", "service:relay"]
        assert _edges(whole) == [("external-entity:client", "service:relay", "F-SEND")]
        page = Path(app.outdir, "diagram.html").read_text(encoding="utf-8")
        assert "Showing the first 3 of 6 nodes (threats_graph_max_nodes = 3)" in page
    finally:
        app.cleanup()


def _written(status: str) -> set[str]:
    status = re.sub(r"\x1b\[[0-9;]*m", "", status)
    return set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", status))


@pytest.mark.parametrize("root", ["dfd", "dfd-myst"])
def test_a_flow_added_on_one_page_updates_the_diagram_on_another(root: str, tmp_path: Path) -> None:
    src = copy_root(root, tmp_path)
    out = tmp_path / "out"

    def build() -> tuple[set[str], dict[str, list[str]]]:
        app = dot_app(src, builddir=out)
        try:
            app.build()
            return _written(app.status.getvalue()), app.dot  # type: ignore[attr-defined]
        finally:
            app.cleanup()

    build()
    storage = src / "services" / "storage.rst"
    storage.write_text(
        storage.read_text() + "\n.. data-flow:: Read back\n   :id: F-READ\n"
        "   :from: db\n   :to: storage\n   :data: blobs\n"
    )
    stamp = storage.stat().st_mtime + 10
    os.utime(storage, (stamp, stamp))
    written, dot = build()
    # the diagram page shows the new flow; the relay's neighbourhood does not
    assert "diagram" in written and "services/relay" not in written
    assert ("data-store:db", "service:storage", "F-READ") in _edges(dot["diagram"][0])


# -- the way out: Threat Composer's data-flow description --------------------------------


def test_threat_composer_export_describes_flows_and_boundaries(built: Any) -> None:
    from .test_export_tc import export, validate

    workspace = export(Path(built.outdir, "threats.json"), Path(built.outdir, "model.tc.json"))
    validate(workspace)
    lines = workspace["dataflow"]["description"].splitlines()
    assert lines[0] == "### Data flows"
    assert (
        '- **Send a message** (F-SEND): **Mobile client "app" \\\\N \\<b\\>** (client) ↔ '
        '**Relay** (relay); data: ciphertext "sealed" \\\\N \\<i\\>; protocol: HTTPS; '
        "crosses **Cloud provider** (cloud)"
    ) in lines
    assert (
        "- **Cloud provider** (cloud): contains **Relay** (relay), **Message queue** (queue), "
        "**Storage** (storage), **Storage network** (inner)"
    ) in lines
    assert "- **Blob database** (db) of **Storage** (storage): encrypted blobs" in lines
    assert "### External entities" in lines
