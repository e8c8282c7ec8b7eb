"""Open Threat Model (OTM 0.2, JSON or YAML) into the neutral model.

Components become services, data flows data flows, trust zones trust
boundaries around their components (a zone a flow starts or ends at also
an external entity: the parties in it); zones, flows and assets are also
described on the product page and on the pages of the services they concern.  A threat
is declared once: owned by the one service it is instanced on, or a product
threat that applies to the services it is instanced on.  A mitigation is
declared once too, with the least advanced state of its instances; a
``riskReduction`` below 100 makes it ``:effect: partial``.  Likelihood and
impact (0 to 100) become levels, and ``threats_risk_matrix`` derives severity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..model import MITIGATION_STATUSES, STRIDE_CATEGORIES, Kind
from . import frame
from . import reading as src
from .mapping import MappingRow, fields_block, rows_from, text_block
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

SERVICE_PREFIX, THREAT_PREFIX, MITIGATION_PREFIX = "OTM-S", "OTM-T", "OTM-M"
FLOW_PREFIX, ZONE_PREFIX, ENTITY_PREFIX = "OTM-F", "OTM-B", "OTM-E"
NOT_APPLICABLE_PREFIX, ACCEPTANCE_PREFIX = "OTM-NA", "OTM-RA"

#: Likelihood or impact (0 to 100) → level: the first whose lower bound it reaches.
LEVELS = (("high", 67.0), ("medium", 34.0), ("low", 0.0))

#: ``threats_risk_matrix`` written when threats carry likelihood and impact.
RISK_MATRIX = {
    "high": {"high": "critical", "medium": "high", "low": "medium"},
    "medium": {"high": "high", "medium": "medium", "low": "low"},
    "low": {"high": "medium", "medium": "low", "low": "low"},
}

#: Mitigation instance ``state`` (case-insensitive; ``_`` and spaces as ``-``)
#: → ``:status:``; ``None``: the link is not a control in place or planned.
MITIGATION_STATE: dict[str, str | None] = {
    "required": "planned",
    "recommended": "planned",
    "planned": "planned",
    "proposed": "planned",
    "in-progress": "in-progress",
    "implemented": "implemented",
    "verified": "verified",
    "test-passed": "verified",
    "rejected": None,
    "not-applicable": None,
}
#: Status when a mitigation instance has no state.
DEFAULT_MITIGATION_STATUS = "planned"

#: Threat instance ``state`` → what it adds: nothing (the status is computed),
#: a ``risk-acceptance`` or a ``not-applicable``.
THREAT_STATE: dict[str, str | None] = {
    "exists": None,
    "expose": None,
    "open": None,
    "mitigated": None,
    "partly-mitigated": None,
    "accept": "risk-acceptance",
    "accepted": "risk-acceptance",
    "not-applicable": "not-applicable",
    "hidden": "not-applicable",
}

#: Threat ``categories`` spelled as STRIDE names → our IDs (others: their slug).
STRIDE_NAMES = {name.lower(): category for category, name in STRIDE_CATEGORIES.items()}


#: The documented mapping (the how-to renders it).
MAPPING_ROWS = (
    MappingRow("project.name", "project title"),
    MappingRow(
        "project description, owner, tags, attributes; representations; assets",
        "product page prose",
    ),
    MappingRow(
        "trustZones[]",
        f"trust boundary {ZONE_PREFIX}-<id>, :contains: its components and child zones",
        "also a product page section; a component inside another is in the other's zone",
    ),
    MappingRow(
        "a trust zone a data flow starts or ends at",
        f"external entity {ENTITY_PREFIX}-<id> (the parties in it), inside its boundary",
    ),
    MappingRow(
        "dataflows[]",
        f"data flow {FLOW_PREFIX}-<id>: :from:, :to:, :bidirectional:, :data: its assets",
        "also on the product page and both services' pages",
    ),
    MappingRow("components[].id", f"service :id: {SERVICE_PREFIX}-<id>"),
    MappingRow("components[] type, description, parent, assets, attributes", "service body"),
    MappingRow("components[].tags", "service :tags:"),
    MappingRow("threats[].id", f"threat :id: {THREAT_PREFIX}-<id>"),
    MappingRow("threats[] instanced on one component", "threat owned by that service"),
    MappingRow(
        "threats[] instanced on several components",
        "product threat, :applies-to: those services",
    ),
    MappingRow("threat instance on a data flow", "counts for the flow's source component"),
    MappingRow(
        "threats[].categories (STRIDE names)",
        ":category:",
        "others: their slug, in conf.py",
    ),
    MappingRow("threats[].cwes", ":cwe:"),
    *[
        MappingRow(f"risk likelihood / impact ≥ {bound:g}", f":likelihood: / :impact: {level}")
        for level, bound in LEVELS
    ],
    MappingRow(
        "both likelihood and impact",
        ":severity: from threats_risk_matrix (written in conf.py)",
    ),
    MappingRow(
        "(either missing)",
        "(no :severity:: the threat is unrated)",
        "an unrated gap; the one given is kept",
    ),
    MappingRow("risk values and comments, attributes", "threat body"),
    *rows_from(
        "threat instance state",
        {k: v for k, v in THREAT_STATE.items()},
        "",
        "risk-acceptance: --expires, --owner, tagged 'imported'",
    ),
    MappingRow("mitigations[].id", f"mitigation :id: {MITIGATION_PREFIX}-<id>"),
    MappingRow("mitigations[].riskReduction < 100", ":effect: partial"),
    *rows_from(
        "mitigation instance state",
        {k: v for k, v in MITIGATION_STATE.items()},
        ":status:",
        "planned and in-progress get --due; a rejected or not-applicable link is dropped "
        "and reported",
    ),
    MappingRow(
        "a mitigation no threat instance names",
        "mitigation without :mitigates: (an unlinked control), :status: planned",
        "an orphan-mitigation gap; --due, tagged 'imported'",
    ),
    MappingRow(
        "a mitigation on several components",
        "one mitigation, :applies-to: them, the least advanced state",
    ),
    MappingRow("a reference to an id that is not there", "reported and skipped"),
)


class OpenThreatModel:
    """Open Threat Model files (OTM 0.2, JSON or YAML)."""

    name = "otm"
    label = "Open Threat Model"
    reads_yaml = True

    def parse(self, data: Any, settings: ImportSettings) -> ImportedModel:
        """The neutral model of one OTM file."""
        root = src.mapping(data, "$")
        src.scalar(root, "otmVersion", "$", required=True)
        project = src.obj(root, "project", "$", required=True)
        title = " ".join(src.text(project, "name", "$.project", required=True).split())
        problems: list[str] = []
        ids = IdAllocator()
        declared = _declared(root, ids)
        placed = _placed(declared, problems)

        items = [
            _service(path, comp, cid, declared, placed.flow_notes[cid])
            for path, comp, cid in declared.components
        ]
        categories: dict[str, str] = {}
        decisions: list[ImportedItem] = []
        uses_matrix = False
        for path, threat, tid in declared.threats:
            places = placed.instances.get(tid, [])
            services = tuple(
                dict.fromkeys(declared.service_ids[i.component] for i in places if i.component)
            )
            try:
                item, derived = _threat(
                    path, threat, declared.threat_ids[tid], services, categories
                )
            except SourceError as error:  # this threat only
                problems.append(src.skipped(error, "threat"))
                continue
            uses_matrix |= derived
            items.append(item)
            decisions += _decisions(item, places, services, declared, ids, settings, problems)
        kept = {i.id for i in items if i.kind == Kind.THREAT.value}
        items += _mitigations(declared, placed, kept, settings, problems)
        items += _elements(declared, ids)
        items += decisions

        categories_needed: tuple[tuple[str, str], ...] = ()
        if not set(categories) <= set(STRIDE_CATEGORIES):
            categories_needed = tuple((STRIDE_CATEGORIES | categories).items())
        matrix = tuple((k, tuple(v.items())) for k, v in RISK_MATRIX.items()) if uses_matrix else ()
        sections = _prose(root, project, declared.zones, declared.assets, placed.flow_rows)
        return ImportedModel(
            source_format=self.label,
            title=title or "Imported threat model",
            items=tuple(items),
            sections=tuple(sections),
            categories=categories_needed,
            risk_matrix=matrix,
            problems=tuple(problems),
        )

    def mapping_rows(self) -> list[MappingRow]:
        """The documented mapping (the how-to renders it)."""
        return list(MAPPING_ROWS)


def _level(value: float | None) -> str | None:
    if value is None:
        return None
    return next(level for level, bound in LEVELS if value >= bound)


def _state(text: str) -> str:
    """A state as a lookup key: case and separators ignored (``NotApplicable``,
    ``not-applicable`` and ``Not applicable`` are one state)."""
    return "".join(c for c in text.lower() if c.isalnum())


def _lookup(table: dict[str, str | None], state: str) -> tuple[bool, str | None]:
    """Whether ``state`` is in ``table``, and its value there."""
    keyed = {_state(k): v for k, v in table.items()}
    key = _state(state)
    return key in keyed, keyed.get(key)


#: An entry of the file: its JSON path, the entry, its id.
_Entry = tuple[str, dict[str, Any], str]


@dataclass
class _Declared:
    """What the file declares, by the file's ids, and the IDs they get here."""

    #: Trust zones and assets: id → (path, entry).
    zones: dict[str, tuple[str, dict[str, Any]]]
    assets: dict[str, tuple[str, dict[str, Any]]]
    components: list[_Entry]
    flows: list[tuple[str, dict[str, Any]]]
    threats: list[_Entry]
    mitigations: list[_Entry]
    #: The file's id of a component, threat or mitigation → its item's ID.
    service_ids: dict[str, str]
    threat_ids: dict[str, str]
    mitigation_ids: dict[str, str]


