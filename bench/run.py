"""Time the benchmark flavours side by side and compare them with the targets.

Steps (see bench/README.md for what each figure means):

1. generate the three flavours into ``bench/out/s<S>-t<T>/`` (bench/generate.py);
2. build each once (``python -m sphinx -b html -q`` in a subprocess) and check
   that they are equivalent (bench/equivalence.py); stop there if they are not
   (``--force`` times them anyway);
3. full builds: every flavour ``--runs`` times, interleaved (one round builds
   each flavour once, the order rotating), each into a fresh output directory
   with no doctree cache; wall time and the peak RSS of the ``sphinx-build``
   process (``os.wait4``), medians;
4. incremental builds: after the last full build of a flavour, append a
   sentence to one service page's mitigation body and rebuild in place,
   ``--runs`` times; then check the output is still correct (same counts, the
   report page unchanged, the sentence shown) and, for the threats flavour,
   that a change of a mitigation's ``:effect:`` rebuilt incrementally gives
   the same report page and ``threats.json`` as a fresh full build;
5. ``-j 2`` full builds, ``--runs`` times each, interleaved;
6. print a table of figures, ratios and targets with PASS/FAIL.

``--profile`` adds a cProfile run of the threats flavour's full build and
prints the share of the extension's own code (and of the digests and the
review of links; ``--lock`` gives the threats flavour a ``threats_lock``
holding every link, so that every link is judged); ``--analysis`` adds (and
``--analysis-only`` runs just) the timing of ``sphinx_threats.analysis.analyse``
on generated models of 100,000 and 200,000 threats.

Examples::

    python bench/run.py                         # S=100, T=20, 3 runs
    python bench/run.py -S 5 -T 3 --runs 1      # a quick end-to-end check
    python bench/run.py --profile --analysis
    python bench/run.py --analysis-only
    python bench/run.py --elements              # a data-flow diagram and completeness, on / off
    python bench/run.py -S 500 --runs 1 --skip-parallel   # the large case, never in CI

Exit status: 0 when every measured target passed, 1 when one failed or the
flavours are not equivalent, 2 on a build error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import equivalence  # noqa: E402
import generate  # noqa: E402

FLAVOURS = ("threats", "plain", "needs", "bridge")

#: (name, description, limit) of the targets of the performance issue
TARGET_FULL_PLAIN = 0.70
TARGET_FULL_NEEDS = 0.55
#: the sphinx-needs bridge on (every item also a need) over off
TARGET_BRIDGE = 1.3
TARGET_PROFILE_SHARE = 0.15
#: Digests and the lock check (``--lock``): their share of a full build.
TARGET_REVIEW_SHARE = 0.03
TARGET_INCREMENTAL = 0.25
TARGET_RSS_PLAIN = 1.2
TARGET_ANALYSIS_SECONDS = 2.0
TARGET_ANALYSIS_DOUBLING = 2.0
#: one data store and three flows per service, the completeness check on,
#: over the same project without them (``--elements``)
TARGET_ELEMENTS = 1.15


# --------------------------------------------------------------------------- builds


@dataclass
class Build:
    """One sphinx-build run."""

    seconds: float
    #: peak resident set size of the sphinx-build process (and the workers it
    #: waited for), in MiB
    rss_mib: float
    returncode: int
    log: Path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # measure this checkout's extension even when another one is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def run_command(cmd: list[str], log: Path) -> Build:
    """Run ``cmd`` with output to ``log``; wall time and peak RSS of the child."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env())
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss is KiB on Linux, bytes on macOS
            rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        else:  # pragma: no cover - no wait4 (Windows): no memory figure
            proc.wait()
            elapsed = time.perf_counter() - start
            rss = float("nan")
    return Build(elapsed, rss, proc.returncode, log)


def sphinx_build(src: Path, out: Path, *, jobs: int = 1, fresh: bool = True) -> Build:
    """``python -m sphinx -b html -q src out/html -d out/doctrees``."""
    if fresh and out.exists():
        shutil.rmtree(out)
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        str(src),
        str(out / "html"),
        "-d",
        str(out / "doctrees"),
    ]
    if jobs != 1:
        cmd += ["-j", str(jobs)]
    return run_command(cmd, out.parent / f"{out.name}.log")


