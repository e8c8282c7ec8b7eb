"""Build the messenger example in each supported theme and screenshot it.

    python scripts/screenshots.py [--out screenshots] [--pages reports services/relay]

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``docs``
extra (furo, sphinx-rtd-theme).  Writes ``<out>/<theme>-<page>.png``; the
screenshots are for reviewing by eye and are not committed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "messenger"

#: (name, html_theme, extra chromium flags)
THEMES = [
    ("alabaster", "alabaster", []),
    ("furo-light", "furo", []),
    ("furo-dark", "furo", ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]),
    ("rtd", "sphinx_rtd_theme", []),
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def build(theme: str, outdir: Path) -> None:
    """Build the example with ``theme``."""
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
            str(EXAMPLE),
            str(outdir),
        ],
        check=True,
    )


def screenshot(page: Path, png: Path, flags: list[str], width: int, height: int) -> None:
    """Take a headless Chromium screenshot of ``page``."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                *flags,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def main() -> None:
    """Build every theme and screenshot the chosen pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--pages", nargs="+", default=["reports", "services/relay"])
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2400)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        built: dict[str, Path] = {}
        for name, theme, flags in THEMES:
            if theme not in built:
                built[theme] = Path(tmp, theme)
                build(theme, built[theme])
            for page in args.pages:
                png = args.out / f"{name}-{page.replace('/', '-')}.png"
                screenshot(built[theme] / f"{page}.html", png, flags, args.width, args.height)
                print(png)


if __name__ == "__main__":
    main()
