"""The built site in a real browser (Debian's chromium, headless), served over loopback HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launch_browser, serve_directory, watched_page
from test_site import ATTACK, SEED_SLUG, SITE, sample_pages, site_config

from tide.config import Config
from tide.site import build_site

SEED_URL = f"threat-vectors/{SEED_SLUG}/"
HOSTILE_URL = "threat-vectors/hostile/"

DIAGRAMS = "[...document.querySelectorAll('div.mermaid')]"
DIAGRAM_DRAWN = f"() => {DIAGRAMS}.some(d => d.shadowRoot && d.shadowRoot.querySelector('svg'))"
DIAGRAM_TEXT = f"() => {DIAGRAMS}.map(d => d.shadowRoot.querySelector('svg').textContent).join(' ')"

# Everything on a page that object text could have turned into script, shadow roots included.
FIND_INJECTED = """
() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      for (const attr of el.getAttributeNames()) {
        const value = el.getAttribute(attr) || "";
        if (attr.startsWith("on")) found.push(el.tagName + "[" + attr + "]");
        if (/^\\s*(javascript|vbscript):/i.test(value)) found.push(el.tagName + "[" + attr + "=" + value + "]");
      }
      if (el.shadowRoot) {
        for (const inner of el.shadowRoot.querySelectorAll("img, script, iframe, object, embed, a"))
          found.push(inner.tagName + " in a diagram");
        visit(el.shadowRoot);
      }
    }
    for (const el of root.querySelectorAll("article script, article iframe, article object, article embed"))
      found.push(el.tagName + " in content");
  };
  visit(document);
  return found;
}
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with launch_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("browser-site") / "site"
    assert build_site(sample_pages(), SITE, out, site_config(), ATTACK) == []
    with serve_directory(out) as url:
        yield url


def _clean(watch: Any) -> None:
    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.external_requests == []
    assert watch.dialogs == []


def test_seed_page_shows_title_criticality_technique_and_diagram(browser: Any, site_url: str) -> None:
    page, watch = watched_page(browser, site_url)
    page.goto(SEED_URL, wait_until="networkidle")
    assert page.title() == "AWS Stop Logging CloudTrail - OpenTide threat vectors"
    assert "AWS Stop Logging CloudTrail" in page.locator("article h1").inner_text()
    admonition = page.locator("article .admonition.warning")
    assert "Criticality: Low" in admonition.inner_text()
    link = page.locator("article a[href='https://attack.mitre.org/techniques/T1562/008']")
    assert link.count() == 1 and "T1562.008" in link.inner_text()
    # Material replaces the Mermaid fence with a drawn SVG inside a shadow root.
    page.wait_for_function(DIAGRAM_DRAWN, timeout=15_000)
    labels = page.evaluate(DIAGRAM_TEXT)
    assert "AWS Delete CloudTrail Trail" in labels
    assert page.locator("article pre.mermaid").count() == 0  # none left as source text
    # The real tags, the footer notice and the edit link.
    tags = page.locator(".md-tags .md-tag").all_inner_texts()
    assert {"Criticality: Low", "T1562.008", "AWS"} <= {t.strip() for t in tags}
    footer = page.locator(".md-copyright").inner_text()
    assert "ATT&CK® v19.0" in footer and "© The MITRE Corporation" in footer
    assert page.locator("a[rel=edit]").get_attribute("href", timeout=1000).startswith(  # type: ignore[union-attr]
        "https://git.example.org/opentide/objects/edit/main/objects/threat-vectors/"
    )
    _clean(watch)
    page.context.close()


# Result links, read in one step once the expected one is listed: Material redraws the list
# after every keystroke, so reading the links one by one can race a redraw.
RESULT_HREFS = """
(want) => {
  const hrefs = [...document.querySelectorAll(".md-search-result__item > a")].map(a => a.getAttribute("href") || "");
  return hrefs.some(h => h.includes(want)) ? hrefs : null;
}
"""


def _search(page: Any, query: str, want: str) -> list[str]:
    """Type `query` into Material's search box (keystrokes, as a reader would) and wait until a
    result links to `want`; all result links. Times out (and fails) when none ever does."""
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially(query, delay=10)
    found = page.wait_for_function(RESULT_HREFS, arg=want, timeout=15_000)
    return list(found.json_value())


def test_search_finds_cloudtrail(browser: Any, site_url: str) -> None:
    page, watch = watched_page(browser, site_url)
    page.goto("", wait_until="networkidle")
    hrefs = _search(page, "CloudTrail", SEED_URL)
    assert any(SEED_URL in href for href in hrefs), hrefs
    _clean(watch)
    page.context.close()


