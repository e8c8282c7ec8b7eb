"""Item digests: a hash of what an item means, never of where it is.

Pure (no Sphinx).  A review records the digest of the threat a decision
answers (see :mod:`.review`); a digest that changes re-opens the review.  So
the digest covers what a reviewer judged (for a threat, the fields of
``threats_review_fields``, or its ``:revision:`` alone) and nothing of its
place: a page converted between reStructuredText and MyST, an item moved to
another page or into a catalogue, a fixed tag or title change no digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from .model import Item, Threat
from .schema.options import OPTIONS, OptionType

#: The prefix of every digest this version writes: the hash and the version
#: of what is hashed.  A digest with another prefix is never compared (its
#: links count as unreviewed, not suspect).
DIGEST_PREFIX = "sha256:1:"

#: The default ``threats_review_fields``.
DEFAULT_REVIEW_FIELDS = ("category", "severity", "likelihood", "impact", "body")

#: What ``threats_review_fields`` may name: a threat's options (but its ID,
#: which every digest covers, and ``:revision:``, which replaces them), its
#: title and its body.
REVIEW_FIELDS = (
    "title",
    *(o.name for o in OPTIONS[Threat.kind] if o.type is not OptionType.ID and o.name != "revision"),
    "body",
)

# options that never count in a digest: tags are labels, not meaning
_UNHASHED = frozenset({OptionType.ID, OptionType.TAGS})
# list options whose order means nothing (ID lists, vocabulary sets, numbers)
_SETS = frozenset({OptionType.REFS, OptionType.SCOPE, OptionType.CHOICES, OptionType.NUMBERS})


def collapse(text: str) -> str:
    """``text`` with every run of whitespace one space, trimmed: a body's
    text as the digest sees it (so re-wrapping a paragraph changes nothing)."""
    return " ".join(text.split())


def digest_of(item: Item, review_fields: tuple[str, ...] = DEFAULT_REVIEW_FIELDS) -> str:
    """The digest of ``item`` here: computed for this project's items, as its
    ``threats.json`` recorded it for another project's (``""`` when that file
    recorded none)."""
    if item.location.foreign:
        return item.digest
    return item_digest(item, review_fields)


def item_digest(item: Item, review_fields: tuple[str, ...] = DEFAULT_REVIEW_FIELDS) -> str:
    """The digest of ``item``: ``sha256:1:`` and the SHA-256 of canonical JSON
    (sorted keys, no whitespace, UTF-8) over its kind, its ID and what it means.

    For a threat that is the fields named in ``review_fields`` (the
    effective severity, categories as a sorted set, the body's text with
    whitespace collapsed), or its ``:revision:`` alone when set; for any
    other item, its options (ID lists as sorted sets; tags left out) and its
    body's text.
    """
    meaning: dict[str, Any] = {"kind": item.kind.value, "id": item.id}
    options = {o.name: o for o in OPTIONS[item.kind]}
    if isinstance(item, Threat):
        if item.revision:
            meaning["revision"] = item.revision
        else:
            for name in review_fields:
                meaning[name] = _field(item, name, options.get(name))
    else:
        for name, option in options.items():
            if option.type not in _UNHASHED:
                meaning[name] = _field(item, name, option)
        meaning["body"] = collapse(item.body)
    canonical = json.dumps(meaning, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return DIGEST_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _field(item: Item, name: str, option: Any) -> Any:
    """The canonical value of one field: lists as sorted sets where order
    means nothing, dates ISO, the body collapsed."""
    if name == "body":
        return collapse(item.body)
    if name == "title":
        return item.title
    value = getattr(item, name.replace("-", "_"), None)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        if option is not None and option.type in _SETS:
            return sorted(set(value))
        return list(value)
    return value
