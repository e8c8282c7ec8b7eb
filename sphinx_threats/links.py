"""How a page links to an item: the builder's URIs, the pages a single-file
output holds, and the items whose block only some builders write (inside
``only`` or ``ifconfig``)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import NoUri
from sphinx.ext.ifconfig import ifconfig

from .intersphinx import intersphinx_uri
from .render.elements import element
from .render.renderer import Linker

if TYPE_CHECKING:
    from sphinx.builders import Builder

    from .views.backlinks import Link


class Condition(NamedTuple):
    """A directive an item's block is inside, whose condition Sphinx decides
    for each builder when it writes the page."""

    #: ``only`` (a tag expression) or ``ifconfig`` (Python over the configuration).
    directive: str
    #: Its argument, as written.
    expr: str


#: Per page, the item anchors whose block is written only under conditions
#: (outermost first), as :func:`conditional_anchors` found them.
ConditionsByPage = Mapping[str, Mapping[str, tuple[Condition, ...]]]


def conditional_anchors(doctree: nodes.document) -> dict[str, tuple[Condition, ...]]:
    """The item anchors of a page read now whose block is inside ``only`` or
    ``ifconfig``, with the conditions around it (outermost first).

    Taken from the page as read, before any builder decides the conditions:
    the item counts everywhere (the SPEC), its anchor only where written.
    """
    found: dict[str, tuple[Condition, ...]] = {}
    for block in doctree.findall(nodes.admonition):
        if "threats-item" not in block["classes"] or not block["ids"]:
            continue
        conditions: list[Condition] = []
        parent = block.parent
        while parent is not None:
            if isinstance(parent, addnodes.only):
                conditions.append(Condition("only", parent["expr"]))
            elif isinstance(parent, ifconfig):
                conditions.append(Condition("ifconfig", parent["expr"]))
            parent = parent.parent
        if conditions:
            for anchor in block["ids"]:
                found[anchor] = tuple(reversed(conditions))
    return found


# Per builder, each condition decided once: the tags and the configuration
# do not change while a builder writes.
_decided: weakref.WeakKeyDictionary[Builder, dict[Condition, bool]] = weakref.WeakKeyDictionary()


def _holds(builder: Builder, condition: Condition) -> bool:
    """Whether Sphinx writes what ``condition`` guards, decided as Sphinx does."""
    if condition.directive == "only":
        try:
            return bool(builder.tags.eval_condition(condition.expr))
        except Exception:
            return True  # Sphinx warns and keeps the content (process_only_nodes)
    # as sphinx.ext.ifconfig's process_ifconfig_nodes evaluates it
    config = builder.config
    namespace = {value.name: value.value for value in config}
    namespace.update(config.__dict__.copy())
    namespace["builder"] = builder.name
    try:
        # the page's own expression, which Sphinx evaluates the same way anyway
        return bool(eval(condition.expr, namespace))
    except Exception:
        return False  # Sphinx puts an error message in its place


def anchor_written(
    builder: Builder, conditions: ConditionsByPage, docname: str, anchor: str
) -> bool:
    """Whether this builder writes the anchor ``anchor`` of page ``docname``:
    not when the item's block is inside an ``only`` or ``ifconfig`` whose
    condition is false for it."""
    around = conditions.get(docname, {}).get(anchor)
    if not around:
        return True
    decided = _decided.setdefault(builder, {})
    for condition in around:
        if condition not in decided:
            decided[condition] = _holds(builder, condition)
        if not decided[condition]:
            return False
    return True


def single_file_pages(builder: Builder) -> set[str]:
    """The pages a single-file build contains: the root and its toctrees."""
    env = builder.env
    root = builder.config.root_doc
    seen = {root}
    todo = [root]
    while todo:
        for child in env.toctree_includes.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


class PageLinks:
    """URIs from one page to the pages holding items, as the builder makes them.

    :meth:`uri` is ``""`` when the target is in the same output file (a bare
    ``#ID`` fragment), the relative URI of the target page otherwise, and
    ``None`` when the output leaves that page out.  On ``singlehtml`` every
    included page is in one file: Sphinx 9 would build ``#document-page#ID``,
    which no browser resolves, so a bare fragment is used instead.
    """

    def __init__(self, builder: Builder, fromdocname: str, conditions: ConditionsByPage) -> None:
        self.builder = builder
        self.fromdocname = fromdocname
        self.conditions = conditions
        self.single_file = single_file_pages(builder) if builder.name == "singlehtml" else None
        self._uris: dict[str, str | None] = {}

    def uri(self, todocname: str) -> str | None:
        """The URI of ``todocname`` from this page (see the class doc)."""
        if todocname == self.fromdocname:
            return ""
        if self.single_file is not None:
            return "" if todocname in self.single_file else None
        if todocname not in self._uris:
            try:
                self._uris[todocname] = self.builder.get_relative_uri(self.fromdocname, todocname)
            except NoUri:
                self._uris[todocname] = None  # a page this output leaves out
        return self._uris[todocname]

    def item_uri(self, todocname: str, ident: str) -> str | None:
        """:meth:`uri` of the page holding the item ``ident``; ``None`` also
        when this output leaves the item's block out (see :func:`anchor_written`)."""
        if not anchor_written(self.builder, self.conditions, todocname, ident):
            return None
        return self.uri(todocname)


def make_linker(builder: Builder, fromdocname: str, conditions: ConditionsByPage) -> Linker:
    """Links from ``fromdocname`` to items, with the builder's own URIs."""
    pages = PageLinks(builder, fromdocname, conditions)
    elsewhere = intersphinx_uri(builder.env, fromdocname)

    def link(target: Link) -> nodes.reference | None:
        ref = element(nodes.reference, internal=True, reftitle=f"{target.kind} {target.id}")
        if not target.docname:
            # another project's: from threats_external, else through intersphinx
            uri = target.uri or elsewhere(target.kind, target.id)
            if not uri:
                return None  # on no page here: shown, not linked
            ref["internal"] = False
            ref["refuri"] = uri
            return ref
        base = pages.item_uri(target.docname, target.id)
        if base is None:
            return None  # a page this output leaves out, or a block in a false `only`
        if base:
            ref["refuri"] = f"{base}#{target.id}"
        else:
            ref["refid"] = target.id
        return ref

    return link
