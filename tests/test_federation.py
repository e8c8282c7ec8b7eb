"""Many repositories, both ways: a product aggregates its services
(``threats_aggregate``) while each service builds against the product
(``threats_external``).

Three real projects, each in a folder of its own: the product (rST), the
relay (rST) and the key directory (MyST).  They are built product-first and
services-first; the product reads its members by path and by URL from a
local HTTP server on 127.0.0.1 (also when a member is down, with and without
a cached copy).  What the user sees is asserted: warnings at file:line, the
info line per member, the exit status, the reports' HTML and threats.json.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import serve
from .conftest import ROOTS
from .helpers import built_app, html, serial_and_parallel, threat_warnings, threats_json

#: The conf.py line where each project's source value is written.
PRODUCT_LINE = 5
SERVICE_LINE = 5
RELAY_DOCS = "https://relay.example/docs/"
KEYDIR_DOCS = "https://keys.example/"


class Projects:
    """The three projects under one folder, each with its source and output."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.product = _copy("test-fed-product", where / "product")
        self.relay = _copy("test-fed-relay", where / "relay")
        self.keydir = _copy("test-fed-keydir-myst", where / "keydir")

    def out(self, name: str) -> Path:
        return self.where / f"{name}-build"

    def json_of(self, name: str) -> Path:
        return self.out(name) / "html" / "threats.json"

    def service_conf(self, src: Path) -> None:
        """The service builds against the product's published threats.json."""
        _append(src, f"threats_external = {{'product': {str(self.json_of('product'))!r}}}")

    def product_conf(self, aggregate: dict[str, Any], *lines: str) -> None:
        _append(self.product, f"threats_aggregate = {aggregate!r}", *lines)

    def by_path(self) -> dict[str, Any]:
        return {
            "relay": (RELAY_DOCS, str(self.json_of("relay"))),
            "keydir": (KEYDIR_DOCS, str(self.json_of("keydir"))),
        }


def _copy(root: str, dest: Path) -> Path:
    shutil.copytree(ROOTS / root, dest)
    return dest


def _append(src: Path, *lines: str) -> None:
    conf = src / "conf.py"
    text = conf.read_text(encoding="utf-8")
    assert len(text.splitlines()) == PRODUCT_LINE - 1
    conf.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")


def build(src: Path, out: Path, **kwargs: Any) -> tuple[list[tuple[str, int, str]], int, str]:
    """Build ``src`` to HTML in ``out``: its threats warnings, exit status and status output."""
    with built_app("html", srcdir=src, builddir=out, **kwargs) as app:
        return threat_warnings(app), app.statuscode, app.status.getvalue()


def _items(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item by (project or external name, ID)."""
    return {
        (e.get("project") or e.get("external") or "", e["id"]): e
        for entries in data["items"].values()
        for e in entries
    }


def _coverage(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}


@pytest.fixture
def projects(tmp_path: Path) -> Projects:
    return Projects(tmp_path)


def _services_first(p: Projects) -> None:
    """The services build first (the product's file does not exist yet), then the product."""
    p.service_conf(p.relay)
    p.service_conf(p.keydir)
    build(p.relay, p.out("relay"))
    build(p.keydir, p.out("keydir"))


def _product_first(p: Projects) -> None:
    """The product builds alone, then the services against it."""
    p.service_conf(p.relay)
    p.service_conf(p.keydir)
    build(p.product, p.out("product"))
    build(p.relay, p.out("relay"))
    build(p.keydir, p.out("keydir"))


# -- the whole picture --------------------------------------------------------------------


@pytest.mark.parametrize("order", ["product-first", "services-first"])
def test_the_product_sees_its_services_answers(projects: Projects, order: str) -> None:
    p = projects
    (_product_first if order == "product-first" else _services_first)(p)
    p.product_conf(p.by_path())
    warnings, status, output = build(p.product, p.out("product"))
    data = json.loads(p.json_of("product").read_text())
    # nothing of the product's own fails: every product threat is answered by
    # some repository; the relay's service gap is the relay's, one info line
    assert warnings == []
    assert status == 0
    assert "threat model: member relay: 1 gap(s) (1 service-gap)" in output
    assert "member keydir" not in output
    statuses = {e["id"]: e["status"] for e in data["items"]["threats"] if "project" not in e}
    assert statuses == {"TM-1": "mitigated", "TM-2": "mitigated", "TM-3": "mitigated"}
    # the grid spans every service of every project
    assert _coverage(data) == {
        ("TM-1", "relay:relay"): "mitigated",
        ("TM-1", "key-directory:keydir"): "mitigated",
        ("TM-2", "relay:relay"): "unmitigated",  # keydir's not-applicable is keydir's alone
        ("TM-3", "key-directory:keydir"): "mitigated",  # relies on the product's M-TLS
    }
    items = _items(data)
    relay = items["relay", "relay"]
    assert relay["file"] == "index.rst" and relay["lineno"] == 4
    assert relay["uri"] == RELAY_DOCS + "index.html#relay"
    assert items["keydir", "M-LOG"]["mitigates"] == ["TM-3"]  # ours, written plain
    assert data["project_id"] == "product"
    (gap,) = data["gaps"]
    assert gap["kind"] == "service-gap" and gap["project"] == "relay"
    assert gap["owner"] == "relay-team"
    assert (gap["file"], gap["lineno"]) == ("index.rst", 4)
    page = (p.out("product") / "html" / "reports.html").read_text()
    assert f'href="{RELAY_DOCS}index.html#relay"' in page
    assert f'href="{KEYDIR_DOCS}index.html#keydir"' in page
    assert "threats-projects" in page
