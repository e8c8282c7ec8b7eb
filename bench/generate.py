"""Generate a synthetic threat-model documentation project for the benchmark.

One model, three equivalent Sphinx projects ("flavours"):

``threats``
    the model written with the ``sphinx_threats`` directives; the report page
    holds ``threat-matrix``, ``threat-coverage``, ``threat-gaps`` and
    ``threat-summary``.
``plain``
    the same rendered content written by hand as static reStructuredText: each
    item an ``admonition`` with a field list, a label and its back-links; the
    reports as ``list-table``s with ``:ref:`` links. This is what the build
    costs without any extension.
``needs``
    the same items as sphinx-needs needs (types ``tm-threat``,
    ``tm-mitigation``, ``tm-service``, ``tm-risk-acceptance``) linked with a
    ``mitigates`` link type (and link types for acceptances, owning services
    and scope), a ``needtable`` per report section and ``needs_warnings`` for
    unmitigated threats.

The model: S services with T threats each, each on its own page; product-level
threats on a product page applying to a share of the services (the first one to
every service with ``*``); a mitigation for most threats (a few partial or
planned), an acceptance for some of the rest, and per (service, product threat
in scope) a service control for most pairs, a service-scoped acceptance for a
few, nothing for the rest (service gaps). Everything is derived from a seeded
``random.Random``, so the same arguments always give the same bytes.

The plain flavour shows what the extension computes (statuses, back-links,
coverage, gaps, counts); this module computes it with a small implementation of
the rules of SPEC.md restricted to the features the model uses (no actors, no
not-applicable, no expired acceptances, no overdue mitigations).

Usage::

    python bench/generate.py --services 100 --threats 20 --flavour all --out bench/out/s100-t20

Each flavour goes to ``OUT/<flavour>/`` (a Sphinx source directory with its
``conf.py``) together with ``bench.json``, a manifest the other bench scripts
read (sizes, page names, the page and line to edit for the incremental build,
expected item counts).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FLAVOURS = ("threats", "plain", "needs", "bridge")

#: the fixed "today" of every date check, so that builds are reproducible
TODAY = "2026-06-01"

CATEGORIES = (
    "spoofing",
    "tampering",
    "repudiation",
    "information-disclosure",
    "denial-of-service",
    "elevation-of-privilege",
)
SEVERITIES = ("critical", "high", "medium", "low", "info")
#: how often each severity is drawn
SEVERITY_WEIGHTS = (1, 3, 4, 2, 1)
#: weights used for the weighted coverage percentage of the summary
SEVERITY_SCORE = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
STATUS_ORDER = ("not-applicable", "accepted", "mitigated", "partial", "planned", "unmitigated")
#: statuses that count as covered for the coverage percentage
COVERED = ("mitigated", "accepted")
#: gap kinds in the order the report lists them
GAP_KINDS = ("unmitigated", "service-gap", "planned-only", "partial-only")

THREAT_TITLES = {
    "spoofing": "Forged credentials accepted by {svc}",
    "tampering": "Request body altered in transit to {svc}",
    "repudiation": "Administrative action in {svc} not attributable",
    "information-disclosure": "Sensitive fields of {svc} leak into logs",
    "denial-of-service": "Unbounded requests exhaust {svc} workers",
    "elevation-of-privilege": "Missing authorisation check in {svc}",
}
MITIGATION_TITLES = {
    "spoofing": "Verify signed tokens in {svc}",
    "tampering": "Mutual TLS and request signing for {svc}",
    "repudiation": "Append-only audit log for {svc}",
    "information-disclosure": "Redact sensitive fields in {svc}",
    "denial-of-service": "Rate limits and quotas for {svc}",
    "elevation-of-privilege": "Central policy check in {svc}",
}
PRODUCT_THREAT_TITLES = (
    "Data breach exposes encrypted data at rest",
    "Message replay against service endpoints",
    "P2P broker flooding",
    "Stolen operator credentials",
    "Compromised build dependency",
    "Weak randomness in key generation",
    "Cross-tenant data access",
    "Backup tampering",
)


@dataclass
class Service:
    id: str
    title: str
    owner: str
    docname: str


@dataclass
class Threat:
    id: str
    title: str
    category: str
    severity: str
    docname: str
    #: owning service ID; None for a product-level threat
    service: str | None = None
    #: the services in scope (product threats only), expanded
    applies_to: list[str] = field(default_factory=list)
    #: True when the source says ``*`` instead of listing every service
    applies_to_all: bool = False


@dataclass
class Mitigation:
    id: str
    title: str
    mitigates: list[str]
    status: str
    effect: str
    docname: str
    service: str | None = None
    due: str | None = None
    #: the sentence the incremental benchmark appends to (one line in every flavour)
    body: str = ""


@dataclass
class Acceptance:
    id: str
    title: str
    threats: list[str]
    owner: str
    expires: str
    approved_by: str
    docname: str
    service: str | None = None


@dataclass
class Pair:
    """A (threat, service) pair in scope, with its computed status."""

    threat: str
    service: str
    status: str
    #: IDs of the mitigations and acceptances behind the status
    by: list[str]


@dataclass
class Model:
    services: list[Service] = field(default_factory=list)
    threats: list[Threat] = field(default_factory=list)
    mitigations: list[Mitigation] = field(default_factory=list)
    acceptances: list[Acceptance] = field(default_factory=list)
    #: docname -> item IDs in source order
    pages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, item: Service | Threat | Mitigation | Acceptance) -> None:
        self.pages.setdefault(item.docname, []).append(item.id)
        if isinstance(item, Service):
            self.services.append(item)
        elif isinstance(item, Threat):
            self.threats.append(item)
        elif isinstance(item, Mitigation):
            self.mitigations.append(item)
        else:
            self.acceptances.append(item)


@dataclass
class Analysis:
    """What the extension computes for the model, as the plain flavour shows it."""

    status: dict[str, str]
    #: threat ID -> mitigations of it, in model order
    mitigations_of: dict[str, list[Mitigation]]
    acceptances_of: dict[str, list[Acceptance]]
    pairs: list[Pair]
    pairs_of_service: dict[str, list[Pair]]
    pairs_of_threat: dict[str, list[Pair]]
    #: (kind, threat ID, service ID or None, [IDs])
    gaps: list[tuple[str, str, str | None, list[str]]]


def build_model(services: int, threats: int, seed: int = 1) -> Model:
    """Draw the synthetic model: deterministic for given arguments."""
    rng = random.Random(seed)
    ws = max(3, len(str(services)))
    wt = max(2, len(str(threats)))
    model = Model()
    svcs = [
        Service(
            id=f"SVC-{i:0{ws}d}",
            title=f"Service {i:0{ws}d}",
            owner=f"team-{(i - 1) % 12 + 1:02d}",
            docname=f"services/svc-{i:0{ws}d}",
        )
        for i in range(1, services + 1)
    ]
    svc_ids = [s.id for s in svcs]

    # Product-level threats: the first applies to every service (``*``), the
    # others to a quarter of them.
    n_product = min(20, max(2, services // 5))
    share = max(1, round(services * 0.25))
    product: list[Threat] = []
    for j in range(1, n_product + 1):
        base = PRODUCT_THREAT_TITLES[(j - 1) % len(PRODUCT_THREAT_TITLES)]
        everyone = j == 1
        scope = svc_ids if everyone else sorted(rng.sample(svc_ids, share))
        product.append(
            Threat(
                id=f"T-P-{j:02d}",
                title=f"{base} (product threat {j})",
                category=rng.choice(CATEGORIES),
                severity=rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
                docname="product",
                applies_to=scope,
                applies_to_all=everyone,
            )
        )
    for t in product:
        model.add(t)
    for t in product:
        # the product-wide control: makes every product threat mitigated overall
        model.add(
            Mitigation(
                id=f"M-{t.id[2:]}",
                title=f"Platform control against {t.title.lower()}",
                mitigates=[t.id],
                status="implemented",
                effect="full",
                docname="product",
                body=f"Platform control body for M-{t.id[2:]}.",
            )
        )
    in_scope: dict[str, list[Threat]] = {s: [] for s in svc_ids}
    for t in product:
        for s in t.applies_to:
            in_scope[s].append(t)

    for i, svc in enumerate(svcs, start=1):
        model.add(svc)
        short = f"S{i:0{ws}d}"
        for k in range(1, threats + 1):
            category = rng.choice(CATEGORIES)
            threat = Threat(
                id=f"T-{short}-{k:0{wt}d}",
                title=THREAT_TITLES[category].format(svc=svc.title),
                category=category,
                severity=rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
                docname=svc.docname,
                service=svc.id,
            )
            model.add(threat)
            draw = rng.random()
            # the first threat of every service is always mitigated: the
            # incremental benchmark edits that mitigation's body
            # (and, with two threats or more, every fifth service accepts its
            # last threat: a tiny model still has every kind of item)
            forced_acceptance = k == threats > 1 and i % 5 == 2
            if (k == 1 or draw < 0.88) and not forced_acceptance:
                status = rng.choices(
                    ("implemented", "verified", "planned", "in-progress"), (75, 15, 6, 4)
                )[0]
                mid = f"M-{short}-{k:0{wt}d}"
                model.add(
                    Mitigation(
                        id=mid,
                        title=MITIGATION_TITLES[category].format(svc=svc.title),
                        mitigates=[threat.id],
                        status=status,
                        effect="partial" if rng.random() < 0.1 else "full",
                        docname=svc.docname,
                        service=svc.id,
                        due=None if status in ("implemented", "verified") else "2027-03-31",
                        body=f"Mitigation body for {mid}.",
                    )
                )
            elif draw < 0.93 or forced_acceptance:
                model.add(
                    Acceptance(
                        id=f"RA-{short}-{k:0{wt}d}",
                        title=f"Accept {threat.title.lower()}",
                        threats=[threat.id],
                        owner=svc.owner,
                        expires="2027-06-30",
                        approved_by="security-board",
                        docname=svc.docname,
                    )
                )
            # else: left unmitigated, an ``unmitigated`` gap
        for t in in_scope[svc.id]:
            draw = rng.random()
            suffix = t.id[2:].replace("-", "")  # T-P-03 -> P03
            if draw < 0.80:
                mid = f"M-{short}-{suffix}"
                model.add(
                    Mitigation(
                        id=mid,
                        title=f"{svc.title} control for {t.id}",
                        mitigates=[t.id],
                        status="implemented" if rng.random() < 0.9 else "planned",
                        effect="full",
                        docname=svc.docname,
                        service=svc.id,
                        body=f"Service control body for {mid}.",
                    )
                )
                if model.mitigations[-1].status == "planned":
                    model.mitigations[-1].due = "2027-03-31"
            elif draw < 0.85:
                model.add(
                    Acceptance(
                        id=f"RA-{short}-{suffix}",
                        title=f"{svc.title} accepts {t.id}",
                        threats=[t.id],
                        owner=svc.owner,
                        expires="2027-06-30",
                        approved_by="security-board",
                        docname=svc.docname,
                        service=svc.id,
                    )
                )
            # else: a ``service-gap``
    return model


def _status_from(mitigations: list[Mitigation]) -> str:
    done = [m for m in mitigations if m.status in ("implemented", "verified")]
    if any(m.effect == "full" for m in done):
        return "mitigated"
    if done:
        return "partial"
    if mitigations:
        return "planned"
    return "unmitigated"


def analyse(model: Model) -> Analysis:
    """Compute statuses, pairs and gaps by the rules of SPEC.md (the subset used)."""
    mitigations_of: dict[str, list[Mitigation]] = {t.id: [] for t in model.threats}
    acceptances_of: dict[str, list[Acceptance]] = {t.id: [] for t in model.threats}
    for m in model.mitigations:
        for tid in m.mitigates:
            mitigations_of[tid].append(m)
    for a in model.acceptances:
        for tid in a.threats:
            acceptances_of[tid].append(a)
    status: dict[str, str] = {}
    for t in model.threats:
        if any(a.service in (None, t.service) for a in acceptances_of[t.id]):
            status[t.id] = "accepted"
        else:
            status[t.id] = _status_from(mitigations_of[t.id])
    pairs: list[Pair] = []
    pairs_of_service: dict[str, list[Pair]] = {s.id: [] for s in model.services}
    pairs_of_threat: dict[str, list[Pair]] = {t.id: [] for t in model.threats}
    for t in model.threats:
        for sid in t.applies_to:
            accepted = [a for a in acceptances_of[t.id] if a.service in (None, sid)]
            covering = [m for m in mitigations_of[t.id] if m.service == sid]
            if accepted:
                pair = Pair(t.id, sid, "accepted", [a.id for a in accepted])
            else:
                pair = Pair(t.id, sid, _status_from(covering), [m.id for m in covering])
            pairs.append(pair)
            pairs_of_service[sid].append(pair)
            pairs_of_threat[t.id].append(pair)
    # coverage is listed service by service
    order = {s.id: n for n, s in enumerate(model.services)}
    pairs.sort(key=lambda p: order[p.service])
    gaps: list[tuple[str, str, str | None, list[str]]] = []
    for t in model.threats:
        kind = {"unmitigated": "unmitigated", "planned": "planned-only", "partial": "partial-only"}
        if status[t.id] in kind:
            gaps.append((kind[status[t.id]], t.id, None, [t.id]))
    for p in pairs:
        kind = {"unmitigated": "service-gap", "planned": "planned-only", "partial": "partial-only"}
        if p.status in kind:
            gaps.append((kind[p.status], p.threat, p.service, [p.threat, p.service]))
    gaps.sort(key=lambda g: GAP_KINDS.index(g[0]))
    return Analysis(
        status, mitigations_of, acceptances_of, pairs, pairs_of_service, pairs_of_threat, gaps
    )


# --------------------------------------------------------------------------- common


def _heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


def _page_title(model: Model, docname: str) -> str:
    if docname == "product":
        return "Product threat model"
    svc = next(s for s in model.services if s.docname == docname)
    return f"{svc.title}"


COMMON_CONF = """\
# Generated by bench/generate.py ({flavour} flavour): do not edit.
project = "Threat model benchmark ({flavour})"
exclude_patterns = ["_build"]
"""


def _write_common(model: Model, root: Path, flavour: str, report_body: str) -> None:
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "index.rst").write_text(
        _heading("Threat model benchmark", "=")
        + "\nA synthetic threat model generated by ``bench/generate.py``.\n\n"
        ".. toctree::\n   :maxdepth: 1\n\n   product\n   services/index\n   reports\n"
    )
    listing = "".join(f"   {s.docname.split('/')[1]}\n" for s in model.services)
    (root / "services" / "index.rst").write_text(
        _heading("Services", "=") + "\n.. toctree::\n   :maxdepth: 1\n\n" + listing
    )
    (root / "reports.rst").write_text(_heading("Reports", "=") + "\n" + report_body)


def _manifest(model: Model, flavour: str, services: int, threats: int, seed: int) -> dict:
    edit_svc = model.services[len(model.services) // 2]
    edit_mid = next(m for m in model.mitigations if m.service == edit_svc.id and m.body)
    # a mitigation whose change of :effect: to partial changes its threat's
    # status (the threats flavour's incremental correctness check)
    effect_mid = next(
        (
            m
            for m in model.mitigations
            if m.docname == edit_svc.docname
            and m.status in ("implemented", "verified")
            and m.effect == "full"
            and m.id.split("-")[-1].isdigit()
        ),
        None,
    )
    kinds = {
        "threat": len(model.threats),
        "mitigation": len(model.mitigations),
        "service": len(model.services),
        "risk-acceptance": len(model.acceptances),
    }
    return {
        "flavour": flavour,
        "services": services,
        "threats_per_service": threats,
        "seed": seed,
        "today": TODAY,
        "item_pages": sorted(model.pages),
        "report_page": "reports",
        "report_sections": ["report-matrix", "report-coverage", "report-gaps", "report-summary"],
        "edit": {
            "file": edit_svc.docname + ".rst",
            "docname": edit_svc.docname,
            "mitigation": edit_mid.id,
            "line": edit_mid.body,
        },
        "effect_edit": effect_mid
        and {
            "file": edit_svc.docname + ".rst",
            "docname": edit_svc.docname,
            "mitigation": effect_mid.id,
        },
        "expected_items": kinds,
        "pairs": len(analyse(model).pairs),
    }


def _csv(ids: list[str]) -> str:
    return ", ".join(ids)


# --------------------------------------------------------------------------- threats


Options = list[tuple[str, str | None]]
AnyItem = Service | Threat | Mitigation | Acceptance


def _write_item_pages(
    model: Model,
    root: Path,
    directive: Callable[[AnyItem, dict[str, AnyItem]], tuple[str, Options]],
) -> None:
    """The item pages of a flavour that declares items with directives.

    ``directive`` gives an item's directive name and its options (``None``
    leaves an option out); the bodies are the same in every flavour.
    """
    by_id = _index(model)
    for docname, ids in model.pages.items():
        out = [_heading(_page_title(model, docname), "="), ""]
        for iid in ids:
            item = by_id[iid]
            name, options = directive(item, by_id)
            out.append(f".. {name}:: {item.title}")
            out += [f"   :{option}: {value}" for option, value in options if value is not None]
            out += ["", f"   {_body(item)}", ""]
        (root / f"{docname}.rst").write_text("\n".join(out))


def _body(item: AnyItem) -> str:
    if isinstance(item, Service):
        return f"{item.title} serves part of the product API."
    if isinstance(item, Threat):
        return f"How {item.title.lower()} could happen."
    if isinstance(item, Mitigation):
        return item.body
    return "The residual risk is low enough until the next review."


def _threats_directive(item: AnyItem, by_id: dict[str, AnyItem]) -> tuple[str, Options]:
    if isinstance(item, Service):
        return "service", [("id", item.id), ("owner", item.owner)]
    if isinstance(item, Threat):
        scope = ("*" if item.applies_to_all else _csv(item.applies_to)) if item.applies_to else None
        return "threat", [
            ("id", item.id),
            ("category", item.category),
            ("severity", item.severity),
            ("applies-to", scope),
        ]
    if isinstance(item, Mitigation):
        return "mitigation", [
            ("id", item.id),
            ("mitigates", _csv(item.mitigates)),
            ("status", item.status),
            ("effect", item.effect if item.effect != "full" else None),
            ("due", item.due or None),
        ]
    return "risk-acceptance", [
        ("id", item.id),
        ("threats", _csv(item.threats)),
        ("service", item.service or None),
        ("owner", item.owner),
        ("expires", item.expires),
        ("approved-by", item.approved_by),
    ]


def _needs_directive(item: AnyItem, by_id: dict[str, AnyItem]) -> tuple[str, Options]:
    if isinstance(item, Service):
        return "tm-service", [("id", item.id), ("owner", item.owner)]
    if isinstance(item, Threat):
        return "tm-threat", [
            ("id", item.id),
            ("category", item.category),
            ("severity", item.severity),
            ("threat_of", item.service or None),
            ("applies_to", _csv(item.applies_to) if item.applies_to else None),
        ]
    if isinstance(item, Mitigation):
        link = None
        if item.service:
            threat = by_id[item.mitigates[0]]
            pair = isinstance(threat, Threat) and item.service in threat.applies_to
            link = "covers" if pair else "control_of"
        return "tm-mitigation", [
            ("id", item.id),
            ("mitigates", _csv(item.mitigates)),
            ("status", item.status),
            ("effect", item.effect),
            ("due", item.due or None),
            *([(link, item.service)] if link else []),
        ]
    return "tm-risk-acceptance", [
        ("id", item.id),
        ("accepts", _csv(item.threats)),
        ("accepted_for", item.service or None),
        ("owner", item.owner),
        ("expires", item.expires),
        ("approved_by", item.approved_by),
    ]


def write_threats(model: Model, root: Path, flavour: str = "threats") -> None:
    """The model with the sphinx_threats directives (``bridge``: with
    sphinx-needs loaded too, so every item is also a need)."""
    extensions = (
        '["sphinx_needs", "sphinx_threats"]' if flavour == "bridge" else '["sphinx_threats"]'
    )
    (root / "conf.py").write_text(
        COMMON_CONF.format(flavour=flavour) + f"extensions = {extensions}\n"
        f'threats_today = "{TODAY}"\n'
        "# the model has gaps on purpose: report them, do not fail the build\n"
        "threats_fail_on = []\n"
        + ('needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*"\n' if flavour == "bridge" else "")
    )
    _write_item_pages(model, root, _threats_directive)
    report = "".join(
        _heading(f"Report: {name}", "-") + f"\n.. threat-{name}::\n{options}\n"
        for name, options in (
            # the owner column too, as the plain and needs flavours show it
            ("matrix", "   :columns: threat, status, services, mitigations, decisions, owner\n"),
            ("coverage", ""),
            ("gaps", ""),
            ("summary", ""),
        )
    )
    _write_common(model, root, flavour, report)


def write_bridge(model: Model, root: Path) -> None:
    """The threats flavour with the sphinx-needs bridge on."""
    write_threats(model, root, "bridge")


# --------------------------------------------------------------------------- plain


def _ref(iid: str, text: str | None = None) -> str:
    return f":ref:`{text or iid} <{iid.lower()}>`"


def _pair(pair: Pair) -> str:
    """A pair's status and what decides it, as the extension shows it."""
    if not pair.by:
        return pair.status
    return f"{pair.status} by {', '.join(_ref(i) for i in pair.by)}"


