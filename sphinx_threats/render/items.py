"""Item blocks: their field list and their computed back-links."""

from __future__ import annotations

from docutils import nodes

from ..views.backlinks import Link
from ..views.items import (
    Badge,
    Categories,
    FieldValue,
    ItemView,
    Links,
    Numbers,
    ScopeTerms,
    StatusValue,
    Tags,
    VerifiedBy,
)
from .elements import (
    NO_SEARCH,
    badge,
    bullets,
    element,
    field,
    joined,
    literal,
    state_badge,
    status_badge,
    text_or_link,
)
from .renderer import Renderer

CWE_URL = "https://cwe.mitre.org/data/definitions/{}.html"
CAPEC_URL = "https://capec.mitre.org/data/definitions/{}.html"


def item_fields(renderer: Renderer, view: ItemView) -> nodes.field_list:
    """The field list of an item block."""
    fields = [field("ID", [literal(view.id, "threats-id")])]
    fields += [field(f.name, _field_value(renderer, f.value)) for f in view.fields]
    return element(nodes.field_list, *fields, classes=["threats-fields"])


def _field_value(renderer: Renderer, value: FieldValue) -> list[nodes.Node]:
    match value:
        case str():
            return [nodes.Text(value)]
        case Link():
            return renderer.titled(value)
        case StatusValue(status):
            return [status_badge(status)]
        case Badge(family, text):
            return [state_badge(text, family)]
        case Categories(ids):
            return joined(renderer.category(c) for c in ids)
        case Tags(tags):
            return joined(badge(t, "tag") for t in tags)
        case ScopeTerms(terms):
            return [nodes.Text(", ".join(terms))]
        case Numbers(catalogue, numbers):
            url = CWE_URL if catalogue == "cwe" else CAPEC_URL
            label = catalogue.upper()
            return joined(
                element(nodes.reference, f"{label}-{n}", refuri=url.format(n)) for n in numbers
            )
        case VerifiedBy(entries):
            rows = [_verified_row(text, result) for text, result in entries]
            return rows[0] if len(rows) == 1 else [bullets(rows)]
        case Links(links):
            return joined(
                (renderer.titled_inline(link) for link in links),
                "; " if any(link.title for link in links) else ", ",
            )
    raise TypeError(f"not a field value: {value!r}")


def _verified_row(text: str, result: str | None) -> list[nodes.Node]:
    """One ``:verified-by:`` entry (a link only for an http(s) URL) and, when
    a test result judged it, the result in words."""
    if result is None:
        return [text_or_link(text)]
    return [literal(text, "threats-test"), nodes.Text(" "), badge(result, "evidence")]


def item_links(renderer: Renderer, view: ItemView) -> list[nodes.Node]:
    """The computed back-links of an item block (empty sections omitted)."""
    out: list[nodes.Node] = []
    for section in view.links:
        if not section.rows:
            continue
        out.append(element(nodes.rubric, section.title, classes=["threats-backlinks-title"]))
        out.append(bullets(renderer.backlink_row(row) for row in section.rows))
    if not out:
        return []
    return [element(nodes.container, *out, classes=["threats-backlinks", *NO_SEARCH])]
