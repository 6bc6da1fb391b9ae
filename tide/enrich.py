"""Enrich stage: validated Documents -> a Catalogue of Vectors with every reference resolved
(vocabulary entries, ATT&CK techniques, actors, chaining targets), ready for the renderers."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
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
    vocabularies = load_vocabularies()
    return link_vectors((local_vector(d, vocabularies, attack) for d in docs), attack_info)


def link_vectors(vectors: Iterable[Vector], attack_info: AttackInfo) -> Catalogue:
    """The catalogue of vectors made by `local_vector`, with slugs and chain targets filled in.
    The vectors must be those of a set of files that passed validation (chain targets exist).
    They are completed in place: they come fresh from `local_vector` or from the cache, shared
    with nothing else, and copying 10,000 frozen vectors and their chains cost a second."""
    ordered = catalogue_order(vectors)
    slugs = _unique_slugs(ordered)
    names = {v.uuid: (v.name, slug) for v, slug in zip(ordered, slugs, strict=True)}
    for vector in ordered:
        link_known(vector, names)
    return Catalogue(vectors=tuple(ordered), vocabularies=load_vocabularies(), attack=attack_info)


def catalogue_order(vectors: Iterable[Vector]) -> list[Vector]:
    """Vectors in the order a catalogue holds them: by name, case aside, then uuid."""
    return sorted(vectors, key=lambda v: (v.name.casefold(), v.uuid))


def link_known(vector: Vector, names: Mapping[str, tuple[str, str]]) -> None:
    """Fill in a vector's slug and its chain targets' names and slugs from `names` (uuid -> name,
    slug of every vector of the catalogue), in place. Raises KeyError for a uuid not in `names`."""
    object.__setattr__(vector, "slug", names[vector.uuid][1])
    for chain in vector.chaining:
        object.__setattr__(chain, "target_name", names[chain.target_uuid][0])
        object.__setattr__(chain, "target_slug", names[chain.target_uuid][1])


def _unique_slugs(vectors: list[Vector]) -> list[str]:
    """Slug of the name; names that slug alike all get their uuid's first block appended, so a
    vector's file name never depends on which other vectors exist beside it."""
    plain = [slugify(v.name, fallback="threat-vector") for v in vectors]
    counts = Counter(plain)
    return [stem if counts[stem] == 1 else f"{stem[:70].rstrip('-')}-{v.uuid[:8]}"
            for v, stem in zip(vectors, plain, strict=True)]


def local_vector(doc: Document, vocabularies: dict[str, Vocabulary], attack: TechniqueLookup) -> Vector:
    """A vector from its own file alone: its slug and its chain targets' names and slugs, which
    depend on other files, are left empty for `link_vectors`. Files are enriched one at a time
    (and their vectors cached), so that no parsed document outlives its own enrichment."""
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
        uuid=meta["uuid"], name=str(data["name"]), slug="", path=doc.path, schema=meta["schema"],
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
        chaining=tuple(_chain(c, vocabularies["chaining"]) for c in threat.get("chaining") or ()),
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
    return actor.cited(spec.get("sighting") or "", tuple(spec.get("references") or ()))


def _chain(link: dict[str, Any], relations: Vocabulary) -> Chain:
    stage, _, verb = link["relation"].partition("::")
    entry = next(e for e in relations.entries if e.stage == stage and e.name == verb)
    direction = relation_directions()[link["relation"]]
    return Chain(relation=link["relation"], stage=stage, verb=verb, direction=direction,  # type: ignore[arg-type]
                 relation_entry=entry, target_uuid=link["vector"], target_name="", target_slug="",
                 description=link["description"])


def _references(refs: dict[str, dict[str, str]]) -> tuple[Reference, ...]:
    public = sorted((refs.get("public") or {}).items(), key=lambda kv: int(kv[0]))
    internal = sorted((refs.get("internal") or {}).items())
    return (tuple(Reference("public", k, v) for k, v in public)
            + tuple(Reference("internal", k, v) for k, v in internal))
