"""``sphinx-threats import``: real files in, a project out that really builds.

Each (format, --to) pair is imported and built once (module-scoped), by the
real command and a real ``sphinx-build``, each a subprocess; the expectations
are computed here from the source file itself, with the documented mapping
written out (not imported from the package), so a changed mapping fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sphinx_threats import config, model

#: The sample models (their sources and licences: ``tests/data/NOTICE.md``).
DATA = Path(__file__).parent / "data"
TC_FILE = DATA / "threat-composer" / "GenAIChatbot.tc.json"
TD_FILE = DATA / "threat-dragon" / "v2-threat-model.json"
OTM_YAML = DATA / "otm" / "shop.otm.yaml"
OTM_JSON = DATA / "otm" / "shop.otm.json"

DUE, EXPIRES, TODAY = "2027-03-31", "2027-06-30", "2026-12-01"

#: Gap kinds an imported model may show (it is a model with gaps); anything
#: else (``invalid``, ``unknown-ref``, a docutils or MyST warning) fails.
EXPECTED_GAPS = {
    "unmitigated",
    "service-gap",
    "planned-only",
    "partial-only",
    # a threat the source does not rate, a mitigation it links to no threat
    "unrated",
    "orphan-mitigation",
}

#: The documented status mappings, written out here so the tests check them.
TC_MITIGATION_STATUS = {
    "mitigationIdentified": "planned",
    "mitigationInProgress": "in-progress",
    "mitigationResolved": "implemented",
}
TD_STATUS = {"Open": "planned", "Mitigated": "implemented"}

HAS_ASSUMPTIONS = "ASSUMPTION" in model.Kind.__members__
HAS_CATALOGUES = any(c.name == "threats_catalogs" for c in config.CONFIG_VALUES)
NEEDS_MAIN = "needs the assumption item / catalogues from main"

_WARNING = re.compile(r"WARNING: .*?(?:\[(?P<sub>[\w.-]+)\])?$")


#: A real import and a real sphinx-build subprocess per format and syntax:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


def sphinx_threats(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx_threats", *args], capture_output=True, text=True
    )


@dataclass
class Built:
    """What one import and build gave."""

    project: Path
    import_run: subprocess.CompletedProcess[str]
    build_run: subprocess.CompletedProcess[str]
    data: dict[str, Any]

    def warnings(self) -> list[str]:
        """Every warning line of the build (colour codes removed: Sphinx colours
        its output when ``CI`` is set, as it is in CI)."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.build_run.stderr)
        return [line for line in text.splitlines() if "WARNING" in line]

    def items(self, plural: str) -> dict[str, dict[str, Any]]:
        """The built ``threats.json`` items of one kind, by ID."""
        return {entry["id"]: entry for entry in self.data["items"].get(plural, [])}


