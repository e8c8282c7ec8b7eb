"""Bad-input catalogue: every kind of bad input has one exact, non-fatal outcome.

Docs are edited by many people and built in CI from pull requests, so bad
input must never crash a build nor drop an item (SPEC, "Bad input is never
fatal"). Each case below is a snippet of reStructuredText with the outcome it
must have: the ``threats.*`` warnings (subtype and line), the item still
rendered, and its entry in ``threats.json``.

The cases are generated into ``cases-*.rst`` pages of a copy of the
``test-bad-input`` root (which holds the hand-written structural cases:
nesting, tables, admonitions, ``only``, a page outside the toctree, MyST, the
same ID in rST and MyST) and built once, so the whole catalogue costs one build.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import PLURAL, built_app, threat_warnings

#: Slow (one build of every bad input, about 16 s, then hundreds of checks):
#: in CI, out of the fast lane.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent / "roots" / "test-bad-input"

#: Over-long values: 100,000 characters each.
LONG = "a" * 100_000
#: A well-formed ID that names nothing.
LONG_ID = "L" + "x" * 99_999
#: A well-formed CWE/CAPEC number.
LONG_NUMBER = "9" * 100_000

PREFIX = {
    "threat-actor": "TA",
    "service": "S",
    "threat": "T",
    "mitigation": "M",
    "risk-acceptance": "RA",
    "not-applicable": "NA",
}


#: Options that make an item of each kind valid (and quiet): the cases change one thing.
BASE: dict[str, list[tuple[str, str]]] = {
    "threat-actor": [],
    "service": [],
    "threat": [("severity", "low")],
    "mitigation": [("mitigates", "T-BASE"), ("status", "implemented")],
    "risk-acceptance": [("threats", "T-BASE"), ("owner", "sec-team"), ("expires", "2027-01-01")],
    # a threat in scope for the service: else the exclusion decides nothing (invalid)
    "not-applicable": [("threats", "T-BASE-SCOPED"), ("service", "S-BASE")],
}
BODY = {"not-applicable": "Justification: not exposed."}

#: Option value types, as the SPEC describes them.
OPTION_TYPES: dict[str, dict[str, str]] = {
    "threat-actor": {"tags": "tags", "description": "text"},
    "service": {
        "tags": "tags",
        "owner": "text",
        "exposed-to": "refs",
        "relies-on": "refs",
        "depends-on": "refs",
    },
    "threat": {
        "tags": "tags",
        "category": "choices",
        "severity": "choice",
        "likelihood": "choice",
        "impact": "choice",
        "actors": "refs",
        "service": "ref",
        "applies-to": "refs",
        "cwe": "numbers",
        "capec": "numbers",
    },
    "mitigation": {
        "tags": "tags",
        "mitigates": "refs",
        "status": "choice",
        "due": "date",
        "effect": "choice",
        "service": "ref",
        "applies-to": "refs",
        "owner": "text",
        "verified-by": "text",
    },
    "risk-acceptance": {
        "tags": "tags",
        "threats": "refs",
        "service": "ref",
        "owner": "text",
        "expires": "date",
        "approved-by": "text",
        "residual-severity": "choice",
    },
    "not-applicable": {"tags": "tags", "threats": "refs", "service": "ref", "owner": "text"},
}
REQUIRED = {
    ("mitigation", "status"),
    ("risk-acceptance", "threats"),
    ("risk-acceptance", "owner"),
    ("risk-acceptance", "expires"),
    ("not-applicable", "threats"),
}

EXTRA_INVALID_EXPIRES = (
    "BUG: a malformed or empty :expires: is reported twice, the second time as "
    "':expires: is empty' (schema.parse_item's required-option check runs on a value "
    "that was given but failed to parse)"
)

#: Which tests each known bug makes fail.
BUG_TESTS = {
    EXTRA_INVALID_EXPIRES: frozenset({"warnings"}),
}


@dataclass(frozen=True, repr=False)
class Case:
    """One bad input and its exact outcome."""

    name: str
    #: Directive (or ``role`` / ``report``) the case is about; picks its page.
    kind: str
    lines: tuple[str, ...]
    #: ``(line offset from the snippet's first line, subtype)`` of every threats.* warning.
    warnings: tuple[tuple[int, str], ...] = ()
    #: Expected fields of the item's ``threats.json`` entry (found by file and line);
    #: ``None`` when the case declares no item. ``"@"`` as ``id`` means the placeholder.
    fields: dict[str, Any] | None = field(default_factory=dict)
    #: HTML-escaped text the case's part of the page must show.
    shows: tuple[str, ...] = ()
    #: Report directives whose output the case's part of the page must contain.
    reports: tuple[str, ...] = ()
    #: A known bug: the case is expected to fail (strictly) until it is fixed...
    bug: str | None = None
    #: ...in these tests (``warnings``, ``counts``, ``renders``, ``schema``).
    bug_in: frozenset[str] = frozenset({"warnings", "counts", "renders"})
    #: The page's syntax: ``rst``, or ``myst`` (the cases on the MyST page).
    syntax: str = "rst"

    def __repr__(self) -> str:
        # short: failure reports would print the 100,000-character values
        return f"<Case {self.kind}/{self.name}>"


def directive(
    kind: str,
    title: str | None,
    options: list[tuple[str, str | None]],
    body: str | None = None,
) -> tuple[str, ...]:
    """The lines of one directive; an option value of ``None`` writes ``:name:`` alone."""
    lines = [f".. {kind}::" + (f" {title}" if title else "")]
    for name, value in options:
        lines.append(f"   :{name}:" + ("" if value is None else f" {value}"))
    if body:
        lines += ["", f"   {body}"]
    return tuple(lines)


def item_case(
    name: str,
    kind: str,
    *,
    ident: str | None = "",
    title: str | None = "",
    options: list[tuple[str, str | None]] | None = None,
    replace: dict[str, str | None] | None = None,
    drop: tuple[str, ...] = (),
    warnings: list[tuple[int | str, str]] | None = None,
    fields: dict[str, Any] | None = None,
    body: str | None = "",
    bug: str | None = None,
) -> Case:
    """A case declaring one item of ``kind``: the base options, changed as asked.

    ``ident=""`` uses a fresh valid ID; ``None`` leaves ``:id:`` out. Warning offsets
    may name an option (its line) instead of a number.
    """
    if ident == "":
        ident = f"{PREFIX[kind]}-{name.upper()}"
    if title == "":
        title = f"Case {name}"
    opts: list[tuple[str, str | None]] = [] if ident is None else [("id", ident)]
    for opt, value in BASE[kind]:
        if opt in drop:
            continue
        if replace and opt in replace:
            opts.append((opt, replace.pop(opt)))
        else:
            opts.append((opt, value))
    opts += list((replace or {}).items()) + list(options or [])
    lines = directive(kind, title, opts, BODY.get(kind) if body == "" else body)
    resolved = []
    for where, subtype in warnings or []:
        if isinstance(where, str):
            where = 1 + [o for o, _ in opts].index(where)
        resolved.append((where, subtype))
    has_id = any(o == "id" and v for o, v in opts)
    if kind == "threat" and has_id and not any(s == "unmitigated" for _, s in resolved):
        # nothing mitigates a threat case; one without an ID is its invalid
        # alone (it forms no status gap of its own)
        resolved.append((0, "unmitigated"))
    expect = {"id": ident if ident else "@", "title": title or ident}
    expect.update(fields or {})
    shows = [html_lib.escape(title or ident or "", quote=False)] if (title or ident) else []
    bug_in = BUG_TESTS.get(bug, frozenset()) if bug else frozenset()
    return Case(name, kind, lines, tuple(resolved), expect, tuple(shows), bug=bug, bug_in=bug_in)


def generic_cases(kind: str) -> Iterator[Case]:
    """What every item directive gets: missing/empty/odd IDs, titles, unknown options."""
    p = PREFIX[kind]
    yield item_case("valid", kind)
    yield item_case("no-title", kind, title=None, warnings=[(0, "invalid")])
    yield item_case("no-id", kind, ident=None, warnings=[(0, "invalid")])
    yield item_case(
        "empty-id", kind, ident=None, options=[("id", None)], warnings=[("id", "invalid")]
    )
    yield item_case(
        "blank-title",
        kind,
        title=" ",
        warnings=[(0, "invalid")],
        fields={"title": f"{p}-BLANK-TITLE"},
    )
    for name, bad in (
        ("id-space", f"{p} SPACE"),
        ("id-digit", f"1{p}-DIGIT"),
        ("id-non-ascii", f"{p}-Ünïcödé"),
        ("id-punctuation", f"{p}-a/b#c"),
    ):
        yield item_case(name, kind, ident=bad, warnings=[("id", "invalid")])
    yield item_case("long-title", kind, title=LONG)
    long_id = f"{p}-" + "x" * (100_000 - len(p) - 1)
    yield item_case("long-id", kind, ident=long_id)
    yield item_case(
        "unknown-option", kind, options=[("bogus", "1")], warnings=[("bogus", "invalid")]
    )
    yield item_case(
        "unknown-option-empty", kind, options=[("bogus", None)], warnings=[("bogus", "invalid")]
    )
    yield item_case(
        "unknown-option-long", kind, options=[("bogus", LONG)], warnings=[("bogus", "invalid")]
    )
    yield item_case(
        "duplicate-option",
        kind,
        options=[("id", f"{p}-SECOND")],
        warnings=[(len(BASE[kind]) + 2, "invalid")],
        fields={"id": f"{p}-DUPLICATE-OPTION"},
    )
    yield item_case(
        "duplicate-option-case",
        kind,
        options=[("ID", f"{p}-SECOND")],
        warnings=[(len(BASE[kind]) + 2, "invalid")],
        fields={"id": f"{p}-DUPLICATE-OPTION-CASE"},
    )
    yield item_case(
        "option-name-with-space",
        kind,
        options=[("applies to", "S-BASE")],
        warnings=[(len(BASE[kind]) + 2, "invalid")],
    )


def option_cases(kind: str) -> Iterator[Case]:
    """Every option of ``kind``: empty and 100,000 characters long."""
    for opt, typ in OPTION_TYPES[kind].items():
        key = opt
        required = (kind, opt) in REQUIRED
        # -- empty
        warn: list[tuple[int | str, str]] = []
        value: Any
        bug = None
        if typ in ("text",):
            value = ""
            if required:
                warn = [(opt, "invalid")]
        elif typ in ("refs", "tags", "numbers", "choices"):
            value = []
            if required:
                warn = [(opt, "invalid")]
            if (kind, opt) == ("mitigation", "mitigates"):
                warn = [(0, "orphan-mitigation")]  # an unlinked control
        elif typ == "ref":
            value, warn = None, [(opt, "invalid")]
        elif typ == "date":
            value, warn = None, [(opt, "invalid")]
            if required:
                bug = None
        else:  # a choice
            value, warn = None, [(opt, "invalid")]
        if opt == "effect":
            value = "unknown"  # an unknown effect counts as partial
        yield item_case(
            f"{opt}-empty", kind, replace={opt: None}, warnings=warn, fields={key: value}, bug=bug
        )
        # -- over-long
        warn, bug = [], None
        if typ == "text":
            raw, value = LONG, LONG
        elif typ == "tags":
            raw, value = LONG, [LONG]
        elif typ == "numbers":
            raw, value = LONG_NUMBER, [LONG_NUMBER]
        elif typ == "refs":
            raw, value, warn = LONG_ID, [LONG_ID], [(opt, "unknown-ref")]
        elif typ == "ref":
            raw, value, warn = LONG_ID, LONG_ID, [(opt, "unknown-ref")]
        elif typ == "date":
            raw, value, warn = LONG, None, [(opt, "invalid")]
            if required:
                bug = None
        elif typ == "choices":
            raw, value, warn = LONG, [], [(opt, "invalid")]
        else:
            raw, value, warn = LONG, None, [(opt, "invalid")]
            if opt == "effect":
                value = "unknown"
        yield item_case(
            f"{opt}-long", kind, replace={opt: raw}, warnings=warn, fields={key: value}, bug=bug
        )


def specific_cases() -> Iterator[Case]:
    """Wrong types and values, missing required options, references of every sort."""
    t, m, ra, na, s, ta = (
        "threat",
        "mitigation",
        "risk-acceptance",
        "not-applicable",
        "service",
        ("threat-actor"),
    )
    # -- threat
    yield item_case(
        "severity-missing",
        t,
        drop=("severity",),
        warnings=[(0, "unrated")],  # a decision not yet taken, not a mistake
        fields={"severity": None},
    )
    yield item_case(
        "severity-list",
        t,
        replace={"severity": "high, low"},
        warnings=[("severity", "invalid")],
        fields={"severity": None},
    )
    yield item_case(
        "severity-case",
        t,
        replace={"severity": "HIGH"},
        fields={"severity": "high"},  # matched case-insensitively, kept as configured
    )
    yield item_case(
        "severity-unknown",
        t,
        replace={"severity": "catastrophic"},
        warnings=[("severity", "invalid")],
        fields={"severity": None},
    )
    yield item_case(
        "likelihood-impact-no-matrix",
        t,
        drop=("severity",),
        options=[("likelihood", "high"), ("impact", "high")],
        warnings=[(0, "unrated")],
        fields={"severity": None, "likelihood": "high", "impact": "high"},
    )
    yield item_case(
        "likelihood-unknown",
        t,
        options=[("likelihood", "certain")],
        warnings=[("likelihood", "invalid")],
        fields={"likelihood": None},
    )
    yield item_case(
        "category-mixed",
        t,
        options=[("category", "spoofing, bogus")],
        warnings=[("category", "invalid")],
        fields={"category": ["spoofing"]},
    )
    yield item_case(
        "category-yaml-list",
        t,
        options=[("category", "[spoofing, tampering]")],
        fields={"category": ["spoofing", "tampering"]},
    )
    yield item_case(
        "service-two-ids",
        t,
        options=[("service", "S-BASE, S-OTHER")],
        warnings=[("service", "invalid")],
        fields={"service": "S-BASE"},
    )
    yield item_case(
        "service-unknown",
        t,
        options=[("service", "S-NOPE")],
        warnings=[("service", "unknown-ref")],
        fields={"service": "S-NOPE"},
    )
    yield item_case(
        "service-self",
        t,
        options=[("service", "T-SERVICE-SELF")],
        warnings=[("service", "unknown-ref")],
    )
    yield item_case(
        "service-wrong-kind",
        t,
        options=[("service", "T-BASE")],
        warnings=[("service", "unknown-ref")],
    )
    yield item_case(
        "applies-to-mixed",
        t,
        options=[("applies-to", "!S-BASE, S-NOPE")],
        warnings=[("applies-to", "unknown-ref")],
        fields={"applies-to": ["!S-BASE", "S-NOPE"]},
    )
    yield item_case(
        "applies-to-lone-bang",
        t,
        options=[("applies-to", "S-BASE, !")],
        warnings=[("applies-to", "invalid")],
        fields={"applies-to": ["S-BASE"]},
    )
    yield item_case(
        "applies-to-self",
        t,
        options=[("applies-to", "T-APPLIES-TO-SELF")],
        warnings=[("applies-to", "unknown-ref")],
    )
    yield item_case(
        "actors-unknown",
        t,
        options=[("actors", "A-BASE A-NOPE")],
        warnings=[("actors", "unknown-ref")],
        fields={"actors": ["A-BASE", "A-NOPE"]},
    )
    yield item_case(
        "actors-wrong-kind", t, options=[("actors", "T-BASE")], warnings=[("actors", "unknown-ref")]
    )
    yield item_case(
        "cwe-mixed",
        t,
        options=[("cwe", "79, CWE-89, abc")],
        warnings=[("cwe", "invalid")],
        fields={"cwe": ["79", "89"]},
    )
    yield item_case(
        "capec-negative",
        t,
        options=[("capec", "-5")],
        warnings=[("capec", "invalid")],
        fields={"capec": []},
    )
    yield item_case(
        "tags-with-spaces",
        t,
        options=[("tags", "two words, , three more words")],
        fields={"tags": ["two words", "three more words"]},
    )
    # -- mitigation
    yield item_case(
        "mitigates-missing",
        m,
        drop=("mitigates",),
        warnings=[(0, "orphan-mitigation")],  # an unlinked control
        fields={"mitigates": []},
    )
    yield item_case(
        "mitigates-unknown",
        m,
        replace={"mitigates": "T-NOPE"},
        warnings=[("mitigates", "unknown-ref")],  # even the only ID: not an orphan
    )
    yield item_case(
        "mitigates-self",
        m,
        replace={"mitigates": "M-MITIGATES-SELF"},
        warnings=[("mitigates", "unknown-ref")],
    )
    yield item_case(
        "mitigates-wrong-kind",
        m,
        replace={"mitigates": "S-BASE"},
        warnings=[("mitigates", "unknown-ref")],
    )
    yield item_case(
        "mitigates-separators",
        m,
        replace={"mitigates": " T-BASE,,  T-BASE  "},
        fields={"mitigates": ["T-BASE"]},
    )
    yield item_case(
        "status-missing",
        m,
        drop=("status",),
        warnings=[(0, "invalid")],  # needs :status:, and no ":due:" for a planned never written
        fields={"status": None},
    )
    yield item_case(
        "status-unknown",
        m,
        replace={"status": "done"},
        warnings=[("status", "invalid")],
        fields={"status": None, "in-effect": False},
    )
    yield item_case(
        "planned-without-due",
        m,
        replace={"status": "planned"},
        warnings=[(0, "invalid")],
        fields={"due": None},
    )
    for name, bad in (
        ("due-feb-30", "2026-02-30"),
        ("due-unpadded", "2026-6-1"),
        ("due-word", "tomorrow"),
        ("due-datetime", "2026-06-01T00:00"),
        ("due-compact", "20260601"),
    ):
        yield item_case(
            name,
            m,
            replace={"status": "planned"},
            options=[("due", bad)],
            warnings=[("due", "invalid")],
            fields={"due": None},
        )
    yield item_case(
        "due-past",
        m,
        replace={"status": "in-progress"},
        options=[("due", "2020-01-01")],
        warnings=[("due", "overdue-mitigation")],
        fields={"due": "2020-01-01"},
    )
    yield item_case(
        "effect-unknown",
        m,
        options=[("effect", "huge")],
        warnings=[("effect", "invalid")],
        fields={"effect": "unknown"},
    )
    yield item_case(
        "service-two-ids",
        m,
        options=[("service", "S-BASE S-OTHER")],
        warnings=[("service", "invalid")],
        fields={"service": "S-BASE"},
    )
    # -- risk acceptance
    for opt in ("threats", "owner", "expires"):
        yield item_case(
            f"{opt}-missing",
            ra,
            drop=(opt,),
            warnings=[(0, "invalid")],
            fields={"status": "invalid"},
        )
    yield item_case(
        "expires-feb-30",
        ra,
        replace={"expires": "2026-02-30"},
        warnings=[("expires", "invalid")],
        fields={"expires": None},
    )
    yield item_case(
        "expires-past",
        ra,
        replace={"expires": "2026-01-01"},
        warnings=[("expires", "expired-acceptance")],
        fields={"expires": "2026-01-01", "status": "expired"},
    )
    yield item_case(
        "expires-today",
        ra,
        replace={"expires": "2026-06-01"},
        warnings=[("expires", "expiring-acceptance")],
        fields={"status": "valid"},
    )
    yield item_case(
        "residual-severity-unknown",
        ra,
        options=[("residual-severity", "bogus")],
        warnings=[("residual-severity", "invalid")],
        fields={"residual-severity": None},
    )
    yield item_case(
        "threats-unknown", ra, replace={"threats": "T-NOPE"}, warnings=[("threats", "unknown-ref")]
    )
    yield item_case(
        "service-unknown",
        ra,
        options=[("service", "S-NOPE")],
        warnings=[("service", "unknown-ref")],
    )
    # -- not applicable
    yield item_case("no-body", na, body=None, warnings=[(0, "invalid")])
    yield item_case("threats-missing", na, drop=("threats",), warnings=[(0, "invalid")])
    yield item_case(
        "threats-self",
        na,
        replace={"threats": "NA-THREATS-SELF"},
        warnings=[("threats", "unknown-ref")],
    )
    # -- service
    yield item_case(
        "exposed-to-wrong-kind",
        s,
        options=[("exposed-to", "S-BASE")],
        warnings=[("exposed-to", "unknown-ref")],
    )
    yield item_case(
        "exposed-to-self",
        s,
        options=[("exposed-to", "S-EXPOSED-TO-SELF")],
        warnings=[("exposed-to", "unknown-ref")],
    )
    yield item_case(
        "relies-on-wrong-kind",
        s,
        options=[("relies-on", "T-BASE")],
        warnings=[("relies-on", "unknown-ref")],
    )
    yield item_case(
        "depends-on-unknown",
        s,
        options=[("depends-on", "S-NOPE")],
        warnings=[("depends-on", "unknown-ref")],
    )
    # a service may depend on itself: depends-on is shown, not analysed
    yield item_case(
        "depends-on-self",
        s,
        options=[("depends-on", "S-DEPENDS-ON-SELF")],
        fields={"depends-on": ["S-DEPENDS-ON-SELF"]},
    )
    yield item_case(
        "depends-on-separators",
        s,
        options=[("depends-on", "S-BASE,  S-OUTER S-INNER,")],
        fields={"depends-on": ["S-BASE", "S-OUTER", "S-INNER"]},
    )
    # -- the domain spelling of a directive behaves the same
    yield Case(
        "domain-form-unknown-option",
        t,
        (
            ".. threats:threat:: Domain form",
            "   :id: T-DOMAIN-FORM",
            "   :severity: low",
            "   :bogus: 1",
        ),
        ((3, "invalid"), (0, "unmitigated")),
        {"id": "T-DOMAIN-FORM", "title": "Domain form"},
        ("Domain form",),
    )
    # -- threat actor
    yield item_case(
        "description-markup",
        ta,
        options=[("description", "*not* ``markup``")],
        fields={"description": "*not* ``markup``"},
    )


def role_cases() -> Iterator[Case]:
    """Roles: empty, unknown, of the wrong kind, over-long, in both spellings."""
    for kind in ("threat", "mitigation", "service", "threat-actor", "risk-acceptance"):
        yield Case(f"{kind}-empty", "role", (f"See :{kind}:`text <>`.",), ((0, "invalid"),), None)
    yield Case(
        "domain-form-empty", "role", ("See :threats:threat:`text <>`.",), ((0, "invalid"),), None
    )
    yield Case("blank", "role", ("See :threat:`\\ `.",), ((0, "invalid"),), None)
    yield Case(
        "unknown", "role", ("See :threat:`T-NOPE`.",), ((0, "unknown-ref"),), None, ("T-NOPE",)
    )
    yield Case("wrong-kind", "role", ("See :mitigation:`T-BASE`.",), ((0, "unknown-ref"),), None)
    yield Case("long", "role", (f"See :threat:`{LONG_ID}`.",), ((0, "unknown-ref"),), None)
    yield Case(
        "resolves",
        "role",
        ("See :threat:`T-BASE` and :threat:`custom <T-BASE>`.",),
        (),
        None,
        ('href="support.html#T-BASE"', "Base threat", "custom"),
    )
    yield Case(
        "two-on-a-line",
        "role",
        ("See :threat:`T-NOPE-1` and :service:`S-NOPE-2`.",),
        ((0, "unknown-ref"), (0, "unknown-ref")),
        None,
    )


def report_cases() -> Iterator[Case]:
    """Report directives: unknown options, bad values, empty and over-long filters."""
    reports = ("threat-matrix", "threat-coverage", "threat-gaps", "threat-summary")
    for report in reports:
        yield Case(f"{report}-plain", "report", (f".. {report}::",), (), None, reports=(report,))
        yield Case(
            f"{report}-unknown-option",
            "report",
            (f".. {report}::", "   :bogus: 1"),
            ((1, "invalid"),),
            None,
            reports=(report,),
        )
        yield Case(
            f"{report}-empty-filters",
            "report",
            (
                f".. {report}::",
                *(f"   :{f}:" for f in ("service", "category", "severity", "status", "tags")),
            ),
            (),
            None,
            reports=(report,),
        )
        yield Case(
            f"{report}-long-filter",
            "report",
            (f".. {report}::", f"   :tags: {LONG}"),
            (),
            None,
            reports=(report,),
        )
        yield Case(
            f"{report}-argument",
            "report",
            (f".. {report}:: an argument",),
            ((0, "invalid"),),
            None,
            reports=(report,),
        )
        yield Case(
            f"{report}-content",
            "report",
            (f".. {report}::", "", "   Some content."),
            ((2, "invalid"),),
            None,
            reports=(report,),
        )
    yield Case(
        "matrix-group-by-unknown",
        "report",
        (".. threat-matrix::", "   :group-by: colour"),
        ((1, "invalid"),),
        None,
        reports=("threat-matrix",),
    )
    yield Case(
        "matrix-group-by-empty",
        "report",
        (".. threat-matrix::", "   :group-by:"),
        ((1, "invalid"),),
        None,
        reports=("threat-matrix",),
    )
    yield Case(
        "coverage-group-by",
        "report",
        (".. threat-coverage::", "   :group-by: service"),
        ((1, "invalid"),),
        None,
        reports=("threat-coverage",),
    )
    yield Case(
        "matrix-unknown-filter-value",
        "report",
        (".. threat-matrix::", "   :severity: catastrophic"),
        (),
        None,
        ("No threats match.",),
        reports=("threat-matrix",),
    )


#: Six levels of ten aliases each ("billion laughs"): 10^6 items from 570 bytes.
LAUGHS = (
    "[&l0 ["
    + ", ".join(["lol"] * 10)
    + "], "
    + ", ".join(f"&l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 7))
    + "]"
)


def myst_block(kind: str, title: str, block: list[str]) -> tuple[str, ...]:
    """The lines of one MyST directive with a ``---`` YAML options block."""
    return (f"```{{{kind}}} {title}", "---", *block, "---", "```")


def myst_yaml_cases() -> Iterator[Case]:
    """MyST options blocks are YAML: aliases are refused there (never expanded), nesting
    is bounded; the refused option alone is lost, at its line (issue 25, items 5, 6, 8).

    Offset 2 is the block's first option (the ``:id:``), 3 the hostile one; the line
    after it shows that the rest of the block is still read.
    """
    after = "description: read after it"
    for name, block, warn, fields, bug in (
        ("alias-in-flow", ["tags: [&t web, *t]", after], [3], {"tags": []}, None),
        ("recursive-alias", ["tags: [web, &r [api, *r]]", after], [3], {"tags": []}, None),
        ("billion-laughs", [f"tags: {LAUGHS}", after], [3], {"tags": []}, None),
        ("undefined-alias", ["tags: [web, *nope]", after], [3], {"tags": []}, None),
        ("deep-list", ["tags: " + "[" * 3000 + "]" * 3000, after], [3], {"tags": []}, None),
        (
            "deep-mapping",
            ["description: " + "{a: " * 100 + "1" + "}" * 100, "tags: [web]"],
            [3],
            {"tags": ["web"]},
            None,
        ),
        # a value that starts like an alias or an anchor is text, in a list too
        (
            "alias-value-is-text",
            ["tags: *everyone", "description: &d anchored text"],
            [],
            {"tags": ["*everyone"], "description": "&d anchored text"},
            None,
        ),
        (
            "alias-entries-are-text",
            ["tags:", "  - &t web", "  - *t"],
            [],
            {"tags": ["&t web", "*t"]},
            None,
        ),
    ):
        ident = f"A-MYST-{name.upper()}"
        expect: dict[str, Any] = {"id": ident, "title": f"Case {name}"}
        expect.update(fields)
        if warn and "description" not in fields and block[-1] == after:
            expect["description"] = "read after it"
        lines = myst_block("threat-actor", f"Case {name}", [f"id: {ident}", *block])
        yield Case(
            name,
            "threat-actor",
            lines,
            tuple((offset, "invalid") for offset in warn),
            expect,
            (f"Case {name}",),
            bug=bug,
            bug_in=BUG_TESTS.get(bug, frozenset()) if bug else frozenset(),
            syntax="myst",
        )


def all_cases() -> list[Case]:
    """The whole catalogue."""
    cases: list[Case] = []
    for kind in PREFIX:
        cases += generic_cases(kind)
        cases += option_cases(kind)
    cases += specific_cases()
    cases += role_cases()
    cases += report_cases()
    cases += myst_yaml_cases()
    return cases


CASES = all_cases()


def page_of(case: Case) -> str:
    """The generated page a case goes to (known bugs go to their own page)."""
    if case.syntax == "myst":
        return "cases-myst"
    return "cases-known-bugs" if case.bug else f"cases-{case.kind}"


def page_file(case: Case) -> str:
    """The generated page's file name."""
    return f"{page_of(case)}.{'md' if case.syntax == 'myst' else 'rst'}"


