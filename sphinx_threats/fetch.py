"""One bounded way to read another project's file: a path, or an http(s) URL with its cache.

Pure (no Sphinx): the Sphinx side passes its request settings in as plain
values (:class:`RequestSettings`).  Every remote source (``threats_external``
today) is read through :func:`fetch`, so every one of them has the same limits:

- a URL is given ``timeout`` seconds *in all* (connection, redirects and body
  together): a monotonic deadline, the socket's timeout set to what remains
  before every read, and the body read in chunks, so a server that drips a
  byte at a time is abandoned when the deadline passes;
- the body is capped while it streams (decompressed, for gzip), so neither a
  large body nor a gzip bomb is ever held in memory whole;
- any failure of the connection or the body (refusal, HTTP status, redirect
  loop, stall, truncation, corrupt gzip) is a :class:`FetchFailure`, never an
  exception, and the cached copy of an earlier build stands in for it;
- a path is read only when it is a regular file (a device, a FIFO or a
  symbolic link to one is refused unread), and never past the limit.

What the caller publishes about a source goes through :func:`public_url`: a
URL's credentials (``user:token@``, and a query parameter named like a
secret, ``?private_token=``) are used to fetch and never shown.
"""

from __future__ import annotations

import email.utils
import os
import stat
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPException
from pathlib import Path
from typing import NamedTuple

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from ._util import MASKED, SECRET_PARAMETER

#: How long after its deadline a download is still waited for (it stops
#: itself at the deadline: this is its time to say so).
LATE_SECONDS = 0.5
#: The most redirects one fetch follows (more is a loop, or as good as one).
MAX_REDIRECTS = 10
#: How much of a body is asked for in one read.
CHUNK = 64 * 1024
#: Said of a source over the limit (it is not read further).
TOO_LARGE = "it is larger than the limit of {limit} bytes"


class RequestSettings(NamedTuple):
    """How to make a request: Sphinx's settings, passed in as plain values."""

    #: Whether to verify the server's TLS certificate (Sphinx's ``tls_verify``).
    tls_verify: bool = True
    #: CA certificates: a file, or ``{host: file}`` (Sphinx's ``tls_cacerts``).
    tls_cacerts: str | dict[str, str] | None = None
    #: The ``User-Agent`` header (Sphinx's ``user_agent``; empty: urllib3's).
    user_agent: str = ""


#: Sphinx's defaults: verify TLS against the usual bundle, urllib3's user agent.
DEFAULT_SETTINGS = RequestSettings()


class Fetched(NamedTuple):
    """The bytes of a source."""

    data: bytes
    #: Said about the source although there are bytes (a cached copy stood in).
    note: str = ""
    #: Where to keep the bytes once they prove usable (fresh from a URL).
    keep: Path | None = None
    #: When the source was last modified (seconds since the epoch: a file's
    #: modification time, a URL's ``Last-Modified``); ``None``: not known.
    modified: float | None = None
    #: When a cached copy stood in: its age in seconds; ``None`` otherwise.
    cached_age: float | None = None


class FetchFailure(NamedTuple):
    """Why a source gave no bytes: one sentence, safe to publish."""

    reason: str


class _Failed(Exception):
    """A URL could not be fetched (turned into a :class:`FetchFailure`)."""


#: Every failure of a connection or a body that the libraries raise: socket
#: errors and timeouts (OSError), urllib3's (ProtocolError, DecodeError, ...),
#: http.client's (IncompleteRead), zlib's, and a malformed URL or header.
_NETWORK_ERRORS = (OSError, Urllib3Error, HTTPException, zlib.error, ValueError)


def is_url(source: str) -> bool:
    """Whether ``source`` is an http(s) URL (anything else is a path)."""
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def public_url(url: str) -> str:
    """``url`` as it may be shown: without its credentials (``user:token@``),
    and with the value of each query parameter named like a secret
    (``?private_token=...``) replaced by ``***``.

    Anything not an http(s) URL is returned as it is.
    """
    if not is_url(url):
        return url
    parts = _without_userinfo(urllib.parse.urlsplit(url))
    if parts.query:
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if any(SECRET_PARAMETER.search(name) for name, _ in pairs):
            shown = [(n, MASKED if SECRET_PARAMETER.search(n) else v) for n, v in pairs]
            parts = parts._replace(query=urllib.parse.urlencode(shown, safe="*"))
    return urllib.parse.urlunsplit(parts)


