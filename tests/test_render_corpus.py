"""Markdown pages of the real pipeline: the seed page against the reference page and a golden copy,
the 226 ShareTide vectors (determinism, links, front matter, no raw HTML), and the example pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import markdown
import pytest
import yaml
from test_render_pages import assert_links_resolve, outside_code

from tide.build import compile_catalogue
from tide.config import load_config
from tide.model import Catalogue
from tide.render import render_markdown, vector_page

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "sharetide" / "tvm"
SEED = SHARED / "seed" / "AWS Stop Logging CloudTrail.yaml"
REFERENCE = SHARED / "seed" / "AWS Stop Logging CloudTrail.rendered.md"
TEMPLATES = ROOT / "templates"
GOLDEN = ROOT / "tests" / "golden" / "markdown" / "aws-stop-logging-cloudtrail.md"
SAFE_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "code", "pre", "strong", "em", "a",
             "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td", "div"}


def need(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data is missing at {path}")
        pytest.skip(f"shared data is not at {path}")
    return path


def compile_paths(*paths: Path) -> Catalogue:
    catalogue, diagnostics = compile_catalogue(list(paths), load_config(ROOT))
    assert catalogue is not None, [d.text() for d in diagnostics if d.is_error]
    return catalogue


@pytest.fixture(scope="module")
def seed_page() -> str:
    catalogue = compile_paths(need(SEED))
    return render_markdown(catalogue, TEMPLATES)[vector_page(catalogue.vectors[0])]


@pytest.fixture(scope="module")
def corpus() -> tuple[Catalogue, dict[str, str]]:
    catalogue = compile_paths(need(CORPUS))
    return catalogue, render_markdown(catalogue, TEMPLATES)


def test_seed_page_matches_golden(seed_page: str) -> None:
    if os.environ.get("TIDE_REFRESH_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(seed_page, encoding="utf-8", newline="\n")
    assert seed_page == GOLDEN.read_text("utf-8"), "refresh with TIDE_REFRESH_GOLDEN=1 if the change is wanted"


def reference_facts() -> list[str]:
    """Every fact of the old tool's page for the seed: values, descriptions, links, metadata."""
    text = need(REFERENCE).read_text("utf-8")
    facts = set(re.findall(r"https?://[^\s)'\]]+", text))
    facts |= {d.strip() for d in re.findall(r"(?:\)|`) : (.+)$", text, flags=re.M)}
    facts |= {q.strip() for q in re.findall(r"^ > (.+)$", text.split("## Model Data")[1], flags=re.M)}
    facts |= {v.split(" ", 1)[-1].strip() for v in re.findall(r"`([^`]+)`\]?\(?", text.split("## Model Data")[1])}
    facts |= set(re.findall(r"`[^`]*?: ([^`]+)`", text.split("## 👁️")[0]))  # the metadata line
    facts |= {"Impair Defenses: Disable or Modify Cloud Logs", "T1562.008", "Criticality: Low", "TLP:CLEAR"}
    facts -= {"Placeholder", "{'uuid': '56b0a0f0-b0bc-47d9-bb46-02f80ae2065a', 'name': 'EC DIGIT CSOC'}"}
    facts.add("EC DIGIT CSOC")
    return sorted(facts)


def test_seed_page_has_every_fact_of_the_reference_page(seed_page: str) -> None:
    facts = reference_facts()
    assert len(facts) > 40
    flat = " ".join(seed_page.split())
    missing = [fact for fact in facts if " ".join(fact.split()) not in flat]
    assert not missing


def test_seed_page_description_and_terrain_are_whole(seed_page: str) -> None:
    source = yaml.safe_load(need(SEED).read_text("utf-8"))["threat"]
    for key in ("description", "terrain"):
        words = " ".join(source[key].split())
        assert words.replace("### ", "") in " ".join(seed_page.replace("> ", "").replace("### ", "").split())


def test_seed_page_has_none_of_the_old_defects(seed_page: str) -> None:
    assert "#-" not in seed_page and "{'uuid'" not in seed_page and "Placeholder" not in seed_page
    assert "[_1_]" not in seed_page and not re.search(r"^\[\d\]:", seed_page, flags=re.M)
    assert "No related OpenTide objects." in seed_page  # the seed has no chaining
    assert not re.search(r"[ \t]$", seed_page, flags=re.M)
    assert "**revoked in ATT&CK**, replaced by" in seed_page  # T1562.008 is revoked in the pinned ATT&CK


