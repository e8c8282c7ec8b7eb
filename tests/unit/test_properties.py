"""Properties of the analysis over generated models (hypothesis).

The models are small but messy: dangling references, IDs of the wrong kind,
duplicate IDs, missing statuses, unknown effects and severities, dates around
``today``, ``*`` and ``!ID`` scopes.  Besides "never raises" and the shape of
the report, a small independent oracle written from the SPEC's rules checks
every scope, pair and overall status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from sphinx_threats.analysis import Report, Settings, analyse, has_fallback
from sphinx_threats.model import (
    GapKind,
    Item,
    Location,
    Mitigation,
    NotApplicable,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatActor,
    ThreatModel,
)

from .builders import TODAY

SERVICES = ["s1", "s2", "s3", "s4"]
THREATS = ["T1", "T2", "T3", "T4", "T5"]
MITIGATIONS = ["M1", "M2", "M3", "M4", "M5"]
ACCEPTANCES = ["RA1", "RA2", "RA3"]
EXCLUSIONS = ["NA1", "NA2"]
ACTORS = ["A1", "A2"]
GHOSTS = ["GHOST", "s9", "T9"]  # never declared
FILES = ["a.rst", "b.rst", "sub/c.rst", "catalog.yaml"]
SEVERITIES = ("critical", "high", "medium", "low", "info")

PROPERTY = hyp_settings(max_examples=150, deadline=None)

#: 150 generated models per property:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow

# -- strategies --------------------------------------------------------------------------------


def _maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), strategy)


_date = st.one_of(
    st.integers(min_value=-60, max_value=90),
    st.sampled_from([-1, 0, 1, 29, 30, 31]),  # around today and the notice boundary
).map(lambda n: TODAY + dt.timedelta(days=n))


@st.composite
def items(draw: st.DrawFn) -> list[Item]:
    """A list of items, each at its own (file, line).

    The IDs of each kind are drawn first (now and then one of another kind: a
    duplicate); references mostly name declared items of the right kind, and
    now and then a ghost or an item of the wrong kind.
    """

    def rarely() -> bool:
        return draw(st.sampled_from([False, False, False, False, True]))

    def declared(pool: list[str], min_size: int = 0) -> list[str]:
        out = draw(st.lists(st.sampled_from(pool), min_size=min_size, unique=True))
        if out and rarely():  # a duplicate of the same kind or of another
            out.append(draw(st.sampled_from([*out, *SERVICES[:2], *THREATS[:2], MITIGATIONS[0]])))
        return out

    services = declared(SERVICES)
    threats = declared(THREATS, min_size=1)
    mitigations = declared(MITIGATIONS)
    acceptances = declared(ACCEPTANCES)
    exclusions = declared(EXCLUSIONS)
    actors = draw(st.lists(st.sampled_from(ACTORS), max_size=2, unique=True))

    def ref(right: list[str], wrong: list[str]) -> st.SearchStrategy[str]:
        # mostly a declared item of the right kind; now and then a ghost or a wrong kind
        return st.sampled_from(right * 8 + GHOSTS[:1] + wrong[:1] if right else GHOSTS + wrong)

    def refs(right: list[str], wrong: list[str], max_size: int = 2) -> tuple[str, ...]:
        if not right and not rarely():
            return ()
        return tuple(draw(st.lists(ref(right, wrong), max_size=max_size, unique=True)))

    def service_ref() -> str | None:
        if not services or rarely():
            return None
        return draw(ref(services, threats[:1]))

    def scope() -> tuple[str, ...]:
        negated = [f"!{s}" for s in [*services, GHOSTS[1]]]
        terms = [*services * 2, "*", "*", *negated, GHOSTS[1], *mitigations[:1]]
        if not services and not rarely():
            return ()
        return tuple(draw(st.lists(st.sampled_from(terms), max_size=3, unique=True)))

    specs: list[tuple[type[Item], str, dict[str, object]]] = []
    for ident in services:
        specs.append(
            (
                Service,
                ident,
                {
                    "exposed_to": refs(threats, services[:1]),
                    "relies_on": refs(mitigations, threats[:1] + acceptances[:1]),
                    "depends_on": refs(services, []),
                },
            )
        )
    for ident in threats:
        specs.append(
            (
                Threat,
                ident,
                {
                    "severity": draw(st.sampled_from([*SEVERITIES, None, "bogus"])),
                    "service": service_ref(),
                    "applies_to": scope(),
                    "actors": refs(actors, []),
                },
            )
        )
    for ident in mitigations:
        specs.append(
            (
                Mitigation,
                ident,
                {
                    "mitigates": refs(threats, services[:1], 3),
                    "status": draw(
                        st.sampled_from(
                            ["planned", "in-progress", "implemented", "verified", "verified", None]
                        )
                    ),
                    "effect": draw(st.sampled_from(["full", "full", "partial", "unknown"])),
                    "due": draw(_maybe(_date)),
                    "service": service_ref(),
                    "applies_to": scope(),
                },
            )
        )
    for ident in acceptances:
        specs.append(
            (
                RiskAcceptance,
                ident,
                {
                    "threats": refs(threats, []),
                    "service": service_ref(),
                    "owner": draw(st.sampled_from(["sec", "sec", "sec", ""])),
                    "expires": None if rarely() else draw(_date),
                    "approved_by": draw(st.sampled_from(["", "CISO", "CISO"])),
                },
            )
        )
    for ident in exclusions:
        specs.append(
            (
                NotApplicable,
                ident,
                {
                    "threats": refs(threats, []),
                    "service": service_ref(),
                },
            )
        )
    for ident in actors:
        specs.append((ThreatActor, ident, {}))

    lines = draw(st.permutations(range(1, len(specs) + 1)))
    out = []
    for (cls, ident, options), line in zip(specs, lines, strict=True):
        file = draw(st.sampled_from(FILES))
        docname = "" if file.endswith(".yaml") else file.rsplit(".", 1)[0]
        location = Location(file, line, docname)
        out.append(cls(id=ident, title=f"Title {ident}", location=location, **options))
    return out


settings_strategy = st.builds(
    Settings,
    today=st.just(TODAY),
    expiry_notice_days=st.integers(min_value=0, max_value=60),
    acceptance_requires_approval=st.booleans(),
)


def _multiset(report: Report) -> Counter[tuple[str, tuple[str, ...]]]:
    return Counter((g.kind.value, g.ids) for g in report.gaps)


# -- an oracle written from the SPEC ------------------------------------------------------------


def _first_declared(model: ThreatModel) -> dict[str, Item]:
    index: dict[str, Item] = {}
    for item in model.items:
        index.setdefault(item.id, item)
    return index


def _expand(terms: Iterable[str], services: set[str]) -> set[str]:
    terms = tuple(terms)
    named = {t for t in terms if t in services}
    if "*" in terms:
        named |= services
    return named - {t[1:] for t in terms if t.startswith("!")}


def _from_mitigations(mits: list[Mitigation]) -> Status:
    in_effect = [m for m in mits if m.status in ("implemented", "verified")]
    if any(m.effect == "full" for m in in_effect):
        return Status.MITIGATED
    if in_effect:
        return Status.PARTIAL
    if mits:
        return Status.PLANNED
    return Status.UNMITIGATED


def oracle(
    model: ThreatModel, settings: Settings
) -> tuple[dict[str, tuple[str, ...]], dict[str, Status], dict[tuple[str, str], Status]]:
    """(scope, overall status, pair status) by the SPEC's rules."""
    index = _first_declared(model)
    of = {
        cls: [i for i in index.values() if isinstance(i, cls)]
        for cls in (Service, Threat, Mitigation, RiskAcceptance, NotApplicable)
    }
    services: set[str] = {s.id for s in of[Service]}
    today = settings.today

    def valid(a: RiskAcceptance) -> bool:
        return bool(
            a.threats
            and a.owner
            and a.expires is not None
            and a.expires >= today
            and (a.approved_by or not settings.acceptance_requires_approval)
        )

    def covers(m: Mitigation, s: str) -> bool:
        svc = index[s]
        assert isinstance(svc, Service)
        return m.service == s or s in _expand(m.applies_to, services) or m.id in svc.relies_on

    scope: dict[str, tuple[str, ...]] = {}
    overall: dict[str, Status] = {}
    pairs: dict[tuple[str, str], Status] = {}
    for t in of[Threat]:
        assert isinstance(t, Threat)
        exposed = {s.id for s in of[Service] if t.id in s.exposed_to}  # type: ignore[attr-defined]
        scope[t.id] = tuple(sorted((_expand(t.applies_to, services) | exposed) - {t.service}))
        nas = [n for n in of[NotApplicable] if t.id in n.threats]  # type: ignore[attr-defined]
        accs = [a for a in of[RiskAcceptance] if t.id in a.threats and valid(a)]  # type: ignore[attr-defined,arg-type]
        mits = [m for m in of[Mitigation] if t.id in m.mitigates]  # type: ignore[attr-defined]
        if any(n.service is None for n in nas):  # type: ignore[attr-defined]
            overall[t.id] = Status.NOT_APPLICABLE
        elif any(a.service in (None, t.service) for a in accs):  # type: ignore[attr-defined]
            overall[t.id] = Status.ACCEPTED
        else:
            overall[t.id] = _from_mitigations(mits)  # type: ignore[arg-type]
        for s in scope[t.id]:
            if any(n.service in (None, s) for n in nas):  # type: ignore[attr-defined]
                pairs[(t.id, s)] = Status.NOT_APPLICABLE
            elif any(a.service in (None, s) for a in accs):  # type: ignore[attr-defined]
                pairs[(t.id, s)] = Status.ACCEPTED
            else:
                pairs[(t.id, s)] = _from_mitigations(
                    [m for m in mits if covers(m, s)]  # type: ignore[arg-type]
                )
    return scope, overall, pairs


