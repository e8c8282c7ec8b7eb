"""External models (``threats_external``) and intersphinx: one product model,
many service repositories.

Real builds of two projects: the product project builds and exports its
``threats.json``; the service project builds against it by path, by a URL
served from a local HTTP server on 127.0.0.1, and by ``(base_url, path)``,
reports its own gaps against the product threats and nothing of the
product's, links to the product pages, and goes on (with one warning at
conf.py) when the source is missing, malformed, unreachable or too large.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import serve
from .conftest import ROOTS
from .helpers import built_app, html, serial_and_parallel, threat_warnings, threats_json

BASE = "https://product.example/docs/"
#: The line of conf.py that :func:`_service` writes ``threats_external`` on.
CONF_LINE = 6


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product project's HTML output (with its ``threats.json``)."""
    out = tmp_path_factory.mktemp("product")
    with built_app("html", srcdir=_copy("test-ext-product", out), builddir=out / "build"):
        pass
    return out / "build" / "html"


@pytest.fixture
def served(product: Path) -> Iterator[str]:
    """The product's output served on 127.0.0.1; the base URL."""
    with serve(product) as base:
        yield base + "/"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once closed


def _copy(root: str, where: Path) -> Path:
    src = where / root
    shutil.copytree(ROOTS / root, src)
    return src


def _service(tmp_path: Path, source: Any, root: str = "test-ext-service") -> Path:
    src = _copy(root, tmp_path)
    conf = src / "conf.py"
    lines = conf.read_text(encoding="utf-8").splitlines()
    assert len(lines) == CONF_LINE - 1
    conf.write_text("\n".join([*lines, f"threats_external = {{'product': {source!r}}}", ""]))
    return src


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for entries in data["items"].values() for e in entries}


def _messages(app: Any) -> list[str]:
    return [line for line in app.warning.getvalue().splitlines() if "threats." in line]


# -- by path, URL and (base_url, path) ---------------------------------------------------


@pytest.mark.parametrize(
    ("root", "page"), [("test-ext-service", "index.rst"), ("test-ext-service-myst", "index.md")]
)
def test_service_answers_the_product_threats(
    tmp_path: Path, product: Path, root: str, page: str
) -> None:
    src = _service(tmp_path, (BASE, str(product / "threats.json")), root)
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        data = threats_json(app)
        index = html(app, "index")
    service_line = 8 if page == "index.rst" else 7
    threat_line = 17 if page == "index.rst" else 18
    # only this project's gaps: relay's pair with TM-2, its own R-1; nothing of
    # the product's own (TM-3 is web's, the product's relay is shadowed)
    assert warnings == [
        (page, service_line, "service-gap"),
        (page, threat_line, "unmitigated"),
    ]
    coverage = {(c["threat"], c["service"]): (c["status"], c["by"]) for c in data["coverage"]}
    # the product's items written resolved, as product:ID (its project ID)
    assert coverage == {
        ("product:TM-1", "relay"): ("mitigated", ["M-R1"]),  # covered by our own mitigation
        ("product:TM-2", "relay"): ("unmitigated", []),
        ("product:TM-4", "relay"): ("accepted", ["product:RA-1"]),  # the product's counts
        ("product:TM-5", "relay"): ("not-applicable", ["product:NA-1"]),  # and its n/a
    }
    assert data["sources"][0]["name"] == "product"
    assert data["sources"][0]["project_id"] == "product"
    assert data["sources"][0]["digests"]["TM-1"].startswith("sha256:1:")
    items = _by_id(data)
    assert items["TM-1"]["external"] == "product"
    assert items["TM-1"]["uri"] == BASE + "index.html#TM-1"
    assert items["M-WEB-1"]["uri"] == BASE + "services/web.html#M-WEB-1"
    assert "external" not in items["relay"] and items["relay"]["file"] == page
    assert items["M-R1"]["mitigates"] == ["product:TM-1"]  # the product's TM-1, resolved
    assert items["R-1"]["actors"] == ["product:outsider"]  # an actor of the product's
    # links to the product pages, with the product's titles
    assert f'href="{BASE}index.html#TM-1"' in index
    assert f'href="{BASE}index.html#TM-2"' in index
    assert f'href="{BASE}index.html#M-TLS"' in index
    assert "Stolen session tokens" in index
    # the items' own fields name the product's items as the analysis does:
    # M-R1's threats (product:TM-1) and R-1's actor (product:outsider), linked
    assert "product:" not in index
    assert f'href="{BASE}services/web.html#outsider"' in index
    # another project's items are not ours to list for intersphinx
    inventory = Path(app.outdir, "objects.inv").read_bytes()
    assert b"TM-1" not in inventory


