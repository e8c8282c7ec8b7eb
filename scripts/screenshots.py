"""Build the example reports in each supported theme and screenshot each report.

    python scripts/screenshots.py [--out screenshots]

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``test`` and
``docs`` extras (selenium; furo, sphinx-rtd-theme, pydata-sphinx-theme).
Writes ``<out>/<theme>-<project>-<report>.png`` for the messenger example, the
``test-reports`` test root (a wide matrix, a likelihood x impact risk map)
and a generated model of 60 services and 200 threats (the coverage grid).
The screenshots are for reviewing by eye and are not committed.

    python scripts/screenshots.py --graphs [--out screenshots]

shoots the ``threat-graph`` and ``threat-dfd`` pictures instead: the
relay's graph, the service map and the data-flow diagram of the messenger
example, in alabaster, furo and sphinx-rtd-theme, at 1280 and 390 px wide
(``<theme>-<width>-<page>-<report>-<n>.png``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, serve, set_dark, write_grid_project  # noqa: E402

#: (name, html_theme, dark)
THEMES = [
    ("alabaster", "alabaster", False),
    ("furo-light", "furo", False),
    ("furo-dark", "furo", True),
    ("rtd", "sphinx_rtd_theme", False),
    ("pydata-light", "pydata_sphinx_theme", False),
    ("pydata-dark", "pydata_sphinx_theme", True),
]

REPORTS = ("threat-matrix", "threat-coverage", "threat-summary", "threat-risk-map")


def build(source: Path, theme: str, outdir: Path) -> None:
    """Build ``source`` with ``theme``."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-b",
            "html",
            "-D",
            f"html_theme={theme}",
            str(source),
            str(outdir),
        ],
        check=True,
    )


#: (theme name, html_theme) and the widths of the graph screenshots.
GRAPH_THEMES = [("alabaster", "alabaster"), ("furo", "furo"), ("rtd", "sphinx_rtd_theme")]
GRAPH_WIDTHS = (1280, 390)
GRAPH_PAGES = ("services/relay", "reports", "data-flows")
GRAPH_REPORTS = ("threat-graph", "threat-dfd")


def graph_shots(out: Path, height: int) -> None:
    """Screenshot every ``threat-graph`` and ``threat-dfd`` of :data:`GRAPH_PAGES`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        for name, theme in GRAPH_THEMES:
            build(ROOT / "examples" / "messenger", theme, Path(tmp, name))
        for width in GRAPH_WIDTHS:
            with chromium(width, height) as driver, serve(Path(tmp)) as base:
                for name, _theme in GRAPH_THEMES:
                    for page in GRAPH_PAGES:
                        driver.get(f"{base}/{name}/{page}.html")
                        # the pictures are <object>s, loaded after the page
                        WebDriverWait(driver, 30).until(
                            lambda d: d.execute_script(
                                "return [...document.querySelectorAll('object.threats-graph')]"
                                ".every(o => o.contentDocument && o.contentDocument.rootElement)"
                            )
                        )
                        shots = [
                            (report, n, graph)
                            for report in GRAPH_REPORTS
                            for n, graph in enumerate(
                                driver.find_elements(By.CSS_SELECTOR, f"div.{report}")
                            )
                        ]
                        for report, n, graph in shots:
                            png = out / f"{name}-{width}-{page.replace('/', '-')}-{report}-{n}.png"
                            # furo scrolls smoothly: jump, or the shot is taken mid-scroll
                            driver.execute_script(
                                "arguments[0].scrollIntoView({behavior: 'instant'})", graph
                            )
                            graph.screenshot(str(png))
                            print(png)


def main() -> None:
    """Build every theme and screenshot the first report of each kind per project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--graphs", action="store_true", help="shoot the threat graphs only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.graphs:
        graph_shots(args.out, args.height)
        return
    with tempfile.TemporaryDirectory() as tmp:
        projects = {
            "messenger": (ROOT / "examples" / "messenger", "reports"),
            "wide": (ROOT / "tests" / "roots" / "test-reports", "reports"),
            "grid60": (write_grid_project(Path(tmp, "grid-src")), "index"),
        }
        built: dict[str, Path] = {}
        for theme in dict.fromkeys(t for _, t, _ in THEMES):
            built[theme] = Path(tmp, theme)
            for project, (source, _page) in projects.items():
                build(source, theme, built[theme] / project)
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By

        with chromium(args.width, args.height) as driver:
            for name, theme, dark in THEMES:
                with serve(built[theme]) as base:
                    for project, (_source, page) in projects.items():
                        driver.get(f"{base}/{project}/{page}.html")
                        if dark:
                            set_dark(driver)
                        for report in REPORTS:
                            found = driver.find_elements(By.CSS_SELECTOR, f"div.{report}")
                            if not found:
                                continue
                            png = args.out / f"{name}-{project}-{report}.png"
                            driver.execute_script("arguments[0].scrollIntoView()", found[0])
                            try:
                                found[0].screenshot(str(png))
                            except TimeoutException:  # a very tall report on a busy machine
                                print(f"{png}: timed out", file=sys.stderr)
                                continue
                            print(png)


if __name__ == "__main__":
    main()
