"""Benchmark of a round at scale (issue 9): import, verified fixture, scoring and ranking.

Stages, each timed (wall, this side's CPU, the database server's CPU where it is measurable,
peak memory), printed as a table at the end and as JSON lines on the way:

- **synth**: ``jifen synth --year 2026 --seed 1`` profiles, cached under bench/out/.
- **import**: a fresh database (drop, create, ``migrate``, ``round_create --year 2026``), then
  ``manage.py import_applications`` in a process of its own, start-up included, with the time
  of its steps: the checking pass, the writing pass (accounts, applicants, applications by
  COPY), the verification items (``passed_to_departments``), the commit (deferred foreign-key
  checks), ``ANALYZE``.
- **verify** (PostgreSQL): the fixture that makes every imported application verified, then a
  template database (``<name>_tpl``) to restart later stages from (``--from-template``).
  A shortcut, not the comparison path: the eleven departments' comparisons of a million
  applications would each need a department file and take minutes of their own (see
  "Data comparison"); what the scoring run needs is the state they leave behind — every item
  decided (a ``compare`` decision each, state ``matched``) and one ``FirstResult`` per
  application whose verified profile is the declared one (what a comparison that matched
  everything makes) with its score. The scores come from the engine's batch path
  (``jifen score --jsonl``, the round's rule set), the rows are written with COPY and the items
  with set-based SQL. The fixture's decisions carry a JSON null as their value and its
  results no Chinese explanation: nothing downstream of the ranking reads them in the bench.
- **engine** (PostgreSQL): the floor — the verified profiles read from the database (COPY),
  scored by the engine's batch path (worker processes as ``jifen score``), ranked by
  ``rules.ranking.rank`` with the round's rule — no rows written.
- **score** (PostgreSQL): ``manage.py score_round --year 2026`` as a process of its own, from
  the template, when the command exists.

    .venv/bin/python bench/round_bench.py --size 1000000            # all stages
    .venv/bin/python bench/round_bench.py --size 1000000 --stages engine,score --from-template
    .venv/bin/python bench/round_bench.py --size 300 --sqlite        # import only, SQLite

The PostgreSQL database (``--postgres``, default h_bench_round) and its template are dropped
and created again: give it a scratch name. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
YEAR = 2026
SEED = 1
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/h_bench_round"
STAGES = ("synth", "import", "verify", "engine", "score")


# --- the parent: databases, processes, figures ---------------------------------------------


def profiles(size: int, out: Path = OUT) -> tuple[Path, dict[str, Any] | None]:
    """The synth file of ``size`` profiles (people distinct: synth guarantees it)."""
    path = out / f"round-{size}-{YEAR}.jsonl"
    if path.exists():
        return path, None
    out.mkdir(parents=True, exist_ok=True)
    figures = timed_process(
        [
            PYTHON,
            "-m",
            "jifen.cli",
            "synth",
            "--applicants",
            str(size),
            "--year",
            str(YEAR),
            "--seed",
            str(SEED),
            "-o",
            str(path),
        ],
        os.environ.copy(),
    )
    return path, {"stage": "synth", **figures}


def admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres"))


def recreate(url: str, template: str | None = None) -> None:
    import psycopg

    name, admin = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def make_template(url: str) -> str:
    import psycopg

    name, admin = admin_url(url)
    template = f"{name}_tpl"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{template}"')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
    return template


def drop(url: str, *, template: bool) -> None:
    import psycopg

    name, admin = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if template:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_tpl"')


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


class _PeakRSS:
    """Peak resident memory of a process tree, sampled from /proc every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.05):
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/statm") as f:
                        total += int(f.read().split()[1]) * page
                except OSError:
                    pass
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed_process(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``argv``; its wall time, CPU (user + system of it and its children), peak RSS of
    its process tree, and the JSON object its last line printed, if any."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    sampler = _PeakRSS(proc.pid)
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    peak = sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:4])} …: exit status {proc.returncode}")
    last: dict[str, Any] = {}
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            last = json.loads(line)
            break
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_mb": round(peak / 2**20),
        "out": last,
    }


