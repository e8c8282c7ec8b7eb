"""The options of every item directive, declared once, and their parsing.

Pure (no Sphinx): the directives and, later, the YAML catalogues hand raw
option strings to :func:`parse_item`, which returns the record and every
problem found.  Parsing is permissive: a bad value is a problem (reported as
``threats.invalid`` at its line) and the item is still built from what is
usable, so nothing is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

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

ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_SPLIT_IDS = re.compile(r"[,\s]+")
_NUMBER = re.compile(r"(?:(?:CWE|CAPEC)-)?(\d+)\Z", re.IGNORECASE)


class Option(NamedTuple):
    """One directive option."""

    #: Option name, as written (``applies-to``).
    name: str
    #: Value type: ``text``, ``url``, ``ref`` (one ID), ``refs`` (ID list),
    #: ``scope`` (ID list with ``*`` and ``!ID``), ``date``, ``tags``,
    #: ``numbers``, or ``choice:<vocabulary>``; ``choices:`` takes several.
    type: str
    #: What the option says, for the reference.
    help: str
    #: Kind of item the IDs name (``ref``/``refs``/``scope``).
    target: Kind | None = None
    required: bool = False


_COMMON = (
    Option(
        "id", "id", "Unique ID: a letter, then letters, digits, ``-``, ``_``, ``.``.", required=True
    ),
    Option("tags", "tags", "Comma-separated tags (a tag may contain spaces)."),
)

#: Options of each item directive (besides the title argument).
OPTIONS: dict[Kind, tuple[Option, ...]] = {
    Kind.THREAT_ACTOR: (
        *_COMMON,
        Option("description", "text", "A one-line description."),
    ),
    Kind.SERVICE: (
        *_COMMON,
        Option("owner", "text", "Owning team or person."),
        Option("exposed-to", "refs", "Product threats this service is in scope for.", Kind.THREAT),
        Option(
            "relies-on",
            "refs",
            "Platform mitigations this service uses; they cover its pairs.",
            Kind.MITIGATION,
        ),
        Option(
            "depends-on",
            "refs",
            "Services this one depends on (shown, not analysed).",
            Kind.SERVICE,
        ),
    ),
    Kind.THREAT: (
        *_COMMON,
        Option("category", "choices:categories", "One or more of ``threats_categories``."),
        Option(
            "severity",
            "choice:severities",
            "One of ``threats_severities``; required "
            "unless derived from ``:likelihood:`` and ``:impact:``.",
        ),
        Option("likelihood", "choice:likelihoods", "One of ``threats_likelihoods``."),
        Option("impact", "choice:impacts", "One of ``threats_impacts``."),
        Option("actors", "refs", "Threat actor IDs.", Kind.THREAT_ACTOR),
        Option(
            "service",
            "ref",
            "Owning service (default: the service declared earlier on "
            "the page, else product level).",
            Kind.SERVICE,
        ),
        Option(
            "applies-to",
            "scope",
            "Services in scope: IDs, ``*`` for every service, ``!ID`` removes one.",
            Kind.SERVICE,
        ),
        Option("cwe", "numbers", "CWE numbers, linked to the public catalogue."),
        Option("capec", "numbers", "CAPEC numbers, linked to the public catalogue."),
    ),
    Kind.MITIGATION: (
        *_COMMON,
        Option("mitigates", "refs", "Threat IDs.", Kind.THREAT, required=True),
        Option(
            "status",
            "choice:statuses",
            "``planned``, ``in-progress``, ``implemented`` or ``verified``.",
            required=True,
        ),
        Option("due", "date", "Due date (required for ``planned`` and ``in-progress``)."),
        Option("effect", "choice:effects", "``full`` (default) or ``partial``."),
        Option("service", "ref", "Owning service (default as for threats).", Kind.SERVICE),
        Option(
            "applies-to", "scope", "Services this control covers besides its own.", Kind.SERVICE
        ),
        Option("owner", "text", "Owning team or person."),
        Option("verified-by", "url", "A test, ticket or audit (text or an http(s) URL)."),
    ),
    Kind.RISK_ACCEPTANCE: (
        *_COMMON,
        Option("threats", "refs", "Threat IDs accepted.", Kind.THREAT, required=True),
        Option("service", "ref", "Accept only for this service (no page default).", Kind.SERVICE),
        Option("owner", "text", "Who owns the risk.", required=True),
        Option("expires", "date", "Valid through this date.", required=True),
        Option("approved-by", "text", "Who approved it."),
        Option("residual-severity", "choice:severities", "Severity that remains."),
    ),
    Kind.NOT_APPLICABLE: (
        *_COMMON,
        Option("threats", "refs", "Threat IDs excluded.", Kind.THREAT, required=True),
        Option(
            "service",
            "ref",
            "Exclude only for this service (no page default); absent "
            "means out of scope for the whole product.",
            Kind.SERVICE,
        ),
        Option("owner", "text", "Who owns the decision."),
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
    #: Index of each option's line.
    line_index: dict[str, int]
    #: Options given again: (name, index of the repeated line); the first wins.
    repeated: list[tuple[str, int]]
    #: How many lines were options.
    used: int


def parse_option_lines(lines: Sequence[str]) -> OptionLines:
    """Options from ``:name: value`` lines (a value may go on over indented lines).

    Parsing stops at the first line that is neither an option nor a
    continuation.
    """
    options: dict[str, str] = {}
    index: dict[str, int] = {}
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
                index[name] = position
        elif line[:1] in (" ", "\t") and line.strip():
            if current is not None:
                options[current] = f"{options[current]}\n{line.strip()}".strip()
        else:
            break
        used = position + 1
    return OptionLines(options, index, repeated, used)


def parse_yaml_options(text: str) -> tuple[dict[str, str], str | None]:
    """Options from a MyST ``---`` block: values as the strings the option
    parser expects (lists comma-joined, dates ISO).  Returns the options and
    an error message when the block is not a YAML mapping."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as err:
        return {}, f"the options block is not valid YAML ({err.__class__.__name__})"
    if not isinstance(data, dict):
        return {}, "the options block is not a YAML mapping of option names to values"
    return {str(k): _yaml_text(v) for k, v in data.items()}, None


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


