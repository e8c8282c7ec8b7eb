"""The ``threats_external`` sources of a build, read through :mod:`~.fetch`.

The Sphinx side of :mod:`~.fetch`: it resolves conf.py's values into fetch
calls (a path relative to conf.py; a URL with Sphinx's request settings,
``threats_external_timeout`` in all, and its cache in the doctree directory)
and turns what comes back into models and problems.  Whatever goes wrong is
one ``threats.invalid`` warning at conf.py's ``threats_external`` line, and
the build goes on without that source (or with its cached copy).  What it
says of a URL, and every link it makes from one, is without the URL's
credentials.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from .external import MAX_BYTES, ExternalModel, read_model
from .fetch import FetchFailure, RequestSettings, fetch, is_url, keep, public_url
from .model import GapKind, Location, Problem
from .schema.options import Vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: The doctree directory's subdirectory holding the fetched copies.
CACHE_DIR = "threats-external"


def request_settings(config: Config) -> RequestSettings:
    """Sphinx's request settings (``tls_verify``, ``tls_cacerts``, ``user_agent``)."""
    return RequestSettings(
        tls_verify=bool(config.tls_verify),
        tls_cacerts=config.tls_cacerts or None,
        user_agent=config.user_agent or "",
    )


def read_sources(
    app: Sphinx, vocabulary: Vocabulary, where: Location
) -> tuple[list[ExternalModel], list[Problem]]:
    """Every source of ``threats_external``, in its order, and the problems
    (each at ``where``: conf.py's ``threats_external`` line)."""
    models: list[ExternalModel] = []
    problems: list[Problem] = []
    settings = request_settings(app.config)
    for name, (base_url, source) in app.config.threats_external.items():
        if is_url(source):
            base = base_url or posixpath.dirname(source) + "/"
            cache: Path | None = Path(app.doctreedir, CACHE_DIR, f"{name}.json")
            path = source
        else:
            base, cache, path = base_url, None, str(Path(app.confdir, source))
        fetched = fetch(
            path,
            timeout=app.config.threats_external_timeout,
            limit=MAX_BYTES,
            cache=cache,
            settings=settings,
        )
        notes: list[str] = []
        if isinstance(fetched, FetchFailure):
            notes.append(f"{fetched.reason}; not used")
        else:
            if fetched.note:
                notes.append(fetched.note)
            # credentials fetch the file; the links made from it never carry them
            model = read_model(name, fetched.data, public_url(base), vocabulary)
            if model.usable:
                models.append(model)
                if fetched.keep is not None:
                    keep(fetched.keep, fetched.data)
            if model.problem:
                notes.append(model.problem if model.usable else f"{model.problem}; not used")
        for note in notes:
            message = f"threats_external[{name!r}] ({public_url(source)}): {note}"
            problems.append(Problem(GapKind.INVALID, message, where))
    return models, problems
