"""Check that the built flavours of a generated benchmark project are equivalent.

Reads the HTML of each flavour (``ROOT/_build/<flavour>/html``, as
``bench/run.py`` builds it) and the manifest ``ROOT/<flavour>/bench.json``
written by ``bench/generate.py``, and counts, per flavour:

items
    distinct item anchors, by kind. An item is an element whose classes mark it
    as one: ``threats-item threats-<kind>`` (the extension, and the plain
    flavour's admonitions) or ``needs_type_tm-<kind>`` (the sphinx-needs
    flavour's need tables); its anchor is its ``id``, compared
    case-insensitively (the plain flavour's labels are lowercase). Each must
    appear once in the whole site, and the counts per kind must equal the
    model's (the manifest's ``expected_items``).
item links
    links from an item to another item on the item pages (the product page and
    the service pages): ``<a href="...#ANCHOR">`` inside an item's element
    whose fragment is an item anchor. Counted as distinct (source item, target
    item) pairs, grouped by (source kind, target kind); a link of an item to
    itself (sphinx-needs' ID link) is not counted. Counting distinct pairs
    keeps the comparison independent of how often a flavour repeats a link
    (a field *and* a back-link list).
report links
    links to item anchors on the report page, per report section (``Report:
    matrix``, ``coverage``, ``gaps``, ``summary``; sections are found by their
    ids): the number of distinct items linked, by kind.

Every link whose fragment names an item must point to the page that holds the
item; one that does not is a broken link and an error.

What is compared: items and item links between all flavours; report links
between ``threats`` and ``plain`` for all four sections, and with ``needs`` for
the matrix only: sphinx-needs cannot compute (service, threat) coverage, gaps
per service or a summary, so its coverage/gaps/summary sections show other
things (documented in bench/README.md). The raw number of item links (not
distinct) is printed for information, not compared.

Usage::

    python bench/equivalence.py bench/out/s100-t20 [--flavours threats,plain,needs]

Exits 1 when the flavours differ (and prints what differs), 2 when a flavour's
HTML is missing.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

FLAVOURS = ("threats", "plain", "needs", "bridge")
#: tags whose nesting is tracked (items and sections are among these)
TRACKED = {"div", "section", "table", "aside", "article"}
#: report sections compared with the needs flavour
NEEDS_COMPARABLE_SECTIONS = ("report-matrix",)


def _item_kind(classes: list[str]) -> str | None:
    if "threats-item" in classes:
        for cls in classes:
            if cls.startswith("threats-") and cls != "threats-item":
                return cls[len("threats-") :]
        return "unknown"
    for cls in classes:
        if cls.startswith("needs_type_tm-"):
            return cls[len("needs_type_tm-") :]
    return None


@dataclass
class PageScan:
    """What one HTML page holds: items, and links with their context."""

    #: (anchor lowercased, kind, anchor as written)
    items: list[tuple[str, str, str]] = field(default_factory=list)
    #: (innermost enclosing item anchor or None, enclosing section ids, href)
    links: list[tuple[str | None, tuple[str, ...], str]] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        #: (tag, item anchor or None, section id or None, is main body)
        self.stack: list[tuple[str, str | None, str | None, bool]] = []
        self.saw_body = False

        #: per entry of scan.items / scan.links: was it inside the main body?
        self.item_in_body: list[bool] = []
        self.link_in_body: list[bool] = []

    def _in_body(self) -> bool:
        return any(entry[3] for entry in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            item = next((e[1] for e in reversed(self.stack) if e[1]), None)
            sections = tuple(e[2] for e in self.stack if e[2])
            self.scan.links.append((item, sections, a["href"]))
            self.link_in_body.append(self._in_body())
            return
        if tag not in TRACKED:
            return
        classes = a.get("class", "").split()
        anchor = a.get("id")
        kind = _item_kind(classes)
        item = None
        if kind and anchor:
            item = anchor.lower()
        is_body = tag == "div" and "body" in classes and a.get("role") == "main"
        if is_body:
            self.saw_body = True
        if item:
            self.scan.items.append((item, kind or "", anchor or ""))
            self.item_in_body.append(is_body or self._in_body())
        section = anchor if tag == "section" and anchor else None
        self.stack.append((tag, item, section, is_body))

    def handle_endtag(self, tag: str) -> None:
        if tag not in TRACKED:
            return
        for n in range(len(self.stack) - 1, -1, -1):
            if self.stack[n][0] == tag:
                del self.stack[n:]
                return


def scan_page(path: Path) -> PageScan:
    """Items and links of one HTML page (only its main body when it has one)."""
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    if not parser.saw_body:
        return parser.scan
    # the theme marks its main body: sidebars and navigation do not count
    scan = parser.scan
    return PageScan(
        items=[x for x, inside in zip(scan.items, parser.item_in_body, strict=True) if inside],
        links=[x for x, inside in zip(scan.links, parser.link_in_body, strict=True) if inside],
    )


@dataclass
class Counts:
    """The counts of one flavour (see the module docstring)."""

    flavour: str
    items: Counter[str] = field(default_factory=Counter)
    item_links: Counter[str] = field(default_factory=Counter)
    report_links: dict[str, Counter[str]] = field(default_factory=dict)
    #: raw numbers of links to items (information only)
    raw_item_links: int = 0
    raw_report_links: int = 0
    errors: list[str] = field(default_factory=list)
    #: anchor -> (kind, docname)
    anchors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "items": dict(sorted(self.items.items())),
            "item_links": dict(sorted(self.item_links.items())),
            "report_links": {k: dict(sorted(v.items())) for k, v in self.report_links.items()},
            "raw_item_links": self.raw_item_links,
            "raw_report_links": self.raw_report_links,
            "errors": self.errors,
        }


def _html_path(html_dir: Path, docname: str) -> Path:
    return html_dir / f"{docname}.html"


def count(html_dir: Path, manifest: dict) -> Counts:
    """Count items and links in one flavour's HTML output."""
    flavour = manifest["flavour"]
    result = Counts(flavour)
    item_pages: list[str] = manifest["item_pages"]
    report_page: str = manifest["report_page"]
    scans: dict[str, PageScan] = {}
    for docname in [*item_pages, report_page]:
        path = _html_path(html_dir, docname)
        if not path.is_file():
            result.errors.append(f"missing page {path}")
            continue
        scans[docname] = scan_page(path)
    for docname, scan in scans.items():
        for anchor, kind, written in scan.items:
            if anchor in result.anchors:
                result.errors.append(
                    f"item {written} twice: {result.anchors[anchor][1]} and {docname}"
                )
                continue
            result.anchors[anchor] = (kind, docname)
            result.items[kind] += 1
    expected = manifest.get("expected_items", {})
    for kind in sorted(set(expected) | set(result.items)):
        if result.items.get(kind, 0) != expected.get(kind, 0):
            result.errors.append(
                f"{result.items.get(kind, 0)} {kind} items, the model has {expected.get(kind, 0)}"
            )

    def target(docname: str, href: str) -> str | None:
        """The item anchor an href points to, or None; broken links are errors."""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.fragment:
            return None
        anchor = unquote(parts.fragment).lower()
        if anchor not in result.anchors:
            return None
        here = posixpath.dirname(docname)
        page = (
            posixpath.normpath(posixpath.join(here, unquote(parts.path)))
            if parts.path
            else (docname + ".html")
        )
        want = result.anchors[anchor][1] + ".html"
        if page != want:
            result.errors.append(f"{docname}: link {href!r} should point to {want}")
        return anchor

    edges: set[tuple[str, str]] = set()
    for docname in item_pages:
        for source, _sections, href in scans.get(docname, PageScan()).links:
            anchor = target(docname, href)
            if anchor is None or source is None:
                continue
            result.raw_item_links += 1
            if anchor != source:
                edges.add((source, anchor))
    for source, anchor in edges:
        pair = f"{result.anchors[source][0]} -> {result.anchors[anchor][0]}"
        result.item_links[pair] += 1
    sections: list[str] = manifest["report_sections"]
    linked: dict[str, set[str]] = {s: set() for s in sections}
    for _source, within, href in scans.get(report_page, PageScan()).links:
        anchor = target(report_page, href)
        if anchor is None:
            continue
        result.raw_report_links += 1
        section = next((s for s in within if s in linked), None)
        if section is None:
            result.errors.append(f"{report_page}: link to {anchor} outside the report sections")
            continue
        linked[section].add(anchor)
    for section, anchors in linked.items():
        result.report_links[section] = Counter(result.anchors[a][0] for a in anchors)
    return result


