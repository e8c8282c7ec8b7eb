"""Links to items, and the words that say an item's state beside a link.

Shared by the views of item blocks and of the reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ..analysis import AcceptanceState, Report, expiry_notice
from ..evidence import ABSENT, Result, counts_as
from ..evidence import Verdict as TestVerdict
from ..model import Kind, Mitigation, NotApplicable, RiskAcceptance, Status, natural_key
from ..review import Verdict

#: How an ``unmitigated`` status is shown.
GAP_STATUS = "GAP"


class Link(NamedTuple):
    """A link to an item, with what it shows."""

    kind: str
    id: str
    #: Title, or ``None`` when the item is not declared here.
    title: str | None
    #: Target page (part of the view so a move rewrites the referring page);
    #: ``""`` when the item is on no page of this project.
    docname: str = ""
    #: An absolute URI (an item of another project), used when ``docname`` is empty.
    uri: str = ""
    #: The member project (``threats_aggregate``) that declares it (``""``: none).
    project: str = ""


class BackLink(NamedTuple):
    """One computed back-link: the other item, its state there, and what decides it."""

    link: Link
    #: A computed status, a state word (``valid until ...``), or nothing.
    state: Status | str | None = None
    #: For (threat, service) pairs: what decides the pair's status.
    by: tuple[Link, ...] = ()


def link_of(report: Report, kind: Kind, ident: str) -> Link:
    """A link to ``ident`` (a kind-checked lookup)."""
    item = report.get(ident, kind)
    if item is None:
        return Link(kind.value, ident, None)
    where = item.location
    return Link(kind.value, ident, item.title, where.docname, where.uri, where.project)


def threat_links(
    report: Report, ids: Iterable[str], statuses: Mapping[str, Status] | None = None
) -> tuple[BackLink, ...]:
    """Back-links to threats in natural ID order, each with its overall status
    (or its status in ``statuses``, e.g. the exposure)."""
    shown = report.threat_status if statuses is None else statuses
    return tuple(
        BackLink(link_of(report, Kind.THREAT, t), shown.get(t))
        for t in sorted(dict.fromkeys(ids), key=natural_key)
    )


def decided_by(report: Report, ident: str) -> Link:
    """A link to what decides a status (a mitigation, an acceptance, an exclusion)."""
    item = report.index.get(ident)
    kind = item.kind if item is not None else Kind.MITIGATION
    return link_of(report, kind, ident)


def mitigation_state(report: Report, ident: str) -> str:
    """A mitigation's state in words (``implemented, partial``)."""
    mit = report.get(ident, Kind.MITIGATION)
    if not isinstance(mit, Mitigation):
        return "unknown"
    state = mitigation_status(report, mit)
    return state if mit.is_full else f"{state}, partial"


def _tests(count: int) -> str:
    return f"{count} test{'' if count == 1 else 's'}"


def mitigation_status(report: Report, mit: Mitigation) -> str:
    """A mitigation's status with what its tests say (``threats_evidence``):
    ``verified, 3 tests passed``; ``implemented, 1 of 3 tests failing`` (a
    verified one whose evidence fails counts as implemented); ``implemented,
    1 of 3 tests missing``.  Words, never a colour or a sign alone (and no
    sign a LaTeX engine lacks)."""
    evidence = report.evidence.get(mit.id)
    status = counts_as(mit, evidence)
    if evidence is None:
        return status
    total = len(evidence.tests)
    if evidence.verdict is TestVerdict.PASSED:
        return f"{status}, {_tests(total)} passed"
    if evidence.verdict is TestVerdict.FAILING:
        failing = evidence.count(Result.FAILED, Result.ERROR)
        return f"{status}, {failing} of {_tests(total)} failing"
    missing = evidence.count(Result.SKIPPED, ABSENT)
    return f"{status}, {missing} of {_tests(total)} missing"


#: The first word of the state of a valid acceptance that expires within
#: ``threats_expiry_notice_days`` (its ``expiring-acceptance`` gap).
EXPIRING = "expiring"


def acceptance_state(report: Report, ident: str) -> str:
    """A risk acceptance's state in words (``valid until 2030-01-01``;
    ``expiring, valid until 2026-06-20`` within the expiry notice: a word,
    not a colour alone, tells it from one that holds for long)."""
    acc = report.get(ident, Kind.RISK_ACCEPTANCE)
    if not isinstance(acc, RiskAcceptance):
        return "unknown"
    state = report.acceptance_state.get(ident, AcceptanceState.INVALID)
    if state is not AcceptanceState.VALID:
        return state.value
    if acc.expires is None:
        return "valid"
    valid = f"valid until {acc.expires.isoformat()}"
    return f"{EXPIRING}, {valid}" if acc.expires <= expiry_notice(report.settings) else valid


def review_mark(report: Report, decision: str, threat: str) -> str:
    """The review of a decision's link to a threat in a word (``suspect``,
    ``unreviewed``), ``""`` when reviewed or when links are not reviewed."""
    review = report.reviews.get((decision, threat))
    if review is None or review.verdict is Verdict.REVIEWED:
        return ""
    return review.verdict.value


def review_notes(report: Report, decision: str, threats: Iterable[str]) -> str:
    """The reviews of a decision's links in words (``TM-1 suspect: reviewed
    2026-05-01 by alice``), ``""`` when links are not reviewed."""
    notes = []
    for threat in dict.fromkeys(threats):
        review = report.reviews.get((decision, threat))
        if review is None:
            continue
        note = f"{threat} {review.verdict.value}"
        if review.latest is not None and review.verdict is not Verdict.UNREVIEWED:
            note += f" (last reviewed {review.latest.date} by {review.latest.reviewer})"
        notes.append(note)
    return "; ".join(notes)


def exclusion_state(report: Report, ident: str) -> str:
    """Where a not-applicable holds, in words (``for web``, ``whole product``)."""
    na = report.get(ident, Kind.NOT_APPLICABLE)
    if isinstance(na, NotApplicable) and na.service:
        return f"for {na.service}"
    return "whole product"
