"""Post-transforms for one builder's output."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform


class LatexItemTargets(SphinxPostTransform):
    """Give every item block a LaTeX label (LaTeX ignores an admonition's ids)."""

    # Before Sphinx's own LaTeX post-transforms (priority 10 and up), which
    # collect the document's targets: the labels must exist by then.
    default_priority = 5
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        """Insert a target carrying the item's ID before its block."""
        for block in list(self.document.findall(nodes.admonition)):
            if "threats-item" in block["classes"] and block["ids"]:
                target = nodes.target("", "", ids=list(block["ids"]))
                block["ids"] = []
                block.parent.insert(block.parent.index(block), target)


class SingleFileItemAnchors(SphinxPostTransform):
    """On ``singlehtml``, keep each item's ID the only element with that id.

    Every page is in one file there: a section or target of one page that
    shares its id with an item of another page would be a second element with
    that id (on its own page the item already took it, see
    ``directives.take_anchor``).  It gets another id, and the links within
    its page (and those Sphinx wrote as ``#document-PAGE#id``) follow it.
    """

    # After the references are resolved (priority 10), so that each names the
    # page it points into; the placeholders filled later link to item IDs only.
    default_priority = 11
    builders = ("singlehtml",)

    def run(self, **kwargs: Any) -> None:
        """Give every other holder of an item's ID a fresh id."""
        page_of: dict[int, str] = {}
        elements: list[nodes.Element] = []
        todo: list[tuple[nodes.Element, str]] = [(self.document, self.config.root_doc)]
        while todo:
            node, page = todo.pop()
            if isinstance(node, addnodes.start_of_file):
                page = node["docname"]
            page_of[id(node)] = page
            elements.append(node)
            todo.extend(
                (child, page) for child in node.children if isinstance(child, nodes.Element)
            )
        items = {
            ident: page_of[id(node)]
            for node in elements
            if isinstance(node, nodes.admonition) and "threats-item" in node["classes"]
            for ident in node["ids"]
        }
        taken = {ident for node in elements for ident in node["ids"]}
        for holder in elements:
            if isinstance(holder, nodes.admonition) and "threats-item" in holder["classes"]:
                continue
            page = page_of[id(holder)]
            for index, ident in enumerate(holder["ids"]):
                if items.get(ident, page) == page:
                    continue  # no item, or this page's own (take_anchor decided)
                number = 1
                while f"{ident}-{number}" in taken:
                    number += 1
                renamed = holder["ids"][index] = f"{ident}-{number}"
                taken.add(renamed)
                self._follow(elements, page_of, page, ident, renamed)

    @staticmethod
    def _follow(
        elements: list[nodes.Element], page_of: dict[int, str], page: str, old: str, new: str
    ) -> None:
        uri = f"#document-{page}#{old}"
        for node in elements:
            if _links_an_item(node):
                continue  # a role's link to the item, from this page
            if node.get("refid") == old and page_of[id(node)] == page:
                node["refid"] = new
            elif node.get("refuri") == uri:
                node["refuri"] = f"#document-{page}#{new}"


def _links_an_item(node: nodes.Element) -> bool:
    """Whether ``node`` is an item role's resolved link (its text node carries
    the role's ``threats`` class, see ``roles.ItemRole``)."""
    return isinstance(node, nodes.reference) and any(
        "threats" in child.get("classes", ())
        for child in node.children
        if isinstance(child, nodes.Element)
    )
