"""Coverage and gap analysis: pure functions over a :class:`~.model.ThreatModel`.

No Sphinx here.  :func:`analyse` runs named steps, each with a typed result,
in time linear in the model and the number of (threat, service) pairs in
scope (the sections of this module, in order):

1. :func:`declarations`: the first declaration of every ID (later ones are
   ``duplicate-id`` gaps), the known IDs per kind and the items per kind;
2. :func:`reference_gaps`: every ID an option or role names must exist
   (``unknown-ref``);
3. :func:`scope_of`: the services in scope for every threat (``:applies-to:``
   with ``*``/``!ID``, plus the services listing it in ``:exposed-to:``; never
   its owning service) and the back-link indexes; :func:`idle_decisions`: an
   acceptance or exclusion for a service with nothing of it in scope;
4. :func:`judge_acceptances`: one :class:`AcceptanceState` per acceptance,
   and its expiry and approval gaps;
5. :func:`mitigation_coverage`: which services each mitigation covers (its own
   service, its ``:applies-to:``, or a service that ``:relies-on:`` it), which
   count by a fallback value (:func:`has_fallback`), the unlinked controls and
   the controls written for the wrong service;
6. :func:`judge_assumptions`: what each threat and mitigation rests on, and
   the stale assumptions (assumptions never change a status);
7. :func:`exclusions` then :func:`statuses`: the not-applicables of every
   threat, the overall status of every threat and the status of every pair,
   following the first-match rules of the SPEC; :func:`status_gaps`: the
   threats and pairs not covered well enough, less those that only the
   fallback values make (:func:`fallback_changes`: one cause, one warning).

The report's gaps are the model's own problems and those of every step, less
another project's, in :func:`~.model.gap_order` (a gap's reporting order is
part of the record, beside it in :mod:`.model`).  The figures read from the report
(coverage percentages, what fails the build) are in :mod:`.figures`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import chain
from operator import attrgetter
from typing import NamedTuple, cast

from ._util import paused_gc
from .completeness import NO_COMPLETENESS, Completeness, completeness
from .digest import DEFAULT_REVIEW_FIELDS, digest_of
from .elements import ElementGraph, element_graph
from .evidence import Evidence, EvidenceResults, judge
from .model import (
    DEFAULT_SEVERITIES,
    Assumption,
    Gap,
    GapKind,
    Item,
    Kind,
    Location,
    MemberSummary,
    Mitigation,
    NotApplicable,
    Reference,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatActor,
    ThreatModel,
    sorted_gaps,
    worst_status,
)
from .review import LinkReview, Lock, Reviews, own_decisions, review_links
from .schema.options import REFERENCES, Option, OptionType
from .schema.values import did_you_mean


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
    #: Allowed likelihoods and impacts, worst first (the axes of the risk map).
    likelihoods: tuple[str, ...] = ("high", "medium", "low")
    impacts: tuple[str, ...] = ("high", "medium", "low")
    #: ``threats_risk_matrix`` as (likelihood, impact, severity) triples; a
    #: tuple, not a dict, so the settings stay hashable.
    risk_matrix: tuple[tuple[str, str, str], ...] = ()
    #: ``threats_graph_max_nodes``: the most nodes a graph draws (part of
    #: the graph's view, so a new limit rewrites the pages with graphs).
    graph_max_nodes: int = 150
    #: ``threats_element_categories`` as (kind, categories) pairs; empty: no
    #: completeness check.
    element_categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``threats_review_fields``: what a threat's digest covers.
    review_fields: tuple[str, ...] = DEFAULT_REVIEW_FIELDS
    #: The ``threats_lock`` file, read (``None``: links are not reviewed).
    lock: Lock | None = field(default=None, compare=False)
    #: Whether an ID unknown here is known elsewhere (intersphinx, external
    #: models); such references are not reported.
    is_external: Callable[[Kind, str], bool] = field(default=_never_external, compare=False)
    #: The names of the ``threats_external`` sources (the domain keeps those
    #: this build could not read): a ``name:ID`` into one of them is not
    #: reported (the source's own warning is the cause).  A ``name:ID`` into a
    #: source that was read but holds no such item is an ``unknown-ref``.
    sources: frozenset[str] = frozenset()


class Coverage(NamedTuple):
    """The status of one (threat, service) pair in scope."""

    #: Threat ID.
    threat: str
    #: Service ID.
    service: str
    status: Status
    #: IDs of what decides the status (mitigations, acceptances, exclusions).
    by: tuple[str, ...]


class AcceptanceState(enum.StrEnum):
    """What a risk acceptance is worth; judged once, shown everywhere."""

    #: Names threats and an owner, has not expired (and is approved if required).
    VALID = "valid"
    #: Its ``:expires:`` date has passed.
    EXPIRED = "expired"
    #: Something it needs is missing: it accepts nothing.
    INVALID = "invalid"


# -- 1. declarations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Declarations:
    """What the model declares, first declaration of each ID winning."""

    #: The first declaration of every ID.
    index: dict[str, Item]
    #: Declared IDs per kind.
    known: dict[Kind, set[str]]
    #: The first declarations per kind, in model order.
    of_kind: dict[Kind, list[Item]]
    #: ``duplicate-id`` gaps for the later declarations.
    duplicates: list[Gap]

    @cached_property
    def services(self) -> dict[str, Service]:
        """Declared services, by ID in ID order."""
        index = self.index
        return {s: cast("Service", index[s]) for s in sorted(self.known[Kind.SERVICE])}

    @cached_property
    def own_services(self) -> dict[str, Service]:
        """This project's services (not another project's, from ``threats_external``):
        the only ones with pairs, since each project answers for its own."""
        return {s: svc for s, svc in self.services.items() if not svc.location.external}

    @cached_property
    def threats(self) -> dict[str, Threat]:
        """Declared threats, by ID in model order."""
        return {t.id: cast("Threat", t) for t in self.of_kind[Kind.THREAT]}

    def items(self, kind: Kind) -> list[Item]:
        """The first declarations of ``kind``."""
        return self.of_kind[kind]


def _distinct(ids: tuple[str, ...]) -> Iterable[str]:
    """The IDs once each, in order (a list option may repeat an ID).

    A tuple of one ID or none is its own answer: no dict per item (measured:
    0.04 s per 100,000 calls, one per threat and one per mitigation in
    ``bench/run.py --analysis-only``)."""
    return ids if len(ids) < 2 else dict.fromkeys(ids)


def _fmt(location: Location) -> str:
    return f"{location.file}:{location.lineno}"


def declarations(items: Iterable[Item]) -> Declarations:
    """Index ``items``: the first declaration of each ID wins, later ones are duplicates."""
    index: dict[str, Item] = {}
    known: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    of_kind: dict[Kind, list[Item]] = {kind: [] for kind in Kind}
    duplicates: list[Gap] = []
    for item in items:
        ident = item.id
        first = index.get(ident)
        if first is None:
            index[ident] = item
            known[item.kind].add(ident)
            of_kind[item.kind].append(item)
        elif not ident.startswith("@"):
            message = (
                f"duplicate ID {ident!r}: this {item.kind.value} at {_fmt(item.location)} "
                f"reuses the ID of the {first.kind.value} at {_fmt(first.location)}; "
                "give one of them another ID"
            )
            duplicates.append(Gap(GapKind.DUPLICATE_ID, message, (ident,), item.location))
    return Declarations(index, known, of_kind, duplicates)


# -- 2. references ------------------------------------------------------------------------


def is_placeholder(ident: str) -> bool:
    """Whether ``ident`` is the placeholder of an item written without an ID."""
    return ident.startswith("@")


def reference_gaps(decl: Declarations, roles: Iterable[Reference], settings: Settings) -> list[Gap]:
    """``unknown-ref`` for every option value and role naming no item of its kind."""
    gaps: list[Gap] = []
    for kind, options in REFERENCES.items():
        items = decl.items(kind)
        for option in options:
            targets = option.targets
            target = targets[0]
            known = decl.known[target]
            if len(targets) > 1:  # an option naming elements of several kinds
                known = known.union(*(decl.known[k] for k in targets[1:]))
            # One set difference per option first: items are scanned only when
            # it leaves an unknown ID, to say where (measured: 0.9 s -> 0.15 s
            # of the analysis of 100,000 threats, ``bench/run.py --analysis-only``).
            if not _unknown_names(items, option, known):
                continue
            for item in items:
                value = getattr(item, option.field)
                for ref in (value,) if isinstance(value, str) else value or ():
                    ref = ref.removeprefix("!")
                    if ref == "*" or any(_is_known(decl, k, ref, settings) for k in targets):
                        continue
                    label = item.label if isinstance(item, Mitigation) else item.kind.value
                    gaps.append(
                        _unknown_ref(
                            decl,
                            ref,
                            targets,
                            item.location_of(option.name),
                            f"{label} {item.id!r} (:{option.name}:)",
                            item.id,
                            option.target_label,
                        )
                    )
    for role in roles:
        kinds = (role.kind, *role.also)
        if not any(_is_known(decl, kind, role.target, settings) for kind in kinds):
            where = role.where or f"the :{role.kind.value}: role"
            gaps.append(
                _unknown_ref(decl, role.target, kinds, role.location, where, label=role.label)
            )
    return gaps


def _unknown_names(items: Sequence[Item], option: Option, known: set[str]) -> set[str]:
    """The IDs that ``option`` of ``items`` names (``!`` stripped, ``*``
    ignored) and ``known`` does not hold; collected by ``map`` and ``chain``
    in C, not a Python loop per item."""
    values = map(attrgetter(option.field), items)
    if option.type is OptionType.REF:  # one ID or None
        named = set(values) - {None, ""}
    else:  # tuples of IDs
        named = set(chain.from_iterable(filter(None, values)))
    rest = named - known - {"*"}
    return {v.removeprefix("!") for v in rest} - known


def _is_known(decl: Declarations, kind: Kind, ident: str, settings: Settings) -> bool:
    if ident in decl.known[kind] or settings.is_external(kind, ident):
        return True
    # ``name:ID`` into a source that could not be read: its warning is the cause
    name, colon, rest = ident.partition(":")
    return bool(colon and rest) and name in settings.sources


def is_orphan(item: Item) -> bool:
    """Whether ``item`` is an unlinked control: a mitigation naming no threat
    at all (one naming only unknown threats is ``unknown-ref`` for each).

    An item without an ID is its ``invalid`` warning alone, and a need is a
    mitigation only through a ``mitigates`` link, so neither is an orphan."""
    return (
        isinstance(item, Mitigation)
        and not item.mitigates
        and not item.need_type
        and not is_placeholder(item.id)
    )


def _unknown_ref(
    decl: Declarations,
    ref: str,
    kinds: tuple[Kind, ...],
    location: Location,
    where: str,
    referrer: str | None = None,
    label: str = "",
) -> Gap:
    label = label or kinds[0].value
    found = decl.index.get(ref)
    if found is not None:
        detail = f"{ref!r} is a {found.kind.value}, not a {label}"
    else:
        detail = f"no {label} has the ID {ref!r}"
    detail += did_you_mean(ref, set().union(*(decl.known[kind] for kind in kinds)))
    ids = (ref,) if referrer is None else (ref, referrer)
    return Gap(
        GapKind.UNKNOWN_REF,
        f"{where} names an unknown {label}: {detail}; fix the ID or declare the item",
        ids,
        location,
    )


# -- 3. scope -------------------------------------------------------------------------------


class Scope(NamedTuple):
    """Which services each threat applies to, and the back-links that follow."""

    #: Services in scope for each threat, sorted.
    scope: dict[str, tuple[str, ...]]
    #: Services listing each mitigation in ``:relies-on:``.
    relied_on_by: dict[str, list[str]]
    threats_of_actor: dict[str, list[str]]
    threats_of_service: dict[str, list[str]]


def expand(terms: Sequence[str], services: set[str]) -> set[str]:
    """Service IDs named by ``:applies-to:`` terms (``*`` = every service, ``!ID`` minus one)."""
    if "*" not in terms:
        # the common case, plain service IDs: one C-level intersection
        # (measured: a third of the scope step at 100,000 threats)
        named = services.intersection(terms)
        if len(named) == len(terms):
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


def scope_of(decl: Declarations, graph: ElementGraph | None = None) -> Scope:
    """The scope of every threat (never its owning service) and the back-link
    indexes; with ``graph``, also through the stores, flows and boundaries
    its ``:applies-to:`` names (:meth:`~.elements.ElementGraph.services_named`)."""
    exposed: dict[str, list[str]] = defaultdict(list)
    relied_on_by: dict[str, list[str]] = defaultdict(list)
    services = decl.own_services
    for s, service in services.items():
        for t in service.exposed_to:
            exposed[t].append(s)
        for m in service.relies_on:
            relied_on_by[m].append(s)
    service_ids = set(services)
    threats_of_actor: dict[str, list[str]] = defaultdict(list)
    threats_of_service: dict[str, list[str]] = defaultdict(list)
    scope: dict[str, tuple[str, ...]] = {}
    for t, threat in decl.threats.items():
        for actor in _distinct(threat.actors):
            threats_of_actor[actor].append(t)
        if threat.service:
            threats_of_service[threat.service].append(t)
        # no call or empty update for a threat without :applies-to: or
        # :exposed-to: (measured: 0.01 s of the scope step at 100,000 threats)
        in_scope = expand(threat.applies_to, service_ids) if threat.applies_to else set()
        if graph is not None and threat.applies_to:
            in_scope |= graph.services_named(threat.applies_to, service_ids)
        if t in exposed:
            in_scope.update(exposed[t])
        in_scope.discard(threat.service or "")
        scope[t] = tuple(sorted(in_scope))
    return Scope(scope, dict(relied_on_by), dict(threats_of_actor), dict(threats_of_service))


def idle_decisions(decl: Declarations, scope: Scope) -> list[Gap]:
    """``invalid`` for an acceptance or exclusion for a service that neither
    owns the threat nor has it in scope: it decides nothing there."""
    gaps: list[Gap] = []
    threats = decl.threats
    services = decl.known[Kind.SERVICE]
    for kind in (Kind.RISK_ACCEPTANCE, Kind.NOT_APPLICABLE):
        for item in cast("list[RiskAcceptance | NotApplicable]", decl.items(kind)):
            s = item.service
            if s is None or s not in services:
                continue  # product-wide, or an unknown service (its own unknown-ref)
            idle = [
                t
                for t in _distinct(item.threats)
                if t in threats and threats[t].service != s and s not in scope.scope[t]
            ]
            if idle:
                message = (
                    f"{kind.value} {item.id!r} decides nothing: {', '.join(idle)} "
                    f"{'is' if len(idle) == 1 else 'are'} not in scope for {s}; add {s} to "
                    "the threat's :applies-to: (or the threat to its :exposed-to:), or "
                    "fix :service:"
                )
                where = item.location_of("service")
                gaps.append(Gap(GapKind.INVALID, message, (item.id, *idle, s), where))
    return gaps


# -- 4. acceptances -------------------------------------------------------------------------


class Acceptances(NamedTuple):
    """Every acceptance judged, and what each threat's valid acceptances are."""

    state: dict[str, AcceptanceState]
    #: Acceptances naming each threat (for back-links), valid or not.
    acceptances_of: dict[str, list[str]]
    #: Valid acceptances of each threat.
    valid_of: dict[str, list[RiskAcceptance]]
    gaps: list[Gap]


