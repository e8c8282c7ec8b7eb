"""A built model (``threats.json``) back as a Threat Composer workspace.

The output follows Threat Composer's v1 schema (``.tc.json``): threats,
mitigations with their statuses, risk acceptances as "Resolved — will not
action" mitigations, assumptions, and the links between them.  Items that
came from Threat Composer get their ``numericId`` back from their ID
(``TC-T-39`` → 39); others are numbered after the highest one.  UUIDs are
derived from our IDs, so exporting twice gives the same file.

``threats.json`` carries titles and options but not bodies: a threat's
statement is rebuilt from its grammar parts (the title's action and impact,
its actor, its ``goal:``/``asset:``/``prerequisites:`` tags) as Threat
Composer's editor writes it, or taken from its ``statement:`` tag (one the
grammar would not make); comments, which lived in the body, do not come back.

Pure: no Sphinx, no docutils.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from ..importers import threat_composer as tc
from ..threatsfile.read import ThreatsFile

#: The version of Threat Composer's workspace schema written (not ours).
WORKSPACE_SCHEMA = 1

#: Namespace of the UUIDs derived from our IDs.
NAMESPACE = uuid.UUID("3c0f2b9e-5d0a-4f7e-9a51-7c1e2d4b6a80")

#: ``:status:`` → Threat Composer mitigation status.
MITIGATION_STATUS = {
    "planned": "mitigationIdentified",
    "in-progress": "mitigationInProgress",
    "implemented": "mitigationResolved",
    "verified": "mitigationResolved",
}
#: A risk acceptance's status (a mitigation Threat Composer will not action).
ACCEPTANCE_STATUS = "mitigationResolvedWillNotAction"

#: ``:severity:`` → ``Priority`` (Threat Composer has three levels).
PRIORITY = {"critical": "High", "high": "High", "medium": "Medium", "low": "Low", "info": "Low"}

#: ``:category:`` → ``STRIDE`` letter (other categories go to ``custom:category``).
STRIDE = {category: letter for letter, category in tc.STRIDE.items()}

#: Limits of the v1 schema.
TAG_MAX, CONTENT_MAX, COMMENT_MAX, GRAMMAR_MAX, NAME_MAX = 30, 1000, 1000, 200, 200

_LEADS_TO = ", which leads to "


#: The kinds of item a workspace holds something of, by ``"items"`` key.
KINDS = ("threat-actors", "services", "threats", "mitigations", "risk-acceptances", "assumptions")


def export(data: ThreatsFile) -> dict[str, Any]:
    """The Threat Composer workspace of one ``threats.json``.

    Every entry is its own item, duplicate IDs too (each with its own UUID and
    number, so Threat Composer keeps both); a link names an ID's first
    declaration, as the build's analysis does, so it is written once.
    """
    # another project's items (external or a member's) under the IDs this
    # file's references name them by, so that links find them
    kinds = {key: [{**e.values, "id": data.key_of(e)} for e in data.entries(key)] for key in KINDS}
    actors = {e["id"]: str(e.get("title", "")) for e in kinds["threat-actors"]}
    threat_numbers = _numbers(kinds["threats"], tc.THREAT_PREFIX)
    # acceptances and mitigations share Threat Composer's mitigation numbers
    mitigation_numbers = _numbers(
        [*kinds["mitigations"], *kinds["risk-acceptances"]], tc.MITIGATION_PREFIX
    )
    assumption_numbers = _numbers(kinds["assumptions"], tc.ASSUMPTION_PREFIX)
    uuids = {key: _uuids(key, entries) for key, entries in kinds.items()}

    threats = [
        _threat(e, number, ident, actors)
        for e, number, ident in zip(kinds["threats"], threat_numbers, uuids["threats"], strict=True)
    ]
    mitigations = [
        _mitigation(e, number, ident, accepted=key == "risk-acceptances")
        for key, e, number, ident in zip(
            ["mitigations"] * len(kinds["mitigations"])
            + ["risk-acceptances"] * len(kinds["risk-acceptances"]),
            [*kinds["mitigations"], *kinds["risk-acceptances"]],
            mitigation_numbers,
            [*uuids["mitigations"], *uuids["risk-acceptances"]],
            strict=True,
        )
    ]
    assumptions = [
        _assumption(e, number, ident)
        for e, number, ident in zip(
            kinds["assumptions"], assumption_numbers, uuids["assumptions"], strict=True
        )
    ]
    services = [f"- {e.get('title', e['id'])} ({e['id']})" for e in kinds["services"]]
    description = "Exported from sphinx-threats."
    if services:
        description += "\n\n### Services\n\n" + "\n".join(services)
    dataflow = _dataflow(data)
    return {
        "schema": WORKSPACE_SCHEMA,
        "applicationInfo": {
            "name": _cut(data.project or "Threat model", NAME_MAX),
            "description": description,
        },
        "threats": sorted(threats, key=lambda t: t["numericId"]),
        "mitigations": sorted(mitigations, key=lambda m: m["numericId"]),
        "assumptions": sorted(assumptions, key=lambda a: a["numericId"]),
        "mitigationLinks": _mitigation_links(kinds, uuids),
        "assumptionLinks": _assumption_links(kinds, uuids),
        **({"dataflow": {"description": dataflow}} if dataflow else {}),
    }


def _uuids(key: str, entries: list[dict[str, Any]]) -> list[str]:
    """A UUID per entry, derived from its kind and ID (the second declaration
    of an ID from ``ID#2``, and so on), so that exporting twice gives the
    same file."""
    uuids = []
    seen: dict[str, int] = {}
    for entry in entries:
        count = seen[entry["id"]] = seen.get(entry["id"], 0) + 1
        name = entry["id"] if count == 1 else f"{entry['id']}#{count}"
        uuids.append(str(uuid.uuid5(NAMESPACE, f"{key}:{name}")))
    return uuids


def _first(
    kinds: dict[str, list[dict[str, Any]]], uuids: dict[str, list[str]], *keys: str
) -> dict[str, str]:
    """The UUID of each ID's first declaration among ``keys`` (what a link to
    the ID names)."""
    first: dict[str, str] = {}
    for key in keys:
        for entry, ident in zip(kinds[key], uuids[key], strict=True):
            first.setdefault(entry["id"], ident)
    return first


def _mitigation_links(
    kinds: dict[str, list[dict[str, Any]]], uuids: dict[str, list[str]]
) -> list[dict[str, str]]:
    """A link from each mitigation and acceptance to each threat it names."""
    threats = _first(kinds, uuids, "threats")
    links = []
    for key, option in (("mitigations", "mitigates"), ("risk-acceptances", "threats")):
        for entry, ident in zip(kinds[key], uuids[key], strict=True):
            # an ID named twice in one option is one link
            for threat in dict.fromkeys(_ids(entry.get(option))):
                if threat in threats:
                    links.append({"mitigationId": ident, "linkedId": threats[threat]})
    return links


def _assumption_links(
    kinds: dict[str, list[dict[str, Any]]], uuids: dict[str, list[str]]
) -> list[dict[str, str]]:
    """A link from each assumption to each threat and mitigation it names."""
    threats = _first(kinds, uuids, "threats")
    mitigations = _first(kinds, uuids, "mitigations", "risk-acceptances")
    links = []
    for entry, ident in zip(kinds["assumptions"], uuids["assumptions"], strict=True):
        for link_type, option, known in (
            ("Threat", "threats", threats),
            ("Mitigation", "mitigations", mitigations),
        ):
            for ref in dict.fromkeys(_ids(entry.get(option))):
                if ref in known:
                    links.append({"type": link_type, "assumptionId": ident, "linkedId": known[ref]})
    return links


def to_json(workspace: dict[str, Any]) -> str:
    """The workspace as the text of a ``.tc.json`` file."""
    return json.dumps(workspace, indent=2, ensure_ascii=False) + "\n"


def _ids(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _numbers(entries: list[dict[str, Any]], prefix: str) -> list[int]:
    """``numericId`` of each entry, in order: from ``PREFIX-<n>`` IDs (the
    first declaration of a number), else after the highest."""
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)\Z")
    numbers: dict[int, int] = {}
    used: set[int] = set()
    for n, entry in enumerate(entries):
        match = pattern.match(entry["id"])
        if match and int(match.group(1)) not in used:
            numbers[n] = int(match.group(1))
            used.add(numbers[n])
    following = max(used, default=0) + 1
    for n in sorted(range(len(entries)), key=lambda n: str(entries[n]["id"])):
        if n not in numbers:
            numbers[n] = following
            following += 1
    return [numbers[n] for n in range(len(entries))]


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _tags(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """Tags that fit Threat Composer's limit, and the longer ones."""
    fit: list[str] = []
    long: list[str] = []
    for tag in values:
        (fit if 0 < len(tag) <= TAG_MAX else long).append(tag)
    return fit, long


