"""Building docutils nodes fast, and the small pieces every drawing uses
(paragraphs, badges, field rows, bullet lists, tables).

Nodes are assembled with :func:`element` rather than ``+=``: docutils looks up
the document root on every append, which, on a detached tree, costs a caught
exception per child; report pages hold tens of thousands of nodes.  For the
same reason :func:`element` sets a new element's four instance attributes itself,
as Sphinx's own ``Element.copy`` (``sphinx.util.nodes``) does, instead of going
through ``Element.__init__``'s generic keyword handling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from docutils import nodes

from ..model import Status
from ..views.backlinks import GAP_STATUS

_URL = re.compile(r"https?://[^\s<>\"']+\Z")
_CSS = re.compile(r"[^a-z0-9-]")

#: Computed lists and reports repeat what items declare elsewhere; Sphinx's
#: search leaves them out (the ``no-search`` class), so that a search for an
#: item leads to where it is declared rather than to every page listing it.
NO_SEARCH = ("no-search",)


E = TypeVar("E", bound=nodes.Element)

_Text = nodes.Text
_new = object.__new__
_new_text = str.__new__


def element(cls: type[E], *children: nodes.Node | str, **attributes: Any) -> E:
    """An element with children (strings become text), attached without
    docutils' per-child document lookup.

    Equal to ``cls("", *children, **attributes)`` (a test compares them);
    ``attributes`` may only hold ``classes`` among the class's list
    attributes (the list is taken, not copied: callers pass a fresh one).
    """
    node: E = _new(cls)
    node.rawsource = ""
    node.tagname = cls.tagname or cls.__name__
    node.attributes = {name: [] for name in cls.list_attributes}
    if attributes:
        node.attributes.update(attributes)
    kids: list[nodes.Node] = [
        c if isinstance(c, nodes.Node) else _new_text(_Text, c) for c in children
    ]
    for kid in kids:
        kid.parent = node
    node.children = kids
    return node


def css_name(text: str) -> str:
    """``text`` as part of a CSS class or an anchor (lower case, ``-`` for the rest)."""
    return _CSS.sub("-", text.lower())


def para(*children: nodes.Node | str) -> nodes.paragraph:
    """A paragraph of ``children`` (strings become text)."""
    return element(nodes.paragraph, *children)


def literal(text: str, *classes: str) -> nodes.literal:
    """Inline literal text with ``classes``."""
    return element(nodes.literal, text, classes=list(classes))


def joined(parts: Iterable[nodes.Node], sep: str = ", ") -> list[nodes.Node]:
    """``parts`` with ``sep`` between them."""
    out: list[nodes.Node] = []
    for part in parts:
        if out:
            out.append(nodes.Text(sep))
        out.append(part)
    return out


def badge(text: str, family: str, value: str | None = None) -> nodes.inline:
    """A status/severity/category badge: the word is always there (no colour-only)."""
    css = css_name(value or text)
    return element(nodes.inline, text, classes=["threats-badge", f"threats-{family}-{css}"])


def state_badge(state: str, family: str = "state") -> nodes.inline:
    """A badge of a state in words (``expiring, valid until 2026-06-20``),
    styled by its first word."""
    return badge(state, family, state.split()[0].rstrip(",") if state.strip() else state)


def status_badge(status: Status | str | None) -> nodes.inline:
    """The badge of a computed status; ``unmitigated`` shows as ``GAP``."""
    if status is None:
        return badge("unknown", "status")
    value = str(status)
    text = GAP_STATUS if value == Status.UNMITIGATED.value else value
    return badge(text, "status", "gap" if text == GAP_STATUS else value)


def text_or_link(text: str) -> nodes.Node:
    """Only http(s) URLs become links; everything else stays text."""
    if _URL.match(text):
        return element(nodes.reference, text, refuri=text)
    return nodes.Text(text)


def field(name: str, body: Sequence[nodes.Node]) -> nodes.field:
    """One row of a field list: inline ``body`` nodes in a paragraph, blocks after it."""
    inline = [n for n in body if isinstance(n, nodes.Inline | nodes.Text)]
    blocks = [n for n in body if not isinstance(n, nodes.Inline | nodes.Text)]
    content = [para(*inline)] if inline else []
    return element(
        nodes.field,
        element(nodes.field_name, name),
        element(nodes.field_body, *content, *blocks),
    )


def bullets(rows: Iterable[Sequence[nodes.Node]]) -> nodes.bullet_list:
    """A list of links, one row of inline nodes per item."""
    return element(
        nodes.bullet_list,
        *[element(nodes.list_item, para(*row)) for row in rows],
        classes=["threats-links"],
    )


#: What a table cell holds: text, an inline node or a block (in a paragraph
#: unless it is one), a list of blocks, or a ready entry.
Cell = str | nodes.Node | list[nodes.Node]


def _cell(value: Cell) -> nodes.entry:
    if isinstance(value, list):  # blocks
        return element(nodes.entry, *value)
    if isinstance(value, nodes.entry):
        return value
    if isinstance(value, nodes.paragraph | nodes.bullet_list | nodes.table):
        return element(nodes.entry, value)
    return element(nodes.entry, para(value))


def table(
    headers: Sequence[str | nodes.Node],
    rows: Iterable[Sequence[Cell]],
    classes: Sequence[str],
    widths: Sequence[int] | None = None,
    starts: Sequence[int] = (),
    *,
    fixed: bool = False,
) -> nodes.table:
    """A table; rows whose index is in ``starts`` begin a group (a service).

    ``widths`` are what the text writer wraps cells at (in characters) and,
    when ``fixed``, the LaTeX writer's column proportions of the line width.
    """
    colspecs = [
        element(nodes.colspec, colwidth=w)
        for w in widths or [max(len(h) if isinstance(h, str) else 4, 8) for h in headers]
    ]
    head = element(nodes.thead, element(nodes.row, *[_cell(h) for h in headers]))
    first_rows = set(starts)
    body_rows = [
        element(
            nodes.row,
            *[_cell(c) for c in cells],
            classes=["threats-group-start"] if index in first_rows else [],
        )
        for index, cells in enumerate(rows)
    ]
    if not body_rows:
        body_rows = [element(nodes.row, *[_cell("-") for _ in headers])]
    # docutils' own mark of widths given (``.. table:: :widths:``): the LaTeX
    # writer then sizes each column as its share of the line width
    given = ["colwidths-given"] if fixed else []
    return element(
        nodes.table,
        element(nodes.tgroup, *colspecs, head, element(nodes.tbody, *body_rows), cols=len(headers)),
        classes=["threats-table", *classes, *given],
    )


#: Text output is read in an 80-column terminal: a table's column widths sum
#: to this, less the three characters of border each column takes.
TEXT_WIDTH = 79


def fit(weights: Sequence[int], width: int = TEXT_WIDTH) -> list[int]:
    """Column widths in proportion to ``weights`` whose table fits ``width``."""
    room = width - 1 - 3 * len(weights)
    total = sum(weights) or 1
    out = [max(4, room * w // total) for w in weights]
    return out
