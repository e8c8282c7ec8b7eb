"""The rules of "Computed status and scope" and "Gaps and warnings" (SPEC), one by one,
on hand-built models: no Sphinx."""

from __future__ import annotations

import pytest

from sphinx_threats.analysis import Coverage, Settings, analyse
from sphinx_threats.model import (
    Gap,
    GapKind,
    Kind,
    Location,
    Problem,
    Reference,
    Status,
    ThreatModel,
    gap_order,
)

from .builders import TODAY, ModelBuilder, days, gaps_of, kinds_ids, pair_status

SEVERITIES = ("critical", "high", "medium", "low", "info")


# -- the worked example ----------------------------------------------------------------------


def worked_example(relies_on: str = "") -> ModelBuilder:
    """The SPEC's worked example: services api and web, today 2026-06-01."""
    b = ModelBuilder()
    b.threat("T-A", applies_to="*", file="product.rst", line=10)
    b.threat("T-B", applies_to="api", file="product.rst", line=20)
    b.threat("T-C", file="product.rst", line=30)
    b.mitigation(
        "M-2",
        mitigates="T-A",
        applies_to="web",
        status="planned",
        due="2027-01-01",
        file="product.rst",
        line=40,
    )
    b.mitigation("M-3", mitigates="T-B", status="verified", file="product.rst", line=50)
    b.acceptance("RA-1", threats="T-C", expires="2026-01-01", file="product.rst", line=60)
    b.service("api", relies_on=relies_on, file="api.rst", line=1)
    b.threat("T-D", service="api", file="api.rst", line=10)
    b.mitigation("M-1", mitigates="T-A", service="api", file="api.rst", line=20)
    b.mitigation("M-4", mitigates="T-D", service="api", effect="partial", file="api.rst", line=30)
    b.service("web", file="web.rst", line=1)
    return b


def test_worked_example_statuses() -> None:
    report = worked_example().analyse(today=TODAY)
    assert TODAY.isoformat() == "2026-06-01"
    assert {t: s.value for t, s in report.threat_status.items()} == {
        "T-A": "mitigated",
        "T-B": "mitigated",
        "T-C": "unmitigated",
        "T-D": "partial",
    }
    assert {pair: c.status.value for pair, c in report.coverage.items()} == {
        ("T-A", "api"): "mitigated",
        ("T-A", "web"): "planned",
        ("T-B", "api"): "unmitigated",
    }
    assert report.scope["T-C"] == ()
    assert report.scope["T-D"] == ()  # no pair with api, its owner
    assert report.acceptance_valid == {"RA-1": False}


def test_worked_example_gaps() -> None:
    report = worked_example().analyse()
    got = [(g.kind.value, g.ids, g.location.file, g.location.lineno) for g in report.gaps]
    expired = gaps_of(report, "expired-acceptance")
    assert len(expired) == 1
    assert expired[0].ids[0] == "RA-1"
    assert set(expired[0].ids) <= {"RA-1", "T-C"}
    expected = [
        ("planned-only", ("T-A", "web"), "web.rst", 1),
        ("service-gap", ("T-B", "api"), "api.rst", 1),
        ("unmitigated", ("T-C",), "product.rst", 30),
        ("expired-acceptance", expired[0].ids, "product.rst", 60),
        ("partial-only", ("T-D",), "api.rst", 10),
    ]
    assert sorted(got) == sorted(expected)
    # and in report order: file, line, subtype
    assert got == [
        ("service-gap", ("T-B", "api"), "api.rst", 1),
        ("partial-only", ("T-D",), "api.rst", 10),
        ("unmitigated", ("T-C",), "product.rst", 30),
        ("expired-acceptance", expired[0].ids, "product.rst", 60),
        ("planned-only", ("T-A", "web"), "web.rst", 1),
    ]


def test_worked_example_relies_on_platform_control() -> None:
    report = worked_example(relies_on="M-3").analyse()
    assert pair_status(report, "T-B", "api") == "mitigated"
    assert report.coverage[("T-B", "api")].by == ("M-3",)
    assert ("service-gap", ("T-B", "api")) not in kinds_ids(report)
    assert report.relied_on_by == {"M-3": ["api"]}


# -- scope -------------------------------------------------------------------------------------


def test_star_means_every_declared_service() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "c"):
        b.service(s)
    b.threat("T", applies_to="*")
    report = b.analyse()
    assert report.scope["T"] == ("a", "b", "c")
    assert set(report.coverage) == {("T", "a"), ("T", "b"), ("T", "c")}


def test_bang_removes_one_service() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "legacy"):
        b.service(s)
    b.threat("T", applies_to="*, !legacy")
    b.threat("U", applies_to="!legacy *")  # order does not matter
    report = b.analyse()
    assert report.scope["T"] == ("a", "b")
    assert report.scope["U"] == ("a", "b")
    assert ("T", "legacy") not in report.coverage


