"""Foreign text made safe for reStructuredText and MyST.

Titles and bodies come from a file someone else wrote; they must show as the
text they are and never become markup, break the directive they sit in, or
inject HTML.  Plain text is escaped (:func:`rst_text`, :func:`myst_text`);
Markdown prose is kept as Markdown but defused (:func:`safe_markdown`): MyST
directives and roles, raw HTML and non-web links lose their power, and its
headings are renumbered to nest under ours.
"""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>`\"']+[^\s<>`\"'.,;:!?)\]]")

# --- reStructuredText ---------------------------------------------------------

#: Characters that start inline markup anywhere in a line.
_RST_INLINE = re.compile(r"([\\`*_|])")
#: A line that the block parser would read as something other than a
#: paragraph line: a bullet, an enumeration, a field, a comment, a table, a
#: section underline, a line block, a doctest...
_RST_BLOCK_START = re.compile(r"[^\w\s]|\w{1,4}[.)](\s|$)|\(\w{1,4}\)(\s|$)")


#: ``scheme:rest``, which docutils would make a link (``javascript:`` too).
_RST_SCHEME = re.compile(r"(?<![\w.+-])([A-Za-z][\w.+-]*):(?=\S)")


def _escape_rst_plain(text: str) -> str:
    return _RST_SCHEME.sub(r"\1\\:", _RST_INLINE.sub(r"\\\1", text))