def placeholder_id(location: Location) -> str:
    """The ID of an item whose source gave none."""
    return f"@{location.file}:{location.lineno}"


def parse_item(
    kind: Kind,
    title: str,
    options: Mapping[str, str],
    location: Location,
    vocabulary: Vocabulary,
    *,
    option_lines: Mapping[str, int] | None = None,
    has_body: bool = True,
    default_service: str | None = None,
) -> tuple[Item, list[Problem]]:
    """Build the record of one item from raw option strings.

    Returns the record (always) and the problems found, each located at the
    option's line when known.
    """
    lines = dict(option_lines or {})
    problems: list[Problem] = []
    spec = {o.name: o for o in OPTIONS[kind]}

    def problem(message: str, option: str | None = None, ids: tuple[str, ...] = ()) -> None:
        line = lines.get(option, location.lineno) if option else location.lineno
        where = Location(location.file, line, location.docname)
        problems.append(Problem(GapKind.INVALID, message, where, ids))

    raw_id = (options.get("id") or "").strip()
    ident = raw_id or placeholder_id(location)
    label = f"{kind.value} {ident!r}" if raw_id else f"{kind.value} {title.strip()!r}"
    if not raw_id:
        problem(
            f"{label} has no :id:; add a unique :id: (listed as {ident!r} until then)",
            "id",
            (ident,),
        )
    elif not ID_RE.match(raw_id) or not raw_id.isascii():
        problem(
            f"{label}: malformed ID; an ID starts with a letter, then ASCII letters, "
            "digits, '-', '_' or '.'",
            "id",
            (ident,),
        )
    if not title.strip():
        problem(f"{label} has no title; write it after the directive name", None, (ident,))

    values: dict[str, Any] = {}
    for name, raw in options.items():
        if name == "id":
            continue
        opt = spec.get(name)
        if opt is None:
            problem(
                f"{label}: unknown option :{name}: (allowed: {', '.join(sorted(spec))})",
                name,
                (ident,),
            )
            continue
        raw = raw or ""
        key = name.replace("-", "_")
        if not raw.strip() and (opt.type in ("ref", "date") or opt.type.startswith("choice:")):
            # one problem for a blank value (for required options: below)
            if not opt.required:
                problem(f"{label}: :{name}: is empty", name, (ident,))
            values[key] = None
            continue
        if opt.type in ("text", "url"):
            values[key] = raw.strip()
        elif opt.type == "ref":
            refs = split_ids(raw)
            if len(refs) != 1:
                problem(
                    f"{label}: :{name}: takes exactly one ID, not {raw.strip()!r}", name, (ident,)
                )
            values[key] = refs[0] if refs else None
        elif opt.type in ("refs", "scope"):
            ids = split_ids(raw)
            if opt.type == "scope" and "!" in ids:
                problem(
                    f"{label}: :{name}: has a '!' with no service ID after it "
                    "(write '!ID' to take a service out of scope)",
                    name,
                    (ident,),
                )
                ids = [i for i in ids if i != "!"]
            values[key] = tuple(dict.fromkeys(ids))
        elif opt.type == "tags":
            values[key] = tuple(dict.fromkeys(split_list(raw)))
        elif opt.type == "numbers":
            numbers = []
            for token in split_ids(raw):
                match = _NUMBER.match(token)
                if match:
                    numbers.append(match.group(1))
                else:
                    problem(f"{label}: :{name}: takes numbers, not {token!r}", name, (ident,))
            values[key] = tuple(numbers)
        elif opt.type == "date":
            values[key] = _parse_date(raw, name, label, problem, ident)
        elif opt.type.startswith("choice"):
            allowed = vocabulary.allowed(opt.type.split(":", 1)[1])
            chosen = split_list(raw) if opt.type.startswith("choices") else [raw.strip()]
            good = []
            for value in chosen:
                if value in allowed:
                    good.append(value)
                else:
                    problem(
                        f"{label}: {value!r} is not an allowed :{name}: (allowed: "
                        f"{', '.join(allowed)})",
                        name,
                        (ident,),
                    )
            if opt.type.startswith("choices"):
                values[key] = tuple(good)
            else:
                values[key] = good[0] if good else None

    for opt in OPTIONS[kind]:
        if opt.required and opt.name != "id" and not values.get(opt.name.replace("-", "_")):
            if opt.name not in options:
                problem(f"{label} needs :{opt.name}:", None, (ident,))
            elif not (options[opt.name] or "").strip():
                problem(f"{label}: :{opt.name}: is empty", opt.name, (ident,))

    if kind is Kind.THREAT:
        _finish_threat(values, vocabulary, label, problem, ident)
    if kind is Kind.MITIGATION:
        status = values.get("status")
        if status is None and "status" not in options:
            pass  # reported above; counts as planned
        if status in ("planned", "in-progress", None) and "due" not in options:
            problem(f"{label} is {status or 'planned'} and needs a :due: date", None, (ident,))
        if values.get("effect") is None and "effect" in options:
            values["effect"] = "unknown"  # an unknown effect counts as partial
    if kind is Kind.NOT_APPLICABLE and not has_body:
        problem(f"{label} needs a justification in its body", None, (ident,))
    if kind in (Kind.THREAT, Kind.MITIGATION) and "service" not in options and default_service:
        values["service"] = default_service
    if values.get("effect") is None:
        values.pop("effect", None)

    cls = ITEM_CLASSES[kind]
    item = cls(
        id=ident,
        title=title.strip() or ident,
        location=location,
        option_lines=tuple(sorted(lines.items())),
        **values,
    )
    return item, problems


def _parse_date(raw: str, name: str, label: str, problem: Any, ident: str) -> dt.date | None:
    text = raw.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        problem(f"{label}: :{name}: {text!r} is not a valid date (YYYY-MM-DD)", name, (ident,))
        return None


def _finish_threat(
    values: dict[str, Any], vocabulary: Vocabulary, label: str, problem: Any, ident: str
) -> None:
    if values.get("severity"):
        return
    likelihood, impact = values.get("likelihood"), values.get("impact")
    matrix = vocabulary.risk_matrix
    if likelihood and impact and matrix is not None:
        derived = matrix.get(likelihood, {}).get(impact)
        if derived in vocabulary.severities:
            values["severity"] = derived
            return
        problem(
            f"{label}: threats_risk_matrix has no severity for likelihood "
            f"{likelihood!r} and impact {impact!r}",
            None,
            (ident,),
        )
        return
    if "severity" not in values:
        problem(
            f"{label} needs :severity: (or :likelihood: and :impact: with "
            "threats_risk_matrix); it counts as the most severe until then",
            None,
            (ident,),
        )