def _declared(root: dict[str, Any], ids: IdAllocator) -> _Declared:
    """The file's top-level lists, each entry with the ID its item gets."""
    zones = {
        src.scalar(z, "id", p, required=True): (p, z)
        for p, z in src.objects(root, "trustZones", "$")
    }
    assets = {
        src.scalar(a, "id", p, required=True): (p, a) for p, a in src.objects(root, "assets", "$")
    }
    components = [
        (p, c, src.scalar(c, "id", p, required=True))
        for p, c in src.objects(root, "components", "$")
    ]
    service_ids = {cid: ids.new(SERVICE_PREFIX, cid) for _, _, cid in components}
    flows = [(p, f) for p, f in src.objects(root, "dataflows", "$")]
    threats = [
        (p, t, src.scalar(t, "id", p, required=True)) for p, t in src.objects(root, "threats", "$")
    ]
    mitigations = [
        (p, m, src.scalar(m, "id", p, required=True))
        for p, m in src.objects(root, "mitigations", "$")
    ]
    return _Declared(
        zones=zones,
        assets=assets,
        components=components,
        flows=flows,
        threats=threats,
        mitigations=mitigations,
        service_ids=service_ids,
        threat_ids={tid: ids.new(THREAT_PREFIX, tid) for _, _, tid in threats},
        mitigation_ids={mid: ids.new(MITIGATION_PREFIX, mid) for _, _, mid in mitigations},
    )


