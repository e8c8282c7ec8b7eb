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
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .browser import serve
from .conftest import ROOTS
from .helpers import built_app, serial_and_parallel, threat_warnings

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


def _all_built(p: Projects, aggregate: dict[str, Any] | None = None, *lines: str) -> None:
    """Product first, services against it, then the product aggregating them."""
    _product_first(p)
    p.product_conf(p.by_path() if aggregate is None else aggregate, *lines)
    build(p.product, p.out("product"))


def test_no_project_reads_its_own_items_back(projects: Projects) -> None:
    p = projects
    _all_built(p)
    product = json.loads(p.json_of("product").read_text())
    assert any(e.get("project") == "relay" for e in product["items"]["services"])
    # the relay builds again against a product file that lists the relay's own
    # items (marked "project"): it skips them, and reports what it did before
    warnings, status, _ = build(p.relay, p.out("relay"))
    assert warnings == [("index.rst", 4, "service-gap")]  # TM-2, its own gap
    assert status == 1  # CI in a service fails on the service's gaps
    relay = json.loads(p.json_of("relay").read_text())
    assert [e["id"] for e in relay["items"]["services"]] == ["relay"]
    assert all("project" not in e for es in relay["items"].values() for e in es)
    mitigations = {m["id"]: m for m in relay["items"]["mitigations"]}
    assert mitigations["M-R1"]["mitigates"] == ["product:TM-1"]
    (source,) = relay["sources"]
    assert (source["name"], source["project_id"]) == ("product", "product")
    assert set(source["digests"]) >= {"TM-1", "TM-2", "TM-3", "M-TLS"}
    assert not set(source["digests"]) & {"relay", "M-R1", "keydir"}


def test_a_members_gap_fails_only_when_configured(projects: Projects) -> None:
    p = projects
    _all_built(p, None, "threats_aggregate_fail_on = ['service-gap']")
    warnings, status, output = build(p.product, p.out("product"))
    assert warnings == []  # still never a warning: -W does not see it
    assert status == 1
    assert "member relay: 1 gap(s) (1 service-gap)" in output
    assert "1 gap(s) fail the build (1 service-gap); first at index.rst:4" in output
    gap = json.loads(p.json_of("product").read_text())["gaps"][0]
    assert (gap["project"], gap["fails"]) == ("relay", True)


def test_an_edited_product_threat_makes_the_members_stale(projects: Projects) -> None:
    p = projects
    _all_built(p)
    index = p.product / "index.rst"
    text = index.read_text()
    text = text.replace(
        ":severity: high\n   :category: spoofing", ":severity: critical\n   :category: spoofing"
    )
    added = (
        ".. threat:: Replayed messages\n   :id: TM-4\n   :severity: low\n"
        "   :category: tampering\n\n.. mitigation:: Nonces\n   :id: M-N\n"
        "   :mitigates: TM-4\n   :status: implemented\n\n"
    )
    text = text.replace(".. toctree::", added + ".. toctree::")
    index.write_text(text)
    warnings, status, _ = build(p.product, p.out("product"))
    assert warnings == [("conf.py", PRODUCT_LINE, "stale-member")] * 2
    assert status == 0  # not in the default threats_fail_on
    data = json.loads(p.json_of("product").read_text())
    stale = sorted(g["message"] for g in data["gaps"] if g["kind"] == "stale-member")
    assert stale == [
        f"member {name!r} was built against an older version of this project's threats "
        "(1 changed, 1 added, 0 removed since): rebuild it against the current threats.json"
        for name in ("keydir", "relay")
    ]
    page = (p.out("product") / "html" / "reports.html").read_text()
    assert page.count("stale: 1 changed, 1 added, 0 removed") == 2
    # the relay builds again against the product: current again
    build(p.relay, p.out("relay"))
    build(p.product, p.out("product"))
    data = json.loads(p.json_of("product").read_text())
    (stale,) = [g["message"] for g in data["gaps"] if g["kind"] == "stale-member"]
    assert stale.startswith("member 'keydir' ")


