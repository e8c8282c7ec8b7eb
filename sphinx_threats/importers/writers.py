"""An :class:`~.model.ImportedModel` as a Sphinx project that builds as it is.

Three forms share one layout: ``conf.py``, ``index`` (the report directives),
and either

* ``yaml``: ``threats.yaml`` (one catalogue) shown by ``model.rst`` through
  ``.. threat-catalog::``, or
* ``rst`` / ``myst``: ``product`` (the prose, threat actors, product-level
  items) and ``services/<ID>`` (one page per service with its own items),

plus the images under ``_images/`` and, for Markdown prose in
reStructuredText pages, ``_prose/*.md`` included with MyST's parser.
Output is a pure function of the model, so re-importing a file gives the same
bytes.
"""

from __future__ import annotations

import datetime as dt
import pprint
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..schema.syntax import is_option_line
from .markup import (
    fence_for,
    myst_line,
    myst_text,
    one_line,
    rst_line,
    rst_text,
    safe_markdown,
    squeeze_blank_lines,
)
from .model import (
    ITEM_KINDS,
    PLURAL,
    Block,
    Fields,
    Image,
    ImportedItem,
    ImportedModel,
    Link,
    Markdown,
    OptionValue,
    Section,
    Text,
    slug,
)

#: The ``--to`` forms.
FORMS = ("yaml", "rst", "myst")

#: Report directives on the index page: (section title, directive).
INDEX_REPORTS = (
    ("Summary", "threat-summary"),
    ("Threats", "threat-matrix"),
    ("Coverage", "threat-coverage"),
    ("Gaps", "threat-gaps"),
)

#: Section heading of each kind on a page.
KIND_HEADINGS = {
    "threat-actor": "Threat actors",
    "service": "Services",
    "threat": "Threats",
    "mitigation": "Mitigations",
    "risk-acceptance": "Risk acceptances",
    "not-applicable": "Not applicable",
    "assumption": "Assumptions",
    "data-store": "Data stores",
    "external-entity": "External entities",
    "data-flow": "Data flows",
    "trust-boundary": "Trust boundaries",
}


def render_project(model: ImportedModel, form: str, command: str) -> dict[str, bytes]:
    """Every file of the project, by path relative to its root.

    ``command`` is the import command line, recorded in ``conf.py``.
    """
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}")
    pages = _Pages(model, "md" if form == "myst" else "rst")
    files: dict[str, str] = {}
    if form == "yaml":
        files["threats.yaml"] = catalogue(model, pages)
        pages.page("model", model.title, [*pages.prose(model.sections), *_catalog_directive()])
        toc = ["model"]
    else:
        toc = ["product"]
        pages.product_page()
        for service in model.of_kind("service"):
            name = f"services/{service.id}"
            toc.append(name)
            pages.service_page(name, service)
    pages.index(toc)
    files.update(pages.files)
    files["conf.py"] = conf_py(model, form, command, uses_prose_files=pages.uses_prose_files)
    out = {path: text.encode("utf-8") for path, text in files.items()}
    out.update(dict(model.files))
    return dict(sorted(out.items()))


def _catalog_directive() -> list[str]:
    return ["", ".. threat-catalog:: threats.yaml"]


# --- conf.py ------------------------------------------------------------------


def conf_py(model: ImportedModel, form: str, command: str, *, uses_prose_files: bool) -> str:
    """The ``conf.py`` lines this model needs."""
    extensions = ["sphinx_threats"]
    if form == "myst" or uses_prose_files:
        extensions.append("myst_parser")
    exclude = ["_build", *(["_prose"] if uses_prose_files else [])]
    # every value below is the repr() of plain data: nothing from the source
    # file (its name, its titles) is ever pasted into this code as text
    lines = [
        repr(f"Sphinx configuration written by ``{command}``."),
        "",
        f"project = {plain_name(model.title)!r}",
        f"extensions = {extensions!r}",
        f"exclude_patterns = {exclude!r}",
        "",
        "# An imported model has gaps until it is reviewed (open threats, and values the",
        '# import filled in, tagged "imported"): they are reported as warnings, and fail',
        "# nothing.  Remove this line once the model is reviewed.",
        "threats_fail_on = []",
    ]
    if model.categories:
        lines += ["", "# the threat categories the source uses"]
        lines.append(f"threats_categories = {_literal(dict(model.categories))}")
    if model.risk_matrix:
        matrix = {like: dict(row) for like, row in model.risk_matrix}
        lines += ["", "# severity from likelihood and impact, as the source scores risk"]
        lines.append(f"threats_risk_matrix = {_literal(matrix)}")
    if form == "yaml":
        lines += ["", 'threats_catalogs = ["threats.yaml"]']
    return "\n".join(lines) + "\n"