def test_by_path_alone_items_count_and_are_shown_unlinked(tmp_path: Path, product: Path) -> None:
    src = _service(
        tmp_path, os.path.relpath(product / "threats.json", tmp_path / "test-ext-service")
    )
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        index = html(app, "index")
        data = threats_json(app)
    assert [w[2] for w in warnings] == ["service-gap", "unmitigated"]
    assert "Stolen session tokens" in index
    assert "#TM-1" not in index  # no pages known for a path alone
    assert _by_id(data)["TM-1"]["uri"] == ""


def test_by_url_links_to_the_url_directory(tmp_path: Path, served: str) -> None:
    src = _service(tmp_path, served + "threats.json")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        index = html(app, "index")
    assert [w[2] for w in warnings] == ["service-gap", "unmitigated"]
    assert f'href="{served}index.html#TM-1"' in index
    cached = Path(app.doctreedir, "threats-external", "product.json")
    assert json.loads(cached.read_text())["project"] == "Product"


def test_unreachable_url_uses_the_cached_copy(tmp_path: Path, product: Path) -> None:
    port = _closed_port()
    src = _service(tmp_path, f"http://127.0.0.1:{port}/threats.json")
    out = tmp_path / "out"
    # no copy yet: one warning at conf.py, and the build goes on without it
    with built_app("html", srcdir=src, builddir=out) as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
    assert ("conf.py", CONF_LINE, "invalid") in warnings
    assert any("cannot fetch it" in m and "no copy is cached; not used" in m for m in messages)
    # one cause, one warning: M-R1's product:TM-1 is into the source that
    # could not be read, so it is not reported again (no orphan, no unknown-ref)
    assert not [w for w in warnings if w[:2] == ("index.rst", 14)]

    # an earlier build's copy (as a fetch would have kept it)
    cache = out / "doctrees" / "threats-external" / "product.json"
    cache.parent.mkdir()
    cache.write_bytes((product / "threats.json").read_bytes())
    with built_app("html", srcdir=src, builddir=out) as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
        data = threats_json(app)
    # the cached copy stands in: one unreachable-source gap giving its age
    assert warnings == [
        ("conf.py", CONF_LINE, "unreachable-source"),
        ("index.rst", 8, "service-gap"),
        ("index.rst", 17, "unmitigated"),
    ]
    assert any(
        "using the copy cached by an earlier build" in m and "old [threats.unreachable-source]" in m
        for m in messages
    )
    assert _by_id(data)["TM-1"]["external"] == "product"


def test_a_fetched_copy_is_used_when_the_server_goes_away(tmp_path: Path, product: Path) -> None:
    out = tmp_path / "out"
    with serve(product) as base:
        src = _service(tmp_path, base + "/threats.json")
        with built_app("html", srcdir=src, builddir=out) as app:
            assert [w[2] for w in threat_warnings(app)] == ["service-gap", "unmitigated"]
    # the server is gone
    with built_app("html", srcdir=src, builddir=out) as app:
        warnings = threat_warnings(app)
        index = html(app, "index")
    assert warnings[0] == ("conf.py", CONF_LINE, "unreachable-source")
    assert [w[2] for w in warnings[1:]] == ["service-gap", "unmitigated"]
    assert "Stolen session tokens" in index


