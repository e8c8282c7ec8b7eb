"""Coverage figures and build failure, read from an analysis :class:`~.analysis.Report`.

No Sphinx here.  What the reports, ``threats.json`` and the build's exit status
show as numbers: the coverage of some (threat, service) pairs as counts and
percentages (plain and weighted by severity), the figures of one service and
of the whole model, and which gaps fail the build.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import NamedTuple

from .analysis import Coverage, Report, severity_rank
from .model import Gap, Status


def severity_weight(severity: str | None, severities: Sequence[str]) -> int:
    """Weight of a pair in the weighted coverage.

    With ``n`` severities the most severe weighs ``n`` and the least ``1``
    (``critical`` 5, ``high`` 4, ``medium`` 3, ``low`` 2, ``info`` 1 by default);
    a threat without a usable severity weighs as the most severe.
    """
    return len(severities) - severity_rank(severity, severities) if severities else 1


class CoveragePercent(NamedTuple):
    """Coverage of some pairs: counts and percentages (``None`` with no pairs)."""

    covered: int
    total: int
    percent: float | None
    weighted: float | None


def coverage_percentages(report: Report, pairs: Sequence[Coverage]) -> CoveragePercent:
    """(covered, in scope, percent, severity-weighted percent) of some pairs."""
    if not pairs:
        return CoveragePercent(0, 0, None, None)
    severities = report.settings.severities

    def weight(c: Coverage) -> int:
        threat = report.threat(c.threat)
        return severity_weight(threat.severity if threat else None, severities)

    covered = [c for c in pairs if c.status.covered]
    total_weight = sum(weight(c) for c in pairs)
    return CoveragePercent(
        len(covered),
        len(pairs),
        round(100 * len(covered) / len(pairs), 1),
        round(100 * sum(weight(c) for c in covered) / total_weight, 1),
    )


class ServiceFigures(NamedTuple):
    """Coverage of one service (SPEC "Coverage of a service")."""

    service: str
    #: Its own threats, each by its overall status.
    own: CoveragePercent
    #: The product threats in scope for it, each by the pair's status.
    in_scope: CoveragePercent
    #: Both together.
    total: CoveragePercent


def service_answers(
    report: Report, service: str, wanted: Container[str] | None = None
) -> tuple[list[Coverage], list[Coverage]]:
    """What ``service`` must answer: its own threats (as pairs carrying the
    threat's overall status) and the product threats in scope (their pairs),
    leaving out ``not-applicable`` ones and, given ``wanted``, other threats."""
    own = [
        Coverage(t, service, report.threat_status[t], report.threat_by.get(t, ()))
        for t in dict.fromkeys(report.threats_of_service.get(service, ()))
        if (wanted is None or t in wanted)
        and report.threat_status.get(t, Status.NOT_APPLICABLE) is not Status.NOT_APPLICABLE
    ]
    in_scope = [
        c
        for c in report.service_coverage(service)
        if (wanted is None or c.threat in wanted) and c.status is not Status.NOT_APPLICABLE
    ]
    return own, in_scope


def service_figures(
    report: Report, service: str, wanted: Container[str] | None = None
) -> ServiceFigures:
    """Coverage of ``service``: own threats, product threats in scope, total."""
    own, in_scope = service_answers(report, service, wanted)
    return ServiceFigures(
        service,
        coverage_percentages(report, own),
        coverage_percentages(report, in_scope),
        coverage_percentages(report, own + in_scope),
    )


def overall_coverage(report: Report) -> CoveragePercent:
    """Coverage of the whole model: every answer a service owes (its own
    threats and its product threats in scope, as in :func:`service_figures`),
    plus, by its overall status, each threat of this project that no declared
    service owns or has in scope (``not-applicable`` ones left out)."""
    answers: list[Coverage] = []
    answered: set[str] = set()
    for service in report.services:
        own, in_scope = service_answers(report, service)
        answers += own
        answers += in_scope
        answered.update(report.scope_of_service.get(service, ()))
        answered.update(report.threats_of_service.get(service, ()))
    for threat in report.threats():
        status = report.threat_status.get(threat.id, Status.NOT_APPLICABLE)
        if (
            threat.id not in answered
            and status is not Status.NOT_APPLICABLE
            and not threat.location.external  # another project's to answer
        ):
            answers.append(Coverage(threat.id, "", status, report.threat_by.get(threat.id, ())))
    return coverage_percentages(report, answers)


def fails(
    gap: Gap, fail_on: Iterable[str], min_severity: str | None, severities: Sequence[str]
) -> bool:
    """Whether ``gap`` fails the build under ``threats_fail_on`` and
    ``threats_fail_min_severity``."""
    if gap.kind.value not in set(fail_on):
        return False
    if min_severity is None or not gap.graded or min_severity not in severities:
        return True
    return severity_rank(gap.severity, severities) <= severities.index(min_severity)
