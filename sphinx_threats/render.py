"""Model and analysis -> docutils nodes.  No environment access.

Rendering goes in two steps: a *view* (plain, hashable tuples built from the
:class:`~.analysis.Report`) and the nodes drawn from it.  The views are what a
page shows of other pages, so their digest tells which pages must be
rewritten after an edit elsewhere (see ``events.pages_to_rewrite``).

Links are ``pending_xref`` nodes resolved by the ``threats`` domain, so every
builder (html, dirhtml, singlehtml, latex, text) computes its own URIs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from docutils import nodes
from sphinx import addnodes

from .analysis import Coverage, Gap, Report, severity_rank, severity_weight
from .model import (
    GapKind,
    Item,
    Kind,
    Mitigation,
    NotApplicable,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatActor,
)

_URL = re.compile(r"https?://[^\s<>\"']+\Z")

CWE_URL = "https://cwe.mitre.org/data/definitions/{}.html"
CAPEC_URL = "https://capec.mitre.org/data/definitions/{}.html"

#: Filter options of the report directives.
FILTERS = ("service", "category", "severity", "status", "tags")
#: ``:group-by:`` values of ``threat-matrix``.
GROUP_BY = ("category", "service", "severity", "tag")

GAP_STATUS = "GAP"


class Link(NamedTuple):
    """A link to an item, with what it shows."""

    kind: str
    id: str
    #: Title, or ``None`` when the item is not declared here.
    title: str | None
    #: Target page, part of the view so a move rewrites the referring page.
    docname: str | None


def link_of(report: Report, kind: Kind, ident: str) -> Link:
    """A link to ``ident`` (a kind-checked lookup)."""
    item = report.get(ident, kind)
    if item is None:
        return Link(kind.value, ident, None, None)
    return Link(kind.value, ident, item.title, item.location.docname)


# --------------------------------------------------------------------------- nodes


def xref(link: Link, *, with_title: bool = False) -> nodes.Node:
    """A cross-reference node showing the ID (and the title if asked)."""
    text = link.id
    ref = addnodes.pending_xref(
        "",
        refdomain="threats",
        reftype=link.kind,
        reftarget=link.id,
        refexplicit=True,
        refwarn=False,
    )
    ref += nodes.literal(text, text, classes=["threats-id"])
    if with_title and link.title and link.title != link.id:
        return nodes.inline("", "", ref, nodes.Text(" " + link.title))
    return ref


def badge(text: str, family: str, value: str | None = None) -> nodes.inline:
    """A status/severity/category badge: the word is always there (no colour-only)."""
    css = re.sub(r"[^a-z0-9-]", "-", (value or text).lower())
    return nodes.inline(text, text, classes=["threats-badge", f"threats-{family}-{css}"])


def status_badge(status: Status | str | None) -> nodes.inline:
    """The badge of a computed status; ``unmitigated`` shows as ``GAP``."""
    if status is None:
        return badge("unknown", "status")
    value = str(status)
    text = GAP_STATUS if value == Status.UNMITIGATED.value else value
    return badge(text, "status", "gap" if text == GAP_STATUS else value)


def _para(*children: nodes.Node | str) -> nodes.paragraph:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    return para


def _joined(
    parts: Iterable[nodes.Node | Sequence[nodes.Node]], sep: str = ", "
) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for part in parts:
        if out:
            out.append(nodes.Text(sep))
        if isinstance(part, nodes.Node):
            out.append(part)
        else:
            out.extend(part)
    return out


def _field(name: str, *body: nodes.Node) -> nodes.field:
    field = nodes.field()
    field += nodes.field_name(name, name)
    fbody = nodes.field_body()
    inline = [n for n in body if isinstance(n, nodes.Inline | nodes.Text)]
    if inline:
        fbody += _para(*inline)
    for node in body:
        if not isinstance(node, nodes.Inline | nodes.Text):
            fbody += node
    field += fbody
    return field


def _text_or_link(text: str) -> nodes.Node:
    """Only http(s) URLs become links; everything else stays text."""
    if _URL.match(text):
        return nodes.reference(text, text, refuri=text)
    return nodes.Text(text)


def _bullets(rows: Iterable[Sequence[nodes.Node]]) -> nodes.bullet_list:
    blist = nodes.bullet_list(classes=["threats-links"])
    for row in rows:
        item = nodes.list_item()
        item += _para(*row)
        blist += item
    return blist


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    classes: Sequence[str],
    widths: Sequence[int] | None = None,
) -> nodes.table:
    table = nodes.table(classes=["threats-table", *classes])
    tgroup = nodes.tgroup(cols=len(headers))
    table += tgroup
    # column widths matter to the text and LaTeX writers
    for width in widths or [max(len(h), 8) for h in headers]:
        tgroup += nodes.colspec(colwidth=width)
    thead = nodes.thead()
    row = nodes.row()
    for header in headers:
        entry = nodes.entry()
        entry += _para(header)
        row += entry
    thead += row
    tgroup += thead
    tbody = nodes.tbody()
    count = 0
    for cells in rows:
        count += 1
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, nodes.paragraph | nodes.bullet_list | nodes.table):
                entry += cell
            elif isinstance(cell, str):
                entry += _para(cell)
            else:
                entry += _para(cell)
            row += entry
        tbody += row
    if count == 0:
        row = nodes.row()
        for _ in headers:
            entry = nodes.entry()
            entry += _para("-")
            row += entry
        tbody += row
    tgroup += tbody
    return table


# --------------------------------------------------------------------------- items


def item_view(report: Report, item: Item) -> tuple[Any, ...]:
    """Everything an item block shows, as plain data (see the module doc)."""
    fields: list[tuple[str, Any]] = []
    links: list[tuple[str, Any]] = []
    if isinstance(item, ThreatActor):
        if item.description:
            fields.append(("Description", item.description))
        links.append(
            (
                "Threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in report.threats_of_actor.get(item.id, ())
                ),
            )
        )
    elif isinstance(item, Service):
        fields += [("Owner", item.owner)] if item.owner else []
        fields += _refs_field("Exposed to", report, Kind.THREAT, item.exposed_to)
        fields += _refs_field("Relies on", report, Kind.MITIGATION, item.relies_on)
        fields += _refs_field("Depends on", report, Kind.SERVICE, item.depends_on)
        links.append(
            (
                "Own threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in report.threats_of_service.get(item.id, ())
                ),
            )
        )
        links.append(
            (
                "Product threats in scope",
                tuple(
                    (
                        link_of(report, Kind.THREAT, c.threat),
                        c.status,
                        tuple(_by_link(report, b) for b in c.by),
                    )
                    for c in report.service_coverage(item.id)
                ),
            )
        )
    elif isinstance(item, Threat):
        fields.append(("Status", ("status", report.threat_status.get(item.id))))
        fields.append(("Severity", ("severity", item.severity or "unknown")))
        if item.category:
            fields.append(("Category", ("category", item.category)))
        if item.likelihood or item.impact:
            fields.append(
                ("Likelihood / impact", f"{item.likelihood or '-'} / {item.impact or '-'}")
            )
        fields += _refs_field("Actors", report, Kind.THREAT_ACTOR, item.actors)
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "product level",
            )
        )
        if item.applies_to:
            fields.append(("Applies to", ("scope", tuple(item.applies_to))))
        if item.cwe:
            fields.append(("CWE", ("cwe", item.cwe)))
        if item.capec:
            fields.append(("CAPEC", ("capec", item.capec)))
        links.append(
            (
                "Mitigations",
                tuple(
                    (link_of(report, Kind.MITIGATION, m), _mit_state(report, m))
                    for m in report.mitigations_of.get(item.id, ())
                ),
            )
        )
        links.append(
            (
                "Risk acceptances",
                tuple(
                    (link_of(report, Kind.RISK_ACCEPTANCE, a), _acc_state(report, a))
                    for a in report.acceptances_of.get(item.id, ())
                ),
            )
        )
        links.append(
            (
                "Not applicable",
                tuple(
                    (link_of(report, Kind.NOT_APPLICABLE, n), _na_state(report, n))
                    for n in report.exclusions_of.get(item.id, ())
                ),
            )
        )
        links.append(
            (
                "Services in scope",
                tuple(
                    (
                        link_of(report, Kind.SERVICE, c.service),
                        c.status,
                        tuple(_by_link(report, b) for b in c.by),
                    )
                    for c in report.threat_coverage(item.id)
                ),
            )
        )
    elif isinstance(item, Mitigation):
        fields.append(("Status", ("mitigation", item.status or "planned")))
        fields.append(("Effect", item.effect))
        if item.due:
            fields.append(("Due", item.due.isoformat()))
        # the threats it mitigates are listed below, with titles and statuses
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "product level",
            )
        )
        if item.applies_to:
            fields.append(("Applies to", ("scope", tuple(item.applies_to))))
        fields += [("Owner", item.owner)] if item.owner else []
        fields += [("Verified by", ("url", item.verified_by))] if item.verified_by else []
        links.append(
            (
                "Threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in dict.fromkeys(item.mitigates)
                ),
            )
        )
        links.append(
            (
                "Relied on by",
                tuple(
                    (link_of(report, Kind.SERVICE, s), None)
                    for s in report.relied_on_by.get(item.id, ())
                ),
            )
        )
    elif isinstance(item, RiskAcceptance):
        fields.append(("Status", ("acceptance", _acc_state(report, item.id))))
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        if item.service:
            fields.append(("Service", link_of(report, Kind.SERVICE, item.service)))
        fields += [("Owner", item.owner)] if item.owner else []
        fields.append(("Expires", item.expires.isoformat() if item.expires else "-"))
        fields += [("Approved by", item.approved_by)] if item.approved_by else []
        if item.residual_severity:
            fields.append(("Residual severity", ("severity", item.residual_severity)))
    elif isinstance(item, NotApplicable):
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "whole product",
            )
        )
        fields += [("Owner", item.owner)] if item.owner else []
    if item.tags:
        fields.append(("Tags", ("tags", item.tags)))
    return (item.kind.value, item.id, tuple(fields), tuple(links))


def _refs_field(name: str, report: Report, kind: Kind, ids: Sequence[str]) -> list[tuple[str, Any]]:
    if not ids:
        return []
    return [(name, tuple(link_of(report, kind, i) for i in ids))]


def _by_link(report: Report, ident: str) -> Link:
    item = report.index.get(ident)
    kind = item.kind if item is not None else Kind.MITIGATION
    return link_of(report, kind, ident)


def _mit_state(report: Report, ident: str) -> str:
    mit = report.get(ident, Kind.MITIGATION)
    if not isinstance(mit, Mitigation):
        return "unknown"
    state = mit.status or "planned"
    return state if mit.is_full else f"{state}, partial"


def _acc_state(report: Report, ident: str) -> str:
    acc = report.get(ident, Kind.RISK_ACCEPTANCE)
    if not isinstance(acc, RiskAcceptance):
        return "unknown"
    if acc.expires is not None and acc.expires < report.settings.today:
        return "expired"
    if not report.acceptance_valid.get(ident):
        return "invalid"
    return f"valid until {acc.expires.isoformat()}" if acc.expires else "valid"


def _na_state(report: Report, ident: str) -> str:
    na = report.get(ident, Kind.NOT_APPLICABLE)
    if isinstance(na, NotApplicable) and na.service:
        return f"for {na.service}"
    return "whole product"


def render_item_fields(view: tuple[Any, ...], category_labels: Mapping[str, str]) -> nodes.Node:
    """The field list of an item block."""
    flist = nodes.field_list(classes=["threats-fields"])
    flist += _field("ID", nodes.literal(view[1], view[1], classes=["threats-id"]))
    for name, value in view[2]:
        flist += _field(name, *_field_value(value, category_labels))
    return flist


def _field_value(value: Any, category_labels: Mapping[str, str]) -> list[nodes.Node]:
    if isinstance(value, str):
        return [nodes.Text(value)]
    if isinstance(value, Link):
        return [xref(value, with_title=True)]
    if isinstance(value, tuple) and value and isinstance(value[0], Link):
        return _joined(xref(link) for link in value)
    family, data = value
    if family == "status":
        return [status_badge(data)]
    if family in ("severity", "mitigation", "acceptance"):
        return [badge(data, family, data.split()[0])]
    if family == "category":
        return _joined(badge(category_labels.get(c, c), "category", c) for c in data)
    if family == "tags":
        return _joined(badge(t, "tag") for t in data)
    if family == "scope":
        return [nodes.Text(", ".join(data))]
    if family in ("cwe", "capec"):
        url = CWE_URL if family == "cwe" else CAPEC_URL
        label = family.upper()
        return _joined(
            nodes.reference(f"{label}-{n}", f"{label}-{n}", refuri=url.format(n)) for n in data
        )
    if family == "url":
        return [_text_or_link(data)]
    return [nodes.Text(str(data))]


def render_item_links(view: tuple[Any, ...]) -> list[nodes.Node]:
    """The computed back-links of an item block (empty sections omitted)."""
    out: list[nodes.Node] = []
    for name, rows in view[3]:
        if not rows:
            continue
        out.append(nodes.rubric(name, name, classes=["threats-backlinks-title"]))
        out.append(_bullets(_backlink_row(row) for row in rows))
    if not out:
        return []
    container = nodes.container(classes=["threats-backlinks"])
    container.extend(out)
    return [container]


def _backlink_row(row: tuple[Any, ...]) -> list[nodes.Node]:
    link, state = row[0], row[1]
    parts: list[nodes.Node] = [xref(link, with_title=True)]
    if state is not None:
        parts.append(nodes.Text(" "))
        parts.append(
            status_badge(state)
            if isinstance(state, Status)
            else badge(state, "state", state.split()[0].rstrip(","))
        )
    if len(row) > 2 and row[2]:
        parts.append(nodes.Text(" by "))
        parts.extend(_joined(xref(b) for b in row[2]))
    return parts


# --------------------------------------------------------------------------- reports


def _matches(report: Report, threat: Threat, filters: Mapping[str, Sequence[str]]) -> bool:
    for key, wanted in filters.items():
        if not wanted:
            continue
        if key == "service":
            if threat.service not in wanted and not set(report.scope.get(threat.id, ())) & set(
                wanted
            ):
                return False
        elif key == "category":
            if not set(threat.category) & set(wanted):
                return False
        elif key == "severity":
            if (threat.severity or "") not in wanted:
                return False
        elif key == "status":
            if str(report.threat_status.get(threat.id)) not in wanted:
                return False
        elif key == "tags" and not set(threat.tags) & set(wanted):
            return False
    return True


def selected_threats(report: Report, filters: Mapping[str, Sequence[str]]) -> list[Threat]:
    """Threats passing the report filters, by severity then ID."""
    severities = report.settings.severities
    chosen = [
        t for t in report.index.values() if isinstance(t, Threat) and _matches(report, t, filters)
    ]
    return sorted(chosen, key=lambda t: (severity_rank(t.severity, severities), t.id))


_STATUS_ORDER = {
    s: i
    for i, s in enumerate(
        [
            Status.UNMITIGATED,
            Status.PLANNED,
            Status.PARTIAL,
            Status.ACCEPTED,
            Status.MITIGATED,
            Status.NOT_APPLICABLE,
        ]
    )
}


def matrix_view(
    report: Report, filters: Mapping[str, Sequence[str]], group_by: str | None
) -> tuple[Any, ...]:
    """Rows of ``threat-matrix``, grouped."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for threat in selected_threats(report, filters):
        pairs = report.threat_coverage(threat.id)
        counted = [c for c in pairs if c.status is not Status.NOT_APPLICABLE]
        covered = sum(1 for c in counted if c.status.covered)
        worst = min((c.status for c in counted), key=_STATUS_ORDER.__getitem__, default=None)
        row = (
            link_of(report, Kind.THREAT, threat.id),
            threat.category,
            threat.severity,
            link_of(report, Kind.SERVICE, threat.service) if threat.service else None,
            tuple(
                (link_of(report, Kind.MITIGATION, m), _mit_state(report, m))
                for m in report.mitigations_of.get(threat.id, ())
            ),
            tuple(
                (link_of(report, Kind.RISK_ACCEPTANCE, a), _acc_state(report, a))
                for a in report.acceptances_of.get(threat.id, ())
            ),
            report.threat_status.get(threat.id),
            covered,
            len(counted),
            worst,
        )
        if group_by == "category":
            keys: Sequence[str] = threat.category or ("(none)",)
        elif group_by == "service":
            keys = (threat.service or "product level",)
        elif group_by == "severity":
            keys = (threat.severity or "(none)",)
        elif group_by == "tag":
            keys = threat.tags or ("(none)",)
        else:
            keys = ("",)
        for key in keys:
            groups[key].append(row)
    order = _group_order(report, group_by, groups)
    return tuple((key, tuple(groups[key])) for key in order)


