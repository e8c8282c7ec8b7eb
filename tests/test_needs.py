"""The sphinx-needs bridge, built with the real sphinx-needs (no mocks).

Every behaviour in both syntaxes: ``test-needs`` (reStructuredText) and its
twin ``test-needs-myst``.  In both, ``T-FLOOD`` has no mitigation of ours: a
requirement (``REQ-RATE``, ``status: open``) and a passed test case
(``TC-FLOOD``, for the ``relay`` service) mitigate it through ``mitigates``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import sphinx_needs

from sphinx_threats.config import DEFAULT_NEEDS_STATUS, validate_named
from sphinx_threats.model import Location
from sphinx_threats.needs import FIELDS, map_status, mitigation_of_need, need_fields, option_line
from sphinx_threats.schema.options import OPTIONS

from .conftest import ROOTS
from .helpers import all_warnings, built_app, html, threat_warnings, threats_json

ROOT_NAMES = ("needs", "needs-myst")
SUFFIX = {"needs": ".rst", "needs-myst": ".md"}
TESTED_WITH = "9.1.0"
#: Graphviz's ``dot`` draws the needflow of ``tables``.  CI installs it
#: (``.ci/run``) and must draw it; a machine without it, outside CI, runs every
#: other check of these builds and skips only what needs the drawing.
NO_DOT = shutil.which("dot") is None and not os.environ.get("CI")
DOT_MISSING = "dot command 'dot' cannot be run"


def _copy(name: str, dest: Path) -> Path:
    src = dest / "src"
    shutil.copytree(ROOTS / f"test-{name}", src)
    return src


def _needs_json(outdir: Path) -> dict[str, Any]:
    data = json.loads((outdir / "needs.json").read_text(encoding="utf-8"))
    needs: dict[str, Any] = data["versions"][data["current_version"]]["needs"]
    return needs


def _touch_later(path: Path) -> None:
    stamp = path.stat().st_mtime + 10
    os.utime(path, (stamp, stamp))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    _touch_later(path)


def _body(outdir: Path, page: str) -> str:
    text = (outdir / f"{page}.html").read_text(encoding="utf-8")
    return text[text.index('<div class="body"') : text.index('<div class="sphinxsidebar"')]


def _comparable(outdir: Path, page: str) -> str:
    """A page's body, as serial and parallel builds must give it alike."""
    body = _body(outdir, page)
    # sphinx-needs gives each need's layout table a random id of its own, and
    # lays a needflow out in the order its needs were merged (under -j, the
    # order the workers finish in): compare the nodes and links, not the layout
    body = re.sub(r"SNCB-[0-9a-f]+", "SNCB-", body)
    body = re.sub(r"needflow-[0-9a-f]+", "needflow-", body)
    body = re.sub(r' (coords="[^"]*"|id="node\d+")', "", body)
    return "\n".join(sorted(body.splitlines()))


def _not_threats(app: Any) -> list[str]:
    """Warnings that are not ours (sphinx-needs', Sphinx's); without ``dot``
    outside CI, not Sphinx's one warning that it cannot draw the needflow."""
    return [
        w for w in all_warnings(app) if "[threats." not in w and not (NO_DOT and DOT_MISSING in w)
    ]


def test_tested_against_this_sphinx_needs() -> None:
    assert sphinx_needs.__version__ == TESTED_WITH


