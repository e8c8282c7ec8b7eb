"""The one fetch path (:mod:`sphinx_threats.fetch`) against a real server on 127.0.0.1.

Every network fault is a :class:`FetchFailure` (never an exception), the
cached copy stands in for any of them, the deadline is a total, the cap holds
while the body streams, only regular files are read, and credentials go only
to the URL's own origin.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
from pathlib import Path

import pytest

from sphinx_threats.fetch import Fetched, FetchFailure, fetch, public_url, read_file

from .. import faults

DATA = b'{"schema": 1, "items": {}}' + b" " * 200
LIMIT = 1024


def _fetch(url: str, cache: Path | None = None, timeout: float = 5) -> Fetched | FetchFailure:
    return fetch(url, timeout=timeout, limit=LIMIT, cache=cache)


def test_a_body_and_a_gzipped_body() -> None:
    stamp = "Wed, 02 Dec 2026 10:00:00 GMT"
    routes = {
        "/plain": faults.body(DATA, **{"Last-Modified": stamp}),
        "/packed": faults.gzipped(DATA),
    }
    with faults.fault_server(routes) as server:
        plain = _fetch(server.base + "/plain", Path("/nonexistent/c.json"))
        packed = _fetch(server.base + "/packed")
    # when it was last modified, as the server says (the build of a member)
    modified = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC).timestamp()
    assert plain == Fetched(DATA, keep=Path("/nonexistent/c.json"), modified=modified)
    assert packed == Fetched(DATA)


@pytest.mark.parametrize(
    ("script", "says"),
    [
        (faults.corrupt_gzip(DATA), "cannot fetch it ("),
        (faults.cut_gzip(DATA), "cannot fetch it (the compressed body is cut short)"),
        (faults.truncated(DATA), "cannot fetch it ("),
        (faults.cut_chunked(DATA), "cannot fetch it ("),
        (faults.status("500 Internal Server Error"), "cannot fetch it (HTTP 500)"),
        (faults.status("404 Not Found"), "cannot fetch it (HTTP 404)"),
        (faults.redirect("/model"), "cannot fetch it (too many redirects)"),
        (faults.redirect("file:///etc/passwd"), "cannot fetch it (a redirect to another scheme)"),
        (faults.body(DATA * 10), f"it is larger than the limit of {LIMIT} bytes"),
        # a gzip bomb: a few hundred bytes that inflate far past the cap
        (faults.gzipped(b"\0" * 10_000_000), f"it is larger than the limit of {LIMIT} bytes"),
    ],
)
def test_every_fault_is_a_failure_and_the_cache_stands_in(
    tmp_path: Path, script: faults.Script, says: str
) -> None:
    cache = tmp_path / "cached.json"
    with faults.fault_server({"/model": script}) as server:
        failure = _fetch(server.base + "/model")
        cache.write_bytes(b"cached copy")
        cached = _fetch(server.base + "/model", cache)
    assert isinstance(failure, FetchFailure)
    assert failure.reason.startswith(says), failure
    assert isinstance(cached, Fetched)
    assert cached.data == b"cached copy" and cached.keep is None
    assert cached.note.startswith(says)
    assert "using the copy cached by an earlier build" in cached.note


def test_no_cache_says_so(tmp_path: Path) -> None:
    with faults.fault_server({"/model": faults.truncated(DATA)}) as server:
        failure = _fetch(server.base + "/model", tmp_path / "none.json")
    assert isinstance(failure, FetchFailure)
    assert failure.reason.endswith(", and no copy is cached")


def test_a_stall_mid_body_is_abandoned_at_the_deadline() -> None:
    with faults.fault_server({"/model": faults.stall(DATA)}) as server:
        failure = _fetch(server.base + "/model", timeout=1)
        assert server.seen.abandoned.wait(5)
    assert failure == FetchFailure("cannot fetch it (no answer in time)")


def test_the_timeout_is_a_total_not_a_per_read_bound() -> None:
    # a byte every 0.3 s never lets one read wait 1 s, but the whole fetch may
    # not take more than 1 s: it is abandoned long before the 200 bytes are sent
    with faults.fault_server({"/model": faults.drip(DATA, 0.3)}) as server:
        failure = _fetch(server.base + "/model", timeout=1)
        assert server.seen.abandoned.wait(5)
    assert failure == FetchFailure("cannot fetch it (no answer in time)")


def test_a_name_lookup_that_hangs_is_given_up_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no network here to make a resolver hang: the lookup urllib3 makes
    # (socket.getaddrinfo, which takes no timeout) is made to wait instead
    import threading
    import time

    released = threading.Event()
    real = socket.getaddrinfo

    def hangs(host: str, *args: object, **kwargs: object) -> object:
        if host == "models.example":
            released.wait(30)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hangs)
    cache = tmp_path / "models.json"
    cache.write_bytes(DATA)
    started = time.monotonic()
    try:
        got = _fetch("https://models.example/threats.json", cache, timeout=0.5)
    finally:
        released.set()
    assert time.monotonic() - started < 5  # not the 30 s the lookup would take
    assert isinstance(got, Fetched) and got.data == DATA
    assert got.note == (
        f"cannot fetch it (no answer in time); using the copy cached by an earlier build ({cache})"
    )


def test_credentials_go_to_the_urls_origin_only() -> None:
    with faults.fault_server({"/model": faults.body(DATA)}) as elsewhere:
        port = elsewhere.base.rsplit(":", 1)[1]
        # localhost is another origin than 127.0.0.1, though the same server
        routes = {
            "/first": faults.redirect("/second"),
            "/second": faults.redirect(f"http://localhost:{port}/model"),
        }
        with faults.fault_server(routes) as origin:
            url = origin.base.replace("//", "//alice-7f3k:s3cr%40t@") + "/first"
            got = _fetch(url)
    assert got == Fetched(DATA)
    expected = "Authorization: Basic " + base64.b64encode(b"alice-7f3k:s3cr@t").decode()
    assert [expected in r for r in origin.seen.requests] == [True, True]
    assert ["Authorization" in r for r in elsewhere.seen.requests] == [False]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:token@host.example/a/threats.json", "https://host.example/a/threats.json"),
        ("http://token@host.example:8080/", "http://host.example:8080/"),
        ("https://host.example/a", "https://host.example/a"),
        ("models/threats.json", "models/threats.json"),
        # a secret in the query: its value masked, the rest kept
        (
            "https://git.example/api/v4/raw?ref=main&private_token=glpat-XYZ",
            "https://git.example/api/v4/raw?ref=main&private_token=***",
        ),
        (
            "https://b.example/t.json?X-Amz-Credential=AK%2F1&X-Amz-Signature=ab12&x=1",
            "https://b.example/t.json?X-Amz-Credential=***&X-Amz-Signature=***&x=1",
        ),
        (
            "https://u:p@h.example/t.json?sig=s%3D&sv=2024",
            "https://h.example/t.json?sig=***&sv=2024",
        ),
        ("https://h.example/t.json?api_key=", "https://h.example/t.json?api_key=***"),
    ],
)
def test_public_url_has_no_credentials(url: str, shown: str) -> None:
    assert public_url(url) == shown


# -- files ---------------------------------------------------------------------------


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    good = tmp_path / "good.json"
    good.write_bytes(DATA)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (LIMIT + 1))
    assert read_file(zero, LIMIT) == FetchFailure("it is not a regular file")
    assert read_file(fifo, LIMIT) == FetchFailure("it is not a regular file")
    assert read_file(tmp_path, LIMIT) == FetchFailure("it is not a regular file")
    assert read_file(good, LIMIT) == Fetched(DATA, modified=good.stat().st_mtime)
    assert read_file(big, LIMIT) == FetchFailure(f"it is larger than the limit of {LIMIT} bytes")
    # the path is not repeated: the caller names the source as configured
    assert read_file(tmp_path / "none", LIMIT) == FetchFailure("no such file")
    # a cache is a file too: a device there is no copy
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    assert fetch(f"http://127.0.0.1:{port}/x", timeout=1, limit=LIMIT, cache=zero) == FetchFailure(
        "cannot fetch it (NewConnectionError), and no copy is cached"
    )
