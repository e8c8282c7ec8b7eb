"""Another project's ``threats.json`` read back into model records (``threats_external``).

Pure (no Sphinx): :mod:`~.sources` fetches the bytes through :mod:`~.fetch`
(a path, or a URL with its cache); this module turns them into the same
records a directive makes, through :func:`~.schema.values.parse_item`, so an
external item gets exactly the validation one of ours gets.  Each record's
:class:`~.model.Location` keeps the other project's file and line, names the
source (``external``) and carries the absolute URI of the item's anchor
there, when that project's pages are known.

What the other project computed (statuses, coverage, gaps) is not read: this
project analyses the items again, with its own mitigations added.  Items that
file lists as another project's (``external`` or ``project``) are left out:
each project exports only its own, so no project reads its own items back.
:mod:`~.members` reads a member project's file through :func:`parse_entries` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import Any, NamedTuple

from . import fetch
from .config import project_slug
from .model import Item, Kind, Location, Problem
from .schema.options import OPTIONS_BY_NAME, REFERENCES, Vocabulary
from .schema.values import RawValue, parse_item
from .threatsfile.read import FormatError, ItemEntry, ThreatsFile, read

#: The largest external model read, in bytes (a larger one is refused).
MAX_BYTES = 20 * 1024 * 1024
#: Said of a source over :data:`MAX_BYTES` (it is not read further).
TOO_LARGE = fetch.TOO_LARGE.format(limit=MAX_BYTES)
#: How many of an external model's item problems one warning lists.
SHOWN_PROBLEMS = 3


class ExternalModel(NamedTuple):
    """What one ``threats_external`` source gives this build."""

    #: The source's name in ``threats_external`` (the ``name`` of ``name:ID``).
    name: str
    #: The items, in file order (empty when the source is unusable).
    items: tuple[Item, ...]
    #: What is wrong with the source or some of its items (``""``: nothing).
    problem: str = ""
    #: Whether the source is a ``threats.json`` at all (else it gives nothing).
    usable: bool = True
    #: That project's ``threats_project_id`` (``""``: its file does not say).
    project_id: str = ""
    #: The digest of each of its items, by ID, as its file records them.
    digests: tuple[tuple[str, str], ...] = ()


def read_model(
    name: str, data: bytes, base_url: str, vocabulary: Vocabulary, project_id: str = ""
) -> ExternalModel:
    """The items of the ``threats.json`` in ``data``; never raises on bad input.

    ``base_url`` (may be empty: the items are then shown unlinked) is joined
    with each item's ``uri`` to link to it.  A reference of theirs to one of
    this project's items (``project_id:ID``: that project aggregates this
    one) names it by its plain ID.
    """
    if len(data) > MAX_BYTES:
        return ExternalModel(name, (), TOO_LARGE, usable=False)
    try:
        model = read(data)
    except FormatError as err:
        return ExternalModel(name, (), err.about("it"), usable=False)
    records, problems = parse_entries(model, base_url, vocabulary, external=name)
    if project_id:
        ours = f"{project_id}:"

        def resolve(ref: str) -> str:
            bang = "!" if ref.startswith("!") else ""
            return bang + ref[len(bang) :].removeprefix(ours)

        records = [map_references(item, resolve) for item in records]
    return ExternalModel(
        name,
        tuple(records),
        _summary(problems),
        project_id=project_id_of(model, name),
        digests=recorded_digests(model),
    )


def parse_entries(
    model: ThreatsFile,
    base_url: str,
    vocabulary: Vocabulary,
    *,
    external: str = "",
    project: str = "",
) -> tuple[list[Item], list[Problem]]:
    """The records of ``model``'s own items (checked under ``vocabulary``) and
    their problems, each located at the other project's file and line and
    marked as the source ``external`` or the member ``project``."""
    records: list[Item] = []
    problems: list[Problem] = []
    for kind, entry in _entries(model):
        options: dict[str, RawValue] = {
            key: value
            for key, value in entry.values.items()
            if key in OPTIONS_BY_NAME[kind] and value not in (None, "", [])
        }
        uri = join_uri(base_url, entry.uri) if base_url and entry.uri else ""
        location = Location(entry.file, entry.lineno, "", external, uri, project)
        item, found = parse_item(
            kind, entry.title, options, location, vocabulary, digest=entry.digest
        )
        records.append(item)
        problems.extend(found)
    return records, problems


def recorded_digests(model: ThreatsFile) -> tuple[tuple[str, str], ...]:
    """The ``digest`` of each of ``model``'s own items that records one, by ID."""
    found = {entry.id: entry.digest for _, entry in _entries(model) if entry.digest}
    return tuple(sorted(found.items()))


def project_id_of(model: ThreatsFile, name: str) -> str:
    """``model``'s ``threats_project_id``, or the default its ``project`` gives,
    or (a file that names no project) ``name``, its source's."""
    if model.project_id:
        return model.project_id
    return project_slug(model.project) if model.project.strip() else name


