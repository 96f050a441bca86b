"""The message centre's pages and the header's 站内消息 entry with its unread badge."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jifen.inbox import services
from jifen.inbox.models import Category, Message
from tests.factories import make_applicant, make_employer, make_staff, staff_client

pytestmark = pytest.mark.django_db

LIST = reverse("inbox:list")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(user, subject: str = "您的初核结果已公布", **kwargs) -> Message:
    kwargs.setdefault("body", "请查看各项指标的核验结果。")
    return services.notify(recipient=user, subject=subject, **kwargs)


def badge(html: str) -> str | None:
    """The unread figure in the header's 站内消息 link (None: no badge)."""
    nav = re.search(r'<a class="nav-link" id="nav-inbox"[^>]*>(.*?)</a>', html, re.S)
    assert nav is not None, "no 站内消息 entry in the header"
    found = re.search(r'id="nav-inbox-unread" aria-hidden="true">(.*?)</span>', nav.group(1))
    return None if found is None else found.group(1)


def inbox_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "inbox_message" in q["sql"]]


# --- the list ----------------------------------------------------------------------------------


def test_list_shows_messages_newest_first_with_the_unread_highlighted():
    applicant = make_applicant()
    older = send(applicant, subject="复查已受理", category=Category.RECHECK)
    Message.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=3))
    newer = send(applicant, subject="您的初核结果已公布", category=Category.RESULT)
    services.message_open(actor=applicant, message_id=older.pk)
    send(make_applicant(), subject="别人的消息")

    response = signed_in(applicant).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "别人的消息" not in html
    assert html.index("您的初核结果已公布") < html.index("复查已受理")
    unread_row = re.search(rf'<tr id="message-{newer.pk}"([^>]*)>(.*?)</tr>', html, re.S)
    read_row = re.search(rf'<tr id="message-{older.pk}"([^>]*)>(.*?)</tr>', html, re.S)
    assert 'class="message-unread"' in unread_row.group(1)
    assert "未读" in unread_row.group(2) and "初核结果" in unread_row.group(2)
    assert "message-unread" not in read_row.group(1)
    assert "已读" in read_row.group(2) and "复查" in read_row.group(2)
    assert reverse("inbox:detail", args=[newer.pk]) in unread_row.group(2)
    assert "全部标为已读" in html
    assert "共 2 条" in html


def test_list_filters_unread():
    applicant = make_applicant()
    read = send(applicant, subject="已读的那条")
    services.message_open(actor=applicant, message_id=read.pk)
    send(applicant, subject="未读的那条")
    html = signed_in(applicant).get(LIST, {"unread": "1"}).content.decode()
    assert "未读的那条" in html and "已读的那条" not in html
    assert "未读消息，共 1 条" in html


def test_list_is_paginated_by_twenty():
    applicant = make_applicant()
    base = timezone.now()
    for i in range(25):
        m = send(applicant, subject=f"第{i:02d}号通知")
        Message.objects.filter(pk=m.pk).update(created_at=base - timedelta(minutes=i))
    client = signed_in(applicant)
    first = client.get(LIST).content.decode()
    assert first.count('<tr id="message-') == 20
    assert "第00号通知" in first and "第19号通知" in first and "第20号通知" not in first
    assert "第 1 / 2 页" in first and "下一页" in first
    second = client.get(LIST, {"page": "2"}).content.decode()
    assert second.count('<tr id="message-') == 5
    assert "第24号通知" in second and "第19号通知" not in second


def test_empty_list_says_so_and_offers_no_mark_all():
    html = signed_in(make_applicant()).get(LIST).content.decode()
    assert "暂无消息" in html
    assert "全部标为已读" not in html


