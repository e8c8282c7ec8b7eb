from docutils import nodes
from docutils.parsers.rst import Directive


class Other(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        return [nodes.paragraph(text="OTHER EXTENSION")]


def setup(app):
    app.add_directive("threat", Other)
    return {"parallel_read_safe": True}
