"""The static site stage: generated Markdown pages + the `site/` MkDocs project -> HTML.

`build_site` assembles a MkDocs project in a private staging directory (the hand-written pages of
`site/docs/`, the generated pages, and a copy of the user's `mkdocs.yml` with what the build knows
filled in), runs MkDocs in strict mode (its page loops on every core: tide.site_parallel),
turns every MkDocs warning into a Diagnostic, checks that no page carries script that object
text could have smuggled in (tide.site_safety), and only then moves the finished HTML into
`out_dir`. A failure leaves `out_dir` as it was.
"""

from __future__ import annotations

import contextlib
import filecmp
import functools
import html
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import yaml

from tide.cache import Memo
from tide.config import Config
from tide.diagnostics import Diagnostic, error
from tide.model import AttackInfo
from tide.site_safety import check_site_safety

if TYPE_CHECKING:
    from tide.site_carry import SiteCarry

ATTACK_NOTICE = (
    "© The MITRE Corporation. This work is reproduced and distributed with the permission of "
    "The MITRE Corporation."
)

CONFIG = "mkdocs.yml"
DOCS = "docs"

# Sections of the navigation, in reading order, when the generated pages provide their index.
# Object pages stay out of the nav on purpose: MkDocs renders the whole nav into every page, so
# a nav of N pages makes the build O(N²); the index tables link to them instead.
NAV_ORDER = ("threat-vectors", "techniques", "actors", "platforms", "domains", "targets", "vocabularies")

# A date for the sitemap and the gzip header when SOURCE_DATE_EPOCH is not set, so that two
# builds of the same input are byte-identical (2000-01-01T00:00:00Z).
DEFAULT_SOURCE_DATE_EPOCH = "946684800"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n", re.S)
_MARKUP_CHARS = re.compile("[&<>\"']")  # what html.escape(quote=True) changes
_DOC_FILE = re.compile(r"(?:Doc file|Error reading page|Error building page) '([^']+)'")