def test_mark_all_read():
    applicant = make_applicant()
    for i in range(3):
        send(applicant, subject=f"通知{i}")
    theirs = send(make_employer())
    client = signed_in(applicant)
    response = client.post(reverse("inbox:read_all"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == LIST
    assert "已将 3 条消息标为已读。" in html
    assert not Message.objects.filter(recipient=applicant, read_at__isnull=True).exists()
    assert Message.objects.get(pk=theirs.pk).read_at is None
    again = client.post(reverse("inbox:read_all"), follow=True).content.decode()
    assert "没有未读消息。" in again


def test_mark_all_read_is_post_only():
    client = signed_in(make_applicant())
    assert client.get(reverse("inbox:read_all")).status_code == 405


def test_anonymous_visitor_goes_to_login():
    for url in (LIST, reverse("inbox:detail", args=[1])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- one message -------------------------------------------------------------------------------


def test_opening_a_message_shows_it_and_marks_it_read():
    applicant = make_applicant()
    message = send(applicant, subject="复查结果", body="经复核，维持原核验结果。",
                   link="/my/", category=Category.RECHECK)
    response = signed_in(applicant).get(reverse("inbox:detail", args=[message.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "复查结果" in html and "经复核，维持原核验结果。" in html
    assert '<a class="btn btn-primary" href="/my/">前往查看</a>' in html
    assert Message.objects.get(pk=message.pk).read_at is not None


def test_a_message_without_link_has_no_button():
    applicant = make_applicant()
    message = send(applicant, subject="系统通知")
    html = signed_in(applicant).get(reverse("inbox:detail", args=[message.pk])).content.decode()
    assert "前往查看" not in html


def test_someone_elses_message_is_404_and_stays_unread():
    owner, other = make_applicant(), make_applicant()
    message = send(owner, subject="仅本人可见的标题")
    response = signed_in(other).get(reverse("inbox:detail", args=[message.pk]))
    assert response.status_code == 404
    assert "仅本人可见的标题" not in response.content.decode()
    assert "页面不存在" in response.content.decode()
    assert Message.objects.get(pk=message.pk).read_at is None
    # The same page as for a message that does not exist at all.
    assert signed_in(other).get(reverse("inbox:detail", args=[10**12])).status_code == 404
    assert signed_in(other).get("/messages/99999999999999999999/").status_code == 404


def test_the_body_is_escaped_with_its_line_breaks_kept():
    applicant = make_applicant()
    message = send(
        applicant, subject="<b>标题</b>",
        body='第一行 <script>alert("x")</script>\n第二行 & <a href="https://evil.example">链接</a>',
    )
    html = signed_in(applicant).get(reverse("inbox:detail", args=[message.pk])).content.decode()
    assert "<script>alert" not in html
    assert '<a href="https://evil.example">' not in html
    body = re.search(r'<div class="message-body" id="message-body">(.*?)</div>', html, re.S)
    assert body.group(1) == (
        "第一行 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>"
        "第二行 &amp; &lt;a href=&quot;https://evil.example&quot;&gt;链接&lt;/a&gt;"
    )
    assert "&lt;b&gt;标题&lt;/b&gt;" in html and "<b>标题</b>" not in html


# --- the header's badge ------------------------------------------------------------------------


def test_badge_shows_the_unread_count_on_every_page():
    applicant = make_applicant()
    client = signed_in(applicant)
    home = reverse("applications:applicant_home")
    assert badge(client.get(home).content.decode()) is None  # no messages: no badge
    messages = [send(applicant, subject=f"通知{i}") for i in range(3)]
    assert badge(client.get(home).content.decode()) == "3"
    client.get(reverse("inbox:detail", args=[messages[0].pk]))
    assert badge(client.get(home).content.decode()) == "2"
    assert badge(client.get(reverse("web:home")).content.decode()) == "2"
    # The detail page counts after marking its own message read.
    html = client.get(reverse("inbox:detail", args=[messages[1].pk])).content.decode()
    assert badge(html) == "1"


def test_badge_tops_out_at_99_plus():
    applicant = make_applicant()
    services.notify_many(recipients=[applicant], subject="x", body="")
    Message.objects.bulk_create(
        [Message(recipient=applicant, subject=f"通知{i}") for i in range(120)]
    )
    html = signed_in(applicant).get(LIST).content.decode()
    assert badge(html) == "99+"
    assert 'aria-label="站内消息（未读121条）"' in html
    assert '<span class="badge" id="unread-count">121</span>' in html


def test_badge_for_employer_agents_and_verified_staff():
    agent = make_employer()
    send(agent, subject="单位通知")
    assert badge(signed_in(agent).get(reverse("web:home")).content.decode()) == "1"
    reviewer = make_staff("reviewer", "tax")
    services.notify_many(recipients=[reviewer], subject="核验任务", body="",
                         category=Category.VERIFICATION)
    response = staff_client(reviewer).get(reverse("staff:home"))
    assert response.status_code == 200
    assert badge(response.content.decode()) == "1"


def test_the_badge_is_counted_once_per_page():
    applicant = make_applicant()
    send(applicant)
    client = signed_in(applicant)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("web:home"))
    assert len(inbox_queries(captured)) == 1


def test_anonymous_pages_have_no_entry_and_ask_nothing():
    with CaptureQueriesContext(connection) as captured:
        html = Client().get(reverse("web:home")).content.decode()
    assert "站内消息" not in html
    assert inbox_queries(captured) == []


def test_half_signed_in_staff_pages_still_work_without_the_entry():
    reviewer = make_staff("reviewer", "tax")
    send(reviewer, subject="核验任务")
    client = signed_in(reviewer)  # password only: the second factor still owed
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("accounts:otp_setup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "nav-inbox" not in html
    assert inbox_queries(captured) == []
    # The message centre itself leads to the second factor.
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


def test_a_temporary_password_page_works_without_the_entry():
    applicant = make_applicant()
    applicant.must_change_password = True
    applicant.save(update_fields=["must_change_password"])
    send(applicant)
    client = signed_in(applicant)
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 200
    assert "nav-inbox" not in response.content.decode()
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
