"""Bounded readers for YAML and JSON from untrusted sources.

Pure (no Sphinx).  Catalogues, MyST options blocks and imported files are
written by anyone who can open a pull request or export a model, so reading
them must cost what their size says, whatever they hold:

* **size**: a YAML text over :data:`MAX_YAML_BYTES` or a JSON text over
  :data:`MAX_JSON_BYTES` (UTF-8) is refused unread;
* **depth**: collections nested deeper than :data:`MAX_DEPTH` are refused
  (deeper nesting is what turns a few kilobytes into a ``RecursionError``);
* **aliases** (YAML only): an alias counts as everything it stands for against
  a budget of :data:`MAX_YAML_BYTES` units (one per node plus one per
  character of a scalar), so aliases can never make a document larger than a
  file without them could be ("billion laughs"); an alias inside its own
  anchor (a recursive structure) is refused.

Every refusal, and every syntax error, is one :class:`Refused` carrying the
line and column to show, so a caller makes one located warning of it and
carries on.  YAML is composed with PyYAML's safe loader: no tag constructs
an object.
"""

from __future__ import annotations

import copy
import json
import math
import re
from typing import Any, NamedTuple, Protocol, cast

import yaml

#: The largest YAML text read, in bytes (a catalogue, an options block, an imported file).
MAX_YAML_BYTES = 5 * 1024 * 1024
#: The largest JSON text read, in bytes.
MAX_JSON_BYTES = 20 * 1024 * 1024
#: The deepest nesting of lists and mappings read (a threat model needs fewer than ten).
MAX_DEPTH = 64


class Refused(ValueError):
    """A text a bounded reader will not read: why, and where.

    ``reason`` is a clause to follow the thing's name ("the catalogue
    {reason}"); ``line`` and ``column`` count from 1.
    """

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(f"{reason} (line {line}, column {column})")
        self.reason = reason
        self.line = line
        self.column = column


class _Mark(Protocol):
    """Where PyYAML saw something (0-based)."""

    line: int
    column: int


class Malformed(Refused):
    """The text is not valid YAML or JSON (rather than over a limit)."""


def _at(reason: str, mark: _Mark | None, kind: type[Refused] = Refused) -> Refused:
    if mark is None:
        return kind(reason)
    return kind(reason, mark.line + 1, mark.column + 1)


def _too_large(size: int, limit: int) -> Refused:
    return Refused(f"is {size} bytes; the limit is {limit} bytes")


#: The tag of the empty node put in place of a part a limit refused (read as
#: null); a reader skips it silently, its :class:`Refused` says why.
REFUSED_TAG = "tag:sphinx-threats,2026:refused"

