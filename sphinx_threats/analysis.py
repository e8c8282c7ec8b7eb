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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import chain
from operator import attrgetter
from typing import NamedTuple, cast

from ._util import paused_gc
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
    #: Status of every pair in scope, per threat (by service ID).
    pairs_of_threat: dict[str, list[Coverage]]
    gaps: list[Gap]
    #: Whether each risk acceptance accepts anything.
    acceptance_valid: dict[str, bool]
    #: Back-link indexes (ID lists sorted).
    mitigations_of: dict[str, list[str]]
    acceptances_of: dict[str, list[str]]
    exclusions_of: dict[str, list[str]]
    threats_of_actor: dict[str, list[str]]
    threats_of_service: dict[str, list[str]]
    relied_on_by: dict[str, list[str]]

    # Indexes by service and by pair are built on first use: the analysis
    # itself only needs the pairs of each threat.

    @cached_property
    def pairs_of_service(self) -> dict[str, list[Coverage]]:
        """Status of every pair in scope, per service (in threat order)."""
        out: dict[str, list[Coverage]] = defaultdict(list)
        for pairs in self.pairs_of_threat.values():
            for pair in pairs:
                out[pair.service].append(pair)
        return dict(out)

    @cached_property
    def coverage(self) -> dict[tuple[str, str], Coverage]:
        """Status of every pair in scope, keyed by (threat, service)."""
        return {
            (pair.threat, pair.service): pair
            for pairs in self.pairs_of_threat.values()
            for pair in pairs
        }

    @cached_property
    def scope_of_service(self) -> dict[str, list[str]]:
        """Threats in scope for each service."""
        return {s: [p.threat for p in pairs] for s, pairs in self.pairs_of_service.items()}

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
        """Pairs of one service, in threat order."""
        return self.pairs_of_service.get(service, [])

    def threat_coverage(self, threat: str) -> list[Coverage]:
        """Pairs of one threat, by service ID."""
        return self.pairs_of_threat.get(threat, [])


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


def _expand(terms: Sequence[str], services: set[str]) -> set[str]:
    """Service IDs named by ``:applies-to:`` terms (``*`` = every service)."""
    if "*" not in terms:
        named = services.intersection(terms)
        if len(named) == len(terms):  # the common case: plain service IDs
            return named
    added: set[str] = set()
    removed: set[str] = set()
    for term in terms:
        if term == "*":
            added.update(services)
        elif term.startswith("!"):
            removed.add(term[1:])
        elif term in services:
            added.add(term)
    return added - removed


#: Status by rank: what the best mitigations in a set achieve.
_RANKED = (Status.MITIGATED, Status.PARTIAL, Status.PLANNED, Status.UNMITIGATED)

# Coverage records are made by the hundred thousand; tuple.__new__ skips the
# Python-level NamedTuple constructor.
_new_coverage: Callable[[tuple[object, ...]], Coverage] = partial(tuple.__new__, Coverage)


def _pair_with_decisions(
    t: str,
    s: str,
    mitigations: Sequence[tuple[str, int, set[str] | None]],
    acceptances: Sequence[RiskAcceptance],
    exclusions: Sequence[NotApplicable],
    product_na: tuple[str, ...],
) -> Coverage:
    """Status of (t, s) when exclusions or acceptances may decide it."""
    excluded = tuple(n.id for n in exclusions if n.service == s) + product_na
    if excluded:
        return _new_coverage((t, s, Status.NOT_APPLICABLE, excluded))
    accepted = tuple(a.id for a in acceptances if a.service is None or a.service == s)
    if accepted:
        return _new_coverage((t, s, Status.ACCEPTED, accepted))
    return _new_coverage((t, s, *_best(mitigations, s)))


_IN_EFFECT = frozenset({"implemented", "verified"})


def _rank(mit: Mitigation) -> int:
    """0: full and in effect; 1: partial (or unknown effect) in effect; 2: planned
    (the same rules as ``Mitigation.in_effect`` and ``is_full``, inlined: this
    runs once per mitigation)."""
    if mit.status in _IN_EFFECT:
        return 0 if mit.effect == "full" else 1
    return 2


