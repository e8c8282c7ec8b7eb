"""No injection: titles, options and IDs are text in HTML, JSON and LaTeX.

The ``test-injection`` root puts ``<script>``, quotes, ``javascript:`` and
``data:`` URLs and LaTeX commands into titles, option values, IDs and roles,
in reStructuredText and MyST. The SPEC: "Titles, options and IDs are text,
never markup: ``<script>`` in a title shows as text in HTML; only http(s) URLs
become links". Checked on the parsed HTML (element and attribute contexts),
on ``threats.json`` (values kept verbatim) and on the LaTeX source (escaped,
braces balanced).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import built_app

ROOT = Path(__file__).parent / "roots" / "test-injection"

#: What the sources declare, verbatim: (kind plural, ID, field, value).
DECLARED = [
    (
        "threats",
        "T-XSS",
        "title",
        """<script>alert("title")</script> "double" 'single' & <b>bold</b>""",
    ),
    (
        "threats",
        "T-XSS",
        "tags",
        ['<script>alert("tag")</script>', "x\" onmouseover=\"alert('tag')"],
    ),
    ("mitigations", "M-JS", "title", 'Mitigation <script>alert("mitigation")</script>'),
    ("mitigations", "M-JS", "owner", '<script>alert("owner")</script>'),
    ("mitigations", "M-JS", "verified-by", 'javascript:alert("verified-by")'),
    ("mitigations", "M-QUOTE", "verified-by", "https://example.com/x\"onmouseover=\"alert('url')"),
    ("mitigations", "M-DATA", "verified-by", 'data:text/html,<script>alert("data")</script>'),
    ("mitigations", "M-RST-LINK", "verified-by", '`click <javascript:alert("rst")>`_'),
    (
        "services",
        'S-XSS"><script>alert("id")</script>',
        "title",
        'Service "><script>alert("service")</script>',
    ),
    (
        "services",
        'S-XSS"><script>alert("id")</script>',
        "owner",
        '"><img src=x onerror=alert("owner")>',
    ),
    ("threat-actors", "A-XSS", "title", 'Actor </p><script>alert("actor")</script>'),
    (
        "threat-actors",
        "A-XSS",
        "description",
        """<iframe src="javascript:alert('description')"></iframe>""",
    ),
    ("risk-acceptances", "RA-XSS", "title", 'Acceptance ]]><script>alert("cdata")</script>'),
    ("risk-acceptances", "RA-XSS", "owner", '<script>alert("ra-owner")</script>'),
    ("risk-acceptances", "RA-XSS", "approved-by", 'javascript:alert("approved-by")'),
    ("not-applicable", "NA-XSS", "title", "Not applicable <style>body{display:none}</style>"),
    ("not-applicable", "NA-XSS", "service", 'S-XSS"><script>alert("na")</script>'),
    ("threats", "T-LATEX", "title", r"LaTeX \input{/etc/passwd} \write18{id} 100% $x$ # ~ ^ _ {}"),
    ("threats", "T-LATEX", "tags", [r"\input{/etc/hostname}", "50%"]),
    ("mitigations", "M-LATEX", "owner", r"\input{/etc/passwd}"),
    ("threats", r"T-}\input{/etc/passwd}%", "severity", "low"),
    ("threats", "T-MD-XSS", "title", '<script>alert("md-title")</script> "double" & <b>bold</b>'),
    ("threats", "T-MD-XSS", "tags", ['<script>alert("md-tag")</script>']),
    ("mitigations", "M-MD-JS", "title", 'Mitigation <img src=x onerror=alert("md")>'),
    ("mitigations", "M-MD-JS", "owner", '<script>alert("md-owner")</script>'),
    ("mitigations", "M-MD-JS", "verified-by", 'javascript:alert("md-verified-by")'),
]

#: Shown as text on a page (the HTML text, unescaped, with smart quotes undone).
SHOWN = {
    "inject": [
        '<script>alert("title")</script> "double" \'single\' & <b>bold</b>',
        '<script>alert("tag")</script>',
        '<script>alert("owner")</script>',
        'javascript:alert("verified-by")',
        "https://example.com/x\"onmouseover=\"alert('url')",
        'data:text/html,<script>alert("data")</script>',
        '`click <javascript:alert("rst")>`_',
        'S-XSS"><script>alert("id")</script>',
        '"><img src=x onerror=alert("owner")>',
        'Actor </p><script>alert("actor")</script>',
        """<iframe src="javascript:alert('description')"></iframe>""",
        'Acceptance ]]><script>alert("cdata")</script>',
        'javascript:alert("approved-by")',
        "Not applicable <style>body{display:none}</style>",
        '<script>alert("role")',  # Sphinx's own "title <target>" split of the role
        'javascript:alert("role")',
    ],
    "inject-md": [
        '<script>alert("md-title")</script> "double" & <b>bold</b>',
        '<script>alert("md-tag")</script>',
        'Mitigation <img src=x onerror=alert("md")>',
        '<script>alert("md-owner")</script>',
        'javascript:alert("md-verified-by")',
    ],
    "reports": [
        '<script>alert("title")</script> "double" \'single\' & <b>bold</b>',
        'S-XSS"><script>alert("id")</script>',
    ],
}

#: verified-by: the only values that may become links.
LINKED = {"M-HTTPS": "https://example.com/audit?a=1&b=2", "M-HTTP": "http://example.com/test"}
NOT_LINKED = ["M-JS", "M-QUOTE", "M-DATA", "M-RST-LINK", "M-MD-JS"]

#: Elements our content could smuggle in; a theme may use some outside the body.
FORBIDDEN_TAGS = {"script", "iframe", "img", "style", "svg", "b", "object", "embed", "form"}


class Parsed(HTMLParser):
    """Elements, attributes and text of an HTML fragment."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def joined(self) -> str:
        """The text, with smart quotes turned back into plain ones."""
        text = "".join(self.text)
        return text.translate(
            str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
        )