def import_and_build(root: Path, fmt: str, source: Path, form: str) -> Built:
    """Import ``source`` with the real command, then build it with sphinx-build."""
    project = root / "project"
    run = sphinx_threats(
        "import", fmt, str(source), "-o", str(project), "--to", form,
        "--due", DUE, "--expires", EXPIRES,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    build = subprocess.run(
        [
            sys.executable, "-m", "sphinx", "-b", "html", "-q",
            "-D", f"threats_today={TODAY}", str(project), str(root / "html"),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    data = json.loads((root / "html" / "threats.json").read_text(encoding="utf-8"))
    return Built(project, run, build, data)


def _skip_unless_buildable(fmt: str, form: str) -> None:
    if form == "yaml" and not HAS_CATALOGUES:
        pytest.skip(NEEDS_MAIN)
    if fmt == "threat-composer" and not HAS_ASSUMPTIONS:
        pytest.skip(NEEDS_MAIN)  # the sample has assumptions


FORMS = ("rst", "myst", "yaml")


@pytest.fixture(scope="module", params=FORMS)
def tc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    _skip_unless_buildable("threat-composer", request.param)
    root = tmp_path_factory.mktemp(f"tc-{request.param}")
    return import_and_build(root, "threat-composer", TC_FILE, request.param)


@pytest.fixture(scope="module", params=FORMS)
def td(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    _skip_unless_buildable("threat-dragon", request.param)
    root = tmp_path_factory.mktemp(f"td-{request.param}")
    return import_and_build(root, "threat-dragon", TD_FILE, request.param)


@pytest.fixture(scope="module", params=FORMS)
def otm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    _skip_unless_buildable("otm", request.param)
    root = tmp_path_factory.mktemp(f"otm-{request.param}")
    return import_and_build(root, "otm", OTM_YAML, request.param)


def assert_clean_build(built: Built) -> None:
    """Only the gaps an unreviewed model has; no invalid, unknown-ref or markup warning."""
    subtypes = Counter()
    for line in built.warnings():
        match = _WARNING.search(line)
        sub = match.group("sub") if match else None
        assert sub and sub.startswith("threats."), line
        subtypes[sub.removeprefix("threats.")] += 1
    assert set(subtypes) <= EXPECTED_GAPS, subtypes


# --- Threat Composer ----------------------------------------------------------

TC_SOURCE = json.loads(TC_FILE.read_text(encoding="utf-8"))


def _tc_numbers() -> dict[str, str]:
    """Source UUID → our ID, by the documented scheme (TC-T-<numericId> ...)."""
    out = {}
    for key, prefix in (("threats", "TC-T"), ("mitigations", "TC-M"), ("assumptions", "TC-AS")):
        for entry in TC_SOURCE[key]:
            out[entry["id"]] = f"{prefix}-{entry['numericId']}"
    return out


def test_tc_builds_clean(tc: Built) -> None:
    assert_clean_build(tc)


def test_tc_same_threats_mitigations_and_links(tc: Built) -> None:
    ours = _tc_numbers()
    threats = tc.items("threats")
    assert sorted(threats) == sorted(ours[t["id"]] for t in TC_SOURCE["threats"])
    mitigations = tc.items("mitigations")
    assert len(mitigations) == len(TC_SOURCE["mitigations"])
    expected_links = {
        (ours[link["mitigationId"]], ours[link["linkedId"]])
        for link in TC_SOURCE["mitigationLinks"]
        if link["linkedId"] in ours and ours[link["linkedId"]].startswith("TC-T-")
    }
    built_links = {(m, t) for m, entry in mitigations.items() for t in entry["mitigates"]}
    assert built_links == expected_links
    assert len(built_links) == 122


def test_tc_statuses_follow_the_mapping(tc: Built) -> None:
    ours = _tc_numbers()
    mitigations = tc.items("mitigations")
    for source in TC_SOURCE["mitigations"]:
        entry = mitigations[ours[source["id"]]]
        assert entry["status"] == TC_MITIGATION_STATUS[source["status"]]
        if entry["status"] in ("planned", "in-progress"):
            assert entry["due"] == DUE and "imported" in entry["tags"]


def test_tc_threat_fields(tc: Built) -> None:
    ours = _tc_numbers()
    threats = tc.items("threats")
    stride = dict(zip("STRIDE", model_categories(), strict=True))
    actors = tc.items("threat-actors")
    for source in TC_SOURCE["threats"]:
        entry = threats[ours[source["id"]]]
        meta = {m["key"]: m["value"] for m in source["metadata"]}
        assert entry["severity"] == meta["Priority"].lower()
        assert entry["category"] == list(dict.fromkeys(stride[c] for c in meta["STRIDE"]))
        assert [actors[a]["title"] for a in entry["actors"]] == [source["threatSource"]]
        for goal in source["impactedGoal"]:
            assert f"goal: {goal}" in entry["tags"]
        assert set(source["tags"]) <= set(entry["tags"])
    # threat sources are deduplicated: one actor per distinct source
    assert len(actors) == len({t["threatSource"].lower() for t in TC_SOURCE["threats"]})


def model_categories() -> list[str]:
    """STRIDE in order: the default ``threats_categories``."""
    return list(config.STRIDE)


def test_tc_assumptions_and_their_links(tc: Built) -> None:
    ours = _tc_numbers()
    assumptions = tc.items("assumptions")
    assert sorted(assumptions) == sorted(ours[a["id"]] for a in TC_SOURCE["assumptions"])
    expected = Counter()
    for link in TC_SOURCE["assumptionLinks"]:
        expected[(ours[link["assumptionId"]], ours[link["linkedId"]])] += 1
    built = Counter()
    for aid, entry in assumptions.items():
        for ref in [*entry["threats"], *entry["mitigations"]]:
            built[(aid, ref)] += 1
    assert set(built) == set(expected)
    assert sum(built.values()) == 95


def test_tc_prose_and_images(tc: Built) -> None:
    images = sorted(p.name for p in (tc.project / "_images").iterdir())
    assert images == ["architecture.svg", "dataflow.svg"]
    page = next((tc.project.parent / "html").glob("*.html"))  # any page built
    assert page.exists()
    html = "".join(
        p.read_text(encoding="utf-8") for p in (tc.project.parent / "html").glob("*.html")
    )
    assert "architecture.svg" in html and "Key Benefits" in html


# --- Threat Dragon ------------------------------------------------------------

TD_SOURCE = json.loads(TD_FILE.read_text(encoding="utf-8"))


def _td_cells() -> list[dict[str, Any]]:
    return [c for d in TD_SOURCE["detail"]["diagrams"] for c in d["cells"]]


def _td_threats() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(c, t) for c in _td_cells() for t in c.get("data", {}).get("threats", [])]


def test_td_builds_clean(td: Built) -> None:
    assert_clean_build(td)


def test_td_elements(td: Built) -> None:
    services = {s["title"] for s in td.items("services").values()}
    expected = {
        " ".join(c["data"]["name"].split())
        for c in _td_cells()
        if c["data"]["type"] == "tm.Process"
    }
    assert services == expected
    stores = {s["title"] for s in td.items("data-stores").values()}
    assert stores == {c["data"]["name"] for c in _td_cells() if c["data"]["type"] == "tm.Store"}
    entities = {a["title"] for a in td.items("external-entities").values()}
    assert {c["data"]["name"] for c in _td_cells() if c["data"]["type"] == "tm.Actor"} <= entities


def test_td_threats_owned_by_their_cell(td: Built) -> None:
    threats = td.items("threats")
    assert len(threats) == len(_td_threats()) == 14
    service_of = {s["title"]: sid for sid, s in td.items("services").items()}
    for cell, source in _td_threats():
        entry = threats[f"TD-T-{source['id'][:8]}"]
        assert entry["title"] == source["title"]
        assert entry["severity"] == source["severity"].lower()
        if cell["data"]["type"] == "tm.Process":
            assert entry["service"] == service_of[" ".join(cell["data"]["name"].split())]
        assert entry["category"] == [source["type"].lower().replace(" ", "-")]


def test_td_mitigations_follow_the_status(td: Built) -> None:
    mitigations = td.items("mitigations")
    expected = {
        f"TD-M-{t['id'][:8]}": TD_STATUS[t["status"]]
        for _, t in _td_threats()
        if t["status"] in TD_STATUS and t["mitigation"].strip()
    }
    assert {m: e["status"] for m, e in mitigations.items()} == expected
    for mid, entry in mitigations.items():
        assert entry["mitigates"] == [mid.replace("TD-M-", "TD-T-")]


# --- Open Threat Model --------------------------------------------------------


def test_otm_builds_clean(otm: Built) -> None:
    assert_clean_build(otm)


def test_otm_model(otm: Built) -> None:
    threats = otm.items("threats")
    assert sorted(threats) == sorted(
        f"OTM-T-{t}" for t in ("xss", "ddos", "repudiation", "tamper-price", "sniff")
    )
    xss = threats["OTM-T-xss"]
    assert (xss["likelihood"], xss["impact"], xss["severity"]) == ("high", "medium", "high")
    assert xss["cwe"] == ["79"] and xss["service"] == "OTM-S-web"
    # instanced on two components: a product threat that applies to both
    assert threats["OTM-T-ddos"]["applies-to"] == ["OTM-S-web", "OTM-S-payments"]
    assert threats["OTM-T-ddos"]["service"] is None
    # a data-flow threat counts for the flow's source component
    assert threats["OTM-T-sniff"]["service"] == "OTM-S-web"
    assert "privacy" in threats["OTM-T-sniff"]["category"]
    # no likelihood and impact: unrated (nothing invented)
    assert threats["OTM-T-repudiation"]["severity"] is None
    assert "imported" not in threats["OTM-T-repudiation"]["tags"]

    mitigations = otm.items("mitigations")
    assert sorted(mitigations) == [
        "OTM-M-csp",
        "OTM-M-output-encoding",
        "OTM-M-rate-limit",
        "OTM-M-tls",
        "OTM-M-unused",
    ]
    # named by no threat: an unlinked control
    assert mitigations["OTM-M-unused"]["mitigates"] == []
    assert mitigations["OTM-M-csp"]["effect"] == "partial"  # riskReduction 60
    assert mitigations["OTM-M-output-encoding"]["effect"] == "full"
    assert mitigations["OTM-M-csp"]["status"] == "planned"  # Required
    # implemented on one component, required on the other: the least advanced
    assert mitigations["OTM-M-rate-limit"]["status"] == "planned"
    assert mitigations["OTM-M-rate-limit"]["applies-to"] == ["OTM-S-web", "OTM-S-payments"]

    acceptances = otm.items("risk-acceptances")
    assert [a["threats"] for a in acceptances.values()] == [["OTM-T-repudiation"]]
    assert all(a["expires"] == EXPIRES for a in acceptances.values())
    exclusions = otm.items("not-applicable")
    assert [e["threats"] for e in exclusions.values()] == [["OTM-T-tamper-price"]]


def test_otm_dangling_references_are_reported(otm: Built) -> None:
    notes = otm.import_run.stderr
    assert "'ghost'" in notes and "$.components[1].threats[2].mitigations[0]" in notes
    assert "OTM-M-unused" in notes  # a mitigation no threat names: noted, an unlinked control


def test_otm_json_and_yaml_give_the_same_project(tmp_path: Path) -> None:
    for name, source in (("yaml", OTM_YAML), ("json", OTM_JSON)):
        run = sphinx_threats("import", "otm", str(source), "-o", str(tmp_path / name),
                             "--due", DUE, "--expires", EXPIRES)  # fmt: skip
        assert run.returncode == 0, run.stderr
    assert _tree(tmp_path / "yaml", skip="conf.py") == _tree(tmp_path / "json", skip="conf.py")


# --- what every import guarantees ---------------------------------------------


def _tree(root: Path, skip: str = "") -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != skip
    }


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    ("fmt", "source"),
    [("threat-composer", TC_FILE), ("threat-dragon", TD_FILE), ("otm", OTM_YAML)],
)
def test_reimport_is_byte_identical(tmp_path: Path, fmt: str, source: Path, form: str) -> None:
    trees = []
    for name in ("first", "second"):
        run = sphinx_threats("import", fmt, str(source), "-o", str(tmp_path / name), "--to", form,
                             "--due", DUE, "--expires", EXPIRES)  # fmt: skip
        assert run.returncode == 0, run.stderr
        trees.append(_tree(tmp_path / name))
    assert trees[0] == trees[1]
    assert "conf.py" in trees[0]


def test_existing_files_are_not_overwritten_without_force(tmp_path: Path) -> None:
    args = ("import", "threat-dragon", str(TD_FILE), "-o", str(tmp_path), "--due", DUE)
    assert sphinx_threats(*args).returncode == 0
    (tmp_path / "index.rst").write_text("mine\n", encoding="utf-8")
    again = sphinx_threats(*args)
    assert again.returncode == 2
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert (tmp_path / "index.rst").read_text(encoding="utf-8") == "mine\n"
    assert sphinx_threats(*args, "--force").returncode == 0
    assert (tmp_path / "index.rst").read_text(encoding="utf-8") != "mine\n"


def _broken(tmp_path: Path, data: Any, name: str = "broken.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fmt", "change", "json_path"),
    [
        # a whole section unreadable; one unreadable entry is a note
        # (tests/test_import_fidelity.py)
        ("threat-composer", lambda d: d.update(threats={}), "$.threats"),
        ("threat-dragon", lambda d: d.pop("summary"), "$.summary"),
    ],
)
def test_malformed_file_names_the_json_path(
    tmp_path: Path, fmt: str, change: Any, json_path: str
) -> None:
    source = TC_FILE if fmt == "threat-composer" else TD_FILE
    data = json.loads(source.read_text(encoding="utf-8"))
    change(data)
    run = sphinx_threats("import", fmt, str(_broken(tmp_path, data)), "-o", str(tmp_path / "out"))
    assert run.returncode == 2
    assert json_path + ":" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


