"""Evidence: JUnit XML test results judging ``verified`` mitigations.

Pure (no Sphinx).  ``threats_evidence`` names JUnit XML files the test run
wrote before the docs build; :func:`read_junit` reads one, :func:`merge`
makes one set of results of them (a test's result is its worst across the
files), and :func:`judge` decides, per mitigation, what its ``test:``
entries of ``:verified-by:`` (and the test cases whose ``mitigates``
property names it) say.

A JUnit file is written by whoever can change the tests or the CI job, so it
is read like a catalogue: at most :data:`MAX_BYTES`, and with ``defusedxml``,
which refuses a document type declaration outright: no entity (so no
"billion laughs" expansion), no external reference (so nothing is read from
another file or the network), no DTD retrieval.  A refused or malformed file
is one ``invalid`` problem at the file, and nothing of it counts.

Which test an entry names (SPEC, Evidence): a pytest node ID
(``tests/test_x.py::TestY::test_z[param]``) is matched by a test case's
``file`` attribute when the case has one, else by its ``classname`` mapped
to a path (``tests.test_x.TestY`` is ``tests/test_x.py::TestY``); any other
entry is ``classname.name``.  A node ID without ``[param]`` names every
parametrisation of the test.  An entry naming several tests that are not
the same test is ambiguous: one ``invalid``, judging nothing.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .model import Gap, GapKind, Location, Mitigation, Problem
from .safeload import MAX_YAML_BYTES

#: The largest JUnit file read, in bytes: as large as a catalogue may be (a
#: suite of 20,000 test cases writes about 3 MiB).
MAX_BYTES = MAX_YAML_BYTES

#: How a ``:verified-by:`` entry names a test.
TEST_PREFIX = "test:"

#: The test case property naming the mitigations a test is evidence for
#: (``record_property("mitigates", "MIT-1, MIT-2")``).
MITIGATES_PROPERTY = "mitigates"


class Result(enum.StrEnum):
    """What a test case's run gave; the order is from best to worst."""

    PASSED = "passed"
    SKIPPED = "skipped"
    FAILED = "failed"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for the best; the worst result of a test wins across files."""
        return _RESULTS.index(self)


_RESULTS = tuple(Result)

#: What a named test that is in no evidence file shows.
ABSENT = "absent"


class CaseResult(NamedTuple):
    """One test, as the evidence files report it (merged across them)."""

    #: The ``classname`` attribute (``tests.test_x.TestY``).
    classname: str
    #: The ``name`` attribute (``test_z[param]``).
    name: str
    #: The ``file`` attribute (``tests/test_x.py``; ``""`` when not written).
    file: str
    result: Result
    #: The mitigation IDs its ``mitigates`` property lists.
    mitigates: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        """``classname.name``: how it is shown, and one way to name it."""
        return f"{self.classname}.{self.name}" if self.classname else self.name

    @property
    def identity(self) -> tuple[str, str]:
        """What makes two cases (in two files) the same test."""
        return self.classname, self.name


class EvidenceFile(NamedTuple):
    """What one JUnit file holds."""

    #: The path as warnings show it (relative to the source directory).
    file: str
    #: A digest of its bytes (``""`` when it could not be read).
    digest: str
    cases: tuple[CaseResult, ...]
    problems: tuple[Problem, ...]


def _invalid(file: str, message: str, line: int = 1) -> EvidenceFile:
    return EvidenceFile(file, "", (), (Problem(GapKind.INVALID, message, Location(file, line)),))


def read_junit(path: Path, file: str) -> EvidenceFile:
    """Read the JUnit XML file at ``path`` (shown as ``file``); never raises
    on bad input: a refused file is one ``invalid`` problem and no cases."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return _invalid(
                file, f"the evidence file is {size} bytes; the limit is {MAX_BYTES} bytes"
            )
        data = path.read_bytes()
    except OSError as err:
        return _invalid(file, f"cannot read the evidence file ({err.strerror or err})")
    try:
        # forbid_dtd: a JUnit file never needs a document type declaration,
        # and refusing it refuses every entity and external reference at once
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        return _invalid(
            file,
            f"the evidence file is refused: {type(err).__name__} (a JUnit file needs no "
            "document type declaration, entity or external reference)",
            _line_of(err),
        )
    except ParseError as err:
        line = err.position[0] if err.position else 1
        return _invalid(file, f"the evidence file is not well-formed XML: {err.msg}", line)
    cases = tuple(_case(node) for node in root.iter("testcase"))
    return EvidenceFile(file, hashlib.sha256(data).hexdigest(), cases, ())


def _line_of(err: DefusedXmlException) -> int:
    """The line defusedxml names (its exceptions carry expat's position)."""
    line = getattr(err, "lineno", None)
    return line if isinstance(line, int) and line > 0 else 1


_SPLIT = re.compile(r"[,\s]+")