def _check_ok(build: Build, what: str) -> None:
    if build.returncode != 0:
        tail = build.log.read_text(errors="replace").splitlines()[-25:]
        print(f"\n{what} failed (exit {build.returncode}); end of {build.log}:", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(2)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- results


@dataclass
class Results:
    full: dict[str, list[Build]] = field(default_factory=dict)
    incremental: dict[str, list[Build]] = field(default_factory=dict)
    parallel: dict[str, list[Build]] = field(default_factory=dict)
    #: (target description, measured value text, limit text, passed)
    verdicts: list[tuple[str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)

    def verdict(self, name: str, value: float, limit: float, fmt: str = "{:.2f}") -> None:
        ok = value <= limit
        self.verdicts.append((name, fmt.format(value), f"<= {fmt.format(limit)}", ok))


def _time(builds: list[Build]) -> float:
    return _median([b.seconds for b in builds])


def _rss(builds: list[Build]) -> float:
    return _median([b.rss_mib for b in builds])


# --------------------------------------------------------------------------- steps


def check_equivalence(root: Path, flavours: list[str], force: bool) -> bool:
    print("\n== building each flavour once and checking equivalence")
    for flavour in flavours:
        build = sphinx_build(root / flavour, root / "_build" / flavour)
        _check_ok(build, f"{flavour} build")
        warnings = sum("WARNING" in line for line in build.log.read_text().splitlines())
        print(f"  {flavour:8} {build.seconds:7.1f} s  {warnings} warnings  (log: {build.log})")
    counts, problems = equivalence.check(root, flavours)
    print(equivalence.format_table(counts))
    if problems:
        print(f"\nNOT EQUIVALENT ({len(problems)} differences):")
        for line in problems[:40]:
            print(f"  {line}")
        if not force:
            print("\nnothing timed (use --force to time anyway)")
            return False
        print("\n--force: timing anyway")
    else:
        print("equivalent: " + ", ".join(flavours))
    return True


def time_full(root: Path, flavours: list[str], runs: int, jobs: int, res: Results) -> None:
    label = "full" if jobs == 1 else f"-j {jobs}"
    print(f"\n== {label} builds, fresh output directory, {runs} run(s) each, interleaved")
    store = res.full if jobs == 1 else res.parallel
    for flavour in flavours:
        store[flavour] = []
    for n in range(runs):
        order = flavours[n % len(flavours) :] + flavours[: n % len(flavours)]
        for flavour in order:
            out = root / "_time" / (flavour if jobs == 1 else f"{flavour}-j{jobs}")
            build = sphinx_build(root / flavour, out, jobs=jobs)
            _check_ok(build, f"{label} build of {flavour}")
            store[flavour].append(build)
            print(f"  run {n + 1}: {flavour:8} {build.seconds:7.1f} s  {build.rss_mib:7.0f} MiB")


#: the cache-busting checksum Sphinx appends to asset links when the asset is
#: already in the output directory as the page is written: it may differ
#: between a fresh and an incremental build without the page being wrong
_ASSET_CHECKSUM = re.compile(rb"\?v=[0-9a-f]{8}\b")


def _page_bytes(path: Path) -> bytes:
    """A built page, asset checksums removed (see ``_ASSET_CHECKSUM``)."""
    return _ASSET_CHECKSUM.sub(b"", path.read_bytes())


def _report_bytes(html: Path, manifest: dict) -> bytes:
    return _page_bytes(html / f"{manifest['report_page']}.html")


def _asset_links_differ(a: Path, b: Path) -> bool:
    return a.read_bytes() != b.read_bytes() and _page_bytes(a) == _page_bytes(b)


def time_incremental(root: Path, flavours: list[str], runs: int, res: Results) -> None:
    print(f"\n== incremental builds after editing one service page, {runs} run(s) each")
    for flavour in flavours:
        manifest = json.loads((root / flavour / "bench.json").read_text())
        edit = manifest["edit"]
        page = root / flavour / edit["file"]
        original = page.read_text()
        out = root / "_time" / flavour
        if not (out / "doctrees").is_dir():  # no full build timed: make one
            _check_ok(sphinx_build(root / flavour, out), f"full build of {flavour}")
        res.incremental[flavour] = []
        try:
            text = original
            for n in range(runs):
                sentence = f"Edited in incremental run {n + 1}."
                assert edit["line"] in text, f"{page}: {edit['line']!r} not found"
                text = text.replace(edit["line"], f"{edit['line']} {sentence}", 1)
                edit["line"] = f"{edit['line']} {sentence}"
                page.write_text(text)
                build = sphinx_build(root / flavour, out, fresh=False)
                _check_ok(build, f"incremental build of {flavour}")
                res.incremental[flavour].append(build)
                print(f"  run {n + 1}: {flavour:8} {build.seconds:7.1f} s")
            problems = _check_incremental(root, flavour, manifest, out / "html", runs)
            if flavour == "threats":
                problems += _check_status_change(root, manifest, out)
        finally:
            page.write_text(original)
        if problems:
            res.notes += [f"incremental {flavour}: {p}" for p in problems]
            print(f"  {flavour}: incremental output NOT correct:")
            for p in problems[:20]:
                print(f"    {p}")
        else:
            print(f"  {flavour}: incremental output correct")
        res.extra[f"incremental_correct_{flavour}"] = not problems


def _check_incremental(
    root: Path, flavour: str, manifest: dict, html: Path, runs: int
) -> list[str]:
    """The incrementally built site against the checked full build."""
    problems: list[str] = []
    reference = root / "_build" / flavour / "html"
    now = equivalence.count(html, manifest)
    before = equivalence.count(reference, manifest)
    problems += now.errors
    if now.as_dict() != before.as_dict():
        problems.append("item or link counts differ from the full build's")
    if _report_bytes(html, manifest) != _report_bytes(reference, manifest):
        problems.append(f"{manifest['report_page']}.html differs from the full build's")
    shown = (html / f"{manifest['edit']['docname']}.html").read_text()
    if f"Edited in incremental run {runs}." not in shown:
        problems.append(f"the edit is not shown in {manifest['edit']['docname']}.html")
    return problems


def _check_status_change(root: Path, manifest: dict, out: Path) -> list[str]:
    """Threats flavour: an edit that changes the analysis, rebuilt incrementally,
    must give what a fresh full build of the same sources gives."""
    edit = manifest.get("effect_edit")
    if not edit:
        return []
    page = root / "threats" / edit["file"]
    original = page.read_text()
    needle = f"   :id: {edit['mitigation']}\n"
    if needle not in original:
        return [f"{page}: {needle.strip()} not found"]
    page.write_text(original.replace(needle, needle + "   :effect: partial\n", 1))
    try:
        _check_ok(sphinx_build(root / "threats", out, fresh=False), "incremental threats build")
        fresh = root / "_time" / "threats-fresh"
        _check_ok(sphinx_build(root / "threats", fresh), "fresh threats build")
    finally:
        page.write_text(original)
    problems = []
    for name in (f"{manifest['report_page']}.html", f"{edit['docname']}.html", "threats.json"):
        a, b = out / "html" / name, fresh / "html" / name
        if not a.is_file() or not b.is_file():
            problems.append(f"{name} missing")
        elif _page_bytes(a) != _page_bytes(b):
            problems.append(
                f"after changing {edit['mitigation']}'s :effect:, {name} "
                "differs between the incremental and a fresh full build"
            )
    report_name = f"{manifest['report_page']}.html"
    if _asset_links_differ(out / "html" / report_name, fresh / "html" / report_name):
        print(
            "  (note: asset links of the incremental and the fresh build differ only in "
            "their ?v= checksums)"
        )
    if (fresh / "html" / f"{manifest['report_page']}.html").read_bytes() == _report_bytes(
        root / "_build" / "threats" / "html", manifest
    ):
        problems.append("changing a mitigation's :effect: did not change the report page")
    return problems


# --------------------------------------------------------------------------- profile


def _in_extension(filename: str, package_dir: str) -> bool:
    return filename.startswith(package_dir)


#: The functions of the digests and the review of links (``threats_lock``):
#: (file name, function name).
REVIEW_FUNCTIONS = {
    ("digest.py", "digest_of"),
    ("digest.py", "item_digest"),
    ("digest.py", "collapse"),
    ("directives.py", "body_text"),
    ("lock_file.py", "read_lock"),
    ("review.py", "review_links"),
    ("backlinks.py", "review_mark"),
    ("backlinks.py", "review_notes"),
}


def _review_seconds(raw: dict[Any, Any]) -> float:
    """Cumulative time of :data:`REVIEW_FUNCTIONS` called from outside them."""

    def is_review(func: tuple[str, int, str]) -> bool:
        return (Path(func[0]).name, func[2]) in REVIEW_FUNCTIONS

    return sum(
        entry[3]
        for func, (_cc, _nc, _tt, _ct, callers) in raw.items()
        if is_review(func)
        for caller, entry in callers.items()
        if not is_review(caller)
    )


def _pythonpath() -> list[str]:
    path = os.environ.get("PYTHONPATH", "")
    return [path] if path else []


def add_lock(root: Path) -> None:
    """Give the threats flavour a ``threats_lock`` holding every link (``--lock``):
    build it once, record every link with ``sphinx-threats review --all``."""
    src = root / "threats"
    out = root / "_time" / "lock-build"
    conf = src / "conf.py"
    text = conf.read_text(encoding="utf-8")
    if "threats_lock" not in text:
        conf.write_text(text + 'threats_lock = "threats.lock"\n', encoding="utf-8")
    build = run_command(
        [sys.executable, "-m", "sphinx", "-b", "dummy", "-q", str(src), str(out)],
        root / "_time" / "lock-build.log",
    )
    _check_ok(build, "build for the lock")
    recorded = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx_threats",
            "review",
            str(out / "threats.json"),
            "--lock",
            str(src / "threats.lock"),
            "--by",
            "bench",
            "--all",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *_pythonpath()])},
    )
    if recorded.returncode != 0:
        raise SystemExit(f"sphinx-threats review failed: {recorded.stderr}")
    print(f"  {recorded.stdout.splitlines()[0]}")


