"""The site stage without a browser: strict builds, diagnostics, atomicity, safety, determinism."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tide.config import Config
from tide.diagnostics import Diagnostic
from tide.model import AttackInfo
from tide.site import (
    ATTACK_NOTICE,
    assemble_project,
    build_site,
    edit_url,
    neutralise_front_matter,
    run_mkdocs,
    serve_site,
    sync_tree,
)
from tide.site_safety import check_site_safety

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
ATTACK = AttackInfo(version="19.0", domain="enterprise-attack", source="test", sha256="0" * 64,
                    notice=ATTACK_NOTICE)
REPO = "https://git.example.org/opentide/objects"

SEED_SLUG = "aws-stop-logging-cloudtrail"
SEED = """---
uuid: d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3
title: AWS Stop Logging CloudTrail
source: threat-vectors/AWS Stop Logging CloudTrail.yaml
tags:
- 'Criticality: Low'
- T1562.008
- AWS
---

# ☣️ AWS Stop Logging CloudTrail

!!! warning "🔥 Criticality: Low"
    A Low priority incident is unlikely to affect public health or safety.

!!! note "🚦 TLP:CLEAR"
    Recipients can spread this to the world, there is no limit on disclosure.

🗡️ **ATT&CK Techniques**
[T1562.008 : Impair Defenses: Disable or Modify Cloud Logs](https://attack.mitre.org/techniques/T1562/008 \
"An adversary may disable cloud logging")

## 👁️ Description

The attacker stops AWS CloudTrail logging with the `StopLogging` API call.

## 🕸️ Relations

```mermaid
flowchart LR
  seed["AWS Stop Logging CloudTrail"] -->|preceeds| next["AWS Delete CloudTrail Trail"]
```

See also [the other vector](delete-trail.md).
"""

OTHER = """---
uuid: 5a1d0b8e-0000-4000-8000-000000000002
title: AWS Delete CloudTrail Trail
source: threat-vectors/AWS Delete CloudTrail Trail.yaml
tags:
- 'Criticality: High'
---

# AWS Delete CloudTrail Trail

Back to [AWS Stop Logging CloudTrail](aws-stop-logging-cloudtrail.md).
"""

# What an object with hostile text looks like once rendered: the renderer escapes raw HTML in
# the body; the front matter still carries the hostile name as plain YAML text.
HOSTILE = """---
uuid: 00000000-0000-4000-8000-000000000666
title: '<img src=x onerror=alert("title")> Hostile "vector"'
description: '" onmouseover="alert(1)'
source: threat-vectors/hostile.yaml
tags:
- <script>alert("tag")</script>
- '"><svg onload=alert(1)>'
---

# &lt;img src=x onerror=alert("heading")&gt; Hostile

Attribute lists are not enabled, so this stays text {: onclick="alert('attr')" }

Link text \\[click\\](javascript:alert('link')) and an escaped tag &lt;script&gt;alert('body')&lt;/script&gt;.

```mermaid
flowchart LR
  a["<img src=x onerror=alert('mermaid')>"] --> b["<script>alert('mermaid')</script>"]
```
"""

INDEX = f"""---
title: Home
---

# Threat vectors

| Name | Criticality |
|---|---|
| [AWS Stop Logging CloudTrail](threat-vectors/{SEED_SLUG}.md) | Low |
| [AWS Delete CloudTrail Trail](threat-vectors/delete-trail.md) | High |
| [Hostile](threat-vectors/hostile.md) | Low |
"""

VECTORS_INDEX = f"""---
title: Threat vectors
---

# Threat vectors