# -- needs.json, needtable, needflow -------------------------------------------------------


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_needs_json_holds_our_items_with_fields_and_links(tmp_path: Path, root: str) -> None:
    with built_app("needs", srcdir=_copy(root, tmp_path)) as app:
        assert threat_warnings(app) == []
        assert _not_threats(app) == []
        needs = _needs_json(Path(app.outdir))
    threat = needs["T-REPLAY"]
    assert threat["type"] == "tm-threat"
    assert threat["severity"] == "high"
    assert threat["category"] == ["tampering", "spoofing"]
    assert threat["threat_status"] == "mitigated"
    assert threat["mitigates_back"] == ["M-NONCE"]
    assert threat["docname"] == "model"
    assert threat["lineno"] == 7
    mitigation = needs["M-NONCE"]
    assert mitigation["type"] == "tm-mitigation"
    assert mitigation["status"] == "implemented"
    assert mitigation["mitigates"] == ["T-REPLAY"]
    assert mitigation["service"] == "relay"  # the page's service
    assert needs["relay"]["type"] == "tm-service"
    # a requirement and a test case mitigate T-FLOOD
    assert needs["T-FLOOD"]["mitigates_back"] == ["REQ-RATE", "TC-FLOOD"]
    assert needs["REQ-RATE"]["mitigates"] == ["T-FLOOD"]


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_needtable_needflow_and_filters_see_threats(tmp_path: Path, root: str) -> None:
    with built_app("html", srcdir=_copy(root, tmp_path)) as app:
        assert threat_warnings(app) == []
        assert _not_threats(app) == []
        page = html(app, "tables")
        model = html(app, "model")
    table = page[page.index("NEEDS_DATATABLES") : page.index("</table>")]
    rows = re.findall(r'data-need-id="([^"]+)"', table)
    assert rows == ["T-FLOOD", "T-REPLAY"]  # threats only, no mitigation
    assert 'href="model.html#T-FLOOD"' in table  # the need's URL is our anchor
    assert "<p>mitigated</p>" in table  # threat_status
    # needlist: type == "tm-threat" and severity == "high"
    listed = page[page.index("needlist-tables-0") : page.index("needflow-tables-0")]
    assert "T-REPLAY" in listed and "T-FLOOD" not in listed
    # each item renders once, as ours: the need is hidden
    assert model.count('id="T-REPLAY"') == 1
    assert 'class="need' not in model
    if NO_DOT:
        pytest.skip("the needflow's drawing needs Graphviz's dot (CI has it)")
    # needflow (graphviz): requirements and tests to threats, each a link
    flow = page[page.index('<map id="needflow"') : page.index("</map>")]
    assert 'href="requirements.html#REQ-RATE"' in flow
    assert 'href="model.html#T-FLOOD"' in flow


# -- needs as mitigations ---------------------------------------------------------------


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_requirement_and_test_case_close_the_gap(tmp_path: Path, root: str) -> None:
    src = _copy(root, tmp_path)
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == []
        data = threats_json(app)
        model = _body(Path(app.outdir), "model")
    statuses = {t["id"]: t["status"] for t in data["items"]["threats"]}
    assert statuses["T-FLOOD"] == "mitigated"  # TC-FLOOD: passed -> verified
    mitigations = {m["id"]: m for m in data["items"]["mitigations"]}
    assert mitigations["TC-FLOOD"]["status"] == "verified"
    assert mitigations["TC-FLOOD"]["need-type"] == "test"
    assert mitigations["TC-FLOOD"]["service"] == "relay"
    assert mitigations["REQ-RATE"]["status"] == "planned"  # open -> planned
    assert mitigations["REQ-RATE"]["lineno"] == (4 if root == "needs" else 3)
    assert mitigations["REQ-RATE"]["file"] == f"requirements{SUFFIX[root]}"
    # the threat's back-links link to the needs
    assert 'href="requirements.html#TC-FLOOD"' in model
    assert 'href="requirements.html#REQ-RATE"' in model
    # without the links the threat is unmitigated: the needs made the difference
    page = src / f"requirements{SUFFIX[root]}"
    page.write_text(re.sub(r"^\s*:mitigates: T-FLOOD\n", "", page.read_text(), flags=re.M), "utf-8")
    with built_app("html", srcdir=src) as app:
        assert ("model" + SUFFIX[root], 12 if root == "needs" else 13, "unmitigated") in (
            threat_warnings(app)
        )


