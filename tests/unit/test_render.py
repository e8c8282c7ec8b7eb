"""``render.elements.element`` builds the same nodes as the docutils constructors."""

from __future__ import annotations

import pytest
from docutils import nodes

from sphinx_threats.render.elements import element

CLASSES = [
    nodes.paragraph,
    nodes.inline,
    nodes.reference,
    nodes.literal,
    nodes.strong,
    nodes.rubric,
    nodes.field,
    nodes.field_name,
    nodes.field_body,
    nodes.field_list,
    nodes.bullet_list,
    nodes.list_item,
    nodes.entry,
    nodes.row,
    nodes.thead,
    nodes.tbody,
    nodes.colspec,
    nodes.tgroup,
    nodes.table,
    nodes.container,
]


@pytest.mark.parametrize("cls", CLASSES)
def test_element_equals_the_constructor(cls: type[nodes.Element]) -> None:
    built = element(cls, "text", classes=["a"])
    constructed = cls("", nodes.Text("text"), classes=["a"])
    assert built.pformat() == constructed.pformat()
    assert built.attributes == constructed.attributes
    assert built.tagname == constructed.tagname


def test_element_nodes_validate() -> None:
    para = element(nodes.paragraph, "see ", element(nodes.reference, "x", refuri="https://e"))
    item = element(nodes.list_item, para)
    tree = element(nodes.bullet_list, item, classes=["threats-links"])
    tree.validate(recursive=True)
    assert "backrefs" not in tree.pformat()