#: Characters a theme could print as markup around ``project`` (some print it
#: unescaped into HTML, in element text or in an attribute).
_UNSAFE_IN_PROJECT = str.maketrans(
    {"<": None, ">": None, '"': None, "'": None, "`": None, "&": " and "}
)


def plain_name(title: str) -> str:
    """``title`` as plain text, for ``project`` and the pages' titles: themes
    print ``project`` into HTML without escaping it (alabaster, furo,
    sphinx_rtd_theme, pydata_sphinx_theme), and pydata_sphinx_theme page
    titles in its navigation bar, so no character that HTML reads as markup
    or a quote, and no control character, is kept.  The full name stays on
    the product page and in the items, where it is escaped."""
    printable = "".join(c if c.isprintable() else " " for c in title.translate(_UNSAFE_IN_PROJECT))
    return " ".join(printable.split()) or "Imported threat model"


def _literal(value: Any) -> str:
    return pprint.pformat(value, sort_dicts=False, width=88)


# --- pages --------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns ``text`` takes, as docutils measures a section title."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _value(value: OptionValue) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        # a comma inside an entry (a tag "asset: a, b") is written "\,"
        return ", ".join(one_line(v).replace(",", "\\,") for v in value)
    return one_line(value)


def _title(item: ImportedItem) -> str:
    title = one_line(item.title) or item.id
    # a title that looks like an option line would be read as one
    return f'"{title}"' if is_option_line(title) else title