def build_site(
    pages: Mapping[str, str],
    project_site_dir: Path,
    out_dir: Path,
    config: Config,
    attack: AttackInfo,
    *,
    project_dir: Path | None = None,
    sources: Mapping[str, str] | None = None,
    memo: Memo | None = None,
    carry: SiteCarry | None = None,
) -> list[Diagnostic]:
    """Build the HTML site of `pages` (relative POSIX path -> Markdown) into `out_dir`.

    `project_site_dir` is the user's MkDocs project (`site/`). When the build succeeds, `out_dir`
    is replaced by the new site and, if `project_dir` is given, the assembled MkDocs project is
    left there (for `mkdocs serve` or another builder). When it fails, the returned diagnostics
    say why and neither directory is touched.

    `sources` maps an object page to its object file, relative to the directory that
    `config.edit_uri` names (`threat-vectors/x.yaml`): the page gets an edit link there and
    diagnostics about it name that file. A `source:` key in the page's front matter does the
    same; pages with neither get no edit link. With a `memo`, what an earlier build made of a page
    that did not change (its HTML, its search entries) is not made again (tide.site_memo). With a
    `carry`, the previous build's site is taken over whole when nothing it was made from changed
    (tide.site_carry); `out_dir` is then the staging directory's "site" folder.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as tmp:
        project = Path(tmp) / "project"
        diagnostics = assemble_project(pages, project_site_dir, project, config, attack)
        if any(d.is_error for d in diagnostics):
            return diagnostics
        found = page_sources(pages, project_site_dir, config, sources)
        key = (carry.key(project, (project / CONFIG).read_text("utf-8"), found.edit_urls, found.display)
               if carry else None)
        kept = carry.take(key) if carry and key else None
        if kept is None:
            html_dir = Path(tmp) / "html"
            made = run_mkdocs(project / CONFIG, html_dir, found, memo)
            if not any(d.is_error for d in made):
                made += check_site_safety(html_dir, pages, found.display)
            diagnostics += made
            if any(d.is_error for d in made):
                return diagnostics
            _replace_dir(html_dir, out_dir)
            if carry and key:
                carry.made(key, out_dir, made)
        else:
            diagnostics += kept
        if project_dir is not None:
            sync_tree(project, Path(project_dir))
    return diagnostics


# --------------------------------------------------------------------------------------------
# Assembling the MkDocs project


def assemble_project(
    pages: Mapping[str, str],
    project_site_dir: Path,
    dest: Path,
    config: Config,
    attack: AttackInfo,
) -> list[Diagnostic]:
    """Write into `dest` a complete MkDocs project: the user's, plus the generated pages."""
    project_site_dir = Path(project_site_dir)
    user_config_path = project_site_dir / CONFIG
    where = _display(user_config_path, config)
    if not user_config_path.is_file():
        return [error(where, 0, 0, "site-config", "the site's MkDocs configuration is missing")]
    try:
        user_text = user_config_path.read_text(encoding="utf-8")
        user_config = load_mkdocs_yaml(user_text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        line, column = _yaml_position(exc)
        return [error(where, line, column, "site-config", f"cannot read the site configuration: {exc}")]
    if not isinstance(user_config, dict):
        return [error(where, 1, 1, "site-config", "the site configuration must be a mapping")]

    docs_src = project_site_dir / DOCS
    diagnostics: list[Diagnostic] = []
    for rel in sorted(pages):
        problem = _unsafe_page_path(rel)
        if problem:
            diagnostics.append(error(rel, 0, 0, "site-page-path", f"generated page {rel!r}: {problem}"))
        elif not _page_title(pages[rel]):
            # Without one MkDocs titles the page from its first heading with HTML entities
            # decoded, and the theme prints that title unescaped: escaped object text would
            # become markup again.
            diagnostics.append(error(display_rel(rel, pages), 0, 0, "site-page-title",
                                     f"generated page {rel!r} has no title in its front matter"))
        elif (docs_src / rel).exists():
            diagnostics.append(error(
                _display(docs_src / rel, config), 0, 0, "site-page-clash",
                f"this hand-written page has the path of the generated page {rel!r}",
            ))
    if diagnostics:
        return diagnostics

    dest.mkdir(parents=True, exist_ok=True)
    for entry in sorted(project_site_dir.iterdir()):
        # The user's own build output, if any, is not part of the project.
        if entry.name in (CONFIG, "site") or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name)
        else:
            shutil.copy2(entry, dest / entry.name)
    docs = dest / DOCS
    docs.mkdir(exist_ok=True)
    for rel, text in sorted(pages.items()):
        target = docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(neutralise_front_matter(text), encoding="utf-8", newline="\n")

    if not (docs / "index.md").is_file():
        return [error(where, 0, 0, "site-no-home",
                      "neither the generated pages nor site/docs/ have an index.md")]

    generated: dict[str, Any] = {
        "site_name": html.escape(config.site_name),
        "docs_dir": DOCS,
        "site_dir": "site",
        "copyright": footer_html(user_config.get("copyright"), attack),
    }
    if config.repo_url:
        generated["repo_url"] = config.repo_url
    # MkDocs would point every page at `edit_uri + docs path`, which is not where objects live:
    # object pages get their own link (see _set_edit_links) and other pages none.
    generated["edit_uri"] = ""
    if "nav" not in user_config:
        generated["nav"] = _navigation(docs, pages)
    header = (
        "# Assembled by `tide build` from site/mkdocs.yml (edit that file, not this one) and the\n"
        "# settings it fills in, at the end. A plain MkDocs project: `mkdocs serve -f <this file>`.\n"
    )
    body = yaml.safe_dump(generated, sort_keys=False, allow_unicode=True, width=1000)
    try:
        user_part = without_top_level_keys(user_text, set(generated)).rstrip("\n")
    except ValueError as exc:
        return [error(where, 1, 1, "site-config", str(exc))]
    body = f"{header}\n{user_part}\n\n# Filled in by tide build.\n{body}"
    twice = _repeated_top_level_keys(body)
    if twice:
        return [error(where, 1, 1, "site-config",
                      f"tide fills in {', '.join(twice)}: write site/mkdocs.yml in block style, "
                      "or leave these settings out of it")]
    (dest / CONFIG).write_text(body, encoding="utf-8", newline="\n")
    return []


def _repeated_top_level_keys(text: str) -> list[str]:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    seen: set[str] = set()
    twice: list[str] = []
    for key, _value in root.value if isinstance(root, yaml.MappingNode) else []:
        if isinstance(key, yaml.ScalarNode):
            if key.value in seen:
                twice.append(key.value)
            seen.add(key.value)
    return twice


