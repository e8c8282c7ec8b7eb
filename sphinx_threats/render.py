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

from .analysis import CoveragePercent
from .model import Status
from .views import (
    GAP_STATUS,
    REPORTS,
    BackLink,
    Badge,
    Categories,
    CoverageGrid,
    FieldValue,
    GapGroup,
    GridCell,
    ItemView,
    Link,
    Links,
    MatrixRow,
    MatrixView,
    MitigationState,
    Numbers,
    RiskCell,
    RiskMap,
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

#: Header and relative width (the text writer's characters before fitting
#: 80 columns; LaTeX's share of the line) of each ``threat-matrix`` column.
MATRIX_HEADERS: dict[str, tuple[str, int]] = {
    "threat": ("Threat", 30),
    "status": ("Status", 11),
    "services": ("Services covered", 13),
    "mitigations": ("Mitigations", 20),
    "decisions": ("Decisions", 16),
    "severity": ("Severity", 9),
    "category": ("Category", 14),
    "owner": ("Owner", 12),
    "tags": ("Tags", 10),
}

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
    if isinstance(value, list):  # blocks
        return element(nodes.entry, *value)
    if isinstance(value, nodes.entry):
        return value
    if isinstance(value, nodes.paragraph | nodes.bullet_list | nodes.table):
        return element(nodes.entry, value)
    return element(nodes.entry, _para(value))


def _table(
    headers: Sequence[str | nodes.Node],
    rows: Iterable[Sequence[Any]],
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


def _fit(weights: Sequence[int], width: int = TEXT_WIDTH) -> list[int]:
    """Column widths in proportion to ``weights`` whose table fits ``width``."""
    room = width - 1 - 3 * len(weights)
    total = sum(weights) or 1
    out = [max(4, room * w // total) for w in weights]
    return out


#: Short badges of the coverage grid (the full status is in the cell's
#: title and the legend).
SHORT_STATUS = {
    Status.MITIGATED: "ok",
    Status.ACCEPTED: "acc",
    Status.PARTIAL: "part",
    Status.PLANNED: "plan",
    Status.NOT_APPLICABLE: "n/a",
    Status.UNMITIGATED: GAP_STATUS,
}

#: Services per grid table outside HTML: a page (or 80 columns) holds no more.
GRID_CHUNK = {"latex": 10, "text": 6}


def _coverage_cell(row: MatrixRow) -> list[nodes.Node]:
    covered, total, worst = row.covered, row.total, row.worst
    if total == 0:
        if row.service is not None:
            return [nodes.Text("answered by its owner")]
        return [nodes.Text("no services in scope")]
    parts: list[nodes.Node] = [nodes.Text(f"{covered} of {total}")]
    if worst is not None:
        parts += [nodes.Text(" worst: "), status_badge(worst)]
    return parts


def _bar(percent: float | None) -> nodes.inline:
    """A CSS bar of ``percent`` in steps of 5 (decoration only: the number is
    always written beside it, so it reads without colour and outside HTML)."""
    step = 0 if percent is None else int(5 * round(percent / 5))
    inner = element(nodes.inline, "", classes=["threats-bar-fill"])
    return element(nodes.inline, inner, classes=["threats-bar", f"threats-bar-{step}"])


def _figure(figure: CoveragePercent, weighted: bool = False) -> list[nodes.Node]:
    """``k of n`` with a bar and the percentage, or ``-``."""
    percent = figure.weighted if weighted else figure.percent
    if percent is None:
        return [nodes.Text("-")]
    text = f"{percent:.1f}%" if weighted else f"{figure.covered} of {figure.total} ({percent:.1f}%)"
    return [_bar(percent), nodes.Text(" " + text)]


class Renderer:
    """Draws the nodes of item blocks and reports from their views."""

    def __init__(
        self,
        linker: Linker,
        category_labels: Mapping[str, str],
        output_format: str = "html",
        page: str = "",
    ) -> None:
        self.linker = linker
        self.labels = category_labels
        #: The builder's format (``html``, ``latex``, ``text``, ...).
        self.format = output_format
        #: Prefix of the anchors a report makes on its page (unique per page,
        #: also where ``singlehtml`` or LaTeX merge pages).
        self.anchor_prefix = "threats-" + _CSS.sub("-", page.lower())
        self._anchors = 0

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

    def _titled_inline(self, link: Link) -> nodes.Node:
        """An item's link and title as one inline (to join in a list)."""
        return element(nodes.inline, *self.titled(link))

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
                return _joined(
                    (self._titled_inline(link) for link in links),
                    "; " if any(link.title for link in links) else ", ",
                )
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

    def matrix(self, view: MatrixView) -> list[nodes.Node]:
        """Nodes of ``threat-matrix``."""
        columns, badges, groups = view
        out: list[nodes.Node] = []
        headers = [MATRIX_HEADERS[c][0] for c in columns]
        widths = _fit([MATRIX_HEADERS[c][1] for c in columns])
        for key, rows in groups:
            if key:
                out.append(
                    element(nodes.rubric, self.labels.get(key, key), classes=["threats-group"])
                )
            body = [self._matrix_row(row, columns, badges) for row in rows]
            out.append(
                _table(headers, body, ["threats-matrix"], widths, fixed=self.format == "latex")
            )
        if not groups:
            out.append(_para("No threats match."))
        return out

    def _matrix_row(
        self, row: MatrixRow, columns: Sequence[str], badges: Sequence[str]
    ) -> list[Any]:
        cells: list[Any] = []
        for column in columns:
            match column:
                case "threat":
                    cells.append(self._threat_cell(row, badges))
                case "status":
                    cells.append(status_badge(row.status))
                case "services":
                    cells.append(_para(*_coverage_cell(row)))
                case "mitigations":
                    cells.append(self._states(row.mitigations))
                case "decisions":
                    cells.append(self._states(row.decisions))
                case "severity":
                    cells.append(self._severity(row.severity))
                case "category":
                    cells.append(_para(*self._categories(row.categories)))
                case "owner":
                    cells.append(_para(*self.titled(row.service)) if row.service else "product")
                case "tags":
                    cells.append(_para(*_joined(badge(t, "tag") for t in row.tags)) or "-")
        return cells

    def _threat_cell(self, row: MatrixRow, badges: Sequence[str]) -> list[nodes.Node]:
        link = row.threat
        blocks: list[nodes.Node] = [
            element(nodes.paragraph, *self.titled(link), classes=["threats-threat"])
        ]
        marks: list[nodes.Node] = []
        if "severity" in badges:
            marks.append(self._severity(row.severity))
        if "category" in badges:
            marks += self._categories(row.categories)
        if marks:
            blocks.append(element(nodes.paragraph, *_joined(marks, " "), classes=["threats-marks"]))
        return blocks

    def _severity(self, severity: str | None) -> nodes.inline:
        return badge(severity or "unknown", "severity", severity or "unknown")

    def _categories(self, categories: Sequence[str]) -> list[nodes.Node]:
        return _joined((self._category(c) for c in categories), " ")

    def _states(self, states: Sequence[MitigationState]) -> nodes.Node:
        if not states:
            return _para("-")
        return _bullets(
            [
                self.xref(s.link),
                nodes.Text(" "),
                badge(s.state, "state", s.state.split()[0].rstrip(",")),
            ]
            for s in states
        )

    def coverage(self, view: Sequence[ServiceCoverage] | CoverageGrid) -> list[nodes.Node]:
        """Nodes of ``threat-coverage``: one row per pair, grouped per service,
        or (``:layout: grid``) a threats x services grid."""
        if isinstance(view, CoverageGrid):
            return self.coverage_grid(view)
        headers = ["Service", "Threat", "Severity", "Status", "Covered by"]
        body: list[list[Any]] = []
        starts: list[int] = []
        for service, rows in view:
            starts.append(len(body))
            gaps = Counter(c.status for c in rows).get(Status.UNMITIGATED, 0)
            summary = f"{len(rows)} threats in scope" + (f", {gaps} GAP" if gaps else "")
            if not rows:
                body.append([self._service_cell(service, None), "no threats in scope", "", "", ""])
            for position, (link, sev, status, by) in enumerate(rows):
                body.append(
                    [
                        self._service_cell(service, summary) if position == 0 else "",
                        _para(*self.titled(link)),
                        self._severity(sev),
                        status_badge(status),
                        _para(*self._xrefs(by)) if by else "-",
                    ]
                )
        widths = _fit([18, 34, 10, 12, 20])
        return [
            _table(
                headers, body, ["threats-coverage"], widths, starts, fixed=self.format == "latex"
            )
        ]

    def _service_cell(self, service: Link, summary: str | None) -> list[nodes.Node]:
        """The service's link and title, and on a line of its own what it has in
        scope (a title may hold parentheses of its own)."""
        blocks: list[nodes.Node] = [_para(*self.titled(service))]
        if summary:
            blocks.append(element(nodes.paragraph, summary, classes=["threats-note"]))
        return blocks

    def coverage_grid(self, view: CoverageGrid) -> list[nodes.Node]:
        """Threats as rows, services as columns, a short badge per cell; outside
        HTML, in tables of a few services each (a page holds no more)."""
        services, rows = view
        out: list[nodes.Node] = [self._grid_legend()]
        chunk = GRID_CHUNK.get(self.format, len(services) or 1)
        for first in range(0, max(len(services), 1), chunk):
            part = range(first, min(first + chunk, len(services)))
            if len(services) > chunk:
                out.append(
                    element(
                        nodes.rubric,
                        f"Services {first + 1}-{part.stop} of {len(services)}",
                        classes=["threats-group"],
                    )
                )
            headers: list[str | nodes.Node] = ["Threat"]
            headers += [
                element(nodes.paragraph, self.xref(services[i]), classes=["threats-grid-service"])
                for i in part
            ]
            body = [
                [
                    element(nodes.paragraph, *self.titled(threat), classes=["threats-threat"]),
                    *[self._grid_cell(threat, services[i], cells[i]) for i in part],
                ]
                for threat, _severity, cells in rows
            ]
            widths = [30] + [max(4, len(services[i].id)) for i in part]
            if self.format == "text":
                # five characters hold every short badge ("owner" wraps above it)
                widths = [TEXT_WIDTH - 1 - 3 * (len(part) + 1) - 5 * len(part)] + [5] * len(part)
            out.append(
                _table(headers, body, ["threats-grid"], widths, fixed=self.format == "latex")
            )
        return out

    def _grid_cell(self, threat: Link, service: Link, cell: GridCell | None) -> nodes.entry:
        if cell is None:
            return element(nodes.entry, classes=["threats-grid-none"])
        status, owner, by = cell
        word = GAP_STATUS if status is Status.UNMITIGATED else status.value
        what = (
            f"{service.id} owns {threat.id}: {word}"
            if owner
            else f"{threat.id} in {service.id}: {word}"
        )
        if by:
            what += " by " + ", ".join(b.id for b in by)
        short = badge(
            SHORT_STATUS[status], "status", "gap" if status is Status.UNMITIGATED else status.value
        )
        parts: list[nodes.Node] = [short]
        if owner:
            parts.insert(0, element(nodes.inline, "owner ", classes=["threats-grid-owner"]))
        # the cell links to the threat, whose block says per service what
        # covers it; the link's title (a tooltip in HTML) says it in full
        ref = self.linker(threat)
        if ref is not None:
            ref["reftitle"] = what
            for part in parts:
                part.parent = ref
            ref.children.extend(parts)
            parts = [ref]
        return element(nodes.entry, _para(*parts), classes=["threats-grid-cell"])

    def _grid_legend(self) -> nodes.paragraph:
        parts: list[nodes.Node] = [nodes.Text("Legend: ")]
        for status, short in SHORT_STATUS.items():
            word = GAP_STATUS if status is Status.UNMITIGATED else status.value
            parts += [
                badge(short, "status", "gap" if status is Status.UNMITIGATED else status.value),
                nodes.Text(f" {word}; "),
            ]
        parts.append(nodes.Text("owner: the service owns the threat (its overall status)."))
        return element(nodes.paragraph, *parts, classes=["threats-legend"])

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
        severity_cols, status_rows, per_service, gap_counts, overall = view
        rows: list[list[Any]] = [
            [status_badge(status), *[str(n) if n else "-" for n in counts], str(sum(counts))]
            for status, counts in status_rows
        ]
        totals = [sum(r[1][i] for r in status_rows) for i in range(len(severity_cols))]
        rows.append(
            [_para(element(nodes.strong, "Total")), *[str(n) for n in totals], str(sum(totals))]
        )
        fixed = self.format == "latex"
        out: list[nodes.Node] = []
        if overall is not None:
            out.append(
                element(
                    nodes.paragraph,
                    element(nodes.strong, "Overall coverage: "),
                    *_figure(overall),
                    nodes.Text(", weighted by severity "),
                    *_figure(overall, weighted=True),
                    classes=["threats-overall"],
                )
            )
        out += [
            element(nodes.rubric, "Threats by status and severity"),
            _table(
                ["Status", *severity_cols, "Total"],
                rows,
                ["threats-summary"],
                # as wide as the longest word, which the text writer would break
                [14] + [max(len(s), 5) for s in severity_cols] + [5],
                fixed=fixed,
            ),
            element(nodes.rubric, "Coverage per service, worst first"),
            _table(
                ["Service", "Own threats", "Product threats in scope", "Total", "Weighted"],
                [
                    [
                        _para(*self.titled(link)),
                        _para(*_figure(own)),
                        _para(*_figure(in_scope)),
                        _para(*_figure(total)),
                        _para(*_figure(total, weighted=True)),
                    ]
                    for link, own, in_scope, total in per_service
                ],
                ["threats-summary-coverage"],
                _fit([16, 13, 13, 13, 8]),
                fixed=fixed,
            ),
        ]
        if gap_counts:
            out.append(element(nodes.rubric, "Gaps by kind"))
            out.append(
                _table(
                    ["Kind", "Count"],
                    [[badge(k, "gap", k), str(n)] for k, n in gap_counts],
                    ["threats-summary-gaps"],
                    [20, 6],
                    fixed=fixed,
                )
            )
        return out

    def risk_map(self, view: RiskMap) -> list[nodes.Node]:
        """Nodes of ``threat-risk-map``: the grid, then each cell's threats."""
        (row_axis, column_axis), row_names, column_names, cells, unplaced = view
        self._anchors += 1
        prefix = f"{self.anchor_prefix}-risk-{self._anchors}"
        headers: list[str | nodes.Node] = [f"{row_axis} (rows) / {column_axis} (columns)"]
        headers += [self._axis(column_axis, c) for c in column_names]
        body: list[list[Any]] = []
        lists: list[nodes.Node] = []
        for r, (name, row) in enumerate(zip(row_names, cells, strict=True)):
            line: list[Any] = [_para(self._axis(row_axis, name))]
            for c, cell in enumerate(row):
                anchor = f"{prefix}-{r}-{c}"
                line.append(self._risk_cell(cell, anchor))
                if cell.threats:
                    lists.append(self._risk_list(view.axes, cell, anchor))
            body.append(line)
        widths = _fit([14] + [10] * len(column_names))
        out: list[nodes.Node] = [
            _table(headers, body, ["threats-risk-map"], widths, fixed=self.format == "latex")
        ]
        if not any(cell.threats for row in cells for cell in row):
            out.append(_para("No threats match."))
        out += lists
        if unplaced:
            out.append(
                element(
                    nodes.rubric,
                    f"Not on the map: no {row_axis} or {column_axis} ({len(unplaced)})",
                    classes=["threats-group"],
                )
            )
            out.append(_bullets(self._backlink_row(row) for row in unplaced))
        return out

    def _axis(self, axis: str, value: str) -> nodes.Node:
        if axis == "status":
            return status_badge(value)
        if axis == "severity":
            return self._severity(None if value == "unknown" else value)
        return nodes.Text(value)

    def _risk_cell(self, cell: RiskCell, anchor: str) -> nodes.entry:
        count, open_count = len(cell.threats), cell.open
        classes = ["threats-risk-cell"]
        if cell.severity:
            classes.append(f"threats-risk-{_CSS.sub('-', cell.severity.lower())}")
        parts: list[nodes.Node] = [nodes.Text("-")]
        if count:
            text = f"{count} ({open_count} open)"
            parts = [element(nodes.reference, text, internal=True, refid=anchor)]
        if cell.severity:
            # the colour's meaning, in words (never colour alone)
            parts.append(element(nodes.inline, f" {cell.severity}", classes=["threats-risk-level"]))
        return element(nodes.entry, _para(*parts), classes=classes)

    def _risk_list(self, axes: tuple[str, str], cell: RiskCell, anchor: str) -> nodes.container:
        title = f"{axes[0]} {cell.row}, {axes[1]} {cell.column}: "
        title += f"{len(cell.threats)} threat{'s' if len(cell.threats) != 1 else ''}"
        title += f", {cell.open} open"
        return element(
            nodes.container,
            element(nodes.target, ids=[anchor]),
            element(nodes.paragraph, element(nodes.strong, title), classes=["threats-risk-title"]),
            _bullets(self._backlink_row(row) for row in cell.threats),
            classes=["threats-risk-list"],
        )

    def report(self, name: str, view: Any) -> nodes.container:
        """The nodes of one report directive, drawn by the method its spec names."""
        draw: Callable[[Any], list[nodes.Node]] = getattr(self, REPORTS[name].draw)
        return element(nodes.container, *draw(view), classes=["threats-report", name, *NO_SEARCH])
