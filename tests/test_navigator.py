"""The ATT&CK Navigator layer: scores, comments, versions, and a golden copy."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from test_misp_vectors import ATTACK, catalogue, rich_vector, seed_vector, technique

from tide.model import TechniqueRef
from tide.navigator import attack_major, navigator_layer, navigator_layers

GOLDEN = Path(__file__).parent / "golden" / "navigator" / "attack-navigator.json"


def test_scores_count_citing_vectors() -> None:
    layer = json.loads(navigator_layer(catalogue(seed_vector(), rich_vector())))
    by_id = {t["techniqueID"]: t for t in layer["techniques"]}
    # T1562.008 is cited by both; T1089 is revoked and counted as T1562.001; T9999 is unknown
    assert sorted(by_id) == ["T1562.001", "T1562.008"]
    assert by_id["T1562.008"]["score"] == 2
    assert by_id["T1562.008"]["comment"] == "AWS Stop Logging CloudTrail\nEdge appliance exploitation"
    assert by_id["T1562.001"]["score"] == 1
    assert layer["gradient"]["maxValue"] == 2 and layer["gradient"]["minValue"] == 0


def test_versions_and_domain() -> None:
    layer = json.loads(navigator_layer(catalogue(seed_vector())))
    assert layer["versions"] == {"attack": "19", "navigator": "5.2.0", "layer": "4.5"}
    assert layer["domain"] == "enterprise-attack"
    assert attack_major("v18.1") == "18"
    ics = dataclasses.replace(catalogue(seed_vector()),
                              attack=dataclasses.replace(ATTACK, version="18.1", domain="ics-attack"))
    layer = json.loads(navigator_layer(ics))
    assert layer["versions"]["attack"] == "18" and layer["domain"] == "ics-attack"


def test_empty_catalogue_has_a_valid_gradient() -> None:
    layer = json.loads(navigator_layer(catalogue()))
    assert layer["techniques"] == []
    assert layer["gradient"]["maxValue"] > layer["gradient"]["minValue"]


def test_retired_technique_without_replacement_is_left_out() -> None:
    seed = seed_vector()
    gone = dataclasses.replace(seed.techniques[0].technique, deprecated=True)
    layer = json.loads(navigator_layer(catalogue(dataclasses.replace(seed, techniques=(
        TechniqueRef("T1562.008", gone),)))))
    assert layer["techniques"] == []


def test_one_layer_per_domain() -> None:
    seed = seed_vector()
    mobile = dataclasses.replace(technique("T1398", "Boot or Logon Initialization Scripts"),
                                 domain="mobile-attack")
    both = dataclasses.replace(seed, techniques=(*seed.techniques, TechniqueRef("T1398", mobile)))
    layers = navigator_layers(catalogue(both))
    assert sorted(layers) == ["attack-navigator-mobile.json", "attack-navigator.json"]
    main, other = (json.loads(layers[name]) for name in ("attack-navigator.json", "attack-navigator-mobile.json"))
    assert main["domain"] == "enterprise-attack" and other["domain"] == "mobile-attack"
    assert [t["techniqueID"] for t in main["techniques"]] == ["T1562.008"]
    assert [t["techniqueID"] for t in other["techniques"]] == ["T1398"]
    assert "1 citations of other ATT&CK domains" in main["description"]
    assert layers["attack-navigator.json"] == navigator_layer(catalogue(both))
    assert list(navigator_layers(catalogue(seed))) == ["attack-navigator.json"]


def test_one_citation_per_vector() -> None:
    seed = seed_vector()
    twice = dataclasses.replace(seed, techniques=seed.techniques * 2)
    layer = json.loads(navigator_layer(catalogue(twice)))
    assert [t["score"] for t in layer["techniques"]] == [1]


def test_layer_is_deterministic_and_matches_golden() -> None:
    data = navigator_layer(catalogue(rich_vector(), seed_vector()))
    assert data == navigator_layer(catalogue(seed_vector(), rich_vector()))
    assert data.endswith(b"\n") and b"\r" not in data
    if os.environ.get("TIDE_REFRESH_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes(), "refresh with TIDE_REFRESH_GOLDEN=1 if the change is wanted"


def test_corpus_layer() -> None:
    """The layer of the 226 ShareTide vectors with the shipped ATT&CK data."""
    from conftest import require_corpus
    from test_misp_corpus import compile_dir

    from tide.navigator import cited

    cat = compile_dir(require_corpus())
    layers = navigator_layers(cat)
    assert sorted(layers) == ["attack-navigator-ics.json", "attack-navigator-mobile.json",
                              "attack-navigator.json"]
    expected: dict[str, dict[str, set[str]]] = {}
    for vector in cat.vectors:
        for shown in cited(vector):
            assert not (shown.revoked or shown.deprecated)
            expected.setdefault(shown.domain, {}).setdefault(shown.id, set()).add(vector.name)
    for layer in map(json.loads, layers.values()):
        assert layer["versions"]["attack"] == cat.attack.version.split(".")[0]
        want = expected[layer["domain"]]
        by_id = {t["techniqueID"]: t for t in layer["techniques"]}
        assert {tid: t["score"] for tid, t in by_id.items()} == {tid: len(n) for tid, n in want.items()}
        assert all(set(t["comment"].split("\n")) == want[tid] for tid, t in by_id.items())
        assert layer["gradient"]["maxValue"] == max(t["score"] for t in layer["techniques"])
