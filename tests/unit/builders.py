"""Terse construction of hand-built threat models for the unit tests.

A :class:`ModelBuilder` collects items; each item gets a distinct location
(file, then an increasing line) unless one is given, so tests can say where a
gap must be reported.  List options take a tuple or a comma/whitespace string
(``"*, !legacy"``); dates take ``date`` objects or ISO strings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sphinx_threats.analysis import Report, Settings, analyse
from sphinx_threats.model import (
    Gap,
    Item,
    Location,
    Mitigation,
    NotApplicable,
    Problem,
    Reference,
    RiskAcceptance,
    Service,
    Threat,
    ThreatActor,
    ThreatModel,
)

#: The date every test analyses at, unless it says otherwise.
TODAY = dt.date(2026, 6, 1)

_LIST_OPTIONS = {
    "tags",
    "exposed_to",
    "relies_on",
    "depends_on",
    "category",
    "actors",
    "applies_to",
    "cwe",
    "capec",
    "mitigates",
    "threats",
}
_DATE_OPTIONS = {"due", "expires"}


def ids(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"a, b c"`` -> ``("a", "b", "c")``; tuples and lists pass through."""
    if isinstance(value, str):
        return tuple(t for t in re.split(r"[,\s]+", value) if t)
    return tuple(value)


def date(value: str | dt.date | None) -> dt.date | None:
    """An ISO string as a date."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def days(n: int) -> dt.date:
    """The date ``n`` days after :data:`TODAY` (negative: before)."""
    return TODAY + dt.timedelta(days=n)


def _normalise(options: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in options.items():
        key = key.replace("-", "_")
        if key in _LIST_OPTIONS:
            value = ids(value)
        elif key in _DATE_OPTIONS:
            value = date(value)
        elif key == "option_lines" and isinstance(value, dict):
            value = tuple(sorted(value.items()))
        out[key] = value
    return out


class ModelBuilder:
    """Collects items, problems and role references; builds and analyses."""

    def __init__(self, file: str = "index.rst") -> None:
        self.file = file
        self.items: list[Item] = []
        self.problems: list[Problem] = []
        self.references: list[Reference] = []
        self._next_line: dict[str, int] = {}

    # -- locations -------------------------------------------------------------

    def loc(self, file: str | None = None, line: int | None = None) -> Location:
        """A location in ``file`` (default: the builder's), at ``line`` or the next free one."""
        file = file or self.file
        if line is None:
            line = self._next_line.get(file, 0) + 10
        self._next_line[file] = max(self._next_line.get(file, 0), line)
        docname = file.rsplit(".", 1)[0]
        return Location(file, line, docname)

    def _add(self, cls: type[Item], ident: str, options: dict[str, Any]) -> Any:
        file = options.pop("file", None)
        line = options.pop("line", None)
        location = options.pop("location", None) or self.loc(file, line)
        title = options.pop("title", None) or f"Title of {ident}"
        item = cls(id=ident, title=title, location=location, **_normalise(options))
        self.items.append(item)
        return item

    # -- items -------------------------------------------------------------------

    def actor(self, ident: str, **options: Any) -> ThreatActor:
        return self._add(ThreatActor, ident, options)  # type: ignore[no-any-return]

    def service(self, ident: str, **options: Any) -> Service:
        return self._add(Service, ident, options)  # type: ignore[no-any-return]

    def threat(self, ident: str, **options: Any) -> Threat:
        options.setdefault("severity", "high")
        return self._add(Threat, ident, options)  # type: ignore[no-any-return]

    def mitigation(self, ident: str, **options: Any) -> Mitigation:
        options.setdefault("status", "implemented")
        return self._add(Mitigation, ident, options)  # type: ignore[no-any-return]

    def acceptance(self, ident: str, **options: Any) -> RiskAcceptance:
        options.setdefault("owner", "security team")
        options.setdefault("expires", days(365))
        return self._add(RiskAcceptance, ident, options)  # type: ignore[no-any-return]

    def not_applicable(self, ident: str, **options: Any) -> NotApplicable:
        return self._add(NotApplicable, ident, options)  # type: ignore[no-any-return]

    def problem(self, problem: Problem) -> None:
        self.problems.append(problem)

    def role(self, reference: Reference) -> None:
        self.references.append(reference)

    # -- results -----------------------------------------------------------------

    def build(self) -> ThreatModel:
        return ThreatModel.build(self.items, self.problems, self.references)

    def analyse(self, today: dt.date = TODAY, **settings: Any) -> Report:
        return analyse(self.build(), Settings(today=today, **settings))


def kinds_ids(report: Report) -> list[tuple[str, tuple[str, ...]]]:
    """``(kind, ids)`` of every gap, in report order."""
    return [(g.kind.value, g.ids) for g in report.gaps]


def gaps_of(report: Report, kind: str) -> list[Gap]:
    """The gaps of one kind."""
    return [g for g in report.gaps if g.kind.value == kind]


def pair_status(report: Report, threat: str, service: str) -> str:
    """The status of a pair in scope, as its string value."""
    return report.coverage[(threat, service)].status.value
