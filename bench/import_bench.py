"""Benchmark of `manage.py import_applications`: wall time and peak memory per database.

For each size and database, a fresh database (SQLite in a temporary folder; PostgreSQL: the
scratch database named by --postgres, dropped and created again), `migrate`, `round_create`,
then the import of `jifen synth` profiles, timed as a separate process.

    .venv/bin/python bench/import_bench.py                                  # 20k, SQLite
    .venv/bin/python bench/import_bench.py --sizes 20000,200000 \\
        --postgres postgres://postgres@127.0.0.1:5432/bench_import

Profiles are cached under bench/out/. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
YEAR = 2026
PYTHON = sys.executable


def profiles(size: int) -> Path:
    """``size`` synth profiles of distinct people (synth makes them distinct since issue 9;
    the filter below is kept as a guard: the import refuses a person twice)."""
    path = OUT / f"import-{size}-{YEAR}.jsonl"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    raw = OUT / f"import-{size}-{YEAR}.raw.jsonl"
    subprocess.run(
        [PYTHON, "-m", "jifen.cli", "synth", "--applicants", str(size + size // 100 + 10),
         "--year", str(YEAR), "--seed", "1", "-o", str(raw)],
        check=True,
    )
    seen: set[str] = set()
    with open(raw, "rb") as source, open(path, "wb") as sink:
        for line in source:
            person = orjson.loads(line)["person"]["id_number"]
            if person not in seen:
                seen.add(person)
                sink.write(line)
                if len(seen) == size:
                    break
    raw.unlink()
    return path


def fresh_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True,
    )
    return done.stdout


def measure(size: int, database: str, env: dict[str, str]) -> dict[str, object]:
    manage(env, "migrate", "-v0")
    manage(env, "round_create", "--year", str(YEAR))
    path = profiles(size)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = manage(env, "import_applications", "--year", str(YEAR), str(path))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter() - start
    assert json.loads(out.splitlines()[-1])["imported"] == size
    return {
        "database": database,
        "profiles": size,
        "seconds": round(wall, 1),
        "cpu_seconds": round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
        ),
        "per_second": round(size / wall),
        "peak_mb": round(after.ru_maxrss / 1024),  # the largest child so far
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000")
    parser.add_argument("--postgres", default="", help="a scratch database's URL (dropped!)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    for size in (int(s) for s in args.sizes.split(",")):
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory() as var:
                print(json.dumps(measure(size, "sqlite", {**base, "JIFEN_VAR_DIR": var})))
        if args.postgres:
            fresh_postgres(args.postgres)
            with tempfile.TemporaryDirectory() as var:
                env = {**base, "JIFEN_VAR_DIR": var, "DATABASE_URL": args.postgres}
                print(json.dumps(measure(size, "postgresql", env)))


if __name__ == "__main__":
    main()
