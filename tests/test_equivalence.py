"""Equivalence: the answer never depends on how the build was run.

A seeded generator makes a threat-model project (rST and MyST pages, every
item kind, references that resolve and some that do not, a report page) and
applies random edit sequences to it: add, remove and change items, move an item
to another page, add and delete pages, add and remove role references, move
``threats_today`` past expiry and due dates, or change nothing. After every
step three builds run:

* an **incremental** build, reusing one output and doctree directory for the
  whole sequence (what a developer's machine does), with ``-j 2`` every other
  step;
* a **clean** serial build, in fresh directories (what CI does);
* a clean **parallel** build (``-j 2``), in fresh directories.

Their ``threats.*`` warnings (in order, paths made relative), their
``threats.json`` bytes and the main content (``div.body``) of every page must
be equal. And after every build, every item declared in the sources is in
``threats.json`` exactly once ("nothing lost").

The default run (a few sequences of a few steps) keeps CI fast; set
``SPHINX_THREATS_EQUIV_RUNS`` (number of sequences) and
``SPHINX_THREATS_EQUIV_STEPS`` (steps per sequence) for a longer run, and
``SPHINX_THREATS_EQUIV_SEED`` to replay one sequence. A failure names the seed,
the step and the edits so far.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import PLURAL, built_app

RUNS = int(os.environ.get("SPHINX_THREATS_EQUIV_RUNS", "4"))
STEPS = int(os.environ.get("SPHINX_THREATS_EQUIV_STEPS", "5"))
FIRST_SEED = int(os.environ.get("SPHINX_THREATS_EQUIV_SEED", "0"))

#: Content pages never go below this (with index and report: 8 documents, so that
#: ``-j 2`` really reads and writes in parallel).
MIN_PAGES = 6
START = dt.date(2026, 6, 1)

KINDS = ("threat-actor", "service", "threat", "mitigation", "risk-acceptance", "not-applicable")
PREFIX = {
    "threat-actor": "A",
    "service": "S",
    "threat": "T",
    "mitigation": "M",
    "risk-acceptance": "RA",
    "not-applicable": "NA",
}
ROLE_KINDS = ("threat", "mitigation", "service", "threat-actor", "risk-acceptance")
#: IDs are drawn from small pools so that references often resolve, sometimes not,
#: and an ID is now and then declared twice.
POOL = 7
WORDS = ("replay", "breach", "flood", "spoof", "leak", "tamper", "abuse", "drift", "key", "relay")

CONF = """\
project = "equivalence"
extensions = ["myst_parser", "sphinx_threats"]
exclude_patterns = ["_build"]
threats_today = "{today}"
threats_fail_on = []
"""

INDEX = """\
Threat model
============

.. toctree::
   :glob:

   *
"""

REPORT = """\
Report
======

.. threat-matrix::
   :group-by: service

.. threat-coverage::

.. threat-gaps::

.. threat-summary::

High only
---------

.. threat-matrix::
   :severity: critical, high

.. threat-gaps::
   :service: S-1, S-2
