"""Every item option, declared once, and the tables derived from it.

Pure (no Sphinx).  :data:`OPTIONS` is the one declaration of every option of
every item kind: the coercion and checks (:mod:`.values`), the reference
checks (:data:`REFERENCES`), the export (:func:`option_values`), the
sphinx-needs fields and the documentation derive from it.
"""

from __future__ import annotations

import datetime as dt
import enum
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..model import (
    CONTAINED_KINDS,
    ELEMENT_KINDS,
    MITIGATION_EFFECTS,
    MITIGATION_STATUSES,
    NODE_KINDS,
    Item,
    Kind,
)

#: What an item ID is (the ``id`` option's help below says it in words).
ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")


class OptionType(enum.StrEnum):
    """How an option's value is read (the reference shows these names)."""

    #: The item's ID.
    ID = "id"
    #: Free text.
    TEXT = "text"
    #: Entries, one per line (in MyST also a YAML list); an entry that is an
    #: http(s) URL is a link.
    LINES = "lines"
    #: One ID.
    REF = "ref"
    #: A list of IDs.
    REFS = "refs"
    #: A list of service IDs with ``*`` (every service) and ``!ID`` (minus one).
    SCOPE = "scope"
    #: An ISO date.
    DATE = "date"
    #: A comma list of tags (a tag may contain spaces).
    TAGS = "tags"
    #: CWE/CAPEC numbers.
    NUMBERS = "numbers"
    #: One value of a configured vocabulary.
    CHOICE = "choice"
    #: Several values of a configured vocabulary.
    CHOICES = "choices"
    #: A flag: given (with no value, or a true one) or not.
    FLAG = "flag"


#: Types whose value names items (checked by the analysis).
REFERENCE_TYPES = frozenset({OptionType.REF, OptionType.REFS, OptionType.SCOPE})


class Option(NamedTuple):
    """One item option: the single declaration every other table derives from."""

    #: Option name, as written (``applies-to``).
    name: str
    type: OptionType
    #: What the option says, for the reference.
    help: str
    #: Kind of item the IDs name (reference types only).
    target: Kind | None = None
    required: bool = False
    #: The :class:`Vocabulary` field holding the allowed values (choice types).
    vocabulary: str | None = None
    #: Other kinds the IDs may name besides :attr:`target` (``:applies-to:``
    #: names any element).
    also: tuple[Kind, ...] = ()

    @property
    def field(self) -> str:
        """The record attribute holding the value (``applies_to``; ``from_``)."""
        name = self.name.replace("-", "_")
        return f"{name}_" if keyword.iskeyword(name) else name

    @property
    def targets(self) -> tuple[Kind, ...]:
        """Every kind the IDs may name."""
        return (self.target, *self.also) if self.target is not None else self.also

    @property
    def target_label(self) -> str:
        """How messages name what the IDs name (``service``; ``service, data
        store or external entity``)."""
        names = [kind.label.lower() for kind in self.targets] or ["item"]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

    @property
    def type_help(self) -> str:
        """The type as the reference shows it (``choice:severities``)."""
        return f"{self.type}:{self.vocabulary}" if self.vocabulary else str(self.type)


def _choice(
    name: str, vocabulary: str, help: str, *, several: bool = False, required: bool = False
) -> Option:
    kind = OptionType.CHOICES if several else OptionType.CHOICE
    return Option(name, kind, help, required=required, vocabulary=vocabulary)


T = OptionType


def _elements(*kinds: Kind) -> dict[str, Any]:
    """The ``target`` and ``also`` of an option naming any of ``kinds``."""
    return {"target": kinds[0], "also": kinds[1:]}


_COMMON = (
    Option(
        "id", T.ID, "Unique ID: a letter, then letters, digits, ``-``, ``_``, ``.``.", required=True
    ),
    Option(
        "tags",
        T.TAGS,
        "Comma-separated tags (a tag may contain spaces, and a comma written ``\\,``).",
    ),
)

