"""The sanitiser of untrusted Markdown: hostile input comes out inert, ordinary Markdown unchanged."""

from __future__ import annotations

import html
import re
from pathlib import Path

import markdown
import pytest
import yaml

from tide.plain import hover_text, link_title, plain_text
from tide.render.links import check_path, relative
from tide.render.mermaid import label
from tide.render.safety import inline_markdown, md_code, md_text, safe_url, sanitize_markdown

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sharetide" / "tvm"


def to_html(text: str) -> str:
    """Python-Markdown, as MkDocs renders pages, with the extensions a Material site enables."""
    return markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html", "fenced_code"])


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div markdown=\"1\" onclick=\"alert(1)\">x</div>",
    "<!-- hidden --><svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](<javascript:alert(1)>)",
    "[click](&#106;avascript:alert(1))",
    "[click](java&Tab;script:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "[x]:\n  javascript:alert(1)\n\n[x]",
    "> [q](javascript:alert(1))",
    "- [l](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[ok](https://example.com){: onclick=\"alert(1)\" }",
    "# Title {: onmouseover=\"alert(1)\" }",
    "--8<-- \"/etc/passwd\"",
    "[a [nested](javascript:alert(1))](https://example.com)",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_renders_inert(text: str) -> None:
    out = to_html(sanitize_markdown(text))
    tags = re.findall(r"<[a-zA-Z][^>]*>", out)
    assert {re.match(r"<([a-zA-Z0-9]+)", t).group(1) for t in tags} <= {"p", "a", "code", "pre", "blockquote",  # type: ignore[union-attr]
                                                                      "ul", "li", "h3", "img"}, out
    assert not any(re.search(r"\son[a-z]+\s*=", t) for t in tags), out
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', out)
    for href in hrefs:
        cleaned = re.sub(r"[\x00-\x20]", "", html.unescape(href)).lower()
        assert not re.match(r"(javascript|vbscript|data):", cleaned), out
    assert "/etc/passwd" not in out or "--8&lt;--" in out


@pytest.mark.parametrize("text", ["[a](other.md)", "[a](#anchor)", "![i](img.png)", "[r]\n\n[r]: ../x.md",
                                  "[System.IO.File]::WriteAllBytes($path)", "[c]: //evil.example/x"])
def test_links_that_lead_nowhere_in_the_output_are_text(text: str) -> None:
    out = to_html(sanitize_markdown(text))
    assert "href=" not in out and "src=" not in out, out


