"""Markdown pages from hand-made catalogues: every defect of the old pages, hostile objects,
chaining graphs, links and front matter. The real pipeline is exercised in test_render_corpus.py."""

from __future__ import annotations

import dataclasses
import re
import uuid as uuid_module
from pathlib import Path
from typing import Any

import pytest
import yaml

from tide.model import (
    Actor,
    AttackInfo,
    Catalogue,
    Chain,
    Organisation,
    Reference,
    Tactic,
    Technique,
    TechniqueRef,
    Vector,
    VocabEntry,
)
from tide.render import render_markdown
from tide.render.pages import PAGE_KINDS, page_path
from tide.vocabularies import load_vocabularies

TEMPLATES = Path(__file__).parents[1] / "templates"
ATTACK = AttackInfo("19.0", "enterprise-attack", "test", "0" * 64,
                    "© The MITRE Corporation. This work is reproduced and distributed with the permission of "
                    "The MITRE Corporation.")
DEFENSE_EVASION = Tactic("TA0005", "defense-evasion", "Defense Evasion")


def technique(tid: str, name: str, **kw: Any) -> Technique:
    parent = tid.split(".")[0] if "." in tid else ""
    values: dict[str, Any] = dict(
        id=tid, stix_id=f"attack-pattern--{tid}", name=name, full_name=name,
        description=f"{name} is a technique. Adversaries may do things.", summary=f"Adversaries may {name.lower()}.",
        tactics=(DEFENSE_EVASION,), platforms=("IaaS",),
        url=f"https://attack.mitre.org/techniques/{tid.replace('.', '/')}",
        parent=parent, subtechniques=(), deprecated=False, revoked=False, revoked_by="", mitigations=(),
        detections=(), galaxy_value=f"{name} - {tid}")
    values.update(kw)
    return Technique(**values)


CLOUD_LOGS = technique("T1562.008", "Disable or Modify Cloud Logs",
                       full_name="Impair Defenses: Disable or Modify Cloud Logs",
                       summary="An adversary may disable or modify cloud logging capabilities and integrations "
                               "to limit what data is collected on their activities and avoid detection.")


def entry(field: str, name: str) -> VocabEntry:
    found = load_vocabularies()[field].get(name)
    assert found is not None, (field, name)
    return found


def vector(name: str = "AWS Stop Logging CloudTrail", **kw: Any) -> Vector:
    values: dict[str, Any] = dict(
        uuid="d370aaea-c3e5-4d58-a6c9-3d1a7ffe50e3", name=name,
        slug=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        path=f"{name}.yaml", schema="tvm::2.0", version=1, created="2024-10-31", modified="2024-10-31",
        tlp=entry("tlp", "clear"), classification=None, author="", contributors=(),
        organisation=Organisation("56b0a0f0-b0bc-47d9-bb46-02f80ae2065a", "EC DIGIT CSOC"),
        criticality=entry("criticality", "Low"), killchain=(entry("killchain", "Defense Evasion"),),
        domains=(entry("domains", "Public Cloud"), entry("domains", "Private Cloud")),
        targets=(entry("targets", "IaaS"),), platforms=(entry("platforms", "AWS"),),
        severity=entry("severity", "Moderate incident"),
        leverage=(entry("leverage", "Log tampering"), entry("leverage", "Modify configuration")),
        impact=(entry("impact", "Impairement"),), viability=entry("viability", "Unlikely"),
        techniques=(TechniqueRef("T1562.008", CLOUD_LOGS),), actors=(), chaining=(), cves=(), misp_events=(),
        terrain="A threat actor requires authenticated access \nwith permissions cloudtrail:StopLogging.\n",
        description="### The threat\n\nAn attacker disables `StopLogging` logging.\n",
        references=(Reference("public", "1", "https://securitylabs.datadoghq.com/cloud-security-atlas/attacks/"),
                    Reference("public", "2", "https://research.splunk.com/cloud/0b78a8f9/")),
        source_text="", data={})
    values.update(kw)
    return Vector(**values)


def catalogue(*vectors: Vector) -> Catalogue:
    ordered = tuple(sorted(vectors, key=lambda v: (v.name, v.uuid)))
    return Catalogue(vectors=ordered, vocabularies=load_vocabularies(), attack=ATTACK)


def render(*vectors: Vector, flavour: str = "portable") -> dict[str, str]:
    return render_markdown(catalogue(*vectors), TEMPLATES, flavour)


