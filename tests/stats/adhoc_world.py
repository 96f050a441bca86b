"""A small round for the statistics and what-if tests: applications with first results made
directly from varied declarations (the verified profile is the declared one), optionally a
done scoring run with ranked results as the round's current run."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jifen.accounts.models import Employer
from jifen.applications import declaration as decl
from jifen.applications.models import Application, Status
from jifen.review.models import FirstResult
from jifen.review.results import score_verified
from jifen.rounds.models import RankedResult, Round, ScoringRun
from jifen.rules import load_rule_set, rank
from jifen.rules.ranking import Candidate
from tests.factories import full_declaration, id_number, make_applicant, make_employer, make_round

DISTRICTS = ("通州区", "海淀区")
NAMES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"


def person_name(i: int) -> str:
    return "王" + NAMES[i % len(NAMES)] + NAMES[(i // len(NAMES)) % len(NAMES)]


@dataclass
class RoundWorld:
    round: Round
    apps: list[Application]
    results: dict[str, FirstResult]  # application number -> first result
    run: ScoringRun | None


def declaration(year: int, i: int) -> dict[str, Any]:
    """full_declaration with variations: the start of work, the degree, honours, tax."""
    data = copy.deepcopy(full_declaration(year))
    start_year = 2008 + i % 7  # fewer months of insurance and work for later starts
    data["social_insurance"] = [
        {"from": f"{start_year}-07", "to": f"{year - 1}-12", "back_paid": ""}
    ]
    data["employment"] = [
        {"from": f"{start_year}-07", "to": f"{year - 1}-12", "district": "通州区"}
    ]
    data["housing"] = [
        {"kind": "owned", "from": "2016-01", "to": f"{year - 1}-12", "district": "通州区"}
    ]
    if i % 3 == 1:
        data["education"][0].update(level="master", degree="master")
    if i % 2:
        data["honours"] = []
    if i % 4 == 0:
        data["innovation"] = []
    return data


def build(
    n: int = 24, *, year: int = 2026, run: bool = True, quota: int = 10, without_result: int = 0
) -> RoundWorld:
    rnd = make_round(year)
    rnd.quota = quota
    rnd.save(update_fields=["quota"])
    employers = [make_employer().employer for _ in DISTRICTS]
    for emp, district in zip(employers, DISTRICTS, strict=True):
        Employer.objects.filter(pk=emp.pk).update(district=district)
    apps, results = [], {}
    for i in range(n + without_result):
        sex = "M" if i % 2 else "F"
        birth = f"{1980 + i % 12}0315"
        user = make_applicant(birth=birth, sex=sex, name=person_name(i))
        number = f"{year}{i + 1:06d}"
        app = Application.objects.create(
            round=rnd,
            applicant=user.applicant,
            employer=employers[i % 2],
            number=number,
            status=Status.EMPLOYER_SUBMITTED,
            data=declaration(year, i),
        )
        apps.append(app)
        if i >= n:
            continue  # verification not finished: no first result
        profile = decl.to_profile(
            app.data,
            year=year,
            rule_set=rnd.rule_set,
            application_no=number,
            id_number=id_number(birth, sex),
            name=person_name(i),
            sex=sex,
            birth_date=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        )
        results[number] = FirstResult.objects.create(
            application=app, decisions={}, **score_verified(rnd.rule_set, profile)
        )
    scoring = make_run(rnd, apps, results) if run else None
    return RoundWorld(rnd, apps, results, scoring)


def make_run(rnd: Round, apps: list[Application], results: dict[str, FirstResult]) -> ScoringRun:
    """A done scoring run of the first results under the round's rule set, made current."""
    rs = load_rule_set(rnd.rule_set)
    run = ScoringRun.objects.create(
        round=rnd,
        kind="score",
        state="done",
        rule_set=rs.id,
        rule_set_version=rs.version,
        quota=rnd.quota,
    )
    eligible = [r for r in results.values() if r.eligible]
    outcome = rank(
        (Candidate(r.result["application_no"], int(r.total * 100)) for r in eligible),
        rs.ranking.with_quota(rnd.quota),
    )
    by_no = {a.number: a for a in apps}
    rows = []
    for pos, e in enumerate(outcome.entries, start=1):
        fr = results[e.application_no]
        rows.append(
            RankedResult(
                run=run,
                application=by_no[e.application_no],
                application_no=e.application_no,
                position=pos,
                status="ranked",
                eligible=True,
                total=Decimal(e.total_cents) / 100,
                indicators=fr.result["indicators"],
                rank=e.rank,
                admitted=e.admitted,
                first_result_id=fr.pk,
            )
        )
    RankedResult.objects.bulk_create(rows)
    run.applications = len(apps)
    run.scored = len(results)
    run.eligible = len(eligible)
    run.line = None if outcome.line_cents is None else Decimal(outcome.line_cents) / 100
    run.admitted = outcome.admitted
    run.save()
    rnd.current_run = run
    rnd.save(update_fields=["current_run"])
    return run