def test_status_map_is_configurable_and_unmapped_counts_as_planned(tmp_path: Path) -> None:
    src = _copy("needs", tmp_path)
    with (src / "conf.py").open("a") as conf:
        conf.write('threats_needs_status = {"Open": "verified"}\n')
    with built_app("html", srcdir=src) as app:
        mitigations = {m["id"]: m for m in threats_json(app)["items"]["mitigations"]}
    assert mitigations["REQ-RATE"]["status"] == "verified"
    assert mitigations["TC-FLOOD"]["status"] is None  # 'passed' unmapped: counts as planned
    assert mitigations["TC-FLOOD"]["in-effect"] is False


@pytest.mark.parametrize("root", ROOT_NAMES)
def test_dead_mitigates_link_is_one_unknown_ref_at_its_line(tmp_path: Path, root: str) -> None:
    src = _copy(root, tmp_path)
    page = src / f"requirements{SUFFIX[root]}"
    if root == "needs":
        extra = ".. req:: Dead\n   :id: REQ-DEAD\n   :status: done\n   :mitigates: T-NOPE\n"
    else:
        extra = "```{req} Dead\n:id: REQ-DEAD\n:status: done\n:mitigates: T-NOPE\n```\n"
    text = page.read_text() + "\n" + extra
    page.write_text(text, "utf-8")
    line = text.splitlines().index(extra.splitlines()[3]) + 1
    with built_app("html", srcdir=src) as app:
        assert threat_warnings(app) == [(page.name, line, "unknown-ref")]
        assert _not_threats(app) == []  # sphinx-needs says nothing of its own
        ours = [w for w in all_warnings(app) if "[threats." in w]
        assert "req 'REQ-DEAD'" in ours[0]


def test_ids_sphinx_needs_refuses_are_said_once_with_the_fix(tmp_path: Path) -> None:
    src = _copy("needs", tmp_path)
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace("needs_id_regex", "# needs_id_regex"), "utf-8")
    # the need IDs meet the default pattern; ours do not
    for old, new in (("REQ-RATE", "REQ_RATE"), ("TC-FLOOD", "TC_FLOOD")):
        _edit(src / "requirements.rst", old, new)
    with built_app("needs", srcdir=src) as app:
        warnings = threat_warnings(app)
        assert warnings == [("conf.py", 1, "invalid")]
        assert "needs_id_regex" in all_warnings(app)[0]
        assert _not_threats(app) == []
        needs = _needs_json(Path(app.outdir))
    assert "T-FLOOD" not in needs and "REQ_RATE" in needs
    # and the analysis still counts the requirement
    data = threats_json(app)
    assert {m["id"] for m in data["items"]["mitigations"]} >= {"REQ_RATE"}
    assert [(g["file"], g["lineno"]) for g in data["gaps"]] == [("conf.py", 1)]


# -- a need type that takes a short name --------------------------------------------------


@pytest.mark.parametrize("order", ["needs first", "threats first"])
def test_need_type_taking_a_short_name(tmp_path: Path, order: str) -> None:
    src = _copy("needs", tmp_path)
    conf = src / "conf.py"
    text = conf.read_text()
    if order == "threats first":
        text = text.replace(
            '["sphinx_needs", "sphinx_threats"]', '["sphinx_threats", "sphinx_needs"]'
        )
    text += (
        "needs_types = [\n"
        '    {"directive": "req", "title": "Requirement", "prefix": "R_"},\n'
        '    {"directive": "test", "title": "Test", "prefix": "T_"},\n'
        '    {"directive": "threat", "title": "Hazard", "prefix": "H_"},\n'
        "]\n"
    )
    conf.write_text(text, "utf-8")
    _edit(src / "model.rst", ".. threat:: Message replay", ".. threats:threat:: Message replay")
    _edit(src / "model.rst", ".. threat:: Broker flooding", ".. threats:threat:: Broker flooding")
    with built_app("needs", srcdir=src) as app:
        messages = [w for w in all_warnings(app) if "threats:threat" in w]
        assert len(messages) == 1, all_warnings(app)
        line = text.splitlines().index("needs_types = [") + 1
        assert threat_warnings(app) == [("conf.py", line, "invalid")]
        needs = _needs_json(Path(app.outdir))
    assert needs["T-REPLAY"]["type"] == "tm-threat"
    assert needs["T-FLOOD"]["type"] == "tm-threat"


