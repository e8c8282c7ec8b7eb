"""Joining member projects' items to this project's (pure: no build)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sphinx_threats.analysis import Settings, analyse
from sphinx_threats.members import Member, federate, name_candidates, read_member, staleness
from sphinx_threats.model import (
    GapKind,
    Location,
    NotApplicable,
    Service,
    Status,
    Threat,
    ThreatModel,
)
from sphinx_threats.schema.options import Vocabulary

VOCABULARY = Vocabulary(
    categories=("spoofing", "tampering"),
    severities=("high", "medium", "low"),
    likelihoods=("high", "low"),
    impacts=("high", "low"),
)
HERE = Location("index.rst", 1, "index")


def _member(name: str, sources: list[dict[str, Any]] | None = None, **items: Any) -> Member:
    data = {"schema": 1, "project": name.title(), "items": items, "sources": sources or []}
    member = read_member(name, json.dumps(data).encode(), f"https://{name}.example/", VOCABULARY)
    assert isinstance(member, Member)
    return member


def _entry(ident: str, line: int, **options: Any) -> dict[str, Any]:
    return {"id": ident, "title": ident, "file": "index.rst", "lineno": line, "uri": "", **options}


def test_ids_are_per_project() -> None:
    own = [
        Threat("TM-1", "t", HERE, severity="high", applies_to=("*",)),
        Service("api", "stub", HERE),
    ]
    first = _member(
        "first",
        services=[_entry("api", 3), _entry("web", 4)],
        threats=[_entry("TM-1", 5, severity="low")],
        mitigations=[_entry("M-1", 6, mitigates=["TM-1"], status="implemented", service="api")],
    )
    second = _member("second", services=[_entry("web", 3)])
    joined = federate(own, [first, second], "product")
    ids = [item.id for item in joined.items]
    # the stub yields to the member's api; TM-1 is this project's; web is two members'
    assert ids == ["TM-1", "api", "first:web", "first:TM-1", "M-1", "second:web"]
    (stub,) = joined.problems
    assert stub.kind is GapKind.DUPLICATE_ID and stub.location == HERE
    assert "also declared by member project 'first' at index.rst:3" in stub.message
    # the member's mitigation names its own TM-1, not ours
    assert joined.items[4].mitigates == ("first:TM-1",)  # type: ignore[attr-defined]
    assert joined.aliases.resolve("first:web") == "first:web"
    assert joined.aliases.resolve("first:api") == "api"
    assert joined.aliases.ambiguous == {"web": ("first", "second")}


def test_a_member_decides_only_for_itself() -> None:
    own = [
        Threat("TM-1", "t", HERE, severity="high", applies_to=("*",)),
        Service("mine", "Mine", HERE),
    ]
    member = _member(
        "relay",
        services=[_entry("relay", 3)],
        threats=[_entry("R-1", 4, severity="low", **{"applies-to": ["*"]})],
        **{"not-applicable": [_entry("NA-1", 5, threats=["product:TM-1", "R-1"])]},
    )
    joined = federate(own, [member], "product")
    r1 = next(i for i in joined.items if i.id == "R-1")
    assert r1.applies_to == ("relay",)  # type: ignore[attr-defined]  # its *: its services
    na = next(i for i in joined.items if isinstance(i, NotApplicable))
    assert na.threats == ("TM-1", "R-1")  # product:TM-1 is ours
    report = analyse(ThreatModel.build(joined.items), Settings(today=dt.date(2026, 6, 1)))
    # its not-applicable without :service: decides its own pair and threat only
    assert report.threat_status["TM-1"] is Status.UNMITIGATED
    assert {(c.service, c.status) for c in report.threat_coverage("TM-1")} == {
        ("mine", Status.UNMITIGATED),
        ("relay", Status.NOT_APPLICABLE),
    }
    assert report.threat_status["R-1"] is Status.NOT_APPLICABLE
    # the relay's pair is the relay's gap; ours is ours
    where = {(g.kind, g.ids): g.location.project for g in report.gaps}
    assert where[GapKind.SERVICE_GAP, ("TM-1", "mine")] == ""
    assert where[GapKind.UNMITIGATED, ("TM-1",)] == ""


def test_an_ambiguous_bare_reference_names_the_candidates() -> None:
    own = [Threat("TM-1", "t", HERE, severity="high")]
    members = [_member(n, services=[_entry("api", 3)]) for n in ("a", "b")]
    joined = federate(own, members, "product")
    mine = Threat(
        "TM-2", "t", Location("index.rst", 9, "index"), severity="high", applies_to=("api",)
    )
    report = analyse(ThreatModel.build([*joined.items, mine]), Settings(today=dt.date(2026, 6, 1)))
    gaps = name_candidates(report.gaps, joined.aliases)
    (unknown,) = [g for g in gaps if g.kind is GapKind.UNKNOWN_REF]
    assert unknown.message == (
        "threat 'TM-2' (:applies-to:) names an ambiguous service, data store, external "
        "entity, data flow or trust boundary: 'api' is declared by "
        "member projects a, b; write a:api or b:api"
    )


def test_staleness_counts_changed_added_and_removed_threats() -> None:
    seen = {"TM-1": "sha256:1:aa", "TM-2": "sha256:1:bb", "M-1": "sha256:1:cc"}
    member = _member(
        "relay",
        sources=[{"name": "up", "project_id": "product", "digests": seen}],
        threats=[_entry("TM-3", 3, external="up")],  # a threat it saw, since removed
    )
    current = {"TM-1": "sha256:1:aa", "TM-2": "sha256:1:b2", "TM-4": "sha256:1:dd"}
    found = staleness(member, "product", current)
    assert found is not None and (found.changed, found.added, found.removed) == (1, 1, 1)
    assert staleness(member, "other", current) is None  # not built against it
    # a digest of another version says nothing
    assert staleness(member, "product", {**current, "TM-2": "sha256:2:zz"}).changed == 0  # type: ignore[union-attr]