def _index(model: Model) -> dict[str, Service | Threat | Mitigation | Acceptance]:
    by_id: dict[str, Service | Threat | Mitigation | Acceptance] = {}
    for coll in (model.services, model.threats, model.mitigations, model.acceptances):
        for item in coll:
            by_id[item.id] = item
    return by_id


def _admonition(
    kind: str, iid: str, title: str, fields: list[tuple[str, str]], body: str
) -> list[str]:
    label = {
        "threat": "Threat",
        "mitigation": "Mitigation",
        "service": "Service",
        "risk-acceptance": "Risk acceptance",
    }[kind]
    out = [
        f".. _{iid.lower()}:",
        "",
        f".. admonition:: {label} {iid}: {title}",
        f"   :class: threats-item threats-{kind}",
        "",
    ]
    out += [f"   :{name}: {value}" for name, value in fields]
    out += ["", f"   {body}", ""]
    return out


def write_plain(model: Model, root: Path) -> None:
    """The rendered content of the threats flavour, written by hand."""
    (root / "conf.py").write_text(COMMON_CONF.format(flavour="plain") + "extensions = []\n")
    an = analyse(model)
    by_id = _index(model)
    own_threats: dict[str, list[Threat]] = {s.id: [] for s in model.services}
    for t in model.threats:
        if t.service:
            own_threats[t.service].append(t)

    def mit_list(tid: str) -> str:
        ms = an.mitigations_of[tid]
        return ", ".join(f"{_ref(m.id)} ({m.status}, {m.effect})" for m in ms) or "none"

    for docname, ids in model.pages.items():
        out = [_heading(_page_title(model, docname), "="), ""]
        for iid in ids:
            item = by_id[iid]
            if isinstance(item, Service):
                fields = [("ID", item.id), ("Owner", item.owner)]
                own = own_threats[item.id]
                fields.append(
                    (
                        "Threats",
                        ", ".join(f"{_ref(t.id)} ({an.status[t.id]})" for t in own) or "none",
                    )
                )
                scope = an.pairs_of_service[item.id]
                fields.append(
                    (
                        "Product threats in scope",
                        ", ".join(f"{_ref(p.threat)} ({_pair(p)})" for p in scope) or "none",
                    )
                )
                out += _admonition(
                    "service",
                    item.id,
                    item.title,
                    fields,
                    f"{item.title} serves part of the product API.",
                )
            elif isinstance(item, Threat):
                fields = [
                    ("ID", item.id),
                    ("Category", item.category),
                    ("Severity", item.severity),
                    ("Service", _ref(item.service) if item.service else "product level"),
                    ("Mitigations", mit_list(item.id)),
                    (
                        "Acceptances",
                        ", ".join(_ref(a.id) for a in an.acceptances_of[item.id]) or "none",
                    ),
                    ("Status", an.status[item.id]),
                ]
                if item.applies_to:
                    fields.append(
                        (
                            "Services in scope",
                            ", ".join(
                                f"{_ref(p.service)} ({_pair(p)})"
                                for p in an.pairs_of_threat[item.id]
                            ),
                        )
                    )
                out += _admonition(
                    "threat", item.id, item.title, fields, f"How {item.title.lower()} could happen."
                )
            elif isinstance(item, Mitigation):
                fields = [
                    ("ID", item.id),
                    ("Mitigates", ", ".join(_ref(t) for t in item.mitigates)),
                    ("Status", item.status),
                    ("Effect", item.effect),
                ]
                if item.due:
                    fields.append(("Due", item.due))
                fields.append(("Service", _ref(item.service) if item.service else "product level"))
                out += _admonition("mitigation", item.id, item.title, fields, item.body)
            else:
                fields = [("ID", item.id), ("Threats", ", ".join(_ref(t) for t in item.threats))]
                if item.service:
                    fields.append(("Service", _ref(item.service)))
                fields += [
                    ("Owner", item.owner),
                    ("Expires", item.expires),
                    ("Approved by", item.approved_by),
                ]
                out += _admonition(
                    "risk-acceptance",
                    item.id,
                    item.title,
                    fields,
                    "The residual risk is low enough until the next review.",
                )
        (root / f"{docname}.rst").write_text("\n".join(out))
    _write_common(model, root, "plain", _plain_reports(model, an))