# -- hostile files: catalogues, special files, external models (issue 25) --------------


@dataclass(frozen=True, repr=False)
class CatalogCase:
    """One hostile YAML catalogue (a file of ``threats_catalogs``) and its exact outcome."""

    name: str
    lines: tuple[str, ...]
    #: ``(line, subtype)`` of every threats.* warning at the file.
    warnings: tuple[tuple[int, str], ...]
    #: ``(line, id)`` of every entry threats.json lists from the file.
    items: tuple[tuple[int, str], ...]
    #: Expected fields of the entry at a line.
    fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: A known bug of the ``schema`` test (strictly expected to fail until fixed).
    bug: str | None = None

    def __repr__(self) -> str:
        return f"<CatalogCase {self.name}>"

    @property
    def file(self) -> str:
        """The catalogue's path relative to the source directory (and conf.py)."""
        return f"hostile-catalogs/{self.name}.yaml"


def actor_entry(ident: str, *more: str) -> list[str]:
    """The lines of one ``threat-actors`` catalogue entry."""
    return [f"  - id: {ident}", f"    title: Entry {ident}", *(f"    {line}" for line in more)]


def catalog_cases() -> Iterator[CatalogCase]:
    """Aliases and nesting in catalogues: budgeted, bounded, located (items 7, 8, 9).

    Each file has clean entries around the hostile one: they still count.
    """
    head = ["threat-actors:"]
    yield CatalogCase(
        "alias-entry",  # 9: the entry written as ``- *e`` is at its own line
        (
            *head,
            "  - &e",
            "    id: A-CAT-ANCHOR",
            "    title: Anchored",
            "  - *e",
            *actor_entry("A-CAT-ANCHOR-AFTER"),
        ),
        ((5, "duplicate-id"),),
        ((2, "A-CAT-ANCHOR"), (5, "A-CAT-ANCHOR"), (6, "A-CAT-ANCHOR-AFTER")),
    )
    yield CatalogCase(
        "recursive-alias",
        (
            *head,
            *actor_entry("A-CAT-REC-BEFORE"),
            *actor_entry("A-CAT-REC", "tags: &r [web, *r]"),
            *actor_entry("A-CAT-REC-AFTER"),
        ),
        ((6, "invalid"),),
        ((2, "A-CAT-REC-BEFORE"), (4, "A-CAT-REC"), (7, "A-CAT-REC-AFTER")),
        {4: {"tags": ["web"]}},
    )
    yield CatalogCase(
        "aliases-within-budget",  # clean: an alias that stays small is read
        (
            *head,
            *actor_entry("A-CAT-SHARED-1", "tags: &t [web, api]", "description: &d common text"),
            *actor_entry("A-CAT-SHARED-2", "tags: *t", "description: *d"),
        ),
        (),
        ((2, "A-CAT-SHARED-1"), (6, "A-CAT-SHARED-2")),
        {6: {"tags": ["web", "api"], "description": "common text"}},
    )
    lol = "[" + ", ".join(["lol"] * 10) + "]"
    laughs = ["    tags:", f"      - - &l0 {lol}"]
    laughs += [f"        - &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 9)]
    yield CatalogCase(
        "billion-laughs",  # 7: 10^9 lols; read until the budget, refused from there on
        (
            *head,
            *actor_entry("A-CAT-LAUGHS-BEFORE"),
            "  - id: A-CAT-LAUGHS",
            "    title: Laughs",
            *laughs,
            *actor_entry("A-CAT-LAUGHS-AFTER"),
        ),
        # the first alias over the budget (&l6's), and a list as a tag
        ((13, "invalid"), (7, "invalid")),
        ((2, "A-CAT-LAUGHS-BEFORE"), (4, "A-CAT-LAUGHS"), (16, "A-CAT-LAUGHS-AFTER")),
        {4: {"tags": []}},
    )
    yield CatalogCase(
        "deep-flow",  # 8: three thousand levels on one line
        (
            *head,
            *actor_entry("A-CAT-DEEP-BEFORE"),
            *actor_entry("A-CAT-DEEP", "tags: " + "[" * 3000 + "]" * 3000),
            *actor_entry("A-CAT-DEEP-AFTER"),
        ),
        # past the depth, and a list as a tag
        ((6, "invalid"), (6, "invalid")),
        ((2, "A-CAT-DEEP-BEFORE"), (4, "A-CAT-DEEP"), (7, "A-CAT-DEEP-AFTER")),
        {4: {"tags": []}},
    )
    deep = ["    description:"] + ["  " * level + "a:" for level in range(3, 83)]
    yield CatalogCase(
        "deep-block",  # 8: eighty levels of block mappings, one a line
        (
            *head,
            "  - id: A-CAT-DEEP-MAP",
            "    title: Deep mapping",
            *deep[:-1],
            deep[-1] + " 1",
            *actor_entry("A-CAT-DEEP-MAP-AFTER"),
        ),
        # refused where the 65th level starts; the description is a mapping
        ((66, "invalid"), (5, "invalid")),
        ((2, "A-CAT-DEEP-MAP"), (85, "A-CAT-DEEP-MAP-AFTER")),
    )
    yield CatalogCase(
        "undefined-alias",  # YAML itself refuses it: the file is unread, said once
        (*head, *actor_entry("A-CAT-UNDEFINED", "tags: [web, *nope]")),
        ((4, "invalid"),),
        (),
    )


CATALOG_CASES = list(catalog_cases())

#: A well-formed external model (``threats_external``) with one actor.
CLEAN_EXTERNAL = {
    "schema": 1,
    "items": {
        "threat-actors": [
            {"id": "A-EXT-CLEAN", "title": "External actor", "file": "ext.rst", "lineno": 3}
        ]
    },
}


def _deep_external(path: Path) -> None:
    entry = {**CLEAN_EXTERNAL["items"]["threat-actors"][0], "id": "A-EXT-DEEP", "tags": "@"}
    model = json.dumps({**CLEAN_EXTERNAL, "items": {"threat-actors": [entry]}})
    path.write_text(model.replace('"@"', "[" * 3000 + "]" * 3000), encoding="utf-8")


#: How each special file is made.
SPECIAL: dict[str, Callable[[Path], None]] = {
    "dev-zero": lambda path: path.symlink_to("/dev/zero"),  # size 0 by stat, endless
    "fifo": os.mkfifo,  # no writer: reading it would wait for ever
    "directory": lambda path: path.mkdir(),
}


@dataclass(frozen=True)
class SourceCase:
    """A hostile file named in conf.py, and the one warning it must give there."""

    name: str
    #: ``threats_catalogs`` or ``threats_external``.
    setting: str
    make: Callable[[Path], None]
    #: What the warning says (after the path, for an external model).
    says: str

    @property
    def path(self) -> str:
        """Its path relative to conf.py."""
        suffix = ".yaml" if self.setting == "threats_catalogs" else ".json"
        return f"hostile-special/{self.name}{suffix}"


SOURCE_CASES = [
    *(
        SourceCase(name, "threats_catalogs", make, "which matches no file")
        for name, make in SPECIAL.items()
    ),
    *(
        SourceCase(name, "threats_external", make, "is not a regular file; not used")
        for name, make in SPECIAL.items()
    ),
    SourceCase("deep", "threats_external", _deep_external, "it is nested deeper than 64 levels"),
]


def write_hostile(srcdir: Path) -> None:
    """The hostile catalogues and special files, and conf.py naming them."""
    for folder in ("hostile-catalogs", "hostile-special"):
        (srcdir / folder).mkdir()
    for case in CATALOG_CASES:
        (srcdir / case.file).write_text("\n".join(case.lines) + "\n", encoding="utf-8")
    for source in SOURCE_CASES:
        source.make(srcdir / source.path)
    clean = srcdir / "hostile-special" / "clean.json"
    clean.write_text(json.dumps(CLEAN_EXTERNAL), encoding="utf-8")
    catalogs = ["hostile-catalogs/*.yaml"]
    catalogs += [s.path for s in SOURCE_CASES if s.setting == "threats_catalogs"]
    external = {"clean": "hostile-special/clean.json"}
    external |= {s.name: s.path for s in SOURCE_CASES if s.setting == "threats_external"}
    with (srcdir / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"\nthreats_catalogs = {catalogs!r}\nthreats_external = {external!r}\n")


def conf_line(srcdir: Path, setting: str) -> int:
    """The line of conf.py that sets ``setting``."""
    lines = (srcdir / "conf.py").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{setting} ="))


@dataclass
class Placed:
    """Where a case ended up."""

    case: Case
    file: str
    start: int


@dataclass(repr=False)
class Built:
    """One build of the whole catalogue."""

    app: SphinxTestApp
    srcdir: Path
    placed: dict[str, Placed]
    warnings: list[tuple[str, int, str]]
    other_warnings: list[str]
    data: dict[str, Any]
    pages: dict[str, str] = field(default_factory=dict)
    chunks: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Built {self.srcdir}>"

    def page(self, docname: str) -> str:
        """A written HTML page (read once)."""
        if docname not in self.pages:
            path = Path(self.app.outdir, f"{docname}.html")
            self.pages[docname] = path.read_text(encoding="utf-8")
        return self.pages[docname]


def write_cases(srcdir: Path) -> dict[str, Placed]:
    """Write the ``cases-*.rst`` pages; each case is preceded by a marker paragraph."""
    pages: dict[str, list[str]] = {}
    placed: dict[str, Placed] = {}
    for case in CASES:
        page = page_file(case)
        title = page.rpartition(".")[0]
        head = [f"# {title}"] if case.syntax == "myst" else [title, "=" * len(title)]
        lines = pages.setdefault(page, [*head, ""])
        lines += [f"bad-input-case-{case.kind}/{case.name}", ""]
        key = f"{case.kind}/{case.name}"
        assert key not in placed, key
        placed[key] = Placed(case, page, len(lines) + 1)
        lines += [*case.lines, ""]
    for page, lines in pages.items():
        (srcdir / page).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return placed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The catalogue, built once with the html builder."""
    base = tmp_path_factory.mktemp("badinput")
    srcdir = base / "src"
    shutil.copytree(ROOT, srcdir)
    placed = write_cases(srcdir)
    write_hostile(srcdir)
    with built_app(
        "html",
        srcdir=srcdir,
        builddir=base / "_build",
    ) as app:
        raw = app.warning.getvalue()
        others = [
            line
            for line in re.sub(r"\x1b\[[0-9;]*m", "", raw).splitlines()
            if ("WARNING" in line or "ERROR" in line) and "[threats." not in line
        ]
        data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        yield Built(app, srcdir, placed, threat_warnings(app), others, data)


def entries_at(data: dict[str, Any], file: str, lineno: int) -> list[dict[str, Any]]:
    """Every threats.json item entry declared at ``file:lineno``."""
    return [
        entry
        for entries in data["items"].values()
        for entry in entries
        if entry["file"] == file and entry["lineno"] == lineno
    ]


def chunk(built: Built, placed: Placed) -> str:
    """The part of the HTML page between this case's marker paragraph and the next one."""
    docname = placed.file.rpartition(".")[0]
    if not any(key.startswith(f"{docname}/") for key in built.chunks):
        parts = re.split(r"<p>bad-input-case-([a-z-]+/[a-z0-9-]+)</p>", built.page(docname))
        for key, part in zip(parts[1::2], parts[2::2], strict=True):
            built.chunks[f"{docname}/{key}"] = part
    key = f"{docname}/{placed.case.kind}/{placed.case.name}"
    assert key in built.chunks, f"the marker paragraph of {placed.case.name} is not rendered"
    return built.chunks[key]


def param(case: Case, test: str) -> Any:
    """The case as a test parameter, expected to fail where a known bug shows."""
    marks = []
    if case.bug and test in case.bug_in:
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)]
    return pytest.param(case, id=f"{case.kind}/{case.name}", marks=marks)