def test_the_threat_projects_report(projects: Projects) -> None:
    p = projects
    _all_built(p)
    page = (p.out("product") / "html" / "reports.html").read_text()
    table = page.split('class="threats-report threat-projects', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr")[2:]
    assert len(rows) == 2
    relay, keydir = rows
    assert f'href="{RELAY_DOCS}"' in relay and "Relay" in relay
    assert f'href="{KEYDIR_DOCS}"' in keydir and "Key directory" in keydir
    for row in rows:
        assert "current" in row
    assert f'href="{RELAY_DOCS}index.html#relay"' in relay
    assert "1 of 2 (50.0%)" in relay  # TM-1 mitigated, TM-2 not
    assert "here: 1 service-gap; its own build: 1 failing, 0 other" in relay
    assert "2 of 2 (100.0%)" in keydir
    assert "here: none; its own build: 0 failing, 0 other" in keydir


# -- by URL, and a member that is down ------------------------------------------------------


def test_members_by_url_and_a_member_that_is_down(projects: Projects) -> None:
    p = projects
    _product_first(p)
    with serve(p.out("relay") / "html") as relay, serve(p.out("keydir") / "html") as keydir:
        p.product_conf({"relay": relay + "/threats.json", "keydir": keydir + "/threats.json"})
        warnings, status, _ = build(p.product, p.out("product"))
        data = json.loads(p.json_of("product").read_text())
        assert (warnings, status) == ([], 0)
        relay_item = _items(data)["relay", "relay"]
        assert relay_item["uri"] == relay + "/index.html#relay"  # the URL's directory
    # both servers are gone: the copies cached by that build stand in
    warnings, status, _ = build(p.product, p.out("product"))
    assert warnings == [("conf.py", PRODUCT_LINE, "unreachable-source")] * 2
    assert status == 0
    data = json.loads(p.json_of("product").read_text())
    assert _coverage(data)["TM-1", "relay:relay"] == "mitigated"
    messages = [g["message"] for g in data["gaps"] if g["kind"] == "unreachable-source"]
    assert all("using the copy cached by an earlier build" in m for m in messages)
    assert all(m.endswith("less than a minute old") for m in messages)
    page = (p.out("product") / "html" / "reports.html").read_text()
    assert page.count("cached copy, less than a minute old") == 2
    # a fresh build (no cached copy): the member is invalid and not used
    warnings, status, _ = build(p.product, p.where / "fresh")
    assert warnings[:2] == [("conf.py", PRODUCT_LINE, "invalid")] * 2
    assert ("index.rst", 20, "unknown-ref") in warnings  # TM-2 :applies-to: relay
    assert status == 1


def test_a_pinned_member_that_does_not_match_is_invalid(projects: Projects) -> None:
    p = projects
    _product_first(p)
    relay = str(p.json_of("relay"))
    p.product_conf({"relay": {"source": relay, "sha256": "0" * 64}})
    warnings, _, _ = build(p.product, p.out("product"))
    assert warnings[0] == ("conf.py", PRODUCT_LINE, "invalid")
    data = json.loads(p.json_of("product").read_text())
    (message,) = [g["message"] for g in data["gaps"] if g["kind"] == "invalid"]
    assert "not the pinned " + "0" * 64 in message
    assert not any(e.get("project") for e in data["items"]["services"])


# -- IDs are per project ----------------------------------------------------------------------


def test_a_stub_yields_and_a_bare_id_of_two_members_is_ambiguous(projects: Projects) -> None:
    p = projects
    _product_first(p)
    p.product_conf(p.by_path())
    with (p.product / "about.rst").open("a") as page:
        page.write(
            "\n.. service:: Relay stub\n   :id: relay\n\n"
            "Both members log: :mitigation:`M-LOG`, :mitigation:`keydir:M-LOG`.\n"
        )
    warnings, status, _ = build(p.product, p.out("product"))
    data = json.loads(p.json_of("product").read_text())
    assert warnings == [("about.rst", 6, "duplicate-id"), ("about.rst", 9, "unknown-ref")]
    assert status == 1
    messages = {g["kind"]: g["message"] for g in data["gaps"] if not g.get("project")}
    assert "also declared by member project 'relay' at index.rst:4" in messages["duplicate-id"]
    assert (
        "'M-LOG' is declared by member projects relay, keydir; write relay:M-LOG or "
        "keydir:M-LOG" in messages["unknown-ref"]
    )
    # the member's relay counts: its pairs, its location
    assert _coverage(data)["TM-2", "relay:relay"] == "unmitigated"
    about = (p.out("product") / "html" / "about.html").read_text()
    assert 'href="https://keys.example/index.html#M-LOG"' in about


# -- parallel, incremental, the command ------------------------------------------------------


@pytest.mark.slow
def test_parallel_build_equals_serial(projects: Projects) -> None:
    p = projects
    _all_built(p)
    outputs = serial_and_parallel(p.product, p.where / "jobs")
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0]["threats.json"])
    assert _coverage(data)["TM-1", "relay:relay"] == "mitigated"


