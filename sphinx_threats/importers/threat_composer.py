"""Threat Composer (``.tc.json``, schema 1) into the neutral model.

Threats keep their statement grammar: the source becomes a deduplicated
``threat-actor``, the action and impact the title, impacted goals and assets
tags, and the full statement (with its prerequisites) the body.  Mitigations
keep their status; "Resolved — will not action" becomes a risk acceptance of
the threats it was linked to.  Assumptions keep their links.  IDs come from
``numericId`` (``TC-T-39``), so a re-import gives the same IDs.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from ..model import STRIDE_CATEGORIES, Kind
from . import frame
from . import reading as src
from .mapping import (
    MappingRow,
    capitalised,
    fields_block,
    rows_from,
    short_title,
    text_block,
)
from .model import (
    Block,
    IdAllocator,
    Image,
    ImportedItem,
    ImportedModel,
    ImportSettings,
    Link,
    Markdown,
    Section,
    SourceError,
    Text,
    options,
    slug,
    tags,
)

#: ID prefixes; the number after them is the source's ``numericId``.
THREAT_PREFIX, MITIGATION_PREFIX, ASSUMPTION_PREFIX = "TC-T", "TC-M", "TC-AS"
ACTOR_PREFIX, NOT_APPLICABLE_PREFIX = "TC-A", "TC-NA"

#: ``STRIDE`` metadata letters (each category's initial) → ``:category:``.
STRIDE = {name[0]: category for category, name in STRIDE_CATEGORIES.items()}

#: ``Priority`` metadata → ``:severity:``.
PRIORITY = {"High": "high", "Medium": "medium", "Low": "low"}

#: Mitigation ``status`` → ``:status:``; the will-not-action status is a
#: ``risk-acceptance`` instead of a mitigation.
MITIGATION_STATUS: dict[str, str | None] = {
    "mitigationIdentified": "planned",
    "mitigationInProgress": "in-progress",
    "mitigationResolved": "implemented",
    "mitigationResolvedWillNotAction": None,
}
#: Status of a mitigation that has none (Threat Composer's own default).
DEFAULT_MITIGATION_STATUS = "mitigationIdentified"

#: Threat ``status`` → what it becomes: a tag, or a ``not-applicable`` item.
THREAT_STATUS: dict[str, str | None] = {
    "threatIdentified": None,
    "threatResolved": "tag: status: resolved",
    "threatResolvedNotUseful": "not-applicable",
}
RESOLVED_TAG = "status: resolved"

#: Image MIME types → file suffix.
IMAGE_SUFFIX = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}

#: Tag prefixes for the impacted goals and assets of a threat's statement.
GOAL_TAG, ASSET_TAG = "goal: ", "asset: "
#: Tag prefix of a threat's prerequisites (the statement's "with access to ...").
PREREQUISITES_TAG = "prerequisites: "
#: Tag of a threat whose statement names no action (its title is then
#: "Which leads to <impact>"); the export writes the action empty again.
NO_ACTION_TAG = "action: none"
#: Tag prefix of a statement that is not the one Threat Composer's grammar
#: makes of the threat's parts (edited by hand, or a custom template): kept
#: as written, so the export gives it back.
STATEMENT_TAG = "statement: "
#: Title prefix of a threat without an action (after it: the impact).
NO_ACTION_TITLE = "Which leads to "
#: Tag of a mitigation marked "Resolved — will not action" that names no
#: threat (there is nothing to accept): an unlinked control with this tag.
WILL_NOT_ACTION_TAG = "status: will not action"

#: What Threat Composer's statement shows for a missing source or action.
_SOURCE_PLACEHOLDER, _ACTION_PLACEHOLDER = "threat source", "perform a threat action"


def _joined(values: list[str], last: str) -> str:
    """Threat Composer's list: ``a, b and c`` (``and/or`` for goals)."""
    if len(values) < 2:
        return "".join(values)
    return ", ".join(values[:-1]) + f" {last} " + values[-1]


