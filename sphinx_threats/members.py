"""Member projects (``threats_aggregate``): their own items joined to this project's.

Pure (no Sphinx): :mod:`~.sources` fetches the members' ``threats.json``
through :mod:`~.fetch`; this module reads each into model records
(:func:`read_member`, through the same :func:`~.external.parse_entries` as an
external model) and joins them to this project's items (:func:`federate`):

- a member's items count as if declared here, located at the member's file
  and line (``Location.project`` names the member) and linked to its pages;
- IDs are per project: a member's item keeps its plain ID unless this
  project, or another member, declares the same ID; it then counts as
  ``name:ID``.  A service declared both here and in one member is the
  member's: this project's declaration (a stub) is the ``duplicate-id``;
- a member decides only for itself: its references resolve within it first
  (``project-id:ID`` names this project's or another member's item), and its
  ``*`` means its own services;
- a bare ID that two members declare resolves to neither: :class:`Aliases`
  says which members declare it, for the ``unknown-ref`` to name them.

What a member saw of this project's model (the ``sources`` of its file) is
compared with this project's current digests by :func:`staleness`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from .external import (
    ExternalModel,
    map_references,
    parse_entries,
    project_id_of,
    recorded_digests,
    reference_changes,
)
from .model import (
    Gap,
    GapKind,
    Item,
    Kind,
    Location,
    MemberSummary,
    Mitigation,
    Problem,
    Threat,
)
from .schema.options import Vocabulary
from .threatsfile.read import FormatError, GapEntry, SourceEntry, ThreatsFile, read

#: Gap kinds a member's file is taken at its word for: they need what only
#: the member's build has (its test results, its lock file, its elements).
RECORDED_KINDS = frozenset({"failing-evidence", "missing-evidence", "suspect-link", "unanalysed"})


class Member(NamedTuple):
    """What one ``threats_aggregate`` source gives this build."""

    #: Its name in ``threats_aggregate``.
    name: str
    #: Its ``threats_project_id`` (how other files name its items).
    project_id: str
    #: Its ``project`` (its docs' title).
    title: str
    #: Where its pages are (``""``: not known; its items are shown unlinked).
    base_url: str
    #: Its own items, with the IDs and references its file writes.
    items: tuple[Item, ...]
    #: Its items' problems under this project's configuration (member gaps).
    problems: tuple[Problem, ...]
    #: The file as read (its gaps, its sources, its external items).
    file: ThreatsFile
    #: When its file was last modified (seconds since the epoch; ``None``: unknown).
    modified: float | None = None
    #: When a cached copy stood in for it: that copy's age in seconds.
    cached_age: float | None = None


def read_member(
    name: str,
    data: bytes,
    base_url: str,
    vocabulary: Vocabulary,
    *,
    modified: float | None = None,
    cached_age: float | None = None,
) -> Member | str:
    """The member in ``data``, or why it is not a ``threats.json`` (never raises)."""
    try:
        model = read(data)
    except FormatError as err:
        return err.about("it")
    items, problems = parse_entries(model, base_url, vocabulary, project=name)
    located = [replace(p, location=replace(p.location, project=name)) for p in problems]
    located += _recorded_gaps(name, model.gaps)
    return Member(
        name,
        project_id_of(model, name),
        model.project,
        base_url,
        tuple(items),
        tuple(located),
        model,
        modified,
        cached_age,
    )


def _recorded_gaps(name: str, gaps: Iterable[GapEntry]) -> list[Problem]:
    """The member's gaps that only its own build can find, as its file records them."""
    known = GapKind._value2member_map_
    return [
        Problem(
            GapKind(gap.kind), gap.message, Location(gap.file, gap.lineno, project=name), gap.ids
        )
        for gap in gaps
        if gap.kind in RECORDED_KINDS and gap.kind in known and not gap.project
    ]


# -- joining ----------------------------------------------------------------------------


class Aliases(NamedTuple):
    """How this project's references name members' items."""

    #: Each member's name and ``threats_project_id``, and its items' IDs here
    #: (the ID it declares -> the ID it counts under).
    ids: Mapping[str, Mapping[str, str]]
    #: Every bare ID that more than one member declares (and this project
    #: does not): the members declaring it.
    ambiguous: Mapping[str, tuple[str, ...]]

    def resolve(self, ident: str) -> str:
        """The ID that ``ident`` (``ID``, ``name:ID`` or ``!name:ID``) names here."""
        bang = "!" if ident.startswith("!") else ""
        prefix, colon, rest = ident[len(bang) :].partition(":")
        if colon and prefix in self.ids:
            return bang + self.ids[prefix].get(rest, ident[len(bang) :])
        return ident


