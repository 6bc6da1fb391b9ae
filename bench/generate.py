"""Synthetic corpora for benchmarks: N threat vectors derived from the ShareTide shapes.

    python bench/generate.py N OUT_DIR [--source DIR]

Copy k of every source vector gets a new uuid (uuid5 of the original and k), a new name and
file name, a description and terrain that open with a sentence of their own, and its chaining
rewritten to copy k of the same targets, so the corpus validates and chains like the real one
and no two vectors share a text (as in a real catalogue: a shared text would be rendered once
and served from tide's caches). The same N gives byte-identical files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import uuid
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sharetide" / "tvm"
_NAMESPACE = uuid.UUID("6f1c1a52-5d2e-4f7e-9d55-0c7c3b1e2a90")
_BLOCK = re.compile(r"^(  (?:description|terrain): [|>][-+]?[ \t]*\n)([ \t]+)(?=\S)", re.M)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b")


def copy_uuid(original: str, k: int) -> str:
    if k == 0:
        return original
    made = uuid.uuid5(_NAMESPACE, f"{original}/{k}").hex
    # keep the version-4 shape the schema asks for
    return f"{made[:8]}-{made[8:12]}-4{made[13:16]}-{'89ab'[int(made[16], 16) % 4]}{made[17:20]}-{made[20:32]}"


def generate(n: int, out: Path, source: Path = DEFAULT_SOURCE) -> list[Path]:
    originals = sorted(source.glob("*.yaml"))
    own_uuids: dict[str, int] = {}
    texts = []
    for path in originals:
        text = path.read_text("utf-8")
        match = re.search(r"^\s+uuid:\s*([0-9a-f-]{36})", text, re.M)
        assert match, path
        own_uuids[match.group(1)] = len(texts)
        texts.append(text)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    written = []
    org_uuids = {"56b0a0f0-b0bc-47d9-bb46-02f80ae2065a"}  # the organisation keeps its uuid
    for i in range(n):
        k, j = divmod(i, len(originals))
        text = texts[j]
        if k:
            def renumber(m: re.Match[str], k: int = k) -> str:
                found = m.group(0)
                if found in org_uuids or found not in own_uuids:
                    return found
                # a target missing from the last, partial copy is taken from the copy before
                exists = k * len(originals) + own_uuids[found] < n
                return copy_uuid(found, k if exists else k - 1)

            text = _UUID.sub(renumber, text)
            text = re.sub(r"^name:\s*(.*)$", lambda m, k=k: f"name: {m.group(1).strip()} ({k})", text, count=1,
                          flags=re.M)
            # Text of its own, as in a real catalogue: a copy's description and terrain open with
            # their own sentence, so that no stage can reuse the work of another copy.
            text = _BLOCK.sub(lambda m, k=k: f"{m.group(1)}{m.group(2)}Variant {k} of this threat vector.\n"
                                             f"\n{m.group(2)}", text)
        name = re.search(r"^name:\s*(.*)$", text, re.M).group(1)  # type: ignore[union-attr]
        path = out / f"{name}.yaml"
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    files = generate(args.n, args.out, args.source)
    print(f"wrote {len(files)} threat vectors to {args.out}")


if __name__ == "__main__":
    main()