SEED = "threat-vectors/aws-stop-logging-cloudtrail.md"
UUID_A, UUID_B, UUID_C, UUID_D = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abcd")


def chain(relation: str, target: Vector, description: str = "because") -> Chain:
    stage, _, verb = relation.partition("::")
    relation_entry = next(e for e in load_vocabularies()["chaining"].entries if e.stage == stage and e.name == verb)
    directions = {"preceeds": "from", "succeeds": "to", "implemented": "from", "implements": "to",
                  "enabled": "from", "enabling": "to", "synergize": "bidirectional"}
    return Chain(relation, stage, verb, directions[verb], relation_entry, target.uuid,  # type: ignore[arg-type]
                 target.name, target.slug, description)


def chained() -> tuple[Vector, Vector, Vector, Vector]:
    """A preceeds B; C succeeds A (so A precedes C too); B synergizes with D; D is two hops from A."""
    a0, b, c0, d0 = (vector(name, uuid=uid) for name, uid in
                     (("Alpha", UUID_A), ("Bravo", UUID_B), ("Charlie", UUID_C), ("Delta", UUID_D)))
    d = dataclasses.replace(d0, actors=(APT39,), platforms=(entry("platforms", "Windows"),))
    b = dataclasses.replace(b, chaining=(chain("support::synergize", d),))
    a = dataclasses.replace(a0, chaining=(chain("sequence::preceeds", b),))
    c = dataclasses.replace(c0, chaining=(chain("sequence::succeeds", a),))
    return a, b, c, d


APT39 = Actor("att&ck", "G0087", "APT39", ("Chafer", "ITG07"), "[APT39](https://attack.mitre.org/groups/G0087) "
              "is an espionage group.", "https://attack.mitre.org/groups/G0087", "",
              sighting="Seen using SMB\nfor lateral movement.", references=("https://example.com/report",))
APT39_MISP = Actor("misp", "c2c64bd3-a325-446f-91a8-b4c0f173a30b", "APT39", ("Chafer", "REMIX KITTEN"),
                   "APT39 was created to bring together previous activities.", "", 'misp-galaxy:threat-actor="APT39"')


def page(pages: dict[str, str], name: str) -> str:
    return pages[f"threat-vectors/{name}.md"]


def outside_code(text: str) -> str:
    return re.sub(r"^(`{3,}).*?^\1", "(code)", text, flags=re.M | re.S)


# -- the defects of the old pages, one regression test each --------------------------------------

def test_tags_are_the_vectors_vocabulary_values() -> None:
    text = render(vector())[SEED]
    tags = text.split("🏷️ **Tags:** ")[1].strip()
    assert tags == ("[Defense Evasion](../vocabularies/killchain.md) · [Public Cloud](../domains/public-cloud.md) · "
                    "[Private Cloud](../domains/private-cloud.md) · [IaaS](../targets/iaas.md) · "
                    "[AWS](../platforms/aws.md) · [T1562.008](../techniques/t1562-008.md)")
    assert "#-" not in text


def test_organisation_is_printed_by_name() -> None:
    text = render(vector())[SEED]
    assert "🏢 **Organisation:** EC DIGIT CSOC" in text and "{'uuid'" not in text and "56b0a0f0" not in text


def test_entries_without_icon_have_no_stray_space() -> None:
    text = render(vector())[SEED]
    assert "\n- AWS ([vectors](../platforms/aws.md))\n" in text
    assert not re.search(r"[^ ]  +[^ ]", outside_code(text).replace("\n    ", "\n"))  # no double spaces
    assert not re.search(r"^ +[^ |]", outside_code(text), flags=re.M)  # no stray leading space


def test_placeholder_descriptions_are_omitted() -> None:
    text = render(vector())[SEED]
    assert "Placeholder" not in text
    assert "[☁️ IaaS](http://veriscommunity.net/enums.html#section-asset) ([vectors](../targets/iaas.md))" in text


def test_references_are_numbered_links() -> None:
    text = render(vector())[SEED]
    assert ("- \\[1\\] [https://securitylabs.datadoghq.com/cloud-security-atlas/attacks/]"
            "(https://securitylabs.datadoghq.com/cloud-security-atlas/attacks/)") in text
    assert ("- \\[2\\] [https://research.splunk.com/cloud/0b78a8f9/]"
            "(https://research.splunk.com/cloud/0b78a8f9/)") in text
    assert "[_1_]" not in text and not re.search(r"^\[\d+\]:", text, flags=re.M)


