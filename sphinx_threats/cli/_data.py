"""Reading ``threats.json``: plain JSON, checked just enough to give clear errors.

Only the keys the commands use are checked; unknown keys are ignored and
missing optional ones take their empty value, so a file from an older or a
newer build of the same schema version still reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..config import CONFIG_VALUES, DEFAULT_FAIL_ON
from ..model import MITIGATION_STATUSES, STATUS_ORDER
from ._common import UsageError, join_base

#: The ``"schema"`` version of ``threats.json`` this command reads.
SUPPORTED_SCHEMA = 1

#: Severities from most to least severe: the default of ``threats_severities``
#: (``threats.json`` does not record the configured list).
SEVERITIES: tuple[str, ...] = tuple(
    next(c.default for c in CONFIG_VALUES if c.name == "threats_severities")
)

_STATUS_RANK = {status.value: rank for rank, status in enumerate(STATUS_ORDER)}


def severity_rank(severity: str | None) -> int:
    """0 for the most severe; a missing or unknown severity counts as the most
    severe (as it does for ``threats_fail_min_severity``)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def status_rank(status: str | None) -> int:
    """Rank of a computed status, 0 for the worst (``unmitigated``)."""
    return _STATUS_RANK.get(status or "", 0)


def mitigation_rank(status: str | None) -> int:
    """Rank of a mitigation's declared ``:status:`` (``planned`` 0 ... ``verified``
    3); a missing or unknown one counts as ``planned``."""
    return MITIGATION_STATUSES.index(status) if status in MITIGATION_STATUSES else 0


@dataclass(frozen=True)
class GapEntry:
    """One entry of ``"gaps"``."""

    kind: str
    message: str
    #: Every ID the gap concerns, as written.
    ids: tuple[str, ...]
    #: Source path relative to the Sphinx source directory.
    file: str
    #: 1-based line, 0 when unknown.
    lineno: int
    suppressed: bool
    #: Whether the gap failed the build; ``None`` when the file does not say.
    fails: bool | None

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """What identifies the gap from one build to the next: its kind and IDs
        (not its place, so a moved item is the same gap)."""
        return self.kind, tuple(sorted(self.ids))

    def where(self, base: str = "") -> str:
        """``file:line`` (the file alone when the line is unknown)."""
        path = join_base(base, self.file)
        return f"{path}:{self.lineno}" if self.lineno else path


@dataclass(frozen=True)
class ThreatsFile:
    """A loaded ``threats.json``."""

    #: The path it was read from, as given.
    path: str
    project: str
    #: Items by list key (``"threats"``, ...) then ID; the first declaration
    #: of a duplicate ID (by file, then line).
    items: dict[str, dict[str, dict[str, Any]]]
    #: Status of every (threat, service) pair in scope.
    coverage: dict[tuple[str, str], str]
    gaps: tuple[GapEntry, ...]
    summary: dict[str, Any]
    #: The build's ``threats_fail_on``; ``None`` when the file does not say.
    fail_on: tuple[str, ...] | None

    def of(self, key: str) -> dict[str, dict[str, Any]]:
        """The items listed under ``key`` (empty when there are none)."""
        return self.items.get(key, {})

    def own(self, key: str) -> dict[str, dict[str, Any]]:
        """The items listed under ``key`` that this project declares (not
        another project's, marked ``"external"``)."""
        return {i: e for i, e in self.of(key).items() if not e.get("external")}

    def gap_severity(self, gap: GapEntry) -> str | None:
        """The most severe severity of the threats the gap names (``None`` when
        it names none, or only threats without a severity)."""
        threats = self.of("threats")
        found = [threats[i].get("severity") for i in gap.ids if i in threats]
        known = [s for s in found if isinstance(s, str)]
        return min(known, key=severity_rank, default=None)

    def build_failing(self, gap: GapEntry) -> bool:
        """Whether ``gap`` failed the build that wrote the file.

        Files that do not record it count the unsuppressed gaps of the
        recorded ``"fail-on"`` kinds (or of the default ``threats_fail_on``).
        """
        if gap.fails is not None:
            return gap.fails
        kinds = DEFAULT_FAIL_ON if self.fail_on is None else self.fail_on
        return not gap.suppressed and gap.kind in kinds


