"""The report directives as a reviewer reads them: what each shows in HTML,
text and LaTeX, against the analysis in ``threats.json``.

``test-reports`` (reStructuredText) and ``test-reports-myst`` (the same
reports page in MyST) hold a small model with long titles and IDs: a service
owning an unmitigated threat, threats with likelihood and impact, an
acceptance and a product-wide not-applicable.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .helpers import built_app, html, threat_warnings, threats_json

ROOTS = ("reports", "reports-myst")
REPORTS_DIR = Path(__file__).parent / "roots"


def reports_of(page: str, name: str) -> list[str]:
    """The HTML of every report ``name`` on ``page``, in page order."""
    starts = [m.start() for m in re.finditer(rf'class="threats-report {name} ', page)]
    # the page's body ends where alabaster's sidebar begins
    last = page.find('class="sphinxsidebar"')
    out = []
    for start in starts:
        end = page.find('class="threats-report ', start + 1)
        out.append(page[start : end if end != -1 else last])
    return out


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace folded."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows_of(table: str) -> list[list[str]]:
    """Each body row's cells (their HTML), of the first table in ``table``."""
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        re.findall(r"(<td[^>]*>.*?)</td>", row, flags=re.S)
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


def headers_of(table: str) -> list[str]:
    """The header cells' text."""
    head = table[table.index("<thead>") : table.index("</thead>")]
    return [text_of(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head, flags=re.S)]