NO_ALIASES = Aliases({}, {})


class Federation(NamedTuple):
    """This project's items and its members', joined."""

    #: This project's items (stub services left out, references to members
    #: resolved), then every member's items under the IDs they count under.
    items: list[Item]
    #: The stubs' ``duplicate-id`` and the members' own problems.
    problems: list[Problem]
    aliases: Aliases


def federate(own: Sequence[Item], members: Sequence[Member], project_id: str) -> Federation:
    """Join ``members``' items to ``own`` (this project's, ``project_id``)."""
    if not members:
        return Federation(list(own), [], NO_ALIASES)
    own_kinds = {item.id: item.kind for item in own}
    declared_by: dict[str, list[str]] = defaultdict(list)
    for member in members:
        for ident in dict.fromkeys(item.id for item in member.items):
            declared_by[ident].append(member.name)
    ids: dict[str, dict[str, str]] = {}
    for member in members:
        counted = {
            item.id: _counted_id(item, member.name, own_kinds, declared_by) for item in member.items
        }
        ids[member.name] = ids[member.project_id] = counted
    ambiguous = {
        i: tuple(names) for i, names in declared_by.items() if len(names) > 1 and i not in own_kinds
    }
    aliases = Aliases(ids, ambiguous)
    items: list[Item] = []
    problems: list[Problem] = []
    stubs = {i for m in members for i, counted in ids[m.name].items() if counted == i}
    for item in own:
        if item.kind is Kind.SERVICE and item.id in stubs and own_kinds[item.id] is Kind.SERVICE:
            problems.append(_stub(item, _declaration(members, item.id)))
            continue
        items.append(map_references(item, aliases.resolve))
    for member in members:
        items += _member_items(member, ids, project_id, own_kinds)
        problems += member.problems
    return Federation(items, problems, aliases)


def _counted_id(
    item: Item, name: str, own_kinds: Mapping[str, Kind], declared_by: Mapping[str, list[str]]
) -> str:
    """The ID a member's item counts under here: its own, unless another holds it."""
    ident = item.id
    if len(declared_by[ident]) > 1:
        return f"{name}:{ident}"
    here = own_kinds.get(ident)
    if here is None or (here is Kind.SERVICE and item.kind is Kind.SERVICE):
        return ident  # a stub service here yields to the member's
    return f"{name}:{ident}"


def _declaration(members: Sequence[Member], ident: str) -> Item:
    return next(i for m in members for i in m.items if i.id == ident and i.kind is Kind.SERVICE)


def _stub(item: Item, theirs: Item) -> Problem:
    where = theirs.location
    message = (
        f"duplicate ID {item.id!r}: this service is also declared by member project "
        f"{where.project!r} at {where.file}:{where.lineno}, whose declaration counts; "
        "remove this stub"
    )
    return Problem(GapKind.DUPLICATE_ID, message, item.location, (item.id,))


def _member_items(
    member: Member,
    ids: Mapping[str, Mapping[str, str]],
    project_id: str,
    own: Mapping[str, Kind],
) -> list[Item]:
    """``member``'s items under the IDs they count under, their references
    resolved within the member first, its ``*`` meaning its own services."""
    local = ids[member.name]
    # a source the member could not read when it was built (it was built
    # first): its references to it are written as the member named it
    read = {s.project_id for s in member.file.sources} | {s.name for s in member.file.sources}
    resolve = _member_resolver(local, ids, project_id, lambda p, i: p not in read and i in own)
    services = sorted(local[i.id] for i in member.items if i.kind is Kind.SERVICE)
    out: list[Item] = []
    for item in member.items:
        # one new record per item, not one per change (200 members: 0.11 s -> 0.075 s)
        changes = reference_changes(item, resolve)
        if isinstance(item, Threat | Mitigation):
            scope = changes.get("applies_to", item.applies_to)
            if "*" in scope:
                changes["applies_to"] = (*services, *(t for t in scope if t != "*"))
        if local[item.id] != item.id:
            changes["id"] = local[item.id]
        out.append(replace(item, **changes) if changes else item)
    return out


def _member_resolver(
    local: Mapping[str, str],
    ids: Mapping[str, Mapping[str, str]],
    project_id: str,
    unread: Callable[[str, str], bool],
) -> Callable[[str], str]:
    """How a member's reference resolves: its own item, ``project-id:ID`` of
    this project or another member, ``name:ID`` of a source it did not read
    (``unread``) that names one of this project's IDs, else as written
    (another project's)."""

    def resolve(ref: str) -> str:
        bang = "!" if ref.startswith("!") else ""
        core = ref[len(bang) :]
        if core in local:
            return bang + local[core]
        prefix, colon, rest = core.partition(":")
        if not colon:
            return ref
        if prefix == project_id:
            return bang + rest
        if prefix in ids:
            return bang + ids[prefix].get(rest, core)
        if unread(prefix, rest):
            return bang + rest
        return ref

    return resolve


