"""Imports keep every item: nothing lost, nothing invented, round trips return
what came in.

Every sample model in ``tests/data`` is imported with the real command and
built with a real ``sphinx-build`` (subprocesses); its items and links are
counted here by reading the source file itself and compared with the build's
``threats.json``.  Each Threat Composer sample is exported back and compared
with the source by statement, fields and links (by ``numericId``, not UUID).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from .test_export_tc import export, validate
from .test_import import DATA, DUE, EXPIRES, OTM_YAML, Built, import_and_build, sphinx_threats

#: Real imports, builds and exports, each a subprocess.
pytestmark = pytest.mark.slow

TC_SAMPLES = {
    "genai": DATA / "threat-composer" / "GenAIChatbot.tc.json",
    # the workshop model: unlinked mitigations, no priorities, an empty
    # action, asset names with commas
    "workshop": DATA / "threat-composer" / "ThreatModelingForBuilders-Exercise4.tc.json",
}
TD_SAMPLES = {
    "demo": DATA / "threat-dragon" / "v2-threat-model.json",
    "v1": DATA / "threat-dragon" / "v1-model.json",
    "labels": DATA / "threat-dragon" / "labels-as-strings.json",
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _build(factory: pytest.TempPathFactory, fmt: str, source: Path, form: str = "rst") -> Built:
    return import_and_build(factory.mktemp(f"{fmt}-{source.stem}"), fmt, source, form)


def _subtypes(built: Built) -> Counter[str]:
    found = (re.search(r"\[threats\.([\w-]+)\]$", line) for line in built.warnings())
    return Counter(m.group(1) for m in found if m)


def _spaced(value: Any) -> Any:
    if isinstance(value, list):
        return [_spaced(v) for v in value]
    return " ".join(value.split()) if isinstance(value, str) else value


# --- Threat Composer ------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(TC_SAMPLES))
def tc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    source = TC_SAMPLES[request.param]
    built = _build(tmp_path_factory, "threat-composer", source)
    workspace = export(
        built.project.parent / "html" / "threats.json", built.project / "out.tc.json"
    )
    return _load(source), built, workspace


def _tc_ids(data: dict[str, Any]) -> dict[str, str]:
    """Source UUID → our ID (the documented TC-T-/TC-M-/TC-AS-<numericId>)."""
    prefixes = {"threats": "TC-T", "mitigations": "TC-M", "assumptions": "TC-AS"}
    return {e["id"]: f"{p}-{e['numericId']}" for k, p in prefixes.items() for e in data[k]}


def test_tc_nothing_lost(tc: Any) -> None:
    source, built, _ = tc
    ours = _tc_ids(source)
    assert sorted(built.items("threats")) == sorted(ours[t["id"]] for t in source["threats"])
    # every mitigation, linked or not (none of the samples is will-not-action)
    assert sorted(built.items("mitigations")) == sorted(
        ours[m["id"]] for m in source["mitigations"]
    )
    assert sorted(built.items("assumptions")) == sorted(
        ours[a["id"]] for a in source["assumptions"]
    )
    threats = {t["id"] for t in source["threats"]}
    expected = {
        (ours[link["mitigationId"]], ours[link["linkedId"]])
        for link in source["mitigationLinks"]
        if link["linkedId"] in threats
    }
    got = {(m, t) for m, e in built.items("mitigations").items() for t in e["mitigates"]}
    assert got == expected
    expected_assumed = {
        (ours[link["assumptionId"]], ours[link["linkedId"]]) for link in source["assumptionLinks"]
    }
    got_assumed = {
        (a, ref)
        for a, e in built.items("assumptions").items()
        for ref in [*e["threats"], *e["mitigations"]]
    }
    assert got_assumed == expected_assumed


def test_tc_unlinked_mitigations_are_unlinked_controls(tc: Any) -> None:
    source, built, workspace = tc
    ours = _tc_ids(source)
    linked = {link["mitigationId"] for link in source["mitigationLinks"]}
    unlinked = [m for m in source["mitigations"] if m["id"] not in linked]
    mitigations = built.items("mitigations")
    for entry in unlinked:
        item = mitigations[ours[entry["id"]]]
        assert item["mitigates"] == [] and item["title"] == _spaced(entry["content"])
    assert _subtypes(built)["orphan-mitigation"] == len(unlinked)
    assert len(workspace["mitigations"]) == len(source["mitigations"])
    # their comments (with their reference links) are on the page
    html_dir = built.project.parent / "html"
    html = "".join(p.read_text(encoding="utf-8") for p in html_dir.rglob("*.html"))
    for entry in unlinked:
        for meta in entry.get("metadata", []):
            if meta["key"] == "Comments":
                for url in re.findall(r"https?://[^\s)\]]+", meta["value"]):
                    assert url in html


def test_tc_nothing_invented(tc: Any) -> None:
    source, built, _ = tc
    ours = _tc_ids(source)
    threats = built.items("threats")
    unrated = 0
    for entry in source["threats"]:
        priority = [m["value"] for m in entry.get("metadata", []) if m["key"] == "Priority"]
        threat = threats[ours[entry["id"]]]
        if priority:
            assert threat["severity"] == priority[0].lower()
        else:
            unrated += 1
            assert threat["severity"] is None and "imported" not in threat["tags"]
    assert _subtypes(built)["unrated"] == unrated


def _by_number(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(e["numericId"]): e for e in entries}


_LISTS = ("impactedGoal", "impactedAssets", "tags")
THREAT_FIELDS = (
    "statement",
    "threatSource",
    "prerequisites",
    "threatAction",
    "threatImpact",
    *_LISTS,
    "status",
)


def _field(entry: dict[str, Any], key: str) -> Any:
    value = _spaced(entry.get(key, [] if key in _LISTS else ""))
    # the import marks what it filled in (a --due date) with "imported"
    return [t for t in value if t != "imported"] if key == "tags" else value


def _rated(entry: dict[str, Any]) -> dict[str, Any]:
    """The metadata Threat Composer reads (not custom:, not Comments)."""
    meta = {m["key"]: m["value"] for m in entry.get("metadata", [])}
    out = {k: v for k, v in meta.items() if k in ("Priority", "STRIDE")}
    if "STRIDE" in out:
        out["STRIDE"] = sorted(set(out["STRIDE"]))
    return out


def test_tc_round_trip_same_statements_fields_and_links(tc: Any) -> None:
    source, _, workspace = tc
    validate(workspace)
    assert _numbered_links(workspace) == _numbered_links(source)
    for kind, fields in (
        ("threats", THREAT_FIELDS),
        ("mitigations", ("content", "status", "tags")),
        ("assumptions", ("content", "tags")),
    ):
        ours, theirs = _by_number(workspace[kind]), _by_number(source[kind])
        assert sorted(ours) == sorted(theirs)
        for number, entry in theirs.items():
            for key in fields:
                assert _field(ours[number], key) == _field(entry, key), (kind, number, key)
            assert _rated(ours[number]) == _rated(entry), (kind, number)


def _numbered_links(workspace: dict[str, Any]) -> tuple[set[Any], set[Any]]:
    number = {
        e["id"]: (kind, int(e["numericId"]))
        for kind in ("threats", "mitigations", "assumptions")
        for e in workspace[kind]
    }
    return (
        {(number[x["mitigationId"]], number[x["linkedId"]]) for x in workspace["mitigationLinks"]},
        {(number[x["assumptionId"]], number[x["linkedId"]]) for x in workspace["assumptionLinks"]},
    )


WORKSHOP = _load(TC_SAMPLES["workshop"])


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, dict[str, Any]]:
    built = _build(tmp_path_factory, "threat-composer", TC_SAMPLES["workshop"], "myst")
    workspace = export(built.project.parent / "html" / "threats.json", built.project / "o.tc.json")
    return built, workspace


def test_empty_action_is_neither_cut_nor_an_impact(workshop: tuple[Built, Any]) -> None:
    built, workspace = workshop
    (source,) = [t for t in WORKSHOP["threats"] if not t["threatAction"]]
    threat = built.items("threats")[f"TC-T-{source['numericId']}"]
    assert "…" not in threat["title"] and source["threatImpact"] in threat["title"]
    exported = _by_number(workspace["threats"])[source["numericId"]]
    assert exported["threatAction"] == ""
    assert exported["threatImpact"] == source["threatImpact"]
    assert exported["statement"] == source["statement"]


def test_commas_in_asset_names_are_kept(workshop: tuple[Built, Any]) -> None:
    built, workspace = workshop
    with_commas = [t for t in WORKSHOP["threats"] if any("," in a for a in t["impactedAssets"])]
    assert with_commas
    threats, exported = built.items("threats"), _by_number(workspace["threats"])
    for source in with_commas:
        tags = threats[f"TC-T-{source['numericId']}"]["tags"]
        for asset in source["impactedAssets"]:
            assert f"asset: {asset}" in tags
        assert exported[source["numericId"]]["impactedAssets"] == source["impactedAssets"]


# --- Threat Dragon --------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(TD_SAMPLES))
def td(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    source = TD_SAMPLES[request.param]
    return _load(source), _build(tmp_path_factory, "threat-dragon", source)


def _td_cells(data: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for diagram in data["detail"]["diagrams"]:
        holder = diagram.get("diagramJson", diagram)
        cells += [c.get("data", c) | {"_cell": c} for c in holder["cells"]]
    return cells


def _td_name(cell: dict[str, Any]) -> str:
    """A cell's name as Threat Dragon shows it: its name, else its label."""
    if cell.get("name"):
        return " ".join(cell["name"].split())
    raw = cell["_cell"]
    text = raw.get("attrs", {}).get("text", {}).get("text", "")
    for label in raw.get("labels", []):
        if text:
            break
        if isinstance(label, str):
            text = label
        else:
            attrs = label.get("attrs", {})
            text = attrs.get("label", {}).get("text", "") or attrs.get("text", {}).get("text", "")
    return " ".join(text.split())