"""


#: Three builds per step of each random edit sequence:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


@dataclass
class Item:
    """One declared item, as the generator knows it."""

    kind: str
    id: str
    title: str
    options: list[tuple[str, str]]
    body: str = ""


@dataclass
class Page:
    """A content page: its items and the role references in its text."""

    suffix: str
    items: list[Item] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Project:
    """The generated project: pages by docname and the date of the build."""

    pages: dict[str, Page]
    today: dt.date
    next_page: int = 0


class Generator:
    """Random projects and random edits, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        #: IDs declared so far, by kind: references mostly name these.
        self.known: dict[str, list[str]] = {}

    def learn(self, project: Project) -> None:
        self.known = {}
        for page in project.pages.values():
            for item in page.items:
                self.known.setdefault(item.kind, []).append(item.id)

    def ident(self, kind: str) -> str:
        """An ID of ``kind``: usually a declared one, sometimes any from the pool."""
        known = self.known.get(kind)
        if known and self.rng.random() < 0.8:
            return self.rng.choice(sorted(known))
        return f"{PREFIX[kind]}-{self.rng.randint(1, POOL)}"

    def ids(self, kind: str, low: int = 0, high: int = 2) -> list[str]:
        return sorted({self.ident(kind) for _ in range(self.rng.randint(low, high))})

    def date(self, today: dt.date) -> str:
        return (today + dt.timedelta(days=self.rng.randint(-40, 200))).isoformat()

    def scope(self) -> str:
        choice = self.rng.random()
        if choice < 0.2:
            return "*"
        if choice < 0.3:
            return f"*, !{self.ident('service')}"
        return ", ".join(self.ids("service", 1, 2))

    def options(self, kind: str, today: dt.date) -> tuple[list[tuple[str, str]], str]:
        """Options and body of an item of ``kind`` (mostly valid, now and then not)."""
        rng = self.rng
        opts: list[tuple[str, str]] = []
        body = ""
        if kind == "threat-actor":
            opts.append(("description", rng.choice(WORDS)))
        elif kind == "service":
            for name, target in (
                ("exposed-to", "threat"),
                ("relies-on", "mitigation"),
                ("depends-on", "service"),
            ):
                ids = self.ids(target)
                if ids:
                    opts.append((name, ", ".join(ids)))
        elif kind == "threat":
            if rng.random() < 0.9:
                opts.append(("severity", rng.choice(("critical", "high", "medium", "low"))))
            if rng.random() < 0.6:
                opts.append(("applies-to", self.scope()))
            if rng.random() < 0.3:
                opts.append(("service", self.ident("service")))
            if rng.random() < 0.4:
                opts.append(("actors", " ".join(self.ids("threat-actor", 1, 2))))
            if rng.random() < 0.5:
                opts.append(("category", rng.choice(("spoofing", "tampering, repudiation"))))
            if rng.random() < 0.3:
                opts.append(("tags", rng.choice(("edge", "edge, core", "core"))))
        elif kind == "mitigation":
            opts.append(("mitigates", ", ".join(self.ids("threat", 1, 2))))
            status = rng.choice(("planned", "in-progress", "implemented", "verified"))
            opts.append(("status", status))
            if status in ("planned", "in-progress") and rng.random() < 0.9:
                opts.append(("due", self.date(today)))
            if rng.random() < 0.3:
                opts.append(("effect", "partial"))
            if rng.random() < 0.3:
                opts.append(("service", self.ident("service")))
            if rng.random() < 0.3:
                opts.append(("applies-to", self.scope()))
        elif kind == "risk-acceptance":
            opts.append(("threats", ", ".join(self.ids("threat", 1, 2))))
            opts.append(("owner", "sec"))
            opts.append(("expires", self.date(today)))
            if rng.random() < 0.3:
                opts.append(("service", self.ident("service")))
            body = "Rationale."
        else:
            opts.append(("threats", ", ".join(self.ids("threat", 1, 2))))
            if rng.random() < 0.5:
                opts.append(("service", self.ident("service")))
            body = "Justification."
        return opts, body

    def item(self, project: Project, kind: str | None = None) -> Item:
        """A new item; its ID is unused unless the pool is full (or by chance)."""
        kind = kind or self.rng.choice(KINDS)
        used = {i.id for p in project.pages.values() for i in p.items}
        free = [f"{PREFIX[kind]}-{n}" for n in range(1, POOL + 1)]
        free = [i for i in free if i not in used]
        ident = self.rng.choice(free) if free and self.rng.random() < 0.95 else self.ident(kind)
        opts, body = self.options(kind, project.today)
        title = f"{self.rng.choice(WORDS).capitalize()} {ident}"
        return Item(kind, ident, title, opts, body)

    def page(self, project: Project) -> str:
        name = f"p{project.next_page}"
        project.next_page += 1
        project.pages[name] = Page(".md" if self.rng.random() < 0.3 else ".rst")
        return name

    def project(self) -> Project:
        """A starting project: services first, then a few items of every kind."""
        project = Project({}, START)
        for _ in range(MIN_PAGES + 2):
            self.page(project)
        names = sorted(project.pages)
        for n in range(1, 4):
            page = project.pages[names[n - 1]]
            opts, body = self.options("service", START)
            page.items.append(Item("service", f"S-{n}", f"Service {n}", opts, body))
        for kind in KINDS * 3:
            self.learn(project)
            project.pages[self.rng.choice(names)].items.append(self.item(project, kind))
        # now that every ID is known, let the references name them
        self.learn(project)
        for page in project.pages.values():
            for item in page.items:
                item.options, item.body = self.options(item.kind, START)
        for name in names:
            if self.rng.random() < 0.5:
                kind = self.rng.choice(ROLE_KINDS)
                project.pages[name].refs.append((kind, self.ident(kind)))
        return project

    def edit(self, project: Project) -> str:
        """Apply one random edit; return what it did."""
        rng = self.rng
        self.learn(project)
        names = sorted(project.pages)
        located = [(n, i) for n in names for i in range(len(project.pages[n].items))]
        choice = rng.choice(
            [
                "add",
                "add",
                "remove",
                "change",
                "change",
                "move",
                "delete-page",
                "add-page",
                "today",
                "refs",
                "nothing",
            ]
        )
        if choice in ("remove", "change", "move") and not located:
            choice = "add"
        if choice == "delete-page" and len(names) <= MIN_PAGES:
            choice = "add-page"
        if choice == "add":
            name = rng.choice(names)
            item = self.item(project)
            page = project.pages[name]
            page.items.insert(rng.randint(0, len(page.items)), item)
            return f"add {item.kind} {item.id} to {name}"
        if choice == "remove":
            name, index = rng.choice(located)
            item = project.pages[name].items.pop(index)
            return f"remove {item.id} from {name}"
        if choice == "change":
            name, index = rng.choice(located)
            item = project.pages[name].items[index]
            item.options, item.body = self.options(item.kind, project.today)
            if rng.random() < 0.4:
                item.title = f"{rng.choice(WORDS).capitalize()} {item.id} (renamed)"
            return f"change {item.id} on {name}"
        if choice == "move":
            name, index = rng.choice(located)
            item = project.pages[name].items.pop(index)
            target = rng.choice([n for n in names if n != name])
            page = project.pages[target]
            page.items.insert(rng.randint(0, len(page.items)), item)
            return f"move {item.id} from {name} to {target}"
        if choice == "delete-page":
            name = rng.choice(names)
            del project.pages[name]
            return f"delete page {name}"
        if choice == "add-page":
            name = self.page(project)
            for _ in range(rng.randint(1, 3)):
                project.pages[name].items.append(self.item(project))
            return f"add page {name}"
        if choice == "today":
            project.today += dt.timedelta(days=rng.randint(20, 150))
            return f"today = {project.today}"
        if choice == "refs":
            name = rng.choice(names)
            refs = project.pages[name].refs
            if refs and rng.random() < 0.5:
                return f"unref {refs.pop()} on {name}"
            kind = rng.choice(ROLE_KINDS)
            refs.append((kind, self.ident(kind)))
            return f"ref {refs[-1]} on {name}"
        return "nothing"