@pytest.mark.parametrize("case", [param(c, "warnings") for c in CASES])
def test_warnings(built: Built, case: Case) -> None:
    """Exactly the expected threats.* warnings, at the expected lines, and nothing else."""
    placed = built.placed[f"{case.kind}/{case.name}"]
    end = placed.start + len(case.lines)
    got = sorted(
        (line - placed.start, sub)
        for file, line, sub in built.warnings
        if file == placed.file and placed.start <= line < end
    )
    assert got == sorted(case.warnings)
    # never a docutils error or a Sphinx ref.* warning instead
    here = [
        w
        for w in built.other_warnings
        if any(f"{placed.file}:{n}:" in w for n in range(placed.start, end))
    ]
    assert here == []


@pytest.mark.parametrize("case", [param(c, "counts") for c in CASES if c.fields is not None])
def test_item_counts(built: Built, case: Case) -> None:
    """The item is in threats.json exactly once, with the fields the SPEC implies."""
    placed = built.placed[f"{case.kind}/{case.name}"]
    entries = entries_at(built.data, placed.file, placed.start)
    assert len(entries) == 1, f"{len(entries)} items declared at {placed.file}:{placed.start}"
    entry = entries[0]
    assert entry in built.data["items"][PLURAL[case.kind]]
    expected = dict(case.fields or {})
    if expected.get("id") == "@":
        expected["id"] = f"@{placed.file}:{placed.start}"
    for key, value in expected.items():
        assert entry.get(key) == value, key


