"""Builders of synthetic people, employers, rounds and declarations for the tests.

Identity numbers carry valid GB 11643 check digits (computed here, not by the code under test).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.accounts import services as account_services
from jifen.accounts.models import User
from jifen.applications import services as app_services
from jifen.applications.models import Application, EmploymentLink, LinkStatus
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase
from jifen.rounds.selectors import round_in_phase

PASSWORD = "Jifen-test-Passw0rd!"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_seq = itertools.count(1)


def id_number(birth: str = "19880315", sex: str = "F", serial: int | None = None) -> str:
    """A valid 18-character identity number (Beijing Chaoyang area code)."""
    n = next(_seq) if serial is None else serial
    order = (n * 2) % 1000
    if sex == "M":
        order = order | 1 if order % 2 == 0 else order
    elif order % 2 == 1:
        order -= 1
    body = f"110105{birth}{order:03d}"
    return body + _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def credit_code(serial: int | None = None) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    n = next(_seq) if serial is None else serial
    body = f"91110105MA{n:07d}"[:17]
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


def make_round(year: int = 2026, *, open_now: bool = True, rule_set: str | None = None) -> Round:
    now = timezone.now()
    if open_now:
        opens, closes = now - timedelta(days=10), now + timedelta(days=20)
    else:
        opens, closes = now - timedelta(days=60), now - timedelta(days=30)
    return Round.objects.create(
        year=year,
        rule_set=rule_set or ("beijing-2016" if year < 2020 else "beijing-2020"),
        quota=6000,
        declaration_opens=opens,
        declaration_closes=closes,
    )


def make_applicant(
    username: str | None = None, *, birth: str = "19880315", sex: str = "F", name: str = "王素芳"
) -> User:
    n = next(_seq)
    return account_services.register_applicant(
        username=username or f"applicant{n}",
        password=PASSWORD,
        id_number=id_number(birth, sex, n),
        name=name,
        phone=f"139{n:08d}",
    )


def make_employer(username: str | None = None, *, name: str = "北京星河科技有限公司") -> User:
    n = next(_seq)
    return account_services.register_employer(
        employer_name=name,
        credit_code=credit_code(n),
        district="通州区",
        username=username or f"employer{n}",
        password=PASSWORD,
        agent_name="李经办",
        phone=f"138{n:08d}",
    )


def make_staff(role: str, department: str = "", username: str | None = None) -> User:
    n = next(_seq)
    return account_services.create_staff_user(
        actor=None,
        username=username or f"{role}{n}",
        password=PASSWORD,
        role=role,
        department=department,
        full_name="工作人员",
    )


def verify_second_factor(client: Client, user: User) -> TOTPDevice:
    """Mark ``client``'s session (signed in as ``user``, e.g. by force_login) as having passed
    the second factor, as the code page does: a confirmed authenticator for ``user`` (made if
    there is none) recorded in the session."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="测试身份验证器", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def staff_client(user: User) -> Client:
    """A test client signed in as staff ``user`` with the second factor passed."""
    client = Client()
    client.force_login(user)
    verify_second_factor(client, user)
    return client


def employer_submitted(year: int = 2026) -> tuple[User, User, Application]:
    """An applicant, their employer's agent, and a full declaration of a new round ``year``
    that the employer has passed on to the departments."""
    make_round(year)
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, app_services.application_start(actor=applicant))
    app = app_services.application_submit(actor=applicant, application_id=app.pk,
                                          version=app.version)
    app = app_services.application_employer_submit(actor=agent, application_id=app.pk,
                                                   version=app.version)
    return applicant, agent, app


def linked_pair() -> tuple[User, User]:
    """An applicant whose link to a new employer is confirmed: through the services while a
    round's registration phase is open, else as made in an earlier one (the row itself)."""
    applicant, agent = make_applicant(), make_employer()
    rnd = round_in_phase(Phase.REGISTRATION)
    if rnd is not None and rnd.phase_open(Phase.REGISTRATION):
        link = app_services.link_request(actor=applicant, employer_code=agent.employer.code)
        app_services.link_confirm(actor=agent, link_id=link.pk)
    else:
        EmploymentLink.objects.create(
            applicant=applicant.applicant, employer=agent.employer, status=LinkStatus.CONFIRMED,
            decided_at=timezone.now(), decided_by=agent,
        )
    return applicant, agent


