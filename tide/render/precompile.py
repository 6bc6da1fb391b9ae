"""Compile the project's page templates ahead of time (see tide.render.compiled); `make` runs it.

    python -m tide.render.precompile [TEMPLATES]      (default: the project's templates/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tide.config import ConfigError, load_config
from tide.render.compiled import write_store


def main(argv: list[str]) -> int:
    try:
        templates = Path(argv[0]).absolute() if argv else load_config(Path.cwd()).root / "templates"
        print(write_store(templates))
    except ConfigError as exc:  # a broken template: the build that uses it says so, in place
        print(f"tide.render.precompile: nothing written: {exc}", file=sys.stderr)
    except OSError as exc:  # a read-only install: builds compile the templates, as without it
        print(f"tide.render.precompile: nothing written: {exc.strerror or exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