def _group_order(report: Report, group_by: str | None, groups: Mapping[str, Any]) -> list[str]:
    if group_by == "severity":
        return sorted(
            groups,
            key=lambda s: (
                severity_rank(None if s == "(none)" else s, report.settings.severities)
                + (s == "(none)") * 99
            ),
        )
    return sorted(groups, key=lambda g: (g.startswith("("), g == "product level", g))


def render_matrix(view: tuple[Any, ...], category_labels: Mapping[str, str]) -> list[nodes.Node]:
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
            label = category_labels.get(key, key)
            out.append(nodes.rubric(label, label, classes=["threats-group"]))
        body = []
        for link, cats, sev, svc, mits, accs, status, covered, total, worst in rows:
            body.append(
                [
                    xref(link),
                    _para(link.title or link.id),
                    _para(*_joined(badge(category_labels.get(c, c), "category", c) for c in cats)),
                    badge(sev or "unknown", "severity", sev or "unknown"),
                    xref(svc) if svc else _para("product"),
                    _bullets(
                        [xref(m), nodes.Text(" "), badge(s, "state", s.split(",")[0])]
                        for m, s in mits
                    )
                    if mits
                    else _para("-"),
                    _para(*_joined(xref(a) for a, _ in accs)) if accs else _para("-"),
                    status_badge(status),
                    _para(*_coverage_cell(covered, total, worst)),
                ]
            )
        out.append(_table(headers, body, ["threats-matrix"], [10, 20, 12, 9, 9, 18, 10, 10, 11]))
    if not view:
        out.append(_para("No threats match."))
    return out