def load(path: str) -> ThreatsFile:
    """Read and check ``path``; any problem is a :class:`UsageError`."""
    try:
        with open(path, encoding="utf-8") as stream:
            raw = json.load(stream)
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such file (a build writes threats.json into its output directory)"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; give the threats.json file") from None
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{path} is not JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except RecursionError:
        raise UsageError(f"{path} is not a threats.json: nested too deeply") from None
    return parse(raw, path)


def parse(raw: Any, path: str) -> ThreatsFile:
    """Check the parsed JSON of ``path`` and wrap it."""
    if not isinstance(raw, dict) or "schema" not in raw:
        raise UsageError(
            f'{path} is not a threats.json written by sphinx-threats (no "schema" key)'
        )
    schema = raw["schema"]
    if schema != SUPPORTED_SCHEMA or isinstance(schema, bool):
        newer = isinstance(schema, int) and not isinstance(schema, bool) and schema > 1
        raise UsageError(
            f"{path} has schema version {json.dumps(schema)}; this sphinx-threats reads schema "
            f"{SUPPORTED_SCHEMA} only" + (" (upgrade sphinx-threats to read it)" if newer else "")
        )
    check = _Checker(path)
    items: dict[str, dict[str, dict[str, Any]]] = {}
    for key, entries in check.mapping(raw.get("items", {}), "items").items():
        listed = items[key] = {}
        for n, entry in enumerate(check.sequence(entries, f"items.{key}")):
            where = f"items.{key}[{n}]"
            entry = check.mapping(entry, where)
            ident = check.text(entry.get("id"), f"{where}.id")
            check.text(entry.get("file", ""), f"{where}.file")
            check.integer(entry.get("lineno", 0), f"{where}.lineno")
            listed.setdefault(ident, entry)  # sorted by ID, file, line: the first wins
    coverage: dict[tuple[str, str], str] = {}
    for n, pair in enumerate(check.sequence(raw.get("coverage", []), "coverage")):
        where = f"coverage[{n}]"
        pair = check.mapping(pair, where)
        threat = check.text(pair.get("threat"), f"{where}.threat")
        service = check.text(pair.get("service"), f"{where}.service")
        coverage[threat, service] = check.text(pair.get("status"), f"{where}.status")
    gaps = []
    for n, gap in enumerate(check.sequence(raw.get("gaps", []), "gaps")):
        where = f"gaps[{n}]"
        gap = check.mapping(gap, where)
        ids = check.sequence(gap.get("ids", []), f"{where}.ids")
        fails = gap.get("fails")
        gaps.append(
            GapEntry(
                kind=check.text(gap.get("kind"), f"{where}.kind"),
                message=check.text(gap.get("message", ""), f"{where}.message"),
                ids=tuple(check.text(i, f"{where}.ids") for i in ids),
                file=check.text(gap.get("file", ""), f"{where}.file"),
                lineno=check.integer(gap.get("lineno", 0), f"{where}.lineno"),
                suppressed=check.boolean(gap.get("suppressed", False), f"{where}.suppressed"),
                fails=None if fails is None else check.boolean(fails, f"{where}.fails"),
            )
        )
    fail_on = raw.get("fail-on")
    if fail_on is not None:
        fail_on = tuple(check.text(k, "fail-on") for k in check.sequence(fail_on, "fail-on"))
    project = raw.get("project")
    return ThreatsFile(
        path=path,
        project=project if isinstance(project, str) else "",
        items=items,
        coverage=coverage,
        gaps=tuple(gaps),
        summary=check.mapping(raw.get("summary", {}), "summary"),
        fail_on=fail_on,
    )


class _Checker:
    """Type checks that name the file and the JSON path of a bad value."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _fail(self, where: str, expected: str, value: Any) -> UsageError:
        return UsageError(
            f"{self.path} is not a valid threats.json: {where} should be {expected}, "
            f"not {json.dumps(value)[:40]}"
        )

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._fail(where, "an object", value)
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self._fail(where, "a list", value)
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self._fail(where, "a string", value)
        return value

    def integer(self, value: Any, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(where, "an integer", value)
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self._fail(where, "true or false", value)
        return value
