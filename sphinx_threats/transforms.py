"""Post-transforms for one builder's output."""

from __future__ import annotations

from typing import Any

from docutils import nodes
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
