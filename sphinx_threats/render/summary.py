"""``threat-summary``: counts by status and severity, coverage per service, gaps by kind."""

from __future__ import annotations

from docutils import nodes

from ..figures import CoveragePercent
from ..views.summary import SummaryView
from .elements import Cell, badge, element, fit, para, status_badge, table
from .renderer import Renderer


def _bar(percent: float | None) -> nodes.inline:
    """A CSS bar of ``percent`` in steps of 5 (decoration only: the number is
    always written beside it, so it reads without colour and outside HTML)."""
    step = 0 if percent is None else int(5 * round(percent / 5))
    inner = element(nodes.inline, "", classes=["threats-bar-fill"])
    return element(nodes.inline, inner, classes=["threats-bar", f"threats-bar-{step}"])


def _figure(figure: CoveragePercent, weighted: bool = False) -> list[nodes.Node]:
    """``k of n`` with a bar and the percentage, or ``-``."""
    percent = figure.weighted if weighted else figure.percent
    if percent is None:
        return [nodes.Text("-")]
    text = f"{percent:.1f}%" if weighted else f"{figure.covered} of {figure.total} ({percent:.1f}%)"
    return [_bar(percent), nodes.Text(" " + text)]


def draw_summary(renderer: Renderer, view: SummaryView) -> list[nodes.Node]:
    """Nodes of ``threat-summary``."""
    severity_cols, status_rows, per_service, gap_counts, overall = view
    rows: list[list[Cell]] = [
        [status_badge(status), *[str(n) if n else "-" for n in counts], str(sum(counts))]
        for status, counts in status_rows
    ]
    totals = [sum(r[1][i] for r in status_rows) for i in range(len(severity_cols))]
    rows.append([para(element(nodes.strong, "Total")), *[str(n) for n in totals], str(sum(totals))])
    fixed = renderer.format == "latex"
    out: list[nodes.Node] = []
    if overall is not None:
        out.append(
            element(
                nodes.paragraph,
                element(nodes.strong, "Overall coverage: "),
                *_figure(overall),
                nodes.Text(", weighted by severity "),
                *_figure(overall, weighted=True),
                classes=["threats-overall"],
            )
        )
    out += [
        element(nodes.rubric, "Threats by status and severity"),
        element(
            nodes.paragraph,
            "Each threat counts under its exposure: the worst of its overall status and "
            "its status for each service in scope.",
            classes=["threats-note"],
        ),
        table(
            ["Status", *severity_cols, "Total"],
            rows,
            ["threats-summary"],
            # as wide as the longest word, which the text writer would break
            [14] + [max(len(s), 5) for s in severity_cols] + [5],
            fixed=fixed,
        ),
        element(nodes.rubric, "Coverage per service, worst first"),
        table(
            ["Service", "Own threats", "Product threats in scope", "Total", "Weighted"],
            [
                [
                    para(*renderer.titled(link)),
                    para(*_figure(own)),
                    para(*_figure(in_scope)),
                    para(*_figure(total)),
                    para(*_figure(total, weighted=True)),
                ]
                for link, own, in_scope, total in per_service
            ],
            ["threats-summary-coverage"],
            fit([16, 13, 13, 13, 8]),
            fixed=fixed,
        ),
    ]
    if gap_counts:
        out.append(element(nodes.rubric, "Gaps by kind"))
        out.append(
            table(
                ["Kind", "Count"],
                [[badge(k, "gap", k), str(n)] for k, n in gap_counts],
                ["threats-summary-gaps"],
                [20, 6],
                fixed=fixed,
            )
        )
    return out