def test_td_nothing_lost(td: Any) -> None:
    source, built = td
    cells = _td_cells(source)
    threats = [t for c in cells for t in c.get("threats", [])]
    assert len(built.items("threats")) == len(threats)
    assert sorted(t["title"] for t in built.items("threats").values()) == sorted(
        " ".join(t["title"].split()) for t in threats
    )
    # a mitigation per threat that has its text and is Open or Mitigated, linked to it
    expected = [
        t
        for t in threats
        if t.get("mitigation", "").strip() and t["status"] in ("Open", "Mitigated")
    ]
    mitigations = built.items("mitigations")
    assert len(mitigations) == len(expected)
    assert sum(len(m["mitigates"]) for m in mitigations.values()) == len(expected)
    # every process, store and actor is an item, by the name Threat Dragon shows
    titles = {e["title"] for kind in built.data["items"].values() for e in kind}
    elements = [c for c in cells if c.get("type") in ("tm.Process", "tm.Store", "tm.Actor")]
    assert {_td_name(c) for c in elements} <= titles


def test_td_nothing_invented(td: Any) -> None:
    source, built = td
    rated = {"low", "medium", "high", "critical"}
    threats = {t["title"]: t for t in built.items("threats").values()}
    for cell in _td_cells(source):
        for entry in cell.get("threats", []):
            ours = threats[" ".join(entry["title"].split())]
            severity = entry.get("severity", "").strip().lower()
            assert ours["severity"] == (severity if severity in rated else None)
            assert "imported" not in ours["tags"]