def test_reference_urls_that_are_not_web_links_are_shown_as_text() -> None:
    text = render(vector(references=(Reference("public", "1", "javascript:alert(1)"),)))[SEED]
    assert "- \\[1\\] javascript:alert(1)" in text


def test_hover_text_is_a_clean_summary() -> None:
    text = render(vector())[SEED]
    assert ('[Impair Defenses: Disable or Modify Cloud Logs](https://attack.mitre.org/techniques/T1562/008 '
            '"An adversary may disable or modify cloud logging capabilities and integrations to limit what data '
            'is collected on their activities and avoid detection.")') in text


def test_preceeds_points_forward_and_succeeds_backward() -> None:
    a, b, c, d = chained()
    text = page(render(a, b, c, d), "alpha")
    graph = text.split("```mermaid\n")[1].split("```")[0]
    assert graph.splitlines()[:4] == ['flowchart LR', '    n0["Alpha"]', '    n1["Bravo"]', '    n2["Charlie"]']
    # A preceeds B: A --> B; C succeeds A: A --> C. Both read "precedes" along the arrow.
    assert "    n0 -->|precedes| n1" in graph and "    n0 -->|precedes| n2" in graph
    assert "n1 --> n0" not in graph and "n2 --> n0" not in graph


def test_chaining_graph_is_bounded_to_direct_neighbours() -> None:
    a, b, c, d = chained()
    graph = page(render(a, b, c, d), "alpha").split("```mermaid\n")[1].split("```")[0]
    assert "Delta" not in graph and "APT39" not in graph and "Windows" not in graph  # two hops, actors, platforms
    b_graph = page(render(a, b, c, d), "bravo").split("```mermaid\n")[1].split("```")[0]
    assert '    n2["Delta"]' in b_graph and "    n0 <-->|synergize| n2" in b_graph  # Bravo=n0, Alpha=n1, Delta=n2
    assert "    n1 -->|precedes| n0" in b_graph


def test_chaining_graph_does_not_depend_on_input_order() -> None:
    a, b, c, d = chained()
    a2 = dataclasses.replace(a, chaining=(chain("support::enabling", d), chain("sequence::preceeds", b)))
    a3 = dataclasses.replace(a, chaining=tuple(reversed(a2.chaining)))
    first, second = render(a2, b, c, d), render(d, c, b, a3)
    graph = lambda pages: page(pages, "alpha").split("```mermaid\n")[1].split("```")[0]  # noqa: E731
    assert graph(first) == graph(second)
    assert "    n3 -->|enables| n0" in graph(first)  # Delta enables Alpha: the enabler points at the enabled


def test_related_objects_are_listed_when_chaining_exists() -> None:
    a, b, c, d = chained()
    pages = render(a, b, c, d)
    text = page(pages, "charlie")  # Charlie declares nothing towards Alpha's neighbours but succeeds Alpha
    assert "No related OpenTide objects" not in text
    related = text.split("### 🌊 Related OpenTide objects\n\n")[1].split("\n\n")[0]
    assert related.startswith("- [Alpha](alpha.md")
    alpha = page(pages, "alpha")
    rows = [line for line in alpha.splitlines() if line.startswith("| [")]
    assert len(rows) == 2 and "`sequence::preceeds`" in rows[0] and "`sequence::succeeds`" in rows[1]
    # each row also tells the other vector's terrain and techniques
    assert rows[0].endswith("| because | A threat actor requires authenticated access with permissions "
                            "cloudtrail:StopLogging. | [T1562.008](../techniques/t1562-008.md) |")
    assert "No related OpenTide objects." in render(vector())[SEED]


def test_no_stray_whitespace() -> None:
    a, b, c, d = chained()
    for text in [*render(a, b, c, d).values(), render(vector())[SEED]]:
        assert not re.search(r"[ \t]$", text, flags=re.M)
        assert "\n\n\n" not in outside_code(text) and text.endswith("\n") and not text.endswith("\n\n")
    text = render(vector())[SEED]
    assert "\n## 🖥️ Terrain\n\n> A threat actor requires authenticated access\n> with permissions" in text