def test_explicit_applies_to() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "c"):
        b.service(s)
    b.threat("T", applies_to="a c")
    assert b.analyse().scope["T"] == ("a", "c")


def test_star_expands_to_services_only() -> None:
    b = ModelBuilder()
    b.service("svc")
    b.actor("ACT")
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T")
    assert b.analyse().scope["T"] == ("svc",)


def test_unknown_service_in_applies_to_is_not_in_scope() -> None:
    b = ModelBuilder()
    b.service("svc")
    b.threat("T", applies_to="svc ghost")
    report = b.analyse()
    assert report.scope["T"] == ("svc",)
    assert ("unknown-ref", ("ghost", "T")) in kinds_ids(report)


def test_exposed_to_widens_scope() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b", exposed_to="T")
    b.threat("T")  # product level, no :applies-to:
    report = b.analyse()
    assert report.scope["T"] == ("b",)
    assert report.scope_of_service == {"b": ["T"]}
    assert pair_status(report, "T", "b") == "unmitigated"


def test_exposed_to_adds_a_service_removed_by_bang() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b", exposed_to="T")
    b.threat("T", applies_to="*, !b")
    assert b.analyse().scope["T"] == ("a", "b")


def test_mitigation_applies_to_does_not_widen_scope() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="a")
    b.mitigation("M", mitigates="T", applies_to="a b")
    b.mitigation("M-STAR", mitigates="T", applies_to="*")
    report = b.analyse()
    assert report.scope["T"] == ("a",)
    assert set(report.coverage) == {("T", "a")}


def test_mitigation_service_does_not_widen_scope() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="a")
    b.mitigation("M", mitigates="T", service="b")
    report = b.analyse()
    assert report.scope["T"] == ("a",)


def test_relies_on_does_not_widen_scope() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b", relies_on="M")
    b.threat("T", applies_to="a")
    b.mitigation("M", mitigates="T", applies_to="a")
    report = b.analyse()
    assert set(report.coverage) == {("T", "a")}


def test_acceptance_and_exclusion_do_not_widen_scope() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="a")
    b.acceptance("RA", threats="T", service="b")
    b.not_applicable("NA", threats="T", service="b")
    assert set(b.analyse().coverage) == {("T", "a")}


def test_owning_service_forms_no_pair() -> None:
    b = ModelBuilder()
    b.service("own", exposed_to="T")
    b.service("other")
    b.threat("T", service="own", applies_to="*")
    report = b.analyse()
    assert report.scope["T"] == ("other",)
    assert ("T", "own") not in report.coverage
    assert report.threats_of_service == {"own": ["T"]}
    # the owner's view is the overall status
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert ("unmitigated", ("T",)) in kinds_ids(report)
    assert ("service-gap", ("T", "own")) not in kinds_ids(report)


def test_owned_threat_without_scope_has_no_pairs() -> None:
    b = ModelBuilder()
    b.service("own")
    b.threat("T", service="own")
    b.mitigation("M", mitigates="T", service="own")
    report = b.analyse()
    assert report.coverage == {}
    assert report.threat_status["T"] is Status.MITIGATED
    assert report.gaps == []


# -- coverage ----------------------------------------------------------------------------------


def test_product_mitigation_without_applies_to_covers_no_pair() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", status="verified")
    report = b.analyse()
    assert report.threat_status["T"] is Status.MITIGATED  # overall: it counts
    assert pair_status(report, "T", "a") == "unmitigated"
    assert pair_status(report, "T", "b") == "unmitigated"
    assert sorted(g.ids for g in gaps_of(report, "service-gap")) == [("T", "a"), ("T", "b")]
    assert gaps_of(report, "unmitigated") == []


def test_mitigation_own_service_covers() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", service="a")
    report = b.analyse()
    assert report.coverage[("T", "a")] == Coverage("T", "a", Status.MITIGATED, ("M",))
    assert pair_status(report, "T", "b") == "unmitigated"


def test_mitigation_applies_to_covers_besides_its_own_service() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "c"):
        b.service(s)
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", service="a", applies_to="b")
    report = b.analyse()
    assert pair_status(report, "T", "a") == "mitigated"
    assert pair_status(report, "T", "b") == "mitigated"
    assert pair_status(report, "T", "c") == "unmitigated"


def test_mitigation_applies_to_star_covers_every_service() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "c"):
        b.service(s)
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", applies_to="*")
    report = b.analyse()
    assert {c.status for c in report.coverage.values()} == {Status.MITIGATED}