@dataclass
class _Instance:
    """Where a threat is instanced, with its state and mitigation links."""

    path: str
    component: str | None
    state: str
    mitigations: list[tuple[str, str, str]] = field(default_factory=list)  # path, id, state


@dataclass
class _Placed:
    """Where the threats are instanced, and what the data flows connect."""

    #: Per threat id: its instances on components and data flows.
    instances: dict[str, list[_Instance]] = field(default_factory=lambda: defaultdict(list))
    #: Per component id: the flows its service page describes.
    flow_notes: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    #: The product page's data flows section.
    flow_rows: list[tuple[str, str]] = field(default_factory=list)


def _placed(declared: _Declared, problems: list[str]) -> _Placed:
    """The threat instances of the components and data flows, and the flows."""
    placed = _Placed()
    service_ids = declared.service_ids
    for path, comp, cid in declared.components:
        _instances(comp, path, cid, placed.instances, declared.threat_ids, problems)
    for path, flow in declared.flows:
        fid = src.scalar(flow, "id", path, required=True)
        source = src.scalar(flow, "source", path, required=True)
        target = src.scalar(flow, "destination", path, required=True)
        name = src.text(flow, "name", path) or fid
        endpoints = {cid for _, _, cid in declared.components} | set(declared.zones)
        for end, key in ((source, "source"), (target, "destination")):
            if end not in endpoints:
                problems.append(
                    f"{path}.{key}: data flow {fid!r} names {end!r}, which is not in the file"
                )
        owner = source if source in service_ids else (target if target in service_ids else None)
        _instances(flow, path, owner, placed.instances, declared.threat_ids, problems)
        line = _flow_line(flow, path, name, source, target, service_ids, declared.assets)
        placed.flow_rows.append((name, line))
        for end in (source, target):
            if end in service_ids:
                placed.flow_notes[end].append(("data flow", line))
    return placed


