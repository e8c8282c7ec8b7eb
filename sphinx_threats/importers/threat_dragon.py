"""OWASP Threat Dragon (v2 JSON; v1 too) into the neutral model.

Processes and stores become services; actors (Threat Dragon's external
entities) become threat actors.  Threats live inside diagram cells: a
process's or store's threats are owned by its service, a data flow's by the
service it leaves (else the one it reaches), an actor's are product threats
naming that actor.  Each threat's mitigation text is a mitigation whose
status follows the threat's (Open → planned, Mitigated → implemented); N/A
is a ``not-applicable`` with the reason, an accepted or transferred risk a
``risk-acceptance``.  Data flows and trust boundaries are described on the
service pages and the product page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import STRIDE_CATEGORIES, Kind
from . import frame
from . import reading as src
from .mapping import MappingRow, fields_block, label, rows_from, text_block
from .model import (
    Block,
    IdAllocator,
    ImportedItem,
    ImportedModel,
    ImportSettings,
    Section,
    SourceError,
    Text,
    options,
    slug,
    tags,
)

SERVICE_PREFIX, ACTOR_PREFIX = "TD-S", "TD-A"
THREAT_PREFIX, MITIGATION_PREFIX = "TD-T", "TD-M"
NOT_APPLICABLE_PREFIX, ACCEPTANCE_PREFIX = "TD-NA", "TD-RA"

#: Cell ``data.type`` → what it becomes.
CELL_TYPES = {
    "tm.Process": "service",
    "tm.Store": "service",
    "tm.Actor": "threat-actor",
    "tm.Flow": "data flow (described on both services' pages)",
    "tm.Boundary": "trust boundary (described on the product page)",
    "tm.BoundaryBox": "trust boundary (its services' pages name it)",
    "tm.Text": "product page prose",
}

#: Threat categories of each diagram type: Threat Dragon's spelling → our ID.
CATEGORIES: dict[str, dict[str, str]] = {
    "STRIDE": {name: category for category, name in STRIDE_CATEGORIES.items()},
    # the IDs of the LINDDUN set the LINDDUN how-to documents
    "LINDDUN": {
        "Linkability": "linking",
        "Identifiability": "identifying",
        "Non-repudiation": "non-repudiation",
        "Detectability": "detecting",
        "Disclosure of information": "data-disclosure",
        "Unawareness": "unawareness",
        "Non-compliance": "non-compliance",
    },
    "CIA": {
        "Confidentiality": "confidentiality",
        "Integrity": "integrity",
        "Availability": "availability",
    },
    "DIE": {
        "Distributed": "distributed",
        "Immutable": "immutable",
        "Ephemeral": "ephemeral",
    },
    "PLOT4ai": {
        "Technique & Processes": "technique-and-processes",
        "Accessibility": "accessibility",
        "Identifiability & Linkability": "identifiability-and-linkability",
        "Security": "security",
        "Safety": "safety",
        "Unawareness": "unawareness",
        "Ethics & Human Rights": "ethics-and-human-rights",
        "Non-compliance": "non-compliance",
    },
}

#: Threat ``severity`` (case-insensitive) → ``:severity:``.
SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low"}

#: Threat ``status`` (case-insensitive, spaces ignored) → outcome: the
#: status of its mitigation, ``not-applicable`` or ``risk-acceptance``.
STATUS = {
    "open": "planned",
    "mitigated": "implemented",
    "notapplicable": "not-applicable",
    "n/a": "not-applicable",
    "accepted": "risk-acceptance",
    "accept": "risk-acceptance",
    "transferred": "risk-acceptance",
    "transfer": "risk-acceptance",
}


#: The documented mapping (the how-to renders it).
MAPPING_ROWS = (
    MappingRow("summary.title", "project title"),
    MappingRow(
        "summary.description, owner; detail.reviewer, contributors; diagrams",
        "product page prose",
    ),
    *rows_from("cell data.type", dict(CELL_TYPES), ""),
    MappingRow(
        "cell labels (strings, or objects with attrs.label.text / attrs.text.text)",
        "the name of a cell whose data.name is empty",
    ),
    MappingRow(
        "a cell, threat or list entry that cannot be read",
        "left out and reported with its JSON path; the rest is imported",
    ),
    MappingRow("cell id (UUID)", f"{SERVICE_PREFIX}-/{ACTOR_PREFIX}-<first 8 characters>"),
    MappingRow("cell description, flags (isALog, storesCredentials, ...)", "service body"),
    MappingRow("cell outOfScope, reasonOutOfScope", "service body"),
    MappingRow(
        "threat number (else its id; else its cell's id and place)",
        f"threat :id: {THREAT_PREFIX}-<number or first 8 characters>",
    ),
    MappingRow("threat title / description", "threat title / body"),
    MappingRow(
        "threat of a process or store",
        "threat owned by that service (:service:)",
    ),
    MappingRow(
        "threat of a data flow",
        "threat owned by the flow's source service, else its target",
    ),
    MappingRow("threat of an actor", "product threat with :actors: naming it"),
    *rows_from("threat severity", dict(SEVERITY), ":severity:", "case-insensitive"),
    MappingRow(
        "threat severity = TBD or empty",
        "(no :severity:: the threat is unrated)",
        "an unrated gap",
    ),
    MappingRow(
        "threat severity (other)",
        "(no :severity:), tag 'severity: <value>'",
        "unrated: nothing is guessed",
    ),
    MappingRow(
        "threat status = Open",
        "mitigation (its text) with :status: planned",
        "--due, tagged 'imported'",
    ),
    MappingRow("threat status = Mitigated", "mitigation (its text) with :status: implemented"),
    MappingRow(
        "threat status = NotApplicable / N/A",
        f"not-applicable {NOT_APPLICABLE_PREFIX}-<key>, the mitigation text as its reason",
    ),
    MappingRow(
        "threat status = Accepted / Transferred",
        f"risk-acceptance {ACCEPTANCE_PREFIX}-<key>",
        "--expires and --owner, tagged 'imported'",
    ),
    MappingRow("threat status (other)", "as Open, tagged 'status: <value>'", "and reported"),
    MappingRow("threat score, modelType, threatId", "threat body (a list of fields)"),
    *(
        row
        for family, table in CATEGORIES.items()
        for row in rows_from(f"{family} threat type", table, ":category:")
    ),
    MappingRow(
        "diagram type other than STRIDE",
        "threats_categories in conf.py (every category the model uses)",
    ),
)


class ThreatDragon:
    """OWASP Threat Dragon's model files (v2 JSON; v1 too)."""

    name = "threat-dragon"
    label = "Threat Dragon"
    reads_yaml = False

    def parse(self, data: Any, settings: ImportSettings) -> ImportedModel:
        """The neutral model of one Threat Dragon model file."""
        root = src.mapping(data, "$")
        summary = src.obj(root, "summary", "$", required=True)
        detail = src.obj(root, "detail", "$", required=True)
        title = " ".join(src.text(summary, "title", "$.summary", required=True).split())
        problems: list[str] = []
        cells = _cells(detail, problems)
        ids = IdAllocator()
        by_cell = _entities(cells, ids)
        layout = _layout(cells, by_cell)
        items = [
            _entity(cell, by_cell[cell.id], layout.notes[cell.id])
            for cell in cells
            if cell.id in by_cell
        ]

        context = _Context(by_cell, ids, settings, problems=[*problems, *layout.problems])
        threat_items: list[ImportedItem] = []
        decisions: list[ImportedItem] = []
        for cell in cells:
            for threat_item, *outcome in _threats_of(cell, context):
                threat_items.append(threat_item)
                decisions += outcome
        return ImportedModel(
            source_format=self.label,
            title=title or "Imported threat model",
            items=(*items, *threat_items, *decisions),
            sections=tuple(_prose(root, summary, detail, layout.prose, layout.boundaries)),
            categories=_category_table(context.categories),
            problems=tuple(context.problems),
        )

    def mapping_rows(self) -> list[MappingRow]:
        """The documented mapping (the how-to renders it)."""
        return list(MAPPING_ROWS)