def _without_userinfo(parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult:
    return parts._replace(netloc=parts.netloc.rpartition("@")[2])


def fetch(
    source: str,
    *,
    timeout: float,
    limit: int,
    cache: Path | None = None,
    settings: RequestSettings = DEFAULT_SETTINGS,
) -> Fetched | FetchFailure:
    """The bytes of ``source`` (a path or an http(s) URL), at most ``limit`` of them.

    A URL gets ``timeout`` seconds in all.  When it cannot be fetched, for
    whatever reason, the copy at ``cache`` (if any) is returned, with a note
    saying why; a fresh body is returned with ``keep=cache``, for the caller
    to :func:`keep` once it proves usable.  Never raises on bad input.
    """
    if not is_url(source):
        return read_file(Path(source), limit)
    try:
        data, modified = _download_by(source, time.monotonic() + timeout, limit, settings)
    except _Failed as err:
        why = str(err)
    else:
        return Fetched(data, keep=cache, modified=modified)
    if cache is None:
        return FetchFailure(why)
    cached = read_file(cache, limit)
    if isinstance(cached, FetchFailure):
        return FetchFailure(f"{why}, and no copy is cached")
    age = max(0.0, time.time() - cached.modified) if cached.modified is not None else None
    return cached._replace(
        note=f"{why}; using the copy cached by an earlier build ({cache})", cached_age=age
    )


class Request(NamedTuple):
    """One source to fetch (see :func:`fetch`)."""

    source: str
    #: Where its copy is kept (``None``: no cache, as for a path or a pinned file).
    cache: Path | None = None


#: The most fetches :func:`fetch_all` runs at once: they wait on the network,
#: not the processor, so more threads than cores pay off.
MAX_WORKERS = 16


def fetch_all(
    requests: Sequence[Request],
    *,
    timeout: float,
    limit: int,
    settings: RequestSettings = DEFAULT_SETTINGS,
) -> Iterator[Fetched | FetchFailure]:
    """:func:`fetch` of every request, in parallel, yielded in the order of
    ``requests``: each as soon as it (and every one before it) is done, so
    that the caller reads one while the next ones are still being fetched.

    Each gets ``timeout`` seconds in all, so the whole lasts about that long at
    most, however many there are (up to :data:`MAX_WORKERS` at once)."""
    if len(requests) <= 1:
        yield from (_fetch_one(r, timeout, limit, settings) for r in requests)
        return
    workers = min(MAX_WORKERS, len(requests))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="threats-fetch") as pool:
        futures = [pool.submit(_fetch_one, r, timeout, limit, settings) for r in requests]
        for future in futures:
            yield future.result()


def _fetch_one(
    request: Request, timeout: float, limit: int, settings: RequestSettings
) -> Fetched | FetchFailure:
    return fetch(
        request.source, timeout=timeout, limit=limit, cache=request.cache, settings=settings
    )


def read_file(path: Path, limit: int) -> Fetched | FetchFailure:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else (a device such as ``/dev/zero``, a FIFO, a directory, also
    through a symbolic link) is refused unread: its size says nothing of
    what reading it gives.  A failure does not repeat the path: the caller
    names the source as configured (an absolute path would make the
    published bytes differ per machine).
    """
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait for one
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return FetchFailure("no such file")
    except OSError as err:
        return FetchFailure(f"cannot read it ({err.strerror or err})")
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return FetchFailure("it is not a regular file")
        data = _read_at_most(fd, limit + 1)
    except OSError as err:
        return FetchFailure(f"cannot read it ({err.strerror or err})")
    finally:
        os.close(fd)
    if len(data) > limit:
        return FetchFailure(TOO_LARGE.format(limit=limit))
    return Fetched(data, modified=status.st_mtime)


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def keep(cache: Path, data: bytes) -> None:
    """Keep a good copy at ``cache`` for the builds that cannot fetch it (best effort)."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, cache)
    except OSError:
        pass  # no cache: the next unreachable fetch says so


# -- the network ---------------------------------------------------------------


def _download_by(
    url: str, deadline: float, limit: int, settings: RequestSettings
) -> tuple[bytes, float | None]:
    """:func:`_download`, given up at ``deadline`` even while the host name is
    being looked up.

    Every read and connection attempt is bounded by the socket's timeout,
    but the name lookup before them (``getaddrinfo``) takes no timeout: a
    resolver that does not answer holds it for as long as the system's
    resolver settings say (tens of seconds).  So the download runs in a
    thread of its own, waited for until the deadline (and a moment for a
    body that arrives at it); one still looking a name up then is left to
    finish on its own, as a daemon thread that holds no build back.
    """
    done: list[tuple[bytes, float | None] | Exception] = []

    def run() -> None:
        try:
            done.append(_download(url, deadline, limit, settings))
        except Exception as err:  # raised again in the caller's thread
            done.append(err)

    worker = threading.Thread(target=run, name="threats-download", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + LATE_SECONDS)
    if not done:
        raise _Failed("cannot fetch it (no answer in time)")
    result = done[0]
    if isinstance(result, Exception):
        raise result
    return result


def _download(
    url: str, deadline: float, limit: int, settings: RequestSettings
) -> tuple[bytes, float | None]:
    """The body of ``url``, following redirects, by ``deadline``, and when it
    was last modified (its ``Last-Modified``, if any).

    :raises _Failed: whatever went wrong, said without the URL's credentials.
    """
    try:
        return _follow(url, deadline, limit, settings)
    except _Failed:
        raise
    except _NETWORK_ERRORS as err:
        if time.monotonic() >= deadline:
            raise _Failed("cannot fetch it (no answer in time)") from err
        raise _Failed(f"cannot fetch it ({type(err).__name__})") from err