def expiry_notice(settings: Settings) -> dt.date:
    """The last date an acceptance expiring is noticed: one that has not
    expired and expires on or before it is ``expiring-acceptance``."""
    return settings.today + dt.timedelta(days=settings.expiry_notice_days)


def judge_acceptances(decl: Declarations, settings: Settings) -> Acceptances:
    """Judge every acceptance once; report the expired, expiring and unapproved ones."""
    today = settings.today
    notice = expiry_notice(settings)
    threats = decl.threats
    state: dict[str, AcceptanceState] = {}
    acceptances_of: dict[str, list[str]] = defaultdict(list)
    valid_of: dict[str, list[RiskAcceptance]] = defaultdict(list)
    gaps: list[Gap] = []
    for acc in cast("list[RiskAcceptance]", decl.items(Kind.RISK_ACCEPTANCE)):
        complete = bool(acc.threats and acc.owner and acc.expires is not None)
        expires = acc.expires.isoformat() if acc.expires else ""
        severity = _most_severe(threats, acc.threats, settings)
        where, ids = acc.location_of("expires"), (acc.id, *acc.threats)
        if acc.expires is not None and acc.expires < today:
            state[acc.id] = AcceptanceState.EXPIRED
            message = (
                f"risk acceptance {acc.id!r} expired on {expires} and no longer accepts "
                f"{', '.join(acc.threats) or 'anything'}; renew it with a new :expires: date "
                "or mitigate the threats"
            )
            gaps.append(Gap(GapKind.EXPIRED_ACCEPTANCE, message, ids, where, severity, True))
        else:
            state[acc.id] = AcceptanceState.VALID if complete else AcceptanceState.INVALID
            if acc.expires is not None and acc.expires <= notice:
                message = (
                    f"risk acceptance {acc.id!r} expires on {expires} (within "
                    f"{settings.expiry_notice_days} days); plan its renewal or the mitigation"
                )
                gaps.append(Gap(GapKind.EXPIRING_ACCEPTANCE, message, ids, where, severity, True))
        if settings.acceptance_requires_approval and not acc.approved_by:
            if state[acc.id] is AcceptanceState.VALID:
                state[acc.id] = AcceptanceState.INVALID
            message = (
                f"risk acceptance {acc.id!r} has no :approved-by: and "
                "threats_acceptance_requires_approval is set, so it accepts nothing"
            )
            gaps.append(Gap(GapKind.INVALID, message, (acc.id,), acc.location))
        for t in _distinct(acc.threats):
            acceptances_of[t].append(acc.id)
            if state[acc.id] is AcceptanceState.VALID:
                valid_of[t].append(acc)
    return Acceptances(state, dict(acceptances_of), dict(valid_of), gaps)


