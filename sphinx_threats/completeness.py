"""Completeness: has every element been considered for every kind of threat?

Pure (no Sphinx).  With ``threats_element_categories`` set, every element of
a listed kind must have a threat of each listed category *about* it (see
:mod:`~.elements`; ``*`` does not count), or a ``not-applicable`` naming it in
``:elements:`` and the category in ``:categories:``; otherwise one
``unanalysed`` gap per (element, category), at the element.  An element
``not-applicable`` that answers nothing required is ``invalid``.

Linear in the elements, the categories required of them and the threats
about them: one pass over the threats (:attr:`~.elements.ElementGraph.about`),
one over the decisions, one over the elements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import NamedTuple, cast

from .elements import ElementGraph
from .model import Gap, GapKind, Item, Kind, NotApplicable

#: The element kind of each table key (``crossing-data-flow`` adds to ``data-flow``).
_TABLE_KIND = {
    "service": Kind.SERVICE,
    "data-store": Kind.DATA_STORE,
    "external-entity": Kind.EXTERNAL_ENTITY,
    "data-flow": Kind.DATA_FLOW,
}


class Completeness(NamedTuple):
    """What each element must have considered, what was decided, and the gaps."""

    #: The categories required of each of this project's elements, in element order.
    required: dict[str, tuple[str, ...]]
    #: The element not-applicables deciding each (element, category).
    decided: dict[tuple[str, str], list[str]]
    #: ``unanalysed`` per (element, category) unanswered; ``invalid`` per
    #: not-applicable that answers nothing required.
    gaps: list[Gap]


#: No check (``threats_element_categories`` unset).
NO_COMPLETENESS = Completeness({}, {}, [])


def required_categories(
    graph: ElementGraph, table: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The categories ``table`` requires of each of this project's elements."""
    required: dict[str, tuple[str, ...]] = {}
    for key, kind in _TABLE_KIND.items():
        wanted = tuple(table.get(key, ()))
        crossing = tuple(table.get("crossing-data-flow", ())) if kind is Kind.DATA_FLOW else ()
        if not wanted and not crossing:
            continue
        for element in graph.elements(kind):
            these = wanted
            if crossing and element.id in graph.crosses:
                these = tuple(dict.fromkeys((*wanted, *crossing)))
            if these:
                required[element.id] = these
    return required


def completeness(graph: ElementGraph, table: Mapping[str, Sequence[str]]) -> Completeness:
    """Every (element, category) the table requires, answered or a gap."""
    if not table:
        return NO_COMPLETENESS
    decl = graph.decl
    required = required_categories(graph, table)
    decided, gaps = _decisions(graph, required)
    threats = decl.threats
    about = graph.about
    index = decl.index
    labels = {kind: kind.label.lower() for kind in Kind}
    for element, categories in required.items():
        seen: set[str] = set()
        for t in about.get(element, ()):
            seen.update(threats[t].category)
        missing = [
            c for c in categories if c not in seen and (not decided or (element, c) not in decided)
        ]
        if missing:
            item = index[element]
            label = labels[item.kind]
            gaps += [_unanalysed(item, label, category) for category in missing]
    return Completeness(required, decided, gaps)


def _decisions(
    graph: ElementGraph, required: Mapping[str, tuple[str, ...]]
) -> tuple[dict[tuple[str, str], list[str]], list[Gap]]:
    """The element not-applicables by (element, category) they answer, and an
    ``invalid`` for each that answers nothing required."""
    decided: dict[tuple[str, str], list[str]] = defaultdict(list)
    gaps: list[Gap] = []
    index = graph.decl.index
    for na in cast("list[NotApplicable]", graph.decl.items(Kind.NOT_APPLICABLE)):
        if not na.elements or na.location.external:
            continue
        answered = False
        for element in dict.fromkeys(na.elements):
            for category in dict.fromkeys(na.categories):
                decided[element, category].append(na.id)
                answered = answered or category in required.get(element, ())
        # elements all unknown: their unknown-ref is the cause, said once
        if answered or not any(e in index for e in na.elements):
            continue
        message = (
            f"not-applicable {na.id!r} decides nothing: threats_element_categories "
            f"requires none of {', '.join(na.categories) or 'no categories'} of "
            f"{', '.join(na.elements)}; fix :elements: or :categories:, or remove it"
        )
        gaps.append(Gap(GapKind.INVALID, message, (na.id, *na.elements), na.location))
    return dict(decided), gaps


#: Builds a :class:`~.model.Gap` without the Python-level NamedTuple
#: constructor: a large model without threats has a gap per element and
#: category (measured, ``bench/completeness.py``).
_new_gap: Callable[[tuple[object, ...]], Gap] = partial(tuple.__new__, Gap)


def _unanalysed(element: Item, kind: str, category: str) -> Gap:
    message = (
        f"{kind} {element.id!r} ({element.title}) has no threat of category {category!r} "
        f"about it: add a threat with :category: {category} and :applies-to: {element.id}, "
        f"or a not-applicable with :elements: {element.id} and :categories: {category} "
        "saying why none applies"
    )
    return _new_gap(
        (GapKind.UNANALYSED, message, (element.id,), element.location, None, False, category)
    )


def considered(graph: ElementGraph, element: str, category: str) -> list[str]:
    """The threats of ``category`` about ``element`` (what a grid cell lists)."""
    threats = graph.decl.threats
    return [t for t in graph.about.get(element, ()) if category in threats[t].category]