def _custom(rows: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for key, value in rows:
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            out.append({"key": f"custom:{key}", "value": [str(v) for v in value]})
        else:
            out.append({"key": f"custom:{key}", "value": str(value)})
    return out


def _lower_first(text: str) -> str:
    # "LLM ..." keeps its capitals; "Harvest ..." was capitalised on import
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


_GRAMMAR_TAGS = (tc.GOAL_TAG, tc.ASSET_TAG, tc.PREREQUISITES_TAG, tc.STATEMENT_TAG)


def _tagged(tags: list[str], prefix: str) -> list[str]:
    return [t.removeprefix(prefix) for t in tags if t.startswith(prefix)]


def _threat(
    entry: dict[str, Any], number: int, ident: str, actors: dict[str, str]
) -> dict[str, Any]:
    title = " ".join(str(entry.get("title", "")).split())
    tags = [str(t) for t in entry.get("tags") or []]
    goals, assets = _tagged(tags, tc.GOAL_TAG), _tagged(tags, tc.ASSET_TAG)
    prerequisites = " ".join(_tagged(tags, tc.PREREQUISITES_TAG))
    plain = [
        t
        for t in tags
        if not t.startswith(_GRAMMAR_TAGS) and t not in (tc.RESOLVED_TAG, tc.NO_ACTION_TAG)
    ]
    source = next((actors[a] for a in _ids(entry.get("actors")) if a in actors), "")
    if tc.NO_ACTION_TAG in tags:  # imported without an action: the title is the impact
        action = ""
        starts = title.startswith(tc.NO_ACTION_TITLE)
        impact = title.removeprefix(tc.NO_ACTION_TITLE) if starts else ""
    else:
        action, _, impact = title.partition(_LEADS_TO)
        if source or impact:
            # a title the import wrote from the grammar: "Action, which leads to impact"
            action = _lower_first(action)
    said = _tagged(tags, tc.STATEMENT_TAG)
    statement = (
        said[0]
        if said
        else tc.grammar_statement(source, prerequisites, action, impact, goals, assets)
    )
    metadata: list[dict[str, Any]] = []
    severity = entry.get("severity")
    if severity in PRIORITY:
        metadata.append({"key": "Priority", "value": PRIORITY[severity]})
    categories = [str(c) for c in entry.get("category") or []]
    letters = [STRIDE[c] for c in categories if c in STRIDE]
    if letters:
        metadata.append({"key": "STRIDE", "value": letters})
    fit, long = _tags(plain)
    metadata += _custom(
        [
            ("sphinx-threats id", entry["id"]),
            (
                "severity",
                severity if severity not in (None, PRIORITY.get(str(severity), "").lower()) else "",
            ),
            ("category", [c for c in categories if c not in STRIDE]),
            ("service", entry.get("service") or ""),
            ("applies-to", _ids(entry.get("applies-to"))),
            ("likelihood", entry.get("likelihood") or ""),
            ("impact", entry.get("impact") or ""),
            ("cwe", entry.get("cwe") or []),
            ("capec", entry.get("capec") or []),
            ("tags", long),
        ]
    )
    status = entry.get("status")
    if status == "not-applicable":
        tc_status = "threatResolvedNotUseful"
    elif status == "mitigated" or tc.RESOLVED_TAG in tags:
        tc_status = "threatResolved"
    else:
        tc_status = "threatIdentified"
    out: dict[str, Any] = {
        "id": ident,
        "numericId": number,
        "displayOrder": number,
        "metadata": metadata,
        "tags": fit,
        "threatSource": _cut(source, GRAMMAR_MAX),
        "prerequisites": _cut(prerequisites, GRAMMAR_MAX),
        "threatAction": _cut(action, GRAMMAR_MAX),
        "threatImpact": _cut(impact, GRAMMAR_MAX),
        "impactedGoal": [_cut(g, GRAMMAR_MAX) for g in goals],
        "impactedAssets": [_cut(a, GRAMMAR_MAX) for a in assets],
        "statement": _cut(statement, 1400),
        "status": tc_status,
    }
    return out


def _mitigation(
    entry: dict[str, Any], number: int, ident: str, *, accepted: bool
) -> dict[str, Any]:
    tags = [str(t) for t in entry.get("tags") or []]
    fit, long = _tags(tags)
    if accepted:
        status = ACCEPTANCE_STATUS
        rows = [
            ("sphinx-threats id", entry["id"]),
            ("risk-acceptance owner", entry.get("owner") or ""),
            ("expires", entry.get("expires") or ""),
            ("approved-by", entry.get("approved-by") or ""),
            ("service", entry.get("service") or ""),
        ]
    elif tc.WILL_NOT_ACTION_TAG in tags:  # an unlinked control Threat Composer will not do
        status = ACCEPTANCE_STATUS
        fit = [t for t in fit if t != tc.WILL_NOT_ACTION_TAG]
        rows = [("sphinx-threats id", entry["id"]), ("service", entry.get("service") or "")]
    else:
        status = MITIGATION_STATUS.get(str(entry.get("status")), "mitigationIdentified")
        rows = [
            ("sphinx-threats id", entry["id"]),
            ("status", entry.get("status") if entry.get("status") == "verified" else ""),
            ("due", entry.get("due") or ""),
            ("effect", entry.get("effect") if entry.get("effect") not in (None, "full") else ""),
            ("service", entry.get("service") or ""),
            ("applies-to", _ids(entry.get("applies-to"))),
            ("owner", entry.get("owner") or ""),
            ("verified-by", entry.get("verified-by") or ""),
        ]
    return {
        "id": ident,
        "numericId": number,
        "displayOrder": number,
        "metadata": _custom([*rows, ("tags", long)]),
        "tags": fit,
        "content": _cut(str(entry.get("title", "")), CONTENT_MAX),
        "status": status,
    }


def _assumption(entry: dict[str, Any], number: int, ident: str) -> dict[str, Any]:
    fit, long = _tags(str(t) for t in entry.get("tags") or [])
    return {
        "id": ident,
        "numericId": number,
        "displayOrder": number,
        "metadata": _custom(
            [
                ("sphinx-threats id", entry["id"]),
                ("owner", entry.get("owner") or ""),
                ("review-by", entry.get("review-by") or ""),
                ("tags", long),
            ]
        ),
        "tags": fit,
        "content": _cut(str(entry.get("title", "")), CONTENT_MAX),
    }


#: ``dataflow.description``'s most characters (Threat Composer's v1 schema).
DATAFLOW_MAX = 100_000

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def _md(value: Any) -> str:
    """Model text as Markdown text: one line, every markup character escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


def _named(entry: dict[str, Any]) -> str:
    return f"**{_md(entry.get('title') or entry['id'])}** ({_md(entry['id'])})"


def _dataflow(data: ThreatsFile) -> str:
    """The data-flow description Threat Composer can hold: the elements as
    Markdown lists (its ``dataflow`` has text and an image, no diagram)."""
    titles = {
        e.values["id"]: _named(dict(e.values))
        for key in ("services", "data-stores", "external-entities", "trust-boundaries")
        for e in data.entries(key)
    }

    def name(ident: Any) -> str:
        return titles.get(ident, _md(ident))

    sections: list[tuple[str, list[str]]] = []
    flows = []
    for entry in (dict(e.values) for e in data.entries("data-flows")):
        arrow = "↔" if entry.get("bidirectional") else "→"
        parts = [f"{name(entry.get('from'))} {arrow} {name(entry.get('to'))}"]
        parts += [
            f"{label}: {_md(entry[key])}"
            for key, label in (("data", "data"), ("protocol", "protocol"))
            if entry.get(key)
        ]
        if entry.get("crosses"):
            parts.append("crosses " + ", ".join(name(b) for b in entry["crosses"]))
        flows.append(f"- {_named(entry)}: " + "; ".join(parts))
    sections.append(("Data flows", flows))
    sections.append(
        (
            "Trust boundaries",
            [
                f"- {_named(e)}"
                + (
                    ": contains " + ", ".join(name(c) for c in e["contains"])
                    if e.get("contains")
                    else ""
                )
                for e in (dict(x.values) for x in data.entries("trust-boundaries"))
            ],
        )
    )
    sections.append(
        (
            "Data stores",
            [
                f"- {_named(e)}"
                + (f" of {name(e['service'])}" if e.get("service") else "")
                + (f": {_md(e['data'])}" if e.get("data") else "")
                for e in (dict(x.values) for x in data.entries("data-stores"))
            ],
        )
    )
    sections.append(
        (
            "External entities",
            [
                f"- {_named(e)}" + (f": {_md(e['description'])}" if e.get("description") else "")
                for e in (dict(x.values) for x in data.entries("external-entities"))
            ],
        )
    )
    text = "\n\n".join(f"### {title}\n\n" + "\n".join(lines) for title, lines in sections if lines)
    # cut at a line, so that no escape or list item is left half written
    while len(text) > DATAFLOW_MAX:
        text = text.rpartition("\n")[0]
    return text
