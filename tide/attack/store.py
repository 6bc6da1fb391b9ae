"""Where ATT&CK data lives on disk, which copy is used, and atomic writes.

Lookup, per domain: an explicit `--attack FILE`, then `[tool.tide] attack` of the project, then the
user cache (`tide attack update` / `import`), then the snapshot shipped in the package. The explicit
or project file supplies the domain(s) it holds; the other domains come from the cache or the package,
so mobile and ICS technique ids resolve whatever enterprise release is pinned.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import MappingProxyType

from tide.attack.data import DATA_DIR, AttackData, AttackDataError
from tide.attack.snapshot import read_snapshot
from tide.config import Config
from tide.model import Technique

# Domains merged into every AttackData, primary first.
DOMAINS = ("enterprise-attack", "mobile-attack", "ics-attack")
_memo: dict[tuple[str, str, int, int], AttackData] = {}


def cache_dir() -> Path:
    """$TIDE_CACHE_DIR, else $XDG_CACHE_HOME/tide, else ~/.cache/tide."""
    explicit = os.environ.get("TIDE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "tide"


def cached_snapshot(domain: str) -> Path:
    """The converted snapshot `tide attack update` keeps for a domain ("enterprise-attack")."""
    return cache_dir() / "attack" / f"{domain}.json.gz"


def shipped_snapshot(domain: str) -> Path:
    return DATA_DIR / f"{domain}.json.gz"


def write_atomic(path: Path, blob: bytes) -> None:
    """Write via a temporary file beside `path` and rename it in: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make shipped and project files unreadable to others
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path, origin: str) -> AttackData:
    """A snapshot, memoised per process on path, size and modification time."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise AttackDataError(f"{path}: cannot read ATT&CK data ({exc.strerror or exc})") from exc
    key = (str(path), origin, stat.st_mtime_ns, stat.st_size)
    if key not in _memo:
        _memo[key] = read_snapshot(path, origin)
    return _memo[key]


def _candidate(domain: str) -> tuple[Path, str] | None:
    for path, origin in ((cached_snapshot(domain), "cache"), (shipped_snapshot(domain), "shipped")):
        if path.is_file():
            return path, origin
    return None


def merge(parts: list[AttackData]) -> AttackData:
    """One AttackData from several snapshots; the first to define an id wins."""
    techniques: dict[str, Technique] = {}
    for part in parts:
        for tid, technique in part.techniques.items():
            techniques.setdefault(tid, technique)
    primary = parts[0]
    return AttackData(
        info=primary.info,
        techniques=MappingProxyType(techniques),
        tactics=primary.tactics,
        sources=tuple(source for part in parts for source in part.sources),
    )


def load_attack(explicit: Path | None = None, config: Config | None = None) -> AttackData:
    """The ATT&CK data to use, following the lookup order. Raises AttackDataError."""
    parts: list[AttackData] = []
    if explicit is not None:
        parts.append(read(explicit, "explicit"))
    elif config is not None and config.attack is not None:
        parts.append(read(config.attack, "project"))
    covered = {part.info.domain for part in parts}
    for domain in DOMAINS:
        if domain in covered:
            continue
        found = _candidate(domain)
        if found is None:
            continue
        try:
            parts.append(read(*found))
        except AttackDataError:
            # A damaged cache must not stop a build: fall back to the shipped copy.
            if found[1] != "cache" or not shipped_snapshot(domain).is_file():
                raise
            parts.append(read(shipped_snapshot(domain), "shipped"))
    if not parts:
        raise AttackDataError("no ATT&CK data found: the package is incomplete (run `tide attack update`)")
    return merge(parts)
