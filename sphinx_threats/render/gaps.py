"""``threat-gaps``: every gap, grouped by kind."""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from ..views.gaps import GapGroup
from .elements import badge, element, literal, para
from .renderer import Renderer


def draw_gaps(renderer: Renderer, view: Sequence[GapGroup]) -> list[nodes.Node]:
    """Nodes of ``threat-gaps``."""
    out: list[nodes.Node] = []
    for kind, rows in view:
        out.append(
            element(
                nodes.rubric,
                f"{kind} ({len(rows)})",
                classes=["threats-group", f"threats-gaps-{kind}"],
            )
        )
        items = []
        for message, file, line, fix in rows:
            parts: list[nodes.Node | str] = [badge(kind, "gap", kind), " "]
            if fix is not None:
                parts += [renderer.xref(fix), " "]
            parts += [message, " (", literal(f"{file}:{line}"), ")"]
            items.append(element(nodes.list_item, para(*parts)))
        out.append(element(nodes.bullet_list, *items, classes=["threats-gaps"]))
    if not view:
        out.append(para(badge("no gaps", "status", "mitigated")))
    return out