@pytest.mark.parametrize("case", [param(c, "renders") for c in CASES if c.fields is not None])
def test_item_renders(built: Built, case: Case) -> None:
    """The item still renders: its block, with its ID as the anchor, its title and fields."""
    placed = built.placed[f"{case.kind}/{case.name}"]
    part = chunk(built, placed)
    (entry,) = entries_at(built.data, placed.file, placed.start)
    # Sphinx writes ``@`` in attributes as ``&#64;``: compare unescaped values
    anchor = entry["id"]
    blocks = [
        (cls.split(), html_lib.unescape(ident))
        for cls, ident in re.findall(r'<div class="([^"]*)" id="([^"]*)">', part)
        if "threats-item" in cls.split()
    ]
    assert [ident for _, ident in blocks] == [anchor]
    assert f"threats-{case.kind}" in blocks[0][0]
    assert 'class="threats-fields' in part  # the computed fields were filled in
    assert html_lib.escape(entry["title"], quote=False) in part
    for text in case.shows:
        assert text in part


@pytest.mark.parametrize(
    "case", [param(c, "renders") for c in CASES if c.fields is None and (c.reports or c.shows)]
)
def test_report_and_role_renders(built: Built, case: Case) -> None:
    """Reports still render whatever their options; roles show what they should."""
    placed = built.placed[f"{case.kind}/{case.name}"]
    part = chunk(built, placed)
    found = re.findall(r'<div class="threats-report ([a-z-]+)[ "]', part)
    assert found == list(case.reports)
    for text in case.shows:
        assert text in part


