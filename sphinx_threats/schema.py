"""The options of every item directive, declared once, and their parsing.

Pure (no Sphinx): the directives and, later, the YAML catalogues hand raw
option values (strings, or typed YAML data) to :func:`parse_item`, which
returns the record and every problem found.  :data:`OPTIONS` is the one
declaration of every option; the reference checks (:data:`REFERENCES`), the
export (:func:`option_values`) and the documentation derive from it.

Parsing is permissive: a bad value is a problem (reported as
``threats.invalid`` at its line) and the item is still built from what is
usable, so nothing is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .model import (
    ITEM_CLASSES,
    MITIGATION_EFFECTS,
    MITIGATION_STATUSES,
    GapKind,
    Item,
    Kind,
    Location,
    Problem,
)
from .safeload import Refused, load_yaml

ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_SPLIT_IDS = re.compile(r"[,\s]+")
# ASCII digits only: ``\d`` also takes the digits of other scripts (Arabic-Indic,
# full-width), which name no catalogue entry
_NUMBER = re.compile(r"(?:(?:CWE|CAPEC)-)?([0-9]+)\Z", re.IGNORECASE)


class OptionType(enum.StrEnum):
    """How an option's value is read (the reference shows these names)."""

    #: The item's ID.
    ID = "id"
    #: Free text.
    TEXT = "text"
    #: Text, linked when it is an http(s) URL.
    URL = "url"
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


#: Types whose value names items (checked by the analysis).
REFERENCE_TYPES = frozenset({OptionType.REF, OptionType.REFS, OptionType.SCOPE})
#: Types whose blank value is a problem of its own.
_SINGLE_VALUE_TYPES = frozenset({OptionType.REF, OptionType.DATE, OptionType.CHOICE})


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

    @property
    def field(self) -> str:
        """The record attribute holding the value (``applies_to``)."""
        return self.name.replace("-", "_")

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

_COMMON = (
    Option(
        "id", T.ID, "Unique ID: a letter, then letters, digits, ``-``, ``_``, ``.``.", required=True
    ),
    Option("tags", T.TAGS, "Comma-separated tags (a tag may contain spaces)."),
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
            "One of ``threats_severities``; required "
            "unless derived from ``:likelihood:`` and ``:impact:``.",
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
            "Services in scope: IDs, ``*`` for every service, ``!ID`` removes one.",
            Kind.SERVICE,
        ),
        Option("cwe", T.NUMBERS, "CWE numbers, linked to the public catalogue."),
        Option("capec", T.NUMBERS, "CAPEC numbers, linked to the public catalogue."),
    ),
    Kind.MITIGATION: (
        *_COMMON,
        Option("mitigates", T.REFS, "Threat IDs.", Kind.THREAT, required=True),
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
        Option("verified-by", T.URL, "A test, ticket or audit (text or an http(s) URL)."),
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
        Option("threats", T.REFS, "Threat IDs excluded.", Kind.THREAT, required=True),
        Option(
            "service",
            T.REF,
            "Exclude only for this service (no page default); absent "
            "means out of scope for the whole product.",
            Kind.SERVICE,
        ),
        Option("owner", T.TEXT, "Who owns the decision."),
    ),
    Kind.ASSUMPTION: (
        *_COMMON,
        Option("threats", T.REFS, "Threat IDs it underpins.", Kind.THREAT),
        Option("mitigations", T.REFS, "Mitigation IDs it underpins.", Kind.MITIGATION),
        Option("owner", T.TEXT, "Who checks that it still holds."),
        Option("review-by", T.DATE, "Review it by this date (``stale-assumption`` after)."),
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


def split_ids(value: str) -> list[str]:
    """IDs from a comma and/or whitespace separated list, or a YAML list."""
    tokens = []
    for token in _SPLIT_IDS.split(_unbracket(value)):
        token = token.strip("'\"")
        if token and token != "-":
            tokens.append(token)
    return tokens


def split_list(value: str) -> list[str]:
    """Entries of a comma-separated list (entries may contain spaces) or a YAML list."""
    value = _unbracket(value)
    if value.lstrip().startswith("- "):
        # a YAML block list; MyST folds it onto one line ("- a - b c")
        parts = re.split(r"(?:^|\s)-\s+", value.strip())
        return [p.strip().strip("'\"").strip() for p in parts if p.strip().strip("'\"")]
    out = []
    for line in value.splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:]
        for part in line.split(","):
            part = part.strip().strip("'\"").strip()
            if part and part != "-":
                out.append(part)
    return out