def test_revoked_techniques_are_marked_and_link_their_replacement() -> None:
    new = technique("T1059.001", "PowerShell", full_name="Command and Scripting Interpreter: PowerShell")
    old = technique("T1086", "PowerShell", revoked=True, revoked_by="T1059.001")
    pages = render(vector(techniques=(TechniqueRef("T1086", old, new),)))
    text = pages[SEED]
    assert ("- [T1086](../techniques/t1086.md) [PowerShell](https://attack.mitre.org/techniques/T1086 "
            '"Adversaries may powershell.") — **revoked in ATT&CK**, replaced by '
            "[T1059.001](../techniques/t1059-001.md) "
            "[Command and Scripting Interpreter: PowerShell](https://attack.mitre.org/techniques/T1059/001") in text
    assert "**Revoked in ATT&CK.** Replaced by [T1059.001](t1059-001.md)" in pages["techniques/t1086.md"]
    assert "| T1086 |" in pages["techniques/t1059-001.md"]  # cited through the revoked id
    assert "[T1059.001](../techniques/t1059-001.md)" in text.split("🏷️ **Tags:** ")[1]


def test_unknown_techniques_are_named_without_a_link() -> None:
    text = render(vector(techniques=(TechniqueRef("T9999", None),)))[SEED]
    assert "- T9999 (not in the ATT&CK data of this build)" in text


# -- content ------------------------------------------------------------------------------------

def test_seed_page_order_of_sections() -> None:
    text = render(vector(cves=("CVE-2025-33073",), actors=(APT39,)))[SEED]
    marks = ["# ☣️ AWS Stop Logging CloudTrail", "🔥 **Criticality: Low** 🔫: A Low priority incident",
             "🚦 **TLP:CLEAR** ⚪: Recipients can spread", "🗡️ **ATT&CK techniques**", "🔑 **UUID:** `d370aaea",
             "🏷️ **Version:** 1", "🗓️ **Created:** 2024-10-31", "🗓️ **Modified:** 2024-10-31",
             "🏢 **Organisation:** EC DIGIT CSOC", "🧱 **Schema:** `tvm::2.0`", "## 👁️ Description",
             "### The threat", "## 🖥️ Terrain", "## ❤️‍🩹 Common Vulnerabilities and Exposures",
             "## 🕸️ Relations", "### 🐲 Actor sightings", "### 🌊 Related OpenTide objects", "## Model data",
             "### ⛓️ Cyber Kill Chain", "### 🛰️ Domains", "### 🎯 Targets", "### 💿 Platforms concerned",
             "### 💣 Severity", "### 🪄 Leverage acquisition", "### 💥 Impact", "### 🎲 Vector Viability",
             "## 🔗 References", "🏷️ **Tags:**"]
    positions = [text.index(mark) for mark in marks]
    assert positions == sorted(positions)


def test_cves_are_linked_without_lookups() -> None:
    text = render(vector(cves=("CVE-2025-33073", "not a cve <b>")))[SEED]
    assert ("- [CVE-2025-33073](https://nvd.nist.gov/vuln/detail/CVE-2025-33073) "
            "([CVE.org](https://www.cve.org/CVERecord?id=CVE-2025-33073))") in text
    assert "- not a cve &lt;b>" in text


def test_actor_sightings_and_actor_pages() -> None:
    pages = render(vector(actors=(APT39, APT39_MISP)))
    rows = [line for line in pages[SEED].splitlines() if line.startswith("| [APT39]")]
    assert rows[0].startswith("| [APT39](../actors/g0087-apt39.md) | 🗡️ MITRE ATT&CK group "
                              "[G0087](https://attack.mitre.org/groups/G0087) | Chafer, ITG07 |")
    assert "| Seen using SMB for lateral movement. | [https://example.com/report](https://example.com/report) |" \
        in rows[0]
    assert rows[1].startswith("| [APT39](../actors/apt39-c2c64bd3.md) | 🌌 MISP threat-actor galaxy |")
    assert "No documented sighting" in rows[1]
    assert "Seen using SMB for lateral movement." in pages["actors/g0087-apt39.md"]
    assert "[APT39](actors/apt39-c2c64bd3.md)" in pages["actors.md"]


