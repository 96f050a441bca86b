"""Benchmark of the signal detectors (jifen.review.signals) over a large round.

Builds a synthetic round of N employer-submitted applications in the database named by
DATABASE_URL (bulk inserts; the rows stay, so that a second run with --reuse measures
detection alone), with a few planted signals of every kind, half of the insurance and
education items decided by a comparison; then runs ``detect_signals`` twice: the first run
raises every signal, the second finds the same (nothing new) — the nightly case.

    createdb -h 127.0.0.1 -U postgres h_signals_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_signals_bench \\
        .venv/bin/python bench/signals_bench.py --applications 120000
    .venv/bin/python bench/signals_bench.py --applications 120000 --sqlite   # a temp file

Figures go to docs/verification.md ("Signals").
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def id_number(n: int) -> str:
    """Unique and with a valid check digit (its birth date is not a date: not needed here)."""
    body = f"11010519{n % 10**9:09d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def build(n: int, year: int, seed: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from jifen.accounts.models import ApplicantProfile, Employer, User
    from jifen.applications.models import Application, Evidence, Status
    from jifen.core import crypto
    from jifen.core.roles import Role
    from jifen.review.ledger import ComparedItem, append_comparisons
    from jifen.review.models import ComparisonRun, VerificationItem
    from jifen.rounds.models import Round

    rng = random.Random(seed)
    now = timezone.now()
    rnd = Round.objects.create(
        year=year, rule_set="beijing-2020", quota=6000,
        declaration_opens=now.replace(year=year - 1), declaration_closes=now.replace(year=year),
    )
    employers = Employer.objects.bulk_create(
        [Employer(name=f"基准测试单位{i}", credit_code=f"B{year}{i:09d}"[:18],
                  code=f"B{year % 100}{i:07d}", district="海淀区")
         for i in range(max(1, n // 20))],
        batch_size=2000,
    )
    base = year * 100000000
    chunk = 5000
    for start in range(0, n, chunk):
        rows = range(start, min(n, start + chunk))
        with transaction.atomic():
            users = []
            for i in rows:
                # Planted: every 997th applicant shares a phone with the one before.
                phone = f"13{(i - (i % 997 == 1)) % 10**9:09d}"
                users.append(User(username=f"b{year}_{i}", role=Role.APPLICANT, password="!",
                                  phone=phone, phone_index=crypto.phone_index(phone)))
            users = User.objects.bulk_create(users, batch_size=2000)
            profiles = ApplicantProfile.objects.bulk_create(
                [ApplicantProfile(user=u, id_number=id_number(base + i),
                                  id_index=crypto.blind_index(id_number(base + i)),
                                  name="基准", sex="F", birth_date=date(1990, 1, 1))
                 for u, i in zip(users, rows, strict=True)],
                batch_size=2000,
            )
            apps = []
            for p, i in zip(profiles, rows, strict=True):
                employer = employers[i % len(employers)]
                start_month = rng.randrange(2005 * 12, 2024 * 12)
                if employer.pk % 50 == 0 and (i // len(employers)) % 5 < 3:
                    start_month = 2019 * 12 + i % 3  # planted: a burst at one employer in 50
                # planted: every 401st studied 6 months into their insured time
                study_end = start_month - 1 + (6 if i % 401 == 0 else 0)
                tax = {str(y): str(rng.choice((0, rng.randrange(20000, 300000))))
                       for y in (year - 3, year - 2, year - 1)}
                if employer.pk % 40 == 0 and i % 3 == 0:
                    tax[str(year - 1)] = str(100000 + rng.randrange(0, 9000))  # planted
                apps.append(Application(
                    round=rnd, applicant=p, employer=employer, number=f"B{i:09d}",
                    status=Status.EMPLOYER_SUBMITTED, employer_submitted_at=now,
                    data={
                        "tax": tax,
                        "social_insurance": [{"id": "s1", "from": month(start_month),
                                              "to": f"{year - 1}-12", "back_paid": ""}],
                        "education": [{"id": "e1", "level": "bachelor", "degree": "bachelor",
                                       "full_time": True, "from": month(study_end - 46),
                                       "to": month(study_end)}],
                        "housing": [], "employment": [], "innovation": [], "honours": [],
                        "violations": [], "conditions": {"residence_permit": True},
                    },
                ))
            apps = Application.objects.bulk_create(apps, batch_size=2000)
            Evidence.objects.bulk_create(
                [Evidence(application=a, section="education", file=f"bench/{a.pk}.pdf",
                          original_name="x.pdf", content_type="application/pdf", size=1000,
                          # planted: every 1009th file is the one before's
                          sha256=f"{(i - (i % 1009 == 1)):064x}")
                 for a, i in zip(apps, rows, strict=True)],
                batch_size=2000,
            )
            items = VerificationItem.objects.bulk_create(
                [VerificationItem(application=a, round=rnd, kind=kind, department=dept,
                                  opened_at=now)
                 for a in apps
                 for kind, dept in (("social_insurance", "social_insurance"),
                                    ("education", "education"))],
                batch_size=2000,
            )
            run = ComparisonRun.objects.create(round=rnd, kind="education",
                                               department="education")
            by_app = {a.pk: a for a in apps}
            for kind in ("social_insurance", "education"):
                append_comparisons(
                    [ComparedItem(item_id=it.pk, application_id=it.application_id,
                                  latest_decision_id=None, matched=True,
                                  value=by_app[it.application_id].data[kind])
                     for it in items if it.kind == kind and it.application_id % 2 == 0],
                    kind=kind, comparison=run, now=now,
                )
        print(f"built {min(n, start + chunk)} / {n}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=120000)
    parser.add_argument("--year", type=int, default=2091)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="the round is there: detect only")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    args = parser.parse_args()
    if args.sqlite:
        folder = tempfile.mkdtemp(prefix="signals-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jifen.review.signals import detect_signals
    from jifen.rounds.models import Round

    call_command("migrate", verbosity=0)
    if not args.reuse:
        t = time.perf_counter()
        build(args.applications, args.year, args.seed)
        print(f"build: {time.perf_counter() - t:.1f} s", file=sys.stderr)
        if connection.vendor == "postgresql":
            # What autovacuum does within a minute of a bulk import (the import should too):
            # without it the planner takes the new tables for empty.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    rnd = Round.objects.get(year=args.year)
    count = rnd.applications.count()
    print(f"{connection.vendor}, {count} applications, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    for label in ("first run", "second run"):
        t = time.perf_counter()
        counts = detect_signals(rnd)
        seconds = time.perf_counter() - t
        new = {k: c["new"] for k, c in counts.items()}
        total = {k: c["total"] for k, c in counts.items()}
        print(f"{label}: {seconds:.2f} s; new {new}; total {total}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB (the whole process, build included unless --reuse)")


if __name__ == "__main__":
    main()
