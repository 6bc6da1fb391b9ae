"""The MISP feed: PyMISP loads it back, MISP's import rules accept it, builds are reproducible and a
changed vector reaches subscribers as an update of that event alone."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymisp import MISPEvent
from test_misp_vectors import SHARED, catalogue, rich_vector, seed_vector, technique

from tide.build import compile_catalogue
from tide.config import Config
from tide.misp import MispExportError, PreviousFeed, event_uuid, export_misp, read_previous_feed
from tide.model import Catalogue, Reference, TechniqueRef

CONFIG = Config(root=Path("."))
CHECKER = SHARED / "tools" / "misp_feed_check.py"
GOLDEN = Path(__file__).parent / "golden" / "misp"
SEED_FILE = SHARED / "seed" / "AWS Stop Logging CloudTrail.yaml"


def write(files: dict[str, bytes], where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (where / name).write_bytes(data)
    return where


def events(files: dict[str, bytes]) -> dict[str, dict]:
    return {name[:-5]: json.loads(data)["Event"] for name, data in files.items()
            if name.endswith(".json") and name != "manifest.json"}


def check(feed: Path, previous_manifest: Path | None = None) -> str:
    """Run the offline MISP feed-import check; fail with its report if it finds an error."""
    if not CHECKER.is_file():
        pytest.skip(f"{CHECKER} is not available")
    args = [sys.executable, str(CHECKER), str(feed)] + ([str(previous_manifest)] if previous_manifest else [])
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def rebuild(cat: Catalogue, previous_dir: Path) -> dict[str, bytes]:
    return export_misp(cat, CONFIG, read_previous_feed(previous_dir))


@pytest.fixture
def pair() -> Catalogue:
    return catalogue(seed_vector(), rich_vector())


def test_feed_layout_and_pymisp_round_trip(pair: Catalogue) -> None:
    files = export_misp(pair, CONFIG, None)
    uuids = sorted(event_uuid(v.uuid) for v in pair.vectors)
    assert sorted(files) == sorted([*(f"{u}.json" for u in uuids), "manifest.json", "hashes.csv"])
    manifest = json.loads(files["manifest.json"])
    for uuid in uuids:
        event = MISPEvent()
        event.load(files[f"{uuid}.json"])
        assert event.uuid == uuid and event.published
        assert event.attributes or event.objects
        # The manifest says what PyMISP's own feed generator would say about the event.
        expected = {key: str(value) if isinstance(value, int) else value
                    for key, value in event.manifest[uuid].items()}
        mine = {k: v for k, v in manifest[uuid].items() if k != "integrity:sha256"}
        assert mine == expected
        # hashes.csv lists the MD5 of every attribute value, as PyMISP's feed_meta_generator does.
        rows = [line.split(",")[0] for line in files["hashes.csv"].decode().splitlines()
                if line.endswith(uuid)]
        assert rows == event.attributes_hashes("md5")


def test_feed_passes_misp_import_check(pair: Catalogue, tmp_path: Path) -> None:
    out = check(write(export_misp(pair, CONFIG, None), tmp_path / "misp"))
    assert "2 events, 0 errors, 0 warnings" in out


def test_event_mapping(pair: Catalogue) -> None:
    rich = events(export_misp(pair, CONFIG, None))[event_uuid(rich_vector().uuid)]
    tags = [tag["name"] for tag in rich["Tag"]]
    assert tags[0] == "tlp:clear"
    # the revoked T1089 is tagged, followed by its replacement; the unknown T9999 is not tagged
    attack = [tag for tag in tags if "mitre-attack-pattern" in tag]
    assert attack == [
        'misp-galaxy:mitre-attack-pattern="Disabling Security Tools - T1089"',
        'misp-galaxy:mitre-attack-pattern="Disable or Modify Tools - T1562.001"',
        'misp-galaxy:mitre-attack-pattern="Disable or Modify Cloud Logs - T1562.008"',
    ]
    assert 'misp-galaxy:threat-actor="DarkHotel"' in tags  # misp:: actor; the att&ck one is not tagged
    assert not any("APT39" in tag for tag in tags)
    values = {(a["type"], a["value"]) for a in rich["Attribute"]}
    assert ("vulnerability", "CVE-2023-46805") in values  # upper-cased
    assert not any(v == "not-a-cve" or v == "not a url" for _, v in values)
    assert ("link", "https://example.org/darkhotel") in values  # actor sighting reference
    obj = rich["Object"][0]
    assert obj["template_uuid"] == "892fd46a-f69e-455c-8c4f-843a4b8f4295"
    relations = {a["object_relation"]: a["value"] for a in obj["Attribute"]}
    assert relations["opentide-type"] == "tvm" and relations["version"] == "3"
    assert relations["opentide-relation"] == seed_vector().uuid
    assert relations["opentide-object"] == rich_vector().source_text.strip()
    assert rich["EventReport"][0]["content"] == rich_vector().description
    assert rich["threat_level_id"] == "3" and rich["analysis"] == "2"
    assert rich["timestamp"] == str(1738368000 + 3)  # 2025-02-01 + version 3


def test_ics_techniques_get_no_attack_pattern_tag() -> None:
    seed = seed_vector()
    ics = dataclasses.replace(technique("T0860", "Wireless Compromise"), domain="ics-attack")
    vector = dataclasses.replace(seed, techniques=(*seed.techniques, TechniqueRef("T0860", ics)))
    tags = [tag["name"] for tag in events(export_misp(catalogue(vector), CONFIG, None))[
        event_uuid(seed.uuid)]["Tag"]]
    assert not any("T0860" in tag for tag in tags)
    assert 'misp-galaxy:mitre-attack-pattern="Disable or Modify Cloud Logs - T1562.008"' in tags


def test_default_organisation_and_missing_one(pair: Catalogue) -> None:
    orphan = seed_vector(organisation=None)
    config = Config(root=Path("."), organisation_uuid="11111111-2222-4333-8444-555555555555",
                    organisation_name="Example CERT")
    event = events(export_misp(catalogue(orphan), config, None))[event_uuid(orphan.uuid)]
    assert event["Orgc"] == {"name": "Example CERT", "uuid": "11111111-2222-4333-8444-555555555555"}
    with pytest.raises(MispExportError, match="organisation"):
        export_misp(catalogue(orphan), CONFIG, None)


def test_two_builds_are_byte_identical(pair: Catalogue, tmp_path: Path) -> None:
    first = export_misp(pair, CONFIG, None)
    assert export_misp(pair, CONFIG, None) == first
    # and a build over the previous feed changes nothing either
    assert rebuild(pair, write(first, tmp_path / "misp")) == first


def test_changed_description_updates_only_that_event(pair: Catalogue, tmp_path: Path) -> None:
    before = export_misp(pair, CONFIG, None)
    old_dir = write(before, tmp_path / "old")
    seed = seed_vector()
    edited = dataclasses.replace(seed, description=seed.description + "\nA new paragraph.\n",
                                 source_text=seed.source_text + "    A new paragraph.\n")
    after = rebuild(catalogue(edited, rich_vector()), old_dir)
    uuid = event_uuid(seed.uuid)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"{uuid}.json", "manifest.json", "hashes.csv"}
    old, new = events(before)[uuid], events(after)[uuid]
    assert int(new["timestamp"]) == int(old["timestamp"]) + 1  # same version: bumped past the old one
    assert new["EventReport"][0]["timestamp"] == new["timestamp"]
    stamps = {a["object_relation"]: a["timestamp"] for a in new["Object"][0]["Attribute"]}
    assert stamps["opentide-object"] == new["timestamp"] == new["Object"][0]["timestamp"]
    assert stamps["name"] == old["timestamp"]  # unchanged attributes keep theirs
    assert all(a["timestamp"] == old["timestamp"] for a in new["Attribute"])
    check(write(after, tmp_path / "new"), old_dir / "manifest.json")
    # the next build over the new feed is stable again
    assert rebuild(catalogue(edited, rich_vector()), tmp_path / "new") == after


def test_version_bump_without_previous_feed_is_newer(pair: Catalogue) -> None:
    seed = seed_vector()
    bumped = dataclasses.replace(seed, version=2, description="Rewritten.\n")
    uuid = event_uuid(seed.uuid)
    old = events(export_misp(catalogue(seed), CONFIG, None))[uuid]
    new = events(export_misp(catalogue(bumped), CONFIG, None))[uuid]
    assert int(new["timestamp"]) > int(old["timestamp"])


def test_dropped_reference_is_sent_as_deleted(tmp_path: Path) -> None:
    seed = seed_vector()
    uuid = event_uuid(seed.uuid)
    old_dir = write(export_misp(catalogue(seed), CONFIG, None), tmp_path / "old")
    fewer = dataclasses.replace(seed, references=(Reference("public", "1", seed.references[0].url),))
    after = rebuild(catalogue(fewer), old_dir)
    links = {a["value"]: a for a in events(after)[uuid]["Attribute"]}
    gone = links[seed.references[1].url]
    assert gone["deleted"] is True and gone["timestamp"] == events(after)[uuid]["timestamp"]
    assert "deleted" not in links[seed.references[0].url]
    before_rows = (old_dir / "hashes.csv").read_text(encoding="utf-8").splitlines()
    assert len(after["hashes.csv"].decode().splitlines()) == len(before_rows) - 1  # deleted: not hashed
    new_dir = write(after, tmp_path / "new")
    check(new_dir, old_dir / "manifest.json")
    assert rebuild(catalogue(fewer), new_dir) == after  # the tombstone is carried on unchanged
    # the reference comes back: the attribute is undeleted, with a newer timestamp
    revived = rebuild(catalogue(seed), new_dir)
    back = events(revived)[uuid]
    again = {a["value"]: a for a in back["Attribute"]}[seed.references[1].url]
    assert again["deleted"] is False and int(again["timestamp"]) > int(gone["timestamp"])
    # Made against its own output, the feed comes out the same: nothing is sent again.
    assert rebuild(catalogue(seed), write(revived, tmp_path / "revived")) == revived


def test_previous_feed_tolerates_damage(pair: Catalogue, tmp_path: Path) -> None:
    assert read_previous_feed(tmp_path / "absent") is None
    feed = write(export_misp(pair, CONFIG, None), tmp_path / "misp")
    uuid = event_uuid(seed_vector().uuid)
    (feed / f"{uuid}.json").write_text("{not json", encoding="utf-8")
    previous = read_previous_feed(feed)
    assert isinstance(previous, PreviousFeed)
    assert uuid in previous.timestamps and uuid not in previous.events
    # content unknown: the event is re-sent with a newer timestamp rather than silently kept
    again = events(export_misp(pair, CONFIG, previous))[uuid]
    assert int(again["timestamp"]) == previous.timestamps[uuid] + 1
    # valid JSON of the wrong shape is as unusable as broken JSON, even when the manifest vouches for it
    wrong = json.dumps({"Event": {"uuid": uuid, "timestamp": "1", "Attribute": ["x"]}}).encode()
    (feed / f"{uuid}.json").write_bytes(wrong)
    manifest = json.loads((feed / "manifest.json").read_bytes())
    manifest[uuid]["integrity:sha256"] = hashlib.sha256(wrong).hexdigest()
    (feed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reread = read_previous_feed(feed)
    assert reread is not None and uuid in reread.timestamps and uuid not in reread.events
    (feed / "manifest.json").write_bytes(b"\xff\xfe")
    assert read_previous_feed(feed) is None
    (feed / "manifest.json").write_text("[]", encoding="utf-8")
    assert read_previous_feed(feed) is None


def test_previous_events_are_read_when_needed_and_only_as_the_manifest_hashed_them(pair: Catalogue,
                                                                                      tmp_path: Path) -> None:
    feed = write(export_misp(pair, CONFIG, None), tmp_path / "misp")
    seed, rich = event_uuid(seed_vector().uuid), event_uuid(rich_vector().uuid)
    previous = read_previous_feed(feed)
    assert previous is not None and set(previous.digests) == {seed, rich}
    (feed / f"{rich}.json").unlink()  # not read yet: reading the manifest read no event
    assert seed in previous.events and rich not in previous.events
    # An event edited by hand no longer matches the manifest: it is left out, as if missing.
    again = read_previous_feed(feed)
    assert again is not None
    data = (feed / f"{seed}.json").read_bytes()
    (feed / f"{seed}.json").write_bytes(data.replace(b'"info": "', b'"info": "Edited '))
    assert seed not in again.raw and seed not in again.events and seed in again.timestamps


def test_oversized_values_are_clipped(tmp_path: Path) -> None:
    huge = seed_vector(description="x" * 70000, name="N" * 300)
    files = export_misp(catalogue(huge), CONFIG, None)
    event = events(files)[event_uuid(huge.uuid)]
    assert len(event["info"]) == 256
    assert len(event["EventReport"][0]["content"].encode()) <= 65535
    check(write(files, tmp_path / "misp"))


def test_seed_event_matches_golden() -> None:
    """The seed through the real pipeline (load, validate, enrich with the shipped ATT&CK data)."""
    if not SEED_FILE.is_file():
        pytest.skip(f"{SEED_FILE} is not available")
    cat, diagnostics = compile_catalogue([SEED_FILE], CONFIG)
    assert cat is not None, [d.text() for d in diagnostics]
    files = export_misp(cat, CONFIG, None)
    name = f"{event_uuid(cat.vectors[0].uuid)}.json"
    golden = GOLDEN / name
    if os.environ.get("TIDE_REFRESH_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(files[name])
    assert files[name] == golden.read_bytes(), "refresh with TIDE_REFRESH_GOLDEN=1 if the change is wanted"


@pytest.mark.parametrize("name", ["", "object:opentide", "link:https://é.example/?a=1&b=2", "ü" * 300, "\U0001f600"])
@pytest.mark.parametrize("parent", ["2f6f4bb2-35a5-4f2e-b6b8-2f0b0c7f3d8e", "{12345678-1234-5678-1234-567812345678}",
                                    "urn:uuid:12345678-1234-5678-1234-567812345678",
                                    "ABCDEF0123456789ABCDEF0123456789"])
def test_element_and_event_uuids_are_the_standard_uuid5(parent: str, name: str) -> None:
    import uuid

    from tide.misp.mapping import EVENT_NAMESPACE, element_uuid, event_uuid

    assert element_uuid(parent, name) == str(uuid.uuid5(uuid.UUID(parent), name))
    assert event_uuid(f" {parent.upper()} ") == str(uuid.uuid5(EVENT_NAMESPACE, parent.lower()))


def test_uuids_are_the_standard_uuid5_whatever_their_variant_digit() -> None:
    import uuid

    from tide.misp.mapping import _uuid5

    namespace = uuid.UUID("2f6f4bb2-35a5-4f2e-b6b8-2f0b0c7f3d8e")
    made = [(_uuid5(namespace.bytes, f"name {i}"), str(uuid.uuid5(namespace, f"name {i}"))) for i in range(2000)]
    assert all(ours == standard for ours, standard in made)
    assert {ours[19] for ours, _ in made} == set("89ab")
