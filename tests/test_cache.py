"""The per-file cache: used when nothing changed, ignored as soon as anything it depends on did."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import re
import shutil
from pathlib import Path

import pytest

import tide
from tide.build import check
from tide.cache import CACHE_DIR, Cache
from tide.config import Config, load_config
from tide.diagnostics import error


def project(tmp_path: Path) -> tuple[Config, Path]:
    shutil.copytree("objects", tmp_path / "objects")
    return dataclasses.replace(load_config(Path.cwd()), root=tmp_path), tmp_path / "objects"


def poison(root: Path) -> int:
    """Rewrite every cache entry with a made-up error, keeping its key: only a cache can say it."""
    entries = [p for p in (root / CACHE_DIR).rglob("*") if p.is_file() and not p.name.startswith(".")]
    for entry in entries:
        key, (doc, found, links) = pickle.loads(entry.read_bytes())
        fake = error(found[0].path if found else "x", 1, 1, "from-cache", "this came from the cache")
        entry.write_bytes(pickle.dumps((key, (doc, [*found, fake], links))))
    return len(entries)


def codes(config: Config, objects: Path, **kwargs: object) -> list[str]:
    return [d.code for d in check([objects], config, **kwargs).diagnostics]  # type: ignore[arg-type]


def test_unchanged_files_come_from_the_cache(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    first = codes(config, objects)
    assert poison(tmp_path) == 4
    assert codes(config, objects).count("from-cache") == 4  # the cache was read, not the files
    assert codes(config, objects, use_cache=False) == first


def test_a_changed_file_is_validated_again(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    codes(config, objects)
    poison(tmp_path)
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    seed.write_text(seed.read_text().replace("criticality: Low", "criticality: Lowest"))
    found = check([objects], config).diagnostics
    assert [d.code for d in found if d.path == seed.as_posix()] == ["unknown-value", "revoked-technique"]
    assert sum(d.code == "from-cache" for d in found) == 3


def test_a_stale_cache_is_detected_when_tide_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, objects = project(tmp_path)
    first = codes(config, objects)
    poison(tmp_path)
    monkeypatch.setattr(tide, "__version__", tide.__version__ + ".dev1")
    assert codes(config, objects) == first


def test_a_stale_cache_is_detected_when_the_attack_data_changes(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    codes(config, objects)
    poison(tmp_path)
    other = Path("tests/data/attack/mini-enterprise-99.0.json")
    assert other.is_file()
    from tide.attack.cli import main as attack_main

    snapshot = tmp_path / "mini.json.gz"
    assert attack_main(["attack", "import", "--stix", str(other), "--out", str(snapshot), "--no-verify"]) == 0
    found = codes(config, objects, attack_file=snapshot)
    assert "from-cache" not in found and "unknown-technique" in found


def test_damaged_entries_are_misses(tmp_path: Path) -> None:
    config, objects = project(tmp_path)
    first = codes(config, objects)
    for entry in (p for p in (tmp_path / CACHE_DIR).rglob("*") if p.is_file()):
        entry.write_bytes(entry.read_bytes()[:20])
    assert codes(config, objects) == first



def test_misp_events_are_reused_only_while_their_inputs_are_unchanged(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import tide.incremental
    from tide.build import build

    monkeypatch.setattr(tide.incremental, "quick_build", lambda *args: None)  # events from the cache, not links
    config, objects = project(tmp_path)
    shutil.copytree("templates", tmp_path / "templates")
    out = tmp_path / "build"
    assert build([objects], out, config, site=False).errors == 0
    assert build([objects], out, config, site=False).errors == 0  # now with a previous feed
    shutil.copytree(out, tmp_path / "second")
    entries = [p for p in (tmp_path / CACHE_DIR / "misp").rglob("*") if p.is_file()]
    for entry in entries:
        key, (data, *rest) = pickle.loads(entry.read_bytes())
        entry.write_bytes(pickle.dumps((key, (data.replace(b'"info"', b'"info-from-cache"'), *rest))))
    third = tmp_path / "third"  # a copy: no file of it can be taken over from a previous build
    shutil.copytree(out, third)
    build([objects], third, config, site=False)
    events = sorted((third / "misp").glob("*-*.json"))
    assert len(events) == 4 and all(b"info-from-cache" in e.read_bytes() for e in events)
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    seed.write_text(seed.read_text().replace("version: 1", "version: 2"))
    build([objects], tmp_path / "second", config, site=False)  # same previous feed as the cached events
    fresh = [e for e in sorted((tmp_path / "second" / "misp").glob("*-*.json"))
             if b"info-from-cache" not in e.read_bytes()]
    assert len(fresh) == 1 and b"AWS Stop Logging CloudTrail" in fresh[0].read_bytes()


def test_bytecode_beside_the_package_data_does_not_change_the_fingerprint() -> None:
    from tide.cache import fingerprint

    before = fingerprint("x")
    probe = Path(tide.__file__).parent / "schemas" / "__pycache__" / "tide-test-probe.cpython.pyc"
    probe.parent.mkdir(exist_ok=True)
    try:
        probe.write_bytes(b"bytecode")
        assert fingerprint("x") == before
    finally:
        probe.unlink()


def test_the_cache_keeps_the_entries_used_most_recently(tmp_path: Path) -> None:
    import os
    import time

    from tide.cache import FRESH_SECONDS

    cache = Cache(tmp_path, "fingerprint")
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(10)]
    for i, key in enumerate(keys):
        cache.put(key, i)
    old = time.time() - 2 * FRESH_SECONDS
    for key in keys[:5]:
        os.utime(cache.dir / key[:2] / key, (old, old))
    assert cache.get(keys[0]) == 0  # read: marked as used again
    cache.trim(6)
    assert [cache.get(key) for key in keys] == [0, None, None, None, None, 5, 6, 7, 8, 9]
    cache.trim(6)  # nothing more to drop
    assert sum(cache.get(key) is not None for key in keys) == 6


def test_a_build_trims_what_old_versions_of_files_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tide.build
    from tide.build import build

    config, objects = project(tmp_path)
    monkeypatch.setattr(tide.build, "entries_to_keep", lambda sources: sources + 2)
    out = tmp_path / "build"
    seed = objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml"
    for criticality in ("High", "Low", "Medium", "High", "Low"):  # each a full build
        seed.write_text(re.sub(r"(?m)^criticality: .*$", f"criticality: {criticality}", seed.read_text()))
        assert build([objects], out, config, site=False, templates=Path("templates").absolute()).built
        for kind in ("check", "misp"):
            assert len([p for p in (tmp_path / CACHE_DIR / kind).rglob("*") if p.is_file()]) <= 4 + 2, kind
    assert codes(config, objects) == codes(config, objects, use_cache=False)
