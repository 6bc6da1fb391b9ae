"""The one table of page kinds, and the one loop that renders them all."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import jinja2
import yaml

from tide.cache import Memo
from tide.config import ConfigError
from tide.model import Catalogue, Vector
from tide.render.catalogue_views import CatalogueViews
from tide.render.compiled import Compiled
from tide.render.links import check_path, page_uuid
from tide.render.lookup import ENTRY_PAGE_FIELDS, Lookup, build_lookup
from tide.render.memo import MemoRun, setup_digest
from tide.render.tags import vector_tags
from tide.shares import Share, every
from tide.slug import slugify

if TYPE_CHECKING:
    from tide.output import FolderCarryover

FLAVOURS = ("portable", "mkdocs")


@dataclass(frozen=True)
class Page:
    slug: str  # "" for a kind with a single page
    title: str  # plain text, for the front matter
    uuid: str  # "" means: a stable uuid5 of the page path
    tags: Callable[[], tuple[str, ...]]  # for the MkDocs flavour only: computed when asked
    view: Callable[[str], dict[str, Any]]  # the page path -> what the template prints
    # Set on vector pages only (views.vector_view): their memo key is made from the inputs that
    # view reads (memo.PageKeys.vector_page_key), not from the view itself.
    vector: Vector | None = None
    # Catalogue pages: what the page is about and the vectors it lists (None: every vector),
    # which with the catalogue's slugs are its memo key (memo.PageKeys.catalogue_page_key).
    item: Any = None
    listed: Sequence[Vector] | None = None


@dataclass(frozen=True)
class PageKind:
    kind: str
    path: str  # output path, with `{slug}` for kinds with one page per item
    template: str
    pages: Callable[[CatalogueViews], Iterable[Page]]  # the pages of this kind


T = TypeVar("T")


def _bind(method: Callable[[str, T], dict[str, Any]], item: T) -> Callable[[str], dict[str, Any]]:
    def view(here: str) -> dict[str, Any]:
        return method(here, item)
    return view


PageList = Callable[[CatalogueViews], Iterable[Page]]


def _no_tags() -> tuple[str, ...]:
    return ()


def _tag_names(vector: Vector) -> tuple[str, ...]:
    return tuple(t.name for t in vector_tags(vector))


def _one(title: str, view: Callable[[CatalogueViews, str], dict[str, Any]]) -> PageList:
    return lambda views: [Page("", title, "", _no_tags, lambda here: view(views, here))]


def _vectors(views: CatalogueViews) -> Iterable[Page]:
    for vector in views.look.catalogue.vectors:
        yield Page(vector.slug, vector.name, vector.uuid, partial(_tag_names, vector),
                   _bind(views.vector_view, vector), vector)


def _techniques(views: CatalogueViews) -> Iterable[Page]:
    for tid, technique in sorted(views.look.techniques.items()):
        yield Page(views.look.technique_slugs[tid], f"{tid} {technique.full_name or technique.name}", "", _no_tags,
                   _bind(views.technique_view, technique), item=technique,
                   listed=[c.vector for c in views.look.citations.get(tid, [])])


def _actors(views: CatalogueViews) -> Iterable[Page]:
    for key, actor in sorted(views.look.actors.items()):
        yield Page(views.look.actor_slugs[key], actor.name, "", _no_tags, _bind(views.actor_view, actor), item=actor,
                   listed=[v for v, _ in views.look.actor_vectors.get(key, [])])


def _entries(field: str) -> PageList:
    def pages(views: CatalogueViews) -> Iterable[Page]:
        for entry in _used(views, field):
            slug = views.look.entry_slug(entry)
            assert slug is not None
            yield Page(slug, entry.name, "", _no_tags, _bind(views.entry_view, entry), item=entry,
                       listed=views.look.entry_vectors.get((entry.vocabulary, entry.name), []))
    return pages


def _entry_index(field: str) -> PageList:
    return _one(views_title(field), lambda views, here: views.entries_view(here, field, _used(views, field)))


def _used(views: CatalogueViews, field: str) -> list[Any]:
    return sorted((e for (f, _), e in views.look.entries.items() if f == field), key=lambda e: (e.name.lower(), e.name))


def views_title(field: str) -> str:
    return {"platforms": "Platforms", "domains": "Domains", "targets": "Targets"}.get(field, field.title())


def _vocabularies(views: CatalogueViews) -> Iterable[Page]:
    for name, vocabulary in sorted(views.vocabularies.items()):
        listed = [v for e in vocabulary.entries for v in views.look.entry_vectors.get((e.vocabulary, e.name), [])]
        yield Page(slugify(name), vocabulary.title or vocabulary.name, "", _no_tags,
                   _bind(views.vocabulary_view, vocabulary), item=name, listed=listed)


def _home(views: CatalogueViews, here: str) -> dict[str, Any]:
    look = views.look
    counts = [("Threat vectors", page_path("vector-index"), len(look.catalogue.vectors)),
              ("ATT&CK techniques", page_path("technique-index"), len(look.techniques)),
              ("Threat actors", page_path("actor-index"), len(look.actors))]
    counts += [(views_title(f), page_path(f"{f}-index"), len(_used(views, f))) for f in ENTRY_PAGE_FIELDS]
    counts.append(("Vocabularies", page_path("vocabulary-index"), len(views.vocabularies)))
    return views.home_view(here, counts)


PAGE_KINDS: tuple[PageKind, ...] = (
    PageKind("home", "index.md", "home.md.j2", _one("OpenTide threat vectors", _home)),
    PageKind("vector-index", "threat-vectors.md", "vectors.md.j2",
             _one("Threat vectors", lambda views, here: views.vectors_view(here))),
    PageKind("vector", "threat-vectors/{slug}.md", "vector.md.j2", _vectors),
    PageKind("technique-index", "techniques.md", "techniques.md.j2",
             _one("ATT&CK coverage", lambda views, here: views.techniques_view(here))),
    PageKind("technique", "techniques/{slug}.md", "technique.md.j2", _techniques),
    PageKind("actor-index", "actors.md", "actors.md.j2",
             _one("Threat actors", lambda views, here: views.actors_view(here))),
    PageKind("actor", "actors/{slug}.md", "actor.md.j2", _actors),
    *(kind for field in ENTRY_PAGE_FIELDS for kind in (
        PageKind(f"{field}-index", f"{field}.md", "entries.md.j2", _entry_index(field)),
        PageKind(field, f"{field}/{{slug}}.md", "entry.md.j2", _entries(field)))),
    PageKind("vocabulary-index", "vocabularies.md", "vocabularies.md.j2",
             _one("Vocabularies", lambda views, here: views.vocabularies_view(here))),
    PageKind("vocabulary", "vocabularies/{slug}.md", "vocabulary.md.j2", _vocabularies),
)
_BY_KIND = {kind.kind: kind for kind in PAGE_KINDS}


def page_path(kind: str, slug: str = "") -> str:
    """The output path of a page of `kind` (see PAGE_KINDS) for the item `slug`."""
    return check_path(_BY_KIND[kind].path.format(slug=slug))


def vector_page(vector: Vector) -> str:
    """The output path of a vector's page, relative to the Markdown output directory."""
    return page_path("vector", vector.slug)


