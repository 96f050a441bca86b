"""Objections (异议): filing with its checks, the throttle, the receipt look-up, the bureau's
states and answer, and a correction through the verification ledger."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted, OutsideWindow
from jifen.core.roles import Department, Role
from jifen.publication import services
from jifen.publication.models import Objection, ObjectionState
from jifen.review.models import Action, Decision, FirstResult, VerificationItem
from tests.factories import make_staff
from tests.review.results_world import TAX_DECLARED_ROWS, VERIFIED_TOTAL, world

from .world import make_run, set_windows

pytestmark = pytest.mark.django_db

REASON = "该人员申报的住房情况与实际不符，请核查。"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _file(**kwargs):
    args = {
        "year": 2026,
        "rank": 2,
        "name": "赵敏",
        "phone": "13912345678",
        "reason": REASON,
        "ip": "10.0.0.1",
        **kwargs,
    }
    return services.objection_file(**args)


def test_filing_gives_a_receipt_and_encrypts_the_filer(published):
    o = _file()
    assert o.receipt_no.startswith("YY2026") and len(o.receipt_no) == 16
    assert o.state == ObjectionState.RECEIVED
    assert o.application_id == published.apps[1].pk and o.listed_name == "李建国"
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT filer_name, filer_phone FROM publication_objection WHERE id = %s", [o.pk]
        )
        name, phone = cur.fetchone()
    assert "赵敏" not in name and "13912345678" not in phone
    fresh = Objection.objects.get(pk=o.pk)
    assert fresh.filer_name == "赵敏" and fresh.filer_phone == "13912345678"
    event = AuditEvent.objects.get(action="objection.file")
    assert "赵敏" not in str(event.after) and "13912345678" not in str(event.after)


def test_filing_checks_each_field(published):
    with pytest.raises(InvalidInput) as exc:
        _file(name="x", phone="12345", reason="太短")
    fields = {e.field: e.message for e in exc.value.errors}
    assert fields == {
        "name": "请填写异议人的真实姓名（2到30个字）",
        "phone": "请输入11位手机号码",
        "reason": "请写明异议的事实和理由，至少 10 个字",
    }
    with pytest.raises(InvalidInput) as exc:
        _file(reason="很" * 1001)
    assert exc.value.errors[0].message == "异议理由最多 1000 个字"
    with pytest.raises(InvalidInput) as exc:
        _file(rank=99)
    assert exc.value.errors[0].field == "rank"
    assert exc.value.message == "公示名单中没有该排名"
    assert not Objection.objects.exists()


def test_filing_only_in_the_window(published):
    set_windows(published.round, publication="closed")
    with pytest.raises(OutsideWindow):
        _file()
    with pytest.raises(NotFound):
        _file(year=2030)


@override_settings(OBJECTION_PER_ADDRESS_PER_HOUR=2)
def test_filing_is_throttled_per_address(published):
    from jifen.core.errors import Throttled

    _file()
    _file()
    with pytest.raises(Throttled) as exc:
        _file()
    assert exc.value.message == "提交异议过于频繁，请1小时后再试"
    _file(ip="10.0.0.2")  # another address is not affected


def test_look_up_with_receipt_and_phone(published):
    o = _file()
    assert services.objection_lookup(receipt_no=o.receipt_no.lower(), phone="13912345678") == o
    for receipt, phone in (
        (o.receipt_no, "13900000000"),
        ("YY20260000000000", "13912345678"),
        (o.receipt_no, ""),
    ):
        with pytest.raises(NotFound) as exc:
            services.objection_lookup(receipt_no=receipt, phone=phone)
        assert exc.value.message == "没有找到该异议，请核对受理编号和联系电话"


def test_states_to_an_answer(published, bureau):
    o = _file()
    o = services.objection_start_check(actor=bureau, objection_id=o.pk, note="已调取住房记录")
    assert o.state == ObjectionState.CHECKING
    with pytest.raises(InvalidInput) as exc:
        services.objection_answer(actor=bureau, objection_id=o.pk, answer="  ")
    assert exc.value.message == "请填写答复内容及理由"
    o = services.objection_answer(
        actor=bureau, objection_id=o.pk, answer="经核查，该人员住房情况属实，异议不成立。"
    )
    assert o.state == ObjectionState.ANSWERED and o.answered_by == bureau
    with pytest.raises(Conflict):
        services.objection_answer(actor=bureau, objection_id=o.pk, answer="再答复一次")
    assert [
        e.action for e in AuditEvent.objects.filter(action__startswith="objection.").order_by("id")
    ] == ["objection.file", "objection.state", "objection.answer"]
    looked = services.objection_lookup(receipt_no=o.receipt_no, phone="13912345678")
    assert looked.get_state_display() == "已答复"


def test_only_the_bureau_handles_objections(published):
    o = _file()
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    with pytest.raises(NotPermitted):
        services.objection_start_check(actor=reviewer, objection_id=o.pk)
    with pytest.raises(NotPermitted):
        services.objection_answer(actor=published.applicants[0], objection_id=o.pk, answer="x")


def test_correction_through_the_ledger_makes_a_new_first_result(bureau):
    w = world(2026, recheck=False)
    app = w.app
    make_run(app.round, [app], admitted=1)
    set_windows(app.round, publication="open")
    services.publish(actor=bureau, round=app.round)
    o = services.objection_file(
        year=2026,
        rank=1,
        name="赵敏",
        phone="13912345678",
        reason="该人员的纳税记录有误，应按实际纳税额计分。",
        ip="1.2.3.4",
    )
    item = VerificationItem.objects.get(application=app, kind="tax")
    superseded = item.latest_decision_id
    with pytest.raises(InvalidInput):  # the reviewers' checks: a bad row is named
        services.objection_correct(
            actor=bureau,
            objection_id=o.pk,
            kind="tax",
            value=[{"year": "20x5", "amount": "1"}],
            reason="更正",
        )
    o = services.objection_correct(
        actor=bureau, objection_id=o.pk, kind="tax", value=TAX_DECLARED_ROWS, reason="税务部门复核"
    )
    item.refresh_from_db()
    decision = Decision.objects.get(pk=o.decision_id)
    assert item.latest_decision_id == decision.pk
    assert decision.supersedes_id == superseded
    assert decision.action == Action.CORRECT and decision.actor == bureau
    assert o.receipt_no in decision.reason
    newest = FirstResult.objects.filter(application=app).order_by("-id").first()
    assert newest.pk != w.result.pk
    assert float(newest.total) == VERIFIED_TOTAL + 2  # tax 2 → 4
    assert o.rerun_needed and o.state == ObjectionState.CHECKING
    event = AuditEvent.objects.get(action="objection.correct")
    assert event.after["decision"] == decision.pk and event.after["first_result"] == newest.pk


def test_objection_pages(published, bureau):
    client = Client(REMOTE_ADDR="10.1.1.1")
    html = client.get("/gongshi/2026/objection/", {"rank": "2"}).content.decode()
    assert 'value="2"' in html and "实名" in html
    response = client.post(
        "/gongshi/2026/objection/", {"rank": "2", "name": "赵敏", "phone": "139", "reason": "太短"}
    )
    html = response.content.decode()
    assert "请输入11位手机号码" in html and "至少 10 个字" in html
    assert 'value="赵敏"' in html  # what was typed is kept
    response = client.post(
        "/gongshi/2026/objection/",
        {"rank": "2", "name": "赵敏", "phone": "13912345678", "reason": REASON},
    )
    html = response.content.decode()
    o = Objection.objects.get()
    assert "异议已受理" in html and o.receipt_no in html
    html = client.post(
        "/gongshi/objection/lookup/", {"receipt_no": o.receipt_no, "phone": "13912345678"}
    ).content.decode()
    assert "已受理" in html
    html = client.post(
        "/gongshi/objection/lookup/", {"receipt_no": o.receipt_no, "phone": "13800000000"}
    ).content.decode()
    assert "没有找到该异议" in html


def test_bureau_objection_pages(published, bureau):
    from tests.factories import staff_client

    o = _file()
    client = staff_client(bureau)
    html = client.get("/gongshi/manage/2026/objections/").content.decode()
    assert o.receipt_no in html and "已受理" in html
    html = client.get(f"/gongshi/manage/objections/{o.pk}/").content.decode()
    assert "赵敏" in html and "13912345678" in html
    assert AuditEvent.objects.filter(action="publication.objection.view").exists()
    client.post(f"/gongshi/manage/objections/{o.pk}/", {"action": "check", "note": "调取记录"})
    html = client.post(
        f"/gongshi/manage/objections/{o.pk}/", {"action": "answer", "answer": ""}
    ).content.decode()
    assert "请填写答复内容及理由" in html
    response = client.post(
        f"/gongshi/manage/objections/{o.pk}/",
        {"action": "answer", "answer": "经核查，异议不成立。"},
    )
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.state == ObjectionState.ANSWERED
    other = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    assert other.get("/gongshi/manage/2026/objections/").status_code == 403
