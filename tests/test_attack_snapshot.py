"""The shipped snapshots: facts the rest of tide relies on, and that they are regenerable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tide.attack.data import DATA_DIR, AttackDataError
from tide.attack.galaxy import import_galaxy
from tide.attack.snapshot import FORMAT, NOTICE, decode, encode, read_snapshot
from tide.attack.stix import import_stix

SHARED = Path(__file__).resolve().parents[2] / "shared"
GALAXY = SHARED / "reference" / "misp" / "galaxy"
ICS = SHARED / "reference" / "attack" / "ics-attack-18.1.json"
MINI = Path(__file__).parent / "data" / "attack" / "mini-enterprise-99.0.json"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared reference data is absent")


@pytest.fixture(scope="module")
def enterprise():  # type: ignore[no-untyped-def]
    return read_snapshot(DATA_DIR / "enterprise-attack.json.gz", "shipped")


def test_shipped_enterprise_is_attack_19_with_notice(enterprise) -> None:  # type: ignore[no-untyped-def]
    assert enterprise.info.version == "19.0"
    assert enterprise.info.domain == "enterprise-attack"
    assert enterprise.info.notice == NOTICE
    assert "MISP galaxy" in enterprise.info.source
    assert len(enterprise.info.sha256) == 64
    assert (DATA_DIR / "enterprise-attack.json.gz").stat().st_size < 1_000_000
    assert "permission of The MITRE Corporation" in (DATA_DIR / "NOTICE").read_text(encoding="utf-8")


def test_seed_technique_is_revoked_and_replaced(enterprise) -> None:  # type: ignore[no-untyped-def]
    old = enterprise.get("T1562.008")
    assert old.revoked and old.revoked_by == "T1685.002"
    assert old.full_name == "Impair Defenses: Disable or Modify Cloud Logs"
    assert old.galaxy_value == "Disable or Modify Cloud Logs - T1562.008"
    assert old.url == "https://attack.mitre.org/techniques/T1562/008"
    assert old.summary == ("An adversary may disable or modify cloud logging capabilities and integrations "
                           "to limit what data is collected on their activities and avoid detection")
    assert "(Citation:" not in old.description
    new = enterprise.replacement("T1562.008")
    assert new is not None and new.id == "T1685.002" and not new.revoked
    assert [t.id for t in new.tactics] == ["TA0112"]
    assert new.tactics[0].name == "Defense Impairment"
    assert new.parent == "T1685" and "T1685.002" in enterprise.get("T1685").subtechniques


def test_subtechnique_names_links_and_relations(enterprise) -> None:  # type: ignore[no-untyped-def]
    ps = enterprise.get("t1059.001")
    assert ps.full_name == "Command and Scripting Interpreter: PowerShell"
    assert ps.galaxy_value == "PowerShell - T1059.001"
    assert ps.parent == "T1059" and ps.platforms == ("Windows",)
    assert "Execution" in [t.name for t in ps.tactics] and ps.tactics[0].id == "TA0002"
    assert ps.mitigations and ps.detections
    assert ps.domain == "enterprise-attack"
    assert "T1059.001" in enterprise.get("T1059").subtechniques


def test_enterprise_tactics_in_matrix_order(enterprise) -> None:  # type: ignore[no-untyped-def]
    assert [t.id for t in enterprise.tactics] == [
        "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0112",
        "TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"]


def test_deprecated_technique_points_to_its_successor(enterprise) -> None:  # type: ignore[no-untyped-def]
    scripting = enterprise.get("T1064")
    assert scripting.deprecated and not scripting.revoked
    assert enterprise.replacement("T1064").id == "T1059"


@needs_shared
@pytest.mark.parametrize("domain", ["enterprise", "mobile"])
def test_shipped_galaxy_snapshots_are_regenerated_byte_for_byte(domain: str) -> None:
    shipped = (DATA_DIR / f"{domain}-attack.json.gz").read_bytes()
    assert encode(import_galaxy(GALAXY, "19.0", domain)) == shipped


@needs_shared
def test_shipped_ics_snapshot_is_regenerated_byte_for_byte() -> None:
    assert encode(import_stix(ICS)) == (DATA_DIR / "ics-attack.json.gz").read_bytes()


def test_replacement_chains_that_loop_end_without_a_replacement() -> None:
    data = decode(encode(import_stix(MINI, check=False)), "mini", "test")
    assert data.get("T1111").revoked_by == "T1112"
    assert data.replacement("T1111") is None
    assert data.replacement("T1562.008").id == "T1685.002"
    assert data.replacement("T1059") is None  # current techniques have no replacement
    assert data.replacement("T9999") is None


def test_damaged_snapshots_are_refused_clearly(tmp_path: Path) -> None:
    truncated = tmp_path / "t.json.gz"
    truncated.write_bytes((DATA_DIR / "ics-attack.json.gz").read_bytes()[:500])
    with pytest.raises(AttackDataError, match="not a readable ATT&CK snapshot"):
        read_snapshot(truncated, "explicit")
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": []}), encoding="utf-8")
    with pytest.raises(AttackDataError, match="tide attack import --stix"):
        read_snapshot(bundle, "explicit")
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(json.dumps({"format": FORMAT, "attack": {}}).encode()))
    with pytest.raises(AttackDataError, match="damaged ATT&CK snapshot"):
        read_snapshot(broken, "explicit")
    with pytest.raises(AttackDataError, match="cannot read"):
        read_snapshot(tmp_path / "missing.json.gz", "explicit")