_COMPILED = Compiled()


def environment(templates: Path, compiled: Compiled | None = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), undefined=jinja2.StrictUndefined,
                             autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=compiled if compiled is not None else _COMPILED)
    env.filters["join"] = _join
    return env


@jinja2.pass_eval_context
def _join(eval_ctx: jinja2.nodes.EvalContext, value: Any, d: str = "", attribute: str | int | None = None) -> str:
    """Jinja's `join`, straight to `str.join` for the table rows the views give (lists of strings):
    its own goes through an async-aware wrapper and a conversion of each item, ~1.5 against ~0.3 µs
    a row, and a catalogue of 10,000 vectors has ~140,000 rows. Anything else goes to Jinja's."""
    if attribute is None and type(value) is list and not eval_ctx.autoescape:
        try:
            return d.join(value)
        except TypeError:  # not every item a string: Jinja's join makes each one a string
            pass
    return jinja2.filters.sync_do_join(eval_ctx, value, d, attribute)


def compile_templates(templates: Path, compiled: Compiled | None = None) -> None:
    """Compile every page template now (see tide.render.compiled); a broken one raises ConfigError."""
    env = environment(templates, compiled)
    for name in sorted({kind.template for kind in PAGE_KINDS}):
        _template(env, templates, name)


def render_markdown(catalogue: Catalogue, templates: Path, flavour: str = "portable",
                    memo: Memo | None = None) -> dict[str, str]:
    """Every Markdown page of the catalogue: output path -> page text, sorted by path.
    A missing or broken template raises ConfigError naming the file. With a `memo` (see
    `tide.render.memo`), pages whose inputs are unchanged since a render that used the same memo
    are taken from it instead of being rendered again."""
    return {path: page.decode("utf-8") for path, page in sorted(iter_markdown(catalogue, templates, flavour, memo))}


