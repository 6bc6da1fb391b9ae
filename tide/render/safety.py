"""Making untrusted object text safe to embed in our Markdown pages.

Object descriptions are Markdown written by many contributors and are rendered by GitHub, GitLab
and Python-Markdown (MkDocs). None of them may receive raw HTML or a script link from object text,
and the text must not break the page around it. The approach is deliberately conservative and
renderer-independent: the text stays Markdown, but

- every `<` outside code becomes `&lt;` (raw HTML, HTML comments and `--8<--` snippet includes
  show as text), except plain http(s)/mailto autolinks;
- `&` starting an entity other than a few common named ones becomes `&amp;`, so entities cannot
  spell out a scheme (`&#106;avascript:`, `&colon;`);
- `{` outside code becomes `\\{`, so no attribute list (`{: onclick=...}`) or template
  expression reaches the site renderer;
- a link or reference definition whose destination is not an absolute http(s), mailto or ftp
  URL gets its closing `]` escaped: it renders as the visible text it was, never as a link (a
  relative link would point nowhere in our output; PowerShell's `[Type]::Method()` at the start
  of a line is a reference definition to every renderer);
- code is left alone where every renderer agrees it is code: top-level fences (moved to the
  margin, closed by the same fence, closed at the end if left open; `mermaid` shown, not drawn),
  indented code (rewritten as a fence) and code spans within one run of paragraph lines or one
  table cell; every other backtick is escaped so that no renderer finds a span we did not;
- headings are shifted below the page's own sections.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import lru_cache

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})
# Named entities that cannot help spell a scheme; every other entity is shown as typed.
SAFE_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos", "nbsp", "copy", "reg", "trade", "hellip",
                           "mdash", "ndash", "laquo", "raquo", "euro", "deg", "times"})

_CONTROL = bytes([*range(0x00, 0x09), *range(0x0b, 0x20), 0x7f])  # every control but tab and LF


def _without_controls(text: str) -> str:
    """`text` without the controls above, deleted from its UTF-8 bytes (each is one byte there, which
    no other character's encoding contains): a third of the time a regular expression takes."""
    return text.encode("utf-8", "surrogatepass").translate(None, _CONTROL).decode("utf-8", "surrogatepass")


# Only top-level fences (at most three spaces in) are code to every renderer; fences in quotes or
# list items are treated as text, which is safe whatever a renderer makes of them.
_FENCE = re.compile(r"^(?P<prefix> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATX = re.compile(r"^(?P<indent> {0,3})(?P<hashes>#{1,6})(?P<rest>[ \t].*|)$")
_HASH_WORD = re.compile(r"^( {0,3})(#+)(?=[^#\s])")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_BLOCK_START = re.compile(r"^[ \t]*(?:>|#|[-+*][ \t]|\d{1,9}[.)][ \t]|`{3,}|~{3,}|\|)")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_AUTOLINK = re.compile(r"<(?:(?:https?|ftp)://[^\s<>\"]*|mailto:[^\s<>\"@]+@[^\s<>\"]+)>", re.IGNORECASE)
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{0,31});")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_BACKTICKS = re.compile(r"`+")
_TICK_OR_ESCAPE = re.compile(r"[`\\]")
# Compiled once: the functions using them run thousands of times a build.
_BLOCK_MARK = re.compile(r"[#>+*-]|`{3}|~{3}")  # what may start a block, matched at the start
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
_NUMBERED = re.compile(r"^(\d+)([.)])")
_EMPHASIS = re.compile(r"([\\`*_\[\]{}])")
_URL_BREAK = re.compile(r"[\x00-\x20\x7f]")
_DESTINATION_START = re.compile(r"[ \t]*(?:\(|:)")
_DESTINATION_GAP = re.compile(r"[ \t]*(?:\n[ \t>]*)?")
_DESTINATION = re.compile(r"[^\s]*")
_ESCAPED = re.compile(r"\\(.)")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


# Sized for a whole catalogue (descriptions, terrains, technique and actor texts): the second
# flavour of a build then sanitises nothing again. Smaller, the caches thrash at 10,000 vectors.
@lru_cache(maxsize=65536)
def sanitize_markdown(text: str, heading_floor: int = 3) -> str:
    """Untrusted Markdown made inert, headings pushed to `heading_floor` or deeper, no trailing
    whitespace, no leading/trailing blank lines. `heading_floor=0` keeps heading levels."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in _without_controls(text).split("\n")]
    # One character first: that search is several times faster than the search for three.
    fences = ("`" in text and "```" in text) or ("~" in text and "~~~" in text)
    blocks = list(_blocks(lines, fences))
    underlines = [_underlines(block) if kind == "text" else [] for kind, block in blocks]
    shift = _heading_shift(blocks, underlines, heading_floor)
    out: list[str] = []
    fenced = False
    for (kind, block), under in zip(blocks, underlines, strict=True):
        if kind in ("fence", "indented"):
            if out and out[-1]:
                out.append("")  # every renderer then sees the fence, whatever came before
            out.extend(_fence(block) if kind == "fence" else _indented_code(block))
            fenced = True
            continue
        if fenced and kind != "blank":
            out.append("")
        fenced = False
        out.extend(block if kind == "blank" else _text_block(block, under, shift))
    return "\n".join(out).strip("\n")


@lru_cache(maxsize=65536)
def inline_markdown(text: str, table: bool = False) -> str:
    """Untrusted Markdown flattened to one line, safe in a list item, a quote line or (`table`) a
    table cell. Flattened first, so block syntax (fences, headings) cannot hide anything: the line
    is made inert as the one paragraph a renderer will see."""
    flat = " ".join(_without_controls(text).split())
    if _BLOCK_MARK.match(flat):
        flat = "\\" + flat  # no heading, quote, list or fence at the start of a line
    flat = _LIST_NUMBER.sub(r"\1\\\2", flat)
    out = _inline(flat)
    if not table or "|" not in out:  # the escape pairs it meets otherwise stay as they are
        return out
    return _PIPE.sub(lambda m: "\\|" if m.group(0) == "|" else m.group(0), out)


@lru_cache(maxsize=65536)
def md_text(text: str, table: bool = False) -> str:
    """A plain string (a name, an alias) shown literally wherever Markdown inline text goes."""
    out = _EMPHASIS.sub(r"\\\1", " ".join(text.split()))
    out = out.replace("&", "&amp;").replace("<", "&lt;")
    if out.startswith(("#", "+", "-", ">", "=")) or _NUMBERED.match(out):
        out = "\\" + out if not out[0].isdigit() else _NUMBERED.sub(r"\1\\\2", out)
    return out.replace("|", "\\|") if table else out


@lru_cache(maxsize=65536)
def safe_url(url: str) -> str | None:
    """An http(s)/mailto URL percent-encoded for a Markdown link destination, else None."""
    url = url.strip()
    if not url or _URL_BREAK.search(url):
        return None
    match = _SCHEME.match(url.lower())
    if not match or match.group(1) not in SAFE_SCHEMES:
        return None
    for char, code in (("\\", "%5C"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"),
                       ('"', "%22"), ("'", "%27"), ("`", "%60"), ("|", "%7C")):
        url = url.replace(char, code)
    return url


# -- block level -------------------------------------------------------------------------------

def _blocks(lines: list[str], fences: bool = True) -> Iterator[tuple[str, list[str]]]:
    """Split lines with no trailing whitespace into ("fence" | "indented" | "text" | "blank",
    lines) groups. Without `fences` (no ``` or ~~~ in the text) no line is tried as one."""
    i = 0
    count = len(lines)
    previous_text: list[str] = []
    while i < count:
        line = lines[i]
        fence = _FENCE.match(line) if fences else None
        if fence and not (fence.group("fence")[0] == "`" and "`" in fence.group("info")):
            end = _fence_end(lines, i, fence.group("fence"))
            yield "fence", lines[i:end]
            previous_text = []
            i = end
            continue
        j = i + 1
        if not line:
            while j < count and not lines[j]:
                j += 1
            yield "blank", lines[i:j]
            i = j
            continue
        while j < count and lines[j] and not (fences and _opens_fence(lines[j])):
            j += 1
        chunk = lines[i:j]
        # Indented code starts with a blank: most chunks fail on their first character.
        starts_code = (chunk[0][0] in " \t" and all(_INDENTED.match(c) for c in chunk)
                       and not any(_LIST_ITEM.match(p) for p in previous_text)
                       and not (previous_text and _INDENTED.match(previous_text[0])))
        yield ("indented" if starts_code else "text"), chunk
        if not starts_code:
            previous_text = chunk
        i = j


def _opens_fence(line: str) -> bool:
    fence = _FENCE.match(line)
    return bool(fence) and not (fence is not None and fence.group("fence")[0] == "`"
                                and "`" in fence.group("info"))


def _closing(fence: str) -> re.Pattern[str]:
    return re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    closing = _closing(fence)
    for k in range(start + 1, len(lines)):
        if closing.match(lines[k]):
            return k + 1
    return len(lines)


def _fence(block: list[str]) -> list[str]:
    """Keep the code; tame the info string; put both fence lines at the margin, the closing one
    the same as the opening one (Python-Markdown needs that); close a fence left open."""
    match = _FENCE.match(block[0])
    assert match is not None
    fence = match.group("fence")
    words = match.group("info").split()
    language = words[0] if words and re.fullmatch(r"[A-Za-z0-9_+#.\-]{1,30}", words[0]) else ""
    if language.lower() == "mermaid":
        language = "text"
    indent = len(match.group("prefix"))  # content loses as much indentation as the fence had
    closed = len(block) > 1 and bool(_closing(fence).match(block[-1]))
    body = [re.sub(f"^ {{0,{indent}}}", "", line) for line in block[1:-1 if closed else None]]
    while not closed and body and not body[-1].strip():
        body.pop()  # an unclosed fence: drop the blank tail before closing it
    return [f"{fence}{language}", *body, fence]


def _indented_code(block: list[str]) -> list[str]:
    """An indented code block becomes a fenced one: the same text, unambiguous to every renderer."""
    body = [line[4:] if line.startswith("    ") else line[1:] for line in block]
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body, fence]