def _most_severe(
    threats: Mapping[str, Threat], ids: Iterable[str], settings: Settings
) -> str | None:
    found = [threats[t].severity for t in ids if t in threats]
    if not found:
        return None
    return min(found, key=lambda s: severity_rank(s, settings.severities))


# -- 5. mitigations -------------------------------------------------------------------------


#: The services a mitigation covers; ``None``: every service.
Covered = set[str] | frozenset[str] | None


class Ranked(NamedTuple):
    """A mitigation as the status rules see it."""

    id: str
    #: 0: full and in effect; 1: partial (or an unknown effect) in effect; 2: planned.
    rank: int
    #: Services it covers; ``None``: every service.
    covers: Covered


#: Builds a :class:`Ranked` without the Python-level NamedTuple constructor,
#: as :data:`_new_coverage` builds pairs: one per mitigation (measured with the
#: set below: the mitigation step of ``bench/run.py --analysis-only``,
#: 100,000 mitigations, 0.55-0.66 s -> 0.51-0.57 s).
_new_ranked: Callable[[tuple[object, ...]], Ranked] = partial(tuple.__new__, Ranked)


class MitigationCoverage(NamedTuple):
    """The mitigations of each threat and what each covers."""

    #: Mitigations naming each threat (for back-links).
    mitigations_of: dict[str, list[str]]
    ranked_of: dict[str, list[Ranked]]
    gaps: list[Gap]
    #: The mitigations that count by a fallback value (a missing or unknown
    #: ``:status:`` counted as planned, an unknown ``:effect:`` as partial).
    fallback: frozenset[str] = frozenset()


