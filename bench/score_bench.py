"""Benchmark of `jifen score --jsonl`: time and peak memory from 10k to 1M profiles.

Prints, for each size, the wall time and peak memory (the whole process tree) of
`jifen score --jsonl`, next to two floors measured in the same run:
- copy: reading and writing the same bytes, no JSON at all;
- json: the same streaming pipeline and worker processes, parsing each line and writing it
  back without scoring (the floor the issue asks for);
and, on a sample, the ratio to a straightforward month-by-month implementation of the same
rules (tests/oracle/month_by_month.py) run through the same pipeline.

    .venv/bin/python bench/score_bench.py                       # 10k, 100k, 300k, 1M
    .venv/bin/python bench/score_bench.py --sizes 10000,100000 --oracle-sample 20000

Profiles come from `jifen synth` (cached under bench/out/). Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jifen.rules.batch import process_stream  # noqa: E402
from tests.oracle.month_by_month import score as oracle_score  # noqa: E402

OUT = ROOT / "bench" / "out"
JIFEN = [sys.executable, "-m", "jifen.cli"]


def echo_block(block: bytes, first_line: int, rule_set: str | None) -> tuple[bytes, int, int]:
    """The floor: parse each line and write it back, no scoring."""
    out = [orjson.dumps(orjson.loads(line)) for line in block.split(b"\n") if line.strip()]
    out.append(b"")
    return b"\n".join(out), len(out) - 1, 0


def oracle_block(block: bytes, first_line: int, rule_set: str | None) -> tuple[bytes, int, int]:
    """The month-by-month implementation through the same pipeline."""
    out = [
        orjson.dumps(oracle_score(orjson.loads(line), rule_set))
        for line in block.split(b"\n")
        if line.strip()
    ]
    out.append(b"")
    return b"\n".join(out), len(out) - 1, 0


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                    todo.extend(int(c) for c in text.split())
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)


def profiles(n: int, year: int, seed: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"profiles-{year}-{n}-{seed}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        subprocess.run(
            [*JIFEN, "synth", "--applicants", str(n), "--year", str(year), "--seed", str(seed),
             "-o", str(path)],
            check=True,
        )  # fmt: skip
        print(f"  synth {n:>9,} profiles: {time.perf_counter() - started:6.2f} s", flush=True)
    return path


def time_command(args: list[str], output: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    with output.open("wb") as sink:
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.PIPE)
        with TreeMemory(proc.pid) as memory:
            _, err = proc.communicate()
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{args} failed: {err.decode()}")
    return elapsed, memory.peak, proc.returncode


def time_pipeline(path: Path, output: Path, block_function, workers: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with path.open("rb") as source, output.open("wb") as sink:
        process_stream(source, sink, block_function, workers=workers)
    return time.perf_counter() - started


def time_copy(path: Path, output: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as source, output.open("wb") as sink:
        while chunk := source.read(1 << 20):
            sink.write(chunk)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,300000,1000000")
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--oracle-sample", type=int, default=20000)
    parser.add_argument("--keep", action="store_true", help="keep the output files")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    python = platform.python_version()
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {python}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')} · workers: {args.workers}")
    print("generating profiles (cached in bench/out/)")
    paths = {n: profiles(n, args.year, args.seed) for n in sizes}

    print()
    header = (
        f"{'profiles':>10} {'MB in':>7} {'copy s':>7} {'json s':>7} {'score s':>8}"
        f" {'score/json':>10} {'µs/profile':>10} {'peak MB':>8} {'MB out':>7}"
    )
    print(header)
    for n in sizes:
        path = paths[n]
        out = OUT / f"out-{n}.jsonl"
        copy_s = time_copy(path, out)
        json_s = time_pipeline(path, out, echo_block, args.workers)
        score_s, peak, rc = time_command(
            [*JIFEN, "score", "--jsonl", str(path), "--workers", str(args.workers)], out
        )
        size_out = out.stat().st_size
        if not args.keep:
            out.unlink()
        print(
            f"{n:>10,} {path.stat().st_size / 1e6:>7.0f} {copy_s:>7.2f} {json_s:>7.2f}"
            f" {score_s:>8.2f} {score_s / json_s:>10.2f} {score_s / n * 1e6:>10.1f}"
            f" {peak / 1e6:>8.0f} {size_out / 1e6:>7.0f}"
            + ("" if rc == 0 else "  (some profiles rejected)"),
            flush=True,
        )

    sample = args.oracle_sample
    print()
    print(f"month-by-month comparison on {sample:,} profiles, same pipeline, one process each:")
    source = paths[min(sizes)] if min(sizes) >= sample else profiles(sample, args.year, args.seed)
    head = b"".join(source.open("rb").readlines()[:sample])
    from jifen.rules.batch import score_block

    timings = {}
    for name, function in (("json floor", echo_block), ("engine", score_block),
                           ("month-by-month", oracle_block)):  # fmt: skip
        started = time.perf_counter()
        process_stream(io.BytesIO(head), io.BytesIO(), function, workers=1)
        timings[name] = time.perf_counter() - started
        per = timings[name] / sample * 1e6
        print(f"  {name:<15} {timings[name]:7.2f} s  {per:8.1f} µs/profile")
    print(f"  month-by-month / engine: {timings['month-by-month'] / timings['engine']:.1f}×")


if __name__ == "__main__":
    main()