# -- -W, -j 2, incremental ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("root", ROOT_NAMES)
def test_strict_build_passes_with_the_bridge_on(tmp_path: Path, root: str) -> None:
    # html draws the needflow: -W makes Sphinx's "cannot run dot" an error
    for builder in ("needs",) if NO_DOT else ("html", "needs"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-W",
                "-q",
                "-b",
                builder,
                str(ROOTS / f"test-{root}"),
                str(tmp_path / builder),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "WARNING" not in result.stderr
    if NO_DOT:
        pytest.skip("html with -W draws the needflow: it needs Graphviz's dot (CI has it)")


def _spread(src: Path) -> None:
    """Six more pages of threats and requirements, so ``-j 2`` reads in parallel."""
    index = src / "index.rst"
    names = []
    for i in range(6):
        names.append(f"extra{i}")
        (src / f"extra{i}.rst").write_text(
            f"Extra {i}\n=======\n\n"
            f".. threat:: Extra threat {i}\n   :id: T-X{i}\n   :severity: low\n\n"
            f".. req:: Extra requirement {i}\n   :id: REQ-X{i}\n   :status: done\n"
            f"   :mitigates: T-X{(i + 1) % 6}\n",
            "utf-8",
        )
    index.write_text(index.read_text() + "".join(f"   {n}\n" for n in names), "utf-8")
    # one ID declared twice, on pages that two workers read
    with (src / "extra5.rst").open("a") as page:
        page.write("\n.. threat:: Extra threat again\n   :id: T-X0\n   :severity: low\n")


@pytest.mark.slow
def test_parallel_equals_serial_with_the_bridge_on(tmp_path: Path) -> None:
    src = _copy("needs", tmp_path)
    _spread(src)
    outs = {}
    for jobs in (0, 2):
        for builder in ("html", "needs"):
            with built_app(
                builder, srcdir=src, builddir=tmp_path / f"b{jobs}-{builder}", parallel=jobs
            ) as app:
                outs[jobs, builder] = (threat_warnings(app), _not_threats(app), Path(app.outdir))
    for builder in ("html", "needs"):
        serial, parallel = outs[0, builder], outs[2, builder]
        assert serial[:2] == parallel[:2] == ([("extra5.rst", 13, "duplicate-id")], [])
    serial_html, parallel_html = outs[0, "html"][2], outs[2, "html"][2]
    assert (serial_html / "threats.json").read_bytes() == (
        parallel_html / "threats.json"
    ).read_bytes()
    for page in ("model", "requirements", "tables", *[f"extra{i}" for i in range(6)]):
        assert _comparable(serial_html, page) == _comparable(parallel_html, page), page
    needs = _needs_json(outs[0, "needs"][2])
    assert needs == _needs_json(outs[2, "needs"][2])
    assert needs["T-X0"]["docname"] == "extra0"  # the first declaration


def test_editing_a_requirement_updates_the_threat_and_the_reports(tmp_path: Path) -> None:
    src = _copy("needs", tmp_path)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out) as app:
        assert threat_warnings(app) == []
    # the test case no longer passes: only the open requirement is left
    _edit(src / "requirements.rst", ":status: passed", ":status: open")
    with built_app("html", srcdir=src, builddir=out) as app:
        assert threat_warnings(app) == [("model.rst", 12, "planned-only")]
        outdir = Path(app.outdir)
        status = re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())
        written = set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", status))
        assert {"model", "tables"} <= written
        model = _body(outdir, "model")
        tables = _body(outdir, "tables")
    flood = model[model.index('id="T-FLOOD"') :]
    assert "threats-status-planned" in flood[: flood.index('id="M-NONCE"')]
    assert "<p>planned</p>" in tables  # the needtable's threat_status
    matrix = tables[tables.index("threats-matrix") :]
    assert "threats-status-planned" in matrix


