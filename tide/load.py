"""Load stage: YAML files -> Documents holding JSON-form data and the position of every node.

Safe by construction: UTF-8 only, one document per file, no anchors or aliases (they are the
vehicle of "billion laughs" bombs), bounded size and nesting, duplicate keys rejected. Every
fault is a Diagnostic at the offending file, line and column; nothing here raises.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tide.diagnostics import Diagnostic, error

try:  # libyaml's parser and composer are C; they are the floor we measure against
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_BYTES = 1 << 20  # a threat vector is a few KiB; anything over 1 MiB is an accident or an attack
# Read at once: asking for MAX_BYTES in one read makes a 1 MiB buffer, which glibc maps and unmaps
# for every file (~25 us a file); a buffer under its 128 KiB mapping threshold costs ~8 us.
_READ_AT_ONCE = 1 << 16
MAX_DEPTH = 32  # the schema nests 5 levels deep
YAML_SUFFIXES = (".yaml", ".yml")

PathKey = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

_STR = "tag:yaml.org,2002:str"
_SCALARS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_constructor = yaml.constructor.SafeConstructor()


# The safe loader's implicit tags by the first character of a plain scalar, wildcards included.
_WILDCARD = tuple(_BaseLoader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {first: (*pairs, *_WILDCARD)
             for first, pairs in _BaseLoader.yaml_implicit_resolvers.items() if first is not None}


class _Loader(_BaseLoader):
    """The safe loader, with the tag resolution it calls for every node done in fewer steps.
    PyYAML's `resolve` is Python even under libyaml, and general: path resolvers (the safe loader
    has none), wildcard lists rebuilt per scalar. Same tags, ~20 us less per file (of ~250)."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], _WILDCARD):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # no path resolvers to follow

    def ascend_resolver(self) -> None:
        pass


@dataclass(frozen=True)
class Document:
    """One parsed file. `positions` maps a JSON path to its value's position; `key_positions`
    maps the path of a mapping entry to its key's position."""

    path: str
    text: str
    data: Any
    positions: dict[PathKey, Mark] = field(repr=False)
    key_positions: dict[PathKey, Mark] = field(repr=False)

    def position(self, path: Iterable[str | int]) -> Position:
        """Position of the value at `path`, or of its nearest ancestor that exists."""
        key = tuple(path)
        while key not in self.positions and key:
            key = key[:-1]
        mark = self.positions.get(key)
        return (mark.line + 1, mark.column + 1) if mark else (1, 1)

    def key_position(self, path: Iterable[str | int]) -> Position:
        key = tuple(path)
        mark = self.key_positions.get(key)
        return (mark.line + 1, mark.column + 1) if mark else self.position(key)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Expand directories into their YAML files (recursively, sorted); report missing paths."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            found.extend(map(Path, _yaml_files(str(path))))
        elif path.is_file():
            found.append(path)
        elif path.exists():
            problems.append(error(str(path), 0, 0, "not-a-file", "not a regular file or directory"))
        else:
            problems.append(error(str(path), 0, 0, "no-such-path", "no such file or directory"))
    # Ordered as Paths compare (part by part), but by a key: comparing Path objects directly
    # took 50 ms for 10,000 files, on one core, before anything else could start.
    unique = {path.parts: path for path in found}
    return [unique[parts] for parts in sorted(unique)], problems


def _yaml_files(folder: str) -> list[str]:
    """The YAML files under `folder`, not in hidden folders nor through folder links. A named pipe
    or socket named *.yaml is left out: reading one would block forever."""
    found: list[str] = []
    folders = [folder]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith("."):
                            folders.append(entry.path)
                    elif entry.name.endswith(YAML_SUFFIXES) and entry.is_file():  # no stat unless a link
                        found.append(entry.path)
        except OSError:  # an unreadable folder holds nothing we can read
            continue
    return found