@pytest.fixture(params=ROOTS)
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Both roots, built to HTML."""
    with built_app("html", srcdir=_copy(request.param, tmp_path)) as app:
        yield app


def _copy(root: str, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / root
    shutil.copytree(REPORTS_DIR / f"test-{root}", target)
    return target


# -- coverage of a service (SPEC) ----------------------------------------------------------


def test_a_service_owning_an_unmitigated_threat_is_not_fully_covered(built: Any) -> None:
    relay = threats_json(built)["summary"]["services"]["relay"]
    # own: METADATA-LOGS unmitigated, CONTROL-FRAMES planned; in scope: the
    # breach (mitigated for relay) and the replay (mitigated)
    assert relay == {
        "own": 2,
        "own-covered": 0,
        "in-scope": 2,
        "in-scope-covered": 2,
        "total": 4,
        "covered": 2,
        "percent": 50.0,
        "weighted-percent": 50.0,
    }
    summary = reports_of(html(built, "reports"), "threat-summary")[0]
    table = summary[summary.index("threats-summary-coverage") :]
    rows = {text_of(r[0]).split()[0]: [text_of(c) for c in r[1:]] for r in rows_of(table)}
    assert rows["relay"] == ["0 of 2 (0.0%)", "2 of 2 (100.0%)", "2 of 4 (50.0%)", "50.0%"]
    assert rows["backup"] == ["-", "1 of 1 (100.0%)", "1 of 1 (100.0%)", "100.0%"]
    # worst first
    assert list(rows) == ["relay", "backup"]
    # each number has its bar, in steps of 5
    assert 'class="threats-bar threats-bar-50"' in table


def test_summary_overall_figure_badge_and_json_agree(built: Any) -> None:
    overall = threats_json(built)["summary"]["coverage"]
    assert overall == {"covered": 3, "total": 5, "percent": 60.0, "weighted-percent": 60.0}
    badge = Path(built.outdir, "threats-coverage.svg").read_text(encoding="utf-8")
    assert "threat coverage: 60%" in badge
    assert 'fill="#b00020"' in badge  # below 70%: red
    summary = text_of(reports_of(html(built, "reports"), "threat-summary")[0])
    assert "Overall coverage: 3 of 5 (60.0%), weighted by severity 60.0%" in summary


def test_badge_colour_thresholds() -> None:
    from sphinx_threats.exporters.badge import coverage_badge

    assert 'fill="#1a7f37"' in coverage_badge(90.0)
    assert 'fill="#9a6700"' in coverage_badge(89.9)
    assert 'fill="#9a6700"' in coverage_badge(70.0)
    assert 'fill="#b00020"' in coverage_badge(69.9)
    assert "threat coverage: n/a" in coverage_badge(None)


def test_no_badge_outside_html(tmp_path: Path) -> None:
    with built_app("text", srcdir=_copy("reports", tmp_path)) as app:
        assert Path(app.outdir, "threats.json").exists()
        assert not Path(app.outdir, "threats-coverage.svg").exists()


# -- the matrix ---------------------------------------------------------------------------


def test_matrix_columns_in_order_of_importance(built: Any) -> None:
    default, chosen = reports_of(html(built, "reports"), "threat-matrix")
    assert headers_of(default) == [
        "Threat",
        "Status",
        "Services covered",
        "Mitigations",
        "Decisions",
    ]
    rows = {text_of(r[0]).split()[0]: [text_of(c) for c in r] for r in rows_of(default)}
    breach = rows["TM-CLOUD-BREACH-AT-REST"]
    # the threat: ID, title, severity and category badges
    assert breach[0] == (
        "TM-CLOUD-BREACH-AT-REST Data breach exposing encrypted user data at rest to "
        "offline cryptanalysis high information-disclosure tampering"
    )
    # mitigated overall, but a service's pair is only accepted: its exposure
    assert breach[1] == "mitigated · accepted in 1 of 2 services"
    assert breach[2] == "2 of 2 worst: accepted"
    assert "M-KEY-ROTATION-SCHEDULE planned, partial" in breach[3]
    assert breach[4] == "RA-BACKUP-RETENTION-WINDOW valid until 2027-01-01"
    # not-applicable items are decisions too
    assert rows["TM-P2P-FLOOD"][4] == "NA-P2P-FLOOD-PRODUCT whole product"
    # a service's own threat is answered by its owner
    assert rows["TM-RELAY-METADATA-LOGS"][2] == "answered by its owner"
    # :columns: picks and orders; :group-by: category leaves the category out
    assert headers_of(chosen) == ["Threat", "Decisions", "Owner"]
    assert "threats-category-" not in chosen
    assert "threats-severity-critical" in chosen


def test_columns_option_reports_unknown_names_once(tmp_path: Path) -> None:
    src = _copy("reports", tmp_path)
    (src / "reports.rst").write_text(
        "Reports\n=======\n\n.. threat-matrix::\n   :columns: threat, colour, status, size\n",
        encoding="utf-8",
    )
    with built_app("html", srcdir=src) as app:
        warnings = [w for w in threat_warnings(app) if w[2] == "invalid"]
        assert warnings == [("reports.rst", 5, "invalid")]
        assert "'colour', 'size' are not allowed :columns: values" in app.warning.getvalue()
        matrix = reports_of(html(app, "reports"), "threat-matrix")[0]
        assert headers_of(matrix) == ["Threat", "Status"]


# -- the coverage grid ------------------------------------------------------------------------


SHORT = {
    "mitigated": "ok",
    "accepted": "acc",
    "partial": "part",
    "planned": "plan",
    "not-applicable": "n/a",
    "unmitigated": "GAP",
}


def test_grid_cells_are_the_pairs_and_the_owners(built: Any) -> None:
    data = threats_json(built)
    grid = reports_of(html(built, "reports"), "threat-coverage")[0]
    services = headers_of(grid)[1:]
    assert services == ["backup", "relay"]
    cells = {}
    for row in rows_of(grid):
        threat = text_of(row[0]).split()[0]
        for service, cell in zip(services, row[1:], strict=True):
            cells[(threat, service)] = text_of(cell)
    pairs = {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}
    owners = {
        (t["id"], t["service"]): t["status"] for t in data["items"]["threats"] if t["service"]
    }
    expected = {key: SHORT[status] for key, status in pairs.items()}
    expected |= {key: f"owner {SHORT[status]}" for key, status in owners.items()}
    assert {k: v for k, v in cells.items() if v} == expected
    # the full status in the cell's title (a tooltip), and a legend
    assert (
        'title="TM-CLOUD-BREACH-AT-REST in backup: accepted by RA-BACKUP-RETENTION-WINDOW"' in grid
    )
    assert 'title="relay owns TM-RELAY-METADATA-LOGS: GAP"' in grid
    assert "Legend: ok mitigated; acc accepted;" in text_of(grid)


@pytest.mark.slow
def test_grid_of_60_services_and_200_threats(tmp_path: Path) -> None:
    from .browser import write_grid_project

    src = write_grid_project(tmp_path / "grid", services=60, threats=200)
    with built_app("html", srcdir=src) as app:
        grid = reports_of(html(app, "index"), "threat-coverage")[0]
        assert len(headers_of(grid)) == 61
        rows = rows_of(grid)
        assert len(rows) == 200
        # one status badge per pair in scope: four services per threat
        assert all(sum("threats-badge" in c for c in r[1:]) == 4 for r in rows)
        pairs = Counter(c["status"] for c in threats_json(app)["coverage"])
        shown = Counter(
            status
            for status, short in SHORT.items()
            for _ in range(grid.count(f">{short}</span></a>"))
        )
        assert shown == pairs


# -- the risk map -----------------------------------------------------------------------------


def test_risk_map_counts_match_the_analysis(built: Any) -> None:
    data = threats_json(built)
    likelihood_impact, by_severity = reports_of(html(built, "reports"), "threat-risk-map")
    assert headers_of(likelihood_impact) == [
        "likelihood (rows) / impact (columns)",
        "high",
        "medium",
        "low",
    ]
    closed = {"mitigated", "accepted", "not-applicable"}
    expected: dict[tuple[str, str], list[int]] = {}
    for t in data["items"]["threats"]:
        if t["likelihood"] and t["impact"]:
            cell = expected.setdefault((t["likelihood"], t["impact"]), [0, 0])
            cell[0] += 1
            cell[1] += t["exposure"] not in closed  # open: by exposure
    shown = {}
    for row, likelihood in zip(rows_of(likelihood_impact), ("high", "medium", "low"), strict=True):
        for cell, impact in zip(row[1:], ("high", "medium", "low"), strict=True):
            m = re.match(r"(\d+) \((\d+) open\)", text_of(cell))
            if m:
                shown[(likelihood, impact)] = [int(m[1]), int(m[2])]
            # coloured by threats_risk_matrix, and the severity written
            severity = built.config.threats_risk_matrix[likelihood][impact]
            assert f"threats-risk-{severity}" in cell and text_of(cell).endswith(severity)
    assert shown == expected
    # each count links to its list under the grid
    for anchor in re.findall(r'href="#([^"]+)"', likelihood_impact):
        assert f'id="{anchor}"' in likelihood_impact
    assert "Not on the map: no likelihood or impact (2)" in text_of(likelihood_impact)
    # filtered to threats without likelihood/impact: severity x status
    assert headers_of(by_severity)[0] == "severity (rows) / status (columns)"
    assert re.search(r"1 \(1 open\)", text_of(by_severity))


# -- other builders ------------------------------------------------------------------------


def test_text_output_fits_80_columns(tmp_path: Path) -> None:
    with built_app("text", srcdir=_copy("reports", tmp_path)) as app:
        text = Path(app.outdir, "reports.txt").read_text(encoding="utf-8")
        widest = max(text.splitlines(), key=len)
        assert len(widest) <= 80, widest
        assert "TM-CLOUD-BREACH-AT-REST" in text.replace("\n", " ").replace("| ", "")
        # the summary's numbers read without bars (wrapped in their cell)
        relay = next(line for line in text.splitlines() if line.startswith("| relay"))
        assert relay.split("|")[4].strip() == "2 of 4"


def test_text_grid_of_60_services_fits_80_columns(tmp_path: Path) -> None:
    from .browser import write_grid_project

    src = write_grid_project(tmp_path / "grid", services=20, threats=10)
    with built_app("text", srcdir=src) as app:
        text = Path(app.outdir, "index.txt").read_text(encoding="utf-8")
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "Services 19-20 of 20" in text


def test_latex_tables_take_the_text_width(tmp_path: Path) -> None:
    with built_app("latex", srcdir=_copy("reports", tmp_path)) as app:
        tex = next(Path(app.outdir).glob("*.tex")).read_text(encoding="utf-8")
        # every report table takes the line width, each column a share of it:
        # the matrix's five columns first
        specs = re.findall(r"\\begin\{(?:tabular|longtable)\}(?:\[t\])?\{([^\n]*)\}\n", tex)
        assert specs[0] == "\\X{21}{62}\\X{7}{62}\\X{9}{62}\\X{14}{62}\\X{11}{62}"
        assert all(spec.startswith("\\X{") for spec in specs[:-1]), specs
        assert "2 of 4 (50.0\\%)" in tex
        assert threat_warnings(app) == [
            ("relay.rst", 8, "unmitigated"),
            ("relay.rst", 14, "planned-only"),
        ]


# -- both syntaxes -----------------------------------------------------------------------------


def test_rst_and_myst_reports_are_the_same(tmp_path: Path) -> None:
    pages = []
    for root in ROOTS:
        with built_app("html", srcdir=_copy(root, tmp_path)) as app:
            page = html(app, "reports")
            assert threat_warnings(app) == [
                ("relay.rst", 8, "unmitigated"),
                ("relay.rst", 14, "planned-only"),
            ]
            pages.append(
                [
                    r
                    for name in ("matrix", "coverage", "summary", "risk-map")
                    for r in reports_of(page, f"threat-{name}")
                ]
            )
    assert pages[0] == pages[1]
    assert len(pages[0]) == 6


def test_matrix_group_by_service_leaves_the_owner_out(tmp_path: Path) -> None:
    src = _copy("reports", tmp_path)
    (src / "reports.rst").write_text(
        "Reports\n=======\n\n.. threat-matrix::\n   :columns: threat, owner, severity\n"
        "   :group-by: service\n",
        encoding="utf-8",
    )
    with built_app("html", srcdir=src) as app:
        tables = reports_of(html(app, "reports"), "threat-matrix")[0]
        assert headers_of(tables) == ["Threat", "Severity"]
        # severity is its own column: not also a badge in the threat column
        first = rows_of(tables)[0]
        assert "threats-severity-" not in first[0] and "threats-severity-" in first[1]
