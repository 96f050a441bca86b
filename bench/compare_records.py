"""Benchmark of the data comparison (数据比对): one department file of 200,000 rows against
120,000 employer-submitted applications of one round, on SQLite and on PostgreSQL.

Prints, for each database, the seconds of each stage of ``run_comparison`` (reading the file,
comparing, writing the decisions, scoring the completed applications), the total, rows a
second, the peak resident memory of the process (``resource.getrusage``) and how much it grew
during the comparison (peak minus the resident memory just before it).

    .venv/bin/python bench/compare_records.py                      # both databases
    .venv/bin/python bench/compare_records.py --databases sqlite --profile
    .venv/bin/python bench/compare_records.py --applications 20000 --rows 35000

The fixture is built once per database and size and kept (bench/out/: an SQLite file; a
PostgreSQL template database ``h_compare_bench_fx``); each measurement runs on a fresh copy
of it, in a process of its own. Applicants come from `jifen synth` (the first N profiles are
in the round, the next ones are people the department knows but the round does not); each
becomes a user, an applicant (identity number encrypted and blind-indexed, as every
applicant's), an application submitted by its employer (its declaration made from the
profile) and its 11 verification items, inserted with bulk_create: a benchmark fixture, not
the way applications arrive. The file is social_insurance: every person's records as declared
(some split into more rows, which must still match), some changed (a back-paid month, the
last months missing: different), and the records of people not in the round.

--others-decided: the other ten kinds are already decided (compared as declared), so this
comparison completes every application and the scoring stage scores all of them: the last
department's file of a round.

Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
YEAR = 2022
KIND = "social_insurance"
PG_URL = "postgres://postgres@127.0.0.1:5432/"
PG_FIXTURE = "h_compare_bench_fx"
PG_RUN = "h_compare_bench"
STRANGER_SHARE = 0.04  # of the file's persons: not in the round
DIFFERENT_SHARE = 0.06  # of the round's persons: records that differ from the declaration


# ---------------------------------------------------------------- inputs (no Django)


def profiles(n: int, seed: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"profiles-{YEAR}-{n}-{seed}.jsonl"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "jifen.cli", "synth", "--applicants", str(n),
             "--year", str(YEAR), "--seed", str(seed), "-o", str(path)],
            check=True,
        )  # fmt: skip
    return path


def people(apps: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The round's ``apps`` applicants and the people the department knows besides them:
    synthetic profiles, each identity number once (synth may repeat one)."""
    strangers = max(1, int(apps * STRANGER_SHARE))
    wanted = apps + strangers
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    with profiles(int(wanted * 1.05) + 10, seed).open("rb") as fh:
        for line in fh:
            p = orjson.loads(line)
            if p["person"]["id_number"] not in seen:
                seen.add(p["person"]["id_number"])
                out.append(p)
                if len(out) == wanted:
                    break
    if len(out) < wanted:
        raise SystemExit("too few distinct synthetic people")
    return out[:apps], out[apps:]


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _split(record: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """One record as two rows that mean the same (back-paid months follow their half)."""
    first, last = _index(record["from"]), _index(record["to"])
    cut = rng.randint(first, last - 1)
    head = {"from": record["from"], "to": _month(cut),
            "back_paid": [m for m in record["back_paid"] if _index(m) <= cut]}
    tail = {"from": _month(cut + 1), "to": record["to"],
            "back_paid": [m for m in record["back_paid"] if _index(m) > cut]}
    return [head, tail]


def _joined(records: list[dict[str, Any]], at: set[int]) -> list[dict[str, Any]]:
    """Records j and j+1 for every j in ``at`` as one row."""
    out = [dict(records[0], back_paid=list(records[0]["back_paid"]))]
    for j in range(1, len(records)):
        if j - 1 in at:
            out[-1]["to"] = records[j]["to"]
            out[-1]["back_paid"] += records[j]["back_paid"]
        else:
            out.append(dict(records[j], back_paid=list(records[j]["back_paid"])))
    return out


def _changed(records: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The department's records of someone whose declaration is not what it has."""
    records = [dict(r, back_paid=list(r["back_paid"])) for r in records]
    last = records[-1]
    if rng.random() < 0.5 and _index(last["to"]) - _index(last["from"]) > 3:
        last["to"] = _month(_index(last["to"]) - 3)  # the last three months not insured
        last["back_paid"] = [m for m in last["back_paid"] if m <= last["to"]]
    else:  # a month paid late that was declared as paid on time
        months = [_month(m) for m in range(_index(last["from"]), _index(last["to"]) + 1)]
        late = [m for m in months if m not in last["back_paid"]]
        if late:
            last["back_paid"] = sorted([*last["back_paid"], rng.choice(late)])
    return records


def records_file(apps: int, rows: int, seed: int) -> Path:
    """The department's social_insurance file: exactly ``rows`` data rows."""
    path = OUT / f"si-{YEAR}-{apps}-{rows}-{seed}.csv"
    if path.exists():
        return path
    in_round, strangers = people(apps, seed)
    everyone = in_round + strangers
    rng = random.Random(seed)
    per_person: list[list[dict[str, Any]]] = []
    splittable: list[tuple[int, int]] = []
    for i, p in enumerate(everyone):
        records = [dict(r) for r in p.get("social_insurance", [])]
        if i < apps and records and rng.random() < DIFFERENT_SHARE:
            records = _changed(records, rng)
        elif records:
            splittable += [
                (i, j) for j, r in enumerate(records) if _index(r["to"]) > _index(r["from"])
            ]
        per_person.append(records)
    base = sum(len(r) for r in per_person)
    split_at: dict[int, set[int]] = {}
    if base > rows:
        # Join records that follow on without a gap (each join removes a row): a department
        # keeps one record where the declaration has one per employer.
        joinable = [
            (i, j) for i, records in enumerate(per_person) for j in range(len(records) - 1)
            if _index(records[j]["to"]) + 1 == _index(records[j + 1]["from"])
        ]
        if base - rows > len(joinable):
            raise SystemExit(f"the profiles make {base} rows, cannot get down to {rows}")
        joins: dict[int, set[int]] = {}
        for i, j in rng.sample(joinable, base - rows):
            joins.setdefault(i, set()).add(j)
        for i, at in joins.items():
            per_person[i] = _joined(per_person[i], at)
    else:
        # Split records (each split adds a row) until the file has exactly ``rows`` rows.
        for i, j in rng.sample(splittable, min(rows - base, len(splittable))):
            split_at.setdefault(i, set()).add(j)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["id_number", "from", "to", "back_paid"])
        written = 0
        order = list(range(len(everyone)))
        rng.shuffle(order)  # a department's file is in its own order, not the round's
        for i in order:
            number = everyone[i]["person"]["id_number"]
            for j, record in enumerate(per_person[i]):
                parts = _split(record, rng) if j in split_at.get(i, ()) else [record]
                for part in parts:
                    writer.writerow([number, part["from"], part["to"], ";".join(part["back_paid"])])
                    written += 1
    if written != rows:
        path.unlink()
        raise SystemExit(f"wrote {written} rows, wanted {rows}: more profiles or fewer rows")
    return path


# ---------------------------------------------------------------- Django (child processes)


def django_setup(database: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "jifen.settings.base"
    os.environ["DJANGO_DEBUG"] = "0"  # no query log
    if database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["JIFEN_VAR_DIR"] = str(OUT / "compare-sqlite")
    else:
        os.environ["DATABASE_URL"] = PG_URL + os.environ["BENCH_PG_DB"]
    import django

    django.setup()


def declaration(p: dict[str, Any]) -> dict[str, Any]:
    """The declaration (as the pages store it) that makes profile ``p``."""
    from jifen.applications.declaration import new_item_id

    person = p["person"]

    def rows(key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"id": new_item_id(), **{f: r[f] for f in fields}} for r in p.get(key, [])]

    return {
        "conditions": {
            "residence_permit": person["residence_permit"],
            "criminal_record": person["criminal_record"],
            "female_cadre": person["female_cadre"],
        },
        "social_insurance": [
            {"id": new_item_id(), "from": r["from"], "to": r["to"],
             "back_paid": ", ".join(r["back_paid"])}
            for r in p.get("social_insurance", [])
        ],
        "housing": rows("housing", ("kind", "from", "to", "district")),
        "employment": rows("employment", ("from", "to", "district")),
        "education": [
            {"id": new_item_id(), "level": r["level"] or "", "degree": r["degree"] or "",
             "full_time": r["full_time"], "from": r["from"], "to": r["to"]}
            for r in p.get("education", [])
        ],
        "innovation": [{"id": new_item_id(), "code": c} for c in p.get("innovation", [])],
        "honours": [{"id": new_item_id(), "code": c} for c in p.get("honours", [])],
        "tax": {y: str(a) for y, a in p.get("tax", {}).items()},
        "violations": [
            {"id": new_item_id(), "kind": v["kind"], "date": v["date"]}
            for v in p.get("violations", [])
        ],
    }


def build(database: str, apps: int, seed: int, others_decided: bool) -> None:
    """Migrate and fill the fixture database."""
    django_setup(database)
    from datetime import date, datetime, timedelta

    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from jifen.accounts.models import ApplicantProfile, Employer, User
    from jifen.applications import declaration as decl
    from jifen.applications.models import Application, Status
    from jifen.core import crypto
    from jifen.core.roles import Role
    from jifen.review import records
    from jifen.review.kinds import KIND_DEPARTMENT, KINDS
    from jifen.review.models import Decision, ItemState, VerificationItem
    from jifen.rounds.models import Round

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    in_round, _ = people(apps, seed)
    now = timezone.now()
    rnd = Round.objects.create(
        year=YEAR, rule_set=decl.rule_set_in_force(YEAR).id,
        declaration_opens=now - timedelta(days=60), declaration_closes=now - timedelta(days=1),
    )
    employers = Employer.objects.bulk_create(
        Employer(name=f"基准测试单位{i}", credit_code=f"91110105MA{i:08d}", code=f"BE{i:010d}",
                 district="通州区")
        for i in range(max(1, apps // 200))
    )
    batch = 5000
    for start in range(0, apps, batch):
        chunk = in_round[start : start + batch]
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(username=f"bench{start + k}", password="!", role=Role.APPLICANT,
                     full_name=p["person"]["name"])
                for k, p in enumerate(chunk)
            )
            profiles_ = ApplicantProfile.objects.bulk_create(
                ApplicantProfile(
                    user=u, id_number=p["person"]["id_number"],
                    id_index=crypto.blind_index(p["person"]["id_number"]),
                    name=p["person"]["name"], sex=p["person"]["sex"],
                    birth_date=date.fromisoformat(p["person"]["birth_date"]),
                )
                for u, p in zip(users, chunk, strict=True)
            )
            applications = Application.objects.bulk_create(
                Application(
                    round=rnd, applicant=a, employer=employers[(start + k) % len(employers)],
                    number=p["application_no"], status=Status.EMPLOYER_SUBMITTED,
                    data=declaration(p), submitted_at=now, employer_submitted_at=now,
                )
                for k, (a, p) in enumerate(zip(profiles_, chunk, strict=True))
            )
            items = VerificationItem.objects.bulk_create(
                VerificationItem(
                    application=app, round=rnd, kind=kind, department=KIND_DEPARTMENT[kind],
                    opened_at=now, due_on=now.date() + timedelta(days=14),
                )
                for app in applications
                for kind in KINDS
            )
            if others_decided:
                # The other kinds compared earlier, as declared: matched.
                by_app = {p["application_no"]: p for p in chunk}
                decisions = Decision.objects.bulk_create(
                    Decision(
                        item=item, application_id=item.application_id, kind=item.kind,
                        action="compare", source="comparison", matched=True,
                        value=records.declared(item.kind, by_app[item.application.number]),
                        created_at=now,
                    )
                    for item in items
                    if item.kind != KIND
                )
                del decisions
                newest = Subquery(
                    Decision.objects.filter(item=OuterRef("pk")).order_by("-id").values("id")[:1]
                )
                ids = [a.pk for a in applications]
                for at in range(0, len(ids), 900):
                    VerificationItem.objects.filter(
                        application_id__in=ids[at : at + 900]
                    ).exclude(kind=KIND).update(
                        state=ItemState.MATCHED, matched=True, decided_at=now,
                        latest_decision_id=newest,
                    )
        print(f"  {start + len(chunk):,} applications", file=sys.stderr, flush=True)
    if database == "postgres":
        # Statistics, as autovacuum gathers them within a minute of a bulk load: without
        # them the planner scans the 1.3M items for every chunk of 500 applications.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"  fixture built in {time.perf_counter() - started:.0f} s "
          f"({datetime.now():%H:%M})", file=sys.stderr)


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(database: str, path: Path, profile_to: str | None) -> dict[str, Any]:
    """One comparison on a fresh copy of the fixture; the figures as a dict."""
    django_setup(database)
    import hashlib

    from jifen.review import comparisons
    from jifen.review.sources import FileSource
    from jifen.rounds.models import Round

    rnd = Round.objects.get(year=YEAR)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    marks: list[tuple[str, float]] = []
    rss_at: dict[str, int] = {}  # MB when each stage starts
    sampled = {"peak": 0}
    original = comparisons._Progress.__call__

    def timed(self: Any, stage: str, done: int, total: int, *, force: bool = False) -> None:
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))
            rss_at[stage] = round(_rss() / 2**20)
        original(self, stage, done, total, force=force)

    comparisons._Progress.__call__ = timed  # type: ignore[method-assign]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            sampled["peak"] = max(sampled["peak"], _rss())

    run = comparisons.start_run(
        round_=rnd, kind=KIND, file_name=path.name, sha256=sha, size=path.stat().st_size
    )
    rss_before = _rss()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run = comparisons.run_comparison(run, FileSource(path, KIND))
    if profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    ended = time.perf_counter()
    cpu = time.process_time() - cpu_started
    stop.set()
    sampler.join()
    stages = {stage: at for stage, at in marks if stage != "reading"}
    stages["reading"] = started
    order = ["reading", "comparing", "writing", "scoring", "signals"]
    seconds = {}
    for i, stage in enumerate(order):
        until = stages[order[i + 1]] if i + 1 < len(order) else stages.get("done", ended)
        seconds[stage] = round(until - stages[stage], 2) if stage in stages else 0.0
    total = ended - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "database": database,
        "summary": comparisons.summary_of(run),
        "seconds": seconds,
        "total": round(total, 2),
        "cpu": round(cpu, 2),  # this process's CPU seconds (not the database server's)
        "rows_per_s": round(run.summary["rows"] / total),
        "rss_before_mb": round(rss_before / 2**20),
        "peak_rss_mb": round(max(peak, sampled["peak"]) / 2**20),
        "growth_mb": round((max(peak, sampled["peak"]) - rss_before) / 2**20),
        "rss_at_stage_mb": {**rss_at, "end": round(_rss() / 2**20)},
    }


