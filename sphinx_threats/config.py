"""Every ``conf.py`` value, declared once: name, default, rebuild kind, help, check.

The reference documentation is generated from :data:`CONFIG_VALUES`; a value
of the wrong type or shape is reported (``threats.invalid`` at ``conf.py``)
and replaced by its default, so a typo in ``conf.py`` never stops a build.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from ._util import did_you_mean, without_secrets
from .digest import DEFAULT_REVIEW_FIELDS, REVIEW_FIELDS
from .model import DEFAULT_SEVERITIES, MITIGATION_STATUSES, STRIDE_CATEGORIES, GapKind

#: The default ``threats_categories``: the STRIDE IDs.
STRIDE = list(STRIDE_CATEGORIES)

DEFAULT_FAIL_ON = [
    GapKind.UNMITIGATED.value,
    GapKind.SERVICE_GAP.value,
    GapKind.OVERDUE_MITIGATION.value,
    GapKind.EXPIRED_ACCEPTANCE.value,
    GapKind.FAILING_EVIDENCE.value,
    GapKind.UNKNOWN_REF.value,
    GapKind.DUPLICATE_ID.value,
    GapKind.INVALID.value,
]


#: The kinds ``threats_element_categories`` lists requirements for, and what each means.
ELEMENT_CATEGORY_KINDS: dict[str, str] = {
    "service": "every service (a process of the diagram)",
    "data-store": "every data store",
    "external-entity": "every external entity",
    "data-flow": "every data flow",
    "crossing-data-flow": "every data flow that crosses a trust boundary",
}

#: The name of the documented preset.
STRIDE_PER_ELEMENT = "stride-per-element"

#: STRIDE per element, the classic table: only flows that cross a trust
#: boundary need analysis, as Microsoft's tool reasons per interaction across
#: one (so a large organisation does not start with a gap per internal call).
STRIDE_PER_ELEMENT_TABLE: dict[str, list[str]] = {
    "external-entity": ["spoofing", "repudiation"],
    "service": [
        "spoofing",
        "tampering",
        "repudiation",
        "information-disclosure",
        "denial-of-service",
        "elevation-of-privilege",
    ],
    "data-store": ["tampering", "information-disclosure", "denial-of-service"],
    "crossing-data-flow": ["tampering", "information-disclosure", "denial-of-service"],
}


class Invalid(ValueError):
    """A configuration value is of the wrong type or shape."""


#: Why each bad entry of a list (or dict) was left out, naming the value; a
#: check appends one message per entry it drops and keeps the rest.
Dropped = list[str]

Check = Callable[[Any, Mapping[str, Any], Dropped], Any]


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
    #: values already checked (declaration order), and says in ``Dropped``
    #: which entries it left out.
    check: Check
    #: Types announced to Sphinx.  ``Any``: our own check replaces Sphinx's
    #: type warning (a bad value is ``threats.invalid`` and falls back).
    types: Any = Any


def spelled(value: Any, allowed: Sequence[str]) -> str | None:
    """``value`` in its configured spelling: enumerated values match
    case-insensitively, as directive values do (``High`` is ``high``); ``None``
    when it is not one of ``allowed``."""
    if not isinstance(value, str):
        return None
    spelling = {a.casefold(): a for a in reversed(allowed)}
    return spelling.get(value.strip().casefold())


def _unknown(value: Any, what: str, allowed: Sequence[str]) -> str:
    """Why ``value`` is not one of ``allowed`` (a reason in :data:`Dropped`)."""
    hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
    return f"{value!r} is not {what} (allowed: {', '.join(allowed)}){hint}"


def _nothing_left(name: str, dropped: Dropped) -> Invalid:
    """A value whose every entry was bad: the whole value is refused."""
    return Invalid(f"{name} has no usable entry ({'; '.join(dropped)})")


def _str_list(value: Any, name: str, dropped: Dropped) -> list[str]:
    """A list's strings (stripped, blanks skipped); any other entry is dropped."""
    if not isinstance(value, list | tuple):
        raise Invalid(f"{name} must be a list of strings, not {value!r}")
    out = []
    for entry in value:
        if not isinstance(entry, str):
            dropped.append(f"{name}: {entry!r} is not a string")
        elif entry.strip():
            out.append(entry.strip())
    return out


