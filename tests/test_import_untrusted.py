"""``sphinx-threats import`` of a hostile file: its text stays data.

The source file's name and text never reach ``conf.py`` as code, the pages
as markup, substitutions or directives (in MyST with every extension that
reads more syntax enabled, and in reStructuredText), nor the theme's HTML as
tags; and the output directory is never written through a symbolic link.
Everything runs as the user runs it: the real command, then a real
``sphinx-build``, each a subprocess.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: Slow (real imports built in four themes): in CI, out of the fast lane.
pytestmark = pytest.mark.slow

#: Code that leaves a trace if it ever runs: a directory made in the
#: working directory of whatever runs it (``sphinx-build`` runs ``conf.py``
#: in the project's directory).
TRACE = "PWNED"
RUN = f'__import__("os").mkdir("{TRACE}")'

#: Source file names that try to break out of a string in ``conf.py``.
HOSTILE_NAMES = [
    f'm"""+{RUN}+""".tc.json',
    f"m'''+{RUN.replace(chr(34), chr(39))}+'''.tc.json",
    f'm\n{RUN}\n""".tc.json',
    'm\\"""\\\\{0}\\.tc.json',
]

#: A model name that tries every way out: code, a string's end, HTML.
HOSTILE_TITLE = f'App """+{RUN}+""" \'\'\' \\ {{0}}\n<script>alert(1)</script> & "q"'

#: What ``project`` becomes: the title without anything HTML reads as markup.
PLAIN_TITLE = "App +__import__(os).mkdir(PWNED)+ \\ {0} scriptalert(1)/script and q"

#: MyST extensions that read more of the text as syntax (linkify needs a
#: package the test environment may not have).
MYST_EXTENSIONS = [
    "substitution",
    "dollarmath",
    "amsmath",
    "colon_fence",
    "deflist",
    "fieldlist",
    "attrs_inline",
    "attrs_block",
    "html_admonition",
    "html_image",
    "replacements",
    "smartquotes",
    "strikethrough",
    "tasklist",
]

#: Each payload and the text it must show as (what a reader sees).
PAYLOADS = {
    "{{ 7*191 }}": "{{ 7*191 }}",
    "\\{{ 7*191 }}": "{{ 7*191 }}",
    "{sub-ref}`wordcount-words`": "{sub-ref}",
    "<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\<b>BSLASH</b>": "BSLASH",
    "$x^2$ and $$y^3$$": "$x^2$",
    "\\begin{equation}AMS\\end{equation}": "AMS",
    "[l](javascript:alert(1))": "javascript:alert(1)",
    "[ref][r]\n\n[r]: javascript:alert(2)": "javascript:alert(2)",
    "% COMMENTED": "COMMENTED",
    ":::{raw} html\n<b>COLON</b>\n:::": "COLON",
    "> ```{raw} html\n> <b>QUOTED</b>\n> ```": "QUOTED",
    "```{eval-rst}\n.. raw:: html\n\n   <b>EVALRST</b>\n```": "EVALRST",
    "(tgt)=": "(tgt)=",
    "text {#evilid}": "evilid",
    "+++ BLOCKBREAK": "BLOCKBREAK",
    "|subst|": "|subst|",
    ".. raw:: html\n\n   <b>RSTRAW</b>": "RSTRAW",
    ":abbr:`X (EVALUATED)`": ":abbr:",
    "<!-- HIDDEN -->": "HIDDEN",
}

#: What the HTML must never hold: evaluated or live forms of the payloads.
NEVER = [
    "1337",
    "<script>alert",
    "<b>BSLASH",
    'class="math',
    'href="javascript:',
    "<b>COLON",
    "<b>QUOTED",
    "<b>EVALRST",
    "<b>RSTRAW",
    'id="evilid"',
    'id="tgt"',
    "SUBSTITUTED",
    "<abbr",
    "<!-- HIDDEN",
]


def sphinx_threats(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx_threats", *args], capture_output=True, text=True
    )


def sphinx_build(project: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Build ``project`` with the real sphinx-build."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", *options, str(project), str(out)],
        capture_output=True,
        text=True,
    )


def tc_model(title: str, text: str) -> dict[str, Any]:
    """A Threat Composer workspace carrying ``text`` as prose, statement,
    comments and mitigation content."""
    return {
        "schema": 1,
        "applicationInfo": {"name": title, "description": text},
        "threats": [
            {
                "id": "t-1",
                "numericId": 1,
                "threatAction": "tamper with {{ 7*191 }} $a$",
                "statement": text,
                "metadata": [{"key": "Comments", "value": text}],
            }
        ],
        "mitigations": [{"id": "m-1", "numericId": 1, "content": text}],
        "mitigationLinks": [{"mitigationId": "m-1", "linkedId": "t-1"}],
    }