# ---------------------------------------------------------------- orchestration


def _child(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    return done.stdout


def _psql(*args: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-v", "ON_ERROR_STOP=1",
                    "-c", *args], check=True, stdout=subprocess.DEVNULL)


def _pg_exists(name: str) -> bool:
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
         f"select 1 from pg_database where datname = '{name}'"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip() == "1"


def prepare(database: str, args: argparse.Namespace) -> dict[str, str]:
    """A fresh copy of the fixture (built first if missing); the child's environment."""
    tag = f"{args.applications}-{args.seed}{'-decided' if args.others_decided else ''}"
    common = ["build", database, str(args.applications), str(args.seed)]
    if args.others_decided:
        common.append("--others-decided")
    if database == "sqlite":
        fixture = OUT / f"compare-fixture-{tag}.sqlite3"
        work = OUT / "compare-sqlite"
        if args.rebuild or not fixture.exists():
            shutil.rmtree(work, ignore_errors=True)
            _child(*common)
            shutil.copyfile(work / "jifen.sqlite3", fixture)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        shutil.copyfile(fixture, work / "jifen.sqlite3")
        return {}
    fixture = f"{PG_FIXTURE}_{tag.replace('-', '_')}"
    if args.rebuild or not _pg_exists(fixture):
        _psql(f"drop database if exists {fixture}")
        _psql(f"create database {fixture}")
        _child(*common, env={"BENCH_PG_DB": fixture})
    _psql(f"drop database if exists {PG_RUN}")
    _psql(f"create database {PG_RUN} template {fixture}")
    return {"BENCH_PG_DB": PG_RUN}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = sys.argv[1:2]
    if sub == ["build"]:
        build(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--others-decided" in sys.argv)
        return
    if sub == ["measure"]:
        figures = measure(sys.argv[2], Path(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4
                          else None)
        print(orjson.dumps(figures).decode())
        return
    parser.add_argument("--applications", type=int, default=120_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=1, help="measurements per database")
    parser.add_argument("--others-decided", action="store_true",
                        help="the other ten kinds decided already: every application is scored")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the comparison (bench/out/compare-<db>.prof), top 30")
    parser.add_argument("--rebuild", action="store_true", help="build the fixtures again")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    path = records_file(args.applications, args.rows, args.seed)
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')} · {args.applications:,} applications · "
          f"{args.rows:,} rows of {KIND} ({path.stat().st_size / 2**20:.1f} MB)"
          f"{' · the other ten kinds decided' if args.others_decided else ''}")
    header = (f"{'database':<10} {'reading':>8} {'comparing':>9} {'writing':>8} {'scoring':>8} "
              f"{'signals':>8} "
              f"{'total':>7} {'CPU':>6} {'rows/s':>7} {'RSS before':>10} {'peak RSS':>9} "
              f"{'growth':>7}")
    results = []
    for database in args.databases.split(","):
        for i in range(args.runs):
            env = prepare(database, args)
            prof = str(OUT / f"compare-{database}.prof") if args.profile else None
            line = _child("measure", database, str(path), *([prof] if prof else []), env=env)
            figures = orjson.loads(line.strip().splitlines()[-1])
            results.append(figures)
            print(f"  run {i + 1} on {database}: {figures['summary']}", flush=True)
            print(f"  resident MB as each stage starts: {figures['rss_at_stage_mb']}", flush=True)
            if prof:
                import pstats

                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    print(f"load average at the start: {load:.1f} (other processes share the 2 cores)")
    print(header)
    for f in results:
        s = f["seconds"]
        print(f"{f['database']:<10} {s['reading']:>8.2f} {s['comparing']:>9.2f} "
              f"{s['writing']:>8.2f} {s['scoring']:>8.2f} {s['signals']:>8.2f} "
              f"{f['total']:>7.2f} {f['cpu']:>6.2f} "
              f"{f['rows_per_s']:>7,} {f['rss_before_mb']:>7} MB {f['peak_rss_mb']:>6} MB "
              f"{f['growth_mb']:>4} MB")


if __name__ == "__main__":
    main()
