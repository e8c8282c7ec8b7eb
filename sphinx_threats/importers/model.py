"""The neutral model every importer produces and every writer reads.

An importer turns one foreign file into an :class:`ImportedModel`: items with
typed option values (lists as tuples, dates as :class:`datetime.date`), bodies
as blocks that say what kind of text they hold (plain text from the source is
escaped by the writers, Markdown prose is kept as Markdown), the product
page's prose, files to write beside the pages (images), what ``conf.py`` needs,
and the problems found.  Nothing here knows about reStructuredText, MyST or
YAML, so the three output forms cannot disagree on what was imported.

Pure: no Sphinx, no docutils.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..model import Kind
from ..schema.options import ID_RE

#: Directive names of the items an import writes, in the order a page shows them.
ITEM_KINDS = tuple(kind.value for kind in Kind)

#: Catalogue key of each kind (the SPEC's plural names).
PLURAL = {kind.value: kind.plural for kind in Kind}

#: One option value: text, a list of IDs or tags, or a date.
OptionValue = str | tuple[str, ...] | dt.date


@dataclass(frozen=True)
class Text:
    """Plain text from the source: shown as it is, never read as markup."""

    text: str


@dataclass(frozen=True)
class Markdown:
    """Markdown prose from the source (Threat Composer's descriptions and comments)."""

    text: str
    #: Shown before the prose (``Comments``); empty for none.
    label: str = ""


@dataclass(frozen=True)
class Fields:
    """Source fields that have no option of ours: ``(label, value)`` rows."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Image:
    """An image written beside the pages (``path`` relative to the project)."""

    path: str
    alt: str


@dataclass(frozen=True)
class Link:
    """An image or document the source only points to (an http(s) URL)."""

    url: str
    label: str


#: What a body or a prose section is made of.
Block = Text | Markdown | Fields | Image | Link


@dataclass(frozen=True)
class ImportedItem:
    """One item to declare, as its directive or catalogue entry would say it."""

    #: Directive name (one of :data:`ITEM_KINDS`).
    kind: str
    id: str
    title: str
    #: ``(option name, value)`` in the order they are written.
    options: tuple[tuple[str, OptionValue], ...] = ()
    body: tuple[Block, ...] = ()

    def option(self, name: str) -> OptionValue | None:
        """The value of option ``name`` (``None`` when not given)."""
        return dict(self.options).get(name)

    @property
    def page(self) -> str | None:
        """The service whose page shows this item (``None``: the product page)."""
        if self.kind == "service":
            return self.id
        if self.kind in ("threat", "mitigation", "data-store"):
            service = self.option("service")
            return service if isinstance(service, str) else None
        return None


@dataclass(frozen=True)
class Section:
    """A titled part of the product page's prose."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ImportedModel:
    """Everything one import found, ready for a writer."""

    #: The source format (``threat-composer``, ``threat-dragon``, ``otm``).
    source_format: str
    #: The project's title (the product page's heading).
    title: str
    items: tuple[ImportedItem, ...]
    sections: tuple[Section, ...] = ()
    #: ``(path relative to the project, content)`` of files to write (images).
    files: tuple[tuple[str, bytes], ...] = ()
    #: ``threats_categories`` the model needs (id -> label); empty: the default.
    categories: tuple[tuple[str, str], ...] = ()
    #: ``threats_risk_matrix`` the model needs (likelihood -> impact -> severity).
    risk_matrix: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    #: What the user is told: dangling links skipped, values completed.
    problems: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[ImportedItem]:
        """The items of ``kind``, in model order."""
        return [item for item in self.items if item.kind == kind]


@dataclass(frozen=True)
class ImportSettings:
    """What the import fills in where the source has nothing."""

    #: ``:due:`` of every planned or in-progress mitigation.
    due: dt.date
    #: ``:expires:`` of every imported risk acceptance.
    expires: dt.date
    #: ``:owner:`` of an acceptance when the source names nobody.
    owner: str = "unassigned"


class SourceError(ValueError):
    """The source file does not have the shape its format requires.

    The message names the JSON path of the offending value
    (``$.threats[3].statement``).
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


_NOT_ID_CHAR = re.compile(r"[^A-Za-z0-9_.\-]+")


def slug(text: str) -> str:
    """``text`` as ID characters: lower case, runs of others as one ``-``."""
    ascii_text = text.encode("ascii", "ignore").decode()
    return _NOT_ID_CHAR.sub("-", ascii_text.lower()).strip("-.") or "x"


@dataclass
class IdAllocator:
    """Hands out unique IDs that follow the SPEC's rule.

    An ID is ``PREFIX-<source id>``; the source id is sanitised (see
    :func:`slug`, case kept), and a second source id that sanitises to a
    taken ID gets ``-2``, ``-3``... in source order, so the same file always
    gives the same IDs.
    """

    taken: set[str] = field(default_factory=set)

    def new(self, prefix: str, source_id: object) -> str:
        """A fresh ID for ``source_id`` under ``prefix``."""
        raw = str(source_id).encode("ascii", "ignore").decode()
        tail = _NOT_ID_CHAR.sub("-", raw).strip("-.") or "x"
        base = f"{prefix}-{tail}"
        candidate, number = base, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{base}-{number}"
        # the prefix starts with a letter, so this holds for every source id
        assert ID_RE.match(candidate), candidate
        self.taken.add(candidate)
        return candidate


def tag_text(text: str) -> str:
    """``text`` as one tag: one line, its commas kept (the writers escape them)."""
    return " ".join(text.split())


def tags(values: Iterable[str]) -> tuple[str, ...]:
    """Tags from source values, cleaned and without repeats, in source order."""
    return tuple(dict.fromkeys(t for t in (tag_text(v) for v in values) if t))


def options(pairs: Mapping[str, OptionValue | None]) -> tuple[tuple[str, OptionValue], ...]:
    """Option pairs without the empty ones (``None``, ``""``, ``()``)."""
    return tuple((name, value) for name, value in pairs.items() if value not in (None, "", ()))