#: The effects a mitigation may declare (anything else is a fallback: partial).
_EFFECTS = frozenset({"full", "partial"})


def has_fallback(mit: Mitigation) -> bool:
    """Whether ``mit`` counts by a fallback value its ``invalid`` warning
    reports: a missing or unknown status, or an unknown effect.

    A need's unmapped status counts as planned by design (``threats_needs_status``),
    with no warning: no fallback."""
    return (mit.status is None and not mit.need_type) or mit.effect not in _EFFECTS


def _rank(mit: Mitigation) -> int:
    if mit.in_effect:
        return 0 if mit.is_full else 1
    return 2


_NOTHING: frozenset[str] = frozenset()


def _covers(mit: Mitigation, relied_on_by: Sequence[str], services: set[str]) -> Covered:
    """The services ``mit`` covers (``None``: every service); a new set each,
    not copied to a frozenset, since nothing changes it afterwards."""
    terms = mit.applies_to
    if not terms and not relied_on_by:
        return {mit.service} if mit.service else _NOTHING
    if "*" in terms and not any(t.startswith("!") for t in terms):
        return None
    covers = expand(terms, services)
    if mit.service:
        covers.add(mit.service)
    covers.update(relied_on_by)
    return covers


def mitigation_coverage(decl: Declarations, scope: Scope, settings: Settings) -> MitigationCoverage:
    """What each mitigation covers; unlinked, misplaced and overdue mitigations."""
    today = settings.today
    threats = decl.threats
    services = decl.known[Kind.SERVICE]
    mitigations_of: dict[str, list[str]] = defaultdict(list)
    ranked_of: dict[str, list[Ranked]] = defaultdict(list)
    relied_on_by = scope.relied_on_by
    gaps: list[Gap] = []
    fallback: set[str] = set()
    for mit in cast("list[Mitigation]", decl.items(Kind.MITIGATION)):
        ident = mit.id
        covers = _covers(mit, relied_on_by.get(ident, ()), services)
        ranked = _new_ranked((ident, _rank(mit), covers))
        service = mit.service
        # the common case (a known status and effect, some threats, all its
        # service's own) is told by tests inline, with no call per mitigation:
        # with this and the tests inline in :func:`status_gaps`, the checks of
        # one cause and misplaced controls cost 2 M of 400 M instructions of
        # the analysis at 5,000 threats, against 22 M as calls
        # (``bench/instructions.py``)
        check = covers is not None and service in services
        elsewhere = False  # a threat of another service: misplaced?
        for t in _distinct(mit.mitigates):
            mitigations_of[t].append(ident)
            ranked_of[t].append(ranked)
            if check and (threat := threats.get(t)) is not None and threat.service != service:
                elsewhere = True
        unknown_status = False
        if (mit.status is None or mit.effect not in _EFFECTS) and has_fallback(mit):
            fallback.add(ident)
            unknown_status = mit.status is None
        if not mit.mitigates and is_orphan(mit):
            message = (
                f"mitigation {ident!r} is an unlinked control: it mitigates no threat; "
                "name the threats it answers in :mitigates:, or remove it"
            )
            gaps.append(Gap(GapKind.ORPHAN_MITIGATION, message, (ident,), mit.location))
        if elsewhere:
            assert service is not None and covers is not None  # as checked above
            gaps += _misplaced(mit, service, covers, threats, scope.scope)
        # an unknown status counts as planned, but it is not known to be
        # planned: its invalid warning is the cause, not a missed due date
        if mit.due is not None and mit.due < today and not mit.in_effect and not unknown_status:
            message = (
                f"mitigation {ident!r} is {mit.status or 'planned'} but was due on "
                f"{mit.due.isoformat()}; implement it, or update :status: or :due:"
            )
            severity = _most_severe(threats, mit.mitigates, settings)
            gaps.append(
                Gap(
                    GapKind.OVERDUE_MITIGATION,
                    message,
                    (ident, *mit.mitigates),
                    mit.location_of("due"),
                    severity,
                    True,
                )
            )
    return MitigationCoverage(dict(mitigations_of), dict(ranked_of), gaps, frozenset(fallback))


