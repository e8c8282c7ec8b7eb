"""Data stores, external entities, data flows and trust boundaries: declared,
rendered with their back-links, linked, exported; scope through stores and
flows; crossing computed (rST and MyST)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp
from sphinx.util.inventory import InventoryFile

from .helpers import built_app, html, serial_and_parallel, threat_warnings, threats_json

ROOTS = Path(__file__).parent / "roots"
ROOT_NAMES = ["test-elements", "test-elements-myst"]


def _block(page: str, ident: str) -> str:
    """The HTML of the item block whose anchor is ``ident``."""
    start = page.index(f'id="{ident}"')
    end = page.find('class="admonition threats-item', start + 1)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_every_element_kind_is_declared_rendered_linked_and_exported(
    make_app: Any, rootdir: Path, tmp_path: Path, root: str
) -> None:
    src = tmp_path / root
    shutil.copytree(rootdir / root, src)
    app: SphinxTestApp = make_app("html", srcdir=src)
    app.build()
    assert threat_warnings(app) == []

    data = threats_json(app)
    items = data["items"]
    assert [e["id"] for e in items["external-entities"]] == ["client"]
    assert items["external-entities"][0]["description"] == "The user's messaging app"
    stores = {e["id"]: e for e in items["data-stores"]}
    # a store's service defaults to the service declared earlier on its page
    assert stores["queue"]["service"] == "relay"
    assert stores["db"]["service"] == "storage"
    assert stores["db"]["data"] == "encrypted blobs"
    flows = {e["id"]: e for e in items["data-flows"]}
    assert set(flows) == {"F-SEND", "F-ENQ", "F-PERSIST"}
    send = flows["F-SEND"]
    assert (send["from"], send["to"], send["data"], send["protocol"]) == (
        "client",
        "relay",
        "ciphertext",
        "HTTPS",
    )
    assert send["bidirectional"] is True
    assert flows["F-ENQ"]["bidirectional"] is False
    # crossing is computed: exactly one end inside the boundary (nested too)
    assert send["crosses"] == ["cloud"]
    assert flows["F-ENQ"]["crosses"] == []
    assert flows["F-PERSIST"]["crosses"] == ["inner"]
    boundaries = {e["id"]: e for e in items["trust-boundaries"]}
    assert boundaries["cloud"]["contains"] == ["relay", "queue", "storage", "inner"]

    # scope through a boundary (the flows crossing it: F-SEND, whose service
    # end is relay) and through a store (its service)
    pairs = {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}
    assert pairs == {("T-REPLAY", "relay"): "mitigated", ("T-DISK", "storage"): "mitigated"}

    suffix = src.joinpath("index.md").exists()
    relay = html(app, "relay")
    flow = _block(relay, "F-SEND")
    assert 'href="index.html#client"' in flow  # its ends
    assert 'href="#relay"' in flow
    assert "Crosses" in flow and 'href="index.html#cloud"' in flow
    assert 'href="index.html#T-REPLAY"' in flow  # the threats about it
    service = _block(relay, "relay")
    assert "Data flows in" in service and "Data flows out" in service
    assert 'href="#F-SEND"' in service and 'href="#F-ENQ"' in service
    assert "Data stores" in service and 'href="#queue"' in service
    index = html(app, "index")
    boundary = _block(index, "cloud")
    assert "Crossed by" in boundary and 'href="relay.html#F-SEND"' in boundary
    assert 'href="storage.html#storage"' in boundary  # what it contains
    assert 'href="#inner"' in boundary
    inner = _block(index, "inner")
    assert "Inside" in inner and 'href="#cloud"' in inner
    store = _block(html(app, "storage"), "db")
    assert 'href="#storage"' in store and 'href="#F-PERSIST"' in store
    assert 'href="index.html#T-DISK"' in store

    # the roles link to the items and show their titles
    for target, title in (
        ("relay.html#F-SEND", "Send a message"),
        ("#cloud", "Cloud provider"),
        ("storage.html#db", "Blob database"),
        ("#client", "Mobile client"),
    ):
        assert f'href="{target}"' in index
        assert f"{title}</span></a>" in index
    # objects.inv lists them for intersphinx
    with open(Path(app.outdir, "objects.inv"), "rb") as f:
        inventory = InventoryFile.load(f, "", lambda *parts: "/".join(parts))
    found = {
        kind: set(entries) for kind, entries in inventory.items() if kind.startswith("threats:")
    }
    assert found["threats:data-flow"] == {"F-SEND", "F-ENQ", "F-PERSIST"}
    assert found["threats:data-store"] == {"queue", "db"}
    assert found["threats:external-entity"] == {"client"}
    assert found["threats:trust-boundary"] == {"cloud", "inner"}
    assert suffix == (root == "test-elements-myst")


def _write(src: Path, page: str, text: str) -> None:
    (src / page).write_text(text, encoding="utf-8")


def test_a_second_container_is_invalid_at_contains(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-elements", src)
    with (src / "index.rst").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n.. trust-boundary:: Office\n   :id: office\n   :tags: site\n"
            "   :contains: client, db\n"
        )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        messages = app.warning.getvalue()
        flows = {e["id"]: e for e in threats_json(app)["items"]["data-flows"]}
    # db is already directly in "inner": one direct container each
    assert warnings == [("index.rst", 51, "invalid")]
    assert "'office' contains 'db', which trust boundary 'inner' (index.rst:17)" in messages
    # client is now inside office: sending to relay crosses both
    assert flows["F-SEND"]["crosses"] == ["office", "cloud"]


def test_a_cycle_of_boundaries_is_one_invalid(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-elements", src)
    with (src / "index.rst").open("a", encoding="utf-8") as fh:
        fh.write("\n.. trust-boundary:: Around the cloud\n   :id: around\n   :contains: cloud\n")
        fh.write("\n.. trust-boundary:: Back in\n   :id: back\n   :contains: around\n")
    text = (src / "index.rst").read_text()
    _write(
        src, "index.rst", text.replace(":contains: relay, queue,", ":contains: back, relay, queue,")
    )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        messages = app.warning.getvalue()
    assert warnings == [("index.rst", 54, "invalid")]
    assert "'back' contains 'around', which contains 'back'" in messages


def test_flow_ends_must_be_nodes_of_the_diagram(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-elements", src)
    with (src / "storage.rst").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n.. data-flow:: Backup\n   :id: F-BACKUP\n   :from: db\n   :to: T-DISK\n"
            "\n.. data-flow:: Nowhere\n   :id: F-NOWHERE\n   :to: db\n   :bidirectional: maybe\n"
        )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        messages = app.warning.getvalue()
        data = threats_json(app)
    assert warnings == [
        ("storage.rst", 19, "unknown-ref"),
        ("storage.rst", 21, "invalid"),
        ("storage.rst", 24, "invalid"),
    ]
    assert "'T-DISK' is a threat, not a service, data store or external entity" in messages
    assert "data-flow 'F-NOWHERE' needs :from:" in messages
    assert ":bidirectional: is a flag" in messages
    flows = {e["id"]: e for e in data["items"]["data-flows"]}
    assert flows["F-BACKUP"]["crosses"] == []  # an unknown end crosses nothing


def test_catalogue_declares_elements(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-elements", src)
    (src / "dfd.yaml").write_text(
        "data-stores:\n"
        "  - id: cache\n    title: Session cache\n    service: relay\n    data: sessions\n"
        "external-entities:\n  - id: partner\n    title: Partner\n"
        "data-flows:\n"
        "  - id: F-PARTNER\n    title: Partner feed\n    from: partner\n    to: cache\n"
        "    bidirectional: true\n"
        "trust-boundaries:\n  - id: partner-net\n    title: Partner network\n"
        "    contains: [partner]\n",
        encoding="utf-8",
    )
    with (src / "conf.py").open("a", encoding="utf-8") as fh:
        fh.write('threats_catalogs = ["dfd.yaml"]\n')
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == []
        items = threats_json(app)["items"]
    flows = {e["id"]: e for e in items["data-flows"]}
    assert flows["F-PARTNER"]["bidirectional"] is True
    # partner is inside partner-net, cache outside every boundary
    assert flows["F-PARTNER"]["crosses"] == ["partner-net"]
    assert {e["id"] for e in items["data-stores"]} == {"queue", "db", "cache"}
    assert [e["file"] for e in items["trust-boundaries"] if e["id"] == "partner-net"] == [
        "dfd.yaml"
    ]


def test_upstream_elements_are_referenced_as_name_id(tmp_path: Path) -> None:
    with built_app("html", srcdir=ROOTS / "test-elements", builddir=tmp_path / "up") as up:
        upstream = Path(up.outdir, "threats.json")
    src = tmp_path / "svc"
    src.mkdir()
    _write(
        src,
        "conf.py",
        'extensions = ["sphinx_threats"]\nthreats_today = "2026-06-01"\n'
        f"threats_external = {{'up': {str(upstream)!r}}}\n",
    )
    _write(
        src,
        "index.rst",
        "Push\n====\n\n.. service:: Push\n   :id: push\n\n"
        ".. data-flow:: Notify the client\n   :id: F-PUSH\n   :from: push\n   :to: up:client\n\n"
        ".. threat:: Push spoofed\n   :id: T-PUSH\n   :severity: low\n   :applies-to: F-PUSH\n\n"
        ".. mitigation:: Signed pushes\n   :id: M-PUSH\n   :mitigates: T-PUSH\n"
        "   :status: implemented\n   :applies-to: push\n",
    )
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == []
        data = threats_json(app)
        page = html(app, "index")
    [flow] = [e for e in data["items"]["data-flows"] if not e.get("external")]
    # written resolved, as every reference to another project's item: that
    # project's threats_project_id (from its project name), then the ID
    upstream_id = json.loads(upstream.read_text(encoding="utf-8"))["project_id"]
    assert flow["to"] == f"{upstream_id}:client"
    block = _block(page, "F-PUSH")
    assert "Mobile client" in block  # the upstream end, by its title
    assert 'href="#T-PUSH"' in block  # the threat about the flow


@pytest.mark.slow
def test_parallel_build_of_elements_equals_serial(tmp_path: Path) -> None:
    serial, parallel = serial_and_parallel(ROOTS / "test-elements", tmp_path)
    assert serial == parallel
    assert json.loads(serial["threats.json"])["items"]["data-flows"]


def test_with_sphinx_needs_every_element_is_a_need_and_flows_link_their_ends(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-elements", src)
    with (src / "conf.py").open("a", encoding="utf-8") as fh:
        fh.write('extensions.append("sphinx_needs")\n')
        fh.write('needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*"\n')
    with built_app("needs", srcdir=src) as app:
        assert threat_warnings(app) == []
        raw = json.loads(Path(app.outdir, "needs.json").read_text(encoding="utf-8"))
    needs = raw["versions"][raw["current_version"]]["needs"]
    assert {i: needs[i]["type"] for i in ("F-SEND", "queue", "client", "cloud")} == {
        "F-SEND": "tm-data-flow",
        "queue": "tm-data-store",
        "client": "tm-external-entity",
        "cloud": "tm-trust-boundary",
    }
    send = needs["F-SEND"]
    assert (send["from"], send["to"]) == (["client"], ["relay"])
    assert send["protocol"] == "HTTPS"
    assert needs["relay"]["to_back"] == ["F-SEND"]
    assert needs["client"]["from_back"] == ["F-SEND"]
    assert needs["queue"]["service"] == "relay"
    assert needs["cloud"]["contains"] == ["relay", "queue", "storage", "inner"]


def _model_without_locations(data: dict[str, Any]) -> dict[str, Any]:
    for entries in data["items"].values():
        for entry in entries:
            entry.pop("file")
            entry.pop("lineno")
    for gap in data["gaps"]:
        gap.pop("file")
        gap.pop("lineno")
    return data


@pytest.mark.parametrize("name", ["elements", "completeness"])
def test_rst_and_myst_declare_the_same_model(tmp_path: Path, name: str) -> None:
    data = {}
    for root in (f"test-{name}", f"test-{name}-myst"):
        with built_app("html", srcdir=ROOTS / root, builddir=tmp_path / root) as app:
            data[root] = _model_without_locations(threats_json(app))
    assert data[f"test-{name}"] == data[f"test-{name}-myst"]
    items = data[f"test-{name}"]["items"]
    assert items["data-flows"] and items["data-stores"] and items["trust-boundaries"]
