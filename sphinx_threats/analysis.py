"""Coverage and gap analysis: pure functions over a :class:`~.model.ThreatModel`.

No Sphinx here.  :func:`analyse` computes, in time linear in the model and the
number of (threat, service) pairs in scope:

* the scope of every threat (``:applies-to:`` with ``*``/``!ID``, plus the
  services listing it in ``:exposed-to:``; never its owning service);
* the mitigations covering each pair (the mitigation's own service, its
  ``:applies-to:``, or a service that ``:relies-on:`` it);
* the overall status of every threat and the status of every pair, following
  the first-match rules of the SPEC;
* every gap, with the location where it must be fixed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .model import (
    GapKind,
    Item,
    Kind,
    Location,
    Mitigation,
    NotApplicable,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatModel,
)

DEFAULT_SEVERITIES = ("critical", "high", "medium", "low", "info")


def _never_external(kind: Kind, ident: str) -> bool:
    return False


@dataclass(frozen=True)
class Settings:
    """What the analysis needs from the configuration."""

    #: The date every date check uses.
    today: dt.date
    #: ``expiring-acceptance`` this many days ahead.
    expiry_notice_days: int = 30
    #: Acceptances without ``:approved-by:`` accept nothing.
    acceptance_requires_approval: bool = False
    #: Allowed severities, most severe first (for weights and thresholds).
    severities: tuple[str, ...] = DEFAULT_SEVERITIES
    #: Whether an ID unknown here is known elsewhere (intersphinx, external
    #: models); such references are not reported.
    is_external: Callable[[Kind, str], bool] = field(default=_never_external, compare=False)


class Coverage(NamedTuple):
    """The status of one (threat, service) pair in scope."""

    #: Threat ID.
    threat: str
    #: Service ID.
    service: str
    status: Status
    #: IDs of what decides the status (mitigations, acceptances, exclusions).
    by: tuple[str, ...]


class Gap(NamedTuple):
    """One problem to report."""

    kind: GapKind
    #: What is wrong and how to fix it (without the subtype).
    message: str
    #: Every ID it concerns (for a service gap: the threat's, then the service's).
    ids: tuple[str, ...]
    location: Location
    #: Severity of the threat(s) concerned, for ``threats_fail_min_severity``;
    #: ``None`` when a threat has no usable severity.
    severity: str | None = None
    #: Whether the gap concerns threats at all (only those are graded).
    graded: bool = False


@dataclass
class Report:
    """Everything the analysis found; derived data, recomputed every build."""

    model: ThreatModel
    settings: Settings
    #: The first declaration of every ID.
    index: dict[str, Item]
    #: IDs of the declared services, sorted.
    services: list[str]
    #: Overall status of every threat.
    threat_status: dict[str, Status]
    #: What decides each threat's overall status.
    threat_by: dict[str, tuple[str, ...]]
    #: Services in scope for each threat, sorted.
    scope: dict[str, tuple[str, ...]]
    #: Status of every pair in scope, keyed by (threat, service).
    coverage: dict[tuple[str, str], Coverage]
    gaps: list[Gap]
    #: Whether each risk acceptance accepts anything.
    acceptance_valid: dict[str, bool]
    #: Back-link indexes (ID lists sorted).
    mitigations_of: dict[str, list[str]]
    acceptances_of: dict[str, list[str]]
    exclusions_of: dict[str, list[str]]
    threats_of_actor: dict[str, list[str]]
    threats_of_service: dict[str, list[str]]
    scope_of_service: dict[str, list[str]]
    relied_on_by: dict[str, list[str]]

    def get(self, ident: str, kind: Kind) -> Item | None:
        """The item declared with ``ident`` if it is of ``kind``."""
        item = self.index.get(ident)
        return item if item is not None and item.kind is kind else None

    def threat(self, ident: str) -> Threat | None:
        """The threat ``ident``, if declared."""
        item = self.index.get(ident)
        return item if isinstance(item, Threat) else None

    def status_of(self, ident: str) -> Status | None:
        """Computed status of a threat (overall)."""
        return self.threat_status.get(ident)

    def service_coverage(self, service: str) -> list[Coverage]:
        """Pairs of one service, by threat ID."""
        return [self.coverage[(t, service)] for t in self.scope_of_service.get(service, [])]

    def threat_coverage(self, threat: str) -> list[Coverage]:
        """Pairs of one threat, by service ID."""
        return [self.coverage[(threat, s)] for s in self.scope.get(threat, ())]


def severity_rank(severity: str | None, severities: Sequence[str]) -> int:
    """0 for the most severe; a missing or unknown severity counts as the most severe."""
    if severity is None or severity not in severities:
        return 0
    return severities.index(severity)


def severity_weight(severity: str | None, severities: Sequence[str]) -> int:
    """Weight of a pair in the weighted coverage.

    With ``n`` severities the most severe weighs ``n`` and the least ``1``
    (``critical`` 5, ``high`` 4, ``medium`` 3, ``low`` 2, ``info`` 1 by default);
    a threat without a usable severity weighs as the most severe.
    """
    return len(severities) - severity_rank(severity, severities) if severities else 1


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


def _expand(terms: Iterable[str], services: Iterable[str], known: Mapping[str, Item]) -> set[str]:
    """Service IDs named by ``:applies-to:`` terms (``*`` = every service)."""
    added: set[str] = set()
    removed: set[str] = set()
    for term in terms:
        if term == "*":
            added.update(services)
        elif term.startswith("!"):
            removed.add(term[1:])
        elif isinstance(known.get(term), Service):
            added.add(term)
    return added - removed


def _status_from(mitigations: Iterable[Mitigation]) -> tuple[Status, tuple[str, ...]]:
    full: list[str] = []
    partial: list[str] = []
    planned: list[str] = []
    for mit in mitigations:
        if mit.in_effect:
            (full if mit.is_full else partial).append(mit.id)
        else:
            planned.append(mit.id)
    if full:
        return Status.MITIGATED, tuple(full)
    if partial:
        return Status.PARTIAL, tuple(partial)
    if planned:
        return Status.PLANNED, tuple(planned)
    return Status.UNMITIGATED, ()


def _fmt(location: Location) -> str:
    return f"{location.file}:{location.lineno}"


def analyse(model: ThreatModel, settings: Settings) -> Report:
    """Compute scope, coverage, statuses and gaps of ``model``."""
    today = settings.today
    gaps: list[Gap] = [Gap(p.kind, p.message, p.ids, p.location) for p in model.problems]

    # -- the first declaration of each ID wins; later ones are duplicates
    index: dict[str, Item] = {}
    for item in model.items:
        first = index.get(item.id)
        if first is None:
            index[item.id] = item
        elif not item.id.startswith("@"):
            gaps.append(
                Gap(
                    GapKind.DUPLICATE_ID,
                    f"duplicate ID {item.id!r}: this {item.kind.value} at "
                    f"{_fmt(item.location)} reuses the ID of the {first.kind.value} at "
                    f"{_fmt(first.location)}; give one of them another ID",
                    (item.id,),
                    item.location,
                )
            )

    services = sorted(i for i, it in index.items() if isinstance(it, Service))
    threats = {i: it for i, it in index.items() if isinstance(it, Threat)}
    mitigations = [it for it in index.values() if isinstance(it, Mitigation)]
    acceptances = [it for it in index.values() if isinstance(it, RiskAcceptance)]
    exclusions = [it for it in index.values() if isinstance(it, NotApplicable)]
    service_items = {s: index[s] for s in services}

    def severity_of(ids: Iterable[str]) -> str | None:
        found = [threats[t].severity for t in ids if t in threats]
        if not found:
            return None
        return min(found, key=lambda s: severity_rank(s, settings.severities))

    # -- references: every ID an option or role names must exist with the right kind
    for item in index.values():
        for option, kind, ref in item.references():
            target = index.get(ref)
            if (target is None or target.kind is not kind) and not settings.is_external(kind, ref):
                gaps.append(
                    _unknown_ref(
                        ref,
                        kind,
                        item.id,
                        Location(item.location.file, item.line_of(option), item.location.docname),
                        f"{item.kind.value} {item.id!r} (:{option}:)",
                        target,
                    )
                )
    for ref_role in model.references:
        target = index.get(ref_role.target)
        if (target is None or target.kind is not ref_role.kind) and not settings.is_external(
            ref_role.kind, ref_role.target
        ):
            gaps.append(
                _unknown_ref(
                    ref_role.target,
                    ref_role.kind,
                    None,
                    ref_role.location,
                    f"the :{ref_role.kind.value}: role",
                    target,
                )
            )

    # -- back-link indexes
    mitigations_of: dict[str, list[str]] = defaultdict(list)
    acceptances_of: dict[str, list[str]] = defaultdict(list)
    exclusions_of: dict[str, list[str]] = defaultdict(list)
    threats_of_actor: dict[str, list[str]] = defaultdict(list)
    threats_of_service: dict[str, list[str]] = defaultdict(list)
    relied_on_by: dict[str, list[str]] = defaultdict(list)
    for mit in mitigations:
        for t in dict.fromkeys(mit.mitigates):
            mitigations_of[t].append(mit.id)
        if mit.mitigates and not any(t in threats for t in mit.mitigates):
            gaps.append(
                Gap(
                    GapKind.ORPHAN_MITIGATION,
                    f"mitigation {mit.id!r} mitigates no declared threat "
                    f"({', '.join(mit.mitigates)}); fix :mitigates: or remove it",
                    (mit.id, *mit.mitigates),
                    Location(mit.location.file, mit.line_of("mitigates"), mit.location.docname),
                )
            )
    for acc in acceptances:
        for t in dict.fromkeys(acc.threats):
            acceptances_of[t].append(acc.id)
    for na in exclusions:
        for t in dict.fromkeys(na.threats):
            exclusions_of[t].append(na.id)
    for threat in threats.values():
        for actor in dict.fromkeys(threat.actors):
            threats_of_actor[actor].append(threat.id)
        if threat.service:
            threats_of_service[threat.service].append(threat.id)
    for s in services:
        for m in dict.fromkeys(service_items[s].relies_on):  # type: ignore[attr-defined]
            relied_on_by[m].append(s)

    # -- acceptances: valid ones accept; expired/expiring ones are reported
    acceptance_valid: dict[str, bool] = {}
    notice = today + dt.timedelta(days=settings.expiry_notice_days)
    for acc in acceptances:
        valid = bool(acc.threats and acc.owner and acc.expires is not None)
        where = Location(acc.location.file, acc.line_of("expires"), acc.location.docname)
        if acc.expires is not None and acc.expires < today:
            valid = False
            gaps.append(
                Gap(
                    GapKind.EXPIRED_ACCEPTANCE,
                    f"risk acceptance {acc.id!r} expired on {acc.expires.isoformat()} and no "
                    f"longer accepts {', '.join(acc.threats) or 'anything'}; renew it with a new "
                    ":expires: date or mitigate the threats",
                    (acc.id, *acc.threats),
                    where,
                    severity_of(acc.threats),
                    True,
                )
            )
        elif acc.expires is not None and acc.expires < notice:
            gaps.append(
                Gap(
                    GapKind.EXPIRING_ACCEPTANCE,
                    f"risk acceptance {acc.id!r} expires on {acc.expires.isoformat()} (within "
                    f"{settings.expiry_notice_days} days); plan its renewal or the mitigation",
                    (acc.id, *acc.threats),
                    where,
                    severity_of(acc.threats),
                    True,
                )
            )
        if settings.acceptance_requires_approval and not acc.approved_by:
            valid = False
            gaps.append(
                Gap(
                    GapKind.INVALID,
                    f"risk acceptance {acc.id!r} has no :approved-by: and "
                    "threats_acceptance_requires_approval is set, so it accepts nothing",
                    (acc.id,),
                    acc.location,
                )
            )
        acceptance_valid[acc.id] = valid

    # -- overdue mitigations
    for mit in mitigations:
        if not mit.in_effect and mit.due is not None and mit.due < today:
            gaps.append(
                Gap(
                    GapKind.OVERDUE_MITIGATION,
                    f"mitigation {mit.id!r} is {mit.status or 'planned'} but was due on "
                    f"{mit.due.isoformat()}; implement it, or update :status: or :due:",
                    (mit.id, *mit.mitigates),
                    Location(mit.location.file, mit.line_of("due"), mit.location.docname),
                    severity_of(mit.mitigates),
                    True,
                )
            )

    # -- which services each mitigation covers
    covers_all: set[str] = set()
    covers: dict[str, set[str]] = {}
    for mit in mitigations:
        cov: set[str] = set()
        if "*" in mit.applies_to and not any(t.startswith("!") for t in mit.applies_to):
            # every service: a flag rather than a set of them all
            covers_all.add(mit.id)
        elif mit.applies_to:
            cov = _expand(mit.applies_to, services, index)
        if mit.service:
            cov.add(mit.service)
        covers[mit.id] = cov
    for m, relying in relied_on_by.items():
        if m in covers:
            covers[m].update(relying)

    # -- scope of each threat
    exposed: dict[str, list[str]] = defaultdict(list)
    for s in services:
        for t in service_items[s].exposed_to:  # type: ignore[attr-defined]
            exposed[t].append(s)
    scope: dict[str, tuple[str, ...]] = {}
    scope_of_service: dict[str, list[str]] = defaultdict(list)
    for t, threat in threats.items():
        in_scope = _expand(threat.applies_to, services, index) if threat.applies_to else set()
        in_scope.update(exposed.get(t, ()))
        in_scope.discard(threat.service or "")
        scope[t] = tuple(sorted(in_scope))
        for s in scope[t]:
            scope_of_service[s].append(t)

    # -- statuses
    valid_acc = {a.id: a for a in acceptances if acceptance_valid[a.id]}
    threat_status: dict[str, Status] = {}
    threat_by: dict[str, tuple[str, ...]] = {}
    coverage: dict[tuple[str, str], Coverage] = {}
    mit_by_id = {m.id: m for m in mitigations}
    excl_by_id = {n.id: n for n in exclusions}
    for t, threat in threats.items():
        product_na = tuple(n for n in exclusions_of.get(t, ()) if excl_by_id[n].service is None)
        my_acc = [valid_acc[a] for a in acceptances_of.get(t, ()) if a in valid_acc]
        my_mits = [mit_by_id[m] for m in mitigations_of.get(t, ())]
        if product_na:
            status, by = Status.NOT_APPLICABLE, product_na
        else:
            overall_acc = tuple(
                a.id for a in my_acc if a.service is None or a.service == threat.service
            )
            if overall_acc:
                status, by = Status.ACCEPTED, overall_acc
            else:
                status, by = _status_from(my_mits)
        threat_status[t] = status
        threat_by[t] = by

        if not scope[t]:
            continue
        service_na: dict[str, list[str]] = defaultdict(list)
        for n in exclusions_of.get(t, ()):
            if excl_by_id[n].service is not None:
                service_na[excl_by_id[n].service or ""].append(n)
        for s in scope[t]:
            if product_na or s in service_na:
                pair = (Status.NOT_APPLICABLE, (*service_na.get(s, ()), *product_na))
            else:
                pair_acc = tuple(a.id for a in my_acc if a.service is None or a.service == s)
                if pair_acc:
                    pair = (Status.ACCEPTED, pair_acc)
                else:
                    pair = _status_from(
                        m for m in my_mits if m.id in covers_all or s in covers[m.id]
                    )
            coverage[(t, s)] = Coverage(t, s, pair[0], pair[1])

    gaps.extend(_status_gaps(threats, threat_status, coverage, service_items))
    gaps.sort(key=gap_order)
    return Report(
        model=model,
        settings=settings,
        index=index,
        services=services,
        threat_status=threat_status,
        threat_by=threat_by,
        scope=scope,
        coverage=coverage,
        gaps=gaps,
        acceptance_valid=acceptance_valid,
        mitigations_of=dict(mitigations_of),
        acceptances_of=dict(acceptances_of),
        exclusions_of=dict(exclusions_of),
        threats_of_actor=dict(threats_of_actor),
        threats_of_service=dict(threats_of_service),
        scope_of_service=dict(scope_of_service),
        relied_on_by=dict(relied_on_by),
    )


def gap_order(gap: Gap) -> tuple[str, int, str, tuple[str, ...], str]:
    """Report order: file, line, subtype (then IDs and message for stability)."""
    return (gap.location.file, gap.location.lineno, gap.kind.value, gap.ids, gap.message)


def _unknown_ref(
    ref: str,
    kind: Kind,
    referrer: str | None,
    location: Location,
    where: str,
    found: Item | None,
) -> Gap:
    if found is not None:
        detail = f"{ref!r} is a {found.kind.value}, not a {kind.value}"
    else:
        detail = f"no {kind.value} has the ID {ref!r}"
    ids = (ref,) if referrer is None else (ref, referrer)
    return Gap(
        GapKind.UNKNOWN_REF,
        f"{where} names an unknown {kind.value}: {detail}; fix the ID or declare the item",
        ids,
        location,
    )


_STATUS_GAP = {
    Status.UNMITIGATED: GapKind.UNMITIGATED,
    Status.PLANNED: GapKind.PLANNED_ONLY,
    Status.PARTIAL: GapKind.PARTIAL_ONLY,
}


def _status_gaps(
    threats: Mapping[str, Threat],
    threat_status: Mapping[str, Status],
    coverage: Mapping[tuple[str, str], Coverage],
    service_items: Mapping[str, Item],
) -> Iterable[Gap]:
    for t, status in threat_status.items():
        kind = _STATUS_GAP.get(status)
        if kind is None:
            continue
        threat = threats[t]
        if status is Status.UNMITIGATED:
            message = (
                f"threat {t!r} ({threat.title}) is unmitigated: add a mitigation with "
                f":mitigates: {t}, a risk-acceptance or a not-applicable"
            )
        elif status is Status.PLANNED:
            message = f"threat {t!r} ({threat.title}) has only planned or in-progress mitigations"
        else:
            message = f"threat {t!r} ({threat.title}) has only partial mitigations in effect"
        yield Gap(kind, message, (t,), threat.location, threat.severity, True)
    for (t, s), pair in coverage.items():
        kind = _STATUS_GAP.get(pair.status)
        if kind is None:
            continue
        threat = threats[t]
        kind = GapKind.SERVICE_GAP if pair.status is Status.UNMITIGATED else kind
        if pair.status is Status.UNMITIGATED:
            message = (
                f"service {s!r} is in scope for threat {t!r} ({threat.title}) but nothing "
                f"covers it there: add a mitigation of {t} for {s}, list a platform control "
                f"in :relies-on:, or add a risk-acceptance or not-applicable for {s}"
            )
        elif pair.status is Status.PLANNED:
            message = (
                f"service {s!r} has only planned or in-progress mitigations for threat "
                f"{t!r} ({threat.title})"
            )
        else:
            message = (
                f"service {s!r} has only partial mitigations in effect for threat "
                f"{t!r} ({threat.title})"
            )
        yield Gap(kind, message, (t, s), service_items[s].location, threat.severity, True)
