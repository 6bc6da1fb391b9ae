"""The compact snapshot: one ATT&CK domain of one release as gzipped JSON.

Both importers (STIX bundle and MISP galaxy) hand `build_snapshot` the same `RawTechnique` records,
so names, summaries, parents and replacements are worked out by one piece of code. The file is
deterministic: sorted keys, techniques sorted by id, gzip without a timestamp.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tide.attack.data import AttackData, AttackDataError, Source
from tide.attack.text import clean_description, summary
from tide.model import AttackInfo, Tactic, Technique

FORMAT = "tide-attack-snapshot/1"
NOTICE = ("© The MITRE Corporation. This work is reproduced and distributed with the permission of "
          "The MITRE Corporation.")

_TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")
# "Please use [Phishing](https://attack.mitre.org/techniques/T1566/001)" in a deprecation notice.
_PLEASE_USE = re.compile(r"[Pp]lease (?:use|see) \[[^\]]*\]\(https?://attack\.mitre\.org/techniques/"
                         r"(T\d{4})(?:/(\d{3}))?/?\)")


@dataclass(frozen=True)
class RawTechnique:
    """A technique as a source states it, before names and links are resolved."""

    id: str
    stix_id: str
    name: str
    description: str  # as in the source, citations included
    tactics: tuple[str, ...]  # tactic shortnames
    platforms: tuple[str, ...]
    url: str
    deprecated: bool
    revoked: bool
    revoked_by: str  # STIX id of the replacing object, "" if none
    mitigations: tuple[str, ...]
    detections: tuple[str, ...]
    galaxy_value: str = ""  # the source's own MISP galaxy value, when it has one


def technique_url(technique_id: str) -> str:
    return "https://attack.mitre.org/techniques/" + technique_id.replace(".", "/")


def _parent_id(technique_id: str) -> str:
    return technique_id.split(".", 1)[0] if "." in technique_id else ""


def build_snapshot(
    info: AttackInfo, tactics: Sequence[Tactic], raws: Iterable[RawTechnique]
) -> dict[str, Any]:
    """The JSON document of a snapshot. Raises AttackDataError on inconsistent source data."""
    by_stix: dict[str, RawTechnique] = {}
    by_id: dict[str, RawTechnique] = {}
    for raw in raws:
        if not _TECHNIQUE_ID.match(raw.id):
            raise AttackDataError(f"{raw.stix_id}: {raw.id!r} is not an ATT&CK technique id")
        by_stix[raw.stix_id] = raw
        previous = by_id.get(raw.id)
        # A source may keep a revoked object beside the current one under the same id: prefer current.
        if previous is not None and not (previous.revoked or previous.deprecated):
            continue
        by_id[raw.id] = raw
    shortnames = {tactic.shortname for tactic in tactics}
    children: dict[str, list[str]] = {}
    for raw in by_id.values():
        parent = _parent_id(raw.id)
        if parent and not (raw.revoked or raw.deprecated):
            children.setdefault(parent, []).append(raw.id)

    techniques = []
    for tid in sorted(by_id):
        raw = by_id[tid]
        unknown = [name for name in raw.tactics if name not in shortnames]
        if unknown and not (raw.revoked or raw.deprecated):
            raise AttackDataError(f"{tid}: tactic {unknown[0]!r} is not a tactic of {info.domain}")
        parent = _parent_id(tid)
        parent_raw = by_id.get(parent) if parent else None
        full_name = f"{parent_raw.name}: {raw.name}" if parent_raw is not None else raw.name
        description = clean_description(raw.description)
        techniques.append({
            "id": tid,
            "stix_id": raw.stix_id,
            "name": raw.name,
            "full_name": full_name,
            "description": description,
            "summary": summary(description),
            "tactics": [name for name in raw.tactics if name in shortnames],
            "platforms": sorted(set(raw.platforms)),
            "url": raw.url or technique_url(tid),
            "parent": parent if parent_raw is not None else "",
            "subtechniques": sorted(children.get(tid, [])),
            "deprecated": raw.deprecated,
            "revoked": raw.revoked,
            "revoked_by": _replacement_id(raw, by_stix),
            "mitigations": sorted(set(raw.mitigations)),
            "detections": sorted(set(raw.detections)),
            "galaxy_value": raw.galaxy_value or f"{raw.name} - {tid}",
        })
    return {
        "format": FORMAT,
        "attack": {"version": info.version, "domain": info.domain, "source": info.source,
                   "sha256": info.sha256, "notice": info.notice},
        "tactics": [[tactic.id, tactic.shortname, tactic.name] for tactic in tactics],
        "techniques": techniques,
    }


def _replacement_id(raw: RawTechnique, by_stix: dict[str, RawTechnique]) -> str:
    """The id that replaces a revoked (revoked-by relation) or deprecated (notice) technique."""
    if raw.revoked_by:
        target = by_stix.get(raw.revoked_by)
        return target.id if target is not None else ""
    if raw.deprecated:
        match = _PLEASE_USE.search(raw.description)
        if match:
            return match.group(1) + (f".{match.group(2)}" if match.group(2) else "")
    return ""


def encode(document: dict[str, Any]) -> bytes:
    """Deterministic bytes: sorted keys, compact separators, gzip with no name and no time."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def decode(blob: bytes, path: str, origin: str) -> AttackData:
    """An AttackData from snapshot bytes (gzipped or plain JSON)."""
    try:
        raw = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        document = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttackDataError(f"{path}: not a readable ATT&CK snapshot ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        hint = (" (a STIX bundle? convert it with `tide attack import --stix`)"
                if isinstance(document, dict) and document.get("type") == "bundle" else "")
        raise AttackDataError(f"{path}: not a tide ATT&CK snapshot (format {found!r}){hint}")
    try:
        meta = document["attack"]
        info = AttackInfo(version=str(meta["version"]), domain=str(meta["domain"]),
                          source=str(meta["source"]), sha256=str(meta["sha256"]),
                          notice=str(meta["notice"]))
        tactics = tuple(Tactic(id=str(t[0]), shortname=str(t[1]), name=str(t[2]))
                        for t in document["tactics"])
        by_shortname = {tactic.shortname: tactic for tactic in tactics}
        techniques = {}
        for item in document["techniques"]:
            technique = Technique(
                id=item["id"], stix_id=item["stix_id"], name=item["name"], full_name=item["full_name"],
                description=item["description"], summary=item["summary"],
                tactics=tuple(by_shortname[name] for name in item["tactics"]),
                platforms=tuple(item["platforms"]), url=item["url"], parent=item["parent"],
                subtechniques=tuple(item["subtechniques"]), deprecated=bool(item["deprecated"]),
                revoked=bool(item["revoked"]), revoked_by=item["revoked_by"],
                mitigations=tuple(item["mitigations"]), detections=tuple(item["detections"]),
                galaxy_value=item["galaxy_value"], domain=info.domain,
            )
            techniques[technique.id] = technique
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise AttackDataError(f"{path}: damaged ATT&CK snapshot (bad or missing {exc})") from exc
    source = Source(info=info, path=path, origin=origin, techniques=len(techniques))
    return AttackData(info=info, techniques=MappingProxyType(techniques), tactics=tactics,
                      sources=(source,))


def read_snapshot(path: Path, origin: str) -> AttackData:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise AttackDataError(f"{path}: cannot read ATT&CK data ({exc.strerror or exc})") from exc
    return decode(blob, str(path), origin)
