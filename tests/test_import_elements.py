"""Importers keep the diagram: every process, store, actor, flow and boundary
of a Threat Dragon model is that item, in every output form, and the
imported project's ``threat-dfd`` draws the source's nodes and edges.

The source is counted here from its JSON, independently of the importer;
only the documented ID rule (``TD-<kind letter>-<first 8 characters of the
cell id>``) ties a cell to its item.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from docutils import nodes
from sphinx.ext.graphviz import graphviz
from sphinx.testing.util import SphinxTestApp

from .test_import import DATA, Built, assert_clean_build, import_and_build

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed"),
]

TD_V2 = DATA / "threat-dragon" / "v2-threat-model.json"
#: Threat Dragon cell type → (our kind, the ID letter).
TD_KINDS = {
    "tm.Process": ("service", "S"),
    "tm.Store": ("data-store", "D"),
    "tm.Actor": ("external-entity", "E"),
    "tm.Flow": ("data-flow", "F"),
    "tm.Boundary": ("trust-boundary", "B"),
    "tm.BoundaryBox": ("trust-boundary", "B"),
}


def _cells(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for d in source["detail"]["diagrams"] for c in d["cells"]]


def _td_id(cell: dict[str, Any]) -> str:
    return f"TD-{TD_KINDS[cell['data']['type']][1]}-{cell['id'][:8]}"


def _dfd(project: Path) -> str:
    """The whole-model ``threat-dfd`` DOT of a built imported project."""
    app = SphinxTestApp(
        "html",
        srcdir=project,
        builddir=project / "_dfd",
        status=io.StringIO(),
        warning=io.StringIO(),
        confoverrides={"threats_today": "2026-06-01", "threats_fail_on": []},
    )
    found: list[str] = []

    def collect(_app: Any, doctree: nodes.document, docname: str) -> None:
        found.extend(node["code"] for node in doctree.findall(graphviz))

    app.connect("doctree-resolved", collect, priority=900)
    try:
        app.build()
    finally:
        app.cleanup()
    (dot,) = [code for code in found if code.startswith("digraph dfd")]
    return dot


def _dot_nodes(dot: str) -> set[str]:
    return set(re.findall(r'^\s+"[a-z-]+:([^"]+)" \[label=', dot, flags=re.M))


def _dot_edges(dot: str) -> set[tuple[str, str, str]]:
    return {
        (tail, head, flow)
        for tail, head, flow in re.findall(
            r'^  "[a-z-]+:([^"]+)" -> "[a-z-]+:([^"]+)" \[.*URL="[^"]*#([^"]+)"', dot, re.M
        )
    }


def _built(tmp_path: Path, source: Path, form: str) -> Built:
    built = import_and_build(tmp_path, "threat-dragon", source, form)
    assert_clean_build(built)
    return built


@pytest.mark.parametrize("form", ["rst", "myst", "yaml"])
def test_td_keeps_every_element_and_the_diagram(tmp_path: Path, form: str) -> None:
    source = json.loads(TD_V2.read_text(encoding="utf-8"))
    cells = [c for c in _cells(source) if c["data"]["type"] in TD_KINDS]
    built = _built(tmp_path, TD_V2, form)
    by_kind: dict[str, set[str]] = {}
    for cell in cells:
        by_kind.setdefault(TD_KINDS[cell["data"]["type"]][0], set()).add(_td_id(cell))
    # a flow end attached to no cell is an entity of its own (reported)
    loose = {
        f"TD-E-{c['id'][:8]}-{side}"
        for c in cells
        if c["data"]["type"] == "tm.Flow"
        for side, key in (("from", "source"), ("to", "target"))
        if "cell" not in c.get(key, {})
    }
    assert len(loose) == 1
    by_kind["external-entity"] |= loose
    for kind, ids in by_kind.items():
        plural = {"data-store": "data-stores", "external-entity": "external-entities"}
        plural |= {"data-flow": "data-flows", "trust-boundary": "trust-boundaries"}
        assert set(built.items(plural.get(kind, "services"))) == ids, kind
    assert [len(by_kind[k]) for k in ("service", "data-store", "data-flow")] == [2, 4, 10]
    assert len(by_kind["trust-boundary"]) == 3  # three lines: kept, with nothing inside
    assert all(b["contains"] == [] for b in built.items("trust-boundaries").values())
    # threats attached to a flow apply to it
    flows = {c["id"]: _td_id(c) for c in cells if c["data"]["type"] == "tm.Flow"}
    threats = built.items("threats")
    for cell in cells:
        for threat in cell["data"].get("threats", []):
            entry = threats[f"TD-T-{threat['id'][:8]}"]
            if cell["id"] in flows:
                assert entry["applies-to"] == [flows[cell["id"]]]
    if form != "rst":
        return
    # the diagram: the source's nodes and edges
    ids = {c["id"]: _td_id(c) for c in cells}
    dot = _dfd(built.project)
    node_kinds = ("service", "data-store", "external-entity")
    assert _dot_nodes(dot) == set().union(*(by_kind[k] for k in node_kinds))
    expected_edges = set()
    for c in cells:
        if c["data"]["type"] != "tm.Flow":
            continue
        ends = [
            ids[c[key]["cell"]] if "cell" in c[key] else f"TD-E-{c['id'][:8]}-{side}"
            for side, key in (("from", "source"), ("to", "target"))
        ]
        expected_edges.add((*ends, _td_id(c)))
    assert _dot_edges(dot) == expected_edges


def _cell(ident: str, kind: str, shape: str, box: tuple[int, int, int, int]) -> dict[str, Any]:
    x, y, w, h = box
    return {
        "id": ident,
        "shape": shape,
        "position": {"x": x, "y": y},
        "size": {"width": w, "height": h},
        "data": {"type": kind, "name": ident.title(), "threats": []},
    }


def _flow(ident: str, source: str, target: str, protocol: str) -> dict[str, Any]:
    return {
        "id": ident,
        "shape": "flow",
        "source": {"cell": source},
        "target": {"cell": target},
        "data": {"type": "tm.Flow", "name": ident.title(), "protocol": protocol, "threats": []},
    }


def test_td_boundary_boxes_contain_what_is_drawn_inside_them(tmp_path: Path) -> None:
    cells = [
        _cell("outerbox", "tm.BoundaryBox", "trust-boundary-box", (0, 0, 1000, 1000)),
        _cell("innerbox", "tm.BoundaryBox", "trust-boundary-box", (100, 100, 400, 400)),
        _cell("process1", "tm.Process", "process", (150, 150, 100, 100)),
        _cell("storeone", "tm.Store", "store", (600, 600, 160, 80)),
        _cell("actorone", "tm.Actor", "actor", (2000, 2000, 160, 80)),
        _flow("flow0001", "actorone", "process1", "HTTPS"),
        _flow("flow0002", "process1", "storeone", "SQL"),
    ]
    model = {
        "version": "2.3.0",
        "summary": {"title": "Boxes"},
        "detail": {"diagrams": [{"title": "Main", "diagramType": "STRIDE", "cells": cells}]},
    }
    source = tmp_path / "boxes.json"
    source.write_text(json.dumps(model), encoding="utf-8")
    built = _built(tmp_path, source, "myst")
    boundaries = built.items("trust-boundaries")
    assert boundaries["TD-B-innerbox"]["contains"] == ["TD-S-process1"]
    assert boundaries["TD-B-outerbox"]["contains"] == ["TD-B-innerbox", "TD-D-storeone"]
    # the store's one process owns it; the flow keeps its protocol
    assert built.items("data-stores")["TD-D-storeone"]["service"] == "TD-S-process1"
    assert built.items("data-flows")["TD-F-flow0001"]["protocol"] == "HTTPS"
    dot = _dfd(built.project)
    outer = dot.index('subgraph "cluster_trust-boundary:TD-B-outerbox"')
    inner = dot.index('subgraph "cluster_trust-boundary:TD-B-innerbox"')
    assert outer < inner < dot.index('"service:TD-S-process1" [')
    assert dot.index('"external-entity:TD-E-actorone" [') < outer  # outside both


@pytest.mark.parametrize("sample", ["shop.otm.json", "shop.otm.yaml"])
def test_otm_keeps_flows_and_trust_zones(tmp_path: Path, sample: str) -> None:
    import yaml

    path = DATA / "otm" / sample
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    built = import_and_build(tmp_path, "otm", path, "rst")
    assert_clean_build(built)
    components = {c["id"]: c for c in source["components"]}
    zones = {z["id"] for z in source["trustZones"]}
    ends = {f[key] for f in source["dataflows"] for key in ("source", "destination")}
    assert set(built.items("data-flows")) == {f"OTM-F-{f['id']}" for f in source["dataflows"]}
    assert set(built.items("trust-boundaries")) == {f"OTM-B-{z}" for z in zones}
    # a zone a flow starts or ends at: the parties in it, inside its boundary
    assert set(built.items("external-entities")) == {f"OTM-E-{z}" for z in zones & ends}
    for zone in zones:
        inside = {
            f"OTM-S-{cid}"
            for cid, c in components.items()
            if c.get("parent", {}).get("trustZone") == zone
        } | ({f"OTM-E-{zone}"} if zone in ends else set())
        assert set(built.items("trust-boundaries")[f"OTM-B-{zone}"]["contains"]) == inside
    node = {**{c: f"OTM-S-{c}" for c in components}, **{z: f"OTM-E-{z}" for z in zones}}
    dot = _dfd(built.project)
    assert _dot_nodes(dot) == {node[c] for c in components} | {node[z] for z in zones & ends}
    assert _dot_edges(dot) == {
        (node[f["source"]], node[f["destination"]], f"OTM-F-{f['id']}") for f in source["dataflows"]
    }
