"""The figures read from an analysis (SPEC "Coverage of a service", "Failing
the build"): coverage percentages, service and overall figures, and which gaps
fail the build, on hand-built models: no Sphinx."""

from __future__ import annotations

import pytest

from sphinx_threats.analysis import severity_rank
from sphinx_threats.figures import (
    coverage_percentages,
    fails,
    overall_coverage,
    service_figures,
    severity_weight,
)
from sphinx_threats.model import Gap, GapKind, Location, Status

from .builders import ModelBuilder, days

SEVERITIES = ("critical", "high", "medium", "low", "info")


# -- failing the build --------------------------------------------------------------------------


def _gap(kind: GapKind, severity: str | None, graded: bool = True) -> Gap:
    return Gap(kind, "m", ("T",), Location("x.rst", 1, "x"), severity, graded)


ALL_KINDS = [k.value for k in GapKind]


@pytest.mark.parametrize(
    ("severity", "min_severity", "expected"),
    [
        ("critical", "high", True),
        ("high", "high", True),
        ("medium", "high", False),
        ("info", "high", False),
        ("info", "info", True),
        ("low", "critical", False),
        (None, "critical", True),  # no usable severity: the most severe
        ("bogus", "critical", True),  # unknown severity: the most severe
        ("info", None, True),  # no threshold
    ],
)
def test_fails_with_min_severity(
    severity: str | None, min_severity: str | None, expected: bool
) -> None:
    gap = _gap(GapKind.UNMITIGATED, severity)
    assert fails(gap, ALL_KINDS, min_severity, SEVERITIES) is expected


def test_fails_only_on_listed_kinds() -> None:
    gap = _gap(GapKind.PLANNED_ONLY, "critical")
    assert not fails(gap, ["unmitigated"], None, SEVERITIES)
    assert fails(gap, ["unmitigated", "planned-only"], None, SEVERITIES)
    assert not fails(gap, [], None, SEVERITIES)


@pytest.mark.parametrize(
    "kind", [GapKind.UNKNOWN_REF, GapKind.DUPLICATE_ID, GapKind.INVALID, GapKind.ORPHAN_MITIGATION]
)
def test_non_threat_gaps_always_fail(kind: GapKind) -> None:
    gap = _gap(kind, None, graded=False)
    assert fails(gap, ALL_KINDS, "critical", SEVERITIES)
    gap = Gap(kind, "m", ("X",), Location("x.rst", 1, "x"), "info", False)
    assert fails(gap, ALL_KINDS, "critical", SEVERITIES)


def test_fails_with_custom_severities() -> None:
    custom = ("S1", "S2", "S3")
    assert fails(_gap(GapKind.UNMITIGATED, "S2"), ALL_KINDS, "S2", custom)
    assert not fails(_gap(GapKind.UNMITIGATED, "S3"), ALL_KINDS, "S2", custom)


def test_fail_min_severity_on_analysed_gaps() -> None:
    b = ModelBuilder()
    b.service("svc")
    b.threat("HIGH", severity="high", applies_to="svc")
    b.threat("LOW", severity="low", applies_to="svc")
    b.threat("NONE", severity=None)
    b.mitigation("OLD", mitigates="LOW", status="planned", due=days(-1))
    b.acceptance("RA", threats="LOW HIGH", expires=days(-1))
    b.service("svc2", relies_on="GHOST")
    report = b.analyse()
    failing = {
        (g.kind.value, g.ids) for g in report.gaps if fails(g, ALL_KINDS, "high", SEVERITIES)
    }
    assert failing == {
        ("unmitigated", ("HIGH",)),
        ("service-gap", ("HIGH", "svc")),
        ("unmitigated", ("NONE",)),
        ("expired-acceptance", ("RA", "LOW", "HIGH")),  # graded by its most severe threat
        ("unknown-ref", ("GHOST", "svc2")),
    }
    passing = {(g.kind.value, g.ids) for g in report.gaps} - failing
    assert passing == {
        ("planned-only", ("LOW",)),
        ("service-gap", ("LOW", "svc")),
        ("overdue-mitigation", ("OLD", "LOW")),
    }


