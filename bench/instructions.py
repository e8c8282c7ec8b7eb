"""Count the instructions of one analysis, for figures that do not drift.

Wall time on a shared machine moves by 10-20% between runs; the number of
instructions the CPU executes for the same work moves by far less than 0.1%.
This runs the model-only and model-plus-``analyse`` child of ``run.py``'s
analysis benchmark under ``valgrind --tool=cachegrind`` (``PYTHONHASHSEED``
fixed) and prints the difference: the instructions of ``analyse`` alone.

    python bench/instructions.py                       # this checkout
    python bench/instructions.py --tree ../before      # another checkout

Needs ``valgrind`` (Debian: ``apt-get install valgrind``); about 30 s per run
at the default 20,000 threats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _child(tree: Path, n: int, analyse: bool) -> None:
    """Build the model of ``tree``'s own benchmark; analyse it if asked."""
    sys.path[:0] = [str(tree), str(tree / "bench")]
    import run  # the tree's bench/run.py: its model classes, its analysis

    from sphinx_threats.analysis import Settings
    from sphinx_threats.analysis import analyse as analyse_model

    model = run.build_analysis_model(n, n, max(1, n // 100))
    gc.collect()
    if analyse:
        report = analyse_model(model, Settings(today=dt.date(2026, 6, 1)))
        print(f"{len(report.threat_status)} threats analysed, {len(report.gaps)} gaps")


def _count(tree: Path, n: int, analyse: bool) -> int:
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "1" if analyse else "0",
        "--tree",
        str(tree),
        "--threats",
        str(n),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(tree))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"the run under valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=REPO, help="checkout to measure")
    parser.add_argument("--threats", type=int, default=20_000, help="threats (= mitigations)")
    parser.add_argument("--child", choices=("0", "1"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    tree = args.tree.resolve()
    if args.child is not None:
        _child(tree, args.threats, args.child == "1")
        return 0
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    model_only = _count(tree, args.threats, analyse=False)
    with_analysis = _count(tree, args.threats, analyse=True)
    millions = (with_analysis - model_only) / 1e6
    print(f"{tree}: analyse at {args.threats:,} threats: {millions:,.0f} M instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