def iter_markdown(catalogue: Catalogue, templates: Path, flavour: str = "portable",
                  memo: Memo | None = None) -> Iterator[tuple[str, bytes]]:
    """The pages of `render_markdown` one at a time, in page-kind order, as the UTF-8 bytes they
    are written as, so that a caller can write each and let it go: 10,000 vectors make hundreds
    of megabytes of text."""
    for path, page in carry_markdown(catalogue, templates, flavour, memo, None):
        assert page is not None  # nothing is carried over without a carry
        yield path, page


def carry_markdown(catalogue: Catalogue, templates: Path, flavour: str, memo: Memo | None,
                   carry: FolderCarryover | None, vectors: Share | None = every,
                   others: bool = True, look: Lookup | None = None,
                   listings: dict[str, str] | None = None) -> Iterator[tuple[str, bytes | None]]:
    """`iter_markdown`, where a page that `carry` took over from the previous output (asked only
    with a memo: pages are known by their memo keys) comes as (path, None).

    `vectors` says which vector pages to give, by index (a `tide.shares.Share`, so that processes
    can share them out), None none of them; `others` says whether to give the rest.
    `look` is the catalogue's `build_lookup`, when the caller has it already. With a memo, given
    `listings` is filled with every vector's listing digest by source path (memo.PageKeys.listing)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown Markdown flavour {flavour!r}; expected one of {', '.join(FLAVOURS)}")
    env = environment(templates)
    look = look or build_lookup(catalogue)
    views = CatalogueViews(look, page_path, mkdocs=flavour == "mkdocs")
    run = MemoRun(memo, look, setup_digest(templates, flavour)) if memo is not None else None
    seen: set[str] = set()
    for kind in PAGE_KINDS:
        if (vectors is None if kind.kind == "vector" else not others):
            continue
        template = _template(env, templates, kind.template)
        share = vectors if kind.kind == "vector" and vectors is not None else every
        for index, page in enumerate(kind.pages(views)):
            if not share(index):
                continue
            path = page_path(kind.kind, page.slug)
            if path in seen:
                raise ValueError(f"two pages would be written to {path}")
            seen.add(path)
            # One line: a "---" line inside a quoted title would end the front matter for some readers.
            front: dict[str, Any] = {"uuid": page.uuid or page_uuid(path), "title": " ".join(page.title.split())}
            tags = page.tags() if flavour == "mkdocs" else ()
            if tags:
                front["tags"] = list(tags)
            if run is None:
                yield path, _render(template, templates, kind, front_matter(front), page.view(path), flavour)
            elif page.vector is not None:
                key = run.keys.vector_page_key(kind.kind, kind.template, page.vector)
                if carry is not None and carry.take(path, key):
                    yield path, None
                    continue
                data = run.page(key)
                if data is None:
                    data = _render(template, templates, kind, front_matter(front), page.view(path), flavour)
                    run.put(key, data)
                if carry is not None:
                    carry.keyed(path, key)
                yield path, data
            else:
                head = front_matter(front)
                key = run.keys.catalogue_page_key(kind.kind, kind.template, path, head, page.item,
                                                  page.listed)
                if carry is not None and carry.take(path, key):
                    yield path, None
                    continue
                if carry is not None:
                    carry.keyed(path, key)
                data = run.page(key)
                if data is None:
                    view = page.view(path)
                    view_key, data = run.view_page(kind.kind, kind.template, head, view)
                    if data is None:
                        data = _render(template, templates, kind, head, view, flavour)
                        run.put(view_key, data)
                    run.put(key, data)
                yield path, data
    if run is not None:
        if listings is not None:  # computed already for the catalogue pages' keys
            listings.update((v.path, run.keys.listing(v)) for v in catalogue.vectors)
        run.close()


class PageView(Mapping[str, Any]):
    """A view as the templates see it, `page`: its keys are attributes too. Jinja reads `page.x`
    with getattr first, which on a plain dict fails with an exception before the key is looked
    up: ~13 us of a vector page's ~77 us in Jinja. Still a mapping, for `page["x"]` and loops."""

    def __init__(self, view: dict[str, Any]) -> None:
        self.__dict__ = view  # the view itself, not a copy

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __len__(self) -> int:
        return len(self.__dict__)


def _render(template: jinja2.Template, templates: Path, kind: PageKind, head: str, view: dict[str, Any],
            flavour: str) -> bytes:
    try:
        text = template.render(front_matter=head, page=PageView(view), mkdocs=flavour == "mkdocs")
    except jinja2.TemplateError as exc:  # a user's edited template: say which and why
        raise ConfigError(f"{templates / kind.template}: {exc.message}") from exc
    return tidy(text.encode("utf-8"))