def _coverage_cell(covered: int, total: int, worst: Status | None) -> list[nodes.Node]:
    if total == 0:
        return [nodes.Text("no services in scope")]
    parts: list[nodes.Node] = [nodes.Text(f"{covered} of {total}")]
    if worst is not None:
        parts += [nodes.Text(" (worst: "), status_badge(worst), nodes.Text(")")]
    return parts


def coverage_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Per service, its threats in scope and their status (``threat-coverage``)."""
    threat_filters = {k: v for k, v in filters.items() if k not in ("service", "status")}
    wanted = {t.id for t in selected_threats(report, threat_filters)}
    services = filters.get("service") or report.services
    statuses = set(filters.get("status") or ())
    out = []
    for s in sorted(set(services) & set(report.services)):
        rows = []
        for cov in report.service_coverage(s):
            if cov.threat not in wanted:
                continue
            shown = GAP_STATUS if cov.status is Status.UNMITIGATED else cov.status.value
            if statuses and shown not in statuses and cov.status.value not in statuses:
                continue
            threat = report.threat(cov.threat)
            rows.append(
                (
                    link_of(report, Kind.THREAT, cov.threat),
                    threat.severity if threat else None,
                    cov.status,
                    tuple(_by_link(report, b) for b in cov.by),
                )
            )
        out.append((link_of(report, Kind.SERVICE, s), tuple(rows)))
    return tuple(out)


def render_coverage(view: tuple[Any, ...]) -> list[nodes.Node]:
    """Nodes of ``threat-coverage``: one row per pair, grouped per service.

    A services x threats grid does not survive 50 services (nor LaTeX); one
    block per service stays readable at any size.
    """
    out: list[nodes.Node] = []
    headers = ["Service", "Threat", "Severity", "Status", "Covered by"]
    body = []
    for service, rows in view:
        counts = Counter(c[2] for c in rows)
        gaps = counts.get(Status.UNMITIGATED, 0)
        summary = f"{len(rows)} threats in scope" + (f", {gaps} GAP" if gaps else "")
        first = True
        for link, sev, status, by in rows:
            body.append(
                [
                    _para(xref(service, with_title=True), nodes.Text(f" ({summary})"))
                    if first
                    else _para(""),
                    _para(xref(link, with_title=True)),
                    badge(sev or "unknown", "severity", sev or "unknown"),
                    status_badge(status),
                    _para(*_joined(xref(b) for b in by)) if by else _para("-"),
                ]
            )
            first = False
        if not rows:
            body.append(
                [
                    _para(xref(service, with_title=True)),
                    _para("no threats in scope"),
                    _para(""),
                    _para(""),
                    _para(""),
                ]
            )
    out.append(_table(headers, body, ["threats-coverage"], [18, 34, 10, 12, 26]))
    return out


def gaps_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Every gap, grouped by kind (``threat-gaps``)."""
    active = {k: v for k, v in filters.items() if v}
    wanted = None
    if active:
        wanted = {t.id for t in selected_threats(report, active)}
        wanted |= set(active.get("service", ()))
    grouped: dict[GapKind, list[tuple[Any, ...]]] = defaultdict(list)
    for gap in report.gaps:
        if wanted is not None and not set(gap.ids) & wanted:
            continue
        grouped[gap.kind].append(
            (
                gap.message,
                gap.location.file,
                gap.location.lineno,
                _fix_link(report, gap),
            )
        )
    return tuple((kind.value, tuple(grouped[kind])) for kind in GapKind if grouped.get(kind))


