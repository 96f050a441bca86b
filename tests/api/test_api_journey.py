"""The whole applicant/employer journey over HTTP, through the JSON API only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jifen.api.assess import PROFILE_EXAMPLE
from jifen.applications.models import Evidence
from jifen.audit.models import AuditEvent
from tests.api.conftest import PDF_BYTES, ApiClient, token_for
from tests.factories import (
    FULL_DECLARATION_2026,
    FULL_DECLARATION_2026_TOTAL,
    PASSWORD,
    credit_code,
    full_declaration,
    id_number,
    make_applicant,
    make_round,
)

pytestmark = pytest.mark.django_db


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json() if response.content else None


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_journey_from_registration_to_employer_submission() -> None:
    make_round(2026)
    anonymous = ApiClient()
    bodies: list[bytes] = []

    def keep(response: Any) -> Any:
        bodies.append(response.content)
        return response

    # The employer registers and gets its 单位注册码.
    employer = ok(keep(anonymous.post("/api/register/employer", {
        "employer_name": "北京星河科技有限公司", "credit_code": credit_code(),
        "district": "通州区", "username": "xinghe_hr", "password": PASSWORD,
        "agent_name": "李经办", "phone": "13800000001",
    })), 201)
    assert employer["role"] == "employer_agent"
    code = employer["employer_code"]
    assert code

    # The applicant registers; both sign in for a token.
    person_id = id_number("19880315", "F")
    applicant = ok(keep(anonymous.post("/api/register/applicant", {
        "username": "wang_sufang", "password": PASSWORD, "id_number": person_id,
        "name": "王素芳", "phone": "13900000002",
    })), 201)
    assert applicant["role"] == "applicant" and applicant["employer_code"] is None

    def sign_in(username: str) -> ApiClient:
        body = ok(anonymous.post("/api/auth/token", {"username": username, "password": PASSWORD}))
        assert body["token_type"] == "Bearer" and body["token"].startswith("jf_")
        return ApiClient(body["token"])

    me = sign_in("wang_sufang")
    hr = sign_in("xinghe_hr")
    profile = ok(keep(me.get("/api/me")))
    assert profile["applicant"]["id_number_masked"] == person_id[:6] + "********" + person_id[-4:]
    assert ok(hr.get("/api/me"))["employer"]["code"] == code
    assert ok(me.get("/api/rounds/current"))["year"] == 2026

    # Link request, confirmed by the employer.
    link = ok(keep(me.post("/api/links", {"employer_code": code.lower()})), 201)
    assert link["status"] == "pending"
    pending = ok(keep(hr.get("/api/employer/links", status="pending")))
    assert [k["id"] for k in pending] == [link["id"]]
    assert pending[0]["applicant"]["name"] == "王素芳"
    confirmed = ok(hr.post(f"/api/employer/links/{link['id']}/confirm"))
    assert confirmed["status"] == "confirmed"
    assert ok(me.get("/api/links"))[0]["status"] == "confirmed"

    # Start and save every section.
    app = ok(keep(me.post("/api/applications")))
    app_id, version = app["id"], app["version"]
    assert app["status"] == "draft" and app["number"].startswith("26")
    assert ok(me.post("/api/applications"))["id"] == app_id  # starting again: the same one
    for section, value in full_declaration(2026).items():
        saved = ok(me.put(f"/api/applications/{app_id}/sections/{section}",
                          {"version": version, "value": value}))
        assert saved["errors"] == [], (section, saved)
        assert saved["version"] == version + 1
        version = saved["version"]
    detail = ok(keep(me.get(f"/api/applications/{app_id}")))
    assert detail["version"] == version
    assert all(problems == [] for problems in detail["problems"].values())
    assert detail["data"]["housing"][1]["district"] == "通州区"
    assert [s["key"] for s in detail["sections"]][:2] == ["conditions", "social_insurance"]

    # The self-assessment is the rules engine's result for the declared data.
    assessment = ok(me.get(f"/api/applications/{app_id}/assessment"))
    assert assessment["verified"] is False
    assert assessment["errors"] == []
    # Worked out by hand beside full_declaration in tests/factories.py.
    assert assessment["result"]["total"] == FULL_DECLARATION_2026_TOTAL
    assert assessment["result"]["indicators"] == FULL_DECLARATION_2026
    assert assessment["explanation_zh"][0] == {
        "indicator": "employment",
        "name": "合法稳定就业",
        "points": 52.0,
        "basis": "统计期 1998-07 至 2025-12 内共 208 个缴费月 × 0.25 分；补缴 2 个月不计分",
        "basis_en": "208 months × 0.25; 2 back-paid months earn nothing (1998-07..2025-12)",
        "reference": "京政办发〔2020〕9号",
    }

    # Evidence for the owned home.
    owned_id = detail["data"]["housing"][1]["id"]
    upload = SimpleUploadedFile("房产证.pdf", PDF_BYTES, content_type="application/pdf")
    evidence = ok(me.upload(f"/api/applications/{app_id}/evidence",
                            {"section": "housing", "item_id": owned_id, "file": upload}), 201)
    assert evidence["item_id"] == owned_id and evidence["size"] == len(PDF_BYTES)
    assert evidence["content_type"] == "application/pdf"
    listed = ok(me.get(f"/api/applications/{app_id}/evidence"))
    assert [e["id"] for e in listed] == [evidence["id"]]
    download = me.get(f"/api/evidence/{evidence['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]

    # Submission names every item still without its evidence; the detail lists them too.
    refused = me.post(f"/api/applications/{app_id}/submit", {"version": version})
    assert refused.status_code == 422, refused.content
    missing = [
        ("conditions", "请上传 北京市居住证"),
        ("housing[0]", "请上传 租赁合同及登记备案证明"),
        ("education[0]", "请上传 学历证书、学位证书"),
        ("innovation[0]", "请上传 大赛获奖证书"),
        ("honours[0]", "请上传 荣誉证书或表彰文件"),
    ]
    assert [(e["field"], e["message"]) for e in refused.json()["errors"]] == missing
    required = ok(me.get(f"/api/applications/{app_id}"))["evidence_required"]
    assert [(r["field"], r["uploaded"]) for r in required] == [
        ("conditions", False), ("housing[0]", False), ("housing[1]", True),
        ("education[0]", False), ("innovation[0]", False), ("honours[0]", False),
    ]
    assert required[2]["documents"] == ["不动产权证书或房屋所有权证"]
    for r in required:
        if not r["uploaded"]:
            scan = SimpleUploadedFile("扫描件.pdf", PDF_BYTES, content_type="application/pdf")
            ok(me.upload(f"/api/applications/{app_id}/evidence",
                         {"section": r["section"], "item_id": r["item_id"], "file": scan}), 201)

    # Submit; the employer sees it and returns it with a reason.
    submitted = ok(me.post(f"/api/applications/{app_id}/submit", {"version": version}))
    assert submitted["status"] == "submitted"
    version = submitted["version"]
    queue = ok(keep(hr.get("/api/employer/applications", status="submitted")))
    assert [a["id"] for a in queue] == [app_id]
    review = ok(keep(hr.get(f"/api/employer/applications/{app_id}")))
    assert review["data"]["tax"] == detail["data"]["tax"]
    # The employer downloads the evidence: an access event of personal data.
    assert hr.get(f"/api/evidence/{evidence['id']}").status_code == 200
    returned = ok(hr.post(f"/api/employer/applications/{app_id}/return",
                          {"version": version, "reason": "纳税证明与申报金额不一致，请核对"}))
    assert returned["status"] == "returned"

    # The applicant sees the reason, corrects the tax and submits again.
    mine = ok(me.get(f"/api/applications/{app_id}"))
    assert mine["status"] == "returned" and mine["return_reason"].startswith("纳税证明")
    tax = dict(mine["data"]["tax"])
    tax["2025"] = "140000"
    saved = ok(me.put(f"/api/applications/{app_id}/sections/tax",
                      {"version": mine["version"], "value": tax}))
    assert saved["errors"] == []
    resubmitted = ok(me.post(f"/api/applications/{app_id}/submit", {"version": saved["version"]}))
    assert resubmitted["status"] == "submitted" and resubmitted["return_reason"] == ""

    # The employer passes it on to the departments.
    done = ok(hr.post(f"/api/employer/applications/{app_id}/submit",
                      {"version": resubmitted["version"]}))
    assert done["status"] == "employer_submitted"
    assert ok(me.get("/api/applications"))[0]["status"] == "employer_submitted"

    # Every step left its audit event, marked as coming through the API.
    log = actions()
    for action in (
        "account.register_employer", "account.register_applicant", "api.token_issue",
        "link.request", "link.confirm", "application.start", "application.save",
        "evidence.add", "application.submit", "application.return",
        "application.employer_submit",
    ):
        assert action in log, action
    assert log.count("application.save") == len(full_declaration(2026)) + 1
    assert log.count("application.submit") == 2
    assert log.count("api.token_issue") == 2
    access = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, field__startswith="evidence")
    assert [(a.actor_name, a.field) for a in access] == [
        ("xinghe_hr", f"evidence:{evidence['id']}")
    ]
    assert log.count("evidence.add") == 1 + 5
    # The employer's reads of the declaration are on the record too; the applicant's are not.
    reads = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, field="declaration")
    assert reads.exists()
    assert set(reads.values_list("actor_name", "channel")) == {("xinghe_hr", "api")}
    assert set(
        AuditEvent.objects.filter(action__startswith="application.").values_list(
            "channel", flat=True
        )
    ) == {"api"}
    assert Evidence.objects.filter(application_id=app_id).count() == 6

    # Signing out revokes the token.
    assert me.delete("/api/auth/token").status_code == 204
    assert me.get("/api/me").status_code == 401
    assert "api.token_revoke" in actions()

    # The full identity number never left the server.
    for body in bodies:
        assert person_id.encode() not in body


def test_stateless_self_assessment_of_a_profile() -> None:
    client = ApiClient()
    assert client.post("/api/assess", PROFILE_EXAMPLE).status_code == 401
    client = ApiClient(token_for(make_applicant()))
    events = AuditEvent.objects.count()
    body = ok(client.post("/api/assess", PROFILE_EXAMPLE))
    assert body["verified"] is False
    # PROFILE_EXAMPLE (2022, cut-off 2021-12), worked out by hand:
    assert body["result"]["indicators"] == {
        "employment": 70.5,  # 1998-07..2021-12 = 6 + 23 × 12 = 282 months × 0.25
        "housing": 12.0,  # owned 2010-01..2021-12 = 144 × 1/12, below the cap 282 × 1/12
        "education": 15.0,  # bachelor with a bachelor's degree
        "study_deduction": 0.0,  # study 1994-09..1998-06 ends before 1998-07
        "area": 12.0,  # home and job in 通州区 all 48 months 2018-01..2021-12: 4 × 3 = 12
        "innovation": 0.0,
        "tax": 0.0,  # 0 yuan in 2019, 2020, 2021
        "age": 20.0,  # born 1976-01-15: 44 on 2021-01-01
        "honours": 0.0,
        "law": 0.0,
    }
    assert body["result"]["total"] == 129.5  # 70.5 + 12 + 15 + 12 + 20
    assert body["result"]["eligible"] is True
    assert body["reasons_zh"] == []
    assert {e["indicator"] for e in body["explanation_zh"]} >= {"employment", "housing"}
    assert AuditEvent.objects.count() == events  # nothing stored