def test_index_pages() -> None:
    a, b, c, d = chained()
    pages = render(a, b, c, d)
    assert "| [Threat vectors](threat-vectors.md) | 4 |" in pages["index.md"]
    assert "The MITRE Corporation" in pages["index.md"] and "The MITRE Corporation" in pages["techniques/t1562-008.md"]
    vectors = [line for line in pages["threat-vectors.md"].splitlines() if line.startswith("| [")]
    assert [re.match(r"\| \[(\w+)\]", row).group(1) for row in vectors] == ["Alpha", "Bravo", "Charlie", "Delta"]  # type: ignore[union-attr]
    assert vectors[0].endswith("| 🔫 Low | 🧨 Moderate incident | Defense Evasion | "
                               "[T1562.008](techniques/t1562-008.md) | [AWS](platforms/aws.md) |")
    assert "| Defense Evasion | 1 | 4 |" in pages["techniques.md"]
    technique_page = pages["techniques/t1562-008.md"]
    assert technique_page.count("| [") == 4 and "Disable or Modify Cloud Logs is a technique." in technique_page
    assert "[Windows](platforms/windows.md)" in pages["platforms.md"]
    assert "[Delta](../threat-vectors/delta.md" in pages["platforms/windows.md"]
    # The pages of a value list thousands of vectors: one line each, only the vector a link.
    assert "\n- [Alpha](../threat-vectors/alpha.md) — 🔫 Low · 🧨 Moderate incident · Defense Evasion · " \
        "T1562.008 · AWS\n" in pages["platforms/aws.md"]
    killchain = pages["vocabularies/killchain.md"]
    assert "## 🏃🏽 Defense Evasion" in killchain
    assert "\n**4 threat vectors:** [Alpha](../threat-vectors/alpha.md), [Bravo](../threat-vectors/bravo.md), " \
        in killchain
    assert "No threat vector uses it." in killchain


# -- safety -------------------------------------------------------------------------------------

HOSTILE_TEXT = ('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) '
                '[y]: data:text/html,hi\n\n# Heading')


def hostile() -> Vector:
    return vector('../../etc/passwd <script>alert("x")</script> [a](javascript:b)', slug="etc-passwd-script",
                  description=HOSTILE_TEXT, terrain=HOSTILE_TEXT, author="<b>me</b>",
                  contributors=("[x](javascript:y)",),
                  organisation=Organisation("x", "<svg onload=alert(1)>"), cves=("<script>",),
                  references=(Reference("public", "1", 'https://example.com/"><script>'),),
                  actors=(dataclasses.replace(APT39, sighting=HOSTILE_TEXT, references=("javascript:alert(1)",)),))


@pytest.mark.parametrize("flavour", ["portable", "mkdocs"])
def test_hostile_objects_render_inert(flavour: str) -> None:
    import markdown

    pages = render(hostile(), vector(uuid=UUID_B), flavour=flavour)
    assert all(check(path) for path in pages)
    for path, text in pages.items():
        out = markdown.markdown(text.split("\n---\n", 1)[1], extensions=["tables", "attr_list"])
        assert not re.search(r"<(script|img|svg|iframe)\b", out), path
        assert not re.search(r'href="\s*(javascript|data|vbscript):', out, flags=re.I), path
    text = pages["threat-vectors/etc-passwd-script.md"]
    assert "# ☣️ ../../etc/passwd &lt;script>alert(\"x\")&lt;/script> \\[a\\](javascript:b)" in text
    assert "### Heading" in text and "\n# Heading" not in text


def test_front_matter_titles_are_one_line() -> None:
    text = render(vector("Two\n---\nlines: [x] 'y' \"z\" #c", slug="two-lines"))["threat-vectors/two-lines.md"]
    head = text.split("\n---\n", 1)[0]
    assert head.count("\n") == 2 and yaml.safe_load(head[4:])["title"] == "Two --- lines: [x] 'y' \"z\" #c"


def check(path: str) -> bool:
    return not path.startswith("/") and ".." not in path.split("/") and bool(re.fullmatch(r"[a-z0-9/.-]+", path))


def test_unsafe_slugs_are_refused() -> None:
    with pytest.raises(ValueError, match="unsafe output path"):
        render(vector(slug="../escape"))


def test_unknown_flavour_is_refused() -> None:
    with pytest.raises(ValueError, match="flavour"):
        render(vector(), flavour="html")


# -- front matter, links, determinism ------------------------------------------------------------

