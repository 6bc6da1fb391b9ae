"""One threat vector as one MISP event, built with PyMISP so the JSON is what MISP itself writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from pymisp import MISPEvent, MISPObject, MISPOrganisation

from tide.misp.mapping import (
    ANALYSIS_COMPLETE,
    CVE,
    clip_info,
    clip_value,
    element_uuid,
    event_uuid,
    galaxy_tag,
    tag_colour,
    threat_level,
    valid_link,
    valid_tag,
)
from tide.model import Organisation, Vector, VocabEntry

OPENTIDE_TEMPLATE_UUID = "892fd46a-f69e-455c-8c4f-843a4b8f4295"
REPORT_NAME = "Threat vector description"
# MISP's mitre-attack-pattern galaxy holds enterprise and mobile techniques; its ICS galaxy
# (mitre-ics-techniques) still uses pre-2020 ids and bare names, so no tag would match it.
_NO_GALAXY = frozenset({"ics-attack"})


def event_tags(vector: Vector) -> list[str]:
    """TLP first, then the vocabularies' own MISP tags, ATT&CK techniques and MISP actors; no repeats."""
    entries: list[VocabEntry] = [vector.tlp]
    if vector.classification is not None:
        entries.append(vector.classification)
    entries += [vector.criticality, vector.severity, *vector.killchain, vector.viability]
    entries += [*vector.domains, *vector.targets, *vector.platforms, *vector.leverage, *vector.impact]
    tags = [entry.misp_tag for entry in entries]
    if not vector.tlp.misp_tag:
        tags.insert(0, f"tlp:{vector.tlp.name.strip().lower()}")
    for ref in vector.techniques:
        # MISP's galaxy keeps revoked techniques (with a revoked-by relation): tag the one cited,
        # and what ATT&CK replaced it with so that searches by the current technique find it too.
        for technique in (ref.technique, ref.replacement):
            if technique is not None and technique.galaxy_value and technique.domain not in _NO_GALAXY:
                tags.append(galaxy_tag("mitre-attack-pattern", technique.galaxy_value))
    tags += [actor.misp_tag for actor in vector.actors if actor.stage == "misp"]
    return list(dict.fromkeys(tag for tag in tags if valid_tag(tag)))


def event_links(vector: Vector) -> dict[str, str]:
    """Reference URLs MISP accepts as `link`, each once, with why it is cited."""
    links: dict[str, list[str]] = {}
    for ref in vector.references:
        links.setdefault(ref.url, []).append(f"{ref.kind.capitalize()} reference [{ref.key}]")
    for actor in vector.actors:
        for url in actor.references:
            links.setdefault(url, []).append(f"Sighting of {actor.name}")
    return {url: "; ".join(dict.fromkeys(why)) for url, why in links.items() if valid_link(url)}


def build_event(vector: Vector, org: Organisation, timestamp: int) -> MISPEvent:
    """The event of `vector`; every element carries `timestamp` (the feed stage may change them)."""
    event = MISPEvent()
    event.uuid = event_uuid(vector.uuid)
    event.info = clip_info(f"OpenTide threat vector: {vector.name}")
    event.set_date(date.fromisoformat(vector.created[:10]))
    event.threat_level_id = threat_level(vector.severity)
    event.analysis = ANALYSIS_COMPLETE
    event.published = True
    event.timestamp = timestamp
    event.publish_timestamp = timestamp
    orgc = MISPOrganisation()
    orgc.from_dict(name=org.name, uuid=org.uuid)
    event.Orgc = orgc
    for name in event_tags(vector):
        event.add_tag(name=name, colour=tag_colour(name), local=False, relationship_type="")

    common: dict[str, Any] = {"timestamp": timestamp, "to_ids": False}
    for url, why in event_links(vector).items():
        event.add_attribute(
            "link", url, category="External analysis", comment=clip_value(why),
            uuid=element_uuid(event.uuid, f"link:{url}"), disable_correlation=False, **common,
        )
    for cve in dict.fromkeys(cve.strip().upper() for cve in vector.cves):
        if CVE.match(cve):
            event.add_attribute(
                "vulnerability", cve, category="External analysis",
                uuid=element_uuid(event.uuid, f"vulnerability:{cve}"), disable_correlation=False, **common,
            )
    event.add_object(opentide_object(vector, event.uuid, timestamp))
    if vector.description.strip():
        event.add_event_report(
            REPORT_NAME, clip_value(vector.description),
            uuid=element_uuid(event.uuid, "report:description"), timestamp=timestamp,
        )
    return event


def opentide_object(vector: Vector, parent: str, timestamp: int) -> MISPObject:
    """The `opentide` object (template 892fd46a-…): the vector's identity and its YAML."""
    obj = MISPObject("opentide", standalone=False)
    if obj.template_uuid != OPENTIDE_TEMPLATE_UUID:  # PyMISP ships the template; make sure it is this one
        raise RuntimeError(f"unexpected opentide object template {obj.template_uuid}")
    obj.uuid = element_uuid(parent, "object:opentide")
    obj.timestamp = timestamp
    obj.comment = ""

    def add(relation: str, value: str, key: str, correlate: bool, comment: str = "") -> None:
        obj.add_attribute(
            relation, value=clip_value(value), uuid=element_uuid(obj.uuid, key), timestamp=timestamp,
            to_ids=False, disable_correlation=not correlate, comment=comment,
        )

    add("name", vector.name, "name", True)
    add("uuid", vector.uuid, "uuid", True)
    add("opentide-type", "tvm", "opentide-type", False)
    add("version", str(vector.version), "version", False)
    add("opentide-object", vector.source_text, "opentide-object", False)
    chains = {(chain.relation, chain.target_uuid.lower()): chain for chain in vector.chaining}
    for (relation, target), chain in chains.items():
        add("opentide-relation", chain.target_uuid, f"opentide-relation:{relation}:{target}",
            True, f"{relation} {chain.target_name}".strip())
    return obj