def test_search_results_of_hostile_text_stay_inert(browser: Any, site_url: str) -> None:
    # Material draws results from the search index as HTML: hostile names must stay text there.
    page, watch = watched_page(browser, site_url)
    page.goto("", wait_until="networkidle")
    hrefs = _search(page, "onerror", HOSTILE_URL)
    assert any(HOSTILE_URL in href for href in hrefs), hrefs
    page.wait_for_timeout(300)
    assert page.evaluate("window.__tideCalls") == []
    assert page.evaluate(FIND_INJECTED) == []
    _clean(watch)
    page.context.close()


def test_palette_toggle_switches_to_dark(browser: Any, site_url: str) -> None:
    page, watch = watched_page(browser, site_url)
    page.goto("", wait_until="networkidle")
    before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert {before, after} == {"default", "slate"}
    _clean(watch)
    page.context.close()


@pytest.mark.parametrize("path", ["", SEED_URL, "tags/", "about/", "threat-vectors/"])
def test_pages_load_without_console_errors(browser: Any, site_url: str, path: str) -> None:
    page, watch = watched_page(browser, site_url)
    response = page.goto(path, wait_until="networkidle")
    assert response is not None and response.status == 200
    _clean(watch)
    page.context.close()


def test_hostile_page_runs_no_script(browser: Any, site_url: str) -> None:
    page, watch = watched_page(browser, site_url)
    page.goto(HOSTILE_URL, wait_until="networkidle")
    # Let the diagram render: a hostile label must not run either.
    page.wait_for_function(DIAGRAM_DRAWN, timeout=15_000)
    page.mouse.move(10, 10)
    page.mouse.move(400, 300)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__tideCalls") == []
    assert page.evaluate(FIND_INJECTED) == []
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert page.locator("article img, article svg [onload]").count() == 0
    # The hostile text is shown as text.
    assert "<img src=x onerror=" in page.locator("article h1").inner_text()
    assert '<img src=x onerror=alert("title")>' in page.title()
    _clean(watch)
    page.context.close()


def test_hostile_tags_link_to_an_inert_tags_index(browser: Any, site_url: str) -> None:
    page, watch = watched_page(browser, site_url)
    page.goto("tags/", wait_until="networkidle")
    assert "<script>" in page.locator("article").inner_text()  # the tag name, as text
    assert page.evaluate("window.__tideCalls") == []
    assert page.evaluate(FIND_INJECTED) == []
    _clean(watch)
    page.context.close()



# ---------------------------------------------------------------------------------------------
# The real pipeline: objects/ plus one hostile object, compiled, rendered and built.

SEED_UUID = "d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3"
HOSTILE_UUID = "6f1c2a4e-9b7d-4c3e-8a5f-0d2b4e6a8c10"
HOSTILE_NAME = "Hostile <img src=x onerror=alert('name')> [x](javascript:alert('name'))"
HOSTILE_TEXT = """\
    <script>alert('script')</script>
    <img src=x onerror=alert('img')>
    [click me](javascript:alert('link')) and <a href="javascript:alert('a')">a</a>
    <svg onload=alert('svg')></svg> text {: onclick="alert('attr')" }
    <iframe src="javascript:alert('iframe')"></iframe>
"""