def _heading_shift(blocks: list[tuple[str, list[str]]], underlines: list[list[int]], floor: int) -> int:
    if floor <= 0:
        return 0
    levels = [len(m.group("hashes")) for kind, block in blocks if kind == "text"
              for line in block if "#" in line and (m := _ATX.match(line))]
    levels += [1 if _SETEXT.match(block[k])[1][0] == "=" else 2  # type: ignore[index]
               for (kind, block), under in zip(blocks, underlines, strict=True) for k in under]
    return max(0, floor - min(levels)) if levels else 0


def _underlines(block: list[str]) -> list[int]:
    """Every k for which `_setext_at(block, k)`, in order. The lines of a text block are not empty
    and have no trailing blanks, so an underline ends with its = or -: that test alone rules out
    nearly every line, without a call and a regular expression each."""
    return [k for k in range(1, len(block)) if block[k][-1] in "=-" and _setext_at(block, k)]


def _setext_at(block: list[str], k: int) -> bool:
    """Is block[k] the underline of a setext heading whose text is block[:k]?"""
    return bool(_SETEXT.match(block[k])) and not any(_BLOCK_START.match(line) or _INDENTED.match(line)
                                                    for line in block[:k])


def _text_block(block: list[str], underlines: list[int], shift: int) -> list[str]:
    # A setext heading is rewritten as an ATX one so that it can be shifted like the others.
    if underlines:
        k = underlines[0]
        level = 1 if block[k].strip()[0] == "=" else 2
        title = " ".join(line.strip() for line in block[:k])
        block = [f"{'#' * level} {title}", *block[k + 1:]]
    text = "\n".join(block)
    if "#" in text:  # headings to shift, hashes to escape: line by line (most blocks have none)
        lines = []
        for line in block:
            heading = _ATX.match(line) if "#" in line else None
            if heading:
                level = min(6, len(heading.group("hashes")) + shift)
                line = f"{heading.group('indent')}{'#' * level}{heading.group('rest')}"
            elif "#" in line:
                line = _HASH_WORD.sub(r"\1\\\2", line)
            lines.append(line)
        text = "\n".join(lines)
    return _inline(text).split("\n")


