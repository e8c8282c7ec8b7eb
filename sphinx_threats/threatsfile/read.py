"""Reading ``threats.json`` back: one check of the whole file, typed records.

Every reader goes through here: the command (``sphinx-threats``), another
project's model (``threats_external``) and the exporters.  A file is data
from anyone (a pull request, another repository), so it is checked whole
before anything uses it: JSON read within the bounds of
:func:`~sphinx_threats.safeload.load_json` (size, depth, no ``NaN`` or
infinities), every value of the type the shipped JSON Schema gives
it (:mod:`.shape`).  Unknown keys are ignored and a missing optional key
takes its default, declared once below, so a file from an older or a newer
build of the same schema version still reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from .. import analysis
from ..config import CONFIG_VALUES, DEFAULT_FAIL_ON, category_labels
from ..model import Mitigation
from ..safeload import Malformed, Refused, load_json
from ..schema.options import Vocabulary
from . import SCHEMA_VERSION, shape


def _default(name: str) -> Any:
    return next(c.default for c in CONFIG_VALUES if c.name == name)


#: The vocabulary of a file that does not record its own (``"vocabulary"``,
#: written since 0.x): the configuration's defaults.
DEFAULT_VOCABULARY = Vocabulary(
    categories=tuple(category_labels(_default("threats_categories"))),
    severities=tuple(_default("threats_severities")),
    likelihoods=tuple(_default("threats_likelihoods")),
    impacts=tuple(_default("threats_impacts")),
)

#: Severities from most to least severe: the default of ``threats_severities``.
SEVERITIES: tuple[str, ...] = DEFAULT_VOCABULARY.severities

#: A mitigation's ``:effect:`` when its entry has none: the model's default.
DEFAULT_EFFECT = str(next(f.default for f in fields(Mitigation) if f.name == "effect"))


def severity_rank(severity: str | None, severities: tuple[str, ...] = SEVERITIES) -> int:
    """0 for the most severe of ``severities``; a missing or unknown severity
    counts as the most severe (as it does for ``threats_fail_min_severity``)."""
    return analysis.severity_rank(severity, severities)


class FormatError(ValueError):
    """The data is not a ``threats.json`` this version reads.

    The message is a predicate (``is not JSON: ...``): :meth:`about` puts the
    file's name in front of it.
    """

    def about(self, subject: str) -> str:
        """The message about ``subject`` (a path, or ``it``)."""
        return f"{subject} {self}"


class EvidenceEntry(NamedTuple):
    """A mitigation's ``"evidence"``: what the build's test results said."""

    #: ``passed``, ``failing`` or ``missing``.
    result: str
    #: The status the mitigation counted as (``implemented`` for a verified
    #: one whose evidence fails or is missing).
    counts_as: str
    #: (test, result) for each judged test.
    tests: tuple[tuple[str, str], ...]


class ItemEntry(NamedTuple):
    """One entry of ``"items"``: the place of an item and its values as written."""

    #: The list it is in (``"threats"``, ``"mitigations"``, ...).
    key: str
    id: str
    #: ``""`` when the entry has none.
    title: str
    #: Source path relative to the Sphinx source directory.
    file: str
    #: 1-based line, 0 when unknown.
    lineno: int
    #: The item's page and anchor, relative to the output root (``""``: none).
    uri: str
    #: The ``threats_external`` source it came from; ``""`` for the project's own.
    external: str
    #: The item's review digest (see :mod:`~sphinx_threats.digest`); ``""``
    #: when the file records none.
    digest: str
    #: The whole entry: options by name, ``"status"``, ``"in-effect"``, ...
    values: Mapping[str, Any]
    #: The ``threats_aggregate`` member it came from; ``""`` for the project's own.
    project: str = ""

    @property
    def foreign(self) -> bool:
        """Whether the entry is another project's item (external or a member's)."""
        return bool(self.external or self.project)

    def text(self, name: str) -> str | None:
        """The value of ``name`` when it is a non-empty string."""
        value = self.values.get(name)
        return value if isinstance(value, str) and value else None

    def texts(self, name: str) -> tuple[str, ...]:
        """The strings of the list value of ``name`` (empty when it is none)."""
        value = self.values.get(name)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    @property
    def evidence(self) -> EvidenceEntry | None:
        """A mitigation's ``"evidence"`` (``None``: nothing judged its tests)."""
        value = self.values.get("evidence")
        if not isinstance(value, dict):
            return None
        tests = value.get("tests")
        return EvidenceEntry(
            str(value.get("result", "")),
            str(value.get("counts-as", "")),
            tuple(
                (str(t.get("test", "")), str(t.get("result", "")))
                for t in (tests if isinstance(tests, list) else ())
                if isinstance(t, dict)
            ),
        )

    @property
    def effect(self) -> str:
        """A mitigation's ``:effect:`` (:data:`DEFAULT_EFFECT` when not given)."""
        return self.text("effect") or DEFAULT_EFFECT


