"""The directives: one class per item kind and per report, and ``threat-catalog``.

They are exported as tables (:data:`ITEM_DIRECTIVES`, :data:`REPORT_DIRECTIVES`,
:data:`CATALOG_DIRECTIVES`) that :func:`~.extension.setup` registers into the
domain.  Each records what it declares in the domain and leaves placeholders
for what only the whole model decides.

docutils drops a whole directive on an unknown option or a missing argument;
these directives accept every option and argument and let
:func:`~.schema.values.parse_item` report what is wrong, so a typo costs a warning,
never an item.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from .catalog import CatalogRender
from .catalog_files import catalog_file
from .digest import collapse
from .domain import threats_domain
from .locations import source_location as located
from .model import GapKind, Item, Kind, Location, Problem, Reference
from .nodes import threats_item_computed, threats_report
from .render.registry import REPORTS
from .schema.syntax import parse_myst_options, split_argument, split_list
from .schema.values import PAGE_SERVICE_KINDS, parse_item
from .sphinx_config import vocabulary
from .views.request import FILTERS, ReportOption, ReportRequest

if TYPE_CHECKING:
    from docutils.parsers.rst.states import RSTState


def source_location(directive: SphinxDirective, lineno: int | None = None) -> Location:
    """Where line ``lineno`` of the parser's input (default: the directive's)
    really is: through ``include``, ``rst_prolog`` and autodoc docstrings, as
    docutils' own warnings say."""
    source, line = directive.state_machine.get_source_and_line(lineno or directive.lineno)
    return located(directive.env, source, line)


def _is_myst(directive: SphinxDirective) -> bool:
    return type(directive.state_machine).__module__.startswith("myst_parser")


class Parsed(NamedTuple):
    """What a directive was handed, split into its parts."""

    title: str
    options: dict[str, str]
    #: Input line (as ``lineno`` counts) of each option.
    lines: dict[str, int]
    body: StringList
    #: Input offset of the body's first line (for ``nested_parse``).
    body_offset: int
    #: Options given in a YAML block YAML refused, whose value could not be read.
    unreadable: tuple[str, ...] = ()


class OwnOptionsDirective(SphinxDirective):
    """A directive that parses its own options.

    ``option_spec`` is ``None``, so docutils hands the title and the option
    lines over as the argument (and MyST the option block as the first lines
    of the content).  Besides accepting any option, repeated or unknown (to
    report it rather than drop the directive), this skips the nested
    field-list parse docutils runs per directive: a tenth of the whole build
    on large threat models.

    Every option's line is taken from where it was parsed, never searched
    for in the text (a search finds a nested item's option, or misses
    ``:Status:``).
    """

    has_content = True
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = None

    #: How messages name this directive.
    name_for_messages: ClassVar[str]

    def _problem(self, message: str, lineno: int | None = None) -> None:
        """An ``invalid`` problem at input line ``lineno`` (default: the directive's)."""
        threats_domain(self.env).note_problem(
            self.env.docname,
            Problem(GapKind.INVALID, message, source_location(self, lineno)),
        )

    def _content_line(self, index: int) -> int:
        """Input line of line ``index`` of the content."""
        if _is_myst(self):
            return self.lineno + 1 + index  # MyST: the content follows the fence line
        return self.content_offset + 1 + index

    def _title_options_body(self) -> Parsed:
        """Split what docutils or MyST handed over into title, options and body."""
        arg_lines = self.arguments[0].splitlines() if self.arguments else []
        argument = split_argument(arg_lines)
        title = argument.title
        options: dict[str, str] = {}
        lines: dict[str, int] = {}
        unreadable: tuple[str, ...] = ()
        body, offset = self.content, self.content_offset
        if argument.start is not None:  # reStructuredText: options follow the title
            # the argument block ends just before the blank line above the content
            first = self.content_offset - len(arg_lines) + argument.start
            parsed = argument.options
            options = parsed.options
            lines = {name: first + at for name, at in parsed.positions.items()}
            self._report_repeated(title, parsed.repeated, first)
            if argument.rest:
                body, offset = self._text_after_options(title, argument.rest, first + parsed.used)
        elif _is_myst(self) and body:
            used, options, lines, unreadable = self._myst_options(title, body)
            body, offset = body[used:], offset + used
            while body and not body[0].strip():
                body, offset = body[1:], offset + 1
        return Parsed(title, options, lines, body, offset, unreadable)

    def _text_after_options(
        self, title: str, text: list[str], lineno: int
    ) -> tuple[StringList, int]:
        """Text written right after the options, with no blank line: docutils
        would reject the whole directive ("invalid option block"); here it is
        said once and the text is kept as the start of the body."""
        self._problem(
            f"{self.name_for_messages} {title.strip()!r}: text right after the options needs "
            "a blank line before it; it is read as the body",
            lineno,
        )
        machine = self.state_machine
        items = []
        for index in range(len(text)):
            source, line = machine.get_source_and_line(lineno + index)
            items.append((source or "", (line or 1) - 1))
        body = StringList(text, items=items)
        if len(self.content):
            body.append("", *items[-1])
            body.extend(self.content)
        return body, lineno - 1

    def _myst_options(
        self, title: str, body: StringList
    ) -> tuple[int, dict[str, str], dict[str, int], tuple[str, ...]]:
        """Options from the first content lines (a ``---`` YAML block or
        ``:name: value`` lines): how many lines they take, the options, their lines."""
        found = parse_myst_options(list(body))
        if found.error:
            self._problem(
                f"{self.name_for_messages} {title!r}: {found.error}",
                self._content_line(found.error_line),
            )
        self._report_repeated(title, found.repeated, self._content_line(0))
        positions = {n: self._content_line(at) for n, at in found.positions.items()}
        return found.used, found.options, positions, found.unreadable

    def _report_repeated(self, title: str, repeated: list[tuple[str, int]], first: int) -> None:
        """An option given twice: the first value counts, the repeat is reported."""
        for name, position in repeated:
            self._problem(
                f"{self.name_for_messages} {title.strip()!r}: option :{name}: is given twice; "
                "the first value is used",
                first + position,
            )


