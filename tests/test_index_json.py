"""`index.json`: the fields scripts and the site rely on."""

from __future__ import annotations

import dataclasses
import json

from test_misp_vectors import catalogue, rich_vector, seed_vector

from tide.index_json import default_page_path, index_json, patch_index_json


def test_records() -> None:
    index = json.loads(index_json(catalogue(rich_vector(), seed_vector())))
    assert index["format"] == 1
    assert index["attack"] == {"domain": "enterprise-attack", "version": "19.0"}
    names = [v["name"] for v in index["vectors"]]
    assert names == ["AWS Stop Logging CloudTrail", "Edge appliance exploitation"]
    seed = index["vectors"][0]
    assert seed == {
        "uuid": "d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3",
        "name": "AWS Stop Logging CloudTrail",
        "slug": "aws-stop-logging-cloudtrail",
        "file": "objects/AWS Stop Logging CloudTrail.yaml",
        "page": "threat-vectors/aws-stop-logging-cloudtrail.md",
        "schema": "tvm::2.0",
        "version": 1,
        "created": "2024-10-31",
        "modified": "2024-10-31",
        "tlp": "clear",
        "criticality": "Low",
        "severity": "Moderate incident",
        "techniques": ["T1562.008"],
    }
    # techniques as cited, unknown and revoked ids included: scripts see what the YAML says
    assert index["vectors"][1]["techniques"] == ["T1089", "T1562.008", "T9999"]


def test_page_path_is_a_parameter() -> None:
    index = json.loads(index_json(catalogue(seed_vector()), lambda v: f"tvm/{v.uuid}/"))
    assert index["vectors"][0]["page"] == "tvm/d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3/"
    assert default_page_path(seed_vector()) == "threat-vectors/aws-stop-logging-cloudtrail.md"


def test_deterministic_bytes() -> None:
    data = index_json(catalogue(seed_vector(), rich_vector()))
    assert data == index_json(catalogue(rich_vector(), seed_vector()))
    assert data.endswith(b"}\n") and b"\r" not in data
    assert "é".encode() in index_json(catalogue(seed_vector(name="Évasion é")))


def test_one_vector_a_line_and_the_same_keys_as_a_plain_dump() -> None:
    cat = catalogue(rich_vector(), seed_vector())
    text = index_json(cat).decode()
    data = json.loads(text)
    assert text == text.rstrip("\n") + "\n"
    record_lines = [line for line in text.splitlines() if line.startswith('{"created"')]
    assert len(record_lines) == len(data["vectors"]) == 2
    assert [json.loads(line.rstrip(",")) for line in record_lines] == data["vectors"]
    assert list(data) == sorted(data)
    assert json.loads(index_json(catalogue()))["vectors"] == []


def test_records_patched_in_place_are_those_made_anew() -> None:
    seed, rich = seed_vector(), rich_vector()
    before = index_json(catalogue(rich, seed))
    edited = [dataclasses.replace(v, version=7, modified="2026-11-29", schema="tvm::2.1") for v in (seed, rich)]
    for changed in ([edited[0]], [edited[1]], edited):
        others = [v for v in (seed, rich) if v.uuid not in {c.uuid for c in changed}]
        assert patch_index_json(before, changed) == index_json(catalogue(*changed, *others))
    assert patch_index_json(before, []) == before
    renamed = dataclasses.replace(seed, name="Another name")  # would move: the whole index is made again
    assert patch_index_json(before, [renamed]) is None
    stranger = dataclasses.replace(seed, uuid="00000000-0000-4000-8000-000000000000")
    assert patch_index_json(before, [stranger]) is None
