"""Site build time per page: the real corpus (226 vectors) and a synthetic one (~3,000).

    python bench/bench_site.py [--sizes 226 3000] [--serial] [--subprocess] [--keep DIR]

For each size: compile and render the vectors (not timed here), then time the three steps of
`tide.site.build_site` separately (assembling the MkDocs project, the strict MkDocs build, the
script-injection check of the HTML) and report milliseconds per generated page, and MkDocs' CPU
seconds per megabyte of Markdown (the index pages grow with the catalogue, so per page the cost
rises while per megabyte it stays flat). MkDocs' strict
verdict is reported too: a page the renderer got wrong fails the build but is built all the same,
so the timing stands. MkDocs runs on every core (tide.site_parallel; TIDE_JOBS sets how many):
`--serial` also times MkDocs' own serial build of the same project. CPU times include the forked
workers'. `--subprocess` also times `mkdocs build --strict` run as a separate process
on the same project, to compare with the in-process build tide uses.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
CORPUS = ROOT.parent / "shared" / "corpus" / "sharetide" / "tvm"


def rendered(source: Path) -> tuple[dict[str, str], object]:
    from tide.build import compile_catalogue
    from tide.config import load_config
    from tide.render import render_markdown

    catalogue, diagnostics = compile_catalogue([source], load_config(ROOT))
    if catalogue is None:
        errors = [d.text() for d in diagnostics if d.is_error]
        raise SystemExit(f"{source} does not compile: {errors[:3]}")
    return render_markdown(catalogue, ROOT / "templates", flavour="mkdocs"), catalogue


def pages_for(n: int, work: Path) -> tuple[dict[str, str], object]:
    """The rendered pages of n vectors: the corpus itself, or a synthetic corpus of that size."""
    from generate import generate  # bench/generate.py: synthetic corpora shaped like ShareTide

    corpus_size = len(list(CORPUS.glob("*.yaml")))
    if n == corpus_size:
        return rendered(CORPUS)
    source = work / f"objects-{n}"
    generate(n, source)
    try:
        return rendered(source)
    except ValueError as exc:
        print(f"       the pipeline refused the synthetic corpus ({exc}); cloning the rendered corpus pages")
        pages, catalogue = rendered(CORPUS)
        return clone_pages(pages, n - corpus_size), catalogue


def clone_pages(pages: dict[str, str], extra: int) -> dict[str, str]:
    """`pages` plus `extra` copies of its vector pages, each listed on the vectors index page."""
    vectors = sorted(rel for rel in pages if rel.startswith("threat-vectors/"))
    out = dict(pages)
    listing = ["", "## Copies", ""]
    for i in range(extra):
        k, source = divmod(i, len(vectors))
        rel = vectors[source].removesuffix(".md") + f"-copy-{k + 1}.md"
        text = pages[vectors[source]]
        text = re.sub(r"^title: (.*)$", lambda m, k=k: f"title: {m.group(1)} (copy {k + 1})", text, count=1,
                      flags=re.M)
        text = re.sub(r"^uuid: .*$", f"uuid: {uuid.uuid5(uuid.NAMESPACE_URL, rel)}", text, count=1, flags=re.M)
        out[rel] = text
        listing.append(f"- [copy {k + 1} of {Path(vectors[source]).stem}]({rel})")
    out["threat-vectors.md"] = pages["threat-vectors.md"] + "\n".join(listing) + "\n"
    return out


def cpu() -> float:
    """CPU seconds of this process and of its finished children (the site's forked workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bench(n: int, work: Path, use_subprocess: bool, serial: bool) -> None:
    from tide import site_parallel
    from tide.config import load_config
    from tide.outputs import jobs
    from tide.site import assemble_project, page_sources, run_mkdocs
    from tide.site_safety import check_site_safety

    config = load_config(ROOT)
    pages, catalogue = pages_for(n, work)
    attack = catalogue.attack  # type: ignore[attr-defined]
    project = work / f"project-{n}"
    html = work / f"html-{n}"

    c0, t0 = cpu(), time.perf_counter()
    problems = assemble_project(pages, ROOT / "site", project, config, attack)
    t1 = time.perf_counter()
    if problems:
        raise SystemExit("\n".join(d.text() for d in problems))
    sources = page_sources(pages, ROOT / "site", config)
    c1 = cpu()
    diagnostics = run_mkdocs(project / "mkdocs.yml", html, sources)
    t2, c2 = time.perf_counter(), cpu()
    unsafe = check_site_safety(html, pages, sources.display) if html.is_dir() else []
    t3, c3 = time.perf_counter(), cpu()

    count = len(pages)
    per_page = (t3 - t0) / count * 1000
    print(f"{n:>5} vectors  {count:>5} pages  total {t3 - t0:7.2f} s  {per_page:5.1f} ms/page  "
          f"(assemble {t1 - t0:5.2f} s, mkdocs {t2 - t1:6.2f} s = {(t2 - t1) / count * 1000:5.1f} ms/page "
          f"[CPU {(c2 - c1) / count * 1000:4.1f}], "
          f"safety check {t3 - t2:5.2f} s)")
    print(f"       CPU time {c3 - c0:7.2f} s = {(c3 - c0) / count * 1000:5.1f} ms/page "
          "(wall time suffers when other work shares the machine)")
    # Index pages list every vector, so the Markdown per page grows with the catalogue: the
    # cost per megabyte shows whether the build itself stays linear.
    megabytes = sum(len(text.encode("utf-8")) for text in pages.values()) / 1e6
    print(f"       {megabytes:6.1f} MB of Markdown ({megabytes * 1000 / count:5.1f} KB/page): "
          f"MkDocs CPU {(c2 - c1) / megabytes:5.2f} s/MB")
    print(f"       MkDocs on {min(jobs(), 8)} processes (tide.site_parallel)")
    if serial:  # the same project with MkDocs' own build, in this process
        usable, site_parallel.usable = site_parallel.usable, lambda cfg: False
        try:
            t4, c4 = time.perf_counter(), cpu()
            run_mkdocs(project / "mkdocs.yml", work / f"html-serial-{n}", sources)
            t5, c5 = time.perf_counter(), cpu()
        finally:
            site_parallel.usable = usable
        print(f"       MkDocs' own serial build: {t5 - t4:6.2f} s = {(t5 - t4) / count * 1000:5.1f} ms/page "
              f"[CPU {(c5 - c4) / count * 1000:4.1f}]: the parallel build took {(t2 - t1) / (t5 - t4):.2f}x its time")
    verdict = "strict build clean" if not diagnostics else f"strict build FAILED with {len(diagnostics)} warnings"
    print(f"       {verdict}; {len(unsafe)} unsafe-HTML findings")
    for d in diagnostics[:3]:
        print(f"       {d.text()[:200]}")
    if use_subprocess:
        out = work / f"html-sub-{n}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t4 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                              "-f", str(project / "mkdocs.yml"), "-d", str(out)],
                             capture_output=True, text=True, check=False)
        t5 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        print(f"       mkdocs as a subprocess: {t5 - t4:6.2f} s = {(t5 - t4) / count * 1000:5.1f} ms/page, "
              f"CPU {used:6.2f} s = {used / count * 1000:5.1f} ms/page (exit {run.returncode})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[226, 3000])
    parser.add_argument("--subprocess", action="store_true", help="also time mkdocs as a separate process")
    parser.add_argument("--serial", action="store_true", help="also time MkDocs' own serial build")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temporary directory)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is missing: {CORPUS}")
    print(f"site build time per page (Python {sys.version.split()[0]})")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            bench(n, args.keep, args.subprocess, args.serial)
        return
    with tempfile.TemporaryDirectory(prefix="tide-bench-site-") as tmp:
        for n in args.sizes:
            bench(n, Path(tmp), args.subprocess, args.serial)


if __name__ == "__main__":
    main()
