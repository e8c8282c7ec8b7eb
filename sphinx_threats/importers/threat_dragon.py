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

from dataclasses import dataclass
from typing import Any

from . import source as src
from .mapping import MappingRow, fields_block, label, rows_from, text_block
from .model import (
    IMPORTED_TAG,
    Block,
    IdAllocator,
    ImportedItem,
    ImportedModel,
    ImportSettings,
    Section,
    Text,
    options,
    slug,
    tags,
)

NAME = "threat-dragon"
LABEL = "Threat Dragon"

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
    "STRIDE": {
        "Spoofing": "spoofing",
        "Tampering": "tampering",
        "Repudiation": "repudiation",
        "Information disclosure": "information-disclosure",
        "Denial of service": "denial-of-service",
        "Elevation of privilege": "elevation-of-privilege",
    },
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
#: Our default ``threats_categories`` (nothing to write when only these are used).
DEFAULT_CATEGORIES = tuple(CATEGORIES["STRIDE"].values())

#: Threat ``severity`` (case-insensitive) → ``:severity:``.
SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "low": "low"}
#: Severity of a threat without a usable one ("TBD", empty), tagged ``imported``.
DEFAULT_SEVERITY = "high"

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


def mapping_rows() -> list[MappingRow]:
    """The documented mapping (the how-to renders it)."""
    rows = [
        MappingRow("summary.title", "project title"),
        MappingRow(
            "summary.description, owner; detail.reviewer, contributors; diagrams",
            "product page prose",
        ),
        *rows_from("cell data.type", dict(CELL_TYPES), ""),
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
            "threat of a data flow", "threat owned by the flow's source service, else its target"
        ),
        MappingRow("threat of an actor", "product threat with :actors: naming it"),
        *rows_from("threat severity", dict(SEVERITY), ":severity:", "case-insensitive"),
        MappingRow(
            "threat severity = TBD or empty", f":severity: {DEFAULT_SEVERITY}", "tagged 'imported'"
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
    ]
    for family, table in CATEGORIES.items():
        rows += rows_from(f"{family} threat type", table, ":category:")
    rows.append(
        MappingRow(
            "diagram type other than STRIDE",
            "threats_categories in conf.py (every category the model uses)",
        )
    )
    return rows


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


def parse(data: Any, settings: ImportSettings) -> ImportedModel:
    """The neutral model of one Threat Dragon model file."""
    root = src.mapping(data, "$")
    summary = src.obj(root, "summary", "$", required=True)
    detail = src.obj(root, "detail", "$", required=True)
    title = " ".join(src.text(summary, "title", "$.summary", required=True).split())
    problems: list[str] = []
    cells = _cells(detail)
    ids = IdAllocator()

    by_cell: dict[str, ImportedItem] = {}
    kinds: dict[str, str] = {}
    for cell in cells:
        kind = CELL_TYPES.get(cell.type)
        if kind in ("service", "threat-actor"):
            prefix = SERVICE_PREFIX if kind == "service" else ACTOR_PREFIX
            kinds[cell.id] = kind
            by_cell[cell.id] = ImportedItem(
                kind, ids.new(prefix, cell.id[:8]), cell.name or cell.id
            )

    # what each service page says about flows and boundaries
    notes: dict[str, list[tuple[str, str]]] = {cid: [] for cid in by_cell}
    boundaries: list[tuple[str, str]] = []
    prose: list[Block] = []
    for cell in cells:
        if cell.type == "tm.Flow":
            line = _flow_text(cell, by_cell)
            for end in (cell.source, cell.target):
                if end in notes:
                    notes[end].append(("data flow", line))
        elif cell.type in ("tm.Boundary", "tm.BoundaryBox"):
            name = cell.name or "unnamed trust boundary"
            desc = src.text(cell.data, "description", cell.path + ".data")
            boundaries.append((f"trust boundary in {cell.diagram}", f"{name} {desc}".strip()))
            if cell.box is not None:
                for other in cells:
                    if other.id in notes and other.box is not None and _inside(other.box, cell.box):
                        notes[other.id].append(("inside trust boundary", name))
        elif cell.type == "tm.Text" and cell.name.strip():
            prose.append(Text(cell.name))
        elif cell.type not in CELL_TYPES:
            problems.append(
                f"{cell.path}: cell type {cell.type!r} is not known; shown on the product page"
            )
            prose += fields_block([(f"{cell.type} cell", cell.name)])

    items: list[ImportedItem] = []
    for cell in cells:
        item = by_cell.get(cell.id)
        if item is None:
            continue
        items.append(_entity(cell, item, notes[cell.id]))

    categories: dict[str, str] = {}
    threat_items: list[ImportedItem] = []
    decisions: list[ImportedItem] = []
    for cell in cells:
        for path, threat in src.objects(cell.data, "threats", cell.path + ".data"):
            made, extra_problems = _threat(
                cell, path, threat, by_cell, kinds, ids, settings, categories
            )
            problems += extra_problems
            threat_items.append(made[0])
            decisions += made[1:]
    items += threat_items + decisions

    used = set(categories)
    category_table: tuple[tuple[str, str], ...] = ()
    if not used <= set(DEFAULT_CATEGORIES):
        # STRIDE's too, so a model that mixes diagram types keeps them all
        every = dict(zip(DEFAULT_CATEGORIES, CATEGORIES["STRIDE"], strict=True))
        every |= {k: v for k, v in categories.items() if k not in every}
        keep = {k: v for k, v in every.items() if k in used or k in DEFAULT_CATEGORIES}
        category_table = tuple(keep.items())

    sections = _prose(root, summary, detail, prose, boundaries)
    return ImportedModel(
        source_format=LABEL,
        title=title or "Imported threat model",
        items=tuple(items),
        sections=tuple(sections),
        categories=category_table,
        problems=tuple(problems),
    )