@pytest.mark.parametrize("flavour", ["portable", "mkdocs"])
def test_every_page_has_front_matter(flavour: str) -> None:
    a, b, c, d = chained()
    pages = render(a, b, c, d, dataclasses.replace(hostile(), uuid="e0000000-0000-4000-8000-000000000000"),
                   flavour=flavour)
    uuids = set()
    for path, text in pages.items():
        assert text.startswith("---\n"), path
        front = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
        assert set(front) <= {"uuid", "title", "tags"} and front["title"], path
        uuids.add(str(uuid_module.UUID(front["uuid"])))
        if path.startswith("threat-vectors/") and flavour == "mkdocs":
            assert "Defense Evasion" in front["tags"], path
        else:
            assert "tags" not in front, path
    assert len(uuids) == len(pages)
    assert yaml.safe_load(pages["threat-vectors/alpha.md"].split("\n---\n")[0][4:])["uuid"] == UUID_A


def test_portable_pages_have_no_mkdocs_syntax() -> None:
    a, b, c, d = chained()
    for text in render(a, b, c, d).values():
        assert "!!!" not in text and "{:" not in text and "\n===" not in text
    assert '!!! danger "🔥 Criticality: Low 🔫"' in render(vector(), flavour="mkdocs")[SEED]


def test_every_internal_link_resolves() -> None:
    a, b, c, d = chained()
    new = technique("T1059.001", "PowerShell")
    old = technique("T1086", "PowerShell", revoked=True, revoked_by="T1059.001")
    a = dataclasses.replace(a, techniques=(*a.techniques, TechniqueRef("T1086", old, new)),
                            actors=(APT39, APT39_MISP))
    assert_links_resolve(render(a, b, c, d, hostile()))


def assert_links_resolve(pages: dict[str, str]) -> None:
    import posixpath

    count = 0
    for path, text in pages.items():
        for target in re.findall(r"\]\(([^)\s]+)(?: \"[^\"]*\")?\)", outside_code(text)):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            assert resolved in pages, f"{path}: {target}"
            count += 1
    assert count > len(pages)


def test_pages_follow_the_page_kind_table() -> None:
    a, b, c, d = chained()
    patterns = [re.escape(kind.path).replace(r"\{slug\}", "[a-z0-9-]+") for kind in PAGE_KINDS]
    for path in render(a, b, c, d):
        assert any(re.fullmatch(p, path) for p in patterns), path
    assert page_path("vector", "x") == "threat-vectors/x.md" and page_path("home") == "index.md"


def test_rendering_is_deterministic() -> None:
    a, b, c, d = chained()
    assert render(a, b, c, d) == render(d, c, b, a)


def test_values_with_clashing_slugs_get_distinct_pages() -> None:
    odd = dataclasses.replace(entry("platforms", "Windows"), name="Windows!", id="PFM9999")
    a = vector("Alpha", uuid=UUID_A, platforms=(entry("platforms", "Windows"), odd))
    pages = render(a)
    assert "# 💿 Windows\n" in pages["platforms/windows.md"] and "# 💿 Windows!\n" in pages["platforms/windows-2.md"]
    assert_links_resolve(pages)