def _best(
    mitigations: Iterable[tuple[str, int, set[str] | None]], service: str | None
) -> tuple[Status, tuple[str, ...]]:
    """Status achieved by the best of ``mitigations`` (those covering
    ``service``, or all when it is ``None``) and the IDs achieving it."""
    best = 3
    by: tuple[str, ...] = ()
    for ident, rank, covered in mitigations:
        if service is not None and covered is not None and service not in covered:
            continue
        if rank < best:
            best, by = rank, (ident,)
        elif rank == best:
            by += (ident,)
    return _RANKED[best], by


def _fmt(location: Location) -> str:
    return f"{location.file}:{location.lineno}"


def analyse(model: ThreatModel, settings: Settings) -> Report:
    """Compute scope, coverage, statuses and gaps of ``model``."""
    # a record per pair in scope, and no reference cycles among them
    with paused_gc():
        return _analyse(model, settings)


def _analyse(model: ThreatModel, settings: Settings) -> Report:
    today = settings.today
    gaps: list[Gap] = [Gap(p.kind, p.message, p.ids, p.location) for p in model.problems]

    # -- the first declaration of each ID wins; later ones are duplicates
    index: dict[str, Item] = {}
    known: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    by_class: dict[type[Item], list[Item]] = defaultdict(list)
    for item in model.items:
        ident = item.id
        first = index.get(ident)
        if first is None:
            index[ident] = item
            known[item.kind].add(ident)
            by_class[type(item)].append(item)
        elif not ident.startswith("@"):
            gaps.append(
                Gap(
                    GapKind.DUPLICATE_ID,
                    f"duplicate ID {ident!r}: this {item.kind.value} at "
                    f"{_fmt(item.location)} reuses the ID of the {first.kind.value} at "
                    f"{_fmt(first.location)}; give one of them another ID",
                    (ident,),
                    item.location,
                )
            )
    services = sorted(known[Kind.SERVICE])
    service_set = known[Kind.SERVICE]
    service_items = cast("dict[str, Service]", {s: index[s] for s in services})
    threats = {t.id: t for t in cast("list[Threat]", by_class[Threat])}
    mitigations = cast("list[Mitigation]", by_class[Mitigation])
    acceptances = cast("list[RiskAcceptance]", by_class[RiskAcceptance])
    exclusions = cast("list[NotApplicable]", by_class[NotApplicable])

    def severity_of(ids: Iterable[str]) -> str | None:
        found = [threats[t].severity for t in ids if t in threats]
        if not found:
            return None
        return min(found, key=lambda s: severity_rank(s, settings.severities))

    # -- references: every ID an option or role names must exist with the right kind
    for cls, items in by_class.items():
        for option, attr, kind in cls.REFERENCES:
            # one set difference per option; items are scanned only when it
            # finds an unknown ID, to say where
            if not _unknown_names(_referenced(items, attr), known[kind]):
                continue
            for item in items:
                gaps.extend(_unknown_refs(item, option, attr, kind, known[kind], index, settings))
    for ref_role in model.references:
        if ref_role.target in known[ref_role.kind] or settings.is_external(
            ref_role.kind, ref_role.target
        ):
            continue
        gaps.append(
            _unknown_ref(
                ref_role.target,
                ref_role.kind,
                None,
                ref_role.location,
                f"the :{ref_role.kind.value}: role",
                index.get(ref_role.target),
            )
        )

    # -- services: what they are exposed to and which controls they rely on
    exposed: dict[str, list[str]] = defaultdict(list)
    relied_on_by: dict[str, list[str]] = defaultdict(list)
    for s, service in service_items.items():
        for t in service.exposed_to:
            exposed[t].append(s)
        for m in service.relies_on:
            relied_on_by[m].append(s)

    # -- threats: back-links and scope (never the owning service)
    threats_of_actor: dict[str, list[str]] = defaultdict(list)
    threats_of_service: dict[str, list[str]] = defaultdict(list)
    scope: dict[str, tuple[str, ...]] = {}
    for t, threat in threats.items():
        for actor in _distinct(threat.actors):
            threats_of_actor[actor].append(t)
        if threat.service:
            threats_of_service[threat.service].append(t)
        in_scope = _expand(threat.applies_to, service_set) if threat.applies_to else set()
        if t in exposed:
            in_scope.update(exposed[t])
        in_scope.discard(threat.service or "")
        scope[t] = tuple(sorted(in_scope))

    # -- acceptances: valid ones accept; expired/expiring ones are reported
    acceptances_of: dict[str, list[str]] = defaultdict(list)
    valid_of: dict[str, list[RiskAcceptance]] = defaultdict(list)
    acceptance_valid: dict[str, bool] = {}
    notice = today + dt.timedelta(days=settings.expiry_notice_days)
    for acc in acceptances:
        valid = bool(acc.threats and acc.owner and acc.expires is not None)
        where = acc.location_of("expires")
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
        elif acc.expires is not None and acc.expires <= notice:
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
        for t in _distinct(acc.threats):
            acceptances_of[t].append(acc.id)
            if valid:
                valid_of[t].append(acc)

    # -- exclusions
    exclusions_of: dict[str, list[str]] = defaultdict(list)
    excluded_of: dict[str, list[NotApplicable]] = defaultdict(list)
    for na in exclusions:
        for t in _distinct(na.threats):
            exclusions_of[t].append(na.id)
            excluded_of[t].append(na)

    # -- mitigations: back-links, orphans, overdue, and which services each
    #    covers (None: every service)
    mitigations_of: dict[str, list[str]] = defaultdict(list)
    ranked_of: dict[str, list[tuple[str, int, set[str] | None]]] = defaultdict(list)
    for mit in mitigations:
        ident = mit.id
        terms = mit.applies_to
        covers: set[str] | None
        if "*" in terms and not any(t.startswith("!") for t in terms):
            covers = None
        elif not terms and ident not in relied_on_by:
            covers = {mit.service} if mit.service else set()
        else:
            covers = _expand(terms, service_set) if terms else set()
            if mit.service:
                covers.add(mit.service)
            if ident in relied_on_by:
                covers.update(relied_on_by[ident])
        ranked = (ident, _rank(mit), covers)
        mitigated_ids = mit.mitigates
        for t in mitigated_ids if len(mitigated_ids) < 2 else dict.fromkeys(mitigated_ids):
            mitigations_of[t].append(ident)
            ranked_of[t].append(ranked)
        if mitigated_ids and threats.keys().isdisjoint(mitigated_ids):
            gaps.append(
                Gap(
                    GapKind.ORPHAN_MITIGATION,
                    f"mitigation {ident!r} mitigates no declared threat "
                    f"({', '.join(mit.mitigates)}); fix :mitigates: or remove it",
                    (ident, *mit.mitigates),
                    mit.location_of("mitigates"),
                )
            )
        if mit.due is not None and mit.due < today and not mit.in_effect:
            gaps.append(
                Gap(
                    GapKind.OVERDUE_MITIGATION,
                    f"mitigation {ident!r} is {mit.status or 'planned'} but was due on "
                    f"{mit.due.isoformat()}; implement it, or update :status: or :due:",
                    (ident, *mit.mitigates),
                    mit.location_of("due"),
                    severity_of(mit.mitigates),
                    True,
                )
            )

    # -- statuses
    threat_status: dict[str, Status] = {}
    threat_by: dict[str, tuple[str, ...]] = {}
    pairs_of_threat: dict[str, list[Coverage]] = {}
    weak_pairs: list[Coverage] = []
    new = _new_coverage
    mitigated, unmitigated = Status.MITIGATED, Status.UNMITIGATED
    no_mitigations: list[tuple[str, int, set[str] | None]] = []
    for t, threat in threats.items():
        my_mits = ranked_of.get(t, no_mitigations)
        my_acc = valid_of.get(t)
        my_na = excluded_of.get(t)
        services_in_scope = scope[t]
        if not my_acc and not my_na and len(my_mits) == 1:
            # the common case, kept tight: one mitigation decides everything
            ident, rank, covered = my_mits[0]
            hit, hit_by = _RANKED[rank], (ident,)
            threat_status[t] = hit
            threat_by[t] = hit_by
            if not services_in_scope:
                continue
            if covered is None:
                pairs = [new((t, s, hit, hit_by)) for s in services_in_scope]
            else:
                pairs = [
                    new((t, s, hit, hit_by) if s in covered else (t, s, unmitigated, ()))
                    for s in services_in_scope
                ]
            pairs_of_threat[t] = pairs
            if hit is not mitigated or (
                covered is not None and not covered.issuperset(services_in_scope)
            ):
                weak_pairs.extend(p for p in pairs if p[2] is not mitigated)
            continue

        product_na = tuple(n.id for n in my_na if n.service is None) if my_na else ()
        overall_acc = (
            tuple(a.id for a in my_acc if a.service is None or a.service == threat.service)
            if my_acc
            else ()
        )
        if product_na:
            status, by = Status.NOT_APPLICABLE, product_na
        elif overall_acc:
            status, by = Status.ACCEPTED, overall_acc
        else:
            status, by = _best(my_mits, None)
        threat_status[t] = status
        threat_by[t] = by
        if not services_in_scope:
            continue
        if my_acc or my_na:
            pairs = [
                _pair_with_decisions(t, s, my_mits, my_acc or (), my_na or (), product_na)
                for s in services_in_scope
            ]
        else:
            pairs = [new((t, s, *_best(my_mits, s))) for s in services_in_scope]
        pairs_of_threat[t] = pairs
        weak_pairs.extend(p for p in pairs if p[2] is not mitigated)

    gaps.extend(_status_gaps(threats, threat_status, weak_pairs, service_items))
    return Report(
        model=model,
        settings=settings,
        index=index,
        services=services,
        threat_status=threat_status,
        threat_by=threat_by,
        scope=scope,
        pairs_of_threat=pairs_of_threat,
        gaps=_sorted_gaps(gaps),
        acceptance_valid=acceptance_valid,
        mitigations_of=dict(mitigations_of),
        acceptances_of=dict(acceptances_of),
        exclusions_of=dict(exclusions_of),
        threats_of_actor=dict(threats_of_actor),
        threats_of_service=dict(threats_of_service),
        relied_on_by=dict(relied_on_by),
    )