class ItemDirective(OwnOptionsDirective):
    """Declares one item of :attr:`kind`."""

    kind: ClassVar[Kind]

    def run(self) -> list[nodes.Node]:
        """Record the item and leave its block with placeholders for computed parts."""
        location = source_location(self)
        parsed = self._title_options_body()
        machine = self.state_machine
        default_service = None
        if self.kind in PAGE_SERVICE_KINDS:
            default_service = self.env.temp_data.get("threats:service")
        item, problems = parse_item(
            self.kind,
            parsed.title,
            parsed.options,
            location,
            vocabulary(self.config),
            option_lines={
                name: machine.get_source_and_line(line)[1] or location.lineno
                for name, line in parsed.lines.items()
            },
            has_body=any(line.strip() for line in parsed.body),
            default_service=default_service,
            unreadable=parsed.unreadable,
        )
        if self.kind is Kind.SERVICE:
            # threats and mitigations later on this page belong to this service
            self.env.temp_data["threats:service"] = item.id
        block = item_block(self, item, parsed.body, parsed.body_offset)
        # the body as parsed, before any builder drops an ``only`` branch:
        # what the item's digest covers, the same in both syntaxes
        item = replace(item, body=collapse(body_text(block)))
        threats_domain(self.env).note_item(self.env.docname, item, problems)
        return [block]


class ItemBlock(NamedTuple):
    """Where an item's block is being written: the second argument of the
    ``threats-item-declared`` event (the first is the item's record)."""

    #: The page being read (for a catalogue entry: the page rendering it).
    docname: str
    #: The line of the directive writing the block.
    lineno: int
    #: The parser's state there, for a listener that parses content into the
    #: block (``sphinx_needs.api.add_need`` takes it).
    state: RSTState


def item_block(
    directive: SphinxDirective, item: Item, body: StringList, body_offset: int
) -> nodes.admonition:
    """The block of one item: its title, placeholders for its fields and
    back-links (filled once the model is known), and its body."""
    block = nodes.admonition(classes=["threats-item", f"threats-{item.kind.value}"])
    directive.set_source_info(block)
    take_anchor(directive.state.document, block, item.id)
    heading = nodes.title()
    heading += nodes.inline(item.kind.label, item.kind.label, classes=["threats-kind"])
    heading += nodes.Text(" ")
    heading += nodes.Text(item.title)
    block += heading
    where = ItemBlock(directive.env.docname, directive.lineno, directive.state)
    for extra in directive.env.events.emit("threats-item-declared", item, where):
        block += extra or []
    placeholder = {
        "kind": item.kind.value,
        "item_id": item.id,
        "file": item.location.file,
        "lineno": item.location.lineno,
        "docname": directive.env.docname,
    }
    block += threats_item_computed("", part="fields", **placeholder)
    if body:
        container = nodes.container(classes=["threats-body"])
        directive.state.nested_parse(body, body_offset, container)
        block += container
    block += threats_item_computed("", part="links", **placeholder)
    return block