def _once_each(entries: list[str], name: str, dropped: Dropped) -> list[str]:
    """``entries`` without repeats (compared case-insensitively, as they match)."""
    seen: dict[str, str] = {}
    for entry in entries:
        if entry.casefold() in seen:
            dropped.append(f"{name}: {entry!r} is listed twice")
        else:
            seen[entry.casefold()] = entry
    return list(seen.values())


def _non_empty_list(name: str) -> Check:
    def check(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> list[str]:
        items = _once_each(_str_list(value, name, dropped), name, dropped)
        if not items:
            if dropped:
                raise _nothing_left(name, dropped)
            raise Invalid(f"{name} must not be empty")
        return items

    return check


def _check_categories(
    value: Any, seen: Mapping[str, Any], dropped: Dropped
) -> list[str] | dict[str, str]:
    if isinstance(value, dict):
        labels: dict[str, str] = {}
        for key, label in value.items():
            if not isinstance(key, str) or not isinstance(label, str) or not key.strip():
                dropped.append(
                    f"threats_categories: {key!r}: {label!r} is not an id -> label pair of strings"
                )
            elif key.strip().casefold() in {k.casefold() for k in labels}:
                dropped.append(f"threats_categories: {key!r} is listed twice")
            else:
                labels[key.strip()] = label
        if not labels:
            if dropped:
                raise _nothing_left("threats_categories", dropped)
            raise Invalid(
                "threats_categories must be a non-empty list of strings or a dict "
                f"of id -> label strings, not {value!r}"
            )
        return labels
    categories: list[str] = _non_empty_list("threats_categories")(value, seen, dropped)
    return categories


def _gap_kinds(name: str) -> Check:
    """A list of gap kinds (matched case-insensitively): an unknown entry is
    dropped with "did you mean"."""

    def check(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> list[str]:
        if value == "":
            return []  # ``threats_fail_on = ""``, like ``-D threats_fail_on=``: none
        kinds = [k.value for k in GapKind]
        known = []
        for entry in _str_list(value, name, dropped):
            kind = spelled(entry, kinds)
            if kind is None:
                dropped.append(f"{name}: " + _unknown(entry, "a gap kind", kinds))
            else:
                known.append(kind)
        if dropped and not known:
            # an empty list fails on nothing: a typo must not switch the check off
            raise _nothing_left(name, dropped)
        return list(dict.fromkeys(known))

    return check


_check_fail_on = _gap_kinds("threats_fail_on")


def _check_min_severity(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> str | None:
    if value is None or value == "":
        return None
    severities = seen["threats_severities"]
    severity = spelled(value, severities)
    if severity is None:
        raise Invalid(
            f"threats_fail_min_severity must be one of threats_severities or None: "
            f"{_unknown(value, 'a severity', severities)}"
        )
    return severity


def _check_risk_matrix(
    value: Any, seen: Mapping[str, Any], dropped: Dropped
) -> dict[str, dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(
            f"threats_risk_matrix must be a dict {{likelihood: {{impact: severity}}}}, "
            f"not {value!r}"
        )
    out: dict[str, dict[str, str]] = {}
    for raw_likelihood, row in value.items():
        likelihood = spelled(raw_likelihood, seen["threats_likelihoods"])
        if likelihood is None:
            dropped.append(
                "threats_risk_matrix: "
                + _unknown(raw_likelihood, "a likelihood", seen["threats_likelihoods"])
            )
            continue
        if not isinstance(row, dict):
            dropped.append(
                f"threats_risk_matrix[{raw_likelihood!r}] must be a dict {{impact: severity}}, "
                f"not {row!r}"
            )
            continue
        cells = {}
        for raw_impact, raw_severity in row.items():
            impact = spelled(raw_impact, seen["threats_impacts"])
            severity = spelled(raw_severity, seen["threats_severities"])
            if impact is None:
                dropped.append(
                    f"threats_risk_matrix[{raw_likelihood!r}]: "
                    + _unknown(raw_impact, "an impact", seen["threats_impacts"])
                )
            elif severity is None:
                dropped.append(
                    f"threats_risk_matrix[{raw_likelihood!r}][{raw_impact!r}]: "
                    + _unknown(raw_severity, "a severity", seen["threats_severities"])
                )
            else:
                cells[impact] = severity
        if cells:
            out.setdefault(likelihood, {}).update(cells)
    if dropped and not out:
        raise _nothing_left("threats_risk_matrix", dropped)
    return out


def _check_bool(name: str) -> Check:
    def check(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1, "0", "1", "true", "false", "True", "False", ""):
            return str(value).lower() in ("1", "true")
        raise Invalid(f"{name} must be True or False, not {value!r}")

    return check


def _check_days(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"threats_expiry_notice_days must be a whole number >= 0, not {value!r}")
    return value


def _check_max_nodes(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"threats_graph_max_nodes must be a whole number >= 1, not {value!r}")
    return value


def _check_today(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> str | None:
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


def _paths(name: str) -> Check:
    """A list of paths or glob patterns (one string is a list of one)."""

    def check(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> list[str]:
        if isinstance(value, str):
            value = [value]
        return _str_list(value, name, dropped)

    return check


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
    """One source, as the plain list ``[base_url, source, sha256]`` (it pickles);
    :class:`Invalid` when it is none of the shapes."""
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
    shown = without_secrets(repr(source))  # a warning is published: no credentials
    raise Invalid(
        f"{name}[{key!r}] must be a path or URL of a threats.json, a pair "
        "(base_url, path_or_url), or a dict {'source': ..., 'base_url': ..., 'sha256': "
        f"64 hex digits}}, not {shown}"
    )


def _check_sources(name: str) -> Check:
    """``{name: source}`` -> ``{name: [base_url, source, sha256]}``."""

    def check(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            raise Invalid(f"{name} must be a dict {{name: source}}, not {value!r}")
        out: dict[str, list[str]] = {}
        for key, source in value.items():
            if not isinstance(key, str) or not EXTERNAL_NAME.match(key):
                dropped.append(
                    f"{name}: the name {key!r} must be a letter, then letters, digits, "
                    "'-' or '_' (it prefixes IDs, as in 'product:TM-1')"
                )
                continue
            try:
                out[key] = _source(name, key, source)
            except Invalid as err:  # only this source is left out
                dropped.append(str(err))
        if dropped and not out:
            raise _nothing_left(name, dropped)
        return out

    return check


#: What a ``threats_project_id`` may be: it prefixes IDs in ``threats.json``.
PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")


def project_slug(project: str) -> str:
    """The default ``threats_project_id`` of a project named ``project``: lower
    case, every run of characters other than letters and digits a ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-") or "project"


def _check_project_id(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and PROJECT_ID.match(value.strip()):
        return value.strip()
    raise Invalid(
        "threats_project_id must be a letter or digit, then letters, digits, '-', '_' or "
        f"'.' (it prefixes IDs in threats.json, as in 'product:TM-1'), not {value!r}"
    )


def _check_timeout(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> float:
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


def _check_export(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        if value.strip().lower() in ("0", "false", "no", "off"):
            return False
        if value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        return value.strip()
    raise Invalid(f"threats_export must be True, False or a path string, not {value!r}")


def _check_element_categories(
    value: Any, seen: Mapping[str, Any], dropped: Dropped
) -> dict[str, list[str]] | None:
    """The table to check completeness against (``None``: no check); the
    preset names the STRIDE IDs, so with other ``threats_categories`` it is
    refused and the check is off."""
    if value is None or value == "":
        return None
    allowed = list(category_labels(seen["threats_categories"]))
    if value == STRIDE_PER_ELEMENT:
        if allowed != STRIDE:
            raise Invalid(
                f"threats_element_categories = {STRIDE_PER_ELEMENT!r} names the STRIDE "
                "categories, but threats_categories is not STRIDE; give a table "
                "{kind: [categories]} of your own categories"
            )
        return {k: list(v) for k, v in STRIDE_PER_ELEMENT_TABLE.items()}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list | tuple) and all(isinstance(c, str) for c in v)
        for k, v in value.items()
    ):
        raise Invalid(
            f"threats_element_categories must be {STRIDE_PER_ELEMENT!r} or a dict "
            f"{{kind: [categories]}}, not {value!r}"
        )
    unknown = [k for k in value if k not in ELEMENT_CATEGORY_KINDS]
    if unknown:
        raise Invalid(
            f"threats_element_categories names unknown kinds {unknown!r} (kinds: "
            f"{', '.join(ELEMENT_CATEGORY_KINDS)})"
        )
    wrong = sorted({c for v in value.values() for c in v if c not in allowed})
    if wrong:
        raise Invalid(
            f"threats_element_categories names categories {wrong!r} that are not in "
            f"threats_categories ({', '.join(allowed)})"
        )
    return {k: list(dict.fromkeys(v)) for k, v in value.items()}


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


def _check_needs_status(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Invalid(f"threats_needs_status must be a dict of str -> str, not {value!r}")
    out = {}
    for need_status, raw in value.items():
        status = spelled(raw, MITIGATION_STATUSES)
        if not isinstance(need_status, str):
            dropped.append(f"threats_needs_status: {need_status!r} is not a string")
        elif status is None:
            dropped.append(
                f"threats_needs_status[{need_status!r}]: "
                + _unknown(raw, "a mitigation status", MITIGATION_STATUSES)
            )
        else:
            out[need_status.strip().lower()] = status
    if dropped and not out:
        raise _nothing_left("threats_needs_status", dropped)
    return out


def _check_lock(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"threats_lock must be a path string or None, not {value!r}")
    return value.strip()


def _check_review_fields(value: Any, seen: Mapping[str, Any], dropped: Dropped) -> list[str]:
    known = []
    for entry in _str_list(value, "threats_review_fields", dropped):
        field = spelled(entry, REVIEW_FIELDS)
        if field is None:
            dropped.append(
                "threats_review_fields: " + _unknown(entry, "a review field", REVIEW_FIELDS)
            )
        else:
            known.append(field)
    if dropped and not known:
        # an empty list would make every threat's digest its kind and ID alone
        raise _nothing_left("threats_review_fields", dropped)
    return list(dict.fromkeys(known))


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
        _paths("threats_catalogs"),
    ),
    ConfigValue(
        "threats_evidence",
        [],
        "",
        "list of str (paths or glob patterns)",
        "JUnit XML files (paths or glob patterns relative to ``conf.py``) written by the "
        "test run before the docs build, whose results judge ``verified`` mitigations "
        "(see Evidence): a failed or errored ``test:`` of ``:verified-by:`` is "
        "``failing-evidence``, an absent or skipped one ``missing-evidence``. A pattern "
        "that matches no file is ``invalid``; a changed file rewrites the pages that show "
        "its results.",
        _paths("threats_evidence"),
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
        "threats_graph_max_nodes",
        150,
        "",
        "int",
        "The most nodes a ``threat-graph`` draws; a larger graph draws the first ones "
        "(nearest to ``:of:``, then actors, threats, mitigations, services) and says how "
        "to filter.",
        _check_max_nodes,
    ),
    ConfigValue(
        "threats_element_categories",
        None,
        "",
        f"{STRIDE_PER_ELEMENT!r}, dict kind -> list of categories, or None",
        "The categories every element of a kind must have considered (see Completeness): "
        "a dict with kinds "
        + ", ".join(f"``{k}`` ({v})" for k, v in ELEMENT_CATEGORY_KINDS.items())
        + f"; ``{STRIDE_PER_ELEMENT!r}`` names the documented preset (STRIDE categories "
        "only). Unset: no check.",
        _check_element_categories,
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
        "threats_lock",
        None,
        "",
        "str (path) or None",
        "A file (relative to ``conf.py``) recording, per decision and threat, the threat's "
        "digest when the link was last reviewed; written by ``sphinx-threats review``. A "
        "decision answering a threat changed since is ``suspect-link``; a link not in it is "
        "shown as unreviewed. A missing file records nothing yet.",
        _check_lock,
        frozenset({str, type(None)}),
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
    A value with some bad entries keeps the others: one problem per entry
    left out; a value that cannot be used is one problem, and its default.
    """
    checked: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for spec in CONFIG_VALUES:
        value = values.get(spec.name, spec.default)
        if command_line and isinstance(command_line.get(spec.name), str):
            raw = command_line[spec.name]
            value = raw.split(",") if isinstance(spec.default, list) else raw
        dropped: Dropped = []
        try:
            checked[spec.name] = spec.check(value, checked, dropped)
        except Invalid as err:
            problems.append((spec.name, f"{err}; using the default {spec.default!r}"))
            checked[spec.name] = spec.check(spec.default, checked, [])
        else:
            problems.extend((spec.name, f"{why} (this entry is left out)") for why in dropped)
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
