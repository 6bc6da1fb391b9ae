"""How long ATT&CK data takes to load and to import.

    python bench/bench_attack.py

Measures, best of several rounds: reading each shipped snapshot (cold: no process memo), the full
lookup (`load_attack`, all domains merged) cold and memoised, a fresh `python -c` process that loads
it (start-up included), and, when ../shared is beside the repository, the two importers.
Target: the shipped snapshot loads in well under 100 ms.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tide.attack import store
from tide.attack.data import DATA_DIR
from tide.attack.snapshot import read_snapshot

ROUNDS = 7
SHARED = Path(__file__).resolve().parents[2] / "shared"


def best(func: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def cold_load() -> object:
    store._memo.clear()  # measure the read, not the memo
    return store.load_attack()


def main() -> int:
    for domain in store.DOMAINS:
        path = DATA_DIR / f"{domain}.json.gz"
        data = read_snapshot(path, "shipped")
        ms = best(lambda path=path: read_snapshot(path, "shipped")) * 1000
        print(f"read {path.name:28} {path.stat().st_size / 1024:7.0f} KiB "
              f"{len(data.techniques):5} techniques {ms:7.1f} ms")
    print(f"load_attack() all domains, cold    {best(cold_load) * 1000:7.1f} ms")
    print(f"load_attack() all domains, memoised {best(store.load_attack) * 1000:7.3f} ms")
    code = "from tide.attack import load_attack; load_attack()"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    print(f"fresh process importing and loading  {(time.perf_counter() - start) * 1000:7.1f} ms")

    galaxy = SHARED / "reference" / "misp" / "galaxy"
    ics = SHARED / "reference" / "attack" / "ics-attack-18.1.json"
    if galaxy.is_dir() and ics.is_file():
        from tide.attack.galaxy import import_galaxy
        from tide.attack.stix import import_stix

        print(f"import galaxy enterprise 19.0       {best(lambda: import_galaxy(galaxy, '19.0'), 3):7.2f} s")
        print(f"import STIX ics 18.1 (verified)     {best(lambda: import_stix(ics), 3):7.2f} s")
    else:
        print("importers not measured: ../shared reference data is absent")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
