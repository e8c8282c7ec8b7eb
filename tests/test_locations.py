"""Where a warning points, and what a mistake costs.

The ``test-locations`` root and its MyST twin hold mistakes beside clean items,
so nothing else is lost. Each is built once (module-scoped) and each behaviour
is one test: every warning at its exact ``file:line`` (in an included file,
under ``rst_prolog``, in an autodoc docstring), in the warning and in
``threats.json``; one cause, one warning; option names and values read in any
letter case; text, never markup; anchors and inventory entries only for what
is valid.
"""

from __future__ import annotations

import shutil
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

from .conftest import ROOTS
from .helpers import built_app, html, threat_warnings, threats_json

#: The autodoc module of ``test-locations``: imported from each build's own copy
#: (its docstring's location names that copy), and forgotten after the build.
AUTODOC_MODULE = "hardmod"


def _copy(tmp_path: Path, root: str) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / f"test-{root}", src)
    return src


def _located(app: SphinxTestApp) -> dict[str, tuple[str, int]]:
    return {
        e["id"]: (e["file"], e["lineno"])
        for entries in threats_json(app)["items"].values()
        for e in entries
    }


@dataclass
class Built:
    """What one build of a root gave."""

    src: Path
    warnings: list[tuple[str, int, str]]
    log: str
    located: dict[str, tuple[str, int]]
    page: str
    data: dict[str, Any]
    inventory: str

    def items(self, plural: str) -> dict[str, dict[str, Any]]:
        """The ``threats.json`` items of one kind, by ID."""
        return {entry["id"]: entry for entry in self.data["items"][plural]}

    def gaps(self) -> set[tuple[str, str, int]]:
        """Each gap's kind, file and line."""
        return {(g["kind"], g["file"], g["lineno"]) for g in self.data["gaps"]}


def _build(tmp_path: Path, root: str) -> Built:
    src = _copy(tmp_path, root)
    sys.modules.pop(AUTODOC_MODULE, None)
    try:
        with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
            objects = Path(app.outdir, "objects.inv").read_bytes().split(b"\n", 4)[4]
            return Built(
                src=src,
                warnings=sorted(threat_warnings(app)),
                log=app.warning.getvalue(),
                located=_located(app),
                page=html(app, "index"),
                data=threats_json(app),
                inventory=zlib.decompress(objects).decode(),
            )
    finally:
        sys.modules.pop(AUTODOC_MODULE, None)


@pytest.fixture(autouse=True)
def _fresh_autodoc_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that builds on its own imports the autodoc module from its copy."""
    monkeypatch.delitem(sys.modules, AUTODOC_MODULE, raising=False)


@pytest.fixture(scope="module")
def rst(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``test-locations``, built once."""
    return _build(tmp_path_factory.mktemp("rst"), "locations")


