"""The MISP feed of the 226 real ShareTide vectors, through the real pipeline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import require_corpus
from pymisp import MISPEvent
from test_misp import CONFIG, check, events, write
from test_misp_vectors import SHARED

from tide.build import compile_catalogue
from tide.misp import event_uuid, export_misp, read_previous_feed
from tide.model import Catalogue

CORPUS = SHARED / "corpus" / "sharetide" / "tvm"
EDITED = "AWS Stop Logging CloudTrail.yaml"


def compile_dir(directory: Path) -> Catalogue:
    cat, diagnostics = compile_catalogue([directory], CONFIG)
    assert cat is not None, [d.text() for d in diagnostics if d.is_error]
    return cat


@pytest.fixture(scope="module")
def corpus_feed() -> tuple[Catalogue, dict[str, bytes]]:
    """Built once for the module: compiling and exporting 226 vectors takes about a second."""
    cat = compile_dir(require_corpus())
    return cat, export_misp(cat, CONFIG, None)


def test_every_event_loads_back_with_pymisp(corpus_feed: tuple[Catalogue, dict[str, bytes]]) -> None:
    cat, files = corpus_feed
    assert len(files) == len(cat.vectors) + 2 == 228
    for vector in cat.vectors:
        event = MISPEvent()
        event.load(files[f"{event_uuid(vector.uuid)}.json"])
        assert event.info.endswith(vector.name[:200]) or len(event.info) == 256
        assert event.objects[0].name == "opentide"
        assert event.objects[0].get_attributes_by_relation("uuid")[0].value == vector.uuid
        assert any(tag.name.startswith("tlp:") for tag in event.tags)


def test_corpus_feed_passes_misp_import_check(corpus_feed: tuple[Catalogue, dict[str, bytes]],
                                              tmp_path: Path) -> None:
    out = check(write(corpus_feed[1], tmp_path / "misp"))
    assert "226 events, 0 errors, 0 warnings" in out


def test_every_technique_with_galaxy_data_is_tagged(corpus_feed: tuple[Catalogue, dict[str, bytes]]) -> None:
    cat, files = corpus_feed
    feed = events(files)
    for vector in cat.vectors:
        tags = {tag["name"] for tag in feed[event_uuid(vector.uuid)]["Tag"]}
        for ref in vector.techniques:
            if ref.technique is not None and ref.technique.domain != "ics-attack":
                assert f'misp-galaxy:mitre-attack-pattern="{ref.technique.galaxy_value}"' in tags


def test_rebuild_over_previous_feed_is_byte_identical(corpus_feed: tuple[Catalogue, dict[str, bytes]],
                                                     tmp_path: Path) -> None:
    cat, files = corpus_feed
    assert export_misp(cat, CONFIG, None) == files
    assert export_misp(cat, CONFIG, read_previous_feed(write(files, tmp_path / "misp"))) == files


def test_editing_one_description_updates_only_its_event(corpus_feed: tuple[Catalogue, dict[str, bytes]],
                                                        tmp_path: Path) -> None:
    _, before = corpus_feed
    old_dir = write(before, tmp_path / "old")
    objects = tmp_path / "objects"
    shutil.copytree(require_corpus(), objects)
    edited = objects / EDITED
    text = edited.read_text(encoding="utf-8")
    assert "  description: |\n" in text
    edited.write_text(text.replace("  description: |\n", "  description: |\n    Seen again in 2025.\n\n", 1),
                      encoding="utf-8")
    cat = compile_dir(objects)
    after = export_misp(cat, CONFIG, read_previous_feed(old_dir))
    vector = next(v for v in cat.vectors if v.path.endswith(EDITED))
    uuid = event_uuid(vector.uuid)
    assert {name for name in before if before[name] != after[name]} == {f"{uuid}.json", "manifest.json",
                                                                        "hashes.csv"}
    old, new = json.loads(before[f"{uuid}.json"])["Event"], json.loads(after[f"{uuid}.json"])["Event"]
    assert int(new["timestamp"]) > int(old["timestamp"])
    assert new["EventReport"][0]["content"].startswith("Seen again in 2025.")
    check(write(after, tmp_path / "new"), old_dir / "manifest.json")


def test_events_follow_the_core_format_schema(corpus_feed: tuple[Catalogue, dict[str, bytes]]) -> None:
    """MISP's core-format JSON schema predates event reports, `protected` and the tag fields `local`
    and `relationship_type` (all of which PyMISP and current MISP write); everything else must fit."""
    schema_file = SHARED / "reference" / "misp" / "format" / "misp-core-format.schema.json"
    if not schema_file.is_file():
        pytest.skip(f"{schema_file} is not available")
    validator = jsonschema.Draft7Validator(json.loads(schema_file.read_text(encoding="utf-8")))
    for name, data in corpus_feed[1].items():
        if name in ("manifest.json", "hashes.csv"):
            continue
        doc = json.loads(data)
        assert doc["Event"].pop("EventReport") and doc["Event"].pop("protected") is False
        for tag in doc["Event"]["Tag"]:
            del tag["local"], tag["relationship_type"]
        validator.validate(doc)
