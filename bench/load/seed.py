"""Seed the load benchmark's database: the opening-day round and a list on public show.

    DJANGO_SETTINGS_MODULE=jifen.settings.serve DATABASE_URL=... [secrets in the environment] \
        .venv/bin/python bench/load/seed.py --applicants 2000 --out bench/out/load/accounts.json

Run by bench/load/run.sh against the database of the served system (same settings, same keys,
same JIFEN_VAR_DIR, so the evidence files it uploads can be read by the server). It makes,
through the real services (registration, employment links, the declaration, evidence,
submission), with synthetic people only (jifen.synth's names and identity numbers):

- a round of this year with its declaration window open (opened yesterday);
- ``--applicants`` applicants, ``--per-employer`` to an employer, each link confirmed;
  every applicant has a draft: most half-filled, ``--ready`` of them complete with their
  evidence (they may submit during the run), ``--submitted`` already submitted (the employers'
  review queue at the start);
- last year's round in its publication window (公示) with ``--listed`` rows published.

The accounts go to ``--out`` (JSON) for locust. All accounts share one password, hashed once
with the production hasher (Argon2); creation itself uses a fast hasher, then the hash is set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.factories (synthetic declarations, a valid PDF)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.serve")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from jifen.accounts import services as account_services  # noqa: E402
from jifen.accounts.models import User  # noqa: E402
from jifen.applications import services as app_services  # noqa: E402
from jifen.publication.models import ListedEntry, Publication  # noqa: E402
from jifen.rounds.models import Round, RunState, ScoringRun  # noqa: E402
from jifen.rules import INDICATORS  # noqa: E402
from jifen.rules.identity import mask  # noqa: E402
from jifen.synth.identity import IdentityFactory  # noqa: E402
from jifen.synth.names import NamePool  # noqa: E402
from tests.factories import (  # noqa: E402
    PASSWORD,
    credit_code,
    fill_declaration,
    full_declaration,
)

PREFIX = "load"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DISTRICTS = ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "通州区", "大兴区", "昌平区"]
EMPLOYER_NAMES = ["科技", "信息技术", "工程", "医药", "文化传媒", "咨询", "金融服务", "物流"]


def _round_now(year: int) -> Round:
    now = timezone.now()
    return Round.objects.create(
        year=year, rule_set="beijing-2020", quota=6000,
        declaration_opens=now - timedelta(days=1), declaration_closes=now + timedelta(days=30),
    )


def _published_round(year: int, rows: int, rng: Random, names: NamePool,
                     ids: IdentityFactory) -> Publication:
    """Last year's round with its publication window open now and ``rows`` listed entries."""
    now = timezone.now()
    # Publication runs from 90 to 97 days after the declaration closes (phases.DEFAULT_SCHEDULE).
    rnd = Round.objects.create(
        year=year, rule_set="beijing-2020", quota=rows,
        declaration_opens=now - timedelta(days=125), declaration_closes=now - timedelta(days=92),
    )
    run = ScoringRun.objects.create(
        round=rnd, kind="score", state=RunState.DONE, quota=rows, stage="done",
        total=rows, done=rows, admitted=rows, started_at=now, finished_at=now,
    )
    rnd.current_run = run
    rnd.save(update_fields=["current_run"])
    pub = Publication.objects.create(round=rnd, run=run, published_at=now, rows=rows)
    entries = []
    total = Decimal("140.00")
    for position in range(1, rows + 1):
        male = rng.random() < 0.55
        born = (rng.randint(1972, 1990), rng.randint(1, 12), rng.randint(1, 28))
        scores = [Decimal(rng.randint(0, 4000)) / 100 for _ in INDICATORS]
        total -= Decimal(rng.choice((0, 0, 1, 2, 4))) / 100
        entries.append(ListedEntry(
            publication=pub, position=position, rank=position,
            application_no=f"{year}{position:07d}", name=names.draw(rng, male),
            id_masked=mask(ids.make(rng, *born, male)), birth_month=f"{born[0]}-{born[1]:02d}",
            employer=f"北京{rng.choice(EMPLOYER_NAMES)}有限公司{rng.randint(1, 400)}",
            scores=[str(s) for s in scores], total=total,
        ))
    ListedEntry.objects.bulk_create(entries, batch_size=1000)
    pub.line = total
    pub.save(update_fields=["line"])
    return pub


