"""ATT&CK Navigator layer (layer format 4.5) scoring each technique by how many vectors cite it."""

from __future__ import annotations

from typing import Any

from tide.jsontext import indented
from tide.model import Catalogue, Technique, Vector

LAYER_FORMAT = "4.5"
NAVIGATOR_VERSION = "5.2.0"  # the Navigator release that reads layer format 4.5
LAYER_NAME = "OpenTide threat vectors"


def cited(vector: Vector) -> list[Technique]:
    """The techniques a vector cites as the Navigator shows them: a revoked or deprecated one as its
    replacement, and not at all when it has none (the Navigator hides it), nor an unknown id."""
    found: dict[str, Technique] = {}
    for ref in vector.techniques:
        technique = ref.replacement or ref.technique
        if technique is not None and not (technique.revoked or technique.deprecated):
            found.setdefault(technique.id, technique)
    return list(found.values())


def attack_major(version: str) -> str:
    """The Navigator names ATT&CK versions by their major number: "19.0" -> "19"."""
    return version.strip().lstrip("vV").split(".")[0]


def main_domain(catalogue: Catalogue) -> str:
    return catalogue.attack.domain or "enterprise-attack"


def _citations(catalogue: Catalogue) -> dict[str, dict[str, list[str]]]:
    """The names of the vectors citing each technique (as `cited`), by ATT&CK domain: worked out
    once for all the layers, each vector's citations walked once."""
    main = main_domain(catalogue)
    by_domain: dict[str, dict[str, list[str]]] = {}
    for vector in catalogue.vectors:
        for technique in cited(vector):
            by_domain.setdefault(technique.domain or main, {}).setdefault(technique.id, []).append(vector.name)
    return by_domain


def navigator_layers(catalogue: Catalogue) -> dict[str, bytes]:
    """`attack-navigator.json` for the main domain, and one `attack-navigator-<domain>.json` for each
    other domain cited (a Navigator layer shows a single domain's matrix)."""
    main = main_domain(catalogue)
    by_domain = _citations(catalogue)
    layers = {"attack-navigator.json": _layer(catalogue, main, by_domain)}
    for domain in sorted(by_domain.keys() - {main}):
        layers[f"attack-navigator-{domain.removesuffix('-attack')}.json"] = _layer(catalogue, domain, by_domain)
    return layers


def navigator_layer(catalogue: Catalogue, domain: str = "") -> bytes:
    """The layer of one ATT&CK domain (the catalogue's own by default)."""
    return _layer(catalogue, domain or main_domain(catalogue), _citations(catalogue))


def _layer(catalogue: Catalogue, domain: str, by_domain: dict[str, dict[str, list[str]]]) -> bytes:
    citing = by_domain.get(domain, {})
    elsewhere = sum(len(names) for other, cited_there in by_domain.items() if other != domain
                    for names in cited_there.values())
    techniques = [
        {
            "techniqueID": technique_id,
            "score": len(names),
            "comment": "\n".join(sorted(names, key=str.casefold)),
            "enabled": True,
            "showSubtechniques": False,
        }
        for technique_id, names in sorted(citing.items())
    ]
    top = max((len(names) for names in citing.values()), default=0)
    layer: dict[str, Any] = {
        "name": LAYER_NAME,
        "versions": {
            "attack": attack_major(catalogue.attack.version),
            "navigator": NAVIGATOR_VERSION,
            "layer": LAYER_FORMAT,
        },
        "domain": domain,
        "description": (
            f"Techniques cited by {len(catalogue.vectors)} OpenTide threat vectors; the score of a"
            f" technique is the number of vectors citing it (ATT&CK {catalogue.attack.version})."
            + (f" {elsewhere} citations of other ATT&CK domains are in their own layers." if elsewhere else "")
        ),
        "sorting": 3,  # by score, highest first
        "layout": {
            "layout": "side",
            "showID": True,
            "showName": True,
            "showAggregateScores": False,
            "countUnscored": False,
            "aggregateFunction": "average",
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": False,
        "techniques": techniques,
        # maxValue must exceed minValue, also for a catalogue that cites nothing
        "gradient": {"colors": ["#ffffff", "#66b1ff", "#ff6666"], "minValue": 0, "maxValue": max(top, 1)},
        "legendItems": [],
        "metadata": [{"name": "vectors", "value": str(len(catalogue.vectors))}],
        "links": [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
    }
    return indented(layer)