def _instances(
    holder: dict[str, Any],
    path: str,
    component: str | None,
    instances: dict[str, list[_Instance]],
    threat_ids: dict[str, str],
    problems: list[str],
) -> None:
    for ipath, ref in src.objects(holder, "threats", path):
        tid = src.scalar(ref, "threat", ipath, required=True)
        if tid not in threat_ids:
            problems.append(f"{ipath}.threat: threat {tid!r} is not in the file; skipped")
            continue
        instance = _Instance(ipath, component, src.text(ref, "state", ipath))
        for mpath, mref in src.objects(ref, "mitigations", ipath):
            mid = src.scalar(mref, "mitigation", mpath, required=True)
            instance.mitigations.append((mpath, mid, src.text(mref, "state", mpath)))
        instances[tid].append(instance)


def _attributes(holder: dict[str, Any], path: str) -> list[tuple[str, str]]:
    attributes = src.obj(holder, "attributes", path)
    return [(str(k), _plain(v)) for k, v in attributes.items()]


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _flow_line(
    flow: dict[str, Any],
    path: str,
    name: str,
    source: str,
    target: str,
    service_ids: dict[str, str],
    assets: dict[str, tuple[str, dict[str, Any]]],
) -> str:
    arrow = "↔" if src.flag(flow, "bidirectional", path) else "→"
    parts = [f"{name}: {service_ids.get(source, source)} {arrow} {service_ids.get(target, target)}"]
    carried = [_asset_name(a, assets) for a in src.strings(flow, "assets", path)]
    if carried:
        parts.append("carries " + ", ".join(carried))
    for key in ("description",):
        if src.text(flow, key, path):
            parts.append(src.text(flow, key, path))
    parts += [f"{k}: {v}" for k, v in _attributes(flow, path)]
    if src.strings(flow, "tags", path):
        parts.append("tags: " + ", ".join(src.strings(flow, "tags", path)))
    return "; ".join(parts)


def _asset_name(aid: str, assets: dict[str, tuple[str, dict[str, Any]]]) -> str:
    if aid not in assets:
        return aid
    path, asset = assets[aid]
    return src.text(asset, "name", path) or aid


def _parent(holder: dict[str, Any], path: str) -> tuple[str, str]:
    parent = src.obj(holder, "parent", path)
    if "trustZone" in parent:
        return "trustZone", src.scalar(parent, "trustZone", f"{path}.parent")
    if "component" in parent:
        return "component", src.scalar(parent, "component", f"{path}.parent")
    return "", ""


