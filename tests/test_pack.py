"""Vectors as bytes: through the cache and from worker processes they come back equal to the
vectors enriched in place, sharing this process's vocabulary entries, techniques and actors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from test_cache import project

import tide.build
from tide.attack import load_attack
from tide.build import check
from tide.cache import CACHE_DIR
from tide.config import Config
from tide.model import Catalogue
from tide.pack import PackError, pack, pack_all, unpack, unpack_all
from tide.vocabularies import load_actors, load_vocabularies


def catalogue_of(config: Config, objects: Path, **kwargs: object) -> Catalogue:
    result = check([objects], config, enrich=True, **kwargs)  # type: ignore[arg-type]
    assert result.errors == 0 and result.catalogue is not None
    return result.catalogue


def same(a: Catalogue, b: Catalogue) -> None:
    assert a.vectors == b.vectors
    assert [v.source_digest for v in a.vectors] == [v.source_digest for v in b.vectors]


def test_a_packed_vector_comes_back_equal_and_sharing_the_data(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    catalogue = catalogue_of(config, objects, use_cache=False)
    attack = load_attack(None, config)
    for vector in catalogue.vectors:
        data = pack(vector, attack)
        back = unpack(data, attack)
        assert back == vector and back.source_digest == vector.source_digest and back.hover == vector.hover
        assert back.criticality is vector.criticality
        assert all(a.technique is b.technique for a, b in zip(back.techniques, vector.techniques, strict=True))
        for actor in back.actors:  # the description is the shared one, the sighting the vector's own
            assert actor.description is load_actors()[f"{actor.stage}::{actor.id}"].description
        # Shared data is referenced, not copied: a vector's bytes hold no technique description.
        for ref in vector.techniques:
            if ref.technique is not None and len(ref.technique.description) > 200:
                assert ref.technique.description[:200].encode() not in data
    assert any(v.actors for v in catalogue.vectors) and any(v.techniques for v in catalogue.vectors)


def test_many_vectors_packed_as_one_blob_come_back_equal_and_sharing_the_data(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    vectors = catalogue_of(config, objects, use_cache=False).vectors
    attack = load_attack(None, config)
    data = pack_all([(v, [], None) for v in vectors], attack)
    back = unpack_all(data, attack)
    assert [b for b, _, _ in back] == list(vectors)
    for (b, _, _), vector in zip(back, vectors, strict=True):
        assert b.criticality is vector.criticality
        assert all(x.technique is y.technique for x, y in zip(b.techniques, vector.techniques, strict=True))
    # Each shared object is written once a blob: smaller than the vectors packed one by one.
    assert len(data) < sum(len(pack(v, attack)) for v in vectors)


def test_bytes_that_do_not_resolve_are_refused(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    vector = catalogue_of(config, objects, use_cache=False).vectors[0]
    attack = load_attack(None, config)
    data = pack(vector, attack)
    with pytest.raises(PackError):
        unpack(data[: len(data) // 2], attack)
    with pytest.raises(PackError):
        unpack(pickle.dumps("not a vector"), attack)

    class Empty:
        def get(self, technique_id: str) -> None:
            return None

        def replacement(self, technique_id: str) -> None:
            return None

    with pytest.raises(PackError):  # the techniques it names are not in this ATT&CK data
        unpack(data, Empty())  # type: ignore[arg-type]
    assert load_vocabularies()  # the entries resolved above came from here


@pytest.mark.parametrize("workers", [False, True])
def test_cached_and_worker_vectors_equal_those_enriched_in_place(tmp_path: Path, workers: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects = project(tmp_path)
    fresh = catalogue_of(config, objects, use_cache=False)
    if workers:  # the process pool, even for four files
        monkeypatch.setattr(tide.build, "PARALLEL_FROM", 2)
        monkeypatch.setenv("TIDE_JOBS", "2")
    same(catalogue_of(config, objects, use_cache=False), fresh)
    same(catalogue_of(config, objects), fresh)  # filling the cache
    same(catalogue_of(config, objects), fresh)  # from the cache


def test_entries_cached_by_validation_alone_are_enriched_when_a_build_needs_them(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    fresh = catalogue_of(config, objects, use_cache=False)
    assert check([objects], config).errors == 0  # `tide validate`: no vectors made or cached
    same(catalogue_of(config, objects), fresh)


def test_a_cached_vector_that_does_not_unpack_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects = project(tmp_path)
    fresh = catalogue_of(config, objects, use_cache=False)
    catalogue_of(config, objects)
    entries = [p for p in (tmp_path / CACHE_DIR / "check").rglob("*") if p.is_file()]
    for entry in entries:
        key, (data, found, links) = pickle.loads(entry.read_bytes())
        entry.write_bytes(pickle.dumps((key, (data[:-10], found, links))))
    same(catalogue_of(config, objects), fresh)
    for entry in entries:  # the same through the worker processes, which pass the bytes on
        key, (data, found, links) = pickle.loads(entry.read_bytes())
        entry.write_bytes(pickle.dumps((key, (data[:-10], found, links))))
    monkeypatch.setattr(tide.build, "PARALLEL_FROM", 2)
    monkeypatch.setenv("TIDE_JOBS", "2")
    same(catalogue_of(config, objects), fresh)


def test_a_renamed_vector_renames_the_chains_of_cached_ones(tmp_path: Path) -> None:
    # Chain target names and slugs come from other files: a cached vector must take them anew.
    config, objects = project(tmp_path)
    catalogue_of(config, objects)
    target = next(v for v in catalogue_of(config, objects).vectors
                  if any(c.target_uuid == v.uuid for w in catalogue_of(config, objects).vectors for c in w.chaining))
    source = Path(target.path)
    source.write_text(source.read_text("utf-8").replace(f"name: {target.name}", "name: A Renamed Vector", 1), "utf-8")
    renamed = catalogue_of(config, objects)
    chains = [c for v in renamed.vectors for c in v.chaining if c.target_uuid == target.uuid]
    assert chains and all(c.target_name == "A Renamed Vector" and c.target_slug == "a-renamed-vector"
                          for c in chains)
    same(renamed, catalogue_of(config, objects, use_cache=False))


def test_an_actor_as_cited_is_the_shared_actor_with_the_vector_s_sighting() -> None:
    import dataclasses

    for actor in list(load_actors().values())[:50]:
        assert actor.cited("Seen.", ("https://example.org/",)) == dataclasses.replace(
            actor, sighting="Seen.", references=("https://example.org/",))
