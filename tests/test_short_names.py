"""The short directive names (``threat``, ...) when another extension takes them.

``tests/test_core.py`` covers a name taken before our ``setup()``; here the
other extension registers at ``config-inited``, after it, as sphinx-needs can.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import ROOTS
from .helpers import built_app, threats_json


def test_a_short_name_taken_after_setup_is_said(tmp_path: Path) -> None:
    """17: sphinx-needs-like registration at config-inited, after our setup()."""
    src = tmp_path / "late-extension"
    shutil.copytree(ROOTS / "test-late-extension", src)
    for _ in range(2):  # on every build, also an unchanged one
        with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
            text = app.warning.getvalue()
            assert text.count("the directive name 'threat' is taken by another extension") == 1
            assert "'threats:threat' form" in text
            assert [t["id"] for t in threats_json(app)["items"]["threats"]] == ["T-1"]