# -- hostile files ----------------------------------------------------------------------

SCHEMA_FILE = Path(__file__).parent.parent / "sphinx_threats" / "threats.schema.json"


def schema_problems(built: Built, kind: str, entry: dict[str, Any]) -> list[str]:
    """What the shipped JSON Schema (which ``sphinx-threats report`` checks) says
    of a threats.json holding this one entry."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    items = {key: [] for key in built.data["items"]} | {kind: [entry]}
    document = {**built.data, "items": items}
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize(
    "case", [param(c, "schema") for c in CASES if c.fields is not None and c.syntax == "myst"]
)
def test_myst_item_matches_the_schema(built: Built, case: Case) -> None:
    """What an options block could not read leaves a threats.json the command reads."""
    placed = built.placed[f"{case.kind}/{case.name}"]
    (entry,) = entries_at(built.data, placed.file, placed.start)
    assert schema_problems(built, PLURAL[case.kind], entry) == []


def catalog_param(case: CatalogCase, test: str) -> Any:
    marks = []
    if case.bug and test == "schema":
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)]
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [catalog_param(c, "warnings") for c in CATALOG_CASES])
def test_catalog_warnings(built: Built, case: CatalogCase) -> None:
    """Exactly the expected threats.* warnings at the catalogue's lines, nothing else."""
    got = sorted((line, sub) for file, line, sub in built.warnings if file == case.file)
    assert got == sorted(case.warnings)
    assert not [w for w in built.other_warnings if case.file in w]