def test_all_corpus_vectors_render(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    catalogue, pages = corpus
    assert len(catalogue.vectors) == len(list(CORPUS.glob("*.yaml"))) == 226
    for vector in catalogue.vectors:
        text = pages[vector_page(vector)]
        front = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
        assert front == {"uuid": vector.uuid, "title": vector.name}


def test_two_builds_are_byte_identical(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    _, pages = corpus
    again = render_markdown(compile_paths(CORPUS), TEMPLATES)
    assert list(again) == list(pages) and again == pages
    assert all("\r" not in text and text.endswith("\n") for text in pages.values())


def test_every_internal_link_of_the_corpus_build_resolves(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    assert_links_resolve(corpus[1])


@pytest.fixture(scope="module")
def corpus_html(corpus: tuple[Catalogue, dict[str, str]]) -> dict[str, str]:
    """The pages as Python-Markdown (MkDocs' renderer) turns them into HTML, made once."""
    md = markdown.Markdown(extensions=["tables", "fenced_code", "attr_list"])
    out = {}
    for path, text in corpus[1].items():
        out[path] = md.reset().convert(text.split("\n---\n", 1)[1])
    return out


def test_every_rendered_href_is_a_web_url_or_a_page(corpus_html: dict[str, str]) -> None:
    """What a Markdown renderer makes of the pages (reference definitions included): every link
    target is an absolute web URL or another page of the build."""
    import posixpath

    for path, html in corpus_html.items():
        for href in re.findall(r'(?:href|src)="([^"]*)"', html):
            if re.match(r"(https?|ftp)://|mailto:", href):
                continue
            assert posixpath.normpath(posixpath.join(posixpath.dirname(path), href)) in corpus_html, (path, href)


def test_every_page_has_front_matter(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    for path, text in corpus[1].items():
        assert re.match(r"---\nuuid: [0-9a-f-]{36}\ntitle: .+\n---\n", text), path


def test_corpus_pages_carry_no_raw_html(corpus_html: dict[str, str]) -> None:
    for path, html in corpus_html.items():
        assert set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)) <= SAFE_TAGS, path
        assert not re.search(r'(href|src)="\s*javascript:', html, flags=re.I), path


def test_mkdocs_flavour_of_the_corpus(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    catalogue, portable = corpus
    pages = render_markdown(catalogue, TEMPLATES, flavour="mkdocs")
    assert list(pages) == list(portable)
    for vector in catalogue.vectors:
        front = yaml.safe_load(pages[vector_page(vector)].split("\n---\n", 1)[0][4:])
        assert front["tags"] and all(isinstance(tag, str) for tag in front["tags"])
        assert "!!! danger" in pages[vector_page(vector)]


def page_of(corpus: tuple[Catalogue, dict[str, str]], name: str) -> str:
    catalogue, pages = corpus
    return pages[vector_page(next(v for v in catalogue.vectors if v.name == name))]


def test_example_with_actors_cve_and_chaining(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    text = page_of(corpus, "Admin SMB shares privilege escalation exploit")
    assert "- [CVE-2025-33073](https://nvd.nist.gov/vuln/detail/CVE-2025-33073)" in text
    rows = [line for line in text.splitlines() if line.startswith("| [APT39]")]
    assert len(rows) == 2 and "MITRE ATT&CK group [G0087]" in rows[0] and "MISP threat-actor galaxy" in rows[1]
    assert "APT39 is a vietnam-based threat group known to use SMB for lateral movement." in rows[1]
    graph = text.split("```mermaid\n")[1].split("```")[0]
    nodes = dict(re.findall(r'    (n\d+)\["([^"]+)"\]', graph))
    ids = {name: node for node, name in nodes.items()}
    me = ids["Admin SMB shares privilege escalation exploit"]
    assert me == "n0"
    # implements is drawn from the more specific vector; succeeds from the earlier one
    assert f"    {ids['Lateral movement using Impacket framework']} -->|implements| n0" in graph
    assert f"    {ids['Move laterally with SMB by abusing WMI']} -->|precedes| n0" in graph
    assert "APT29" not in graph and "Windows" not in graph and "CVE" not in graph
    assert "No related OpenTide objects" not in outside_code(text)


def test_example_with_bidirectional_chaining(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    text = page_of(corpus, "Command injection on web components of Ivanti Connect Secure appliances")
    graph = text.split("```mermaid\n")[1].split("```")[0]
    ids = {name: node for node, name in re.findall(r'    (n\d+)\["([^"]+)"\]', graph)}
    bypass = ids["authentication bypass on Ivanti Connect Secure appliances"]
    assert re.search(rf"    (n0 <-->\|synergize\| {bypass}|{bypass} <-->\|synergize\| n0)", graph)
    assert f"    {ids['Web Shell Attacks']} -->|enables| n0" in graph
    for cve in ("CVE-2024-21887", "CVE-2024-21888", "CVE-2024-21893"):
        assert f"- [{cve}](https://nvd.nist.gov/vuln/detail/{cve})" in text


def test_index_pages_of_the_corpus(corpus: tuple[Catalogue, dict[str, str]]) -> None:
    catalogue, pages = corpus
    assert "| [Threat vectors](threat-vectors.md) | 226 |" in pages["index.md"]
    rows = [line for line in pages["threat-vectors.md"].splitlines() if line.startswith("| [")]
    assert len(rows) == 226
    matrix = pages["techniques.md"]
    assert re.findall(r"^## (.+)$", matrix, flags=re.M) == ["Enterprise", "Mobile", "ICS",
                                                          "Revoked or deprecated techniques cited"]
    enterprise = re.findall(r"^### (.+)$", matrix.split("## Mobile")[0], flags=re.M)
    assert enterprise == ["Reconnaissance", "Resource Development", "Initial Access", "Execution", "Persistence",
                          "Privilege Escalation", "Stealth", "Defense Impairment", "Credential Access", "Discovery",
                          "Lateral Movement", "Collection", "Command and Control", "Exfiltration", "Impact"]
    retired = matrix.split("## Revoked or deprecated techniques cited")[1]
    assert "- [T1562.008](techniques/t1562-008.md) [Impair Defenses: Disable or Modify Cloud Logs]" in retired
    assert "[T1562.008]" not in matrix.split("## Revoked")[0]
    cited = {t.id for v in catalogue.vectors for r in v.techniques if (t := r.replacement or r.technique)}
    for tid in cited:
        assert f"techniques/{tid.lower().replace('.', '-')}.md" in pages
    assert any(p.startswith("actors/") for p in pages) and "platforms/windows.md" in pages
