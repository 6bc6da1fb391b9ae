"""`tide attack info` and `tide attack import` as a user runs them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tide.attack import load_attack
from tide.attack.cli import main
from tide.attack.data import DATA_DIR
from tide.attack.store import cached_snapshot

SHARED = Path(__file__).resolve().parents[2] / "shared"
GALAXY = SHARED / "reference" / "misp" / "galaxy"
ICS = SHARED / "reference" / "attack" / "ics-attack-18.1.json"
MINI = Path(__file__).parent / "data" / "attack" / "mini-enterprise-99.0.json"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared reference data is absent")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # no project pyproject.toml here


def test_info_names_the_data_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "info"]) == 0
    out = capsys.readouterr().out
    assert f"enterprise-attack 19.0 (shipped: {DATA_DIR / 'enterprise-attack.json.gz'})" in out
    assert "ics-attack 18.1 (shipped:" in out
    assert "permission of The MITRE Corporation" in out


def test_import_stix_into_a_file_and_use_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mini.json.gz"
    assert main(["attack", "import", "--stix", str(MINI), "--out", str(out)]) == 1
    assert "not a known ATT&CK release" in capsys.readouterr().err
    assert not out.exists()
    assert main(["attack", "import", "--stix", str(MINI), "--no-verify", "--out", str(out)]) == 0
    assert "enterprise-attack 99.0, 8 techniques" in capsys.readouterr().out
    assert json.loads(gzip.decompress(out.read_bytes()))["attack"]["version"] == "99.0"
    assert main(["attack", "info", "--attack", str(out)]) == 0
    assert f"enterprise-attack 99.0 (explicit: {out})" in capsys.readouterr().out


def test_import_without_out_goes_to_the_cache(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack", "import", "--stix", str(MINI), "--no-verify"]) == 0
    assert cached_snapshot("enterprise-attack").is_file()
    assert load_attack().sources[0].origin == "cache"


@needs_shared
def test_import_corrupted_bundle_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "ics.json"
    bad.write_bytes(ICS.read_bytes().replace(b"Wireless Compromise", b"Wireless Compromize", 1))
    assert main(["attack", "import", "--stix", str(bad), "--out", str(tmp_path / "x.json.gz")]) == 1
    err = capsys.readouterr().err
    assert "checksum mismatch for ics-attack 18.1" in err and "Traceback" not in err
    assert not (tmp_path / "x.json.gz").exists()


@needs_shared
def test_import_galaxy_regenerates_the_shipped_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "enterprise.json.gz"
    assert main(["attack", "import", "--galaxy", str(GALAXY), "--version", "19.0", "--out", str(out)]) == 0
    assert out.read_bytes() == (DATA_DIR / "enterprise-attack.json.gz").read_bytes()


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attack"]) == 2
    assert main(["attack", "import", "--galaxy", str(tmp_path)]) == 2
    assert "--galaxy needs --version" in capsys.readouterr().err
    assert main(["attack", "import", "--galaxy", str(tmp_path), "--version", "19.0"]) == 1
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["attack", "update", "--domain", "pre"])
    assert exc.value.code == 2


def test_info_with_a_broken_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"{}")
    assert main(["attack", "info", "--attack", str(broken)]) == 1
    assert "not a tide ATT&CK snapshot" in capsys.readouterr().err