def _misplaced(
    mit: Mitigation,
    s: str,
    covers: set[str] | frozenset[str],
    threats: Mapping[str, Threat],
    scope: Mapping[str, tuple[str, ...]],
) -> list[Gap]:
    """``invalid`` for each threat of ``mit`` that has services in scope while
    ``mit``'s service neither owns it nor has it in scope, and ``mit`` covers
    none of them: it most likely names the wrong service.  Like a decision
    that decides nothing; it suppresses nothing (statuses stay as declared)."""
    gaps: list[Gap] = []
    for t in _distinct(mit.mitigates):
        threat = threats.get(t)
        if threat is None or threat.service == s:
            continue
        in_scope = scope[t]
        # ``covers`` holds the mitigation's own service: disjoint means it is
        # not in scope either
        if in_scope and covers.isdisjoint(in_scope):
            message = (
                f"mitigation {mit.id!r} is written for service {s!r}, which neither owns "
                f"threat {t!r} ({threat.title}) nor has it in scope, and it covers none of "
                f"the services that do ({', '.join(in_scope)}); fix :service:, name the "
                f"services it covers in :applies-to:, or put {t} in scope for {s}"
            )
            gaps.append(Gap(GapKind.INVALID, message, (mit.id, t, s), mit.location_of("service")))
    return gaps


# -- 6. assumptions -----------------------------------------------------------------------


class Assumptions(NamedTuple):
    """What each threat and mitigation rests on; assumptions never change a status."""

    #: Assumptions underpinning each threat or mitigation (by its ID).
    rests_on: dict[str, list[str]]
    #: ``stale-assumption`` for every assumption past its review date.
    gaps: list[Gap]


def judge_assumptions(decl: Declarations, settings: Settings) -> Assumptions:
    """Index the assumptions by what they underpin; report the stale ones."""
    rests_on: dict[str, list[str]] = defaultdict(list)
    gaps: list[Gap] = []
    for assumption in cast("list[Assumption]", decl.items(Kind.ASSUMPTION)):
        for ident in _distinct((*assumption.threats, *assumption.mitigations)):
            rests_on[ident].append(assumption.id)
        review_by = assumption.review_by
        if review_by is not None and assumption_is_stale(assumption, settings):
            message = (
                f"assumption {assumption.id!r} was due for review on {review_by.isoformat()}; "
                "check that it still holds and set a new :review-by: date"
            )
            ids = (assumption.id, *assumption.threats, *assumption.mitigations)
            gaps.append(
                Gap(GapKind.STALE_ASSUMPTION, message, ids, assumption.location_of("review-by"))
            )
    return Assumptions(dict(rests_on), gaps)


def assumption_is_stale(assumption: Assumption, settings: Settings) -> bool:
    """Whether ``assumption`` is past its review date."""
    return assumption.review_by is not None and assumption.review_by < settings.today


# -- 7. statuses ----------------------------------------------------------------------------


#: Status by rank: what the best mitigations in a set achieve.
_RANKED = (Status.MITIGATED, Status.PARTIAL, Status.PLANNED, Status.UNMITIGATED)


def _best(mitigations: Iterable[Ranked], service: str | None) -> tuple[Status, tuple[str, ...]]:
    """Status achieved by the best of ``mitigations`` (those covering
    ``service``, or all when it is ``None``) and the IDs achieving it."""
    best = 3
    by: tuple[str, ...] = ()
    for mit in mitigations:
        if service is not None and mit.covers is not None and service not in mit.covers:
            continue
        if mit.rank < best:
            best, by = mit.rank, (mit.id,)
        elif mit.rank == best:
            by += (mit.id,)
    return _RANKED[best], by