def grammar_statement(
    source: str,
    prerequisites: str,
    action: str,
    impact: str,
    goals: list[str],
    assets: list[str],
) -> str:
    """The statement Threat Composer's grammar makes of a threat's parts.

    "A [source] [prerequisites] can [action], which leads to [impact],
    resulting in reduced [goals] of [assets]" (or "negatively impacting
    [assets]" without goals), as its editor writes it; the import keeps a
    statement that differs (tag :data:`STATEMENT_TAG`) and the export writes
    this one otherwise, so both agree on what "the same statement" is.
    """
    source = source or _SOURCE_PLACEHOLDER
    article = "An" if source[:1].lower() in "aeiou" else "A"  # as its samples have it
    text = f"{article} {source} {prerequisites} can {action or _ACTION_PLACEHOLDER}"
    if impact:
        text += f", which leads to {impact}"
    if goals:
        text += f", resulting in reduced {_joined(goals, 'and/or')}"
        if assets:
            text += f" of {_joined(assets, 'and')}"
    elif assets:
        text += f", negatively impacting {_joined(assets, 'and')}"
    return re.sub(r"\s\s+", " ", text).replace(" ,", ",")


#: The documented mapping (the how-to renders it).
MAPPING_ROWS = (
    MappingRow("applicationInfo.name", "project title, product page heading"),
    MappingRow(
        "applicationInfo / architecture / dataflow description",
        "product page prose (Markdown)",
        "headings renumbered to nest; raw HTML and MyST directives defused",
    ),
    MappingRow(
        "architecture / dataflow image",
        "image file under _images/, shown on the product page",
    ),
    MappingRow("threats[].numericId", f"threat :id: {THREAT_PREFIX}-<numericId>"),
    MappingRow(
        "threats[].threatAction, threatImpact",
        "threat title (action, which leads to impact)",
    ),
    MappingRow(
        "threats[].threatAction empty",
        f"title '{NO_ACTION_TITLE}<impact>', tag '{NO_ACTION_TAG}'",
    ),
    MappingRow(
        "threats[].statement",
        "threat body (the full statement)",
        f"one other than the grammar makes of the parts: also tag '{STATEMENT_TAG}<statement>'",
    ),
    MappingRow(
        "threats[].threatSource",
        f"threat-actor {ACTOR_PREFIX}-<source> (deduplicated), threat :actors:",
    ),
    MappingRow("threats[].impactedGoal", f"threat tag '{GOAL_TAG}<goal>'"),
    MappingRow(
        "threats[].impactedAssets",
        f"threat tag '{ASSET_TAG}<asset>'",
        "a comma in it is kept (written \\, in the tag list)",
    ),
    MappingRow("threats[].prerequisites", f"threat tag '{PREREQUISITES_TAG}<prerequisites>'"),
    *rows_from("STRIDE", STRIDE, ":category:"),
    *rows_from("Priority", PRIORITY, ":severity:"),
    MappingRow("(no Priority)", "(no :severity:: the threat is unrated)", "an unrated gap"),
    MappingRow("threats[].status = threatIdentified", "(nothing; the status is computed)"),
    MappingRow("threats[].status = threatResolved", f"threat tag '{RESOLVED_TAG}'"),
    MappingRow(
        "threats[].status = threatResolvedNotUseful",
        f"not-applicable {NOT_APPLICABLE_PREFIX}-<numericId>",
    ),
    MappingRow("tags", ":tags:"),
    MappingRow(
        "metadata custom:*, threat/mitigation pack ids, customTemplate",
        "body text (a list of fields)",
    ),
    MappingRow(
        "metadata Comments",
        "body text (Markdown, defused as the descriptions are)",
    ),
    MappingRow("displayOrder", "order of the items on their page"),
    MappingRow("id (UUID)", "(replaced by the numericId IDs; links are resolved on import)"),
    MappingRow("mitigations[].numericId", f"mitigation :id: {MITIGATION_PREFIX}-<numericId>"),
    MappingRow(
        "mitigations[].content", "mitigation title (the body too when it has several lines)"
    ),
    *rows_from(
        "mitigations[].status",
        {k: v for k, v in MITIGATION_STATUS.items() if v},
        ":status:",
        "planned and in-progress get --due, tagged 'imported'",
    ),
    MappingRow(
        "mitigations[].status = mitigationResolvedWillNotAction",
        f"risk-acceptance {MITIGATION_PREFIX}-<numericId> of the linked threats",
        "--expires and an owner filled in, tagged 'imported'",
    ),
    MappingRow("mitigationLinks (to a threat)", "mitigation :mitigates:"),
    MappingRow(
        "a mitigation linked to no threat",
        "mitigation without :mitigates: (an unlinked control), every field kept",
        "an orphan-mitigation gap",
    ),
    MappingRow(
        "... marked mitigationResolvedWillNotAction",
        f"unlinked control, :status: planned, tags '{WILL_NOT_ACTION_TAG}', 'imported'",
        "no threat, so no risk to accept",
    ),
    MappingRow("mitigationLinks (to an assumption)", "assumption :mitigations:"),
    MappingRow("assumptions[].numericId", f"assumption :id: {ASSUMPTION_PREFIX}-<numericId>"),
    MappingRow("assumptions[].content", "assumption title and body"),
    MappingRow("assumptionLinks type Threat / Mitigation", "assumption :threats: / :mitigations:"),
    MappingRow("brainstorm", "product page section 'Brainstorm' (a list of fields)"),
    MappingRow(
        "a link to an item that is not there",
        "reported with the source's IDs and skipped",
    ),
)


