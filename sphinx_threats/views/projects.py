"""What ``threat-projects`` shows: one row per member project (``threats_aggregate``)."""

from __future__ import annotations

from typing import NamedTuple

from ..analysis import Report
from ..figures import CoveragePercent, coverage_percentages
from ..model import Kind, MemberSummary, Status
from .backlinks import Link, link_of
from .request import ReportRequest


class ProjectRow(NamedTuple):
    """One member project: what the build read of it and what it answers."""

    member: MemberSummary
    #: Its services (linked to its pages).
    services: tuple[Link, ...]
    #: Its coverage of the threats in scope for its services (this project's
    #: threats and its own, by the pairs' and their overall statuses).
    coverage: CoveragePercent
    #: Its gaps in this build, by kind (sorted).
    gaps: tuple[tuple[str, int], ...]


def projects_view(report: Report, request: ReportRequest) -> tuple[ProjectRow, ...]:
    """Every member project, in ``threats_aggregate`` order (``threat-projects``)."""
    rows = []
    for member in report.members:
        services = [s for s in report.services if _project(report, s) == member.name]
        answers = [
            pair
            for s in services
            for pair in report.service_coverage(s)
            if pair.status is not Status.NOT_APPLICABLE
        ]
        counts: dict[str, int] = {}
        for gap in report.gaps:
            if gap.location.project == member.name:
                counts[gap.kind.value] = counts.get(gap.kind.value, 0) + 1
        rows.append(
            ProjectRow(
                member,
                tuple(link_of(report, Kind.SERVICE, s) for s in services),
                coverage_percentages(report, answers),
                tuple(sorted(counts.items())),
            )
        )
    return tuple(rows)


def _project(report: Report, service: str) -> str:
    item = report.index.get(service)
    return item.location.project if item is not None else ""
