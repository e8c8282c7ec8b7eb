"""Reading a foreign file: loading it, and shape checks that name the JSON path.

Every accessor takes the object and its path (``$.threats[3]``) and either
returns a value of the expected type or raises :class:`SourceError` naming
``$.threats[3].statement`` and what was expected, so a malformed file is one
clear message, never a traceback from deep inside an importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..safeload import Malformed, Refused, load_json, load_yaml
from .model import SourceError


def load(path: Path, *, allow_yaml: bool = False) -> Any:
    """The parsed content of ``path`` (JSON; YAML too when ``allow_yaml``)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise SourceError("$", f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise SourceError("$", f"{path} is not UTF-8 text") from None
    try:
        return load_json(text)
    except Malformed as err:
        if not allow_yaml:
            raise SourceError("$", f"{err.reason} (line {err.line})") from None
    except Refused as err:  # a limit: the file is JSON, and refused
        raise SourceError("$", f"{err.reason} (line {err.line})") from None
    try:
        return load_yaml(text)
    except Malformed as err:
        raise SourceError("$", f"neither valid JSON nor valid YAML (line {err.line})") from None
    except Refused as err:
        raise SourceError("$", f"{err.reason} (line {err.line})") from None


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _get(obj: dict[str, Any], key: str, path: str, required: bool) -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise SourceError(f"{path}.{key}", "is required but missing")
        return None
    return obj[key]


def mapping(value: Any, path: str) -> dict[str, Any]:
    """``value`` itself, checked to be an object."""
    if not isinstance(value, dict):
        raise SourceError(path, f"expected an object, found {_type_name(value)}")
    return value


def obj(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> dict[str, Any]:
    """The object at ``key`` (``{}`` when absent and optional)."""
    value = _get(parent, key, path, required)
    return {} if value is None else mapping(value, f"{path}.{key}")


def text(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
    """The string at ``key`` (``""`` when absent and optional)."""
    value = _get(parent, key, path, required)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SourceError(f"{path}.{key}", f"expected a string, found {_type_name(value)}")
    return value


def scalar(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
    """A string or number at ``key``, as text (IDs are either in the wild)."""
    value = _get(parent, key, path, required)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SourceError(
            f"{path}.{key}", f"expected a string or a number, found {_type_name(value)}"
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def number(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> float | None:
    """The number at ``key`` (``None`` when absent and optional)."""
    value = _get(parent, key, path, required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceError(f"{path}.{key}", f"expected a number, found {_type_name(value)}")
    return value


def flag(parent: dict[str, Any], key: str, path: str) -> bool:
    """The boolean at ``key`` (``False`` when absent)."""
    value = _get(parent, key, path, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SourceError(f"{path}.{key}", f"expected true or false, found {_type_name(value)}")
    return value


def objects(
    parent: dict[str, Any], key: str, path: str, *, required: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """``(path, object)`` of each entry of the list at ``key``."""
    value = _get(parent, key, path, required)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{path}.{key}", f"expected a list, found {_type_name(value)}")
    return [
        (f"{path}.{key}[{i}]", mapping(entry, f"{path}.{key}[{i}]"))
        for i, entry in enumerate(value)
    ]


def strings(parent: dict[str, Any], key: str, path: str, *, one_or_many: bool = False) -> list[str]:
    """The list of strings at ``key`` (a lone string too when ``one_or_many``)."""
    value = _get(parent, key, path, False)
    if value is None:
        return []
    if one_or_many and isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise SourceError(f"{path}.{key}", f"expected a list of strings, found {_type_name(value)}")
    out = []
    for i, entry in enumerate(value):
        if isinstance(entry, int | float) and not isinstance(entry, bool):
            entry = str(entry)
        if not isinstance(entry, str):
            raise SourceError(f"{path}.{key}[{i}]", f"expected a string, found {_type_name(entry)}")
        out.append(entry)
    return out


def entries(
    parent: dict[str, Any], key: str, path: str, problems: list[str], what: str
) -> list[tuple[str, dict[str, Any]]]:
    """``(path, object)`` of each entry of the list at ``key`` that is an
    object; any other entry is noted in ``problems`` (by its path) and skipped,
    so one unreadable entry does not cost the rest."""
    value = _get(parent, key, path, False)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{path}.{key}", f"expected a list, found {_type_name(value)}")
    out = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            out.append((f"{path}.{key}[{i}]", entry))
        else:
            problems.append(
                skipped(
                    SourceError(
                        f"{path}.{key}[{i}]", f"expected an object, found {_type_name(entry)}"
                    ),
                    what,
                )
            )
    return out


def skipped(error: SourceError, what: str) -> str:
    """The note of an unreadable part of the file: where, why, and that only
    this ``what`` (a threat, a cell...) is left out."""
    return f"{error}; this {what} is not imported (the rest is)"
