"""What aggregating many member projects costs a product build (``threats_aggregate``).

A product of 50 threats (10 of them ``:applies-to: *``) aggregates 200
member projects, each a ``threats.json`` of 3 services, 20 threats and 20
mitigations, served over HTTP from 127.0.0.1 (every member's services are
called ``api``, ``web`` and ``worker``, as forty teams' would be: IDs are
per project).  Three builds, each ``--runs`` times into a fresh output
directory, medians:

- ``alone``: the product without members (``threats_aggregate = {}``);
- ``aggregated``: the product aggregating the 200 members by URL;
- ``one project``: the same items declared in one project (one page per
  member, IDs prefixed to be unique), the alternative to aggregation.

Targets: aggregation adds less than 5 s to the product's build, and the
aggregated build takes less time than declaring the same items in one project.

Examples::

    python bench/federation.py                  # 200 members, 3 runs
    python bench/federation.py --members 20 --runs 1

Exit status: 0 when both targets pass, 1 when one fails, 2 on a build error.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out" / "federation"

PRODUCT_THREATS = 50
EVERY_SERVICE = 10  # product threats with :applies-to: *
SERVICES = ("api", "web", "worker")
OWN_THREATS = 20
MAX_ADDED = 5.0
TODAY = "2026-06-01"


def product_page() -> str:
    """The product's 50 threats and a platform control every service relies on."""
    lines = ["Product", "=======", ""]
    for n in range(1, PRODUCT_THREATS + 1):
        lines += [f".. threat:: Product threat {n}", f"   :id: TM-{n}", "   :severity: high"]
        lines += ["   :category: spoofing"]
        if n <= EVERY_SERVICE:
            lines.append("   :applies-to: *")
        lines.append("")
    lines += [".. mitigation:: Platform control", "   :id: M-PLAT", "   :status: verified"]
    lines.append("   :mitigates: " + ", ".join(f"TM-{n}" for n in range(1, PRODUCT_THREATS + 1)))
    lines += ["", ".. toctree::", "   :glob:", "", "   members/*", ""]
    return "\n".join(lines)


def member_file(m: int) -> dict[str, Any]:
    """Member ``m``'s ``threats.json``: its own items only, as a build writes them."""

    def entry(ident: str, title: str, line: int, **options: Any) -> dict[str, Any]:
        return {
            "id": ident,
            "title": title,
            "docname": "index",
            "file": "index.rst",
            "lineno": line,
            "uri": f"index.html#{ident}",
            "tags": [],
            **options,
        }

    services = [
        entry(s, f"Member {m} {s}", 3 + i, owner=f"team-{m}", **{"relies-on": ["product:M-PLAT"]})
        for i, s in enumerate(SERVICES)
    ]
    threats, mitigations = [], []
    for t in range(1, OWN_THREATS + 1):
        service = SERVICES[t % len(SERVICES)]
        threats.append(
            entry(
                f"T-{t}",
                f"Member {m} threat {t}",
                10 + t,
                severity="medium",
                category=["tampering"],
                service=service,
            )
        )
        mitigations.append(
            entry(
                f"M-{t}",
                f"Member {m} control {t}",
                40 + t,
                mitigates=[f"T-{t}"],
                status="implemented",
                service=service,
            )
        )
    return {
        "schema": 1,
        "project": f"Member {m}",
        "project_id": f"member-{m}",
        "items": {"services": services, "threats": threats, "mitigations": mitigations},
        "coverage": [],
        "gaps": [],
        "summary": {},
    }


def one_project_page(m: int) -> str:
    """Member ``m``'s items declared in the product itself (IDs made unique)."""
    lines = [f"Member {m}", "=" * len(f"Member {m}"), ""]
    for s in SERVICES:
        lines += [f".. service:: Member {m} {s}", f"   :id: m{m}-{s}", f"   :owner: team-{m}"]
        lines += ["   :relies-on: M-PLAT", ""]
    for t in range(1, OWN_THREATS + 1):
        service = f"m{m}-{SERVICES[t % len(SERVICES)]}"
        lines += [f".. threat:: Member {m} threat {t}", f"   :id: m{m}-T-{t}"]
        lines += ["   :severity: medium", "   :category: tampering", f"   :service: {service}", ""]
        lines += [f".. mitigation:: Member {m} control {t}", f"   :id: m{m}-M-{t}"]
        lines += [
            f"   :mitigates: m{m}-T-{t}",
            "   :status: implemented",
            f"   :service: {service}",
        ]
        lines.append("")
    return "\n".join(lines)