def test_otm_malformed_yaml_and_bad_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("otmVersion: 0.2.0\nproject: [\n", encoding="utf-8")
    run = sphinx_threats("import", "otm", str(bad), "-o", str(tmp_path / "out"))
    assert run.returncode == 2 and "YAML" in run.stderr and "Traceback" not in run.stderr
    data = yaml.safe_load(OTM_YAML.read_text(encoding="utf-8"))
    data["threats"][1]["risk"]["likelihood"] = 250
    run = sphinx_threats("import", "otm", str(_broken(tmp_path, data)), "-o", str(tmp_path / "o2"))
    # one unreadable threat: named, left out, the rest imported
    assert run.returncode == 0 and "$.threats[1].risk.likelihood:" in run.stderr
    assert "this threat is not imported" in run.stderr


def test_tc_dangling_links_are_reported_and_skipped(tmp_path: Path) -> None:
    data = json.loads(TC_FILE.read_text(encoding="utf-8"))
    ghost = "00000000-0000-4000-8000-000000000000"
    data["mitigationLinks"].append(
        {"mitigationId": data["mitigations"][0]["id"], "linkedId": ghost}
    )
    data["assumptionLinks"].append(
        {"type": "Mitigation", "assumptionId": data["assumptions"][0]["id"], "linkedId": ghost}
    )
    out = tmp_path / "out"
    run = sphinx_threats("import", "threat-composer", str(_broken(tmp_path, data)), "-o", str(out),
                         "--to", "myst", "--due", DUE)  # fmt: skip
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if ghost in line]
    assert len(notes) == 2
    assert "$.mitigationLinks[122]" in notes[0] and data["mitigations"][0]["id"] in notes[0]
    assert "$.assumptionLinks[95]" in notes[1]
    assert ghost in (out / "product.md").read_text(encoding="utf-8")  # listed on the page too
    # the sample itself has none
    clean = sphinx_threats("import", "threat-composer", str(TC_FILE), "-o", str(tmp_path / "c"))
    assert ghost not in clean.stderr and "not in the file" not in clean.stderr


