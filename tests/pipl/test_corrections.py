"""Correction requests (PIPL art. 46): the applicant asks, the bureau answers, both audited."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jifen.accounts.models import User
from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, NotPermitted
from jifen.core.roles import Role
from jifen.inbox.models import Message
from jifen.privacy import corrections
from jifen.privacy.models import CorrectionRequest, CorrectionState
from tests.factories import make_applicant, make_staff, staff_client

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_names_each_bad_field_and_keeps_the_input() -> None:
    me = make_applicant()
    page = _client(me).post("/my/privacy/", {"field": "", "wrong": "", "correct": "13"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "请选择要更正的项目" in html and "请说明现有信息错在何处" in html
    assert 'value="13"' in html  # what was typed stays

    page = _client(me).post(
        "/my/privacy/", {"field": "phone", "wrong": "号码已停用", "correct": "12345"}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert "应更正为的手机号码应为以 1 开头的 11 位数字" in html
    assert "号码已停用" in html
    assert not CorrectionRequest.objects.exists()


def test_request_answer_accept_applies_the_change_and_tells_the_applicant() -> None:
    me = make_applicant(name="王素芳")
    bureau = make_staff(Role.BUREAU_ADMIN)
    response = _client(me).post(
        "/my/privacy/",
        {"field": "phone", "wrong": "注册时的号码已停用", "correct": "１３９１２３４５６７８"},
    )
    assert response.status_code == 302
    req = CorrectionRequest.objects.get()
    assert (req.field, req.correct, req.state) == ("phone", "13912345678", "waiting")
    # The bureau is told; a second request on the same item is refused while one waits.
    assert Message.objects.filter(recipient=bureau, subject="新的个人信息更正申请").exists()
    with pytest.raises(Conflict, match="您已就“手机号码”提出更正申请，正在处理中"):
        corrections.correction_request(actor=me, field="phone", wrong="x", correct="13900000000")

    client = staff_client(bureau)
    queue = client.get("/staff/corrections/").content.decode()
    assert f'id="correction-{req.pk}"' in queue and "王素芳" in queue and "手机号码" in queue
    assert me.applicant.id_number not in queue  # masked
    detail = client.get(f"/staff/corrections/{req.pk}/").content.decode()
    assert "13912345678" in detail
    assert AuditEvent.objects.filter(
        kind="access", target_id=str(me.applicant.pk), field=f"correction:{req.pk}"
    ).exists()

    answered = client.post(f"/staff/corrections/{req.pk}/", {"decision": "accept", "answer": ""})
    assert answered.status_code == 302
    me.refresh_from_db()
    assert me.phone == "13912345678"
    req.refresh_from_db()
    assert req.state == CorrectionState.ACCEPTED and req.answered_by == bureau
    message = Message.objects.get(recipient=me)
    assert message.subject == "个人信息更正申请已处理"
    assert "您就“手机号码”提出的个人信息更正申请已受理并更正" in message.body
    mine = _client(me).get("/my/privacy/").content.decode()
    assert "已更正" in mine

    events = {e.action: e for e in AuditEvent.objects.filter(action__startswith="privacy.")}
    assert events["privacy.correction_request"].actor_id == me.pk
    answer = events["privacy.correction_answer"]
    assert answer.actor_id == bureau.pk and answer.after["state"] == "accepted"
    assert answer.after["applied"]["before"] != answer.after["applied"]["after"]
    logged = json.dumps([e.after for e in events.values()], ensure_ascii=False)
    assert "13912345678" not in logged and "停用" not in logged

    again = client.post(f"/staff/corrections/{req.pk}/", {"decision": "refuse", "answer": "x"})
    assert again.status_code == 409
    assert "该更正申请已处理（已更正），不能再次答复" in again.content.decode()
    with pytest.raises(Conflict, match="该更正申请已处理（已更正），不能再次答复"):
        corrections.correction_answer(actor=bureau, request_id=req.pk, accept=False, answer="x")


def test_refusal_needs_a_reason_and_changes_nothing() -> None:
    me = make_applicant(name="王素芳")
    bureau = make_staff(Role.BUREAU_ADMIN)
    req = corrections.correction_request(
        actor=me, field="name", wrong="姓名少了一个字", correct="王素芳芳"
    )
    client = staff_client(bureau)
    page = client.post(f"/staff/corrections/{req.pk}/", {"decision": "refuse", "answer": ""})
    assert page.status_code == 422
    assert "不予更正时须说明理由" in page.content.decode()
    page = client.post(f"/staff/corrections/{req.pk}/", {"answer": "理由"})
    assert page.status_code == 422 and "请选择处理结果" in page.content.decode()
    ok = client.post(
        f"/staff/corrections/{req.pk}/", {"decision": "refuse", "answer": "与户籍记录一致"}
    )
    assert ok.status_code == 302
    me.refresh_from_db()
    assert me.applicant.name == "王素芳" and me.full_name == "王素芳"
    body = Message.objects.get(recipient=me).body
    assert "不予更正" in body and "处理意见：与户籍记录一致" in body


def test_accepting_a_name_changes_the_account_and_identity_name() -> None:
    me = make_applicant(name="王素芳")
    bureau = make_staff(Role.BUREAU_ADMIN)
    req = corrections.correction_request(actor=me, field="name", wrong="错字", correct="王素方")
    corrections.correction_answer(actor=bureau, request_id=req.pk, accept=True, answer="")
    me.refresh_from_db()
    assert me.applicant.name == "王素方" and me.full_name == "王素方"


def test_only_the_bureau_answers_and_only_applicants_ask() -> None:
    me = make_applicant()
    req = corrections.correction_request(
        actor=me, field="other", wrong="住址有误", correct="朝阳区"
    )
    reviewer = make_staff(Role.REVIEWER, "tax")
    page = staff_client(reviewer).get("/staff/corrections/")
    assert page.status_code == 403
    assert "只有市人社局管理员可以处理个人信息更正申请" in page.content.decode()
    with pytest.raises(NotPermitted, match="只有市人社局管理员可以处理个人信息更正申请"):
        corrections.correction_answer(actor=me, request_id=req.pk, accept=True, answer="")
    with pytest.raises(NotPermitted, match="只有申请人本人可以申请更正个人信息"):
        corrections.correction_request(
            actor=reviewer, field="name", wrong="x", correct="y"
        )
    api = _client(me).post(
        f"/api/privacy/corrections/{req.pk}/answer",
        {"decision": "accept"},
        content_type="application/json",
    )
    assert api.status_code == 403, api.content
    assert api.json()["message"] == "只有市人社局管理员可以处理个人信息更正申请"
    assert CorrectionRequest.objects.get().state == "waiting"


def test_the_api_files_lists_and_answers() -> None:
    me = make_applicant()
    bureau = make_staff(Role.BUREAU_ADMIN)
    client = _client(me)
    bad = client.post(
        "/api/me/corrections",
        {"field": "email", "wrong": "", "correct": "not-an-email"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "wrong": "请说明现有信息错在何处",
        "correct": "应更正为的电子邮箱格式不正确",
    }
    made = client.post(
        "/api/me/corrections",
        {"field": "email", "wrong": "邮箱写错", "correct": "wang@example.com"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["state_display"] == "待处理"
    assert [r["field_display"] for r in client.get("/api/me/corrections").json()] == ["电子邮箱"]

    staff = staff_client(bureau)
    queue = staff.get("/api/privacy/corrections?state=waiting").json()
    assert queue[0]["applicant_id_masked"].count("*") == 8
    refused = staff.post(
        f"/api/privacy/corrections/{made.json()['id']}/answer",
        {"decision": "refuse", "answer": ""},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "answer", "message": "不予更正时须说明理由"}]
    ok = staff.post(
        f"/api/privacy/corrections/{made.json()['id']}/answer",
        {"decision": "accept", "answer": "已核实"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["state"] == "accepted"
    me.refresh_from_db()
    assert me.email == "wang@example.com"


def test_bad_input_to_the_service_is_named_in_chinese() -> None:
    me = make_applicant()
    with pytest.raises(InvalidInput) as exc:
        corrections.correction_request(actor=me, field="shoe_size", wrong="x" * 600, correct="")
    assert {e.field: e.message for e in exc.value.errors} == {
        "field": "请选择要更正的项目",
        "wrong": "“现有信息错在何处”最多 500 个字",
        "correct": "请填写应更正为的内容",
    }


def test_the_demo_has_an_answered_a_refused_and_a_waiting_request() -> None:
    from jifen.demo.loader import load_demo
    from jifen.ops.models import ScheduledRun

    load_demo()
    states = dict(
        CorrectionRequest.objects.values_list("applicant__user__username", "state")
    )
    assert states == {
        "demo-done": "accepted",
        "demo-submitted": "refused",
        "demo-applicant": "waiting",
    }
    assert User.objects.get(username="demo-done").email == "demo-done@example.com"
    run = ScheduledRun.objects.get(job="expire_personal_data")
    assert run.ok and "匿名化未落户申请 0 份" in run.output
    bureau = staff_client(User.objects.get(username="demo-bureau"))
    queue = bureau.get("/staff/corrections/").content.decode()
    assert "手机号码" in queue and "待处理" in queue


def test_an_unknown_item_is_named_in_chinese_on_the_page() -> None:
    page = _client(make_applicant()).post(
        "/my/privacy/", {"field": "shoe_size", "wrong": "x", "correct": "y"}
    )
    assert page.status_code == 422
    assert "请选择要更正的项目" in page.content.decode()
