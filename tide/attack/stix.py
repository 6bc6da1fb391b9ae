"""Import ATT&CK from an official STIX 2.1 bundle of mitre-attack/attack-stix-data.

The release (domain and version) is read from the bundle's x-mitre-collection and x-mitre-matrix,
and the file's sha256 must equal the published checksum of that release: a damaged, truncated or
altered file is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tide.attack import releases
from tide.attack.data import AttackDataError
from tide.attack.snapshot import NOTICE, RawTechnique, build_snapshot
from tide.model import AttackInfo, Tactic


def _attack_id(obj: dict[str, Any]) -> str:
    for ref in obj.get("external_references", []):
        if isinstance(ref, dict) and ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return str(ref["external_id"])
    return ""


def _attack_url(obj: dict[str, Any]) -> str:
    for ref in obj.get("external_references", []):
        if isinstance(ref, dict) and ref.get("source_name") == "mitre-attack":
            return str(ref.get("url", ""))
    return ""


def _current(obj: dict[str, Any]) -> bool:
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def _release(objects: Iterable[dict[str, Any]], path: Path) -> tuple[str, str]:
    """(domain, version) of the bundle: "ics", "18.1"."""
    domain = version = ""
    for obj in objects:
        if obj.get("type") == "x-mitre-collection" and not version:
            version = str(obj.get("x_mitre_version", ""))
        elif obj.get("type") == "x-mitre-matrix" and not domain:
            domain = _attack_id(obj)
    if not domain.endswith("-attack") or not version:
        raise AttackDataError(f"{path}: not an ATT&CK release bundle "
                              "(no collection version or matrix domain)")
    return domain.removesuffix("-attack"), version


def verify(blob: bytes, domain: str, version: str, what: str) -> str:
    """The sha256 of `blob`, after checking it against the published checksum of the release."""
    digest = hashlib.sha256(blob).hexdigest()
    expected = releases.expected_sha256(domain, version)
    if expected is None:
        raise AttackDataError(f"{what}: {domain}-attack {version} is not a known ATT&CK release, so its "
                              "checksum cannot be verified (use --no-verify to import it anyway)")
    if digest != expected:
        raise AttackDataError(f"{what}: checksum mismatch for {domain}-attack {version}: sha256 {digest}, "
                              f"the published release has {expected}; the file is damaged or altered")
    return digest


def parse_bundle(blob: bytes, what: str) -> list[dict[str, Any]]:
    try:
        bundle = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttackDataError(f"{what}: not valid JSON ({exc})") from exc
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle" or not isinstance(objects, list):
        raise AttackDataError(f"{what}: not a STIX bundle")
    return [obj for obj in objects if isinstance(obj, dict)]


def import_stix(path: Path, *, check: bool = True, source: str = "") -> dict[str, Any]:
    """The snapshot document of a STIX bundle file. `check=False` skips the checksum check."""
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise AttackDataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return convert_bundle(blob, str(path), check=check,
                          source=source or f"ATT&CK STIX 2.1 bundle {path.name}")


def convert_bundle(blob: bytes, what: str, *, check: bool, source: str) -> dict[str, Any]:
    objects = parse_bundle(blob, what)
    domain, version = _release(objects, Path(what))
    digest = verify(blob, domain, version, what) if check else hashlib.sha256(blob).hexdigest()
    full_domain = f"{domain}-attack"
    by_id = {str(obj.get("id")): obj for obj in objects}

    def in_domain(obj: dict[str, Any]) -> bool:
        domains = obj.get("x_mitre_domains")
        return not isinstance(domains, list) or full_domain in domains

    revoked_by: dict[str, str] = {}
    mitigations: dict[str, list[str]] = {}
    detections: dict[str, list[str]] = {}
    for rel in objects:
        if rel.get("type") != "relationship" or not _current(rel):
            continue
        kind, src, dst = rel.get("relationship_type"), str(rel.get("source_ref")), str(rel.get("target_ref"))
        origin = by_id.get(src)
        if kind == "revoked-by" and src.startswith("attack-pattern--"):
            revoked_by[src] = dst
        elif origin is None or not _current(origin):
            continue
        elif (kind == "mitigates" and origin.get("type") == "course-of-action"
              and _attack_id(origin).startswith("M")):
            mitigations.setdefault(dst, []).append(str(origin.get("name", "")))
        elif kind == "detects" and origin.get("type") == "x-mitre-detection-strategy":
            detections.setdefault(dst, []).append(str(origin.get("name", "")))

    raws = []
    for obj in objects:
        tid = _attack_id(obj)
        if obj.get("type") != "attack-pattern" or not tid or not in_domain(obj):
            continue
        sid = str(obj.get("id"))
        raws.append(RawTechnique(
            id=tid,
            stix_id=sid,
            name=str(obj.get("name", "")),
            description=str(obj.get("description", "")),
            tactics=tuple(dict.fromkeys(
                str(phase.get("phase_name")) for phase in obj.get("kill_chain_phases", [])
                if str(phase.get("kill_chain_name", "")).startswith("mitre-"))),
            platforms=tuple(str(p) for p in obj.get("x_mitre_platforms", []) if p != "None"),
            url=_attack_url(obj),
            deprecated=bool(obj.get("x_mitre_deprecated")),
            revoked=bool(obj.get("revoked")),
            revoked_by=revoked_by.get(sid, ""),
            mitigations=tuple(mitigations.get(sid, [])),
            detections=tuple(detections.get(sid, [])),
        ))
    if not raws:
        raise AttackDataError(f"{what}: no {full_domain} techniques in the bundle")
    info = AttackInfo(version=version, domain=full_domain, source=source, sha256=digest, notice=NOTICE)
    return build_snapshot(info, _tactics(objects), raws)


def _tactics(objects: list[dict[str, Any]]) -> list[Tactic]:
    """Tactics in the order of the domain's matrix; any the matrix omits follow, by id."""
    tactics = {str(obj["id"]): obj for obj in objects
               if obj.get("type") == "x-mitre-tactic" and _current(obj) and _attack_id(obj)}
    order: list[str] = []
    for matrix in objects:
        if matrix.get("type") == "x-mitre-matrix" and _current(matrix):
            order += [ref for ref in matrix.get("tactic_refs", []) if ref in tactics and ref not in order]
    order += sorted((ref for ref in tactics if ref not in order), key=lambda ref: _attack_id(tactics[ref]))
    return [Tactic(id=_attack_id(tactics[ref]), shortname=str(tactics[ref].get("x_mitre_shortname", "")),
                   name=str(tactics[ref].get("name", ""))) for ref in order]