def full_declaration(year: int = 2026) -> dict[str, Any]:
    """A declaration touching every section, valid for application year ``year``."""
    last = year - 1
    return {
        "conditions": {"residence_permit": True, "criminal_record": False, "female_cadre": False},
        "social_insurance": [
            {"from": "2008-07", "to": f"{last}-12", "back_paid": "2010-03, 2010-04"}
        ],
        "housing": [
            {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"},
            {"kind": "owned", "from": "2016-01", "to": f"{last}-12", "district": "通州区"},
        ],
        "education": [
            {
                "level": "bachelor",
                "degree": "bachelor",
                "full_time": True,
                "from": "2004-09",
                "to": "2008-06",
            },
        ],
        "employment": [{"from": "2008-07", "to": f"{last}-12", "district": "通州区"}],
        "innovation": [{"code": "contest.municipal.third"}],
        "tax": {str(last - 2): "120000", str(last - 1): "80000", str(last): "150000.50"},
        "honours": [{"code": "model_worker"}],
        "violations": [],
    }


# The score of full_declaration(2026) for the default applicant (a woman born
# 1988-03-15), worked out by hand from beijing-rules.md (rule set beijing-2020, cut-off
# 2025-12):
FULL_DECLARATION_2026 = {
    # insured 2008-07..2025-12 = 6 + 17 × 12 = 210 months, 2 back-paid: 208 × 0.25
    "employment": 52.0,
    # rented 2008-07..2015-12 = 90 × 1/24 = 3.75; owned 2016-01..2025-12 = 120 × 1/12 = 10.00;
    # 13.75 is below the cap 208 × 1/12 = 17.34 (ceiling from 2022)
    "housing": 13.75,
    "education": 15.0,  # bachelor with a bachelor's degree
    "study_deduction": 0.0,  # study 2004-09..2008-06: nothing insured or housed then
    # owned home and job in 通州区 all 96 months 2018-01..2025-12: 8 years × 3 = 24, at most 12
    "area": 12.0,
    "innovation": 4.0,  # contest.municipal.third
    "tax": 4.0,  # 2023: 120000 and 2025: 150000.50 reach 100000, 2024: 80000 does not: 2 × 2
    "age": 20.0,  # 36 on 2025-01-01
    "honours": 20.0,  # model_worker
    "law": 0.0,
}
# 52 + 13.75 + 15 + 0 + 12 + 4 + 4 + 20 + 20 + 0
FULL_DECLARATION_2026_TOTAL = 140.75


def fill_declaration(
    applicant: User, app: Application, data: dict[str, Any] | None = None, *,
    evidence: bool = True,
) -> Application:
    """Save every section of ``data`` (full_declaration by default) and, with ``evidence``,
    upload a small PDF to each item that needs one, as an applicant would before submitting."""
    data = data or full_declaration(app.round.year)
    for section, value in data.items():
        app = app_services.application_save_section(
            actor=applicant,
            application_id=app.pk,
            section=section,
            value=value,
            version=app.version,
        ).application
    return attach_required_evidence(applicant, app) if evidence else app


def attach_required_evidence(applicant: User, app: Application) -> Application:
    """Upload a small valid PDF to every item of ``app`` that still needs evidence (what
    submission requires); returns the application as stored."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jifen.applications import selectors

    from .files import PDF

    app = Application.objects.get(pk=app.pk)
    for requirement, attached in selectors.evidence_requirements(app):
        if not attached:
            app_services.evidence_add(
                actor=applicant, application_id=app.pk, section=requirement.section,
                item_id=requirement.item_id,
                upload=SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf"),
            )
    return Application.objects.get(pk=app.pk)