class GapEntry(NamedTuple):
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
    #: An ``unanalysed`` gap's category (``""``: none).
    category: str = ""
    #: The member project the gap is located in (``""``: this project).
    project: str = ""
    #: The owner of the item the gap is located at (``""``: not known).
    owner: str = ""

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """What identifies the gap from one build to the next: its kind and IDs
        (not its place, so a moved item is the same gap), and its category
        after them when it has one (an element lacks several categories)."""
        ids = tuple(sorted(self.ids))
        return self.kind, (*ids, self.category) if self.category else ids


class SourceEntry(NamedTuple):
    """One entry of ``"sources"``: another project's file that the build read."""

    #: Its name in ``threats_external`` or ``threats_aggregate``.
    name: str
    #: That project's ``threats_project_id``.
    project_id: str
    #: The digest of every item it held, by ID, as the build read them.
    digests: Mapping[str, str]


@dataclass(frozen=True)
class ThreatsFile:
    """A ``threats.json``, read and checked."""

    #: The path or name it was read from, as given (``""``: not said).
    path: str
    project: str
    #: Every entry by list key (``"threats"``, ...), in file order.
    items: dict[str, tuple[ItemEntry, ...]]
    #: Status of every (threat, service) pair in scope.
    coverage: dict[tuple[str, str], str]
    gaps: tuple[GapEntry, ...]
    summary: dict[str, Any]
    #: The build's ``threats_fail_on``; ``None`` when the file does not say.
    fail_on: tuple[str, ...] | None
    #: The vocabulary in force in the build (:data:`DEFAULT_VOCABULARY` for a
    #: file that does not record it): what ranks its severities.
    vocabulary: Vocabulary = DEFAULT_VOCABULARY
    #: The project's ``threats_project_id`` (``""``: the file does not say).
    project_id: str = ""
    #: The other projects' files the build read.
    sources: tuple[SourceEntry, ...] = ()
    # built on first use, once per key: gap_severity looks up threats for every gap
    _by_id: dict[str, dict[str, ItemEntry]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def entries(self, key: str) -> tuple[ItemEntry, ...]:
        """Every entry listed under ``key``, in file order (duplicates too)."""
        return self.items.get(key, ())

    def of(self, key: str) -> dict[str, ItemEntry]:
        """The items listed under ``key`` by ID: the first declaration of a
        duplicate ID (the list is sorted by ID, file, line); another project's
        also under ``project-id:ID``, as the file's references name them."""
        found = self._by_id.get(key)
        if found is None:
            found = self._by_id[key] = {}
            foreign = []
            for entry in self.entries(key):
                if entry.foreign:
                    foreign.append((self.key_of(entry), entry))
                else:
                    found.setdefault(entry.id, entry)
            for written, entry in foreign:
                found.setdefault(written, entry)
            for _, entry in foreign:  # a file that wrote references unresolved
                found.setdefault(entry.id, entry)
        return found

    def key_of(self, entry: ItemEntry) -> str:
        """How this file's references name ``entry``: its ID, or ``project-id:ID``
        for another project's item (its source's project ID from ``"sources"``)."""
        name = entry.external or entry.project
        if not name:
            return entry.id
        project_id = next((s.project_id for s in self.sources if s.name == name), name)
        return f"{project_id}:{entry.id}"

    def own(self, key: str) -> dict[str, ItemEntry]:
        """The items listed under ``key`` that this project declares (not
        another project's, marked ``"external"`` or ``"project"``)."""
        return {i: e for i, e in self.of(key).items() if not e.foreign}

    def gap_severity(self, gap: GapEntry) -> str | None:
        """The most severe severity of the threats the gap names (``None`` when
        it names none, or only threats without a severity)."""
        threats = self.of("threats")
        found = [threats[i].text("severity") for i in gap.ids if i in threats]
        known = [s for s in found if s is not None]
        return min(known, key=self.severity_rank, default=None)

    def severity_rank(self, severity: str | None) -> int:
        """0 for the most severe in this file's vocabulary (:func:`severity_rank`)."""
        return severity_rank(severity, self.vocabulary.severities)

    def build_failing(self, gap: GapEntry) -> bool:
        """Whether ``gap`` failed the build that wrote the file.

        Files that do not record it count the unsuppressed gaps of the
        recorded ``"fail-on"`` kinds (or of the default ``threats_fail_on``).
        """
        if gap.fails is not None:
            return gap.fails
        kinds = DEFAULT_FAIL_ON if self.fail_on is None else self.fail_on
        return not gap.suppressed and gap.kind in kinds


def read(data: bytes, path: str = "") -> ThreatsFile:
    """The ``threats.json`` in ``data``; any problem is a :class:`FormatError`.

    Read by the bounded JSON reader (:mod:`~sphinx_threats.safeload`): size,
    depth, ``NaN``/``Infinity``, numbers out of range and lone surrogates are
    refused there, as for every JSON text the package reads."""
    try:
        raw = load_json(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FormatError("is not JSON (not UTF-8 text)") from None
    except Malformed as err:
        raise FormatError(f"{err.reason} at line {err.line}, column {err.column}") from None
    except Refused as err:
        raise FormatError(
            f"is not a threats.json: it {err.reason} (line {err.line}, column {err.column})"
        ) from None
    return parse(raw, path)


def parse(raw: Any, path: str = "") -> ThreatsFile:
    """Check the parsed JSON of a ``threats.json`` and wrap it."""
    if not isinstance(raw, dict) or "schema" not in raw:
        raise FormatError('is not a threats.json written by sphinx-threats (no "schema" key)')
    schema = raw["schema"]
    if schema != SCHEMA_VERSION or isinstance(schema, bool):
        newer = isinstance(schema, int) and not isinstance(schema, bool) and schema > 1
        raise FormatError(
            f"has schema version {json.dumps(schema)}; this sphinx-threats reads schema "
            f"{SCHEMA_VERSION} only" + (" (upgrade sphinx-threats to read it)" if newer else "")
        )
    try:
        shape.check(raw)
    except shape.ShapeError as err:
        raise FormatError(f"is not a valid threats.json: {err}") from None
    check = _Checker()
    fail_on = raw.get("fail-on")
    if fail_on is not None:
        fail_on = tuple(check.text(k, "fail-on") for k in check.sequence(fail_on, "fail-on"))
    project = raw.get("project")
    project_id = raw.get("project_id")
    return ThreatsFile(
        path=path,
        project=project if isinstance(project, str) else "",
        items=_items(check, raw.get("items", {})),
        coverage=_coverage(check, raw.get("coverage", [])),
        gaps=_gaps(check, raw.get("gaps", [])),
        summary=check.mapping(raw.get("summary", {}), "summary"),
        fail_on=fail_on,
        vocabulary=_vocabulary(raw.get("vocabulary")),
        project_id=project_id if isinstance(project_id, str) else "",
        sources=_sources(check, raw.get("sources", [])),
    )


def _vocabulary(raw: dict[str, list[str]] | None) -> Vocabulary:
    """The recorded vocabulary; a list the file does not give (or gives
    empty) is the default one."""
    given = {name: tuple(values) for name, values in (raw or {}).items() if values}
    return Vocabulary(
        categories=given.get("categories", DEFAULT_VOCABULARY.categories),
        severities=given.get("severities", DEFAULT_VOCABULARY.severities),
        likelihoods=given.get("likelihoods", DEFAULT_VOCABULARY.likelihoods),
        impacts=given.get("impacts", DEFAULT_VOCABULARY.impacts),
        statuses=given.get("statuses", DEFAULT_VOCABULARY.statuses),
    )


def _sources(check: _Checker, raw: Any) -> tuple[SourceEntry, ...]:
    sources = []
    for n, source in enumerate(check.sequence(raw, "sources")):
        where = f"sources[{n}]"
        source = check.mapping(source, where)
        digests = check.mapping(source.get("digests", {}), f"{where}.digests")
        sources.append(
            SourceEntry(
                name=check.text(source.get("name", ""), f"{where}.name"),
                project_id=check.text(source.get("project_id", ""), f"{where}.project_id"),
                digests={k: check.text(v, f"{where}.digests") for k, v in digests.items()},
            )
        )
    return tuple(sources)


def _items(check: _Checker, raw: Any) -> dict[str, tuple[ItemEntry, ...]]:
    items: dict[str, tuple[ItemEntry, ...]] = {}
    for key, entries in check.mapping(raw, "items").items():
        listed = []
        listed_at = shape.path("items", key)
        for n, entry in enumerate(check.sequence(entries, listed_at)):
            where = f"{listed_at}[{n}]"
            entry = check.mapping(entry, where)
            external = entry.get("external") or ""
            member = entry.get("project") or ""
            listed.append(
                ItemEntry(
                    key=key,
                    id=check.text(entry.get("id"), f"{where}.id"),
                    title=check.text(entry.get("title") or "", f"{where}.title"),
                    file=check.text(entry.get("file", ""), f"{where}.file"),
                    lineno=check.integer(entry.get("lineno", 0), f"{where}.lineno"),
                    uri=check.text(entry.get("uri") or "", f"{where}.uri"),
                    external=check.text(external, f"{where}.external"),
                    digest=check.text(entry.get("digest") or "", f"{where}.digest"),
                    values=entry,
                    project=check.text(member, f"{where}.project"),
                )
            )
        items[key] = tuple(listed)
    return items


def _coverage(check: _Checker, raw: Any) -> dict[tuple[str, str], str]:
    coverage: dict[tuple[str, str], str] = {}
    for n, pair in enumerate(check.sequence(raw, "coverage")):
        where = f"coverage[{n}]"
        pair = check.mapping(pair, where)
        threat = check.text(pair.get("threat"), f"{where}.threat")
        service = check.text(pair.get("service"), f"{where}.service")
        coverage[threat, service] = check.text(pair.get("status"), f"{where}.status")
    return coverage


def _gaps(check: _Checker, raw: Any) -> tuple[GapEntry, ...]:
    gaps = []
    for n, gap in enumerate(check.sequence(raw, "gaps")):
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
                category=check.text(gap.get("category", ""), f"{where}.category"),
                project=check.text(gap.get("project") or "", f"{where}.project"),
                owner=check.text(gap.get("owner") or "", f"{where}.owner"),
            )
        )
    return tuple(gaps)


class _Checker:
    """Type checks that name the JSON path of a bad value."""

    @staticmethod
    def _fail(where: str, expected: str, value: Any) -> FormatError:
        return FormatError(
            f"is not a valid threats.json: {shape.ShapeError(where, expected, value)}"
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
        # 3.0 is an integer to JSON Schema, so it is one here
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(where, "an integer", value)
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self._fail(where, "true or false", value)
        return value