def _entries(model: ThreatsFile) -> Iterator[tuple[Kind, ItemEntry]]:
    """The entries this project can use, with their kind, in file order."""
    kinds = {kind.plural: kind for kind in Kind}
    for key, entries in model.items.items():
        kind = kinds.get(key)
        if kind is None:
            continue  # a kind a newer version knows: nothing here can use it
        for entry in entries:
            if not entry.foreign:  # another project's item there: not its to export
                yield kind, entry


def join_uri(base_url: str, uri: str) -> str:
    """``uri`` (relative to the other project's output root) under ``base_url``."""
    return base_url.rstrip("/") + "/" + uri.lstrip("/")


def _summary(problems: list[Problem]) -> str:
    if not problems:
        return ""
    shown = "; ".join(p.message for p in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return (
        f"{len(problems)} problem(s) with its items under this project's configuration "
        f"(they are used as far as they can be): {shown}"
        + (f"; and {more} more" if more > 0 else "")
    )


def own_and_external(
    own: list[Item], models: list[ExternalModel], cited: Iterable[str] = ()
) -> tuple[list[Item], list[Item], Prefixes]:
    """This project's items with every ``name:ID`` reference resolved, the
    external items that count here, and how a ``name:ID`` resolves.

    An ID declared here shadows an external item with that ID, and the first
    source (in ``threats_external`` order) shadows the later ones: every plain
    ID names one item, and this project's own declaration is the one it
    answers for.  ``name:ID`` names source ``name``'s item, always: when
    another holds the plain ID, that item counts here as ``name:ID`` (only
    when something cites it so: ``cited`` are the roles' targets).
    """
    holders = {item.id: "" for item in own}
    external: list[Item] = []
    for model in models:
        for item in model.items:
            if item.id not in holders:
                holders[item.id] = model.name
                external.append(item)
    names = frozenset(model.name for model in models)
    wanted = {
        target.lstrip("!")
        for target in chain(cited, (ref for item in own for ref in _references(item)))
    }
    kept: set[str] = set()
    for model in models:
        for item in model.items:
            qualified = f"{model.name}:{item.id}"
            if qualified in wanted and holders[item.id] != model.name and qualified not in kept:
                kept.add(qualified)
                external.append(replace(item, id=qualified))
    prefixes = Prefixes(names, holders, frozenset(kept))
    return [prefixes.unprefixed(item) for item in own], external, prefixes


class Prefixes(NamedTuple):
    """What each ``name:ID`` reference of a build names."""

    #: The sources' names (the ``name`` of ``name:ID``).
    names: frozenset[str]
    #: Each plain ID and the source whose item holds it (``""``: this project's).
    holders: dict[str, str]
    #: The ``name:ID`` under which a source's item counts, another holding its ID.
    kept: frozenset[str]

    def resolve(self, ident: str) -> str:
        """The ID that ``ident`` (``name:ID``, ``!name:ID`` or any other) names here.

        ``name:ID`` is ``ID`` when source ``name``'s item holds it, else
        itself: that item counted under it, or (the source has no such item)
        an unknown reference, said so, never another source's ``ID``.
        """
        bang = "!" if ident.startswith("!") else ""
        name, colon, rest = ident[len(bang) :].partition(":")
        if colon and name in self.names and rest and self.holders.get(rest) == name:
            return f"{bang}{rest}"
        return ident

    def unprefixed(self, item: Item) -> Item:
        """``item`` with its references resolved (see :meth:`resolve`)."""
        if not self.names:
            return item
        return map_references(item, self.resolve)


def map_references(item: Item, resolve: Callable[[str], str]) -> Item:
    """``item`` with every ID its reference options name passed through ``resolve``
    (the same record when nothing changes)."""
    changes = reference_changes(item, resolve)
    return replace(item, **changes) if changes else item


def reference_changes(item: Item, resolve: Callable[[str], str]) -> dict[str, Any]:
    """The fields of ``item``'s reference options that ``resolve`` changes,
    with their new values (for :func:`dataclasses.replace`)."""
    changes: dict[str, Any] = {}
    for option in REFERENCES[item.kind]:
        value = getattr(item, option.field)
        if isinstance(value, str):
            new: Any = resolve(value)
        elif isinstance(value, tuple):
            new = tuple(resolve(v) for v in value)
        else:
            continue
        if new != value:
            changes[option.field] = new
    return changes


def _references(item: Item) -> Iterator[str]:
    """Every ID that ``item``'s reference options name."""
    for option in REFERENCES[item.kind]:
        value = getattr(item, option.field)
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, str))


#: A build without sources: every ID is what it says.
NO_PREFIXES = Prefixes(frozenset(), {}, frozenset())
