"""One threat vector as one MISP event.

`event_dict` writes the event's feed JSON directly; it is what the feed uses. `build_event` builds
the same event with PyMISP, whose feed serialiser (`to_feed`) is the reference: the tests hold the
two byte for byte equal, so the feed keeps PyMISP's format without paying PyMISP's cost (about
1.5 ms per event against 0.1 ms, bench/bench_misp.py).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

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

if TYPE_CHECKING:  # PyMISP is imported only where the reference builder runs: it takes ~0.1 s
    from pymisp import MISPEvent, MISPObject

OPENTIDE_TEMPLATE_UUID = "892fd46a-f69e-455c-8c4f-843a4b8f4295"
REPORT_NAME = "Threat vector description"
# The opentide object template (misp-objects, version 4) as an object in a feed names it; every
# attribute of that template is a `text` one, whose default category is `Other` (describeTypes).
OPENTIDE_TEMPLATE = {
    "description": "Object that is a container for threat or detection data, in accordance with the OpenTIDE"
                   " Framework (https://code.europa.eu/ec-digit-s2/opentide)",
    "meta-category": "misc",
    "name": "opentide",
    "template_uuid": OPENTIDE_TEMPLATE_UUID,
    "template_version": "4",
}
_LINK_CATEGORY = "External analysis"  # of `link` and `vulnerability` attributes
_TEXT_CATEGORY = "Other"
# MISP's mitre-attack-pattern galaxy holds enterprise and mobile techniques; its ICS galaxy
# (mitre-ics-techniques) still uses pre-2020 ids and bare names, so no tag would match it.
_NO_GALAXY = frozenset({"ics-attack"})


class Field(NamedTuple):
    """One attribute of the opentide object."""

    relation: str
    value: str
    key: str  # what its uuid is derived from, within the object
    correlate: bool
    comment: str = ""


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


def event_cves(vector: Vector) -> list[str]:
    """The vector's well-formed CVE ids, upper-cased, each once."""
    return [cve for cve in dict.fromkeys(cve.strip().upper() for cve in vector.cves) if CVE.match(cve)]


def opentide_fields(vector: Vector) -> list[Field]:
    """The attributes of the `opentide` object, in order; one relation per chained vector."""
    fields = [
        Field("name", vector.name, "name", True),
        Field("uuid", vector.uuid, "uuid", True),
        Field("opentide-type", "tvm", "opentide-type", False),
        Field("version", str(vector.version), "version", False),
        Field("opentide-object", vector.source_text, "opentide-object", False),
    ]
    chains = {(chain.relation, chain.target_uuid.lower()): chain for chain in vector.chaining}
    for (relation, target), chain in chains.items():
        fields.append(Field("opentide-relation", chain.target_uuid, f"opentide-relation:{relation}:{target}",
                            True, f"{relation} {chain.target_name}".strip()))
    return fields


# --- the feed JSON, written directly ---------------------------------------------------------------


def event_dict(vector: Vector, org: Organisation, timestamp: int) -> dict[str, Any]:
    """The "Event" object of the feed file of `vector`, every element stamped with `timestamp`.

    It equals `build_event(vector, org, timestamp).to_feed(with_distribution=False,
    with_local_tags=False)["Event"]`, rules of PyMISP's serialiser included: numbers as strings,
    defaults it fills in (`protected`, `extends_uuid`, empty comments, categories from
    describeTypes), object attribute values stripped and dropped when empty, a tag left out when
    it equals an earlier one once stripped. `timestamp` must not be 0, which PyMISP takes for unset."""
    uuid = event_uuid(vector.uuid)
    stamp = str(timestamp)
    event: dict[str, Any] = {
        "analysis": str(ANALYSIS_COMPLETE),
        "date": date.fromisoformat(vector.created[:10]).isoformat(),
        "extends_uuid": "",
        "info": clip_info(f"OpenTide threat vector: {vector.name}"),
        "protected": False,
        "publish_timestamp": stamp,
        "published": True,
        "threat_level_id": str(threat_level(vector.severity)),
        "timestamp": stamp,
        "uuid": uuid,
        "Orgc": {"name": org.name, "uuid": org.uuid},
        "Tag": _tags(event_tags(vector)),
    }
    attributes = [
        _attribute("link", url, clip_value(why), element_uuid(uuid, f"link:{url}"), stamp)
        for url, why in event_links(vector).items()
    ]
    attributes += [
        _attribute("vulnerability", cve, "", element_uuid(uuid, f"vulnerability:{cve}"), stamp)
        for cve in event_cves(vector)
    ]
    if attributes:
        event["Attribute"] = attributes
    event["Object"] = [_opentide_object(vector, element_uuid(uuid, "object:opentide"), stamp)]
    if vector.description.strip():
        event["EventReport"] = [{
            "content": clip_value(vector.description),
            "name": REPORT_NAME,
            "timestamp": stamp,
            "uuid": element_uuid(uuid, "report:description"),
        }]
    return event