_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting depth and expanded size while it composes.

    Composition is where aliases are resolved and where PyYAML recurses, so
    the limits are checked there, before anything is built from the nodes.
    A refused part becomes an empty :data:`REFUSED_TAG` node and a
    :class:`Refused` in :attr:`refused`: the rest of the document still counts.
    """

    def __init__(self, text: str, budget: int, *, aliases: bool) -> None:
        super().__init__(text)
        self._budget = budget
        self._aliases = aliases
        #: Units composed so far, aliases counted as what they stand for.
        self._expanded = 0
        self._depth = 0
        #: Expanded size of each anchored node, once it is complete.
        self._weights: dict[str, int] = {}
        self.refused: list[Refused] = []

    def _refuse(self, reason: str, event: yaml.Event) -> yaml.Node:
        """The placeholder of a refused part (``reason`` empty: said before)."""
        if reason:
            self.refused.append(_at(reason, event.start_mark))
        marks: Any = (event.start_mark, event.end_mark)  # PyYAML's or LibYAML's Mark
        return yaml.ScalarNode(REFUSED_TAG, "", *marks)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """One node, within the limits; an alias is located at its own line."""
        event = cast(yaml.NodeEvent, self.peek_event())  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, parent, index)
        collection = isinstance(event, _COLLECTION_START)
        if collection and self._depth >= MAX_DEPTH:
            self._skip_collection()
            return self._refuse(f"is nested deeper than {MAX_DEPTH} levels", event)
        if isinstance(event, yaml.ScalarEvent) and _SURROGATE.search(event.value):
            try:  # YAML decodes a pair of escapes (\\ud83d\\ude42) one by one: pair them
                event.value = event.value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:  # a lone one is no text: no page or file holds it
                self.get_event()  # type: ignore[no-untyped-call]
                return self._refuse(
                    "holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape), which is "
                    "not text",
                    event,
                )
        self._depth += collection
        before = self._expanded
        # fresh nodes are bounded by the text's size: only aliases can overspend
        self._expanded += 1 + (len(event.value) if isinstance(event, yaml.ScalarEvent) else 0)
        node = super().compose_node(parent, index)
        self._depth -= collection
        if event.anchor is not None:
            self._weights[event.anchor] = self._expanded - before
        return node

    def _skip_collection(self) -> None:
        """Consume a refused collection; its anchors stand for a placeholder."""
        level = 0
        while True:
            event = self.get_event()  # type: ignore[no-untyped-call]
            anchor = getattr(event, "anchor", None)
            if anchor is not None and not isinstance(event, yaml.AliasEvent):
                self.anchors[anchor] = self._refuse("", event)
                self._weights[anchor] = 1
            level += isinstance(event, _COLLECTION_START)
            level -= isinstance(event, _COLLECTION_END)
            if level == 0:
                return

    def _compose_alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: int
    ) -> yaml.Node | None:
        anchor = str(event.anchor)
        if anchor in self.anchors:  # (an undefined alias is PyYAML's error)
            reason = self._alias_refusal(anchor)
            if reason is not None:
                self.get_event()  # type: ignore[no-untyped-call]
                return self._refuse(reason, event)
            self._expanded += self._weights[anchor]
        target = super().compose_node(parent, index)
        if target is None:
            return None
        # the same content, but where the alias is written (an entry given as
        # ``- *e`` is reported at its own line, not at its anchor's)
        located = copy.copy(target)
        located.start_mark, located.end_mark = event.start_mark, event.end_mark
        return located

    def _alias_refusal(self, anchor: str) -> str | None:
        """Why ``*anchor`` is refused (``""``: said before), or ``None``."""
        if not self._aliases:
            return f"has the alias *{anchor}; aliases are not read here"
        weight = self._weights.get(anchor)
        if weight is None:  # the anchored node is still being composed
            return (
                f"has the alias *{anchor} inside its own anchor &{anchor} "
                "(a recursive structure is refused)"
            )
        if self._expanded + weight <= self._budget:
            return None
        if self._expanded > self._budget:
            return ""  # said at the first alias over the budget
        self._expanded = self._budget + 1
        return (
            f"expands beyond {self._budget} units through the alias *{anchor} "
            "(the size a file without aliases may have); it and every later alias are not read"
        )


#: A surrogate code point: YAML's ``\\uD83D`` escapes decode to them one by one
#: (PyYAML does not pair them), and no UTF-8 writer accepts one.
_SURROGATE = re.compile("[\\ud800-\\udfff]")


_BoundedLoader.add_constructor(REFUSED_TAG, lambda loader, node: None)


def _yaml_error(err: yaml.YAMLError) -> Refused:
    if isinstance(err, yaml.MarkedYAMLError):
        problem = err.problem or err.context or "unknown problem"
        if err.context and err.problem:  # "while scanning an alias": says what was read
            problem = f"{problem} ({err.context})"
        return _at(f"is not valid YAML: {problem}", err.problem_mark or err.context_mark, Malformed)
    return Malformed(f"is not valid YAML: {err}")


def _checked_size(text: str, limit: int) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise _too_large(size, limit)


class Composed(NamedTuple):
    """The node tree of a YAML document and what the limits refused in it."""

    #: The root node (``None`` for an empty document); a refused part is an
    #: empty :data:`REFUSED_TAG` node.
    root: yaml.Node | None
    #: One per refused part, in document order.
    refused: tuple[Refused, ...]


class Loaded(NamedTuple):
    """The plain values of a YAML document and what the limits refused in it."""

    #: The values; a refused part is ``None``.
    data: Any
    #: One per refused part, in document order.
    refused: tuple[Refused, ...]


def compose_yaml(text: str, *, max_bytes: int = MAX_YAML_BYTES, aliases: bool = True) -> Composed:
    """The node tree of the one YAML document in ``text``, within the limits.

    Raises :class:`Refused` on a syntax error or a text over ``max_bytes``
    (nothing can be read); a part refused by a limit is in
    :attr:`Composed.refused`.  Each node keeps its line, an alias its own.
    ``max_bytes`` is also what aliases may expand the document to; without
    ``aliases`` every alias is refused.
    """
    _checked_size(text, max_bytes)
    loader = _BoundedLoader(text, max_bytes, aliases=aliases)
    try:
        return Composed(loader.get_single_node(), tuple(loader.refused))
    except yaml.YAMLError as err:
        raise _yaml_error(err) from None
    finally:
        loader.dispose()


def read_yaml(text: str, *, max_bytes: int = MAX_YAML_BYTES, aliases: bool = True) -> Loaded:
    """The plain values (text, numbers, lists, mappings...) of the one YAML
    document in ``text``, read safely, as :func:`compose_yaml` composes it."""
    _checked_size(text, max_bytes)
    loader = _BoundedLoader(text, max_bytes, aliases=aliases)
    try:
        return Loaded(loader.get_single_data(), tuple(loader.refused))
    except yaml.YAMLError as err:
        raise _yaml_error(err) from None
    finally:
        loader.dispose()


def load_yaml(text: str, *, max_bytes: int = MAX_YAML_BYTES, aliases: bool = True) -> Any:
    """The plain values of the one YAML document in ``text``, all or nothing.

    Raises :class:`Refused` on a syntax error and on the first part a limit
    refuses.
    """
    loaded = read_yaml(text, max_bytes=max_bytes, aliases=aliases)
    if loaded.refused:
        raise loaded.refused[0]
    return loaded.data


#: A JSON string (an unrolled loop: much faster than an alternation per character).
_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
#: What the shape check looks at outside strings: brackets, and the
#: non-standard constants Python's reader accepts.
_JSON_STRUCTURE = r"[\[\]{}]|NaN|-?Infinity"
_STRINGS = re.compile(_JSON_STRING)
_TOKENS = re.compile(f"{_JSON_STRING}|{_JSON_STRUCTURE}")


def _shape_problem(text: str) -> tuple[type[Refused], str, int] | None:
    """Nesting deeper than :data:`MAX_DEPTH` or a NaN/Infinity: what and where."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return Refused, f"is nested deeper than {MAX_DEPTH} levels", match.start()
        elif token in ("]", "}"):
            depth -= 1
        elif token[0] != '"':
            return Malformed, f"is not valid JSON: {token} is not a JSON number", match.start()
    return None


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_CONSTANT = re.compile(r"NaN|Infinity")