@dataclass
class _Pages:
    """Builds the pages of one project in one markup (``rst`` or ``md``)."""

    model: ImportedModel
    suffix: str
    files: dict[str, str] = field(default_factory=dict)
    uses_prose_files: bool = False
    #: What the blocks being rendered belong to (names their ``_prose`` files).
    context: str = "prose"

    @property
    def myst(self) -> bool:
        return self.suffix == "md"

    # headings and pages

    def heading(self, text: str, level: int) -> list[str]:
        if self.myst:
            return ["#" * level + " " + myst_line(text), ""]
        line = rst_line(text)
        return [line, "=-~^\"'"[level - 1] * max(_width(line), 4), ""]

    def page(self, name: str, title: str, lines: list[str]) -> None:
        text = [*self.heading(plain_name(title), 1), *lines]
        self.files[f"{name}.{self.suffix}"] = "\n".join(squeeze_blank_lines(text)) + "\n"

    def index(self, toc: list[str]) -> None:
        model = self.model
        intro = (
            f"This threat model was imported from {model.source_format} by "
            "sphinx-threats import; the pages below render it and its reports."
        )
        lines = [
            *self.text([Text(intro)]),
            "",
            *self.directive("toctree", "", [("maxdepth", "1")], toc),
            "",
        ]
        reports = list(INDEX_REPORTS)
        if model.of_kind("data-flow"):  # the source had a diagram: draw it
            reports.append(("Data-flow diagram", "threat-dfd"))
        for title, report in reports:
            lines += [*self.heading(title, 2), *self.directive(report, "", [], []), ""]
        self.page("index", model.title, lines)

    def product_page(self) -> None:
        lines = self.prose(self.model.sections)
        name = one_line(self.model.title)
        if plain_name(name) != name:  # the page title lost characters: the name in full
            lines = [*self.blocks((Fields((("Name", name),)),), None), "", *lines]
        for kind in ITEM_KINDS:
            items = [i for i in self.model.of_kind(kind) if kind != "service" and i.page is None]
            if items:
                lines += ["", *self.heading(KIND_HEADINGS[kind], 2)]
                for item in items:
                    lines += [*self.item(item), ""]
        self.page("product", self.model.title, lines)

    def service_page(self, name: str, service: ImportedItem) -> None:
        lines = self.item(service)
        for kind in ITEM_KINDS:
            items = [i for i in self.model.of_kind(kind) if kind != "service"]
            items = [i for i in items if i.page == service.id]
            if items:
                lines += ["", *self.heading(KIND_HEADINGS[kind], 2)]
                for item in items:
                    lines += [*self.item(item), ""]
        self.page(name, service.title, lines)

    def prose(self, sections: tuple[Section, ...]) -> list[str]:
        lines: list[str] = []
        for section in sections:
            self.context = slug(section.title)
            lines += ["", *self.heading(section.title, 2), *self.blocks(section.blocks, 3), ""]
        if self.model.problems:
            lines += ["", *self.heading("Import notes", 2)]
            lines += self.blocks((Fields(tuple(("note", p) for p in self.model.problems)),), 3)
        return lines

    # directives

    def directive(
        self, name: str, argument: str, options: list[tuple[str, str]], body: list[str]
    ) -> list[str]:
        head = f"{name}:: {argument}".rstrip() if not self.myst else f"{{{name}}} {argument}"
        option_lines = [f":{key}: {value}" for key, value in options]
        if not self.myst:
            lines = [f".. {head}"] + [f"   {line}" for line in option_lines]
            if body:
                lines += [""] + [f"   {line}" if line else "" for line in body]
            return lines
        inner = option_lines + ([""] if option_lines and body else []) + body
        # a backtick fence cannot carry a title with backticks in it
        char = "~" if "`" in argument else "`"
        fence = fence_for("\n".join([argument, *inner]), char)
        return [f"{fence}{head}".rstrip(), *inner, fence]

    def item(self, item: ImportedItem) -> list[str]:
        options = [("id", item.id), *((k, _value(v)) for k, v in item.options)]
        self.context = item.id
        return self.directive(item.kind, _title(item), options, self.blocks(item.body, None))

    # bodies

    def text(self, blocks: list[Block]) -> list[str]:
        return self.blocks(tuple(blocks), 2)

    def blocks(self, blocks: tuple[Block, ...], top_level: int | None) -> list[str]:
        """Body lines; ``top_level`` is the level of headings in Markdown prose
        (``None`` inside an item, where no section can start)."""
        out: list[str] = []
        for block in blocks:
            lines = self.block(block, top_level)
            if lines:
                out += [*lines, ""]
        return squeeze_blank_lines(out)

    def block(self, block: Block, top_level: int | None) -> list[str]:
        escape: Callable[[str], list[str]] = myst_text if self.myst else rst_text
        line: Callable[[str], str] = myst_line if self.myst else rst_line
        if isinstance(block, Text):
            return escape(block.text)
        if isinstance(block, Fields):
            out = []
            for label, value in block.rows:
                value_lines = escape(value) or [""]
                bullet = "-" if self.myst else "*"
                out.append(f"{bullet} {line(label + ':')} {value_lines[0]}".rstrip())
                out += [f"  {v}" if v else "" for v in value_lines[1:]]
            return out
        if isinstance(block, Link):
            return [line(f"{block.label}: {block.url}")]
        if isinstance(block, Image):
            if self.myst:
                alt = myst_line(block.alt)
                return [f"![{alt}]({block.path})"]
            return [f".. image:: {block.path}", f"   :alt: {one_line(block.alt)}"]
        if isinstance(block, Markdown):
            lead = [line(block.label + ":"), ""] if block.label else []
            if self.myst:
                return lead + safe_markdown(block.text, top_level)
            return lead + self.prose_file(block.text, top_level)
        raise TypeError(block)

    def prose_file(self, text: str, top_level: int | None) -> list[str]:
        """Markdown in a reStructuredText page: a file included with MyST's parser."""
        self.uses_prose_files = True
        name, number = f"_prose/{self.context}.md", 1
        while name in self.files:
            number += 1
            name = f"_prose/{self.context}-{number}.md"
        # included text nests under the section it is placed in: headings from 1
        level = None if top_level is None else 1
        self.files[name] = "\n".join(safe_markdown(text, level)) + "\n"
        return [f".. include:: /{name}", "   :parser: myst_parser.sphinx_"]


# --- the YAML catalogue -------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` writing multi-line text as literal blocks (readable
    bodies); PyYAML falls back to a quoted style where a block cannot hold
    the text exactly."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def catalogue(model: ImportedModel, pages: _Pages) -> str:
    """The model as one YAML catalogue (bodies as reStructuredText)."""
    data: dict[str, list[dict[str, Any]]] = {}
    for kind in ITEM_KINDS:
        entries = []
        for item in model.of_kind(kind):
            entry: dict[str, Any] = {"id": item.id, "title": one_line(item.title) or item.id}
            for name, value in item.options:
                if isinstance(value, dt.date):
                    entry[name] = value.isoformat()
                elif isinstance(value, tuple):
                    entry[name] = [one_line(v) for v in value]
                else:
                    entry[name] = one_line(value)
            pages.context = item.id
            body = pages.blocks(item.body, None)
            if body:
                entry["body"] = "\n".join(body) + "\n"
            entries.append(entry)
        if entries:
            data[PLURAL[kind]] = entries
    header = f"# The threat model imported from {model.source_format} by sphinx-threats import.\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
