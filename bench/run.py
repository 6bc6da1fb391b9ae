"""Speed and scale benchmarks, printed as ratios to a floor measured in the same run.

    python bench/run.py [--sizes 226,1000,10000] [--rounds 3]

For each corpus size (226 is the real ShareTide corpus, larger ones come from
bench/generate.py) every figure is the wall time of a fresh `tide` process, best of --rounds,
next to the floor: a fresh Python process that merely YAML-loads the same files with libyaml.

  validate      tide validate --no-cache
  build         tide build --no-site --no-cache into an empty directory (a cold, full build)
  build (RAM)   the same into a directory on tmpfs (/dev/shm), where creating a file costs ~15 us
                whatever was deleted before: on a file system such as this machine's ext4 without
                a journal, creating files next to ones deleted in the last minutes costs up to
                500 us each (see BENCHMARKS.md), and the cold build's round deletes the previous
                round's output
  rebuild       tide build --no-site again, nothing changed (cache and previous output warm)
  incremental   tide build --no-site after one file changed (its description): a quick build
  listed edit   the same after one file's criticality changed, which catalogue pages show: a full
                build with the cache and the previous output
  peak memory   of the cold build, children included
  write floor   a fresh process creating the cold build's files (same paths, same bytes) in an
                empty directory, timed from its first file to its last: what writing the output
                alone costs on this machine's file system, whatever made the bytes

and once: `tide --help` start-up time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "sharetide" / "tvm"
TIDE = [sys.executable, "-m", "tide"]
RAM = Path("/dev/shm")  # tmpfs on Linux
FLOOR = ("import sys, pathlib, yaml\n"
         "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
         "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n")
WRITE_FLOOR = ("import os, sys, time\n"
               "src, dst = sys.argv[1], sys.argv[2]\n"
               "files = sorted(os.path.relpath(os.path.join(r, f), src) for r, _, fs in os.walk(src) for f in fs)\n"
               "data = [(rel, open(os.path.join(src, rel), 'rb').read()) for rel in files]\n"
               "start = time.perf_counter()\n"
               "for rel, raw in data:\n"
               "    path = os.path.join(dst, rel)\n"
               "    os.makedirs(os.path.dirname(path), exist_ok=True)\n"
               "    with open(path, 'xb') as handle:\n"
               "        handle.write(raw)\n"
               "print(len(data), time.perf_counter() - start)\n")


def timed(cmd: list[str], prepare: Callable[[], None] | None = None, rounds: int = 3) -> float:
    """Best wall time of `cmd` over `rounds` runs, each after `prepare`."""
    best = float("inf")
    for _ in range(rounds):
        if prepare:
            prepare()
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:  # a benchmark of a failing run would measure nothing
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()[-2000:]}")
        best = min(best, elapsed)
    return best


def write_floor(src: Path, work: Path, rounds: int) -> tuple[int, float]:
    """Files in `src` and the best time a fresh process takes to create them again (see WRITE_FLOOR)."""
    best, count = float("inf"), 0
    target = work / "write-floor"
    for _ in range(rounds):
        shutil.rmtree(target, ignore_errors=True)
        out = subprocess.run([sys.executable, "-c", WRITE_FLOOR, str(src), str(target)], capture_output=True,
                             text=True, check=True).stdout.split()
        count, best = int(out[0]), min(best, float(out[1]))
    shutil.rmtree(target, ignore_errors=True)
    return count, best


def peak_memory_mb(cmd: list[str]) -> float:
    """Peak resident memory of `cmd` and its children, measured in a process of its own."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], capture_output=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def corpus(size: int, work: Path) -> Path:
    if size == 226 and CORPUS.is_dir():
        target = work / "corpus-226"
        if not target.exists():
            shutil.copytree(CORPUS, target)  # a copy: the incremental step edits a file
        return target
    target = work / f"corpus-{size}"  # made afresh: a corpus left by an older generator would mislead
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), str(target)], check=True,
                   capture_output=True)
    return target


def touch_description(path: Path, n: int) -> None:
    """Change one file's description, keeping it valid (its layout may change: it is one edit)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    data["threat"]["description"] = f"Benchmark edit {n}.\n\n" + data["threat"]["description"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def touch_criticality(path: Path, _n: int) -> None:
    """Change one file's criticality, which the catalogue pages listing it print."""
    data = yaml.safe_load(path.read_text("utf-8"))
    data["criticality"] = "Medium" if data["criticality"] == "High" else "High"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")


def bench(size: int, work: Path, rounds: int) -> None:
    src = corpus(size, work)
    files = sorted(src.rglob("*.yaml"))
    out = work / f"out-{size}"
    cache = ROOT / ".tide-cache"
    floor = timed([sys.executable, "-c", FLOOR, str(src)], rounds=rounds)

    def cold() -> None:
        shutil.rmtree(out, ignore_errors=True)

    validate = timed([*TIDE, "validate", "--no-cache", str(src)], rounds=rounds)
    def build_into(target: Path) -> list[str]:
        return [*TIDE, "build", "--no-site", "--out", str(target), str(src)]

    build_cmd = build_into(out)
    build = timed([*build_cmd, "--no-cache"], prepare=cold, rounds=rounds)
    in_ram = None
    if RAM.is_dir() and os.access(RAM, os.W_OK):
        out_ram = RAM / f"tide-bench-out-{size}"
        in_ram = timed([*build_into(out_ram), "--no-cache"], prepare=lambda: shutil.rmtree(out_ram, ignore_errors=True),
                       rounds=rounds)
        shutil.rmtree(out_ram, ignore_errors=True)
    cold()
    memory = peak_memory_mb([*build_cmd, "--no-cache"])
    written, writing = write_floor(out, work, rounds)  # `out` holds the cold build's output now
    shutil.rmtree(cache, ignore_errors=True)
    subprocess.run(build_cmd, cwd=ROOT, capture_output=True, check=False)  # fill cache and output
    subprocess.run(build_cmd, cwd=ROOT, capture_output=True, check=False)  # ... with a previous feed
    rebuild = timed(build_cmd, rounds=rounds)
    edits = iter(range(1, 1000))
    incremental = timed(build_cmd, prepare=lambda: touch_description(files[len(files) // 2], next(edits)),
                        rounds=rounds)
    listed = timed(build_cmd, prepare=lambda: touch_criticality(files[len(files) // 3], next(edits)),
                   rounds=rounds)

    def row(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<12} {seconds * 1000:9.0f} ms  {seconds / floor:6.2f}x floor{note}")

    print(f"N = {len(files)}   floor (libyaml load, fresh process) {floor * 1000:.0f} ms")
    row("validate", validate)
    row("build", build)
    if in_ram is not None:
        row("build (RAM)", in_ram, "   the same, its output on tmpfs")
    row("rebuild", rebuild)
    row("incremental", incremental, f"   {incremental / build * 100:5.1f}% of the cold build")
    row("listed edit", listed, f"   {listed / build * 100:5.1f}% of the cold build")
    print(f"  {'peak memory':<12} {memory:9.0f} MB  (cold build)")
    row("write floor", writing, f"   creating the cold build's {written} files, nothing else")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="226,1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tide-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB")
    startup = timed([*TIDE, "--help"], rounds=5)
    python = timed([sys.executable, "-c", "pass"], rounds=5)
    print(f"tide --help  {startup * 1000:.0f} ms (target <= 150 ms; bare Python start-up {python * 1000:.0f} ms)")
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.work, args.rounds)


if __name__ == "__main__":
    main()