def conf(aggregate: dict[str, str]) -> str:
    return (
        'extensions = ["sphinx_threats"]\nproject = "Product"\n'
        f'threats_today = "{TODAY}"\nthreats_fail_on = []\n'
        f"threats_aggregate = {aggregate!r}\n"
    )


def generate(members: int) -> tuple[Path, Path, Path]:
    """The member files, the product and the one-project flavour under ``OUT``."""
    shutil.rmtree(OUT, ignore_errors=True)
    served = OUT / "served"
    for m in range(1, members + 1):
        path = served / f"m{m}" / "threats.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(member_file(m)), encoding="utf-8")
    product = OUT / "product"
    (product / "members").mkdir(parents=True)
    (product / "index.rst").write_text(product_page(), encoding="utf-8")
    (product / "members" / "none.rst").write_text("Members\n=======\n", encoding="utf-8")
    single = OUT / "one-project"
    (single / "members").mkdir(parents=True)
    (single / "index.rst").write_text(product_page(), encoding="utf-8")
    for m in range(1, members + 1):
        (single / "members" / f"m{m}.rst").write_text(one_project_page(m), encoding="utf-8")
    (single / "conf.py").write_text(conf({}), encoding="utf-8")
    return served, product, single


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    # the listen backlog, read when the server starts listening (in its
    # constructor: setting it on the instance afterwards changed nothing).
    # With socketserver's 5, the build's 16 parallel fetches overflowed it and
    # the kernel dropped connections, each retried a second later: about 1 s
    # lost per burst, a harness artefact no real web server shows
    request_queue_size = 256


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """``directory`` served on 127.0.0.1 (many requests at once); the base URL."""
    handler = functools.partial(_Quiet, directory=os.fspath(directory))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def build(src: Path) -> float:
    """Wall time of a full HTML build of ``src`` into a fresh directory."""
    out = src.parent / f"{src.name}-build"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(2)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    served, product, single = generate(args.members)
    times: dict[str, list[float]] = {"alone": [], "aggregated": [], "one project": []}
    with serve(served) as base:
        aggregate = {f"m{m}": f"{base}/m{m}/threats.json" for m in range(1, args.members + 1)}
        for _ in range(args.runs):
            (product / "conf.py").write_text(conf({}), encoding="utf-8")
            times["alone"].append(build(product))
            (product / "conf.py").write_text(conf(aggregate), encoding="utf-8")
            times["aggregated"].append(build(product))
            times["one project"].append(build(single))
        data = json.loads((OUT / "product-build" / "threats.json").read_text())
    members = {e.get("project") for e in data["items"]["services"]} - {None}
    assert len(members) == args.members, f"{len(members)} members read, not {args.members}"
    median = {name: statistics.median(values) for name, values in times.items()}
    added = median["aggregated"] - median["alone"]
    print(f"{args.members} members, {len(data['coverage'])} pairs, medians of {args.runs} run(s)")
    for name, value in median.items():
        print(f"  {name:<12} {value:6.2f} s")
    ok_added = added < MAX_ADDED
    ok_cheaper = median["aggregated"] < median["one project"]
    print(
        f"  added by aggregation {added:5.2f} s (target < {MAX_ADDED:.0f} s): "
        f"{'PASS' if ok_added else 'FAIL'}"
    )
    print(
        f"  aggregated vs one project {median['aggregated']:.2f} s < "
        f"{median['one project']:.2f} s: {'PASS' if ok_cheaper else 'FAIL'}"
    )
    return 0 if ok_added and ok_cheaper else 1


if __name__ == "__main__":
    raise SystemExit(main())