def without_top_level_keys(text: str, keys: set[str]) -> str:
    """`text` (a YAML mapping in block style) without the entries of `keys`, comments kept.

    The assembled mkdocs.yml is the user's file plus the settings tide fills in, as one plain
    file (no INHERIT), so any MkDocs compatible builder reads it; a setting the user wrote and
    tide fills in is taken out rather than written twice.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # nodes only: custom tags need no constructor
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise ValueError("site/mkdocs.yml must be a mapping in block style")
    spans = []
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value in keys:
            start = text.rfind("\n", 0, key.start_mark.index) + 1  # from the start of its line
            end = value.end_mark.index
            if isinstance(value, yaml.ScalarNode):  # a scalar ends mid-line: take the line end
                newline = text.find("\n", end)
                end = len(text) if newline < 0 else newline + 1
            spans.append((start, end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[end:]
    return text


def neutralise_front_matter(text: str) -> str:
    """HTML-escape every string of a generated page's front matter.

    Material prints front matter (title, description, tags) into its templates unescaped, so an
    object named `<img src=x onerror=...>` would become markup in the page header, the title
    and the tags. Escaped, it shows as the text it is. The page body is left to the renderer.
    """
    match = _FRONT_MATTER.match(text)
    if not match or not match.group(1) or not _MARKUP_CHARS.search(match.group(1)):
        return text  # none of these characters, no string to escape (YAML escapes need a `"`)
    try:
        meta = _load_front_matter(match.group(1))
    except yaml.YAMLError:
        return text  # MkDocs reports the broken front matter; strict mode fails the build
    escaped = _escape_strings(meta)
    if escaped == meta:
        return text
    dumped = yaml.safe_dump(escaped, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{dumped}---\n{text[match.end():]}"


def _escape_strings(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list):
        return [_escape_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape_strings(item) for key, item in value.items()}
    return value


def footer_html(user_copyright: object, attack: AttackInfo) -> str:
    """The footer line: the user's copyright, if any, then ATT&CK's version and MITRE's notice."""
    parts = []
    if isinstance(user_copyright, str) and user_copyright.strip():
        parts.append(user_copyright.strip())  # the site owner's own HTML, as MkDocs allows
    version = f" v{attack.version}" if attack.version else ""
    notice = attack.notice or ATTACK_NOTICE
    parts.append(
        f'<span class="tide-attack-notice">MITRE ATT&amp;CK®{html.escape(version)}. '
        f"{html.escape(notice)}</span>"
    )
    return "<br>".join(parts)


def _navigation(docs: Path, pages: Mapping[str, str]) -> list[Any]:
    """Home, the generated index pages (`threat-vectors.md` or `threat-vectors/index.md`), then
    the hand-written top-level pages. Nothing below the top level: see NAV_ORDER."""

    def order(rel: str) -> tuple[int, str]:
        stem = PurePosixPath(rel).parts[0].removesuffix(".md")
        return (NAV_ORDER.index(stem) if stem in NAV_ORDER else len(NAV_ORDER), rel)

    nav: list[Any] = [{"Home": "index.md"}]
    indexes = [rel for rel in pages if rel != "index.md" and (
        "/" not in rel or (rel.count("/") == 1 and rel.endswith("/index.md")))]
    for rel in sorted(indexes, key=order):
        nav.append({_page_title(pages[rel]): rel})
    for path in sorted(docs.glob("*.md")):
        if path.name != "index.md" and path.name not in pages:
            nav.append(path.name)
    return nav


def _page_title(text: str) -> str:
    title = _front_matter(text).get("title")
    return title.strip() if isinstance(title, str) else ""


def _front_matter(text: str) -> dict[str, Any]:
    """The front matter of a page, for reading only: it may be shared with other callers."""
    match = _FRONT_MATTER.match(text)
    if not match or not match.group(1):
        return {}
    try:
        data = _load_front_matter(match.group(1))
    except yaml.YAMLError:
        return {}  # MkDocs reports it when it reads the page
    return data if isinstance(data, dict) else {}


# The build reads each page's front matter several times (title, source, escaping): parse each
# block once, with libyaml where PyYAML has it, as MkDocs does (pure Python, it cost a second
# per thousand pages, each time). Sized for the pages of 15,000 vectors: read in turn, a smaller
# cache would drop each block before its next reading.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=16384)
def _load_front_matter(block: str) -> Any:
    return yaml.load(block, Loader=_SAFE_LOADER)


