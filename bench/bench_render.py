"""Markdown rendering at scale: a cold render, and re-renders with the page memo.

    python bench/bench_render.py [--sizes 226,1000,10000] [--rounds 3] [--flavour portable]

For each corpus size (226 is the real ShareTide corpus, larger ones come from bench/generate.py)
the catalogue is compiled once, then each figure is the best of --rounds in this one process:

  cold          render_markdown without a memo, the render's own caches emptied first
  fill          the same with an empty on-disk memo (tide.cache.Cache): cold plus writing it
  warm          again with the filled memo, nothing changed
  one changed   again after one vector's description changed (a new text each round)

Time per vector shows whether the cold render grows linearly with the corpus.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "sharetide" / "tvm"
sys.path.insert(0, str(ROOT))

from tide.build import compile_catalogue  # noqa: E402
from tide.cache import Cache  # noqa: E402
from tide.config import load_config  # noqa: E402
from tide.model import Catalogue  # noqa: E402
from tide.render import links, render_markdown, safety  # noqa: E402


def clear_caches() -> None:
    """Empty the render's process-wide caches, so that a round is as cold as a fresh process."""
    for module in (links, safety):
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


def best(rounds: int, run: Callable[[int], object], prepare: Callable[[int], None] | None = None) -> float:
    times = []
    for i in range(rounds):
        if prepare:
            prepare(i)
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return min(times)


def corpus(size: int, work: Path) -> Path:
    if size == 226:
        return CORPUS
    target = work / f"corpus-{size}"
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), str(target)], check=True,
                   capture_output=True)
    return target


def changed(catalogue: Catalogue, i: int) -> Catalogue:
    vectors = list(catalogue.vectors)
    middle = len(vectors) // 2
    vectors[middle] = dataclasses.replace(vectors[middle], description=f"{vectors[middle].description}\n\nEdit {i}.")
    return dataclasses.replace(catalogue, vectors=tuple(vectors))


def bench(size: int, work: Path, rounds: int, flavour: str) -> float:
    catalogue, diagnostics = compile_catalogue([corpus(size, work)], load_config(ROOT))
    assert catalogue is not None, [d.text() for d in diagnostics if d.is_error][:5]
    templates = ROOT / "templates"
    pages = len(render_markdown(catalogue, templates, flavour))
    memo_dir = work / f"memo-{size}"

    def fresh_memo(_: int) -> None:
        clear_caches()
        shutil.rmtree(memo_dir, ignore_errors=True)

    cold = best(rounds, lambda _: render_markdown(catalogue, templates, flavour), lambda _: clear_caches())
    fill = best(rounds, lambda _: render_markdown(catalogue, templates, flavour, Cache(memo_dir, "0" * 64, "render")),
                fresh_memo)
    memo = Cache(memo_dir, "0" * 64, "render")
    warm = best(rounds, lambda _: render_markdown(catalogue, templates, flavour, memo), lambda _: clear_caches())
    one = best(rounds, lambda i: render_markdown(changed(catalogue, i), templates, flavour, memo),
               lambda _: clear_caches())
    per_vector = cold / len(catalogue.vectors) * 1000
    print(f"{size:>6} vectors {pages:>6} pages  cold {cold:6.2f} s ({per_vector:.2f} ms/vector)"
          f"  fill {fill:6.2f} s  warm {warm:6.2f} s ({warm / cold:.2f} of cold)"
          f"  one changed {one:6.2f} s ({one / cold:.2f} of cold)", flush=True)
    return cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="226,1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flavour", default="portable", choices=("portable", "mkdocs"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tide-bench-render-") as tmp:
        colds = {size: bench(size, Path(tmp), args.rounds, args.flavour)
                 for size in (int(s) for s in args.sizes.split(","))}
    first = min(colds)
    for size, cold in colds.items():
        print(f"cold {size} / cold {first}: {cold / colds[first]:.1f}x for {size / first:.1f}x the vectors")


if __name__ == "__main__":
    main()
