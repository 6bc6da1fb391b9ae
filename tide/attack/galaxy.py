"""Import ATT&CK from the MISP galaxy clusters (mitre-attack-pattern, -course-of-action,
-detection-strategy).

The galaxy mixes the enterprise, mobile and legacy PRE-ATT&CK domains in one cluster file, and keeps
tactics as clusters with a `TA` id. A technique's domain comes from its kill chains
(`attack-IaaS:stealth` is enterprise, `mobile-attack-Android:...` is mobile); a revoked technique
without kill chains takes the domain of its replacement. Tactic shortnames are slugs of the tactic
names; where two domains share a name ("Initial Access" TA0001 and TA0027), `galaxy-tactics.json`
says which TA id belongs to which domain.

The galaxy does not say which ATT&CK release it carries, so the importer is told (`--version`). Its
checksum is the sha256 of a manifest of the galaxy files read ("<sha256>  <name>" lines, sorted).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from tide.attack.data import DATA_DIR, AttackDataError
from tide.attack.snapshot import NOTICE, RawTechnique, build_snapshot
from tide.model import AttackInfo, Tactic

PATTERNS = "clusters_mitre-attack-pattern.json"
DEFINITION = "galaxies_mitre-attack-pattern.json"  # holds the kill chain (tactic) order per platform
MITIGATIONS = "clusters_mitre-course-of-action.json"
DETECTIONS = "clusters_mitre-detection-strategy.json"
# Kill chain prefixes (before the platform) of each domain.
_PREFIX = {"enterprise": "attack", "mobile": "mobile-attack"}
_DEPRECATED = re.compile(r"^\W*this (?:object|technique) (?:has been|is) deprecated", re.IGNORECASE)
_SUFFIX = re.compile(r"\s+-\s+(?:T\d{4}(?:\.\d{3})?|TA\d{4}|M\d{4}|DET\d{4})$")


def _read_clusters(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        blob = path.read_bytes()
        document = json.loads(blob)
    except OSError as exc:
        raise AttackDataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AttackDataError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("values"), list):
        raise AttackDataError(f"{path}: not a MISP galaxy cluster file (no `values` list)")
    return document, blob


def _bare_name(value: str) -> str:
    """"Audit - M1047" -> "Audit"."""
    return _SUFFIX.sub("", value).strip()


def _slug(name: str) -> str:
    return re.sub(r"\s+", "-", name.strip().lower())


def _domain_of(cluster: dict[str, Any]) -> str:
    kinds = set()
    for chain in cluster.get("meta", {}).get("kill_chain", []):
        prefix = str(chain).split(":", 1)[0]
        if prefix.startswith("mobile-attack-"):
            kinds.add("mobile")
        elif prefix.startswith("attack-"):
            kinds.add("enterprise")
        elif prefix.startswith("pre-attack"):
            kinds.add("pre")
    for kind in ("enterprise", "mobile", "pre"):
        if kind in kinds:
            return kind
    return ""


def _tactic_hints(domain: str) -> set[str]:
    text = (DATA_DIR / "galaxy-tactics.json").read_text(encoding="utf-8")
    return set(json.loads(text)["domains"].get(domain, []))


def _kill_chain_order(galaxy: Path) -> tuple[dict[str, list[str]], bytes]:
    path = galaxy / DEFINITION
    try:
        blob = path.read_bytes()
        orders = json.loads(blob)["kill_chain_order"]
    except OSError as exc:
        raise AttackDataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise AttackDataError(f"{path}: no readable kill_chain_order ({exc})") from exc
    if not isinstance(orders, dict):
        raise AttackDataError(f"{path}: kill_chain_order is not a mapping")
    return orders, blob


def _tactics(
    galaxy: Path, domain: str, orders: dict[str, list[str]], clusters: list[dict[str, Any]]
) -> list[Tactic]:
    """The domain's tactics in matrix order, from the galaxy's kill chain order and tactic clusters."""
    prefix = _PREFIX[domain] + "-"
    # Reconnaissance and Resource Development come from the PRE platform and lead the matrix.
    keys = sorted((k for k in orders if k.startswith(prefix)), key=lambda k: (not k.endswith("-PRE"), k))
    # Merge the per-platform orders: a tactic missing so far goes right after its predecessor.
    shortnames: list[str] = []
    for key in keys:
        previous = ""
        for name in orders[key]:
            if name not in shortnames:
                at = shortnames.index(previous) + 1 if previous else len(shortnames)
                shortnames.insert(at, name)
            previous = name
    candidates: dict[str, list[tuple[str, str]]] = {}
    for cluster in clusters:
        tid = str(cluster.get("meta", {}).get("external_id", ""))
        if tid.startswith("TA") and not _DEPRECATED.match(cluster.get("description", "")):
            name = _bare_name(str(cluster.get("value", "")))
            candidates.setdefault(_slug(name), []).append((tid, name))
    hints = _tactic_hints(domain)
    tactics = []
    for shortname in shortnames:
        found = candidates.get(shortname, [])
        if len(found) > 1:
            found = [item for item in found if item[0] in hints]
        if len(found) != 1:
            ids = ", ".join(sorted(tid for tid, _ in candidates.get(shortname, []))) or "none"
            raise AttackDataError(
                f"{galaxy}: cannot tell which tactic is {domain} {shortname!r} (candidates: {ids}); "
                "list its TA id in tide/data/attack/galaxy-tactics.json")
        tactics.append(Tactic(id=found[0][0], shortname=shortname, name=found[0][1]))
    return tactics


def _targets(document: dict[str, Any] | None, relation: str) -> dict[str, list[str]]:
    """technique uuid -> names of the clusters that point at it with `relation`."""
    out: dict[str, list[str]] = {}
    if document is None:
        return out
    for cluster in document["values"]:
        tid = str(cluster.get("meta", {}).get("external_id", ""))
        # Mitigations before ATT&CK v7 carried technique ids; those objects are deprecated.
        if relation == "mitigates" and not tid.startswith("M"):
            continue
        name = _bare_name(str(cluster.get("value", "")))
        for link in cluster.get("related", []):
            if link.get("type") == relation:
                out.setdefault(str(link.get("dest-uuid")), []).append(name)
    return out


def import_galaxy(galaxy: Path, version: str, domain: str = "enterprise") -> dict[str, Any]:
    """The snapshot document of one domain ("enterprise" or "mobile") of the galaxy in `galaxy`."""
    if domain not in _PREFIX:
        raise AttackDataError(f"the MISP galaxy holds the enterprise and mobile domains, not {domain!r}")
    if not version:
        raise AttackDataError("the MISP galaxy does not record its ATT&CK release: give --version")
    patterns, pattern_blob = _read_clusters(galaxy / PATTERNS)
    orders, definition_blob = _kill_chain_order(galaxy)
    blobs = {PATTERNS: pattern_blob, DEFINITION: definition_blob}
    extra: dict[str, dict[str, Any] | None] = {}
    for name in (MITIGATIONS, DETECTIONS):
        if (galaxy / name).is_file():
            extra[name], blobs[name] = _read_clusters(galaxy / name)
        else:
            extra[name] = None
    manifest = "".join(f"{hashlib.sha256(blob).hexdigest()}  {name}\n"
                       for name, blob in sorted(blobs.items()))
    clusters: list[dict[str, Any]] = patterns["values"]
    tactics = _tactics(galaxy, domain, orders, clusters)
    mitigations = _targets(extra[MITIGATIONS], "mitigates")
    detections = _targets(extra[DETECTIONS], "detects")

    by_uuid = {str(c.get("uuid")): c for c in clusters}

    def domain_of(cluster: dict[str, Any], seen: frozenset[str] = frozenset()) -> str:
        found = _domain_of(cluster)
        if found or cluster.get("uuid") in seen:
            return found
        for link in cluster.get("related", []):
            target = by_uuid.get(str(link.get("dest-uuid")))
            if link.get("type") == "revoked-by" and target is not None:
                return domain_of(target, seen | {str(cluster.get("uuid"))})
        return ""

    raws = []
    for cluster in clusters:
        meta = cluster.get("meta", {})
        tid = str(meta.get("external_id", ""))
        if not tid.startswith("T") or tid.startswith("TA") or domain_of(cluster) != domain:
            continue
        uuid = str(cluster.get("uuid"))
        description = str(cluster.get("description", ""))
        revoked_by = sorted(str(link.get("dest-uuid")) for link in cluster.get("related", [])
                            if link.get("type") == "revoked-by")
        urls = [str(ref) for ref in meta.get("refs", []) if "attack.mitre.org/techniques/" in str(ref)]
        chains = [str(chain).split(":", 1) for chain in meta.get("kill_chain", [])]
        raws.append(RawTechnique(
            id=tid,
            stix_id=f"attack-pattern--{uuid}",
            name=_bare_name(str(cluster.get("value", ""))),
            description=description,
            tactics=tuple(dict.fromkeys(chain[1] for chain in chains if len(chain) == 2)),
            platforms=tuple(str(p) for p in meta.get("mitre_platforms", [])),
            url=urls[0] if urls else "",
            deprecated=bool(cluster.get("deprecated")) or bool(_DEPRECATED.match(description)),
            revoked=bool(cluster.get("revoked")),
            revoked_by=f"attack-pattern--{revoked_by[0]}" if revoked_by else "",
            mitigations=tuple(mitigations.get(uuid, [])),
            detections=tuple(detections.get(uuid, [])),
            galaxy_value=str(cluster.get("value", "")),
        ))
    if not raws:
        raise AttackDataError(f"{galaxy}: no {domain} techniques in {PATTERNS}")
    versions = ", ".join(
        f"{doc.get('type', name)} v{doc.get('version', '?')}"
        for name, doc in sorted({PATTERNS: patterns, **extra}.items()) if doc is not None)
    info = AttackInfo(
        version=version,
        domain=f"{domain}-attack",
        source=f"MISP galaxy clusters ({versions})",
        sha256=hashlib.sha256(manifest.encode("utf-8")).hexdigest(),
        notice=NOTICE,
    )
    return build_snapshot(info, tactics, raws)