def test_hostile_text_stays_visible() -> None:
    out = to_html(sanitize_markdown("Look: <script>alert(1)</script> and [click](javascript:alert(1))"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "[click](javascript:alert(1))" in out  # shown as typed, not a link


def test_ordinary_markdown_keeps_working() -> None:
    text = ("Intro with `<tag>` code and a [link](https://example.com/a_(b)) and <https://example.org>.\n\n"
            "- one\n- two **bold**\n\n```html\n<a href=\"x\">Click</a>\n```\n")
    assert sanitize_markdown(text, heading_floor=0) == text.strip("\n")
    out = to_html(sanitize_markdown(text))
    assert '<a href="https://example.com/a_(b)">link</a>' in out
    assert '<a href="https://example.org">https://example.org</a>' in out
    assert "<code>&lt;tag&gt;</code>" in out and "&lt;a href=&quot;x&quot;&gt;Click&lt;/a&gt;" in out


def test_code_is_left_alone_and_unclosed_fences_are_closed() -> None:
    out = sanitize_markdown("text\n\n```bash\necho <x> {y} [a](javascript:b)\n")
    assert out == "text\n\n```bash\necho <x> {y} [a](javascript:b)\n```"
    assert sanitize_markdown("````\n```\nstill code <b>\n````") == "````\n```\nstill code <b>\n````"


def test_indented_code_becomes_fenced_code() -> None:
    assert sanitize_markdown("para\n\n    <Task>\n      <Exec/>") == "para\n\n```\n<Task>\n  <Exec/>\n```"
    # list continuations are text, not code
    assert sanitize_markdown("- item\n\n    more <b>") == "- item\n\n    more &lt;b>"


def test_mermaid_in_descriptions_is_shown_not_drawn() -> None:
    assert sanitize_markdown("```mermaid\ngraph LR\n```").startswith("```text\n")
    assert sanitize_markdown("``` js onload=x\ncode\n```").startswith("```js\n")


def test_headings_are_shifted_below_the_page_sections() -> None:
    text = "# Top\n\ntext\n\n## Second\n\n###### Deep\n\nSetext\n======\n\n```\n# not a heading\n```"
    out = sanitize_markdown(text, heading_floor=3)
    headings = re.findall(r"^#+ \w+", out.split("```")[0], flags=re.M)
    assert headings == ["### Top", "#### Second", "###### Deep", "### Setext"]
    assert "# not a heading" in out
    assert sanitize_markdown("### Already deep", heading_floor=3) == "### Already deep"
    assert sanitize_markdown("#hashtag") == "\\#hashtag"


def test_whitespace_is_clean() -> None:
    assert sanitize_markdown("\n\nline one  \r\nline two\t\n\n\n") == "line one\nline two"
    assert sanitize_markdown("a\x00b\x1bc") == "abc"


def test_entities_cannot_spell_schemes_but_common_ones_stay() -> None:
    assert sanitize_markdown("R&D &amp; &nbsp; &#106; &colon;") == "R&D &amp; &nbsp; &amp;#106; &amp;colon;"


def test_backslash_before_angle_bracket() -> None:
    out = sanitize_markdown(r"C:\ProgramData\<name.exe>")
    assert out == r"C:\ProgramData\\&lt;name.exe>"
    assert "C:\\ProgramData\\&lt;name.exe&gt;" in to_html(out)


def test_html_code_becomes_a_code_span() -> None:
    assert sanitize_markdown("Use <code>rundll32.exe a,b</code> or <CODE>&lt;x&gt;</CODE>.") == \
        "Use `rundll32.exe a,b` or `<x>`."
    assert sanitize_markdown("<code>a\nb</code>") == "&lt;code>a\nb&lt;/code>"


def test_inline_markdown_fits_a_table_cell() -> None:
    assert inline_markdown("a | b\n\nc <x>\n- d", table=True) == "a \\| b c &lt;x> - d"
    assert inline_markdown("a || b \\| c \\\\| d", table=True) == "a \\|\\| b \\| c \\\\\\| d"
    assert inline_markdown("a | b") == "a | b"
    assert inline_markdown("`StopLogging` call") == "`StopLogging` call"


@pytest.mark.parametrize("text", [
    "~~~\n``` <script>alert(1)</script>\n~~~",  # a fence hiding an unbalanced run: flattened, it is text
    "`x\\`<script>alert(1)</script>`",  # inside code a backslash is text: the span ends at x\
    "```js\n<script>alert(1)</script>\n```",
    "# <script>alert(1)</script>",
    "> <img src=x onerror=alert(1)>",
])
def test_inline_markdown_hides_no_html(text: str) -> None:
    for table in (False, True):
        line = inline_markdown(text, table=table)
        assert "\n" not in line
        for context in (f"> {line}", f"- x: {line}", f"| a | b |\n|--|--|\n| {line} | c |"):
            out = to_html(context)
            assert not re.search(r"<(script|img)\b", out), (text, out)
    assert not re.match(r"[#>`]", inline_markdown("# x")) and inline_markdown("1. x") == "1\\. x"


def test_code_spans_follow_commonmark() -> None:
    # the span closes at the first run of the same length, even after a backslash
    assert sanitize_markdown("`x\\`<b>`") == "`x\\`&lt;b>\\`"
    assert sanitize_markdown("\\`<b>`") == "\\`&lt;b>\\`"  # an escaped backtick opens nothing
    assert sanitize_markdown("\\``<b>`") == "\\``<b>`"  # ...the rest of its run does
    assert sanitize_markdown("``a`<b>``") == "``a`<b>``"


@pytest.mark.parametrize("text", [
    "# x `\n<script>alert(1)</script> `",  # a heading is one line: no span reaches the next
    "- a `\n- <img src=x onerror=alert(1)> `",  # nor from one list item to the next
    "> a `\n<script>alert(1)</script> `",
    "| a | b |\n|---|---|\n| `<script>alert(1)</script> | </script>` |",  # cells split code spans
    "para\n    ```\n<script>alert(1)</script>\n    ```",  # not a fence: indented in a paragraph
    "```\n<script>alert(1)</script>\n````",  # a longer closing fence closes it everywhere
    "  ```\n<script>alert(1)</script>\n  ```",  # an indented fence is moved to the margin
])
def test_block_structure_cannot_uncover_code(text: str) -> None:
    out = to_html(sanitize_markdown(text))
    assert not re.search(r"<(script|img)\b", out), out


def test_code_spans_may_cross_lines_of_one_paragraph() -> None:
    assert sanitize_markdown("the `beacon\ninterval` <b>") == "the `beacon\ninterval` &lt;b>"
    assert sanitize_markdown("  ```\n  code\n  ```") == "```\ncode\n```"


def test_md_text_shows_names_literally() -> None:
    assert md_text("a_b *c* [d] <e> & f") == "a\\_b \\*c\\* \\[d\\] &lt;e> &amp; f"
    assert md_text("1. first") == "1\\. first" and md_text("# x") == "\\# x"
    assert md_text("a|b", table=True) == "a\\|b"
    assert md_code("a`b") == "``a`b``" and md_code("x|y", table=True) == "`x\\|y`"


def test_safe_url() -> None:
    assert safe_url("https://a.example/x_(y)") == "https://a.example/x_%28y%29"
    assert safe_url(" http://a.example ") == "http://a.example"
    for bad in ("javascript:alert(1)", "data:text/html,x", "https://a b", "//evil.example", "", "file:///etc"):
        assert safe_url(bad) is None


def test_link_title_is_a_clean_summary() -> None:
    long = "Adversaries may \"disable\" logging, to hide. " * 10
    title = link_title(long, 100)
    assert len(title) <= 100 and title.endswith("…") and '"' not in title and "  " not in title
    assert title[:-1].strip() == title[:-1] and not title[:-1].endswith(",")
    assert link_title("Short, kept: as is.") == "Short, kept: as is."


def test_hover_text_is_the_title_of_the_whole_text() -> None:
    """hover_text reads a prefix when it can; its title is the whole text's, even when a fence or
    a link opened in the first lines would run past the prefix."""
    words = "word " * 200
    for text in (words, f"{words}\n{words}", f"# Heading\n{words}\n\n{words}",
                 f"```\n{words}\n{words}\n```\nafter the fence",  # a fence covers the prefix
                 f"[a link whose text\n{words}\n{words}](https://x) rest",  # a link spans it
                 f"Start ~~~\n{words}\n~~~\nend", "short text", ""):
        for limit in (150, 20):
            assert hover_text(text, limit) == link_title(plain_text(text), limit), text[:40]
    for name, text in corpus_texts():
        assert hover_text(text) == link_title(plain_text(text), 150), name


def test_plain_text() -> None:
    assert plain_text("### Title\n\nSome **bold** [link](https://x) `code`\n\n```\nskip\n```\n- item") == \
        "Title Some bold link code item"


def test_mermaid_labels_are_escaped() -> None:
    assert label('a "b" <c> |d| `e` #f [g]') == "a #quot;b#quot; #lt;c#gt; #124;d#124; #96;e#96; #35;f #91;g#93;"


def test_paths_are_checked() -> None:
    assert check_path("threat-vectors/aws-stop.md") == "threat-vectors/aws-stop.md"
    for bad in ("../x.md", "/etc/x.md", "a/../b.md", "a//b.md", "A.md", "x.md/..", "a b.md", "x.txt", ".md"):
        with pytest.raises(ValueError):
            check_path(bad)
    assert relative("threat-vectors/a.md", "techniques/t1.md") == "../techniques/t1.md"
    assert relative("index.md", "techniques/t1.md") == "techniques/t1.md"


def corpus_texts() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        pytest.skip(f"the ShareTide corpus is not at {CORPUS}")
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        threat = yaml.safe_load(path.read_text("utf-8"))["threat"]
        out += [(f"{path.name}:{key}", threat.get(key) or "") for key in ("description", "terrain")]
    return out


def test_corpus_texts_render_as_before() -> None:
    """Harmless corpus text (no `<`) renders exactly as written; the sanitiser's escapes are
    invisible. The exceptions are fences Python-Markdown missed (indented, closed by a longer
    fence, left open, indented code) now code as CommonMark has them, and PowerShell
    `[Type]::Method()` lines that renderers took for link definitions now shown as text."""
    differing = []
    for name, text in corpus_texts():
        if "<" in text:
            continue
        original = "\n".join(line.rstrip() for line in text.split("\n"))
        if to_html(sanitize_markdown(text, heading_floor=0)) != to_html(original):
            differing.append(name)
            out = sanitize_markdown(text)
            assert "```" in out or "    " in text or re.search(r"^\[[^\]]*\\\]::", out, flags=re.M), name
    assert len(differing) <= 8, differing


def test_corpus_descriptions_render_without_raw_html() -> None:
    for name, text in corpus_texts():
        out = to_html(sanitize_markdown(text))
        tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", out))
        assert tags <= {"p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "code", "pre", "strong", "em", "a", "br",
                        "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td"}, (name, tags)


@pytest.mark.parametrize("text", ["ends with a smile :)", "alert('x') and (nested (one)", 'say "hi") now', "(open"])
def test_link_titles_never_end_a_link_early(text: str) -> None:
    import markdown

    from tide.plain import link_title
    from tide.render.links import md_link

    title = link_title(text)
    html = markdown.markdown(md_link("name", "page.md", title))
    assert 'href="page.md"' in html and ">name</a>" in html and html.count("<a ") == 1