def compare(counts: dict[str, Counts]) -> list[str]:
    """What differs between flavours (empty when they are equivalent)."""
    problems: list[str] = []
    for c in counts.values():
        problems += [f"{c.flavour}: {e}" for e in c.errors]
    names = list(counts)
    if not names:
        return problems
    ref = counts["plain"] if "plain" in counts else counts[names[0]]

    def diff(what: str, a: Counter[str], b: Counter[str], fa: str, fb: str) -> None:
        for key in sorted(set(a) | set(b)):
            if a.get(key, 0) != b.get(key, 0):
                problems.append(f"{what} {key}: {fa} {a.get(key, 0)}, {fb} {b.get(key, 0)}")

    for c in counts.values():
        if c is ref:
            continue
        diff("items", ref.items, c.items, ref.flavour, c.flavour)
        diff("item links", ref.item_links, c.item_links, ref.flavour, c.flavour)
        sections = (
            NEEDS_COMPARABLE_SECTIONS
            if "needs" in (c.flavour, ref.flavour)
            else list(ref.report_links)
        )
        for section in sections:
            diff(
                f"report links [{section}]",
                ref.report_links.get(section, Counter()),
                c.report_links.get(section, Counter()),
                ref.flavour,
                c.flavour,
            )
    return problems


def format_table(counts: dict[str, Counts]) -> str:
    """A side-by-side table of every count."""
    names = list(counts)
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, getter) -> None:  # type: ignore[no-untyped-def]
        rows.append((label, [str(getter(counts[n])) for n in names]))

    for kind in sorted({k for c in counts.values() for k in c.items}):
        add(f"items: {kind}", lambda c, k=kind: c.items.get(k, 0))
    for pair in sorted({k for c in counts.values() for k in c.item_links}):
        add(f"item links: {pair}", lambda c, k=pair: c.item_links.get(k, 0))
    sections = sorted({s for c in counts.values() for s in c.report_links})
    for section in sections:
        kinds = sorted({k for c in counts.values() for k in c.report_links.get(section, {})})
        for kind in kinds:
            add(
                f"{section}: {kind}s linked",
                lambda c, s=section, k=kind: c.report_links.get(s, Counter()).get(k, 0),
            )
    add("(raw item links)", lambda c: c.raw_item_links)
    add("(raw report links)", lambda c: c.raw_report_links)
    width = max(len(r[0]) for r in rows)
    lines = [f"{'':{width}}  " + "  ".join(f"{n:>8}" for n in names)]
    for label, values in rows:
        lines.append(f"{label:{width}}  " + "  ".join(f"{v:>8}" for v in values))
    return "\n".join(lines)


