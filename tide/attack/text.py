"""ATT&CK prose made readable: citations removed, a clean one-sentence summary.

ATT&CK descriptions are Markdown sprinkled with `(Citation: Source Name)` markers that only make sense
next to the STIX object's reference list. We drop them (the technique page on attack.mitre.org keeps
the sources) and keep everything else, so `[Name](https://attack.mitre.org/...)` links stay Markdown.
"""

from __future__ import annotations

import re

# A run of citation markers (a source name may hold one level of parentheses) and the blanks around it.
_CITATION = re.compile(r"[ \t]*(?:\(Citation:[^()]*(?:\([^()]*\)[^()]*)*\)[ \t]*)+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_FORMAT_TAG = re.compile(r"</?(?:code|b|i|em|strong|br|sup|sub|p)\s*/?>", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__|`")
_BLANKS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
# Words whose trailing full stop never ends a sentence ("etc." and "Inc." may: the case of the next
# word decides for them).
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "cf", "al", "no", "approx", "fig", "ver", "u.s", "dr", "mr", "mrs", "ms", "st"}
)
_SUMMARY_LIMIT = 300


def _drop_citation(match: re.Match[str]) -> str:
    # Keep one blank where the marker separated two words or a sentence from the next one.
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return " " if before and not before.isspace() and (after.isalnum() or after in "[`*<\"'(") else ""


def clean_description(text: str) -> str:
    """The description as Markdown without citation markers, trailing blanks or CRs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CITATION.sub(_drop_citation, text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    # Collapse the runs of blank lines that removed citations can leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def plain_text(markdown: str) -> str:
    """Markdown reduced to one line of plain text: links become their label, formatting goes."""
    text = _CITATION.sub(_drop_citation, markdown)
    text = _LINK.sub(r"\1", text)
    text = _FORMAT_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _BLANKS.sub(" ", text).strip()


def _ends_sentence(text: str, index: int) -> bool:
    """Whether the punctuation at `index` closes a sentence (not an abbreviation or an initial)."""
    if text[index] != ".":
        return True
    start = index
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "([\"'":
        start -= 1
    word = text[start:index].lower()
    if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
        return False
    following = text[index + 1 :].lstrip()
    # "…such as cmd.exe. then" style lower-case continuations are not new sentences.
    return not following or not following[0].islower()


def summary(markdown: str) -> str:
    """The first sentence as plain text, without its closing full stop.

    Hover texts and tables show it as a title; a sentence longer than the limit is cut at a word
    boundary and marked with an ellipsis, never mid-word.
    """
    text = plain_text(markdown)
    for match in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, match.start()):
            end = match.start() if match.group() == "." else match.end()
            text = text[:end]
            break
    text = text.rstrip()
    if len(text) > _SUMMARY_LIMIT:
        cut = text[: _SUMMARY_LIMIT + 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut[:_SUMMARY_LIMIT]
        text = cut.rstrip(" ,;:") + "…"
    return text
