"""Enrich stage: validated Documents -> a Catalogue of Vectors with every reference resolved
(vocabulary entries, ATT&CK techniques, actors, chaining targets), ready for the renderers."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from tide.load import Document
from tide.model import (
    Actor,
    AttackInfo,
    Catalogue,
    Chain,
    Organisation,
    Reference,
    TechniqueRef,
    Vector,
    VocabEntry,
    Vocabulary,
)
from tide.slug import slugify
from tide.validate import TechniqueLookup
from tide.vocabularies import load_actors, load_vocabularies, relation_directions


def enrich(docs: Iterable[Document], attack: TechniqueLookup, attack_info: AttackInfo) -> Catalogue:
    """Build the catalogue. The documents must have passed validation without errors."""
    docs = sorted(docs, key=lambda d: (str(d.data["name"]).casefold(), d.data["metadata"]["uuid"]))
    slugs = _unique_slugs(docs)
    names = {d.data["metadata"]["uuid"]: (d.data["name"], slugs[id(d)]) for d in docs}
    vocabularies = load_vocabularies()
    vectors = tuple(_vector(d, slugs[id(d)], names, vocabularies, attack) for d in docs)
    return Catalogue(vectors=vectors, vocabularies=vocabularies, attack=attack_info)


def _unique_slugs(docs: list[Document]) -> dict[int, str]:
    """Slug of the name; names that slug alike all get their uuid's first block appended, so a
    vector's file name never depends on which other vectors exist beside it."""
    plain = {id(d): slugify(str(d.data["name"]), fallback="threat-vector") for d in docs}
    counts = Counter(plain.values())
    return {id(d): plain[id(d)] if counts[plain[id(d)]] == 1 else
            f"{plain[id(d)][:70].rstrip('-')}-{d.data['metadata']['uuid'][:8]}" for d in docs}


def _vector(doc: Document, slug: str, names: dict[str, tuple[str, str]],
            vocabularies: dict[str, Vocabulary], attack: TechniqueLookup) -> Vector:
    data = doc.data
    meta, threat = data["metadata"], data["threat"]

    def one(field: str, value: str) -> VocabEntry:
        entry = vocabularies[field].get(value)
        assert entry is not None, f"{field} {value!r} passed validation but is not in the vocabulary"
        return entry

    def many(field: str, values: Any) -> tuple[VocabEntry, ...]:
        values = [values] if isinstance(values, str) else (values or [])
        return tuple(one(field, v) for v in values)

    org = meta.get("organisation")
    return Vector(
        uuid=meta["uuid"], name=data["name"], slug=slug, path=doc.path, schema=meta["schema"],
        version=meta["version"], created=meta["created"], modified=meta["modified"],
        tlp=one("tlp", meta["tlp"]),
        classification=one("classification", meta["classification"]) if meta.get("classification") else None,
        author=meta.get("author", ""), contributors=tuple(meta.get("contributors") or ()),
        organisation=Organisation(org["uuid"], org["name"]) if org else None,
        criticality=one("criticality", data["criticality"]),
        killchain=many("killchain", threat.get("killchain")),
        domains=many("domains", threat["domains"]), targets=many("targets", threat["targets"]),
        platforms=many("platforms", threat["platforms"]), severity=one("severity", threat["severity"]),
        leverage=many("leverage", threat["leverage"]), impact=many("impact", threat["impact"]),
        viability=one("viability", threat["viability"]),
        techniques=tuple(_technique(t, attack) for t in threat["att&ck"]),
        actors=tuple(_actor(a) for a in threat.get("actors") or ()),
        chaining=tuple(_chain(c, names, vocabularies["chaining"]) for c in threat.get("chaining") or ()),
        cves=tuple(threat.get("cve") or ()), misp_events=tuple(threat.get("misp") or ()),
        terrain=threat["terrain"], description=threat["description"],
        references=_references(data.get("references") or {}),
        source_text=doc.text,
        source_digest=hashlib.sha256(f"{doc.path}\0{doc.text}".encode("utf-8", "surrogatepass")).hexdigest(),
    )


def _technique(technique_id: str, attack: TechniqueLookup) -> TechniqueRef:
    technique = attack.get(technique_id)
    replacement = attack.replacement(technique_id) if technique and (technique.revoked or technique.deprecated) \
        else None
    return TechniqueRef(id=technique_id, technique=technique, replacement=replacement)


def _actor(item: str | dict[str, Any]) -> Actor:
    spec = {"name": item} if isinstance(item, str) else item
    actor = load_actors()[spec["name"]]
    return dataclasses.replace(actor, sighting=spec.get("sighting") or "",
                               references=tuple(spec.get("references") or ()))


def _chain(link: dict[str, Any], names: dict[str, tuple[str, str]], relations: Vocabulary) -> Chain:
    stage, _, verb = link["relation"].partition("::")
    entry = next(e for e in relations.entries if e.stage == stage and e.name == verb)
    target_name, target_slug = names[link["vector"]]
    direction = relation_directions()[link["relation"]]
    return Chain(relation=link["relation"], stage=stage, verb=verb, direction=direction,  # type: ignore[arg-type]
                 relation_entry=entry, target_uuid=link["vector"], target_name=target_name,
                 target_slug=target_slug, description=link["description"])


def _references(refs: dict[str, dict[str, str]]) -> tuple[Reference, ...]:
    public = sorted((refs.get("public") or {}).items(), key=lambda kv: int(kv[0]))
    internal = sorted((refs.get("internal") or {}).items())
    return (tuple(Reference("public", k, v) for k, v in public)
            + tuple(Reference("internal", k, v) for k, v in internal))