def conf_values(conf: Path) -> tuple[str, dict[str, Any]]:
    """The docstring and the assignments of a generated ``conf.py``, checked
    to be nothing else: each statement a plain name given a literal."""
    tree = ast.parse(conf.read_text(encoding="utf-8"))
    first, *rest = tree.body
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    assert isinstance(first.value.value, str)
    values = {}
    for statement in rest:
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        (target,) = statement.targets
        assert isinstance(target, ast.Name)
        values[target.id] = ast.literal_eval(statement.value)
    return first.value.value, values


def no_trace(root: Path) -> None:
    assert not [p for p in root.rglob(TRACE)], "code from the source file ran"


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=["dq", "sq", "newline", "backslash"])
def test_conf_py_is_data_only(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.write_text(json.dumps(tc_model(HOSTILE_TITLE, "Text.")), encoding="utf-8")
    project = tmp_path / "project"
    run = sphinx_threats("import", "threat-composer", str(source), "-o", str(project))
    assert run.returncode == 0, run.stderr

    doc, values = conf_values(project / "conf.py")
    assert name in doc
    assert values == {
        "project": PLAIN_TITLE,
        "extensions": ["sphinx_threats", "myst_parser"],
        "exclude_patterns": ["_build", "_prose"],
        "threats_fail_on": [],
    }
    build = sphinx_build(project, tmp_path / "html")
    assert build.returncode == 0, build.stderr
    no_trace(tmp_path)
    # the full name is still on the product page, as text
    product = (tmp_path / "html" / "product.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in product


def test_conf_py_categories_are_data_only(tmp_path: Path) -> None:
    """OTM category names become ``threats_categories`` labels: literals too."""
    label = f'Odd """+{RUN}+""" \'\'\'\n{RUN}'
    model = {
        "otmVersion": "0.2.0",
        "project": {"name": HOSTILE_TITLE, "id": "p"},
        "components": [
            {
                "id": "web",
                "name": "Web",
                "type": "web-server",
                "threats": [{"threat": "t1", "state": "Exists"}],
            }
        ],
        "threats": [{"id": "t1", "name": "T1", "categories": [label]}],
    }
    source = tmp_path / HOSTILE_NAMES[0].replace(".tc.json", ".otm.json")
    source.write_text(json.dumps(model), encoding="utf-8")
    project = tmp_path / "project"
    run = sphinx_threats("import", "otm", str(source), "-o", str(project))
    assert run.returncode == 0, run.stderr
    _, values = conf_values(project / "conf.py")
    assert label.strip() in values["threats_categories"].values()
    assert values["project"] == PLAIN_TITLE
    build = sphinx_build(project, tmp_path / "html")
    assert build.returncode == 0, build.stderr
    no_trace(tmp_path)


def _html_text(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.html")))


@pytest.mark.parametrize("form", ["myst", "rst"])
def test_payloads_stay_text(tmp_path: Path, form: str) -> None:
    text = "\n\n".join(PAYLOADS)
    source = tmp_path / "hostile.tc.json"
    source.write_text(json.dumps(tc_model("Hostile {{ 7*191 }}", text)), encoding="utf-8")
    project = tmp_path / "project"
    run = sphinx_threats("import", "threat-composer", str(source), "-o", str(project), "--to", form)
    assert run.returncode == 0, run.stderr
    with (project / "conf.py").open("a", encoding="utf-8") as conf:
        # the target docs read every syntax there is, and define a substitution
        conf.write(f"myst_enable_extensions = {MYST_EXTENSIONS!r}\n")
        conf.write("rst_epilog = '.. |subst| replace:: SUBSTITUTED'\n")
    build = sphinx_build(project, tmp_path / "html", "-D", "threats_today=2026-12-01")
    assert build.returncode == 0, build.stderr
    warnings = [line for line in build.stderr.splitlines() if "WARNING" in line]
    # only the gaps an unreviewed model has: no substitution, markup or lexer warning
    assert all("[threats." in line for line in warnings), warnings

    html = _html_text(tmp_path / "html")
    assert [bad for bad in NEVER if bad in html] == []
    product = (tmp_path / "html" / "product.html").read_text(encoding="utf-8")
    shown = {payload: seen for payload, seen in PAYLOADS.items() if seen not in product}
    assert shown == {}, "payloads lost instead of shown as text"
    # three places carry the text (prose, statement, mitigation): each shows it
    assert product.count("{{ 7*191 }}") >= 3 * 2


THEMES = [
    theme
    for theme in ("alabaster", "furo", "sphinx_rtd_theme", "pydata_sphinx_theme")
    if importlib.util.find_spec(theme) is not None
]


@pytest.fixture(scope="module")
def script_named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project imported from a model (and a service) named with a ``<script>``."""
    root = tmp_path_factory.mktemp("named")
    source = root / "named.otm.json"
    model = {
        "otmVersion": "0.2.0",
        "project": {"name": "Chat <script>alert('name')</script> <img src=x onerror=alert(2)>"},
        "components": [
            {"id": "svc", "name": "Svc <script>alert('svc')</script>", "type": "service"}
        ],
    }
    source.write_text(json.dumps(model), encoding="utf-8")
    run = sphinx_threats("import", "otm", str(source), "-o", str(root / "project"))
    assert run.returncode == 0, run.stderr
    return root / "project"


@pytest.mark.parametrize("theme", THEMES)
def test_model_name_is_no_markup_in_any_theme(
    script_named: Path, tmp_path: Path, theme: str
) -> None:
    build = sphinx_build(script_named, tmp_path, "-D", f"html_theme={theme}")
    assert build.returncode == 0, build.stderr
    html = _html_text(tmp_path)
    assert "<script>alert" not in html and "<img src=x" not in html
    # the product page keeps the whole name, escaped (quotes made typographic)
    product = (tmp_path / "product.html").read_text(encoding="utf-8")
    assert "Chat &lt;script&gt;alert(\u2018name\u2019)&lt;/script&gt; &lt;img src=x" in product
    service = (tmp_path / "services" / "OTM-S-svc.html").read_text(encoding="utf-8")
    assert "Svc &lt;script&gt;alert(\u2018svc\u2019)&lt;/script&gt;" in service


# --- the output directory -------------------------------------------------------

LINK_REFUSED = re.compile(r"^sphinx-threats import: error: .* is a symbolic link: .*\n$")


@pytest.fixture
def plain_source(tmp_path: Path) -> Path:
    source = tmp_path / "m.tc.json"
    source.write_text(json.dumps(tc_model("Model", "Some *Markdown*.")), encoding="utf-8")
    return source


def _refused(run: subprocess.CompletedProcess[str]) -> None:
    assert run.returncode == 2 and LINK_REFUSED.match(run.stderr), run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize("force", [False, True])
def test_dangling_link_in_output_is_refused(
    tmp_path: Path, plain_source: Path, force: bool
) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "conf.py").symlink_to(outside / "created.py")
    run = sphinx_threats(
        "import", "threat-composer", str(plain_source), "-o", str(out), *(["--force"] * force)
    )
    _refused(run)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["conf.py"]  # nothing written


@pytest.mark.parametrize("force", [False, True])
def test_link_to_a_directory_outside_is_refused(
    tmp_path: Path, plain_source: Path, force: bool
) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    (out / "_prose").symlink_to(outside, target_is_directory=True)
    run = sphinx_threats(
        "import", "threat-composer", str(plain_source), "-o", str(out), *(["--force"] * force)
    )
    _refused(run)
    assert list(outside.iterdir()) == []


def test_output_directory_that_is_a_link_is_refused(tmp_path: Path, plain_source: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").symlink_to(outside, target_is_directory=True)
    out = str(tmp_path / "out")
    run = sphinx_threats("import", "threat-composer", str(plain_source), "-o", out)
    _refused(run)
    assert list(outside.iterdir()) == []


def test_force_replaces_regular_files_only(tmp_path: Path, plain_source: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside.py"
    first = sphinx_threats("import", "threat-composer", str(plain_source), "-o", str(out))
    assert first.returncode == 0, first.stderr
    written = (out / "conf.py").read_bytes()
    # a hard link shares the file: replacing ours must leave the other name alone
    outside.write_text("kept = True\n", encoding="utf-8")
    (out / "conf.py").unlink()
    os.link(outside, out / "conf.py")
    again = sphinx_threats(
        "import", "threat-composer", str(plain_source), "-o", str(out), "--force"
    )
    assert again.returncode == 0, again.stderr
    assert (out / "conf.py").read_bytes() == written
    assert outside.read_text(encoding="utf-8") == "kept = True\n"


def test_a_lone_surrogate_is_one_error_line(tmp_path: Path) -> None:
    """A ``\\ud800`` escape decodes to no text: one located error, exit 2,
    nothing written (it was a ``UnicodeEncodeError`` traceback)."""
    source = tmp_path / "model.tc.json"
    model = json.dumps(tc_model("App", "text"), indent=1)
    source.write_text(model.replace('"App"', '"App \\ud800"', 1), encoding="utf-8")
    line = model.splitlines().index(next(x for x in model.splitlines() if '"App"' in x)) + 1
    run = sphinx_threats("import", "threat-composer", str(source), "-o", str(tmp_path / "out"))
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert "lone surrogate" in run.stderr and f"line {line}" in run.stderr
    assert not (tmp_path / "out").exists()
