"""``threat-projects``: one row per member project, with its state and answers."""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from ..model import MemberSummary
from ..views.projects import ProjectRow
from .elements import Cell, badge, element, fit, joined, para, table
from .renderer import Renderer


def _project(member: MemberSummary) -> nodes.paragraph:
    """The member's title, linked to its docs when they are known, and its name."""
    title: nodes.Node = nodes.Text(member.title)
    if member.url:
        title = element(nodes.reference, member.title, refuri=member.url, internal=False)
    return para(title, " (", element(nodes.literal, member.name), ")")


def _built(member: MemberSummary) -> nodes.paragraph:
    """When it was built, and against which version of this project's model."""
    parts: list[nodes.Node | str] = [member.built or "unknown"]
    if member.cached:
        parts += [" ", badge(f"cached copy, {member.cached} old", "gap", "unreachable-source")]
    parts.append(" ")
    if not member.against:
        parts.append(badge("not built against this model", "gap", "stale-member"))
    elif member.stale:
        counts = f"{member.changed} changed, {member.added} added, {member.removed} removed"
        parts.append(badge(f"stale: {counts}", "gap", "stale-member"))
    else:
        parts.append(badge("current", "status", "mitigated"))
    return para(*parts)


def _gaps(row: ProjectRow) -> nodes.paragraph:
    member = row.member
    here = ", ".join(f"{n} {kind}" for kind, n in row.gaps) or "none"
    return para(f"here: {here}; its own build: {member.failing} failing, {member.others} other")


def draw_projects(renderer: Renderer, view: Sequence[ProjectRow]) -> list[nodes.Node]:
    """Nodes of ``threat-projects``."""
    if not view:
        return [para("No member projects (threats_aggregate is empty).")]
    rows: list[list[Cell]] = []
    for row in view:
        coverage = row.coverage
        figure = (
            "-"
            if coverage.percent is None
            else f"{coverage.covered} of {coverage.total} ({coverage.percent:.1f}%)"
        )
        rows.append(
            [
                _project(row.member),
                _built(row.member),
                para(*joined(renderer.xref(link) for link in row.services))
                if row.services
                else "-",
                figure,
                _gaps(row),
            ]
        )
    return [
        table(
            ["Project", "Built", "Services", "Coverage", "Gaps"],
            rows,
            ["threats-projects"],
            fit([16, 20, 14, 12, 20]),
            fixed=renderer.format == "latex",
        )
    ]