def _tags(names: list[str]) -> list[dict[str, Any]]:
    # PyMISP adds a tag only if no earlier tag has the same fields once their text is stripped.
    seen: set[tuple[str, str]] = set()
    tags = []
    for name in names:
        colour = tag_colour(name)
        if (name.strip(), colour.strip()) not in seen:
            seen.add((name.strip(), colour.strip()))
            tags.append({"colour": colour, "local": False, "name": name, "relationship_type": ""})
    return tags


def _attribute(kind: str, value: str, comment: str, uuid: str, stamp: str) -> dict[str, Any]:
    return {
        "category": _LINK_CATEGORY, "comment": comment, "disable_correlation": False, "timestamp": stamp,
        "to_ids": False, "type": kind, "uuid": uuid, "value": value,
    }


def _opentide_object(vector: Vector, uuid: str, stamp: str) -> dict[str, Any]:
    attributes = []
    for field in opentide_fields(vector):
        # PyMISP strips an object attribute's value (then NULs) and skips it if nothing is left.
        value = clip_value(field.value).strip().strip("\x00")
        if value:
            attributes.append({
                "category": _TEXT_CATEGORY, "comment": field.comment, "disable_correlation": not field.correlate,
                "object_relation": field.relation, "timestamp": stamp, "to_ids": False, "type": "text",
                "uuid": element_uuid(uuid, field.key), "value": value,
            })
    return {"comment": "", **OPENTIDE_TEMPLATE, "timestamp": stamp, "uuid": uuid, "Attribute": attributes}


# --- the same event with PyMISP: the reference the tests compare event_dict with -------------------


def build_event(vector: Vector, org: Organisation, timestamp: int) -> MISPEvent:
    """The event of `vector` as a PyMISP object; every element carries `timestamp`.

    Not used to write the feed (see `event_dict`): the tests compare its `to_feed` with
    `event_dict` on every vector of the real corpus and on edge cases."""
    from pymisp import MISPEvent, MISPOrganisation

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
            "link", url, category=_LINK_CATEGORY, comment=clip_value(why),
            uuid=element_uuid(event.uuid, f"link:{url}"), disable_correlation=False, **common,
        )
    for cve in event_cves(vector):
        event.add_attribute(
            "vulnerability", cve, category=_LINK_CATEGORY,
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
    """The `opentide` object (template 892fd46a-…) as a PyMISP object, from the template PyMISP ships."""
    from pymisp import MISPObject

    obj = MISPObject("opentide", standalone=False)
    if obj.template_uuid != OPENTIDE_TEMPLATE_UUID:  # PyMISP ships the template; make sure it is this one
        raise RuntimeError(f"unexpected opentide object template {obj.template_uuid}")
    obj.uuid = element_uuid(parent, "object:opentide")
    obj.timestamp = timestamp
    obj.comment = ""
    for field in opentide_fields(vector):
        obj.add_attribute(
            field.relation, value=clip_value(field.value), uuid=element_uuid(obj.uuid, field.key),
            timestamp=timestamp, to_ids=False, disable_correlation=not field.correlate, comment=field.comment,
        )
    return obj
