"""Loader unit tests: positions, JSON forms, encodings and the limits that keep it safe."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from tide.load import MAX_BYTES, load_bytes


def load(text: str | bytes):  # type: ignore[no-untyped-def]
    return load_bytes(text.encode() if isinstance(text, str) else text, "x.yaml")


def test_positions_of_values_keys_and_list_items() -> None:
    doc, problems = load("a: 1\nthreat:\n  leverage:\n    - Spoofing\n    - Tampering\n")
    assert problems == [] and doc is not None
    assert doc.position(("threat", "leverage", 1)) == (5, 7)
    assert doc.key_position(("threat", "leverage")) == (3, 3)
    assert doc.position(("a",)) == (1, 4)
    # a path that does not exist falls back to its nearest existing ancestor
    assert doc.position(("threat", "leverage", 7)) == (4, 5)
    assert doc.position(("threat", "missing")) == doc.position(("threat",))


def test_json_forms_dates_and_integer_keys() -> None:
    doc, _ = load("created: 2024-10-31\nrefs:\n  1: https://a\n  2: https://b\nflag: yes\nn: 0x10\n")
    assert doc is not None
    assert doc.data == {"created": "2024-10-31", "refs": {"1": "https://a", "2": "https://b"},
                        "flag": True, "n": 16}
    assert doc.key_position(("refs", "2")) == (4, 3)


def test_impossible_date_is_kept_as_text_for_validation() -> None:
    doc, problems = load("created: 2024-13-45\n")
    assert problems == [] and doc is not None and doc.data["created"] == "2024-13-45"


def test_bom_and_crlf_are_accepted_and_text_is_normalised() -> None:
    doc, problems = load(b"\xef\xbb\xbfname: x\r\nother: y\r\n")
    assert problems == [] and doc is not None
    assert doc.data == {"name": "x", "other": "y"} and "\r" not in doc.text
    assert doc.position(("other",)) == (2, 8)


def test_integer_and_string_keys_that_collide_are_duplicates() -> None:
    _, problems = load("refs:\n  1: https://a\n  '1': https://b\n")
    assert [(p.line, p.column, p.code) for p in problems] == [(3, 3, "duplicate-key")]


def test_every_duplicate_key_is_reported() -> None:
    _, problems = load("a: 1\nb: 2\na: 3\nc:\n  d: 1\n  d: 2\n")
    assert [(p.line, p.code) for p in problems] == [(3, "duplicate-key"), (6, "duplicate-key")]


def test_alias_bomb_is_refused_quickly_in_bounded_memory() -> None:
    layers = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 30):  # 10**30 strings if expanded
        prev, name = f"l{i - 1}" if i > 1 else "a", f"l{i}"
        layers.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    doc, problems = load("\n".join(layers) + "\n")
    assert doc is None and problems[0].code == "yaml-alias" and problems[0].line == 2
    assert time.monotonic() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB


def test_merge_keys_are_refused() -> None:
    _, problems = load("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert {p.code for p in problems} == {"yaml-alias"}


def test_oversized_file_is_refused_before_parsing() -> None:
    from pathlib import Path
    from tempfile import TemporaryDirectory

    from tide.load import load_file

    with TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.yaml"
        big.write_bytes(b"a: '" + b"x" * (MAX_BYTES + 10) + b"'\n")
        doc, problems = load_file(big, "big.yaml")
    assert doc is None and problems[0].code == "file-too-large"


def test_files_are_read_whole_up_to_the_limit_and_no_further(tmp_path: Path) -> None:
    from tide.load import _READ_AT_ONCE, read_source

    # longer than one read, and exactly at the limit: read whole
    for size in (_READ_AT_ONCE - 1, _READ_AT_ONCE, 3 * _READ_AT_ONCE + 5, MAX_BYTES):
        data = bytes(i % 251 for i in range(size))
        Path(tmp_path, "f.yaml").write_bytes(data)
        raw, problem = read_source(Path(tmp_path, "f.yaml"), "f.yaml")
        assert (raw, problem) == (data, None), size
    # one byte over, and a source without an end: refused, not read to the end
    Path(tmp_path, "f.yaml").write_bytes(b"x" * (MAX_BYTES + 1))
    Path(tmp_path, "zero.yaml").symlink_to("/dev/zero")
    for name in ("f.yaml", "zero.yaml"):
        raw, problem = read_source(Path(tmp_path, name), name)
        assert raw == b"" and problem is not None and problem.code == "file-too-large"


def test_complex_keys_and_unknown_tags_are_errors() -> None:
    _, problems = load("? [a, b]\n: 1\nx: !custom 3\n")
    assert [(p.line, p.code) for p in problems] == [(1, "yaml-key"), (3, "yaml-tag")]


def test_nul_byte_is_an_encoding_error_at_its_position() -> None:
    _, problems = load(b"a: 1\nb: x\x00y\n")
    assert [(p.line, p.column, p.code) for p in problems] == [(2, 5, "encoding")]


def test_control_characters_are_a_syntax_error_not_a_crash() -> None:
    _, problems = load("a: 1\nb: x\x07y\n")
    assert problems and problems[0].code == "yaml-syntax" and problems[0].line == 2


def test_named_pipes_are_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from tide.load import discover

    (tmp_path / "good.yaml").write_text("a: 1\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    files, problems = discover([tmp_path])
    assert files == [tmp_path / "good.yaml"] and problems == []
    files, problems = discover([tmp_path / "pipe.yaml"])
    assert files == [] and [p.code for p in problems] == ["not-a-file"]


def test_discovery_finds_yaml_files_in_folders_in_path_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from tide.load import discover

    for rel in ["b.yaml", "a-c.yml", "a/b.yaml", "a/z/y.yaml", "a/.hidden/x.yaml", ".git/x.yaml",
                "a/notes.txt", "A.YAML", "real/r.yaml"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a: 1\n")
    (tmp_path / "folder.yaml").mkdir()
    os.symlink(tmp_path / "b.yaml", tmp_path / "link.yaml")  # a link to a file is read
    os.symlink(tmp_path / "real", tmp_path / "linked-folder")  # a link to a folder is not followed
    files, problems = discover([tmp_path, tmp_path / "a" / "b.yaml"])
    assert problems == []
    assert files == sorted(tmp_path / rel for rel in ["b.yaml", "a-c.yml", "a/b.yaml", "a/z/y.yaml", "link.yaml",
                                                      "real/r.yaml"])
    assert files.index(tmp_path / "a" / "z" / "y.yaml") < files.index(tmp_path / "a-c.yml")  # by parts


def test_tags_are_resolved_as_the_safe_loader_resolves_them(corpus) -> None:  # type: ignore[no-untyped-def]
    """tide's quicker tag resolution against PyYAML's own, on every scalar YAML 1.1 treats
    specially and on every node of the ShareTide corpus."""
    import yaml

    from tide.load import _BaseLoader, _Loader

    def tags(text: str, loader: type) -> list[str]:
        return [e.tag for e in _walk(yaml.compose(text, Loader=loader))]

    specials = ["", "~", "null", "Null", "NULL", "true", "yes", "No", "on", "OFF", "y", "0", "-1", "+1",
                "0x1f", "0o17", "0b101", "017", "1_000", "190:20:30", "1.5", "-1.5e3", ".inf", "-.Inf", ".NaN",
                "2024-01-01", "2024-1-1 10:00:00", "2024-01-01T10:00:00Z", "<<", "=", "x", "a: b",
                "'1'", '"true"', "!!str 1", "! 1", "|\n  1\n", ">\n  yes\n"]
    for special in specials:
        text = f"- {special}\n" if "\n" not in special else f"- {special}"
        assert tags(text, _Loader) == tags(text, _BaseLoader), special
    for path in sorted(corpus.glob("*.yaml")):
        text = path.read_text("utf-8")
        assert tags(text, _Loader) == tags(text, _BaseLoader), path.name


def _walk(node):  # type: ignore[no-untyped-def]
    yield node
    if isinstance(node.value, list):
        for item in node.value:
            yield from (x for part in (item if isinstance(item, tuple) else (item,)) for x in _walk(part))


def test_quick_scalars_are_what_the_constructor_makes() -> None:
    """Dates, decimals, booleans and nulls skip PyYAML's constructor: the same values."""
    import yaml

    from tide.load import _SLOW, _constructor, _Loader, _quick_scalar

    values = ["0", "7", "07", "0x1f", "1_000", "+1", "-1", "123", "190:20:30", "2024-01-05", "2024-13-45",
              "2024-02-30", "0000-01-01", "2024-01-05T10:00:00Z", "true", "TRUE", "yes", "No", "off", "On", "~",
              "null", "Null", "", "1.5"]
    quick = 0
    for value in values:
        node = yaml.compose(f"- {value}\n", Loader=_Loader).value[0]
        made = _quick_scalar(node.tag, node.value)
        if made is _SLOW:
            continue
        quick += 1
        try:
            expected = _constructor.construct_object(node)
        except ValueError:
            expected = node.value  # an impossible date is kept as written
        expected = expected.isoformat() if hasattr(expected, "isoformat") else expected
        assert made == expected and type(made) is type(expected), value
    assert quick >= 17
    # Beyond int()'s 4,300 digits a number is kept as text (and validation says what it expects).
    doc, problems = load("version: " + "9" * 5000 + "\n")
    assert problems == [] and doc is not None and doc.data["version"] == "9" * 5000
