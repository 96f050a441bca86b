"""Sending, reading and counting messages (services and selectors)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput, NotFound
from jifen.inbox import selectors, services
from jifen.inbox.models import Category, Message
from tests.factories import make_applicant, make_employer, make_staff

pytestmark = pytest.mark.django_db


def _send(user, subject: str = "您的初核结果已公布", **kwargs) -> Message:
    kwargs.setdefault("body", "请登录查看各项指标的核验结果。")
    return services.notify(recipient=user, subject=subject, **kwargs)


# --- notify ------------------------------------------------------------------------------------


def test_notify_stores_the_message_unread():
    applicant = make_applicant()
    message = services.notify(
        recipient=applicant, subject="  您的初核结果已公布 ", body="总分 98.5 分。\n请查看。",
        link="/my/result/", category=Category.RESULT,
    )
    stored = Message.objects.get(pk=message.pk)
    assert stored.recipient_id == applicant.pk
    assert stored.subject == "您的初核结果已公布"  # trimmed
    assert stored.body == "总分 98.5 分。\n请查看。"
    assert stored.link == "/my/result/"
    assert stored.category == "result"
    assert stored.get_category_display() == "初核结果"
    assert stored.read_at is None
    assert timezone.now() - stored.created_at < timedelta(minutes=1)


def test_notify_defaults_to_a_system_message_without_link():
    message = services.notify(recipient=make_applicant(), subject="系统维护通知", body="")
    assert (message.category, message.link, message.body) == ("system", "", "")


def test_notify_writes_no_audit_event():
    applicant = make_applicant()
    before = AuditEvent.objects.count()
    _send(applicant)
    services.notify_many(recipients=[applicant], subject="复查已答复", body="")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "link",
    [
        "https://example.com/",
        "//example.com/path",
        "/\\example.com",
        "javascript:alert(1)",
        "my/result/",
        "/my/result/ x",
        "/my/\nresult",
        "/" + "a" * 300,
    ],
)
def test_a_link_must_be_a_path_of_this_site(link: str):
    with pytest.raises(InvalidInput) as caught:
        _send(make_applicant(), link=link)
    assert [e.field for e in caught.value.errors] == ["link"]
    assert caught.value.errors[0].message.startswith("链接")
    assert not Message.objects.exists()


def test_bad_subject_and_category_are_named():
    with pytest.raises(InvalidInput) as caught:
        services.notify(recipient=make_applicant(), subject="  ", body="", category="urgent")
    assert {e.field: e.message for e in caught.value.errors} == {
        "subject": "消息标题不能为空",
        "category": "没有名为 urgent 的消息类别",
    }
    with pytest.raises(InvalidInput) as caught:
        _send(make_applicant(), subject="标" * 101)
    assert caught.value.errors[0].message == "消息标题最多 100 个字"
    _send(make_applicant(), subject="标" * 100)  # exactly the limit is fine


def test_notify_is_part_of_the_callers_transaction():
    applicant = make_applicant()
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(applicant)
        services.notify_many(recipients=[applicant], subject="复查已答复", body="")
        raise RuntimeError("the caller's change failed")
    assert not Message.objects.filter(recipient=applicant).exists()


def test_notify_many_sends_one_message_to_each_person():
    a, b, reviewer = make_applicant(), make_applicant(), make_staff("reviewer", "tax")
    sent = services.notify_many(
        recipients=iter([a, b, a, reviewer]), subject="核验进度通知", body="本周数据比对已完成。",
        link="/staff/", category=Category.VERIFICATION,
    )
    assert sent == 3
    rows = Message.objects.order_by("recipient_id")
    assert [m.recipient_id for m in rows] == sorted([a.pk, b.pk, reviewer.pk])
    assert {(m.subject, m.body, m.link, m.category) for m in rows} == {
        ("核验进度通知", "本周数据比对已完成。", "/staff/", "verification")
    }
    assert services.notify_many(recipients=[], subject="无人", body="") == 0


def test_notify_many_checks_the_fields_before_writing():
    with pytest.raises(InvalidInput):
        services.notify_many(recipients=[make_applicant()], subject="通知", body="",
                             link="http://elsewhere.example/")
    assert not Message.objects.exists()


def test_a_recipient_with_messages_cannot_be_deleted():
    applicant = make_applicant()
    _send(applicant)
    with pytest.raises((ProtectedError, IntegrityError)), transaction.atomic():
        applicant.delete()
    assert Message.objects.filter(recipient=applicant).count() == 1


# --- reading -----------------------------------------------------------------------------------


def test_open_marks_read_once_and_keeps_the_first_time():
    applicant = make_applicant()
    message = _send(applicant)
    opened = services.message_open(actor=applicant, message_id=message.pk)
    assert opened.read_at is not None
    first = Message.objects.get(pk=message.pk).read_at
    assert first == opened.read_at
    again = services.message_open(actor=applicant, message_id=message.pk)
    assert again.read_at == first
    assert Message.objects.get(pk=message.pk).read_at == first


def test_nobody_else_opens_a_message_and_it_stays_unread():
    applicant, other = make_applicant(), make_applicant()
    agent = make_employer()
    message = _send(applicant)
    for intruder in (other, agent, make_staff("bureau_admin")):
        with pytest.raises(NotFound) as caught:
            services.message_open(actor=intruder, message_id=message.pk)
        assert caught.value.message == "没有找到该消息"
    assert Message.objects.get(pk=message.pk).read_at is None


@pytest.mark.parametrize("message_id", [0, -1, 10**9, 2**63, 10**30])
def test_a_missing_message_is_not_found(message_id: int):
    with pytest.raises(NotFound):
        services.message_open(actor=make_applicant(), message_id=message_id)


def test_mark_all_read_touches_only_the_actors_unread_messages():
    applicant, other = make_applicant(), make_applicant()
    read = _send(applicant, subject="旧消息")
    services.message_open(actor=applicant, message_id=read.pk)
    first_read = Message.objects.get(pk=read.pk).read_at
    for i in range(3):
        _send(applicant, subject=f"新消息{i}")
    theirs = _send(other)

    assert services.messages_mark_all_read(actor=applicant) == 3
    assert selectors.unread_count(applicant) == 0
    assert Message.objects.get(pk=read.pk).read_at == first_read
    assert Message.objects.get(pk=theirs.pk).read_at is None
    assert services.messages_mark_all_read(actor=applicant) == 0


# --- selectors ---------------------------------------------------------------------------------


def test_messages_of_lists_newest_first_and_filters_unread():
    applicant, other = make_applicant(), make_applicant()
    now = timezone.now()
    old = _send(applicant, subject="一")
    Message.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    middle = _send(applicant, subject="二")
    Message.objects.filter(pk=middle.pk).update(created_at=now - timedelta(days=1))
    new = _send(applicant, subject="三")
    _send(other, subject="别人的")
    services.message_open(actor=applicant, message_id=middle.pk)

    assert [m.subject for m in selectors.messages_of(applicant)] == ["三", "二", "一"]
    assert [m.pk for m in selectors.messages_of(applicant, unread_only=True)] == [new.pk, old.pk]


def test_unread_count_is_one_query(django_assert_num_queries):
    applicant = make_applicant()
    for i in range(4):
        _send(applicant, subject=f"消息{i}")
    services.message_open(actor=applicant, message_id=Message.objects.first().pk)
    _send(make_applicant())
    with django_assert_num_queries(1):
        assert selectors.unread_count(applicant) == 3
