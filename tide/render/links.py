"""Output paths and the relative links between pages.

Every path is a relative POSIX path of slug characters ending in `.md`; `check_path` refuses
anything else, so no object name can lead a page outside the output directory. Links are
relative (`../techniques/t1562-008.md`) so they resolve on GitHub, GitLab and in MkDocs alike.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

from tide.render.safety import md_text

_SAFE_PATH = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*\.md")
# Stable page uuids for pages that are not objects: uuid5 of the page path in this namespace.
PAGE_NAMESPACE = uuid.UUID("6c1f3c51-2b7e-5d4e-9a55-7469646570a9")


def check_path(path: str) -> str:
    """The path itself, when it is a safe relative page path; ValueError otherwise."""
    if not _SAFE_PATH.fullmatch(path):
        raise ValueError(f"unsafe output path: {path!r}")
    return path


def relative(here: str, there: str) -> str:
    """The link from page `here` to page `there`, both output paths."""
    return _relative(here.rpartition("/")[0], there)


# Links to the few pages many pages link to (techniques, vocabulary values, actors) are asked
# again and again; links to vector pages are kept once per folder by the views. A bigger cache
# would mostly hold those: 20 MB at 10,000 vectors, which every forked worker inherits.
@lru_cache(maxsize=4096)
def _relative(base: str, there: str) -> str:
    # `posixpath.relpath` on the components directly: both paths are relative, normalised and
    # free of "." and ".." (check_path), so making them absolute first, as relpath does at great
    # cost, changes nothing. The link depends on the directory of `here` only, hence the key.
    start = base.split("/") if base else []
    parts = there.split("/")
    common = 0
    for a, b in zip(start, parts, strict=False):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(start) - common) + parts[common:]) or "."


def page_uuid(path: str) -> str:
    return str(uuid.uuid5(PAGE_NAMESPACE, path))


def md_link(text: str, url: str, title: str = "", table: bool = False) -> str:
    """`[text](url "title")` with the text escaped; `url` must already be safe and `title` come
    from `link_title`. `table` escapes pipes for a table cell."""
    hover = f' "{title}"' if title else ""
    if table:
        hover = hover.replace("|", "\\|")
    return f"[{md_text(text, table=table)}]({url}{hover})"
