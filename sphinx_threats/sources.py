"""The ``threats_external`` and ``threats_aggregate`` sources of a build, read
through :mod:`~.fetch`.

The Sphinx side of :mod:`~.fetch`: it resolves conf.py's values into fetch
requests (a path relative to conf.py; a URL with Sphinx's request settings,
``threats_external_timeout`` in all, and its cache in the doctree directory),
fetches them all at once (in parallel: a product with 200 members waits for
about one fetch), and turns what comes back into models and problems, each
at conf.py's line of the value that names the source:

- a source that cannot be read, whose cached copy stands in, is one
  ``unreachable-source`` gap giving the copy's age;
- a source with no usable copy, or that is not a ``threats.json``, or whose
  pinned ``sha256`` does not match (no cached copy stands in for a pinned
  file) is one ``invalid``, and the build goes on without it.

What it says of a URL, and every link it makes from one, is without the
URL's credentials.
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .external import MAX_BYTES, ExternalModel, read_model
from .fetch import (
    Fetched,
    FetchFailure,
    Request,
    RequestSettings,
    fetch_all,
    is_url,
    keep,
    public_url,
)
from .members import Member, describe_age, read_member
from .model import GapKind, Location, Problem
from .schema.options import Vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The doctree directory's subdirectories holding the fetched copies.
CACHE_DIR = "threats-external"
MEMBERS_CACHE_DIR = "threats-aggregate"


def request_settings(config: Config) -> RequestSettings:
    """Sphinx's request settings (``tls_verify``, ``tls_cacerts``, ``user_agent``)."""
    return RequestSettings(
        tls_verify=bool(config.tls_verify),
        tls_cacerts=config.tls_cacerts or None,
        user_agent=config.user_agent or "",
    )


class Sources(NamedTuple):
    """What this build's other projects give it."""

    externals: list[ExternalModel]
    members: list[Member]
    #: Each at conf.py's line of the value naming the source.
    problems: list[Problem]


class _Source(NamedTuple):
    """One configured source, resolved."""

    #: ``threats_external`` or ``threats_aggregate``.
    value: str
    name: str
    #: Where its pages are (``""``: unlinked).
    base: str
    #: As configured (a path relative to conf.py, or a URL).
    configured: str
    sha256: str
    request: Request


def _resolve(app: Sphinx, value: str, cache_dir: str) -> list[_Source]:
    out = []
    for name, (base_url, source, sha256) in getattr(app.config, value).items():
        if is_url(source):
            base = base_url or posixpath.dirname(source) + "/"
            # a pinned file: no cached copy stands in for it
            cache = None if sha256 else Path(app.doctreedir, cache_dir, f"{name}.json")
            request = Request(source, cache)
        else:
            base, request = base_url, Request(str(Path(app.confdir, source)))
        out.append(_Source(value, name, base, source, sha256, request))
    return out


def read_sources(
    app: Sphinx, vocabulary: Vocabulary, where: dict[str, Location], project_id: str
) -> Sources:
    """Every source of ``threats_external`` and ``threats_aggregate``, in their
    order, and the problems (at ``where[value]``: conf.py's line of the value);
    ``project_id`` is this project's (how the sources name its items)."""
    configured = [
        *_resolve(app, "threats_external", CACHE_DIR),
        *_resolve(app, "threats_aggregate", MEMBERS_CACHE_DIR),
    ]
    fetched = fetch_all(
        [s.request for s in configured],
        timeout=app.config.threats_external_timeout,
        limit=MAX_BYTES,
        settings=request_settings(app.config),
    )
    out = Sources([], [], [])
    for source, result in zip(configured, fetched, strict=True):
        _take(source, result, vocabulary, where[source.value], project_id, out)
    return out


def _take(
    source: _Source,
    result: Fetched | FetchFailure,
    vocabulary: Vocabulary,
    where: Location,
    project_id: str,
    out: Sources,
) -> None:
    """Read one fetched source into ``out``."""

    def say(kind: GapKind, note: str) -> None:
        message = f"{source.value}[{source.name!r}] ({public_url(source.configured)}): {note}"
        out.problems.append(Problem(kind, message, where))

    if isinstance(result, FetchFailure):
        say(GapKind.INVALID, f"{result.reason}; not used")
        return
    if source.sha256 and (found := hashlib.sha256(result.data).hexdigest()) != source.sha256:
        say(GapKind.INVALID, f"its SHA-256 is {found}, not the pinned {source.sha256}; not used")
        return
    # credentials fetch the file; the links made from it never carry them
    base = public_url(source.base)
    if source.value == "threats_aggregate":
        member = read_member(
            source.name,
            result.data,
            base,
            vocabulary,
            modified=result.modified,
            cached_age=result.cached_age,
        )
        usable, problem = isinstance(member, Member), member if isinstance(member, str) else ""
        if isinstance(member, Member):
            out.members.append(member)
    else:
        model = read_model(source.name, result.data, base, vocabulary, project_id)
        usable, problem = model.usable, model.problem
        if usable:
            out.externals.append(model)
    if usable and result.keep is not None:
        keep(result.keep, result.data)
    if not usable:
        say(GapKind.INVALID, "; ".join(filter(None, (result.note, f"{problem}; not used"))))
        return
    if result.note:
        age = (
            "" if result.cached_age is None else f", which is {describe_age(result.cached_age)} old"
        )
        say(GapKind.UNREACHABLE_SOURCE, result.note + age)
    if problem:
        say(GapKind.INVALID, problem)