def body_text(block: nodes.Element) -> str:
    """The text of an item block's body (``""`` when it has none)."""
    for child in block.children:
        if isinstance(child, nodes.container) and "threats-body" in child["classes"]:
            return child.astext()
    return ""


def take_anchor(document: nodes.document, block: nodes.Element, ident: str) -> None:
    """Give the block the item's ID as its anchor (the SPEC's contract).

    A section or target already holding that id on the page gets another
    one, the way docutils numbers a clash, and its names follow it, so
    no builder writes two equal ids or labels; a target written later
    sees the id taken and gets its own.  A second item with the same ID
    (a ``duplicate-id``) gets a numbered id instead: the first keeps it.
    """
    holder = document.ids.get(ident)
    if holder is not None and "threats-item" in holder.get("classes", ()):
        document.set_id(block)  # the duplicate: docutils numbers it
        return
    block["ids"].append(ident)
    document.ids[ident] = block
    if holder is None:
        return
    holder["ids"].remove(ident)
    document.set_id(holder)  # its names now map to a taken id: numbered
    renamed = holder["ids"][0]
    for name, target in list(document.nameids.items()):
        if target == ident:
            document.nameids[name] = renamed
    for node in document.findall(nodes.Element):
        if node.get("refid") == ident and node is not block:
            node["refid"] = renamed


def _item_directive(kind: Kind) -> type[ItemDirective]:
    name = "".join(part.capitalize() for part in kind.value.split("-")) + "Directive"
    return type(
        name,
        (ItemDirective,),
        {
            "kind": kind,
            "name_for_messages": kind.value,
            "__doc__": f"The ``{kind.value}`` directive.",
        },
    )


#: Item directives by name.
ITEM_DIRECTIVES: dict[str, type[ItemDirective]] = {
    kind.value: _item_directive(kind) for kind in Kind
}


class ReportDirective(OwnOptionsDirective):
    """A report filled once the whole model is known.

    It takes no argument and no content; given some, it says so and still
    renders.
    """

    report: ClassVar[str]

    def run(self) -> list[nodes.Node]:
        """Record the report and return its placeholder."""
        parsed = self._title_options_body()
        argument, options, body = parsed.title, parsed.options, parsed.body
        if argument:
            self._problem(f"{self.report} takes no argument (given {argument!r})")
        content = [i for i, line in enumerate(body) if line.strip()]
        if content:
            self._problem(
                f"{self.report} takes no content; use its options to filter",
                parsed.body_offset + 1 + content[0],
            )
        spec = REPORTS[self.report]
        filters: dict[str, tuple[str, ...]] = {}
        own: dict[str, str] = {}
        for name, value in options.items():
            lineno = parsed.lines.get(name)
            if name in FILTERS:
                filters[name] = tuple(split_list(value))
            elif name in spec.options:
                value = self._own_option(name, value, spec.options[name], lineno)
                if value:
                    own[name] = value
            else:
                self._problem(
                    f"{self.report}: unknown option :{name}: "
                    f"(allowed: {', '.join([*FILTERS, *spec.options])})",
                    lineno,
                )
        request = ReportRequest(
            self.report, tuple(sorted(filters.items())), tuple(sorted(own.items()))
        )
        threats_domain(self.env).note_report(self.env.docname, request)
        node = threats_report(request=request, docname=self.env.docname)
        self.set_source_info(node)
        return [node]

    def _own_option(self, name: str, value: str, option: ReportOption, lineno: int | None) -> str:
        """The value kept for one of the report's own options (``""``: none).

        A list option keeps its allowed values, in the order given, and
        reports the others in one warning.
        """
        if option.check is not None:  # free text (``:of:`` an ID), checked by the report
            wrong = option.check(value.strip())
            if wrong:
                self._problem(f"{self.report}: :{name}: {wrong}", lineno)
            elif option.refers:  # the analysis checks that it names such an item
                reference = Reference(
                    option.refers[0],
                    value.strip(),
                    source_location(self, lineno),
                    also=option.refers[1:],
                    where=f"{self.report} :{name}:",
                    label=option.refers_words,
                )
                threats_domain(self.env).note_reference(self.env.docname, reference)
            return "" if wrong else value.strip()
        allowed = option.values
        given = split_list(value) if option.many else [value.strip()]
        bad = [v for v in given if v not in allowed]
        if bad or not given:
            shown = ", ".join(repr(v) for v in bad) or repr(value.strip())
            self._problem(
                f"{self.report}: {shown} {'is not an' if len(bad) < 2 else 'are not'} "
                f"allowed :{name}: value{'s' if len(bad) > 1 else ''} "
                f"(allowed: {', '.join(allowed)})",
                lineno,
            )
        return ",".join(dict.fromkeys(v for v in given if v in allowed))