def test_mitigation_applies_to_star_minus_one() -> None:
    b = ModelBuilder()
    for s in ("a", "b", "legacy"):
        b.service(s)
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", applies_to="*, !legacy")
    report = b.analyse()
    assert pair_status(report, "T", "a") == "mitigated"
    assert pair_status(report, "T", "b") == "mitigated"
    assert pair_status(report, "T", "legacy") == "unmitigated"


def test_relies_on_covers() -> None:
    b = ModelBuilder()
    b.service("a", relies_on="PLATFORM")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("PLATFORM", mitigates="T")
    report = b.analyse()
    assert report.coverage[("T", "a")] == Coverage("T", "a", Status.MITIGATED, ("PLATFORM",))
    assert pair_status(report, "T", "b") == "unmitigated"


def test_relies_on_a_mitigation_of_another_threat_does_not_cover() -> None:
    b = ModelBuilder()
    b.service("a", relies_on="M")
    b.threat("T", applies_to="a")
    b.threat("U")
    b.mitigation("M", mitigates="U")
    report = b.analyse()
    assert pair_status(report, "T", "a") == "unmitigated"


def test_pair_counts_only_covering_mitigations() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("FULL-A", mitigates="T", service="a")
    b.mitigation("PART-B", mitigates="T", service="b", effect="partial")
    b.mitigation("PLAN-B", mitigates="T", service="b", status="planned", due=days(30))
    report = b.analyse()
    assert report.coverage[("T", "a")].by == ("FULL-A",)
    assert report.coverage[("T", "b")] == Coverage("T", "b", Status.PARTIAL, ("PART-B",))
    assert report.threat_status["T"] is Status.MITIGATED
    assert report.threat_by["T"] == ("FULL-A",)


# -- statuses from mitigations -----------------------------------------------------------------


def _overall(**mitigation_options: object) -> Status:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T", **mitigation_options)
    return b.analyse().threat_status["T"]


@pytest.mark.parametrize(
    ("status", "effect", "expected"),
    [
        ("implemented", "full", Status.MITIGATED),
        ("verified", "full", Status.MITIGATED),
        ("implemented", "partial", Status.PARTIAL),
        ("verified", "partial", Status.PARTIAL),
        ("planned", "full", Status.PLANNED),
        ("in-progress", "full", Status.PLANNED),
        ("planned", "partial", Status.PLANNED),
        ("in-progress", "partial", Status.PLANNED),
    ],
)
def test_status_from_one_mitigation(status: str, effect: str, expected: Status) -> None:
    assert _overall(status=status, effect=effect, due=days(10)) is expected


def test_missing_status_counts_as_planned() -> None:
    assert _overall(status=None, due=days(10)) is Status.PLANNED


def test_unknown_effect_counts_as_partial() -> None:
    assert _overall(status="implemented", effect="unknown") is Status.PARTIAL
    assert _overall(status="verified", effect="strong") is Status.PARTIAL


def test_no_mitigation_is_unmitigated() -> None:
    b = ModelBuilder()
    b.threat("T")
    report = b.analyse()
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert kinds_ids(report) == [("unmitigated", ("T",))]


def test_planned_and_partial_never_make_mitigated() -> None:
    b = ModelBuilder()
    b.service("a")
    b.threat("T", applies_to="a")
    b.mitigation("P1", mitigates="T", status="planned", due=days(5), applies_to="a")
    b.mitigation("P2", mitigates="T", status="in-progress", due=days(5), applies_to="a")
    b.mitigation("P3", mitigates="T", status="implemented", effect="partial", applies_to="a")
    report = b.analyse()
    assert report.threat_status["T"] is Status.PARTIAL
    assert report.threat_by["T"] == ("P3",)
    assert pair_status(report, "T", "a") == "partial"
    assert sorted(kinds_ids(report)) == [
        ("partial-only", ("T",)),
        ("partial-only", ("T", "a")),
    ]


def test_full_mitigation_in_effect_wins_over_partial_and_planned() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("PART", mitigates="T", effect="partial")
    b.mitigation("PLAN", mitigates="T", status="planned", due=days(5))
    b.mitigation("FULL", mitigates="T", status="verified")
    report = b.analyse()
    assert report.threat_status["T"] is Status.MITIGATED
    assert report.threat_by["T"] == ("FULL",)
    assert report.gaps == []


def test_planned_only_gap_for_threat_and_pair() -> None:
    b = ModelBuilder()
    svc = b.service("a", file="a.rst", line=3)
    threat = b.threat("T", applies_to="a", file="t.rst", line=7)
    b.mitigation("M", mitigates="T", applies_to="a", status="in-progress", due=days(9))
    report = b.analyse()
    planned = gaps_of(report, "planned-only")
    assert [(g.ids, g.location) for g in planned] == [
        (("T", "a"), svc.location),
        (("T",), threat.location),
    ]
    assert all(g.graded and g.severity == "high" for g in planned)


