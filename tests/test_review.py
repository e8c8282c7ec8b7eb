"""Review: every item's ``digest`` in ``threats.json``, and suspect links.

Digests are over what an item means, never where it is: the same threat in
reStructuredText and MyST, on another page or in a catalogue, retitled,
retagged, with another CWE or scope, keeps its digest; a review field
(severity, category, body) or its ``:revision:`` changes it.  Real builds of
``test-review`` and its MyST twin, copied and edited.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from .cli_helpers import run_cli
from .conftest import ROOTS
from .helpers import built_app, serial_and_parallel, threat_warnings, threats_json

#: Slow (real builds, git and the real command): in CI, out of the fast lane.
pytestmark = pytest.mark.slow

ROOT, MYST = "test-review", "test-review-myst"


def _copy(root: str, where: Path) -> Path:
    src = where / root
    shutil.copytree(ROOTS / root, src)
    return src


def _digests(src: Path) -> dict[str, str]:
    """Every item's digest in the ``threats.json`` of a build of ``src``."""
    with built_app("html", srcdir=src, builddir=src.parent / f"{src.name}-build") as app:
        data = threats_json(app)
    return {e["id"]: e["digest"] for entries in data["items"].values() for e in entries}


def _edit(src: Path, page: str, old: str, new: str) -> None:
    path = src / page
    text = path.read_text(encoding="utf-8")
    assert old in text, (page, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


TM1_RST = """.. threat:: Replayed session token
   :id: TM-1
   :category: spoofing, tampering
   :severity: high
   :tags: auth
   :cwe: 294
   :applies-to: relay

   An attacker *replays* a captured token
   to act as the user.
"""


def _move_to_decisions(src: Path) -> None:
    _edit(src, "threats.rst", TM1_RST, "")
    (src / "decisions.rst").write_text(
        (src / "decisions.rst").read_text(encoding="utf-8") + "\n" + TM1_RST, encoding="utf-8"
    )


def _move_to_catalogue(src: Path) -> None:
    _edit(src, "threats.rst", TM1_RST, "")
    (src / "threats.yaml").write_text(
        "threats:\n"
        "  - id: TM-1\n"
        "    title: Replayed session token\n"
        "    category: [tampering, spoofing]\n"
        "    severity: high\n"
        "    applies-to: relay\n"
        "    body: |\n"
        "      An attacker replays a captured token to act\n"
        "      as the user.\n",
        encoding="utf-8",
    )
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('threats_catalogs = ["threats.yaml"]\n')


Edit = Callable[[Path], None]

#: Edits of TM-1 that change nothing a reviewer judged.
SAME: dict[str, Edit] = {
    "title": lambda s: _edit(s, "threats.rst", "Replayed session token", "Token replay"),
    "tag": lambda s: _edit(s, "threats.rst", ":tags: auth", ":tags: auth, session"),
    "cwe": lambda s: _edit(s, "threats.rst", ":cwe: 294", ":cwe: 384"),
    "scope": lambda s: _edit(s, "threats.rst", ":applies-to: relay", ":applies-to: *"),
    "rewrapped body": lambda s: _edit(s, "threats.rst", "token\n   to act", "token to\n   act"),
    "another page": _move_to_decisions,
    "a catalogue": _move_to_catalogue,
}

#: Edits of TM-1 that re-open its reviews.
CHANGED: dict[str, Edit] = {
    "severity": lambda s: _edit(s, "threats.rst", ":severity: high", ":severity: critical"),
    "category": lambda s: _edit(s, "threats.rst", "spoofing, tampering", "spoofing"),
    "body": lambda s: _edit(s, "threats.rst", "a captured token", "any token"),
    "revision": lambda s: _edit(s, "threats.rst", ":cwe: 294", ":cwe: 294\n   :revision: 2"),
}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The digests of an unchanged build of the rST root."""
    return _digests(_copy(ROOT, tmp_path_factory.mktemp("baseline")))


def test_every_item_has_a_digest_the_same_in_rst_and_myst(
    baseline: dict[str, str], tmp_path: Path
) -> None:
    assert sorted(baseline) == ["M-1", "M-2", "NA-1", "RA-1", "TM-1", "TM-2", "relay"]
    assert all(d.startswith("sha256:1:") and len(d) == 9 + 64 for d in baseline.values())
    assert len(set(baseline.values())) == len(baseline)
    assert _digests(_copy(MYST, tmp_path)) == baseline


@pytest.mark.parametrize("edit", SAME, ids=list(SAME))
def test_what_never_changes_a_threat_digest(
    edit: str, baseline: dict[str, str], tmp_path: Path
) -> None:
    src = _copy(ROOT, tmp_path)
    SAME[edit](src)
    assert _digests(src)["TM-1"] == baseline["TM-1"]


@pytest.mark.parametrize("edit", CHANGED, ids=list(CHANGED))
def test_what_changes_a_threat_digest(edit: str, baseline: dict[str, str], tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    CHANGED[edit](src)
    digests = _digests(src)
    assert digests["TM-1"] != baseline["TM-1"]
    assert {k: v for k, v in digests.items() if k != "TM-1"} == {
        k: v for k, v in baseline.items() if k != "TM-1"
    }


def test_revision_alone_is_the_digest(baseline: dict[str, str], tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    CHANGED["revision"](src)
    revised = _digests(src)["TM-1"]
    CHANGED["severity"](src)
    CHANGED["body"](src)
    assert _digests(src)["TM-1"] == revised


# -- suspect links ---------------------------------------------------------------------------

#: Where each decision of the roots is declared.
DECISIONS = {
    ROOT: {"M-1": 4, "RA-1": 9, "M-2": 15, "NA-1": 20},
    MYST: {"M-1": 3, "RA-1": 9, "M-2": 16, "NA-1": 22},
}
SUFFIX = {ROOT: "rst", MYST: "md"}


class Built(NamedTuple):
    """What one build showed."""

    #: ``(file, line, subtype)`` of every threats.* warning.
    warnings: list[tuple[str, int, str]]
    data: dict[str, Any]
    outdir: Path
    #: Pages written.
    written: set[str]

    def suspects(self) -> list[tuple[str, int, str]]:
        return [w for w in self.warnings if w[2] == "suspect-link"]


def _build(src: Path, **kwargs: Any) -> Built:
    """Build ``src`` into its own build directory (kept between builds: incremental)."""
    with built_app("html", srcdir=src, builddir=src.parent / "build", **kwargs) as app:
        status = re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())
        written = set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", status))
        return Built(threat_warnings(app), threats_json(app), Path(app.outdir), written)


def _later(path: Path) -> None:
    """A clearly newer mtime (Sphinx compares mtimes)."""
    stamp = path.stat().st_mtime + 10
    os.utime(path, (stamp, stamp))


def _review(
    built: Built, src: Path, *ids: str, by: str = "alice"
) -> subprocess.CompletedProcess[str]:
    """``sphinx-threats review`` (a real subprocess) of the build's threats.json."""
    args = ["review", str(built.outdir / "threats.json"), "--lock", "threats.lock", "--by", by]
    return run_cli(*args, *(ids or ("--all",)), cwd=src)


def _reviewed(root: str, where: Path) -> tuple[Path, Built]:
    """A copy of ``root`` built, every link reviewed, and built again."""
    src = _copy(root, where)
    assert _review(_build(src), src).returncode == 0
    built = _build(src)
    assert built.suspects() == []
    return src, built


def _at(root: str, *decisions: str) -> list[tuple[str, int, str]]:
    page = f"decisions.{SUFFIX[root]}"
    return sorted((page, DECISIONS[root][d], "suspect-link") for d in decisions)


#: Edits of TM-1 in a review field, as each syntax spells them.
REVIEW_EDITS = {
    "severity": {
        ROOT: (":severity: high", ":severity: critical"),
        MYST: ("severity: high", "severity: critical"),
    },
    "category": {
        ROOT: ("spoofing, tampering", "spoofing"),
        MYST: ("[spoofing, tampering]", "[spoofing]"),
    },
    "body": {ROOT: ("a captured token", "any token"), MYST: ("a captured token", "any token")},
}


@pytest.mark.parametrize("root", [ROOT, MYST])
@pytest.mark.parametrize("field", REVIEW_EDITS)
def test_a_changed_threat_makes_exactly_its_decisions_suspect(
    root: str, field: str, tmp_path: Path
) -> None:
    src, _ = _reviewed(root, tmp_path)
    index = f"threats.{SUFFIX[root]}"
    _edit(src, index, *REVIEW_EDITS[field][root])
    _later(src / index)
    built = _build(src)
    assert sorted(built.suspects()) == _at(root, "M-1", "RA-1")
    gaps = [g for g in built.data["gaps"] if g["kind"] == "suspect-link"]
    assert sorted(tuple(g["ids"]) for g in gaps) == [("M-1", "TM-1"), ("RA-1", "TM-1")]
    assert not any(g["fails"] for g in gaps)  # not in the default threats_fail_on


@pytest.mark.parametrize("edit", [*SAME, "myst"], ids=[*SAME, "converted to MyST"])
def test_what_never_makes_a_decision_suspect(edit: str, tmp_path: Path) -> None:
    src, _ = _reviewed(ROOT, tmp_path)
    if edit == "myst":
        for page in src.glob("*.rst"):
            page.unlink()
        for page in (ROOTS / MYST).iterdir():
            shutil.copy(page, src / page.name)
    else:
        SAME[edit](src)
    for page in src.glob("*.*"):
        _later(page)
    built = _build(src)
    assert built.suspects() == []
    assert "unreviewed" not in (built.outdir / "matrix.html").read_text(encoding="utf-8")


def test_revision_reopens_the_reviews_and_review_clears_them(tmp_path: Path) -> None:
    src, _ = _reviewed(ROOT, tmp_path)
    CHANGED["revision"](src)
    _later(src / "threats.rst")
    built = _build(src)
    assert sorted(built.suspects()) == _at(ROOT, "M-1", "RA-1")
    check = run_cli(
        "review", str(built.outdir / "threats.json"), "--lock", "threats.lock", "--check", cwd=src
    )
    assert check.returncode == 1
    assert check.stdout.splitlines()[:2] == [
        "decisions.rst:4: suspect-link: M-1 answers TM-1, which changed since its review on "
        f"{dt.date.today().isoformat()} by alice",
        "decisions.rst:9: suspect-link: RA-1 answers TM-1, which changed since its review on "
        f"{dt.date.today().isoformat()} by alice",
    ]
    before = (src / "threats.lock").read_text(encoding="utf-8")
    done = _review(built, src, "TM-1", by="bob")  # a threat's ID names its decisions
    assert done.returncode == 0, done.stderr
    lock = (src / "threats.lock").read_text(encoding="utf-8")
    assert lock != before
    assert lock.splitlines() == sorted(set(lock.splitlines()))
    assert [line.split()[:2] for line in lock.splitlines() if line.endswith(" bob")] == [
        ["M-1", "TM-1"],
        ["RA-1", "TM-1"],
    ]
    _later(src / "threats.lock")
    assert _build(src).suspects() == []


def test_review_refuses_an_unknown_id_and_changes_nothing(tmp_path: Path) -> None:
    src, built = _reviewed(ROOT, tmp_path)
    before = (src / "threats.lock").read_text(encoding="utf-8")
    done = _review(built, src, "M-1", "NOPE")
    assert done.returncode == 2
    assert "unknown ID NOPE" in done.stderr
    assert (src / "threats.lock").read_text(encoding="utf-8") == before


def test_unreviewed_and_other_versions_are_shown_never_suspect(tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    first = _build(src)
    digest = {e["id"]: e["digest"] for e in first.data["items"]["threats"]}
    (src / "threats.lock").write_text(
        f"M-1 TM-1 {digest['TM-1']} 2026-05-01 alice\n"
        "M-2 TM-2 sha256:2:0123 2026-05-01 bob\n"
        "RA-1 TM-1 sha256:1:0123 2026-05-01 carol smith\n",
        encoding="utf-8",
    )
    built = _build(src)
    assert built.suspects() == _at(ROOT, "RA-1")
    matrix = (built.outdir / "matrix.html").read_text(encoding="utf-8")
    assert matrix.count("threats-review-suspect") == 1
    assert matrix.count("threats-review-unreviewed") == 2  # M-2 (version 2) and NA-1
    decisions = (built.outdir / "decisions.html").read_text(encoding="utf-8")
    assert "TM-1 suspect (last reviewed 2026-05-01 by carol smith)" in decisions
    assert "TM-1 reviewed (last reviewed 2026-05-01 by alice)" in decisions
    assert "TM-2 unreviewed" in decisions


def test_a_malformed_lock_line_is_one_warning_at_it(tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    (src / "threats.lock").write_text("# reviews\nM-1 TM-1 sha256:1:00\n", encoding="utf-8")
    built = _build(src)
    assert [w for w in built.warnings if w[0] == "threats.lock"] == [("threats.lock", 2, "invalid")]


# -- merging, other projects, parallel and incremental builds -------------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False
    )


def test_branches_reviewing_different_decisions_merge_cleanly(tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    built = _build(src)
    (src / ".gitattributes").write_text("threats.lock merge=union\n", encoding="utf-8")
    assert _review(built, src, "RA-1", "NA-1").returncode == 0
    assert _git(src, "init", "-q", "-b", "main").returncode == 0
    _git(src, "add", "-A")
    assert _git(src, "commit", "-qm", "base").returncode == 0
    for branch, decision in (("one", "M-1"), ("two", "M-2")):
        _git(src, "checkout", "-q", "-b", branch, "main")
        assert _review(built, src, decision, by=branch).returncode == 0
        _git(src, "commit", "-qam", f"review {decision}")
    _git(src, "checkout", "-q", "main")
    assert _git(src, "merge", "-q", "one").returncode == 0
    merged = _git(src, "merge", "-q", "--no-edit", "two")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    lock = (src / "threats.lock").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split()[0] for line in lock) == ["M-1", "M-2", "NA-1", "RA-1"]
    _later(src / "threats.lock")
    again = _build(src)
    assert again.suspects() == []
    assert "threats-review-" not in (again.outdir / "matrix.html").read_text(encoding="utf-8")


def test_an_upstream_threat_edited_makes_the_service_decisions_suspect(tmp_path: Path) -> None:
    product = _copy(ROOT, tmp_path / "product")
    service = _copy("test-review-service", tmp_path / "service")
    upstream = _build(product)
    with (service / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"threats_external = {{'product': {str(upstream.outdir / 'threats.json')!r}}}\n")
    first = _build(service)
    recorded = _review(first, service)
    assert recorded.returncode == 0, recorded.stderr
    assert "recorded 2 link(s)" in recorded.stdout
    assert _build(service).suspects() == []

    _edit(product, "threats.rst", "a captured token", "any token")
    _later(product / "threats.rst")
    _build(product)
    built = _build(service)
    assert built.suspects() == [("index.rst", 7, "suspect-link")]
    gap = next(g for g in built.data["gaps"] if g["kind"] == "suspect-link")
    assert gap["ids"] == ["S-M1", "review:TM-1"]  # resolved: the product's project ID
    # the product's own decisions are the product's to review, never recorded here
    lock = (service / "threats.lock").read_text(encoding="utf-8")
    assert sorted(line.split()[0] for line in lock.splitlines()) == ["S-M1", "S-RA1"]


def test_parallel_build_equals_serial(tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    built = _build(src)
    assert _review(built, src).returncode == 0
    _edit(src, "threats.rst", ":severity: high", ":severity: low")
    serial, parallel = serial_and_parallel(src, tmp_path)
    assert serial == parallel
    assert b"suspect-link" in serial["threats.json"]


def test_a_changed_lock_rewrites_only_the_pages_showing_its_marks(tmp_path: Path) -> None:
    src, _ = _reviewed(ROOT, tmp_path)
    lock = src / "threats.lock"
    lines = lock.read_text(encoding="utf-8").splitlines()
    changed = [
        re.sub(r"sha256:1:\w+", "sha256:1:00", ln) if ln.startswith("M-2 ") else ln for ln in lines
    ]
    lock.write_text("\n".join(changed) + "\n", encoding="utf-8")
    _later(lock)
    again = _build(src)
    assert again.suspects() == _at(ROOT, "M-2")
    # index holds their toctree: Sphinx rewrites it with them; the threats are not
    assert again.written == {"decisions", "matrix", "index"}
    unchanged = _build(src)
    assert unchanged.written == set()
    assert unchanged.suspects() == _at(ROOT, "M-2")
