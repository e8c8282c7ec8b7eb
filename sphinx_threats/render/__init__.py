"""Views -> docutils nodes.  No environment access.

One module per report and one for item blocks, each drawing its view
(``sphinx_threats.views``) with a :class:`~.renderer.Renderer`; the
registry (:mod:`.registry`) maps each report directive to its options, its
view and its drawing.

Only standard docutils nodes are drawn (tables, field lists, bullet lists,
rubrics, inline badges, references), so every builder writes them.  Links are
made by a *linker* that the caller gets from the builder (``links.make_linker``), so
each builder computes its own URIs.
"""
