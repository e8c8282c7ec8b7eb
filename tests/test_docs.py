"""The reference documentation names what the code produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_threats.config import CONFIG_VALUES
from sphinx_threats.model import GapKind, Kind
from sphinx_threats.schema.options import OPTIONS

from .helpers import built_app, html, threats_json

DOCS = Path(__file__).parent.parent / "docs"
REFERENCE = (DOCS / "reference" / "index.rst").read_text()


@pytest.mark.sphinx("html", testroot="core")
def test_reference_documents_every_threats_json_key(app: SphinxTestApp) -> None:
    app.build()
    data = threats_json(app)
    keys = set(data) | set(data["summary"]) | set(data["gaps"][0] if data["gaps"] else {})
    keys |= {k for entries in data["items"].values() for e in entries for k in e}
    keys |= set(next(iter(data["summary"]["services"].values())))
    keys |= set(data["coverage"][0])
    option_names = {o.replace("_", "-") for o in keys}
    # a key is documented as written (``project_id``) or as an option name (``applies-to``)
    written = {o.replace("_", "-"): o for o in keys}
    documented = {
        k
        for k in option_names
        if any(f"``{n}``" in REFERENCE or f'"{n}"' in REFERENCE for n in (k, written[k]))
    }
    # item options are documented by the generated option tables
    item_options = {o.name for options in OPTIONS.values() for o in options}
    undocumented = sorted(option_names - documented - item_options)
    assert undocumented == []
    for kind in Kind:
        assert f'"{kind.plural}"' in REFERENCE


def test_reference_tables_come_from_the_code() -> None:
    # the tables are generated: the page only has to ask for each of them
    for kind in Kind:
        assert f".. threats-reference:: options {kind.value}" in REFERENCE
    for table in ("config", "warnings", "roles", "reports"):
        assert f".. threats-reference:: {table}" in REFERENCE


def test_generated_tables_name_every_config_value_and_warning(tmp_path: Path) -> None:
    """The docs' own generator (``docs/_ext``), run by a real build, lists every
    configuration value and every ``threats.*`` warning subtype the code has."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "extensions = ['sphinx_threats', 'threats_reference']\n"
    )
    (src / "index.rst").write_text(
        "Reference\n=========\n\n.. threats-reference:: config\n\n.. threats-reference:: warnings\n"
    )
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        page = html(app, "index")
    literals = set(re.findall(r'<span class="pre">([^<]+)</span>', page))
    assert {c.name for c in CONFIG_VALUES} - literals == set()
    assert {f"threats.{k.value}" for k in GapKind} - literals == set()
