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
    return _squeeze(lines)


def one_line(text: str) -> str:
    """``text`` on one line (titles and option values)."""
    return " ".join(text.split())


# --- MyST (Markdown) ----------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|&~$])")
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
    return _squeeze([myst_line(line) if line.strip() else "" for line in text.splitlines()])


_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(\s+|$)(.*)$")
_ROLE = re.compile(r"\{([\w:.+-]+)\}(?=`)")
_LINK_TARGET = re.compile(r"\]\(\s*(?!https?://|mailto:|#)")
_HTML_START = re.compile(r"<(?!https?://)")


def safe_markdown(text: str, top_level: int | None) -> list[str]:
    """Markdown prose, defused, its headings renumbered to start at ``top_level``.

    Headings keep their order of depth (the shallowest becomes
    ``top_level``, the next ``top_level + 1``...), so they nest under the
    section the prose is placed in without skipping a level; with
    ``top_level`` ``None`` (prose inside an item, where no section may start)
    they become bold paragraphs.  Inside code fences nothing changes but a
    MyST directive fence (```` ```{name} ````), which becomes a plain code
    block.
    """
    lines = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
    levels = sorted({len(m.group(2)) for m in map(_HEADING.match, _outside_fences(lines)) if m})
    renumber = {level: min((top_level or 1) + rank, 6) for rank, level in enumerate(levels)}
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                fence = None
            continue
        if match:
            fence = match.group(2)
            info = match.group(3)
            if info.strip().startswith("{"):
                info = "text"  # a MyST directive from a foreign file: shown, not run
            out.append(f"{match.group(1)}{fence}{info}")
            continue
        heading = _HEADING.match(line)
        if heading and top_level is None:
            line = f"**{heading.group(4).strip()}**" if heading.group(4).strip() else ""
        elif heading:
            hashes = "#" * renumber[len(heading.group(2))]
            line = f"{hashes} {heading.group(4)}".rstrip()
        line = _ROLE.sub(r"\\{\1}", line)
        line = _LINK_TARGET.sub("]\\(", line)
        line = _HTML_START.sub(r"\\<", line)
        out.append(line.rstrip())
    if fence is not None:
        out.append(fence)  # close a fence the source left open
    return _squeeze(out)


def _outside_fences(lines: list[str]) -> list[str]:
    out, fence = [], None
    for line in lines:
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                fence = None
        elif match:
            fence = match.group(2)
        else:
            out.append(line)
    return out


def fence_for(body: str, char: str = "`") -> str:
    """A fence of ``char`` longer than any run of it in ``body`` (at least 3)."""
    runs = [len(run) for run in re.findall(rf"{re.escape(char)}+", body)]
    return char * max(3, max(runs, default=0) + 1)


def _squeeze(lines: list[str]) -> list[str]:
    """Lines without leading, trailing or repeated blank lines."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out