# -- severity weights and coverage percentages --------------------------------------------------


def test_severity_rank_and_weight() -> None:
    assert [severity_weight(s, SEVERITIES) for s in SEVERITIES] == [5, 4, 3, 2, 1]
    assert severity_weight(None, SEVERITIES) == 5
    assert severity_weight("bogus", SEVERITIES) == 5
    assert severity_rank("medium", SEVERITIES) == 2
    assert severity_rank(None, SEVERITIES) == 0


def test_coverage_percentages() -> None:
    b = ModelBuilder()
    b.service("svc")
    b.threat("CRIT", severity="critical", applies_to="svc")  # mitigated: weight 5
    b.threat("INFO", severity="info", applies_to="svc")  # accepted: weight 1
    b.threat("LOW", severity="low", applies_to="svc")  # unmitigated: weight 2
    b.threat("MED", severity="medium", applies_to="svc")  # planned: weight 3
    b.threat("NA", severity="critical", applies_to="svc")  # not counted
    b.mitigation("M1", mitigates="CRIT", service="svc")
    b.mitigation("M2", mitigates="MED", service="svc", status="planned", due=days(3))
    b.acceptance("RA", threats="INFO", service="svc")
    b.not_applicable("X", threats="NA", service="svc")
    report = b.analyse()
    pairs = [c for c in report.service_coverage("svc") if c.status is not Status.NOT_APPLICABLE]
    covered, total, pct, weighted = coverage_percentages(report, pairs)
    assert (covered, total) == (2, 4)
    assert pct == 50.0
    assert weighted == round(100 * (5 + 1) / (5 + 1 + 2 + 3), 1)
    assert coverage_percentages(report, []) == (0, 0, None, None)


def test_service_coverage_counts_its_own_threats_by_overall_status() -> None:
    # SPEC "Coverage of a service": a service owning an unmitigated threat is
    # not 100% covered, even with nothing else in scope
    b = ModelBuilder()
    b.service("relay")
    b.service("web")
    b.threat("OWN-OPEN", severity="high", service="relay")  # unmitigated
    b.threat("OWN-DONE", severity="low", service="relay")
    b.threat("OWN-NA", severity="high", service="relay")
    b.threat("PROD", severity="medium", applies_to="relay, web")
    b.mitigation("M-OWN", mitigates="OWN-DONE", service="relay")
    b.mitigation("M-PROD", mitigates="PROD", service="relay")
    b.not_applicable("X", threats="OWN-NA")
    report = b.analyse()
    relay = service_figures(report, "relay")
    assert (relay.own.covered, relay.own.total) == (1, 2)
    assert (relay.in_scope.covered, relay.in_scope.total) == (1, 1)
    assert (relay.total.covered, relay.total.total, relay.total.percent) == (2, 3, 66.7)
    # weights: high 4 (open), low 2, medium 3
    assert relay.total.weighted == round(100 * (2 + 3) / (4 + 2 + 3), 1)
    web = service_figures(report, "web")
    assert (web.own.total, web.in_scope.covered, web.in_scope.total) == (0, 0, 1)
    assert service_figures(report, "web", wanted={"OWN-OPEN"}).total.percent is None


def test_overall_coverage_counts_every_answer_once() -> None:
    b = ModelBuilder()
    b.service("relay")
    b.threat("OWN", severity="high", service="relay")  # relay's own: unmitigated
    b.threat("PROD", severity="high", applies_to="relay")  # pair: mitigated
    b.threat("LONE", severity="high")  # no service: its overall status (mitigated)
    b.threat("GONE", severity="high")  # not-applicable: not counted
    b.mitigation("M-PROD", mitigates="PROD", service="relay")
    b.mitigation("M-LONE", mitigates="LONE")
    b.not_applicable("X", threats="GONE")
    report = b.analyse()
    overall = overall_coverage(report)
    assert (overall.covered, overall.total, overall.percent) == (2, 3, 66.7)