def _cells(detail: dict[str, Any]) -> list[_Cell]:
    """Every cell of every diagram, v1 cells in the v2 shape."""
    out: list[_Cell] = []
    for dpath, diagram in src.objects(detail, "diagrams", "$.detail"):
        title = src.text(diagram, "title", dpath) or "diagram"
        diagram_type = src.text(diagram, "diagramType", dpath) or "STRIDE"
        if "diagramJson" in diagram:  # Threat Dragon v1
            holder = src.obj(diagram, "diagramJson", dpath)
            cpath = f"{dpath}.diagramJson"
        else:
            holder, cpath = diagram, dpath
        for path, cell in src.objects(holder, "cells", cpath):
            if "data" in cell:
                data = src.obj(cell, "data", path)
                dpath_ = f"{path}.data"
            else:  # v1: the fields sit on the cell itself
                data, dpath_ = cell, path
            ctype = src.text(data, "type", dpath_) or src.text(cell, "type", path)
            name = src.text(data, "name", dpath_) or _v1_name(cell, path)
            out.append(
                _Cell(
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
                )
            )
    return out


def _v1_name(cell: dict[str, Any], path: str) -> str:
    attrs = src.obj(cell, "attrs", path)
    text = src.obj(attrs, "text", f"{path}.attrs")
    name = src.text(text, "text", f"{path}.attrs.text")
    if not name:
        for lpath, lab in src.objects(cell, "labels", path):
            lattrs = src.obj(lab, "attrs", lpath)
            name = src.text(
                src.obj(lattrs, "text", f"{lpath}.attrs"), "text", f"{lpath}.attrs.text"
            )
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