def _unbracket(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return value[1:-1]
    return value


_OPTION_LINE = re.compile(r":([^:\s][^:]*):(?:\s+(.*))?\Z")


def is_option_line(line: str) -> bool:
    """Whether ``line`` starts an option (``:name: value``)."""
    return _OPTION_LINE.match(line.strip()) is not None


class OptionLines(NamedTuple):
    """What :func:`parse_option_lines` found."""

    #: Option name (lower case, as docutils has it) -> value.
    options: dict[str, str]
    #: Options given again: (name, index of the repeated line); the first wins.
    repeated: list[tuple[str, int]]
    #: How many lines were options.
    used: int
    #: Index of the line each option (its first occurrence) is written on.
    positions: dict[str, int] = {}


def parse_option_lines(lines: Sequence[str]) -> OptionLines:
    """Options from ``:name: value`` lines (a value may go on over indented lines).

    Parsing stops at the first line that is neither an option nor a
    continuation.  Names match case-insensitively (``:Status:`` is ``status``),
    as docutils' own option names do.
    """
    options: dict[str, str] = {}
    positions: dict[str, int] = {}
    repeated: list[tuple[str, int]] = []
    current: str | None = None
    used = 0
    for position, line in enumerate(lines):
        match = _OPTION_LINE.match(line.strip()) if line[:1] not in (" ", "\t") else None
        if match:
            name = match.group(1).strip().lower()
            if name in options:
                repeated.append((name, position))
                current = None  # its continuation lines belong to the ignored value
            else:
                current = name
                options[name] = (match.group(2) or "").strip()
                positions[name] = position
        elif line[:1] in (" ", "\t") and line.strip():
            if current is not None:
                options[current] = f"{options[current]}\n{line.strip()}".strip()
        else:
            break
        used = position + 1
    return OptionLines(options, repeated, used, positions)


class YamlOptions(NamedTuple):
    """What :func:`parse_yaml_options` found in a MyST ``---`` block."""

    #: Option name (lower case) -> value, as the option parser expects it.
    options: dict[str, str]
    #: Index of the block line each option is written on.
    positions: dict[str, int]
    #: Why YAML refused the block (it was then read line by line), else ``None``.
    error: str | None = None
    #: Index of the block line YAML's problem is on (when it says).
    error_line: int | None = None
    #: Options whose value could not be read (only when YAML refused the
    #: block): given, but nothing more is said about them.
    unreadable: tuple[str, ...] = ()


_YAML_KEY = re.compile(
    r"""(?P<q>["']?)(?P<key>[^"':#\s][^"':#]*?)(?P=q)\s*:(?:\s+|\Z)(?P<value>.*)"""
)
#: A plain YAML value starting with one of these is an alias, a tag or an
#: anchor; here a value is never one (``applies-to: *`` means every service).
_YAML_INDICATORS = ("*", "!", "&")


def _quote_indicators(lines: Sequence[str]) -> list[str]:
    """The block with values like ``*`` or ``!legacy`` quoted as YAML strings."""
    out = []
    for line in lines:
        key = _YAML_KEY.match(line) if line[:1] not in (" ", "\t", "-") else None
        item = None if key else re.match(r"(\s*-\s+)(.*)", line)
        if key and key.group("value").lstrip().startswith(_YAML_INDICATORS):
            value = key.group("value").strip()
            line = f"{line[: key.start('value')]}{json.dumps(value)}"
        elif item and item.group(2).lstrip().startswith(_YAML_INDICATORS):
            line = f"{item.group(1)}{json.dumps(item.group(2).strip())}"
        out.append(line)
    return out


def _key_positions(lines: Sequence[str]) -> dict[str, int]:
    """Block line of each top-level key (quoted or not, any case)."""
    positions: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line[:1] in (" ", "\t", "-", "#"):
            continue
        match = _YAML_KEY.match(line)
        if match:
            positions.setdefault(match.group("key").strip().lower(), index)
    return positions


def _read_line_by_line(lines: Sequence[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """``key: value`` lines, for a block YAML refuses: what can be read is kept.

    Each value is read as YAML on its own; one that is not valid even alone
    is *unreadable* (the block's error already names it).
    """
    options: dict[str, str] = {}
    unreadable: list[str] = []
    current: str | None = None
    for line in _quote_indicators(lines):
        match = _YAML_KEY.match(line) if line[:1] not in (" ", "\t", "-", "#") else None
        if match:
            current = match.group("key").strip().lower()
            if current in options or current in unreadable:
                current = None  # the first one counts
                continue
            try:
                options[current] = _yaml_text(load_yaml(match.group("value"), aliases=False))
            except Refused:
                unreadable.append(current)
                current = None
        elif current is not None and line.lstrip().startswith("- "):
            # a block list; any other continuation is YAML the error names
            entry = line.strip().removeprefix("- ").strip().strip("'\"")
            options[current] = f"{options[current]}, {entry}" if options[current] else entry
    return options, tuple(unreadable)


def parse_yaml_options(text: str) -> YamlOptions:
    """Options from a MyST ``---`` block: values as the strings the option
    parser expects (lists comma-joined, dates ISO), names in lower case.

    A value starting with ``*``, ``!`` or ``&`` is read as text, not as a YAML
    alias, tag or anchor.  When YAML refuses the block, it is read line by
    line as ``key: value`` (so the item keeps its ID) and the error says
    YAML's own problem.
    """
    lines = text.splitlines()
    positions = _key_positions(lines)
    try:
        data = load_yaml("\n".join(_quote_indicators(lines)), aliases=False) if text.strip() else {}
    except Refused as err:  # bad YAML, or a limit of .safeload (aliases are refused here)
        error = f"the options block {err.reason} (line {err.line} of the block)"
        error += "; it was read line by line"
        options, unreadable = _read_line_by_line(lines)
        return YamlOptions(options, positions, error, err.line - 1, unreadable)
    if not isinstance(data, dict):
        error = "the options block is not a YAML mapping of option names to values"
        return YamlOptions({}, positions, error, 0)
    options = {}
    for key, value in data.items():
        options.setdefault(str(key).strip().lower(), _yaml_text(value))
    return YamlOptions(options, positions)


def _yaml_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_yaml_text(v) for v in value)
    return str(value)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` naming the choice closest to ``value``, or ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=1)]
    return f"; did you mean {close[0]!r}?" if close else ""


def placeholder_id(location: Location) -> str:
    """The ID of an item whose source gave none."""
    return f"@{location.file}:{location.lineno}"


# -- derived tables ------------------------------------------------------------------


#: Each kind's options by name.
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


# -- reading one item ------------------------------------------------------------------

#: A raw option value: a string from a directive, or typed data from YAML
#: (a catalogue, a MyST block) or another tool's model.
RawValue = str | int | float | bool | dt.date | list[Any] | tuple[Any, ...] | None


class _Reader:
    """Collects the problems of one item, each at its option's line when known."""

    def __init__(self, kind: Kind, ident: str, label: str, location: Location, lines: Any) -> None:
        self.kind = kind
        self.ident = ident
        self.label = label
        self.location = location
        self.lines: dict[str, int] = dict(lines or {})
        self.problems: list[Problem] = []

    def say(self, message: str, option: str | None = None) -> None:
        """Record a problem with ``option`` (or with the item as a whole)."""
        line = self.lines.get(option, self.location.lineno) if option else self.location.lineno
        where = Location(self.location.file, line, self.location.docname)
        self.problems.append(Problem(GapKind.INVALID, message, where, (self.ident,)))


def parse_item(
    kind: Kind,
    title: str,
    options: Mapping[str, RawValue],
    location: Location,
    vocabulary: Vocabulary,
    *,
    option_lines: Mapping[str, int] | None = None,
    has_body: bool = True,
    default_service: str | None = None,
    unreadable: Collection[str] = (),
) -> tuple[Item, list[Problem]]:
    """Build the record of one item from raw option values.

    Every source (a directive, a YAML catalogue, another tool's model) comes
    through here, so all get the same validation: values are *coerced* to
    field values option by option, then the item is *checked* as a whole.
    Options named in ``unreadable`` were given but could not be read (their
    source already reported why): they count as given and nothing more is
    said of them.  Returns the record (always) and the problems found.
    """
    raw_id = str(options.get("id") or "").strip()
    ident = raw_id or placeholder_id(location)
    label = f"{kind.value} {ident!r}" if raw_id else f"{kind.value} {title.strip()!r}"
    reader = _Reader(kind, ident, label, location, option_lines)
    _check_header(reader, raw_id, title)
    values = coerce_options(
        reader, {k: v for k, v in options.items() if k not in unreadable}, vocabulary
    )
    for name in unreadable:
        option = OPTIONS_BY_NAME[kind].get(name)
        if option is not None:
            values[option.field] = None if option.type in _SINGLE_VALUE_TYPES else ()
    given = {**dict.fromkeys(unreadable), **options}
    check_item(reader, values, given, vocabulary, has_body=has_body, unreadable=unreadable)
    if kind in (Kind.THREAT, Kind.MITIGATION) and "service" not in options and default_service:
        values["service"] = default_service
    item = ITEM_CLASSES[kind](
        id=ident,
        title=title.strip() or ident,
        location=location,
        option_lines=tuple(sorted(reader.lines.items())),
        **values,
    )
    return item, reader.problems


def _check_header(reader: _Reader, raw_id: str, title: str) -> None:
    label, ident = reader.label, reader.ident
    if not raw_id:
        reader.say(f"{label} has no :id:; add a unique :id: (listed as {ident!r} until then)", "id")
    elif not ID_RE.match(raw_id) or not raw_id.isascii():
        reader.say(
            f"{label}: malformed ID; an ID starts with a letter, then ASCII letters, "
            "digits, '-', '_' or '.'",
            "id",
        )
    if not title.strip():
        reader.say(f"{label} has no title; write it after the directive name")


def coerce_options(
    reader: _Reader, options: Mapping[str, RawValue], vocabulary: Vocabulary
) -> dict[str, Any]:
    """Field values from raw option values; unknown options and bad values are problems."""
    spec = OPTIONS_BY_NAME[reader.kind]
    values: dict[str, Any] = {}
    for name, raw in options.items():
        option = spec.get(name)
        if option is None:
            reader.say(
                f"{reader.label}: unknown option :{name}: (allowed: {', '.join(sorted(spec))})"
                f"{did_you_mean(name, spec)}",
                name,
            )
        elif option.type is not OptionType.ID:
            values[option.field] = coerce_value(reader, option, raw, vocabulary)
    return values


def _is_blank(raw: RawValue) -> bool:
    if isinstance(raw, str):
        return not raw.strip()
    return raw is None or (isinstance(raw, list | tuple) and not raw)


def coerce_value(reader: _Reader, option: Option, raw: RawValue, vocabulary: Vocabulary) -> Any:
    """The field value of one option (``None`` or empty when unusable)."""
    name, kind = option.name, option.type
    if kind in _SINGLE_VALUE_TYPES and _is_blank(raw):
        # one problem for a blank value (for required options: in check_item)
        if not option.required:
            reader.say(f"{reader.label}: :{name}: is empty", name)
        return None
    match kind:
        case OptionType.TEXT | OptionType.URL:
            return _text(reader, option, raw)
        case OptionType.REF:
            written = _entries(raw, split_ids)
            refs = _no_scope_terms(reader, option, written)
            if len(refs) != 1 and len(refs) == len(written):  # else said just above
                reader.say(
                    f"{reader.label}: :{name}: takes exactly one ID, not {_shown(raw)}", name
                )
            return refs[0] if refs else None
        case OptionType.REFS | OptionType.SCOPE:
            ids = _entries(raw, split_ids)
            if kind is OptionType.REFS:
                ids = _no_scope_terms(reader, option, ids)
            elif "!" in ids:
                reader.say(
                    f"{reader.label}: :{name}: has a '!' with no service ID after it "
                    "(write '!ID' to take a service out of scope)",
                    name,
                )
                ids = [i for i in ids if i != "!"]
            return tuple(dict.fromkeys(ids))
        case OptionType.TAGS:
            return tuple(dict.fromkeys(_entries(raw, split_list)))
        case OptionType.NUMBERS:
            return _numbers(reader, option, raw)
        case OptionType.DATE:
            return _date(reader, option, raw)
        case _:
            return _choice_value(reader, option, raw, vocabulary)


def _no_scope_terms(reader: _Reader, option: Option, ids: list[str]) -> list[str]:
    """``ids`` without ``*`` and ``!ID``: they mean something only in ``:applies-to:``."""
    kept = [i for i in ids if i != "*" and not i.startswith("!")]
    if len(kept) < len(ids):
        terms = [repr(i) for i in ids if i not in kept]
        verb = "means" if len(terms) == 1 else "mean"
        reader.say(
            f"{reader.label}: :{option.name}: takes IDs; {', '.join(terms)} {verb} something "
            "only in :applies-to: and is left out here",
            option.name,
        )
    return kept


def _shown(raw: RawValue) -> str:
    return repr(raw.strip() if isinstance(raw, str) else raw)


def _entries(raw: RawValue, split: Any) -> list[str]:
    """The entries of a list option: a string is split, a YAML list taken as is."""
    if isinstance(raw, list | tuple):
        return [text for v in raw if (text := str(v).strip())]
    result: list[str] = split("" if raw is None else str(raw))
    return result


def _text(reader: _Reader, option: Option, raw: RawValue) -> str:
    if isinstance(raw, list | tuple):
        reader.say(f"{reader.label}: :{option.name}: takes text, not a list", option.name)
        return ", ".join(str(v) for v in raw)
    return "" if raw is None else str(raw).strip()


def _numbers(reader: _Reader, option: Option, raw: RawValue) -> tuple[str, ...]:
    tokens = [str(raw)] if isinstance(raw, int) else _entries(raw, split_ids)
    numbers = []
    for token in tokens:
        match = _NUMBER.match(token)
        if match:
            numbers.append(match.group(1))
        else:
            reader.say(f"{reader.label}: :{option.name}: takes numbers, not {token!r}", option.name)
    return tuple(numbers)


def _date(reader: _Reader, option: Option, raw: RawValue) -> dt.date | None:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    text = str(raw).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        reader.say(
            f"{reader.label}: :{option.name}: {text!r} is not a valid date (YYYY-MM-DD)",
            option.name,
        )
        return None


def _choice_value(reader: _Reader, option: Option, raw: RawValue, vocabulary: Vocabulary) -> Any:
    """Values of a vocabulary, matched case-insensitively (``High`` from another
    tool is ``high``) and kept in the configured spelling."""
    allowed = vocabulary.allowed(option.vocabulary or "")
    spelling = {value.casefold(): value for value in reversed(allowed)}
    several = option.type is OptionType.CHOICES
    chosen = _entries(raw, split_list) if several else [str(raw).strip()]
    good = []
    for value in chosen:
        known = spelling.get(value.casefold())
        if known is not None:
            good.append(known)
        else:
            reader.say(
                f"{reader.label}: {value!r} is not an allowed :{option.name}: (allowed: "
                f"{', '.join(allowed)}){did_you_mean(value, allowed)}",
                option.name,
            )
    if several:
        return tuple(dict.fromkeys(good))
    return good[0] if good else None


def check_item(
    reader: _Reader,
    values: dict[str, Any],
    given: Mapping[str, RawValue],
    vocabulary: Vocabulary,
    *,
    has_body: bool,
    unreadable: Collection[str] = (),
) -> None:
    """Problems of the item as a whole: required options, and each kind's own rules.

    Completes ``values`` where a rule derives one (a severity from the risk
    matrix; an unknown effect counts as partial).  A value given but unusable
    was reported already: nothing that follows from it is reported again.
    """
    label = reader.label
    for option in OPTIONS[reader.kind]:
        if option.name in unreadable:
            continue
        if option.required and option.type is not OptionType.ID and not values.get(option.field):
            if option.name not in given:
                reader.say(f"{label} needs :{option.name}:")
            elif _is_blank(given[option.name]):
                reader.say(f"{label}: :{option.name}: is empty", option.name)
    if reader.kind is Kind.THREAT:
        if not {"severity", "likelihood", "impact"} & set(unreadable):
            _check_severity(reader, values, vocabulary)
    elif reader.kind is Kind.MITIGATION:
        # only a status the user wrote as planned needs a date: a missing or
        # unknown one (it counts as planned) is its own warning already
        status = values.get("status")
        if status in ("planned", "in-progress") and "due" not in given:
            reader.say(f"{label} is {status} and needs a :due: date")
        if values.get("effect") is None and "effect" in given:
            values["effect"] = "unknown"  # an unknown effect counts as partial
        if values.get("effect") is None:
            values.pop("effect", None)
    elif reader.kind is Kind.NOT_APPLICABLE and not has_body:
        reader.say(f"{label} needs a justification in its body")


def _check_severity(reader: _Reader, values: dict[str, Any], vocabulary: Vocabulary) -> None:
    """A threat's severity: declared, else derived from the risk matrix, else a problem."""
    if values.get("severity"):
        return
    likelihood, impact = values.get("likelihood"), values.get("impact")
    matrix = vocabulary.risk_matrix
    if likelihood and impact and matrix is not None:
        derived = matrix.get(likelihood, {}).get(impact)
        if derived in vocabulary.severities:
            values["severity"] = derived
            return
        reader.say(
            f"{reader.label}: threats_risk_matrix has no severity for likelihood "
            f"{likelihood!r} and impact {impact!r}"
        )
        return
    if "severity" not in values:
        reader.say(
            f"{reader.label} needs :severity: (or :likelihood: and :impact: with "
            "threats_risk_matrix); it counts as the most severe until then"
        )
