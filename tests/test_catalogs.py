"""YAML catalogues (``threats_catalogs``) and the ``threat-catalog`` directive.

Real builds: the same items as a catalogue and as directives give the same
model; catalogue problems are located at the catalogue's lines; nothing in a
catalogue can run code; editing or removing a catalogue updates exactly the
pages that show its items; parallel builds equal serial ones.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOTS
from .helpers import built_app, html, serial_and_parallel, threat_warnings, threats_json

PLACE = ("file", "lineno", "docname", "uri")


def _copy(root: str, tmp_path: Path) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / root, src)
    return src


def _items(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every item by ID, without where it was declared."""
    return {
        entry["id"]: {k: v for k, v in entry.items() if k not in PLACE}
        for entries in data["items"].values()
        for entry in entries
    }


def _project(tmp_path: Path, catalog: str, pages: dict[str, str] | None = None) -> Path:
    src = tmp_path / "src"
    (src / "catalogs").mkdir(parents=True)
    (src / "conf.py").write_text(
        'extensions = ["sphinx_threats"]\n'
        'threats_today = "2026-06-01"\n'
        'threats_catalogs = ["catalogs/*.yaml"]\n'
        "threats_fail_on = []\n",
        encoding="utf-8",
    )
    (src / "catalogs" / "cat.yaml").write_text(textwrap.dedent(catalog), encoding="utf-8")
    for name, text in (pages or {"index.rst": "Index\n=====\n"}).items():
        (src / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return src


# -- the same model as directives --------------------------------------------------------


@pytest.mark.parametrize("root", ["test-catalog", "test-catalog-myst"])
def test_catalogue_gives_the_items_directives_give(tmp_path: Path, root: str) -> None:
    with built_app("html", srcdir=_copy("test-catalog-directives", tmp_path)) as app:
        expected = threats_json(app)
    with built_app("html", srcdir=_copy(root, tmp_path)) as app:
        data = threats_json(app)
        warnings = threat_warnings(app)
        product = html(app, "product")
    assert _items(data) == _items(expected)
    assert data["coverage"] == expected["coverage"]
    # a catalogue item's gap points at its entry in the catalogue
    assert ("catalogs/product.yaml", 21, "unmitigated") in warnings
    [gap] = [g for g in data["gaps"] if g["kind"] == "unmitigated"]
    assert (gap["file"], gap["lineno"]) == ("catalogs/product.yaml", 21)
    # rendered items have anchors on the rendering page; MIT-KMS (not among
    # the :kinds:) is on no page, still counts and is shown unlinked
    threats = {t["id"]: t for t in data["items"]["threats"]}
    assert threats["TM-CLOUD-1"]["uri"] == "product.html#TM-CLOUD-1"
    assert threats["TM-CLOUD-1"]["file"] == "catalogs/product.yaml"
    [kms] = data["items"]["mitigations"][:1]
    assert (kms["id"], kms["uri"], kms["docname"]) == ("MIT-KMS", "", "")
    assert threats["TM-CLOUD-1"]["status"] == "mitigated"  # MIT-KMS counts
    assert 'id="TM-CLOUD-1"' in product and 'id="MIT-KMS"' not in product
    assert "Stored ciphertexts leak" in product  # the body
    assert 'href="#MIT-KMS"' not in product  # unlinked where shown


def test_catalogue_items_are_in_the_inventory_and_linked(tmp_path: Path) -> None:
    with built_app("html", srcdir=_copy("test-catalog", tmp_path)) as app:
        objects = {o[0]: o for o in app.env.domains["threats"].get_objects()}
        index = html(app, "index")
    assert objects["TM-CLOUD-1"][3] == "product"
    assert "MIT-KMS" not in objects  # on no page: nothing to link to
    assert 'href="product.html#TM-CLOUD-1"' in index


def test_a_list_value_keeps_commas_inside_an_entry(tmp_path: Path) -> None:
    src = _project(
        tmp_path,
        """\
        threats:
          - id: T-1
            title: One
            severity: low
            tags: [plain, "with, comma"]
        """,
    )
    with built_app("html", srcdir=src) as app:
        [threat] = threats_json(app)["items"]["threats"]
    assert threat["tags"] == ["plain", "with, comma"]


# -- nothing runs -----------------------------------------------------------------------


def test_unsafe_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    src = _project(
        tmp_path,
        f"""\
        threats:
          - id: T-OK
            title: Still loaded
            severity: low
          - id: T-EVIL
            title: Evil
            severity: !!python/object/apply:os.system ["touch {marker}"]
          - !!python/object/new:os.system ["touch {marker}"]
        """,
    )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        data = threats_json(app)
        log = app.warning.getvalue()
    assert not marker.exists()
    assert ("catalogs/cat.yaml", 7, "invalid") in warnings
    assert ("catalogs/cat.yaml", 8, "invalid") in warnings
    assert "python/object/apply:os.system" in log and "refused" in log
    assert {t["id"] for t in data["items"]["threats"]} == {"T-OK", "T-EVIL"}


# -- malformed catalogues: one located warning each, good entries kept ---------------------------

MALFORMED = """\
threats:
  - id: T-GOOD
    title: A good threat
    severity: high
  - just text
  - title: No ID here
    severity: low
  - id: T-NOTITLE
    severity: low
  - id: T-UNKNOWN
    title: Unknown field
    severity: low
    colour: red
  - id: T-TITLELIST
    title: [a, b]
    severity: low
  - id: T-BADSEV
    title: Bad severity
    severity: extreme
  - id: T-BADCAT
    title: Bad category
    severity: low
    category: [spoofing, nonsense]
  - id: T-SERVICE
    title: Two owners
    severity: low
    service: [a, b]
  - id: T-MAP
    title: A mapping value
    severity: {high: yes}
  - id: T-LISTMAP
    title: A mapping in a list
    severity: low
    tags: [{a: b}]
  - id: T-DUPKEY
    title: Key twice
    severity: low
    severity: high
  - id: T-GOOD
    title: Same ID again
    severity: low
  - id: 1-BAD-ID
    title: Malformed ID
    severity: low
  - id: T-CWE
    title: Bad CWE
    severity: low
    cwe: [79, abc]
mitigations:
  - id: M-GOOD
    title: A good mitigation
    mitigates: T-GOOD
    status: verified
  - id: M-DATE
    title: Bad date
    mitigates: T-GOOD
    status: planned
    due: 2026-13-45
  - id: M-DATEFMT
    title: Bad date format
    mitigates: T-GOOD
    status: planned
    due: 31/12/2026
  - id: M-NOSTATUS
    title: No status
    mitigates: T-GOOD
    due: 2027-01-01
  - id: M-EMPTY
    title: Empty list
    mitigates: []
    status: verified
services: {storage: yes}
colours: [red]
risk-acceptances:
  - id: RA-TEXTLIST
    title: Owner as a list
    threats: [T-GOOD]
    owner: [a, b]
    expires: 2027-01-01
"""

#: (line, subtype, a part of the message) of every problem in MALFORMED.
EXPECTED = [
    (5, "invalid", "an entry of 'threats' must be a mapping"),
    (6, "invalid", "has no :id:"),
    (8, "invalid", "has no title"),
    (13, "invalid", "unknown option :colour:"),
    (15, "invalid", "'title' must be text, not a list"),
    (19, "invalid", "'extreme' is not an allowed :severity:"),
    (23, "invalid", "'nonsense' is not an allowed :category:"),
    (27, "invalid", ":service: takes exactly one ID"),
    (30, "invalid", "'severity': a mapping is not a value here"),
    (34, "invalid", "'tags': a list entry must be a plain value"),
    (38, "invalid", "'severity' is given twice; the first is used"),
    (39, "duplicate-id", "duplicate ID 'T-GOOD'"),
    (42, "invalid", "malformed ID"),
    (48, "invalid", "takes numbers, not 'abc'"),
    (58, "invalid", "'2026-13-45' is not a valid date"),
    (63, "invalid", "'31/12/2026' is not a valid date"),
    (64, "invalid", "'M-NOSTATUS' needs :status:"),
    (72, "invalid", "'services' must be a list of entries"),
    (73, "invalid", "unknown key 'colours'"),
    (78, "invalid", ":owner: takes text, not a list"),
]


def test_malformed_catalogue(tmp_path: Path) -> None:
    src = _project(tmp_path, MALFORMED)
    with built_app("html", srcdir=src) as app:
        log = app.warning.getvalue()
        warnings = threat_warnings(app)
        found = [
            w
            for w in warnings
            if w[0] == "catalogs/cat.yaml" and w[2] in ("invalid", "duplicate-id")
        ]
        data = threats_json(app)
    expected = [("catalogs/cat.yaml", line, subtype) for line, subtype, _ in EXPECTED]
    # exactly these, one per cause, in this order
    assert found == expected
    for line, _, part in EXPECTED:
        assert any(
            f"cat.yaml:{line}: WARNING: " in raw and part in raw for raw in log.splitlines()
        ), (line, part)
    # an empty mitigates list is an unlinked control, not invalid
    assert ("catalogs/cat.yaml", 68, "orphan-mitigation") in warnings
    # every entry that is a mapping still loads, good or bad
    threats = {t["id"] for t in data["items"]["threats"]}
    assert {"T-GOOD", "T-NOTITLE", "T-UNKNOWN", "T-CWE", "1-BAD-ID"} <= threats
    assert "@catalogs/cat.yaml:6" in threats  # the entry without an ID
    assert {m["id"] for m in data["items"]["mitigations"]} >= {"M-GOOD", "M-DATE", "M-EMPTY"}


@pytest.mark.parametrize(
    ("text", "line", "part"),
    [
        ("- a list\n- not a mapping\n", 1, "a catalogue is a mapping of item kinds"),
        ("threats:\n  - id: T\n    title: [unclosed\n", 4, "not valid YAML"),
        ("threats: *\n", 1, "not valid YAML"),
    ],
)
def test_unreadable_catalogue_is_one_warning(
    tmp_path: Path, text: str, line: int, part: str
) -> None:
    src = _project(
        tmp_path,
        text,
        {"index.rst": "Index\n=====\n\n.. threat:: T\n   :id: T-PAGE\n   :severity: low\n"},
    )
    with built_app("html", srcdir=src) as app:
        found = [w for w in threat_warnings(app) if w[0] == "catalogs/cat.yaml"]
        log = app.warning.getvalue()
        data = threats_json(app)
    assert found == [("catalogs/cat.yaml", line, "invalid")]
    assert part in log
    assert [t["id"] for t in data["items"]["threats"]] == ["T-PAGE"]


def test_oversized_catalogue_is_refused(tmp_path: Path) -> None:
    from sphinx_threats.catalog import MAX_BYTES

    src = _project(tmp_path, "threats: []\n" + "#" * MAX_BYTES + "\n")
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == [("catalogs/cat.yaml", 1, "invalid")]
        assert f"the limit is {MAX_BYTES} bytes" in app.warning.getvalue()


def test_pattern_matching_nothing_and_unlisted_catalogue(tmp_path: Path) -> None:
    src = _project(
        tmp_path,
        "threats: []\n",
        {"index.rst": "Index\n=====\n\n.. threat-catalog:: other.yaml\n"},
    )
    conf = src / "conf.py"
    conf.write_text(
        conf.read_text().replace('"catalogs/*.yaml"]', '"catalogs/*.yaml", "missing/*.yml"]')
    )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        log = app.warning.getvalue()
    assert ("index.rst", 4, "invalid") in warnings
    assert "'other.yaml' is not a catalogue of threats_catalogs" in log
    assert "threats_catalogs names 'missing/*.yml', which matches no file" in log
    assert ("conf.py", 3, "invalid") in [(Path(f).name, line, s) for f, line, s in warnings]


def test_rendering_an_item_twice_is_one_duplicate_id(tmp_path: Path) -> None:
    src = _project(
        tmp_path,
        "threats:\n  - id: T-1\n    title: One\n    severity: low\n",
        {
            "index.rst": "Index\n=====\n\n.. toctree::\n\n   a\n   b\n",
            "a.rst": "A\n=\n\n.. threat-catalog:: catalogs/cat.yaml\n",
            "b.rst": "B\n=\n\n.. threat-catalog:: catalogs/cat.yaml\n",
        },
    )
    with built_app("html", srcdir=src) as app:
        warnings = [w for w in threat_warnings(app) if w[2] == "duplicate-id"]
        [threat] = threats_json(app)["items"]["threats"]
    assert warnings == [("b.rst", 4, "duplicate-id")]
    assert threat["uri"] == "a.html#T-1"


# -- incremental ---------------------------------------------------------------------------


def _mtimes(out: Path) -> dict[str, int]:
    # Sphinx writes the index and search pages on every build
    pages = [p for p in out.glob("*.html") if p.name not in ("genindex.html", "search.html")]
    return {p.name: p.stat().st_mtime_ns for p in pages}


def test_editing_and_removing_a_catalogue_updates_what_shows_it(tmp_path: Path) -> None:
    src = _copy("test-catalog", tmp_path)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out):
        pass
    html_dir = out / "html"
    before = _mtimes(html_dir)
    with built_app("html", srcdir=src, builddir=out):
        pass
    assert _mtimes(html_dir) == before  # an unchanged catalogue rewrites nothing

    catalog = src / "catalogs" / "product.yaml"
    text = catalog.read_text()
    text = text.replace(
        "title: Data breach exposes encrypted user data at rest", "title: Breach of stored data"
    )
    text = text.replace("status: implemented", "status: planned\n    due: 2027-01-01")
    catalog.write_text(text)
    with built_app("html", srcdir=src, builddir=out) as app:
        data = threats_json(app)
        index, product, storage = (html(app, p) for p in ("index", "product", "storage"))
    after = _mtimes(html_dir)
    rewritten = {name for name in after if after[name] != before[name]}
    # the rendering page, the page with a role to it and the matrix, and the
    # service pages showing it in scope; not the page that shows none of it
    assert {"product.html", "index.html", "storage.html", "backup.html"} <= rewritten
    assert "other.html" not in rewritten
    assert "Breach of stored data" in product and "Breach of stored data" in index
    assert "Breach of stored data" in storage
    threats = {t["id"]: t for t in data["items"]["threats"]}
    assert threats["TM-CLOUD-1"]["status"] == "planned"

    catalog.unlink()
    with built_app("html", srcdir=src, builddir=out) as app:
        data = threats_json(app)
        product = html(app, "product")
        warnings = threat_warnings(app)
    assert {t["id"] for t in data["items"]["threats"]} == set()
    assert "TM-CLOUD-1" not in product
    assert ("index.rst", 11, "unknown-ref") in warnings  # the role names it no more


# -- parallel --------------------------------------------------------------------------------


@pytest.mark.slow
def test_parallel_build_equals_serial(tmp_path: Path) -> None:
    src = _copy("test-catalog", tmp_path)
    outputs = serial_and_parallel(src, tmp_path)
    assert outputs[0] == outputs[1]
