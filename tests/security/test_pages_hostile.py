"""The hostile inputs through the real pages: each value in each field of the forms a person
fills in to create something, signed in as the role the page is for.

Whatever is sent: never a server error, never the value unescaped in the page that answers
(nor in the page the success leads to, where the stored value is shown), and nothing stored
from an impossible identity number or date, a NUL byte or a megabyte of text. The other
forms (the steps on an existing record) are validated with the same values in
test_forms_hostile.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jifen.accounts.models import Employer, User
from jifen.applications.models import EmploymentLink
from jifen.core.roles import Role
from jifen.ops.models import (
    Complaint,
    ConfigItem,
    Incident,
    ParameterChange,
    ServiceVisit,
    TrainingSession,
)
from jifen.rounds.models import Round
from tests.factories import (
    PASSWORD,
    credit_code,
    id_number,
    make_applicant,
    make_employer,
    make_round,
    make_staff,
    staff_client,
)
from tests.security.hostile import (
    BAD_DATES,
    BAD_IDENTITY_NUMBERS,
    CORE,
    HOSTILE_TEXT,
    encodable,
    markers,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

_n = itertools.count(1000)
# Values that nothing may store, whatever the field.
NEVER_STORED = ("nul", "oversized_1m")


@dataclass
class Target:
    """A page with a form: where, as whom, a valid submission, and what a success stores."""

    url: str | Callable[[], str]
    client: Callable[[], Client]
    data: Callable[[int], dict[str, str]]
    rows: Callable[[], int]
    fields: tuple[str, ...]
    id_fields: tuple[str, ...] = ()
    date_fields: tuple[str, ...] = ()
    # Fields that pick from a list get the shorter list of values (CORE).
    choice_fields: tuple[str, ...] = ()
    method: str = "post"


def _anonymous() -> Client:
    return Client()


def _as(role: str, department: str = "") -> Callable[[], Client]:
    return lambda: staff_client(make_staff(role, department))


def _applicant_client() -> Client:
    client = Client()
    client.force_login(make_applicant())
    return client


def _applicant_form(n: int) -> dict[str, str]:
    return {
        "name": "张晓明", "id_number": id_number(serial=n), "phone": f"139{n:08d}",
        "username": f"zhangxm{n}", "password": PASSWORD, "password2": PASSWORD,
    }


def _employer_form(n: int) -> dict[str, str]:
    return {
        "employer_name": "北京测试科技有限公司", "credit_code": credit_code(n),
        "district": "通州区", "agent_name": "李经办", "phone": f"138{n:08d}",
        "username": f"lijb{n}", "password": PASSWORD, "password2": PASSWORD,
    }


def _round_form(n: int) -> dict[str, str]:
    from jifen.rounds import phases

    now = timezone.now()
    draft = Round(year=2040 + n % 50, rule_set="beijing-2020", quota=6000,
                  declaration_opens=now + timedelta(days=400),
                  declaration_closes=now + timedelta(days=430))
    draft.fill_default_windows()
    data = {"year": str(draft.year), "rule_set": "beijing-2020", "quota": "6000", "reason": ""}
    for p in phases.ORDER:
        for f in phases.field_names(p):
            data[f] = timezone.localtime(getattr(draft, f)).strftime("%Y-%m-%dT%H:%M")
    return data


def _operator_id() -> str:
    return str(User.objects.filter(role=Role.OPERATOR).values_list("pk", flat=True).first())


TARGETS: dict[str, Target] = {
    "register_applicant": Target(
        "/accounts/register/applicant/", _anonymous, _applicant_form,
        lambda: User.objects.filter(role=Role.APPLICANT).count(),
        ("name", "id_number", "phone", "username", "password"), id_fields=("id_number",),
    ),
    "register_employer": Target(
        "/accounts/register/employer/", _anonymous, _employer_form,
        lambda: User.objects.filter(role=Role.EMPLOYER_AGENT).count(),
        ("employer_name", "credit_code", "district", "agent_name", "phone", "username"),
        choice_fields=("district",),
    ),
    "login": Target(
        "/accounts/login/", _anonymous,
        lambda n: {"username": f"nobody{n}", "password": PASSWORD},
        lambda: 0, ("username", "password"),
    ),
    "password_reset": Target(
        "/accounts/password/reset/", _anonymous,
        lambda n: {"identifier": id_number(serial=n), "phone": f"139{n:08d}"},
        lambda: 0, ("identifier", "phone"), id_fields=("identifier",),
    ),
    "link_request": Target(
        "/my/link/", _applicant_client,
        lambda n: {"employer_code": Employer.objects.values_list("code", flat=True).first()},
        lambda: EmploymentLink.objects.count(), ("employer_code",),
    ),
    "objection_lookup": Target(
        "/gongshi/objection/lookup/", _anonymous,
        lambda n: {"receipt_no": "YY2026000001", "phone": "13912345678"},
        lambda: 0, ("receipt_no", "phone"),
    ),
    "incident_new": Target(
        "/ops/incidents/new/", _as(Role.OPERATOR),
        lambda n: {"title": "查询缓慢", "channel": "email", "severity": "minor",
                   "symptom": "积分查询超过 10 秒。"},
        lambda: Incident.objects.count(),
        ("title", "channel", "severity", "reported_at", "symptom"), date_fields=("reported_at",),
        choice_fields=("channel", "severity"),
    ),
    "complaint_new": Target(
        "/ops/complaints/new/", _as(Role.OPERATOR),
        lambda n: {"channel": "phone", "complainant": "王小明", "contact": "13912345678",
                   "subject": "无法上传", "content": "上传证明材料失败。"},
        lambda: Complaint.objects.count(),
        ("channel", "received_at", "complainant", "contact", "subject", "content"),
        date_fields=("received_at",), choice_fields=("channel",),
    ),
    "visit_new": Target(
        "/ops/visits/new/", _as(Role.OPERATOR),
        lambda n: {"visited_on": timezone.localdate().isoformat(), "place": "通州区服务窗口",
                   "engineer": _operator_id(), "problem": "打印机无法打印。", "solution": ""},
        lambda: ServiceVisit.objects.count(),
        ("visited_on", "place", "engineer", "problem", "solution"), date_fields=("visited_on",),
        choice_fields=("engineer",),
    ),
    "training_new": Target(
        "/ops/training/new/", _as(Role.OPERATOR),
        lambda n: {"title": "系统操作培训", "audience": "区级工作人员",
                   "planned_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
                   "function": ""},
        lambda: TrainingSession.objects.count(),
        ("title", "audience", "planned_on", "function"), date_fields=("planned_on",),
    ),
    "cmdb_new": Target(
        "/ops/cmdb/new/", _as(Role.OPERATOR),
        lambda n: {"kind": "software", "name": f"nginx{n}", "version": "1.22",
                   "host": "app-01", "note": "", "reason": "登记"},
        lambda: ConfigItem.objects.count(),
        ("name", "kind", "version", "host", "note", "reason"), choice_fields=("kind",),
    ),
    "parameter_edit": Target(
        "/ops/parameters/inspect_disk_percent_warn/", _as(Role.OPERATOR),
        lambda n: {"value": str(50 + n % 40), "reason": "调整阈值"},
        lambda: ParameterChange.objects.count(), ("value", "reason"),
    ),
    "staff_account_create": Target(
        "/staff/accounts/new/", _as(Role.SECURITY_ADMIN),
        lambda n: {"username": f"reviewer{n}", "full_name": "王审核", "role": "reviewer",
                   "department": "tax", "phone": f"137{n:08d}"},
        lambda: User.objects.filter(role=Role.REVIEWER).count(),
        ("username", "full_name", "role", "department", "phone"),
        choice_fields=("role", "department"),
    ),
    "round_new": Target(
        "/staff/rounds/new/", _as(Role.BUREAU_ADMIN), _round_form,
        lambda: Round.objects.count(),
        ("quota", "rule_set", "declaration_opens", "declaration_closes", "scoring_opens"),
        date_fields=("declaration_opens", "declaration_closes", "scoring_opens"),
        choice_fields=("rule_set",),
    ),
    "audit_filter": Target(
        "/staff/", _as(Role.AUDITOR),
        lambda n: {"action": "", "actor": "", "kind": "", "date_from": "", "date_to": ""},
        lambda: 0, ("action", "actor", "kind", "date_from", "date_to"), method="get",
    ),
    "account_filter": Target(
        "/staff/", _as(Role.SECURITY_ADMIN), lambda n: {"role": "", "state": "", "q": ""},
        lambda: 0, ("role", "state", "q"), method="get",
    ),
    "review_queue_filter": Target(
        "/review/", _as(Role.REVIEWER, "tax"),
        lambda n: {"state": "", "kind": "", "employer": "", "number": "", "order": ""},
        lambda: 0, ("state", "kind", "matched", "recheck", "overdue", "employer", "number",
                    "order"), method="get",
    ),
    "signal_filter": Target(
        "/review/signals/", _as(Role.BUREAU_ADMIN),
        lambda n: {"year": "", "kind": "", "state": "", "number": ""},
        lambda: 0, ("year", "kind", "state", "number"), method="get",
    ),
}


def _values(target: Target, field_name: str) -> list[tuple[str, str]]:
    """The values a field gets, bounded in time: the short list (CORE) everywhere, with the
    rest of the list shared out among a form's text fields in turn (so the form gets every
    value once), the malformed identity numbers and dates in every field that takes them,
    and the megabyte in the first field only (every field's bound is checked on the form
    itself, in test_forms_hostile.py)."""
    labels = list(CORE)
    if target.method == "post" and field_name not in target.choice_fields:
        text = [f for f in target.fields if f not in target.choice_fields]
        turn, turns = text.index(field_name), min(len(text), 3)
        rest = [k for k in HOSTILE_TEXT if k not in CORE and k != "oversized_1m"]
        labels += [k for i, k in enumerate(rest) if i % turns == turn % turns]
    if field_name in target.id_fields:
        labels += BAD_IDENTITY_NUMBERS
    if field_name in target.date_fields:
        labels += BAD_DATES
    if field_name == target.fields[0]:
        labels.append("oversized_1m")
    labels = list(dict.fromkeys(labels))
    return [(k, HOSTILE_TEXT[k]) for k in labels if encodable(HOSTILE_TEXT[k])]


def _send(target: Target, client: Client, data: dict[str, str], n: int) -> Any:
    url = target.url() if callable(target.url) else target.url
    # Each request from its own address: the login and reset throttles would otherwise answer
    # every request after the first few with the same refusal, and try nothing.
    remote = {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
    if target.method == "get":
        return client.get(url, data, **remote)
    return client.post(url, data, follow=True, **remote)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_hostile_values_through_the_page(name: str) -> None:
    make_round(2026)
    make_employer()
    make_staff(Role.OPERATOR)
    target = TARGETS[name]
    client = target.client()
    n = next(_n)
    sane = _send(target, client, target.data(n), n)
    assert sane.status_code == 200, f"a valid submission fails: {sane.status_code}"
    problems: list[str] = []
    for field_name in target.fields:
        for label, value in _values(target, field_name):
            n = next(_n)
            data = target.data(n)
            data[field_name] = value
            before = target.rows()
            response = _send(target, client, data, n)
            where = f"{field_name} = {label}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            page = response.content.decode(errors="replace")
            for marker in markers(value):
                if marker in page:
                    problems.append(f"{where}: {marker!r} unescaped in the page")
            stored = target.rows() > before
            if stored and (
                label in NEVER_STORED
                or (field_name in target.id_fields and label in BAD_IDENTITY_NUMBERS)
                or (field_name in target.date_fields and label in BAD_DATES)
            ):
                problems.append(f"{where}: stored")
    assert problems == []
