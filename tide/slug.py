"""File-name slugs that can never leave the output directory."""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 80


def slugify(text: str, fallback: str = "object") -> str:
    """Lower-case ASCII words joined by '-': no dots, slashes or anything a path could abuse."""
    if not text.isascii():
        import unicodedata  # 15 ms to import: only for names that need it

        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = text
    slug = _NOT_WORD.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    return slug or fallback
