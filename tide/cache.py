"""Content-addressed cache of per-file results, so that unchanged files are not parsed or
validated again.

An entry is keyed by the file's path and the SHA-256 of its bytes, inside a directory named
after a fingerprint of everything else a result depends on: tide's version and code of the
stages it caches, the schemas, the vocabularies and the ATT&CK data in use. Change any of them
and the whole cache is ignored. A cache can therefore make a run faster, never different: a
missing, truncated or foreign entry is a miss. Checks across files are never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import tide

CACHE_DIR = ".tide-cache"
FRESH_SECONDS = 86_400  # an entry read this long after it was written or last marked is marked again
_CODE = ("load.py", "validate.py", "vocabularies.py", "enrich.py", "model.py", "plain.py", "cache.py",
         "pack.py", "jsontext.py", "misp/event.py", "misp/feed.py", "misp/mapping.py", "misp/stamp.py")
_DATA = ("schemas", "data/vocabularies")


def entries_to_keep(sources: int) -> int:
    """How many entries of each kind a project of `sources` files keeps: a few versions of each."""
    return 4 * sources + 2_000


def fingerprint(*parts: str) -> str:
    """A digest of tide itself (code and data) and of the extra `parts` (e.g. ATT&CK versions)."""
    digest = hashlib.sha256(f"{tide.__version__}|{sys.version}|{'|'.join(parts)}".encode())
    package = Path(tide.__file__).parent
    files = [package / name for name in _CODE]
    for folder in _DATA:
        # Bytecode comes and goes with the interpreter's settings: it must not change the key.
        files.extend(sorted(p for p in (package / folder).rglob("*")
                            if p.is_file() and "__pycache__" not in p.parts))
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Memo(Protocol):
    """Where a stage keeps what it made between builds: a Cache below, or memory (`tide serve`).
    A value that is not what the stage stored is a miss, for the stage to check."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


class Cache:
    """One directory of pickled entries per kind and fingerprint under `root`."""

    def __init__(self, root: Path, key: str, kind: str = "check") -> None:
        self.root = root
        self.kind = kind
        self.dir = root / kind / key[:32]
        self._dir = str(self.dir)
        self.hits = 0
        self.misses = 0

    @classmethod
    def of_project(cls, project: Path, key: str, kind: str = "check") -> Cache:
        """The cache of one kind in the project at `project` (its `.tide-cache/`)."""
        return cls(project / CACHE_DIR, key, kind)

    @staticmethod
    def entry_key(display_path: str, raw: bytes) -> str:
        return hashlib.sha256(display_path.encode() + b"\0" + raw).hexdigest()

    def get(self, key: str) -> Any | None:
        try:  # string paths: pathlib's joins cost more than reading a small entry
            with open(os.path.join(self._dir, key[:2], key), "rb") as handle:
                value = pickle.load(handle)
                if os.fstat(handle.fileno()).st_mtime < time.time() - FRESH_SECONDS:
                    os.utime(handle.fileno())  # in use: `trim` keeps the entries used most recently
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
                TypeError, ValueError):
            self.misses += 1
            return None
        if not (isinstance(value, tuple) and len(value) == 2 and value[0] == key):
            self.misses += 1
            return None  # a foreign or damaged entry is a miss
        self.hits += 1
        return value[1]

    def put(self, key: str, value: Any) -> None:
        """Write atomically; a cache that cannot be written only costs speed."""
        folder = os.path.join(self._dir, key[:2])
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, os.path.join(folder, key))
        except OSError:
            return

    def trim(self, keep: int) -> None:
        """Keep the `keep` entries used most recently (to within FRESH_SECONDS), drop the rest:
        every version of every file leaves entries, which the same fingerprint never drops."""
        paths: list[str] = []
        try:
            with os.scandir(self._dir) as folders:
                for folder in folders:
                    with os.scandir(folder.path) as files:
                        paths += [entry.path for entry in files]
        except OSError:
            return
        if len(paths) <= keep:  # the usual case: no entry's time is even read
            return
        used = []
        for path in paths:
            with contextlib.suppress(OSError):
                used.append((os.stat(path).st_mtime, path))
        for _, path in sorted(used)[:len(used) - keep]:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def prune(self) -> None:
        """Drop the entries of other fingerprints: they can never be read again."""
        parent = self.root / self.kind
        if parent.is_dir():
            for other in parent.iterdir():
                if other != self.dir:
                    shutil.rmtree(other, ignore_errors=True)