def _report_directive(report: str) -> type[ReportDirective]:
    name = "".join(part.capitalize() for part in report.split("-")) + "Directive"
    return type(
        name,
        (ReportDirective,),
        {"report": report, "name_for_messages": report, "__doc__": f"The ``{report}`` directive."},
    )


#: Report directives by name.
REPORT_DIRECTIVES: dict[str, type[ReportDirective]] = {
    name: _report_directive(name) for name in REPORTS
}


class CatalogDirective(OwnOptionsDirective):
    """``threat-catalog``: renders the items of a catalogue as if declared here.

    The argument is the catalogue's path, relative to this page (or, with a
    leading ``/``, to the source directory); it must be one of
    ``threats_catalogs``.  ``:kinds:`` and the report filters choose the
    entries (by what they declare: ``:status:`` is a mitigation's own
    ``:status:``).
    """

    name_for_messages = "threat-catalog"

    def run(self) -> list[nodes.Node]:
        """Render the chosen entries and record which, for the model."""
        parsed = self._title_options_body()
        path = parsed.title
        if not path:
            self._problem("threat-catalog needs the path of a catalogue as its argument")
            return []
        _, absolute = self.env.relfn2path(path, self.env.docname)
        file = catalog_file(absolute, str(self.env.srcdir))
        catalog = threats_domain(self.env).catalogs().get(file)
        if catalog is None:
            self._problem(
                f"threat-catalog: {path!r} is not a catalogue of threats_catalogs "
                "(add it there to load it)"
            )
            return []
        wanted = self._filters(parsed.options, parsed.lines)
        positions = tuple(
            n for n, entry in enumerate(catalog.entries) if _chosen(entry.item, wanted)
        )
        threats_domain(self.env).note_render(
            self.env.docname, CatalogRender(file, positions, source_location(self))
        )
        out: list[nodes.Node] = []
        for position in positions:
            entry = catalog.entries[position]
            body = StringList(
                entry.body.splitlines(),
                items=[
                    (absolute, entry.body_line + n - 1) for n in range(len(entry.body.splitlines()))
                ],
            )
            out.append(item_block(self, entry.item, body, entry.body_line - 1))
        return out

    def _filters(self, options: dict[str, str], lines: dict[str, int]) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = {}
        for name, value in options.items():
            if name in ("kinds", *FILTERS):
                wanted[name] = set(split_list(value))
            else:
                self._problem(
                    f"threat-catalog: unknown option :{name}: "
                    f"(allowed: kinds, {', '.join(FILTERS)})",
                    lines.get(name),
                )
        unknown = wanted.get("kinds", set()) - {k.plural for k in Kind} - {k.value for k in Kind}
        if unknown:
            self._problem(
                f"threat-catalog: unknown :kinds: {', '.join(sorted(unknown))} (allowed: "
                + ", ".join(k.plural for k in Kind)
                + ")",
                lines.get("kinds"),
            )
        return wanted


def _chosen(item: Item, wanted: dict[str, set[str]]) -> bool:
    """Whether a catalogue entry passes ``:kinds:`` and the filters (by what it declares)."""
    for name, values in wanted.items():
        if not values:
            continue
        if name == "kinds":
            if item.kind.plural not in values and item.kind.value not in values:
                return False
            continue
        declared = getattr(item, name, None)
        if declared is None:
            continue  # the filter does not apply to this kind
        declared_values = {declared} if isinstance(declared, str) else set(declared)
        if not declared_values & values:
            return False
    return True


#: The catalogue directive by name.
CATALOG_DIRECTIVES: dict[str, type[CatalogDirective]] = {"threat-catalog": CatalogDirective}

#: Every directive of the domain, by name: what :func:`~.extension.setup` registers.
DIRECTIVES: dict[str, type[OwnOptionsDirective]] = {
    **ITEM_DIRECTIVES,
    **REPORT_DIRECTIVES,
    **CATALOG_DIRECTIVES,
}