# -- acceptances --------------------------------------------------------------------------------


def test_acceptance_without_service_accepts_everything() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.acceptance("RA", threats="T")
    report = b.analyse()
    assert report.threat_status["T"] is Status.ACCEPTED
    assert report.threat_by["T"] == ("RA",)
    assert {c.status for c in report.coverage.values()} == {Status.ACCEPTED}
    assert report.coverage[("T", "a")].by == ("RA",)
    assert report.gaps == []


def test_service_acceptance_accepts_only_that_pair() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", status="implemented", effect="partial", applies_to="b")
    b.acceptance("RA", threats="T", service="a")
    report = b.analyse()
    assert pair_status(report, "T", "a") == "accepted"
    assert pair_status(report, "T", "b") == "partial"
    # product-level threat: an acceptance for one service is not an overall acceptance
    assert report.threat_status["T"] is Status.PARTIAL


def test_service_acceptance_for_the_owner_accepts_overall() -> None:
    b = ModelBuilder()
    b.service("own")
    b.service("other")
    b.threat("T", service="own", applies_to="other")
    b.acceptance("RA", threats="T", service="own")
    report = b.analyse()
    assert report.threat_status["T"] is Status.ACCEPTED
    assert pair_status(report, "T", "other") == "unmitigated"


def test_service_acceptance_for_another_service_does_not_accept_overall() -> None:
    b = ModelBuilder()
    b.service("own")
    b.service("other")
    b.threat("T", service="own", applies_to="other")
    b.acceptance("RA", threats="T", service="other")
    report = b.analyse()
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert pair_status(report, "T", "other") == "accepted"


def test_acceptance_beats_mitigations() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T")
    b.acceptance("RA", threats="T")
    assert b.analyse().threat_status["T"] is Status.ACCEPTED


def test_expired_acceptance_accepts_nothing_and_is_reported() -> None:
    b = ModelBuilder()
    b.service("a")
    b.threat("T", applies_to="a", severity="medium")
    ra = b.acceptance("RA", threats="T", expires=days(-1))
    report = b.analyse()
    assert report.acceptance_valid == {"RA": False}
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert pair_status(report, "T", "a") == "unmitigated"
    [gap] = gaps_of(report, "expired-acceptance")
    assert gap.ids[0] == "RA"
    assert gap.location == ra.location
    assert gap.graded and gap.severity == "medium"
    assert "RA" in gap.message
    assert gaps_of(report, "expiring-acceptance") == []


def test_expired_acceptance_located_at_its_expires_option() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.acceptance("RA", threats="T", expires=days(-100), option_lines={"expires": 99}, line=95)
    [gap] = gaps_of(b.analyse(), "expired-acceptance")
    assert (gap.location.file, gap.location.lineno) == ("index.rst", 99)


def test_acceptance_valid_through_its_expiry_day() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.acceptance("RA", threats="T", expires=TODAY)
    report = b.analyse()
    assert report.acceptance_valid == {"RA": True}
    assert report.threat_status["T"] is Status.ACCEPTED
    assert gaps_of(report, "expired-acceptance") == []
    # the next day it has expired
    report = b.analyse(today=days(1))
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert len(gaps_of(report, "expired-acceptance")) == 1


@pytest.mark.parametrize(
    ("expires_in", "notice_days", "expiring"),
    [
        (0, 30, True),
        (1, 30, True),
        (10, 30, True),
        (29, 30, True),
        (31, 30, False),
        (365, 30, False),
        (10, 5, False),
        (40, 60, True),
    ],
)
def test_expiring_acceptance_within_notice_days(
    expires_in: int, notice_days: int, expiring: bool
) -> None:
    b = ModelBuilder()
    b.threat("T", severity="low")
    ra = b.acceptance("RA", threats="T", expires=days(expires_in))
    report = b.analyse(expiry_notice_days=notice_days)
    found = gaps_of(report, "expiring-acceptance")
    assert report.threat_status["T"] is Status.ACCEPTED  # still valid
    if expiring:
        [gap] = found
        assert gap.ids[0] == "RA"
        assert gap.location == ra.location
        assert gap.graded and gap.severity == "low"
    else:
        assert found == []
    assert gaps_of(report, "expired-acceptance") == []