def _case(node: Any) -> CaseResult:
    result = Result.PASSED
    mitigates: list[str] = []
    for child in node:
        tag = child.tag
        if tag == "error":
            result = max(result, Result.ERROR, key=_rank)
        elif tag == "failure":
            result = max(result, Result.FAILED, key=_rank)
        elif tag == "skipped":
            result = max(result, Result.SKIPPED, key=_rank)
        elif tag == "properties":
            for prop in child.iter("property"):
                if prop.get("name") == MITIGATES_PROPERTY:
                    mitigates += [m for m in _SPLIT.split(prop.get("value") or "") if m]
    return CaseResult(
        node.get("classname") or "",
        node.get("name") or "",
        node.get("file") or "",
        result,
        tuple(dict.fromkeys(mitigates)),
    )


def _rank(result: Result) -> int:
    return result.rank


# -- merged results --------------------------------------------------------------------


def _base(name: str) -> str:
    """A test name without its parametrisation (``test_z[1]`` -> ``test_z``)."""
    return name.split("[", 1)[0]


def _module(path: str) -> str:
    """A test file's path as pytest's ``classname`` spells it."""
    return path.removesuffix(".py").replace("/", ".")


@dataclass(frozen=True)
class EvidenceResults:
    """Every test of the evidence files, merged; and how entries find them."""

    #: Each test once (by :attr:`CaseResult.identity`), with its worst result.
    cases: tuple[CaseResult, ...] = ()
    #: Tests by the node ID their ``file`` attribute gives, without ``[param]``.
    _by_node: dict[str, list[CaseResult]] = field(default_factory=dict, repr=False)
    #: Tests by (``classname``, name without ``[param]``).
    _by_class: dict[tuple[str, str], list[CaseResult]] = field(default_factory=dict, repr=False)
    #: Tests by ``classname.name`` (and without ``[param]``).
    _by_dotted: dict[str, list[CaseResult]] = field(default_factory=dict, repr=False)

    def find(self, test: str) -> list[CaseResult]:
        """The tests ``test`` (a ``test:`` entry, without the prefix) names."""
        if "::" in test or test.endswith(".py"):
            path, _, rest = test.partition("::")
            parts = rest.split("::") if rest else []
            name = parts.pop() if parts else ""
            node = "::".join((path, *parts, _base(name)))
            found = self._by_node.get(node)
            if found is None:
                found = self._by_class.get((".".join((_module(path), *parts)), _base(name)), [])
            if "[" in name:  # one parametrisation
                found = [case for case in found if case.name == name]
        else:
            found = self._by_dotted.get(test, [])
            if "[" in test:
                found = [case for case in found if case.dotted == test]
        return found


def merge(files: Iterable[EvidenceFile]) -> EvidenceResults:
    """The tests of ``files``: each once, with its worst result across them,
    and the mitigations its ``mitigates`` property names in any of them."""
    merged: dict[tuple[str, str], CaseResult] = {}
    for evidence in files:
        for case in evidence.cases:
            seen = merged.get(case.identity)
            if seen is None:
                merged[case.identity] = case
                continue
            merged[case.identity] = seen._replace(
                result=max(seen.result, case.result, key=_rank),
                file=seen.file or case.file,
                mitigates=tuple(dict.fromkeys((*seen.mitigates, *case.mitigates))),
            )
    by_node: dict[str, list[CaseResult]] = defaultdict(list)
    by_class: dict[tuple[str, str], list[CaseResult]] = defaultdict(list)
    by_dotted: dict[str, list[CaseResult]] = defaultdict(list)
    for case in merged.values():
        base = _base(case.name)
        if case.file:
            module = _module(case.file)
            classes = case.classname.removeprefix(module).lstrip(".")
            if case.classname == module or case.classname.startswith(module + "."):
                node = "::".join(p for p in (case.file, classes.replace(".", "::"), base) if p)
                by_node[node].append(case)
        by_class[(case.classname, base)].append(case)
        by_dotted[f"{case.classname}.{base}"].append(case)
        if base != case.name:
            by_dotted[case.dotted].append(case)
    return EvidenceResults(tuple(merged.values()), dict(by_node), dict(by_class), dict(by_dotted))


# -- judging mitigations -----------------------------------------------------------------


class Verdict(enum.StrEnum):
    """What a mitigation's judged tests say together."""

    #: Every judged test passed.
    PASSED = "passed"
    #: A judged test failed or errored (``failing-evidence``).
    FAILING = "failing"
    #: No test failed, but one is absent or was skipped (``missing-evidence``).
    MISSING = "missing"


class JudgedTest(NamedTuple):
    """One judged test of a mitigation."""

    #: The test as ``:verified-by:`` names it (``test:`` left out), or, for a
    #: test that names the mitigation in its ``mitigates`` property, its
    #: ``classname.name``.
    test: str
    #: A :class:`Result` value, or :data:`ABSENT`.
    result: str


class Evidence(NamedTuple):
    """What the evidence says of one mitigation."""

    tests: tuple[JudgedTest, ...]
    verdict: Verdict

    def count(self, *results: str) -> int:
        """How many judged tests have one of ``results``."""
        return sum(1 for t in self.tests if t.result in results)


