"""Settlement (落户): the applicant's result and next steps, the bureau's records, the gate,
permissions, and a place given up not re-allocated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput, NotFound, NotPermitted, OutsideWindow
from jifen.core.roles import Department, Role
from jifen.inbox.models import Message
from jifen.publication import selectors, services
from jifen.publication.models import ListedEntry, Settlement
from tests.factories import make_staff, staff_client

from .world import listed_round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def settling(bureau):
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)
    now = timezone.now()
    rnd = w.round
    rnd.publication_opens, rnd.publication_closes = now - timedelta(days=9), now - timedelta(days=2)
    rnd.settlement_opens, rnd.settlement_closes = now - timedelta(days=1), now + timedelta(days=90)
    rnd.save()
    return w


def test_record_settled_and_given_up(settling, bureau):
    a, b = settling.apps[:2]
    today = timezone.localdate()
    row = services.settlement_record(
        actor=bureau, year=2026, application_id=a.pk, state="settled", settled_on=today
    )
    assert row.state == "settled" and row.settled_on == today
    services.settlement_record(
        actor=bureau, year=2026, application_id=b.pk, state="given_up", reason="本人出国，放弃落户"
    )
    counts = selectors.settlement_counts(settling.round)
    assert counts == selectors.SettlementCounts(admitted=3, settled=1, given_up=1, pending=1)
    assert AuditEvent.objects.filter(action="settlement.record").count() == 2
    told = Message.objects.filter(recipient=settling.applicants[1]).latest("id")
    assert told.subject == "2026年积分落户：放弃落户"


def test_a_place_given_up_is_not_reallocated(settling, bureau):
    services.settlement_record(
        actor=bureau, year=2026, application_id=settling.apps[0].pk, state="given_up", reason="放弃"
    )
    # The fourth (not admitted) stays out; the list and the admitted count are unchanged.
    assert not ListedEntry.objects.filter(application=settling.apps[3]).exists()
    assert selectors.settlement_counts(settling.round).admitted == 3
    with pytest.raises(NotFound) as exc:
        services.settlement_record(
            actor=bureau,
            year=2026,
            application_id=settling.apps[3].pk,
            state="settled",
            settled_on=timezone.localdate(),
        )
    assert exc.value.message == "该申请人不在公示的拟落户名单中"


def test_checks(settling, bureau):
    app = settling.apps[0]
    cases = [
        ({"state": "settled"}, "settled_on", "请填写办理落户的日期"),
        (
            {"state": "settled", "settled_on": timezone.localdate() + timedelta(days=1)},
            "settled_on",
            "落户日期不能晚于今天",
        ),
        ({"state": "given_up"}, "reason", "请填写放弃落户的理由"),
        ({"state": "moved"}, "state", "请选择“已办理落户”或“放弃落户”"),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(InvalidInput) as exc:
            services.settlement_record(actor=bureau, year=2026, application_id=app.pk, **kwargs)
        assert (exc.value.errors[0].field, exc.value.message) == (field, message)
    assert not Settlement.objects.exists()


def test_only_the_bureau_in_the_settlement_window(settling, bureau):
    app = settling.apps[0]
    for user in (make_staff(Role.REVIEWER, Department.POLICE), settling.applicants[0]):
        with pytest.raises(NotPermitted):
            services.settlement_record(
                actor=user, year=2026, application_id=app.pk, state="given_up", reason="x"
            )
    rnd = settling.round
    rnd.settlement_opens = timezone.now() + timedelta(days=1)
    rnd.save()
    with pytest.raises(OutsideWindow) as exc:
        services.settlement_record(
            actor=bureau, year=2026, application_id=app.pk, state="given_up", reason="x"
        )
    assert "落户办理阶段尚未开始" in exc.value.message


def test_applicant_sees_result_and_next_steps(settling):
    client = Client()
    client.force_login(settling.applicants[0])
    html = client.get("/gongshi/my/").content.decode()
    assert "第 1 名" in html and "111.96" in html and "拟落户" in html
    assert "落户办理须知" in html and "居民身份证" in html
    home = client.get("/my/").content.decode()
    assert "您已进入拟落户名单（第 1 名，111.96 分）" in home
    # The fourth: a result, not admitted, no next steps.
    other = Client()
    other.force_login(settling.applicants[3])
    html = other.get("/gongshi/my/").content.decode()
    assert "未进入拟落户名单" in html and "落户办理须知" not in html


def test_settlement_page(settling, bureau):
    client = staff_client(bureau)
    html = client.get("/gongshi/manage/2026/settlement/").content.decode()
    assert "放弃落户的名额不再递补" in html and 'id="count-pending">3<' in html
    response = client.post(
        "/gongshi/manage/2026/settlement/",
        {"application_id": settling.apps[0].pk, "state": "given_up", "reason": ""},
    )
    assert "请填写放弃落户的理由" in response.content.decode()
    response = client.post(
        "/gongshi/manage/2026/settlement/",
        {"application_id": settling.apps[0].pk, "state": "given_up", "reason": "放弃"},
    )
    assert response.status_code == 302
    html = client.get("/gongshi/manage/2026/settlement/").content.decode()
    assert 'id="count-given-up">1<' in html and 'id="count-admitted">3<' in html
    html = client.get("/gongshi/manage/2026/").content.decode()
    assert "公示、异议与落户" in html and 'id="count-given-up">1<' in html