@dataclass
class _Cell:
    path: str
    id: str
    shape: str
    type: str
    name: str
    data: dict[str, Any]
    source: str
    target: str
    diagram: str
    diagram_type: str
    box: tuple[float, float, float, float] | None
    #: The JSON path of ``data`` (the cell itself in a v1 file).
    data_path: str = ""


@dataclass
class _Layout:
    """What the diagrams say besides their elements and threats."""

    #: Per service or actor cell: the flows and boundaries its page names.
    notes: dict[str, list[tuple[str, str]]]
    #: Rows of the product page's trust boundaries section.
    boundaries: list[tuple[str, str]] = field(default_factory=list)
    #: The diagrams' free text, and cells of unknown types.
    prose: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """What every threat of the file is read against, and what it adds."""

    #: The service or threat actor of each cell that is one.
    by_cell: dict[str, ImportedItem]
    ids: IdAllocator
    settings: ImportSettings
    #: Category ID → the source's spelling, for every category met.
    categories: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _entities(cells: list[_Cell], ids: IdAllocator) -> dict[str, ImportedItem]:
    """The service or threat actor (still without a body) of each cell that is one."""
    by_cell: dict[str, ImportedItem] = {}
    for cell in cells:
        kind = CELL_TYPES.get(cell.type)
        if kind in ("service", "threat-actor"):
            prefix = SERVICE_PREFIX if kind == "service" else ACTOR_PREFIX
            by_cell[cell.id] = ImportedItem(
                kind, ids.new(prefix, cell.id[:8]), cell.name or cell.id
            )
    return by_cell