@pytest.mark.parametrize("case", [catalog_param(c, "counts") for c in CATALOG_CASES])
def test_catalog_items(built: Built, case: CatalogCase) -> None:
    """Every entry around the hostile one is in threats.json once, at its own line."""
    entries = [e for es in built.data["items"].values() for e in es if e["file"] == case.file]
    assert sorted((e["lineno"], e["id"]) for e in entries) == sorted(case.items)
    for line, fields in case.fields.items():
        (entry,) = entries_at(built.data, case.file, line)
        for key, value in fields.items():
            assert entry.get(key) == value, key


@pytest.mark.parametrize("case", [catalog_param(c, "schema") for c in CATALOG_CASES if c.items])
def test_catalog_items_match_the_schema(built: Built, case: CatalogCase) -> None:
    """What a limit refused leaves a threats.json the command reads."""
    problems = [
        problem
        for kind, entries in built.data["items"].items()
        for entry in entries
        if entry["file"] == case.file
        for problem in schema_problems(built, kind, entry)
    ]
    assert problems == []


def test_catalog_messages(built: Built) -> None:
    """The refusals say which limit, at the alias or the level that crossed it."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", built.app.warning.getvalue())

    def said(file: str, line: int) -> list[str]:
        return [m for m in log.splitlines() if f"/{file}:{line}: WARNING" in m]

    (rec,) = said("hostile-catalogs/recursive-alias.yaml", 6)
    assert "the alias *r inside its own anchor &r" in rec
    (budget,) = said("hostile-catalogs/billion-laughs.yaml", 13)
    assert "expands beyond 5242880 units through the alias *l5" in budget
    assert any("nested deeper than 64 levels" in m for m in said(CATALOG_CASES[4].file, 6))
    (deep,) = said("hostile-catalogs/deep-block.yaml", 66)
    assert "nested deeper than 64 levels" in deep
    (undefined,) = said("hostile-catalogs/undefined-alias.yaml", 4)
    assert "found undefined alias 'nope'" in undefined
    assert (
        "reuses the ID of the threat-actor at hostile-catalogs/alias-entry.yaml:2"
        in (said("hostile-catalogs/alias-entry.yaml", 5)[0])
    )


@pytest.mark.parametrize("case", SOURCE_CASES, ids=lambda c: f"{c.setting}/{c.name}")
def test_special_or_deep_source(built: Built, case: SourceCase) -> None:
    """A special file or a too-deep model: one warning at conf.py's line, never read."""
    line = conf_line(built.srcdir, case.setting)
    log = re.sub(r"\x1b\[[0-9;]*m", "", built.app.warning.getvalue()).splitlines()
    named = (
        repr(case.path)
        if case.setting == "threats_catalogs"
        else f"threats_external[{case.name!r}] ({case.path}): "
    )
    about = [m for m in log if named in m]
    assert len(about) == 1, about
    assert f"/conf.py:{line}: WARNING: " in about[0]
    assert case.says in about[0] and about[0].endswith("[threats.invalid]")


