"""``sphinx-threats export threat-composer``: out again, valid and complete.

The round trip: import Threat Composer's GenAI chatbot sample, build it with
``sphinx-build``, export the build's ``threats.json``; the result validates
against Threat Composer's v1 schema and holds the same threats, mitigations,
assumptions, links and statuses as the sample.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from .test_import import (
    DUE,
    EXPIRES,
    HAS_ASSUMPTIONS,
    NEEDS_MAIN,
    OTM_YAML,
    TC_FILE,
    TD_FILE,
    import_and_build,
    sphinx_threats,
)

SCHEMA = json.loads((TC_FILE.parent / "threat-composer-v1.schema.json").read_text(encoding="utf-8"))
SOURCE = json.loads(TC_FILE.read_text(encoding="utf-8"))


#: Real imports, builds and exports, each a subprocess:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


def validate(workspace: dict[str, Any]) -> None:
    """Fail with every schema error listed (not just the first)."""
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(workspace))
    assert [f"{e.json_path}: {e.message[:120]}" for e in errors] == []


def export(threats_json: Path, out: Path) -> dict[str, Any]:
    """Run the real export command."""
    run = sphinx_threats("export", "threat-composer", str(threats_json), "-o", str(out))
    assert run.returncode == 0, run.stderr
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not HAS_ASSUMPTIONS:
        pytest.skip(NEEDS_MAIN)
    root = tmp_path_factory.mktemp("round-trip")
    import_and_build(root, "threat-composer", TC_FILE, "rst")
    return export(root / "html" / "threats.json", root / "model.tc.json")


def _spaced(value: Any) -> Any:
    """Text with runs of white space as one space (the import normalises them)."""
    if isinstance(value, list):
        return [_spaced(v) for v in value]
    return " ".join(value.split()) if isinstance(value, str) else value


def _by_number(entries: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(e["numericId"]): e for e in entries}


def test_round_trip_validates(round_trip: dict[str, Any]) -> None:
    validate(round_trip)


def test_round_trip_same_threats(round_trip: dict[str, Any]) -> None:
    ours, theirs = _by_number(round_trip["threats"]), _by_number(SOURCE["threats"])
    assert sorted(ours) == sorted(theirs)
    for number, source in theirs.items():
        threat = ours[number]
        for key in ("threatSource", "threatImpact", "impactedGoal", "impactedAssets", "status"):
            assert _spaced(threat[key]) == _spaced(source[key]), (number, key)
        # the import capitalised the action for the title
        assert threat["threatAction"].lower() == source["threatAction"].lower()
        meta = {m["key"]: m["value"] for m in threat["metadata"]}
        source_meta = {m["key"]: m["value"] for m in source["metadata"]}
        assert meta["Priority"] == source_meta["Priority"]
        assert sorted(meta["STRIDE"]) == sorted(set(source_meta["STRIDE"]))
        assert set(source["tags"]) <= set(threat["tags"])


def test_round_trip_same_mitigations_and_statuses(round_trip: dict[str, Any]) -> None:
    ours, theirs = _by_number(round_trip["mitigations"]), _by_number(SOURCE["mitigations"])
    assert sorted(ours) == sorted(theirs)
    for number, source in theirs.items():
        assert ours[number]["content"] == " ".join(source["content"].split())
        assert ours[number]["status"] == source["status"]


def test_round_trip_same_assumptions(round_trip: dict[str, Any]) -> None:
    ours, theirs = _by_number(round_trip["assumptions"]), _by_number(SOURCE["assumptions"])
    assert sorted(ours) == sorted(theirs)
    for number, source in theirs.items():
        assert ours[number]["content"] == " ".join(source["content"].split())


def _numbered_links(workspace: dict[str, Any]) -> tuple[set[Any], set[Any]]:
    number = {
        e["id"]: (kind, int(e["numericId"]))
        for kind in ("threats", "mitigations", "assumptions")
        for e in workspace.get(kind, [])
    }
    mitigation_links = {
        (number[link["mitigationId"]], number[link["linkedId"]])
        for link in workspace["mitigationLinks"]
    }
    assumption_links = {
        (number[link["assumptionId"]], number[link["linkedId"]])
        for link in workspace["assumptionLinks"]
    }
    return mitigation_links, assumption_links


def test_round_trip_same_links(round_trip: dict[str, Any]) -> None:
    assert _numbered_links(round_trip) == _numbered_links(SOURCE)


def test_export_of_other_sources_validates(tmp_path: Path) -> None:
    """Models that never were Threat Composer's export too (numbered in ID order)."""
    for fmt, source in (("threat-dragon", TD_FILE), ("otm", OTM_YAML)):
        root = tmp_path / fmt
        built = import_and_build(root, fmt, source, "rst")
        workspace = export(root / "html" / "threats.json", root / "out.tc.json")
        validate(workspace)
        assert len(workspace["threats"]) == len(built.items("threats"))
        assert len(workspace["mitigations"]) == len(built.items("mitigations")) + len(
            built.items("risk-acceptances")
        )
        numbers = [t["numericId"] for t in workspace["threats"]]
        assert numbers == list(range(1, len(numbers) + 1))
        statuses = {m["status"] for m in workspace["mitigations"]}
        assert statuses <= {
            "mitigationIdentified",
            "mitigationInProgress",
            "mitigationResolved",
            "mitigationResolvedWillNotAction",
        }
    # OTM's accepted threat comes back as a will-not-action mitigation
    assert "mitigationResolvedWillNotAction" in statuses


