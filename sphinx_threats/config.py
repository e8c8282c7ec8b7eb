"""Every ``conf.py`` value, declared once: name, default, rebuild kind, help, check.

The reference documentation is generated from :data:`CONFIG_VALUES`; a value
of the wrong type or shape is reported (``threats.invalid`` at ``conf.py``)
and replaced by its default, so a typo in ``conf.py`` never stops a build.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .digest import DEFAULT_REVIEW_FIELDS, REVIEW_FIELDS
from .model import DEFAULT_SEVERITIES, MITIGATION_STATUSES, STRIDE_CATEGORIES, GapKind

#: The default ``threats_categories``: the STRIDE IDs.
STRIDE = list(STRIDE_CATEGORIES)

DEFAULT_FAIL_ON = [
    GapKind.UNMITIGATED.value,
    GapKind.SERVICE_GAP.value,
    GapKind.OVERDUE_MITIGATION.value,
    GapKind.EXPIRED_ACCEPTANCE.value,
    GapKind.UNKNOWN_REF.value,
    GapKind.DUPLICATE_ID.value,
    GapKind.INVALID.value,
]


class Invalid(ValueError):
    """A configuration value is of the wrong type or shape."""


Check = Callable[[Any, Mapping[str, Any]], Any]


class ConfigValue(NamedTuple):
    """One ``conf.py`` value of the extension."""

    #: The name in ``conf.py``.
    name: str
    #: The default (plain data: it pickles).
    default: Any
    #: Sphinx rebuild kind: ``"env"`` re-reads every document (the value
    #: changes how items are read); ``""`` re-reads nothing, because the
    #: analysis runs on every build and rewrites the pages whose shown
    #: content changed.
    rebuild: str
    #: Human description of the accepted type, for the reference.
    type_help: str
    #: What the value does.
    help: str
    #: Normalises a value or raises :class:`Invalid`; it sees the other
    #: values already checked (declaration order).
    check: Check
    #: Types announced to Sphinx.  ``Any``: our own check replaces Sphinx's
    #: type warning (a bad value is ``threats.invalid`` and falls back).
    types: Any = Any


def _str_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} must be a list of strings, not {value!r}")
    return [v.strip() for v in value if v.strip()]


def _non_empty_list(name: str) -> Check:
    def check(value: Any, seen: Mapping[str, Any]) -> list[str]:
        items = _str_list(value, name)
        if not items:
            raise Invalid(f"{name} must not be empty")
        if len(set(items)) != len(items):
            raise Invalid(f"{name} lists a value twice: {items!r}")
        return items

    return check


def _check_categories(value: Any, seen: Mapping[str, Any]) -> list[str] | dict[str, str]:
    if isinstance(value, dict):
        if not value or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise Invalid(
                "threats_categories must be a non-empty list of strings or a dict "
                f"of id -> label strings, not {value!r}"
            )
        return {str(k): str(v) for k, v in value.items()}
    categories: list[str] = _non_empty_list("threats_categories")(value, seen)
    return categories


def _gap_kinds(name: str) -> Check:
    def check(value: Any, seen: Mapping[str, Any]) -> list[str]:
        if value == "":
            return []  # ``threats_fail_on = ""``, like ``-D threats_fail_on=``: none
        kinds = _str_list(value, name)
        unknown = [k for k in kinds if k not in GapKind._value2member_map_]
        if unknown:
            raise Invalid(
                f"{name} names unknown gap kinds {unknown!r}; known kinds: "
                + ", ".join(k.value for k in GapKind)
            )
        return sorted(set(kinds), key=kinds.index)

    return check


_check_fail_on = _gap_kinds("threats_fail_on")


def _check_min_severity(value: Any, seen: Mapping[str, Any]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in seen["threats_severities"]:
        raise Invalid(
            f"threats_fail_min_severity must be one of threats_severities "
            f"{seen['threats_severities']!r} or None, not {value!r}"
        )
    return value


def _check_risk_matrix(value: Any, seen: Mapping[str, Any]) -> dict[str, dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(
            f"threats_risk_matrix must be a dict {{likelihood: {{impact: severity}}}}, "
            f"not {value!r}"
        )
    out: dict[str, dict[str, str]] = {}
    for likelihood, row in value.items():
        if likelihood not in seen["threats_likelihoods"]:
            raise Invalid(
                f"threats_risk_matrix names unknown likelihood {likelihood!r} "
                f"(threats_likelihoods: {seen['threats_likelihoods']!r})"
            )
        if not isinstance(row, dict):
            raise Invalid(f"threats_risk_matrix[{likelihood!r}] must be a dict, not {row!r}")
        for impact, severity in row.items():
            if impact not in seen["threats_impacts"]:
                raise Invalid(
                    f"threats_risk_matrix[{likelihood!r}] names unknown impact {impact!r} "
                    f"(threats_impacts: {seen['threats_impacts']!r})"
                )
            if severity not in seen["threats_severities"]:
                raise Invalid(
                    f"threats_risk_matrix[{likelihood!r}][{impact!r}] names unknown "
                    f"severity {severity!r} (threats_severities: {seen['threats_severities']!r})"
                )
        out[likelihood] = dict(row)
    return out


def _check_bool(name: str) -> Check:
    def check(value: Any, seen: Mapping[str, Any]) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1, "0", "1", "true", "false", "True", "False", ""):
            return str(value).lower() in ("1", "true")
        raise Invalid(f"{name} must be True or False, not {value!r}")

    return check


def _check_days(value: Any, seen: Mapping[str, Any]) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"threats_expiry_notice_days must be a whole number >= 0, not {value!r}")
    return value


def _check_today(value: Any, seen: Mapping[str, Any]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise Invalid(f"threats_today must be an ISO date 'YYYY-MM-DD' or None, not {value!r}")


def _check_catalogs(value: Any, seen: Mapping[str, Any]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return _str_list(value, "threats_catalogs")


#: What names an external model (it prefixes IDs: ``product:TM-1``).
EXTERNAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*\Z")


class Source(NamedTuple):
    """One source of ``threats_external`` or ``threats_aggregate``, checked."""

    #: Where that project's pages are (``""``: a URL's directory, or unlinked).
    base_url: str
    #: A path (relative to conf.py) or an http(s) URL of its ``threats.json``.
    source: str
    #: The pinned SHA-256 of the file (64 hex digits, lower case; ``""``: not pinned).
    sha256: str = ""


_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def _source(name: str, key: Any, source: Any) -> list[str]:
    """One source, as the plain list ``[base_url, source, sha256]`` (it pickles)."""
    if isinstance(source, str) and source.strip():
        return ["", source.strip(), ""]
    if (
        isinstance(source, list | tuple)
        and len(source) == 2
        and all(isinstance(part, str) for part in source)
        and source[1].strip()
    ):
        return [source[0].strip(), source[1].strip(), ""]
    if isinstance(source, dict) and set(source) <= {"source", "base_url", "sha256"}:
        path, base, pin = source.get("source"), source.get("base_url", ""), source.get("sha256", "")
        pin = pin.strip().lower().removeprefix("sha256:") if isinstance(pin, str) else pin
        if (
            isinstance(path, str)
            and path.strip()
            and isinstance(base, str)
            and isinstance(pin, str)
            and (not pin or _SHA256.match(pin))
        ):
            return [base.strip(), path.strip(), pin]
    raise Invalid(
        f"{name}[{key!r}] must be a path or URL of a threats.json, a pair "
        "(base_url, path_or_url), or a dict {'source': ..., 'base_url': ..., 'sha256': "
        f"64 hex digits}}, not {source!r}"
    )


def _check_sources(name: str) -> Check:
    """``{name: source}`` -> ``{name: [base_url, source, sha256]}``."""

    def check(value: Any, seen: Mapping[str, Any]) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            raise Invalid(f"{name} must be a dict {{name: source}}, not {value!r}")
        out: dict[str, list[str]] = {}
        for key, source in value.items():
            if not isinstance(key, str) or not EXTERNAL_NAME.match(key):
                raise Invalid(
                    f"{name}: the name {key!r} must be a letter, then letters, digits, "
                    "'-' or '_' (it prefixes IDs, as in 'product:TM-1')"
                )
            out[key] = _source(name, key, source)
        return out

    return check


#: What a ``threats_project_id`` may be: it prefixes IDs in ``threats.json``.
PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")


def project_slug(project: str) -> str:
    """The default ``threats_project_id`` of a project named ``project``: lower
    case, every run of characters other than letters and digits a ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-") or "project"


