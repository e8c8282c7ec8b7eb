"""Raw option values to an item record: coerce each value, then check the item.

Pure (no Sphinx): the directives, the YAML catalogues and other projects'
``threats.json`` hand raw option values (strings, or typed YAML data) to
:func:`parse_item`, which returns the record and every problem found.

Parsing is permissive: a bad value is a problem (reported as
``threats.invalid`` at its line) and the item is still built from what is
usable, so nothing is ever dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Collection, Mapping
from typing import Any

from .._util import did_you_mean as did_you_mean  # re-exported: its home before _util
from ..model import ITEM_CLASSES, GapKind, Item, Kind, Location, Problem
from .options import ID_RE, OPTIONS, OPTIONS_BY_NAME, Option, OptionType, Vocabulary
from .syntax import split_ids, split_list

# ASCII digits only: ``\d`` also takes the digits of other scripts (Arabic-Indic,
# full-width), which name no catalogue entry
_NUMBER = re.compile(r"(?:(?:CWE|CAPEC)-)?([0-9]+)\Z", re.IGNORECASE)

#: Kinds whose ``:service:`` defaults to the service declared earlier on the page.
PAGE_SERVICE_KINDS = frozenset({Kind.THREAT, Kind.MITIGATION, Kind.DATA_STORE})

#: How a flag option may be written (YAML gives a bool; an rST flag no value).
_FLAG_VALUES = {"": True, "true": True, "yes": True, "on": True}
_FLAG_VALUES.update({"false": False, "no": False, "off": False})

#: Types whose blank value is a problem of its own.
_SINGLE_VALUE_TYPES = frozenset({OptionType.REF, OptionType.DATE, OptionType.CHOICE})


@functools.cache
def _field_defaults(kind: Kind) -> dict[str, Any]:
    """The record's default of each field of ``kind`` (what an option left
    unread stands for: ``None``, ``""``, ``()``, ``False``)."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(ITEM_CLASSES[kind]):
        if f.default is not dataclasses.MISSING:
            found[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = f.default_factory()
    return found


def placeholder_id(location: Location) -> str:
    """The ID of an item whose source gave none."""
    return f"@{location.file}:{location.lineno}"


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
    digest: str = "",
) -> tuple[Item, list[Problem]]:
    """Build the record of one item from raw option values.

    Every source (a directive, a YAML catalogue, another tool's model) comes
    through here, so all get the same validation: values are *coerced* to
    field values option by option, then the item is *checked* as a whole.
    Options named in ``unreadable`` were given but could not be read (their
    source already reported why): they count as given and nothing more is
    said of them.  ``digest`` is the one another project's file records for
    the item (see :attr:`.Item.digest`).  Returns the record (always) and the
    problems found.
    """
    raw_id = str(options.get("id") or "").strip()
    ident = raw_id or placeholder_id(location)
    label = f"{kind.value} {ident!r}" if raw_id else f"{kind.value} {title.strip()!r}"
    reader = _Reader(kind, ident, label, location, option_lines)
    _check_header(reader, raw_id, title)
    values = coerce_options(
        reader, {k: v for k, v in options.items() if k not in unreadable}, vocabulary
    )
    defaults = _field_defaults(kind)
    for name in unreadable:
        option = OPTIONS_BY_NAME[kind].get(name)
        # an unreadable value takes its field's default (the ID: the placeholder)
        if option is not None and option.type is not OptionType.ID:
            values[option.field] = defaults.get(option.field)
    given = {**dict.fromkeys(unreadable), **options}
    check_item(reader, values, given, vocabulary, has_body=has_body, unreadable=unreadable)
    if kind in PAGE_SERVICE_KINDS and "service" not in options and default_service:
        values["service"] = default_service
    item = ITEM_CLASSES[kind](
        id=ident,
        title=title.strip() or ident,
        location=location,
        option_lines=tuple(sorted(reader.lines.items())),
        digest=digest,
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
        case OptionType.TEXT:
            return _text(reader, option, raw)
        case OptionType.LINES:
            lines = raw if isinstance(raw, list | tuple) else str(raw or "").splitlines()
            return "\n".join(text for v in lines if (text := str(v).strip()))
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
        case OptionType.FLAG:
            return _flag(reader, option, raw)
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


def _flag(reader: _Reader, option: Option, raw: RawValue) -> bool:
    """A flag: given with no value (rST, MyST) or a true one; ``false`` turns it off."""
    if isinstance(raw, bool):
        return raw
    value = _FLAG_VALUES.get("" if raw is None else str(raw).strip().lower())
    if value is None:
        reader.say(
            f"{reader.label}: :{option.name}: is a flag: give it with no value "
            f"(or true/false), not {_shown(raw)}",
            option.name,
        )
        return True
    return value


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
            allowed = _allowed_values(option, vocabulary)
            if option.name not in given:
                reader.say(f"{label} needs :{option.name}:{allowed}")
            elif _is_blank(given[option.name]):
                reader.say(f"{label}: :{option.name}: is empty{allowed}", option.name)
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
    elif reader.kind is Kind.NOT_APPLICABLE:
        _check_not_applicable(reader, given, has_body)


def _check_not_applicable(reader: _Reader, given: Mapping[str, RawValue], has_body: bool) -> None:
    """Threats excluded, or (with ``:elements:``) categories decided for elements."""
    label = reader.label
    if not has_body:
        reader.say(f"{label} needs a justification in its body")
    if "elements" in given:
        if "categories" not in given:
            reader.say(f"{label} names :elements: and needs :categories: (the ones decided)")
        for other in ("threats", "service"):
            if other in given:
                reader.say(
                    f"{label}: :{other}: does not go with :elements: (a decision about "
                    "elements names no threat and no service); write two not-applicables",
                    other,
                )
    elif "categories" in given:
        reader.say(
            f"{label}: :categories: goes with :elements: (the elements no threat of those "
            "categories applies to)",
            "categories",
        )
    elif "threats" not in given:
        reader.say(f"{label} needs :threats: (or :elements: and :categories:)")
    elif _is_blank(given["threats"]):
        reader.say(f"{label}: :threats: is empty", "threats")


def _allowed_values(option: Option, vocabulary: Vocabulary) -> str:
    """`` (one of: a, b)`` for an enumerated option, so that a message about a
    missing value says what to write; ``""`` for any other option."""
    if not option.vocabulary:
        return ""
    return f" (one of: {', '.join(vocabulary.allowed(option.vocabulary))})"


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
        # not a mistake in what was written but a decision not yet taken: the
        # threat is unrated (SPEC), its own gap kind, at the threat
        why = "needs both" if bool(likelihood) != bool(impact) else "needs threats_risk_matrix"
        how = f" (:likelihood: and :impact: {why})" if likelihood or impact else ""
        message = (
            f"{reader.label} has no severity{how}: add :severity: (or :likelihood: and "
            ":impact: with threats_risk_matrix); until then it is unrated and ranks as "
            "the most severe"
        )
        reader.problems.append(Problem(GapKind.UNRATED, message, reader.location, (reader.ident,)))
