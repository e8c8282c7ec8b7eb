"""How options are written: reStructuredText option lines, MyST YAML blocks, lists.

Pure (no Sphinx).  A directive hands over the text it was given; these
functions split it into a title, ``name -> value`` strings and the position
of each option (an index into the lines given), and say what they could not
read.  What the values mean is :mod:`.values`' business.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import NamedTuple

from ..safeload import Refused, load_yaml
from .options import LINE_OPTIONS

_SPLIT_IDS = re.compile(r"[,\s]+")


def split_ids(value: str) -> list[str]:
    """IDs from a comma and/or whitespace separated list, or a YAML list."""
    tokens = []
    for token in _SPLIT_IDS.split(_unbracket(value)):
        token = token.strip("'\"")
        if token and token != "-":
            tokens.append(token)
    return tokens


_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def split_list(value: str) -> list[str]:
    """Entries of a comma-separated list (entries may contain spaces, and a
    comma written ``\\,``) or a YAML list."""
    value = _unbracket(value)
    if value.lstrip().startswith("- "):
        # a YAML block list; MyST folds it onto one line ("- a - b c")
        parts = re.split(r"(?:^|\s)-\s+", value.strip())
        return [p.strip().strip("'\"").strip() for p in parts if p.strip().strip("'\"")]
    out = []
    for line in value.splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:]
        # "\," is a comma inside an entry (a tag such as "asset: a\, b")
        for part in _UNESCAPED_COMMA.split(line):
            part = part.replace("\\,", ",").strip().strip("'\"").strip()
            if part and part != "-":
                out.append(part)
    return out


def _unbracket(value: str) -> str:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        return value[1:-1]
    return value


_OPTION_LINE = re.compile(r":([^:\s][^:]*):(?:\s+(.*))?\Z")


def is_option_line(line: str) -> bool:
    """Whether ``line`` starts an option (``:name: value``)."""
    return _OPTION_LINE.match(line.strip()) is not None


class OptionLines(NamedTuple):
    """What :func:`parse_option_lines` found."""

    #: Option name (lower case, as docutils has it) -> value.
    options: dict[str, str]
    #: Options given again: (name, index of the repeated line); the first wins.
    repeated: list[tuple[str, int]]
    #: How many lines were options.
    used: int
    #: Index of the line each option (its first occurrence) is written on.
    positions: dict[str, int] = {}


def parse_option_lines(lines: Sequence[str]) -> OptionLines:
    """Options from ``:name: value`` lines (a value may go on over indented lines).

    Parsing stops at the first line that is neither an option nor a
    continuation.  Names match case-insensitively (``:Status:`` is ``status``),
    as docutils' own option names do.
    """
    options: dict[str, str] = {}
    positions: dict[str, int] = {}
    repeated: list[tuple[str, int]] = []
    current: str | None = None
    used = 0
    for position, line in enumerate(lines):
        match = _OPTION_LINE.match(line.strip()) if line[:1] not in (" ", "\t") else None
        if match:
            name = match.group(1).strip().lower()
            if name in options:
                repeated.append((name, position))
                current = None  # its continuation lines belong to the ignored value
            else:
                current = name
                options[name] = (match.group(2) or "").strip()
                positions[name] = position
        elif line[:1] in (" ", "\t") and line.strip():
            if current is not None:
                options[current] = f"{options[current]}\n{line.strip()}".strip()
        else:
            break
        used = position + 1
    return OptionLines(options, repeated, used, positions)


class YamlOptions(NamedTuple):
    """What :func:`parse_yaml_options` found in a MyST ``---`` block."""

    #: Option name (lower case) -> value, as the option parser expects it.
    options: dict[str, str]
    #: Index of the block line each option is written on.
    positions: dict[str, int]
    #: Why YAML refused the block (it was then read line by line), else ``None``.
    error: str | None = None
    #: Index of the block line YAML's problem is on (when it says).
    error_line: int | None = None
    #: Options whose value could not be read (only when YAML refused the
    #: block): given, but nothing more is said about them.
    unreadable: tuple[str, ...] = ()


_YAML_KEY = re.compile(
    r"""(?P<q>["']?)(?P<key>[^"':#\s][^"':#]*?)(?P=q)\s*:(?:\s+|\Z)(?P<value>.*)"""
)
#: A plain YAML value starting with one of these is an alias, a tag or an
#: anchor; here a value is never one (``applies-to: *`` means every service).
_YAML_INDICATORS = ("*", "!", "&")


def _quote_indicators(lines: Sequence[str]) -> list[str]:
    """The block with values like ``*`` or ``!legacy`` quoted as YAML strings."""
    out = []
    for line in lines:
        key = _YAML_KEY.match(line) if line[:1] not in (" ", "\t", "-") else None
        item = None if key else re.match(r"(\s*-\s+)(.*)", line)
        if key and key.group("value").lstrip().startswith(_YAML_INDICATORS):
            value = key.group("value").strip()
            line = f"{line[: key.start('value')]}{json.dumps(value)}"
        elif item and item.group(2).lstrip().startswith(_YAML_INDICATORS):
            line = f"{item.group(1)}{json.dumps(item.group(2).strip())}"
        out.append(line)
    return out


def _key_positions(lines: Sequence[str]) -> dict[str, int]:
    """Block line of each top-level key (quoted or not, any case)."""
    positions: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line[:1] in (" ", "\t", "-", "#"):
            continue
        match = _YAML_KEY.match(line)
        if match:
            positions.setdefault(match.group("key").strip().lower(), index)
    return positions


def _read_line_by_line(lines: Sequence[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """``key: value`` lines, for a block YAML refuses: what can be read is kept.

    Each value is read as YAML on its own; one that is not valid even alone
    is *unreadable* (the block's error already names it).
    """
    options: dict[str, str] = {}
    unreadable: list[str] = []
    current: str | None = None
    for line in _quote_indicators(lines):
        match = _YAML_KEY.match(line) if line[:1] not in (" ", "\t", "-", "#") else None
        if match:
            current = match.group("key").strip().lower()
            if current in options or current in unreadable:
                current = None  # the first one counts
                continue
            try:
                options[current] = _yaml_text(load_yaml(match.group("value"), aliases=False))
            except Refused:
                unreadable.append(current)
                current = None
        elif current is not None and line.lstrip().startswith("- "):
            # a block list; any other continuation is YAML the error names
            entry = line.strip().removeprefix("- ").strip().strip("'\"")
            options[current] = f"{options[current]}, {entry}" if options[current] else entry
    return options, tuple(unreadable)


def parse_yaml_options(text: str) -> YamlOptions:
    """Options from a MyST ``---`` block: values as the strings the option
    parser expects (lists comma-joined, dates ISO), names in lower case.

    A value starting with ``*``, ``!`` or ``&`` is read as text, not as a YAML
    alias, tag or anchor.  When YAML refuses the block, it is read line by
    line as ``key: value`` (so the item keeps its ID) and the error says
    YAML's own problem.
    """
    lines = text.splitlines()
    positions = _key_positions(lines)
    try:
        data = load_yaml("\n".join(_quote_indicators(lines)), aliases=False) if text.strip() else {}
    except Refused as err:  # bad YAML, or a limit of .safeload (aliases are refused here)
        error = f"the options block {err.reason} (line {err.line} of the block)"
        error += "; it was read line by line"
        options, unreadable = _read_line_by_line(lines)
        return YamlOptions(options, positions, error, err.line - 1, unreadable)
    if not isinstance(data, dict):
        error = "the options block is not a YAML mapping of option names to values"
        return YamlOptions({}, positions, error, 0)
    options = {}
    for key, value in data.items():
        name = str(key).strip().lower()
        if name in LINE_OPTIONS and isinstance(value, list):
            # one entry per line: an entry may hold commas (a ticket's title)
            options.setdefault(name, "\n".join(_yaml_text(v) for v in value))
        else:
            options.setdefault(name, _yaml_text(value))
    return YamlOptions(options, positions)


def _yaml_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_yaml_text(v) for v in value)
    return str(value)


# -- a directive's text ------------------------------------------------------------------


class ArgumentOptions(NamedTuple):
    """What :func:`split_argument` found in a reStructuredText directive's argument."""

    #: The lines before the first option, joined.
    title: str
    #: Index of the first option line; ``None`` when the argument is only a title.
    start: int | None
    #: The option lines from ``start`` on (their positions count from ``start``).
    options: OptionLines
    #: Lines right after the options, with no blank line before them: docutils
    #: would reject the directive; the directive reads them as its body.
    rest: list[str]


def split_argument(lines: Sequence[str]) -> ArgumentOptions:
    """The title and the options of a directive without ``option_spec``.

    docutils then hands the title and the option lines over as one argument;
    the title ends at the first option line.
    """
    start = next((i for i, line in enumerate(lines) if is_option_line(line)), None)
    title_lines = lines if start is None else lines[:start]
    title = " ".join(line.strip() for line in title_lines)
    if start is None:
        return ArgumentOptions(title, None, OptionLines({}, [], 0), [])
    parsed = parse_option_lines(lines[start:])
    return ArgumentOptions(title, start, parsed, list(lines[start + parsed.used :]))


class BlockOptions(NamedTuple):
    """What :func:`parse_myst_options` found at the start of a MyST directive's content."""

    #: How many content lines the options take.
    used: int
    #: Option name (lower case) -> value, as the option parser expects it.
    options: dict[str, str]
    #: Index of the content line each option is written on.
    positions: dict[str, int]
    #: Options given again: (name, index of the content line); the first wins.
    repeated: list[tuple[str, int]]
    #: Options given in a YAML block YAML refused, whose value could not be read.
    unreadable: tuple[str, ...] = ()
    #: Why YAML refused the block (it was then read line by line), else ``None``.
    error: str | None = None
    #: Index of the content line YAML's problem is on (the block's first when
    #: YAML does not say).
    error_line: int = 0


def parse_myst_options(lines: Sequence[str]) -> BlockOptions:
    """Options from the first content lines MyST hands over: a ``---`` YAML
    block or ``:name: value`` lines.  An unclosed ``---`` block holds none."""
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            return BlockOptions(0, {}, {}, [])
        parsed = parse_yaml_options("\n".join(lines[1:end]))
        return BlockOptions(
            end + 1,
            parsed.options,
            {name: 1 + at for name, at in parsed.positions.items()},
            [],
            parsed.unreadable,
            parsed.error,
            1 + (parsed.error_line or 0),
        )
    found = parse_option_lines(lines)
    return BlockOptions(found.used, found.options, found.positions, found.repeated)
