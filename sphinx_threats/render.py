"""Views -> docutils nodes.  No environment access.

Only standard docutils nodes are drawn (tables, field lists, bullet lists,
rubrics, inline badges, references), so every builder writes them.  Links are
made by a *linker* that the caller gets from the builder (``events``), so
each builder computes its own URIs.

Nodes are assembled with :func:`element` rather than ``+=``: docutils looks up
the document root on every append, which, on a detached tree, costs a caught
exception per child; report pages hold tens of thousands of nodes.  For the
same reason :func:`element` sets a new element's four instance attributes itself,
as Sphinx's own ``Element.copy`` (``sphinx.util.nodes``) does, instead of going
through ``Element.__init__``'s generic keyword handling.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from docutils import nodes

from .model import Status
from .views import (
    GAP_STATUS,
    REPORTS,
    BackLink,
    Badge,
    Categories,
    FieldValue,
    GapGroup,
    ItemView,
    Link,
    Links,
    MatrixGroup,
    MatrixRow,
    Numbers,
    ScopeTerms,
    ServiceCoverage,
    StatusValue,
    SummaryView,
    Tags,
    Url,
)

_URL = re.compile(r"https?://[^\s<>\"']+\Z")
_CSS = re.compile(r"[^a-z0-9-]")

#: Computed lists and reports repeat what items declare elsewhere; Sphinx's
#: search leaves them out (the ``no-search`` class), so that a search for an
#: item leads to where it is declared rather than to every page listing it.
NO_SEARCH = ("no-search",)

CWE_URL = "https://cwe.mitre.org/data/definitions/{}.html"
CAPEC_URL = "https://capec.mitre.org/data/definitions/{}.html"

#: Makes an empty reference to an item, with the builder's URI; ``None`` when
#: the item cannot be linked from here (not declared, or on a page this output
#: leaves out).
Linker = Callable[[Link], nodes.reference | None]

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


def _para(*children: nodes.Node | str) -> nodes.paragraph:
    return element(nodes.paragraph, *children)


def _literal(text: str, *classes: str) -> nodes.literal:
    return element(nodes.literal, text, classes=list(classes))


def _joined(parts: Iterable[nodes.Node], sep: str = ", ") -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for part in parts:
        if out:
            out.append(nodes.Text(sep))
        out.append(part)
    return out


def badge(text: str, family: str, value: str | None = None) -> nodes.inline:
    """A status/severity/category badge: the word is always there (no colour-only)."""
    css = _CSS.sub("-", (value or text).lower())
    return element(nodes.inline, text, classes=["threats-badge", f"threats-{family}-{css}"])


def status_badge(status: Status | str | None) -> nodes.inline:
    """The badge of a computed status; ``unmitigated`` shows as ``GAP``."""
    if status is None:
        return badge("unknown", "status")
    value = str(status)
    text = GAP_STATUS if value == Status.UNMITIGATED.value else value
    return badge(text, "status", "gap" if text == GAP_STATUS else value)


def _text_or_link(text: str) -> nodes.Node:
    """Only http(s) URLs become links; everything else stays text."""
    if _URL.match(text):
        return element(nodes.reference, text, refuri=text)
    return nodes.Text(text)


def _field(name: str, body: Sequence[nodes.Node]) -> nodes.field:
    inline = [n for n in body if isinstance(n, nodes.Inline | nodes.Text)]
    blocks = [n for n in body if not isinstance(n, nodes.Inline | nodes.Text)]
    content = [_para(*inline)] if inline else []
    return element(
        nodes.field,
        element(nodes.field_name, name),
        element(nodes.field_body, *content, *blocks),
    )


def _bullets(rows: Iterable[Sequence[nodes.Node]]) -> nodes.bullet_list:
    return element(
        nodes.bullet_list,
        *[element(nodes.list_item, _para(*row)) for row in rows],
        classes=["threats-links"],
    )


def _cell(value: Any) -> nodes.entry:
    if isinstance(value, nodes.paragraph | nodes.bullet_list | nodes.table):
        return element(nodes.entry, value)
    return element(nodes.entry, _para(value))


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    classes: Sequence[str],
    widths: Sequence[int] | None = None,
    starts: Sequence[int] = (),
) -> nodes.table:
    """A table; rows whose index is in ``starts`` begin a group (a service)."""
    # column widths matter to the text and LaTeX writers
    colspecs = [
        element(nodes.colspec, colwidth=w) for w in widths or [max(len(h), 8) for h in headers]
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
    return element(
        nodes.table,
        element(nodes.tgroup, *colspecs, head, element(nodes.tbody, *body_rows), cols=len(headers)),
        classes=["threats-table", *classes],
    )


def _coverage_cell(covered: int, total: int, worst: Status | None) -> list[nodes.Node]:
    if total == 0:
        return [nodes.Text("no services in scope")]
    parts: list[nodes.Node] = [nodes.Text(f"{covered} of {total}")]
    if worst is not None:
        parts += [nodes.Text(" (worst: "), status_badge(worst), nodes.Text(")")]
    return parts


class Renderer:
    """Draws the nodes of item blocks and reports from their views."""

    def __init__(self, linker: Linker, category_labels: Mapping[str, str]) -> None:
        self.linker = linker
        self.labels = category_labels

    def xref(self, link: Link) -> nodes.Element:
        """A link showing the item's ID (the ID alone when it cannot be linked)."""
        # the ID is the link's own text, styled by its class: not a literal,
        # whose every word the HTML writer wraps in a span of its own, nor an
        # inline inside the link; reports hold tens of thousands of IDs
        ref = self.linker(link)
        if ref is None:
            return element(nodes.inline, link.id, classes=["threats-id"])
        ref["classes"].append("threats-id")
        text = _new_text(_Text, link.id)
        text.parent = ref
        ref.children.append(text)
        return ref

    def titled(self, link: Link) -> list[nodes.Node]:
        """The link to an item followed by its title."""
        if link.title and link.title != link.id:
            return [self.xref(link), _new_text(_Text, " " + link.title)]
        return [self.xref(link)]

    def _xrefs(self, links: Iterable[Link]) -> list[nodes.Node]:
        return _joined(self.xref(link) for link in links)

    def _category(self, category: str) -> nodes.inline:
        return badge(self.labels.get(category, category), "category", category)

    # -- item blocks --------------------------------------------------------------

    def item_fields(self, view: ItemView) -> nodes.field_list:
        """The field list of an item block."""
        fields = [_field("ID", [_literal(view.id, "threats-id")])]
        fields += [_field(f.name, self._field_value(f.value)) for f in view.fields]
        return element(nodes.field_list, *fields, classes=["threats-fields"])

    def _field_value(self, value: FieldValue) -> list[nodes.Node]:
        match value:
            case str():
                return [nodes.Text(value)]
            case Link():
                return self.titled(value)
            case StatusValue(status):
                return [status_badge(status)]
            case Badge(family, text):
                return [badge(text, family, text.split()[0])]
            case Categories(ids):
                return _joined(self._category(c) for c in ids)
            case Tags(tags):
                return _joined(badge(t, "tag") for t in tags)
            case ScopeTerms(terms):
                return [nodes.Text(", ".join(terms))]
            case Numbers(catalogue, numbers):
                url = CWE_URL if catalogue == "cwe" else CAPEC_URL
                label = catalogue.upper()
                return _joined(
                    element(nodes.reference, f"{label}-{n}", refuri=url.format(n)) for n in numbers
                )
            case Url(text):
                return [_text_or_link(text)]
            case Links(links):
                return self._xrefs(links)
        raise TypeError(f"not a field value: {value!r}")

    def item_links(self, view: ItemView) -> list[nodes.Node]:
        """The computed back-links of an item block (empty sections omitted)."""
        out: list[nodes.Node] = []
        for section in view.links:
            if not section.rows:
                continue
            out.append(element(nodes.rubric, section.title, classes=["threats-backlinks-title"]))
            out.append(_bullets(self._backlink_row(row) for row in section.rows))
        if not out:
            return []
        return [element(nodes.container, *out, classes=["threats-backlinks", *NO_SEARCH])]

    def _backlink_row(self, row: BackLink) -> list[nodes.Node]:
        parts: list[nodes.Node] = self.titled(row.link)
        state = row.state
        if state is not None:
            parts.append(nodes.Text(" "))
            parts.append(
                status_badge(state)
                if isinstance(state, Status)
                else badge(state, "state", state.split()[0].rstrip(","))
            )
        if row.by:
            parts.append(nodes.Text(" by "))
            parts.extend(self._xrefs(row.by))
        return parts

    # -- reports ------------------------------------------------------------------

    def matrix(self, view: Sequence[MatrixGroup]) -> list[nodes.Node]:
        """Nodes of ``threat-matrix``."""
        out: list[nodes.Node] = []
        headers = [
            "ID",
            "Threat",
            "Category",
            "Severity",
            "Service",
            "Mitigations",
            "Acceptances",
            "Status",
            "Services covered",
        ]
        for key, rows in view:
            if key:
                out.append(
                    element(nodes.rubric, self.labels.get(key, key), classes=["threats-group"])
                )
            body = [self._matrix_row(row) for row in rows]
            out.append(
                _table(headers, body, ["threats-matrix"], [10, 20, 12, 9, 9, 18, 10, 10, 11])
            )
        if not view:
            out.append(_para("No threats match."))
        return out

    def _matrix_row(self, row: MatrixRow) -> list[Any]:
        link, severity = row.threat, row.severity or "unknown"
        mits = row.mitigations
        return [
            self.xref(link),
            _para(link.title or link.id),
            _para(*_joined(self._category(c) for c in row.categories)),
            badge(severity, "severity", severity),
            self.xref(row.service) if row.service else _para("product"),
            _bullets(
                [self.xref(m.link), nodes.Text(" "), badge(m.state, "state", m.state.split(",")[0])]
                for m in mits
            )
            if mits
            else _para("-"),
            _para(*self._xrefs(a.link for a in row.acceptances)) if row.acceptances else _para("-"),
            status_badge(row.status),
            _para(*_coverage_cell(row.covered, row.total, row.worst)),
        ]

    def coverage(self, view: Sequence[ServiceCoverage]) -> list[nodes.Node]:
        """Nodes of ``threat-coverage``: one row per pair, grouped per service.

        A services x threats grid does not survive 50 services (nor LaTeX); one
        block per service stays readable at any size.
        """
        headers = ["Service", "Threat", "Severity", "Status", "Covered by"]
        body: list[list[Any]] = []
        starts: list[int] = []
        for service, rows in view:
            starts.append(len(body))
            gaps = Counter(c.status for c in rows).get(Status.UNMITIGATED, 0)
            summary = f"{len(rows)} threats in scope" + (f", {gaps} GAP" if gaps else "")
            if not rows:
                body.append([_para(*self.titled(service)), "no threats in scope", "", "", ""])
            for position, (link, sev, status, by) in enumerate(rows):
                body.append(
                    [
                        _para(*self.titled(service), f" ({summary})") if position == 0 else "",
                        _para(*self.titled(link)),
                        badge(sev or "unknown", "severity", sev or "unknown"),
                        status_badge(status),
                        _para(*self._xrefs(by)) if by else "-",
                    ]
                )
        return [_table(headers, body, ["threats-coverage"], [18, 34, 10, 12, 26], starts)]

    def gaps(self, view: Sequence[GapGroup]) -> list[nodes.Node]:
        """Nodes of ``threat-gaps``."""
        out: list[nodes.Node] = []
        for kind, rows in view:
            out.append(
                element(
                    nodes.rubric,
                    f"{kind} ({len(rows)})",
                    classes=["threats-group", f"threats-gaps-{kind}"],
                )
            )
            items = []
            for message, file, line, fix in rows:
                parts: list[nodes.Node | str] = [badge(kind, "gap", kind), " "]
                if fix is not None:
                    parts += [self.xref(fix), " "]
                parts += [message, " (", _literal(f"{file}:{line}"), ")"]
                items.append(element(nodes.list_item, _para(*parts)))
            out.append(element(nodes.bullet_list, *items, classes=["threats-gaps"]))
        if not view:
            out.append(_para(badge("no gaps", "status", "mitigated")))
        return out

    def summary(self, view: SummaryView) -> list[nodes.Node]:
        """Nodes of ``threat-summary``."""
        severity_cols, status_rows, per_service, gap_counts = view
        rows: list[list[Any]] = [
            [status_badge(status), *[str(n) if n else "-" for n in counts], str(sum(counts))]
            for status, counts in status_rows
        ]
        totals = [sum(r[1][i] for r in status_rows) for i in range(len(severity_cols))]
        rows.append(
            [_para(element(nodes.strong, "Total")), *[str(n) for n in totals], str(sum(totals))]
        )
        out: list[nodes.Node] = [
            element(nodes.rubric, "Threats by status and severity"),
            _table(["Status", *severity_cols, "Total"], rows, ["threats-summary"]),
            element(nodes.rubric, "Coverage per service"),
            _table(
                ["Service", "Covered pairs", "Coverage", "Weighted by severity"],
                [
                    [
                        _para(*self.titled(link)),
                        f"{covered} of {total}",
                        "-" if pct is None else f"{pct:.1f}%",
                        "-" if weighted is None else f"{weighted:.1f}%",
                    ]
                    for link, covered, total, pct, weighted in per_service
                ],
                ["threats-summary-coverage"],
            ),
        ]
        if gap_counts:
            out.append(element(nodes.rubric, "Gaps by kind"))
            out.append(
                _table(
                    ["Kind", "Count"],
                    [[badge(k, "gap", k), str(n)] for k, n in gap_counts],
                    ["threats-summary-gaps"],
                )
            )
        return out

    def report(self, name: str, view: Any) -> nodes.container:
        """The nodes of one report directive, drawn by the method its spec names."""
        draw: Callable[[Any], list[nodes.Node]] = getattr(self, REPORTS[name].draw)
        return element(nodes.container, *draw(view), classes=["threats-report", name, *NO_SEARCH])
