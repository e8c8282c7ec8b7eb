"""The sphinx-needs bridge: threat-model items as needs, needs as mitigations.

Imported only when ``sphinx_needs`` is in ``extensions`` (see
``events.start_needs_bridge``), so nothing of sphinx-needs is loaded
otherwise.  Both directions go through sphinx-needs' public API
(:mod:`sphinx_needs.api`):

* every item is also a hidden need of type ``tm-<kind>`` (``tm-threat``,
  ``tm-mitigation``, ...), so ``needtable``, ``needflow``, filter strings and
  ``needs.json`` see it; its options are need fields, a mitigation's
  ``:mitigates:`` is a ``mitigates`` link, and a threat's computed status is
  the field ``threat_status``.  The need is hidden: the item renders once, as
  ours, and the need's anchor is the item's;
* a need of any other type with ``mitigates`` links is a
  :class:`~.model.Mitigation` of the model (its ``status`` mapped by
  ``threats_needs_status``, its ``service`` field the service it covers), so
  the analysis, the back-links, the reports and ``threats.json`` count it.

The pure part (:func:`need_fields`, :func:`mitigation_of_need`) takes plain
values; the rest is wiring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util import logging
from sphinx_needs.api import (
    InvalidNeedException,
    add_field,
    add_need,
    add_need_type,
)

# read at ``env-get-updated``, after every document is read and before
# sphinx-needs resolves (and freezes) the needs: the public view would freeze
# them before our computed status is written into them
from sphinx_needs.data import SphinxNeedsData
from sphinx_needs.exceptions import NeedsApiConfigException

from .domain import threats_domain
from .model import GapKind, Item, Kind, Location, Mitigation, Problem
from .schema.options import OPTIONS, OptionType, option_values
from .sphinx_config import conf_location

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

    from .directives import ItemBlock

logger = logging.getLogger(__name__)

#: The need type of each item kind (``tm-``: never one of our directive names).
NEED_TYPES: dict[Kind, str] = {kind: f"tm-{kind.value}" for kind in Kind}
_OURS = frozenset(NEED_TYPES.values())
#: Diagram colour of each need type.
_COLOURS = {
    Kind.THREAT_ACTOR: "#E1BEE7",
    Kind.SERVICE: "#BBDEFB",
    Kind.THREAT: "#FFCDD2",
    Kind.MITIGATION: "#C8E6C9",
    Kind.RISK_ACCEPTANCE: "#FFF9C4",
    Kind.NOT_APPLICABLE: "#E0E0E0",
    Kind.ASSUMPTION: "#FFE0B2",
    Kind.DATA_STORE: "#B2EBF2",
    Kind.EXTERNAL_ENTITY: "#D7CCC8",
    Kind.DATA_FLOW: "#CFD8DC",
    Kind.TRUST_BOUNDARY: "#F5F5F5",
}
#: The link type from a mitigating need to the threats it mitigates.
LINK = "mitigates"
#: Its declaration, unless the project declares ``mitigates`` in ``needs_links``
#: itself.  Dead links are allowed: the analysis reports them once, as
#: ``threats.unknown-ref``, at their line.
LINK_TYPE: dict[str, Any] = {
    "description": "Threats this need mitigates (sphinx-threats).",
    "outgoing": "mitigates",
    "incoming": "mitigated by",
    "allow_dead_links": True,
    "color": "#2E7D32",
}
#: The link types from a data flow to its ends (``needflow`` draws them as edges).
FLOW_LINKS: dict[str, dict[str, Any]] = {
    "from": {
        "description": "Where a data flow comes from (sphinx-threats).",
        "outgoing": "from",
        "incoming": "flows out",
        "allow_dead_links": True,
        "color": "#546E7A",
    },
    "to": {
        "description": "Where a data flow goes (sphinx-threats).",
        "outgoing": "to",
        "incoming": "flows in",
        "allow_dead_links": True,
        "color": "#546E7A",
    },
}
#: The need field holding a threat's computed status.
STATUS_FIELD = "threat_status"
#: Options that are need core fields or links rather than fields of their own.
_NOT_FIELDS = {"id", "tags", "status", LINK, *FLOW_LINKS}
#: Option types whose values are lists (array fields).
_LIST_TYPES = {OptionType.REFS, OptionType.SCOPE, OptionType.NUMBERS, OptionType.CHOICES}


def _field_specs() -> dict[str, tuple[str, str]]:
    """Every need field the items fill: name -> (description, JSON type:
    ``array``, ``boolean`` or ``string``), from :data:`~.schema.options.OPTIONS`
    (an option of several kinds is one field)."""
    specs: dict[str, tuple[str, str]] = {}
    for kind, options in OPTIONS.items():
        for option in options:
            if option.name in _NOT_FIELDS or option.field in specs:
                continue
            json_type = "array" if option.type in _LIST_TYPES else "string"
            if option.type is OptionType.FLAG:
                json_type = "boolean"
            specs[option.field] = (f"sphinx-threats :{option.name}: ({kind.value})", json_type)
    specs[STATUS_FIELD] = ("sphinx-threats: a threat's computed status", "string")
    return specs


#: The need fields, declared once from the options.
FIELDS = _field_specs()


def need_fields(item: Item) -> dict[str, Any]:
    """The need fields (and ``status`` and ``mitigates``) of one item."""
    out: dict[str, Any] = {}
    for name, value in option_values(item).items():
        field = name.replace("-", "_")
        if name == "tags":
            continue
        if name == "status" or name == LINK:
            out[name] = value
        elif name in FLOW_LINKS:
            out[name] = [value] if isinstance(value, str) else value
        elif field in FIELDS:
            out[field] = [str(v) for v in value] if isinstance(value, list) else value
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def map_status(status: str | None, mapping: Mapping[str, str]) -> str | None:
    """A need's ``status`` as a mitigation status (``None``, counted as
    planned, when ``threats_needs_status`` does not map it)."""
    if not status:
        return None
    return mapping.get(status.strip().lower())


#: What :func:`mitigation_of_need` reads of a need.
_NEED_KEYS = ("id", "type", "title", "tags", "status", "service", LINK)


def mitigation_of_need(
    need: Mapping[str, Any],
    location: Location,
    link_line: int,
    status_map: Mapping[str, str],
) -> Mitigation:
    """The mitigation a need with ``mitigates`` links counts as (declared at
    ``location``, its links at ``link_line``)."""
    service = need.get("service")
    return Mitigation(
        id=need["id"],
        title=need.get("title") or need["id"],
        location=location,
        tags=tuple(need.get("tags") or ()),
        option_lines=((LINK, link_line),),
        mitigates=tuple(str(t) for t in need.get(LINK) or ()),
        status=map_status(need.get("status"), status_map),
        service=service if isinstance(service, str) and service else None,
        need_type=need["type"],
    )


def option_line(lines: Sequence[str], lineno: int, option: str) -> int:
    """The line of ``option`` in the directive at line ``lineno`` (1-based, as
    the result), or ``lineno`` when it is not in the directive's option block."""
    pattern = re.compile(rf"^\s*:?{re.escape(option)}:")
    for index in range(lineno - 1, min(len(lines), lineno + 60)):
        line = lines[index]
        if pattern.match(line):
            return index + 1
        if index >= lineno and not line.strip():
            break  # the option block ends at the first blank line
    return lineno