def _check_project_id(value: Any, seen: Mapping[str, Any]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and PROJECT_ID.match(value.strip()):
        return value.strip()
    raise Invalid(
        "threats_project_id must be a letter or digit, then letters, digits, '-', '_' or "
        f"'.' (it prefixes IDs in threats.json, as in 'product:TM-1'), not {value!r}"
    )


def _check_timeout(value: Any, seen: Mapping[str, Any]) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            if number > 0:
                return number
    raise Invalid(f"threats_external_timeout must be a positive number of seconds, not {value!r}")


def _check_export(value: Any, seen: Mapping[str, Any]) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        if value.strip().lower() in ("0", "false", "no", "off"):
            return False
        if value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        return value.strip()
    raise Invalid(f"threats_export must be True, False or a path string, not {value!r}")


#: Default ``threats_needs_status``: a need's ``status`` (lower case) -> a
#: mitigation status; an unmapped status counts as ``planned``.
DEFAULT_NEEDS_STATUS = {
    "open": "planned",
    "planned": "planned",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "implemented": "implemented",
    "done": "implemented",
    "closed": "implemented",
    "verified": "verified",
    "passed": "verified",
}


def _check_needs_status(value: Any, seen: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Invalid(f"threats_needs_status must be a dict of str -> str, not {value!r}")
    wrong = {k: v for k, v in value.items() if v.strip().lower() not in MITIGATION_STATUSES}
    if wrong:
        raise Invalid(
            f"threats_needs_status maps to unknown mitigation statuses {wrong!r} "
            f"(allowed: {', '.join(MITIGATION_STATUSES)})"
        )
    return {k.strip().lower(): v.strip().lower() for k, v in value.items()}


def _check_review_fields(value: Any, seen: Mapping[str, Any]) -> list[str]:
    fields = _str_list(value, "threats_review_fields")
    unknown = [f for f in fields if f not in REVIEW_FIELDS]
    if unknown:
        raise Invalid(
            f"threats_review_fields names unknown fields {unknown!r} "
            f"(allowed: {', '.join(REVIEW_FIELDS)})"
        )
    return sorted(set(fields), key=fields.index)


#: The extension's configuration, in checking order (later checks may use
#: earlier values: severities before the risk matrix).
CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        "threats_fail_on",
        DEFAULT_FAIL_ON,
        "",
        "list of gap kinds",
        "Gap kinds that fail the build (exit status 1). ``-D threats_fail_on=`` "
        "(empty) means none.",
        _check_fail_on,
    ),
    ConfigValue(
        "threats_categories",
        STRIDE,
        "env",
        "list of str, or dict id -> label",
        "Allowed ``:category:`` values (STRIDE by default; LINDDUN is a documented alternative).",
        _check_categories,
    ),
    ConfigValue(
        "threats_severities",
        list(DEFAULT_SEVERITIES),
        "env",
        "list of str",
        "Allowed ``:severity:`` values, most severe first.",
        _non_empty_list("threats_severities"),
    ),
    ConfigValue(
        "threats_fail_min_severity",
        None,
        "",
        "str or None",
        'When set (e.g. ``"high"``), gaps on threats less severe than this warn but do not '
        "fail the build.",
        _check_min_severity,
    ),
    ConfigValue(
        "threats_likelihoods",
        ["high", "medium", "low"],
        "env",
        "list of str",
        "Allowed ``:likelihood:`` values, most likely first.",
        _non_empty_list("threats_likelihoods"),
    ),
    ConfigValue(
        "threats_impacts",
        ["high", "medium", "low"],
        "env",
        "list of str",
        "Allowed ``:impact:`` values, worst first.",
        _non_empty_list("threats_impacts"),
    ),
    ConfigValue(
        "threats_risk_matrix",
        None,
        "env",
        "dict or None",
        "Nested dict ``{likelihood: {impact: severity}}``; a threat with both and no "
        "``:severity:`` gets its severity from here.",
        _check_risk_matrix,
    ),
    ConfigValue(
        "threats_acceptance_requires_approval",
        False,
        "",
        "bool",
        "Risk acceptances must name ``:approved-by:``; one without accepts nothing.",
        _check_bool("threats_acceptance_requires_approval"),
        frozenset({bool, str}),
    ),
    ConfigValue(
        "threats_expiry_notice_days",
        30,
        "",
        "int",
        "Report ``expiring-acceptance`` this many days ahead.",
        _check_days,
    ),
    ConfigValue(
        "threats_today",
        None,
        "",
        "ISO date str or None",
        "The date used for every date check (for reproducible builds); default: the build date.",
        _check_today,
    ),
    ConfigValue(
        "threats_catalogs",
        [],
        "",
        "list of str (paths or glob patterns)",
        "YAML catalogues declaring items in bulk: paths or glob patterns relative to "
        "``conf.py``. A changed catalogue rebuilds what shows its items.",
        _check_catalogs,
    ),
    ConfigValue(
        "threats_external",
        {},
        "",
        "dict name -> path, URL, (base_url, path_or_url) or dict",
        "Other projects' ``threats.json`` whose items this project references (``ID`` or "
        "``name:ID``) and answers: a path relative to ``conf.py``, an http(s) URL, a pair "
        "``(base_url, path_or_url)`` as in ``intersphinx_mapping``, or ``{'source': ..., "
        "'base_url': ..., 'sha256': ...}`` (a pinned file: a digest mismatch is ``invalid``, "
        "and no cached copy stands in); links go to ``base_url`` (for a URL alone, its "
        "directory) plus each item's ``uri``.",
        _check_sources("threats_external"),
    ),
    ConfigValue(
        "threats_external_timeout",
        10,
        "",
        "number (seconds)",
        "How long a fetch of an external or member model by URL may take in all "
        "(connection, redirects and body together); when it cannot be fetched, the copy "
        "cached by the last build is used, with an ``unreachable-source`` gap.",
        _check_timeout,
    ),
    ConfigValue(
        "threats_aggregate",
        {},
        "",
        "dict name -> path, URL, (base_url, path_or_url) or dict",
        "Member projects whose answers this project collects (source shapes as for "
        "``threats_external``): their own items join this project's analysis as if declared "
        "here, located at the member's file and line and linked to its pages.",
        _check_sources("threats_aggregate"),
    ),
    ConfigValue(
        "threats_aggregate_fail_on",
        [],
        "",
        "list of gap kinds",
        "Gap kinds that fail this build when located in a member project (a member's gaps "
        "are listed and logged at info level, never as warnings).",
        _gap_kinds("threats_aggregate_fail_on"),
    ),
    ConfigValue(
        "threats_project_id",
        None,
        "",
        "str or None",
        "This project's stable name in every ``threats.json`` it writes, used by other "
        "projects to resolve references to its items (``project-id:ID``); default: "
        "``project``, lower-cased, runs of other characters than letters and digits as ``-``.",
        _check_project_id,
    ),
    ConfigValue(
        "threats_export",
        True,
        "",
        "bool or str",
        "Write ``threats.json`` into the output directory (``True``), not at all "
        "(``False``), or to this path (relative to the output directory, or absolute), "
        "to keep it out of a published tree. An ``epub`` build writes it beside the "
        "``.epub``, never into the book.",
        _check_export,
        # a bool default makes Sphinx refuse ``-D threats_export=path`` unless
        # str is announced too
        frozenset({bool, str}),
    ),
    ConfigValue(
        "threats_needs_status",
        DEFAULT_NEEDS_STATUS,
        "",
        "dict str -> mitigation status",
        "With sphinx-needs: a need's ``status`` (matched case-insensitively) -> the "
        "mitigation status it counts as when the need ``mitigates`` a threat; an unmapped "
        "status counts as ``planned``.",
        _check_needs_status,
    ),
    ConfigValue(
        "threats_review_fields",
        list(DEFAULT_REVIEW_FIELDS),
        "",
        "list of str",
        "What a threat's review digest covers besides its kind and ID (the effective "
        "severity, categories as a set, the body's text with whitespace collapsed); a "
        "threat's ``:revision:`` replaces them. A changed digest makes the decisions "
        "answering the threat ``suspect-link`` (see ``threats_lock``).",
        _check_review_fields,
    ),
)