#: Options of each item directive (besides the title argument).
OPTIONS: dict[Kind, tuple[Option, ...]] = {
    Kind.THREAT_ACTOR: (
        *_COMMON,
        Option("description", T.TEXT, "A one-line description."),
    ),
    Kind.SERVICE: (
        *_COMMON,
        Option("owner", T.TEXT, "Owning team or person."),
        Option("exposed-to", T.REFS, "Product threats this service is in scope for.", Kind.THREAT),
        Option(
            "relies-on",
            T.REFS,
            "Platform mitigations this service uses; they cover its pairs.",
            Kind.MITIGATION,
        ),
        Option(
            "depends-on",
            T.REFS,
            "Services this one depends on (shown, not analysed).",
            Kind.SERVICE,
        ),
    ),
    Kind.THREAT: (
        *_COMMON,
        _choice("category", "categories", "One or more of ``threats_categories``.", several=True),
        _choice(
            "severity",
            "severities",
            "One of ``threats_severities``, or derived from ``:likelihood:`` and "
            "``:impact:``; a threat with neither is ``unrated`` (an ``unrated`` gap).",
        ),
        _choice("likelihood", "likelihoods", "One of ``threats_likelihoods``."),
        _choice("impact", "impacts", "One of ``threats_impacts``."),
        Option("actors", T.REFS, "Threat actor IDs.", Kind.THREAT_ACTOR),
        Option(
            "service",
            T.REF,
            "Owning service (default: the service declared earlier on "
            "the page, else product level).",
            Kind.SERVICE,
        ),
        Option(
            "applies-to",
            T.SCOPE,
            "What it is about: services, data stores, external entities, data flows or "
            "trust boundaries (every flow crossing it) by ID; ``*`` for every service, "
            "``!ID`` removes one.",
            **_elements(*ELEMENT_KINDS, Kind.TRUST_BOUNDARY),
        ),
        Option("cwe", T.NUMBERS, "CWE numbers, linked to the public catalogue."),
        Option("capec", T.NUMBERS, "CAPEC numbers, linked to the public catalogue."),
        Option(
            "revision",
            T.TEXT,
            "A free label; when set, the review digest is this label alone (bump it to "
            "re-open every review of the threat).",
        ),
    ),
    Kind.MITIGATION: (
        *_COMMON,
        # none: an unlinked control (an orphan-mitigation gap, not invalid)
        Option("mitigates", T.REFS, "Threat IDs.", Kind.THREAT),
        _choice(
            "status",
            "statuses",
            "``planned``, ``in-progress``, ``implemented`` or ``verified``.",
            required=True,
        ),
        Option("due", T.DATE, "Due date (required for ``planned`` and ``in-progress``)."),
        _choice("effect", "effects", "``full`` (default) or ``partial``."),
        Option("service", T.REF, "Owning service (default as for threats).", Kind.SERVICE),
        Option(
            "applies-to", T.SCOPE, "Services this control covers besides its own.", Kind.SERVICE
        ),
        Option("owner", T.TEXT, "Owning team or person."),
        Option(
            "verified-by",
            T.LINES,
            "What verifies it, one entry per line: an http(s) URL, ``test:`` and a test ID "
            "judged against ``threats_evidence`` (a pytest node ID or ``classname.name``), "
            "or text such as a ticket or an audit.",
        ),
    ),
    Kind.RISK_ACCEPTANCE: (
        *_COMMON,
        Option("threats", T.REFS, "Threat IDs accepted.", Kind.THREAT, required=True),
        Option("service", T.REF, "Accept only for this service (no page default).", Kind.SERVICE),
        Option("owner", T.TEXT, "Who owns the risk.", required=True),
        Option("expires", T.DATE, "Valid through this date.", required=True),
        Option("approved-by", T.TEXT, "Who approved it."),
        _choice("residual-severity", "severities", "Severity that remains."),
    ),
    Kind.NOT_APPLICABLE: (
        *_COMMON,
        Option(
            "threats",
            T.REFS,
            "Threat IDs excluded (required unless ``:elements:`` is given).",
            Kind.THREAT,
        ),
        Option(
            "service",
            T.REF,
            "Exclude only for this service (no page default); absent "
            "means out of scope for the whole product.",
            Kind.SERVICE,
        ),
        Option("owner", T.TEXT, "Who owns the decision."),
        Option(
            "elements",
            T.REFS,
            "Elements no threat of ``:categories:`` applies to (see Completeness); "
            "not with ``:threats:`` or ``:service:``.",
            **_elements(*ELEMENT_KINDS),
        ),
        _choice(
            "categories",
            "categories",
            "With ``:elements:``: the categories (of ``threats_categories``) decided.",
            several=True,
        ),
    ),
    Kind.ASSUMPTION: (
        *_COMMON,
        Option("threats", T.REFS, "Threat IDs it underpins.", Kind.THREAT),
        Option("mitigations", T.REFS, "Mitigation IDs it underpins.", Kind.MITIGATION),
        Option("owner", T.TEXT, "Who checks that it still holds."),
        Option("review-by", T.DATE, "Review it by this date (``stale-assumption`` after)."),
    ),
    Kind.DATA_STORE: (
        *_COMMON,
        Option(
            "service",
            T.REF,
            "The owning service (default: the service declared earlier on the page).",
            Kind.SERVICE,
        ),
        Option("data", T.TEXT, "What it holds."),
    ),
    Kind.EXTERNAL_ENTITY: (
        *_COMMON,
        Option(
            "description",
            T.TEXT,
            "A user, a client app, a third-party system: a legitimate party, unlike a "
            "threat actor.",
        ),
    ),
    Kind.DATA_FLOW: (
        *_COMMON,
        Option(
            "from",
            T.REF,
            "Where the data comes from: a service, data store or external entity.",
            required=True,
            **_elements(*NODE_KINDS),
        ),
        Option(
            "to",
            T.REF,
            "Where it goes: a service, data store or external entity.",
            required=True,
            **_elements(*NODE_KINDS),
        ),
        Option("data", T.TEXT, "What flows."),
        Option("protocol", T.TEXT, "How it flows (``HTTPS``, ``gRPC``...)."),
        Option("bidirectional", T.FLAG, "Data flows both ways."),
    ),
    Kind.TRUST_BOUNDARY: (
        *_COMMON,
        Option(
            "contains",
            T.REFS,
            "Services, data stores, external entities and boundaries directly inside it "
            "(each has at most one direct container).",
            **_elements(*CONTAINED_KINDS),
        ),
    ),
}


