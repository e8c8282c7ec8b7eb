"""Writing ``threats.json``: the model, its coverage and its gaps as stable JSON.

Keys and lists are sorted, so two builds of the same sources diff cleanly and
serial and parallel builds write identical bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from ..analysis import AcceptanceState, Report, assumption_is_stale
from ..digest import digest_of
from ..evidence import Evidence, counts_as
from ..figures import overall_coverage, service_figures
from ..model import (
    Assumption,
    Gap,
    Item,
    Kind,
    Mitigation,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    severity_word,
    worst_status,
)
from ..owners import gap_owner
from ..schema.options import REFERENCES, Vocabulary, option_values
from . import SCHEMA_VERSION
from .read import SourceEntry


def item_status(report: Report, item: Item) -> str | None:
    """The computed status shown for an item in ``threats.json``."""
    if isinstance(item, Threat):
        status = report.threat_status.get(item.id)
        return None if status is None else status.value
    if isinstance(item, RiskAcceptance):
        return report.acceptance_state.get(item.id, AcceptanceState.INVALID).value
    if isinstance(item, Service):
        worst = worst_status(p.status for p in report.service_coverage(item.id))
        return None if worst is None else worst.value
    if item.kind is Kind.NOT_APPLICABLE:
        return Status.NOT_APPLICABLE.value
    if isinstance(item, Assumption):
        return "stale" if assumption_is_stale(item, report.settings) else "current"
    return None


def written_ids(report: Report, sources: Iterable[SourceEntry]) -> Callable[[str], str]:
    """How ``threats.json`` writes an ID the analysis uses: resolved, as
    ``project-id:ID`` for another project's item (``sources`` name each
    source's ``project_id``), so that any reader can match it."""
    project_ids = {source.name: source.project_id for source in sources}
    table: dict[str, str] = {}
    for ident, item in report.index.items():
        name = item.location.foreign
        if name:
            own = ident.removeprefix(f"{name}:")
            table[ident] = f"{project_ids.get(name, name)}:{own}"

    def written(ident: str) -> str:
        if ident.startswith("!"):
            return "!" + table.get(ident[1:], ident[1:])
        return table.get(ident, ident)

    return written


def _written_options(item: Item, written: Callable[[str], str]) -> dict[str, object]:
    """``item``'s options as plain data, its references written resolved."""
    values = option_values(item)
    for option in REFERENCES[item.kind]:
        value = values.get(option.name)
        if isinstance(value, str):
            values[option.name] = written(value)
        elif isinstance(value, list):
            values[option.name] = [written(v) for v in value]
    return values


def to_data(
    report: Report,
    project: str,
    uri: Callable[[Item], str],
    suppressed: Callable[[Gap], bool],
    *,
    fail_on: Iterable[str] | None = None,
    failing: Collection[Gap] | None = None,
    vocabulary: Vocabulary | None = None,
    project_id: str = "",
    sources: Sequence[SourceEntry] = (),
) -> dict[str, Any]:
    """The content of ``threats.json``.

    ``fail_on`` (the build's ``threats_fail_on``) is written as ``"fail-on"``
    and ``failing`` (the gaps that failed the build) as each gap's ``"fails"``,
    so that ``sphinx-threats`` can fail exactly where the build did;
    ``vocabulary`` (the allowed values in force) as ``"vocabulary"``, so that
    it ranks custom severities as the build did.  Each is left out when not
    given.  ``sources`` are the other projects' files the build read
    (``"sources"``); every reference to one of their items is written
    ``project-id:ID``.
    """
    written = written_ids(report, sources)
    items: dict[str, list[dict[str, Any]]] = {kind.plural: [] for kind in Kind}
    for item in report.model.items:
        items[item.kind.plural].append(_item_entry(report, item, written, uri))
    for entries in items.values():
        entries.sort(key=lambda e: (e["id"], e["file"], e["lineno"]))
    gaps = [_gap_entry(report, g, written, suppressed(g)) for g in report.gaps]
    if failing is not None:
        for entry, gap in zip(gaps, report.gaps, strict=True):
            entry["fails"] = gap in failing
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "project": project,
        "project_id": project_id,
        "items": items,
        "coverage": _coverage_entries(report, written),
        "gaps": gaps,
        "summary": summary(report),
        "sources": [
            {"name": s.name, "project_id": s.project_id, "digests": dict(sorted(s.digests.items()))}
            for s in sorted(sources, key=lambda s: s.name)
        ],
    }
    if fail_on is not None:
        data["fail-on"] = sorted(set(fail_on))
    if vocabulary is not None:
        data["vocabulary"] = vocabulary_data(vocabulary)
    return data


