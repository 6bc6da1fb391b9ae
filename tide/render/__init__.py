"""Markdown rendering: the catalogue as portable Markdown pages (GitHub, GitLab, MkDocs).

`render_markdown(catalogue, templates, flavour, memo=None)` returns {output path: page text}; it
writes nothing. Given a memo (a get/put store kept between builds), it takes every page whose
inputs did not change from there (see `memo`). The page kinds and their paths (one table,
`pages.PAGE_KINDS`), relative to the Markdown output directory:

    index.md                    home: counts and entry points
    threat-vectors.md           every vector: name, criticality, severity, kill chain, techniques, platforms
    threat-vectors/<slug>.md    one vector (slug: Vector.slug)
    techniques.md               ATT&CK coverage by tactic
    techniques/<id-slug>.md     one technique cited (or replacing a cited one): t1562-008.md
    actors.md, actors/<slug>.md threat actors: g0087-apt39.md (ATT&CK), apt39-c2c64bd3.md (MISP)
    platforms.md, platforms/<slug>.md   and the same for domains and targets: one page per value used
    vocabularies.md, vocabularies/<field>.md    every vocabulary, each entry with the vectors using it

Every path is made of slug characters only and checked (`links.check_path`). Links between pages
are relative. Every page starts with YAML front matter holding `uuid` (the vector's, else a uuid5
of the page path) and `title`; the `mkdocs` flavour adds `tags` to vector pages and shows the
criticality and TLP as admonitions, the `portable` flavour uses no MkDocs-only syntax. Templates
(Jinja2, in the project's `templates/` directory) only place values computed in `views` and
`catalogue_views`; object text is made inert by `safety` on the way.
"""

from tide.render.pages import (
    FLAVOURS,
    PAGE_KINDS,
    carry_markdown,
    iter_markdown,
    page_path,
    render_markdown,
    vector_page,
)

__all__ = ["FLAVOURS", "PAGE_KINDS", "carry_markdown", "iter_markdown", "page_path", "render_markdown", "vector_page"]