# -- inline level ------------------------------------------------------------------------------

_DELIMITER_ROW = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.M)
_CELL = re.compile(r"\\.|\|")


def _inline(text: str) -> str:
    """Escape everything dangerous outside code spans of one paragraph-like chunk.

    Code spans are taken within one run of paragraph lines (one cell in a table) only, and every
    backtick outside them is escaped: renderers then agree on what is code, whatever block
    structure they see."""
    # Nothing below changes a text without what code spans and _inert_text look for (most
    # paragraphs). Six searches for one character each take a fifth of the time of one regular
    # expression search for any of them.
    if not ("<" in text or "&" in text or "{" in text or "]" in text or "`" in text or "\\" in text):
        return text
    if not ("|" in text and _DELIMITER_ROW.search(text)):  # the pipe first: a search tries every line
        return "\n".join(_inline_segment("\n".join(run)) for run in _paragraph_runs(text.split("\n")))
    lines = []
    for line in text.split("\n"):
        cells, pos = [], 0
        for match in _CELL.finditer(line):
            if match.group(0) == "|":
                cells += [_inline_segment(line[pos:match.start()]), "|"]
                pos = match.end()
        lines.append("".join([*cells, _inline_segment(line[pos:])]))
    return "\n".join(lines)


# A line that may start a block (to any renderer) ends the run of lines a code span can cross.
_NEW_BLOCK = re.compile(r"^[ \t]*(?:[>#|<]|[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)|`{3}|~{3}|[-=*_][-=*_ \t]*$)")


