"""Page templates compiled once: in memory for a process, and ahead of time for the project's own
templates, so that a build does not begin by compiling them (~20 ms, on one core, before the
first page of a small catalogue).

    python -m tide.render.precompile [TEMPLATES]      (default: the project's templates/)

writes the code Jinja compiles the page templates to into tide/render/__pycache__, for this
Python only, as Python does with bytecode; `make` runs it. A template's code is taken from there
only while the template's text, Jinja's version and tide's environment settings are the ones it
was compiled with; anything else is compiled at run time, as without the file.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from types import CodeType

import jinja2

STORE = Path(__file__).parent / "__pycache__" / f"page-templates.{sys.implementation.cache_tag}.bin"
_SETTINGS = Path(__file__).parent / "pages.py"  # where the environment is set up

Codes = dict[tuple[str, str], CodeType]  # by Jinja's key (template name and file) and source checksum


class Compiled(jinja2.BytecodeCache):
    """Templates compiled once per process, kept by file and source checksum (an edited template
    is compiled again). Every environment here has the same settings, so they share the code;
    forked workers inherit it. Compiling the page templates costs ~20 ms, ~8 ms of it the vector
    page's, which each output worker would otherwise pay again. Code missing here is looked for
    in `store` (see the module) before Jinja compiles it."""

    def __init__(self, store: Path | None = STORE) -> None:
        self.codes: Codes = {}
        self._store = store
        self._stored: Codes | None = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        key = (bucket.key, bucket.checksum)
        code = self.codes.get(key) or self.stored().get(key)
        if code is not None:  # else Jinja compiles the template, and dumps its code here
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self.codes[(bucket.key, bucket.checksum)] = bucket.code

    def stored(self) -> Codes:
        if self._stored is None:
            self._stored = read_store(self._store) if self._store is not None else {}
        return self._stored


def _stamp() -> tuple[str, str]:
    return jinja2.__version__, hashlib.sha256(_SETTINGS.read_bytes()).hexdigest()


def read_store(path: Path) -> Codes:
    """The codes in `path`, or none when it is missing, damaged or made under other settings."""
    try:
        stamp, codes = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if stamp != _stamp() or not isinstance(codes, dict):
        return {}
    return {key: code for key, code in codes.items() if isinstance(code, CodeType)}


def write_store(templates: Path, path: Path = STORE) -> Path:
    """Compile the page templates of `templates` and keep their code in `path` (replaced whole)."""
    from tide.render.pages import compile_templates

    fresh = Compiled(store=None)
    compile_templates(templates, fresh)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(marshal.dumps((_stamp(), fresh.codes)))
    os.replace(temporary, path)
    return path