def _service(
    path: str, comp: dict[str, Any], cid: str, declared: _Declared, notes: list[tuple[str, str]]
) -> ImportedItem:
    zones, assets = declared.zones, declared.assets
    kind, parent = _parent(comp, path)
    rows = [("type", src.text(comp, "type", path))]
    if kind == "trustZone":
        if parent in zones:
            zpath, zone = zones[parent]
            rating = src.number(src.obj(zone, "risk", zpath), "trustRating", f"{zpath}.risk")
            zone_text = src.text(zone, "name", zpath) or parent
            rows.append(
                (
                    "trust zone",
                    zone_text + (f" (trust rating {rating:g})" if rating is not None else ""),
                )
            )
        else:
            rows.append(("trust zone", f"{parent} (not in the file)"))
    elif kind == "component":
        rows.append(("inside component", f"{parent}"))
    comp_assets = src.obj(comp, "assets", path)
    for key in ("processed", "stored"):
        names = [_asset_name(a, assets) for a in src.strings(comp_assets, key, f"{path}.assets")]
        rows.append((f"assets {key}", ", ".join(names)))
    for rpath, rep in src.objects(comp, "representations", path):
        rows.append(
            (
                "representation",
                src.scalar(rep, "representation", rpath) or src.scalar(rep, "id", rpath),
            )
        )
    rows += _attributes(comp, path)
    rows += notes
    body: list[Block] = [*text_block(src.text(comp, "description", path)), *fields_block(rows)]
    name = " ".join(src.text(comp, "name", path).split()) or cid
    return ImportedItem(
        Kind.SERVICE.value,
        declared.service_ids[cid],
        name,
        options({"tags": tags(src.strings(comp, "tags", path))}),
        tuple(body),
    )


def _threat(
    path: str,
    threat: dict[str, Any],
    threat_id: str,
    services: tuple[str, ...],
    categories: dict[str, str],
) -> tuple[ImportedItem, bool]:
    risk = src.obj(threat, "risk", path)
    rpath = f"{path}.risk"
    likelihood_value = src.number(risk, "likelihood", rpath)
    impact_value = src.number(risk, "impact", rpath)
    for key, value in (("likelihood", likelihood_value), ("impact", impact_value)):
        if value is not None and not 0 <= value <= 100:
            raise SourceError(f"{rpath}.{key}", f"expected a number from 0 to 100, found {value:g}")
    likelihood, impact = _level(likelihood_value), _level(impact_value)
    derived = likelihood is not None and impact is not None
    tag_list = list(src.strings(threat, "tags", path))
    category_ids = []
    for name in src.strings(threat, "categories", path, one_or_many=True):
        ours = STRIDE_NAMES.get(name.strip().lower(), slug(name))
        categories.setdefault(ours, name.strip())
        category_ids.append(ours)
    cwes = []
    for i, cwe in enumerate(src.strings(threat, "cwes", path, one_or_many=True)):
        number = cwe.strip().upper().removeprefix("CWE-")
        if not number.isdigit():
            raise SourceError(f"{path}.cwes[{i}]", f"expected a CWE number (CWE-79), not {cwe!r}")
        cwes.append(number)
    body = [
        *text_block(src.text(threat, "description", path)),
        *fields_block(
            [
                ("likelihood", "" if likelihood_value is None else f"{likelihood_value:g} of 100"),
                ("likelihood comment", src.text(risk, "likelihoodComment", rpath)),
                ("impact", "" if impact_value is None else f"{impact_value:g} of 100"),
                ("impact comment", src.text(risk, "impactComment", rpath)),
                *_attributes(threat, path),
            ]
        ),
    ]
    service = services[0] if len(services) == 1 else None
    name = " ".join(src.text(threat, "name", path, required=True).split())
    item = ImportedItem(
        Kind.THREAT.value,
        threat_id,
        name,
        options(
            {
                "category": tuple(dict.fromkeys(category_ids)),
                "likelihood": likelihood,
                "impact": impact,
                "service": service,
                "applies-to": services if len(services) > 1 else (),
                "cwe": tuple(dict.fromkeys(cwes)),
                "tags": tags(tag_list),
            }
        ),
        tuple(body),
    )
    return item, derived