def display_rel(rel: str, pages: Mapping[str, str]) -> str:
    """How diagnostics name generated page `rel`: its object's `source`, else the page path."""
    source = _front_matter(pages[rel]).get("source")
    return source if isinstance(source, str) and source else f"<generated>/{rel}"


def _unsafe_page_path(rel: str) -> str:
    """Why a generated page's path could not be written safely inside the docs dir, or ""."""
    if not rel.endswith(".md"):
        return "pages must be Markdown files (.md)"
    if "\\" in rel or "\0" in rel:
        return "backslashes and NUL are not allowed in page paths"
    path = PurePosixPath(rel)
    if path.is_absolute() or any(part in ("", ".", "..") for part in rel.split("/")):
        return "page paths must be relative and must not contain '.' or '..' components"
    if any(part.startswith(".") for part in path.parts):
        return "hidden files are not published"
    if path.parts[0] == "assets":
        return "assets/ is reserved for the site's own files"
    return ""


def load_mkdocs_yaml(text: str) -> Any:
    # MkDocs' own loader knows its tags (!ENV, !relative, !!python/name:...).
    from mkdocs.utils.yaml import get_yaml_loader

    return yaml.load(text, Loader=get_yaml_loader())  # the project's own, trusted file


def _yaml_position(exc: BaseException) -> tuple[int, int]:
    mark = getattr(exc, "problem_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _display(path: Path, config: Config) -> str:
    try:
        return Path(path).resolve().relative_to(Path(config.root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


@dataclass(frozen=True)
class _Sources:
    """Where each page of the site comes from, for diagnostics and edit links."""

    display: dict[str, str] = field(default_factory=dict)  # docs path -> path shown to the user
    edit_urls: dict[str, str] = field(default_factory=dict)  # docs path -> edit link


def page_sources(pages: Mapping[str, str], project_site_dir: Path, config: Config,
                 sources: Mapping[str, str] | None = None) -> _Sources:
    """Where each docs page comes from (shown in diagnostics) and its edit link, if any."""
    display: dict[str, str] = {}
    edit_urls: dict[str, str] = {}
    for rel, text in pages.items():
        source = (sources or {}).get(rel) or _front_matter(text).get("source")
        display[rel] = source if isinstance(source, str) and source else display_rel(rel, pages)
        if isinstance(source, str) and source and config.repo_url and config.edit_uri:
            edit_urls[rel] = edit_url(config.repo_url, config.edit_uri, source)
    docs = Path(project_site_dir) / DOCS
    if docs.is_dir():
        for path in docs.rglob("*.md"):
            display[path.relative_to(docs).as_posix()] = _display(path, config)
    return _Sources(display, edit_urls)


def edit_url(repo_url: str, edit_uri: str, source: str) -> str:
    """`repo_url` + `edit_uri` + the object's path below the directory `edit_uri` names."""
    base = repo_url if repo_url.endswith("/") else repo_url + "/"
    prefix = edit_uri if edit_uri.endswith("/") else edit_uri + "/"
    return urljoin(base, prefix.lstrip("/")) + "/".join(
        part for part in PurePosixPath(source).parts if part not in ("/", "..", ".")
    )


# --------------------------------------------------------------------------------------------
# Running MkDocs


class _Collector(logging.Handler):
    """Keeps MkDocs' warnings and errors instead of letting them reach the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _captured_mkdocs_logs() -> Iterator[_Collector]:
    logger = logging.getLogger("mkdocs")
    collector = _Collector()
    saved = (logger.propagate, logger.level)
    logger.addHandler(collector)
    logger.propagate = False
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield collector
    finally:
        logger.removeHandler(collector)
        logger.propagate, level = saved
        logger.setLevel(level)


@contextlib.contextmanager
def _source_date_epoch() -> Iterator[None]:
    # MkDocs stamps the sitemap with the build date; honour SOURCE_DATE_EPOCH, else a fixed date.
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if saved is None:
        os.environ["SOURCE_DATE_EPOCH"] = DEFAULT_SOURCE_DATE_EPOCH
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def run_mkdocs(config_file: Path, site_dir: Path, sources: _Sources | None = None,
               memo: Memo | None = None) -> list[Diagnostic]:
    """Build `config_file` strictly into `site_dir`; every warning becomes an error Diagnostic."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from tide import site_parallel
    from tide.outputs import jobs

    sources = sources or _Sources()
    failure: str = ""
    with _captured_mkdocs_logs() as collector, _source_date_epoch():
        try:
            cfg = load_config(config_file=str(config_file), strict=True, site_dir=str(site_dir))
            _set_edit_links(cfg, sources.edit_urls)
            cfg.plugins.on_startup(command="build", dirty=False)
            try:
                if site_parallel.usable(cfg):
                    site_parallel.build(cfg, collector.records, min(jobs(), 8), memo)
                else:
                    build(cfg)
            finally:
                cfg.plugins.on_shutdown()
        except MkDocsException as exc:
            failure = str(exc)
        except Exception as exc:  # a theme, plugin or extension failure is a build failure too
            failure = f"{type(exc).__name__}: {exc}"
    diagnostics = [_diagnostic(record, sources) for record in collector.records]
    if failure and not (diagnostics and failure.startswith("Aborted with")):
        diagnostics.append(error(_display_config(config_file), 0, 0, "site-build", _one_line(failure)))
    return diagnostics


def _display_config(config_file: Path) -> str:
    return f"{config_file.parent.name}/{config_file.name}" if config_file.parent.name else config_file.name


def _set_edit_links(cfg: Any, edit_urls: Mapping[str, str]) -> None:
    """Give object pages an edit link to their source file, without a plugin in mkdocs.yml."""
    if not edit_urls:
        return
    from mkdocs.plugins import BasePlugin

    class _EditLinks(BasePlugin):
        def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
            url = edit_urls.get(page.file.src_uri)
            if url:
                page.edit_url = url
            return markdown

    cfg.plugins["tide/edit-links"] = _EditLinks()


def _diagnostic(record: logging.LogRecord, sources: _Sources) -> Diagnostic:
    message = _one_line(record.getMessage())
    path = "site/mkdocs.yml"
    match = _DOC_FILE.search(message)
    if match:
        path = sources.display.get(match.group(1), f"<generated>/{match.group(1)}")
    code = "site-warning" if record.levelno < logging.ERROR else "site-error"
    return error(path, 0, 0, code, message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Moving results into place


def _replace_dir(src: Path, dest: Path) -> None:
    """Put directory `src` at `dest`, replacing what was there with two renames."""
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        dest.rename(old)
        src.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        src.rename(dest)


def sync_tree(src: Path, dest: Path) -> None:
    """Make `dest` a copy of `src`, rewriting only changed files.

    Done in place (not by swapping directories) so that a running `mkdocs serve` watching
    `dest` sees edits and reloads, instead of losing the directory it watches.
    """
    dest.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        wanted.add(rel)
        target = dest / rel
        if path.is_dir():
            if target.exists() and not target.is_dir():
                target.unlink()
            target.mkdir(exist_ok=True)
        elif not (target.is_file() and filecmp.cmp(path, target, shallow=False)):
            if target.is_dir():
                shutil.rmtree(target)
            shutil.copy2(path, target)
    for path in sorted(dest.rglob("*"), reverse=True):
        if path.relative_to(dest) not in wanted:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


# --------------------------------------------------------------------------------------------
# Serving live for authors


def serve_site(
    rebuild: Callable[[Path], list[Diagnostic]],
    watch: Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    report: Callable[[list[Diagnostic]], None] = lambda diagnostics: None,
    ready: Callable[[str, Callable[[], None]], None] | None = None,
) -> None:
    """Serve the site with live reload until interrupted; rebuild it when `watch` changes.

    `rebuild(out_dir)` runs the whole pipeline into `out_dir` (with `build_site`) and returns its
    diagnostics, which go to `report`. A failed rebuild keeps the last good site on screen, as
    `build_site` leaves `out_dir` alone. `ready(url, stop)` is called just before the server
    starts listening; `stop()` ends `serve_site` from another thread.
    """
    from mkdocs.livereload import LiveReloadServer

    with tempfile.TemporaryDirectory(prefix="tide-serve-") as tmp:
        out = Path(tmp) / "site"

        def builder() -> None:
            diagnostics = rebuild(out)
            report(diagnostics)
            if not out.is_dir():  # nothing good to show yet: an empty page, not a crash
                out.mkdir()

        builder()
        server = LiveReloadServer(builder=builder, host=host, port=port, root=str(out))
        for path in watch:
            if Path(path).exists():
                server.watch(str(path))
        try:
            if ready is not None:
                ready(server.url, server.shutdown)  # the URL answers once serve() listens
            server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
