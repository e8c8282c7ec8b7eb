"""Time the completeness check alone (``sphinx_threats.completeness``) on a
model of about 100,000 elements, and on one twice as large: it must take under
a second and grow linearly.

Per service: a data store, three flows (one crossing the boundary around the
services) and two threats about the service and its store; one external
entity per 100 services; the ``stride-per-element`` table.  The containment,
crossing and aboutness it needs (:mod:`sphinx_threats.elements`) are timed
with it; the rest of the analysis is not.

    python bench/completeness.py            # 100k, then 200k elements
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sphinx_threats import model as m
from sphinx_threats.analysis import declarations
from sphinx_threats.completeness import completeness
from sphinx_threats.config import STRIDE_PER_ELEMENT_TABLE
from sphinx_threats.elements import element_graph

#: The most seconds 100,000 elements may take.
TARGET_SECONDS = 1.0


def build(elements: int) -> m.ThreatModel:
    """A model of about ``elements`` elements (five per service)."""
    services = max(1, elements // 5)
    items: list[m.Item] = []
    contained = []
    for i in range(services):
        sid, page = f"S{i:06d}", f"s{i // 50}"
        where = m.Location(f"{page}.rst", 1 + i, page)
        store = f"{sid}-db"
        items.append(m.Service(id=sid, title=sid, location=where))
        items.append(m.DataStore(id=store, title=store, location=where, service=sid))
        entity = f"E{i // 100:05d}"
        if i % 100 == 0:
            items.append(m.ExternalEntity(id=entity, title=entity, location=where))
        nxt = f"S{(i + 1) % services:06d}"
        for n, (source, target) in enumerate(((entity, sid), (sid, store), (sid, nxt))):
            items.append(
                m.DataFlow(
                    id=f"F{i:06d}-{n}", title="flow", location=where, from_=source, to=target
                )
            )
        items.append(
            m.Threat(
                id=f"T{i:06d}-a",
                title="t",
                location=where,
                category=("spoofing", "tampering"),
                severity="high",
                service=sid,
            )
        )
        items.append(
            m.Threat(
                id=f"T{i:06d}-b",
                title="t",
                location=where,
                category=("information-disclosure",),
                severity="low",
                applies_to=(store, f"F{i:06d}-0"),
            )
        )
        contained += [sid, store]
    items.append(
        m.TrustBoundary(
            id="cloud", title="cloud", location=m.Location("index.rst", 1, "index"),
            contains=tuple(contained),
        )
    )  # fmt: skip
    return m.ThreatModel.build(items)


def time_one(elements: int) -> tuple[float, int, int]:
    """Seconds of the element graph and the check; elements; gaps."""
    decl = declarations(build(elements).items)
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    graph = element_graph(decl)
    result = completeness(graph, STRIDE_PER_ELEMENT_TABLE)
    seconds = time.perf_counter() - start
    gc.enable()
    counted = sum(len(decl.known[k]) for k in m.ELEMENT_KINDS)
    return seconds, counted, len(result.gaps)


def main() -> int:
    figures = {}
    for size in (100_000, 200_000):
        seconds, counted, gaps = time_one(size)
        figures[size] = seconds
        print(f"{counted:>9,} elements, {gaps:,} unanalysed gaps: {seconds:.2f} s")
    ratio = figures[200_000] / figures[100_000]
    ok = figures[100_000] < TARGET_SECONDS
    print(
        f"100k elements {figures[100_000]:.2f} s (target < {TARGET_SECONDS} s): "
        f"{'PASS' if ok else 'FAIL'}; doubled: x{ratio:.2f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
