"""Markdown texts as a line of plain words: the titles links show on hover.

A vector's hover title is made once, with the vector (`tide.model.Vector.hover`), in the
processes that check the files, rather than in every process that renders a page linking to it.
Plain words are not safe Markdown: `link_title` makes them safe as a link title, and nothing
here is meant for a page's text.
"""

from __future__ import annotations

import re
from functools import lru_cache

_FENCED_BLOCK = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?(^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
_LINK_SYNTAX = re.compile(r"(?:!\[|\[)([^\]]*)\]\([^)]*\)")
# A block marker at the start of a line, written after the newline: `^` in multiline mode is
# tried at every character of the text.
_LINE_MARKER = re.compile(r"\n[ \t]*(?:#{1,6}|>|[-+*]|\d{1,9}[.)])[ \t]+")
_TAG = re.compile(r"<[^>\n]*>")


@lru_cache(maxsize=65536)
def plain_text(markdown: str) -> str:
    """The readable words of a Markdown text, on one line: for hover texts and summaries.
    Every vector link's hover text is one: each step skips the text it cannot change, in C."""
    text = _FENCED_BLOCK.sub(" ", markdown) if "```" in markdown or "~~~" in markdown else markdown
    text = _LINK_SYNTAX.sub(r"\1", text) if "](" in text else text
    text = _LINE_MARKER.sub("\n", "\n" + text)[1:]  # a first line is a line too
    # Emphasis marks go, then tags: the same as removing both in one left-to-right pass, since
    # where a tag starts and ends does not depend on * _ and `.
    text = text.replace("*", "").replace("_", "").replace("`", "")
    text = _TAG.sub("", text) if "<" in text else text
    return " ".join(text.split())


@lru_cache(maxsize=4096)  # a technique's summary is the title of its link on every page citing it
def link_title(text: str, limit: int = 200) -> str:
    """Hover text for a link title: one line, cut at a word with an ellipsis. Python-Markdown ends a
    link at an unbalanced ')' or at a quote followed by ')', title or not: ASCII quotes become
    apostrophes and unpartnered parentheses go."""
    flat = " ".join(text.replace('"', "\u2019").replace("'", "\u2019").replace("\\", "/").split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-") + "…"
    return _balanced(flat)


def hover_text(markdown: str, limit: int = 150) -> str:
    """`link_title(plain_text(markdown), limit)`, from as little of the text as that needs.
    A prefix that ends at a line break and opens neither a fence nor a link (the only
    constructs plain_text reads across lines) gives the first words of the whole text; once
    they are longer than the limit, the rest cannot change the title."""
    cut = markdown.find("\n", 4 * limit)
    if cut != -1:
        head = markdown[:cut]
        if "```" not in head and "~~~" not in head and "[" not in head:
            words = plain_text(head)
            if len(words) > limit:
                return link_title(words, limit)
    return link_title(plain_text(markdown), limit)


_PARENTHESIS = re.compile(r"[()]")


def _balanced(text: str) -> str:
    """Drop every parenthesis that has no partner."""
    unmatched: set[int] = set()
    opened: list[int] = []
    for match in _PARENTHESIS.finditer(text):  # hover texts are long, their parentheses few
        if match.group() == "(":
            opened.append(match.start())
        elif opened:
            opened.pop()
        else:
            unmatched.add(match.start())
    unmatched.update(opened)
    return "".join(c for i, c in enumerate(text) if i not in unmatched) if unmatched else text