class ThreatComposer:
    """Threat Composer's workspace exports (``.tc.json``, schema 1)."""

    name = "threat-composer"
    label = "Threat Composer"
    reads_yaml = False

    def parse(self, data: Any, settings: ImportSettings) -> ImportedModel:
        """The neutral model of one Threat Composer workspace export."""
        root = src.mapping(data, "$")
        schema = src.number(root, "schema", "$")
        if schema is not None and schema != 1:
            raise SourceError("$.schema", f"schema {schema:g} is not supported (only schema 1)")
        problems: list[str] = []
        ids = IdAllocator()
        threats = _records(root, "threats", THREAT_PREFIX, ids, problems)
        mitigations = _records(root, "mitigations", MITIGATION_PREFIX, ids, problems)
        assumptions = _records(root, "assumptions", ASSUMPTION_PREFIX, ids, problems)
        actors: dict[str, ImportedItem] = {}
        threat_items: list[ImportedItem] = []
        not_applicable: list[ImportedItem] = []
        for record in list(threats):
            try:
                threat, actor, exclusion = _threat(record, ids, actors)
            except SourceError as error:  # this threat only; links to it are skipped
                problems.append(src.skipped(error, "threat"))
                threats.remove(record)
                continue
            threat_items.append(threat)
            if actor is not None:
                actors[actor.id] = actor
            if exclusion is not None:
                not_applicable.append(exclusion)
        links = _links(root, threats, mitigations, assumptions, problems)
        mitigation_items, acceptances = _mitigations(mitigations, links, settings, problems)
        # an assumption under a will-not-action "mitigation" underpins its acceptance
        accepted = {item.id for item in acceptances}
        declared = {i.id for i in [*threat_items, *mitigation_items, *acceptances]}
        assumption_items = []
        for record in assumptions:
            try:
                assumption_items.append(_assumption(record, links, accepted, declared))
            except SourceError as error:  # this assumption only
                problems.append(src.skipped(error, "assumption"))

        sections, files = _prose(root)
        info = src.obj(root, "applicationInfo", "$")
        title = " ".join(src.text(info, "name", "$.applicationInfo").split())
        return ImportedModel(
            source_format=self.label,
            title=title or "Imported threat model",
            items=(
                *actors.values(),
                *threat_items,
                *mitigation_items,
                *acceptances,
                *not_applicable,
                *assumption_items,
            ),
            sections=tuple(sections),
            files=tuple(files),
            problems=tuple(problems),
        )

    def mapping_rows(self) -> list[MappingRow]:
        """The documented mapping (the how-to renders it)."""
        return list(MAPPING_ROWS)