def test_export_is_deterministic(tmp_path: Path) -> None:
    built = import_and_build(tmp_path, "otm", OTM_YAML, "rst")
    first = export(tmp_path / "html" / "threats.json", tmp_path / "a.tc.json")
    second = export(tmp_path / "html" / "threats.json", tmp_path / "b.tc.json")
    assert first == second
    assert (tmp_path / "a.tc.json").read_bytes() == (tmp_path / "b.tc.json").read_bytes()
    assert built.data["items"]["threats"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON: Expecting property name"),
        ('{"schema": 2}', "has schema version 2"),
        ('{"schema": 1, "items": []}', "is not a valid threats.json: items should be an object"),
    ],
)
def test_bad_input_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "threats.json"
    source.write_text(content, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx_threats", "export", "threat-composer", str(source),
         "-o", str(tmp_path / "out.tc.json")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_dates_used_by_the_import_are_kept(tmp_path: Path) -> None:
    built = import_and_build(tmp_path, "otm", OTM_YAML, "rst")
    workspace = export(tmp_path / "html" / "threats.json", tmp_path / "out.tc.json")
    custom = [
        m["value"]
        for e in workspace["mitigations"]
        for m in e["metadata"]
        if m["key"] == "custom:due"
    ]
    assert custom and set(custom) == {DUE}
    expires = [
        m["value"]
        for e in workspace["mitigations"]
        for m in e["metadata"]
        if m["key"] == "custom:expires"
    ]
    assert expires == [EXPIRES]
    assert built.items("mitigations")


def test_every_status_maps_and_comes_back(tmp_path: Path) -> None:
    """Each Threat Composer status, imported, built and exported again."""
    data = json.loads(TC_FILE.read_text(encoding="utf-8"))
    linked_to_assumptions = {
        link["linkedId"] for link in data["assumptionLinks"] if link["type"] == "Mitigation"
    }
    # will-not-action on a mitigation no assumption names, so every link comes back
    free = [m for m in data["mitigations"] if m["id"] not in linked_to_assumptions]
    statuses = {
        free[0]["numericId"]: ("mitigationInProgress", "in-progress"),
        free[1]["numericId"]: ("mitigationResolved", "implemented"),
        free[2]["numericId"]: ("mitigationResolvedWillNotAction", "risk-acceptance"),
    }
    for mitigation in data["mitigations"]:
        if mitigation["numericId"] in statuses:
            mitigation["status"] = statuses[mitigation["numericId"]][0]
    data["threats"][0]["status"] = "threatResolvedNotUseful"
    source = tmp_path / "statuses.tc.json"
    source.write_text(json.dumps(data), encoding="utf-8")

    built = import_and_build(tmp_path, "threat-composer", source, "myst")
    mitigations = built.items("mitigations")
    for number, (_, ours) in statuses.items():
        if ours == "risk-acceptance":
            acceptance = built.items("risk-acceptances")[f"TC-M-{number}"]
            assert acceptance["expires"] == EXPIRES and "imported" in acceptance["tags"]
            assert acceptance["status"] == "valid"
            assert f"TC-M-{number}" not in mitigations
        else:
            assert mitigations[f"TC-M-{number}"]["status"] == ours
    first = f"TC-T-{data['threats'][0]['numericId']}"
    assert built.items("threats")[first]["status"] == "not-applicable"
    assert [e["threats"] for e in built.items("not-applicable").values()] == [[first]]

    workspace = export(tmp_path / "html" / "threats.json", tmp_path / "out.tc.json")
    validate(workspace)
    back = _by_number(workspace["mitigations"])
    for number, (theirs, _) in statuses.items():
        assert back[number]["status"] == theirs
    assert _by_number(workspace["threats"])[data["threats"][0]["numericId"]]["status"] == (
        "threatResolvedNotUseful"
    )
    assert _numbered_links(workspace) == _numbered_links(data)