def name_candidates(gaps: Iterable[Gap], aliases: Aliases) -> list[Gap]:
    """``gaps`` with each ``unknown-ref`` of a bare ID that several members
    declare saying which (one gap: the reference is ambiguous, not missing)."""
    out = []
    for gap in gaps:
        names = aliases.ambiguous.get(gap.ids[0]) if gap.kind is GapKind.UNKNOWN_REF else None
        if names:
            ref = gap.ids[0]
            head = gap.message.partition(": ")[0].replace(" an unknown ", " an ambiguous ")
            choices = " or ".join(f"{n}:{ref}" for n in names)
            message = (
                f"{head}: {ref!r} is declared by member projects {', '.join(names)}; "
                f"write {choices}"
            )
            gap = gap._replace(message=message)
        out.append(gap)
    return out


# -- what a member saw ------------------------------------------------------------------


class Staleness(NamedTuple):
    """How this project's threats changed since a member's build read them."""

    changed: int
    added: int
    removed: int

    @property
    def stale(self) -> bool:
        """Whether anything changed."""
        return bool(self.changed or self.added or self.removed)

    def describe(self) -> str:
        """``2 changed, 1 added, 0 removed``."""
        return f"{self.changed} changed, {self.added} added, {self.removed} removed"


def staleness(member: Member, project_id: str, current: Mapping[str, str]) -> Staleness | None:
    """How this project's threats (``current``: their digests by ID) changed
    since ``member`` was built; ``None`` when it was not built against this
    project (its file records no source of ``project_id``)."""
    source = next((s for s in member.file.sources if s.project_id == project_id), None)
    if source is None:
        return None
    seen = {
        entry.id
        for entry in member.file.entries(Kind.THREAT.plural)
        if entry.external == source.name
    } | (set(source.digests) & set(current))
    changed = sum(1 for t in seen & set(current) if _differs(source.digests.get(t), current[t]))
    return Staleness(changed, len(set(current) - seen), len(seen - set(current)))


def _differs(seen: str | None, current: str) -> bool:
    """Whether a digest a member saw differs from the current one (one of
    another version, or none, says nothing: it is never counted as changed)."""
    if not seen:
        return False
    version = current.rpartition(":")[0]
    return seen.startswith(version + ":") and seen != current


def member_summaries(
    members: Iterable[Member], project_id: str, current: Mapping[str, str], where: Location
) -> tuple[tuple[MemberSummary, ...], list[Gap]]:
    """What ``threat-projects`` says of each member beyond its items, and a
    ``stale-member`` gap (at ``where``: conf.py's ``threats_aggregate``) for
    each member built against an older version of this project's threats
    (``current``: their digests by ID)."""
    summaries: list[MemberSummary] = []
    gaps: list[Gap] = []
    for member in members:
        seen = staleness(member, project_id, current)
        recorded = [g for g in member.file.gaps if not g.project]
        failing = sum(1 for g in recorded if member.file.build_failing(g))
        summary = MemberSummary(
            member.name,
            member.title or member.name,
            member.base_url,
            _when(member.modified),
            "" if member.cached_age is None else describe_age(member.cached_age),
            seen is not None,
            *(seen or (0, 0, 0)),
            failing,
            len(recorded) - failing,
        )
        summaries.append(summary)
        if seen is not None and seen.stale:
            message = (
                f"member {member.name!r} was built against an older version of this "
                f"project's threats ({seen.describe()} since): rebuild it against the "
                "current threats.json"
            )
            # no IDs: a member's name is no item's (a service may well share it)
            gaps.append(Gap(GapKind.STALE_MEMBER, message, (), where))
    return tuple(summaries), gaps


def _when(modified: float | None) -> str:
    if modified is None:
        return ""
    return dt.datetime.fromtimestamp(modified, dt.UTC).strftime("%Y-%m-%d %H:%M")


def describe_age(seconds: float) -> str:
    """``3 days``, ``5 hours``, ``12 minutes``: a cached copy's age, roughly."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def source_entries(
    externals: Iterable[ExternalModel], members: Iterable[Member]
) -> list[SourceEntry]:
    """What ``threats.json`` records of every other project's file the build
    read (``"sources"``): its name, its project ID and its items' digests."""
    out = [SourceEntry(m.name, m.project_id, dict(m.digests)) for m in externals]
    out += [SourceEntry(m.name, m.project_id, dict(recorded_digests(m.file))) for m in members]
    return out
