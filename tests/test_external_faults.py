"""External models under hostile conditions: network faults, special files,
credentials in a URL, and two sources declaring one ID.

Real builds of the service project against a scripted server on 127.0.0.1
(:mod:`tests.faults`: it stops by itself).  Whatever the fault, the build
finishes, says it once at conf.py's ``threats_external`` line, and uses the
copy an earlier build cached; nothing it publishes carries a URL's
credentials; ``name:ID`` names that source's item.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import faults
from .conftest import ROOTS
from .helpers import built_app, html, threat_warnings, threats_json
from .test_external import CONF_LINE, _by_id, _copy, _messages, _service

#: What an earlier build kept of the product model (seeded by the tests).
CACHE = Path("doctrees", "threats-external", "product.json")
#: The service's own warnings when the product model (cached) is there.
WITH_PRODUCT = [("index.rst", 8, "service-gap"), ("index.rst", 17, "unmitigated")]


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product project's HTML output (with its ``threats.json``)."""
    out = tmp_path_factory.mktemp("product")
    with built_app("html", srcdir=_copy("test-ext-product", out), builddir=out / "build"):
        pass
    return out / "build" / "html"


def _with_cache(out: Path, product: Path) -> None:
    cache = out / CACHE
    cache.parent.mkdir(parents=True)
    cache.write_bytes((product / "threats.json").read_bytes())


def _set(src: Path, *lines: str) -> None:
    """Add lines to conf.py after ``threats_external`` (its line is unchanged)."""
    conf = src / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8") + "\n".join(lines) + "\n")


# -- 10: every failure of the body is caught, and the cache stands in ----------------------


@pytest.mark.parametrize("fault", ["corrupt gzip", "cut gzip", "truncated", "cut chunks", "stall"])
def test_a_broken_body_uses_the_cached_copy(tmp_path: Path, product: Path, fault: str) -> None:
    data = (product / "threats.json").read_bytes()
    script = {
        "corrupt gzip": faults.corrupt_gzip,
        "cut gzip": faults.cut_gzip,
        "truncated": faults.truncated,
        "cut chunks": faults.cut_chunked,
        "stall": faults.stall,
    }[fault](data)
    with faults.fault_server({"/threats.json": script}) as server:
        src = _service(tmp_path, server.base + "/threats.json")
        _set(src, "threats_external_timeout = 1")
        # no copy yet: one warning, and the build goes on without the product
        with built_app("html", srcdir=src, builddir=tmp_path / "first") as app:
            warnings = threat_warnings(app)
            messages = _messages(app)
        assert [w for w in warnings if w[0] == "conf.py"] == [("conf.py", CONF_LINE, "invalid")]
        assert sum("cannot fetch it" in m and "no copy is cached" in m for m in messages) == 1
        # M-R1's product:TM-1 names the source that was not read: its warning is the cause
        assert not [w for w in warnings if w[:2] == ("index.rst", 14)]
        # an earlier build's copy: used, with one warning
        out = tmp_path / "out"
        _with_cache(out, product)
        with built_app("html", srcdir=src, builddir=out) as app:
            warnings = threat_warnings(app)
            messages = _messages(app)
            data_json = threats_json(app)
            index = html(app, "index")
    assert warnings == [("conf.py", CONF_LINE, "unreachable-source"), *WITH_PRODUCT]
    assert sum("using the copy cached by an earlier build" in m for m in messages) == 1
    assert _by_id(data_json)["TM-1"]["external"] == "product"
    assert "Stolen session tokens" in index


# -- 11: the timeout is a total ---------------------------------------------------------------


def test_a_dripping_server_is_abandoned_and_the_cache_used(tmp_path: Path, product: Path) -> None:
    # a byte every 0.3 s: no single read waits the 1 s timeout, but the fetch
    # as a whole may not take longer; 40 bytes would take 12 s to send
    drip = faults.drip((product / "threats.json").read_bytes()[:40], 0.3)
    out = tmp_path / "out"
    _with_cache(out, product)
    with faults.fault_server({"/threats.json": drip}) as server:
        src = _service(tmp_path, server.base + "/threats.json")
        _set(src, "threats_external_timeout = 1")
        with built_app("html", srcdir=src, builddir=out) as app:
            warnings = threat_warnings(app)
            messages = _messages(app)
        assert server.seen.abandoned.wait(5)  # hung up before the body was all sent
    assert warnings == [("conf.py", CONF_LINE, "unreachable-source"), *WITH_PRODUCT]
    assert sum("cannot fetch it (no answer in time)" in m for m in messages) == 1
    assert any("using the copy cached by an earlier build" in m for m in messages)