# -- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(items(), settings_strategy)
def test_report_shape_and_statuses_follow_the_rules(items: list[Item], settings: Settings) -> None:
    model = ThreatModel.build(items)
    report = analyse(model, settings)  # never raises
    index = _first_declared(model)
    threat_ids = {i for i, item in index.items() if isinstance(item, Threat)}
    service_ids = {i for i, item in index.items() if isinstance(item, Service)}

    # exactly one overall status per threat
    assert set(report.threat_status) == threat_ids
    assert all(isinstance(s, Status) for s in report.threat_status.values())
    # exactly one entry per pair in scope, none outside, none for the owner
    expected_pairs = {(t, s) for t in report.scope for s in report.scope[t]}
    assert set(report.coverage) == expected_pairs
    assert set(report.scope) == threat_ids
    for (t, s), cov in report.coverage.items():
        assert (cov.threat, cov.service) == (t, s)
        assert isinstance(cov.status, Status)
        assert s in service_ids
        assert s != index[t].service  # type: ignore[attr-defined]
    for scope in report.scope.values():
        assert list(scope) == sorted(set(scope))

    scope, overall, pairs = oracle(model, settings)
    assert report.scope == scope
    assert report.threat_status == overall
    assert {k: c.status for k, c in report.coverage.items()} == pairs