def _list_table(header: list[str], rows: list[list[str]]) -> str:
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        out.append(f"   * - {row[0]}")
        out += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(out) + "\n\n"


def _plain_reports(model: Model, an: Analysis) -> str:
    # matrix: one row per threat
    rows = []
    for t in model.threats:
        pairs = an.pairs_of_threat[t.id]
        if pairs:
            covered = sum(p.status in COVERED for p in pairs)
            worst = max(pairs, key=lambda p: STATUS_ORDER.index(p.status)).status
            cov = f"{covered} of {len(pairs)} services covered (worst: {worst})"
        else:
            cov = "no service in scope"
        rows.append(
            [
                _ref(t.id),
                t.title,
                t.category,
                t.severity,
                _ref(t.service) if t.service else "product",
                ", ".join(f"{_ref(m.id)} ({m.status})" for m in an.mitigations_of[t.id]) or "--",
                ", ".join(_ref(a.id) for a in an.acceptances_of[t.id]) or "--",
                an.status[t.id],
                cov,
            ]
        )
    text = _heading("Report: matrix", "-") + "\n"
    text += _list_table(
        [
            "ID",
            "Title",
            "Category",
            "Severity",
            "Service",
            "Mitigations",
            "Acceptances",
            "Status",
            "Coverage",
        ],
        rows,
    )
    # coverage: one row per (service, threat in scope)
    rows = [
        [
            _ref(p.service),
            _ref(p.threat),
            "GAP" if p.status == "unmitigated" else p.status,
            ", ".join(_ref(i) for i in p.by) or "--",
        ]
        for p in an.pairs
    ]
    text += _heading("Report: coverage", "-") + "\n"
    text += (
        _list_table(["Service", "Threat", "Status", "Covered by"], rows) if rows else "None.\n\n"
    )
    # gaps, grouped by kind
    text += _heading("Report: gaps", "-") + "\n"
    if not an.gaps:
        text += "No gaps.\n\n"
    for kind in GAP_KINDS:
        gaps = [g for g in an.gaps if g[0] == kind]
        if not gaps:
            continue
        text += f".. rubric:: {kind} ({len(gaps)})\n\n"
        # one link per gap, to where it must be fixed: the threat, or for a
        # (threat, service) pair the service (SPEC: where the gap is located)
        for _, tid, sid, _ids in gaps:
            if sid:
                text += f"* {_ref(sid)}: {kind} for {tid}\n"
            else:
                text += f"* {_ref(tid)}: {kind}\n"
        text += "\n"
    # summary: counts, coverage per service
    text += _heading("Report: summary", "-") + "\n"
    statuses = [an.status[t.id] for t in model.threats]
    text += _list_table(
        ["Status", "Threats"],
        [[s, str(statuses.count(s))] for s in STATUS_ORDER if statuses.count(s)],
    )
    sevs = [t.severity for t in model.threats]
    text += _list_table(
        ["Severity", "Threats"], [[s, str(sevs.count(s))] for s in SEVERITIES if sevs.count(s)]
    )
    by_id = {t.id: t for t in model.threats}
    rows = []
    for s in model.services:
        pairs = [p for p in an.pairs_of_service[s.id] if p.status != "not-applicable"]
        if not pairs:
            rows.append([_ref(s.id), "0", "--", "--"])
            continue
        covered = [p for p in pairs if p.status in COVERED]
        weight = sum(SEVERITY_SCORE[by_id[p.threat].severity] for p in pairs)
        wcov = sum(SEVERITY_SCORE[by_id[p.threat].severity] for p in covered)
        rows.append(
            [
                _ref(s.id),
                str(len(pairs)),
                f"{100 * len(covered) / len(pairs):.0f} %",
                f"{100 * wcov / weight:.0f} %",
            ]
        )
    text += _list_table(["Service", "Threats in scope", "Coverage", "Weighted"], rows)
    return text