HOSTILE = "<script>alert(1)</script> `code` *em* |sub| _x_ [link](javascript:alert(1))"


def _hostile_tc(tmp_path: Path) -> Path:
    """A workspace whose text tries every way to become markup."""
    lines = [
        HOSTILE,
        ".. raw:: html",
        "",
        "   <script>alert(2)</script>",
        ":id: NOT-AN-ID",
        "```{raw} html",
        "<b>3</b>",
        "```",
        "# not a heading",
        "1. not a list",
        "ends with a literal marker::",
    ]
    data = {
        "schema": 1,
        "applicationInfo": {"name": "Hostile ``name``", "description": "\n".join(lines)},
        "threats": [
            {
                "id": "t-1",
                "numericId": 1,
                "threatSource": ":actors: X ``",
                "threatAction": ":service: nowhere",
                "statement": "\n".join(lines),
                "metadata": [{"key": "Comments", "value": "\n".join(lines)}],
                "tags": ["a, b", "``x``"],
            }
        ],
        "mitigations": [
            {
                "id": "m-1",
                "numericId": 1,
                "content": "```` four ````",
                "status": "mitigationResolved",
            }
        ],
        "mitigationLinks": [{"mitigationId": "m-1", "linkedId": "t-1"}],
    }
    return _broken(tmp_path, data, "hostile.tc.json")