@PROPERTY
@given(items(), settings_strategy)
def test_status_gaps_match_statuses(items: list[Item], settings: Settings) -> None:
    report = analyse(ThreatModel.build(items), settings)
    status_kind = {
        Status.UNMITIGATED: "unmitigated",
        Status.PLANNED: "planned-only",
        Status.PARTIAL: "partial-only",
    }
    pair_kind = {**status_kind, Status.UNMITIGATED: "service-gap"}
    # one cause, one warning: a status that the mitigations counting by a
    # fallback value make (the model without them has another) is no gap, nor
    # is any status of a threat without an ID
    first = _first_declared(ThreatModel.build(items))
    fallback = {
        i for i, item in first.items() if isinstance(item, Mitigation) and has_fallback(item)
    }
    # "leaving them out" of coverage: each keeps its ID (a later item of the
    # same ID stays a duplicate, as declared) but covers nothing
    without = analyse(
        ThreatModel.build(
            [
                dataclasses.replace(i, mitigates=(), status="implemented", effect="full")
                if isinstance(i, Mitigation) and i.id in fallback
                else i
                for i in items
            ]
        ),
        settings,
    )
    expected = Counter(
        (status_kind[s], (t,))
        for t, s in report.threat_status.items()
        if s in status_kind and s is without.threat_status[t] and not t.startswith("@")
    ) + Counter(
        (pair_kind[c.status], pair)
        for pair, c in report.coverage.items()
        if c.status in pair_kind
        and c.status is without.coverage[pair].status
        and not pair[0].startswith("@")
    )
    status_gaps = Counter(
        (g.kind.value, g.ids)
        for g in report.gaps
        if g.kind.value in ("unmitigated", "service-gap", "planned-only", "partial-only")
    )
    assert status_gaps == expected
    for gap in report.gaps:
        assert gap.message
        assert f"threats.{gap.kind.value}" not in gap.message
        assert gap.location.file
        assert gap.ids
    keys = [(g.location.file, g.location.lineno, g.kind.value) for g in report.gaps]
    assert keys == sorted(keys)