def test_acceptance_requires_approval() -> None:
    b = ModelBuilder()
    b.service("a")
    b.threat("T", applies_to="a")
    ra = b.acceptance("RA", threats="T")
    b.acceptance("RA-OK", threats="T", approved_by="CISO", service="a")
    report = b.analyse(acceptance_requires_approval=True)
    assert report.acceptance_valid == {"RA": False, "RA-OK": True}
    assert report.threat_status["T"] is Status.UNMITIGATED  # RA accepts nothing
    assert pair_status(report, "T", "a") == "accepted"  # through RA-OK
    assert report.coverage[("T", "a")].by == ("RA-OK",)
    [gap] = gaps_of(report, "invalid")
    assert gap.ids == ("RA",)
    assert gap.location.file == ra.location.file
    assert gap.location.lineno >= ra.location.lineno
    # without the setting, approval is not needed
    report = b.analyse(acceptance_requires_approval=False)
    assert report.acceptance_valid == {"RA": True, "RA-OK": True}
    assert report.threat_status["T"] is Status.ACCEPTED
    assert gaps_of(report, "invalid") == []


@pytest.mark.parametrize("missing", ["owner", "threats", "expires"])
def test_acceptance_without_threats_owner_or_expiry_is_invalid(missing: str) -> None:
    b = ModelBuilder()
    b.threat("T")
    options: dict[str, object] = {"threats": "T", missing: None if missing == "expires" else ""}
    b.acceptance("RA", **options)
    report = b.analyse()
    assert report.acceptance_valid == {"RA": False}
    assert report.threat_status["T"] is Status.UNMITIGATED


# -- not-applicable ------------------------------------------------------------------------------


def test_product_wide_not_applicable_beats_everything() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.mitigation("M", mitigates="T", applies_to="*")
    b.acceptance("RA", threats="T")
    b.not_applicable("NA", threats="T")
    report = b.analyse()
    assert report.threat_status["T"] is Status.NOT_APPLICABLE
    assert report.threat_by["T"] == ("NA",)
    assert {c.status for c in report.coverage.values()} == {Status.NOT_APPLICABLE}
    assert report.coverage[("T", "a")].by == ("NA",)
    assert report.gaps == []


def test_product_wide_not_applicable_silences_unmitigated_pairs() -> None:
    b = ModelBuilder()
    b.service("a")
    b.threat("T", applies_to="a")
    b.not_applicable("NA", threats="T")
    report = b.analyse()
    assert pair_status(report, "T", "a") == "not-applicable"
    assert report.gaps == []


def test_service_not_applicable_only_that_pair() -> None:
    b = ModelBuilder()
    b.service("a")
    b.service("b")
    b.threat("T", applies_to="*")
    b.acceptance("RA", threats="T", service="a")  # not-applicable beats it
    b.not_applicable("NA", threats="T", service="a")
    report = b.analyse()
    assert report.coverage[("T", "a")] == Coverage("T", "a", Status.NOT_APPLICABLE, ("NA",))
    assert pair_status(report, "T", "b") == "unmitigated"
    assert report.threat_status["T"] is Status.UNMITIGATED
    assert sorted(kinds_ids(report)) == [
        ("service-gap", ("T", "b")),
        ("unmitigated", ("T",)),
    ]


def test_service_not_applicable_for_the_owner_does_not_change_overall() -> None:
    b = ModelBuilder()
    b.service("own")
    b.threat("T", service="own")
    b.not_applicable("NA", threats="T", service="own")
    report = b.analyse()
    assert report.threat_status["T"] is Status.UNMITIGATED


# -- overdue mitigations ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["planned", "in-progress"])
def test_overdue_mitigation(status: str | None) -> None:
    b = ModelBuilder()
    b.threat("T", severity="critical")
    mit = b.mitigation("M", mitigates="T", status=status, due=days(-1))
    report = b.analyse()
    [gap] = gaps_of(report, "overdue-mitigation")
    assert gap.ids[0] == "M"
    assert gap.location == mit.location
    assert gap.graded and gap.severity == "critical"


def test_an_unknown_status_is_not_overdue() -> None:
    """It counts as planned, but is not known to be: its invalid is the cause."""
    b = ModelBuilder()
    b.threat("T", severity="critical")
    b.mitigation("M", mitigates="T", status=None, due=days(-1))
    assert gaps_of(b.analyse(), "overdue-mitigation") == []


def test_overdue_located_at_due_option() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation(
        "M", mitigates="T", status="planned", due=days(-1), line=40, option_lines={"due": 43}
    )
    [gap] = gaps_of(b.analyse(), "overdue-mitigation")
    assert gap.location.lineno == 43


@pytest.mark.parametrize("status", ["implemented", "verified"])
def test_implemented_with_past_due_is_not_overdue(status: str) -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T", status=status, due=days(-100))
    assert gaps_of(b.analyse(), "overdue-mitigation") == []


@pytest.mark.parametrize("due_in", [0, 1, 100])
def test_not_yet_due_is_not_overdue(due_in: int) -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T", status="planned", due=days(due_in))
    assert gaps_of(b.analyse(), "overdue-mitigation") == []