# -- wiring --------------------------------------------------------------------------------


def start(app: Sphinx, config: Config) -> None:
    """Declare the need types, fields and link type, and connect the bridge.

    At ``config-inited`` priority 13: after sphinx-needs resolves the need
    types (12), as :func:`~sphinx_needs.api.add_need_type` requires, and before
    sphinx-needs reads ``needs_links`` and ``needs_fields`` (500).
    """
    for kind, need_type in NEED_TYPES.items():
        try:
            add_need_type(app, need_type, kind.label, "TM_", _COLOURS[kind], "node")
        except NeedsApiConfigException as err:
            logger.warning(
                "sphinx-threats: cannot add the need type %r (%s); its items are not needs",
                need_type,
                err,
                type="threats",
                subtype=GapKind.INVALID.value,
            )
    # a field the project declares itself is the project's (sphinx-needs would
    # refuse a second declaration); ours fill it
    own = {*(config.needs_fields or {})}
    for extra in config.needs_extra_options or ():  # names, or (older) dicts with a name
        own.add(extra if isinstance(extra, str) else extra.get("name", ""))
    for name, (description, json_type) in FIELDS.items():
        if name in own:
            continue
        schema: Any = {"type": json_type}
        if json_type == "array":
            schema["items"] = {"type": "string"}
        add_field(name, description, schema=schema, nullable=True)
    links = dict(config.needs_links or {})
    # a link type the project declares itself is the project's
    for name, spec in {LINK: LINK_TYPE, **FLOW_LINKS}.items():
        if name not in links:
            links[name] = dict(spec)
    config.needs_links = links
    app.connect("env-get-updated", collect_mitigating_needs, priority=400)
    app.connect("needs-before-post-processing", write_threat_status)
    app.connect("threats-item-declared", item_need)
    # before sphinx-needs' own merge (500)
    app.connect("env-merge-info", merge_first_declarations, priority=400)


def _id_regex(config: Config) -> str:
    regex = config.needs_id_regex
    return regex if isinstance(regex, str) else ""