def _paragraph_runs(lines: list[str]) -> Iterator[list[str]]:
    run: list[str] = []
    for line in lines:
        if run and (_NEW_BLOCK.match(line) or _ATX.match(run[0])):
            yield run
            run = []
        run.append(line)
    if run:
        yield run


def _inline_segment(text: str) -> str:
    out: list[str] = []
    pos = 0
    for start, end in _code_spans(text):
        out.append(_inert(text, pos, start))
        out.append(text[start:end])
        pos = end
    out.append(_inert(text, pos, len(text)))
    return "".join(out)


def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each code span, found as CommonMark does: outside code a backslash makes
    the next character literal; a backtick run opens a span closed by the next run of the same
    length (inside a span backslashes are plain text); an unclosed run is literal."""
    if "`" not in text:
        return  # no run to open a span: most segments
    i = 0
    while (special := _TICK_OR_ESCAPE.search(text, i)) is not None:
        i = special.start()  # the characters skipped mean nothing here: one search, not a loop
        if text[i] == "\\":
            i += 2
            continue
        opener = _BACKTICKS.match(text, i)
        assert opener is not None
        width = opener.end() - i
        closer = next((m for m in _BACKTICKS.finditer(text, opener.end()) if m.end() - m.start() == width), None)
        if closer is None:
            i = opener.end()
            continue
        yield i, closer.end()
        i = closer.end()


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


_SPECIAL = re.compile(r"[<&{\]`]")
_PIPE = re.compile(r"\\.|\|")  # an escape pair (kept) or a bare pipe (escaped for a table cell)
_HTML_CODE = re.compile(r"<code>([^<>`\n]+)</code>", re.IGNORECASE)


def _inert(text: str, start: int, end: int) -> str:
    # `<code>x</code>` (common in ATT&CK texts) becomes a code span rather than visible tags.
    out: list[str] = []
    pos = start
    for match in _HTML_CODE.finditer(text, start, end):
        out.append(_inert_text(text, pos, match.start()))
        out.append(md_code(html.unescape(match.group(1))))
        pos = match.end()
    out.append(_inert_text(text, pos, end))
    return "".join(out)


def _inert_text(text: str, start: int, end: int) -> str:
    out: list[str] = []
    i = start
    for match in _SPECIAL.finditer(text, start, end):
        if match.start() < i:
            continue  # inside an autolink already copied
        out.append(text[i:match.start()])
        i = match.start()
        char = text[i]
        if char == "<":
            auto = _AUTOLINK.match(text, i, end)
            if auto:
                out.append(auto.group(0))
                i = auto.end()
                continue
            # After an escaping backslash, `&lt;` would show as typed: escape the backslash too.
            out.append("\\&lt;" if _escaped(text, i) else "&lt;")
        elif char == "&" and not _escaped(text, i):
            entity = _ENTITY.match(text, i, end)
            out.append("&amp;" if entity and entity.group(1) not in SAFE_ENTITIES else "&")
        elif char == "{" and not _escaped(text, i):
            out.append("\\{")
        elif char == "`" and not _escaped(text, i):
            out.append("\\`")  # a backtick that opens no span here must open none anywhere
        elif char == "]" and not _escaped(text, i) and _unsafe_destination(text, i + 1):
            out.append("\\]")
        else:
            out.append(char)
        i += 1
    out.append(text[i:end])
    return "".join(out)


def _unsafe_destination(text: str, i: int) -> bool:
    """After a `]`: does a link `(dest` or a definition `: dest` follow whose destination is not an
    absolute http(s)/mailto/ftp URL? Relative links point nowhere in our output, other schemes can
    run code: both are shown as the text they are."""
    match = _DESTINATION_START.match(text, i)
    if not match:
        return False
    rest = _DESTINATION_GAP.match(text, match.end())
    assert rest is not None
    j = rest.end()
    if text.startswith("<", j):
        close = text.find(">", j)
        destination = text[j + 1: close if close != -1 else len(text)]
    else:
        destination = _DESTINATION.match(text, j).group(0)  # type: ignore[union-attr]
    cleaned = html.unescape(_ESCAPED.sub(r"\1", destination))
    cleaned = _INVISIBLE.sub("", cleaned).lower()
    scheme = _SCHEME.match(cleaned)
    if not scheme or scheme.group(1) not in SAFE_SCHEMES:
        return True
    return scheme.group(1) != "mailto" and not cleaned.startswith(f"{scheme.group(1)}://")


def md_code(text: str, table: bool = False) -> str:
    """A plain string shown as inline code, whatever backticks it holds."""
    flat = " ".join(text.split())
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    code = f"{ticks}{pad}{flat}{pad}{ticks}"
    return code.replace("|", "\\|") if table else code