# -- bad sources: one warning at conf.py, the build goes on --------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        (b"{not json", "it is not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"items": {}}', 'no "schema" key'),
        (b'{"schema": 2, "items": {}}', "schema version 2"),
        (b'{"schema": 1, "items": []}', "items should be an object"),
        (b'{"schema": 1, "items": {"threats": {}}}', "items.threats should be a list"),
        (b'{"schema": 1, "items": {"threats": [{"title": "x"}]}}', "items.threats[0].id should"),
        (b"[1, 2]", 'no "schema" key'),
        (b"[" * 100000 + b"]" * 100000, "is nested deeper than 64 levels"),
        (b" " * (20 * 1024 * 1024 + 1), "larger than the limit"),
    ],
)
def test_bad_source_is_one_warning_at_conf_py(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    model = tmp_path / "model.json"
    if content is not None:
        model.write_bytes(content)
    src = _service(tmp_path, str(model))
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
        index = html(app, "index")
    at_conf = [w for w in warnings if w[0] == "conf.py"]
    assert at_conf == [("conf.py", CONF_LINE, "invalid")]
    assert sum(says in m for m in messages) == 1, messages
    # the build went on: our own items are there, the product's are unknown
    assert "Relay queue flooding" in index
    # one cause, one warning: the reference into it is not reported again
    assert not [w for w in warnings if w[:2] == ("index.rst", 14)]


def test_items_outside_this_projects_configuration_still_load(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    entry = {"id": "TM-1", "title": "Stolen", "severity": "urgent", "applies-to": ["*"]}
    model.write_text(json.dumps({"schema": 1, "items": {"threats": [entry]}}))
    src = _service(tmp_path, str(model))
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
        data = threats_json(app)
    assert ("conf.py", CONF_LINE, "invalid") in warnings
    assert any("'urgent'" in m and "used as far as they can be" in m for m in messages)
    assert ("product:TM-1", "relay") in {(c["threat"], c["service"]) for c in data["coverage"]}


def test_bad_threats_external_value_is_one_warning(tmp_path: Path) -> None:
    src = _service(tmp_path, 42)
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
    assert [w for w in warnings if w[0] == "conf.py"] == [("conf.py", CONF_LINE, "invalid")]
    assert any("threats_external['product'] must be a path or URL" in m for m in messages)


# -- incremental and parallel --------------------------------------------------------------


def _mtimes(out: Path) -> dict[str, int]:
    pages = [p for p in out.glob("*.html") if p.name not in ("genindex.html", "search.html")]
    return {p.name: p.stat().st_mtime_ns for p in pages}


def test_a_changed_external_model_rewrites_the_pages_that_show_it(
    tmp_path: Path, product: Path
) -> None:
    model = tmp_path / "product.json"
    shutil.copy(product / "threats.json", model)
    src = _service(tmp_path, (BASE, str(model)))
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out):
        pass
    before = _mtimes(out / "html")
    with built_app("html", srcdir=src, builddir=out):
        pass
    assert _mtimes(out / "html") == before  # unchanged: nothing rewritten

    model.write_text(model.read_text().replace("Stolen session tokens", "Tokens stolen in transit"))
    with built_app("html", srcdir=src, builddir=out) as app:
        index = html(app, "index")
    after = _mtimes(out / "html")
    assert {n for n in after if after[n] != before[n]} == {"index.html"}
    assert "Tokens stolen in transit" in index

    model.unlink()
    with built_app("html", srcdir=src, builddir=out) as app:
        warnings = threat_warnings(app)
        index = html(app, "index")
    assert "Tokens stolen in transit" not in index
    # the source is gone: its warning, not M-R1's reference into it
    assert ("conf.py", CONF_LINE, "invalid") in warnings
    assert not [w for w in warnings if w[:2] == ("index.rst", 14)]


@pytest.mark.slow
def test_parallel_build_equals_serial(tmp_path: Path, product: Path) -> None:
    src = _service(tmp_path, (BASE, str(product / "threats.json")))
    (src / "catalogs").mkdir()
    (src / "catalogs" / "own.yaml").write_text(
        "mitigations:\n"
        "  - id: M-R2\n"
        "    title: Replay window\n"
        "    mitigates: product:TM-2\n"
        "    service: relay\n"
        "    status: planned\n"
        "    due: 2027-01-01\n"
    )
    with (src / "conf.py").open("a") as conf:
        conf.write('threats_catalogs = ["catalogs/*.yaml"]\n')
    outputs = serial_and_parallel(src, tmp_path)
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0]["threats.json"])
    coverage = {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}
    assert coverage[("product:TM-2", "relay")] == "planned"


# -- intersphinx -------------------------------------------------------------------------


#: A control of this project for a product threat named by its bare ID (found
#: only through intersphinx), appended to the root's page in its own syntax.
BARE_CONTROL = {
    ".rst": "\n.. mitigation:: Replay window\n   :id: M-R2\n   :mitigates: TM-2\n"
    "   :status: implemented\n",
    ".md": "\n```{mitigation} Replay window\n:id: M-R2\n:mitigates: TM-2\n"
    ":status: implemented\n```\n",
}


