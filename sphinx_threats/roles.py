"""Roles linking to items: ``:threat:`ID```, ``:threat:`text <ID>```...

Exported as a table (:data:`ROLES`) that :func:`~.extension.setup` registers
into the domain.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole

from .domain import threats_domain
from .locations import TRANSLATED_SUFFIX, source_location
from .model import ROLE_KINDS, GapKind, Kind, Problem, Reference


class ItemRole(XRefRole):
    """A cross-reference to an item of one kind.

    The reference is also recorded, so the analysis reports an unknown target
    (``threats.unknown-ref``) on every build, not only when the page is
    written; Sphinx's own ``ref.*`` warning is silenced (see
    ``events.silence_missing_reference``).
    """

    def __init__(self, kind: Kind) -> None:
        super().__init__(innernodeclass=nodes.inline, warn_dangling=False)
        self.kind = kind

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Always a ``threats`` reference, whether called by its short or full name."""
        self.refdomain, self.reftype = "threats", self.kind.value
        self.classes = ["xref", "threats", f"threats-{self.kind.value}"]
        return self.create_xref_node()

    def result_nodes(
        self,
        document: nodes.document,
        env: BuildEnvironment,
        node: nodes.Element,
        is_ref: bool,
    ) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Record the reference for the analysis."""
        target = node["reftarget"].strip()
        docname = env.docname
        source, line = self.get_source_info()
        if source and source.endswith(TRANSLATED_SUFFIX):
            # Sphinx parses a translated paragraph again, on its own: the
            # reference was recorded, at its real line, when the page was read
            return [node], []
        location = source_location(env, source, line)
        domain = threats_domain(env)
        if not target:
            domain.note_problem(
                docname,
                Problem(GapKind.INVALID, f"the :{self.kind.value}: role names no ID", location),
            )
        else:
            domain.note_reference(docname, Reference(self.kind, target, location))
        return [node], []


#: The role of each kind that has one, by name: what :func:`~.extension.setup` registers.
ROLES: dict[str, ItemRole] = {kind.value: ItemRole(kind) for kind in ROLE_KINDS}
