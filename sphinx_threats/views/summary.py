"""What ``threat-summary`` shows: threats by status and severity, coverage
per service, gaps by kind."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from ..analysis import Report
from ..figures import CoveragePercent, overall_coverage, service_figures
from ..model import UNRATED, Kind, NaturalKey, Status, natural_key, severity_word
from .backlinks import Link, link_of
from .request import ReportRequest, selected_threats


class StatusCounts(NamedTuple):
    """Threats of one exposure (the worst of a threat's overall status and its
    services' statuses), per severity column."""

    status: str
    counts: tuple[int, ...]


class ServiceSummary(NamedTuple):
    """Coverage of one service: own threats, product threats in scope, total."""

    service: Link
    own: CoveragePercent
    in_scope: CoveragePercent
    total: CoveragePercent


class SummaryView(NamedTuple):
    """What ``threat-summary`` shows."""

    severities: tuple[str, ...]
    statuses: tuple[StatusCounts, ...]
    #: Worst coverage first.
    services: tuple[ServiceSummary, ...]
    #: (gap kind, count), by kind.
    gap_counts: tuple[tuple[str, int], ...]
    #: Coverage of the whole model (as in ``threats.json``'s summary).
    overall: CoveragePercent | None = None


def _worst_first(row: ServiceSummary) -> tuple[bool, float, float, NaturalKey]:
    total = row.total
    # services with nothing to answer go last
    return (
        total.percent is None,
        total.percent or 0.0,
        total.weighted or 0.0,
        natural_key(row.service.id),
    )


def summary_view(report: Report, request: ReportRequest) -> SummaryView:
    """Counts by status and severity; coverage per service (``threat-summary``)."""
    filters = request.filter_map
    severities = report.settings.severities
    threats = selected_threats(report, filters)
    counts: Counter[tuple[str, str]] = Counter()
    for t in threats:
        # the counts are this project's threats; another project's threats
        # (threats_external) count only where they are in scope of a service;
        # each by its exposure, so that "mitigated" never hides an open service
        if not t.location.external:
            counts[(str(report.exposure.get(t.id)), severity_word(t.severity))] += 1
    # an unrated threat ranks as the most severe: its column comes first
    severity_cols = [UNRATED] if any(k[1] == UNRATED for k in counts) else []
    severity_cols += severities
    status_rows = tuple(
        StatusCounts(status.value, tuple(counts[(status.value, s)] for s in severity_cols))
        for status in Status
    )
    wanted = {t.id for t in threats}
    services = filters.get("service") or report.services
    per_service = []
    for s in sorted(set(services) & set(report.services)):
        figures = service_figures(report, s, wanted)
        per_service.append(
            ServiceSummary(
                link_of(report, Kind.SERVICE, s), figures.own, figures.in_scope, figures.total
            )
        )
    per_service.sort(key=_worst_first)
    gap_counts = Counter(g.kind.value for g in report.gaps)
    # the overall figure is the model's, like the badge's; a filtered summary
    # does not show it (it would not be the same figure)
    overall = None if any(filters.values()) else overall_coverage(report)
    return SummaryView(
        tuple(severity_cols),
        status_rows,
        tuple(per_service),
        tuple(sorted(gap_counts.items())),
        overall,
    )
