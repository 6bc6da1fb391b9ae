"""The site's last check: no generated page may run script that the theme did not put there.

Object text reaches the pages as Markdown that tide.render.safety made inert; this checks the
HTML MkDocs made of it, in case anything got through (a Markdown extension, a theme change): any
executable script, event-handler attribute or script URL that the theme's own 404 page does not
have fails the build, so a hostile description can never ship as script.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from tide.diagnostics import Diagnostic, error

_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                             "background", "srcdoc", "ping", "cite"})
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application", "data:image/svg")
_CONTENT_ONLY_BAD_TAGS = frozenset({"iframe", "frame", "frameset", "object", "embed", "base",
                                    "form", "meta", "link", "style", "applet", "portal"})
_SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "module", "text/ecmascript")


class _ScriptFinder(HTMLParser):
    """Collects what could run in a page: scripts, event handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str, str]] = []  # (src, inline text) of executable scripts
        self.problems: list[str] = []
        self._in_script: str | None = None
        self._script_text: list[str] = []
        self._article_depth = 0
        self._depth_stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has the event handler attribute {name}")
            if name in _URL_ATTRIBUTES and value and _is_script_url(value):
                self.problems.append(f"<{tag} {name}> points at a script URL {value[:40]!r}")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh" and \
                _is_script_url(values.get("content", "").partition("url=")[2]):
            self.problems.append("<meta http-equiv=refresh> points at a script URL")
        if self._article_depth and tag in _CONTENT_ONLY_BAD_TAGS:
            self.problems.append(f"<{tag}> inside the page content")
        if tag == "article":
            self._article_depth += 1
        if tag == "script" and values.get("type", "").lower() in _SCRIPT_TYPES:
            if self._article_depth:
                self.problems.append("<script> inside the page content")
            self._in_script = values.get("src", "")
            self._script_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self._article_depth:
            self._article_depth -= 1
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._script_text).strip()))
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._script_text.append(data)


def _is_script_url(value: str) -> bool:
    # Browsers ignore ASCII whitespace and control characters inside the scheme.
    squeezed = "".join(ch for ch in value if ord(ch) > 0x20).lower()
    return squeezed.startswith(_BAD_SCHEMES)


def _scan(data: bytes) -> _ScriptFinder:
    finder = _ScriptFinder()
    finder.feed(data.decode("utf-8", errors="replace"))
    finder.close()
    return finder


def _spaced(word: str) -> bytes:
    # Browsers drop ASCII whitespace and control characters inside a URL's scheme.
    return rb"[\x00-\x20]*".join(re.escape(char.encode()) for char in word)


# Everything in a page's lower-cased bytes that could be or spell script, wherever it stands
# (markup, text, comments): script elements, the tags `_ScriptFinder` refuses in content, event
# handlers given a value (an empty one runs nothing), script URLs with the whitespace browsers
# skip, and character references other than the few that cannot spell a scheme. The theme puts
# the same ones on every page; a page with any other is parsed in full, so these only decide when
# the parse can be skipped. One pass each keeps every pattern starting with a literal, which the
# regex engine finds fast: together they cost a sixth of the parse.
_SUSPECTS = (
    re.compile(rb"<(?:script\b[^>]*>.*?(?:</script[\s/>]|\Z)|(?:script|"
               + "|".join(sorted(_CONTENT_ONLY_BAD_TAGS)).encode() + rb")\b)", re.S),
    re.compile(rb"on(?<=[\s/\"']on)[^\s/>=]*\s*="),
    *(re.compile(_spaced(scheme)) for scheme in _BAD_SCHEMES),
    re.compile(rb"&(?:#(?!(?:39|34|x27|x22);)|(?!(?:amp|lt|gt|quot|para);)[a-z][a-z0-9]*;)"),
)
_SCRIPT_SRC = re.compile(rb'(\ssrc=")([^"]*)')
_JSON_SCRIPT = re.compile(rb'\stype="application/json"')
_ROOT_BYTES = re.compile(rb'new url\("[./]*",location\)')  # _ROOT_LITERAL, lower-cased


def _suspects(data: bytes, page: str) -> list[bytes]:
    """The suspect pieces of the page at `page` (its path in the site), script paths taken from
    the site root and the theme's root literal made alike, so that pages at any depth compare."""
    found = [match for pattern in _SUSPECTS for match in pattern.findall(data.lower())]
    return [_theme_script(piece, "/" + page) if piece.startswith(b"<script") else piece for piece in found]


def _theme_script(element: bytes, page_url: str) -> bytes:
    def from_root(match: re.Match[bytes]) -> bytes:
        return match.group(1) + _site_path(page_url, match.group(2).decode("utf-8", "replace")).encode()

    start, close, body = element.partition(b">")
    start = _SCRIPT_SRC.sub(from_root, start)
    if _JSON_SCRIPT.search(start):
        return start + close  # data, not code (the theme's settings, with page paths): never runs
    return start + close + _ROOT_BYTES.sub(b"new url(root,location)", body)


