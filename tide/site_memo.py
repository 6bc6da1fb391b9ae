"""What the site keeps between builds: each page as converted to HTML, and its search entries.

A kept result is only ever used where it is what the work would give again: its key digests
everything that work reads. For converting, the page's place, front matter and Markdown, the
assembled mkdocs.yml, the list of files beside it (links are resolved and checked against them,
so adding a page misses every entry) and the code involved; for the search entries, what the
search plugin reads of the converted page. The build's cache (tide.cache.Cache) keeps them on
disk, inside its fingerprint of tide and the ATT&CK data; `tide serve` keeps them in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class RecentMemo:
    """Converted pages kept in memory by a process that builds again and again (`tide serve`):
    what the last build used, and what this one used or made so far."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}
        self._this: dict[str, Any] = {}

    def get(self, key: str) -> Any | None:
        value = self._this.get(key, self._last.get(key))
        if value is not None:
            self._this[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self._this[key] = value

    def next_build(self) -> None:
        """Let go of what this build did not use."""
        self._last, self._this = self._this, {}


def versions_digest() -> Any:
    """A digest of the versions of MkDocs, its theme and the Markdown stack: their code is ours."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for name in ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "pygments"):
        digest.update(f"{name} {version(name)}\0".encode())
    return digest


def setup_digest(cfg: Any, files: Any) -> Any:
    """A digest of what every key depends on: the code, the settings, the files."""
    setup = versions_digest()
    for module in ("site_parallel.py", "site_memo.py"):
        setup.update(Path(__file__).with_name(module).read_bytes())
    setup.update(Path(cfg.config_file_path).read_bytes())
    setup.update("\0".join(sorted(file.src_uri for file in files)).encode())
    return setup


def page_key(setup: Any, page: Any) -> str:
    """What converting a page reads: its place, its front matter, its Markdown."""
    digest = setup.copy()
    meta = json.dumps(page.meta, sort_keys=True, default=repr)
    digest.update(f"\0page\0{page.file.src_uri}\0{meta}\0{page.markdown}".encode())
    return str(digest.hexdigest())


def entries_key(setup: Any, page: Any) -> str:
    """What the search plugin indexes of a page: its HTML, the anchors of its table of contents,
    its address, title and front matter (the plugin's code is among the versions)."""
    digest = setup.copy()
    meta = json.dumps(page.meta, sort_keys=True, default=repr)
    anchors = "\0".join(_anchors(page.toc or []))
    digest.update(f"\0search\0{page.url}\0{page.title}\0{meta}\0{anchors}\0{page.content}".encode())
    return str(digest.hexdigest())


def _anchors(toc: Any) -> Iterator[str]:
    for item in toc:
        yield item.id
        yield from _anchors(item.children)