def _hostile_object(seed_yaml: str, hostile_text: str = HOSTILE_TEXT) -> str:
    """The seed object with hostile text in its name and description, chained to the seed."""
    text = seed_yaml.replace("name: AWS Stop Logging CloudTrail", f'name: "{HOSTILE_NAME}"', 1)
    text = text.replace(SEED_UUID, HOSTILE_UUID, 1)
    # After the first paragraph, so the one-sentence summary used in link titles stays benign
    # (see test_hostile_text_in_link_titles_builds_strictly).
    cut = text.index("    ### Nature of the Threat\n")
    text = text[:cut] + hostile_text + "\n" + text[cut:]
    chain = (
        "  chaining:\n"
        "    - relation: sequence::preceeds\n"
        f"      vector: {SEED_UUID}\n"
        "      description: |\n"
        "        <img src=x onerror=alert('chain')> then the seed\n"
    )
    return text.replace("threat:\n", "threat:\n" + chain, 1)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, hostile page URL) of the site `tide build` makes of objects/ + a hostile one."""
    from tide.build import compile_catalogue
    from tide.render import render_markdown, vector_page

    root = Path(__file__).resolve().parent.parent
    work = tmp_path_factory.mktemp("real-site")
    objects = work / "objects"
    shutil.copytree(root / "objects", objects)
    seed = (objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml").read_text(encoding="utf-8")
    (objects / "threat-vectors" / "hostile.yaml").write_text(_hostile_object(seed), encoding="utf-8")
    config = Config(root=root, repo_url="https://git.example.org/opentide/objects", edit_uri="edit/main/objects/")
    catalogue, diagnostics = compile_catalogue([objects], config)
    assert catalogue is not None, [d.text() for d in diagnostics if d.is_error]
    hostile = next(v for v in catalogue.vectors if v.uuid == HOSTILE_UUID)
    pages = render_markdown(catalogue, root / "templates", flavour="mkdocs")
    out = work / "site"
    assert [d.text() for d in build_site(pages, SITE, out, config, catalogue.attack)] == []
    hostile_url = vector_page(hostile).removesuffix(".md") + "/"
    with serve_directory(out) as url:
        yield url, hostile_url


def test_real_seed_page(browser: Any, real_site: tuple[str, str]) -> None:
    url, _ = real_site
    page, watch = watched_page(browser, url)
    page.goto(SEED_URL, wait_until="networkidle")
    assert "AWS Stop Logging CloudTrail" in page.locator("article h1").inner_text()
    assert "Criticality: Low" in page.locator("article .admonition").first.inner_text()
    assert page.locator("article a[href='https://attack.mitre.org/techniques/T1562/008']").count() >= 1
    page.wait_for_function(DIAGRAM_DRAWN, timeout=15_000)
    # Labels are SVG text wrapped over several lines: compare without white space.
    assert "AbuseofstolenAWSaccesskeys" in "".join(page.evaluate(DIAGRAM_TEXT).split())
    tags = {t.strip() for t in page.locator(".md-tags .md-tag").all_inner_texts()}
    assert {"Defense Evasion", "Public Cloud", "AWS"} <= tags, tags
    _clean(watch)
    page.context.close()


def test_real_search_finds_cloudtrail(browser: Any, real_site: tuple[str, str]) -> None:
    url, _ = real_site
    page, watch = watched_page(browser, url)
    page.goto("", wait_until="networkidle")
    assert any(SEED_URL in href for href in _search(page, "CloudTrail", SEED_URL))
    _clean(watch)
    page.context.close()


@pytest.mark.parametrize("which", ["hostile", "seed", "tags", "vectors"])
def test_real_hostile_object_runs_no_script(browser: Any, real_site: tuple[str, str], which: str) -> None:
    # The hostile object's own page, the seed page whose diagram names it, and the index pages.
    url, hostile_url = real_site
    path = {"hostile": hostile_url, "seed": SEED_URL, "tags": "tags/", "vectors": "threat-vectors/"}[which]
    page, watch = watched_page(browser, url)
    response = page.goto(path, wait_until="networkidle")
    assert response is not None and response.status == 200
    if page.locator("pre.mermaid, div.mermaid").count():
        page.wait_for_function(DIAGRAM_DRAWN, timeout=15_000)
    page.mouse.move(5, 5)
    page.mouse.move(500, 400)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__tideCalls") == []
    assert page.evaluate(FIND_INJECTED) == []
    assert page.locator("a[href^='javascript:' i], [href*='javascript:' i]").count() == 0
    assert page.locator("article img, article iframe").count() == 0
    assert "Hostile" in page.locator("article").inner_text()
    _clean(watch)
    page.context.close()


def test_hostile_text_in_link_titles_builds_strictly(tmp_path: Path) -> None:
    from tide.build import compile_catalogue
    from tide.render import render_markdown

    root = Path(__file__).resolve().parent.parent
    objects = tmp_path / "objects"
    shutil.copytree(root / "objects", objects)
    seed = (objects / "threat-vectors" / "aws-stop-logging-cloudtrail.yaml").read_text(encoding="utf-8")
    # The hostile lines open the description, so they reach the summary used as link title.
    hostile = _hostile_object(seed).replace(HOSTILE_TEXT, "")
    hostile = hostile.replace("\n  description: |\n", "\n  description: |\n" + HOSTILE_TEXT + "\n", 1)
    (objects / "threat-vectors" / "hostile.yaml").write_text(hostile, encoding="utf-8")
    config = Config(root=root)
    catalogue, found = compile_catalogue([objects], config)
    assert catalogue is not None, [d.text() for d in found]
    pages = render_markdown(catalogue, root / "templates", flavour="mkdocs")
    assert [d.text() for d in build_site(pages, SITE, tmp_path / "site", config, catalogue.attack)] == []