def test_td_labels_as_strings(tmp_path: Path) -> None:
    """Threat Dragon's own test models give labels as strings; the names come from them."""
    cells = _td_cells(_load(TD_SAMPLES["labels"]))
    assert any(isinstance(label, str) for c in cells for label in c["_cell"].get("labels", []))
    built = import_and_build(tmp_path, "threat-dragon", TD_SAMPLES["labels"], "myst")
    titles = {e["title"] for kind in built.data["items"].values() for e in kind}
    # a label as a string, as an object, and a name beside a label
    assert {"Web app", "Orders DB", "Customer"} <= titles
    assert "not imported" not in built.import_run.stderr


def test_td_unreadable_parts_are_named_and_the_rest_imported(tmp_path: Path) -> None:
    data = _load(TD_SAMPLES["demo"])
    cells = data["detail"]["diagrams"][0]["cells"]
    first = next(i for i, c in enumerate(cells) if c["data"].get("threats"))
    cells[first]["data"]["threats"][0]["title"] = ["not", "text"]
    cells.append("not a cell")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    built = import_and_build(tmp_path, "threat-dragon", path, "rst")
    notes = [line for line in built.import_run.stderr.splitlines() if "not imported" in line]
    assert len(notes) == 2
    places = (
        f"$.detail.diagrams[0].cells[{first}].data.threats[0].title:",
        f"$.detail.diagrams[0].cells[{len(cells) - 1}]:",
    )
    for where in places:
        assert sum(where in note for note in notes) == 1, where
    total = sum(len(c["data"].get("threats", [])) for c in cells[:-1])
    assert len(built.items("threats")) == total - 1


