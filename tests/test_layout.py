"""The matrix in a real browser: it fits its container in the common themes
(or scrolls inside it, never the page); tags wrap and IDs never break.

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
            # IDs never break (MIT-BACKUP- / LOCK): a matrix of long IDs may be
            # wider than the text column; then it scrolls inside its own
            # container, never the page
            assert all(scrolls for *_where, scrolls in found["beyond"]), found
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


#: JavaScript: field names and values of item blocks broken inside a word (a
#: line per few letters: more lines than pieces between spaces and hyphens),
#: and report IDs whose text wraps (more than one line box).
WRAP_PROBE = """
function lines(el) {
  // the tops of the element's text, line by line (a badge's text sits a few
  // pixels off its line's plain text: tops closer than half an em are one line)
  const tops = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
  }
  tops.sort((a, b) => a - b);
  const half = parseFloat(getComputedStyle(el).fontSize) / 2;
  return tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
}
const broken = [];
for (const el of document.querySelectorAll('dl.threats-fields > dt, dl.threats-fields > dd')) {
  const text = el.textContent.trim();
  const pieces = text.split(/[\\s-]+/).filter(Boolean).length;
  if (text && lines(el) > pieces) broken.push([text, lines(el), pieces]);
}
const ids = Array.from(document.querySelectorAll('.threats-id'));
return {
  fields: document.querySelectorAll('dl.threats-fields > dd').length,
  broken: broken,
  ids: ids.length,
  wrapped: ids.filter(el => el.getClientRects().length !== 1 || lines(el) !== 1)
    .map(el => el.textContent),
};
"""

EXPOSURE_ROOT = Path(__file__).parent / "roots" / "test-exposure"


@pytest.mark.parametrize("theme", ("alabaster", "furo"))
def test_tags_wrap_and_ids_do_not_break(browser_ready: None, theme: str, tmp_path: Path) -> None:
    __import__(theme)
    src = tmp_path / "src"
    shutil.copytree(EXPOSURE_ROOT, src)
    with (
        built_app("html", srcdir=src, confoverrides={"html_theme": theme}) as app,
        serve(Path(app.outdir)) as base,
    ):
        for width in (1280, 390):
            with chromium(width, 800) as driver:
                for page in ("index", "reports"):
                    driver.get(f"{base}/{page}.html")
                    found = driver.execute_script(WRAP_PROBE)
                    assert found["ids"] > 0, (page, found)
                    if page == "index":
                        assert found["fields"] > 0, found
                    # a long tag wraps; no field name or value one letter per line
                    assert found["broken"] == [], (theme, width, page, found["broken"])
                    # MIT-BACKUP-LOCK stays whole in the narrow matrix
                    assert found["wrapped"] == [], (theme, width, page, found["wrapped"])


GRAPH_ROOT = Path(__file__).parent / "roots" / "test-graph"

#: The first linked node of the page's first graph: its link, and where its
#: centre is relative to the centre of the <object> holding the SVG.
_GRAPH_NODE = """
const object = document.querySelector("object.threats-graph");
const svg = object.contentDocument;
const link = svg.querySelector("a[target='_top']");
const box = link.getBoundingClientRect();
// a picture wider than its column scrolls inside the report: bring the node into view
const scroller = object.closest("div.graphviz");
scroller.scrollLeft = Math.max(0, box.x - 20);
const outer = object.getBoundingClientRect();
const page = document.scrollingElement;
// WebDriver offsets start at the centre of the element's visible part
const left = Math.max(outer.left, 0), right = Math.min(outer.right, window.innerWidth);
const top = Math.max(outer.top, 0), bottom = Math.min(outer.bottom, window.innerHeight);
return {
  href: link.getAttributeNS("http://www.w3.org/1999/xlink", "href") || link.getAttribute("href"),
  dx: Math.round(outer.left + box.x + box.width / 2 - (left + right) / 2),
  dy: Math.round(outer.top + box.y + box.height / 2 - (top + bottom) / 2),
  pageScrollsSideways: page.scrollWidth > page.clientWidth + 1,
  fontPx: object.getBoundingClientRect().width / svg.documentElement.viewBox.baseVal.width
    * 10 * 4 / 3,
};
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_graph_fits_and_its_nodes_are_links(
    browser_ready: None, width: int, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    src = tmp_path / "src"
    shutil.copytree(GRAPH_ROOT, src)
    with (
        built_app("html", srcdir=src) as app,
        serve(Path(app.outdir)) as base,
        chromium(width, 800) as driver,
    ):
        driver.get(f"{base}/services/web.html")
        graph = driver.find_element(By.CSS_SELECTOR, "object.threats-graph")
        WebDriverWait(driver, 20).until(
            lambda d: d.execute_script(
                "const o = document.querySelector('object.threats-graph');"
                "return o.contentDocument && o.contentDocument.querySelector('a') !== null;"
            )
        )
        driver.execute_script("arguments[0].scrollIntoView()", graph)
        png = tmp_path / f"graph-{width}.png"
        graph.screenshot(str(png))
        assert png.stat().st_size > 2000  # a picture, not an empty box
        node = driver.execute_script(_GRAPH_NODE)
        assert not node["pageScrollsSideways"], node  # the report scrolls, never the page
        assert node["fontPx"] >= 8, node  # 10pt labels drawn at 8 px or more
        # a real click on the node's box follows its link, in the top window
        ActionChains(driver).move_to_element_with_offset(
            graph, node["dx"], node["dy"]
        ).click().perform()
        fragment = node["href"].split("#", 1)[1]
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith(f"#{fragment}"))
        assert driver.find_elements(By.ID, fragment)
