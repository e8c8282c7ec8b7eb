"""Completeness (``threats_element_categories``): every element considered for
every category its kind requires, else an ``unanalysed`` gap at the element;
the ``threat-completeness`` grid (rST and MyST)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from .helpers import built_app, html, serial_and_parallel, threat_warnings, threats_json

ROOTS = Path(__file__).parent / "roots"

#: The gaps of the small model: (file, line, kind, element, category).
GOLDEN = {
    "test-completeness": [
        ("api.rst", 4, "unanalysed", "api", "denial-of-service"),
        ("api.rst", 4, "unanalysed", "api", "information-disclosure"),
        # T-ALL applies to every service through *, which does not count
        ("api.rst", 4, "unanalysed", "api", "repudiation"),
        ("api.rst", 7, "unanalysed", "db", "denial-of-service"),
        ("api.rst", 7, "unanalysed", "db", "information-disclosure"),
        ("api.rst", 7, "unanalysed", "db", "tampering"),
        # F-IN crosses dmz; F-DB stays inside it and needs nothing
        ("api.rst", 11, "unanalysed", "F-IN", "denial-of-service"),
        # db requires no spoofing: the decision decides nothing
        ("index.rst", 47, "invalid", "NA-BAD", ""),
    ],
    "test-completeness-myst": [
        ("api.md", 3, "unanalysed", "api", "denial-of-service"),
        ("api.md", 3, "unanalysed", "api", "information-disclosure"),
        ("api.md", 3, "unanalysed", "api", "repudiation"),
        ("api.md", 7, "unanalysed", "db", "denial-of-service"),
        ("api.md", 7, "unanalysed", "db", "information-disclosure"),
        ("api.md", 7, "unanalysed", "db", "tampering"),
        ("api.md", 12, "unanalysed", "F-IN", "denial-of-service"),
        ("index.md", 56, "invalid", "NA-BAD", ""),
    ],
}


def _copy(root: str, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / root, src)
    return src


def _gaps(data: dict[str, Any]) -> list[tuple[str, int, str, str, str]]:
    return [
        (g["file"], g["lineno"], g["kind"], g["ids"][0], g.get("category", ""))
        for g in data["gaps"]
    ]


def _touch_later(path: Path) -> None:
    stamp = path.stat().st_mtime + 10
    os.utime(path, (stamp, stamp))


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)
    _touch_later(path)


def _grid(page: str) -> str:
    start = page.index("threats-completeness")
    return page[start : page.index("</table>", start)]


@pytest.mark.parametrize("root", list(GOLDEN))
def test_gaps_of_a_small_model(tmp_path: Path, root: str) -> None:
    src = _copy(root, tmp_path)
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        data = threats_json(app)
        index = html(app, "index")
        messages = app.warning.getvalue()
    golden = GOLDEN[root]
    assert warnings == [(file, line, kind) for file, line, kind, *_ in golden]
    assert _gaps(data) == golden
    assert "service 'api' (Shop API) has no threat of category 'repudiation' about it" in messages
    unanalysed = [g for g in data["gaps"] if g["kind"] == "unanalysed"]
    # not in the default threats_fail_on
    assert not any(g["fails"] for g in unanalysed)
    assert all(g["ids"] == [g["ids"][0]] for g in unanalysed)

    grid = _grid(index)
    # columns in threats_categories order; one row per element required
    headers = re.findall(r"<th[^>]*><p>([^<]*)</p>", grid)
    assert headers == [
        "Element",
        "spoofing",
        "tampering",
        "repudiation",
        "information-disclosure",
        "denial-of-service",
        "elevation-of-privilege",
    ]
    body = grid[grid.index("<tbody") :]
    rows = re.findall(r'<tr class="row-(?:odd|even)">(.*?)</tr>', body, re.S)
    assert len(rows) == 4
    api, db, user, flow = rows
    assert 'href="api.html#api"' in api and api.count('href="api.html#T-API"') == 3
    assert api.count("threats-gap-unanalysed") == 3
    assert db.count("threats-gap-unanalysed") == 3
    # the decision answers its cell, linked
    assert 'href="#T-SPOOF"' in user and 'href="#NA-USER"' in user and ">n/a<" in user
    assert flow.count('href="#T-WIRE"') == 2 and flow.count("threats-gap-unanalysed") == 1
    assert "unanalysed (7)" in index


@pytest.mark.slow
def test_each_gap_goes_with_the_threat_or_decision_that_answers_it(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out) as app:
        assert len(_gaps(threats_json(app))) == 8
    # a threat about the store answers its tampering and denial of service
    _append(
        src / "api.rst",
        "\n.. threat:: Orders altered at rest\n   :id: T-DB\n"
        "   :category: tampering, denial-of-service\n   :severity: medium\n"
        "   :applies-to: db\n",
    )
    with built_app("html", srcdir=src, builddir=out) as app:
        gaps = _gaps(threats_json(app))
    assert ("api.rst", 7, "unanalysed", "db", "tampering") not in gaps
    assert ("api.rst", 7, "unanalysed", "db", "denial-of-service") not in gaps
    assert ("api.rst", 7, "unanalysed", "db", "information-disclosure") in gaps
    # a decision answers the flow's denial of service, with its reason
    _append(
        src / "index.rst",
        "\n.. not-applicable:: Orders are rate-limited upstream\n   :id: NA-FLOW\n"
        "   :elements: F-IN\n   :categories: denial-of-service\n\n"
        "   The CDN drops floods before they reach us.\n",
    )
    with built_app("html", srcdir=src, builddir=out) as app:
        gaps = _gaps(threats_json(app))
        grid = _grid(html(app, "index"))
    assert ("api.rst", 11, "unanalysed", "F-IN", "denial-of-service") not in gaps
    assert 'href="#NA-FLOW"' in grid
    assert len(gaps) == 5


def test_nothing_runs_until_the_table_is_set(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace('"stride-per-element"', "None"))
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == []
        assert threats_json(app)["gaps"] == []
        assert "No completeness check" in html(app, "index")


def test_the_preset_needs_stride_categories(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    with (src / "conf.py").open("a", encoding="utf-8") as fh:
        fh.write('threats_categories = ["spoofing", "tampering", "linkability"]\n')
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        messages = app.warning.getvalue()
    # one invalid at conf.py, and the check is off (the bad categories of the
    # threats are their own warnings)
    assert ("conf.py", 3, "invalid") in warnings
    assert "names the STRIDE categories, but threats_categories is not STRIDE" in messages
    assert not any(kind == "unanalysed" for *_, kind in warnings)
    assert "NA-BAD" not in messages


def test_a_user_table_of_other_categories(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    conf = src / "conf.py"
    conf.write_text(
        conf.read_text().replace(
            '"stride-per-element"', '{"data-flow": ["tampering"], "external-entity": ["spoofing"]}'
        )
    )
    with built_app("html", srcdir=src) as app:
        gaps = _gaps(threats_json(app))
    # every flow now, crossing or not; the customer is answered; NA-USER
    # decides repudiation, which nothing requires any more
    assert gaps == [
        ("api.rst", 18, "unanalysed", "F-DB", "tampering"),
        ("index.rst", 40, "invalid", "NA-USER", ""),
        ("index.rst", 47, "invalid", "NA-BAD", ""),
    ]


def test_a_bad_table_is_one_invalid_at_conf_py(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace('"stride-per-element"', '{"process": ["tampering"]}'))
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == [("conf.py", 3, "invalid")]
        assert "names unknown kinds ['process']" in app.warning.getvalue()


@pytest.mark.slow
def test_adding_a_flow_updates_the_grid_on_another_page(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out) as app:
        assert "F-OUT" not in _grid(html(app, "index"))
    _append(
        src / "api.rst",
        "\n.. data-flow:: Send the invoice\n   :id: F-OUT\n   :from: db\n   :to: user\n",
    )
    with built_app("html", srcdir=src, builddir=out) as app:
        status = app.status.getvalue()
        grid = _grid(html(app, "index"))
        gaps = _gaps(threats_json(app))
    assert "1 changed" in re.sub(r"\x1b\[[0-9;]*m", "", status)
    assert 'href="api.html#F-OUT"' in grid
    # it crosses dmz, which T-WIRE names: tampering and disclosure are considered
    assert [g for g in gaps if g[3] == "F-OUT"] == [
        ("api.rst", 28, "unanalysed", "F-OUT", "denial-of-service")
    ]


@pytest.mark.slow
def test_parallel_build_of_completeness_equals_serial(tmp_path: Path) -> None:
    src = _copy("test-completeness", tmp_path)
    with (src / "conf.py").open("a", encoding="utf-8") as fh:
        fh.write("threats_fail_on = []\n")  # NA-BAD is invalid: the builds must pass
    serial, parallel = serial_and_parallel(src, tmp_path)
    assert serial == parallel
    assert b"unanalysed" in serial["threats.json"]