@pytest.mark.parametrize(
    ("root", "page"), [("test-ext-service", "index.rst"), ("test-ext-service-myst", "index.md")]
)
def test_intersphinx_links_product_threats(
    tmp_path: Path, product: Path, root: str, page: str
) -> None:
    """14: a threat known only through intersphinx (no threats_external) is
    accepted by :mitigates:, linked from roles and from the mitigation's block,
    and makes no orphan-mitigation nor unknown-ref."""
    src = _copy(root, tmp_path)
    inventory = product / "objects.inv"
    with (src / "conf.py").open("a") as conf:
        conf.write(
            'extensions.append("sphinx.ext.intersphinx")\n'
            f"intersphinx_mapping = {{'product': ({BASE!r}, {str(inventory)!r})}}\n"
        )
    with (src / page).open("a") as text:
        text.write(BARE_CONTROL[Path(page).suffix])
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        index = html(app, "index")
        everything = app.warning.getvalue()
        data = threats_json(app)
    # product:TM-1 names the product's project, TM-2 and M-TLS are found in it
    assert f'href="{BASE}index.html#TM-1"' in index
    assert f'href="{BASE}index.html#TM-2"' in index
    assert f'href="{BASE}index.html#M-TLS"' in index
    # the mitigations' own blocks link the product threats they mitigate
    for control, threat in (("M-R1", "TM-1"), ("M-R2", "TM-2")):
        block = index.split(f'id="{control}"', 1)[1].split('class="threats-item', 1)[0]
        assert f'href="{BASE}index.html#{threat}"' in block, control
    assert "unknown-ref" not in {w[2] for w in warnings}
    # M-R1 mitigates product:TM-1, M-R2 the bare TM-2
    assert "orphan-mitigation" not in {w[2] for w in warnings}
    assert {g["kind"] for g in data["gaps"]} <= {"unmitigated"}  # R-1, this project's own
    controls = {m["id"]: m for m in data["items"]["mitigations"]}
    assert controls["M-R1"]["mitigates"] == ["product:TM-1"]
    assert controls["M-R2"]["mitigates"] == ["TM-2"]
    assert "ref." not in everything


# -- the summary and the command see this project's model --------------------------------


def test_summary_counts_this_projects_threats(tmp_path: Path, product: Path) -> None:
    src = _service(tmp_path, (BASE, str(product / "threats.json")))
    with (src / "other.rst").open("a") as page:
        page.write("\n.. threat-summary::\n")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        summary = threats_json(app)["summary"]
        other = html(app, "other")
    # R-1 is this project's only threat; the product's count where they are
    # in scope of relay (TM-1, TM-2, TM-4; TM-5 is not applicable), in its coverage
    assert (summary["threats"], summary["by-status"]) == (1, {"unmitigated": 1})
    assert summary["by-severity"] == {"medium": 1}
    assert summary["services"]["relay"]["in-scope"] == 3
    assert summary["services"]["relay"]["in-scope-covered"] == 2  # TM-1 and TM-4
    assert summary["services"]["relay"]["own"] == 1
    assert "mitigated" not in summary["by-status"]
    # the status table's Total row: one threat, of medium severity
    total_row = other.split("<strong>Total</strong>")[1].split("</tr>")[0]
    cells = [c.split("</p>")[0] for c in total_row.split("<p>")[1:]]
    assert cells == ["0", "0", "1", "0", "0", "1"]


def test_diff_ignores_what_changed_in_the_other_project(tmp_path: Path, product: Path) -> None:
    from .cli_helpers import build, edit, run_cli

    model = tmp_path / "product.json"
    shutil.copy(product / "threats.json", model)
    src = _service(tmp_path, (BASE, str(model)))
    old, _ = build(src, tmp_path / "old")
    # upstream: the product raises TM-1's severity and downgrades its TLS control
    data = json.loads(model.read_text())
    for entry in data["items"]["threats"]:
        if entry["id"] == "TM-1":
            entry["severity"] = "critical"
    for entry in data["items"]["mitigations"]:
        if entry["id"] == "M-TLS":
            entry["status"] = "planned"
            entry["due"] = "2027-01-01"
    model.write_text(json.dumps(data))
    upstream, _ = build(src, tmp_path / "upstream")
    result = run_cli("diff", str(old), str(upstream), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "TM-1" not in result.stdout and "M-TLS" not in result.stdout

    # this project's change: our control of TM-1 at relay is only planned now
    edit(src / "index.rst", ":status: implemented", ":status: planned\n   :due: 2027-01-01")
    ours, _ = build(src, tmp_path / "ours")
    result = run_cli("diff", str(upstream), str(ours), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "M-R1" in result.stdout  # the downgraded mitigation
    assert "TM-1 at relay: mitigated -> planned" in result.stdout


def test_a_missing_source_publishes_no_path_of_this_machine(tmp_path: Path) -> None:
    """A relative source that is missing is named as configured: the gap in
    ``threats.json`` holds no absolute path (its bytes are the same on every
    machine)."""
    src = _service(tmp_path, "../product/threats.json")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        data = threats_json(app)
    [gap] = [g for g in data["gaps"] if g["file"] == "conf.py"]
    assert gap["message"].endswith("(../product/threats.json): no such file; not used")
    assert str(tmp_path) not in json.dumps(data)