def _check_json_shape(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and NaN/Infinity, at their place.

    The quick pass runs in C (a Python loop over every bracket took twice as
    long as parsing): strings removed, then the innermost ``[]``/``{}`` pairs
    peeled :data:`MAX_DEPTH` times; brackets left mean deeper nesting.  Only
    then is the text scanned token by token, to say where.
    """
    bare = _STRINGS.sub('""', text)
    nested = _NOT_BRACKET.sub("", bare)
    for _ in range(MAX_DEPTH):
        if not nested:
            break
        nested = _INNERMOST.sub("", nested)
    if not nested and _CONSTANT.search(bare) is None:
        return
    problem = _shape_problem(text)
    if problem is not None:
        kind, reason, offset = problem
        line = text.count("\n", 0, offset) + 1
        raise kind(reason, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


class _OutOfRange(ValueError):
    """A JSON number that is no finite float (``1e999``)."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange(text[:20])
    return value


def load_json(text: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The values of the JSON document ``text``, read within the limits.

    Raises :class:`Refused` on a syntax error, on ``NaN``/``Infinity``, on a
    number out of range (``1e999``, an integer of thousands of digits) and on
    every limit.
    """
    _checked_size(text, max_bytes)
    try:
        data = json.loads(text, parse_float=_finite)
    except json.JSONDecodeError as err:
        raise Malformed(f"is not valid JSON: {err.msg}", err.lineno, err.colno) from None
    except _OutOfRange as err:
        raise Refused(f"holds a number out of range ({err})") from None
    except ValueError:  # Python's limit on the digits of an integer
        raise Refused("holds a number out of range (an integer of thousands of digits)") from None
    except RecursionError:
        # Python's own limit is deeper than ours: the scan says where
        _check_json_shape(text)
        raise Refused(f"is nested deeper than {MAX_DEPTH} levels") from None
    _check_json_shape(text)
    _check_surrogates(text, data)
    return data


#: A ``\\uD800``-``\\uDFFF`` escape: JSON may write a lone surrogate, which
#: Python decodes to a string that no UTF-8 writer accepts.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _check_surrogates(text: str, data: Any) -> None:
    """Refuse a lone surrogate: the text is not text, and every page, file or
    terminal line it reached would fail to encode.  Escapes are rare, so the
    whole document is encoded only when the text holds one."""
    first = _SURROGATE_ESCAPE.search(text)
    if first is None:
        return
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        line = text.count("\n", 0, first.start()) + 1
        raise Refused(
            "holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape), which is not text",
            line,
        ) from None
