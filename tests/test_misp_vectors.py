"""Hand-built vectors for the export tests (the seed, as the enrich stage describes it), and the
unit tests of the MISP value mapping."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from tide.misp.mapping import (
    MAX_INFO_CHARS,
    base_timestamp,
    clip_info,
    clip_value,
    element_uuid,
    event_uuid,
    threat_level,
    valid_link,
    valid_tag,
)
from tide.model import (
    Actor,
    AttackInfo,
    Catalogue,
    Chain,
    Organisation,
    Reference,
    Tactic,
    Technique,
    TechniqueRef,
    Vector,
    VocabEntry,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_YAML = """\
name: AWS Stop Logging CloudTrail
criticality: Low
references:
  public:
    1: https://securitylabs.datadoghq.com/cloud-security-atlas/attacks/stopping-cloudtrail-trail/
    2: https://research.splunk.com/cloud/0b78a8f9-1d31-4d23-85c8-56ad13d5b4c1/
metadata:
  uuid: d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3
  schema: tvm::2.0
  version: 1
  created: 2024-10-31
  modified: 2024-10-31
  tlp: clear
  organisation:
    uuid: 56b0a0f0-b0bc-47d9-bb46-02f80ae2065a
    name: EC DIGIT CSOC
threat:
  killchain: Defense Evasion
  att&ck:
    - T1562.008
  domains: [Public Cloud, Private Cloud]
  targets: [IaaS]
  platforms: [AWS]
  severity: Moderate incident
  leverage: [Log tampering, Modify configuration, Repudiation]
  impact: [Impairement, Lose Capabilities]
  viability: Unlikely
  description: |
    ### AWS Stop Logging CloudTrail Threat

    An attacker stops AWS CloudTrail from recording API activity.