def _decisions(
    threat: ImportedItem,
    places: list[_Instance],
    services: tuple[str, ...],
    declared: _Declared,
    ids: IdAllocator,
    settings: ImportSettings,
    problems: list[str],
) -> list[ImportedItem]:
    """The risk acceptances and not-applicables the states of a threat's
    instances make (for the instance's service when the threat has several)."""
    made: list[ImportedItem] = []
    for instance in places:
        known, outcome = _lookup(THREAT_STATE, instance.state)
        if instance.state and not known:
            problems.append(
                f"{instance.path}: threat state {instance.state!r} is not known; "
                "the threat's status is computed from its mitigations"
            )
        if outcome is None:
            continue
        service = (
            declared.service_ids[instance.component]
            if instance.component and len(services) > 1
            else None
        )
        where = f" for {service}" if service else ""
        key = threat.id.removeprefix(THREAT_PREFIX + "-")
        reason = Text(f"Threat state {instance.state!r} in the OTM file ({instance.path}).")
        if outcome == "not-applicable":
            made.append(
                frame.not_applicable(
                    ids.new(NOT_APPLICABLE_PREFIX, key),
                    f"Not applicable{where}: {threat.title}",
                    threats=(threat.id,),
                    service=service,
                    reason=reason,
                )
            )
        else:
            made.append(
                frame.risk_acceptance(
                    ids.new(ACCEPTANCE_PREFIX, key),
                    f"Accepted{where}: {threat.title}",
                    settings,
                    threats=(threat.id,),
                    service=service,
                    body=(reason,),
                )
            )
    return made


def _mitigations(
    declared: _Declared,
    placed: _Placed,
    kept: set[str],
    settings: ImportSettings,
    problems: list[str],
) -> list[ImportedItem]:
    """The mitigations, with the links of the ``kept`` threats' instances; a
    link to a mitigation not in the file is reported and skipped."""
    # mitigation links: (threat, service, state, path) per mitigation
    links: dict[str, list[tuple[str, str | None, str, str]]] = defaultdict(list)
    for tid, places in placed.instances.items():
        if declared.threat_ids[tid] not in kept:  # unreadable, noted already
            continue
        for instance in places:
            for mpath, mid, state in instance.mitigations:
                if mid not in declared.mitigation_ids:
                    problems.append(
                        f"{mpath}: threat {tid!r} names mitigation {mid!r}, which is not in the "
                        "file; the link is skipped"
                    )
                    continue
                service = declared.service_ids[instance.component] if instance.component else None
                links[mid].append((declared.threat_ids[tid], service, state, mpath))
    made = []
    for path, mitigation, mid in declared.mitigations:
        try:
            made.append(
                _mitigation(
                    path, mitigation, declared.mitigation_ids[mid], links[mid], settings, problems
                )
            )
        except SourceError as error:  # this mitigation only
            problems.append(src.skipped(error, "mitigation"))
    return made