@pytest.mark.parametrize("form", ["rst", "myst"])
def test_foreign_text_never_becomes_markup(tmp_path: Path, form: str) -> None:
    built = import_and_build(tmp_path, "threat-composer", _hostile_tc(tmp_path), form)
    assert_clean_build(built)
    html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "html").rglob("*.html"))
    assert "<script>alert" not in html and "<b>3</b>" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    threat = built.items("threats")["TC-T-1"]
    assert ":service: nowhere" in threat["title"]
    assert threat["service"] is None
    assert built.items("mitigations")["TC-M-1"]["title"] == "```` four ````"
    assert "a, b" in threat["tags"]  # a comma kept inside its tag


def test_help_has_examples() -> None:
    run = sphinx_threats("import", "--help")
    assert run.returncode == 0
    assert "examples:" in run.stdout and "--due" in run.stdout and "--force" in run.stdout


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    run = sphinx_threats("import", "visio", str(TC_FILE), "-o", str(tmp_path))
    assert run.returncode == 2 and "Traceback" not in run.stderr


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    run = sphinx_threats("import", "otm", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "o"))
    assert run.returncode == 2 and "cannot read" in run.stderr and "Traceback" not in run.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


EXAMPLE = Path(__file__).parents[1] / "examples" / "imported-threat-dragon"