def profile_share(root: Path, res: Results) -> None:
    """cProfile a full build of the threats flavour; share of the extension's code.

    The share: for every function in a file under ``sphinx_threats/``, the
    cumulative time of its calls made from a function outside it (a caller in
    Sphinx, docutils, ...), summed, over the total time of the profile. That
    is the time spent in extension frames that are not below another extension
    frame, except where the extension calls back into itself through Sphinx or
    docutils (e.g. a directive parsing content with roles of its own), which
    is counted twice: an upper bound.
    """
    print("\n== profiling a full build of the threats flavour (cProfile)")
    out = root / "_time" / "threats-profile"
    prof = root / "_time" / "threats.prof"
    if out.exists():
        shutil.rmtree(out)
    cmd = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(prof),
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        str(root / "threats"),
        str(out / "html"),
        "-d",
        str(out / "doctrees"),
    ]
    build = run_command(cmd, root / "_time" / "threats-profile.log")
    _check_ok(build, "profiled build")
    package_dir = str(REPO / "sphinx_threats") + os.sep
    stats = pstats.Stats(str(prof))
    raw = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    ext_time = 0.0
    per_function: dict[str, float] = {}
    for func, (_cc, _nc, _tt, _ct, callers) in raw.items():
        if not _in_extension(func[0], package_dir):
            continue
        outside = sum(
            entry[3]
            for caller, entry in callers.items()
            if not _in_extension(caller[0], package_dir)
        )
        if outside:
            ext_time += outside
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})"
            per_function[name] = per_function.get(name, 0.0) + outside
    # docutils parsing the bodies of the items (the user's own text, which
    # every flavour parses) runs below the directives' frames
    body_parse = sum(
        entry[3]
        for func, (_cc, _nc, _tt, _ct, callers) in raw.items()
        if func[2] == "nested_parse" and not _in_extension(func[0], package_dir)
        for caller, entry in callers.items()
        if _in_extension(caller[0], package_dir)
    )
    gross = ext_time / total if total else float("nan")
    share = (ext_time - body_parse) / total if total else float("nan")
    print(
        f"  profiled build {build.seconds:.1f} s wall; profile total {total:.1f} s; "
        f"sphinx_threats (top-level frames) {ext_time:.2f} s = {100 * gross:.1f} %, of which "
        f"docutils parsing the items' bodies {body_parse:.2f} s; the extension's own code "
        f"{ext_time - body_parse:.2f} s = {100 * share:.1f} %"
    )
    review = _review_seconds(raw)
    print(
        f"  digests and the lock check: {review:.3f} s = {100 * review / total:.2f} % "
        "of the profiled build"
    )
    res.verdict(
        "digests and lock check share of a full build (cProfile)",
        review / total,
        TARGET_REVIEW_SHARE,
        "{:.2%}",
    )
    print("  largest entry points into the extension:")
    for name, seconds in sorted(per_function.items(), key=lambda x: -x[1])[:12]:
        print(f"    {seconds:8.3f} s  {100 * seconds / total:5.1f} %  {name}")
    res.verdict(
        "extension's own code share of a full build (cProfile)",
        share,
        TARGET_PROFILE_SHARE,
        "{:.1%}",
    )
    res.extra["profile"] = {
        "total": total,
        "extension": ext_time,
        "body_parse": body_parse,
        "share_with_body_parse": gross,
        "share": share,
        "top": sorted(per_function.items(), key=lambda x: -x[1])[:20],
    }


