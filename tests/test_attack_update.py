"""`tide attack update` against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tide.attack import load_attack, releases
from tide.attack.cli import main
from tide.attack.data import AttackDataError
from tide.attack.store import cached_snapshot
from tide.attack.update import update

MINI = Path(__file__).parent / "data" / "attack" / "mini-enterprise-99.0.json"
ICS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "attack" / "ics-attack-18.1.json"
PATH = "/enterprise-attack/enterprise-attack-99.0.json"


@dataclass
class Behaviour:
    status: int = 200
    body: bytes = b""
    etag: str = '"v1"'
    path: str = PATH
    delay: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour(body=MINI.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            behaviour.requests.append({"path": self.path, **dict(self.headers.items())})
            time.sleep(behaviour.delay)
            if self.path != behaviour.path:
                self.send_error(404)
            elif behaviour.status != 200:
                self.send_error(behaviour.status)
            elif self.headers.get("If-None-Match") == behaviour.etag:
                self.send_response(304)
                self.send_header("ETag", behaviour.etag)
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("ETag", behaviour.etag)
                self.send_header("Content-Length", str(len(behaviour.body)))
                self.end_headers()
                self.wfile.write(behaviour.body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/{{domain}}-attack/{{domain}}-attack-{{release}}.json", behaviour
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def known_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the small fixture bundle as the published enterprise 99.0 release, in a private cache."""
    monkeypatch.setenv("TIDE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TIDE_ATTACK_URL", raising=False)
    digest = hashlib.sha256(MINI.read_bytes()).hexdigest()
    real = releases.expected_sha256
    monkeypatch.setattr(releases, "expected_sha256",
                        lambda d, v: digest if (d, v) == ("enterprise", "99.0") else real(d, v))


def _cache_state(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fresh_download_then_not_modified(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    result = update("enterprise", "99.0", url=url, timeout=5)
    assert (result.status, result.domain, result.version, result.techniques) == (
        "downloaded", "enterprise-attack", "99.0", 8)
    assert result.snapshot == cached_snapshot("enterprise-attack")
    data = load_attack()
    assert (data.info.version, data.sources[0].origin) == ("99.0", "cache")
    assert data.info.source == "ATT&CK STIX 2.1 bundle enterprise-attack-99.0.json"
    assert "If-None-Match" not in behaviour.requests[0]

    before = _cache_state(tmp_path / "cache")
    again = update("enterprise", "99.0", url=url, timeout=5)
    assert again.status == "not-modified"
    assert behaviour.requests[1]["If-None-Match"] == '"v1"'
    assert _cache_state(tmp_path / "cache") == before


def test_checksum_mismatch_keeps_the_previous_cache(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    update("enterprise", "99.0", url=url, timeout=5)
    before = _cache_state(tmp_path / "cache")
    behaviour.body = behaviour.body.replace(b"PowerShell", b"PowerShelL")
    behaviour.etag = '"v2"'
    with pytest.raises(AttackDataError, match="checksum mismatch"):
        update("enterprise", "99.0", url=url, timeout=5)
    assert _cache_state(tmp_path / "cache") == before
    assert load_attack().get("T1059.001").name == "PowerShell"


def test_server_error_keeps_the_previous_cache(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    update("enterprise", "99.0", url=url, timeout=5)
    before = _cache_state(tmp_path / "cache")
    behaviour.status = 500
    with pytest.raises(AttackDataError, match="server answered 500"):
        update("enterprise", "99.0", url=url, timeout=5)
    assert _cache_state(tmp_path / "cache") == before


def test_failure_without_a_cache_writes_nothing(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.body = b'{"type": "bundle", "objects": [' + b" " * 10
    with pytest.raises(AttackDataError, match="checksum mismatch"):
        update("enterprise", "99.0", url=url, timeout=5)
    assert not (tmp_path / "cache").exists() or _cache_state(tmp_path / "cache") == {}
    assert load_attack().sources[0].origin == "shipped"


def test_slow_server_times_out(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    behaviour.delay = 0.6
    with pytest.raises(AttackDataError, match=r"download failed .*Timeout"):
        update("enterprise", "99.0", url=url, timeout=0.2)
    assert not cached_snapshot("enterprise-attack").exists()


def test_unreachable_server_and_unknown_release() -> None:
    with pytest.raises(AttackDataError, match="download failed"):
        update("enterprise", "99.0", url="http://127.0.0.1:9/{domain}-{release}.json", timeout=2)
    with pytest.raises(AttackDataError, match="not a known ATT&CK release"):
        update("enterprise", "0.9")
    with pytest.raises(AttackDataError, match="unknown ATT&CK domain"):
        update("pre", "99.0")


def test_cli_update_reports_outcomes(server: tuple[str, Behaviour], monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    url, behaviour = server
    monkeypatch.setenv("TIDE_ATTACK_URL", url)
    assert main(["attack", "update", "--version", "99.0", "--timeout", "5"]) == 0
    assert "enterprise-attack 99.0: downloaded" in capsys.readouterr().out
    assert main(["attack", "update", "--version", "99.0"]) == 0
    assert "not modified since the last download" in capsys.readouterr().out
    behaviour.status = 503
    assert main(["attack", "update", "--version", "99.0"]) == 1
    err = capsys.readouterr().err
    assert "server answered 503" in err and "the previous ATT&CK data is kept" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not ICS.is_file(), reason="../shared/reference/attack is absent")
def test_real_ics_release_against_its_published_checksum(server: tuple[str, Behaviour]) -> None:
    url, behaviour = server
    behaviour.body, behaviour.path = ICS.read_bytes(), "/ics-attack/ics-attack-18.1.json"
    result = update("ics", "18.1", url=url, timeout=5)
    assert (result.status, result.domain, result.techniques) == ("downloaded", "ics-attack", 83)
    data = load_attack()
    ics = next(source for source in data.sources if source.info.domain == "ics-attack")
    assert (ics.origin, ics.info.version) == ("cache", "18.1")
    assert data.sources[0].origin == "shipped"  # enterprise is untouched
