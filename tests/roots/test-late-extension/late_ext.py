"""Registers a short name of ours once the configuration is known, as
sphinx-needs does for its need types."""

from docutils import nodes
from docutils.parsers.rst import Directive


class Late(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        return [nodes.paragraph(text="LATE EXTENSION")]


def take_name(app, config):
    app.add_directive("threat", Late, override=True)


def setup(app):
    app.connect("config-inited", take_name)
    return {"parallel_read_safe": True}
