"""OWASP Threat Dragon (v2 JSON; v1 too) into the neutral model.

The diagram's elements become ours: processes services, stores data stores,
actors (Threat Dragon's external entities) external entities, flows data
flows and boundaries trust boundaries (a box contains what is drawn inside
it; a line has no inside we could compute).  Threats live inside diagram
cells: a process's threats are owned by its service, a store's by the
store's service, a data flow's by the service it leaves (else the one it
reaches), and a store's, an actor's or a flow's threats apply to it.  Each
threat's mitigation text is a mitigation whose status follows the threat's
(Open → planned, Mitigated → implemented); N/A is a ``not-applicable`` with
the reason, an accepted or transferred risk a ``risk-acceptance``.
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

SERVICE_PREFIX, STORE_PREFIX, ENTITY_PREFIX = "TD-S", "TD-D", "TD-E"
FLOW_PREFIX, BOUNDARY_PREFIX = "TD-F", "TD-B"
THREAT_PREFIX, MITIGATION_PREFIX = "TD-T", "TD-M"
NOT_APPLICABLE_PREFIX, ACCEPTANCE_PREFIX = "TD-NA", "TD-RA"

#: Cell ``data.type`` → what it becomes.
CELL_TYPES = {
    "tm.Process": "service",
    "tm.Store": "data-store",
    "tm.Actor": "external-entity",
    "tm.Flow": "data-flow",
    "tm.Boundary": "trust-boundary",
    "tm.BoundaryBox": "trust-boundary",
    "tm.Text": "product page prose",
}

#: ID prefix of each element kind.
ELEMENT_PREFIX = {
    "service": SERVICE_PREFIX,
    "data-store": STORE_PREFIX,
    "external-entity": ENTITY_PREFIX,
    "data-flow": FLOW_PREFIX,
    "trust-boundary": BOUNDARY_PREFIX,
}

#: How the diagram's elements map (the how-to renders it).
ELEMENT_ROWS = (
    MappingRow(
        "cell id (UUID)",
        f"{SERVICE_PREFIX}- (process), {STORE_PREFIX}- (store), {ENTITY_PREFIX}- (actor), "
        f"{FLOW_PREFIX}- (flow), {BOUNDARY_PREFIX}- (boundary) and its first 8 characters",
    ),
    MappingRow(
        "cell name; description, flags (isALog, ...), privilegeLevel, outOfScope",
        "the item's title; its body",
    ),
    MappingRow(
        "store",
        "data store, :service: the one process its flows connect it to",
        "none when its flows reach no process or several",
    ),
    MappingRow("actor description", "external entity :description:"),
    MappingRow("flow source / target", "data flow :from: / :to:"),
    MappingRow(
        "flow end attached to no cell",
        "an external entity 'Outside the diagram' for that end",
        "tagged 'imported', and reported",
    ),
    MappingRow("flow protocol, isBidirectional", "data flow :protocol:, :bidirectional:"),
    MappingRow(
        "boundary box (tm.BoundaryBox)",
        "trust boundary, :contains: the cells whose centre lies inside its box",
        "a cell inside several boxes: the smallest one, so boxes nest",
    ),
    MappingRow(
        "boundary line (tm.Boundary, trust-boundary-curve)",
        "trust boundary with an empty :contains:",
        "a line has no inside to compute: its body says so, and it is reported",
    ),
)

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
    *ELEMENT_ROWS,
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
        "its mitigation also :applies-to: the other end's service",
    ),
    MappingRow(
        "threat of a store, an actor or a flow",
        ":applies-to: that data store, external entity or data flow",
        "a store's threat is owned by the store's service, if it has one",
    ),
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
        read_problems: list[str] = []  # the cells and entries that cannot be read
        cells = _cells(detail, read_problems)
        ids = IdAllocator()
        elements = _elements(cells, ids)
        by_cell = elements.by_cell
        prose, problems = _free_text(cells)
        items = elements.items

        context = _Context(
            by_cell, ids, settings, problems=[*read_problems, *elements.problems, *problems]
        )
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
            sections=tuple(_prose(root, summary, detail, prose, [])),
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
class _Context:
    """What every threat of the file is read against, and what it adds."""

    #: The service or threat actor of each cell that is one.
    by_cell: dict[str, ImportedItem]
    ids: IdAllocator
    settings: ImportSettings
    #: Category ID → the source's spelling, for every category met.
    categories: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _free_text(cells: list[_Cell]) -> tuple[list[Block], list[str]]:
    """The diagrams' free text, and cells of unknown types (with a note each)."""
    prose: list[Block] = []
    problems: list[str] = []
    for cell in cells:
        if cell.type == "tm.Text" and cell.name.strip():
            prose.append(Text(cell.name))
        elif cell.type not in CELL_TYPES:
            problems.append(
                f"{cell.path}: cell type {cell.type!r} is not known; shown on the product page"
            )
            prose += fields_block([(f"{cell.type} cell", cell.name)])
    return prose, problems


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
                "applies-to": _about(cell, context.by_cell),
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
    if owner is not None and owner.kind == "data-store":
        store_service = owner.option("service")
        return (store_service if isinstance(store_service, str) else None), ()
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
                applies_to=_other_ends(cell, context.by_cell, service),
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