@dataclass
class _Record:
    """One threat, mitigation or assumption as read, before links are known."""

    path: str
    uuid: str
    number: str
    order: tuple[float, float]
    data: dict[str, Any]
    id: str = ""


@dataclass
class _Links:
    """The links of the file that name items in it (by their UUIDs)."""

    #: Every threat, mitigation and assumption.
    by_uuid: dict[str, _Record]
    #: Per mitigation: the threats it mitigates.
    mitigates: dict[str, list[str]]
    #: Per assumption: ``(kind, UUID)`` of the threats and mitigations it concerns.
    assumed: dict[str, list[tuple[str, str]]]


def _links(
    root: dict[str, Any],
    threats: list[_Record],
    mitigations: list[_Record],
    assumptions: list[_Record],
    problems: list[str],
) -> _Links:
    """The mitigation and assumption links; one naming an item not in the file is
    reported and skipped."""
    kinds = {
        **{r.uuid: "threat" for r in threats},
        **{r.uuid: "mitigation" for r in mitigations},
        **{r.uuid: "assumption" for r in assumptions},
    }
    links = _Links(
        by_uuid={r.uuid: r for r in [*threats, *mitigations, *assumptions]},
        mitigates={r.uuid: [] for r in mitigations},
        assumed={r.uuid: [] for r in assumptions},
    )
    for path, link in src.entries(root, "mitigationLinks", "$", problems, "link"):
        try:
            _mitigation_link(path, link, kinds, links, problems)
        except SourceError as error:  # this link only
            problems.append(src.skipped(error, "link"))
    for path, link in src.entries(root, "assumptionLinks", "$", problems, "link"):
        try:
            _assumption_link(path, link, kinds, links, problems)
        except SourceError as error:  # this link only
            problems.append(src.skipped(error, "link"))
    return links


def _mitigation_link(
    path: str, link: dict[str, Any], kinds: dict[str, str], links: _Links, problems: list[str]
) -> None:
    """A mitigation names a threat (or an assumption)."""
    mitigation = src.text(link, "mitigationId", path, required=True)
    linked = src.text(link, "linkedId", path, required=True)
    target_kind = kinds.get(linked)
    if mitigation not in links.mitigates or target_kind not in ("threat", "assumption"):
        missing = mitigation if mitigation not in links.mitigates else linked
        problems.append(
            f"{path}: mitigation link {mitigation} → {linked} names {missing}, which is "
            "not in the file; the link is skipped"
        )
    elif target_kind == "threat":
        links.mitigates[mitigation].append(linked)
    else:
        links.assumed[linked].append(("mitigation", mitigation))


def _assumption_link(
    path: str, link: dict[str, Any], kinds: dict[str, str], links: _Links, problems: list[str]
) -> None:
    """An assumption names a threat or a mitigation."""
    assumption = src.text(link, "assumptionId", path, required=True)
    linked = src.text(link, "linkedId", path, required=True)
    link_type = src.text(link, "type", path, required=True)
    expected = {"Threat": "threat", "Mitigation": "mitigation"}.get(link_type)
    if expected is None:
        raise SourceError(f"{path}.type", f"expected 'Threat' or 'Mitigation', not {link_type!r}")
    if assumption not in links.assumed or kinds.get(linked) != expected:
        missing = assumption if assumption not in links.assumed else linked
        problems.append(
            f"{path}: assumption link {assumption} → {link_type.lower()} {linked} names "
            f"{missing}, which is not in the file; the link is skipped"
        )
    else:
        links.assumed[assumption].append((expected, linked))


