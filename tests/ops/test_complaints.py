"""Complaints (投诉): due dates on the official working-day calendar (real 2025/2026 holidays and
make-up working days), the hours flag, answers, the escalation job's two levels, the reply
rate numbers, masking."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput
from jifen.core.roles import Role
from jifen.inbox.models import Message
from jifen.ops import complaints, parameters
from jifen.ops.models import Complaint, ScheduledRun
from tests.factories import make_staff

from .clock import Clock, install_clock, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def _take(actor: object = None, **kw: object) -> Complaint:
    values = {
        "channel": Complaint.Channel.PHONE,
        "complainant": "李秀英",
        "contact": "13812345678",
        "subject": "积分查询页面打不开",
        "content": "昨天起无法查看积分明细。",
    }
    values.update(kw)
    return complaints.take_complaint(actor=actor, **values)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # An ordinary week: Monday → Thursday.
        ((2026, 5, 11, 10), (2026, 5, 14)),
        # The Friday before National Day 2025: the Sunday 9-28 is a make-up working day, so the
        # three days are Sun 9-28, Mon 9-29, Tue 9-30 — due before the holiday.
        ((2025, 9, 26, 10), (2025, 9, 30)),
        # The last working day before National Day 2025 (10-1..10-8 off): due on the make-up
        # Saturday 10-11 after it.
        ((2025, 9, 30, 15), (2025, 10, 11)),
        # The Friday before the Spring Festival 2026: Sat 2-14 is worked, 2-15..2-23 off.
        ((2026, 2, 13, 9), (2026, 2, 25)),
        # National Day 2026 (10-1..10-7 off): a Tuesday before it is due on Friday 10-9 ...
        ((2026, 9, 29, 9), (2026, 10, 9)),
        # ... and the Wednesday before it on the make-up Saturday 10-10.
        ((2026, 9, 30, 19), (2026, 10, 10)),
        # Received on a holiday (Mid-Autumn Festival, Friday 2026-9-25): Mon, Tue, Wed.
        ((2026, 9, 25, 11), (2026, 9, 30)),
    ],
)
def test_due_in_three_working_days_on_the_official_calendar(
    clock: Clock, received: tuple[int, ...], due: tuple[int, ...]
) -> None:
    clock.set(2026, 11, 30, 12)
    complaint = _take(received_at=local(*received))
    assert complaint.due_at == local(*due, 23, 59) + timedelta(seconds=59)
    assert complaints.due_date(local(*received)) == local(*due).date()


def test_the_time_limit_follows_its_parameter(clock: Clock) -> None:
    parameters.set_parameter(
        actor=None, key="sla_complaint_working_days", value="5", reason="新合同"
    )
    assert complaints.due_date(local(2026, 5, 11, 10)).isoformat() == "2026-05-18"


@pytest.mark.parametrize(
    ("hour", "minute", "outside"),
    [(7, 59, True), (8, 0, False), (12, 30, False), (20, 0, False), (20, 1, True), (23, 0, True)],
)
def test_outside_hours_is_taken_and_flagged(
    clock: Clock, hour: int, minute: int, outside: bool
) -> None:
    received = local(2026, 5, 11, hour, minute)
    clock.set(2026, 5, 12, 9)
    complaint = _take(received_at=received)
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    assert complaints.outside_hours(complaint.received_at) is outside
    event = AuditEvent.objects.get(action="ops.complaint_take")
    assert event.after["outside_hours"] is outside
    assert "李秀英" not in json.dumps(event.after, ensure_ascii=False)


def test_numbers_and_refusals_naming_each_field(clock: Clock) -> None:
    first, second = _take(), _take()
    assert (first.number, second.number) == ("TS-2026-0001", "TS-2026-0002")
    with pytest.raises(InvalidInput) as caught:
        _take(complainant=" ", contact="", subject="", content="")
    assert {e.field: e.message for e in caught.value.errors} == {
        "complainant": "请填写投诉人。",
        "contact": "请填写联系方式。",
        "subject": "请填写事由。",
        "content": "请填写投诉内容。",
    }
    with pytest.raises(InvalidInput, match="请选择受理渠道") as caught:
        _take(channel="fax")
    assert caught.value.errors[0].field == "channel"
    with pytest.raises(InvalidInput, match="受理时间不能晚于当前时间") as caught:
        _take(received_at=local(2026, 5, 12, 9))
    assert caught.value.errors[0].field == "received_at"
    assert Complaint.objects.count() == 2


def test_answer_once_with_who_and_when(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    complaint = _take(operator)
    with pytest.raises(InvalidInput) as caught:
        complaints.answer_complaint(actor=operator, complaint_id=complaint.pk, answer="  ")
    assert (caught.value.errors[0].field, caught.value.message) == ("answer", "请填写答复内容。")
    clock.set(2026, 5, 12, 15, 30)
    complaint = complaints.answer_complaint(
        actor=operator, complaint_id=complaint.pk, answer="已修复，请刷新页面。"
    )
    assert complaint.status == Complaint.Status.ANSWERED
    assert (complaint.answered_at, complaint.answered_by) == (local(2026, 5, 12, 15, 30), operator)
    assert AuditEvent.objects.get(action="ops.complaint_answer").after == {
        "status": "answered",
        "on_time": True,
    }
    with pytest.raises(Conflict, match="已于 2026-05-12 15:30 答复，不能再次答复"):
        complaints.answer_complaint(actor=operator, complaint_id=complaint.pk, answer="再答")


def test_escalation_level_one_then_management(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    bureau = make_staff(Role.BUREAU_ADMIN)
    # Received Monday 5-11, due Thursday 5-14.
    late = _take(operator, received_at=local(2026, 5, 11, 10))
    answered = _take(operator, received_at=local(2026, 5, 11, 11))
    complaints.answer_complaint(actor=operator, complaint_id=answered.pk, answer="已答复")

    clock.set(2026, 5, 14, 23, 0)  # not yet overdue
    assert complaints.escalate_overdue() == []
    clock.set(2026, 5, 15, 9, 0)  # Friday: one working day late → level 1
    assert complaints.escalate_overdue() == [(late.number, 1)]
    late.refresh_from_db()
    assert (late.escalation, late.escalated_at) == (1, local(2026, 5, 15, 9))
    level1 = Message.objects.filter(
        subject=f"投诉 {late.number} 超期未答复，已升级至甲方运维负责人"
    )
    assert list(level1.values_list("recipient", flat=True)) == [bureau.pk]
    assert "应于 2026-05-14 前答复" in level1.get().body
    assert "李秀英" not in level1.get().body
    # The weekend does not count: Monday 5-18 is the second working day late → level 2.
    clock.set(2026, 5, 17, 9, 0)
    assert complaints.escalate_overdue() == []
    clock.set(2026, 5, 18, 9, 0)
    assert complaints.escalate_overdue() == [(late.number, 2)]
    level2 = Message.objects.filter(subject=f"投诉 {late.number} 超期未答复，已升级至管理层")
    assert set(level2.values_list("recipient", flat=True)) == {bureau.pk, operator.pk}
    assert complaints.escalate_overdue() == []  # nothing above management
    events = AuditEvent.objects.filter(action="ops.complaint_escalate").order_by("seq")
    assert [(e.before, e.after) for e in events] == [
        ({"escalation": 0}, {"escalation": 1}),
        ({"escalation": 1}, {"escalation": 2}),
    ]
    answered.refresh_from_db()
    assert answered.escalation == 0


def test_escalation_people_from_the_parameters_and_both_levels_at_once(clock: Clock) -> None:
    lead = make_staff(Role.BUREAU_ADMIN, username="ops-lead")
    make_staff(Role.BUREAU_ADMIN, username="other-bureau")
    boss = make_staff(Role.SECURITY_ADMIN, username="boss")
    parameters.set_parameter(
        actor=None, key="complaint_escalation_lead", value="ops-lead", reason="甲方指定"
    )
    parameters.set_parameter(
        actor=None, key="complaint_escalation_management", value="boss", reason="甲方指定"
    )
    complaint = _take(received_at=local(2026, 5, 11, 10))
    clock.set(2026, 5, 20, 9)  # four working days late, never run before
    assert complaints.escalate_overdue() == [(complaint.number, 1), (complaint.number, 2)]
    assert list(Message.objects.order_by("id").values_list("recipient", flat=True)) == [
        lead.pk,
        boss.pk,
    ]


def test_the_hourly_job_runs_from_the_scheduler(clock: Clock) -> None:
    complaint = _take(received_at=local(2026, 5, 11, 10))
    clock.set(2026, 5, 15, 10)
    out = StringIO()
    call_command("run_scheduler", "--run", "complaint_escalation", stdout=out)
    outcome = json.loads(out.getvalue().strip().splitlines()[-1])
    assert outcome["ok"] is True
    run = ScheduledRun.objects.get(job="complaint_escalation")
    assert run.output == f"{complaint.number} 升级至甲方运维负责人"
    out = StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    assert "complaint_escalation\t15 * * * *\t" in out.getvalue()


def test_reply_rate_numbers(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    # May 2026: five complaints. Two answered on time, one late, one open and overdue, one open
    # and not yet due; one more in April that does not count.
    on_time = [_take(operator, received_at=local(2026, 5, d, 10)) for d in (4, 6)]
    late = _take(operator, received_at=local(2026, 5, 7, 21), channel=Complaint.Channel.EMAIL)
    overdue = _take(operator, received_at=local(2026, 5, 8, 9))
    _take(operator, received_at=local(2026, 4, 30, 9))
    clock.set(2026, 5, 8, 16)
    for c in on_time:
        complaints.answer_complaint(actor=operator, complaint_id=c.pk, answer="已处理")
    clock.set(2026, 5, 25, 9)
    complaints.answer_complaint(actor=operator, complaint_id=late.pk, answer="已处理")
    fresh = _take(operator, received_at=local(2026, 5, 25, 8, 30), channel=Complaint.Channel.WEB)
    complaints.escalate_overdue()
    stats = complaints.complaint_stats(local(2026, 5, 1), local(2026, 6, 1))
    assert stats == {
        "received": 5,
        "answered": 3,
        "answered_on_time": 2,
        "answered_late": 1,
        "open": 2,
        "overdue": 1,
        "reply_rate": 60.0,
        "on_time_rate": 40.0,
        "target": 100.0,
        "met": False,
        "escalated": 1,
        "escalated_management": 1,
        "outside_hours": 1,
        "by_channel": {"电话": 3, "电子邮件": 1, "网站留言": 1, "信函": 0, "来访": 0},
    }
    assert overdue.pk != fresh.pk
    empty = complaints.complaint_stats(local(2026, 7, 1), local(2026, 8, 1))
    assert (empty["received"], empty["reply_rate"], empty["met"]) == (0, None, None)


def test_masks() -> None:
    assert complaints.mask_name("李秀英") == "李**"
    assert complaints.mask_name("欧阳") == "欧*"
    assert complaints.mask_contact("13812345678") == "138****5678"
    assert complaints.mask_contact("wang.li@example.com") == "w***@example.com"
    assert complaints.mask_contact("010-65432109") == "01********09"
