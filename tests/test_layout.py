"""The matrix in a real browser: it fits its container in the common themes.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``, installed
by ``.ci/run``) opens the ``test-reports`` root built with each theme, served
over http://127.0.0.1 (see ``tests/browser.py``), at 1280 x 800.  Skipped,
with the reason, only where no browser exists outside CI; in CI (``CI`` set)
a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .browser import CONTRAST_PROBE, LAYOUT_PROBE, chromium, missing_browser, serve, set_dark
from .helpers import built_app

ROOT = Path(__file__).parent / "roots" / "test-reports"
THEMES = ("alabaster", "furo", "sphinx_rtd_theme", "pydata_sphinx_theme")


#: A real browser on every theme:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser_ready() -> None:
    """Fail in CI, skip elsewhere, when no browser can run."""
    why = missing_browser()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser layout test: {why}")
    pytest.skip(f"no browser: {why}")


@pytest.mark.parametrize("theme", THEMES)
def test_matrix_fits_its_container(browser_ready: None, theme: str, tmp_path: Path) -> None:
    # the themes are in the test extra: missing one is a broken install, not a skip
    __import__(theme)
    src = tmp_path / "src"
    shutil.copytree(ROOT, src)
    overrides = {"html_theme": theme}
    with (
        built_app("html", srcdir=src, confoverrides=overrides) as app,
        serve(Path(app.outdir)) as base,
        chromium(1280, 800) as driver,
    ):
        if True:
            driver.get(f"{base}/reports.html")
            found = driver.execute_script(LAYOUT_PROBE, "table.threats-matrix thead th")
            assert found["headers"] >= 8  # both matrices' header cells
            assert found["beyond"] == [], found
            assert not found["pageScrollsSideways"]
            # no title column narrower than about 12 characters
            assert found["narrowestTitle"] >= 6 * found["em"], found
            for dark in (False, True):
                if dark:
                    set_dark(driver)
                ratios = driver.execute_script(
                    CONTRAST_PROBE, ".threats-badge[class*='-status-'], td.threats-risk-cell"
                )
                assert ratios
                low = [r for r in ratios if r[2] < 4.5]
                assert low == [], (theme, dark, low)