# -- 12: only regular files are read ----------------------------------------------------------


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_special_file_is_refused_unread(tmp_path: Path, special: str) -> None:
    path = tmp_path / "threats.json"
    if special == "fifo":
        import os

        os.mkfifo(path)  # no writer: reading it would wait for ever
    else:
        path.symlink_to(special)  # size 0 by stat, endless to read
    src = _service(tmp_path, str(path))
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
        index = html(app, "index")
    assert [w for w in warnings if w[0] == "conf.py"] == [("conf.py", CONF_LINE, "invalid")]
    assert sum("): it is not a regular file; not used" in m for m in messages) == 1
    # the build went on: our own items are there, the product's are unknown
    assert "Relay queue flooding" in index
    # M-R1's product:TM-1 names the source that was not read: its warning is the cause
    assert not [w for w in warnings if w[:2] == ("index.rst", 14)]


# -- 13: credentials are used, never published ------------------------------------------------

USER, TOKEN = "alice-7f3k", "s3cr3t-t0ken"


def test_credentials_in_a_url_are_never_published(tmp_path: Path, product: Path) -> None:
    routes = {"/docs/threats.json": faults.body((product / "threats.json").read_bytes())}
    with faults.fault_server(routes) as server:
        secret = server.base.replace("//", f"//{USER}:{TOKEN}@")
        src = _service(tmp_path, secret + "/docs/threats.json")
        # a second source that fails: its warning names its URL
        _set(src, f"threats_external['gone'] = {secret + '/gone/threats.json'!r}")
        # a third with a token in its query, as GitLab's raw files take one
        query = f"/gone/raw.json?ref=main&private_token={TOKEN}"
        _set(src, f"threats_external['raw'] = {server.base + query!r}")
        with (src / "index.rst").open("a", encoding="utf-8") as page:
            page.write("\n.. threat-gaps::\n")
        with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
            warnings = app.warning.getvalue()
            messages = _messages(app)
            outdir = Path(app.outdir)
            index = html(app, "index")
            data = threats_json(app)
    # the credentials fetched the model
    assert all("Authorization: Basic " in r for r in server.seen.requests if "/raw" not in r)
    # ... and the links, the uris, the warnings and the gaps page show the URL without them
    public = server.base + "/docs/"
    assert f'href="{public}index.html#TM-1"' in index
    assert _by_id(data)["TM-1"]["uri"] == public + "index.html#TM-1"
    assert any(
        f"({server.base}/gone/threats.json): cannot fetch it (HTTP 404)" in m for m in messages
    )
    assert f"{server.base}/gone/threats.json" in index  # the gaps page lists that warning
    # the query's token was sent, and is shown masked
    assert any(f"GET {query} " in r for r in server.seen.requests)
    masked = f"({server.base}/gone/raw.json?ref=main&private_token=***): cannot fetch it (HTTP 404)"
    assert sum(masked in m for m in messages) == 1
    published = [warnings, *(p.read_text("utf-8", "replace") for p in _files(outdir))]
    assert [text for text in published if USER in text or TOKEN in text] == []


def _files(outdir: Path) -> list[Path]:
    return [
        p
        for p in outdir.rglob("*")
        if p.is_file() and p.suffix in (".html", ".json", ".txt", ".js")
    ]


# -- 14: name:ID names that source's item ----------------------------------------------------


@pytest.mark.parametrize(
    ("root", "page"),
    [("test-ext-two-sources", "index.rst"), ("test-ext-two-sources-myst", "index.md")],
)
def test_a_prefix_names_its_sources_item(tmp_path: Path, root: str, page: str) -> None:
    src = _copy(root, tmp_path)
    with built_app("html", srcdir=src, builddir=tmp_path / "out") as app:
        warnings = threat_warnings(app)
        messages = _messages(app)
        index = html(app, "index")
        data = threats_json(app)
    links = re.findall(r'<a class="reference external" href="([^"]+)"[^>]*>(.*?)</a>', index)
    second = ("https://second.example/docs/threats.html#X-1", "Forged second receipts")
    first = ("https://first.example/docs/index.html#X-1", "Replayed first tokens")
    assert [(href, re.sub("<[^>]+>", "", text)) for href, text in links] == [second, first, first]
    # the mitigation answers the second's X-1, not the first's
    items = _by_id(data)
    assert items["M-1"]["mitigates"] == ["second:X-1"]
    # listed under its own ID, keyed by its source
    (theirs,) = [t for t in data["items"]["threats"] if t.get("external") == "second"]
    assert (theirs["id"], theirs["title"]) == ("X-1", "Forged second receipts")
    # the second has no X-9: unknown, said so (not the first's, nor silently)
    assert warnings == [(page, 12, "unknown-ref")]
    assert any("second:X-9" in m for m in messages)
    assert ROOTS.joinpath(root, "second.json").is_file()