def _output_of(rel: str, site_dir: Path) -> Path:
    """The HTML file MkDocs writes for docs page `rel` (directory URLs or not)."""
    stem = rel[: -len(".md")]
    name = posixpath.basename(stem)
    candidates = [site_dir / (stem + ".html")]
    if name in ("index", "README"):
        candidates.insert(0, site_dir / posixpath.dirname(stem) / "index.html")
    else:
        candidates.insert(0, site_dir / stem / "index.html")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[0]


def check_site_safety(site_dir: Path, pages: Mapping[str, str], display: Mapping[str, str] | None = None
                      ) -> list[Diagnostic]:
    """Errors for every generated page whose HTML could run script the theme did not put there.

    The theme's own scripts are learnt from the 404 page, which no object text reaches: any
    other executable script, any event-handler attribute and any javascript:/vbscript: URL in a
    generated page comes from object text and fails the build. A page whose suspect pieces (see
    `_SUSPECTS`) are exactly the 404 page's holds nothing else that could run, and is not parsed.
    `display` names each page in the diagnostics by its source (a page of site/docs by its file).
    """
    from tide.outputs import fork_pool, jobs, worker_errors

    display = display or {}
    reference = site_dir / "404.html"
    theme = _Theme(site_dir)
    if reference.is_file():
        data = reference.read_bytes()
        theme.scripts = {_script_key(reference, site_dir, src, text) for src, text in _scan(data).scripts}
        theme.suspects = _suspects(data, "404.html")
    rels = sorted(pages)
    shares = []
    for i in range(_SAFETY_SHARES):
        share = rels[i::_SAFETY_SHARES]
        shares.append((theme, share, {rel: display[rel] for rel in share if rel in display}))
    if len(rels) < _SAFETY_PARALLEL_FROM or jobs() < 2:
        found = [_unsafe_pages(*share) for share in shares]
    else:
        with fork_pool(min(jobs(), _SAFETY_SHARES)) as pool, worker_errors():
            found = list(pool.map(_unsafe_pages, *zip(*shares, strict=True)))
    # Back in page order: share i checked pages i, i + n, i + 2n...
    by_page = {rel: problems for share in found for rel, problems in share}
    return [problem for rel in rels for problem in by_page.get(rel, [])]


_SAFETY_SHARES = 8  # interleaved: the catalogue's large pages sort together
_SAFETY_PARALLEL_FROM = 300  # pages; reading and matching one costs ~0.6 ms


@dataclass
class _Theme:
    """What the theme itself puts in every page (learnt from the 404 page)."""

    site_dir: Path
    scripts: set[tuple[str, str]] = field(default_factory=set)
    suspects: list[bytes] | None = None


def _unsafe_pages(theme: _Theme, rels: list[str], display: Mapping[str, str]) -> list[tuple[str, list[Diagnostic]]]:
    """The diagnostics of each page of `rels` that holds script the theme did not put there."""
    site_dir = theme.site_dir
    out: list[tuple[str, list[Diagnostic]]] = []
    for rel in rels:
        page = _output_of(rel, site_dir)
        if not page.is_file():
            continue  # MkDocs would have warned; nothing to check
        data = page.read_bytes()
        if theme.suspects is not None and _suspects(data, page.relative_to(site_dir).as_posix()) == theme.suspects:
            continue
        found = _scan(data)
        problems = list(found.problems)
        for src, text in found.scripts:
            if _script_key(page, site_dir, src, text) not in theme.scripts:
                problems.append(f"a script the theme does not load ({src or text[:40]!r})")
        where = display.get(rel, f"<generated>/{rel}")
        if problems:
            out.append((rel, [error(where, 0, 0, "site-unsafe-html", f"page {rel} could run script: {problem}")
                              for problem in dict.fromkeys(problems)]))
    return out


# The theme's inline bootstrap script embeds the page's path to the site root; compare it without.
_ROOT_LITERAL = re.compile(r'new URL\("[./]*",location\)')


def _script_key(page: Path, site_dir: Path, src: str, text: str) -> tuple[str, str]:
    if src:
        return (_script_target(page, site_dir, src), "")
    return ("", _ROOT_LITERAL.sub('new URL(ROOT,location)', text))


def _script_target(page: Path, site_dir: Path, src: str) -> str:
    """A script's src as a path from the site root, so pages at any depth compare equal."""
    return _site_path("/" + page.relative_to(site_dir).as_posix(), src) if src else ""


def _site_path(page_url: str, src: str) -> str:
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return src  # absolute: compared as written
    return posixpath.normpath(urljoin(page_url, parts.path))
