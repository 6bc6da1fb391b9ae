"""`tide attack update`: fetch an official ATT&CK release, verify it, convert it into the user cache.

The raw bundle is kept (with its ETag) so the next update is a conditional GET; a 304 re-uses it.
Nothing in the cache changes unless the new file was downloaded completely, matched the published
sha256 and converted cleanly; every file is replaced atomically.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tide.attack import releases
from tide.attack.data import AttackDataError
from tide.attack.snapshot import encode
from tide.attack.stix import convert_bundle, verify
from tide.attack.store import cache_dir, cached_snapshot, write_atomic

URL_ENV = "TIDE_ATTACK_URL"  # a URL pattern with {domain} and {release}, for mirrors and tests
CONNECT_TIMEOUT = 10.0
_MAX_BYTES = 512 * 1024 * 1024  # far above any ATT&CK release; stops a runaway download


@dataclass(frozen=True)
class UpdateResult:
    status: str  # "downloaded" or "not-modified"
    domain: str  # "enterprise-attack"
    version: str
    url: str
    snapshot: Path
    techniques: int


def _downloads() -> Path:
    return cache_dir() / "attack" / "downloads"


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def update(domain: str = "enterprise", version: str = "", *, url: str = "",
           timeout: float = 120.0) -> UpdateResult:
    """Download (or re-use) `<domain>-attack-<version>.json` and make it the cached snapshot."""
    import requests  # deferred: only this command needs an HTTP client

    if domain not in releases.DOMAINS:
        raise AttackDataError(f"unknown ATT&CK domain {domain!r} (choose from {', '.join(releases.DOMAINS)})")
    version = version or releases.latest()
    if releases.expected_sha256(domain, version) is None:
        known = ", ".join(releases.known_versions(domain)[-5:])
        raise AttackDataError(f"{domain}-attack {version} is not a known ATT&CK release "
                              f"(latest known: {known})")
    target = releases.release_url(domain, version, url or os.environ.get(URL_ENV, ""))
    name = f"{domain}-attack-{version}.json"
    raw_path = _downloads() / name
    meta_path = _downloads() / (name + ".meta")
    meta = _read_meta(meta_path)
    headers = {"Accept": "application/json"}
    if raw_path.is_file() and meta.get("url") == target and meta.get("etag"):
        headers["If-None-Match"] = str(meta["etag"])

    try:
        with requests.get(target, headers=headers, timeout=(CONNECT_TIMEOUT, timeout),
                          stream=True) as response:
            if response.status_code == 304 and "If-None-Match" in headers:
                status, blob, etag = "not-modified", raw_path.read_bytes(), str(meta["etag"])
            elif response.status_code == 200:
                chunks, size = [], 0
                for chunk in response.iter_content(chunk_size=1 << 20):
                    size += len(chunk)
                    if size > _MAX_BYTES:
                        raise AttackDataError(f"{target}: download larger than {_MAX_BYTES} bytes, refused")
                    chunks.append(chunk)
                status, blob, etag = "downloaded", b"".join(chunks), response.headers.get("ETag", "")
            else:
                raise AttackDataError(f"{target}: the server answered {response.status_code} "
                                      f"{response.reason or ''}".rstrip())
    except requests.RequestException as exc:
        raise AttackDataError(f"{target}: download failed ({exc.__class__.__name__}: {exc})") from exc
    except OSError as exc:
        raise AttackDataError(f"{raw_path}: cannot read the cached download ({exc.strerror or exc})") from exc

    digest = verify(blob, domain, version, target)
    document = convert_bundle(blob, target, check=False, source=f"ATT&CK STIX 2.1 bundle {name}")
    found = (document["attack"]["domain"], document["attack"]["version"])
    if found != (f"{domain}-attack", version):
        raise AttackDataError(f"{target}: the bundle is {found[0]} {found[1]}, not {domain}-attack {version}")
    snapshot = cached_snapshot(f"{domain}-attack")
    try:
        if status == "downloaded":
            write_atomic(raw_path, blob)
            write_atomic(meta_path, (json.dumps({"etag": etag, "sha256": digest, "url": target},
                                                sort_keys=True, indent=1) + "\n").encode("utf-8"))
        write_atomic(snapshot, encode(document))
    except OSError as exc:
        raise AttackDataError(
            f"cannot write the ATT&CK cache in {cache_dir()} ({exc.strerror or exc})") from exc
    return UpdateResult(status=status, domain=f"{domain}-attack", version=version, url=target,
                        snapshot=snapshot, techniques=len(document["techniques"]))

