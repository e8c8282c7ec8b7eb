"""What ``threat-matrix`` shows: one row per threat, optionally grouped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ..analysis import Report, severity_rank
from ..model import UNRATED, Kind, Status, Threat, natural_key, severity_word, worst_status
from .backlinks import (
    Link,
    acceptance_state,
    exclusion_state,
    link_of,
    mitigation_state,
    review_mark,
)
from .request import ReportOption, ReportRequest, selected_threats

#: ``:group-by:`` values of ``threat-matrix``.
GROUP_BY = ("category", "service", "severity", "tag")


class MitigationState(NamedTuple):
    """A mitigation or decision on a threat, with its state (``implemented, partial``)."""

    link: Link
    state: str
    #: With ``threats_lock``: ``suspect`` or ``unreviewed`` for the link to
    #: the row's threat (``""``: reviewed, or links are not reviewed).
    review: str = ""


#: ``threat-matrix`` columns by name, in their default order; a ``:columns:``
#: option picks and orders them.
MATRIX_COLUMNS: dict[str, str] = {
    "threat": "the threat: linked ID and title, with its severity and category badges",
    "status": "its computed overall status, and its exposure when a service in scope is "
    "worse off (``mitigated · GAP in 1 of 5 services``)",
    "services": '"k of n services covered" with the worst service status',
    "mitigations": "its mitigations, linked, with their status",
    "decisions": "its risk acceptances and not-applicable items, with their state",
    "severity": "its severity (then left out of the threat column)",
    "category": "its categories (then left out of the threat column)",
    "owner": "its owning service",
    "tags": "its tags",
}
#: Columns shown without ``:columns:``.
DEFAULT_MATRIX_COLUMNS = ("threat", "status", "services", "mitigations", "decisions")
#: The column each ``:group-by:`` makes redundant.
_GROUPED_COLUMN = {
    "category": "category",
    "severity": "severity",
    "service": "owner",
    "tag": "tags",
}


class MatrixRow(NamedTuple):
    """One threat of ``threat-matrix``."""

    threat: Link
    categories: tuple[str, ...]
    severity: str | None
    #: The owning service, or ``None`` at product level.
    service: Link | None
    mitigations: tuple[MitigationState, ...]
    #: Risk acceptances, then not-applicable items.
    decisions: tuple[MitigationState, ...]
    status: Status | None
    #: Services in scope covered, of those in scope (not counting not-applicable).
    covered: int
    total: int
    worst: Status | None
    tags: tuple[str, ...] = ()
    #: The threat's exposure (the worst of its overall status and its pair
    #: statuses); shown beside the status when it is worse.
    exposure: Status | None = None
    #: Services in scope whose pair status is the exposure, and all in scope.
    exposed: int = 0
    in_scope: int = 0


class MatrixGroup(NamedTuple):
    """Rows under one ``:group-by:`` key (``""`` when not grouped)."""

    key: str
    rows: tuple[MatrixRow, ...]


class MatrixView(NamedTuple):
    """What ``threat-matrix`` shows."""

    #: Column names (of :data:`MATRIX_COLUMNS`), in order.
    columns: tuple[str, ...]
    #: Badges the threat column carries (``severity``, ``category``).
    badges: tuple[str, ...]
    groups: tuple[MatrixGroup, ...]


#: The report's own options.
OPTIONS: dict[str, ReportOption] = {
    "columns": ReportOption(tuple(MATRIX_COLUMNS), many=True, help="which columns, in this order"),
    "group-by": ReportOption(GROUP_BY, help="one table per value; the grouped column is left out"),
}


def _group_keys(threat: Threat, group_by: str | None) -> Sequence[str]:
    match group_by:
        case "category":
            return threat.category or ("(none)",)
        case "service":
            return (threat.service or "product level",)
        case "severity":
            return (severity_word(threat.severity),)
        case "tag":
            return threat.tags or ("(none)",)
    return ("",)


def matrix_columns(request: ReportRequest) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns of a ``threat-matrix`` and the badges of its threat column."""
    group_by = request.option("group-by")
    chosen = request.option("columns")
    columns = tuple(chosen.split(",")) if chosen else DEFAULT_MATRIX_COLUMNS
    grouped = _GROUPED_COLUMN.get(group_by or "")
    columns = tuple(c for c in columns if c != grouped)
    badges = tuple(b for b in ("severity", "category") if b not in columns and b != grouped)
    return columns, badges


def matrix_view(report: Report, request: ReportRequest) -> MatrixView:
    """Rows of ``threat-matrix``, grouped."""
    group_by = request.option("group-by")
    groups: dict[str, list[MatrixRow]] = defaultdict(list)
    for threat in selected_threats(report, request.filter_map):
        pairs = report.threat_coverage(threat.id)
        counted = [c for c in pairs if c.status is not Status.NOT_APPLICABLE]
        exposure = report.exposure.get(threat.id)
        tid = threat.id
        decisions = [
            MitigationState(
                link_of(report, Kind.RISK_ACCEPTANCE, a),
                acceptance_state(report, a),
                review_mark(report, a, tid),
            )
            for a in sorted(report.acceptances_of.get(tid, ()), key=natural_key)
        ]
        decisions += [
            MitigationState(
                link_of(report, Kind.NOT_APPLICABLE, n),
                exclusion_state(report, n),
                review_mark(report, n, tid),
            )
            for n in sorted(report.exclusions_of.get(tid, ()), key=natural_key)
        ]
        row = MatrixRow(
            link_of(report, Kind.THREAT, threat.id),
            threat.category,
            threat.severity,
            link_of(report, Kind.SERVICE, threat.service) if threat.service else None,
            tuple(
                MitigationState(
                    link_of(report, Kind.MITIGATION, m),
                    mitigation_state(report, m),
                    review_mark(report, m, tid),
                )
                for m in sorted(report.mitigations_of.get(tid, ()), key=natural_key)
            ),
            tuple(decisions),
            report.threat_status.get(threat.id),
            sum(1 for c in counted if c.status.covered),
            len(counted),
            worst_status(c.status for c in counted),
            threat.tags,
            exposure,
            sum(1 for c in pairs if c.status is exposure),
            len(pairs),
        )
        for key in _group_keys(threat, group_by):
            groups[key].append(row)
    order = _group_order(report, group_by, groups)
    columns, badges = matrix_columns(request)
    return MatrixView(columns, badges, tuple(MatrixGroup(key, tuple(groups[key])) for key in order))


def _group_order(report: Report, group_by: str | None, groups: Mapping[str, object]) -> list[str]:
    if group_by == "severity":
        # unrated ranks as the most severe, ahead of it
        severities = report.settings.severities
        return sorted(groups, key=lambda s: (severity_rank(s, severities), s != UNRATED))
    return sorted(groups, key=lambda g: (g.startswith("("), g == "product level", natural_key(g)))
