"""The pipeline, end to end: load -> validate -> enrich -> render/export -> write.

Functions here only sequence the stages; each stage lives in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tide.config import Config
from tide.diagnostics import Diagnostic
from tide.load import Document, discover, load_file
from tide.model import AttackInfo, Catalogue
from tide.validate import validate_documents


@dataclass
class Result:
    """What a run found: the diagnostics, how many files it read, which ATT&CK data it used."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    attack: AttackInfo | None = None
    catalogue: Catalogue | None = None

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


def check(paths: list[Path], config: Config, attack_file: Path | None = None,
          enrich: bool = False) -> Result:
    """Load and validate `paths` (files or directories); enrich into a catalogue if asked and clean."""
    from tide.attack import load_attack

    result = Result()
    files, problems = discover(paths)
    result.diagnostics.extend(problems)
    result.files = len(files)
    attack = load_attack(attack_file, config)
    result.attack = attack.info
    docs: list[Document] = []
    for path in files:
        doc, found = load_file(path)
        result.diagnostics.extend(found)
        if doc is not None:
            docs.append(doc)
    result.diagnostics.extend(validate_documents(docs, attack))
    result.diagnostics.sort()
    if enrich and not result.errors:
        from tide.enrich import enrich as enrich_documents

        result.catalogue = enrich_documents(docs, attack, attack.info)
    return result


def compile_catalogue(paths: list[Path], config: Config,
                      attack_file: Path | None = None) -> tuple[Catalogue | None, list[Diagnostic]]:
    """Validated, enriched catalogue of `paths`, or None when there are errors."""
    result = check(paths, config, attack_file, enrich=True)
    return result.catalogue, result.diagnostics


Producer = Callable[[Catalogue, Config, Path, Path], dict[str, bytes]]


def build(paths: list[Path], out: Path, config: Config, *, site: bool = True,
          attack_file: Path | None = None, templates: Path | None = None) -> Result:
    """Validate, then write every output into a staging directory swapped in at the end."""
    from tide.output import Staging

    result = check(paths, config, attack_file, enrich=True)
    if result.catalogue is None:
        return result
    catalogue = result.catalogue
    templates = templates or config.root / "templates"
    with Staging(out) as stage:
        for rel, data in outputs(catalogue, config, out, templates).items():
            stage.write(rel, data)
        if site:
            from tide.render import render_markdown
            from tide.site import build_site

            pages = render_markdown(catalogue, templates, flavour="mkdocs")
            problems = build_site(pages, config.root / "site", stage.path("site"), config, catalogue.attack)
            result.diagnostics.extend(problems)
            if any(d.is_error for d in problems):
                return result  # the staging directory is dropped; the previous build stays
        stage.commit()
    return result


def outputs(catalogue: Catalogue, config: Config, out: Path, templates: Path) -> dict[str, bytes]:
    """Every file of the build except the HTML site, by path relative to the output directory."""
    from tide.index_json import index_json
    from tide.misp import export_misp, read_previous_feed
    from tide.navigator import navigator_layer
    from tide.render import render_markdown, vector_page

    files: dict[str, bytes] = {}
    for rel, text in render_markdown(catalogue, templates, flavour="portable").items():
        files[f"markdown/{rel}"] = text.encode("utf-8")
    for rel, data in export_misp(catalogue, config, read_previous_feed(out / "misp")).items():
        files[f"misp/{rel}"] = data
    files["attack-navigator.json"] = navigator_layer(catalogue)
    files["index.json"] = index_json(catalogue, vector_page)
    return files