def test_the_imported_example_is_what_the_import_writes(tmp_path: Path) -> None:
    run = sphinx_threats(
        "import", "threat-dragon", str(TD_FILE), "-o", str(tmp_path / "again"),
        "--due", "2027-06-30", "--expires", "2027-06-30",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    committed = {k: v for k, v in _tree(EXAMPLE).items() if k != "README.md"}
    assert committed == _tree(tmp_path / "again")


def test_the_imported_example_builds_with_its_reports(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-D", f"threats_today={TODAY}",
         str(EXAMPLE), str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "threats.json").read_text(encoding="utf-8"))
    threats = [t["id"] for t in data["items"]["threats"]]
    assert len(threats) == 14
    # the index's reports (matrix, coverage) link every threat to its service page
    for threat in threats:
        assert f"#{threat}" in index


TD_V1 = DATA / "threat-dragon" / "v1-model.json"


def test_td_version_1_file(tmp_path: Path) -> None:
    """A Threat Dragon 1.x file (cells without ``data``, a LINDDUN diagram) builds clean."""
    built = import_and_build(tmp_path, "threat-dragon", TD_V1, "myst")
    assert_clean_build(built)
    services = {s["title"] for s in built.items("services").values()}
    assert services == {"Profile service"}
    assert {s["title"] for s in built.items("data-stores").values()} == {"Profile store"}
    threats = built.items("threats")
    assert sorted(threats) == ["TD-T-11111111-0", "TD-T-11111111-1", "TD-T-22222222-0"]
    assert threats["TD-T-11111111-0"]["category"] == ["linking"]
    assert threats["TD-T-22222222-0"]["category"] == ["data-disclosure"]
    assert {m: e["status"] for m, e in built.items("mitigations").items()} == {
        "TD-M-11111111-0": "planned",
        "TD-M-22222222-0": "implemented",
    }
    (exclusion,) = built.items("not-applicable").values()
    assert exclusion["threats"] == ["TD-T-11111111-1"]
    assert threats["TD-T-11111111-1"]["status"] == "not-applicable"
    conf = (built.project / "conf.py").read_text(encoding="utf-8")
    assert "'linking': 'Linkability'" in conf
