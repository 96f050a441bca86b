"""The reviewers' work over the JSON API: queue, item, confirm, correct, reject, bulk confirm
and the bureau's overview, with the same permissions as the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jifen.applications.selectors import profile_of
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review import records
from jifen.review.models import Decision, ItemState, VerificationItem
from tests.api.conftest import token_for
from tests.factories import employer_submitted, make_staff, staff_client

from .queue_helpers import another_submitted, compare, item_of, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return employer_submitted()[2]


def _post(client: Client, path: str, body: dict) -> object:
    return client.post(path, body, content_type="application/json")


def test_the_queue_with_filters_and_counts(app) -> None:
    other = another_submitted()
    compare(item_of(other, "tax"), {}, matched=False)
    client = staff_client(reviewer(Department.TAX))
    response = client.get("/api/review/queue")
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026 and body["count"] == 4 and body["pages"] == 1
    assert body["counts"] == {"total": 4, "waiting": 3, "matched": 0, "different": 1,
                              "confirmed": 0, "corrected": 0, "rejected": 0, "overdue": 0,
                              "recheck": 0}
    assert {i["kind"] for i in body["items"]} == {"tax", "tax_offences"}
    first = body["items"][0]
    assert first["kind_name"] in ("个人所得税", "涉税违法记录")
    assert first["waiting_days"] == 0 and first["overdue"] is False

    body = client.get("/api/review/queue", {"state": "different"}).json()
    assert [i["id"] for i in body["items"]] == [item_of(other, "tax").pk]
    assert body["counts"]["total"] == 4  # the counts are the department's, not the filter's
    body = client.get("/api/review/queue", {"matched": "false"}).json()
    assert [i["id"] for i in body["items"]] == [item_of(other, "tax").pk]
    body = client.get("/api/review/queue", {"number": app.number, "kind": "tax"}).json()
    assert [i["id"] for i in body["items"]] == [item_of(app, "tax").pk]
    body = client.get("/api/review/queue", {"employer": other.employer.credit_code}).json()
    assert {i["application_no"] for i in body["items"]} == {other.number}
    response = client.get("/api/review/queue", {"kind": "housing"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "kind", "message": "本部门不核验该类事项"}]
    response = client.get("/api/review/queue", {"year": 1999})
    assert response.status_code == 404 and response.json()["message"] == "没有 1999 年度"


def test_the_item_detail(app) -> None:
    item = item_of(app, "honours")
    compare(item, [], matched=False)
    user = reviewer(Department.HONOURS)
    response = staff_client(user).get(f"/api/review/items/{item.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["item"]["state"] == "different" and body["columns"] == ["code"]
    assert body["declared"] == ["model_worker"] and body["recorded"] == []
    assert body["differences"] == {"only_declared": ["省部级以上劳动模范"], "only_recorded": []}
    assert body["applicant"]["id_number_masked"] == app.applicant.id_number_masked
    assert app.applicant.id_number not in response.content.decode()
    [compared] = body["history"]
    assert compared["action"] == "compare" and compared["actor"] == "系统"
    assert [e["name"] for e in body["evidence"]] == ["证明.pdf"]
    assert body["evidence"][0]["download_url"].startswith("/my/evidence/")
    assert AuditEvent.objects.filter(action="applications.application.view", actor=user,
                                     detail="honours").count() == 1


def test_every_decision_over_the_api(app) -> None:
    client = staff_client(reviewer(Department.HOUSING))
    item = item_of(app, "housing")
    response = _post(client, f"/api/review/items/{item.pk}/confirm", {})
    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "confirm" and body["item"]["state"] == "confirmed"
    assert body["value"] == records.declared("housing", profile_of(app))

    rows = [{"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"}]
    response = _post(client, f"/api/review/items/{item.pk}/correct",
                     {"value": rows, "reason": "租房未备案"})
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == rows and body["item"]["state"] == "corrected"
    assert Decision.objects.get(pk=body["decision_id"]).supersedes.action == "confirm"

    response = _post(client, f"/api/review/items/{item.pk}/reject", {"reason": "无产权证明"})
    assert response.status_code == 200 and response.json()["value"] == []
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="review.")
            .order_by("seq")] == ["review.confirm", "review.correct", "review.reject"]


def test_refused_decisions_name_the_field_in_chinese(app) -> None:
    client = staff_client(reviewer(Department.EDUCATION))
    item = item_of(app, "education")
    response = _post(client, f"/api/review/items/{item.pk}/correct", {
        "value": [{"level": "bachelor", "degree": "", "full_time": True, "from": "2004-09",
                   "to": "2008-13"}],
        "reason": "核对学籍",
    })
    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "field": "value[0].to",
        "message": "第 1 行“截止年月”：“2008-13”不是有效的年月（应为 YYYY-MM）",
    }]
    response = _post(client, f"/api/review/items/{item.pk}/reject", {"reason": ""})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": "请填写不予认定的理由"}]
    response = _post(client, f"/api/review/items/{item.pk}/correct", {"value": []})
    assert response.status_code == 422
    assert {"field": "reason", "message": "此项必填"} in response.json()["errors"]
    VerificationItem.objects.filter(pk=item.pk).update(recheck="onsite")
    response = _post(client, f"/api/review/items/{item.pk}/confirm", {})
    assert response.status_code == 409
    assert response.json()["message"] == "该事项正在复查中，请在复查处理中作出决定"
    assert not Decision.objects.filter(item=item).exists()


def test_bulk_confirm_over_the_api(app) -> None:
    other = another_submitted()
    matched = item_of(app, "innovation")
    compare(matched, records.declared("innovation", profile_of(app)), matched=True)
    different = item_of(other, "innovation")
    compare(different, [], matched=False)
    client = staff_client(reviewer(Department.SCIENCE))
    response = _post(client, "/api/review/bulk-confirm",
                     {"item_ids": [matched.pk, different.pk, item_of(app, "tax").pk]})
    assert response.status_code == 200
    body = response.json()
    assert body["confirmed"] == 1 and body["skipped"] == 2 and len(body["decision_ids"]) == 1
    matched.refresh_from_db()
    assert matched.state == ItemState.CONFIRMED
    response = _post(client, "/api/review/bulk-confirm", {"item_ids": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "请选择要确认的核验事项"


def test_a_reviewer_of_another_department_gets_404(app) -> None:
    client = staff_client(reviewer(Department.TAX))
    item = item_of(app, "housing")
    assert client.get(f"/api/review/items/{item.pk}").status_code == 404
    response = _post(client, f"/api/review/items/{item.pk}/confirm", {})
    assert response.status_code == 404 and response.json()["message"] == "没有找到该核验事项"


def test_applicants_employers_and_other_staff_are_refused() -> None:
    applicant, agent, app = employer_submitted()
    item = item_of(app, "housing")
    for user in (applicant, agent):
        headers = {"Authorization": f"Bearer {token_for(user)}"}
        response = Client().get("/api/review/queue", headers=headers)
        assert response.status_code == 403
        assert response.json()["message"] == "只有部门审核员可以办理核验事项"
        response = Client().post(f"/api/review/items/{item.pk}/confirm", {},
                                 content_type="application/json", headers=headers)
        assert response.status_code == 403
        assert Client().get(f"/api/review/items/{item.pk}", headers=headers).status_code == 403
        response = Client().get("/api/review/overview", headers=headers)
        assert response.status_code == 403
        assert response.json()["message"] == "只有市人社局管理员可以查看各部门核验进度"
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert bureau.get("/api/review/queue").status_code == 403
    assert _post(bureau, "/api/review/bulk-confirm", {"item_ids": [item.pk]}).status_code == 403
    assert Client().get("/api/review/queue").status_code == 401


def test_the_bureau_overview_over_the_api(app) -> None:
    VerificationItem.objects.filter(application=app, department=Department.POLICE).update(
        due_on=timezone.localdate() - timedelta(days=1))
    compare(item_of(app, "permits"), True, matched=True)
    response = staff_client(make_staff(Role.BUREAU_ADMIN)).get("/api/review/overview")
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026
    police = next(d for d in body["departments"] if d["department"] == "police")
    assert (police["total"], police["waiting"], police["decided"], police["overdue"]) == (3, 2, 1,
                                                                                          2)
    assert police["name"] == "公安" and police["days"] == 10
    assert police["oldest_waiting"] is not None
    assert [d["department"] for d in body["departments"]] == [
        "police", "social_insurance", "housing", "education", "tax", "science", "honours"]
