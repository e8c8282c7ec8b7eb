"""Every report directive: its own options, its view and its drawing.

A new report is a module in ``views/`` (its view and options), one in
``render/`` (its drawing) and a line in :data:`REPORTS`.  Each entry ties its
view to its drawing through one type (a :class:`ReportSpec` whose view makes
what its drawing takes), so the callers ask for nodes, never handle a view
of unknown type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from docutils import nodes

from ..analysis import Report
from ..views import coverage, dfd, graph, matrix
from ..views.completeness import completeness_view
from ..views.gaps import gaps_view
from ..views.projects import projects_view
from ..views.request import ReportOption, ReportRequest
from ..views.risk_map import risk_map_view
from ..views.summary import summary_view
from .completeness import draw_completeness
from .coverage import draw_coverage
from .elements import NO_SEARCH, element
from .gaps import draw_gaps
from .graph import draw_graph
from .matrix import draw_matrix
from .projects import draw_projects
from .renderer import Renderer
from .risk_map import draw_risk_map
from .summary import draw_summary

#: A report's view: an immutable record (a named tuple, or a tuple of them).
View = TypeVar("View", bound=tuple[object, ...])


class ReportEntry(Protocol):
    """What the directives, the page digests and the writing need of a report."""

    @property
    def name(self) -> str:
        """The directive's name (``threat-matrix``)."""
        ...

    @property
    def options(self) -> Mapping[str, ReportOption]:
        """Its own options, besides the filters (``views.request.FILTERS``)."""
        ...

    def view_of(self, report: Report, request: ReportRequest) -> tuple[object, ...]:
        """What the report shows for ``request`` (its digest tells a page changed)."""
        ...

    def nodes_of(
        self, renderer: Renderer, report: Report, request: ReportRequest
    ) -> list[nodes.Node]:
        """The report's nodes for ``request``: its view, drawn."""
        ...


@dataclass(frozen=True)
class ReportSpec(Generic[View]):
    """One report directive: its options, the view it computes and how it is drawn."""

    name: str
    options: Mapping[str, ReportOption]
    view: Callable[[Report, ReportRequest], View]
    draw: Callable[[Renderer, View], list[nodes.Node]]

    def view_of(self, report: Report, request: ReportRequest) -> View:
        """What the report shows for ``request``."""
        return self.view(report, request)

    def nodes_of(
        self, renderer: Renderer, report: Report, request: ReportRequest
    ) -> list[nodes.Node]:
        """The report's nodes for ``request``."""
        return self.draw(renderer, self.view(report, request))


def _spec(
    name: str,
    options: Mapping[str, ReportOption],
    view: Callable[[Report, ReportRequest], View],
    draw: Callable[[Renderer, View], list[nodes.Node]],
) -> ReportEntry:
    """A :class:`ReportSpec`, its view type inferred from ``view`` and
    ``draw`` alone (so that a drawing that takes another view is an error)."""
    spec: ReportSpec[View] = ReportSpec(name, options, view, draw)
    return spec


def _by_name(*specs: ReportEntry) -> dict[str, ReportEntry]:
    return {spec.name: spec for spec in specs}


#: Every report directive, by name: read by the directives, the page digests,
#: the writing and the reference documentation.
REPORTS: dict[str, ReportEntry] = _by_name(
    _spec("threat-matrix", matrix.OPTIONS, matrix.matrix_view, draw_matrix),
    _spec("threat-coverage", coverage.OPTIONS, coverage.coverage_view, draw_coverage),
    _spec("threat-gaps", {}, gaps_view, draw_gaps),
    _spec("threat-summary", {}, summary_view, draw_summary),
    _spec("threat-risk-map", {}, risk_map_view, draw_risk_map),
    _spec("threat-graph", graph.OPTIONS, graph.graph_view, draw_graph),
    _spec("threat-completeness", {}, completeness_view, draw_completeness),
    _spec("threat-projects", {}, projects_view, draw_projects),
    _spec("threat-dfd", dfd.OPTIONS, dfd.dfd_view, draw_graph),
)


def report_view(report: Report, request: ReportRequest) -> tuple[object, ...]:
    """The view of one report directive (for the page's digest)."""
    return REPORTS[request.name].view_of(report, request)


def draw_report(renderer: Renderer, report: Report, request: ReportRequest) -> nodes.container:
    """The nodes of one report directive, in the container that marks it."""
    name = request.name
    drawn = REPORTS[name].nodes_of(renderer, report, request)
    return element(nodes.container, *drawn, classes=["threats-report", name, *NO_SEARCH])