def body(page: str) -> str:
    """The part of an HTML page our content goes to (not the theme's)."""
    start = page.index('<div class="body" role="main">')
    end = page.index('<div class="sphinxsidebar"', start)
    return page[start:end]


def item_block(page: str, ident: str) -> str:
    """The HTML of the item block whose (escaped) id is ``ident``."""
    parts = re.split(r'(?=<div class="[^"]*threats-item)', page)
    for part in parts:
        match = re.match(r'<div class="[^"]*" id="([^"]*)">', part)
        if match and Parsed(f'<p title="{match.group(1)}">').elements[0][1]["title"] == ident:
            return part
    raise AssertionError(f"no block for {ident!r}")


@pytest.fixture(scope="module")
def srcdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inject") / "src"
    shutil.copytree(ROOT, path)
    return path


def build(srcdir: Path, builder: str) -> Iterator[SphinxTestApp]:
    with built_app(
        builder,
        srcdir=srcdir,
        builddir=srcdir.parent / "_build",
    ) as app:
        yield app


@pytest.fixture(scope="module")
def html_app(srcdir: Path) -> Iterator[SphinxTestApp]:
    yield from build(srcdir, "html")


@pytest.fixture(scope="module")
def latex_app(srcdir: Path) -> Iterator[SphinxTestApp]:
    yield from build(srcdir, "latex")


def pages(app: SphinxTestApp) -> dict[str, str]:
    return {
        p.stem: p.read_text(encoding="utf-8")
        for p in Path(app.outdir).glob("*.html")
        if p.stem in ("index", "inject", "inject-md", "reports")
    }