def load_file(path: Path, display: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one file. Returns no Document when the file cannot be parsed at all."""
    name = display or path.as_posix()
    raw, problem = read_source(path, name)
    if problem is not None:
        return None, [problem]
    return load_bytes(raw, name)


def read_source(path: Path, name: str) -> tuple[bytes, Diagnostic | None]:
    """The bytes of a file, refusing unreadable and oversized ones."""
    parts: list[bytes] = []
    size = 0
    try:
        with path.open("rb", buffering=0) as handle:
            while size <= MAX_BYTES:  # to the end, or one byte past the limit
                part = handle.read(_READ_AT_ONCE)
                if not part:
                    break
                parts.append(part)
                size += len(part)
    except OSError as exc:
        return b"", error(name, 0, 0, "unreadable", f"cannot read file: {exc.strerror or exc}")
    raw = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(raw) > MAX_BYTES:
        return b"", error(name, 0, 0, "file-too-large",
                          f"file is larger than {MAX_BYTES // 1024} KiB; a threat vector is a few KiB")
    return raw, None


def load_bytes(raw: bytes, name: str) -> tuple[Document | None, list[Diagnostic]]:
    text, problem = _decode(raw, name)
    if problem:
        return None, [problem]
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(name, exc)]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        return None, [error(name, line, col, "yaml-syntax",
                            f"character U+{exc.character:04X} is not allowed in YAML text")]
    except yaml.YAMLError as exc:
        return None, [error(name, 1, 1, "yaml-syntax", " ".join(str(exc).split()))]
    except RecursionError:  # only the pure-Python composer recurses; libyaml has its own limit
        return None, [error(name, 1, 1, "yaml-nesting", f"nesting deeper than {MAX_DEPTH} levels")]
    if root is None:
        return None, [error(name, 1, 1, "empty-file", "file holds no YAML document")]
    builder = _Builder(name, text)
    data = builder.build(root, (), 0)
    if builder.aliased:
        builder.problems.extend(_alias_diagnostics(text, name))
    if builder.problems:
        return None, builder.problems
    return Document(name, text.replace("\r\n", "\n"), data, builder.positions, builder.key_positions), []


def _syntax_error(name: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    problem, context = exc.problem or "invalid YAML", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    if "single document" in context:
        problem, context = "a file holds one threat vector, but a second YAML document starts here", ""
    elif ("quoted scalar" in context or "block scalar" in context) and exc.context_mark is not None:
        # An unclosed quote is reported where it opens, not where the file ends.
        where = exc.problem_mark
        mark = exc.context_mark
        kind = "quoted text" if "quoted" in context else "block text"
        context = f"{problem}" + (f" at line {where.line + 1}" if where else "")
        problem = f"this {kind} is not closed properly"
    message = " ".join(f"{problem} ({context})".split()) if problem and context else " ".join(
        (problem or context).split())
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return error(name, line, col, "yaml-syntax", message)


def _decode(raw: bytes, name: str) -> tuple[str, Diagnostic | None]:
    for bom, encoding in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                          (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            return "", error(name, 1, 1, "encoding", f"file is encoded as {encoding}; save it as UTF-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    if b"\x00" in raw:
        line, col = _byte_position(raw, raw.index(b"\x00"))
        return "", error(name, line, col, "encoding",
                         "file contains NUL bytes (UTF-16 or binary?); save it as UTF-8")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        return "", error(name, line, col, "encoding",
                         f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")


def _byte_position(raw: bytes, offset: int) -> Position:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _alias_diagnostics(text: str, name: str) -> list[Diagnostic]:
    """Second pass, only on the error path: point at the first alias (the composer shares nodes)."""
    aliases = [e.start_mark for e in yaml.parse(text, Loader=_Loader) if isinstance(e, yaml.AliasEvent)]
    line, col = (aliases[0].line + 1, aliases[0].column + 1) if aliases and aliases[0] else (1, 1)
    count = f" ({len(aliases)} in this file)" if len(aliases) > 1 else ""
    return [error(name, line, col, "yaml-alias", f"YAML aliases are not allowed{count}; write the values out")]


class _Builder:
    """Turns a composed node tree into JSON-form data, recording positions on the way."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.positions: dict[PathKey, Mark] = {}
        self.key_positions: dict[PathKey, Mark] = {}
        self.problems: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.aliased = False

    def fail(self, node: Node, code: str, message: str) -> None:
        self.problems.append(error(self.name, node.start_mark.line + 1, node.start_mark.column + 1, code, message))

    def build(self, node: Node, path: PathKey, depth: int) -> Any:
        # The hot loop of every run: marks are stored as they are and turned into (line, column)
        # only when a diagnostic needs one; plain text, the bulk of a vector, returns at once.
        if id(node) in self.seen:  # the composer hands out the anchored node again for an alias
            self.aliased = True
            return None
        self.seen.add(id(node))
        self.positions[path] = node.start_mark
        if type(node) is ScalarNode:
            return node.value if node.tag == _STR else self.scalar(node)
        if depth > MAX_DEPTH:
            self.fail(node, "yaml-nesting", f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if type(node) is SequenceNode and node.tag == _SEQ:
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if type(node) is MappingNode and node.tag == _MAP:
            return self.mapping(node, path, depth)
        self.fail(node, "yaml-tag", f"unsupported YAML tag {_short_tag(node.tag)}")
        return None

    def mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        key_positions = self.key_positions
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                self.fail(key_node, "yaml-key", "mapping keys must be plain values")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, "yaml-alias", "merge keys (<<) are not allowed")
                continue
            key = key_node.value if key_node.tag == _STR else self.key(key_node)
            if key in out:
                first = key_positions[(*path, key)]
                self.fail(key_node, "duplicate-key",
                          f"duplicate key '{key}' (first defined at line {first.line + 1})")
                continue
            key_path = (*path, key)
            key_positions[key_path] = key_node.start_mark
            out[key] = self.build(value_node, key_path, depth + 1)
        return out

    def key(self, node: ScalarNode) -> str:
        # JSON keys are strings: `1:` (an int in YAML) becomes "1", as references use it.
        value = self.scalar(node)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return str(node.value)
        return str(value)

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag not in _SCALARS:
            self.fail(node, "yaml-tag", f"unsupported YAML tag {_short_tag(node.tag)}")
            return None
        quick = _quick_scalar(node.tag, node.value)
        if quick is not _SLOW:
            return quick
        try:
            value = _constructor.construct_object(node)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            # e.g. 2024-13-45 matches the timestamp pattern but is no date: keep the text and
            # let validation report it where dates are expected.
            return node.value
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value


_SLOW = object()
_DATE = "tag:yaml.org,2002:timestamp"


def _quick_scalar(tag: str, value: str) -> Any:
    """The JSON form of the scalars every vector has, without PyYAML's constructor (~3 us each);
    _SLOW for the rest. Same results: a plain decimal is that int; a date written YYYY-MM-DD is
    its own isoformat when it is a real date and kept as written when it is not."""
    if tag == _DATE:
        return value if len(value) == 10 else _SLOW  # the resolver matched YYYY-M?M?-D?D? already
    if tag == "tag:yaml.org,2002:int":  # the resolver allows only ASCII digits, signs, _, x, o, b, :
        # Short ones only: int() refuses 4,300 digits and more, which the slow path turns into text.
        plain = value.isdigit() and len(value) < 19 and (value == "0" or value[0] != "0")
        return int(value) if plain else _SLOW
    if tag == "tag:yaml.org,2002:bool":
        return _constructor.bool_values[value.lower()]
    return None if tag == "tag:yaml.org,2002:null" else _SLOW


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")