@dataclass(frozen=True)
class Vocabulary:
    """Allowed values of the choice options (from the configuration)."""

    categories: tuple[str, ...]
    severities: tuple[str, ...]
    likelihoods: tuple[str, ...]
    impacts: tuple[str, ...]
    risk_matrix: Mapping[str, Mapping[str, str]] | None = None
    statuses: tuple[str, ...] = MITIGATION_STATUSES
    effects: tuple[str, ...] = MITIGATION_EFFECTS

    def allowed(self, name: str) -> tuple[str, ...]:
        """The allowed values of vocabulary ``name``."""
        value: tuple[str, ...] = getattr(self, name)
        return value


# -- derived tables ------------------------------------------------------------------


#: Each kind's options by name.
#: Options whose entries go one per line (a YAML list is read so too).
LINE_OPTIONS = frozenset(
    option.name for options in OPTIONS.values() for option in options if option.type is T.LINES
)

OPTIONS_BY_NAME: dict[Kind, dict[str, Option]] = {
    kind: {o.name: o for o in options} for kind, options in OPTIONS.items()
}

#: Each kind's options that name items: the single source for reference
#: checks and back-links.
REFERENCES: dict[Kind, tuple[Option, ...]] = {
    kind: tuple(o for o in options if o.type in REFERENCE_TYPES)
    for kind, options in OPTIONS.items()
}

_VALUE_OPTIONS: dict[Kind, tuple[Option, ...]] = {
    kind: tuple(o for o in options if o.type is not OptionType.ID)
    for kind, options in OPTIONS.items()
}


def option_values(item: Item) -> dict[str, object]:
    """The item's options as plain data (dates ISO, lists), named as written."""
    out: dict[str, object] = {}
    for option in _VALUE_OPTIONS[item.kind]:
        value = getattr(item, option.field)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[option.name] = value
    return out
