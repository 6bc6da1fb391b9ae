"""Write stage: every output goes to a staging directory beside the target, which replaces the
target only when the whole build succeeded. A failed or killed build leaves the last good
output untouched; no output file can be written outside the staging directory."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import TracebackType

_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")


class OutputError(Exception):
    """The output directory cannot be written."""


def check_relative(rel: str) -> str:
    """Refuse any output path that is absolute, climbs out, or uses odd characters."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(not _SAFE_PART.match(p) or set(p) == {"."} for p in parts):
        raise OutputError(f"refusing to write unsafe output path {rel!r}")
    return rel


class Staging:
    """`with Staging(out) as stage: stage.write(...); stage.commit()`"""

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        self.dir = self.out.parent / f".{self.out.name}.staging-{os.getpid()}"
        self._committed = False
        self._dirs: set[str] = set()  # folders made so far: one mkdir per folder, not per file

    def __enter__(self) -> Staging:
        if self.out.exists() and not self.out.is_dir():
            raise OutputError(f"{self.out} exists and is not a directory")
        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir()
        except OSError as exc:
            raise OutputError(f"cannot create {self.dir}: {exc.strerror or exc}") from exc
        return self

    def path(self, rel: str) -> Path:
        return self.dir / check_relative(rel)

    def write(self, rel: str, data: bytes | str) -> None:
        target = self.path(rel)
        folder = rel.rpartition("/")[0]
        if folder not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        with open(target, "wb") as handle:  # pathlib adds a cost per call that 20,000 files feel
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)

    def write_all(self, files: dict[str, bytes] | dict[str, str], prefix: str = "") -> None:
        for rel in sorted(files):
            self.write(f"{prefix}{rel}", files[rel])

    def commit(self) -> None:
        """Swap the staging directory in: two renames, so the target is never half-written."""
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        try:
            if self.out.exists():
                os.replace(self.out, old)
            os.replace(self.dir, self.out)
        except OSError as exc:
            if old.exists() and not self.out.exists():
                os.replace(old, self.out)
            raise OutputError(f"cannot replace {self.out}: {exc.strerror or exc}") from exc
        shutil.rmtree(old, ignore_errors=True)
        self._committed = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._committed:
            shutil.rmtree(self.dir, ignore_errors=True)
