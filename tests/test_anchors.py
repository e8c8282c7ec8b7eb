"""In the written output, every link to an item lands on an anchor
that exists, in every builder.

Items inside ``.. only::`` (the other builder's branch) or a false
``ifconfig`` still count, but their blocks are in no output: every link to
them (roles, computed back-links, report tables) is left out there, the way
links to a page outside the output are.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ROOTS
from .helpers import (
    built_app,
    dangling_fragments,
    html,
    html_anchors,
    latex_labels,
    threats_json,
)

ONLY_ROOTS = ["conditional", "conditional-myst"]


def _copy(tmp_path: Path, root: str) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / f"test-{root}", src)
    return src


def _still_counted(data: dict[str, object]) -> None:
    items = data["items"]
    assert isinstance(items, dict)
    assert {t["id"] for t in items["threats"]} == {"T-ALL", "T-HTML", "T-TEX"}
    assert {m["id"] for m in items["mitigations"]} == {"M-INT", "M-BOTH"}
    statuses = {t["id"]: t["status"] for t in items["threats"]}
    # the false ifconfig's control still mitigates T-ALL
    assert statuses == {"T-ALL": "mitigated", "T-HTML": "mitigated", "T-TEX": "mitigated"}


@pytest.mark.parametrize("root", ONLY_ROOTS)
@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml"])
def test_no_html_link_to_an_item_left_out(tmp_path: Path, root: str, builder: str) -> None:
    src = _copy(tmp_path, root)
    with built_app(builder, srcdir=src, builddir=tmp_path / "out") as app:
        dangling = dangling_fragments(app.outdir)
        data = threats_json(app)
        index = Path(app.outdir, "index.html").read_text(encoding="utf-8")
    assert dangling == []
    _still_counted(data)
    # the HTML branch is in the output and linked; the others are shown, unlinked
    assert 'id="T-HTML"' in index and "#T-HTML" in index
    assert 'id="T-TEX"' not in index and "#T-TEX" not in index
    assert 'id="M-INT"' not in index and "#M-INT" not in index
    assert "Only in LaTeX" in index  # the matrix row, unlinked
    uris = {e["id"]: e["uri"] for es in data["items"].values() for e in es}
    assert uris["T-TEX"] == uris["M-INT"] == ""
    assert uris["T-HTML"].endswith("#T-HTML")


@pytest.mark.parametrize("root", ONLY_ROOTS)
def test_no_latex_reference_to_an_undefined_label(tmp_path: Path, root: str) -> None:
    src = _copy(tmp_path, root)
    with built_app("latex", srcdir=src, builddir=tmp_path / "out") as app:
        (tex_file,) = Path(app.outdir).glob("*.tex")
        tex = tex_file.read_text(encoding="utf-8")
        data = threats_json(app)
    labels, refs = latex_labels(tex)
    assert sorted(set(refs) - set(labels)) == []
    assert "index:T-TEX" in labels and "index:T-TEX" in refs
    assert "index:T-HTML" not in labels and "index:M-INT" not in labels
    assert "Only in HTML" in tex  # the matrix row, unlinked
    _still_counted(data)


@pytest.mark.parametrize("root", ONLY_ROOTS)
def test_text_shows_every_item_reference(tmp_path: Path, root: str) -> None:
    src = _copy(tmp_path, root)
    with built_app("text", srcdir=src, builddir=tmp_path / "out") as app:
        text = Path(app.outdir, "other.txt").read_text(encoding="utf-8")
        _still_counted(threats_json(app))
    assert "Internal control" in text or "M-INT" in text
    assert "Only in HTML" in text and "Only in LaTeX" in text


def test_moving_an_item_into_the_other_branch_unlinks_it_everywhere(tmp_path: Path) -> None:
    """Incremental: the page that cites the item is not read again, but written again."""
    src = _copy(tmp_path, "conditional")
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out) as app:
        assert "index.html#T-HTML" in html(app, "other")
    index = src / "index.rst"
    index.write_text(index.read_text().replace(".. only:: html", ".. only:: latex"))
    with built_app("html", srcdir=src, builddir=out) as app:
        other = html(app, "other")
        dangling = dangling_fragments(app.outdir)
    assert "#T-HTML" not in other
    assert dangling == []


ANCHOR_ROOTS = ["anchors", "anchors-myst"]


@pytest.mark.parametrize("root", ANCHOR_ROOTS)
@pytest.mark.parametrize("builder", ["html", "dirhtml", "singlehtml"])
def test_item_ids_are_unique_html_ids(tmp_path: Path, root: str, builder: str) -> None:
    """5: an item ID that is a section id on another page (one file on singlehtml)."""
    src = _copy(tmp_path, root)
    with built_app(builder, srcdir=src, builddir=tmp_path / "out") as app:
        outdir = Path(app.outdir)
        pages = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
        anchors = {p.relative_to(outdir).as_posix(): html_anchors(p) for p in pages}
        dangling = dangling_fragments(outdir)
    for page, (ids, _) in anchors.items():
        assert sorted(i for i in set(ids) if ids.count(i) > 1) == [], page
    assert dangling == []
    # the items keep their IDs
    page = (outdir / _page(builder, "other")).read_text(encoding="utf-8")
    assert 'class="threats-item threats-service admonition" id="relay"' in page
    assert 'class="threats-item threats-threat admonition" id="web"' in page
    if builder == "singlehtml":
        # every link to them lands on them
        ids, hrefs = anchors["index.html"]
        # the roles of both pages (and the back-links): the ids are unique and the items hold them
        assert hrefs.count("#relay") >= 2 and hrefs.count("#web") >= 2
        # the section now holds another id, and its page's own links follow it
        # (`Web`_; MyST has no such implicit reference)
        (section,) = [i for i in ids if i.startswith("web-")]
        assert (f"#{section}" in hrefs) is root.endswith("anchors")


def _page(builder: str, docname: str) -> str:
    if builder == "singlehtml":
        return "index.html"
    return f"{docname}/index.html" if builder == "dirhtml" else f"{docname}.html"


@pytest.mark.parametrize("root", [*ANCHOR_ROOTS, "locations", "locations-myst"])
def test_latex_labels_are_defined_once(
    tmp_path: Path, root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # test-locations' autodoc module: imported from this copy, forgotten after
    monkeypatch.delitem(sys.modules, "hardmod", raising=False)
    src = _copy(tmp_path, root)
    with built_app("latex", srcdir=src, builddir=tmp_path / "out") as app:
        (tex_file,) = Path(app.outdir).glob("*.tex")
        labels, refs = latex_labels(tex_file.read_text(encoding="utf-8"))
    sys.modules.pop("hardmod", None)
    assert sorted(label for label in set(labels) if labels.count(label) > 1) == []
    assert sorted(set(refs) - set(labels)) == []
    assert "other:relay" in labels if "anchors" in root else "index:relay" in labels