- [AWS Stop Logging CloudTrail]({SEED_SLUG}.md)
- [AWS Delete CloudTrail Trail](delete-trail.md)
- [Hostile](hostile.md)
"""


def sample_pages() -> dict[str, str]:
    return {
        "index.md": INDEX,
        "threat-vectors/index.md": VECTORS_INDEX,
        f"threat-vectors/{SEED_SLUG}.md": SEED,
        "threat-vectors/delete-trail.md": OTHER,
        "threat-vectors/hostile.md": HOSTILE,
    }


def _load_config(path: Path) -> dict[str, Any]:
    from mkdocs.utils.yaml import get_yaml_loader

    data = yaml.load(path.read_text(encoding="utf-8"), Loader=get_yaml_loader())
    assert isinstance(data, dict)
    return data


def site_config(root: Path = ROOT, **changes: str) -> Config:
    values = {"repo_url": REPO, "edit_uri": "edit/main/objects/"} | changes
    return Config(root=root, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "site"
    diagnostics = build_site(sample_pages(), SITE, out, site_config(), ATTACK,
                             project_dir=out.parent / ".mkdocs")
    assert [d.text() for d in diagnostics] == []
    return out


def test_builds_home_and_one_page_per_vector(built: Path) -> None:
    assert (built / "index.html").is_file()
    for slug in (SEED_SLUG, "delete-trail", "hostile"):
        assert (built / "threat-vectors" / slug / "index.html").is_file()
    assert (built / "about" / "index.html").is_file()
    assert (built / "search" / "search_index.json").is_file()


def test_object_pages_stay_out_of_the_navigation(built: Path) -> None:
    home = (built / "index.html").read_text(encoding="utf-8")
    assert 'href="threat-vectors/"' in home  # the section index is a tab
    assert "md-tabs" in home
    # Object pages are reached through index tables only: linked from the table, not the nav,
    # so a page that does not link to them never names them.
    assert home.count(f"threat-vectors/{SEED_SLUG}/") == 1
    about = (built / "about" / "index.html").read_text(encoding="utf-8")
    assert SEED_SLUG not in about


def test_footer_carries_attack_version_and_mitre_notice(built: Path) -> None:
    page = (built / "threat-vectors" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert "MITRE ATT&amp;CK® v19.0." in page
    assert "© The MITRE Corporation. This work is reproduced and distributed with the permission" in page


def test_object_pages_link_to_their_source_for_editing(built: Path) -> None:
    page = (built / "threat-vectors" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert f'href="{REPO}/edit/main/objects/threat-vectors/AWS%20Stop%20Logging%20CloudTrail.yaml"' in page \
        or f'href="{REPO}/edit/main/objects/threat-vectors/AWS Stop Logging CloudTrail.yaml"' in page
    home = (built / "index.html").read_text(encoding="utf-8")
    assert 'rel="edit"' not in home  # generated index pages have no source file to edit


def test_real_tags_are_listed_on_pages_and_the_tags_index(built: Path) -> None:
    page = (built / "threat-vectors" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert "md-tag" in page and "T1562.008" in page and "Criticality: Low" in page
    index = (built / "tags" / "index.html").read_text(encoding="utf-8")
    assert "T1562.008" in index and "AWS Stop Logging CloudTrail" in index


def test_nothing_is_fetched_from_third_parties(built: Path) -> None:
    for page in built.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "unpkg.com" not in text, page
        assert "cdn.jsdelivr" not in text, page
    assert (built / "assets" / "javascripts" / "mermaid.min.js").stat().st_size > 1_000_000


def test_hostile_front_matter_is_text_in_the_html(built: Path) -> None:
    page = (built / "threat-vectors" / "hostile" / "index.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "<script>alert" not in page
    assert "<svg onload" not in page
    assert 'onmouseover="alert' not in page
    assert "&lt;img src=x onerror=alert" in page  # shown as the text it is


def test_serve_project_is_left_behind_and_builds(built: Path, tmp_path: Path) -> None:
    project = built.parent / ".mkdocs"
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    # One plain file: the user's settings verbatim, then what tide fills in.
    assert (SITE / "mkdocs.yml").read_text(encoding="utf-8").strip() in text
    assert "INHERIT" not in text
    from mkdocs.utils.yaml import get_yaml_loader

    generated = yaml.load(text, Loader=get_yaml_loader())
    assert generated["docs_dir"] == "docs" and generated["theme"]["name"] == "material"
    assert generated["nav"][0] == {"Home": "index.md"}
    assert {"Threat vectors": "threat-vectors/index.md"} in generated["nav"]
    assert not any(SEED_SLUG in str(item) for item in generated["nav"])
    # What `mkdocs serve -f build/.mkdocs/mkdocs.yml` loads is a valid, strict project.
    assert run_mkdocs(project / "mkdocs.yml", tmp_path / "html") == []
    assert (tmp_path / "html" / "threat-vectors" / SEED_SLUG / "index.html").is_file()


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = tmp_path / "site"
    assert build_site(sample_pages(), SITE, again, site_config(), ATTACK) == []
    first = sorted(p.relative_to(built) for p in built.rglob("*"))
    second = sorted(p.relative_to(again) for p in again.rglob("*"))
    assert first == second
    for rel in first:
        if (built / rel).is_file():
            assert (built / rel).read_bytes() == (again / rel).read_bytes(), rel


def _previous_site(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "index.html").write_text("previous", encoding="utf-8")


def _assert_untouched(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert (out / "index.html").read_text(encoding="utf-8") == "previous"
    leftovers = [p.name for p in out.parent.iterdir() if p.name != out.name]
    assert leftovers == [], leftovers


def test_broken_link_fails_strict_build_and_keeps_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    _previous_site(out)
    pages = sample_pages()
    pages["threat-vectors/delete-trail.md"] = OTHER + "\nSee [a missing vector](missing.md).\n"
    diagnostics = build_site(pages, SITE, out, site_config(), ATTACK)
    assert diagnostics and all(d.is_error for d in diagnostics)
    texts = [d.text() for d in diagnostics]
    where = "threat-vectors/AWS Delete CloudTrail Trail.yaml:0:0: error:"
    assert any(t.startswith(where) and "missing.md" in t for t in texts), texts
    _assert_untouched(out)


def test_broken_anchor_fails_strict_build(tmp_path: Path) -> None:
    pages = sample_pages()
    pages["index.md"] = INDEX + f"\n[gone](threat-vectors/{SEED_SLUG}.md#no-such-heading)\n"
    diagnostics = build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK)
    assert any("no-such-heading" in d.message for d in diagnostics), diagnostics
    assert not (tmp_path / "site").exists()


def test_mkdocs_warnings_are_captured_not_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    pages = sample_pages()
    pages["index.md"] = INDEX + "\n[nowhere](nowhere.md)\n"
    with caplog.at_level(logging.DEBUG):
        diagnostics = build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK)
    assert len(diagnostics) == 1 and diagnostics[0].code == "site-warning"
    assert diagnostics[0].path == "<generated>/index.md"
    captured = capsys.readouterr()
    assert "nowhere" not in captured.out + captured.err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert logging.getLogger("mkdocs").propagate  # restored


def test_raw_html_left_in_a_page_fails_the_build(tmp_path: Path) -> None:
    out = tmp_path / "site"
    _previous_site(out)
    pages = sample_pages()
    pages["threat-vectors/delete-trail.md"] = OTHER + (
        "\n<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n[x](javascript:alert(3))\n"
    )
    diagnostics = build_site(pages, SITE, out, site_config(), ATTACK)
    messages = [d.message for d in diagnostics if d.code == "site-unsafe-html"]
    assert any("event handler attribute onerror" in m for m in messages), messages
    assert any("<script> inside the page content" in m for m in messages), messages
    assert any("script URL 'javascript:alert(3)'" in m for m in messages), messages
    assert all(d.path == "threat-vectors/AWS Delete CloudTrail Trail.yaml" for d in diagnostics)
    _assert_untouched(out)


@pytest.mark.parametrize("rel", ["../escape.md", "/abs.md", "a/./b.md", "a\\b.md", "page.html",
                                 ".hidden.md", "assets/x.md", "a//b.md"])
def test_unsafe_page_paths_are_refused(tmp_path: Path, rel: str) -> None:
    pages = sample_pages() | {rel: "---\ntitle: x\n---\n# x\n"}
    diagnostics = build_site(pages, SITE, tmp_path / "out" / "site", site_config(), ATTACK)
    assert [d.code for d in diagnostics] == ["site-page-path"]
    assert not (tmp_path / "escape.md").exists()
    assert not (tmp_path / "out" / "site").exists()


def test_generated_page_may_not_shadow_a_hand_written_one(tmp_path: Path) -> None:
    diagnostics = build_site(sample_pages() | {"about.md": "---\ntitle: About\n---\n"}, SITE, tmp_path / "site",
                             site_config(), ATTACK)
    assert [(d.path, d.code) for d in diagnostics] == [("site/docs/about.md", "site-page-clash")]


def test_missing_home_page_is_an_error(tmp_path: Path) -> None:
    pages = {k: v for k, v in sample_pages().items() if k != "index.md"}
    diagnostics = build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK)
    assert [d.code for d in diagnostics] == ["site-no-home"]


def test_broken_user_configuration_is_reported_with_position(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SITE, project)
    (project / "mkdocs.yml").write_text("theme:\n  name: material\n  features: [\n", encoding="utf-8")
    diagnostics = build_site(sample_pages(), project, tmp_path / "site", site_config(root=tmp_path), ATTACK)
    assert len(diagnostics) == 1
    assert diagnostics[0].path == "proj/mkdocs.yml" and diagnostics[0].line == 4
    assert diagnostics[0].code == "site-config"


def test_unknown_user_setting_fails_strict(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SITE, project)
    with (project / "mkdocs.yml").open("a", encoding="utf-8") as f:
        f.write("\nnot_a_setting: true\n")
    diagnostics = build_site(sample_pages(), project, tmp_path / "site", site_config(root=tmp_path), ATTACK)
    assert diagnostics and all(d.is_error for d in diagnostics)
    assert any("not_a_setting" in d.message for d in diagnostics), diagnostics


def test_without_repository_there_are_no_edit_links(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert build_site(sample_pages(), SITE, out, site_config(repo_url="", edit_uri=""), ATTACK) == []
    assert 'rel="edit"' not in (out / "threat-vectors" / SEED_SLUG / "index.html").read_text(encoding="utf-8")


def test_user_configuration_stays_plain() -> None:
    # Only built-in plugins and no hooks: other MkDocs Material compatible builders must cope.
    text = (SITE / "mkdocs.yml").read_text(encoding="utf-8")
    from mkdocs.utils.yaml import get_yaml_loader

    data = yaml.load(text, Loader=get_yaml_loader())
    assert "hooks" not in data
    assert [p if isinstance(p, str) else next(iter(p)) for p in data["plugins"]] == ["search", "tags"]
    for key in ("docs_dir", "site_dir", "site_name", "repo_url", "edit_uri", "nav", "copyright"):
        assert key not in data, f"{key} is filled in by tide build"
    extensions = [e if isinstance(e, str) else next(iter(e)) for e in data["markdown_extensions"]]
    for risky in ("attr_list", "md_in_html", "pymdownx.snippets"):
        assert risky not in extensions, f"{risky} would let object text reach HTML attributes or files"
    # Mermaid from the site itself, then the guard that keeps diagram labels as text.
    assert data["extra_javascript"][-2:] == ["assets/javascripts/mermaid.min.js", "assets/javascripts/tide.js"]


def test_neutralise_front_matter_escapes_strings_only() -> None:
    text = "---\ntitle: a <b> & 'c'\ntags:\n- x\"y\nversion: 3\n---\n# body <kept>\n"
    out = neutralise_front_matter(text)
    meta = yaml.safe_load(out.split("---\n")[1])
    assert meta == {"title": "a &lt;b&gt; &amp; &#x27;c&#x27;", "tags": ["x&quot;y"], "version": 3}
    assert out.endswith("---\n# body <kept>\n")
    plain = "---\ntitle: Plain\n---\nbody\n"
    assert neutralise_front_matter(plain) == plain
    assert neutralise_front_matter("no front matter\n") == "no front matter\n"


def test_edit_url_joins_repository_and_object_path() -> None:
    assert edit_url("https://h/r", "edit/main/objects/", "tv/x.yaml") == "https://h/r/edit/main/objects/tv/x.yaml"
    assert edit_url("https://h/r/", "edit/main/objects", "../tv/x.yaml") == "https://h/r/edit/main/objects/tv/x.yaml"


def test_sync_tree_updates_in_place(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.md").write_text("new", encoding="utf-8")
    (dest / "docs" / "old").mkdir(parents=True)
    (dest / "docs" / "a.md").write_text("old", encoding="utf-8")
    (dest / "stale.md").write_text("stale", encoding="utf-8")
    sync_tree(src, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["docs", "docs/a.md"]
    assert (dest / "docs" / "a.md").read_text(encoding="utf-8") == "new"


def test_assemble_project_keeps_user_nav(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SITE, project)
    with (project / "mkdocs.yml").open("a", encoding="utf-8") as f:
        f.write("\nnav:\n  - index.md\n  - about.md\n")
    dest = tmp_path / "assembled"
    assert assemble_project(sample_pages(), project, dest, site_config(root=tmp_path), ATTACK) == []
    assert _load_config(dest / "mkdocs.yml")["nav"] == ["index.md", "about.md"]


def test_navigation_has_the_index_pages_in_reading_order(tmp_path: Path) -> None:
    pages = {
        "index.md": "---\ntitle: Home\n---\n# Home\n",
        "vocabularies.md": "---\ntitle: Vocabularies\n---\n# V\n",
        "techniques.md": "---\ntitle: ATT&CK coverage\n---\n# T\n",
        "threat-vectors.md": "---\ntitle: Threat vectors\n---\n# TV\n",
        "zz-extra.md": "---\ntitle: Extra\n---\n# Extra\n",
        "threat-vectors/a.md": "---\ntitle: A\n---\n# A\n",
        "techniques/t1.md": "---\ntitle: T1\n---\n# T1\n",
    }
    dest = tmp_path / "assembled"
    assert assemble_project(pages, SITE, dest, site_config(), ATTACK) == []
    nav = _load_config(dest / "mkdocs.yml")["nav"]
    assert nav == [
        {"Home": "index.md"},
        {"Threat vectors": "threat-vectors.md"},
        {"ATT&CK coverage": "techniques.md"},
        {"Vocabularies": "vocabularies.md"},
        {"Extra": "zz-extra.md"},
        "about.md",
        "tags.md",
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
        return str(response.read().decode("utf-8"))


def test_serve_site_rebuilds_when_a_watched_file_changes(tmp_path: Path) -> None:
    watched = tmp_path / "objects"
    watched.mkdir()
    name = watched / "name.txt"
    name.write_text("First heading", encoding="utf-8")

    def rebuild(out: Path) -> list[Diagnostic]:
        pages = sample_pages()
        pages["index.md"] = INDEX.replace("# Threat vectors", "# " + name.read_text(encoding="utf-8"))
        return build_site(pages, SITE, out, site_config(), ATTACK)

    ready = threading.Event()
    handle: dict[str, Any] = {}
    reports: list[list[Diagnostic]] = []

    def on_ready(url: str, stop: Callable[[], None]) -> None:
        handle.update(url=url, stop=stop)
        ready.set()

    server = threading.Thread(target=serve_site, args=(rebuild, [watched]), daemon=True,
                              kwargs={"port": _free_port(), "report": reports.append, "ready": on_ready})
    server.start()
    assert ready.wait(60)

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if text in _get(handle["url"]):
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"{text!r} never served"
            time.sleep(0.2)

    try:
        wait_for("First heading")
        name.write_text("Second heading", encoding="utf-8")
        wait_for("Second heading")
    finally:
        handle["stop"]()
        server.join(10)
    assert not server.is_alive()
    assert reports and all(r == [] for r in reports)


def test_generated_pages_need_a_front_matter_title(tmp_path: Path) -> None:
    # MkDocs would take the heading, entities decoded, as the title, which the theme prints raw.
    pages = sample_pages()
    pages["threat-vectors/no-title.md"] = "# Heading &lt;img src=x onerror=alert(1)&gt;\n"
    diagnostics = build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK)
    assert [(d.path, d.code) for d in diagnostics] == [("<generated>/threat-vectors/no-title.md", "site-page-title")]


def test_entity_decoded_heading_title_is_caught_by_the_html_check(tmp_path: Path) -> None:
    # The same page reaching MkDocs anyway (e.g. a title-less page assembled by hand) is refused
    # by the check of the built HTML, not published.
    project = tmp_path / "project"
    pages = sample_pages()
    assert assemble_project(pages, SITE, project, site_config(), ATTACK) == []
    (project / "docs" / "threat-vectors" / "no-title.md").write_text(
        "# Heading &lt;img src=x onerror=alert(1)&gt;\n", encoding="utf-8")
    html = tmp_path / "html"
    assert run_mkdocs(project / "mkdocs.yml", html) == []
    found = check_site_safety(html, {"threat-vectors/no-title.md": ""})
    assert [d.code for d in found] == ["site-unsafe-html"]
    assert "onerror" in found[0].message


# Each leaves the page's theme scripts alone and adds one way to run script.
INJECTIONS = [
    "<img src=x onerror=alert(1)>", "<IMG SRC=x OnError = 'alert(1)'>", "<svg/onload=alert(1)>",
    '<p title="x"onclick="alert(1)">', "<script>alert(1)</script>", "<ScRiPt src=//evil.example/x.js></script>",
    '<a href="javascript:alert(1)">x</a>', '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>', '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>', '<iframe src="data:text/html,<b>">', '<object data="x.swf">',
    '<embed src="x.swf">', '<base href="//evil.example/">', '<form action="//evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', "<style>*{}</style>",
]


def test_html_check_skips_only_pages_with_nothing_but_the_theme_scripts(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tide.site_safety

    parsed: list[bytes] = []
    scan = tide.site_safety._scan
    monkeypatch.setattr(tide.site_safety, "_scan", lambda data: parsed.append(data) or scan(data))
    site = tmp_path / "site"
    shutil.copytree(built, site)
    page = site / "threat-vectors" / SEED_SLUG / "index.html"
    rel = {f"threat-vectors/{SEED_SLUG}.md": ""}
    assert check_site_safety(site, rel) == [] and len(parsed) == 1  # the 404 page only
    clean = page.read_text(encoding="utf-8")
    for injection in INJECTIONS:
        page.write_text(clean.replace("</article>", f"{injection}</article>"), encoding="utf-8")
        found = check_site_safety(site, rel)
        assert found and {d.code for d in found} == {"site-unsafe-html"}, injection


def test_user_settings_that_tide_fills_in_are_replaced_not_repeated(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SITE, project)
    user = (SITE / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: Old name  # replaced\ncopyright: |\n  <b>Example CSIRT</b>\n" + user
        + "\ndocs_dir: elsewhere\n", encoding="utf-8")
    dest = tmp_path / "assembled"
    assert assemble_project(sample_pages(), project, dest, site_config(root=tmp_path), ATTACK) == []
    text = (dest / "mkdocs.yml").read_text(encoding="utf-8")
    assert "Old name" not in text and "elsewhere" not in text
    assert text.count("\nsite_name:") == 1 and text.count("\ncopyright:") == 1
    assert "extra_javascript:" in text and "!!python/name:pymdownx.superfences.fence_code_format" in text
    from mkdocs.utils.yaml import get_yaml_loader

    data = yaml.load(text, Loader=get_yaml_loader())
    assert data["site_name"] == "OpenTide threat vectors"
    assert data["copyright"].startswith("<b>Example CSIRT</b><br>")
    assert "MITRE ATT&amp;CK® v19.0" in data["copyright"]


def test_flow_style_configuration_is_an_error(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SITE, project)
    (project / "mkdocs.yml").write_text("{site_name: x, theme: {name: material}}\n", encoding="utf-8")
    diagnostics = assemble_project(sample_pages(), project, tmp_path / "a", site_config(root=tmp_path), ATTACK)
    assert [d.code for d in diagnostics] == ["site-config"] and "block style" in diagnostics[0].message


def test_sources_given_by_the_caller_make_edit_links_and_name_diagnostics(tmp_path: Path) -> None:
    pages = {rel: text.replace("source: threat-vectors/AWS Delete CloudTrail Trail.yaml\n", "")
             for rel, text in sample_pages().items()}
    pages["threat-vectors/delete-trail.md"] += "\n[gone](gone.md)\n"
    sources = {"threat-vectors/delete-trail.md": "threat-vectors/delete.yaml"}
    diagnostics = build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK, sources=sources)
    assert [d.path for d in diagnostics] == ["threat-vectors/delete.yaml"]
    pages["threat-vectors/delete-trail.md"] = pages["threat-vectors/delete-trail.md"].replace("[gone](gone.md)", "")
    assert build_site(pages, SITE, tmp_path / "site", site_config(), ATTACK, sources=sources) == []
    page = (tmp_path / "site" / "threat-vectors" / "delete-trail" / "index.html").read_text(encoding="utf-8")
    assert f'href="{REPO}/edit/main/objects/threat-vectors/delete.yaml"' in page
