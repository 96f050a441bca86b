"""The signals API (/api/review/signals) and ``manage.py detect_signals``."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jifen.api.models import ApiToken
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review.models import Signal, SignalState
from jifen.review.signals import detect_signals
from tests.factories import make_applicant, make_staff, staff_client
from tests.review.signals_data import a_round, an_application, an_employer, an_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    rnd = a_round()
    employer = an_employer("北京接口测试有限公司")
    apps = [an_application(rnd, employer, items=True, phone="13700009999",
                           tax={"2025": "103000"}) for _ in range(3)]
    detect_signals(rnd)
    return {"round": rnd, "apps": apps, "phone": Signal.objects.get(kind="same_phone"),
            "tax": Signal.objects.get(kind="tax_cluster")}


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, body, content_type="application/json")


def test_the_list_for_a_department_and_for_the_bureau(world) -> None:
    tax = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    rows = tax.get("/api/review/signals").json()
    assert {r["kind"] for r in rows} == {"same_phone", "tax_cluster"}
    row = next(r for r in rows if r["kind"] == "tax_cluster")
    assert row["year"] == 2026 and row["state"] == "open" and row["state_name"] == "待处理"
    assert row["employer"] == "北京接口测试有限公司" and row["active"] is True
    assert row["applications"] == sorted(a.number for a in world["apps"])
    assert row["kind_name"] == "单位申请人纳税额集中在分档线上方"

    police = staff_client(make_staff(Role.REVIEWER, Department.POLICE))
    assert [r["kind"] for r in police.get("/api/review/signals").json()] == ["same_phone"]
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert len(bureau.get("/api/review/signals").json()) == 2
    assert [r["kind"] for r in bureau.get(
        "/api/review/signals", {"kind": "tax_cluster"}).json()] == ["tax_cluster"]
    assert bureau.get("/api/review/signals", {"year": 2030}).json() == []
    assert bureau.get("/api/review/signals", {"state": "dismissed"}).json() == []
    assert len(bureau.get("/api/review/signals",
                          {"number": world["apps"][0].number}).json()) == 2


def test_the_detail_has_the_evidence_without_the_phone_in_clear(world) -> None:
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    body = client.get(f"/api/review/signals/{world['phone'].pk}").json()
    assert body["evidence"]["phone_masked"] == "137****9999"
    assert "13700009999" not in json.dumps(body, ensure_ascii=False)
    assert {"label": "手机号码（已遮蔽）", "text": "137****9999"} in body["evidence_lines"]
    assert sorted(body["departments"]) == ["education", "honours", "housing", "police",
                                           "science", "social_insurance", "tax"]
    assert body["note"] == "" and body["handled_by"] is None


def test_dismiss_and_confirm(world) -> None:
    user = make_staff(Role.REVIEWER, Department.TAX)
    client = staff_client(user)
    base = f"/api/review/signals/{world['tax'].pk}"
    missing = _post(client, f"{base}/dismiss", {"reason": " "})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "reason", "message": "请填写排除理由"}]
    assert _post(client, f"{base}/dismiss", {}).status_code == 422

    done = _post(client, f"{base}/dismiss", {"reason": "工资标准统一，已核实"})
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == "dismissed" and body["note"] == "工资标准统一，已核实"
    assert body["handled_by"] == user.username and body["handled_at"]
    assert AuditEvent.objects.filter(action="signal.dismiss", actor=user).count() == 1

    again = _post(client, f"{base}/confirm", {"reason": "改判"})
    assert again.status_code == 409 and again.json()["code"] == "conflict"

    phone = f"/api/review/signals/{world['phone'].pk}/confirm"
    assert _post(client, phone, {"reason": "同一中介代办"}).json()["state"] == "confirmed"
    assert Signal.objects.get(pk=world["phone"].pk).state == SignalState.CONFIRMED


def test_who_may_not(world) -> None:
    applicant = make_applicant()
    token = ApiToken.issue(applicant)[1]
    headers = {"Authorization": f"Bearer {token}"}
    refused = Client().get("/api/review/signals", headers=headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert Client().get("/api/review/signals").status_code == 401
    window = staff_client(make_staff(Role.REVIEWER, Department.SERVICE_WINDOW))
    assert window.get(f"/api/review/signals/{world['tax'].pk}").status_code == 403
    honours = staff_client(make_staff(Role.REVIEWER, Department.HONOURS))
    assert honours.get(f"/api/review/signals/{world['tax'].pk}").status_code == 404
    response = _post(honours, f"/api/review/signals/{world['tax'].pk}/confirm", {"reason": "x"})
    assert response.status_code == 404
    assert honours.get("/api/review/signals/999999").status_code == 404


# ---- the command --------------------------------------------------------------------------


def test_the_command_prints_its_counts_as_json_on_the_last_line() -> None:
    rnd = a_round()
    employer = an_employer()
    for _ in range(2):
        an_evidence(an_application(rnd, employer), b"one scan for two people")
    out = StringIO()
    call_command("detect_signals", "--year", "2026", stdout=out)
    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["year"] == 2026
    assert summary["new"] == {"same_evidence": 1, "same_phone": 0, "tax_cluster": 0,
                              "insurance_burst": 0, "records_conflict": 0}
    assert summary["total"]["same_evidence"] == 1 and summary["open"]["same_evidence"] == 1
    assert "same_evidence: 1 new, 0 updated, 0 reopened, 1 in all (1 open)" in lines

    out = StringIO()
    call_command("detect_signals", "--year", "2026", stdout=out)
    again = json.loads(out.getvalue().strip().splitlines()[-1])
    assert sum(again["new"].values()) == 0 and again["total"]["same_evidence"] == 1


def test_the_command_refuses_an_unknown_year() -> None:
    with pytest.raises(CommandError, match="没有 2031 年度的积分落户年度"):
        call_command("detect_signals", "--year", "2031", stdout=StringIO())