# --------------------------------------------------------------------------- analysis


def build_analysis_model(
    n_threats: int, n_mitigations: int, n_services: int, scope: int = 5, seed: int = 7
):  # type: ignore[no-untyped-def]
    """A ``sphinx_threats.model.ThreatModel`` built directly (no Sphinx).

    Services are spread over pages; every threat is owned by a service and
    applies to ``scope`` other services on average (between scope-2 and
    scope+2); mitigation n mitigates threat n modulo the number of threats, is
    that threat's owner's control and covers the services in its scope (all
    of them for 9 mitigations in 10, all but one for the rest: service gaps),
    with a few planned or partial ones; a risk acceptance for one threat in 50.
    """
    from sphinx_threats import model as m

    rng = random.Random(seed)
    items: list[object] = []
    services = [f"SVC-{i:05d}" for i in range(n_services)]
    for i, sid in enumerate(services):
        loc = m.Location(f"services/{sid.lower()}.rst", 1, f"services/{sid.lower()}")
        items.append(m.Service(id=sid, title=f"Service {i}", location=loc, owner="team"))
    severities = ("critical", "high", "medium", "low", "info")
    threat_scope: list[tuple[str, ...]] = []
    owner_of: list[str] = []
    for i in range(n_threats):
        owner = services[i % n_services]
        k = rng.randint(max(0, scope - 2), scope + 2)
        applies = tuple(s for s in rng.sample(services, min(k + 1, n_services)) if s != owner)[:k]
        threat_scope.append(applies)
        owner_of.append(owner)
        loc = m.Location(f"services/{owner.lower()}.rst", 10 + i, f"services/{owner.lower()}")
        items.append(
            m.Threat(
                id=f"T-{i:07d}",
                title=f"Threat {i}",
                location=loc,
                category=("tampering",),
                severity=severities[i % 5],
                service=owner,
                applies_to=applies,
            )
        )
    due = dt.date(2027, 1, 1)
    for i in range(n_mitigations):
        t = i % n_threats
        owner = owner_of[t]
        status = rng.choices(("implemented", "verified", "planned", "in-progress"), (80, 12, 5, 3))[
            0
        ]
        loc = m.Location(
            f"services/{owner.lower()}.rst", 10 + n_threats + i, f"services/{owner.lower()}"
        )
        items.append(
            m.Mitigation(
                id=f"M-{i:07d}",
                title=f"Mitigation {i}",
                location=loc,
                mitigates=(f"T-{t:07d}",),
                status=status,
                due=None if status in ("implemented", "verified") else due,
                effect="partial" if rng.random() < 0.05 else "full",
                service=owner,
                applies_to=threat_scope[t] if rng.random() < 0.9 else threat_scope[t][1:],
            )
        )
    for i in range(0, n_threats, 50):
        owner = owner_of[i]
        loc = m.Location(f"services/{owner.lower()}.rst", 5, f"services/{owner.lower()}")
        items.append(
            m.RiskAcceptance(
                id=f"RA-{i:07d}",
                title=f"Acceptance {i}",
                location=loc,
                threats=(f"T-{i:07d}",),
                owner="team",
                expires=dt.date(2027, 6, 30),
            )
        )
    return m.ThreatModel.build(items)  # type: ignore[arg-type]


