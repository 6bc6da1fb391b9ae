"""Vocabularies: the allowed values of each classified field, shipped as data in tide/data.

Each vocabulary is a JSON file in `tide/data/vocabularies/` with its entries (id, name, icon,
description, link, MISP tag, stage). They are converted from the OpenTide originals (EUPL-1.2)
by `python -m tide.vocabularies SOURCE_DIR`; see tide/data/vocabularies/README.md.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from tide.model import Actor, VocabEntry, Vocabulary

DATA = Path(__file__).parent / "data" / "vocabularies"

# Object field -> (OpenTide vocabulary file, title of the field in the schema).
SOURCES: dict[str, tuple[str, str]] = {
    "criticality": ("Criticality.yaml", "Vector criticality"),
    "tlp": ("Traffic Light Protocol.yaml", "Traffic Light Protocol 2.0"),
    "classification": ("Data Classification.yaml", "Data Classification"),
    "killchain": ("Unified Kill Chain.yaml", "Cyber Kill Chain"),
    "domains": ("Domains.yaml", "Domains"),
    "targets": ("Targets.yaml", "Targets"),
    "platforms": ("Platforms.yaml", "Platforms concerned"),
    "severity": ("Threat Severity.yaml", "Severity"),
    "leverage": ("Leverage.yaml", "Leverage acquisition"),
    "impact": ("Impact.yaml", "Impact"),
    "viability": ("Vector Viability.yaml", "Vector Viability"),
    "chaining": ("Chaining Relations.yaml", "Vectors Relationship"),
}
ACTORS_SOURCE = "Threat Actors.yaml"
ACTOR_STAGES = ("att&ck", "misp")
_SOURCE_NOTE = "OpenTide CoreTide vocabularies @84e91d7c, EUPL-1.2 (see LICENSE-OpenTide)"


@cache
def load_vocabularies() -> dict[str, Vocabulary]:
    """All field vocabularies, keyed by object field (actors are separate: see load_actors)."""
    return {field: _vocabulary(json.loads((DATA / f"{field}.json").read_text("utf-8")))
            for field in SOURCES}


@cache
def load_actors() -> dict[str, Actor]:
    """Threat actors keyed by the value objects write: "att&ck::G0087", "misp::<uuid>"."""
    raw = json.loads(gzip.decompress((DATA / "actors.json.gz").read_bytes()))
    return {f"{a['stage']}::{a['id']}": Actor(stage=a["stage"], id=a["id"], name=a["name"],
                                             aliases=tuple(a["aliases"]), description=a["description"],
                                             link=a["link"], misp_tag=a["misp"])
            for a in raw["actors"]}


@cache
def relation_directions() -> dict[str, str]:
    """"sequence::preceeds" -> "from" | "to" | "bidirectional"."""
    raw = json.loads((DATA / "chaining.json").read_text("utf-8"))
    return {f"{e['stage']}::{e['name']}": e["direction"] for e in raw["entries"]}


def suggest(value: str, choices: list[str]) -> str:
    """A ", did you mean 'X'?" suffix when one choice is close to the value, else ""."""
    import difflib  # 30 ms to import: only on the error path

    lowered = {c.lower(): c for c in choices}
    if value.lower().strip() in lowered:
        return f", did you mean '{lowered[value.lower().strip()]}'?"
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.75)
    return f", did you mean '{lowered[close[0]]}'?" if close else ""


def _vocabulary(raw: dict[str, Any]) -> Vocabulary:
    entries = tuple(VocabEntry(vocabulary=raw["field"], id=e["id"], name=e["name"], icon=e["icon"],
                               description=e["description"], link=e["link"], misp_tag=e["misp"],
                               stage=e["stage"])
                    for e in raw["entries"])
    return Vocabulary(field=raw["field"], name=raw["name"], title=raw["title"], icon=raw["icon"],
                      description=raw["description"], reference=raw["reference"], entries=entries)


# --- conversion from the OpenTide originals (run by hand when they change) -----------------

def _text(value: Any) -> str:
    text = " ".join(str(value or "").split()) if "\n\n" not in str(value or "") else str(value).strip()
    return "" if text.lower() in {"placeholder", "tbd"} else text


def _first_url(value: Any) -> str:
    values = value if isinstance(value, list) else re.split(r"[,\s]+", str(value or ""))
    return next((str(v).strip() for v in values if str(v).strip().startswith("http")), "")


def convert(source_dir: Path) -> dict[str, bytes]:
    """OpenTide vocabulary YAML files -> our data files (file name -> bytes)."""
    import yaml

    out: dict[str, bytes] = {}
    for field, (file_name, title) in SOURCES.items():
        src = yaml.safe_load((source_dir / file_name).read_text("utf-8"))
        reference = _first_url(src.get("reference"))
        entries, seen_ids = [], set()
        for e in src["keys"]:
            entry_id = str(e["id"]).strip()
            while entry_id in seen_ids:  # the source repeats VIA0006; keep ids unique
                prefix, number = re.match(r"(\D*)(\d+)$", entry_id).groups()  # type: ignore[union-attr]
                entry_id = f"{prefix}{int(number) + 1:0{len(number)}d}"
            seen_ids.add(entry_id)
            entry = {"id": entry_id, "name": str(e["name"]).strip(), "icon": str(e.get("icon") or "").strip(),
                     "description": _text(e.get("description")),
                     "link": _first_url(e.get("link")) or reference,
                     "misp": str(e.get("misp") or "").strip(), "stage": str(e.get("tide.vocab.stages") or "")}
            if field == "chaining":
                entry["direction"] = e["tide.vocab.relation.type"]
            entries.append(entry)
        doc = {"field": field, "name": src["name"].strip(), "title": title, "icon": src.get("icon", ""),
               "description": _text(src.get("description")), "reference": reference,
               "source": _SOURCE_NOTE, "entries": entries}
        out[f"{field}.json"] = (json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()

    src = yaml.safe_load((source_dir / ACTORS_SOURCE).read_text("utf-8"))
    actors = []
    for e in src["keys"]:
        stage = e["tide.vocab.stages"]
        name = re.sub(r"^\[[^\]]*\]\s*", "", str(e["name"]).strip())  # "[Enterprise] APT39" -> "APT39"
        link = _first_url(e.get("link"))
        actors.append({"stage": stage, "id": str(e["id"]).strip(), "name": name,
                       "aliases": sorted({str(a).strip() for a in e.get("alias") or []}),
                       "description": str(e.get("description") or "").strip(), "link": link,
                       "misp": f'misp-galaxy:threat-actor="{name}"' if stage == "misp" else ""})
    actors.sort(key=lambda a: (a["stage"], a["id"]))
    doc = {"source": _SOURCE_NOTE, "actors": actors}
    out["actors.json.gz"] = gzip.compress(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode(), mtime=0)
    return out


if __name__ == "__main__":  # python -m tide.vocabularies SOURCE_DIR
    for name, data in convert(Path(sys.argv[1])).items():
        (DATA / name).write_bytes(data)
        print(f"wrote {DATA / name}")