def _mitigation(
    path: str,
    mitigation: dict[str, Any],
    mitigation_id: str,
    links: list[tuple[str, str | None, str, str]],
    settings: ImportSettings,
    problems: list[str],
) -> ImportedItem:
    """A mitigation with its links; one linked to no threat (or only by links
    that are not controls) is an unlinked control."""
    name = " ".join(src.text(mitigation, "name", path, required=True).split())
    reduction = src.number(mitigation, "riskReduction", path)
    if reduction is not None and not 0 <= reduction <= 100:
        raise SourceError(f"{path}.riskReduction", f"expected 0 to 100, found {reduction:g}")
    statuses: list[str] = []
    threats: list[str] = []
    services: list[str] = []
    rows: list[tuple[str, str]] = []
    for threat_id, service, state, lpath in links:
        key = _state(state) if state else ""
        status = (
            MITIGATION_STATE.get(key, DEFAULT_MITIGATION_STATUS)
            if key
            else DEFAULT_MITIGATION_STATUS
        )
        if key and key not in MITIGATION_STATE:
            problems.append(
                f"{lpath}.state: mitigation state {state!r} is not known; imported as planned"
            )
        if status is None:
            problems.append(
                f"{lpath}: mitigation {mitigation_id} is {state!r} for {threat_id}; that link "
                "is not a control and is not declared"
            )
            rows.append((f"{state} for", f"{threat_id}" + (f" on {service}" if service else "")))
            continue
        statuses.append(status)
        threats.append(threat_id)
        if service:
            services.append(service)
        rows.append(
            (f"state for {threat_id}" + (f" on {service}" if service else ""), state or "(none)")
        )
    if not threats:
        problems.append(
            f"{path}: mitigation {mitigation_id} ({name!r}) mitigates no threat; it is declared "
            "as an unlinked control"
        )
    # a mitigation shared by several threats takes the least advanced status;
    # one with no state at all, OTM's default (planned, --due, tagged 'imported')
    status = min(statuses, key=MITIGATION_STATUSES.index, default=DEFAULT_MITIGATION_STATUS)
    services = list(dict.fromkeys(services))
    rows.insert(0, ("risk reduction", "" if reduction is None else f"{reduction:g} of 100"))
    rows += _attributes(mitigation, path)
    return frame.mitigation(
        mitigation_id,
        name,
        settings,
        mitigates=tuple(dict.fromkeys(threats)),
        status=status,
        effect="partial" if reduction is not None and reduction < 100 else None,
        service=services[0] if len(services) == 1 else None,
        applies_to=tuple(services) if len(services) > 1 else (),
        body=(*text_block(src.text(mitigation, "description", path)), *fields_block(rows)),
    )


def _prose(
    root: dict[str, Any],
    project: dict[str, Any],
    zones: dict[str, tuple[str, dict[str, Any]]],
    assets: dict[str, tuple[str, dict[str, Any]]],
    flow_rows: list[tuple[str, str]],
) -> list[Section]:
    about: list[Block] = [*text_block(src.text(project, "description", "$.project"))]
    about += fields_block(
        [
            ("project id", src.scalar(project, "id", "$.project")),
            ("owner", src.text(project, "owner", "$.project")),
            ("owner contact", src.text(project, "ownerContact", "$.project")),
            ("tags", ", ".join(src.strings(project, "tags", "$.project"))),
            ("OTM version", src.scalar(root, "otmVersion", "$")),
            *_attributes(project, "$.project"),
        ]
    )
    sections = [Section("About this model", tuple(about))]
    reps = []
    for path, rep in src.objects(root, "representations", "$"):
        name = src.text(rep, "name", path) or src.scalar(rep, "id", path)
        parts = [src.text(rep, "type", path), src.text(rep, "description", path)]
        repo = src.obj(rep, "repository", path)
        if src.text(repo, "url", f"{path}.repository"):
            parts.append(src.text(repo, "url", f"{path}.repository"))
        reps.append((name, "; ".join(p for p in parts if p)))
    if reps:
        sections.append(Section("Representations", tuple(fields_block(reps))))
    zone_rows = []
    for zid, (path, zone) in zones.items():
        rating = src.number(src.obj(zone, "risk", path), "trustRating", f"{path}.risk")
        _, parent = _parent(zone, path)
        parts = [
            f"id {zid}",
            src.text(zone, "type", path),
            "" if rating is None else f"trust rating {rating:g}",
            f"inside {parent}" if parent else "",
            src.text(zone, "description", path),
            *(f"{k}: {v}" for k, v in _attributes(zone, path)),
        ]
        zone_rows.append((src.text(zone, "name", path) or zid, "; ".join(p for p in parts if p)))
    if zone_rows:
        sections.append(Section("Trust zones", tuple(fields_block(zone_rows))))
    asset_rows = []
    for aid, (path, asset) in assets.items():
        risk = src.obj(asset, "risk", path)
        cia = ", ".join(f"{k} {_plain(v)}" for k, v in risk.items())
        parts = [f"id {aid}", src.text(asset, "description", path), cia]
        parts += [f"{k}: {v}" for k, v in _attributes(asset, path)]
        asset_rows.append((src.text(asset, "name", path) or aid, "; ".join(p for p in parts if p)))
    if asset_rows:
        sections.append(Section("Assets", tuple(fields_block(asset_rows))))
    if flow_rows:
        sections.append(Section("Data flows", tuple(fields_block(flow_rows))))
    return sections


