"""A published round for the publication tests: applications whose scoring run is done.

The scoring run's service is built elsewhere; here a done ``ScoringRun`` and its
``RankedResult`` rows are made directly and set as the round's current run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.models import Application
from jifen.rounds.models import RankedResult, Round, RunState, ScoringRun
from jifen.rules import INDICATORS
from tests.factories import make_applicant, make_employer, make_round

NAMES = ["王素芳", "李建国", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]
EMPLOYERS = ["北京星河科技有限公司", "北京京东方显示技术有限公司", '=HYPERLINK("x")有限公司']


@dataclass
class Listed:
    round: Round
    run: ScoringRun
    applicants: list[User]
    apps: list[Application]
    agents: list[User] = field(default_factory=list)


def set_windows(rnd: Round, *, publication: str = "open", settlement: str = "upcoming") -> Round:
    """Put the publication and settlement windows before, around or after now."""
    now = timezone.now()
    spans = {
        "upcoming": (now + timedelta(days=2), now + timedelta(days=9)),
        "open": (now - timedelta(days=1), now + timedelta(days=6)),
        "closed": (now - timedelta(days=9), now - timedelta(days=2)),
    }
    rnd.publication_opens, rnd.publication_closes = spans[publication]
    rnd.settlement_opens, rnd.settlement_closes = spans[settlement]
    rnd.save()
    return rnd


def indicators(i: int) -> dict[str, Any]:
    points = {code: 0 for code in INDICATORS}
    points.update(
        employment=60.5 - i, housing=11.67, education=26, study_deduction=-10.21, age=20, tax=4
    )
    return points


def make_run(
    rnd: Round, apps: list[Application], *, admitted: int, bump: dict[int, float] | None = None
) -> ScoringRun:
    """A done run over ``apps`` in the given order (totals falling), the first ``admitted``
    admitted. ``bump``: extra points for the app at an index (the order stays as given)."""
    bump = bump or {}
    run = ScoringRun.objects.create(
        round=rnd, kind="score", state=RunState.DONE, rule_set=rnd.rule_set, quota=admitted
    )
    rows = []
    for i, app in enumerate(apps):
        ind = indicators(i)
        ind["employment"] += bump.get(i, 0)
        total = sum(Decimal(str(v)) for v in ind.values())
        rows.append(
            RankedResult(
                run=run,
                application=app,
                application_no=app.number,
                position=i + 1,
                status="ranked",
                eligible=True,
                total=total,
                indicators=ind,
                rank=i + 1,
                admitted=i < admitted,
                birth_month="1988-03",
            )
        )
    RankedResult.objects.bulk_create(rows)
    run.applications = run.scored = run.eligible = len(apps)
    run.admitted = admitted
    run.line = rows[admitted - 1].total if admitted else None
    run.save()
    rnd.current_run = run
    rnd.save(update_fields=["current_run"])
    return run


def listed_round(
    year: int = 2026,
    *,
    n: int = 4,
    admitted: int = 3,
    publication: str = "open",
    settlement: str = "upcoming",
) -> Listed:
    rnd = make_round(year)
    applicants, apps, agents = [], [], []
    for i in range(n):
        applicant = make_applicant(name=NAMES[i % len(NAMES)])
        agent = make_employer(name=EMPLOYERS[i % len(EMPLOYERS)])
        app = Application.objects.create(
            round=rnd,
            applicant=applicant.applicant,
            employer=agent.employer,
            number=f"{year}{i + 1:06d}",
            status="employer_submitted",
        )
        applicants.append(applicant)
        agents.append(agent)
        apps.append(app)
    run = make_run(rnd, apps, admitted=admitted)
    set_windows(rnd, publication=publication, settlement=settlement)
    return Listed(rnd, run, applicants, apps, agents)
