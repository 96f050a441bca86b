"""Batch scoring of this tree against another commit, in one run: the ratio of their times.

The machine is shared and noisy, so single timings move by 10-20 %; a ratio taken in one run,
with the two versions interleaved and the best of several rounds kept, is what to compare.
Each version runs ``score_block`` (validation, scoring, explanation, serialisation) over the
same profiles in its own process, one process at a time:

    .venv/bin/python bench/compare_scoring.py --base HEAD~1
    .venv/bin/python bench/compare_scoring.py --base 68aee0b --profiles 20000 --rounds 7
    .venv/bin/python bench/compare_scoring.py --base 92867c7 --this 3e54acd

The commits' ``src/`` are exported with ``git archive`` into a temporary folder.
Profiles come from `jifen synth` (cached under bench/out/).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"

# Run in a child process with the version's src/ first on sys.path: prints the CPU seconds
# (not wall time: other processes on a shared machine only delay the run), the profiles,
# the failures and a digest of the output (the same output for both, unless the
# result format changed).
CHILD = """
import hashlib, sys, time
sys.path.insert(0, sys.argv[1])
from jifen.rules.batch import score_block
data = open(sys.argv[2], "rb").read()
score_block(data[:200000], 1, None)  # warm the caches of both versions alike
started = time.process_time()
out, n, failed = score_block(data, 1, None)
seconds = time.process_time() - started
print(seconds, n, failed, hashlib.sha256(out).hexdigest()[:12])
"""


def profiles(n: int, year: int, seed: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"profiles-{year}-{n}-{seed}.jsonl"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "jifen.cli", "synth", "--applicants", str(n),
             "--year", str(year), "--seed", str(seed), "-o", str(path)],
            check=True,
        )  # fmt: skip
    return path


def export(rev: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    archive = folder / "src.tar"
    with archive.open("wb") as sink:
        subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, stdout=sink, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def run(src: Path, data: Path) -> tuple[float, str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(data)],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    seconds, *rest = done.stdout.split()
    return float(seconds), " ".join(rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--this", help="a commit to compare instead of the working tree")
    parser.add_argument("--profiles", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = profiles(args.profiles, args.year, args.seed)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    python = platform.python_version()
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {python}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')} · {args.profiles:,} profiles, one process")
    with tempfile.TemporaryDirectory(prefix="jifen-compare-") as tmp:
        base_src = export(args.base, Path(tmp) / "base")
        if args.this:
            this_name, this_src = args.this, export(args.this, Path(tmp) / "this")
        else:
            this_name, this_src = f"this tree ({head}+)", ROOT / "src"
        versions = {f"base {args.base}": base_src, this_name: this_src}
        best = dict.fromkeys(versions, float("inf"))
        shapes = {}
        for i in range(args.rounds):
            for name, src in versions.items():
                seconds, shapes[name] = run(src, data)
                best[name] = min(best[name], seconds)
                print(f"  round {i + 1}: {name:<24} {seconds:6.3f} s", flush=True)
    for name, seconds in best.items():
        per = seconds / args.profiles * 1e6
        print(f"best {name:<24} {seconds:6.3f} s  {per:5.1f} µs a profile  ({shapes[name]})")
    base, this = best.values()
    print(f"{this_name} / base {args.base}: {this / base:.3f}")


if __name__ == "__main__":
    main()