@PROPERTY
@given(
    items(),
    settings_strategy,
    st.data(),
)
def test_adding_a_full_implemented_mitigation_never_adds_a_gap(
    items: list[Item], settings: Settings, data: st.DataObject
) -> None:
    before = analyse(ThreatModel.build(items), settings)
    threats = sorted(before.threat_status)
    services = before.services
    if not threats:
        return
    scope_terms = st.sampled_from([*services, "*", *(f"!{s}" for s in services)])
    new = Mitigation(
        id="M-NEW",
        title="A new control",
        location=Location(data.draw(st.sampled_from(FILES)), data.draw(st.integers(0, 60)), "new"),
        mitigates=tuple(data.draw(st.lists(st.sampled_from(threats), min_size=1, unique=True))),
        status=data.draw(st.sampled_from(["implemented", "verified"])),
        effect="full",
        due=data.draw(_maybe(_date)),  # type: ignore[arg-type]
        service=data.draw(_maybe(st.sampled_from(services))) if services else None,  # type: ignore[arg-type]
        applies_to=tuple(data.draw(st.lists(scope_terms, unique=True, max_size=3)))
        if services
        else (),
    )
    after = analyse(ThreatModel.build([*items, new]), settings)
    added = _multiset(after) - _multiset(before)
    # save the new control's own warning when it names the wrong service
    added = Counter({k: n for k, n in added.items() if k[0] != "invalid" or k[1][0] != "M-NEW"})
    assert not added, added
    # and nothing got worse
    rank = list(Status)
    for t, status in before.threat_status.items():
        assert rank.index(after.threat_status[t]) <= rank.index(status)


@PROPERTY
@given(items(), settings_strategy, st.data())
def test_removing_a_valid_acceptance_removes_only_its_own_notices(
    items: list[Item], settings: Settings, data: st.DataObject
) -> None:
    before = analyse(ThreatModel.build(items), settings)
    counts = Counter(i.id for i in items)
    candidates = [
        i
        for i in items
        if isinstance(i, RiskAcceptance) and counts[i.id] == 1 and before.acceptance_valid[i.id]
    ]
    if not candidates:
        return
    acc = data.draw(st.sampled_from(candidates))
    assert acc.expires is not None and acc.expires >= settings.today
    after = analyse(ThreatModel.build([i for i in items if i is not acc]), settings)
    removed = _multiset(before) - _multiset(after)
    for kind, ids in removed:
        own_notice = kind == GapKind.EXPIRING_ACCEPTANCE.value and ids[0] == acc.id
        own_reference = kind == GapKind.UNKNOWN_REF.value and ids[1:] == (acc.id,)
        # "decides nothing": a warning about the acceptance itself
        own_idle = kind == GapKind.INVALID.value and ids[0] == acc.id
        assert own_notice or own_reference or own_idle, (kind, ids)


@PROPERTY
@given(items(), settings_strategy, st.randoms(use_true_random=False))
def test_output_does_not_depend_on_item_order(
    items: list[Item], settings: Settings, random: object
) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    one = analyse(ThreatModel.build(items), settings)
    two = analyse(ThreatModel.build(shuffled), settings)
    assert one.gaps == two.gaps
    assert one.threat_status == two.threat_status
    assert one.coverage == two.coverage
    assert one.scope == two.scope
    assert one.acceptance_valid == two.acceptance_valid


@PROPERTY
@given(items(), settings_strategy)
def test_dates_only_matter_through_today(items: list[Item], settings: Settings) -> None:
    """Shifting every date and ``today`` by the same amount changes nothing but messages."""
    shift = dt.timedelta(days=1000)

    def moved(item: Item) -> Item:
        changes = {}
        for name in ("due", "expires"):
            value = getattr(item, name, None)
            if value is not None:
                changes[name] = value + shift
        return dataclasses.replace(item, **changes) if changes else item

    one = analyse(ThreatModel.build(items), settings)
    two = analyse(
        ThreatModel.build([moved(i) for i in items]),
        dataclasses.replace(settings, today=settings.today + shift),
    )
    assert _multiset(one) == _multiset(two)
    assert one.threat_status == two.threat_status
    assert one.coverage == two.coverage