def child(env: dict[str, str], task: str, *args: str) -> dict[str, Any]:
    return timed_process([PYTHON, str(Path(__file__).resolve()), "--child", task, *args], env)


def fresh_database(env: dict[str, str], url: str | None) -> None:
    if url:
        recreate(url)
    manage(env, "migrate", "-v0")
    manage(env, "round_create", "--year", str(YEAR))


def has_command(env: dict[str, str], name: str) -> bool:
    done = subprocess.run(
        [PYTHON, "manage.py", "help", name], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return done.returncode == 0


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| stage | step | wall s | CPU s (here) | DB server CPU s | peak MB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['stage']} | **all** | **{row['wall_s']}** | {row['cpu_s']} | "
            f"{row.get('out', {}).get('server_cpu_s', '')} | {row['peak_mb']} |"
        )
        for step, seconds in row.get("out", {}).get("steps", {}).items():
            lines.append(f"| | {step} | {seconds} | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=DEFAULT_URL, help="scratch database URL (dropped!)")
    parser.add_argument("--sqlite", action="store_true", help="import on SQLite (import only)")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument(
        "--from-template",
        action="store_true",
        help="start the engine and score stages from <name>_tpl",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--drop", action="store_true", help="drop the databases at the end")
    parser.add_argument("--out", type=Path, default=OUT, help="where profiles are cached")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child[0], args.child[1:])
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.base")
    var = tempfile.TemporaryDirectory(prefix="round-bench-")
    env = {**base, "JIFEN_VAR_DIR": var.name}
    url = None
    if not args.sqlite:
        url = args.postgres
        env["DATABASE_URL"] = url
    rows: list[dict[str, Any]] = []

    def report(row: dict[str, Any]) -> None:
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    path, made = profiles(args.size, args.out)
    if made:
        report(made)
    print(
        f"# {args.size} profiles: {path} ({path.stat().st_size / 2**20:.0f} MB); "
        f"{'SQLite' if args.sqlite else url}",
        flush=True,
    )
    if "import" in stages:
        fresh_database(env, url)
        report({"stage": "import", **child(env, "import", str(path))})
    if url and "verify" in stages:
        report({"stage": "verify", **child(env, "verify", str(path), str(args.workers))})
        make_template(url)
    if url and args.from_template:
        name, _ = admin_url(url)
        recreate(url, f"{name}_tpl")
    if url and "engine" in stages:
        report({"stage": "engine", **child(env, "engine", str(args.workers))})
    if url and "score" in stages:
        if has_command(env, "score_round"):
            name, _ = admin_url(url)
            recreate(url, f"{name}_tpl")  # every run starts from the verified round
            report(
                {
                    "stage": "score",
                    **timed_process([PYTHON, "manage.py", "score_round", "--year", str(YEAR)], env),
                }
            )
        else:
            print("# score: manage.py score_round is not there yet", flush=True)
    print(
        f"\nsize {args.size} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(table(rows))
    if url and args.drop:
        drop(url, template=True)


# --- the children: one process per stage, Django set up ------------------------------------


def run_child(task: str, args: list[str]) -> None:
    import django

    sys.path.insert(0, str(ROOT / "src"))
    django.setup()
    from django.db import connection

    server_pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            server_pid = cur.fetchone()[0]
    out: dict[str, Any] = {"steps": {}}
    {"import": child_import, "verify": child_verify, "engine": child_engine}[task](out, *args)
    if server_pid is not None:
        cpu = _proc_cpu(server_pid)
        if cpu is not None:
            out["server_cpu_s"] = round(cpu, 2)
    print(json.dumps(out, ensure_ascii=False))


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds of a local process (the database server's backend of this connection)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Steps:
    def __init__(self, out: dict[str, Any]) -> None:
        self.steps, self.mark = out["steps"], time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(self.steps.get(name, 0) + now - self.mark, 2)
        self.mark = now


def child_import(out: dict[str, Any], path: str) -> None:
    """``manage.py import_applications`` (call_command: the command itself), its steps timed
    by wrapping the service's functions."""
    from django.core.management import call_command

    from jifen.applications.services import imports

    steps = _Steps(out)

    def wrap(name: str, function: Any, before: str | None, after: str | None) -> None:
        def timed(*a: Any, **k: Any) -> Any:
            if before:
                steps.lap(before)
            result = function(*a, **k)
            if after:
                steps.lap(after)
            return result

        setattr(imports, name, timed)

    wrap("check_file", imports.check_file, "start-up", "check pass (parse, validate, duplicates)")
    wrap("record_event", imports.record_event, "write pass (users, applicants, applications)", None)
    wrap(
        "_after_import",
        imports._after_import,
        "audit event",
        "verification items (11 per application)",
    )
    wrap("_analyze", imports._analyze, "commit (deferred foreign-key checks)", "ANALYZE")
    with open(os.devnull, "w") as devnull:
        call_command("import_applications", path, year=YEAR, stdout=devnull)
    out["imported"] = _count("applications_application")
    out["items"] = _count("review_verificationitem")


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return cur.fetchone()[0]


def child_verify(out: dict[str, Any], path: str, workers: str) -> None:
    """The verified fixture (see the module's docstring), PostgreSQL only."""
    import orjson
    from django.db import connection, transaction
    from django.utils import timezone

    from jifen.core.bulkload import indexes_built_after
    from jifen.review.models import Decision, VerificationItem
    from jifen.rounds.models import Round
    from jifen.rules import load_rule_set

    steps = _Steps(out)
    rnd = Round.objects.get(year=YEAR)
    rs = load_rule_set(rnd.rule_set)
    results = Path(path).with_suffix(f".{rs.id}.results.jsonl")
    if not results.exists():
        subprocess.run(
            [
                PYTHON,
                "-m",
                "jifen.cli",
                "score",
                "--jsonl",
                "--rule-set",
                rs.id,
                "--workers",
                workers,
                "-o",
                str(results),
                path,
            ],
            check=True,
        )
    steps.lap("scores (jifen score --jsonl, the round's rule set)")
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute("SELECT number, id FROM applications_application WHERE round_id = %s", [rnd.pk])
        ids = dict(cur.fetchall())
    steps.lap("application ids")

    def esc(b: bytes) -> bytes:  # COPY text format: backslashes doubled (JSON has no tabs)
        return b.replace(b"\\", b"\\\\")

    stamp = now.isoformat().encode()
    with transaction.atomic():
        with connection.cursor() as cur:
            columns = (
                "application_id, after_recheck, rule_set, rule_set_version, eligible, "
                "total, result, explanation_zh, reasons_zh, profile, decisions, created_at"
            )
            with (
                cur.cursor.copy(f"COPY review_firstresult ({columns}) FROM STDIN") as copy,
                open(path, "rb") as profiles_file,
                open(results, "rb") as results_file,
            ):
                head = f"\t{rs.id}\t{rs.version}\t".encode()
                for line, result_line in zip(profiles_file, results_file, strict=True):
                    profile = orjson.loads(line)
                    result = orjson.loads(result_line)
                    assert result["application_no"] == profile["application_no"]
                    del profile["person"]["id_number"]  # stored without it, as real results
                    copy.write(
                        b"%d\tf%s%s\t%.2f\t%s\t[]\t[]\t%s\t{}\t%s\n"
                        % (
                            ids[profile["application_no"]],
                            head,
                            b"t" if result["eligible"] else b"f",
                            result["total"],
                            esc(result_line.rstrip(b"\n")),
                            esc(orjson.dumps(profile)),
                            stamp,
                        )
                    )
        steps.lap("first results (COPY)")
        # Both tables as a bulk load: 11 rows an application each.
        with (
            indexes_built_after(VerificationItem),
            indexes_built_after(Decision),
            connection.cursor() as cur,
        ):
            cur.execute(
                "INSERT INTO review_decision (id, item_id, application_id, kind, action, source, "
                "matched, value, reason, actor_id, comparison_id, supersedes_id, created_at) "
                "SELECT id, id, application_id, kind, 'compare', 'comparison', true, "
                "'null'::jsonb, '', NULL, NULL, NULL, %s FROM review_verificationitem "
                "WHERE round_id = %s",
                [now, rnd.pk],
            )
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('review_decision', 'id'), "
                "(SELECT max(id) FROM review_decision))"
            )
            steps.lap("decisions (INSERT … SELECT)")
            cur.execute(
                "UPDATE review_verificationitem SET state = 'matched', matched = true, "
                "latest_decision_id = id, decided_at = %s WHERE round_id = %s",
                [now, rnd.pk],
            )
            steps.lap("items decided (UPDATE)")
        steps.lap("indexes and foreign keys rebuilt, commit")
    # The round in its scoring phase (score_round refuses to run outside it).
    Round.objects.filter(pk=rnd.pk).update(
        scoring_opens=now - timedelta(days=1), scoring_closes=now + timedelta(days=30)
    )
    connection.cursor().execute("VACUUM ANALYZE")
    steps.lap("VACUUM ANALYZE")
    out["first_results"] = _count("review_firstresult")
    out["decisions"] = _count("review_decision")


def child_engine(out: dict[str, Any], workers: str) -> None:
    """The floor: verified profiles from PostgreSQL, the engine's batch path, the ranking."""
    import orjson
    from django.db import connection

    from jifen.review.results import _stand_in_number
    from jifen.rounds.models import Round
    from jifen.rules import load_rule_set
    from jifen.rules.batch import score_stream
    from jifen.rules.ranking import Candidate, rank

    steps = _Steps(out)
    rnd = Round.objects.get(year=YEAR)
    rs = load_rule_set(rnd.rule_set)
    rule = rs.ranking.with_quota(rnd.quota)

    with tempfile.TemporaryDirectory(prefix="round-bench-") as tmp:
        source, target = Path(tmp) / "profiles.jsonl", Path(tmp) / "results.jsonl"
        with connection.cursor() as cur, open(source, "wb") as sink:
            # The newest result per application (here: the only one).
            sql = (
                "COPY (SELECT DISTINCT ON (f.application_id) f.profile FROM "
                "review_firstresult f JOIN applications_application a ON "
                f"a.id = f.application_id WHERE a.round_id = {int(rnd.pk)} "
                "ORDER BY f.application_id, f.id DESC) TO STDOUT"
            )
            with cur.cursor.copy(sql) as copy:
                for row in copy.rows():
                    profile = orjson.loads(row[0]) if isinstance(row[0], str | bytes) else row[0]
                    person = profile["person"]
                    person["id_number"] = _stand_in_number(
                        date.fromisoformat(person["birth_date"]), person["sex"]
                    )
                    sink.write(orjson.dumps(profile) + b"\n")
        steps.lap("read verified profiles (COPY out)")
        with open(source, "rb") as src, open(target, "wb") as dst:
            score_stream(src, dst, rs.id, int(workers))
        steps.lap(f"score (batch path, {workers} workers)")
        candidates = []
        with open(target, "rb") as f:
            for line in f:
                result = orjson.loads(line)
                if result.get("eligible"):
                    candidates.append(
                        Candidate(
                            result["application_no"],
                            round(result["total"] * 100),
                            rule.tie_values(result),
                        )
                    )
        steps.lap("results parsed")
        outcome = rank(candidates, rule)
        steps.lap("rank")
    out.update(
        scored=len(candidates),
        line=outcome.line,
        admitted=outcome.admitted,
    )


if __name__ == "__main__":
    main()