def test_no_markup_gets_through(html_app: SphinxTestApp) -> None:
    """No element, event attribute or URL scheme from the content reaches the HTML."""
    for name, page in pages(html_app).items():
        for tag, attrs in Parsed(body(page)).elements:
            assert tag not in FORBIDDEN_TAGS, (name, tag, attrs)
        # the whole page, theme included: no event handlers, only http(s) or relative URLs
        for tag, attrs in Parsed(page).elements:
            assert not [a for a in attrs if a.startswith("on")], (name, tag, attrs)
            for key in ("href", "src", "action", "formaction"):
                url = attrs.get(key, "").strip().lower()
                scheme = re.match(r"([a-z][a-z0-9+.-]*):", url)
                assert scheme is None or scheme.group(1) in ("http", "https"), (name, url)
            if tag == "script":
                assert attrs == {} or attrs["src"].startswith("_static/"), (name, attrs)
        inline_scripts = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
        assert all("alert" not in script for script in inline_scripts), name


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_values_show_as_text(html_app: SphinxTestApp, name: str) -> None:
    """Element context: each value is in the page's text, character for character."""
    text = Parsed(body(pages(html_app)[name])).joined()
    for value in SHOWN[name]:
        assert value in text


def test_ids_in_attributes(html_app: SphinxTestApp) -> None:
    """Attribute context: an ID with quotes and ``<script>`` is one attribute value."""
    page = pages(html_app)["inject"]
    elements = Parsed(body(page)).elements
    ident = 'S-XSS"><script>alert("id")</script>'
    assert [t for t, a in elements if a.get("id") == ident] == ["div"]
    # links to it (back-links, reports) carry it as an escaped fragment
    report = Parsed(body(pages(html_app)["reports"])).elements
    assert any(a.get("href") == f"inject.html#{ident}" for t, a in report if t == "a")
    # tag badges: the CSS class is sanitised, the tag itself is text
    classes = [c for t, a in elements for c in a.get("class", "").split()]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", c) for c in classes), classes


def test_only_http_urls_become_links(html_app: SphinxTestApp) -> None:
    """``:verified-by:`` is a link for http(s) URLs only; anything else is text."""
    all_pages = pages(html_app)
    for ident, url in LINKED.items():
        block = Parsed(item_block(all_pages["inject"], ident)).elements
        assert [a["href"] for t, a in block if t == "a" and "external" in a.get("class", "")] == [
            url
        ]
    for ident in NOT_LINKED:
        page = all_pages["inject-md" if "MD" in ident else "inject"]
        block = Parsed(item_block(page, ident)).elements
        assert [a for t, a in block if t == "a" and "external" in a.get("class", "")] == []


def test_json_keeps_values_verbatim(html_app: SphinxTestApp) -> None:
    """threats.json holds the values as written (JSON strings are data, not markup)."""
    raw = Path(html_app.outdir, "threats.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    for plural, ident, key, value in DECLARED:
        (entry,) = [e for e in data["items"][plural] if e["id"] == ident]
        assert entry[key] == value, (ident, key)
    # the file is valid JSON whose strings round-trip; nothing was HTML-escaped in it
    assert "&lt;" not in raw and "&quot;" not in raw


def test_latex_escapes_everything(latex_app: SphinxTestApp) -> None:
    """No command from the content survives into the LaTeX source; braces stay balanced."""
    tex = Path(latex_app.outdir, "inject.tex").read_text(encoding="utf-8")
    # (``<`` and ``>`` mean nothing to LaTeX: they may stay in labels)
    for command in (r"\input{", r"\write18", r"\def\x"):
        assert command not in tex
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert r"100\% \$x\$ \#" in tex
    assert r"\textless{}script\textgreater{}alert(" in tex
    unescaped = re.sub(r"\\[{}%#$&_\\]", "", tex)
    unescaped = re.sub(r"(?<!\\)%.*", "", unescaped)  # comments
    depth = 0
    for char in unescaped:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_warnings_are_plain_text(html_app: SphinxTestApp) -> None:
    """Warnings quote the bad values as text (one line each), never interpret them."""
    text = html_app.warning.getvalue()
    lines = [line for line in text.splitlines() if "[threats." in line]
    assert any('S-XSS"><script>alert("id")</script>' in line for line in lines)
    assert all(line.rstrip().endswith("]") or "\x1b" in line for line in lines)
