"""The JSON API of the first result and the re-check: every step, and who is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from jifen.applications.models import Evidence
from jifen.applications.selectors import profile_of
from jifen.core.roles import Department, Role
from jifen.review import ledger, records
from jifen.review.models import Action, Decision, Dispute, FirstResult, VerificationItem
from tests.api.conftest import ApiClient, token_for
from tests.factories import employer_submitted, make_applicant, make_staff
from tests.files import PDF
from tests.review.results_world import (
    HOUSING_DECLARED_ROWS,
    HOUSING_RECORDED,
    TAX_DECLARED_ROWS,
    TAX_REASON,
    World,
    close_recheck,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        yield tmp_path / "evidence"


@pytest.fixture
def w() -> World:
    return world()


def api(user: Any) -> ApiClient:
    return ApiClient(token_for(user))


def refused(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    if field is not None:
        assert body["errors"][0]["field"] == field, body
    return body


def file_request(w: World, *kinds: str) -> Any:
    return api(w.applicant).post(f"/api/applications/{w.app.pk}/recheck", {
        "disputes": [{"kind": k, "statement": f"请复查{k}"} for k in kinds]})


# --- the applicant ----------------------------------------------------------------------------


def test_the_applicant_reads_their_result(w: World) -> None:
    body = api(w.applicant).get(f"/api/applications/{w.app.pk}/result").json()
    assert body["verifying"] is False and body["total"] == 135.0
    assert body["declared_total"] == 140.75 and body["eligible"] is True
    assert (body["decided"], body["total_items"]) == (11, 11)
    assert body["result"]["format"] == "jifen.result/1"
    indicators = {i["indicator"]: i for i in body["indicators"]}
    assert (indicators["housing"]["declared_points"], indicators["housing"]["points"]) == (
        13.75, 10.0)
    assert [i["indicator"] for i in body["indicators"] if i["differs"]] == ["housing", "tax"]
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert list(kinds) == list(records.KINDS)
    assert kinds["housing"]["verified"] == HOUSING_RECORDED
    assert kinds["housing"]["only_declared"] == ["2008-07～2015-12 租赁住房 海淀区"]
    assert kinds["housing"]["reason"] == "与部门数据比对不一致"
    assert kinds["tax"]["reason"] == TAX_REASON and kinds["tax"]["differs"] is True
    assert kinds["permits"]["differs"] is False and kinds["permits"]["reason"] == ""
    assert body["recheck"]["open"] is True and body["recheck"]["can_request"] is True


def test_before_the_result_the_api_says_how_far_verification_is() -> None:
    applicant, _, app = employer_submitted()
    item = VerificationItem.objects.get(application=app, kind="tax")
    ledger.append(item, action=Action.CONFIRM, source="reviewer",
                  value=records.declared("tax", profile_of(app)))
    body = api(applicant).get(f"/api/applications/{app.pk}/result").json()
    assert body["verifying"] is True and body["progress"] == "部门核验中（已核验 1 / 11 项）"
    assert body["total"] is None and body["kinds"] == [] and body["indicators"] == []


def test_a_draft_is_not_under_verification() -> None:
    from jifen.applications import services
    from tests.factories import fill_declaration, linked_pair, make_round

    make_round(2026)
    applicant, _ = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    body = api(applicant).get(f"/api/applications/{app.pk}/result").json()
    assert (body["submitted"], body["verifying"]) == (False, False)
    assert body["progress"] == "申报尚未由用人单位提交部门核验"


def test_only_the_applicant_reads_the_result(w: World) -> None:
    url = f"/api/applications/{w.app.pk}/result"
    for user in (make_applicant(), w.agent, make_staff(Role.REVIEWER, Department.HOUSING),
                 make_staff(Role.BUREAU_ADMIN)):
        refused(api(user).get(url), 404, "not_found")
    refused(ApiClient().get(url), 401, "not_authenticated")


def test_filing_a_re_check(w: World) -> None:
    response = file_request(w, "housing", "tax")
    assert response.status_code == 201
    body = response.json()
    assert [d["kind"] for d in body["disputes"]] == ["housing", "tax"]
    assert all(d["recheck"] == "open" and d["outcome"] == "" for d in body["disputes"])
    refused(file_request(w, "permits"), 409, "conflict", "disputes")
    result = api(w.applicant).get(f"/api/applications/{w.app.pk}/result").json()
    assert result["recheck"]["can_request"] is False
    kinds = {k["kind"]: k for k in result["kinds"]}
    assert kinds["housing"]["dispute"]["statement"] == "请复查housing"


def test_refused_re_checks_name_the_field(w: World) -> None:
    me = api(w.applicant)
    url = f"/api/applications/{w.app.pk}/recheck"
    body = refused(me.post(url, {"disputes": [{"kind": "tax", "statement": " "}]}), 422,
                   "invalid", "disputes[0].statement")
    assert body["message"] == "请填写对“个人所得税”申请复查的理由"
    refused(me.post(url, {"disputes": [{"kind": "pets", "statement": "x"}]}), 422, "invalid",
            "disputes[0].kind")
    refused(me.post(url, {"disputes": []}), 422, "invalid", "disputes")
    refused(api(make_applicant()).post(url, {"disputes": [{"kind": "tax", "statement": "x"}]}),
            404, "not_found")
    refused(api(w.agent).post(url, {"disputes": [{"kind": "tax", "statement": "x"}]}),
            403, "forbidden")
    close_recheck(w.app)
    refused(me.post(url, {"disputes": [{"kind": "tax", "statement": "x"}]}), 409,
            "outside_window")
    assert not Dispute.objects.exists()


def test_evidence_for_a_dispute(w: World) -> None:
    file_request(w, "housing")
    dispute = Dispute.objects.get()
    me = api(w.applicant)
    response = me.upload(f"/api/disputes/{dispute.pk}/evidence",
                         {"file": _pdf("租赁备案证明.pdf")})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["section"], body["item_id"]) == ("recheck", str(dispute.pk))
    download = me.get(f"/api/recheck-evidence/{body['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    refused(api(make_applicant()).upload(f"/api/disputes/{dispute.pk}/evidence",
                                         {"file": _pdf()}), 404, "not_found")
    bad = me.upload(f"/api/disputes/{dispute.pk}/evidence",
                    {"file": _pdf("x.exe", b"MZ\x90\x00")})
    refused(bad, 422, "invalid", "file")
    assert Evidence.objects.filter(section="recheck").count() == 1


def _pdf(name: str = "证明.pdf", content: bytes = PDF) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- the departments and the service window -------------------------------------------------


def test_the_department_answers_over_the_api(w: World) -> None:
    file_request(w, "housing", "tax")
    housing_dispute = Dispute.objects.get(item__kind="housing")
    tax_dispute = Dispute.objects.get(item__kind="tax")
    tax = api(make_staff(Role.REVIEWER, Department.TAX))
    listed = tax.get("/api/disputes").json()
    assert [d["id"] for d in listed] == [tax_dispute.pk]
    refused(tax.get(f"/api/disputes/{housing_dispute.pk}"), 404, "not_found")
    detail = tax.get(f"/api/disputes/{tax_dispute.pk}").json()
    assert detail["only_declared"] == ["2025年 150000.50 元"]
    assert detail["only_recorded"] == ["2025年 90000.00 元"]
    assert detail["reason"] == TAX_REASON and detail["statement"] == "请复查tax"
    body = refused(tax.post(f"/api/disputes/{tax_dispute.pk}/answer",
                            {"outcome": "changed", "reason": "完税证明属实"}),
                   422, "invalid", "value")
    assert body["message"] == "变更核验结果时请填写变更后的核验值"
    bad = tax.post(f"/api/disputes/{tax_dispute.pk}/answer", {
        "outcome": "changed", "reason": "x", "value": [{"year": "2025", "amount": "九万"}]})
    refused(bad, 422, "invalid", "value[0].amount")
    answer = tax.post(f"/api/disputes/{tax_dispute.pk}/answer", {
        "outcome": "changed", "reason": "完税证明属实",
        "value": TAX_DECLARED_ROWS})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["recheck"] == "answered" and answer.json()["outcome"] == "changed"
    decision = Decision.objects.filter(item=tax_dispute.item).order_by("-id").first()
    assert (decision.action, decision.source) == ("correct", "recheck")
    newest = FirstResult.objects.filter(application=w.app).order_by("-id").first()
    assert float(newest.total) == 137.0 and newest.after_recheck
    refused(tax.post(f"/api/disputes/{tax_dispute.pk}/answer",
                     {"outcome": "upheld", "reason": "x"}), 409, "conflict")
    assert [d["id"] for d in tax.get("/api/disputes", state="answered").json()] == [
        tax_dispute.pk]
    assert tax.get("/api/disputes").json() == []
    # The applicant sees the answer.
    mine = api(w.applicant).get(f"/api/applications/{w.app.pk}/result").json()
    kinds = {k["kind"]: k for k in mine["kinds"]}
    assert kinds["tax"]["dispute"]["answer"] == "完税证明属实" and mine["total"] == 137.0
    assert mine["after_recheck"] is True


def test_the_on_site_check_over_the_api(w: World) -> None:
    file_request(w, "housing")
    dispute = Dispute.objects.get()
    housing = api(make_staff(Role.REVIEWER, Department.HOUSING))
    window = api(make_staff(Role.REVIEWER, Department.SERVICE_WINDOW))
    assert window.get("/api/disputes").json() == []
    refused(housing.post(f"/api/disputes/{dispute.pk}/onsite", {"reason": ""}), 422,
            "invalid", "reason")
    sent = housing.post(f"/api/disputes/{dispute.pk}/onsite", {"reason": "请核验合同原件"})
    assert sent.status_code == 200 and sent.json()["recheck"] == "onsite"
    assert [d["id"] for d in window.get("/api/disputes").json()] == [dispute.pk]
    refused(window.post(f"/api/disputes/{dispute.pk}/answer",
                        {"outcome": "upheld", "reason": "x"}), 403, "forbidden")
    refused(housing.post(f"/api/disputes/{dispute.pk}/onsite-record",
                         {"note": "x", "consistent": True}), 403, "forbidden")
    record = window.post(f"/api/disputes/{dispute.pk}/onsite-record",
                         {"note": "原件与申报一致", "consistent": True})
    assert record.status_code == 200
    assert record.json()["recheck"] == "open" and record.json()["onsite_consistent"] is True
    answer = housing.post(f"/api/disputes/{dispute.pk}/answer", {
        "outcome": "changed", "reason": "现场核验属实",
        "value": HOUSING_DECLARED_ROWS})
    assert answer.status_code == 200
    decision = Decision.objects.filter(item=dispute.item).order_by("-id").first()
    assert (decision.action, decision.source) == ("correct", "onsite")


def test_the_applicants_and_employers_have_no_dispute_list(w: World) -> None:
    file_request(w, "housing")
    dispute = Dispute.objects.get()
    for user in (w.applicant, w.agent):
        refused(api(user).get("/api/disputes"), 403, "forbidden")
        refused(api(user).post(f"/api/disputes/{dispute.pk}/answer",
                               {"outcome": "upheld", "reason": "x"}), 403, "forbidden")
    # The applicant may read their own dispute; nobody else outside the departments.
    assert api(w.applicant).get(f"/api/disputes/{dispute.pk}").status_code == 200
    refused(api(make_applicant()).get(f"/api/disputes/{dispute.pk}"), 404, "not_found")