def _fix_link(report: Report, gap: Gap) -> Link | None:
    """Where the gap must be fixed: the item declared at the gap's location."""
    declared = [report.index[i] for i in gap.ids if i in report.index]
    here = [
        item
        for item in declared
        if item.location.file == gap.location.file and item.location.lineno <= gap.location.lineno
    ]
    # the closest declaration at or above the gap's line (an option's line is
    # below its directive's)
    for item in sorted(here, key=lambda i: -i.location.lineno) or declared:
        return link_of(report, item.kind, item.id)
    return None


def render_gaps(view: tuple[Any, ...]) -> list[nodes.Node]:
    """Nodes of ``threat-gaps``."""
    out: list[nodes.Node] = []
    for kind, rows in view:
        title = f"{kind} ({len(rows)})"
        out.append(nodes.rubric(title, title, classes=["threats-group", f"threats-gaps-{kind}"]))
        blist = nodes.bullet_list(classes=["threats-gaps"])
        for message, file, line, fix in rows:
            item = nodes.list_item()
            para = _para(badge(kind, "gap", kind), nodes.Text(" "))
            if fix is not None:
                para += xref(fix)
                para += nodes.Text(" ")
            para += nodes.Text(message)
            para += nodes.Text(" (")
            para += nodes.literal(f"{file}:{line}", f"{file}:{line}")
            para += nodes.Text(")")
            item += para
            blist += item
        out.append(blist)
    if not view:
        out.append(_para(badge("no gaps", "status", "mitigated")))
    return out