"""

ATTACK = AttackInfo(version="19.0", domain="enterprise-attack", source="test", sha256="0" * 64,
                    notice="© The MITRE Corporation.")


def entry(vocabulary: str, name: str, misp_tag: str = "", id: str = "") -> VocabEntry:
    return VocabEntry(vocabulary=vocabulary, id=id or name, name=name, icon="", description="", link="",
                      misp_tag=misp_tag, stage="")


def technique(id: str, name: str, tactics: tuple[str, ...] = ("defense-evasion",)) -> Technique:
    return Technique(
        id=id, stix_id=f"attack-pattern--{id}", name=name, full_name=name, description="", summary="",
        tactics=tuple(Tactic(id="TA0005", shortname=t, name=t.title()) for t in tactics),
        platforms=("IaaS",), url=f"https://attack.mitre.org/techniques/{id.replace('.', '/')}/",
        parent=id.split(".")[0] if "." in id else "", subtechniques=(), deprecated=False, revoked=False,
        revoked_by="", mitigations=(), detections=(), galaxy_value=f"{name} - {id}",
    )


def seed_vector(source: str = SEED_YAML, **changes: Any) -> Vector:
    data = yaml.safe_load(source)
    meta, threat = data["metadata"], data["threat"]
    vector = Vector(
        uuid=meta["uuid"], name=data["name"], slug="aws-stop-logging-cloudtrail",
        path="objects/AWS Stop Logging CloudTrail.yaml", schema=meta["schema"], version=meta["version"],
        created=str(meta["created"]), modified=str(meta["modified"]),
        tlp=entry("tlp", "clear", "tlp:clear"), classification=None, author="", contributors=(),
        organisation=Organisation(**meta["organisation"]),
        criticality=entry("criticality", "Low", "priority-level:low"),
        killchain=(entry("killchain", "Defense Evasion",
                         'unified-kill-chain:Initial Foothold="defense-evasion"'),),
        domains=tuple(entry("domains", d) for d in threat["domains"]),
        targets=tuple(entry("targets", t) for t in threat["targets"]),
        platforms=tuple(entry("platforms", p) for p in threat["platforms"]),
        severity=entry("severity", threat["severity"], id="SEV0002"),
        leverage=tuple(entry("leverage", x) for x in threat["leverage"]),
        impact=tuple(entry("impact", x) for x in threat["impact"]),
        viability=entry("viability", "Unlikely",
                        'estimative-language:likelihood-probability="unlikely"'),
        techniques=(TechniqueRef("T1562.008", technique("T1562.008", "Disable or Modify Cloud Logs")),),
        actors=(), chaining=(), cves=(), misp_events=(), terrain="", description=threat["description"],
        references=tuple(Reference("public", str(k), v) for k, v in data["references"]["public"].items()),
        source_text=source, data=data,
    )
    return dataclasses.replace(vector, **changes)


def rich_vector() -> Vector:
    """A second vector with what the seed lacks: actors, chaining, CVEs, a revoked technique."""
    old = dataclasses.replace(technique("T1089", "Disabling Security Tools"), revoked=True)
    new = technique("T1562.001", "Disable or Modify Tools")
    source = SEED_YAML.replace("AWS Stop Logging CloudTrail", "Edge appliance exploitation").replace(
        "d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3", "6f1e4b5a-3c2d-4e8f-9a0b-1c2d3e4f5a6b")
    return seed_vector(
        source, uuid="6f1e4b5a-3c2d-4e8f-9a0b-1c2d3e4f5a6b", name="Edge appliance exploitation",
        slug="edge-appliance-exploitation", version=3, modified="2025-02-01",
        techniques=(TechniqueRef("T1089", old, new),
                    TechniqueRef("T1562.008", technique("T1562.008", "Disable or Modify Cloud Logs")),
                    TechniqueRef("T9999", None)),
        actors=(Actor("misp", "b8c8b96d-61e6-47b1-8e38-fd8ad5d9854d", "DarkHotel", (), "", "",
                      'misp-galaxy:threat-actor="DarkHotel"', "seen", ("https://example.org/darkhotel",)),
                Actor("att&ck", "G0087", "APT39", (), "", "https://attack.mitre.org/groups/G0087", "")),
        chaining=(Chain("sequence::preceeds", "sequence", "preceeds", "to",
                        entry("chaining", "sequence::preceeds"), "d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3",
                        "AWS Stop Logging CloudTrail", "aws-stop-logging-cloudtrail", "then"),),
        cves=("CVE-2024-21887", "cve-2023-46805", "not-a-cve"),
        references=(Reference("public", "1", "https://example.org/advisory"),
                    Reference("public", "2", "not a url"),
                    Reference("internal", "a", "https://intranet.example.org/case/1")),
    )


def catalogue(*vectors: Vector) -> Catalogue:
    ordered = tuple(sorted(vectors, key=lambda v: (v.name, v.uuid)))
    return Catalogue(vectors=ordered, vocabularies={}, attack=ATTACK)


# --- mapping ---------------------------------------------------------------------------------


def test_event_uuid_is_stable_and_case_blind() -> None:
    upper = event_uuid("D370AAEA-C3E5-4D58-A6C9-3D1A7FFE50E3")
    assert upper == event_uuid("d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3")
    assert upper != "d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3"
    assert element_uuid(upper, "link:x") != element_uuid(upper, "link:y")


def test_base_timestamp_grows_with_version_and_date() -> None:
    seed = seed_vector()
    assert base_timestamp(seed) == 1730332800 + 1  # 2024-10-31T00:00:00Z + version 1
    assert base_timestamp(dataclasses.replace(seed, version=2)) == base_timestamp(seed) + 1
    assert base_timestamp(dataclasses.replace(seed, modified="2024-11-01")) > base_timestamp(seed)


def test_threat_level_from_severity() -> None:
    assert threat_level(entry("severity", "Localised incident")) == 3
    assert threat_level(entry("severity", "Significant incident")) == 2
    assert threat_level(entry("severity", "National cyber emergency")) == 1
    assert threat_level(entry("severity", "Something new")) == 4


def test_size_limits() -> None:
    info = clip_info("a\nb " + "x" * 400)
    assert len(info) == MAX_INFO_CHARS and "\n" not in info and info.endswith("…")
    text = "é" * 40000  # 80000 bytes
    clipped = clip_value(text)
    assert len(clipped.encode("utf-8")) <= 65535 and "truncated: 80000 bytes" in clipped
    assert clip_value("short") == "short"


def test_tag_and_link_checks() -> None:
    assert valid_tag('misp-galaxy:mitre-attack-pattern="Phishing - T1566"')
    assert not valid_tag('misp-galaxy:mitre-attack-pattern="say "hi" - T1"')
    assert not valid_tag("tlp:clear\n") and not valid_tag("") and not valid_tag("x" * 256)
    assert valid_link("https://example.org/a?b=c") and not valid_link("not a url")
    assert not valid_link("https://exa mple.org")
