"""Regenerate tide/schemas/compiled: each schema's fastjsonschema validator as a Python module,
which a run imports instead of generating and compiling it at start-up.

    python -m tide.schemas.compile [DIR]      (default: tide/schemas/compiled)

Run it after editing a schema or upgrading fastjsonschema. Until then tide compiles the
validator at start-up instead (same results, slower), and tests/test_schemas_compiled.py fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tide.validate import SCHEMAS, compiled_name, compiled_source

COMPILED = Path(__file__).parent / "compiled"


def write(folder: Path = COMPILED) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for schema_id in sorted(SCHEMAS):
        path = folder / f"{compiled_name(schema_id)}.py"
        path.write_text(compiled_source(schema_id), "utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    for path in write(Path(argv[0]) if argv else COMPILED):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