# --- the diagram's elements ---------------------------------------------------------


@dataclass
class _Elements:
    """The diagram's elements: the item of each cell that is one, in cell order."""

    #: The service, data store, external entity, data flow or trust boundary of each cell.
    by_cell: dict[str, ImportedItem]
    items: list[ImportedItem]
    problems: list[str]


def _elements(cells: list[_Cell], ids: IdAllocator) -> _Elements:
    """Every element of the diagrams: services, data stores, external entities
    (with one for each loose flow end), data flows and trust boundaries, with
    the stores' services and the boxes' contents computed from the diagram."""
    by_cell: dict[str, ImportedItem] = {}
    for cell in cells:
        kind = CELL_TYPES.get(cell.type, "")
        if kind in ELEMENT_PREFIX:
            by_cell[cell.id] = ImportedItem(
                kind, ids.new(ELEMENT_PREFIX[kind], cell.id[:8]), _element_title(cell, kind)
            )
    problems: list[str] = []
    loose = _loose_ends(cells, by_cell, ids, problems)
    store_service = _store_services(cells, by_cell)
    container = _containers(cells, by_cell)
    items: list[ImportedItem] = []
    for cell in cells:
        item = by_cell.get(cell.id)
        if item is None:
            continue
        extra: dict[str, Any] = {}
        if item.kind == "data-store":
            extra["service"] = store_service.get(cell.id)
        elif item.kind == "data-flow":
            extra = _flow_options(cell, by_cell, loose)
        elif item.kind == "trust-boundary":
            inside = [by_cell[c].id for c, box in container.items() if box == cell.id]
            extra["contains"] = tuple(inside)
            if cell.type == "tm.Boundary":
                problems.append(
                    f"{cell.path}: trust boundary {item.id} is a line in Threat Dragon; "
                    "what it separates is not computed: list what is inside it in :contains:"
                )
        # the threats read the finished item (a store's service owns its threats)
        by_cell[cell.id] = _element_item(cell, item, extra)
        items.append(by_cell[cell.id])
    items += loose.values()
    return _Elements(by_cell, items, problems)


def _element_title(cell: _Cell, kind: str) -> str:
    if cell.name:
        return cell.name
    return f"Unnamed {kind.replace('-', ' ')} in {cell.diagram}"


def _loose_ends(
    cells: list[_Cell], by_cell: dict[str, ImportedItem], ids: IdAllocator, problems: list[str]
) -> dict[tuple[str, str], ImportedItem]:
    """An external entity for each flow end attached to no element cell (Threat
    Dragon lets a flow start or end anywhere): the flow keeps both its ends."""
    out: dict[tuple[str, str], ImportedItem] = {}
    for cell in cells:
        if cell.type != "tm.Flow":
            continue
        for side, end in (("from", cell.source), ("to", cell.target)):
            target = by_cell.get(end)
            if target is not None and target.kind not in ("data-flow", "trust-boundary"):
                continue
            ident = ids.new(ENTITY_PREFIX, f"{cell.id[:8]}-{side}")
            where = "start" if side == "from" else "end"
            title = f"Outside the diagram ({where} of flow {cell.name or 'unnamed'})"
            out[(cell.id, side)] = ImportedItem(
                "external-entity",
                ident,
                title,
                options({"tags": tags([frame.IMPORTED_TAG])}),
                (Text(f"The {where} of a flow that Threat Dragon attaches to no element."),),
            )
            problems.append(
                f"{cell.path}: the flow's {where} is attached to no element; "
                f"imported as the external entity {ident}"
            )
    return out


def _flow_options(
    cell: _Cell,
    by_cell: dict[str, ImportedItem],
    loose: dict[tuple[str, str], ImportedItem],
) -> dict[str, Any]:
    dpath = cell.path + ".data"

    def end(side: str, cid: str) -> str:
        item = loose.get((cell.id, side)) or by_cell[cid]
        return item.id

    bidirectional = src.flag(cell.data, "isBidirectional", dpath)
    return {
        "from": end("from", cell.source),
        "to": end("to", cell.target),
        "protocol": " ".join(src.text(cell.data, "protocol", dpath).split()),
        # a flag as every form reads it: ``true``
        "bidirectional": "true" if bidirectional else None,
    }


