"""`index.json`: one record per vector, for scripts and for the site's own lookups."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from tide.model import Catalogue, Vector

FORMAT_VERSION = 1  # bump when a key changes meaning or disappears; adding keys does not


def default_page_path(vector: Vector) -> str:
    """Where the render stage puts a vector's page, relative to the Markdown/site root."""
    return f"threat-vectors/{vector.slug}.md"


def source_file(vector: Vector, root: PurePath | None) -> str:
    """The source file relative to the project root when it lies inside it, as given otherwise."""
    if os.sep == "/":  # paths come in POSIX form: plain string work, no PurePath per vector
        if not vector.path.startswith("/") or root is None:
            return vector.path
        prefix = str(root).rstrip("/") + "/"
        return vector.path[len(prefix):] if vector.path.startswith(prefix) else vector.path
    path = PurePath(vector.path)
    if root is not None and path.is_absolute() and path.is_relative_to(root):
        path = path.relative_to(root)
    return path.as_posix()


def vector_record(vector: Vector, page_path: Callable[[Vector], str], root: PurePath | None = None) -> dict[str, Any]:
    return {
        "uuid": vector.uuid,
        "name": vector.name,
        "slug": vector.slug,
        "file": source_file(vector, root),
        "page": page_path(vector),
        "schema": vector.schema,
        "version": vector.version,
        "created": vector.created,
        "modified": vector.modified,
        "tlp": vector.tlp.name,
        "criticality": vector.criticality.name,
        "severity": vector.severity.name,
        "techniques": list(dict.fromkeys(ref.id for ref in vector.techniques)),
    }


def index_json(catalogue: Catalogue, page_path: Callable[[Vector], str] = default_page_path,
               root: PurePath | None = None) -> bytes:
    # One vector a line: readable and diffable, and each line is made by the C encoder (an
    # indented dump falls back to pure Python, half a second at 10,000 vectors).
    head = {"format": FORMAT_VERSION,
            "attack": {"domain": catalogue.attack.domain, "version": catalogue.attack.version}}
    lines = [json.dumps(vector_record(vector, page_path, root), sort_keys=True, ensure_ascii=False)
             for vector in sorted(catalogue.vectors, key=lambda v: (v.name, v.uuid))]
    opening = json.dumps(head, sort_keys=True, ensure_ascii=False)[:-1]
    vectors = "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
    return f'{opening}, "vectors": {vectors}}}\n'.encode()


def patch_index_json(data: bytes, vectors: list[Vector], page_path: Callable[[Vector], str] = default_page_path,
                     root: PurePath | None = None) -> bytes | None:
    """`data`, an index.json that `index_json` made, with the records of `vectors` made again in
    place; None when a vector's record is not found once, or names another vector. Each vector
    must keep its name and uuid (the order of the records)."""
    text = data.decode("utf-8")
    for vector in vectors:
        # One record a line; this marker cannot occur inside a JSON string, and uuids are unique.
        marker = f'"uuid": {json.dumps(vector.uuid)}'
        at = text.find(marker)
        if at < 0 or text.find(marker, at + 1) >= 0:
            return None
        start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
        line = text[start:end]
        comma = "," if line.endswith(",") else ""
        try:
            old = json.loads(line.removesuffix(","))
        except ValueError:
            return None
        if not isinstance(old, dict) or old.get("uuid") != vector.uuid or old.get("name") != vector.name:
            return None
        record = json.dumps(vector_record(vector, page_path, root), sort_keys=True, ensure_ascii=False)
        text = f"{text[:start]}{record}{comma}{text[end:]}"
    return text.encode()
