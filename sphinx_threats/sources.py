"""Fetching the ``threats_external`` sources of a build: files, URLs and their cache.

A URL is fetched once per build with Sphinx's own request helper (its user
agent, TLS settings and proxies), with ``threats_external_timeout``; every
good copy is kept in the doctree directory, and used, with a warning, when
the URL cannot be fetched.  Whatever goes wrong is one ``threats.invalid``
warning at conf.py's ``threats_external`` line, and the build goes on without
that source.
"""

from __future__ import annotations

import os
import posixpath
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .external import MAX_BYTES, TOO_LARGE, ExternalModel, read_model
from .model import GapKind, Location, Problem
from .schema.options import Vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: The doctree directory's subdirectory holding the fetched copies.
CACHE_DIR = "threats-external"


class Fetched(NamedTuple):
    """The bytes of one source, or why there are none."""

    data: bytes | None
    #: Said about the source even when there are bytes (a cached copy was used).
    note: str = ""
    #: Where to keep the bytes once they proved usable (fetched from a URL).
    keep: Path | None = None


def is_url(source: str) -> bool:
    """Whether ``source`` is an http(s) URL (anything else is a path)."""
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def read_sources(
    app: Sphinx, vocabulary: Vocabulary, where: Location
) -> tuple[list[ExternalModel], list[Problem]]:
    """Every source of ``threats_external``, in its order, and the problems
    (each at ``where``: conf.py's ``threats_external`` line)."""
    models: list[ExternalModel] = []
    problems: list[Problem] = []
    for name, (base_url, source) in app.config.threats_external.items():
        if is_url(source):
            fetched = _fetch(app, name, source)
            base = base_url or posixpath.dirname(source) + "/"
        else:
            fetched = _read_file(Path(app.confdir, source))
            base = base_url
        notes = [fetched.note] if fetched.note else []
        if fetched.data is not None:
            model = read_model(name, fetched.data, base, vocabulary)
            if model.usable:
                models.append(model)
                if fetched.keep is not None:
                    _keep(fetched.keep, fetched.data)
            if model.problem:
                notes.append(model.problem if model.usable else f"{model.problem}; not used")
        for note in notes:
            message = f"threats_external[{name!r}] ({source}): {note}"
            problems.append(Problem(GapKind.INVALID, message, where))
    return models, problems


def _read_file(path: Path) -> Fetched:
    try:
        if path.stat().st_size > MAX_BYTES:
            return Fetched(None, f"{TOO_LARGE}; not used")
        return Fetched(path.read_bytes())
    except FileNotFoundError:
        return Fetched(None, f"no such file {path}; not used")
    except OSError as err:
        return Fetched(None, f"cannot read {path} ({err.strerror or err}); not used")


def _fetch(app: Sphinx, name: str, url: str) -> Fetched:
    from sphinx.util import requests

    cache = Path(app.doctreedir, CACHE_DIR, f"{name}.json")
    config = app.config
    try:
        response = requests.get(
            url,
            timeout=config.threats_external_timeout,
            stream=True,
            _user_agent=config.user_agent,
            _tls_info=(config.tls_verify, config.tls_cacerts),
        )
        with response:
            response.raise_for_status()
            # read at most one byte over the limit: a larger body is refused unread
            data = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except OSError as err:  # requests' errors are OSErrors (timeouts, refusals, HTTP codes)
        return _cached(cache, f"cannot fetch it ({_reason(err)})")
    if len(data) > MAX_BYTES:
        return Fetched(None, f"{TOO_LARGE}; not used")
    return Fetched(data, keep=cache)


def _reason(err: OSError) -> str:
    response = getattr(err, "response", None)
    if response is not None and getattr(response, "status_code", None):
        return f"HTTP {response.status_code}"
    return type(err).__name__


def _cached(cache: Path, why: str) -> Fetched:
    try:
        data = cache.read_bytes()
    except OSError:
        return Fetched(None, f"{why}, and no copy is cached; not used")
    return Fetched(data, f"{why}; using the copy cached by an earlier build ({cache})")


def _keep(cache: Path, data: bytes) -> None:
    """Keep a good copy for the builds that cannot fetch it (best effort)."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, cache)
    except OSError:
        pass  # no cache: the next unreachable fetch says so