def validate(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check every value; return the values to use and a message per bad one."""
    checked, problems = validate_named(values)
    return checked, [message for _, message in problems]


def validate_named(
    values: Mapping[str, Any], command_line: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Like :func:`validate`, with the name of each bad value.

    ``command_line`` holds raw ``-D name=value`` strings, which take
    precedence; a list value there is comma-separated (empty: no entries).
    """
    checked: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for spec in CONFIG_VALUES:
        value = values.get(spec.name, spec.default)
        if command_line and isinstance(command_line.get(spec.name), str):
            raw = command_line[spec.name]
            value = raw.split(",") if isinstance(spec.default, list) else raw
        try:
            checked[spec.name] = spec.check(value, checked)
        except Invalid as err:
            problems.append((spec.name, f"{err}; using the default {spec.default!r}"))
            checked[spec.name] = spec.check(spec.default, checked)
    return checked, problems


def project_id(values: Mapping[str, Any]) -> str:
    """The effective ``threats_project_id`` of a (checked) configuration."""
    configured = values["threats_project_id"]
    return configured if configured else project_slug(str(values["project"] or ""))


def category_labels(categories: list[str] | dict[str, str]) -> dict[str, str]:
    """Category id -> label (a list's entries label themselves)."""
    if isinstance(categories, dict):
        return dict(categories)
    return {c: c for c in categories}
