"""What every drawing shares: the page's linker, labels and output format, and
how an item's link, its badges and a back-link are drawn."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from docutils import nodes

from ..model import Status, severity_word
from ..views.backlinks import BackLink, Link
from .elements import badge, css_name, element, joined, state_badge, status_badge

# an item's ID and title are text nodes made without going through ``Text.__new__``
# (as :func:`.elements.element` makes its children): reports hold tens of thousands
_Text = nodes.Text
_new_text = str.__new__


#: Makes an empty reference to an item, with the builder's URI; ``None`` when
#: the item cannot be linked from here (not declared, or on a page this output
#: leaves out).
Linker = Callable[[Link], nodes.reference | None]


class Renderer:
    """What the drawings of one page share: how to link, the category labels,
    the output format and the page's anchors; and how links and badges are drawn.

    The drawings of item blocks and of each report are functions of their own
    (``render.items``, ``render.matrix``, ...) taking the renderer.
    """

    def __init__(
        self,
        linker: Linker,
        category_labels: Mapping[str, str],
        output_format: str = "html",
        page: str = "",
    ) -> None:
        self.linker = linker
        self.labels = category_labels
        #: The builder's format (``html``, ``latex``, ``text``, ...).
        self.format = output_format
        #: Prefix of the anchors a report makes on its page (unique per page,
        #: also where ``singlehtml`` or LaTeX merge pages).
        self.anchor_prefix = "threats-" + css_name(page)
        self._anchors = 0

    def xref(self, link: Link) -> nodes.Element:
        """A link showing the item's ID (the ID alone when it cannot be linked)."""
        # the ID is the link's own text, styled by its class: not a literal,
        # whose every word the HTML writer wraps in a span of its own, nor an
        # inline inside the link; reports hold tens of thousands of IDs
        ref = self.linker(link)
        if ref is None:
            return element(nodes.inline, link.id, classes=["threats-id"])
        ref["classes"].append("threats-id")
        text = _new_text(_Text, link.id)
        text.parent = ref
        ref.children.append(text)
        return ref

    def titled(self, link: Link) -> list[nodes.Node]:
        """The link to an item followed by its title (and, for a member
        project's item, that project)."""
        out: list[nodes.Node] = [self.xref(link)]
        if link.title and link.title != link.id:
            out.append(_new_text(_Text, " " + link.title))
        if link.project:
            out += [nodes.Text(" "), self.project(link.project)]
        return out

    def project(self, name: str) -> nodes.inline:
        """The badge marking a member project's item."""
        return badge(name, "project", name)

    def titled_inline(self, link: Link) -> nodes.Node:
        """An item's link and title as one inline (to join in a list)."""
        return element(nodes.inline, *self.titled(link))

    def xrefs(self, links: Iterable[Link]) -> list[nodes.Node]:
        """Links to ``links``, comma-separated."""
        return joined(self.xref(link) for link in links)

    def category(self, category: str) -> nodes.inline:
        """A category badge, showing the category's label."""
        return badge(self.labels.get(category, category), "category", category)

    def backlink_row(self, row: BackLink) -> list[nodes.Node]:
        """One back-link: the item, its state there, and what decides it."""
        parts: list[nodes.Node] = self.titled(row.link)
        state = row.state
        if state is not None:
            parts.append(nodes.Text(" "))
            parts.append(status_badge(state) if isinstance(state, Status) else state_badge(state))
        if row.by:
            parts.append(nodes.Text(" by "))
            parts.extend(self.xrefs(row.by))
        return parts

    def severity(self, severity: str | None) -> nodes.inline:
        """A severity badge (``unrated`` when it has none)."""
        word = severity_word(severity)
        return badge(word, "severity", word)

    def anchor(self, what: str) -> str:
        """A new anchor on this page for a ``what`` of a report (``risk``)."""
        self._anchors += 1
        return f"{self.anchor_prefix}-{what}-{self._anchors}"
