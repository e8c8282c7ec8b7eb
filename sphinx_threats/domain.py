"""The ``threats`` domain: the store of per-document records, merging, objects and links.

All state read from documents is kept per document (like ``sphinx.ext.todo``),
so forgetting a document is a ``pop`` and merging parallel reads is a copy.
The model and its analysis are derived data: built from these records once
per build, never pickled.  Once the analysis has run, the records are closed
until the next build starts reading (:class:`PhaseError` otherwise), so the
report never describes a model that has changed since.

The directives and roles are not declared here: :mod:`~.extension` registers
them into the domain (as ``sphinx.ext.todo`` does), so this module imports
neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

from docutils import nodes
from sphinx.domains import Domain, ObjType
from sphinx.errors import NoUri, SphinxError
from sphinx.util.nodes import make_refnode

from .analysis import Report, Settings, analyse, declarations
from .catalog import Catalog, CatalogRender
from .digest import item_digest
from .evidence import EvidenceResults
from .external import NO_PREFIXES, ExternalModel, Prefixes, map_references, own_and_external
from .links import Condition, ConditionsByPage, PageLinks, anchor_written
from .members import NO_ALIASES, Aliases, Member, federate, member_summaries, name_candidates
from .model import (
    ROLE_KINDS,
    GapKind,
    Item,
    Kind,
    Location,
    Problem,
    Reference,
    ThreatModel,
    sorted_gaps,
)
from .schema.options import ID_RE
from .views.request import ReportRequest

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

#: The shape of the pickled domain data: bump it when that changes, and
#: Sphinx reads every page again (it is the domain's ``data_version`` and the
#: extension's ``env_version``).
ENV_VERSION = 7

#: Domain data keys holding per-document lists.
PER_DOC = ("items", "problems", "references", "reports", "renders", "conditions")


class PhaseError(SphinxError):
    """The threat model was used out of its phase: its report asked for before
    the analysis, or a record made after it."""

    category = "sphinx-threats phase error"


def threats_domain(env: BuildEnvironment) -> ThreatsDomain:
    """The ``threats`` domain of ``env``."""
    return cast("ThreatsDomain", env.domains["threats"])


def place_catalog_items(
    catalogs: dict[str, Catalog], renders: dict[str, list[CatalogRender]]
) -> tuple[list[Item], dict[str, list[Item]], list[Problem]]:
    """Every catalogue item, on the page that renders it first (by page, then line).

    Returns the items (on no page when nothing renders them), the items each
    page renders, and the problems: a second rendering of an item is its
    ``duplicate-id``, at the directive that renders it again.
    """
    placed: dict[tuple[str, int], tuple[str, Location]] = {}
    problems: list[Problem] = []
    for docname, page_renders in sorted(renders.items()):
        for render in sorted(page_renders, key=lambda r: r.location.lineno):
            for position in render.positions:
                key = (render.file, position)
                if key not in placed:
                    placed[key] = (docname, render.location)
                    continue
                item = catalogs[render.file].entries[position].item
                first = placed[key][1]
                problems.append(
                    Problem(
                        GapKind.DUPLICATE_ID,
                        f"duplicate ID {item.id!r}: the {item.kind.value} of {render.file}:"
                        f"{item.location.lineno} is rendered again here; it is already "
                        f"rendered at {first.file}:{first.lineno}",
                        render.location,
                        (item.id,),
                    )
                )
    items: list[Item] = []
    rendered: dict[str, list[Item]] = defaultdict(list)
    for file, catalog in catalogs.items():
        for position, entry in enumerate(catalog.entries):
            item = entry.item
            page = placed.get((file, position))
            if page is not None:
                where = item.location
                item = replace(item, location=Location(where.file, where.lineno, page[0]))
                rendered[page[0]].append(item)
            items.append(item)
        problems.extend(catalog.problems)
    return items, dict(rendered), problems


class ThreatsDomain(Domain):
    """Threat-model items (``threats:threat``...) and their cross-references."""

    name = "threats"
    label = "Threat model"
    object_types = {
        kind.value: ObjType(kind.label.lower(), *([kind.value] if kind in ROLE_KINDS else []))
        for kind in Kind
    }
    initial_data = {
        "items": {},  # docname -> list[Item]
        "problems": {},  # docname -> list[Problem]
        "references": {},  # docname -> list[Reference] (roles)
        "reports": {},  # docname -> list[ReportRequest] (report directives on the page)
        "renders": {},  # docname -> list[CatalogRender] (threat-catalog directives)
        # docname -> {anchor: tuple[Condition, ...]}: item blocks inside `only`/`ifconfig`
        "conditions": {},
        "digests": {},  # docname -> digest of the computed content it shows
        # file -> Catalog: every catalogue of threats_catalogs, read again on
        # every build before the documents (see catalog_files.read_catalogs)
        "catalogs": {},
    }
    data_version = ENV_VERSION

    _model: ThreatModel | None = None
    _report: Report | None = None
    _index: dict[str, Item] | None = None
    #: Items and problems from outside our directives (the sphinx-needs bridge's
    #: mitigating needs), given again on every build: derived, never pickled.
    _bridged_items: tuple[Item, ...] = ()
    _bridged_problems: tuple[Problem, ...] = ()
    #: The ``threats_external`` sources of this build (read again on every build).
    _externals: tuple[ExternalModel, ...] = ()
    #: What each ``name:ID`` names (derived with the model).
    _prefixes: Prefixes = NO_PREFIXES
    _external_problems: tuple[Problem, ...] = ()
    #: The problems of conf.py's values (checked again on every build).
    _config_problems: tuple[Problem, ...] = ()
    #: The ``threats_aggregate`` members of this build (read again on every build).
    _members: tuple[Member, ...] = ()
    #: This project's ``threats_project_id``.
    _project_id: str = ""
    #: How this project's references name members' items (derived with the model).
    _aliases: Aliases = NO_ALIASES
    #: The ``threats_evidence`` test results of this build (``None``: nothing
    #: judged) and the problems reading them (read again on every build).
    _evidence: EvidenceResults | None = None
    _evidence_problems: tuple[Problem, ...] = ()
    _rendered: dict[str, list[Item]] | None = None

    # -- per-document records -------------------------------------------------

    def open_records(self) -> None:
        """A build starts reading: records may be made again (see :class:`PhaseError`)."""
        self._report = None
        self._changed()

    def _check_open(self) -> None:
        """Refuse a record once the analysis has run (a phase guard, as
        sphinx-needs has): the report would no longer describe the model."""
        if self._report is not None:
            raise PhaseError(
                "sphinx-threats: a threat-model record was made after the analysis; record "
                "while the pages are read (by env-get-updated at the latest)"
            )

    def _changed(self) -> None:
        """Forget the derived data of the records, which change now."""
        self._check_open()
        self._model = None
        self._report = None
        self._index = None
        self._rendered = None

    def _doc_list(self, key: str, docname: str) -> list[Any]:
        lists: dict[str, list[Any]] = self.data[key]
        return lists.setdefault(docname, [])

    def note_item(self, docname: str, item: Item, problems: Iterable[Problem]) -> None:
        """Record an item declared in ``docname`` and the problems found in it."""
        self._changed()
        self._doc_list("items", docname).append(item)
        self._doc_list("problems", docname).extend(problems)

    def note_problem(self, docname: str, problem: Problem) -> None:
        """Record a problem found in ``docname`` outside an item."""
        self._changed()
        self._doc_list("problems", docname).append(problem)

    def note_reference(self, docname: str, reference: Reference) -> None:
        """Record a role reference, checked by the analysis on every build."""
        self._changed()
        self._doc_list("references", docname).append(reference)

    def note_report(self, docname: str, report: ReportRequest) -> None:
        """Record a report directive placed in ``docname``."""
        self._changed()
        self._doc_list("reports", docname).append(report)

    def note_render(self, docname: str, render: CatalogRender) -> None:
        """Record a ``threat-catalog`` directive placed in ``docname``."""
        self._changed()
        self._doc_list("renders", docname).append(render)

    def note_conditions(self, docname: str, found: dict[str, tuple[Condition, ...]]) -> None:
        """Record the item anchors of ``docname`` written only under conditions."""
        self._check_open()  # links only: the model does not change
        self.data["conditions"][docname] = found

    def conditions(self) -> ConditionsByPage:
        """Per page, the item anchors written only under conditions."""
        conditions: ConditionsByPage = self.data["conditions"]
        return conditions

    def set_digests(self, digests: dict[str, str]) -> None:
        """Keep this build's page digests, to compare with the next build's."""
        self.data["digests"] = digests

    def digests(self) -> dict[str, str]:
        """The page digests of the last build (see :mod:`~.digests`)."""
        digests: dict[str, str] = self.data["digests"]
        return digests

    def set_catalogs(self, catalogs: dict[str, Catalog]) -> None:
        """Take this build's catalogues (read before any document)."""
        self._changed()
        self.data["catalogs"] = catalogs

    def catalogs(self) -> dict[str, Catalog]:
        """This build's catalogues, by file."""
        catalogs: dict[str, Catalog] = self.data["catalogs"]
        return catalogs

    def clear_doc(self, docname: str) -> None:
        """Forget everything ``docname`` declared."""
        self._changed()
        for key in PER_DOC:
            self.data[key].pop(docname, None)

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict[str, Any]) -> None:
        """Take over the records of documents read by a parallel worker."""
        self._changed()
        for docname in docnames:
            for key in PER_DOC:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]

    def set_bridged(self, items: Iterable[Item], problems: Iterable[Problem] = ()) -> None:
        """Items and problems of this build that no directive of ours declared
        (needs that mitigate threats), counted by the analysis as if declared."""
        self._changed()
        self._bridged_items = tuple(items)
        self._bridged_problems = tuple(problems)

    def set_externals(
        self,
        models: Iterable[ExternalModel],
        problems: Iterable[Problem],
        members: Iterable[Member] = (),
        project_id: str = "",
    ) -> None:
        """This build's ``threats_external`` sources and ``threats_aggregate``
        members (read before any document), and this project's ID."""
        self._changed()
        self._externals = tuple(models)
        self._external_problems = tuple(problems)
        self._members = tuple(members)
        self._project_id = project_id

    def members(self) -> tuple[Member, ...]:
        """This build's ``threats_aggregate`` members."""
        return self._members

    def externals(self) -> tuple[ExternalModel, ...]:
        """This build's ``threats_external`` sources."""
        return self._externals

    def set_config_problems(self, problems: Iterable[Problem]) -> None:
        """This build's problems with conf.py's values: gaps like any other."""
        self._changed()
        self._config_problems = tuple(problems)

    def set_evidence(self, results: EvidenceResults | None, problems: Iterable[Problem]) -> None:
        """This build's test results (read before any document)."""
        self._changed()
        self._evidence = results
        self._evidence_problems = tuple(problems)

    def target(self, ident: str) -> str:
        """The ID a reference names: ``name:ID`` of a ``threats_external``
        source or a ``threats_aggregate`` member is that project's item (see
        :meth:`.Prefixes.resolve` and :meth:`.Aliases.resolve`)."""
        self.model()
        return self._prefixes.resolve(self._aliases.resolve(ident))

    def _resolved(self, item: Item) -> Item:
        """``item`` as the analysis sees it: its references to other projects resolved."""
        return self._prefixes.unprefixed(map_references(item, self._aliases.resolve))

    def items_of(self, docname: str) -> list[Item]:
        """Items shown in ``docname``: declared there, then rendered from catalogues."""
        items: list[Item] = self.data["items"].get(docname, [])
        self.model()
        rendered = (self._rendered or {}).get(docname)
        shown = [*items, *rendered] if rendered else items
        # shown as the analysis sees them: ``name:ID`` references resolved
        return [self._resolved(item) for item in shown]

    def anchor_written(self, builder: Builder, docname: str, anchor: str) -> bool:
        """Whether ``builder`` writes the item anchor ``anchor`` of ``docname``
        (see :func:`~.links.anchor_written`)."""
        return anchor_written(builder, self.conditions(), docname, anchor)

    def pages(self) -> set[str]:
        """Every page that declares, renders, cites or reports anything."""
        data = self.data
        return {docname for key in PER_DOC for docname in data[key]}

    # -- derived data ---------------------------------------------------------

    def model(self) -> ThreatModel:
        """The model of the whole project (built once per change)."""
        if self._model is None:
            data = self.data
            catalog_items, rendered, problems = place_catalog_items(
                self.catalogs(), data["renders"]
            )
            self._rendered = rendered
            federation = federate(
                [
                    *(item for items in data["items"].values() for item in items),
                    *catalog_items,
                    *self._bridged_items,
                ],
                self._members,
                self._project_id,
            )
            self._aliases = aliases = federation.aliases
            own, external, self._prefixes = own_and_external(
                federation.items,
                list(self._externals),
                (aliases.resolve(r.target) for refs in data["references"].values() for r in refs),
            )
            self._model = ThreatModel.build(
                chain(own, external),
                chain(
                    (p for ps in data["problems"].values() for p in ps),
                    problems,
                    self._bridged_problems,
                    self._external_problems,
                    self._config_problems,
                    federation.problems,
                    self._evidence_problems,
                ),
                (
                    replace(r, target=self._prefixes.resolve(aliases.resolve(r.target)))
                    for refs in data["references"].values()
                    for r in refs
                ),
            )
        return self._model

    def analyse(self, settings: Settings, aggregate_at: Location | None = None) -> Report:
        """Analyse the model now (once per build, when every page is read) and
        keep the report; the records are closed until the next build reads.

        With members, what each saw of this project's threats is compared
        with their current digests: a ``stale-member`` gap is located at
        ``aggregate_at`` (conf.py's ``threats_aggregate``)."""
        # a ``name:ID`` into a source that could not be read is not reported
        # (the source's own warning is the cause): the configured sources less
        # those this build read
        unread = settings.sources - {m.name for m in self._externals if m.usable}
        settings = replace(settings, sources=unread)
        if settings.lock is not None:
            settings = replace(settings, lock=settings.lock.renamed(self._resolved_threats()))
        report = analyse(self.model(), settings, self._evidence)
        if self._aliases.ambiguous:
            # a bare ID two members declare: the unknown-ref names them
            report = replace(report, gaps=name_candidates(report.gaps, self._aliases))
        if self._members and aggregate_at is not None:
            fields = settings.review_fields
            current = {
                t.id: item_digest(t, fields) for t in report.threats() if not t.location.foreign
            }
            summaries, stale = member_summaries(
                self._members, self._project_id, current, aggregate_at
            )
            report = replace(report, gaps=sorted_gaps([*report.gaps, *stale]), members=summaries)
        self._report = report
        self._index = report.index
        return self._report

    def _resolved_threats(self) -> dict[str, str]:
        """Another project's threats by their resolved ID (``project-id:ID``, as
        ``threats.json`` and the lock file write them): the ID the analysis
        gives each."""
        project_ids = {m.name: m.project_id for m in self._externals}
        project_ids |= {m.name: m.project_id for m in self._members}
        found: dict[str, str] = {}
        for item in self.model().items:
            name = item.location.foreign
            if name and item.kind is Kind.THREAT:
                own = item.id.removeprefix(f"{name}:")
                found[f"{project_ids.get(name) or name}:{own}"] = item.id
        return found

    def report(self) -> Report:
        """The report of this build's analysis.

        :raises PhaseError: when the analysis has not run yet (before
            ``env-get-updated``).
        """
        if self._report is None:
            raise PhaseError(
                "sphinx-threats: the threat model is not analysed yet; its report exists "
                "from env-get-updated on (the threats-analysed event)"
            )
        return self._report

    def index(self) -> dict[str, Item]:
        """The first declaration of every ID (as the analysis decides it)."""
        if self._index is None:
            self._index = declarations(self.model().items).index
        return self._index

    # -- objects and cross-references ----------------------------------------

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        """Every item (first declaration of each ID), for ``objects.inv`` and search."""
        bridged = {id(item) for item in self._bridged_items}
        for ident, item in self.index().items():
            if not ID_RE.match(ident) or not item.location.docname or id(item) in bridged:
                # no valid ID of its own (a line break would corrupt objects.inv
                # for every intersphinx user), on no page of ours (a catalogue
                # item rendered nowhere, another project's), or another
                # extension's object
                continue
            yield ident, item.title, item.kind.value, item.location.docname, ident, 1

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        """Link to the item ``target`` (``ID`` or ``name:ID``) if it is of kind ``typ``."""
        item = self.index().get(self.target(target))
        if item is None or item.kind.value != typ:
            return None
        return self._refnode(builder, fromdocname, item, node, contnode)

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        """The ``any`` role: an item with this ID, whatever its kind."""
        item = self.index().get(self.target(target))
        if item is None:
            return []
        return [
            (
                f"threats:{item.kind.value}",
                self._refnode(builder, fromdocname, item, node, contnode),
            )
        ]

    def _refnode(
        self,
        builder: Builder,
        fromdocname: str,
        item: Item,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference:
        if not node.get("refexplicit"):
            # a role without explicit text shows the item's title
            contnode = contnode.deepcopy()
            del contnode[:]
            contnode += nodes.Text(item.title)
        todocname = item.location.docname
        if not todocname and item.location.uri:
            # another project's item: its page there
            title = f"{item.kind.label} {item.id} ({item.location.foreign})"
            return nodes.reference(
                "", "", contnode, internal=False, refuri=item.location.uri, reftitle=title
            )
        links = PageLinks(builder, fromdocname, self.conditions())
        base = links.item_uri(todocname, item.id) if todocname else None
        if base is None:
            raise NoUri(item.id)
        return make_refnode(
            builder,
            fromdocname,
            fromdocname if base == "" else todocname,
            item.id,
            contnode,
            f"{item.kind.label} {item.id}",
        )
