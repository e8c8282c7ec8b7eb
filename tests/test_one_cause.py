"""One cause, one warning (SPEC: Computed status and scope, Gaps and warnings).

Real builds of ``test-one-cause`` and its MyST twin: a value that counts by
a fallback (an unknown or missing ``:status:``, an unknown ``:effect:``) is
its ``invalid`` warning and no status gap it alone makes; an item without an
ID is one ``invalid`` and no status gap; an unknown ID in ``:mitigates:`` is always
``unknown-ref`` (with "did you mean"), ``orphan-mitigation`` only an unlinked
control; a mitigation written for the wrong service is ``invalid``; a
reference into a source that could not be read is not reported again.
Also: the catalogue message for a bare ``*``, and the README's directive
examples built as they are.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .helpers import built_app, threat_warnings, threats_json

ROOTS = Path(__file__).parent / "roots"
README = Path(__file__).parent.parent / "README.md"

#: Every threats warning of the root, in report order, per syntax: the
#: (file, line, subtype) and what the message must say.  ``None`` for the line
#: of conf.py (the file name only is compared there).
EXPECTED = {
    "rst": [
        ("conf.py", None, "invalid", "missing-threats.json"),
        # the threat without an ID: one invalid, and no status gap of its own
        # (no unmitigated, no service-gap); the references naming the ID it
        # should have name no item (the mitigation without an ID is no orphan)
        ("noid.rst", 4, "invalid", "threat 'Card skimming' has no :id:"),
        ("noid.rst", 8, "invalid", "mitigation 'Tokenised cards' has no :id:"),
        ("noid.rst", 9, "unknown-ref", "'SKIMMING'"),
        ("noid.rst", 15, "unknown-ref", "'SKIMMING'"),
        # the wrong service suppresses nothing: the payments gap stays
        ("payments.rst", 4, "service-gap", "'T-PAY'"),
        ("payments.rst", 11, "invalid", "'M-WRONG' is written for service 'profile'"),
        ("profile.rst", 7, "invalid", "'M-PAGE' is written for service 'profile'"),
        ("refs.rst", 10, "unknown-ref", "did you mean 'TM-SNIFF'?"),
        ("refs.rst", 15, "unknown-ref", "did you mean 'TM-SNIFF'?"),
        ("refs.rst", 18, "orphan-mitigation", "'M-UNLINKED' is an unlinked control"),
        ("refs.rst", 22, "orphan-mitigation", "'M-EMPTY' is an unlinked control"),
        ("status.rst", 11, "invalid", "did you mean 'verified'?"),
        ("status.rst", 21, "invalid", "'done' is not an allowed :status:"),
        ("status.rst", 33, "invalid", "did you mean 'full'?"),
        (
            "status.rst",
            39,
            "invalid",
            "needs :status: (one of: planned, in-progress, implemented, verified)",
        ),
        # planned with or without the misspelt one: still a gap
        ("status.rst", 43, "planned-only", "'T-BOTH'"),
        ("status.rst", 56, "invalid", "did you mean 'implemented'?"),
    ],
    "myst": [
        ("conf.py", None, "invalid", "missing-threats.json"),
        ("noid.md", 3, "invalid", "threat 'Card skimming' has no :id:"),
        ("noid.md", 8, "invalid", "mitigation 'Tokenised cards' has no :id:"),
        ("noid.md", 9, "unknown-ref", "'SKIMMING'"),
        ("noid.md", 16, "unknown-ref", "'SKIMMING'"),
        ("payments.md", 3, "service-gap", "'T-PAY'"),
        ("payments.md", 11, "invalid", "'M-WRONG' is written for service 'profile'"),
        ("profile.md", 7, "invalid", "'M-PAGE' is written for service 'profile'"),
        ("refs.md", 10, "unknown-ref", "did you mean 'TM-SNIFF'?"),
        ("refs.md", 17, "unknown-ref", "did you mean 'TM-SNIFF'?"),
        ("refs.md", 22, "orphan-mitigation", "'M-UNLINKED' is an unlinked control"),
        ("refs.md", 27, "orphan-mitigation", "'M-EMPTY' is an unlinked control"),
        ("status.md", 12, "invalid", "did you mean 'verified'?"),
        ("status.md", 25, "invalid", "'done' is not an allowed :status:"),
        ("status.md", 39, "invalid", "did you mean 'full'?"),
        (
            "status.md",
            47,
            "invalid",
            "needs :status: (one of: planned, in-progress, implemented, verified)",
        ),
        ("status.md", 52, "planned-only", "'T-BOTH'"),
        ("status.md", 67, "invalid", "did you mean 'implemented'?"),
    ],
}


def _copy(root: str, tmp_path: Path) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / root, src)
    return src


@pytest.mark.parametrize(
    ("root", "syntax"), [("test-one-cause", "rst"), ("test-one-cause-myst", "myst")]
)
def test_each_mistake_is_one_warning_at_its_line(tmp_path: Path, root: str, syntax: str) -> None:
    with built_app("html", srcdir=_copy(root, tmp_path)) as app:
        warnings = threat_warnings(app)
        data = threats_json(app)
        status = app.statuscode
    expected = EXPECTED[syntax]
    got = [(f, line if f != "conf.py" else None, kind) for f, line, kind in warnings]
    assert got == [(f, line, kind) for f, line, kind, _ in expected]
    # the same gaps in threats.json, each message saying what the test expects
    gaps = [(g["file"], g["lineno"], g["kind"], g["message"]) for g in data["gaps"]]
    assert len(gaps) == len(expected)
    for (file, line, kind, message), (want_file, want_line, want_kind, says) in zip(
        gaps, expected, strict=True
    ):
        if want_line is None:  # conf.py: where it is written is not this test's concern
            file = Path(file).name
        assert (file, kind) == (want_file, want_kind)
        assert want_line is None or line == want_line
        assert says in message, message
    threats = {t["id"]: t for t in data["items"]["threats"]}
    # statuses are computed as declared: the fallback values still count ...
    assert threats["T-VF"]["status"] == "planned"
    assert threats["T-EF"]["status"] == "partial"
    # ... and the misplaced mitigations count overall, covering no pair
    assert threats["T-PAY"]["status"] == "mitigated"
    pairs = {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}
    assert pairs[("T-PAY", "payments")] == "unmitigated"
    assert pairs[("T-DONE", "payments")] == "planned"
    assert status == 1  # invalid and unknown-ref fail the build


def _tiny_project(tmp_path: Path, page: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx_threats"]\nthreats_today = "2026-06-01"\n', encoding="utf-8"
    )
    (src / "index.rst").write_text("Model\n=====\n\n" + textwrap.dedent(page), encoding="utf-8")
    return src


def test_a_typo_in_the_only_id_of_mitigates_fails_the_build(tmp_path: Path) -> None:
    """Not an orphan that passes: the same ``unknown-ref`` as among several IDs."""
    src = _tiny_project(
        tmp_path,
        """\
        .. threat:: Sniffing
           :id: TM-SNIFF
           :severity: low

        .. mitigation:: Encrypted links
           :id: M-TLS
           :mitigates: TM-SNIF
           :status: implemented
        """,
    )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        status = app.statuscode
        log = app.warning.getvalue()
    # the threat stays unmitigated: that is a gap of its own, not of the typo
    assert warnings == [("index.rst", 4, "unmitigated"), ("index.rst", 10, "unknown-ref")]
    assert "did you mean 'TM-SNIFF'?" in log
    assert status == 1


def test_an_unquoted_star_in_a_catalogue_says_to_quote_it(tmp_path: Path) -> None:
    src = _tiny_project(tmp_path, "")
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('threats_catalogs = ["product.yaml"]\n')
    (src / "product.yaml").write_text(
        "threats:\n  - id: T-1\n    title: One\n    severity: low\n    applies-to: *\n",
        encoding="utf-8",
    )
    with built_app("html", srcdir=src) as app:
        warnings = threat_warnings(app)
        log = app.warning.getvalue()
    assert warnings == [("product.yaml", 5, "invalid")]
    assert 'quote it: "*"' in log


# -- the README's examples ---------------------------------------------------------------

_FENCE = re.compile(r"^(`{3,})(rst|md)\n(.*?)^\1$", re.MULTILINE | re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _readme_block(syntax: str) -> str:
    """The README's example block for ``syntax`` (``rst`` or ``md``) under
    "Every directive", as a reader would copy it."""
    section = README.read_text(encoding="utf-8").split("## Every directive", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = [m.group(3) for m in _FENCE.finditer(section) if m.group(2) == syntax]
    assert len(blocks) == 1, f"one {syntax} block expected under 'Every directive'"
    return blocks[0]


@pytest.mark.parametrize(
    ("syntax", "page", "title", "extensions"),
    [
        ("rst", "index.rst", "Model\n=====\n\n", '["sphinx_threats"]'),
        ("md", "index.md", "# Model\n\n", '["myst_parser", "sphinx_threats"]'),
    ],
)
def test_readme_examples_build_green(
    tmp_path: Path, syntax: str, page: str, title: str, extensions: str
) -> None:
    """Pasted as they are into a page, under the README's minimal conf.py,
    the examples build with exit status 0 and no warning at all."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f'extensions = {extensions}\nthreats_today = "2026-06-01"\n', encoding="utf-8"
    )
    (src / page).write_text(title + _readme_block(syntax), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    output = _ANSI.sub("", run.stdout + run.stderr)
    assert "WARNING" not in output and "ERROR" not in output, output
    assert run.returncode == 0, output