def item_need(app: Sphinx, item: Item, block: ItemBlock) -> list[nodes.Node]:
    """The hidden need of an item (at ``threats-item-declared``), to put in its block."""
    regex = _id_regex(app.config)
    if item.id.startswith("@") or (regex and not re.match(regex, item.id)):
        return []  # no ID of its own, or one sphinx-needs refuses (said once, at analysis)
    env = app.env
    data = SphinxNeedsData(env)
    held = data.get_needs_mutable().get(item.id)
    if held is not None:
        if held["type"] not in _OURS:
            if not held.get(LINK):  # a mitigating need is a duplicate-id of the analysis
                _not_a_need(env, item, f"the need at {held['docname']}:{held['lineno']} has it")
            return []
        if _place(held) <= _place_of(item, block):
            return []  # the analysis' first declaration stays the need (duplicate-id)
        data.remove_need(item.id)  # an earlier page re-read: it comes first
    fields = need_fields(item)
    status = fields.pop("status", None)
    try:
        return add_need(
            app,
            block.state,
            *_place_of(item, block),
            NEED_TYPES[item.kind],
            item.title,
            id=item.id,
            status=status,
            tags=list(item.tags),
            hide=True,
            # the values already have the fields' types (str, list of str):
            # no conversion, which is a tenth of add_need's time
            allow_type_coercion=False,
            **fields,
        )
    except InvalidNeedException as err:
        _not_a_need(env, item, err.message)
        return []


def _not_a_need(env: BuildEnvironment, item: Item, why: str) -> None:
    threats_domain(env).note_problem(
        env.docname,
        Problem(
            GapKind.INVALID, f"{item.kind.value} {item.id!r} is not a need: {why}", item.location
        ),
    )


def _place(need: Any) -> tuple[str, int]:
    return (need["docname"] or "", need["lineno"] or 0)


def _place_of(item: Item, block: ItemBlock) -> tuple[str, int]:
    """Where the item's need is: its own line, or for a catalogue entry
    rendered on this page, the line of the directive rendering it."""
    docname = block.docname
    if item.location.docname == docname:
        return (docname, item.location.lineno)
    return (docname, block.lineno)


def merge_first_declarations(
    app: Sphinx, env: BuildEnvironment, docnames: Any, other: BuildEnvironment
) -> None:
    """Before sphinx-needs merges a parallel worker's needs (``env-merge-info``):
    of two items of ours with one ID, keep the need of the first declaration,
    as a serial build does, and drop the other without sphinx-needs' own
    duplicate warning (the analysis reports ``duplicate-id`` once)."""
    mine, theirs = SphinxNeedsData(env), SphinxNeedsData(other)
    held = mine.get_needs_mutable()
    for need_id, need in list(theirs.get_needs_mutable().items()):
        kept = held.get(need_id)
        if kept is None or kept["type"] not in _OURS or need["type"] not in _OURS:
            continue
        if _place(need) < _place(kept):
            mine.remove_need(need_id)
        else:
            theirs.remove_need(need_id)


def collect_mitigating_needs(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Give the domain the needs that mitigate threats, and what sphinx-needs
    cannot take (before the analysis, at ``env-get-updated``)."""
    domain = threats_domain(env)
    status_map = app.config.threats_needs_status
    sources: dict[str, list[str]] = {}
    mitigations: list[Item] = []
    problems: list[Problem] = []
    for need in SphinxNeedsData(env).get_needs_mutable().values():
        if need["type"] in _OURS or not need.get(LINK) or not need["docname"]:
            continue
        docname = need["docname"]
        file = PurePath(env.doc2path(docname, base=False)).as_posix()
        lineno = need["lineno"] or 0
        if docname not in sources:
            try:
                text = Path(env.doc2path(docname)).read_text(encoding="utf-8")
                sources[docname] = text.splitlines()
            except OSError:
                sources[docname] = []
        line = option_line(sources[docname], lineno, LINK) if lineno else 0
        location = Location(file, lineno, docname)
        record = {key: need.get(key) for key in _NEED_KEYS}
        mitigations.append(mitigation_of_need(record, location, line, status_map))
    problems += _id_regex_problems(app, env)
    domain.set_bridged(mitigations, problems)
    return []


def _id_regex_problems(app: Sphinx, env: BuildEnvironment) -> list[Problem]:
    """One problem when item IDs do not meet ``needs_id_regex``, saying how to set it."""
    regex = _id_regex(app.config)
    if not regex:
        return []
    domain = threats_domain(env)
    refused = sorted(
        {
            item.id
            for docname in domain.data["items"]
            for item in domain.items_of(docname)
            if not item.id.startswith("@") and not re.match(regex, item.id)
        }
    )
    if not refused:
        return []
    return [
        Problem(
            GapKind.INVALID,
            f"{len(refused)} threat-model ID(s) do not match needs_id_regex {regex!r} "
            f"(first: {refused[0]!r}), so sphinx-needs does not see them; set "
            "needs_id_regex = r'^[A-Za-z][A-Za-z0-9_.-]*' in conf.py (the IDs sphinx-threats "
            "accepts), or a pattern that matches both your needs' IDs and these",
            conf_location(app, "needs_id_regex"),
        )
    ]


def write_threat_status(app: Sphinx, needs: dict[str, Any]) -> None:
    """Write each threat's computed status into its need, before sphinx-needs
    resolves and freezes them (``needs-before-post-processing``)."""
    report = threats_domain(app.env).report()
    threat_type = NEED_TYPES[Kind.THREAT]
    for need_id, need in needs.items():
        if need["type"] == threat_type:
            status = report.threat_status.get(need_id)
            need[STATUS_FIELD] = status.value if status is not None else ""
