"""The whole site of the previous build, taken over when nothing it is made from has changed.

A build that changes nothing the site shows (nothing at all, or only what the site does not
print) would otherwise run MkDocs again: four seconds at 226 vectors, most of them writing every
page into the theme, for the same bytes. The key digests all that MkDocs reads: every file of the
assembled project (the pages, mkdocs.yml, the user's docs and theme overrides), the edit links,
SOURCE_DATE_EPOCH and the versions of MkDocs and its extensions. A project whose mkdocs.yml can
read anything else (hooks, other plugins, environment variables, files outside the project)
always builds. The files are taken over from the previous output only when every one of them
is still the file that build wrote (tide.output.Carryover), with the diagnostics it reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from tide.cache import Memo
from tide.diagnostics import Diagnostic
from tide.output import Carryover
from tide.site_memo import versions_digest

FOLDER = "site"
# What a mkdocs.yml may name and still be digested whole: plugins that read only the pages, and
# Markdown extensions that read no file (pymdownx.snippets includes files from anywhere).
_PLUGINS = frozenset({"search", "tags", "material/search", "material/tags"})
_FILE_READERS = frozenset({"pymdownx.snippets"})
_TAGS_OUTSIDE = ("!ENV", "!relative", "INHERIT")


class SiteCarry:
    """Takes over the previous build's site, or records the new one for the next build."""

    def __init__(self, carry: Carryover, memo: Memo) -> None:
        self.carry = carry
        self.memo = memo

    def key(self, project: Path, config_text: str, edit_urls: dict[str, str], display: dict[str, str]) -> str | None:
        """The digest of what building `project` reads (and of the names its diagnostics give the
        pages), or None when its mkdocs.yml can read more than the project holds."""
        if not self_contained(config_text):
            return None
        digest = versions_digest()
        digest.update(f"python {sys.version_info[:2]}\0".encode())
        digest.update(f"epoch {os.environ.get('SOURCE_DATE_EPOCH', '')}\0".encode())
        digest.update(json.dumps([sorted(edit_urls.items()), sorted(display.items())]).encode())
        for path in sorted(p for p in project.rglob("*") if p.is_file()):
            digest.update(f"\0{path.relative_to(project).as_posix()}\0".encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def take(self, key: str) -> list[Diagnostic] | None:
        """The previous site made from `key`, linked into place: what its build reported; None
        when it cannot be had whole."""
        kept = self.memo.get(_diagnostics_key(key))
        if not (isinstance(kept, list) and all(isinstance(d, Diagnostic) for d in kept)):
            return None
        return kept if self.carry.take_folder(FOLDER, key) else None

    def made(self, key: str, site: Path, diagnostics: list[Diagnostic]) -> None:
        """Record the site just built into `site` (the staging directory's) for the next build."""
        for root, _, files in os.walk(site):
            for name in files:
                path = os.path.join(root, name)
                rel = f"{FOLDER}/{Path(path).relative_to(site).as_posix()}"
                self.carry.keyed(rel, key)
                self.carry.wrote(rel, os.stat(path))
        self.memo.put(_diagnostics_key(key), diagnostics)


def _diagnostics_key(key: str) -> str:
    return hashlib.sha256(f"whole site\0{key}".encode()).hexdigest()


def self_contained(config_text: str) -> bool:
    """Whether a build of this mkdocs.yml reads nothing but its project and installed packages."""
    from tide.site import load_mkdocs_yaml

    if any(tag in config_text for tag in _TAGS_OUTSIDE):
        return False
    try:
        doc = load_mkdocs_yaml(config_text)
    except Exception:  # MkDocs says what is wrong; a build that fails keeps nothing
        return False
    if not isinstance(doc, dict) or "hooks" in doc:
        return False
    theme = doc.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if custom is not None and (not isinstance(custom, str) or os.path.isabs(custom) or ".." in Path(custom).parts):
        return False
    plugins = _names(doc.get("plugins", ["search"]))
    extensions = _names(doc.get("markdown_extensions", []))
    return plugins is not None and plugins <= _PLUGINS and extensions is not None and not extensions & _FILE_READERS


def _names(value: Any) -> set[str] | None:
    """The names of a plugins or markdown_extensions setting (a list of names or one-key
    mappings, or a mapping), or None for anything else."""
    items = list(value) if isinstance(value, dict) else value
    if not isinstance(items, list):
        return None
    names = set()
    for item in items:
        if isinstance(item, dict) and len(item) == 1:
            item = next(iter(item))
        if not isinstance(item, str):
            return None
        names.add(item)
    return names
