"""YAML catalogues: items declared in bulk, read into the same records a directive makes.

Pure (no Sphinx).  A catalogue is a mapping whose keys are the item kinds in
the plural (``threats``, ``mitigations``, ...), each a list of entries; an
entry has ``id``, ``title``, the directive's options under their option names
and ``body``.  Every value goes through :func:`~.schema.values.parse_item`, the code
that reads directive options, so a catalogue and a directive can never
disagree.

The file is *composed* with PyYAML's safe loader, never constructed: no tag
can run code, and every value keeps the line it was written on.  Scalars are
taken as text and lists as lists (so a tag containing a comma stays one tag);
only the core YAML tags are accepted, any other (``!!python/object/apply``...)
is refused with a warning at its line.  The limits of :mod:`.safeload` hold
(size, nesting depth, what aliases expand to): a part they refuse is one
warning at its line and the rest of the catalogue still counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .digest import collapse
from .model import GapKind, Item, Kind, Location, Problem
from .safeload import MAX_YAML_BYTES, REFUSED_TAG, Refused, compose_yaml
from .schema.options import Vocabulary
from .schema.values import RawValue, parse_item

#: The largest catalogue read, in bytes (a larger one is refused with a warning).
MAX_BYTES = MAX_YAML_BYTES

#: The catalogue key of each kind.
KINDS_BY_KEY: dict[str, Kind] = {kind.plural: kind for kind in Kind}

_CORE = "tag:yaml.org,2002:"
#: Tags a catalogue may use: YAML's core schema, nothing that constructs objects.
SAFE_TAGS = frozenset(
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
_NULL = _CORE + "null"


class CatalogEntry(NamedTuple):
    """One item of a catalogue and its body text."""

    item: Item
    #: The ``body`` text (``""`` when none).
    body: str = ""
    #: The line the body text starts on.
    body_line: int = 0


class Catalog(NamedTuple):
    """What one catalogue file declares."""

    #: The path as items and warnings show it (relative to the source directory).
    file: str
    #: A digest of the file's bytes (``""`` when it could not be read).
    digest: str
    #: The entries, in file order.
    entries: tuple[CatalogEntry, ...]
    #: Every problem found, each at its line.
    problems: tuple[Problem, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        """The items, in file order."""
        return tuple(entry.item for entry in self.entries)


class CatalogRender(NamedTuple):
    """A ``threat-catalog`` directive: which entries of a catalogue it renders."""

    #: The catalogue (its :attr:`~.catalog.Catalog.file`).
    file: str
    #: Positions of the rendered entries in the catalogue.
    positions: tuple[int, ...]
    #: Where the directive is.
    location: Location


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[Problem] = []

    def say(self, message: str, node: yaml.Node | None, ids: tuple[str, ...] = ()) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        where = Location(self.file, line)
        self.found.append(Problem(GapKind.INVALID, message, where, ids))

    def refused(self, err: Refused) -> None:
        """What the bounded reader refused, at its line."""
        where = Location(self.file, err.line)
        self.found.append(Problem(GapKind.INVALID, f"the catalogue {err.reason}", where))


def read_catalog(path: Path, file: str, vocabulary: Vocabulary) -> Catalog:
    """Read the catalogue at ``path`` (shown as ``file``): never raises on bad input."""
    problems = _Problems(file)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            problems.say(
                f"the catalogue is {size} bytes; the limit is {MAX_BYTES} bytes (split it)", None
            )
            return Catalog(file, "", (), tuple(problems.found))
        data = path.read_bytes()
    except OSError as err:
        problems.say(f"cannot read the catalogue ({err.strerror or err})", None)
        return Catalog(file, "", (), tuple(problems.found))
    digest = hashlib.sha256(data).hexdigest()
    entries = tuple(_items(data, problems, vocabulary))
    return Catalog(file, digest, entries, tuple(problems.found))


def _items(data: bytes, problems: _Problems, vocabulary: Vocabulary) -> Iterator[CatalogEntry]:
    try:
        root, refused = compose_yaml(data.decode("utf-8"), max_bytes=MAX_BYTES)
    except UnicodeDecodeError:
        problems.say("the catalogue is not UTF-8 text", None)
        return
    except Refused as err:
        problems.refused(err)
        return
    for part in refused:
        problems.refused(part)
    if root is None:
        return  # an empty file declares nothing
    if not isinstance(root, yaml.MappingNode):
        problems.say(
            "a catalogue is a mapping of item kinds (" + ", ".join(KINDS_BY_KEY) + ") to lists",
            root,
        )
        return
    for key, value in _pairs(root, problems, "the catalogue"):
        kind = KINDS_BY_KEY.get(key.value)
        if kind is None:
            problems.say(f"unknown key {key.value!r} (allowed: {', '.join(KINDS_BY_KEY)})", key)
            continue
        if not isinstance(value, yaml.SequenceNode):
            if value.tag != _NULL:
                problems.say(f"{key.value!r} must be a list of entries", value)
            continue
        for node in value.value:
            if node.tag == REFUSED_TAG:
                continue  # reported by the reader
            entry = _entry(kind, node, problems, vocabulary)
            if entry is not None:
                yield entry


def _pairs(
    node: yaml.MappingNode, problems: _Problems, where: str
) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    """The (key, value) pairs of a mapping: keys must be plain text, each once."""
    seen: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            problems.say(f"{where}: a key must be a plain name", key)
        elif key.value in seen:
            problems.say(f"{where}: {key.value!r} is given twice; the first is used", key)
        elif _refused(value, problems, f"{where}: {key.value!r}"):
            seen.add(key.value)
        else:
            seen.add(key.value)
            yield key, value


def _refused(node: yaml.Node, problems: _Problems, what: str) -> bool:
    """Whether ``node`` carries a tag outside YAML's core schema (then it is
    reported), or stands for a part the reader refused (reported there)."""
    if node.tag in SAFE_TAGS:
        return False
    if node.tag == REFUSED_TAG:
        return True
    problems.say(f"{what} has the tag {node.tag!r}, which is refused (safe YAML only)", node)
    return True


def _entry(
    kind: Kind, entry: yaml.Node, problems: _Problems, vocabulary: Vocabulary
) -> CatalogEntry | None:
    """The record of one entry (``None`` when the entry is not a mapping)."""
    line = entry.start_mark.line + 1
    if not isinstance(entry, yaml.MappingNode):
        problems.say(f"an entry of {kind.plural!r} must be a mapping (id, title, options)", entry)
        return None
    given_id = next(
        (v.value for k, v in entry.value if k.value == "id" and isinstance(v, yaml.ScalarNode)),
        "",
    )
    label = f"{kind.value} {given_id.strip()!r}" if given_id.strip() else f"{kind.value} entry"
    title = ""
    body, body_line = "", 0
    options: dict[str, RawValue] = {}
    lines: dict[str, int] = {}
    unreadable: list[str] = []
    for key, value in _pairs(entry, problems, label):
        name = key.value
        raw = _value(value, problems, f"{label}: {name!r}")
        if raw is None and isinstance(value, yaml.MappingNode):
            unreadable.append(name)  # reported; nothing more to say of it
        if name in ("title", "body"):
            if isinstance(raw, list):
                problems.say(f"{label}: {name!r} must be text, not a list", value)
                raw = " ".join(raw)  # kept, as text
            text = str(raw or "")
            if name == "title":
                title = text
            else:
                body = text
                # a block scalar (``|``) starts on the line after its key
                block = getattr(value, "style", None) in ("|", ">")
                body_line = value.start_mark.line + 1 + block
            continue
        options[name] = raw
        lines[name] = value.start_mark.line + 1
    location = Location(problems.file, line)
    item, found = parse_item(
        kind,
        title,
        options,
        location,
        vocabulary,
        option_lines=lines,
        has_body=bool(body.strip()),
        unreadable=unreadable,
    )
    problems.found.extend(found)
    # the body as written: a catalogue is read without a parser, so its text
    # is what the digest covers (markup and all)
    return CatalogEntry(replace(item, body=collapse(body)), body, body_line)


def _value(node: yaml.Node, problems: _Problems, what: str) -> RawValue:
    """A field's value: text, ``None``, or a list of text."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL else str(node.value)
    if isinstance(node, yaml.SequenceNode):
        out: list[Any] = []
        for child in node.value:
            if not isinstance(child, yaml.ScalarNode):
                problems.say(f"{what}: a list entry must be a plain value", child)
            elif not _refused(child, problems, what):
                out.append(str(child.value))
        return out
    problems.say(f"{what}: a mapping is not a value here", node)
    return None