def _mitigations(
    mitigations: list[_Record], links: _Links, settings: ImportSettings, problems: list[str]
) -> tuple[list[ImportedItem], list[ImportedItem]]:
    """The mitigations, and the risk acceptances of the will-not-action ones; one
    that mitigates no threat in the file is an unlinked control (noted)."""
    mitigation_items: list[ImportedItem] = []
    acceptances: list[ImportedItem] = []
    for record in mitigations:
        threat_ids = sorted(
            dict.fromkeys(links.by_uuid[u].id for u in links.mitigates[record.uuid]),
            key=_numeric_order,
        )
        try:
            item = _mitigation(record, threat_ids, settings)
        except SourceError as error:  # this mitigation only
            problems.append(src.skipped(error, "mitigation"))
            continue
        if not threat_ids:
            problems.append(
                f"{record.path}: mitigation {record.number} ({item.title!r}) mitigates no threat "
                f"in the file; it is declared as an unlinked control ({record.id})"
            )
        if item.kind == Kind.RISK_ACCEPTANCE:
            acceptances.append(item)
        else:
            mitigation_items.append(item)
    return mitigation_items, acceptances


def _numeric_order(ident: str) -> tuple[str, int, str]:
    match = re.match(r"(.*?)-(\d+)$", ident)
    return (match.group(1), int(match.group(2)), ident) if match else (ident, 0, ident)


def _records(
    root: dict[str, Any], key: str, prefix: str, ids: IdAllocator, problems: list[str]
) -> list[_Record]:
    """The entries of ``key``; one without a usable ``id`` or ``numericId`` is
    noted and left out."""
    records = []
    for path, entry in src.entries(root, key, "$", problems, key.removesuffix("s")):
        try:
            uuid = src.text(entry, "id", path, required=True)
            number = src.scalar(entry, "numericId", path, required=True)
            display = src.number(entry, "displayOrder", path)
        except SourceError as error:
            problems.append(src.skipped(error, key.removesuffix("s")))
            continue
        numeric = float(number) if re.fullmatch(r"-?\d+(\.\d+)?", number) else 0.0
        order = (display if display is not None else numeric, numeric)
        records.append(_Record(path, uuid, number, order, entry))
    records.sort(key=lambda r: r.order)
    for record in records:
        record.id = ids.new(prefix, record.number)
    return records


def _metadata(record: _Record) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Known metadata by key, and every other entry as a ``(label, text)`` row."""
    known: dict[str, Any] = {}
    rows: list[tuple[str, str]] = []
    for path, entry in src.objects(record.data, "metadata", record.path):
        key = src.text(entry, "key", path, required=True)
        value = entry.get("value")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise SourceError(f"{path}.value", "expected a string or a list of strings")
        elif not isinstance(value, str):
            raise SourceError(f"{path}.value", "expected a string or a list of strings")
        if key in ("STRIDE", "Priority", "Comments"):
            known[key] = value
        else:
            text = ", ".join(value) if isinstance(value, list) else value
            rows.append((key.removeprefix("custom:"), text))
    return known, rows


def _comments(known: dict[str, Any]) -> list[Block]:
    """The ``Comments`` metadata: Markdown, as Threat Composer's authors write it."""
    comments = str(known.get("Comments", ""))
    return [Markdown(comments, "Comments")] if comments.strip() else []