def test_sources_beside_the_hostile_ones_count(built: Built) -> None:
    """One warning per hostile source at conf.py, nothing else there; the clean
    external model and the clean catalogue entries are all in threats.json."""
    at_conf = [w for w in built.warnings if w[0] == "conf.py"]
    assert sorted(at_conf) == sorted(
        ("conf.py", conf_line(built.srcdir, s.setting), "invalid") for s in SOURCE_CASES
    )
    actors = {e["id"]: e for e in built.data["items"]["threat-actors"]}
    assert actors["A-EXT-CLEAN"]["external"] == "clean"
    assert "A-EXT-DEEP" not in actors
    listed = {(e["file"], e["lineno"]) for e in built.data["items"]["threat-actors"]}
    assert {(c.file, line) for c in CATALOG_CASES for line, _ in c.items} <= listed


# -- the hand-written pages of the root ------------------------------------------------


def test_structure_page(built: Built) -> None:
    """Nesting, tables, admonitions, ``only``, depends-on cycles: all counted, all rendered."""
    page = built.page("structure")
    ids = [
        "S-OUTER",
        "T-IN-SERVICE",
        "M-IN-THREAT",
        "S-INNER",
        "T-IN-LIST-TABLE",
        "M-IN-LIST-TABLE",
        "T-IN-GRID",
        "T-IN-NOTE",
        "A-IN-ADMONITION",
        "T-ONLY-HTML",
        "S-SELF",
        "S-CYCLE-1",
        "S-CYCLE-2",
    ]
    rendered = re.findall(r'<div class="[^"]*threats-item[^"]*" id="([^"]*)">', page)
    assert rendered == ids  # the html build leaves out only the latex/tagged ``only`` blocks
    listed = {
        e["id"] for es in built.data["items"].values() for e in es if e["file"] == "structure.rst"
    }
    assert listed == {*ids, "T-ONLY-LATEX", "M-ONLY-NEVER"}
    # a threat nested in a service belongs to it; a mitigation under ``only`` still counts
    threats = {e["id"]: e for e in built.data["items"]["threats"]}
    assert threats["T-IN-SERVICE"]["service"] == "S-OUTER"
    assert threats["T-ONLY-LATEX"]["status"] == "mitigated"
    assert threats["T-IN-GRID"]["status"] == "mitigated"  # by the page outside the toctree
    line = structure_line("Threat only in HTML")
    assert [w for w in built.warnings if w[0] == "structure.rst"] == [
        ("structure.rst", line, "unmitigated")
    ]
    services = {e["id"]: e for e in built.data["items"]["services"]}
    assert services["S-SELF"]["depends-on"] == ["S-SELF"]
    assert services["S-CYCLE-1"]["depends-on"] == ["S-CYCLE-2"]
    assert services["S-CYCLE-2"]["depends-on"] == ["S-CYCLE-1"]


def structure_line(title: str) -> int:
    for n, line in enumerate((ROOT / "structure.rst").read_text().splitlines(), 1):
        if line.strip().endswith(f":: {title}"):
            return n
    raise AssertionError(title)


def test_page_outside_toctree(built: Built) -> None:
    """Items on a page no toctree lists count and render."""
    assert "hidden.rst" not in {w[0] for w in built.warnings}
    page = built.page("hidden")
    assert 'id="T-HIDDEN"' in page and 'id="M-HIDDEN"' in page
    mitigations = {e["id"]: e for e in built.data["items"]["mitigations"]}
    assert mitigations["M-HIDDEN"]["uri"] == "hidden.html#M-HIDDEN"


def test_myst_page(built: Built) -> None:
    """MyST spellings of bad input (YAML option blocks, roles) have exact outcomes too."""
    got = sorted((line, sub) for file, line, sub in built.warnings if file == "myst.md")
    assert got == [
        (8, "unknown-ref"),  # applies-to (a YAML block list): two unknown services
        (8, "unknown-ref"),
        (14, "unmitigated"),
        (16, "invalid"),  # id: 123 (an ID starts with a letter)
        (17, "invalid"),  # severity: [high, low]
        (23, "invalid"),  # no title
        (30, "invalid"),  # id: (empty)
        (33, "invalid"),  # bogus: [1, 2]
        (37, "invalid"),  # {threat}`empty <>`
        (37, "unknown-ref"),  # {mitigation}`T-BASE`
    ]
    threats = {e["id"]: e for e in built.data["items"]["threats"]}
    assert threats["T-MYST-LISTS"]["tags"] == ["one", "two words"]
    assert threats["T-MYST-LISTS"]["applies-to"] == ["S-NOPE-1", "S-NOPE-2"]
    assert threats["123"]["severity"] is None
    assert threats["123"]["cwe"] == ["79", "89"]
    assert threats["T-MYST-NO-TITLE"]["title"] == "T-MYST-NO-TITLE"
    (placeholder,) = entries_at(built.data, "myst.md", 28)
    assert placeholder["id"] == "@myst.md:28"
    assert placeholder["mitigates"] == ["T-MYST-LISTS", "T-MYST-NO-TITLE"]
    page = built.page("myst")
    assert 'href="support.html#T-BASE"' in page


def test_same_id_in_rst_and_myst(built: Built) -> None:
    """Both items count; the later one by docname (then line) is the duplicate."""
    dups = [e for e in built.data["items"]["threats"] if e["id"] == "T-DUP"]
    assert sorted(e["file"] for e in dups) == ["dup-md.md", "dup.rst"]
    got = sorted(w for w in built.warnings if w[0] in ("dup.rst", "dup-md.md"))
    # the first declaration (docname "dup") is the item; "dup-md" is the duplicate
    assert got == [("dup-md.md", 3, "duplicate-id"), ("dup.rst", 4, "unmitigated")]