def _layout(cells: list[_Cell], by_cell: dict[str, ImportedItem]) -> _Layout:
    """The flows, trust boundaries and text of the diagrams."""
    layout = _Layout(notes={cid: [] for cid in by_cell})
    for cell in cells:
        if cell.type == "tm.Flow":
            line = _flow_text(cell, by_cell)
            for end in (cell.source, cell.target):
                if end in layout.notes:
                    layout.notes[end].append(("data flow", line))
        elif cell.type in ("tm.Boundary", "tm.BoundaryBox"):
            name = cell.name or "unnamed trust boundary"
            desc = src.text(cell.data, "description", cell.path + ".data")
            layout.boundaries.append(
                (f"trust boundary in {cell.diagram}", f"{name} {desc}".strip())
            )
            if cell.box is not None:
                for other in cells:
                    if (
                        other.id in layout.notes
                        and other.box is not None
                        and _inside(other.box, cell.box)
                    ):
                        layout.notes[other.id].append(("inside trust boundary", name))
        elif cell.type == "tm.Text" and cell.name.strip():
            layout.prose.append(Text(cell.name))
        elif cell.type not in CELL_TYPES:
            layout.problems.append(
                f"{cell.path}: cell type {cell.type!r} is not known; shown on the product page"
            )
            layout.prose += fields_block([(f"{cell.type} cell", cell.name)])
    return layout


