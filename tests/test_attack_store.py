"""Which ATT&CK data is used: explicit file, project setting, user cache, shipped snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tide.attack import AttackDataError, cache_dir, load_attack
from tide.attack.snapshot import encode
from tide.attack.stix import import_stix
from tide.attack.store import cached_snapshot, write_atomic
from tide.config import load_config
from tide.diagnostics import Severity

MINI = Path(__file__).parent / "data" / "attack" / "mini-enterprise-99.0.json"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIDE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _snapshot(path: Path, version: str = "99.0") -> Path:
    document = import_stix(MINI, check=False)
    document["attack"]["version"] = version
    write_atomic(path, encode(document))
    return path


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("TIDE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "tide"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "tide"


def test_shipped_data_is_used_by_default() -> None:
    data = load_attack()
    assert [(s.info.domain, s.origin) for s in data.sources] == [
        ("enterprise-attack", "shipped"), ("mobile-attack", "shipped"), ("ics-attack", "shipped")]
    assert data.info.version == "19.0"
    # Mobile and ICS ids cited by real vectors resolve beside enterprise ones.
    assert data.get("T1398").domain == "mobile-attack"
    assert data.get("T0860").domain == "ics-attack"
    assert data.versions() == "enterprise-attack 19.0, mobile-attack 19.0, ics-attack 18.1"


def test_cache_beats_shipped_and_project_beats_cache(tmp_path: Path) -> None:
    _snapshot(cached_snapshot("enterprise-attack"), "98.0")
    assert load_attack().info.version == "98.0"
    assert load_attack().sources[0].origin == "cache"

    project = tmp_path / "project"
    _snapshot(project / "attack" / "pinned.json.gz", "97.0")
    (project / "pyproject.toml").write_text('[tool.tide]\nattack = "attack/pinned.json.gz"\n', encoding="utf-8")
    config = load_config(project)
    data = load_attack(config=config)
    assert (data.info.version, data.sources[0].origin) == ("97.0", "project")

    explicit = _snapshot(tmp_path / "explicit.json.gz", "96.0")
    data = load_attack(explicit, config)
    assert (data.info.version, data.sources[0].origin) == ("96.0", "explicit")
    # The pinned file holds enterprise only: the other domains still come from the package.
    assert [s.info.domain for s in data.sources] == ["enterprise-attack", "mobile-attack", "ics-attack"]
    assert data.get("T1064").deprecated and data.get("T1398") is not None


def test_broken_explicit_file_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not json")
    with pytest.raises(AttackDataError, match=r"broken\.json\.gz"):
        load_attack(broken)
    with pytest.raises(AttackDataError, match="cannot read"):
        load_attack(tmp_path / "missing.json.gz")


def test_damaged_cache_falls_back_to_shipped() -> None:
    path = cached_snapshot("enterprise-attack")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x1f\x8b broken")
    data = load_attack()
    assert (data.info.version, data.sources[0].origin) == ("19.0", "shipped")


def test_diagnosis_of_cited_ids() -> None:
    data = load_attack()
    assert data.diagnose("T1685.002") is None
    severity, code, message = data.diagnose("T1562.008")
    assert (severity, code) == (Severity.WARNING, "attack-revoked")
    assert "T1685.002" in message and "enterprise-attack 19.0" in message
    severity, code, message = data.diagnose("T1064")
    assert (severity, code) == (Severity.WARNING, "attack-deprecated") and "use T1059" in message
    severity, code, message = data.diagnose("T9999")
    assert (severity, code) == (Severity.ERROR, "attack-unknown") and "enterprise-attack 19.0" in message


def test_reload_sees_a_replaced_file(tmp_path: Path) -> None:
    path = _snapshot(tmp_path / "a.json.gz", "95.0")
    assert load_attack(path).info.version == "95.0"
    _snapshot(path, "94.0")
    assert load_attack(path).info.version == "94.0"