# -- without sphinx-needs ------------------------------------------------------------------


def test_without_sphinx_needs_nothing_of_it_is_imported(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sphinx.cmd.build import main\n"
        f"rc = main(['-q', '-b', 'html', {str(ROOTS / 'test-core')!r}, {str(tmp_path)!r}])\n"
        "assert 'sphinx_threats.needs' not in sys.modules\n"
        "assert not [m for m in sys.modules if m.startswith('sphinx_needs')], 'imported'\n"
        "print('clean', rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "clean" in result.stdout


# -- the pure part --------------------------------------------------------------------------


def test_status_map_default_and_validation() -> None:
    assert map_status("In Progress", DEFAULT_NEEDS_STATUS) == "in-progress"
    assert map_status("passed", DEFAULT_NEEDS_STATUS) == "verified"
    assert map_status("closed", DEFAULT_NEEDS_STATUS) == "implemented"
    assert map_status("someday", DEFAULT_NEEDS_STATUS) is None
    assert map_status(None, DEFAULT_NEEDS_STATUS) is None
    checked, problems = validate_named({"threats_needs_status": {"open": "finished"}})
    assert checked["threats_needs_status"] == DEFAULT_NEEDS_STATUS
    assert len(problems) == 1 and "finished" in problems[0][1]


def test_need_fields_come_from_the_options() -> None:
    option_fields = {
        o.name.replace("-", "_")
        for options in OPTIONS.values()
        for o in options
        if o.name not in ("id", "tags", "status", "mitigates", "from", "to")
    }
    assert set(FIELDS) == option_fields | {"threat_status"}
    where = Location("r.rst", 3, "r")
    need = {
        "id": "R-1",
        "type": "req",
        "title": "T",
        "tags": ["a"],
        "status": "Done",
        "service": "",
        "mitigates": ["T-1"],
    }
    mit = mitigation_of_need(need, where, 5, DEFAULT_NEEDS_STATUS)
    assert (mit.status, mit.service, mit.need_type, mit.location_of("mitigates").lineno) == (
        "implemented",
        None,
        "req",
        5,
    )
    assert need_fields(mit)["mitigates"] == ["T-1"]


def test_option_line_stays_in_the_directive() -> None:
    lines = [".. req:: A", "   :id: A", "   :mitigates: T", "", ":mitigates: X"]
    assert option_line(lines, 1, "mitigates") == 3
    assert option_line([*lines[:2], "", ":mitigates: X"], 1, "mitigates") == 1


def test_an_item_whose_id_a_need_holds_is_said_once(tmp_path: Path) -> None:
    src = _copy("needs", tmp_path)
    (src / "aaa.rst").write_text("Early\n=====\n\n.. req:: Replay\n   :id: T-REPLAY\n", "utf-8")
    _edit(src / "index.rst", "   model\n", "   aaa\n   model\n")
    with built_app("needs", srcdir=src) as app:
        assert threat_warnings(app) == [("model.rst", 7, "invalid")]
        assert "the need at aaa:4 has it" in all_warnings(app)[0]
        assert _not_threats(app) == []
        assert _needs_json(Path(app.outdir))["T-REPLAY"]["type"] == "req"


def test_the_bridge_calls_nothing_deprecated(tmp_path: Path) -> None:
    """No deprecated sphinx-needs or Sphinx call from our code (sphinx-needs'
    own, e.g. in its needflow, are not ours)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with built_app("needs", srcdir=_copy("needs", tmp_path)) as app:
            assert _not_threats(app) == []
    # a deprecated call is warned with the caller's file (stacklevel=2)
    ours = [
        w
        for w in caught
        if issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
        and "sphinx_threats" in w.filename
    ]
    assert ours == []
