"""Importing official STIX 2.1 bundles: checksum verification and conversion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tide.attack import releases
from tide.attack.data import AttackDataError
from tide.attack.snapshot import decode, encode
from tide.attack.stix import import_stix

SHARED = Path(__file__).resolve().parents[2] / "shared"
ICS = SHARED / "reference" / "attack" / "ics-attack-18.1.json"
MINI = Path(__file__).parent / "data" / "attack" / "mini-enterprise-99.0.json"
needs_shared = pytest.mark.skipif(not ICS.is_file(), reason="../shared/reference/attack is absent")


@needs_shared
def test_ics_bundle_imports_with_its_published_checksum() -> None:
    digest = hashlib.sha256(ICS.read_bytes()).hexdigest()
    assert digest == releases.expected_sha256("ics", "18.1")
    document = import_stix(ICS)
    assert document["attack"]["sha256"] == digest
    data = decode(encode(document), "ics", "test")
    assert (data.info.domain, data.info.version) == ("ics-attack", "18.1")
    wireless = data.get("T0860")
    assert wireless is not None and wireless.name == "Wireless Compromise"
    assert [t.id for t in wireless.tactics] == ["TA0108"]
    assert wireless.detections == ("Detection of Wireless Compromise",)
    assert "Encrypt Network Traffic" in wireless.mitigations
    assert [t.shortname for t in data.tactics][:2] == ["initial-access", "execution"]
    assert all(t.domain == "ics-attack" for t in data.techniques.values())


@needs_shared
@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupted_ics_bundle_is_refused(tmp_path: Path, damage: str) -> None:
    blob = bytearray(ICS.read_bytes())
    if damage == "flip":
        at = blob.index(b"Wireless Compromise")
        blob[at] = ord("w")  # still valid JSON, no longer the published file
    else:
        blob = blob[: len(blob) // 2]
    bad = tmp_path / "ics-attack-18.1.json"
    bad.write_bytes(bytes(blob))
    expected = "checksum mismatch" if damage == "flip" else "not valid JSON"
    with pytest.raises(AttackDataError, match=expected):
        import_stix(bad)


def test_unknown_release_needs_no_verify() -> None:
    with pytest.raises(AttackDataError, match=r"enterprise-attack 99\.0 is not a known ATT&CK release"):
        import_stix(MINI)
    assert import_stix(MINI, check=False)["attack"]["version"] == "99.0"


def test_known_release_with_other_bytes_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(releases, "expected_sha256", lambda domain, version: "0" * 64)
    with pytest.raises(AttackDataError, match=r"checksum mismatch for enterprise-attack 99\.0"):
        import_stix(MINI)


def test_conversion_of_relations() -> None:
    data = decode(encode(import_stix(MINI, check=False)), "mini", "test")
    assert data.get("T1400") is None  # a mobile-only object is not enterprise data
    ps = data.get("T1059.001")
    assert ps.full_name == "Command and Scripting Interpreter: PowerShell"
    assert ps.mitigations == ("Disable or Remove Feature or Program",)
    assert ps.detections == ("Detection of PowerShell",)
    assert ps.summary == "Adversaries may abuse PowerShell, e.g. the Invoke-Command cmdlet, for execution"
    # Deprecated mitigations and revoked relationships are left out.
    assert data.get("T1059").mitigations == ()
    assert data.get("T1059").subtechniques == ("T1059.001",)
    assert data.get("T1562.008").revoked_by == "T1685.002"
    assert [t.id for t in data.tactics] == ["TA0002", "TA0005"]  # matrix order, deprecated dropped
    assert "[PowerShell](https://attack.mitre.org/techniques/T1059/001)" in data.get("T1059").description


def test_not_a_bundle_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"type": "report"}', encoding="utf-8")
    with pytest.raises(AttackDataError, match="not a STIX bundle"):
        import_stix(other)
    with pytest.raises(AttackDataError, match="cannot read"):
        import_stix(tmp_path / "absent.json")
