"""Typed data passed between pipeline stages. Everything here is frozen and ready to print:
renderers and exporters never look anything up themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from tide.plain import hover_text


@dataclass(frozen=True)
class VocabEntry:
    """One value of a vocabulary (e.g. criticality `Low`)."""

    vocabulary: str  # the field it belongs to: "criticality", "platforms", ...
    id: str  # "CRT0003"
    name: str  # "Low" (the value written in objects)
    icon: str  # "" when the vocabulary gives none
    description: str  # "" when the source only had a placeholder
    link: str  # the entry's own link, else the vocabulary's reference, else ""
    misp_tag: str  # "priority-level:low", or "" when the entry maps to no MISP tag
    stage: str  # "" or the stage (kill chain phase group, relation stage, ...)


@dataclass(frozen=True)
class Vocabulary:
    field: str  # the object key it validates: "criticality", "killchain", ...
    name: str  # "Unified Kill Chain"
    title: str  # the schema title of the field: "Cyber Kill Chain"
    icon: str
    description: str
    reference: str  # first reference URL of the vocabulary, or ""
    entries: tuple[VocabEntry, ...]

    def get(self, name: str) -> VocabEntry | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, VocabEntry]:
        # Every field of every vector is looked up here, in vocabularies of up to ~80 entries:
        # a scan of them was a tenth of making a vector. The first entry of a name wins, as it did.
        found: dict[str, VocabEntry] = {}
        for entry in self.entries:
            found.setdefault(entry.name, entry)
        return found


@dataclass(frozen=True)
class Tactic:
    id: str  # "TA0005"
    shortname: str  # "defense-evasion"
    name: str  # "Defense Evasion"


@dataclass(frozen=True)
class Technique:
    """An ATT&CK technique or sub-technique as the pinned ATT&CK data describes it."""

    id: str  # "T1562.008"
    stix_id: str
    name: str  # "Disable or Modify Cloud Logs"
    full_name: str  # "Impair Defenses: Disable or Modify Cloud Logs"
    description: str  # Markdown, citations made readable
    summary: str  # one clean sentence, for hover texts and tables
    tactics: tuple[Tactic, ...]
    platforms: tuple[str, ...]
    url: str
    parent: str  # "" for a technique, the parent id for a sub-technique
    subtechniques: tuple[str, ...]
    deprecated: bool
    revoked: bool
    revoked_by: str  # replacing technique id, "" if none
    mitigations: tuple[str, ...]
    detections: tuple[str, ...]
    galaxy_value: str  # "Disable or Modify Cloud Logs - T1562.008"
    domain: str = ""  # "enterprise-attack", "mobile-attack", "ics-attack"


@dataclass(frozen=True)
class TechniqueRef:
    """A technique as cited by a vector; `technique` is None only for ids the data lacks."""

    id: str
    technique: Technique | None
    replacement: Technique | None = None  # set when the cited one is revoked/deprecated


@dataclass(frozen=True)
class Actor:
    stage: Literal["att&ck", "misp"]
    id: str  # "G0087" or a MISP galaxy cluster uuid
    name: str  # "APT39"
    aliases: tuple[str, ...]
    description: str
    link: str
    misp_tag: str  # 'misp-galaxy:threat-actor="APT39"' for misp actors, else ""
    sighting: str = ""
    references: tuple[str, ...] = ()

    def cited(self, sighting: str, references: tuple[str, ...]) -> Actor:
        """The actor as one vector cites it (dataclasses.replace costs five times as much): the
        actor itself when the citation adds nothing (most do not), so that vectors share it and
        the pack writes it as a reference."""
        if sighting == self.sighting and references == self.references:
            return self
        return Actor(self.stage, self.id, self.name, self.aliases, self.description, self.link, self.misp_tag,
                     sighting, references)


@dataclass(frozen=True)
class Chain:
    """One `chaining` entry, resolved: `source` --verb--> `target`."""

    relation: str  # "sequence::preceeds"
    stage: str  # "sequence"
    verb: str  # "preceeds"
    direction: Literal["from", "to", "bidirectional"]
    relation_entry: VocabEntry
    target_uuid: str
    target_name: str
    target_slug: str
    description: str


@dataclass(frozen=True)
class Reference:
    kind: Literal["public", "internal"]
    key: str  # "1", "2", ... for public; "a", "b", ... for internal
    url: str


@dataclass(frozen=True)
class Organisation:
    uuid: str
    name: str


@dataclass(frozen=True)
class Vector:
    """A validated, enriched threat vector."""

    uuid: str
    name: str
    slug: str  # safe file stem for every output
    path: str  # source file, as given on the command line
    schema: str  # "tvm::2.0" / "tvm::2.1"
    version: int
    created: str  # ISO date
    modified: str  # ISO date
    tlp: VocabEntry
    classification: VocabEntry | None
    author: str
    contributors: tuple[str, ...]
    organisation: Organisation | None
    criticality: VocabEntry
    killchain: tuple[VocabEntry, ...]
    domains: tuple[VocabEntry, ...]
    targets: tuple[VocabEntry, ...]
    platforms: tuple[VocabEntry, ...]
    severity: VocabEntry
    leverage: tuple[VocabEntry, ...]
    impact: tuple[VocabEntry, ...]
    viability: VocabEntry
    techniques: tuple[TechniqueRef, ...]
    actors: tuple[Actor, ...]
    chaining: tuple[Chain, ...]
    cves: tuple[str, ...]
    misp_events: tuple[str, ...]
    terrain: str
    description: str
    references: tuple[Reference, ...]
    source_text: str  # the YAML exactly as in the file (LF line ends)
    # The JSON form of the YAML, for callers that want it; the pipeline leaves it empty, as no
    # stage reads it and at 10,000 vectors it would hold about 50 MB through rendering.
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # SHA-256 of the source path and text, set by enrichment: with the slug and the chain targets
    # (all that enrichment takes from other files), it determines every field, so memo keys digest
    # it instead of the fields. Code that changes a Vector's fields must clear it.
    source_digest: str = field(default="", compare=False, hash=False, repr=False)
    # The title of links to this vector: the first words of its description on one plain line.
    # Made with the vector, in the processes that check the files, not by every page linking to it.
    hover: str = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hover", hover_text(self.description, 150))


@dataclass(frozen=True)
class AttackInfo:
    """Which ATT&CK data a build used."""

    version: str  # "19.0"
    domain: str  # "enterprise-attack"
    source: str  # where the snapshot was made from
    sha256: str  # checksum of that source
    notice: str  # MITRE's reproduction notice


@dataclass(frozen=True)
class Catalogue:
    """Everything the renderers and exporters need, sorted by vector name then uuid."""

    vectors: tuple[Vector, ...]
    vocabularies: dict[str, Vocabulary] = field(hash=False)
    attack: AttackInfo
