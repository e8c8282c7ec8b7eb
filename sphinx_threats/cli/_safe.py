"""Text from a ``threats.json`` is data: what every printer does to it.

A ``threats.json`` may come from a pull request by anyone, so its titles,
messages, IDs, paths and keys reach the command's output as written unless
neutralised here.  Three dangers, one function each:

* terminal control: C0/C1 control characters (an ``ESC [`` sequence repaints
  or hides the terminal), a lone carriage return (overwrites a line, starts a
  new one in a CI log) and Unicode bidirectional overrides (the text shown is
  not the text read) -- :func:`clean`;
* workflow commands: GitHub Actions runs any log line that starts, after
  spaces, with ``::`` (``::error``, ``::add-mask::``...) -- :func:`no_commands`
  on every line the command prints that is not one of its own annotations;
* markup: Markdown and HTML in a pull-request comment -- :func:`markdown_escape`
  and :func:`markdown_code`.

JSON output stays the data as written, except that the characters a terminal
acts on are written as ``\\uXXXX`` escapes (:func:`json_text`): the same value
to any JSON reader.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Line breaks and tabs: a space in text, which is laid out by the printers.
_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]")

#: What a terminal acts on or a reader is misled by: C0 and C1 controls and DEL,
#: the bidirectional marks, embeddings, overrides and isolates.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: A line GitHub Actions would run as a workflow command.
_COMMAND_LINE = re.compile(r"^(\s*)::", re.MULTILINE)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` on one line, with nothing a terminal acts on: line breaks and
    tabs become spaces, other control and bidi characters visible escapes
    (``\\x1b``, ``\\u202e``)."""
    return _CONTROLS.sub(_escape, _BREAKS.sub(" ", text))


def no_commands(text: str) -> str:
    """``text`` with every line that would start a workflow command escaped
    with a backslash (``\\::error``): shown, never run."""
    return _COMMAND_LINE.sub(r"\1\\::", text)


def markdown_escape(text: str) -> str:
    """``text`` shown literally on one line of Markdown (a title may hold
    ``<script>``, ``|`` or a carriage return)."""
    # no tag can start without "<"; ">" stays readable ("implemented -> planned")
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;")
    for char in "\\`*_[]|~":
        text = text.replace(char, "\\" + char)
    return text


def markdown_code(text: str) -> str:
    """``text`` as a Markdown code span that a table cell can hold."""
    # the fence is longer than any run of backticks inside; GFM tables need
    # "|" escaped even in a code span
    text = clean(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"`{text}`"


#: What :func:`json_text` writes as ``\\uXXXX`` (JSON escapes C0 itself).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: Any) -> str:
    """``value`` as indented JSON, readable text kept, terminal controls escaped."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