def render(name: str, page: Page) -> tuple[str, list[tuple[Item, int]]]:
    """The source of a page and the line of each item's directive."""
    lines = (
        [f"Page {name}", "=" * (len(name) + 5), ""]
        if page.suffix == ".rst"
        else [f"# Page {name}", ""]
    )
    where = []
    for item in page.items:
        where.append((item, len(lines) + 1))
        if page.suffix == ".rst":
            lines.append(f".. {item.kind}:: {item.title}")
            lines += [f"   :id: {item.id}"] + [f"   :{k}: {v}" for k, v in item.options]
            if item.body:
                lines += ["", f"   {item.body}"]
        else:
            lines.append(f"```{{{item.kind}}} {item.title}")
            lines += [f":id: {item.id}"] + [f":{k}: {v}" for k, v in item.options]
            if item.body:
                lines += ["", item.body]
            lines.append("```")
        lines.append("")
    for kind, target in page.refs:
        lines += [
            f"See :{kind}:`{target}`." if page.suffix == ".rst" else f"See {{{kind}}}`{target}`.",
            "",
        ]
    return "\n".join(lines), where


def write(project: Project, srcdir: Path) -> dict[tuple[str, str, str, int], int]:
    """Bring ``srcdir`` to the project; write only the files whose text changed.

    Returns the items declared, as a multiset of (plural, id, file, line).
    """
    srcdir.mkdir(parents=True, exist_ok=True)
    wanted = {
        "conf.py": CONF.format(today=project.today.isoformat()),
        "index.rst": INDEX,
        "report.rst": REPORT,
    }
    declared: Counter[tuple[str, str, str, int]] = Counter()
    for name, page in project.pages.items():
        text, where = render(name, page)
        wanted[name + page.suffix] = text
        for item, line in where:
            declared[(PLURAL[item.kind], item.id, name + page.suffix, line)] += 1
    for path in srcdir.iterdir():
        if path.is_file() and path.name not in wanted:
            path.unlink()
    for filename, text in wanted.items():
        path = srcdir / filename
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return dict(declared)


@dataclass
class Result:
    """What one build showed."""

    warnings: list[str]
    json: bytes
    bodies: dict[str, str]
    statuscode: int


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BODY = re.compile(r'<div class="body" role="main">(.*?)<div class="clearer"></div>', re.DOTALL)


def build(srcdir: Path, builddir: Path, docnames: list[str], parallel: int = 0) -> Result:
    """Build with the html builder and read back what the user sees."""
    with built_app(
        "html",
        srcdir=srcdir,
        builddir=builddir,
        parallel=parallel,
    ) as app:
        prefix = str(srcdir) + os.sep
        warnings = [
            line.strip().replace(prefix, "")
            for line in _ANSI.sub("", app.warning.getvalue()).splitlines()
            if "[threats." in line
        ]
        bodies = {}
        for docname in docnames:
            page = Path(app.outdir, f"{docname}.html").read_text(encoding="utf-8")
            match = _BODY.search(page)
            assert match, docname
            bodies[docname] = match.group(1)
        data = Path(app.outdir, "threats.json").read_bytes()
        return Result(warnings, data, bodies, app.statuscode)


