"""An application with a first result, for the result and re-check tests: every kind decided,
two of them differently from the declaration (housing by the department's file, tax by a
reviewer), and the round's re-check window open.

full_declaration(2026) scores 140.75 (tests.factories.FULL_DECLARATION_2026). Verified:
- housing: the file has only the owned home (2016-01..2025-12), not the rented one
  (2008-07..2015-12): housing 13.75 → 10.00;
- tax: the tax office has 90,000 yuan for 2025, not 150,000.50: two years ≥ 100,000 → one,
  tax 4 → 2.
So the first result is 140.75 − 3.75 − 2 = 135.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications.models import Application
from jifen.applications.selectors import profile_of
from jifen.core.roles import Department, Role
from jifen.review import ledger, records
from jifen.review.models import Action, FirstResult, VerificationItem
from jifen.review.results import score_completed
from tests.factories import employer_submitted, make_staff
from tests.files import PDF

DECLARED_TOTAL = 140.75
VERIFIED_TOTAL = 135.0
TAX_REASON = "税务部门记录2025年度纳税额为90000元"
HOUSING_RECORDED = [{"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"}]
# A change back to the declared tax, as a reviewer types it (the correction's rows).
TAX_DECLARED_ROWS = [
    {"year": "2023", "amount": "120000"},
    {"year": "2024", "amount": "80000"},
    {"year": "2025", "amount": "150000.50"},
]
# The declared housing, as rows.
HOUSING_DECLARED_ROWS = [
    {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"},
    {"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"},
]


@dataclass
class World:
    applicant: User
    agent: User
    app: Application
    result: FirstResult


def decide(app: Application, *, differ: bool = True) -> None:
    """Every item of ``app`` decided: as declared, but (with ``differ``) housing by a file
    that disagrees and tax corrected by a reviewer."""
    profile = profile_of(app)
    tax_reviewer = make_staff(Role.REVIEWER, Department.TAX)
    for item in VerificationItem.objects.filter(application=app).order_by("id"):
        declared = records.declared(item.kind, profile)
        if differ and item.kind == "housing":
            ledger.append(item, action=Action.COMPARE, source="comparison",
                          value=HOUSING_RECORDED, matched=False)
        elif differ and item.kind == "tax":
            ledger.append(item, action=Action.COMPARE, source="comparison", value=declared,
                          matched=True)
            ledger.append(item, action=Action.CORRECT, source="reviewer",
                          value={**declared, "2025": 90000}, reason=TAX_REASON,
                          actor=tax_reviewer)
        else:
            ledger.append(item, action=Action.CONFIRM, source="reviewer", value=declared)


def open_recheck(app: Application, *, now: Any = None) -> None:
    now = now or timezone.now()
    rnd = app.round
    rnd.recheck_opens = now - timedelta(days=1)
    rnd.recheck_closes = now + timedelta(days=14)
    rnd.save(update_fields=["recheck_opens", "recheck_closes"])


def close_recheck(app: Application) -> None:
    rnd = app.round
    now = timezone.now()
    rnd.recheck_opens = now - timedelta(days=20)
    rnd.recheck_closes = now - timedelta(days=5)
    rnd.save(update_fields=["recheck_opens", "recheck_closes"])


def world(year: int = 2026, *, differ: bool = True, recheck: bool = True) -> World:
    applicant, agent, app = employer_submitted(year)
    decide(app, differ=differ)
    [result] = score_completed([app.pk])
    if recheck:
        open_recheck(app)
    app = Application.objects.select_related("round").get(pk=app.pk)
    return World(applicant, agent, app, result)


def pdf_upload(name: str = "租赁合同.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")
