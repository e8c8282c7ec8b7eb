"""What a report directive asks for: its filters and options, and the threats they select."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from ..analysis import Report, severity_rank
from ..model import Kind, NaturalKey, Status, Threat, natural_key, severity_word
from .backlinks import GAP_STATUS

#: Filter options of the report directives.
FILTERS = ("service", "category", "severity", "status", "tags")


class ReportRequest(NamedTuple):
    """One report directive as written: which report, its filters and options.

    Kept per page in the domain, so the page's digest covers the report.
    """

    name: str
    #: (filter option, values), sorted.
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: (option, value) of the report's own options, sorted.
    options: tuple[tuple[str, str], ...] = ()

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        """The filters as a mapping."""
        return dict(self.filters)

    def option(self, name: str) -> str | None:
        """The value of one of the report's own options, if given."""
        return dict(self.options).get(name)


class ReportOption(NamedTuple):
    """One of a report's own options: the values it allows."""

    values: tuple[str, ...]
    #: Takes a comma list of values (kept in the order given), not one value.
    many: bool = False
    help: str = ""
    #: For an option taking free text instead of one of ``values`` (``:of:``
    #: an ID): what it takes, in words (for messages and the reference), and
    #: its check, which returns what is wrong with a value (``""``: nothing).
    takes: str = ""
    check: Callable[[str], str] | None = None
    #: For an option naming an item (``:of:``): the kinds it may name (an
    #: ID naming none of them is ``unknown-ref``), and them in words.
    refers: tuple[Kind, ...] = ()
    refers_words: str = ""


def _matches(report: Report, threat: Threat, filters: Mapping[str, Sequence[str]]) -> bool:
    return all(
        _passes(report, threat, key, set(wanted)) for key, wanted in filters.items() if wanted
    )


def _passes(report: Report, threat: Threat, key: str, wanted: set[str]) -> bool:
    """Whether ``threat`` passes one report filter."""
    match key:
        case "service":
            in_scope = report.scope.get(threat.id, ())
            return threat.service in wanted or not wanted.isdisjoint(in_scope)
        case "category":
            return not wanted.isdisjoint(threat.category)
        case "severity":
            return severity_word(threat.severity) in wanted
        case "status":
            # a threat is as open as its most open service (its exposure), so
            # ``:status: unmitigated`` lists one mitigated overall but open somewhere
            exposure = report.exposure.get(threat.id)
            return str(exposure) in wanted or (
                exposure is Status.UNMITIGATED and GAP_STATUS in wanted
            )
        case "tags":
            return not wanted.isdisjoint(threat.tags)
    return True


#: A sort key of :func:`threat_order`.
ThreatKey = tuple[int, bool, NaturalKey]


def threat_order(report: Report) -> Callable[[Threat], ThreatKey]:
    """The order of threats in a report: most severe first (an unrated threat
    ranks as the most severe, ahead of it), then by ID in natural order."""
    severities = report.settings.severities

    def key(threat: Threat) -> ThreatKey:
        severity = threat.severity
        return (severity_rank(severity, severities), severity is not None, natural_key(threat.id))

    return key


def selected_threats(report: Report, filters: Mapping[str, Sequence[str]]) -> list[Threat]:
    """Threats passing the report filters, in :func:`threat_order`."""
    chosen = [
        t for t in report.index.values() if isinstance(t, Threat) and _matches(report, t, filters)
    ]
    return sorted(chosen, key=threat_order(report))