def _partial_declaration(year: int, rng: Random) -> dict:
    """Some sections of a full declaration: a draft begun."""
    full = full_declaration(year)
    keys = rng.sample(sorted(full), rng.randint(2, 5))
    return {k: full[k] for k in keys}


def seed(*, applicants: int, per_employer: int, ready: float, submitted: float, listed: int,
         seed_value: int) -> dict:
    rng = Random(seed_value)
    names = NamePool(seed_value)
    ids = IdentityFactory()
    year = timezone.localdate().year
    started = time.perf_counter()
    _round_now(year)
    pub = _published_round(year - 1, listed, rng, names, ids)
    out: dict = {"password": PASSWORD, "year": year, "published_year": year - 1,
                 "applicants": [], "employers": []}
    employers: list[dict] = []
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        for e in range((applicants + per_employer - 1) // per_employer):
            agent = account_services.register_employer(
                employer_name=f"北京{EMPLOYER_NAMES[e % len(EMPLOYER_NAMES)]}有限公司{e + 1}",
                credit_code=credit_code(900000 + e), district=rng.choice(DISTRICTS),
                username=f"{PREFIX}-employer-{e + 1}", password=PASSWORD,
                agent_name=names.draw(rng, rng.random() < 0.5), phone=f"138{e + 1:08d}",
            )
            employers.append({"username": agent.username, "code": agent.employer.code,
                              "user": agent})
        for i in range(applicants):
            male = rng.random() < 0.55
            born = (rng.randint(1978, 1995), rng.randint(1, 12), rng.randint(1, 28))
            with transaction.atomic():
                user = account_services.register_applicant(
                    username=f"{PREFIX}-applicant-{i + 1}", password=PASSWORD,
                    id_number=ids.make(rng, *born, male), name=names.draw(rng, male),
                    phone=f"139{i + 1:08d}",
                )
                employer = employers[i // per_employer]
                link = app_services.link_request(actor=user, employer_code=employer["code"])
                app_services.link_confirm(actor=employer["user"], link_id=link.pk)
                app = app_services.application_start(actor=user)
                kind = rng.random()
                is_ready = kind < ready + submitted
                if is_ready:
                    app = fill_declaration(user, app)
                else:
                    app = fill_declaration(user, app, _partial_declaration(year, rng),
                                           evidence=False)
                is_submitted = kind < submitted
                if is_submitted:
                    app = app_services.application_submit(
                        actor=user, application_id=app.pk, version=app.version)
            out["applicants"].append({
                "username": user.username, "application": app.pk,
                "ready": is_ready, "submitted": is_submitted,
            })
            if (i + 1) % 200 == 0:
                print(f"  {i + 1} applicants ({time.perf_counter() - started:.0f} s)", flush=True)
    # One Argon2 hash for every account: logins during the run cost what they cost in production.
    hashed = make_password(PASSWORD)
    User.objects.filter(username__startswith=f"{PREFIX}-").update(password=hashed)
    out["employers"] = [{"username": e["username"]} for e in employers]
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["listed"] = pub.rows
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=2000)
    parser.add_argument("--per-employer", type=int, default=20)
    parser.add_argument("--ready", type=float, default=0.2,
                        help="share of applicants with a complete declaration and evidence")
    parser.add_argument("--submitted", type=float, default=0.1,
                        help="share already submitted (the employers' queue)")
    parser.add_argument("--listed", type=int, default=6000, help="rows of the published list")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if User.objects.filter(username__startswith=f"{PREFIX}-").exists():
        print("seed: the database already holds the benchmark's accounts; drop it first",
              file=sys.stderr)
        return 2
    data = seed(applicants=args.applicants, per_employer=args.per_employer, ready=args.ready,
                submitted=args.submitted, listed=args.listed, seed_value=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"seed: {len(data['applicants'])} applicants, {len(data['employers'])} employers, "
          f"{data['listed']} listed in {data['published_year']}, {data['seconds']} s "
          f"→ {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