# --------------------------------------------------------------------------- needs

NEEDS_CONF = """\
extensions = ["sphinx_needs"]
needs_types = [
    {"directive": "tm-threat", "title": "Threat", "prefix": "T-"},
    {"directive": "tm-mitigation", "title": "Mitigation", "prefix": "M-"},
    {"directive": "tm-service", "title": "Service", "prefix": "SVC-"},
    {"directive": "tm-risk-acceptance", "title": "Risk acceptance", "prefix": "RA-"},
]
# one link type per relation, so that each item shows the same back-links as
# in the other flavours: a service lists its threats and, per product threat in
# scope, the control or acceptance covering it, but not the controls of its own
# threats (control_of, whose back-links are hidden)
needs_links = {
    "mitigates": {"outgoing": "mitigates", "incoming": "mitigated by"},
    "accepts": {"outgoing": "accepts", "incoming": "accepted by"},
    "threat_of": {"outgoing": "service", "incoming": "threats"},
    "applies_to": {"outgoing": "services in scope", "incoming": "product threats in scope"},
    "control_of": {"outgoing": "service", "incoming": "controls"},
    "covers": {"outgoing": "service", "incoming": "product threats covered by"},
    "accepted_for": {"outgoing": "service", "incoming": "acceptances"},
}
needs_fields = {
    name: {"nullable": True}
    for name in ("category", "severity", "effect", "due", "owner", "expires", "approved_by")
}
needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*$"
needs_layouts = {
    "tm": {
        "grid": "simple",
        "layout": {
            "head": ['<<meta("type_name")>>: **<<meta("title")>>** <<meta_id()>>'],
            "meta": [
                "<<meta_all(no_links=True)>>",
                '<<meta_links_all(exclude=["control_of_back"])>>',
            ],
        },
    }
}
needs_default_layout = "tm"
needs_warnings = {
    "unmitigated-threat": (
        "type == 'tm-threat' and len(mitigates_back) == 0 and len(accepts_back) == 0"
    ),
}
"""


