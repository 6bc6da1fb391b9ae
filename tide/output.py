"""Write stage: every output goes to a staging directory beside the target, which replaces the
target only when the whole build succeeded. A failed or killed build leaves the last good
output untouched; no output file can be written outside the staging directory."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeGuard, TypeVar

_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")
FileIdentity = tuple[int, int, int]  # inode, size, modification time (ns): a file as it was written


def file_identity(found: os.stat_result) -> FileIdentity:
    return found.st_ino, found.st_size, found.st_mtime_ns


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
        self._root = str(self.dir)
        self._out = str(self.out)

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

    def write(self, rel: str, data: bytes | str) -> os.stat_result:
        """Write `rel`; its status once written (see Carryover)."""
        target = self._target(rel)
        # Exclusive: a file taken over is a link to the previous output's, which must stay as it was.
        # A bare descriptor: a build writes 20,000 files, and a buffered file object costs ~7 us more.
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError as exc:
            raise OutputError(f"{rel} would be written twice") from exc
        try:
            left = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
            while left:
                left = left[os.write(fd, left):]
            return os.fstat(fd)
        finally:
            os.close(fd)

    def take_over(self, rel: str, identity: FileIdentity) -> bool:
        """Hard-link `rel` of the previous output into the staging directory, if it is still the
        file with `identity` (a file edited by hand since is made again)."""
        source = os.path.join(self._out, rel)
        try:
            if file_identity(os.stat(source)) != identity:
                return False
            os.link(source, self._target(rel))
        except OSError:
            return False
        return True

    def drop(self, folder: str) -> None:
        """Remove `folder` and all it holds from the staging directory."""
        shutil.rmtree(os.path.join(self._root, check_relative(folder)), ignore_errors=True)
        self._dirs = {d for d in self._dirs if d != folder and not d.startswith(f"{folder}/")}

    def _target(self, rel: str) -> str:
        folder, _, name = rel.rpartition("/")
        if folder not in self._dirs:
            check_relative(rel)
            os.makedirs(os.path.join(self._root, folder), exist_ok=True)
            self._dirs.add(folder)
        elif rel.startswith("/") or not _SAFE_PART.match(name):  # the folder's parts passed already
            raise OutputError(f"refusing to write unsafe output path {rel!r}")
        return os.path.join(self._root, rel)  # strings: pathlib costs 20 us a file

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
        remove_tree(old)
        self._committed = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._committed:
            shutil.rmtree(self.dir, ignore_errors=True)


def remove_tree(tree: Path) -> None:
    """shutil.rmtree(tree), errors ignored; its top-level entries shared with a second process."""
    try:
        with os.scandir(tree) as entries:
            top = sorted(entry.path for entry in entries)
    except OSError:
        top = []

    def remove(paths: list[str]) -> bool:
        for path in paths:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        return True

    in_two(remove, top[::2], top[1::2])
    shutil.rmtree(tree, ignore_errors=True)


T = TypeVar("T")


def in_two(work: Callable[[list[T]], bool], first: list[T], second: list[T]) -> bool:
    """`work(first) and work(second)`, the second in a forked process when tide may use two cores.
    The kernel serialises making and removing files within a folder: split by folder, two
    processes take over or remove a build's files in two thirds of the time (measured)."""
    from tide.outputs import jobs

    if jobs() < 2 or not first or not second:
        return work(first) and work(second)
    try:
        child = os.fork()
    except OSError:
        return work(first) and work(second)
    if child == 0:  # never return into the caller's code from here
        code = 1
        try:
            code = 0 if work(second) else 1
        finally:
            os._exit(code)
    try:
        done = work(first)
    finally:
        _, status = os.waitpid(child, 0)
    return done and os.waitstatus_to_exitcode(status) == 0


class Carryover:
    """Files of the previous output that a build takes over instead of writing them again.

    A producer that knows the key of a file's inputs before making it (a memoised page) asks
    `take(rel, key)`: when the previous build wrote `rel` from the same key, and the file is still
    the one it wrote (same inode, size and modification time), it is hard-linked into the staging
    directory and need not be made. Otherwise the producer makes it and says `keyed(rel, key)`.
    After the commit, `record()` gives what the next build needs: path -> key and file identity.
    A missing or foreign record, a changed file or a failed link only means a file is made again.
    """

    def __init__(self, stage: Staging, previous: object) -> None:
        self.stage = stage
        # path -> (key, inode, size, modification time, what the producer kept with the file)
        self.previous: dict[str, tuple[str, int, int, int, Any]] = previous if isinstance(previous, dict) else {}
        self._keys: dict[str, tuple[str, Any]] = {}
        self._record: dict[str, tuple[str, int, int, int, Any]] = {}

    def take(self, rel: str, key: str, usable: Callable[[Any], bool] | None = None) -> bool:
        """Link `rel` from the previous output if it was made from `key` (and what was kept with
        it is `usable`). Asked before anything is written at `rel`, never after."""
        entry = self.previous.get(rel)
        if not _made_from(entry, key):
            return False
        if usable is not None and not usable(entry[4]):
            return False
        if not self.stage.take_over(rel, entry[1:4]):
            return False
        self._record[rel] = entry
        return True

    def take_folder(self, folder: str, key: str) -> bool:
        """Link every file of `folder` that the previous build made from `key`, all or none: a
        producer of a whole folder (the site) asks this. False, and nothing linked, when there are
        none or any is no longer the one written."""
        prefix = f"{folder}/"
        entries = {rel: entry for rel, entry in self.previous.items()
                   if rel.startswith(prefix) and _made_from(entry, key)}
        for rel, entry in entries.items():
            if not self.stage.take_over(rel, entry[1:4]):
                self.stage.drop(folder)
                return False
        self._record.update(entries)
        return bool(entries)

    def extra(self, rel: str) -> Any:
        """What the producer kept with a file it took over (see `keyed`)."""
        return self._record[rel][4]

    def keyed(self, rel: str, key: str, extra: Any = None) -> None:
        """`rel`, about to be written, is made from `key`; `extra` is kept with it for `extra()`."""
        self._keys[rel] = key, extra

    def under(self, folder: str) -> FolderCarryover:
        """The same, for a producer whose paths are relative to `folder` of the output."""
        return FolderCarryover(self, folder)

    def wrote(self, rel: str, written: os.stat_result) -> None:
        keyed = self._keys.pop(rel, None)
        if keyed is not None:
            self._record[rel] = (keyed[0], *file_identity(written), keyed[1])

    def adopt(self, record: dict[str, tuple[str, int, int, int, Any]]) -> None:
        """Add what another process wrote or took over into the same staging directory."""
        self._record.update(record)

    def record(self) -> dict[str, tuple[str, int, int, int, Any]]:
        return self._record


def _made_from(entry: object, key: str) -> TypeGuard[tuple[str, int, int, int, Any]]:
    """Whether a record entry (key, inode, size, modification time, extra) was made from `key`."""
    return isinstance(entry, tuple) and len(entry) == 5 and entry[0] == key


class FolderCarryover:
    def __init__(self, carry: Carryover, folder: str) -> None:
        self.carry = carry
        self.prefix = f"{folder}/"

    def take(self, rel: str, key: str, usable: Callable[[Any], bool] | None = None) -> bool:
        return self.carry.take(self.prefix + rel, key, usable)

    def extra(self, rel: str) -> Any:
        return self.carry.extra(self.prefix + rel)

    def keyed(self, rel: str, key: str, extra: Any = None) -> None:
        self.carry.keyed(self.prefix + rel, key, extra)