_FAILING = (Result.FAILED.value, Result.ERROR.value)
_MISSING = (Result.SKIPPED.value, ABSENT)


def named_tests(verified_by: str) -> list[str]:
    """The tests a ``:verified-by:`` value names (one entry per line)."""
    return [
        line.strip()[len(TEST_PREFIX) :].strip()
        for line in verified_by.splitlines()
        if line.strip().startswith(TEST_PREFIX) and line.strip()[len(TEST_PREFIX) :].strip()
    ]


class Judged(NamedTuple):
    """The evidence of every judged mitigation, and the gaps it makes."""

    evidence: dict[str, Evidence]
    gaps: list[Gap]


def _worst(cases: Sequence[CaseResult]) -> str:
    return max((c.result for c in cases), key=_rank).value


def judge(
    mitigations: Iterable[Mitigation],
    results: EvidenceResults | None,
    severity_of: Callable[[Mitigation], str | None],
) -> Judged:
    """Judge every mitigation's tests against ``results`` (``None``: no
    ``threats_evidence``, nothing is judged).

    Gaps only for a ``verified`` mitigation (it claims what the tests say);
    any other shows its results and stays as declared.
    """
    if results is None:
        return Judged({}, [])
    by_mitigation: dict[str, list[CaseResult]] = defaultdict(list)
    for case in results.cases:
        for ident in case.mitigates:
            by_mitigation[ident].append(case)
    evidence: dict[str, Evidence] = {}
    gaps: list[Gap] = []
    for mit in mitigations:
        tests: list[JudgedTest] = []
        counted: set[tuple[str, str]] = set()
        where = mit.location_of("verified-by")
        for entry in named_tests(mit.verified_by):
            found = results.find(entry)
            if len({(c.classname, _base(c.name)) for c in found}) > 1:
                gaps.append(_ambiguous(mit, entry, found, where))
                continue
            counted.update(c.identity for c in found)
            tests.append(JudgedTest(entry, _worst(found) if found else ABSENT))
        for case in by_mitigation.get(mit.id, ()):
            if case.identity not in counted:
                counted.add(case.identity)
                tests.append(JudgedTest(case.dotted, case.result.value))
        if not tests:
            continue
        verdict = _verdict(tests)
        evidence[mit.id] = Evidence(tuple(tests), verdict)
        if mit.status == "verified":
            gaps += _evidence_gaps(mit, tests, where, severity_of(mit))
    return Judged(evidence, gaps)


def _verdict(tests: Sequence[JudgedTest]) -> Verdict:
    if any(t.result in _FAILING for t in tests):
        return Verdict.FAILING
    if any(t.result in _MISSING for t in tests):
        return Verdict.MISSING
    return Verdict.PASSED


def _listed(tests: Iterable[JudgedTest]) -> str:
    return ", ".join(f"{t.test!r} ({t.result})" for t in tests)


def _evidence_gaps(
    mit: Mitigation, tests: Sequence[JudgedTest], where: Location, severity: str | None
) -> list[Gap]:
    """``failing-evidence`` for the tests that failed or errored, and
    ``missing-evidence`` for those absent or skipped (two causes, two gaps)."""
    gaps = []
    ids = (mit.id, *mit.mitigates)
    failing = [t for t in tests if t.result in _FAILING]
    if failing:
        message = (
            f"mitigation {mit.id!r} is verified, but its evidence fails: {_listed(failing)}; "
            "it counts as implemented until the tests pass"
        )
        gaps.append(Gap(GapKind.FAILING_EVIDENCE, message, ids, where, severity, True))
    missing = [t for t in tests if t.result in _MISSING]
    if missing:
        message = (
            f"mitigation {mit.id!r} is verified, but its evidence is missing: "
            f"{_listed(missing)}; it counts as implemented until the tests run and pass "
            "(is the test named as pytest names it, and its results file in threats_evidence?)"
        )
        gaps.append(Gap(GapKind.MISSING_EVIDENCE, message, ids, where, severity, True))
    return gaps


def _ambiguous(mit: Mitigation, entry: str, found: Sequence[CaseResult], where: Location) -> Gap:
    names = sorted({f"classname {c.classname!r} name {_base(c.name)!r}" for c in found})
    message = (
        f"mitigation {mit.id!r} (:verified-by:) names {TEST_PREFIX}{entry}, which matches "
        f"several tests ({', '.join(names)}); write its full pytest node ID "
        "(path::Class::name), and nothing is judged by it until then"
    )
    return Gap(GapKind.INVALID, message, (mit.id,), where)


def counts_as(mit: Mitigation, evidence: Evidence | None) -> str:
    """The status ``mit`` counts as: a ``verified`` mitigation whose evidence
    fails or is missing counts as ``implemented``."""
    status = mit.status or "planned"
    if status == "verified" and evidence is not None and evidence.verdict is not Verdict.PASSED:
        return "implemented"
    return status