def _analysis_worker(n: int) -> None:
    """Child process: build the model of size ``n``, time one ``analyse`` on it."""
    sys.path.insert(0, str(REPO))
    from sphinx_threats.analysis import Settings, analyse

    settings = Settings(today=dt.date(2026, 6, 1))
    start = time.perf_counter()
    model = build_analysis_model(n, n, max(1, n // 100))
    built = time.perf_counter() - start
    gc.collect()
    start = time.perf_counter()
    report = analyse(model, settings)
    seconds = time.perf_counter() - start
    figures = {"seconds": seconds, "built": built}
    figures |= {"pairs": len(report.coverage), "gaps": len(report.gaps)}
    print(json.dumps(figures))


def _reference_worker(n: int) -> None:
    """Child process: linear work of the same size, for comparison.

    Inserts ``5 n`` distinct strings (as many as the analysis has pairs) into
    a dict in random order and looks each up once: no sort, nothing but
    linear work, so its doubling ratio is what this machine's memory
    hierarchy alone adds when the data doubles.
    """
    keys = [f"T-{i:07d}/SVC-{i % 1000:05d}" for i in range(5 * n)]
    random.Random(1).shuffle(keys)
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    table = {key: (key, None) for key in keys}
    found = [table[key] for key in keys]
    seconds = time.perf_counter() - start
    gc.enable()
    print(json.dumps({"seconds": seconds, "size": len(found)}))


def time_analysis(res: Results, runs: int, base: int = 100_000) -> None:
    """Time ``analyse`` on the base model and on one twice as large.

    Every run is a fresh process (building the model is not timed), the two
    sizes alternating, so both start from the same clean heap, as the
    analysis does in a build, and a change of load affects both alike.
    """
    print(
        f"\n== analysis alone (sphinx_threats.analysis.analyse), median of {runs} run(s), "
        "one process per run, the sizes alternating"
    )
    sizes = (base, 2 * base)
    samples: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    for round_ in range(runs):
        for n in sizes if round_ % 2 == 0 else sizes[::-1]:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--analysis-worker", str(n)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"analysis run failed:\n{done.stderr}")
            samples[n].append(json.loads(done.stdout.strip().splitlines()[-1]))
    figures = {}
    for n in sizes:
        times = [s["seconds"] for s in samples[n]]
        figures[n] = _median(times)
        last = samples[n][-1]
        print(
            f"  {n:>9,} threats, {n:,} mitigations, {n // 100:,} services, "
            f"{last['pairs']:,} pairs, {last['gaps']:,} gaps: analyse {figures[n]:.2f} s (runs: "
            + ", ".join(f"{t:.2f}" for t in times)
            + f"; model built in {last['built']:.1f} s)"
        )
    small, large = figures[base], figures[2 * base]
    print(f"  doubling the model: x{large / small:.2f} time")
    reference = {}
    for n in sizes:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--reference-worker", str(n)]
        times = []
        for _ in range(runs):
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            times.append(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
        reference[n] = _median(times)
    print(
        f"  for reference, a dict of {5 * base:,} then {10 * base:,} strings filled and read "
        f"in random order (linear work only): {reference[base]:.2f} s, "
        f"{reference[2 * base]:.2f} s, x{reference[2 * base] / reference[base]:.2f}"
    )
    res.extra["analysis_reference"] = {str(k): v for k, v in reference.items()}
    res.verdict(f"analysis of {base:,} threats (s)", small, TARGET_ANALYSIS_SECONDS)
    res.verdict("analysis time, doubled model / model", large / small, TARGET_ANALYSIS_DOUBLING)
    res.extra["analysis"] = {str(k): v for k, v in figures.items()}


# --------------------------------------------------------------------------- table


def print_table(res: Results, flavours: list[str], args: argparse.Namespace) -> None:
    sizes = "analysis only" if args.analysis_only else f"S={args.services}, T={args.threats}"
    print(
        f"\n== results: {sizes}, {args.runs} run(s), medians; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end"
    )
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, store: dict[str, list[Build]], fn, fmt: str) -> None:  # type: ignore[no-untyped-def]
        rows.append((label, [fmt.format(fn(store[f])) if store.get(f) else "-" for f in flavours]))

    def per_full(label: str, store: dict[str, list[Build]]) -> None:
        """Each flavour's time in ``store`` over its full build time."""
        rows.append(
            (
                label,
                [
                    f"{_time(store[f]) / _time(res.full[f]):.2f}"
                    if store.get(f) and res.full.get(f)
                    else "-"
                    for f in flavours
                ],
            )
        )

    if res.full:
        row("full build (s)", res.full, _time, "{:.1f}")
        row("peak RSS, full build (MiB)", res.full, _rss, "{:.0f}")
    if res.incremental:
        row("incremental build (s)", res.incremental, _time, "{:.2f}")
        per_full("incremental / full", res.incremental)
    if res.parallel:
        row("-j 2 full build (s)", res.parallel, _time, "{:.1f}")
        row("peak RSS, -j 2 (MiB)", res.parallel, _rss, "{:.0f}")
        per_full("-j 2 / serial", res.parallel)
    if rows:
        width = max(len(r[0]) for r in rows)
        print(f"{'':{width}}  " + "  ".join(f"{f:>9}" for f in flavours))
        for label, values in rows:
            print(f"{label:{width}}  " + "  ".join(f"{v:>9}" for v in values))

    def ratio(store: dict[str, list[Build]], fn, a: str, b: str) -> float | None:  # type: ignore[no-untyped-def]
        if store.get(a) and store.get(b):
            return fn(store[a]) / fn(store[b])
        return None

    # ratios and targets
    checks = [
        (
            "full build, threats / plain",
            ratio(res.full, _time, "threats", "plain"),
            TARGET_FULL_PLAIN,
        ),
        (
            "full build, threats / needs",
            ratio(res.full, _time, "threats", "needs"),
            TARGET_FULL_NEEDS,
        ),
        ("peak RSS, threats / plain", ratio(res.full, _rss, "threats", "plain"), TARGET_RSS_PLAIN),
        (
            "full build, bridge on / off (bridge / threats)",
            ratio(res.full, _time, "bridge", "threats"),
            TARGET_BRIDGE,
        ),
        (
            "full build, elements on / off (elements / threats)",
            ratio(res.full, _time, "elements", "threats"),
            TARGET_ELEMENTS,
        ),
    ]
    if res.incremental.get("threats") and res.full.get("threats"):
        checks.append(
            (
                "incremental / full build, threats",
                _time(res.incremental["threats"]) / _time(res.full["threats"]),
                TARGET_INCREMENTAL,
            )
        )
    for name, value, limit in checks:
        if value is not None:
            res.verdict(name, value, limit)
    if "incremental_correct_threats" in res.extra:
        ok = bool(res.extra["incremental_correct_threats"])
        res.verdicts.append(
            (
                "report pages correct after incremental builds, threats",
                "yes" if ok else "no",
                "yes",
                ok,
            )
        )
    informational = [
        ("-j 2, threats / plain", ratio(res.parallel, _time, "threats", "plain")),
        ("-j 2, threats / needs", ratio(res.parallel, _time, "threats", "needs")),
        ("full build, needs / plain", ratio(res.full, _time, "needs", "plain")),
        ("-j 2, bridge / threats", ratio(res.parallel, _time, "bridge", "threats")),
        ("incremental, bridge / threats", ratio(res.incremental, _time, "bridge", "threats")),
    ]
    if res.verdicts or any(v is not None for _, v in informational):
        print()
        width = max([len(v[0]) for v in res.verdicts] + [len(i[0]) for i in informational])
        print(f"{'ratio / figure':{width}}  {'value':>8}  {'target':>9}  result")
        for name, value, limit, ok in res.verdicts:
            print(f"{name:{width}}  {value:>8}  {limit:>9}  {'PASS' if ok else 'FAIL'}")
        for name, value in informational:
            if value is not None:
                print(f"{name:{width}}  {value:8.2f}  {'-':>9}  (no target)")
    for note in res.notes:
        print(f"note: {note}")
    if not args.analysis_only and not _at_target_size(args):
        print(
            "note: the build targets are set at S=100, T=20; at this size their verdicts "
            "are for information (correctness still decides the exit status)"
        )


def write_graphs_flavour(root: Path, model: generate.Model) -> Path:
    """The ``threats`` flavour plus one ``threat-graph :of:`` per service page
    and the service map on the reports page (``threats-graphs``)."""
    src, dst = root / "threats", root / "threats-graphs"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    conf = dst / "conf.py"
    conf.write_text(conf.read_text() + '\ngraphviz_output_format = "svg"\n')
    for docname, ids in model.pages.items():
        services = [i for i in ids if any(s.id == i for s in model.services)]
        page = dst / f"{docname}.rst"
        for sid in services:
            page.write_text(page.read_text() + f"\n.. threat-graph::\n   :of: {sid}\n")
    reports = dst / "reports.rst"
    reports.write_text(reports.read_text() + "\n.. threat-graph::\n   :layout: services\n")
    return dst


def time_graphs(root: Path, model: generate.Model, runs: int, res: Results) -> None:
    """Full builds of the ``threats`` flavour with and without graphs, in turn."""
    src = write_graphs_flavour(root, model)
    print(f"== timing graphs ({runs} runs each, fresh output: every picture drawn)")
    times: dict[str, list[Build]] = {"threats": [], "threats-graphs": []}
    for run in range(runs):
        order = ["threats", "threats-graphs"] if run % 2 == 0 else ["threats-graphs", "threats"]
        for flavour in order:
            build = sphinx_build(root / flavour, root / "_build" / f"graphs-{flavour}")
            _check_ok(build, flavour)
            times[flavour].append(build)
            print(f"  {flavour}: {build.seconds:.1f} s")
    # the same graphs again into the same output: sphinx.ext.graphviz's
    # pictures (named by a hash of the DOT) are reused, dot does not run
    cached = sphinx_build(src, root / "_build" / "graphs-threats-graphs", fresh=False)
    print(f"  threats-graphs, unchanged rebuild: {cached.seconds:.1f} s")
    pictures = len(
        list((root / "_build" / "graphs-threats-graphs" / "html" / "_images").glob("*.svg"))
    )
    base, graphs = _time(times["threats"]), _time(times["threats-graphs"])
    res.extra["graphs"] = {"without": base, "with": graphs, "pictures": pictures}
    res.notes.append(f"graphs: {pictures} SVG pictures; without {base:.1f} s, with {graphs:.1f} s")
    res.verdict("full build with graphs / without", graphs / base, 1.25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--services", "-S", type=int, default=100)
    parser.add_argument("--threats", "-T", type=int, default=20, help="threats per service")
    parser.add_argument("--runs", "-n", type=int, default=3, help="timed runs per figure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="default bench/out")
    parser.add_argument("--flavours", default=",".join(FLAVOURS))
    parser.add_argument("--force", action="store_true", help="time even if not equivalent")
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="generate, build once and check equivalence; time nothing",
    )
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-parallel", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="-j for the parallel builds")
    parser.add_argument("--profile", action="store_true", help="also profile the threats build")
    parser.add_argument(
        "--lock", action="store_true", help="give the threats flavour a lock of every link"
    )
    parser.add_argument("--analysis", action="store_true", help="also time the analysis alone")
    parser.add_argument(
        "--analysis-only",
        action="store_true",
        help="only time the analysis on 100k/200k-threat models",
    )
    parser.add_argument("--analysis-size", type=int, default=100_000, help=argparse.SUPPRESS)
    parser.add_argument("--analysis-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reference-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--elements",
        action="store_true",
        help="time the threats flavour against itself with a data-flow diagram (a store and "
        "three flows per service) and the completeness check on: full builds only",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--graphs",
        action="store_true",
        help="only time the threats flavour with a threat-graph per service page and "
        "the service map, against the same without graphs",
    )
    args = parser.parse_args(argv)
    if args.analysis_worker:
        _analysis_worker(args.analysis_worker)
        return 0
    if args.reference_worker:
        _reference_worker(args.reference_worker)
        return 0
    res = Results()
    if args.analysis_only:
        time_analysis(res, args.runs, args.analysis_size)
        print_table(res, [], args)
        return 0 if all(v[3] for v in res.verdicts) else 1

    flavours = [f for f in args.flavours.split(",") if f]
    if args.elements:
        # not equivalent to the others: built once each (they must build), then timed
        flavours = ["threats", "elements"]
        args.skip_incremental = args.skip_parallel = True
    root = args.out / f"s{args.services}-t{args.threats}"
    print(f"== generating S={args.services}, T={args.threats} into {root}")
    model = generate.generate(args.services, args.threats, flavours, root, args.seed)
    print(
        f"  {len(model.services)} services, {len(model.threats)} threats, "
        f"{len(model.mitigations)} mitigations, {len(model.acceptances)} acceptances"
    )
    if args.lock and "threats" in flavours:
        add_lock(root)
    if args.graphs:
        time_graphs(root, model, args.runs, res)
        print_table(res, [], args)
        return 0 if all(v[3] for v in res.verdicts) else 1
    if args.elements:
        for flavour in flavours:
            _check_ok(sphinx_build(root / flavour, root / "_build" / flavour), f"{flavour} build")
    elif not check_equivalence(root, flavours, args.force):
        return 1
    if args.check_only:
        return 0
    if not args.skip_full:
        time_full(root, flavours, args.runs, 1, res)
    if not args.skip_incremental:
        time_incremental(root, flavours, args.runs, res)
    if not args.skip_parallel:
        time_full(root, flavours, args.runs, args.jobs, res)
    if args.profile and "threats" in flavours:
        profile_share(root, res)
    if args.analysis:
        time_analysis(res, args.runs, args.analysis_size)
    print_table(res, flavours, args)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "services": args.services,
                    "threats": args.threats,
                    "runs": args.runs,
                    "full": {f: [b.seconds for b in v] for f, v in res.full.items()},
                    "full_rss_mib": {f: [b.rss_mib for b in v] for f, v in res.full.items()},
                    "incremental": {f: [b.seconds for b in v] for f, v in res.incremental.items()},
                    "parallel": {f: [b.seconds for b in v] for f, v in res.parallel.items()},
                    "verdicts": res.verdicts,
                    "notes": res.notes,
                    "extra": {k: v for k, v in res.extra.items()},
                },
                indent=2,
                default=str,
            )
        )
    # the build targets are set at S=100, T=20; elsewhere only correctness
    # (and the analysis, which does not depend on S and T) decides
    binding = [
        v
        for v in res.verdicts
        if _at_target_size(args) or v[2] == "yes" or v[0].startswith("analysis")
    ]
    return 0 if all(v[3] for v in binding) and not res.notes else 1


def _at_target_size(args: argparse.Namespace) -> bool:
    return (args.services, args.threats) == (100, 20)


if __name__ == "__main__":
    sys.exit(main())