def write_needs(model: Model, root: Path) -> None:
    """The model as sphinx-needs needs."""
    (root / "conf.py").write_text(COMMON_CONF.format(flavour="needs") + NEEDS_CONF)
    _write_item_pages(model, root, _needs_directive)
    report = (
        _heading("Report: matrix", "-") + "\n.. needtable::\n   :types: tm-threat\n"
        "   :columns: id;title;category;severity;threat_of;mitigates_back;accepts_back\n"
        "   :style: table\n\n"
        + _heading("Report: coverage", "-")
        + "\n.. needtable::\n   :types: tm-service\n"
        "   :columns: id;title;owner;applies_to_back\n"
        "   :style: table\n\n" + _heading("Report: gaps", "-") + "\n.. needtable::\n"
        "   :filter: type == 'tm-threat' and len(mitigates_back) == 0 and len(accepts_back) == 0\n"
        "   :columns: id;title;severity;threat_of\n"
        "   :style: table\n\n"
        + _heading("Report: summary", "-")
        + "\nsphinx-needs computes no coverage summary; the tables above are what it shows.\n"
    )
    _write_common(model, root, "needs", report)


# --------------------------------------------------------------------------- CLI


def write_elements(model: Model, root: Path) -> None:
    """The threats flavour with a data-flow diagram and the completeness check
    on: per service one data store and three flows (the users to the service,
    crossing the platform's trust boundary; the service to its store; the
    service to the next one), one external entity and one boundary around
    every service and store, and the product page's ``threat-dfd`` of the
    first service. Not equivalent to the other flavours: timed against the
    threats flavour (``bench/run.py --elements``)."""
    write_threats(model, root, "elements")
    conf = root / "conf.py"
    conf.write_text(conf.read_text() + 'threats_element_categories = "stride-per-element"\n')
    services = model.services
    contained = []
    for n, service in enumerate(services):
        following = services[(n + 1) % len(services)]
        store = f"{service.id}-store"
        contained += [service.id, store]
        flows = (
            ("in", "Requests", "users", service.id),
            ("store", "Records", service.id, store),
            ("next", "Calls", service.id, following.id),
        )
        text = [
            "",
            f".. data-store:: {service.title} records",
            f"   :id: {store}",
            f"   :service: {service.id}",
            "   :data: the service's records",
            "",
        ]
        for suffix, title, source, target in flows:
            text += [
                f".. data-flow:: {title} of {service.title}",
                f"   :id: F-{service.id}-{suffix}",
                f"   :from: {source}",
                f"   :to: {target}",
                "   :protocol: HTTPS",
                "",
            ]
        with (root / f"{service.docname}.rst").open("a") as fh:
            fh.write("\n".join(text))
    with (root / "product.rst").open("a") as fh:
        fh.write(
            "\n.. external-entity:: Users\n   :id: users\n\n"
            ".. trust-boundary:: Platform\n   :id: platform\n"
            f"   :contains: {', '.join(contained)}\n"
            # one service's diagram: our side of the DFD at one ``dot`` run (the
            # whole model's 150 nodes and 249 flows would time Graphviz's layout)
            f"\n.. threat-dfd::\n   :of: {services[0].id}\n"
        )


