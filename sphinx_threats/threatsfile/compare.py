"""What changed from one ``threats.json`` to another, and what got worse.

Items are matched by ID and gaps by kind and IDs, never by page or line: an
item moved to another page is not a change.  ``sphinx-threats diff`` prints
the result; this is the ratchet for CI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model import MITIGATION_STATUSES, STATUS_ORDER
from .read import GapEntry, ItemEntry, ThreatsFile

#: The worsenings ``--fail-on`` can name, in the order they are shown, with
#: what each means (the reference is generated from this).
WORSENINGS = {
    "new-gap": "a gap that the old build did not have (by kind and IDs)",
    "removed-mitigation": "a mitigation removed while a threat it mitigated remains",
    "downgraded-mitigation": "a mitigation's status went down "
    "(verified > implemented > in-progress > planned)",
    "reduced-effect": "a mitigation's effect went from full to partial",
    "raised-severity": "a threat's severity went up",
    "worse-status": "a threat's computed status, or a (threat, service) pair's, got worse",
    "added-acceptance": "a risk acceptance was added",
    "extended-acceptance": "a risk acceptance expires later, accepts more threats, or "
    "no longer names one service",
}

#: What the other changes are called (shown, never counted).
OTHER_CHANGES = (
    "resolved-gap",
    "added-threat",
    "removed-threat",
    "added-mitigation",
    "removed-mitigation",
    "upgraded-mitigation",
    "full-effect",
    "lowered-severity",
    "better-status",
    "removed-acceptance",
)

# removed-mitigation is in both lists: worse or not, it sorts as a worsening
_ORDER = {name: n for n, name in enumerate(dict.fromkeys([*WORSENINGS, *OTHER_CHANGES]))}

_STATUS_RANK = {status.value: rank for rank, status in enumerate(STATUS_ORDER)}


def status_rank(status: str | None) -> int:
    """Rank of a computed status, 0 for the worst (``unmitigated``)."""
    return _STATUS_RANK.get(status or "", 0)


def mitigation_rank(status: str | None) -> int:
    """Rank of a mitigation's declared ``:status:`` (``planned`` 0 ... ``verified``
    3); a missing or unknown one counts as ``planned``."""
    return MITIGATION_STATUSES.index(status) if status in MITIGATION_STATUSES else 0


@dataclass(frozen=True)
class Change:
    """One difference between the two builds."""

    #: A key of :data:`WORSENINGS` or one of :data:`OTHER_CHANGES`.
    change: str
    #: Whether it makes the model worse.
    worse: bool
    #: The IDs it concerns.
    ids: tuple[str, ...]
    #: What changed, in words.
    text: str
    #: Where to look: the new build's place, or the old one's for a removal.
    file: str = ""
    lineno: int = 0
    #: The old and new values, when a value changed.
    old: Any = None
    new: Any = None
    #: The gap, for new and resolved gaps.
    gap: GapEntry | None = field(default=None, compare=False)


def compare(old: ThreatsFile, new: ThreatsFile) -> list[Change]:
    """Every change from ``old`` to ``new``, worsenings first, each group in a
    stable order."""
    changes = [
        *_gaps(old, new),
        *_threats(old, new),
        *_mitigations(old, new),
        *_statuses(old, new),
        *_acceptances(old, new),
    ]
    return sorted(changes, key=lambda c: (not c.worse, _ORDER[c.change], c.ids, c.file, c.lineno))


def _at(entry: ItemEntry | None) -> dict[str, Any]:
    if entry is None:
        return {"file": "", "lineno": 0}
    return {"file": entry.file, "lineno": entry.lineno}


def _name(entry: ItemEntry) -> str:
    title = entry.title
    return f"{entry.id} ({title})" if title and title != entry.id else entry.id


def _ours(data: ThreatsFile, gap: GapEntry) -> bool:
    """Whether ``gap`` is this project's: a member's gap (``"project"``) is the
    member's to answer, unless it failed this build (``threats_aggregate_fail_on``)."""
    return not gap.project or data.build_failing(gap)