def _distinct(ids: tuple[str, ...]) -> Iterable[str]:
    """The IDs once each, in order (a list option may repeat an ID)."""
    return ids if len(ids) < 2 else dict.fromkeys(ids)


_SCOPE_WORDS = frozenset({"*"})


def _referenced(items: Sequence[Item], attr: str) -> set[str]:
    """Every ID that attribute ``attr`` of ``items`` names, as written."""
    getter = attrgetter(attr)  # one pass in C over the items, not a Python loop
    sample = next((v for v in map(getter, items) if v is not None), None)
    if sample is None:
        return set()
    if isinstance(sample, str):  # a single ID (``service``) or None
        return set(map(getter, items)) - _NO_ID
    return set(chain.from_iterable(filter(None, map(getter, items))))  # tuples of IDs


_NO_ID = frozenset({None, ""})


def _unknown_names(values: set[str], known: set[str]) -> set[str]:
    """The IDs among ``values`` (``!`` stripped, ``*`` ignored) not in ``known``.

    Known names are removed first, with one set difference: only the few
    left need looking at (no ID starts with ``!``, which negates a service in
    ``:applies-to:``).
    """
    rest = values - known - _SCOPE_WORDS
    return {v[1:] if v.startswith("!") else v for v in rest} - known - _SCOPE_WORDS


