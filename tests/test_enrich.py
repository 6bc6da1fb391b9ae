"""Enrichment: slugs that are unique, stable and safe as file names."""

from __future__ import annotations

from pathlib import Path

from tide.enrich import enrich
from tide.load import load_bytes
from tide.render.links import check_path

BASE = (Path(__file__).parent / "cases" / "valid" / "base-case-vector.yaml").read_text()


def doc(name: str, uuid: str):  # type: ignore[no-untyped-def]
    text = BASE.replace("name: Base case vector", f"name: {name}").replace(
        "0b6f3c1e-2a4d-4e8f-9a1b-3c5d7e9f1a2b", uuid)
    loaded, problems = load_bytes(text.encode(), f"{uuid}.yaml")
    assert loaded is not None and problems == []
    return loaded


class NoAttack:
    def get(self, technique_id: str) -> None:
        return None

    def replacement(self, technique_id: str) -> None:
        return None


def test_names_that_slug_alike_get_distinct_safe_slugs() -> None:
    # 69 letters and a space: the 70-character cut ends on a hyphen
    stem = "a" * 69 + " b"
    docs = [doc(f"{stem} one and more words", "11111111-1111-4111-8111-111111111111"),
            doc(f"{stem} one and more words!", "22222222-2222-4222-8222-222222222222"),
            doc("Plain name", "33333333-3333-4333-8333-333333333333")]
    catalogue = enrich(docs, NoAttack(), None)  # type: ignore[arg-type]
    slugs = {v.name: v.slug for v in catalogue.vectors}
    assert slugs["Plain name"] == "plain-name"
    alike = [s for n, s in slugs.items() if n != "Plain name"]
    assert len(set(alike)) == 2 and all("--" not in s for s in alike)
    assert {s[-8:] for s in alike} == {"11111111", "22222222"}
    for slug in slugs.values():
        check_path(f"threat-vectors/{slug}.md")
