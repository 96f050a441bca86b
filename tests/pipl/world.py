"""A round of the past for the PIPL tests: applications with evidence files, first results,
a finished scoring run, a published list and settlements, the round's phases moved back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.models import Application, Evidence
from jifen.core.roles import Role
from jifen.publication.models import (
    FileKind,
    ListedEntry,
    Objection,
    Publication,
    PublicationFile,
    Settlement,
    SettlementState,
)
from jifen.review.models import FirstResult
from jifen.rounds import phases
from jifen.rounds.models import Round
from tests.factories import make_applicant, make_employer, make_round, make_staff
from tests.files import pdf
from tests.publication.world import indicators, make_run

NAMES = ["王素芳", "李建国", "张伟", "刘洋", "陈静"]
BIRTHS = ["19880315", "19791102", "19850607", "19900121", "19701230"]


@dataclass
class PastRound:
    round: Round
    applicants: list[User]
    apps: list[Application]
    settled: Application  # apps[0]: settled
    given_up: Application  # apps[1]: admitted, gave up


def shift_round(rnd: Round, *, ended_days_ago: int) -> Round:
    """Move every phase window so that the last one closed ``ended_days_ago`` days ago."""
    closes = [phases.window(rnd, p)[1] for p in phases.ORDER]
    last = max(c for c in closes if c is not None)
    delta = timezone.now() - timedelta(days=ended_days_ago) - last
    for p in phases.ORDER:
        o, c = phases.field_names(p)
        for name in (o, c):
            if getattr(rnd, name) is not None:
                setattr(rnd, name, getattr(rnd, name) + delta)
    rnd.save()
    return rnd


def past_round(year: int = 2020, *, ended_days_ago: int = 4 * 366, n: int = 5) -> PastRound:
    rnd = make_round(year)
    applicants, apps = [], []
    for i in range(n):
        birth = BIRTHS[i % len(BIRTHS)]
        applicant = make_applicant(name=NAMES[i % len(NAMES)], birth=birth)
        agent = make_employer()
        app = Application.objects.create(
            round=rnd,
            applicant=applicant.applicant,
            employer=agent.employer,
            number=f"{year}{i + 1:06d}",
            status="employer_submitted",
            data={"housing": [{"kind": "owned", "district": "朝阳区"}]},
        )
        ev = Evidence(
            application=app,
            section="housing",
            original_name=f"{NAMES[i % len(NAMES)]}的房产证.pdf",
            content_type="application/pdf",
            size=0,
            sha256="0" * 64,
            uploaded_by=applicant,
        )
        content = pdf()
        ev.size = len(content)
        ev.sha256 = hashlib.sha256(content).hexdigest()
        ev.file.save("proof.pdf", ContentFile(content), save=False)
        ev.save()
        ind = indicators(i)
        total = sum(Decimal(str(v)) for v in ind.values())
        FirstResult.objects.create(
            application=app,
            rule_set=rnd.rule_set,
            rule_set_version="1",
            eligible=True,
            total=total,
            result={"indicators": ind, "total": float(total), "eligible": True},
            profile={
                "person": {
                    "name": NAMES[i % len(NAMES)],
                    "sex": "F",
                    "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
                }
            },
        )
        applicants.append(applicant)
        apps.append(app)
    run = make_run(rnd, apps, admitted=2)
    pub = Publication.objects.create(
        round=rnd, run=run, rows=2, line=run.line, published_at=timezone.now()
    )
    for i, app in enumerate(apps[:2]):
        ListedEntry.objects.create(
            publication=pub,
            position=i + 1,
            rank=i + 1,
            application=app,
            application_no=app.number,
            name=app.applicant.name,
            id_masked=app.applicant.id_number_masked,
            scores=["1.00"] * 10,
            total=Decimal("10.00"),
        )
    for kind in FileKind.values:
        PublicationFile.objects.create(publication=pub, kind=kind, content=b"x", size=1)
    Objection.objects.create(
        round=rnd,
        receipt_no=f"YY{year}0001",
        application=apps[1],
        application_no=apps[1].number,
        rank=2,
        listed_name=apps[1].applicant.name,
        filer_name="赵举报",
        filer_phone="13700000000",
        phone_index="x",
        reason="此人不在本单位工作",
    )
    clerk = make_staff(Role.BUREAU_ADMIN)
    Settlement.objects.create(
        round=rnd, application=apps[0], state=SettlementState.SETTLED, recorded_by=clerk
    )
    Settlement.objects.create(
        round=rnd,
        application=apps[1],
        state=SettlementState.GIVEN_UP,
        reason="个人原因",
        recorded_by=clerk,
    )
    shift_round(rnd, ended_days_ago=ended_days_ago)
    return PastRound(rnd, applicants, apps, apps[0], apps[1])