def _gaps(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    """New and resolved gaps: matched by kind and IDs; among gaps with the
    same kind and IDs, equal messages pair first."""
    before: dict[tuple[str, tuple[str, ...]], list[GapEntry]] = defaultdict(list)
    for gap in old.gaps:
        if _ours(old, gap):
            before[gap.key].append(gap)
    after: dict[tuple[str, tuple[str, ...]], list[GapEntry]] = defaultdict(list)
    for gap in new.gaps:
        if _ours(new, gap):
            after[gap.key].append(gap)
    for key in sorted(set(before) | set(after)):
        olds, news = list(before[key]), list(after[key])
        for gap in list(news):
            same = next((g for g in olds if g.message == gap.message), None)
            if same is not None:
                olds.remove(same)
                news.remove(gap)
        # what is left pairs up in order; the rest is new or resolved
        pairs = min(len(olds), len(news))
        for gap in news[pairs:]:
            yield Change("new-gap", True, gap.ids, gap.kind, gap.file, gap.lineno, gap=gap)
        for gap in olds[pairs:]:
            yield Change("resolved-gap", False, gap.ids, gap.kind, gap.file, gap.lineno, gap=gap)


def _threats(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    # another project's items change with that project, not with this change
    before, after = old.own("threats"), new.own("threats")
    for ident in sorted(after.keys() - before.keys()):
        entry = after[ident]
        yield Change("added-threat", False, (ident,), _name(entry), **_at(entry))
    for ident in sorted(before.keys() - after.keys()):
        entry = before[ident]
        yield Change("removed-threat", False, (ident,), _name(entry), **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident].text("severity"), after[ident].text("severity")
        if was == now:
            continue
        # ranked by the new build's vocabulary: the one in force now
        raised = new.severity_rank(now) < new.severity_rank(was)
        lowered = new.severity_rank(now) > new.severity_rank(was)
        if raised or lowered:
            yield Change(
                "raised-severity" if raised else "lowered-severity",
                raised,
                (ident,),
                f"{_name(after[ident])}: {was or 'none'} -> {now or 'none'}",
                old=was,
                new=now,
                **_at(after[ident]),
            )


def _mitigations(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    before, after = old.own("mitigations"), new.own("mitigations")
    threats_now = new.of("threats")
    # a mitigation moved between this project and another is neither added
    # nor removed
    for ident in sorted(after.keys() - old.of("mitigations").keys()):
        entry = after[ident]
        text = f"{_name(entry)}, {entry.text('status') or 'no status'}"
        yield Change("added-mitigation", False, (ident,), text, **_at(entry))
    for ident in sorted(before.keys() - new.of("mitigations").keys()):
        entry = before[ident]
        mitigated = [t for t in entry.texts("mitigates") if t in threats_now]
        text = f"{_name(entry)}, was {entry.text('status') or 'no status'}"
        if mitigated:
            text += f", for {', '.join(mitigated)}"
        yield Change("removed-mitigation", bool(mitigated), (ident,), text, **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        yield from _mitigation_changes(before[ident], after[ident])


def _mitigation_changes(was: ItemEntry, now: ItemEntry) -> Iterator[Change]:
    """A kept mitigation's status and effect, before and after."""
    status_was, status_now = was.text("status"), now.text("status")
    rank_was, rank_now = mitigation_rank(status_was), mitigation_rank(status_now)
    if rank_was != rank_now:
        down = rank_now < rank_was
        yield Change(
            "downgraded-mitigation" if down else "upgraded-mitigation",
            down,
            (now.id,),
            f"{_name(now)}: {status_was} -> {status_now}",
            old=status_was,
            new=status_now,
            **_at(now),
        )
    # anything but "full" counts as partial; no effect at all is the default
    full_was, full_now = was.effect == "full", now.effect == "full"
    if full_was != full_now:
        yield Change(
            "reduced-effect" if full_was else "full-effect",
            full_was,
            (now.id,),
            f"{_name(now)}: {was.effect} -> {now.effect}",
            old=was.effect,
            new=now.effect,
            **_at(now),
        )


def _statuses(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    # an external threat's own status is its project's; its pairs with this
    # project's services (below) are this project's
    before, after = old.own("threats"), new.own("threats")
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident].text("status"), after[ident].text("status")
        if was is not None and now is not None and was != now:
            worse = status_rank(now) < status_rank(was)
            yield Change(
                "worse-status" if worse else "better-status",
                worse,
                (ident,),
                f"{_name(after[ident])}: {was} -> {now}",
                old=was,
                new=now,
                **_at(after[ident]),
            )
    services = new.of("services")
    for pair in sorted(old.coverage.keys() & new.coverage.keys()):
        was, now = old.coverage[pair], new.coverage[pair]
        if was == now:
            continue
        worse = status_rank(now) < status_rank(was)
        threat, service = pair
        yield Change(
            "worse-status" if worse else "better-status",
            worse,
            pair,
            f"{threat} at {service}: {was} -> {now}",
            old=was,
            new=now,
            # a pair's status is shown (and its gap reported) at the service
            **_at(services.get(service)),
        )


def _acceptances(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    before, after = old.own("risk-acceptances"), new.own("risk-acceptances")
    for ident in sorted(after.keys() - before.keys()):
        entry = after[ident]
        threats = ", ".join(entry.texts("threats")) or "no threat"
        service = entry.text("service")
        scope = f" at {service}" if service else ""
        text = f"{_name(entry)} accepts {threats}{scope} until {entry.text('expires')}"
        yield Change("added-acceptance", True, (ident,), text, **_at(entry))
    for ident in sorted(before.keys() - after.keys()):
        entry = before[ident]
        yield Change("removed-acceptance", False, (ident,), _name(entry), **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        yield from _acceptance_changes(before[ident], after[ident])


def _acceptance_changes(was: ItemEntry, now: ItemEntry) -> Iterator[Change]:
    """A kept acceptance, extended or not."""
    wider = []
    expires_was, expires_now = was.text("expires"), now.text("expires")
    # ISO dates compare as strings; an acceptance without a date accepted nothing
    if expires_now is not None and (expires_was is None or expires_now > expires_was):
        wider.append(f"expires {expires_was or 'never set'} -> {expires_now}")
    added = [t for t in now.texts("threats") if t not in was.texts("threats")]
    if added:
        wider.append(f"now also accepts {', '.join(added)}")
    service_was = was.text("service")
    if service_was and not now.text("service"):
        wider.append(f"now for every service, not only {service_was}")
    if wider:
        yield Change(
            "extended-acceptance",
            True,
            (now.id,),
            f"{_name(now)}: {'; '.join(wider)}",
            old=expires_was,
            new=expires_now,
            **_at(now),
        )