def test_planned_without_due_is_not_overdue() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T", status="planned", due=None)
    assert gaps_of(b.analyse(), "overdue-mitigation") == []


# -- references ---------------------------------------------------------------------------------


def _unknown_refs(b: ModelBuilder) -> list[tuple[tuple[str, ...], int]]:
    return [(g.ids, g.location.lineno) for g in gaps_of(b.analyse(), "unknown-ref")]


@pytest.mark.parametrize(
    ("maker", "option", "value"),
    [
        ("threat", "actors", "GHOST"),
        ("threat", "service", "GHOST"),
        ("threat", "applies-to", "GHOST"),
        ("threat", "applies-to", "*, !GHOST"),
        ("mitigation", "mitigates", "T GHOST"),
        ("mitigation", "service", "GHOST"),
        ("mitigation", "applies-to", "GHOST"),
        ("service", "exposed-to", "GHOST"),
        ("service", "relies-on", "GHOST"),
        ("service", "depends-on", "GHOST"),
        ("acceptance", "threats", "T GHOST"),
        ("acceptance", "service", "GHOST"),
        ("not_applicable", "threats", "T, GHOST"),
        ("not_applicable", "service", "GHOST"),
    ],
)
def test_unknown_ref_for_each_option(maker: str, option: str, value: str) -> None:
    b = ModelBuilder()
    b.service("svc")
    b.threat("T", applies_to="svc")
    b.mitigation("M", mitigates="T", applies_to="svc")
    key = option.replace("-", "_")
    options: dict[str, object] = {key: value, "line": 500, "option_lines": {option: 503}}
    if key == "service":
        options[key] = value  # a single ID, not a tuple
    if maker == "mitigation":
        options.setdefault("mitigates", "T")
    if maker in ("acceptance", "not_applicable"):
        options.setdefault("threats", "T")
    getattr(b, maker)("REFERRER", **options)
    assert _unknown_refs(b) == [(("GHOST", "REFERRER"), 503)]


@pytest.mark.parametrize(
    ("maker", "option", "value"),
    [
        # a service, not a threat (beside a threat: else an orphan says it)
        ("mitigation", "mitigates", "T svc"),
        ("threat", "actors", "T"),  # a threat, not an actor
        ("threat", "applies-to", "M"),  # a mitigation, not a service
        ("service", "relies-on", "T"),  # a threat, not a mitigation
        ("service", "exposed-to", "M"),  # a mitigation, not a threat
        ("acceptance", "threats", "M"),
        ("not_applicable", "service", "T"),
    ],
)
def test_unknown_ref_for_an_id_of_the_wrong_kind(maker: str, option: str, value: str) -> None:
    b = ModelBuilder()
    b.service("svc")
    b.threat("T", applies_to="svc")
    b.mitigation("M", mitigates="T", applies_to="svc")
    key = option.replace("-", "_")
    options: dict[str, object] = {key: value, "line": 500}
    if maker == "acceptance" or (maker == "not_applicable" and key != "threats"):
        options.setdefault("threats", "T")
    getattr(b, maker)("REFERRER", **options)
    report = b.analyse()
    [gap] = gaps_of(report, "unknown-ref")
    assert gap.ids == (value.split()[-1], "REFERRER")
    assert gap.location.lineno == 500  # no option line known: the item's
    assert "not a" in gap.message


def test_unknown_ref_from_a_role() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T")
    where = Location("page.rst", 12, "page")
    b.role(Reference(Kind.THREAT, "NOPE", where))
    b.role(Reference(Kind.THREAT, "M", Location("page.rst", 13, "page")))  # wrong kind
    b.role(Reference(Kind.MITIGATION, "M", Location("page.rst", 14, "page")))  # fine
    report = b.analyse()
    refs = gaps_of(report, "unknown-ref")
    assert [(g.ids, g.location) for g in refs] == [
        (("NOPE",), where),
        (("M",), Location("page.rst", 13, "page")),
    ]


def test_external_ids_are_not_unknown() -> None:
    b = ModelBuilder()
    b.service("svc", exposed_to="EXT-T", relies_on="EXT-M GHOST")
    b.role(Reference(Kind.THREAT, "EXT-T", Location("page.rst", 1, "page")))
    known = {(Kind.THREAT, "EXT-T"), (Kind.MITIGATION, "EXT-M")}
    report = b.analyse(is_external=lambda kind, ident: (kind, ident) in known)
    assert kinds_ids(report) == [("unknown-ref", ("GHOST", "svc"))]


# -- orphans and duplicates ---------------------------------------------------------------------