WRITERS = {
    "threats": write_threats,
    "elements": write_elements,
    "plain": write_plain,
    "needs": write_needs,
    "bridge": write_bridge,
}


def generate(services: int, threats: int, flavours: list[str], out: Path, seed: int = 1) -> Model:
    """Write each flavour to ``out/<flavour>`` (replacing what was there)."""
    model = build_model(services, threats, seed)
    for flavour in flavours:
        root = out / flavour
        if root.exists():
            shutil.rmtree(root)
        (root / "services").mkdir(parents=True)
        WRITERS[flavour](model, root)
        manifest = _manifest(model, flavour, services, threats, seed)
        (root / "bench.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", "-S", type=int, default=100, help="number of services")
    parser.add_argument("--threats", "-T", type=int, default=20, help="threats per service")
    parser.add_argument(
        "--flavour",
        choices=[*FLAVOURS, "elements", "all"],
        default="all",
        help="which project(s) to write (all: every equivalent one, not elements)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.services < 1 or args.threats < 1:
        parser.error("--services and --threats must be at least 1")
    flavours = list(FLAVOURS) if args.flavour == "all" else [args.flavour]
    model = generate(args.services, args.threats, flavours, args.out, args.seed)
    an = analyse(model)
    print(
        f"{len(model.services)} services, {len(model.threats)} threats, "
        f"{len(model.mitigations)} mitigations, {len(model.acceptances)} acceptances, "
        f"{len(an.pairs)} (service, product threat) pairs, {len(an.gaps)} gaps "
        f"-> {', '.join(str(args.out / f) for f in flavours)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