# --- the diagram's elements ---------------------------------------------------------


def _elements(declared: _Declared, ids: IdAllocator) -> list[ImportedItem]:
    """The data flows between components (and trust zones), and a trust
    boundary per trust zone: the diagram the file draws.  A zone that a flow
    starts or ends at stands for the parties in it: an external entity inside
    its boundary.  (A flow naming something not in the file is reported by
    :func:`_placed` and not drawn.)"""
    zones, service_ids = declared.zones, declared.service_ids
    ends = {
        src.scalar(flow, key, path)
        for path, flow in declared.flows
        for key in ("source", "destination")
    }
    entity_ids = {zid: ids.new(ENTITY_PREFIX, zid) for zid in zones if zid in ends}
    zone_ids = {zid: ids.new(ZONE_PREFIX, zid) for zid in zones}
    node_ids = service_ids | entity_ids
    items = [
        ImportedItem(
            "external-entity",
            eid,
            f"Parties in {src.text(zones[zid][1], 'name', zones[zid][0]) or zid}",
            options({"description": f"whoever is in the trust zone {zid!r}"}),
        )
        for zid, eid in entity_ids.items()
    ]
    for path, flow in declared.flows:
        source = src.scalar(flow, "source", path)
        target = src.scalar(flow, "destination", path)
        if source not in node_ids or target not in node_ids:
            continue
        fid = src.scalar(flow, "id", path, required=True)
        carried = [_asset_name(a, declared.assets) for a in src.strings(flow, "assets", path)]
        rows = [*_attributes(flow, path), ("tags", ", ".join(src.strings(flow, "tags", path)))]
        both = "true" if src.flag(flow, "bidirectional", path) else None
        items.append(
            ImportedItem(
                "data-flow",
                ids.new(FLOW_PREFIX, fid),
                src.text(flow, "name", path) or fid,
                options(
                    {
                        "from": node_ids[source],
                        "to": node_ids[target],
                        "data": ", ".join(carried),
                        "bidirectional": both,
                    }
                ),
                (*text_block(src.text(flow, "description", path)), *fields_block(rows)),
            )
        )
    items += _boundaries(declared, zone_ids, entity_ids)
    return items


def _boundaries(
    declared: _Declared, zone_ids: dict[str, str], entity_ids: dict[str, str]
) -> list[ImportedItem]:
    """A trust boundary per trust zone, containing its components (a component
    inside another is in the other's zone), its parties, and the zones whose
    parent it is."""
    parents = {cid: _parent(comp, path) for path, comp, cid in declared.components}

    def zone_of(cid: str) -> str | None:
        seen: set[str] = set()
        while cid not in seen:
            seen.add(cid)
            kind, parent = parents.get(cid, ("", ""))
            if kind != "component":
                return parent if kind == "trustZone" else None
            cid = parent
        return None

    contains: dict[str, list[str]] = {zid: [] for zid in zone_ids}
    for _path, _comp, cid in declared.components:
        where = zone_of(cid)
        if where in contains:
            contains[where].append(declared.service_ids[cid])
    for zid, eid in entity_ids.items():
        contains[zid].append(eid)
    for zid, (path, zone) in declared.zones.items():
        kind, parent = _parent(zone, path)
        if kind == "trustZone" and parent in contains and parent != zid:
            contains[parent].append(zone_ids[zid])
    out = []
    for zid, (path, zone) in declared.zones.items():
        rating = src.number(src.obj(zone, "risk", path), "trustRating", f"{path}.risk")
        rows = [("trust rating", "" if rating is None else f"{rating:g}")]
        out.append(
            ImportedItem(
                "trust-boundary",
                zone_ids[zid],
                src.text(zone, "name", path) or zid,
                options({"contains": tuple(contains[zid])}),
                (*text_block(src.text(zone, "description", path)), *fields_block(rows)),
            )
        )
    return out