def test_orphan_mitigation() -> None:
    """An orphan is an unlinked control; an unknown threat is always unknown-ref."""
    b = ModelBuilder()
    b.service("svc")
    b.threat("T")
    orphan = b.mitigation("ORPHAN", mitigates="", line=100)
    b.mitigation("GHOSTS", mitigates="GONE ALSO-GONE", line=150)
    b.mitigation("WRONG-KIND", mitigates="svc", line=200)
    b.mitigation("HALF", mitigates="T GONE", line=300)
    report = b.analyse()
    orphans = gaps_of(report, "orphan-mitigation")
    assert [g.ids for g in orphans] == [("ORPHAN",)]
    assert orphans[0].location.file == orphan.location.file
    assert orphans[0].location.lineno == orphan.location.lineno
    assert sorted(g.ids for g in gaps_of(report, "unknown-ref")) == [
        ("ALSO-GONE", "GHOSTS"),
        ("GONE", "GHOSTS"),
        ("GONE", "HALF"),
        ("svc", "WRONG-KIND"),
    ]


def test_a_threat_known_elsewhere_is_no_orphans_cause() -> None:
    """The reference check and the orphan check agree on what exists."""
    b = ModelBuilder()
    b.mitigation("M-EXT", mitigates="T-ELSEWHERE")
    report = b.analyse(is_external=lambda kind, ident: ident == "T-ELSEWHERE")
    assert gaps_of(report, "orphan-mitigation") == []
    assert gaps_of(report, "unknown-ref") == []


def test_a_decision_for_a_service_out_of_scope_decides_nothing() -> None:
    b = ModelBuilder()
    b.service("api")
    b.service("web")
    b.threat("T", applies_to="api")
    b.mitigation("M", mitigates="T")
    b.acceptance("RA", threats="T", service="web", owner="o", expires="2027-01-01")
    b.not_applicable("NA", threats="T", service="api")
    report = b.analyse()
    (gap,) = gaps_of(report, "invalid")
    assert gap.ids == ("RA", "T", "web")
    assert "decides nothing: T is not in scope for web" in gap.message


def test_duplicate_id_at_the_later_declaration() -> None:
    b = ModelBuilder()
    first = b.threat("DUP", file="a.rst", line=5)
    second = b.mitigation("DUP", mitigates="X", file="a.rst", line=50)
    third = b.threat("DUP", file="b.rst", line=1)
    report = b.analyse()
    dups = gaps_of(report, "duplicate-id")
    assert [(g.ids, g.location) for g in dups] == [
        (("DUP",), second.location),
        (("DUP",), third.location),
    ]
    for gap, later in zip(dups, (second, third), strict=True):
        assert "a.rst:5" in gap.message
        assert f"{later.location.file}:{later.location.lineno}" in gap.message
    # the first declaration is the one analysed
    assert report.index["DUP"] is first
    assert report.threat_status == {"DUP": Status.UNMITIGATED}


def test_duplicate_id_order_does_not_depend_on_input_order() -> None:
    b = ModelBuilder()
    b.threat("DUP", file="a.rst", line=50)
    earlier = b.service("DUP", file="a.rst", line=5)
    b.items.reverse()
    report = b.analyse()
    assert report.index["DUP"] is earlier
    [gap] = gaps_of(report, "duplicate-id")
    assert gap.location == Location("a.rst", 50, "a")


def test_duplicate_id_later_by_docname_then_line() -> None:
    b = ModelBuilder()
    b.threat("DUP", location=Location("intro.rst", 5, "intro"))
    b.threat("DUP", location=Location("intro-x.rst", 3, "intro-x"))
    [gap] = gaps_of(b.analyse(), "duplicate-id")
    assert gap.location == Location("intro-x.rst", 3, "intro-x")


def test_placeholder_ids_are_not_duplicates() -> None:
    b = ModelBuilder()
    b.threat("@index.rst:3", location=Location("index.rst", 3, "index"))
    b.threat("@index.rst:9", location=Location("index.rst", 9, "index"))
    assert gaps_of(b.analyse(), "duplicate-id") == []


# -- problems, ordering -------------------------------------------------------------------------


def test_reading_problems_become_gaps() -> None:
    b = ModelBuilder()
    where = Location("svc.rst", 4, "svc")
    b.problem(Problem(GapKind.INVALID, "bad option", where, ("X",)))
    report = b.analyse()
    assert report.gaps == [Gap(GapKind.INVALID, "bad option", ("X",), where)]
    assert not report.gaps[0].graded