def _mtimes(out: Path) -> dict[str, int]:
    pages = [p for p in out.glob("*.html") if p.name not in ("genindex.html", "search.html")]
    return {p.name: p.stat().st_mtime_ns for p in pages}


def test_incremental_a_member_rewrites_what_shows_its_items(projects: Projects) -> None:
    p = projects
    _all_built(p)
    html_dir = p.out("product") / "html"
    before = _mtimes(html_dir)
    build(p.product, p.out("product"))
    assert _mtimes(html_dir) == before  # unchanged members: nothing rewritten

    # the relay renames its own threat: the pages showing it are rewritten
    relay = p.relay / "index.rst"
    relay.write_text(relay.read_text().replace("Relay queue exhaustion", "Relay queues filled"))
    build(p.relay, p.out("relay"))
    build(p.product, p.out("product"))
    after = _mtimes(html_dir)
    # the actor's block lists R-1 (index), the reports show it; about shows none of it
    assert {n for n in after if after[n] != before[n]} == {"index.html", "reports.html"}
    assert "Relay queues filled" in (html_dir / "reports.html").read_text()

    # the relay goes away: its items with it
    p.json_of("relay").unlink()
    warnings, _, _ = build(p.product, p.out("product"))
    assert warnings[0] == ("conf.py", PRODUCT_LINE, "invalid")
    data = json.loads(p.json_of("product").read_text())
    assert not any(e.get("project") == "relay" for es in data["items"].values() for e in es)
    assert "Relay queues filled" not in (html_dir / "reports.html").read_text()


def test_report_groups_gaps_by_owner_and_project(projects: Projects) -> None:
    p = projects
    _all_built(p)
    # a gap of the product's own, beside the relay's service gap
    with (p.product / "about.rst").open("a") as page:
        page.write("\n.. threat:: Lost backups\n   :id: TM-9\n   :severity: low\n")
    build(p.product, p.out("product"))
    command = [sys.executable, "-m", "sphinx_threats", "report", str(p.json_of("product"))]
    by_owner = subprocess.run(
        [*command, "--group-by", "owner"], capture_output=True, text=True, check=False
    )
    lines = [line.strip() for line in by_owner.stdout.splitlines()]
    # TM-9 has no owner, nor have the two stale members (TM-9 is new to them)
    assert "relay-team: 1" in lines and "(no owner): 3" in lines
    assert lines.index("relay-team: 1") < lines.index("(no owner): 3")
    by_project = subprocess.run(
        [*command, "--group-by", "project", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    gaps = json.loads(by_project.stdout)["gaps"]
    assert [(g["group"], g["kind"], g["owner"], g["file"]) for g in gaps] == [
        ("relay", "service-gap", "relay-team", "index.rst"),
        ("(this project)", "unmitigated", "", "about.rst"),
        ("(this project)", "stale-member", "", "conf.py"),
        ("(this project)", "stale-member", "", "conf.py"),
    ]
    assert by_project.returncode == 1  # TM-9 failed the build; the relay's gap did not


# -- the service map (issue 28 with 27) ---------------------------------------------------


def test_the_service_map_draws_each_members_services_in_its_box(projects: Projects) -> None:
    """``threat-graph :layout: services`` draws every member's services in a
    labelled box per project, each linked to the member's page."""
    from sphinx.ext.graphviz import graphviz

    p = projects
    _services_first(p)
    p.product_conf(p.by_path())
    with (p.product / "reports.rst").open("a", encoding="utf-8") as page:
        page.write("\n.. threat-graph::\n   :layout: services\n")
    with built_app("html", srcdir=p.product, builddir=p.out("product")) as app:
        doctree = app.env.get_and_resolve_doctree("reports", app.builder)
        [dot] = [node["code"] for node in doctree.findall(graphviz)]
    for member, service, docs in (
        ("relay", "relay", RELAY_DOCS),
        ("keydir", "keydir", KEYDIR_DOCS),
    ):
        box = dot.split(f'subgraph "cluster_{member}" {{', 1)[1].split("  }", 1)[0]
        assert f'label="{member}"' in box
        assert f'"service:{service}"' in box or f"service:{member}:{service}" in box, box
        assert docs.rstrip("/") in box  # the node links to the member's own page
