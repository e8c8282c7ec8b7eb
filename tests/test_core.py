"""Items, options and roles in real builds, in reStructuredText and MyST."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docutils import nodes
from sphinx.testing.util import SphinxTestApp

from .helpers import all_warnings, built_app, html, threat_warnings, threats_json

ROOTS = Path(__file__).parent / "roots"


def _normalised_doctree(app: SphinxTestApp, docname: str) -> str:
    tree = app.env.get_and_resolve_doctree(docname, app.builder)
    for node in tree.findall(nodes.Element):
        node.attributes.pop("source", None)
        node.attributes.pop("line", None)
    # MyST keeps a soft line break as its own text node; rST keeps it inside
    # the neighbouring text: the same content, so whitespace-only lines go.
    return "\n".join(line for line in tree.pformat().splitlines() if line.strip())


def _json_without_locations(app: SphinxTestApp) -> dict[str, object]:
    data = threats_json(app)
    for entries in data["items"].values():
        for entry in entries:
            for key in ("file", "lineno"):
                entry.pop(key)
    for gap in data["gaps"]:
        gap.pop("file")
        gap.pop("lineno")
    return data


@pytest.mark.sphinx("html", testroot="core")
def test_rst_items_render_with_fields_and_backlinks(app: SphinxTestApp) -> None:
    app.build()
    assert app.statuscode == 0
    assert all_warnings(app) == []
    product = html(app, "product")
    # every item is a titled block whose anchor is its ID verbatim
    for ident in ("TA-CLOUD", "T-BREACH", "T-FLOOD", "T-PHISH", "M-CSE", "NA-PHISH", "RA-FLOOD"):
        assert re.search(
            rf'<div class="threats-item threats-[a-z-]+ admonition" id="{ident}">', product
        ), ident
    # a threat shows its mitigations, acceptances, exclusions, computed status;
    # a link to an item is its ID, styled as one, followed by the item's title
    assert re.search(
        r'<a class="threats-id reference internal" href="#M-CSE" title="mitigation M-CSE">'
        r"M-CSE</a> Client-side encryption",
        product,
    ), "a titled ID link"
    assert "threats-status-mitigated" in product
    assert 'href="#RA-FLOOD"' in product and 'href="#NA-PHISH"' in product
    # CWE/CAPEC link to the public catalogues; verified-by URL is a link
    assert 'href="https://cwe.mitre.org/data/definitions/311.html"' in product
    assert 'href="https://capec.mitre.org/data/definitions/37.html"' in product
    assert 'href="https://example.org/audit/42"' in product
    # cross-page back-link: the breach is in scope for api, covered by M-CSE via relies-on
    assert 'href="api.html#api"' in product
    api = html(app, "api")
    # roles show the item's title unless given explicit text
    assert re.search(r'href="product.html#T-BREACH"[^>]*><span[^>]*>Data breach at rest<', api)
    assert re.search(r'href="product.html#T-BREACH"[^>]*><span[^>]*>the breach<', api)
    assert "Web front end" in api
    # a mitigation lists the services relying on it; a service its threats
    assert re.search(r'id="M-CSE".*?Relied on by.*?href="api.html#api"', product, re.S)
    assert re.search(r'id="api".*?Own threats.*?href="#T-TOKEN"', api, re.S)
    # the CSS is linked through the proper API and copied
    assert "_static/sphinx-threats.css" in product
    assert Path(app.outdir, "_static", "sphinx-threats.css").exists()


@pytest.mark.sphinx("html", testroot="core")
def test_objects_inventory_lists_every_item(app: SphinxTestApp) -> None:
    app.build()
    objects = {(name, typ) for name, _, typ, _, _, _ in app.env.domains["threats"].get_objects()}
    assert objects == {
        ("TA-CLOUD", "threat-actor"),
        ("T-BREACH", "threat"),
        ("T-FLOOD", "threat"),
        ("T-PHISH", "threat"),
        ("T-TOKEN", "threat"),
        ("M-CSE", "mitigation"),
        ("M-TOKEN", "mitigation"),
        ("NA-PHISH", "not-applicable"),
        ("RA-FLOOD", "risk-acceptance"),
        ("api", "service"),
        ("RA-WEB", "risk-acceptance"),
        ("NA-WEB", "not-applicable"),
        ("web", "service"),
    }
    inv = Path(app.outdir, "objects.inv").read_bytes()
    assert inv.startswith(b"# Sphinx inventory version 2")


def test_rst_and_myst_give_the_same_doctrees_and_model(tmp_path: Path) -> None:
    trees = {}
    data = {}
    for root in ("test-core", "test-core-myst"):
        with built_app("html", srcdir=ROOTS / root, builddir=tmp_path / root) as app:
            assert all_warnings(app) == []
            trees[root] = {
                doc: _normalised_doctree(app, doc) for doc in ("product", "api", "reports")
            }
            data[root] = _json_without_locations(app)
    assert trees["test-core"] == trees["test-core-myst"]
    assert data["test-core"] == data["test-core-myst"]


@pytest.mark.sphinx("html", testroot="core")
def test_threats_json_items_carry_options_and_locations(app: SphinxTestApp) -> None:
    app.build()
    data = threats_json(app)
    assert data["schema"] == 1 and data["project"] == "core"
    breach = next(t for t in data["items"]["threats"] if t["id"] == "T-BREACH")
    assert breach["category"] == ["information-disclosure", "tampering"]
    assert breach["applies-to"] == ["*", "!web"]
    assert breach["tags"] == ["storage", "at rest"]
    assert breach["capec"] == ["37"]
    assert breach["file"] == "product.rst" and breach["lineno"] == 9
    assert breach["uri"] == "product.html#T-BREACH"
    assert breach["status"] == "mitigated"
    token = next(t for t in data["items"]["threats"] if t["id"] == "T-TOKEN")
    assert token["service"] == "api"
    # "!web" takes web out of :applies-to:, but web lists the threat in :exposed-to:
    assert {c["service"] for c in data["coverage"] if c["threat"] == "T-BREACH"} == {"api", "web"}
    assert data["gaps"] == []


@pytest.mark.sphinx("html", testroot="defaults")
def test_page_default_service_and_product_level(app: SphinxTestApp) -> None:
    app.build()
    data = threats_json(app)
    owners = {t["id"]: t["service"] for t in data["items"]["threats"]}
    assert owners == {"T-PRODUCT": None, "T-OWNED": "svc", "T-OTHER": "other"}
    mits = {m["id"]: m["service"] for m in data["items"]["mitigations"]}
    assert mits == {"M-OWNED": "svc", "M-PRODUCT": None}
    # the owning service forms no pair
    assert [c["threat"] for c in data["coverage"]] == []


@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml", "latex", "text"])
def test_every_builder_builds_clean_and_resolves_links(tmp_path: Path, builder: str) -> None:
    with built_app(builder, srcdir=ROOTS / "test-core", builddir=tmp_path) as app:
        assert all_warnings(app) == []
        assert app.statuscode == 0
        out = Path(app.outdir)
        if builder == "html":
            assert 'href="product.html#T-BREACH"' in (out / "api.html").read_text()
        elif builder == "dirhtml":
            assert 'href="../product/#T-BREACH"' in (out / "api" / "index.html").read_text()
        elif builder == "singlehtml":
            text = (out / "index.html").read_text()
            assert 'href="#T-BREACH"' in text and 'id="T-BREACH"' in text
        elif builder == "latex":
            tex = next(out.glob("*.tex")).read_text()
            assert r"\label{\detokenize{product:T-BREACH}}" in tex
            assert r"\hyperref[\detokenize{product:T-BREACH}]" in tex
        else:
            text = (out / "api.txt").read_text()
            assert "Data breach at rest" in text and "Public API" in text


@pytest.mark.sphinx("html", testroot="shortname-taken")
def test_short_name_taken_by_another_extension(app: SphinxTestApp) -> None:
    app.build()
    text = app.warning.getvalue()
    assert (
        "the directive name 'threat' is taken by another extension; use the "
        "'threats:threat' form" in text
    )
    # the domain form still declares the item
    assert [t["id"] for t in threats_json(app)["items"]["threats"]] == ["T-1"]
    assert "OTHER EXTENSION" in html(app, "index")


@pytest.mark.sphinx("dummy", testroot="core", confoverrides={"threats_today": "2026-06-01"})
def test_dummy_builder_exports_and_analyses(app: SphinxTestApp) -> None:
    app.build()
    assert threats_json(app)["summary"]["threats"] == 4
    assert threat_warnings(app) == []


@pytest.mark.sphinx("html", testroot="core")
def test_reports_render_with_filters_and_grouping(app: SphinxTestApp) -> None:
    app.build()
    page = html(app, "reports")
    matrix = page[page.index("threat-matrix") : page.index("threat-coverage")]
    # grouped by category, one rubric per category; low severity filtered out
    for category in ("denial-of-service", "information-disclosure", "spoofing", "tampering"):
        assert f">{category}</p>" in matrix
    assert "T-PHISH" not in matrix
    assert "1 of 1" in matrix and "answered by its owner" in matrix
    coverage = page[page.index("threat-coverage") : page.index("threat-gaps")]
    assert 'href="api.html#api"' in coverage and 'href="api.html#web"' not in coverage
    assert "threats-status-accepted" in coverage and "RA-FLOOD" in coverage
    summary = page[page.index("threat-summary") :]
    assert "100.0%" in summary
    assert "no gaps" in page