def listed(result: Result) -> dict[tuple[str, str, str, int], int]:
    """The items in threats.json, as a multiset of (plural, id, file, line)."""
    data = json.loads(result.json)
    found: Counter[tuple[str, str, str, int]] = Counter()
    for plural, entries in data["items"].items():
        for entry in entries:
            found[(plural, entry["id"], entry["file"], entry["lineno"])] += 1
    return dict(found)


def compare(name: str, got: Result, want: Result, context: str) -> None:
    """Assert two builds showed the same thing, with a readable difference."""
    assert got.warnings == want.warnings, f"{name}: warnings differ\n{context}"
    assert got.json == want.json, f"{name}: threats.json differs\n{context}"
    for docname in want.bodies:
        assert got.bodies[docname] == want.bodies[docname], (
            f"{name}: page {docname!r} differs\n{context}"
        )


def warning_order(line: str) -> tuple[str, int, str]:
    match = re.match(r"^(.*?):(\d+): WARNING: .* \[threats\.([a-z-]+)\]$", line)
    assert match, line
    return match.group(1), int(match.group(2)), match.group(3)


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + RUNS))
def test_incremental_and_parallel_equal_clean(tmp_path: Path, seed: int) -> None:
    """After every edit: incremental == clean, -j 2 == -j 1, nothing lost."""
    gen = Generator(seed)
    project = gen.project()
    srcdir = tmp_path / "src"
    incremental = tmp_path / "incremental"
    history = [f"seed {seed}"]
    for step in range(STEPS + 1):
        if step:
            history.append(f"step {step}: {gen.edit(project)}")
        declared = write(project, srcdir)
        docnames = ["index", "report", *sorted(project.pages)]
        context = "\n".join(history)
        # the incremental track runs with -j 2 every other step (parallel incremental reads)
        inc = build(srcdir, incremental, docnames, parallel=2 if step % 2 else 0)
        clean = build(srcdir, tmp_path / f"clean-{step}", docnames)
        par = build(srcdir, tmp_path / f"parallel-{step}", docnames, parallel=2)
        assert listed(clean) == declared, f"clean: items lost or added\n{context}"
        assert listed(inc) == declared, f"incremental: items lost or added\n{context}"
        assert clean.warnings == sorted(clean.warnings, key=warning_order), context
        compare("incremental vs clean", inc, clean, context)
        compare("-j 2 vs -j 1", par, clean, context)
        shutil.rmtree(tmp_path / f"clean-{step}")
        shutil.rmtree(tmp_path / f"parallel-{step}")


def test_unchanged_rebuild_reports_the_same(tmp_path: Path) -> None:
    """A rebuild in which nothing changed reads nothing and still warns the same."""
    gen = Generator(1234)
    project = gen.project()
    srcdir = tmp_path / "src"
    write(project, srcdir)
    docnames = ["index", "report", *sorted(project.pages)]
    first = build(srcdir, tmp_path / "out", docnames)
    again = build(srcdir, tmp_path / "out", docnames)
    assert first.warnings  # the generated model always has some gaps
    compare("unchanged rebuild", again, first, "seed 1234")


STALE_CSS = (
    "BUG: events.add_css copies the stylesheet with copy_asset_file() without force=True: "
    "when _static/sphinx-threats.css already exists with other content (an output "
    "directory built by an older sphinx-threats), Sphinx keeps the old file and warns "
    "'Aborted attempted copy ... [misc.copy_overwrite]' (an error under -W)"
)


def test_rebuild_after_an_upgrade_refreshes_the_stylesheet(tmp_path: Path) -> None:
    """An incremental build over an older output directory ends like a clean one."""
    gen = Generator(7)
    project = gen.project()
    srcdir = tmp_path / "src"
    write(project, srcdir)
    docnames = ["index", "report", *sorted(project.pages)]
    build(srcdir, tmp_path / "out", docnames)
    css = tmp_path / "out" / "html" / "_static" / "sphinx-threats.css"
    fresh = css.read_text(encoding="utf-8")
    css.write_text("/* the stylesheet of an older release */\n", encoding="utf-8")
    (srcdir / "index.rst").write_text(INDEX + "\nEdited.\n", encoding="utf-8")
    with built_app(
        "html",
        srcdir=srcdir,
        builddir=tmp_path / "out",
    ) as app:
        warnings = app.warning.getvalue()
    assert "copy_overwrite" not in warnings
    assert css.read_text(encoding="utf-8") == fresh