def _template(env: jinja2.Environment, templates: Path, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"{templates}: the page template {name} is missing") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or templates / name}:{exc.lineno}: {exc.message}") from exc


def front_matter(values: dict[str, Any]) -> str:
    """The YAML front matter block of `values` (plain keys; string or list-of-string values)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, str) and (spelled := _scalar(value)) is not None:
            lines.append(f"{key}: {spelled}\n")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value) and \
                None not in (items := [_scalar(v) for v in value]):
            lines.append(f"{key}:\n" + "".join(f"- {v}\n" for v in items))
        else:  # anything else PyYAML would quote, fold or flow: let it decide, as it always did
            return _yaml_front_matter(values)
    return f"---\n{''.join(lines)}---"


def _scalar(value: str) -> str | None:
    """`value` as PyYAML's emitter writes it where the shortcuts below know it, else None."""
    if _plain(value):
        return value
    if _single_quoted(value):
        return "'" + value.replace("'", "''") + "'"
    return None


def _yaml_front_matter(values: dict[str, Any]) -> str:
    body = yaml.safe_dump(values, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)
    return f"---\n{body}---"


# Strings PyYAML's emitter writes as they are (plain scalars), as a subset it provably does: no
# indicator at the start, no ": " or " #", no ASCII control and nothing it escapes or breaks a line
# at (U+2028, U+2029, U+FEFF), no leading or trailing space, and (asked of its own resolver) not
# read back as anything but a string ("yes", "1.5", "2020-01-01", "null" are quoted). Calling the
# emitter for every page cost more than the rest of the front matter together.
# Beyond ASCII, the characters PyYAML escapes or breaks a line at; every other one is printable.
_NOT_PRINTABLE = "\x80-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff\U0010ffff"


def _plain_class(ascii_allowed: str) -> str:
    """A class of the characters `ascii_allowed` and every printable one beyond ASCII, spelled as
    what it leaves out: with its large ranges spelled out, compiling it took 14 ms a process."""
    left_out = "".join(f"\\x{code:02x}" for code in range(128) if chr(code) not in ascii_allowed)
    return f"[^{left_out}{_NOT_PRINTABLE}]"


_FIRST = string.ascii_letters + string.digits + "("
_INNER = _FIRST + "._)/,'&+-"
_PLAIN = re.compile(f"{_plain_class(_FIRST)}(?:{_plain_class(_INNER + ' ')}*{_plain_class(_INNER)})?")
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"


# Strings it writes single-quoted, as a subset it provably does: ": " in them rules out a plain
# scalar (an indicator), and with nothing it escapes or breaks a line at, it quotes them so, on
# one line. The technique pages' titles ("T1562.008 Impair Defenses: Disable ...") are such.
_QUOTABLE = re.compile(f"{_plain_class(''.join(map(chr, range(0x20, 0x7f))))}*")


def _single_quoted(value: str) -> bool:
    return ": " in value and len(value) < 10_000 and _QUOTABLE.fullmatch(value) is not None


def _plain(value: str) -> bool:
    return (len(value) < 10_000 and _PLAIN.fullmatch(value) is not None
            and _RESOLVER.resolve(yaml.nodes.ScalarNode, value, (True, False)) == _STR)


def tidy(page: bytes) -> bytes:
    """No trailing whitespace, no runs of blank lines outside code fences, one final newline: on
    the page's UTF-8 bytes, which it is written as. On the text, each line cut from it is copied
    character by character, four bytes each (the pages hold emoji): a catalogue page of 10,000
    vectors is 3 MB of Markdown. Whitespace is what `str.rstrip` strips, Unicode's included."""
    out: list[bytes] = []
    append = out.append
    fence = b""
    blank = True  # the line kept last was blank, or none was: a blank line now is dropped
    for line in page.split(b"\n"):
        line = line.rstrip()
        if line and (line[-1] > 0x7f or 0x1c <= line[-1] <= 0x1f):  # maybe whitespace bytes.rstrip keeps
            line = line.decode("utf-8").rstrip().encode("utf-8")
        if not line:
            if fence or not blank:
                append(line)
                blank = True
            continue
        # Only a line starting with one of these can open or close a fence (quoted or indented
        # fences included): most lines skip the tests below, a third of this loop's time.
        if line[0] in b" >`~":
            stripped = line.lstrip(b" >")
            if fence:
                if stripped.startswith(fence) and not stripped.strip(b"`~"):
                    fence = b""
            elif stripped.startswith((b"```", b"~~~")):
                fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[:1]))]
        append(line)
        blank = False
    return b"\n".join(out).strip(b"\n") + b"\n"