# --- Open Threat Model -----------------------------------------------------------

OTM = yaml.safe_load(OTM_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def otm(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build(tmp_path_factory, "otm", OTM_YAML)


def _otm_links() -> tuple[set[tuple[str, str]], int]:
    """(threat, mitigation) links that are controls, and links to no mitigation."""
    mitigations = {m["id"] for m in OTM["mitigations"]}
    links, dangling = set(), 0
    holders = [*OTM.get("components", []), *OTM.get("dataflows", [])]
    for holder in holders:
        for instance in holder.get("threats", []):
            for link in instance.get("mitigations", []):
                if link["mitigation"] not in mitigations:
                    dangling += 1
                elif link.get("state", "").lower() not in ("rejected", "not-applicable"):
                    links.add((instance["threat"], link["mitigation"]))
    return links, dangling


def test_otm_nothing_lost(otm: Built) -> None:
    assert sorted(otm.items("threats")) == sorted(f"OTM-T-{t['id']}" for t in OTM["threats"])
    assert sorted(otm.items("mitigations")) == sorted(
        f"OTM-M-{m['id']}" for m in OTM["mitigations"]
    )
    links, dangling = _otm_links()
    got = {
        (t.removeprefix("OTM-T-"), m.removeprefix("OTM-M-"))
        for m, e in otm.items("mitigations").items()
        for t in e["mitigates"]
    }
    assert got == links
    # dangling links are reported, not fatal
    assert otm.import_run.stderr.count("which is not in the file") == dangling > 0
    names = {e["title"] for kind in otm.data["items"].values() for e in kind}
    assert {" ".join(c["name"].split()) for c in OTM["components"]} <= names


def test_otm_unlinked_mitigation_is_an_unlinked_control(otm: Built) -> None:
    named = {link for _, link in _otm_links()[0]}
    unlinked = [m for m in OTM["mitigations"] if m["id"] not in named]
    assert unlinked
    for entry in unlinked:
        item = otm.items("mitigations")[f"OTM-M-{entry['id']}"]
        assert item["mitigates"] == [] and item["title"] == entry["name"]
        # OTM has no state outside a link: its default, planned, with --due
        assert (item["status"], item["due"]) == ("planned", DUE)
    assert _subtypes(otm)["orphan-mitigation"] == len(unlinked)


def test_otm_nothing_invented(otm: Built) -> None:
    for entry in OTM["threats"]:
        threat = otm.items("threats")[f"OTM-T-{entry['id']}"]
        risk = entry.get("risk", {})
        if "likelihood" in risk and "impact" in risk:
            assert threat["severity"] is not None
        else:
            assert threat["severity"] is None and "imported" not in threat["tags"]
    for acceptance in otm.items("risk-acceptances").values():
        assert acceptance["expires"] == EXPIRES  # --expires: a documented setting


# --- one unreadable part costs only itself ---------------------------------------


def test_tc_unreadable_parts_are_named_and_the_rest_imported(tmp_path: Path) -> None:
    data = _load(TC_SAMPLES["genai"])
    data["threats"][3]["statement"] = 5
    del data["mitigations"][2]["content"]
    data["mitigationLinks"].append("not a link")
    path = tmp_path / "broken.tc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    run = sphinx_threats("import", "threat-composer", str(path), "-o", str(tmp_path / "out"),
                         "--due", DUE)  # fmt: skip
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if "not imported" in line]
    assert len(notes) == 3
    for where in (
        "$.threats[3].statement:",
        "$.mitigations[2].content:",
        "$.mitigationLinks[122]:",
    ):
        assert sum(where in note for note in notes) == 1, where
    assert "Traceback" not in run.stderr
    kept = f"({len(data['threats']) - 1} threat, {len(data['mitigations']) - 1} mitigation"
    assert kept in run.stdout
