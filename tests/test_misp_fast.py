"""The feed's events are written directly (event_dict); PyMISP's own serialiser (build_event +
to_feed) is the reference they must equal byte for byte, on the real corpus and on edge cases."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymisp import MISPEvent
from test_misp_vectors import entry, rich_vector, seed_vector, technique

from tide.build import compile_catalogue
from tide.config import Config, load_config
from tide.jsontext import compact, indented
from tide.misp.event import build_event, event_dict
from tide.misp.feed import creator
from tide.misp.mapping import base_timestamp
from tide.model import Actor, Chain, Organisation, Reference, TechniqueRef, Vector


def reference_feed(vector: Vector, org: Organisation, base: int) -> bytes:
    event = build_event(vector, org, base).to_feed(with_distribution=False, with_local_tags=False)["Event"]
    return indented({"Event": event})


def assert_same_as_pymisp(vector: Vector, org: Organisation) -> None:
    base = base_timestamp(vector)
    data = indented({"Event": event_dict(vector, org, base)})
    assert data.decode() == reference_feed(vector, org, base).decode(), vector.path
    loaded = MISPEvent()
    loaded.load(data)
    assert loaded.uuid == event_dict(vector, org, base)["uuid"] and loaded.objects[0].name == "opentide"


def compiled(path: Path) -> tuple[tuple[Vector, ...], Config]:
    config = load_config(Path.cwd())
    cat, diagnostics = compile_catalogue([path], config)
    assert cat is not None, [d.text() for d in diagnostics if d.is_error]
    return cat.vectors, config


def test_every_corpus_event_equals_pymisp(corpus: Path) -> None:
    vectors, config = compiled(corpus)
    assert len(vectors) == 226
    for vector in vectors:
        assert_same_as_pymisp(vector, creator(vector, config))


def test_every_object_event_equals_pymisp() -> None:
    vectors, config = compiled(Path("objects"))
    assert vectors
    for vector in vectors:
        assert_same_as_pymisp(vector, creator(vector, config))


def _edge_cases() -> dict[str, Vector]:
    seed, rich = seed_vector(), rich_vector()
    ics = dataclasses.replace(technique("T0860", "Wireless Compromise"), domain="ics-attack")
    deprecated = dataclasses.replace(technique("T1064", "Scripting"), deprecated=True)
    target = "D370AAEA-C3E5-4D58-A6C9-3D1A7FFE50E3"
    chain = Chain("sequence::preceeds", "sequence", "preceeds", "to", entry("chaining", "sequence::preceeds"),
                  target, "", "", "")
    return {
        "seed": seed,
        "rich: revoked technique, actors, chaining, CVEs, internal reference": rich,
        "no organisation in the vector": seed_vector(organisation=None),
        "oversized description": seed_vector(description="x" * 70000),
        "oversized multi-byte description and YAML": seed_vector(description="é" * 40000,
                                                                 source_text="ü" * 40000),
        "long multi-line name": seed_vector(name="N\n" * 300),
        "blank name and description": seed_vector(name="   ", description=" \n"),
        "YAML with surrounding blanks and NULs": seed_vector(source_text="\x00 \n" + seed.source_text + "\n\x00"),
        "no references, no CVEs": seed_vector(references=()),
        "oversized reference key and URL": seed_vector(references=(
            Reference("public", "k" * 70000, "https://example.org/a"),
            Reference("internal", "b", "https://example.org/" + "p" * 70000))),
        "same URL cited twice": seed_vector(references=(
            Reference("public", "1", "https://example.org/a"), Reference("internal", "a", "https://example.org/a"))),
        "CVEs in every case, repeated and malformed": seed_vector(cves=(
            "cve-2024-3400", " CVE-2024-3400 ", "CVE-24-1", "CVE-2021-44228", "")),
        "ICS and deprecated techniques": seed_vector(techniques=(
            TechniqueRef("T0860", ics), TechniqueRef("T1064", deprecated, technique("T1059", "Command")),
            TechniqueRef("T1562.008", technique("T1562.008", "Disable or Modify Cloud Logs")))),
        "misp actor without a tag, att&ck actor with references": seed_vector(actors=(
            Actor("misp", "x", "Nameless", (), "", "", "", "", ("https://example.org/s",)),
            Actor("att&ck", "G0087", "APT39", (), "", "", "", "", ("https://example.org/s", "not a url")))),
        "classification and a TLP without a tag": seed_vector(
            classification=entry("classification", "Restricted", "classification:restricted"),
            tlp=entry("tlp", "Amber+Strict")),
        "tags equal once stripped": seed_vector(
            classification=entry("classification", "Clear", " tlp:clear "),
            criticality=entry("criticality", "Low", "priority-level:low "),
            viability=entry("viability", "Bad", 'misp-galaxy:x="y" ')),
        "chains to one vector under two spellings": seed_vector(
            chaining=(chain, dataclasses.replace(chain, target_uuid=target.lower(), target_name="Other"),
                      dataclasses.replace(chain, relation="atomicity::implements", target_name=" spaced "))),
        "unknown severity": seed_vector(severity=entry("severity", "Something new")),
        "modified before 1970": seed_vector(modified="1969-07-20", created="1969-07-20"),
    }


@pytest.mark.parametrize("vector", _edge_cases().values(), ids=_edge_cases().keys())
def test_edge_case_events_equal_pymisp(vector: Vector) -> None:
    assert_same_as_pymisp(vector, creator(vector, load_config(Path.cwd())))


def test_feed_is_written_without_importing_pymisp() -> None:
    """PyMISP takes about 0.1 s to import; only the reference builder needs it."""
    code = ("import pathlib, sys\n"
            "from test_misp_vectors import catalogue, rich_vector\n"
            "from tide.config import Config\n"
            "from tide.misp import export_misp\n"
            "assert export_misp(catalogue(rich_vector()), Config(root=pathlib.Path('.')), None)\n"
            "assert 'pymisp' not in sys.modules, 'pymisp was imported'\n")
    tests = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=tests.parent, env={**os.environ, "PYTHONPATH": str(tests)})
    assert done.returncode == 0, done.stderr


def standard_dump(data: object) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_events_are_what_the_standard_encoder_writes_for_every_corpus_event(corpus: Path) -> None:
    vectors, config = compiled(corpus)
    assert len(vectors) == 226
    for vector in vectors:
        event = {"Event": event_dict(vector, creator(vector, config), base_timestamp(vector))}
        assert indented(event) == standard_dump(event), vector.path


@pytest.mark.parametrize("value", [
    {}, [], "", {"a": {}, "b": [], "c": [[]], "d": [{}]},
    {"z": 1, "a": -2.5, "m": [True, False, None, 0, 10**20]},
    {"é": "naïve \u2028 \x00 \" \\ / \t\n", "emoji": "\U0001f600", "ctl": "\x1f\x7f"},
    ["x", ("tuple", 1), {"nested": {"deeper": ["and", {"deepest": "yes"}]}}],
    {"every character": "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)},
    {"64 bits": [-(2**63), 2**64 - 1], "beyond": 2**64},
])
def test_indented_writes_what_the_standard_encoder_writes(value: object) -> None:
    assert indented(value) == standard_dump(value)
    assert compact(value) == standard_line(value)


def test_indented_floats_are_json() -> None:
    """Events and layers hold no floats; should one come, it is valid JSON (the standard encoder
    writes NaN, which JSON does not have) and reads back as the same number."""
    value = {"nan": float("nan"), "small": 1e-05, "big": 1e16, "half": -2.5}
    assert json.loads(indented(value)) == {"nan": None, "small": 1e-05, "big": 1e16, "half": -2.5}


@pytest.mark.parametrize("value", [{1: "int key"}, {"set": {1, 2}}, {"bytes": b"x"}, {"lone": "\ud800"}])
def test_what_orjson_refuses_goes_to_the_standard_encoder(value: object) -> None:
    # compact gives a str: a lone surrogate is the caller's to encode, or not.
    for ours, standard in ((indented, standard_dump), (compact, standard_line)):
        try:
            expected: object = standard(value)
        except (TypeError, UnicodeEncodeError) as exc:
            with pytest.raises(type(exc)):
                ours(value)
        else:
            assert ours(value) == expected


def standard_line(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_the_manifest_is_what_the_standard_encoder_writes(corpus: Path) -> None:
    from tide.misp.feed import export_misp

    config = load_config(Path.cwd())
    cat, _ = compile_catalogue([corpus], config)
    assert cat is not None
    manifest = export_misp(cat, config)["manifest.json"]
    loaded = json.loads(manifest)
    assert len(loaded) == 226 and all(entry["integrity:sha256"] for entry in loaded.values())
    assert manifest == (standard_line(loaded) + "\n").encode("utf-8")