@pytest.fixture(scope="module")
def myst(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``test-locations-myst``, built once."""
    return _build(tmp_path_factory.mktemp("myst"), "locations-myst")


def test_each_mistake_is_one_warning_at_its_line(rst: Built) -> None:
    assert rst.warnings == sorted(
        [
            # 1: the included file's own lines
            ("part.inc", 7, "invalid"),  # :bogus:
            # 16: only ASCII digits are catalogue numbers
            ("index.rst", 19, "invalid"),
            ("index.rst", 19, "invalid"),
            # 10: unknown status: one warning (no ":due:" for a planned never written)
            ("index.rst", 30, "invalid"),
            # 11: an unknown threat, even the only one, is unknown-ref (not an orphan)
            ("index.rst", 34, "unknown-ref"),
            # 4: text right after the options is kept as the body, said once
            ("index.rst", 41, "invalid"),
            # 12: '*' outside :applies-to:
            ("index.rst", 45, "invalid"),
            # 13: decides nothing
            ("index.rst", 52, "invalid"),
            # 6: the malformed ID (its unmitigated gap: below, its message has a line break)
            ("index.rst", 57, "invalid"),
            ("index.rst", 63, "unknown-ref"),
        ]
    )


def test_a_docstring_warning_is_located_as_sphinx_locates_its_own(rst: Built) -> None:
    docstring = f"{rst.src}/hardmod.py:docstring of hardmod.handler"
    assert f"{docstring}:5: WARNING: threat 'T-DOC': 'nope' is not an allowed" in rst.log


def test_items_keep_their_lines_after_includes_prolog_and_autodoc(rst: Built) -> None:
    # 1, 2: the json agrees with the warnings
    assert rst.located["T-INC"] == ("part.inc", 4)
    assert rst.located["relay"] == ("index.rst", 10)
    assert rst.located["T-AFTER"] == ("index.rst", 15)
    assert rst.located["T-DOC"] == ("hardmod.py:docstring of hardmod.handler", 3)


def test_gaps_in_threats_json_are_located(rst: Built) -> None:
    assert ("unmitigated", "index.rst", 56) in rst.gaps()
    assert ("invalid", "part.inc", 7) in rst.gaps()


def test_a_near_miss_names_what_was_meant(rst: Built) -> None:
    messages = {g["message"] for g in rst.data["gaps"]}
    assert any("did you mean 'T-AFTER'?" in m for m in messages)
    assert any("did you mean 'implemented'?" in m for m in messages)


def test_option_names_and_values_are_read_in_any_case(rst: Built) -> None:
    # 3, 10: kept as configured
    threats = rst.items("threats")
    assert threats["T-AFTER"]["severity"] == "high"
    assert threats["T-AFTER"]["category"] == ["spoofing"]
    assert threats["T-AFTER"]["cwe"] == ["79"]
    mitigations = rst.items("mitigations")
    assert mitigations["M-AFTER"]["status"] == "implemented"
    assert mitigations["M-TYPO"]["status"] is None  # counts as planned


def test_an_option_value_is_text_never_markup(rst: Built) -> None:
    assert rst.items("services")["relay"]["owner"] == "|team|"


def test_text_right_after_the_options_is_the_body_and_counts(rst: Built) -> None:
    # 4: the justification is rendered and counts
    assert "Relay never sees this traffic." in rst.page
    assert rst.items("threats")["T-PROD"]["status"] == "mitigated"


def test_a_service_keeps_its_id_and_no_id_is_repeated(rst: Built) -> None:
    # 5: the service keeps id="relay"; the section gets another
    assert rst.page.count('id="relay"') == 1
    assert 'class="threats-item threats-service admonition" id="relay"' in rst.page
    ids = [part.split('"', 1)[0] for part in rst.page.split(' id="')[1:]]
    assert len(ids) == len(set(ids))


def test_only_valid_ids_are_in_the_inventory(rst: Built) -> None:
    # 6
    assert "T-BAD" not in rst.inventory and "continued" not in rst.inventory
    assert "T-AFTER threats:threat" in rst.inventory


def test_an_acceptance_of_star_accepts_nothing(rst: Built) -> None:
    # 12
    star = rst.items("risk-acceptances")["RA-STAR"]
    assert star["threats"] == [] and star["status"] == "invalid"


def test_myst_each_mistake_is_one_warning_at_its_line(myst: Built) -> None:
    assert myst.warnings == [
        ("index.md", 25, "invalid"),  # the YAML problem, at its line; nothing more
        ("index.md", 42, "unknown-ref"),
        ("part.md", 6, "invalid"),  # {include}d: the included file's line
    ]
    message = next(g["message"] for g in myst.data["gaps"] if g["lineno"] == 25)
    assert "line 2 of the block" in message


def test_myst_items_keep_their_lines_and_ids(myst: Built) -> None:
    assert myst.located["T-INC"] == ("part.md", 3)
    assert myst.located["T-YAML"] == ("index.md", 22)  # 11: the item keeps its ID


def test_myst_yaml_values_are_read_as_written(myst: Built) -> None:
    threats = myst.items("threats")
    assert threats["T-AFTER"]["severity"] == "high"  # "Severity: High"
    assert threats["T-AFTER"]["applies-to"] == ["*"]  # an unquoted * is read as *
    assert myst.items("services")["relay"]["owner"] == "relay team"  # a quoted key, any case


@pytest.mark.parametrize("cwd", ["parent", "sibling", "through a link"])
@pytest.mark.parametrize(
    ("root", "included"),
    [
        ("locations", ("index.rst", "part.inc", 4, 7)),
        ("locations-myst", ("index.md", "part.md", 3, 6)),
    ],
)
def test_an_include_named_from_the_working_directory_is_found(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    root: str,
    included: tuple[str, str, int, int],
    cwd: str,
) -> None:
    """docutils names an included file relative to the working directory when
    the two share a parent (a clone under /tmp runs pytest on pytest's /tmp)."""
    src = _copy(tmp_path, root)
    (tmp_path / "sibling").mkdir()
    if cwd == "through a link":  # the source directory is named through a link
        (tmp_path / "link").symlink_to(tmp_path)
        src = tmp_path / "link" / root
    monkeypatch.chdir(tmp_path if cwd == "parent" else tmp_path / "sibling")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        got = threat_warnings(app)
        items = _located(app)
    page, file, item_line, bad_line = included
    assert (file, bad_line, "invalid") in got
    assert items["T-INC"] == (file, item_line)
    assert {w[0] for w in got} == {page, file}


def test_translated_role_is_one_warning(tmp_path: Path) -> None:
    """15: a translated paragraph is parsed again; its role is recorded once."""
    src = _copy(tmp_path, "i18n")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        assert sorted(threat_warnings(app)) == [
            ("index.rst", 4, "unmitigated"),
            ("index.rst", 10, "unknown-ref"),
        ]
        assert len(threats_json(app)["gaps"]) == 2
        assert "Siehe" in html(app, "index")