def _threat(
    cell: _Cell,
    path: str,
    threat: dict[str, Any],
    by_cell: dict[str, ImportedItem],
    kinds: dict[str, str],
    ids: IdAllocator,
    settings: ImportSettings,
    categories: dict[str, str],
) -> tuple[list[ImportedItem], list[str]]:
    problems: list[str] = []
    number = src.scalar(threat, "number", path)
    source_id = (
        number or (src.scalar(threat, "threatId", path) or src.scalar(threat, "id", path))[:8]
    )
    # no id at all (Threat Dragon 1.x): the cell's id and the threat's place in it
    key = source_id or f"{cell.id[:8]}-{path.rsplit('[', 1)[-1].rstrip(']')}"
    threat_id = ids.new(THREAT_PREFIX, key)
    title = " ".join(src.text(threat, "title", path).split()) or f"Threat {key}"
    tag_list: list[str] = []

    family = src.text(threat, "modelType", path) or cell.diagram_type
    kind_text = src.text(threat, "type", path)
    category = None
    if kind_text:
        table = next((t for f, t in CATEGORIES.items() if f.lower() == family.lower()), {})
        lookup = {k.lower(): v for k, v in table.items()}
        for t in CATEGORIES.values():  # a type spelled as another family spells it
            lookup = {k.lower(): v for k, v in t.items()} | lookup
        category = lookup.get(kind_text.lower(), slug(kind_text))
        categories.setdefault(category, kind_text)

    severity_text = src.text(threat, "severity", path)
    severity = SEVERITY.get(severity_text.strip().lower())
    if severity is None:
        severity = DEFAULT_SEVERITY
        tag_list.append(IMPORTED_TAG)
        if severity_text.strip() and severity_text.strip().upper() != "TBD":
            tag_list.append(f"severity: {severity_text}")

    owner_kind = kinds.get(cell.id)
    service = None
    actors: tuple[str, ...] = ()
    if owner_kind == "service":
        service = by_cell[cell.id].id
    elif owner_kind == "threat-actor":
        actors = (by_cell[cell.id].id,)
    elif cell.type == "tm.Flow":
        for end in (cell.source, cell.target):
            if kinds.get(end) == "service":
                service = by_cell[end].id
                break
        tag_list.append(f"flow: {cell.name or 'unnamed'}")

    status_text = src.text(threat, "status", path) or "Open"
    outcome = STATUS.get(status_text.lower().replace(" ", "").replace("-", ""))
    if outcome is None:
        outcome = "planned"
        tag_list.append(f"status: {status_text}")
        problems.append(
            f"{path}: threat status {status_text!r} is not known; imported as Open ({threat_id})"
        )

    where = by_cell[cell.id].title if cell.id in by_cell else (cell.name or cell.type)
    body = [
        *text_block(src.text(threat, "description", path)),
        *fields_block(
            [
                ("found on", f"{where} ({cell.type.removeprefix('tm.').lower()}, {cell.diagram})"),
                ("score", src.scalar(threat, "score", path)),
                ("model type", family if family != cell.diagram_type else ""),
                ("Threat Dragon id", src.scalar(threat, "id", path) if number else ""),
            ]
        ),
    ]
    made = [
        ImportedItem(
            "threat",
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
            tuple(body),
        )
    ]
    mitigation = src.text(threat, "mitigation", path).strip()
    if outcome in ("planned", "implemented") and mitigation:
        first = mitigation.splitlines()[0].strip()
        mtitle = first if len(first) <= 100 else f"Mitigation of {title}"
        due = settings.due if outcome == "planned" else None
        made.append(
            ImportedItem(
                "mitigation",
                ids.new(MITIGATION_PREFIX, key),
                mtitle,
                options(
                    {
                        "mitigates": (threat_id,),
                        "status": outcome,
                        "due": due,
                        "service": service,
                        "tags": (IMPORTED_TAG,) if due else (),
                    }
                ),
                tuple(text_block(mitigation)) if mtitle != mitigation else (),
            )
        )
    elif outcome == "implemented":
        problems.append(f"{path}: threat {threat_id} is Mitigated but names no mitigation")
    elif outcome == "not-applicable":
        reason = (
            mitigation
            or src.text(cell.data, "reasonOutOfScope", cell.path + ".data")
            or ("Marked not applicable in Threat Dragon (no reason given).")
        )
        made.append(
            ImportedItem(
                "not-applicable",
                ids.new(NOT_APPLICABLE_PREFIX, key),
                f"Not applicable: {title}",
                options({"threats": (threat_id,)}),
                (Text(reason),),
            )
        )
    elif outcome == "risk-acceptance":
        made.append(
            ImportedItem(
                "risk-acceptance",
                ids.new(ACCEPTANCE_PREFIX, key),
                f"{status_text}: {title}",
                options(
                    {
                        "threats": (threat_id,),
                        "owner": settings.owner,
                        "expires": settings.expires,
                        "tags": (IMPORTED_TAG,),
                    }
                ),
                (Text(f"Threat Dragon status: {status_text}."), *text_block(mitigation)),
            )
        )
    return made, problems


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
