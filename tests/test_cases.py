"""Diagnostic cases: `tests/cases/invalid/<name>.yaml` (or a folder `<name>/`) and, beside it,
`<name>.expected` with the exact diagnostics. A new regression test is two files, no Python."""

from __future__ import annotations

from pathlib import Path

import pytest

from tide.build import check
from tide.config import load_config

CASES = Path("tests/cases")
INVALID = sorted(p for p in (Path(__file__).parent / "cases" / "invalid").iterdir() if p.suffix != ".expected")
VALID = sorted((Path(__file__).parent / "cases" / "valid").glob("*.yaml"))


def diagnostics_of(path: Path) -> list[str]:
    result = check([path], load_config(Path.cwd()))
    return [d.text() for d in result.diagnostics]


@pytest.mark.parametrize("case", [p.stem if p.is_file() else p.name for p in INVALID])
def test_invalid_case(case: str) -> None:
    path = next(p for p in (CASES / "invalid").iterdir() if p.suffix != ".expected" and
                (p.stem if p.is_file() else p.name) == case)
    expected = (CASES / "invalid" / f"{case}.expected").read_text("utf-8").splitlines()
    assert diagnostics_of(path) == expected


@pytest.mark.parametrize("case", [p.name for p in VALID])
def test_valid_case(case: str) -> None:
    assert diagnostics_of(CASES / "valid" / case) == []


def test_file_stem_is_what_pathlib_says() -> None:
    # The file-name check takes the stem without a path object; it must be the same stem.
    from pathlib import PurePath

    from tide.validate import _stem

    for path in ("a.yaml", "dir/a.yaml", "dir/sub/a b (1).yaml", "a.b.yaml", ".hidden", "dir/.hidden",
                 "dir/a.", "dir/a..", "noext", "dir/noext", "x/.a.yaml", "dir.d/file", "../up/v.yml"):
        assert _stem(path) == PurePath(path).stem, path
