"""Validation speed against the floor: merely YAML-loading the same files with libyaml.

    python bench/bench_validate.py [DIR]     (default: ../shared/corpus/sharetide/tvm)

Both are measured in this run, on this machine, best of several rounds, in one process after
a warm-up (so imports and one-time data loading are excluded from both sides, and tide's cache
is off: every file is parsed and validated), then as fresh processes (start-up included), with
and without the cache. Target: validation <= 1.5x the floor.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from tide.build import check
from tide.config import load_config
from tide.load import discover

ROUNDS = 7
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sharetide" / "tvm"


def best(func: object, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    files, _ = discover([target])
    config = load_config(Path.cwd())

    def floor() -> None:
        for path in files:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

    def validate() -> None:
        result = check([target], config, use_cache=False)  # every file parsed and validated
        assert result.errors == 0, f"{result.errors} errors: not a benchmark of valid input"

    validate()  # warm-up: imports, schema compilation, vocabularies, ATT&CK data
    t_floor, t_validate = best(floor), best(validate)
    print(f"files: {len(files)}")
    print(f"in process  yaml floor {t_floor * 1000:7.1f} ms   tide validate {t_validate * 1000:7.1f} ms"
          f"   ratio {t_validate / t_floor:.2f}x (target <= 1.50x)")

    script = ("import sys, yaml, pathlib\n"
              "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
              "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n")
    cold_floor = best(lambda: subprocess.run([sys.executable, "-c", script, str(target)], check=True), 3)
    def tide(*flags: str) -> float:
        return best(lambda: subprocess.run([sys.executable, "-m", "tide", "validate", *flags, str(target)],
                                           check=False, capture_output=True), 3)

    cold_tide, cached_tide = tide("--no-cache"), tide()
    print(f"new process yaml floor {cold_floor * 1000:7.1f} ms   tide validate --no-cache {cold_tide * 1000:7.1f} ms"
          f"   ratio {cold_tide / cold_floor:.2f}x")
    print(f"new process yaml floor {cold_floor * 1000:7.1f} ms   tide validate (cache) {cached_tide * 1000:7.1f} ms"
          f"   ratio {cached_tide / cold_floor:.2f}x")


if __name__ == "__main__":
    main()
