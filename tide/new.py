"""`tide new`: a new threat vector from a template, valid as written, ready to be filled in."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from tide.slug import slugify

TEMPLATE = Path(__file__).parent / "data" / "new-threat-vector.yaml"


def new_vector_text(name: str, today: dt.date, object_uuid: str) -> str:
    if not name.strip() or any(c in name for c in "\n\r\t"):
        raise ValueError("the name must be one line of text")
    # JSON string syntax is valid YAML and escapes anything a name could hold.
    import json

    return (TEMPLATE.read_text("utf-8")
            .replace("{{name}}", json.dumps(name.strip(), ensure_ascii=False))
            .replace("{{uuid}}", object_uuid)
            .replace("{{today}}", today.isoformat()))


def write_new(name: str, directory: Path) -> Path:
    """Write `<directory>/<slug>.yaml` with a fresh uuid4 and today's date; never overwrite."""
    text = new_vector_text(name, dt.date.today(), str(uuid.uuid4()))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{slugify(name, fallback='threat-vector')}.yaml"
    with path.open("x", encoding="utf-8", newline="\n") as handle:  # "x": refuse to overwrite
        handle.write(text)
    return path