def _item_entry(
    report: Report, item: Item, written: Callable[[str], str], uri: Callable[[Item], str]
) -> dict[str, Any]:
    """One item's entry: its options (references written resolved), where it
    is, its digest and what the analysis computed of it."""
    foreign = item.location.foreign
    entry: dict[str, Any] = {
        # another project's item is listed under its own ID, keyed by its project
        "id": item.id.removeprefix(f"{foreign}:") if foreign else item.id,
        "title": item.title,
        **_written_options(item, written),
        "digest": digest_of(item, report.settings.review_fields),
        "docname": item.location.docname,
        "file": item.location.file,
        "lineno": item.location.lineno,
        "uri": item.location.uri if foreign else uri(item),
    }
    if item.location.external:
        # another project's (threats_external): not exported as ours, and
        # a project reading this file leaves it out
        entry["external"] = item.location.external
    if item.location.project:
        # a member's (threats_aggregate): the same, and the reports say whose
        entry["project"] = item.location.project
    if isinstance(item, Mitigation):
        # the declared :status: stays; the computed part is what it achieves
        entry["in-effect"] = item.in_effect
        if item.need_type:  # a need counted as a mitigation (sphinx-needs bridge)
            entry["need-type"] = item.need_type
        evidence = report.evidence.get(item.id)
        if evidence is not None and report.index.get(item.id) is item:
            entry["evidence"] = evidence_data(item, evidence)
    else:
        entry["status"] = item_status(report, item)
    if isinstance(item, Threat):
        exposure = report.exposure.get(item.id)
        entry["exposure"] = None if exposure is None else exposure.value
    if item.kind is Kind.DATA_FLOW and not item.location.external:
        # computed, never declared: the boundaries it crosses
        entry["crosses"] = list(report.elements.crosses.get(item.id, ()))
    return entry


def _coverage_entries(report: Report, written: Callable[[str], str]) -> list[dict[str, Any]]:
    """Every (threat, service) pair's status and what decides it, sorted as written."""
    coverage = [
        {
            "threat": written(c.threat),
            "service": written(c.service),
            "status": c.status.value,
            "by": [written(i) for i in c.by],
        }
        for c in sorted(report.coverage.values(), key=lambda c: (c.threat, c.service))
    ]
    coverage.sort(key=lambda c: (c["threat"], c["service"]))
    return coverage


def evidence_data(mit: Mitigation, evidence: Evidence) -> dict[str, Any]:
    """What the test results say of ``mit``: the verdict, the status it
    counts as, and each judged test with its result (sorted by test)."""
    return {
        "result": evidence.verdict.value,
        "counts-as": counts_as(mit, evidence),
        "tests": [
            {"test": t.test, "result": t.result}
            for t in sorted(evidence.tests, key=lambda t: t.test)
        ],
    }


def vocabulary_data(vocabulary: Vocabulary) -> dict[str, list[str]]:
    """The vocabulary in force, each list in its configured order (most
    severe first for severities: the order is the ranking)."""
    return {
        "severities": list(vocabulary.severities),
        "categories": list(vocabulary.categories),
        "statuses": list(vocabulary.statuses),
        "likelihoods": list(vocabulary.likelihoods),
        "impacts": list(vocabulary.impacts),
    }


def _gap_entry(
    report: Report, gap: Gap, written: Callable[[str], str], suppressed: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": gap.kind.value,
        "message": gap.message,
        "ids": [written(i) for i in gap.ids],
        "docname": gap.location.docname,
        "file": gap.location.file,
        "lineno": gap.location.lineno,
        "suppressed": suppressed,
    }
    if gap.category:  # an unanalysed gap: the category the element lacks
        entry["category"] = gap.category
    owner = gap_owner(report, gap)
    if owner:
        entry["owner"] = owner
    if gap.location.project:
        entry["project"] = gap.location.project  # located in a member: the member's
    return entry


def summary(report: Report) -> dict[str, Any]:
    """Counts by status and severity, gaps by kind, coverage per service and overall."""
    # this project's threats: another project's (threats_external) count only
    # in the coverage of the services they are in scope for
    threats = [t for t in report.threats() if not t.location.external]
    services = {}
    for s in report.services:
        own, in_scope, total = service_figures(report, s)[1:]
        services[s] = {
            "covered": total.covered,
            "total": total.total,
            "percent": total.percent,
            "weighted-percent": total.weighted,
            "own": own.total,
            "own-covered": own.covered,
            "in-scope": in_scope.total,
            "in-scope-covered": in_scope.covered,
        }
    overall = overall_coverage(report)
    return {
        "threats": len(threats),
        "by-status": dict(Counter(report.threat_status[t.id].value for t in threats)),
        "by-exposure": dict(Counter(report.exposure[t.id].value for t in threats)),
        "by-severity": dict(Counter(severity_word(t.severity) for t in threats)),
        "gaps": dict(Counter(g.kind.value for g in report.gaps)),
        "services": services,
        "coverage": {
            "covered": overall.covered,
            "total": overall.total,
            "percent": overall.percent,
            "weighted-percent": overall.weighted,
        },
    }


def to_json(data: dict[str, Any]) -> str:
    """Serialise deterministically: sorted keys, one entry (item, pair, gap)
    per line, so that two builds diff line by line.

    Each entry is written by the C encoder (``json.dumps`` with ``indent``
    falls back to the pure-Python one, five times slower).
    """
    return "\n".join(_layout(data, "")) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _layout(value: Any, indent: str, depth: int = 0) -> list[str]:
    """Lines of ``value``: the top object, the ``items`` object and every list
    spread out, one line for each of their members."""
    inner = indent + "  "
    if isinstance(value, dict) and depth < 2 and value:
        keys = sorted(value)
        lines = ["{"]
        for position, key in enumerate(keys):
            member = _layout(value[key], inner, depth + 1)
            member[0] = f"{inner}{_compact(key)}: {member[0].lstrip()}"
            if position < len(keys) - 1:
                member[-1] += ","
            lines += member
        return [*lines, indent + "}"]
    if isinstance(value, list) and value:
        entries = [f"{inner}{_compact(v)}," for v in value]
        entries[-1] = entries[-1][:-1]
        return ["[", *entries, indent + "]"]
    return [indent + _compact(value)]