def _unknown_refs(
    item: Item,
    option: str,
    attr: str,
    kind: Kind,
    known: set[str],
    index: Mapping[str, Item],
    settings: Settings,
) -> Iterator[Gap]:
    value = getattr(item, attr)
    for ref in (value,) if isinstance(value, str) else value or ():
        ref = ref.removeprefix("!")
        if ref in known or ref == "*" or settings.is_external(kind, ref):
            continue
        where = item.location_of(option)
        yield _unknown_ref(
            ref, kind, item.id, where, f"{item.kind.value} {item.id!r} (:{option}:)", index.get(ref)
        )


#: The key of :func:`gap_order`, without a Python call per gap.
_GAP_KEY = attrgetter("location.file", "location.lineno", "kind.value", "ids", "message")


def _sorted_gaps(gaps: list[Gap]) -> list[Gap]:
    """``gaps`` in :func:`gap_order`: per file, then within each file.

    A file holds a bounded number of gaps, so this stays linear in the number
    of gaps where one sort of them all would not.
    """
    by_file: dict[str, list[Gap]] = {}
    for gap in gaps:
        group = by_file.get(gap.location.file)
        if group is None:
            by_file[gap.location.file] = [gap]
        else:
            group.append(gap)
    out: list[Gap] = []
    for file in sorted(by_file):
        group = by_file[file]
        group.sort(key=_GAP_KEY)
        out += group
    return out


def gap_order(gap: Gap) -> tuple[str, int, str, tuple[str, ...], str]:
    """Report order: file, line, subtype (then IDs and message for stability)."""
    return _GAP_KEY(gap)  # type: ignore[no-any-return]


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
    weak_pairs: Iterable[Coverage],
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
    for pair in weak_pairs:
        t, s = pair.threat, pair.service
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