class Statuses(NamedTuple):
    """The computed statuses."""

    #: Overall status of every threat.
    threat_status: dict[str, Status]
    #: What decides each threat's overall status.
    threat_by: dict[str, tuple[str, ...]]
    #: Status of every pair in scope, per threat (by service ID).
    pairs_of_threat: dict[str, list[Coverage]]
    #: The pairs not mitigated, in the order of ``pairs_of_threat``: the only
    #: ones :func:`status_gaps` looks at, collected while the pairs are made so
    #: it need not scan all of them (measured on the model of 100,000 threats
    #: of ``bench/run.py --analysis-only``: its 500,000 pairs, 83,000 gaps,
    #: the status-gap step 0.17 s -> 0.14 s; collecting costs little more).
    weak_pairs: list[Coverage]


#: Builds a :class:`Coverage` without the Python-level NamedTuple constructor:
#: the fast path below makes most of the hundreds of thousands of pairs
#: (measured: 0.3 s of the analysis of 100,000 threats).
_new_coverage: Callable[[tuple[object, ...]], Coverage] = partial(tuple.__new__, Coverage)


def _one_mitigation(
    t: str,
    status: Status,
    by: tuple[str, ...],
    covers: Covered,
    services: tuple[str, ...],
) -> list[Coverage]:
    """The pairs of a threat decided by its only mitigation, with no decisions:
    ``status`` by it where it ``covers``, unmitigated elsewhere.

    Most threats of a large model are like this; taking them apart from the
    general rule is about 15% of the analysis (``bench/run.py --analysis-only``).
    """
    new = _new_coverage
    if covers is None:
        return [new((t, s, status, by)) for s in services]
    return [
        new((t, s, status, by) if s in covers else (t, s, Status.UNMITIGATED, ())) for s in services
    ]


def _pair(
    t: str,
    s: str,
    mitigations: Sequence[Ranked],
    accepted: Sequence[RiskAcceptance],
    excluded: Sequence[NotApplicable],
) -> Coverage:
    """Status of (t, s): not applicable, accepted, else what its mitigations achieve."""
    # the service's own exclusions first, then the product-wide ones
    na = tuple(n.id for n in excluded if n.service == s)
    na += tuple(n.id for n in excluded if n.service is None)
    if na:
        return Coverage(t, s, Status.NOT_APPLICABLE, na)
    acc = tuple(a.id for a in accepted if a.service is None or a.service == s)
    if acc:
        return Coverage(t, s, Status.ACCEPTED, acc)
    return Coverage(t, s, *_best(mitigations, s))


def _overall(
    threat: Threat,
    mitigations: Sequence[Ranked],
    accepted: Sequence[RiskAcceptance],
    excluded: Sequence[NotApplicable],
) -> tuple[Status, tuple[str, ...]]:
    """Overall status of a threat, the first rule that holds."""
    na = tuple(n.id for n in excluded if n.service is None)
    if na:
        return Status.NOT_APPLICABLE, na
    acc = tuple(a.id for a in accepted if a.service is None or a.service == threat.service)
    if acc:
        return Status.ACCEPTED, acc
    return _best(mitigations, None)


def _deciding(
    accepted: Sequence[RiskAcceptance], excluded: Sequence[NotApplicable], project: str
) -> tuple[Sequence[RiskAcceptance], Sequence[NotApplicable]]:
    """The decisions that decide for ``project``'s services (``""``: this
    project's): a member project's decision without ``:service:`` decides only
    for that member's services and threats (see :mod:`~.members`)."""
    if not any(d.location.project for d in chain(accepted, excluded)):
        return accepted, excluded
    return (
        [a for a in accepted if a.service is not None or a.location.project in ("", project)],
        [n for n in excluded if n.service is not None or n.location.project in ("", project)],
    )


def exclusions(decl: Declarations) -> dict[str, list[NotApplicable]]:
    """The not-applicables naming each threat, in model order."""
    excluded_of: dict[str, list[NotApplicable]] = defaultdict(list)
    for na in cast("list[NotApplicable]", decl.items(Kind.NOT_APPLICABLE)):
        for t in _distinct(na.threats):
            excluded_of[t].append(na)
    return dict(excluded_of)


def statuses(
    decl: Declarations,
    scope: Scope,
    acceptances: Acceptances,
    mitigations: MitigationCoverage,
    excluded_of: Mapping[str, Sequence[NotApplicable]],
) -> Statuses:
    """The overall status of every threat and the status of every pair in scope."""
    threat_status: dict[str, Status] = {}
    threat_by: dict[str, tuple[str, ...]] = {}
    pairs_of_threat: dict[str, list[Coverage]] = {}
    weak_pairs: list[Coverage] = []
    mitigated = Status.MITIGATED
    ranked_of, valid_of, scope_of_threat = mitigations.ranked_of, acceptances.valid_of, scope.scope
    project_of = {s: svc.location.project for s, svc in decl.services.items()}
    for t, threat in decl.threats.items():
        mits = ranked_of.get(t, ())
        accepted = valid_of.get(t, ())
        excluded = excluded_of.get(t, ())
        services = scope_of_threat[t]
        if len(mits) == 1 and not accepted and not excluded:
            ident, rank, covers = mits[0]
            status = threat_status[t] = _RANKED[rank]
            by = threat_by[t] = (ident,)
            if services:
                pairs = pairs_of_threat[t] = _one_mitigation(t, status, by, covers, services)
                if rank > 0:  # not mitigated anywhere
                    weak_pairs += pairs
                elif covers is not None and not covers.issuperset(services):
                    # only where it does not reach (a C-level test first: it
                    # almost always reaches every service in scope)
                    weak_pairs += [p for p in pairs if p.status is not mitigated]
            continue
        threat_status[t], threat_by[t] = _overall(
            threat, mits, *_deciding(accepted, excluded, threat.location.project)
        )
        if services:
            if accepted or excluded:
                pairs = [
                    _pair(t, s, mits, *_deciding(accepted, excluded, project_of.get(s, "")))
                    for s in services
                ]
            else:  # what the mitigations achieve, pair by pair
                new = _new_coverage
                pairs = [new((t, s, *_best(mits, s))) for s in services]
            pairs_of_threat[t] = pairs
            weak_pairs += [p for p in pairs if p.status is not mitigated]
    return Statuses(threat_status, threat_by, pairs_of_threat, weak_pairs)