def check(
    root: Path, flavours: list[str], html_dirs: dict[str, Path] | None = None
) -> tuple[dict[str, Counts], list[str]]:
    """Count every flavour under ``root`` and compare them."""
    counts: dict[str, Counts] = {}
    for flavour in flavours:
        manifest = json.loads((root / flavour / "bench.json").read_text())
        html = (html_dirs or {}).get(flavour, root / "_build" / flavour / "html")
        counts[flavour] = count(html, manifest)
    return counts, compare(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="the --out directory of generate.py")
    parser.add_argument(
        "--flavours", default=",".join(FLAVOURS), help="comma list (default: all three)"
    )
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    flavours = [f for f in args.flavours.split(",") if f]
    for flavour in flavours:
        html = args.root / "_build" / flavour / "html"
        if not html.is_dir():
            print(f"no HTML for {flavour}: {html} (build it first)", file=sys.stderr)
            return 2
    counts, problems = check(args.root, flavours)
    if args.json:
        print(json.dumps({f: c.as_dict() for f, c in counts.items()}, indent=2))
    else:
        print(format_table(counts))
    if problems:
        print(f"\nNOT EQUIVALENT ({len(problems)} differences):", file=sys.stderr)
        for line in problems[:50]:
            print(f"  {line}", file=sys.stderr)
        if len(problems) > 50:
            print(f"  ... and {len(problems) - 50} more", file=sys.stderr)
        return 1
    print("\nequivalent: " + ", ".join(flavours))
    return 0


if __name__ == "__main__":
    sys.exit(main())