def summary_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Counts by status and severity; coverage per service (``threat-summary``)."""
    severities = report.settings.severities
    threats = selected_threats(report, filters)
    counts: Counter[tuple[str, str]] = Counter()
    for t in threats:
        counts[(str(report.threat_status.get(t.id)), t.severity or "unknown")] += 1
    severity_cols = list(severities) + (
        ["unknown"] if any(k[1] == "unknown" for k in counts) else []
    )
    status_rows = tuple(
        (status.value, tuple(counts[(status.value, s)] for s in severity_cols)) for status in Status
    )
    wanted = {t.id for t in threats}
    services = filters.get("service") or report.services
    per_service = []
    for s in sorted(set(services) & set(report.services)):
        pairs = [
            c
            for c in report.service_coverage(s)
            if c.threat in wanted and c.status is not Status.NOT_APPLICABLE
        ]
        per_service.append((link_of(report, Kind.SERVICE, s), *coverage_percentages(report, pairs)))
    gap_counts = Counter(g.kind.value for g in report.gaps)
    return (
        tuple(severity_cols),
        status_rows,
        tuple(per_service),
        tuple(sorted(gap_counts.items())),
    )


def coverage_percentages(
    report: Report, pairs: Sequence[Coverage]
) -> tuple[int, int, float | None, float | None]:
    """(covered, in scope, percent, severity-weighted percent) of some pairs."""
    severities = report.settings.severities
    covered = [c for c in pairs if c.status.covered]
    if not pairs:
        return 0, 0, None, None

    def weight(c: Coverage) -> int:
        threat = report.threat(c.threat)
        return severity_weight(threat.severity if threat else None, severities)

    total_w = sum(weight(c) for c in pairs)
    return (
        len(covered),
        len(pairs),
        round(100 * len(covered) / len(pairs), 1),
        round(100 * sum(weight(c) for c in covered) / total_w, 1),
    )


def render_summary(view: tuple[Any, ...]) -> list[nodes.Node]:
    """Nodes of ``threat-summary``."""
    severity_cols, status_rows, per_service, gap_counts = view
    out: list[nodes.Node] = [
        nodes.rubric("Threats by status and severity", "Threats by status and severity")
    ]
    rows = []
    for status, counts in status_rows:
        rows.append(
            [status_badge(status), *[str(n) if n else "-" for n in counts], str(sum(counts))]
        )
    totals = [sum(r[1][i] for r in status_rows) for i in range(len(severity_cols))]
    rows.append(
        [_para(nodes.strong("Total", "Total")), *[str(n) for n in totals], str(sum(totals))]
    )
    out.append(_table(["Status", *severity_cols, "Total"], rows, ["threats-summary"]))
    out.append(nodes.rubric("Coverage per service", "Coverage per service"))
    srows = []
    for link, covered, total, pct, weighted in per_service:
        srows.append(
            [
                _para(xref(link, with_title=True)),
                f"{covered} of {total}",
                "-" if pct is None else f"{pct:.1f}%",
                "-" if weighted is None else f"{weighted:.1f}%",
            ]
        )
    out.append(
        _table(
            ["Service", "Covered pairs", "Coverage", "Weighted by severity"],
            srows,
            ["threats-summary-coverage"],
        )
    )
    if gap_counts:
        out.append(nodes.rubric("Gaps by kind", "Gaps by kind"))
        out.append(
            _table(
                ["Kind", "Count"],
                [[badge(k, "gap", k), str(n)] for k, n in gap_counts],
                ["threats-summary-gaps"],
            )
        )
    return out