def fallback_changes(
    decl: Declarations,
    acceptances: Acceptances,
    mitigations: MitigationCoverage,
    excluded_of: Mapping[str, Sequence[NotApplicable]],
    result: Statuses,
) -> set[tuple[str, str | None]]:
    """The statuses (``(threat, None)`` overall, ``(threat, service)`` for a
    pair) that leaving out the mitigations counting by a fallback value would
    change: their gaps follow from those values, whose ``invalid`` warnings
    are the cause (one cause, one warning).

    Only the threats such a mitigation names are computed again, so a model
    without one pays one empty-set test."""
    fallback = mitigations.fallback
    if not fallback:
        return set()
    changed: set[tuple[str, str | None]] = set()
    threats, ranked_of = decl.threats, mitigations.ranked_of
    touched = {t for t, mits in ranked_of.items() if any(m.id in fallback for m in mits)}
    for t in touched & threats.keys():
        mits = [m for m in ranked_of[t] if m.id not in fallback]
        accepted = acceptances.valid_of.get(t, ())
        excluded = excluded_of.get(t, ())
        if _overall(threats[t], mits, accepted, excluded)[0] is not result.threat_status[t]:
            changed.add((t, None))
        for pair in result.pairs_of_threat.get(t, ()):
            if _pair(t, pair.service, mits, accepted, excluded).status is not pair.status:
                changed.add((t, pair.service))
    return changed


_STATUS_GAP = {
    Status.UNMITIGATED: GapKind.UNMITIGATED,
    Status.PLANNED: GapKind.PLANNED_ONLY,
    Status.PARTIAL: GapKind.PARTIAL_ONLY,
}


