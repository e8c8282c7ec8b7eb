"""Issue 11: true source locations, safe anchors, forgiving values, one cause one warning.

Each root holds clean items beside the bad ones, so nothing else is lost;
locations are asserted as exact ``file:line`` in the warning and in
``threats.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import built_app, html, threat_warnings, threats_json

ROOTS = Path(__file__).parent / "roots"


@pytest.fixture(autouse=True)
def _fresh_autodoc_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """test-hard's autodoc module is imported from each test's own copy (its
    docstring's location names that copy), and forgotten after the test."""
    monkeypatch.delitem(sys.modules, "hardmod", raising=False)


def _copy(tmp_path: Path, root: str) -> Path:
    import shutil

    src = tmp_path / root
    shutil.copytree(ROOTS / f"test-{root}", src)
    return src


def _located(app: SphinxTestApp) -> dict[str, tuple[str, int]]:
    return {
        e["id"]: (e["file"], e["lineno"])
        for entries in threats_json(app)["items"].values()
        for e in entries
    }


def test_rst_locations_values_and_one_cause(tmp_path: Path) -> None:
    src = _copy(tmp_path, "hard")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        got = sorted(threat_warnings(app))
        raw = app.warning.getvalue()
        items = _located(app)
        page = html(app, "index")
        data = threats_json(app)
        inventory = zlib.decompress(
            Path(app.outdir, "objects.inv").read_bytes().split(b"\n", 4)[4]
        ).decode()
    docstring = f"{src}/hardmod.py:docstring of hardmod.handler"
    assert got == sorted(
        [
            # 1: the included file's own lines; autodoc's docstring form, as Sphinx prints it
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
    # autodoc's docstring form, exactly as Sphinx prints its own docstring warnings
    assert f"{docstring}:5: WARNING: threat 'T-DOC': 'nope' is not an allowed" in raw
    assert ("unmitigated", "index.rst", 56) in {
        (g["kind"], g["file"], g["lineno"]) for g in data["gaps"]
    }
    # 1, 2: items after an include and under rst_prolog keep their lines; the json agrees
    assert items["T-INC"] == ("part.inc", 4)
    assert items["relay"] == ("index.rst", 10)
    assert items["T-AFTER"] == ("index.rst", 15)
    assert items["T-DOC"] == ("hardmod.py:docstring of hardmod.handler", 3)
    gaps = {(g["kind"], g["file"], g["lineno"]) for g in data["gaps"]}
    assert ("invalid", "part.inc", 7) in gaps
    messages = {g["message"] for g in data["gaps"]}
    assert any("did you mean 'T-AFTER'?" in m for m in messages)
    assert any("did you mean 'implemented'?" in m for m in messages)
    # 3, 10: mixed-case option names and values are read, kept as configured
    threats = {t["id"]: t for t in data["items"]["threats"]}
    assert threats["T-AFTER"]["severity"] == "high"
    assert threats["T-AFTER"]["category"] == ["spoofing"]
    assert threats["T-AFTER"]["cwe"] == ["79"]
    mitigations = {m["id"]: m for m in data["items"]["mitigations"]}
    assert mitigations["M-AFTER"]["status"] == "implemented"
    assert mitigations["M-TYPO"]["status"] is None  # counts as planned
    services = {s["id"]: s for s in data["items"]["services"]}
    assert services["relay"]["owner"] == "|team|"  # text, never markup
    # 4: the justification is rendered and counts
    assert "Relay never sees this traffic." in page
    assert threats["T-PROD"]["status"] == "mitigated"
    # 5: the service keeps id="relay"; the section gets another; no id twice
    assert page.count('id="relay"') == 1
    assert 'class="threats-item threats-service admonition" id="relay"' in page
    ids = [part.split('"', 1)[0] for part in page.split(' id="')[1:]]
    assert len(ids) == len(set(ids))
    # 6: only valid IDs are in objects.inv
    assert "T-BAD" not in inventory and "continued" not in inventory
    assert "T-AFTER threats:threat" in inventory
    # 12: the acceptance of '*' accepts nothing
    (star,) = [a for a in data["items"]["risk-acceptances"] if a["id"] == "RA-STAR"]
    assert star["threats"] == [] and star["status"] == "invalid"


def test_myst_locations_yaml_and_values(tmp_path: Path) -> None:
    src = _copy(tmp_path, "hard-myst")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        got = sorted(threat_warnings(app))
        items = _located(app)
        data = threats_json(app)
    assert got == [
        ("index.md", 25, "invalid"),  # the YAML problem, at its line; nothing more
        ("index.md", 42, "unknown-ref"),
        ("part.md", 6, "invalid"),  # {include}d: the included file's line
    ]
    assert items["T-INC"] == ("part.md", 3)
    assert items["T-YAML"] == ("index.md", 22)  # 11: the item keeps its ID
    threats = {t["id"]: t for t in data["items"]["threats"]}
    assert threats["T-AFTER"]["severity"] == "high"  # "Severity: High"
    assert threats["T-AFTER"]["applies-to"] == ["*"]  # an unquoted * is read as *
    services = {s["id"]: s for s in data["items"]["services"]}
    assert services["relay"]["owner"] == "relay team"  # a quoted key, any case
    message = next(g["message"] for g in data["gaps"] if g["lineno"] == 25)
    assert "line 2 of the block" in message


@pytest.mark.parametrize("cwd", ["parent", "sibling", "through a link"])
@pytest.mark.parametrize(
    ("root", "included"),
    [("hard", ("index.rst", "part.inc", 4, 7)), ("hard-myst", ("index.md", "part.md", 3, 6))],
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


def test_a_short_name_taken_after_setup_is_said(tmp_path: Path) -> None:
    """17: sphinx-needs-like registration at config-inited, after our setup()."""
    src = _copy(tmp_path, "hard-late")
    for _ in range(2):  # on every build, also an unchanged one
        with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
            text = app.warning.getvalue()
            assert text.count("the directive name 'threat' is taken by another extension") == 1
            assert "'threats:threat' form" in text
            assert [t["id"] for t in threats_json(app)["items"]["threats"]] == ["T-1"]


def test_translated_role_is_one_warning(tmp_path: Path) -> None:
    """15: a translated paragraph is parsed again; its role is recorded once."""
    src = _copy(tmp_path, "hard-i18n")
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        assert sorted(threat_warnings(app)) == [
            ("index.rst", 4, "unmitigated"),
            ("index.rst", 10, "unknown-ref"),
        ]
        assert len(threats_json(app)["gaps"]) == 2
        assert "Siehe" in html(app, "index")


def _sphinx_build(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("blocker", ["directory", "read-only"])
def test_unwritable_export_is_a_warning(tmp_path: Path, blocker: str) -> None:
    """8: no extension error: a warning naming the path, the normal exit status."""
    src = _copy(tmp_path, "hard-late")  # a root whose gaps do not fail
    out = tmp_path / "out"
    if blocker == "directory":
        (out / "threats.json").mkdir(parents=True)
        target = out / "threats.json"
        result = _sphinx_build("-b", "html", src, out)
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "threats.json"
        result = _sphinx_build("-b", "html", "-D", f"threats_export={target}", src, out)
        locked.chmod(0o700)
        if os.access(locked, os.W_OK) and os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
    assert result.returncode == 0, result.stderr
    assert f"cannot write {target}" in result.stderr
    assert "[threats.invalid]" in result.stderr
    assert "Extension error" not in result.stderr


def test_export_replaces_a_fifo_without_reading_it(tmp_path: Path) -> None:
    src = _copy(tmp_path, "hard-late")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "threats.json")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "threats.json").is_file()


def test_epub_rebuild_is_as_clean_as_the_first(tmp_path: Path) -> None:
    """9: the last threats.json (and badge) is not packed (nor warned about) by
    the next epub build; both are written beside the book."""
    src = _copy(tmp_path, "hard-late")
    out, doctrees = tmp_path / "epub", tmp_path / "doctrees"
    runs, packed = [], []
    for _ in range(2):
        runs.append(
            _sphinx_build(
                "-b", "epub", "-d", doctrees, "-D", "version=1", "-D", "copyright=x", src, out
            )
        )
        (book,) = out.glob("*.epub")
        with zipfile.ZipFile(book) as epub:
            packed.append(sorted(name for name in epub.namelist() if "threats" in name))
    for run in runs:
        assert "threats.json" not in run.stderr
    assert runs[0].stderr == runs[1].stderr
    assert packed == [["_static/sphinx-threats.css"]] * 2
    assert (out / "threats.json").is_file()
    assert (out / "threats-coverage.svg").is_file()
