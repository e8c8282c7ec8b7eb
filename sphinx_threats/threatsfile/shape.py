"""The shape of a ``threats.json``: the JSON Schema the package ships, checked here.

``sphinx_threats/threats.schema.json`` is the one statement of which value
has which type; this module checks a parsed file against it, so the reader's
checks cannot drift from the published schema.  ``jsonschema`` is not a
dependency: only the keywords that schema uses are known (:data:`CHECKED`),
and a schema using another one is refused when it is loaded (a test runs
``jsonschema`` on the same samples and compares the verdicts).

One difference, on purpose: ``required`` is not enforced.  A key missing
from an entry takes the reader's default, so a file from an older build of
the same schema version still reads; the reader itself insists on what it
cannot do without (an item's ``id``, a gap's ``kind``...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

#: The schema shipped with the package (``threats.schema.json``).
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "threats.schema.json"

#: The keywords checked (``required``: see the module docstring) ...
CHECKED = frozenset(
    {
        "type",
        "const",
        "enum",
        "properties",
        "additionalProperties",
        "items",
        "$ref",
        "allOf",
        "oneOf",
        "minimum",
        "pattern",
        "uniqueItems",
        "required",
    }
)
#: ... and those that only describe.
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})

#: How a message says each JSON type.
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
}

#: The Python types of the other JSON types, as ``json`` parses them.
_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "array": list,
    "object": dict,
}

_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


#: Where a value is: the keys and list indexes from the top (formatted only
#: for a message, by :func:`where`).
Where = tuple[str | int, ...]


class ShapeError(ValueError):
    """A value of the wrong shape: where it is and what it should be."""

    def __init__(self, where: str | Where, expected: str, value: Any) -> None:
        place = where if isinstance(where, str) else _format(where)
        # ensure_ascii: a value shown in a message never carries a control character
        shown = json.dumps(value, ensure_ascii=True, default=repr)
        super().__init__(f"{place or 'the file'} should be {expected}, not {shown[:40]}")


@cache
def schema() -> dict[str, Any]:
    """The shipped schema, with every keyword it uses known here."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    unknown = sorted(_keywords(loaded) - CHECKED - ANNOTATIONS)
    if unknown:
        raise RuntimeError(f"{SCHEMA_FILE.name} uses keywords not checked: {', '.join(unknown)}")
    return loaded


def _keywords(node: Any) -> set[str]:
    """Every keyword used in a schema node and below (property names excluded)."""
    if isinstance(node, list):
        return set().union(*(_keywords(n) for n in node))
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found |= set().union(*(_keywords(v) for v in value.values()))
        elif key not in ("enum", "const", "required"):
            found |= _keywords(value)
    return found


def check(value: Any) -> None:
    """Raise :class:`ShapeError` at the first value of ``value`` (a whole
    parsed ``threats.json``) whose type the schema does not allow."""
    _compiled(schema())(value, ())


def _format(where: Where) -> str:
    text = ""
    for part in where:
        text = f"{text}[{part}]" if isinstance(part, int) else path(text, part)
    return text


def path(where: str, key: str) -> str:
    """The path of ``key`` under ``where`` (``items.threats``, ``summary["a b"]``)."""
    if _SIMPLE_KEY.match(key):
        return f"{where}.{key}" if where else key
    return f"{where}[{json.dumps(key, ensure_ascii=True)}]"


# a schema node with its $ref followed, by id() of the node: the nodes are
# the cached schema's, alive as long as the process (resolving each time
# took most of the time of a large file's check)
_RESOLVED: dict[int, dict[str, Any]] = {}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    found = _RESOLVED.get(id(node))
    if found is not None:
        return found
    ref = node.get("$ref")
    resolved = node
    if ref is not None:
        target: Any = schema()
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        resolved = {**{k: v for k, v in node.items() if k != "$ref"}, **_resolve(target)}
    _RESOLVED[id(node)] = resolved
    return resolved


#: A schema node compiled: raises :class:`ShapeError` when the value at
#: ``where`` does not fit it.
_Check = Callable[[Any, Where], None]

# each node compiled once, by id() of the node (alive as long as the process,
# as for _RESOLVED).  Walking the schema's dicts for every value (which
# keywords a node has, its $ref, its type list) took 0.20 s of 0.47 s reading
# 200 member files of 43 items; compiled, the same checks take 0.045 s
_COMPILED: dict[int, _Check] = {}


def _compiled(node: dict[str, Any]) -> _Check:
    found = _COMPILED.get(id(node))
    if found is None:
        # a node that (through $ref) holds itself finds this one meanwhile
        _COMPILED[id(node)] = lambda value, where: _COMPILED[id(node)](value, where)
        found = _COMPILED[id(node)] = _compile(_resolve(node))
    return found