def _threat(
    record: _Record, ids: IdAllocator, actors: dict[str, ImportedItem]
) -> tuple[ImportedItem, ImportedItem | None, ImportedItem | None]:
    data, path = record.data, record.path
    known, extra = _metadata(record)
    action = src.text(data, "threatAction", path)
    impact = " ".join(src.text(data, "threatImpact", path).split())
    statement = src.text(data, "statement", path)
    threat_source = " ".join(src.text(data, "threatSource", path).split())
    if action.strip():
        title = capitalised(action) + (f", which leads to {impact}" if impact else "")
    else:  # kept whole: the export reads the impact back from it
        title = NO_ACTION_TITLE + impact if impact else f"Threat {record.number}"

    actor = None
    actor_ids: tuple[str, ...] = ()
    if threat_source:
        key = slug(threat_source)
        existing = next((a for a in actors.values() if slug(a.title) == key), None)
        if existing is None:
            actor = ImportedItem("threat-actor", ids.new(ACTOR_PREFIX, key), threat_source)
            existing = actor
        actor_ids = (existing.id,)

    letters = known.get("STRIDE", [])
    if isinstance(letters, str):
        letters = [letters]
    categories = []
    for letter in letters:
        if letter not in STRIDE:
            raise SourceError(f"{path}.metadata", f"unknown STRIDE letter {letter!r}")
        categories.append(STRIDE[letter])
    priority = known.get("Priority")
    severity = None  # no Priority: unrated, as the SPEC says (nothing invented)
    if priority in PRIORITY:
        severity = PRIORITY[priority]
    elif priority is not None:
        raise SourceError(f"{path}.metadata", f"unknown Priority {priority!r} (High, Medium, Low)")
    tag_list = [*src.strings(data, "tags", path), *_grammar_tags(record, threat_source)]
    status = src.text(data, "status", path) or "threatIdentified"
    if status not in THREAT_STATUS:
        raise SourceError(f"{path}.status", f"unknown threat status {status!r}")
    if THREAT_STATUS[status] == "tag: " + RESOLVED_TAG:
        tag_list.append(RESOLVED_TAG)

    body: list[Block] = [*text_block(statement), *_comments(known)]
    body += fields_block([*extra, ("Custom template", src.text(data, "customTemplate", path))])
    threat = ImportedItem(
        Kind.THREAT.value,
        record.id,
        title,
        options(
            {
                "category": tuple(dict.fromkeys(categories)),
                "severity": severity,
                "actors": actor_ids,
                "tags": tags(tag_list),
            }
        ),
        tuple(body),
    )
    exclusion = None
    if THREAT_STATUS[status] == "not-applicable":
        exclusion = frame.not_applicable(
            ids.new(NOT_APPLICABLE_PREFIX, record.number),
            f"Not useful: {short_title(title, 80)[0]}",
            threats=(record.id,),
            reason=Text("Marked 'Resolved — not useful' in Threat Composer."),
        )
    return threat, actor, exclusion


def _grammar_tags(record: _Record, threat_source: str) -> list[str]:
    """Tags of the statement's parts the title and actor do not hold: goals,
    assets, prerequisites, a missing action, a statement the grammar would not
    make (so that the export writes the same statement and fields)."""
    data, path = record.data, record.path
    goals = [" ".join(g.split()) for g in src.strings(data, "impactedGoal", path) if g.strip()]
    assets = [" ".join(a.split()) for a in src.strings(data, "impactedAssets", path) if a.strip()]
    action, impact, prerequisites = (
        " ".join(src.text(data, key, path).split())
        for key in ("threatAction", "threatImpact", "prerequisites")
    )
    tag_list = [GOAL_TAG + g for g in goals] + [ASSET_TAG + a for a in assets]
    if prerequisites:
        tag_list.append(PREREQUISITES_TAG + prerequisites)
    if not action:
        tag_list.append(NO_ACTION_TAG)
    said = " ".join(src.text(data, "statement", path).split())
    grammar = grammar_statement(threat_source, prerequisites, action, impact, goals, assets)
    if said and said != grammar:
        tag_list.append(STATEMENT_TAG + said)
    return tag_list


def _mitigation(record: _Record, threat_ids: list[str], settings: ImportSettings) -> ImportedItem:
    data, path = record.data, record.path
    known, extra = _metadata(record)
    content = src.text(data, "content", path, required=True)
    # the whole content is the title (threats.json, and so the export back,
    # carry titles but not bodies); a multi-line content is the body too
    title, shortened = " ".join(content.split()), "\n" in content.strip()
    status = src.text(data, "status", path) or DEFAULT_MITIGATION_STATUS
    if status not in MITIGATION_STATUS:
        raise SourceError(f"{path}.status", f"unknown mitigation status {status!r}")
    tag_list = list(src.strings(data, "tags", path))
    body: list[Block] = [*(text_block(content) if shortened else [])]
    body += [*_comments(known), *fields_block(extra)]
    ours = MITIGATION_STATUS[status]
    if ours is None and not threat_ids:
        # nothing to accept: an unlinked control that says it will not be done
        ours = "planned"
        tag_list.append(WILL_NOT_ACTION_TAG)  # and, planned, --due and "imported"
    if ours is None:
        body.insert(
            0,
            Text(
                "Marked 'Resolved — will not action' in Threat Composer: the risk of the "
                "threats it was meant to mitigate is accepted."
            ),
        )
        return frame.risk_acceptance(
            record.id,
            title,
            settings,
            threats=tuple(threat_ids),
            source_tags=tag_list,
            body=tuple(body),
        )
    return frame.mitigation(
        record.id,
        title,
        settings,
        mitigates=tuple(threat_ids),
        status=ours,
        source_tags=tag_list,
        body=tuple(body),
    )