def _follow(
    url: str, deadline: float, limit: int, settings: RequestSettings
) -> tuple[bytes, float | None]:
    headers = {"Accept-Encoding": "gzip, identity"}
    if settings.user_agent:
        headers["User-Agent"] = settings.user_agent
    target, origin, authorization = _credentials(url)
    for _ in range(MAX_REDIRECTS + 1):
        sent = dict(headers)
        if authorization and _origin(target) == origin:
            # credentials go to the host the URL named, never where it redirects
            sent["Authorization"] = authorization
        with _pool(target, settings) as pool:
            response = pool.request(
                "GET",
                target,
                headers=sent,
                timeout=urllib3.Timeout(total=_remaining(deadline)),
                retries=False,
                redirect=False,
                preload_content=False,
            )
            try:
                location = response.headers.get("Location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    target = urllib.parse.urljoin(target, location)
                    if not is_url(target):
                        raise _Failed("cannot fetch it (a redirect to another scheme)")
                    continue
                if not 200 <= response.status < 300:
                    raise _Failed(f"cannot fetch it (HTTP {response.status})")
                return _body(response, deadline, limit), _last_modified(response)
            finally:
                # closed, not released: a body abandoned mid-way is not reused
                response.close()
    raise _Failed("cannot fetch it (too many redirects)")


def _last_modified(response: urllib3.BaseHTTPResponse) -> float | None:
    """The response's ``Last-Modified`` in seconds since the epoch (``None``: none)."""
    header = response.headers.get("Last-Modified")
    if not header:
        return None
    try:
        return email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _credentials(url: str) -> tuple[str, tuple[str, str], str]:
    """``url`` without its credentials, its origin, and the header they make."""
    parts = urllib.parse.urlsplit(url)
    plain = urllib.parse.urlunsplit(_without_userinfo(parts))  # its query is sent as it is
    if not parts.username:
        return plain, _origin(plain), ""
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    auth = urllib3.make_headers(basic_auth=f"{user}:{password}")["authorization"]
    return plain, _origin(plain), auth


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _pool(url: str, settings: RequestSettings) -> urllib3.PoolManager:
    """A connection pool for ``url``: through the environment's proxy, if any,
    verifying TLS as Sphinx would."""
    parts = urllib.parse.urlsplit(url)
    cacerts = settings.tls_cacerts
    if isinstance(cacerts, dict):
        cacerts = cacerts.get(parts.hostname or "")
    if settings.tls_verify and not cacerts:
        import certifi  # requests' bundle, which Sphinx's own requests use

        cacerts = certifi.where()
    cert_reqs = "CERT_REQUIRED" if settings.tls_verify else "CERT_NONE"
    ca_certs = cacerts if settings.tls_verify else None
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, cert_reqs=cert_reqs, ca_certs=ca_certs)
    return urllib3.PoolManager(cert_reqs=cert_reqs, ca_certs=ca_certs)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Failed("cannot fetch it (no answer in time)")
    return left


def _body(response: urllib3.BaseHTTPResponse, deadline: float, limit: int) -> bytes:
    """The decoded body, read in chunks, each by the deadline, capped at ``limit``."""
    decode = _decoder(response.headers.get("Content-Encoding", ""), limit)
    expected = response.headers.get("Content-Length")
    received = 0
    body = bytearray()
    while True:
        _set_timeout(response, _remaining(deadline))
        # read1: at most one read from the socket, so the deadline is checked
        # again after each, however slowly the bytes come
        chunk = response.read1(CHUNK, decode_content=False)
        if not chunk:
            break
        received += len(chunk)
        body += decode(chunk, limit - len(body))
        if len(body) > limit:
            raise _Failed(TOO_LARGE.format(limit=limit))
    decode(b"", -1)
    if expected and expected.isdigit() and received < int(expected):
        raise _Failed("cannot fetch it (the body ended early)")
    return bytes(body)


def _set_timeout(response: urllib3.BaseHTTPResponse, seconds: float) -> None:
    """Give the next read from the socket at most ``seconds``."""
    connection = getattr(response, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _decoder(encoding: str, limit: int) -> Callable[[bytes, int], bytes]:
    """``decode(chunk, room)``: the chunk decoded, refused when it makes more
    than ``room`` bytes (a gzip bomb is never inflated whole); ``decode(b"", -1)``
    checks the end."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda chunk, room: chunk
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _Failed(f"cannot fetch it (Content-Encoding {encoding[:40]!r})")
    # gzip, or a zlib stream for deflate (32 + 15: either header, told apart)
    inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)

    def decode(chunk: bytes, room: int) -> bytes:
        if room < 0:  # the end: the stream must have ended too
            if not inflate.eof:
                raise _Failed("cannot fetch it (the compressed body is cut short)")
            return b""
        out = inflate.decompress(chunk, room + 1)
        if len(out) > room:
            raise _Failed(TOO_LARGE.format(limit=limit))
        return out

    return decode
