"""Synthetic rounds for the signal tests, made by direct model creation (the factories'
services take a second per applicant; a detector needs dozens): employers, applicants with
valid identity numbers and their phone numbers, employer-submitted applications with the
declaration's sections as the declaration stores them, and evidence rows."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date
from typing import Any

from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications.models import Application, Evidence, Status
from jifen.core import crypto
from jifen.core.roles import Role
from jifen.review import ledger
from jifen.review.models import Action, VerificationItem
from jifen.review.services import open_items
from jifen.rounds.models import Round
from tests.factories import credit_code, id_number, make_round

_seq = itertools.count(1)


def a_round(year: int = 2026) -> Round:
    return Round.objects.filter(year=year).first() or make_round(year)


def an_employer(name: str = "北京云帆科技有限公司") -> Employer:
    n = next(_seq)
    return Employer.objects.create(
        name=name, credit_code=credit_code(90000 + n), code=f"E{n:07d}", district="海淀区"
    )


def declaration(
    *,
    tax: dict[str, str] | None = None,
    insurance: list[tuple[str, str]] | None = None,
    education: list[tuple[str, str, bool]] | None = None,
) -> dict[str, Any]:
    """The sections a detector reads, as the declaration stores them (strings as typed)."""
    return {
        "conditions": {"residence_permit": True, "criminal_record": False,
                       "female_cadre": False},
        "tax": {"2023": "", "2024": "", "2025": "", **(tax or {})},
        "social_insurance": [
            {"id": f"si{i}", "from": a, "to": b, "back_paid": ""}
            for i, (a, b) in enumerate(insurance or [])
        ],
        "education": [
            {"id": f"ed{i}", "level": "bachelor", "degree": "bachelor", "full_time": full,
             "from": a, "to": b}
            for i, (a, b, full) in enumerate(education or [])
        ],
        "housing": [], "employment": [], "innovation": [], "honours": [], "violations": [],
    }


def an_application(
    rnd: Round,
    employer: Employer,
    *,
    phone: str | None = None,
    status: str = Status.EMPLOYER_SUBMITTED,
    items: bool = False,
    **sections: Any,
) -> Application:
    """An applicant (with ``phone``, else a number of their own) and their application."""
    n = next(_seq)
    number = id_number("19900101", "F", 500 + n)
    user = User(username=f"sig{n}", role=Role.APPLICANT, full_name="测试申请人",
                phone=phone or f"137{n:08d}")
    user.set_unusable_password()
    user.save()
    profile = ApplicantProfile.objects.create(
        user=user, id_number=number, id_index=crypto.blind_index(number), name="测试申请人",
        sex="F", birth_date=date(1990, 1, 1),
    )
    app = Application.objects.create(
        round=rnd, applicant=profile, employer=employer, number=f"{rnd.year % 100}{n:06d}",
        status=status, data=declaration(**sections),
        employer_submitted_at=timezone.now() if status == Status.EMPLOYER_SUBMITTED else None,
    )
    if items:
        open_items([app.pk])
    return app


def an_evidence(app: Application, content: bytes, section: str = "housing") -> Evidence:
    return Evidence.objects.create(
        application=app, section=section, item_id="", file=f"2026/{app.pk}/scan.pdf",
        original_name="扫描件.pdf", content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def decide(app: Application, kind: str, value: Any) -> None:
    """A reviewer's confirmation of ``value`` as the verified value of ``kind``."""
    item = VerificationItem.objects.select_for_update().get(application=app, kind=kind)
    ledger.append(item, action=Action.CONFIRM, source="reviewer", value=value)
