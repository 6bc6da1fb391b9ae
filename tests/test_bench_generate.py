"""The benchmark corpora: synthetic vectors that validate, chain and differ like real ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from tide.build import check
from tide.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def _generate():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def test_a_synthetic_corpus_validates_chains_and_has_texts_of_its_own(corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    n = 2 * len(list(corpus.glob("*.yaml"))) + 50  # two full copies and a partial third
    files = _generate()(n, tmp_path / "corpus", corpus)
    assert len(files) == n

    result = check([tmp_path / "corpus"], load_config(ROOT), enrich=True, use_cache=False)
    assert result.errors == 0, [d.text() for d in result.diagnostics if d.is_error][:3]
    assert result.catalogue is not None and len(result.catalogue.vectors) == n
    vectors = result.catalogue.vectors
    assert len({v.uuid for v in vectors}) == n
    assert sum(len(v.chaining) for v in vectors) > n // 10  # copies chain among themselves

    # Each copy's texts are its own, as in a real catalogue: shared texts would be rendered once
    # and served from tide's caches, flattering the benchmarks.
    threats = [yaml.safe_load(path.read_text("utf-8"))["threat"] for path in files]
    descriptions = [t.get("description") or "" for t in threats]
    assert len(set(descriptions)) >= 0.97 * n

    again = _generate()(n, tmp_path / "again", corpus)  # the same N gives the same files
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in files]