def _compile(node: dict[str, Any]) -> _Check:
    """The checks of ``node``, in this order: ``allOf``, ``oneOf``, ``type``,
    ``const``, ``enum``, ``minimum``, ``pattern``, then a list's items or an
    object's properties."""
    steps: list[_Check] = [_compiled(part) for part in node.get("allOf", ())]
    if "oneOf" in node:
        steps.append(_one_of(node["oneOf"]))
    if node.get("type") is not None:
        steps.append(_type(_listed(node["type"]), _describe(node)))
    if "const" in node:
        steps.append(_const(node["const"]))
    if "enum" in node:
        steps.append(_enum(node["enum"], _describe(node)))
    if "minimum" in node:
        steps.append(_minimum(node["minimum"]))
    if "pattern" in node:
        steps.append(_pattern(node["pattern"], _describe(node)))
    if "items" in node or node.get("uniqueItems"):
        steps.append(_list(node))
    if "properties" in node or isinstance(node.get("additionalProperties"), dict):
        steps.append(_object(node))
    if len(steps) == 1:
        return steps[0]

    def check(value: Any, where: Where) -> None:
        for step in steps:
            step(value, where)

    return check


def _one_of(parts: list[dict[str, Any]]) -> _Check:
    checks = [_compiled(part) for part in parts]
    expected = " or ".join(_describe(p) for p in parts)

    def check(value: Any, where: Where) -> None:
        if sum(_passes(c, value) for c in checks) != 1:
            raise ShapeError(where, expected, value)

    return check


def _passes(check: _Check, value: Any) -> bool:
    try:
        check(value, ())
    except ShapeError:
        return False
    return True


def _type(kinds: list[str], expected: str) -> _Check:
    plain = tuple(_PYTHON_TYPES[k] for k in kinds if k in ("string", "null", "array", "object"))
    if len(plain) == len(kinds):  # no number: isinstance says it (a bool is none of these)
        flat = tuple(t for t in plain if isinstance(t, type))

        def check(value: Any, where: Where) -> None:
            if not isinstance(value, flat):
                raise ShapeError(where, expected, value)

        return check

    def check_numbers(value: Any, where: Where) -> None:
        if not any(_is(value, k) for k in kinds):
            raise ShapeError(where, expected, value)

    return check_numbers


def _const(const: Any) -> _Check:
    def check(value: Any, where: Where) -> None:
        if not _same(value, const):
            raise ShapeError(where, json.dumps(const), value)

    return check


def _enum(values: list[Any], expected: str) -> _Check:
    def check(value: Any, where: Where) -> None:
        if not any(_same(value, v) for v in values):
            raise ShapeError(where, expected, value)

    return check


def _minimum(minimum: float) -> _Check:
    def check(value: Any, where: Where) -> None:
        if _is(value, "number") and value < minimum:
            raise ShapeError(where, f"at least {minimum}", value)

    return check


def _pattern(pattern: str, expected: str) -> _Check:
    search = re.compile(pattern).search

    def check(value: Any, where: Where) -> None:
        if isinstance(value, str) and not search(value):
            raise ShapeError(where, expected, value)

    return check


def _list(node: dict[str, Any]) -> _Check:
    member = _compiled(node["items"]) if "items" in node else None
    unique = bool(node.get("uniqueItems"))

    def check(value: Any, where: Where) -> None:
        if not isinstance(value, list):
            return
        if member is not None:
            for n, item in enumerate(value):
                member(item, (*where, n))
        if unique:
            seen = [json.dumps(v, sort_keys=True) for v in value]
            if len(set(seen)) != len(seen):
                raise ShapeError(where, "a list without repeats", value)

    return check


def _object(node: dict[str, Any]) -> _Check:
    # a property whose schema is no object (true, false) is not checked, and
    # is not checked as an additional one either
    members: dict[str, _Check | None] = {
        key: _compiled(sub) if isinstance(sub, dict) else None
        for key, sub in node.get("properties", {}).items()
    }
    extra = node.get("additionalProperties")
    other = _compiled(extra) if isinstance(extra, dict) else None

    def check(value: Any, where: Where) -> None:
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            sub = members.get(key, other)
            if sub is not None:
                sub(item, (*where, key))

    return check


def _listed(kinds: str | list[str]) -> list[str]:
    return [kinds] if isinstance(kinds, str) else kinds


def _is(value: Any, kind: str) -> bool:
    """Whether ``value`` is of JSON type ``kind`` (as JSON Schema says: ``true``
    is no integer, ``2.0`` is one)."""
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, _PYTHON_TYPES[kind])


def _same(value: Any, expected: Any) -> bool:
    # JSON Schema equality: true is not 1
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    return bool(value == expected)


def _describe(node: dict[str, Any]) -> str:
    """What a value of ``node`` is, in words."""
    node = _resolve(node)
    if "enum" in node:
        return "one of " + ", ".join(json.dumps(v) for v in node["enum"])
    if "pattern" in node:
        return f"a string matching {node['pattern']}" + (
            " or null" if "null" in _listed(node.get("type", [])) else ""
        )
    if "type" in node:
        return " or ".join(_TYPE_WORDS[k] for k in _listed(node["type"]))
    return "of another shape"