def _category_table(categories: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The ``threats_categories`` a model needs: none when STRIDE's suffice,
    else STRIDE's too, so a model that mixes diagram types keeps them all."""
    if set(categories) <= set(STRIDE_CATEGORIES):
        return ()
    others = {k: v for k, v in categories.items() if k not in STRIDE_CATEGORIES}
    return tuple((STRIDE_CATEGORIES | others).items())


def _cells(detail: dict[str, Any], problems: list[str]) -> list[_Cell]:
    """Every cell of every diagram, v1 cells in the v2 shape; a cell that
    cannot be read is noted and left out."""
    out: list[_Cell] = []
    for dpath, diagram in src.entries(detail, "diagrams", "$.detail", problems, "diagram"):
        title = src.text(diagram, "title", dpath) or "diagram"
        diagram_type = src.text(diagram, "diagramType", dpath) or "STRIDE"
        if "diagramJson" in diagram:  # Threat Dragon v1
            holder = src.obj(diagram, "diagramJson", dpath)
            cpath = f"{dpath}.diagramJson"
        else:
            holder, cpath = diagram, dpath
        for path, cell in src.entries(holder, "cells", cpath, problems, "cell"):
            try:
                out.append(_cell(path, cell, title, diagram_type))
            except SourceError as error:  # this cell (and its threats) only
                problems.append(src.skipped(error, "cell (with its threats)"))
    return out


def _cell(path: str, cell: dict[str, Any], title: str, diagram_type: str) -> _Cell:
    if "data" in cell:
        data = src.obj(cell, "data", path)
        dpath = f"{path}.data"
    else:  # v1: the fields sit on the cell itself
        data, dpath = cell, path
    ctype = src.text(data, "type", dpath) or src.text(cell, "type", path)
    name = src.text(data, "name", dpath) or _label_name(cell, path)
    return _Cell(
        path=path,
        id=src.scalar(cell, "id", path, required=True),
        shape=src.text(cell, "shape", path),
        type=ctype,
        name=" ".join(name.split()),
        data=data,
        source=_end(cell, "source", path),
        target=_end(cell, "target", path),
        diagram=title,
        diagram_type=diagram_type,
        box=_box(cell, path),
        data_path=dpath,
    )


def _label_name(cell: dict[str, Any], path: str) -> str:
    """The name a cell shows when its data has none: its text, else its first
    label that says something.  Threat Dragon writes labels as plain strings
    (``"labels": ["Web app"]``) or as objects (``{"attrs": {"label": {"text":
    ...}}}``, ``attrs.text.text`` in 1.x); both are read."""
    attrs = src.obj(cell, "attrs", path)
    name = src.text(src.obj(attrs, "text", f"{path}.attrs"), "text", f"{path}.attrs.text")
    labels = cell.get("labels")
    for i, shown in enumerate(labels if isinstance(labels, list) else []):
        if name.strip():
            break
        lpath = f"{path}.labels[{i}]"
        if isinstance(shown, str):
            name = shown
        elif isinstance(shown, dict):
            lattrs = src.obj(shown, "attrs", lpath)
            for key in ("label", "text"):
                holder = src.obj(lattrs, key, f"{lpath}.attrs")
                name = name or src.text(holder, "text", f"{lpath}.attrs.{key}")
    return name


def _end(cell: dict[str, Any], key: str, path: str) -> str:
    end = src.obj(cell, key, path)
    return src.scalar(end, "cell", f"{path}.{key}") or src.scalar(end, "id", f"{path}.{key}")


def _box(cell: dict[str, Any], path: str) -> tuple[float, float, float, float] | None:
    position, size = cell.get("position"), cell.get("size")
    if not isinstance(position, dict) or not isinstance(size, dict):
        return None
    x, y = (
        src.number(position, "x", f"{path}.position"),
        src.number(position, "y", f"{path}.position"),
    )
    w, h = src.number(size, "width", f"{path}.size"), src.number(size, "height", f"{path}.size")
    if x is None or y is None or w is None or h is None:
        return None
    return (x, y, x + w, y + h)


def _inside(
    inner: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


_FLAGS = (
    "isALog",
    "storesCredentials",
    "isEncrypted",
    "isSigned",
    "providesAuthentication",
    "isWebApplication",
    "handlesCardPayment",
    "handlesGoodsOrServices",
    "storesInventory",
    "isBidirectional",
    "isPublicNetwork",
)


def _flags(cell: _Cell) -> str:
    return ", ".join(label(f) for f in _FLAGS if src.flag(cell.data, f, cell.path + ".data"))


def _flow_text(cell: _Cell, by_cell: dict[str, ImportedItem]) -> str:
    def end(cid: str) -> str:
        item = by_cell.get(cid)
        return f"{item.title} ({item.id})" if item else "outside the diagram"

    dpath = cell.path + ".data"
    parts = [f"{cell.name or 'unnamed'}: {end(cell.source)} → {end(cell.target)}"]
    protocol = src.text(cell.data, "protocol", dpath)
    if protocol:
        parts.append(f"protocol {protocol}")
    if _flags(cell):
        parts.append(_flags(cell))
    if src.flag(cell.data, "outOfScope", dpath):
        reason = src.text(cell.data, "reasonOutOfScope", dpath)
        parts.append("out of scope" + (f" ({reason})" if reason else ""))
    description = src.text(cell.data, "description", dpath)
    if description:
        parts.append(description)
    return "; ".join(parts)


def _entity(cell: _Cell, item: ImportedItem, notes: list[tuple[str, str]]) -> ImportedItem:
    dpath = cell.path + ".data"
    description = src.text(cell.data, "description", dpath)
    rows = [
        ("element", f"{cell.type.removeprefix('tm.').lower()} in diagram {cell.diagram}"),
        ("properties", _flags(cell)),
        ("privilege level", src.text(cell.data, "privilegeLevel", dpath)),
    ]
    if src.flag(cell.data, "outOfScope", dpath):
        rows.append(("out of scope", src.text(cell.data, "reasonOutOfScope", dpath) or "yes"))
    body = (*text_block(description), *fields_block([*rows, *notes]))
    if item.kind == "threat-actor":
        description_option = options({"description": " ".join(description.split())})
        return ImportedItem(item.kind, item.id, item.title, description_option, body)
    return ImportedItem(item.kind, item.id, item.title, (), body)


def _threats_of(cell: _Cell, context: _Context) -> list[list[ImportedItem]]:
    """Per threat of ``cell``: the threat and what its status makes; one that
    cannot be read is noted and left out."""
    problems = context.problems
    try:
        threats = src.entries(cell.data, "threats", cell.data_path, problems, "threat")
    except SourceError as error:  # this cell's threats only
        problems.append(src.skipped(error, "list of threats"))
        return []
    out = []
    for path, threat in threats:
        try:
            out.append(_threat(cell, path, threat, context))
        except SourceError as error:  # this threat only
            problems.append(src.skipped(error, "threat"))
    return out


def _threat(
    cell: _Cell, path: str, threat: dict[str, Any], context: _Context
) -> list[ImportedItem]:
    """A threat of ``cell``, then the mitigation, not-applicable or acceptance
    its status makes."""
    number = src.scalar(threat, "number", path)
    source_id = (
        number or (src.scalar(threat, "threatId", path) or src.scalar(threat, "id", path))[:8]
    )
    # no id at all (Threat Dragon 1.x): the cell's id and the threat's place in it
    key = source_id or f"{cell.id[:8]}-{path.rsplit('[', 1)[-1].rstrip(']')}"
    threat_id = context.ids.new(THREAT_PREFIX, key)
    title = " ".join(src.text(threat, "title", path).split()) or f"Threat {key}"
    tag_list: list[str] = []

    family = src.text(threat, "modelType", path) or cell.diagram_type
    category = _category(family, src.text(threat, "type", path), context.categories)

    severity_text = src.text(threat, "severity", path)
    severity = SEVERITY.get(severity_text.strip().lower())
    # none that maps: unrated (the SPEC), the source's word kept as a tag
    if severity is None and severity_text.strip() and severity_text.strip().upper() != "TBD":
        tag_list.append(f"severity: {severity_text}")

    service, actors = _owner(cell, context.by_cell)
    if cell.type == "tm.Flow" and cell.id not in context.by_cell:
        tag_list.append(f"flow: {cell.name or 'unnamed'}")

    status_text = src.text(threat, "status", path) or "Open"
    outcome = STATUS.get(status_text.lower().replace(" ", "").replace("-", ""))
    if outcome is None:
        outcome = "planned"
        tag_list.append(f"status: {status_text}")
        context.problems.append(
            f"{path}: threat status {status_text!r} is not known; imported as Open ({threat_id})"
        )

    item = ImportedItem(
        Kind.THREAT.value,
        threat_id,
        title,
        options(
            {
                "category": (category,) if category else (),
                "severity": severity,
                "service": service,
                "actors": actors,
                "tags": tags(tag_list),
            }
        ),
        _threat_body(cell, path, threat, family, context.by_cell),
    )
    return [item, *_outcome(cell, path, threat, item, key, outcome, status_text, context)]


def _category(family: str, kind_text: str, categories: dict[str, str]) -> str | None:
    """The category ID of a threat ``type`` (``None`` for none), noted in ``categories``."""
    if not kind_text:
        return None
    table = next((t for f, t in CATEGORIES.items() if f.lower() == family.lower()), {})
    lookup = {k.lower(): v for k, v in table.items()}
    for t in CATEGORIES.values():  # a type spelled as another family spells it
        lookup = {k.lower(): v for k, v in t.items()} | lookup
    category = lookup.get(kind_text.lower(), slug(kind_text))
    categories.setdefault(category, kind_text)
    return category


def _owner(cell: _Cell, by_cell: dict[str, ImportedItem]) -> tuple[str | None, tuple[str, ...]]:
    """The service that owns a threat of ``cell``, and the actors it names."""
    owner = by_cell.get(cell.id)
    if owner is not None and owner.kind == "service":
        return owner.id, ()
    if owner is not None and owner.kind == "threat-actor":
        return None, (owner.id,)
    if cell.type == "tm.Flow":
        for end in (cell.source, cell.target):
            item = by_cell.get(end)
            if item is not None and item.kind == "service":
                return item.id, ()
    return None, ()


def _threat_body(
    cell: _Cell, path: str, threat: dict[str, Any], family: str, by_cell: dict[str, ImportedItem]
) -> tuple[Block, ...]:
    where = by_cell[cell.id].title if cell.id in by_cell else (cell.name or cell.type)
    number = src.scalar(threat, "number", path)
    return (
        *text_block(src.text(threat, "description", path)),
        *fields_block(
            [
                ("found on", f"{where} ({cell.type.removeprefix('tm.').lower()}, {cell.diagram})"),
                ("score", src.scalar(threat, "score", path)),
                ("model type", family if family != cell.diagram_type else ""),
                ("Threat Dragon id", src.scalar(threat, "id", path) if number else ""),
            ]
        ),
    )


def _outcome(
    cell: _Cell,
    path: str,
    threat: dict[str, Any],
    item: ImportedItem,
    key: str,
    outcome: str,
    status_text: str,
    context: _Context,
) -> list[ImportedItem]:
    """What the threat's status makes of its mitigation text: a mitigation, a
    not-applicable or a risk acceptance (nothing for a Mitigated threat
    without one, which is reported)."""
    ids, service = context.ids, item.option("service")
    mitigation = src.text(threat, "mitigation", path).strip()
    if outcome in ("planned", "implemented") and mitigation:
        first = mitigation.splitlines()[0].strip()
        title = first if len(first) <= 100 else f"Mitigation of {item.title}"
        return [
            frame.mitigation(
                ids.new(MITIGATION_PREFIX, key),
                title,
                context.settings,
                mitigates=(item.id,),
                status=outcome,
                service=service if isinstance(service, str) else None,
                body=tuple(text_block(mitigation)) if title != mitigation else (),
            )
        ]
    if outcome == "implemented":
        context.problems.append(f"{path}: threat {item.id} is Mitigated but names no mitigation")
    elif outcome == "not-applicable":
        reason = (
            mitigation
            or src.text(cell.data, "reasonOutOfScope", cell.path + ".data")
            or ("Marked not applicable in Threat Dragon (no reason given).")
        )
        return [
            frame.not_applicable(
                ids.new(NOT_APPLICABLE_PREFIX, key),
                f"Not applicable: {item.title}",
                threats=(item.id,),
                reason=Text(reason),
            )
        ]
    elif outcome == "risk-acceptance":
        return [
            frame.risk_acceptance(
                ids.new(ACCEPTANCE_PREFIX, key),
                f"{status_text}: {item.title}",
                context.settings,
                threats=(item.id,),
                body=(Text(f"Threat Dragon status: {status_text}."), *text_block(mitigation)),
            )
        ]
    return []


def _prose(
    root: dict[str, Any],
    summary: dict[str, Any],
    detail: dict[str, Any],
    prose: list[Block],
    boundaries: list[tuple[str, str]],
) -> list[Section]:
    about: list[Block] = [*text_block(src.text(summary, "description", "$.summary"))]
    contributors = [
        src.text(c, "name", p) for p, c in src.objects(detail, "contributors", "$.detail")
    ]
    about += fields_block(
        [
            ("owner", src.text(summary, "owner", "$.summary")),
            ("reviewer", src.text(detail, "reviewer", "$.detail")),
            ("contributors", ", ".join(c for c in contributors if c)),
            ("Threat Dragon version", src.text(root, "version", "$")),
        ]
    )
    about += prose
    sections = [Section("About this model", tuple(about))] if about else []
    diagrams: list[tuple[str, str]] = []
    for path, diagram in src.objects(detail, "diagrams", "$.detail"):
        name = src.text(diagram, "title", path) or "diagram"
        parts = [
            src.text(diagram, "diagramType", path),
            src.text(diagram, "description", path),
        ]
        diagrams.append((name, "; ".join(p for p in parts if p)))
    if diagrams:
        sections.append(Section("Diagrams", tuple(fields_block(diagrams))))
    if boundaries:
        sections.append(Section("Trust boundaries", tuple(fields_block(boundaries))))
    return sections