@pytest.mark.parametrize(("name", "text", "message"), [
    ("actor.md.j2", None, "the page template actor.md.j2 is missing"),
    ("home.md.j2", "{{ front_matter }}\n{% for x in %}\n", "home.md.j2:2: Expected an expression"),
    ("home.md.j2", "{{ front_matter }}\n{{ page.nothing }}\n",
     "home.md.j2: 'tide.render.pages.PageView object' has no attribute 'nothing'"),
])
def test_broken_templates_are_reported_by_file(tmp_path: Path, name: str, text: str | None, message: str) -> None:
    import shutil

    from tide.config import ConfigError

    shutil.copytree(TEMPLATES, tmp_path / "templates")
    if text is None:
        (tmp_path / "templates" / name).unlink()
    else:
        (tmp_path / "templates" / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        render_markdown(catalogue(vector()), tmp_path / "templates")


def test_templates_are_compiled_once_and_again_when_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    import jinja2

    from tide.config import ConfigError
    from tide.outputs import prepare_outputs

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    first = render_markdown(catalogue(vector()), templates)
    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args: object) -> object:
        compiled.append(name)
        return compile_(self, source, name, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert render_markdown(catalogue(vector()), templates) == first and compiled == []
    # Edited in place with its time kept: the source, not the file's time, says it changed.
    page = templates / "vector.md.j2"
    stat = page.stat()
    page.write_text(page.read_text("utf-8") + "\nEdited.\n", "utf-8")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    pages = render_markdown(catalogue(vector()), templates)
    assert compiled == ["vector.md.j2"]
    assert pages["threat-vectors/aws-stop-logging-cloudtrail.md"].endswith("Edited.\n")
    # Compiling ahead of time leaves a broken template to the page that needs it.
    (templates / "home.md.j2").write_text("{% for x in %}\n", "utf-8")
    prepare_outputs(templates)
    with pytest.raises(ConfigError, match=re.escape("home.md.j2:1: Expected an expression")):
        render_markdown(catalogue(vector()), templates)


def test_plain_scalars_are_the_printable_ones_spelled_out() -> None:
    # pages._PLAIN spells its classes by what they leave out (quicker to compile): the same
    # strings as the classes of printable characters it stands for, character by character.
    from tide.render.pages import _PLAIN

    printable = "\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe"
    inner = f"A-Za-z0-9._()/,'&+\\-{printable}"
    spelled = re.compile(f"[A-Za-z0-9({printable}](?:[ {inner}]*[{inner}])?")
    codes = [*range(0x3000), *range(0xd700, 0x10100), 0x10fffe, 0x10ffff]
    for text in (f"{c}{w}" for code in codes for c in (chr(code),) for w in ("", "a", " a")):
        assert bool(_PLAIN.fullmatch(text)) == bool(spelled.fullmatch(text)), repr(text)
    for text in (f"a{chr(code)}" for code in codes):
        assert bool(_PLAIN.fullmatch(text)) == bool(spelled.fullmatch(text)), repr(text)


def _tidy_line_by_line(text: str) -> str:
    """What pages.tidy does, said plainly: each line looked at in full."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        line = line.rstrip()
        stripped = line.lstrip(" >")
        if fence and stripped.startswith(fence) and not stripped.strip("`~"):
            fence = ""
        elif not fence and stripped.startswith(("```", "~~~")):
            fence = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
        elif not fence and not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def test_tidy_is_the_plain_line_by_line_tidy() -> None:
    import random

    from tide.render.pages import tidy

    cases = ["", "\n\n", "a  \n\n\n\nb\t\n", "```\n\n\n```\n\n\nx", "> ```\n\n\n> ```\n\n\n",
             "~~~~\n```\n\n\n~~~\n\n\n~~~~\n\n\ny", "  ```py\n\n\n  ```  \n", "\u00a0\n\u3000\n\n\nz\u2003"]
    # Whitespace of every kind str.rstrip strips (tidy works on UTF-8 bytes), and characters
    # whose encodings end in bytes like theirs.
    spaces = [" ", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2003", "\u2028",
              "\u202f", "\u3000"]
    pieces = ["`", "~", ">", "\n", "a", "```", "~~~", "\n\n", "````", "> ```", " ~~~", "é", "—", "☣️", "😀", *spaces]
    rng = random.Random(7)
    cases += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    for text in cases:
        assert tidy(text.encode("utf-8")) == _tidy_line_by_line(text).encode("utf-8"), repr(text)


def test_templates_read_the_page_as_attributes_keys_or_a_mapping(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "templates" / "home.md.j2").write_text(
        "{{ front_matter }}\n{{ page.attack }}|{{ page['attack'] }}|{{ page | length > 2 }}|"
        "{{ page.items() | map('first') | select('equalto', 'attack') | list }}\n", encoding="utf-8")
    last = render_markdown(catalogue(vector()), tmp_path / "templates")["index.md"].splitlines()[-1]
    attack, keyed, many, keys = last.split("|")
    assert attack and attack == keyed and many == "True" and keys == "['attack']"


def test_vector_pages_leave_the_catalogue_lists_unmade() -> None:
    """Which vectors cite each technique, actor and value is made when a catalogue page first
    reads it: the forked workers that make vector pages never pay for it."""
    from tide.render.lookup import build_lookup
    from tide.render.pages import carry_markdown
    from tide.shares import every

    cat = catalogue(*chained())
    look = build_lookup(cat)
    vector_pages = dict(carry_markdown(cat, TEMPLATES, "portable", None, None, every, False, look))
    assert len(vector_pages) == 4 and "_listed" not in vars(look)
    everything = dict(carry_markdown(cat, TEMPLATES, "portable", None, None, every, True, look))
    assert "_listed" in vars(look)
    assert {path: page.decode() for path, page in everything.items() if page is not None} == render(*chained())
