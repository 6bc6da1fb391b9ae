"""Page templates compiled ahead of time (tide.render.compiled): taken from the store only while
they are what the store was made from, and then the same pages come out."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from test_render_pages import catalogue, chained

from tide.render import compiled
from tide.render.compiled import Compiled, read_store, write_store
from tide.render.pages import PAGE_KINDS, carry_markdown, compile_templates

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
NAMES = {kind.template for kind in PAGE_KINDS}


class Compiles:
    """Counts what Jinja compiles (the store spares every compile it holds)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        compile_source = jinja2.Environment.compile

        def counting(env: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kw: Any) -> Any:
            self.names.append(str(name))
            return compile_source(env, source, name, *args, **kw)

        monkeypatch.setattr(jinja2.Environment, "compile", counting)


def pages(templates: Path, compiled: Compiled) -> dict[str, bytes | None]:
    import tide.render.pages as pages_module

    compile_templates(templates, compiled)  # into `compiled`; pages render with the process's own
    saved = pages_module._COMPILED
    pages_module._COMPILED = compiled
    try:
        return dict(carry_markdown(catalogue(*chained()), templates, "portable", None, None))
    finally:
        pages_module._COMPILED = saved


def test_the_project_s_templates_come_from_the_store_and_make_the_same_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = write_store(TEMPLATES, tmp_path / "store.bin")
    assert len(read_store(store)) == len(NAMES)
    expected = pages(TEMPLATES, Compiled(store=None))
    compiles = Compiles(monkeypatch)
    assert pages(TEMPLATES, Compiled(store)) == expected
    assert compiles.names == []


def test_an_edited_template_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    store = write_store(templates, tmp_path / "store.bin")
    vector = templates / "vector.md.j2"
    vector.write_text(vector.read_text("utf-8").replace("## 👁️ Description", "## Edited"), "utf-8")
    compiles = Compiles(monkeypatch)
    made = pages(templates, Compiled(store))
    assert compiles.names == ["vector.md.j2"]
    assert any(page is not None and b"## Edited" in page for page in made.values())


@pytest.mark.parametrize("spoil", ["other settings", "damaged", "missing"])
def test_a_store_made_otherwise_or_damaged_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       spoil: str) -> None:
    store = write_store(TEMPLATES, tmp_path / "store.bin")
    if spoil == "other settings":  # another Jinja, or tide's environment set up otherwise
        monkeypatch.setattr(compiled, "_stamp", lambda: ("0.0", "0" * 64))
    elif spoil == "damaged":
        store.write_bytes(store.read_bytes()[: len(store.read_bytes()) // 2])
    else:
        store.unlink()
    assert read_store(store) == {}
    compiles = Compiles(monkeypatch)
    compile_templates(TEMPLATES, Compiled(store))
    assert sorted(compiles.names) == sorted(NAMES)


def test_the_command_writes_the_store_of_the_project_s_templates(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "templates" / "vector.md.j2").write_text("{% if %}", "utf-8")  # broken: nothing written
    done = subprocess.run([sys.executable, "-m", "tide.render.precompile"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "nothing written" in done.stderr and "vector.md.j2" in done.stderr
