"""File-name slugs that can never leave the output directory."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_SLUG = 80


def slugify(text: str, fallback: str = "object") -> str:
    """Lower-case ASCII words joined by '-': no dots, slashes or anything a path could abuse."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_WORD.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    return slug or fallback