def _store_services(cells: list[_Cell], by_cell: dict[str, ImportedItem]) -> dict[str, str]:
    """The service of each store: the one process its flows connect it to."""
    reached: dict[str, set[str]] = {}
    for cell in cells:
        if cell.type != "tm.Flow":
            continue
        ends = [by_cell.get(cell.source), by_cell.get(cell.target)]
        for here, there in (ends, ends[::-1]):
            if here and there and (here.kind, there.kind) == ("data-store", "service"):
                reached.setdefault(here.id, set()).add(there.id)
    out: dict[str, str] = {}
    for cid, item in by_cell.items():
        services = reached.get(item.id, set())
        if item.kind == "data-store" and len(services) == 1:
            out[cid] = next(iter(services))
    return out


def _containers(cells: list[_Cell], by_cell: dict[str, ImportedItem]) -> dict[str, str]:
    """The direct container (a boundary box's cell id) of each element cell or
    box whose centre lies inside a box of the same diagram: the smallest such
    box (the earlier of equal ones), so boxes drawn inside boxes nest."""
    boxes = [
        (n, c) for n, c in enumerate(cells) if c.type == "tm.BoundaryBox" and c.box is not None
    ]
    out: dict[str, str] = {}
    for n, cell in enumerate(cells):
        item = by_cell.get(cell.id)
        if item is None or item.kind == "data-flow" or cell.box is None:
            continue
        x0, y0, x1, y1 = cell.box
        cx, cy, area = (x0 + x1) / 2, (y0 + y1) / 2, _area(cell.box)
        around = [
            (_area(b.box), m, b.id)
            for m, b in boxes
            if b.box is not None
            and b.id != cell.id
            and b.diagram == cell.diagram
            and b.box[0] <= cx <= b.box[2]
            and b.box[1] <= cy <= b.box[3]
            # a box is inside a larger one (of equal ones, the earlier holds the later)
            and (_area(b.box), m) > (area, n)
        ]
        if around:
            out[cell.id] = min(around)[2]
    return out


def _area(box: tuple[float, float, float, float] | None) -> float:
    return 0.0 if box is None else (box[2] - box[0]) * (box[3] - box[1])


def _element_item(cell: _Cell, item: ImportedItem, extra: dict[str, Any]) -> ImportedItem:
    """The element's item: its options, and a body with what has no option."""
    dpath = cell.path + ".data"
    description = src.text(cell.data, "description", dpath)
    rows = [
        ("element", f"{cell.type.removeprefix('tm.').lower()} in diagram {cell.diagram}"),
        ("properties", _flags(cell)),
        ("privilege level", src.text(cell.data, "privilegeLevel", dpath)),
    ]
    if src.flag(cell.data, "outOfScope", dpath):
        rows.append(("out of scope", src.text(cell.data, "reasonOutOfScope", dpath) or "yes"))
    body: list[Block] = []
    pairs: dict[str, Any] = dict(extra)
    if item.kind == "external-entity":
        pairs["description"] = " ".join(description.split())
    else:
        body += text_block(description)
    if cell.type == "tm.Boundary":
        body.append(
            Text(
                "Drawn in Threat Dragon as a line (a trust-boundary curve): what it "
                "separates is not computed. List what is inside it in :contains:."
            )
        )
    body += fields_block(rows)
    return ImportedItem(item.kind, item.id, item.title, options(pairs), tuple(body))


def _about(cell: _Cell, by_cell: dict[str, ImportedItem]) -> tuple[str, ...]:
    """What a threat of ``cell`` applies to besides its owner: the store,
    entity or flow it was found on."""
    item = by_cell.get(cell.id)
    if item is not None and item.kind in ("data-store", "external-entity", "data-flow"):
        return (item.id,)
    return ()


def _other_ends(cell: _Cell, by_cell: dict[str, ImportedItem], owner: object) -> tuple[str, ...]:
    """The services at a flow's ends besides ``owner``: a mitigation of a
    flow's threat covers the flow, so it covers them too."""
    if cell.type != "tm.Flow":
        return ()
    ends = (by_cell.get(cell.source), by_cell.get(cell.target))
    return tuple(
        dict.fromkeys(e.id for e in ends if e is not None and e.kind == "service" and e.id != owner)
    )