def status_gaps(
    decl: Declarations, result: Statuses, excused: Collection[tuple[str, str | None]] = ()
) -> Iterator[Gap]:
    """A gap for every threat and every pair whose status is not good enough,
    except those ``excused`` (see :func:`fallback_changes`) and those of a
    threat without an ID (its ``invalid`` warning is the one it gets)."""
    threats, services = decl.threats, decl.services
    # ``t[0] == "@"`` is :func:`is_placeholder` without a call per gap, and an
    # empty ``excused`` (the common case) is not asked: see the measure in
    # :func:`mitigation_coverage`
    for t, status in result.threat_status.items():
        kind = _STATUS_GAP.get(status)
        if kind is None or (excused and (t, None) in excused) or t[0] == "@":
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
    for pair in result.weak_pairs:
        kind = _STATUS_GAP.get(pair.status)
        t, s = pair.threat, pair.service
        if kind is None or (excused and (t, s) in excused) or t[0] == "@":
            continue
        threat = threats[t]
        if pair.status is Status.UNMITIGATED:
            kind = GapKind.SERVICE_GAP
            message = (
                f"service {s!r} is in scope for threat {t!r} ({threat.title}) but nothing "
                f"covers it there: add a mitigation of {t} for {s}, list a platform "
                f"control in :relies-on:, or add a risk-acceptance or not-applicable for {s}"
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
        yield Gap(kind, message, (t, s), services[s].location, threat.severity, True)


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything the analysis found; derived data, recomputed every build.

    Frozen: other extensions read it (``sphinx_threats.api.get_report``), and
    what the pages, the warnings and ``threats.json`` show is the same report.
    """

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
    #: What each risk acceptance is worth.
    acceptance_state: dict[str, AcceptanceState]
    #: Back-link indexes (ID lists sorted).
    mitigations_of: dict[str, list[str]]
    acceptances_of: dict[str, list[str]]
    exclusions_of: dict[str, list[str]]
    threats_of_actor: dict[str, list[str]]
    threats_of_service: dict[str, list[str]]
    relied_on_by: dict[str, list[str]]
    #: The data-flow diagram: containment, crossing, what each threat is about.
    elements: ElementGraph
    #: Assumptions underpinning each threat or mitigation.
    rests_on: dict[str, list[str]] = field(default_factory=dict)
    #: Elements x categories (``threats_element_categories``).
    completeness: Completeness = NO_COMPLETENESS
    #: With ``threats_lock``: the review of each (decision, threat) link.
    reviews: dict[tuple[str, str], LinkReview] = field(default_factory=dict)
    #: The member projects (``threats_aggregate``), as the build read them.
    members: tuple[MemberSummary, ...] = ()
    #: What the test results say of each judged mitigation (``threats_evidence``).
    evidence: dict[str, Evidence] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Sphinx logs the repr of every event's arguments (``threats-analysed``
        # passes the report): the dataclass's, every record of the model,
        # took 0.22 s and 15 MB for a product aggregating 200 members
        return (
            f"<Report: {len(self.index)} items, {len(self.services)} services, "
            f"{sum(map(len, self.pairs_of_threat.values()))} pairs, {len(self.gaps)} gaps>"
        )

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
    def exposure(self) -> dict[str, Status]:
        """The exposure of every threat: the worst of its overall status and
        its pair statuses (SPEC), what a report means by *open*.  A threat
        mitigated overall but unmitigated for one service is unmitigated here."""
        pairs_of_threat = self.pairs_of_threat
        return {
            t: worst_status((status, *(p.status for p in pairs_of_threat.get(t, ())))) or status
            for t, status in self.threat_status.items()
        }

    @cached_property
    def scope_of_service(self) -> dict[str, list[str]]:
        """Threats in scope for each service."""
        return {s: [p.threat for p in pairs] for s, pairs in self.pairs_of_service.items()}

    @property
    def acceptance_valid(self) -> dict[str, bool]:
        """Whether each risk acceptance accepts anything."""
        return {a: s is AcceptanceState.VALID for a, s in self.acceptance_state.items()}

    def get(self, ident: str, kind: Kind) -> Item | None:
        """The item declared with ``ident`` if it is of ``kind``."""
        item = self.index.get(ident)
        return item if item is not None and item.kind is kind else None

    def threat(self, ident: str) -> Threat | None:
        """The threat ``ident``, if declared."""
        item = self.index.get(ident)
        return item if isinstance(item, Threat) else None

    def threats(self) -> list[Threat]:
        """Every declared threat (first declarations), in model order."""
        return [i for i in self.index.values() if isinstance(i, Threat)]

    def actors(self) -> list[ThreatActor]:
        """Every declared threat actor, in model order."""
        return [i for i in self.index.values() if isinstance(i, ThreatActor)]

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


def analyse(
    model: ThreatModel, settings: Settings, results: EvidenceResults | None = None
) -> Report:
    """Compute scope, coverage, statuses and gaps of ``model``; ``results``
    (``threats_evidence``) judge the mitigations' tests."""
    # a record per pair in scope, and no reference cycles among them; the
    # steps' own results are freed before the collector resumes, so that its
    # first pass does not scan them (measured: 35 M of 1,635 M instructions at
    # 20,000 threats, ``valgrind --tool=cachegrind``)
    with paused_gc():
        return _report(model, settings, results)


def _report(model: ThreatModel, settings: Settings, results: EvidenceResults | None) -> Report:
    """The named steps in order, and the report they make."""
    decl = declarations(model.items)
    graph = element_graph(decl)
    scope = scope_of(decl, graph if graph.active else None)
    acceptances = judge_acceptances(decl, settings)
    mitigations = mitigation_coverage(decl, scope, settings)
    excluded_of = exclusions(decl)
    result = statuses(decl, scope, acceptances, mitigations, excluded_of)
    assumptions = judge_assumptions(decl, settings)
    gaps = [Gap(p.kind, p.message, p.ids, p.location) for p in model.problems]
    gaps += decl.duplicates
    gaps += reference_gaps(decl, model.references, settings)
    gaps += idle_decisions(decl, scope)
    gaps += acceptances.gaps
    gaps += mitigations.gaps
    excused = fallback_changes(decl, acceptances, mitigations, excluded_of, result)
    gaps += status_gaps(decl, result, excused)
    gaps += assumptions.gaps
    complete = completeness(graph, dict(settings.element_categories))
    gaps += graph.gaps + complete.gaps
    reviews = _reviews(model, decl.index, settings)
    gaps += reviews.gaps
    # a verified mitigation whose evidence fails counts as implemented: the
    # same rank for every status, so evidence adds gaps and changes none
    threats = decl.threats
    judged = judge(
        # another project's mitigations are judged by its own test runs
        (
            m
            for m in cast("list[Mitigation]", decl.items(Kind.MITIGATION))
            if not m.location.external
        ),
        results,
        lambda mit: _most_severe(threats, mit.mitigates, settings),
    )
    gaps += judged.gaps
    # another project's items are that project's to answer: no gap of theirs here
    gaps = [g for g in gaps if not g.location.external]
    return Report(
        model=model,
        settings=settings,
        index=decl.index,
        services=list(decl.own_services),
        threat_status=result.threat_status,
        threat_by=result.threat_by,
        scope=scope.scope,
        pairs_of_threat=result.pairs_of_threat,
        gaps=sorted_gaps(gaps),
        acceptance_state=acceptances.state,
        mitigations_of=mitigations.mitigations_of,
        acceptances_of=acceptances.acceptances_of,
        exclusions_of={t: [na.id for na in nas] for t, nas in excluded_of.items()},
        threats_of_actor=scope.threats_of_actor,
        threats_of_service=scope.threats_of_service,
        relied_on_by=scope.relied_on_by,
        rests_on=assumptions.rests_on,
        elements=graph,
        completeness=complete,
        evidence=judged.evidence,
        reviews=reviews.links,
    )


def _reviews(model: ThreatModel, index: Mapping[str, Item], settings: Settings) -> Reviews:
    """The links of this project's decisions judged against ``threats_lock``."""
    if settings.lock is None:
        return Reviews({}, [])
    fields = settings.review_fields
    return review_links(
        settings.lock, own_decisions(model.items), index, lambda t: digest_of(t, fields)
    )