def test_gaps_sorted_by_file_line_subtype() -> None:
    b = ModelBuilder()
    b.service("svc", file="b.rst", line=5)
    b.threat("T1", file="b.rst", line=2, applies_to="svc")  # unmitigated + a service gap at b:5
    b.threat("T2", file="a.rst", line=30)
    b.mitigation("M", mitigates="T2", status="planned", due=days(-3), file="a.rst", line=7)
    b.acceptance("RA", threats="NOPE", expires=days(-1), file="a.rst", line=7)
    b.problem(Problem(GapKind.INVALID, "zzz", Location("a.rst", 7, "a")))
    report = b.analyse()
    keys = [(g.location.file, g.location.lineno, g.kind.value) for g in report.gaps]
    assert keys == sorted(keys)
    assert report.gaps == sorted(report.gaps, key=gap_order)
    assert keys[:3] == [
        ("a.rst", 7, "expired-acceptance"),
        ("a.rst", 7, "invalid"),
        ("a.rst", 7, "overdue-mitigation"),
    ]
    assert ("b.rst", 5, "service-gap") in keys


def test_status_gaps_locations() -> None:
    b = ModelBuilder()
    svc = b.service("svc", file="svc.rst", line=2)
    threat = b.threat("T", applies_to="svc", file="threats.rst", line=8)
    report = b.analyse()
    assert [(g.kind.value, g.ids, g.location) for g in report.gaps] == [
        ("service-gap", ("T", "svc"), svc.location),
        ("unmitigated", ("T",), threat.location),
    ]
    assert all(g.graded and g.severity == "high" for g in report.gaps)


def test_analysis_of_empty_model() -> None:
    report = analyse(ThreatModel.build([]), Settings(today=TODAY))
    assert report.gaps == []
    assert report.threat_status == {}
    assert report.coverage == {}


# -- one cause, one warning ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"status": None}, Status.PLANNED),  # a missing or unknown status
        ({"effect": "unknown"}, Status.PARTIAL),  # an unknown effect
    ],
)
def test_a_fallback_value_makes_no_status_gap(options: dict[str, object], status: Status) -> None:
    """Without the item the status would differ: its invalid is the cause."""
    b = ModelBuilder()
    b.service("api")
    b.threat("T", applies_to="api")
    b.mitigation("M", mitigates="T", service="api", **options)
    report = b.analyse()
    assert report.threat_status["T"] is status  # computed as declared
    assert pair_status(report, "T", "api") == status
    assert kinds_ids(report) == []


def test_a_gap_without_the_fallback_item_is_still_reported() -> None:
    b = ModelBuilder()
    b.service("api")
    b.threat("T", applies_to="api")
    b.mitigation("M-PLAN", mitigates="T", service="api", status="planned", due=days(30))
    b.mitigation("M-BAD", mitigates="T", service="api", status=None)
    b.threat("U", applies_to="api")  # M-BAD's only service-gap is its own
    b.mitigation("M-BAD2", mitigates="U", status=None)
    report = b.analyse()
    assert sorted(kinds_ids(report)) == [
        ("planned-only", ("T",)),
        ("planned-only", ("T", "api")),
        ("service-gap", ("U", "api")),
    ]


def test_a_threat_without_an_id_forms_no_status_gap() -> None:
    b = ModelBuilder()
    b.service("api")
    b.threat("@index.rst:10", applies_to="api")
    b.mitigation("@index.rst:20", mitigates="")  # no orphan either
    assert kinds_ids(b.analyse()) == []


def test_a_mitigation_for_the_wrong_service_is_invalid() -> None:
    b = ModelBuilder()
    b.service("payments")
    b.service("profile")
    b.threat("T", applies_to="payments")
    b.threat("T-PRODUCT")  # no service in scope: any service may mitigate it
    wrong = b.mitigation(
        "M", mitigates="T T-PRODUCT", service="profile", line=40, option_lines={"service": 44}
    )
    b.mitigation("M-OK", mitigates="T", service="profile", applies_to="payments")
    report = b.analyse()
    [gap] = gaps_of(report, "invalid")
    assert gap.ids == ("M", "T", "profile")
    assert (gap.location.file, gap.location.lineno) == (wrong.location.file, 44)
    assert report.threat_status["T"] is Status.MITIGATED  # as declared


def test_references_into_an_unread_source_are_not_reported() -> None:
    b = ModelBuilder()
    b.threat("T")
    b.mitigation("M", mitigates="T ext:T-UP other:T-UP")
    report = b.analyse(sources=frozenset({"ext"}))
    assert kinds_ids(report) == [("unknown-ref", ("other:T-UP", "M"))]


def test_report_repr_stays_short_however_large_the_model() -> None:
    """Sphinx logs the repr of every event's arguments, the report's for
    ``threats-analysed``: it says how large the model is, never all of it."""
    b = ModelBuilder()
    for n in range(200):
        b.service(f"s{n}")
    b.threat("T", applies_to="*")
    report = b.analyse()
    gaps = len(report.gaps)
    assert repr(report) == f"<Report: 201 items, 200 services, 200 pairs, {gaps} gaps>"