def _assumption(
    record: _Record, links: _Links, accepted: set[str], declared: set[str]
) -> ImportedItem:
    """An assumption with its links to the ``declared`` items; a will-not-action
    "mitigation" it names is a risk acceptance, which the assumption underpins."""
    linked = [(kind, links.by_uuid[u].id) for kind, u in links.assumed[record.uuid]]
    linked = [(kind, i) for kind, i in linked if i in declared]
    threat_ids = [i for kind, i in linked if kind == "threat"]
    mitigation_ids = [i for kind, i in linked if kind == "mitigation" and i not in accepted]
    underpins = [i for kind, i in linked if kind == "mitigation" and i in accepted]
    data, path = record.data, record.path
    known, extra = _metadata(record)
    content = src.text(data, "content", path, required=True)
    title = " ".join(content.split())  # whole, as for mitigations
    body: list[Block] = [*text_block(content), *_comments(known)]
    body += fields_block([*extra, ("Underpins the risk acceptances", ", ".join(underpins))])
    return ImportedItem(
        "assumption",
        record.id,
        title,
        options(
            {
                "threats": tuple(sorted(dict.fromkeys(threat_ids), key=_numeric_order)),
                "mitigations": tuple(sorted(dict.fromkeys(mitigation_ids), key=_numeric_order)),
                "tags": tags(src.strings(data, "tags", path)),
            }
        ),
        tuple(body),
    )


_DATA_URI = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(;[^,]*)?,(.*)\Z", re.DOTALL)


def _prose(root: dict[str, Any]) -> tuple[list[Section], list[tuple[str, bytes]]]:
    sections: list[Section] = []
    files: list[tuple[str, bytes]] = []
    parts = (
        ("applicationInfo", "Application", None),
        ("architecture", "Architecture", "architecture"),
        ("dataflow", "Data flow", "dataflow"),
    )
    for key, heading, image_name in parts:
        path = f"$.{key}"
        part = src.obj(root, key, "$")
        blocks: list[Block] = []
        image = src.text(part, "image", path) if image_name else ""
        if image and image_name:
            block, file = _image(image, f"{path}.image", image_name, heading)
            blocks.append(block)
            if file is not None:
                files.append(file)
        description = src.text(part, "description", path)
        if description.strip():
            blocks.append(Markdown(description))
        if blocks:
            sections.append(Section(heading, tuple(blocks)))
    brainstorm = src.obj(root, "brainstorm", "$")
    rows: list[tuple[str, str]] = []
    for key in sorted(brainstorm):
        for path, entry in src.objects(brainstorm, key, "$.brainstorm"):
            rows.append((key, src.text(entry, "content", path)))
    if rows:
        sections.append(Section("Brainstorm", tuple(fields_block(rows))))
    return sections, files


def _image(value: str, path: str, name: str, alt: str) -> tuple[Block, tuple[str, bytes] | None]:
    match = _DATA_URI.match(value.strip())
    if match is None:
        if re.match(r"https?://", value.strip()):
            return Link(value.strip(), f"{alt} diagram"), None
        return Text(f"{alt} diagram: {value.strip()}"), None
    mime = (match.group(1) or "").lower()
    if ";base64" not in (match.group(2) or ""):
        raise SourceError(path, "an embedded image must be base64 data")
    try:
        content = base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise SourceError(path, "the embedded image is not valid base64") from None
    suffix = IMAGE_SUFFIX.get(mime)
    if suffix is None:
        raise SourceError(path, f"unsupported image type {mime or '(none)'!r}")
    file_path = f"_images/{name}.{suffix}"
    return Image(file_path, f"{alt} diagram"), (file_path, content)
