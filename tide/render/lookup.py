"""Cross references of a catalogue, computed once: which vectors cite a technique, an actor or a
vocabulary entry, which vectors chain to a vector, and the page slug of each of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from tide.model import Actor, Catalogue, Chain, Technique, Vector, VocabEntry
from tide.slug import slugify

# Vocabulary fields that also get one page per entry used, by directory (issue: platform, domain,
# target pages); the other fields are reached through their vocabulary page.
ENTRY_PAGE_FIELDS = ("platforms", "domains", "targets")
K = TypeVar("K")


def vector_entries(vector: Vector) -> tuple[VocabEntry, ...]:
    """Every vocabulary value of a vector, in page order."""
    head = (vector.criticality, vector.tlp, *((vector.classification,) if vector.classification else ()))
    return (*head, *vector.killchain, *vector.domains, *vector.targets, *vector.platforms, vector.severity,
            *vector.leverage, *vector.impact, vector.viability, *(c.relation_entry for c in vector.chaining))


def actor_key(actor: Actor) -> tuple[str, str]:
    return actor.stage, actor.id


@dataclass
class Citation:
    """A vector citing a technique, directly or through a revoked/deprecated id."""

    vector: Vector
    cited_as: str  # the id the vector wrote


@dataclass
class Lookup:
    catalogue: Catalogue
    vectors: dict[str, Vector] = field(default_factory=dict)  # by uuid
    techniques: dict[str, Technique] = field(default_factory=dict)  # every technique with a page
    technique_slugs: dict[str, str] = field(default_factory=dict)
    actors: dict[tuple[str, str], Actor] = field(default_factory=dict)
    actor_slugs: dict[tuple[str, str], str] = field(default_factory=dict)
    entries: dict[tuple[str, str], VocabEntry] = field(default_factory=dict)  # every value used
    entry_slugs: dict[tuple[str, str], str] = field(default_factory=dict)
    inbound: dict[str, list[tuple[Vector, Chain]]] = field(default_factory=lambda: defaultdict(list))

    def entry_slug(self, entry: VocabEntry) -> str | None:
        return self.entry_slugs.get((entry.vocabulary, entry.name))

    # Which vectors cite each technique, actor and value: only catalogue pages read these, so they
    # are made when first read, by the process that makes those pages (after the workers fork).
    @property
    def citations(self) -> dict[str, list[Citation]]:
        return self._listed[0]

    @property
    def actor_vectors(self) -> dict[tuple[str, str], list[tuple[Vector, Actor]]]:
        return self._listed[1]

    @property
    def entry_vectors(self) -> dict[tuple[str, str], list[Vector]]:
        return self._listed[2]

    @cached_property
    def _listed(self) -> tuple[dict[str, list[Citation]], dict[tuple[str, str], list[tuple[Vector, Actor]]],
                               dict[tuple[str, str], list[Vector]]]:
        citations: dict[str, list[Citation]] = defaultdict(list)
        actor_vectors: dict[tuple[str, str], list[tuple[Vector, Actor]]] = defaultdict(list)
        entry_vectors: dict[tuple[str, str], list[Vector]] = defaultdict(list)
        for vector in self.catalogue.vectors:
            for ref in vector.techniques:
                for tid in {t.id: None for t in (ref.technique, ref.replacement) if t is not None}:
                    citations[tid].append(Citation(vector, ref.id))
            for actor in vector.actors:
                actor_vectors[actor_key(actor)].append((vector, actor))
            for key in {(e.vocabulary, e.name): None for e in vector_entries(vector)}:
                entry_vectors[key].append(vector)
        return citations, actor_vectors, entry_vectors


def build_lookup(catalogue: Catalogue) -> Lookup:
    look = Lookup(catalogue)
    entries = look.entries
    for vector in catalogue.vectors:
        look.vectors[vector.uuid] = vector
        for ref in vector.techniques:
            # By id, never by value: hashing a frozen dataclass hashes every field, descriptions too.
            for technique in (ref.technique, ref.replacement):
                if technique is not None:
                    look.techniques[technique.id] = technique
        for actor in vector.actors:
            look.actors.setdefault(actor_key(actor), actor)
        for e in vector_entries(vector):
            entries.setdefault((e.vocabulary, e.name), e)
        for chain in vector.chaining:
            look.inbound[chain.target_uuid].append((vector, chain))
    look.technique_slugs = {tid: slugify(tid) for tid in look.techniques}
    look.actor_slugs = _unique([(key, _actor_stem(look.actors[key])) for key in sorted(look.actors)])
    for name in ENTRY_PAGE_FIELDS:
        # Vocabulary entries first, in vocabulary order, so that a clash never renames them.
        vocabulary = catalogue.vocabularies.get(name)
        stems = [((name, e.name), slugify(e.name, fallback=slugify(e.id)))
                 for e in (vocabulary.entries if vocabulary else ())]
        known = {key for key, _ in stems}
        stems += [(key, slugify(key[1])) for key in sorted(entries) if key[0] == name and key not in known]
        look.entry_slugs.update(_unique(stems))
    return look


def _actor_stem(actor: Actor) -> str:
    # ATT&CK groups by id ("g0087-apt39"); MISP clusters by name and the start of their uuid, as
    # the same name exists in both sources.
    if actor.stage == "att&ck":
        return slugify(f"{actor.id} {actor.name}")
    return slugify(f"{actor.name} {actor.id[:8]}")


def _unique(stems: list[tuple[K, str]]) -> dict[K, str]:
    """Slugs made unique in the given (deterministic) order: on a clash, later keys get a counter."""
    used: set[str] = set()
    out: dict[K, str] = {}
    for key, stem in stems:
        slug, count = stem, 1
        while slug in used:
            count += 1
            slug = f"{stem}-{count}"
        used.add(slug)
        out[key] = slug
    return out
