"""Headless Chromium for layout tests and screenshots (Debian's ``chromium``
and ``chromium-driver``), and a local HTTP server for built HTML.

Pages are served over http://127.0.0.1, not opened as file:// URLs: themes'
scripts (sphinx-rtd-theme wraps tables in its own scrolling container from
JavaScript) and stylesheets then load as on a published site.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: As root on a CI machine: no sandbox, no GPU, and nothing fetched from the
#: network (no QUIC, updates, sync or first-run pages).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def missing_browser() -> str | None:
    """Why no browser can run here (``None``: one can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[Any]:
    """A headless Chromium driven by Selenium, with a fresh profile.

    Selenium Manager is never asked for a driver (it would download one):
    the driver and the browser are Debian's.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={width},{height}")
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            # the window size includes no browser chrome in headless mode;
            # set the viewport exactly
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            yield driver
        finally:
            driver.quit()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=os.fspath(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


#: JavaScript: every report table header cell whose right edge lies beyond
#: its scrolling container (the nearest ancestor that clips or scrolls
#: sideways, else the viewport), with whether that container is one that
#: scrolls (not the page), and whether the page scrolls sideways.
LAYOUT_PROBE = """
const found = [];
function container(el) {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return p;
  }
  return document.documentElement;
}
for (const th of document.querySelectorAll(arguments[0])) {
  const box = container(th).getBoundingClientRect();
  const right = Math.min(box.right, document.documentElement.clientWidth);
  const edge = th.getBoundingClientRect().right;
  const scrolls = container(th) !== document.documentElement;
  if (edge > right + 0.5) found.push([th.textContent.trim(), edge, right, scrolls]);
}
const page = document.scrollingElement;
return {
  beyond: found,
  headers: document.querySelectorAll(arguments[0]).length,
  pageScrollsSideways: page.scrollWidth > page.clientWidth,
  narrowestTitle: Math.min(...Array.from(
    document.querySelectorAll('table.threats-matrix td p.threats-threat'),
    p => p.getBoundingClientRect().width)),
  em: parseFloat(getComputedStyle(
    document.querySelector('table.threats-matrix td') || document.body).fontSize),
};
"""

#: JavaScript: the contrast ratio of every badge and risk-map cell against
#: the background it is drawn on (its own, else the nearest opaque ancestor's).
CONTRAST_PROBE = """
function rgb(s) { const m = s.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; }
function lum([r, g, b]) {
  const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function background(el) {
  for (let p = el; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c[3] > 0.5) return c;
  }
  return [255, 255, 255, 1];
}
const out = [];
for (const el of document.querySelectorAll(arguments[0])) {
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  out.push([el.className, el.textContent.trim(), Math.round(ratio * 100) / 100]);
}
return out;
"""


def which_chromium() -> str | None:
    """The Chromium binary, if installed."""
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def set_dark(driver: Any) -> None:
    """Switch the page's theme to dark, as its own toggle would (furo keeps
    the choice on ``body``, pydata-sphinx-theme on ``html``)."""
    driver.execute_script(
        "document.body.dataset.theme = 'dark';"
        "document.documentElement.dataset.theme = 'dark';"
        "document.documentElement.dataset.mode = 'dark';"
    )


def write_grid_project(root: Path, services: int = 60, threats: int = 200) -> Path:
    """A project of ``services`` services and ``threats`` product threats
    (each in scope for a few services, some with a mitigation) whose only
    report page holds a coverage grid; returns its source directory."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "conf.py").write_text(
        'project = "grid"\nextensions = ["sphinx_threats"]\n'
        'threats_today = "2026-06-01"\nthreats_fail_on = []\n',
        encoding="utf-8",
    )
    lines = ["Grid", "====", "", ".. threat-coverage::", "   :layout: grid", ""]
    for t in range(threats):
        scope = ", ".join(f"svc-{(t * 7 + k) % services:02d}-backend" for k in range(4))
        lines += [
            f".. threat:: Threat {t} against the backend fleet",
            f"   :id: T-{t:03d}",
            "   :severity: high",
            f"   :applies-to: {scope}",
            "",
        ]
        if t % 3:
            covering = f"svc-{(t * 7) % services:02d}-backend"
            lines += [
                f".. mitigation:: Control {t}",
                f"   :id: M-{t:03d}",
                f"   :mitigates: T-{t:03d}",
                "   :status: implemented" if t % 3 == 1 else "   :status: planned",
                *([] if t % 3 == 1 else ["   :due: 2026-12-01"]),
                f"   :service: {covering}",
                "",
            ]
    # the services last: a threat after a service on its page would be its own
    for s in range(services):
        lines += [f".. service:: Service number {s}", f"   :id: svc-{s:02d}-backend", ""]
    (root / "index.rst").write_text("\n".join(lines), encoding="utf-8")
    return root