def test_same_id_in_rst_and_myst_both_count(built: Built) -> None:
    """Whichever is reported, both declarations are kept and rendered."""
    dups = [e for e in built.data["items"]["threats"] if e["id"] == "T-DUP"]
    assert sorted(e["file"] for e in dups) == ["dup-md.md", "dup.rst"]
    assert sorted(w[2] for w in built.warnings if w[0] in ("dup.rst", "dup-md.md")) == [
        "duplicate-id",
        "unmitigated",
    ]
    assert 'id="T-DUP"' in built.page("dup") and 'id="T-DUP"' in built.page("dup-md")


def test_no_stray_warnings(built: Built) -> None:
    """Every warning is one a case expects: nothing between or outside the cases."""
    ranges = {
        (p.file, n)
        for p in built.placed.values()
        for n in range(p.start, p.start + len(p.case.lines))
    }
    stray = [w for w in built.warnings if w[0].startswith("cases-") and w[:2] not in ranges]
    assert stray == []
    others = [w for w in built.other_warnings if "cases-known-bugs.rst" not in w]
    # Sphinx's own note on the page outside the toctree (its subtype shows from Sphinx 9)
    assert len(others) == 1 and "hidden.rst" in others[0]
    assert "isn't included in any toctree" in others[0]
    assert not any("Traceback" in w or "Exception" in w for w in built.other_warnings)


ITEM_DIRECTIVE = re.compile(
    r"(?:\.\. |```\{)(?:threats:)?(threat-actor|service|threat|mitigation|risk-acceptance"
    r"|not-applicable)(?:::|\})"
)


def declared(path: Path) -> int:
    """How many item directives a source file holds (rST or MyST, however nested)."""
    return sum(len(ITEM_DIRECTIVE.findall(line)) for line in path.read_text().splitlines())


def source_pages() -> list[str]:
    pages = sorted(p.name for p in ROOT.iterdir() if p.suffix in (".rst", ".md"))
    return pages + sorted({page_file(c) for c in CASES})


@pytest.mark.parametrize("name", source_pages())
def test_nothing_lost(built: Built, name: str) -> None:
    """Every item directive in the sources is in threats.json exactly once."""
    listed = [e for es in built.data["items"].values() for e in es if e["file"] == name]
    assert len(listed) == declared(built.srcdir / name)
    assert len({(e["lineno"], e["id"]) for e in listed}) == len(listed)


@pytest.fixture(scope="module")
def builds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the hand-written pages alone (no generated cases)."""
    base = tmp_path_factory.mktemp("builders")
    shutil.copytree(ROOT, base / "src")
    return base


_BY_BUILDER: dict[tuple[Path, str], tuple[Any, list[Any]]] = {}


def build_with(base: Path, builder: str) -> tuple[Any, list[Any]]:
    """threats.json and threats.* warnings of one builder (built once per module)."""
    if (base, builder) not in _BY_BUILDER:
        with built_app(
            builder,
            srcdir=base / "src",
            builddir=base / "_build" / builder,
        ) as app:
            data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
            _BY_BUILDER[base, builder] = (data, threat_warnings(app))
    return _BY_BUILDER[base, builder]


@pytest.mark.parametrize(
    "builder",
    [
        "dirhtml",
        "singlehtml",
        "text",
        # a back-link to the page outside the toctree, which these leave out, once
        # crashed them (NoUri); now shown unlinked
        "latex",
        "texinfo",
        "man",
        "dummy",
    ],
)
def test_same_model_whatever_the_builder(builds_dir: Path, builder: str) -> None:
    """``only`` blocks differ per builder; the items, gaps and warnings do not."""

    def without_uris(data: dict[str, Any]) -> dict[str, Any]:
        return {
            **data,
            "items": {k: [{**e, "uri": None} for e in v] for k, v in data["items"].items()},
        }

    html_data, html_warnings = build_with(builds_dir, "html")
    data, warnings = build_with(builds_dir, builder)
    assert without_uris(data) == without_uris(html_data)
    assert warnings == html_warnings
    expected = sum(declared(ROOT / p.name) for p in ROOT.iterdir() if p.suffix in (".rst", ".md"))
    assert sum(len(v) for v in data["items"].values()) == expected


# -- known bugs found by the fuzz test (issue 25's surfaces), each in a build of its own ---

TITLE_PIPE = (
    "BUG (markdown-it): a MyST directive line whose title holds a '|', with the '---' of "
    "an options block under it, is read as a table: the item is lost without a word"
)


def small_build(tmp_path: Path, files: dict[str, str]) -> tuple[list[Any], dict[str, Any]]:
    """threats.* warnings and threats.json of a small MyST project."""
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx_threats"]\nthreats_fail_on = []\n'
        'exclude_patterns = ["_build"]\nthreats_catalogs = ["cat.yaml"]\n',
        encoding="utf-8",
    )
    for name, text in files.items():
        (srcdir / name).write_text(text, encoding="utf-8")
    with built_app("html", srcdir=srcdir, builddir=tmp_path / "_build") as app:
        data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        return threat_warnings(app), data


CLEAN_CATALOG = "threat-actors:\n  - id: A-CAT-CLEAN\n    title: Clean\n"
CLEAN_ACTOR = "```{threat-actor} Clean\n:id: A-CLEAN\n```\n"


def located_ids(data: dict[str, Any]) -> list[tuple[str, int, str]]:
    return sorted((e["file"], e["lineno"], e["id"]) for es in data["items"].values() for e in es)


@pytest.mark.parametrize("where", ["myst", "catalog"])
def test_yaml_surrogate_escape(tmp_path: Path, where: str) -> None:
    """One invalid warning at the value's line; every item still counts."""
    value = 'description: "\\ud83d\\ude42 and \\udc00"'
    if where == "myst":
        page = f"# S\n\n```{{threat-actor}} Escaped\n---\nid: A-ESC\n{value}\n---\n```\n\n"
        files = {"index.md": page + CLEAN_ACTOR, "cat.yaml": CLEAN_CATALOG}
        at = ("index.md", 6)
    else:
        catalog = CLEAN_CATALOG + f"  - id: A-ESC\n    title: Escaped\n    {value}\n"
        files = {"index.md": "# S\n\n" + CLEAN_ACTOR, "cat.yaml": catalog}
        at = ("cat.yaml", 6)
    warnings, data = small_build(tmp_path, files)
    assert warnings == [(*at, "invalid")]
    assert {"A-ESC", "A-CLEAN", "A-CAT-CLEAN"} == {i for _, _, i in located_ids(data)}


@pytest.mark.parametrize("value", ["[&a A-1, *a]", "[" * 100 + "A-1" + "]" * 100])
def test_myst_unreadable_id(tmp_path: Path, value: str) -> None:
    """The refused ID is one invalid warning; the item counts (by its placeholder ID)."""
    page = f"# U\n\n```{{threat-actor}} Hostile ID\n---\nid: {value}\n---\n```\n\n{CLEAN_ACTOR}"
    warnings, data = small_build(tmp_path, {"index.md": page, "cat.yaml": CLEAN_CATALOG})
    assert ("index.md", 5, "invalid") in warnings
    assert [w for w in warnings if w[1] != 5] == []
    assert located_ids(data) == [
        ("cat.yaml", 2, "A-CAT-CLEAN"),
        ("index.md", 3, "@index.md:3"),
        ("index.md", 9, "A-CLEAN"),
    ]


@pytest.mark.xfail(strict=True, reason=TITLE_PIPE)
def test_myst_title_with_a_pipe(tmp_path: Path) -> None:
    """A title with a '|' over an options block still declares its item."""
    page = f"# P\n\n```{{threat-actor}} Read or write |\n---\nid: A-PIPE\n---\n```\n\n{CLEAN_ACTOR}"
    _, data = small_build(tmp_path, {"index.md": page, "cat.yaml": CLEAN_CATALOG})
    assert ("index.md", 3, "A-PIPE") in located_ids(data)
