"""Parallel, incremental and cross-project builds."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from sphinx.testing.util import SphinxTestApp

from .helpers import all_warnings, threat_warnings

ROOTS = Path(__file__).parent / "roots"


def _copy_root(name: str, dest: Path) -> Path:
    src = dest / "src"
    shutil.copytree(ROOTS / f"test-{name}", src)
    return src


def _build(srcdir: Path, builddir: Path, **kwargs: object) -> SphinxTestApp:
    app = SphinxTestApp("html", srcdir=srcdir, builddir=builddir, **kwargs)  # type: ignore[arg-type]
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def _touch_later(path: Path) -> None:
    """Give an edited file a clearly newer mtime (Sphinx compares mtimes)."""
    stamp = path.stat().st_mtime + 10
    os.utime(path, (stamp, stamp))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    _touch_later(path)


def _body(outdir: Path, page: str) -> str:
    text = (outdir / f"{page}.html").read_text()
    return text[text.index('<div class="body"') : text.index('<div class="sphinxsidebar"')]


def _gaps_section(outdir: Path) -> str:
    body = _body(outdir, "index")
    return body[body.index("threat-gaps") : body.index("threat-matrix")]


def _written(app: SphinxTestApp) -> set[str]:
    status = re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())
    return set(re.findall(r"writing output\.\.\. \[\s*\d+%\] (\S+)", status))


def test_parallel_build_equals_serial(tmp_path: Path) -> None:
    serial = _build(ROOTS / "test-parallel", tmp_path / "serial")
    parallel = _build(ROOTS / "test-parallel", tmp_path / "parallel", parallel=2)
    status = parallel.status.getvalue()
    assert "waiting for workers" in status or "parallel" in status.lower()
    assert threat_warnings(serial) == threat_warnings(parallel)
    kinds = {w[2] for w in threat_warnings(serial)}
    assert {"duplicate-id", "unknown-ref", "service-gap"} <= kinds
    assert ("p7.rst", 21, "duplicate-id") in threat_warnings(serial)
    so, po = Path(serial.outdir), Path(parallel.outdir)
    assert (so / "threats.json").read_bytes() == (po / "threats.json").read_bytes()
    for page in ["index", *[f"p{i}" for i in range(1, 10)]]:
        assert _body(so, page) == _body(po, page), page
    objects = {
        domain_app: sorted(domain_app.env.domains["threats"].get_objects())
        for domain_app in (serial, parallel)
    }
    assert objects[serial] == objects[parallel]
    assert len(objects[serial]) == 28


def test_removing_a_mitigation_updates_backlinks_elsewhere(tmp_path: Path) -> None:
    src = _copy_root("incremental", tmp_path)
    out = tmp_path / "out"
    _build(src, out)
    assert 'href="controls.html#M-1"' in _body(Path(out, "html"), "threats")
    (src / "controls.rst").write_text("Controls\n========\n\nNothing left.\n")
    _touch_later(src / "controls.rst")
    app = _build(src, out)
    assert "threats" in _written(app)
    assert "M-1" not in _body(Path(app.outdir), "threats")
    assert "M-1" not in _body(Path(app.outdir), "index")


def test_deleting_a_page_removes_its_items_everywhere(tmp_path: Path) -> None:
    src = _copy_root("incremental", tmp_path)
    out = tmp_path / "out"
    _build(src, out)
    (src / "svc.rst").unlink()
    _edit(src / "index.rst", "   svc\n", "")
    app = _build(src, out)
    outdir = Path(app.outdir)
    for page in ("threats", "index", "controls"):
        assert "M-SVC" not in _body(outdir, page), page
    assert "M-SVC" not in (outdir / "threats.json").read_text()


def test_unchanged_rebuild_reads_nothing_and_reports_the_same(tmp_path: Path) -> None:
    src = _copy_root("parallel", tmp_path)
    out = tmp_path / "out"
    first = _build(src, out)
    second = _build(src, out)
    status = re.sub(r"\x1b\[[0-9;]*m", "", second.status.getvalue())
    assert "0 added, 0 changed, 0 removed" in status
    assert _written(second) == set()
    assert threat_warnings(second) == threat_warnings(first) != []


def test_editing_a_title_updates_role_text_on_other_pages(tmp_path: Path) -> None:
    src = _copy_root("incremental", tmp_path)
    out = tmp_path / "out"
    _build(src, out)
    _edit(src / "threats.rst", "Replay", "Message replay")
    app = _build(src, out)
    assert "svc" in _written(app)
    assert "Message replay" in _body(Path(app.outdir), "svc")


def test_adding_a_mitigation_removes_the_gap_without_full_rebuild(tmp_path: Path) -> None:
    src = _copy_root("incremental", tmp_path)
    out = tmp_path / "out"
    first = _build(src, out)
    assert ("threats.rst", 12, "unmitigated") in threat_warnings(first)
    assert 'href="threats.html#T-3"' in _gaps_section(Path(first.outdir))
    with (src / "controls.rst").open("a") as fh:
        fh.write(
            "\n.. mitigation:: Nonces\n   :id: M-3\n   :mitigates: T-3\n   :status: implemented\n"
        )
    _touch_later(src / "controls.rst")
    app = _build(src, out)
    status = re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())
    assert "0 added, 1 changed, 0 removed" in status
    assert ("threats.rst", 12, "unmitigated") not in threat_warnings(app)
    assert {"index", "threats", "controls"} <= _written(app)
    assert "T-3" not in _gaps_section(Path(app.outdir))
    gaps = (Path(app.outdir) / "threats.json").read_text()
    assert '"unmitigated"' not in gaps


def test_changed_today_rewrites_report_pages_without_rereading(tmp_path: Path) -> None:
    src = _copy_root("incremental", tmp_path)
    out = tmp_path / "out"
    first = _build(src, out)
    assert "expired-acceptance" not in {w[2] for w in threat_warnings(first)}
    app = _build(src, out, confoverrides={"threats_today": "2027-02-01"})
    status = re.sub(r"\x1b\[[0-9;]*m", "", app.status.getvalue())
    assert "0 added, 0 changed, 0 removed" in status
    assert ("accept.rst", 8, "expired-acceptance") in threat_warnings(app)
    assert {"index", "threats", "accept"} <= _written(app)
    assert "svc" not in _written(app)
    assert "expired-acceptance" in _body(Path(app.outdir), "index")


def test_intersphinx_links_to_another_projects_items(tmp_path: Path) -> None:
    first = _build(ROOTS / "test-core", tmp_path / "first")
    inventory_dir = Path(first.outdir)
    src = tmp_path / "second"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['sphinx.ext.intersphinx', 'sphinx_threats']\n"
        f"intersphinx_mapping = {{'core': ({str(inventory_dir)!r}, None)}}\n"
        "threats_today = '2026-06-01'\n"
    )
    (src / "index.rst").write_text(
        "Second\n======\n\nWe rely on :threat:`T-BREACH` and :mitigation:`core:M-CSE`.\n\n"
        "Unknown: :threat:`T-NOWHERE`.\n"
    )
    app = _build(src, tmp_path / "second-out")
    page = (Path(app.outdir) / "index.html").read_text()
    assert f'href="{inventory_dir}/product.html#T-BREACH"' in page
    assert "Data breach at rest" in page  # the title travels in objects.inv
    assert f'href="{inventory_dir}/product.html#M-CSE"' in page
    assert threat_warnings(app) == [("index.rst", 6, "unknown-ref")]
    assert not [w for w in all_warnings(app) if "ref." in w or "undefined label" in w]
