"""MISP event cost per vector: PyMISP (build_event + to_feed) against the direct writer (event_dict).

    python bench/bench_misp.py [--sizes 226 3000] [--rounds 5]

For each size (226 is the real ShareTide corpus, larger ones come from bench/generate.py) the
vectors are compiled once (not timed), then every event of the catalogue is built, best of
--rounds, in two ways:

  builder   the "Event" object alone
  file      builder + the feed's JSON dump, integrity hash and hashes.csv lines: what a cold
            build pays per event (stamping against a previous feed is the same for both)

Both are printed in ms per event with their ratio, measured in the same run. The cost of
importing PyMISP, which the direct writer no longer pays, is printed once.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
CORPUS = ROOT.parent / "shared" / "corpus" / "sharetide" / "tvm"


def compiled(source: Path) -> list[tuple[Any, Any, int]]:
    """(vector, creator organisation, base timestamp) of every vector under `source`."""
    from tide.build import compile_catalogue
    from tide.config import load_config
    from tide.misp.feed import creator
    from tide.misp.mapping import base_timestamp

    config = load_config(ROOT)
    catalogue, diagnostics = compile_catalogue([source], config)
    if catalogue is None:
        raise SystemExit(f"{source} does not compile: {[d.text() for d in diagnostics if d.is_error][:3]}")
    return [(v, creator(v, config), base_timestamp(v)) for v in catalogue.vectors]


def best_per_event(build: Callable[[Any, Any, int], Any], inputs: list[tuple[Any, Any, int]],
                   rounds: int) -> float:
    """Best wall time over `rounds` of building every event, in milliseconds per event."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for vector, org, base in inputs:
            build(vector, org, base)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1000


def import_cost(module: str, rounds: int) -> float:
    """Milliseconds a fresh interpreter spends importing `module`, over one that imports nothing."""

    def fresh(code: str) -> float:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            best = min(best, time.perf_counter() - start)
        return best

    return (fresh(f"import {module}") - fresh("pass")) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[226])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from tide.misp.event import build_event, event_dict
    from tide.misp.feed import dump, value_hashes

    def pymisp_event(vector: Any, org: Any, base: int) -> dict[str, Any]:
        feed = build_event(vector, org, base).to_feed(with_distribution=False, with_local_tags=False)
        event: dict[str, Any] = feed["Event"]
        return event

    def as_file(build: Callable[[Any, Any, int], dict[str, Any]]) -> Callable[[Any, Any, int], Any]:
        def file(vector: Any, org: Any, base: int) -> Any:
            event = build(vector, org, base)
            data = dump({"Event": event})
            return hashlib.sha256(data).hexdigest(), value_hashes(event)
        return file

    print(f"importing pymisp: {import_cost('pymisp', args.rounds):.0f} ms (paid only by the reference builder)")
    with tempfile.TemporaryDirectory() as work:
        for size in args.sizes:
            if size == len(list(CORPUS.glob("*.yaml"))):
                source = CORPUS
            else:
                from generate import generate  # bench/generate.py: synthetic corpora shaped like ShareTide

                source = Path(work) / f"corpus-{size}"
                generate(size, source)
            inputs = compiled(source)
            for item in inputs:  # the figures compare equal work
                assert dump({"Event": event_dict(*item)}) == dump({"Event": pymisp_event(*item)})
            print(f"\n{len(inputs)} vectors, best of {args.rounds}, ms per event:")
            print(f"  {'':8} {'PyMISP':>8} {'direct':>8} {'ratio':>7} {'PyMISP total':>13} {'direct total':>13}")
            for label, old, new in (("builder", pymisp_event, event_dict),
                                    ("file", as_file(pymisp_event), as_file(event_dict))):
                slow = best_per_event(old, inputs, args.rounds)
                fast = best_per_event(new, inputs, args.rounds)
                print(f"  {label:8} {slow:8.3f} {fast:8.3f} {slow / fast:6.1f}x "
                      f"{slow * len(inputs) / 1000:12.2f}s {fast * len(inputs) / 1000:12.3f}s")


if __name__ == "__main__":
    main()