def _escape_rst_inline(text: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(text):
        # an http(s) URL stays as written so docutils still makes it a link
        out.append(_escape_rst_plain(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_rst_plain(text[last:]))
    # a paragraph ending in "::" would open a literal block
    return "".join(out).replace("::", ":\\:")


def rst_line(line: str) -> str:
    """One line of plain text as a reStructuredText paragraph line."""
    line = _escape_rst_inline(line.strip())
    if _RST_BLOCK_START.match(line) and not line.startswith("\\"):
        line = "\\" + line
    return line


def rst_text(text: str) -> list[str]:
    """Plain text as reStructuredText lines (paragraphs kept, never markup)."""
    lines = [rst_line(line) if line.strip() else "" for line in text.splitlines()]
    return squeeze_blank_lines(lines)


def one_line(text: str) -> str:
    """``text`` on one line (titles and option values)."""
    return " ".join(text.split())


# --- MyST (Markdown) ----------------------------------------------------------

#: ``{`` starts a role or a substitution, ``%`` a comment, ``$`` math.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|&~${%])")
_MD_BLOCK_START = re.compile(r"[#>+\-=:%({}]|\d{1,9}[.)](\s|$)")


def _escape_md_inline(text: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(_MD_INLINE.sub(r"\\\1", text[last : match.start()]))
        out.append(f"<{match.group(0)}>")
        last = match.end()
    out.append(_MD_INLINE.sub(r"\\\1", text[last:]))
    return "".join(out)


def myst_line(line: str) -> str:
    """One line of plain text as a Markdown paragraph line."""
    line = line.strip()
    lead = ""
    if _MD_BLOCK_START.match(line):
        match = re.match(r"\d+", line)
        if match:  # "1." stays a number, its dot is escaped
            lead, line = match.group(0) + "\\" + line[match.end()], line[match.end() + 1 :]
        else:
            lead, line = "\\" + line[0], line[1:]
    return lead + _escape_md_inline(line)


def myst_text(text: str) -> list[str]:
    """Plain text as Markdown lines (paragraphs kept, never markup)."""
    return squeeze_blank_lines(
        [myst_line(line) if line.strip() else "" for line in text.splitlines()]
    )


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(\s+|$)(.*)$")
#: A fence's info string kept as it is: one language name, nothing MyST could
#: read as a directive (``{name}``) or attributes.
_LANGUAGE = re.compile(r"[A-Za-z0-9][\w+#.-]*")

#: Characters that MyST reads as something other than text wherever they
#: stand (in a paragraph, a list item, a quote, a table cell, a heading):
#: ``{`` starts a role, a substitution (``{{ ... }}``, which Jinja2
#: evaluates), attributes, a directive's name in a fence; ``<`` raw HTML;
#: ``$`` math; ``%`` a comment.
_ACTIVE = frozenset("{<$%")
#: ``<`` that opens an http(s) autolink, which stays a link.
_AUTOLINK = re.compile(r"<https?://[^\s<>]*>")
#: Sequences escaped at their first character (the ``(``, ``]``, ``+``, or
#: underline character): a link or image to anything but the web (``](``),
#: a link reference definition to anything but the web (``]:``), a MyST
#: target (``(name)=``), a block break (``+++``).
_SEQUENCES = (
    (re.compile(r"\](\()(?!\s*<?(?:https?://|mailto:|#))"), 1),
    (re.compile(r"(\]):(?!\s*<?(?:https?://|mailto:|#))"), 1),
    (re.compile(r"(\()[^()\n]*\)="), 1),
    (re.compile(r"(\+)\+\+"), 1),
    # a fence that the margin-only reading above misses (in a quote or a list
    # item): it would name a directive, or a lexer that is no language
    (re.compile(r"([`~])\1{2,}\s*\\?\{"), 1),
    # a colon fence is a container that ends at the next ":::" line, even one
    # inside a code fence it holds: it would cut our fences short
    (re.compile(r"(:)::"), 1),
)
#: A setext underline (``===`` or ``---`` under a paragraph line): it would
#: make a heading of the wrong level, or one inside an item.
_UNDERLINE = re.compile(r"^ {0,3}([=-])[=-]*\s*$")
#: A thematic break, which docutils refuses inside an item.
_BREAK = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")


def safe_markdown(text: str, top_level: int | None) -> list[str]:
    """Markdown prose, defused, its headings renumbered to start at ``top_level``.

    Headings keep their order of depth (the shallowest becomes
    ``top_level``, the next ``top_level + 1``...), so they nest under the
    section the prose is placed in without skipping a level; with
    ``top_level`` ``None`` (prose inside an item, where no section may start)
    they become bold paragraphs.  Code fences are written anew at the margin
    (so MyST cannot read them otherwise than we do), their content as it is
    and their info string reduced to a language name.  Everywhere else,
    whatever the block around it, each character or sequence MyST could take
    for a directive, role, substitution, raw HTML, math, comment, target or
    a link off the web is backslash-escaped: the reader sees the text as
    written, and nothing is evaluated.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").split("\n")
    levels = sorted({len(m.group(2)) for m in map(_HEADING.match, _outside_fences(lines)) if m})
    renumber = {level: min((top_level or 1) + rank, 6) for rank, level in enumerate(levels)}
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _fence_opening(line)
        if opening is not None:
            index = _copy_fence(lines, index, opening, out)
            continue
        heading = _HEADING.match(line)
        if heading and top_level is None:
            line = f"**{heading.group(4).strip()}**" if heading.group(4).strip() else ""
        elif heading:
            hashes = "#" * renumber[len(heading.group(2))]
            line = f"{hashes} {heading.group(4)}".rstrip()
        underline = _UNDERLINE.match(line)
        rule = _BREAK.match(line) if top_level is None else None
        # the first line too: a "---" there would open front matter
        marks = [underline.start(1)] if underline and (not out or out[-1]) else []
        marks += [rule.start(1)] if rule else []
        out.append(_defuse(line, marks).rstrip())
        index += 1
    return squeeze_blank_lines(out)


def _defuse(line: str, marks: list[int]) -> str:
    """``line`` with each active character, and the first character of each
    active sequence (and at ``marks``), escaped unless a backslash already
    escapes it."""
    escape = {i for i, char in enumerate(line) if char in _ACTIVE}
    escape -= {m.start() for m in _AUTOLINK.finditer(line)}
    for pattern, group in _SEQUENCES:
        escape |= {m.start(group) for m in pattern.finditer(line)}
    escape |= set(marks)
    out: list[str] = []
    backslashes = 0
    for i, char in enumerate(line):
        # an odd run of backslashes already escapes the character; an even
        # run escapes itself, and the character still needs one
        if i in escape and backslashes % 2 == 0:
            out.append("\\")
        out.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    return "".join(out)


def _fence_opening(line: str) -> tuple[int, str, str] | None:
    """(indent, fence, info) of a code fence's opening line, as CommonMark reads it."""
    match = _FENCE.match(line)
    if match is None or (match.group(2)[0] == "`" and "`" in match.group(3)):
        return None  # a backtick fence's info string cannot hold a backtick
    return len(match.group(1)), match.group(2), match.group(3).strip()


def _copy_fence(lines: list[str], start: int, opening: tuple[int, str, str], out: list[str]) -> int:
    """Write the fenced block opening at ``lines[start]`` anew into ``out``;
    the index of the line after it."""
    indent, fence, info = opening
    body: list[str] = []
    index = start + 1
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match and match.group(2).startswith(fence) and not match.group(3).strip():
            index += 1
            break
        # CommonMark removes up to the opening fence's indent from each line
        line = lines[index]
        body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
        index += 1
    words = info.split()
    language = words[0] if words and _LANGUAGE.fullmatch(words[0]) else ""
    if info and not language:
        language = "text"  # e.g. a MyST directive from a foreign file: shown, not run
    # a fence longer than any run in the body, at the margin: nothing ends it early
    new_fence = fence_for("\n".join(body), fence[0])
    out.extend([f"{new_fence}{language}", *body, new_fence])
    return index


def _outside_fences(lines: list[str]) -> list[str]:
    out, fence = [], None
    for line in lines:
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                fence = None
        elif (opening := _fence_opening(line)) is not None:
            fence = opening[1]
        else:
            out.append(line)
    return out


def fence_for(body: str, char: str = "`") -> str:
    """A fence of ``char`` longer than any run of it in ``body`` (at least 3)."""
    runs = [len(run) for run in re.findall(rf"{re.escape(char)}+", body)]
    return char * max(3, max(runs, default=0) + 1)


def squeeze_blank_lines(lines: list[str]) -> list[str]:
    """``lines`` without leading, trailing or repeated blank lines."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out
