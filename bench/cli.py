"""Time the ``sphinx-threats`` command on the benchmark's ``threats.json``.

The command must start fast: a ``report`` on the S=100 model (2,020 threats,
about 570 gaps, a 1.9 MB ``threats.json``) takes under 0.5 s.  This script
generates the model's ``threats`` flavour (bench/generate.py) and builds it once
with the ``dummy`` builder unless ``--json`` names a file, then runs each
command ``--runs`` times in a fresh interpreter (``python -m sphinx_threats``,
as a user or a CI job does) and prints the median wall times.

Examples::

    python bench/cli.py                    # S=100, T=20, 5 runs
    python bench/cli.py -S 5 -T 3 --runs 1 # a quick check
    python bench/cli.py --json _build/html/threats.json

Exit status: 0 when ``report`` is under the target, 1 when it is not, 2 when
the build failed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402

#: seconds a ``report`` of the S=100 model may take
TARGET_REPORT = 0.5


def threats_json(services: int, threats: int, out: Path, rebuild: bool) -> Path:
    """The ``threats.json`` of the generated model, built when missing."""
    root = out / f"s{services}-t{threats}"
    target = root / "_build" / "threats" / "dummy" / "threats.json"
    if target.exists() and not rebuild:
        return target
    generate.generate(services, threats, ["threats"], root)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "dummy",
            "-q",
            str(root / "threats"),
            str(target.parent),
            "-d",
            str(target.parent.parent / "doctrees"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode not in (0, 1) or not target.exists():  # 1: the model's gaps
        print(build.stderr[-3000:], file=sys.stderr)
        raise SystemExit(2)
    return target


def timed(args: list[str], runs: int) -> tuple[float, int]:
    """Median wall time of ``python -m sphinx_threats ARGS`` and its exit status."""
    times = []
    status = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "sphinx_threats", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        times.append(time.perf_counter() - start)
        if done.returncode == 2:
            print(done.stderr.decode(errors="replace"), file=sys.stderr)
            raise SystemExit(2)
        status = done.returncode
    return statistics.median(times), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-S", "--services", type=int, default=100)
    parser.add_argument("-T", "--threats", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=BENCH / "out")
    parser.add_argument("--json", type=Path, help="time this threats.json instead")
    parser.add_argument("--rebuild", action="store_true", help="generate and build again")
    args = parser.parse_args()
    path = args.json or threats_json(args.services, args.threats, args.out, args.rebuild)
    file = str(path)
    sarif = str(path.with_suffix(".sarif"))
    commands = [
        ("report", ["report", file]),
        ("report --format json", ["report", file, "--format", "json"]),
        ("report --format markdown", ["report", file, "--format", "markdown"]),
        ("report --format github", ["report", file, "--format", "github"]),
        ("diff FILE FILE", ["diff", file, file]),
        ("sarif", ["sarif", file, "-o", sarif]),
        ("--version (start-up alone)", ["--version"]),
    ]
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB), median of {args.runs} runs")
    figures = {}
    for label, command in commands:
        figures[label], _ = timed(command, args.runs)
        print(f"  {label:<28} {figures[label]:6.3f} s")
    ok = figures["report"] < TARGET_REPORT
    print(f"report under {TARGET_REPORT} s: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
