"""The message centre over the JSON API: list with the unread count, read one, read all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.inbox import services
from jifen.inbox.models import Category, Message
from tests.api.conftest import ApiClient, token_for
from tests.factories import make_applicant, make_employer, make_staff, staff_client

pytestmark = pytest.mark.django_db


def send(user: Any, subject: str, *, minutes_ago: int = 0, **kwargs: Any) -> Message:
    kwargs.setdefault("body", "正文第一行\n第二行")
    message = services.notify(recipient=user, subject=subject, **kwargs)
    if minutes_ago:
        Message.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
        message.refresh_from_db()
    return message


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    return body


def test_list_newest_first_with_unread_count() -> None:
    applicant = make_applicant()
    old = send(applicant, "复查已受理", minutes_ago=30, category=Category.RECHECK)
    new = send(applicant, "您的初核结果已公布", link="/my/", category=Category.RESULT)
    services.message_open(actor=applicant, message_id=old.pk)
    send(make_applicant(), "别人的消息")

    response = ApiClient(token_for(applicant)).get("/api/messages")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["unread_count"], body["limit"], body["offset"]) == (2, 1, 20, 0)
    assert [m["id"] for m in body["items"]] == [new.pk, old.pk]
    first = body["items"][0]
    assert first == {
        "id": new.pk, "subject": "您的初核结果已公布", "body": "正文第一行\n第二行",
        "link": "/my/", "category": "result", "category_display": "初核结果",
        "created_at": first["created_at"], "read_at": None, "read": False,
    }
    assert body["items"][1]["read"] is True and body["items"][1]["read_at"] is not None
    assert body["items"][1]["category_display"] == "复查"


def test_list_unread_filter_and_paging() -> None:
    applicant = make_applicant()
    messages = [send(applicant, f"通知{i}", minutes_ago=i) for i in range(1, 8)]
    services.message_open(actor=applicant, message_id=messages[0].pk)
    me = ApiClient(token_for(applicant))

    unread = me.get("/api/messages", unread="true").json()
    assert unread["count"] == 6 and unread["unread_count"] == 6
    assert [m["subject"] for m in unread["items"]] == [f"通知{i}" for i in range(2, 8)]

    page = me.get("/api/messages", limit=3, offset=3).json()
    assert page["count"] == 7
    assert [m["subject"] for m in page["items"]] == ["通知4", "通知5", "通知6"]
    refused(me.get("/api/messages", limit=0), 422, "invalid")
    refused(me.get("/api/messages", limit=501), 422, "invalid")


def test_reading_one_marks_it_read() -> None:
    applicant = make_applicant()
    message = send(applicant, "复查结果", category=Category.RECHECK)
    me = ApiClient(token_for(applicant))
    response = me.get(f"/api/messages/{message.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == message.pk and body["read"] is True and body["read_at"]
    assert Message.objects.get(pk=message.pk).read_at is not None
    assert me.get("/api/messages").json()["unread_count"] == 0


def test_someone_elses_message_is_404_like_a_missing_one() -> None:
    owner = make_applicant()
    message = send(owner, "仅本人可见")
    for intruder in (make_applicant(), make_employer()):
        other = ApiClient(token_for(intruder))
        body = refused(other.get(f"/api/messages/{message.pk}"), 404, "not_found")
        assert body["message"] == "没有找到该消息"
        assert refused(other.get("/api/messages/987654321"), 404, "not_found") == body
        assert other.get("/api/messages").json()["count"] == 0
    assert Message.objects.get(pk=message.pk).read_at is None
    refused(ApiClient(token_for(owner)).get("/api/messages/0"), 422, "invalid")
    refused(ApiClient(token_for(owner)).get(f"/api/messages/{2**63}"), 422, "invalid")


def test_a_refused_read_is_audited_as_a_refusal() -> None:
    message = send(make_applicant(), "仅本人可见")
    intruder = make_applicant()
    before = AuditEvent.objects.count()
    ApiClient(token_for(intruder)).get(f"/api/messages/{message.pk}")
    assert AuditEvent.objects.count() == before + 1


def test_read_all() -> None:
    applicant = make_applicant()
    for i in range(3):
        send(applicant, f"通知{i}")
    theirs = send(make_applicant(), "别人的")
    me = ApiClient(token_for(applicant))
    response = me.post("/api/messages/read-all")
    assert response.status_code == 200, response.content
    assert response.json() == {"marked": 3, "unread_count": 0}
    assert me.post("/api/messages/read-all").json() == {"marked": 0, "unread_count": 0}
    assert Message.objects.get(pk=theirs.pk).read_at is None


def test_anonymous_is_refused() -> None:
    anonymous = ApiClient()
    body = refused(anonymous.get("/api/messages"), 401, "not_authenticated")
    assert body["message"] == "请先登录或提供有效的访问令牌"
    refused(anonymous.post("/api/messages/read-all"), 401, "not_authenticated")


def test_staff_read_theirs_through_the_session() -> None:
    reviewer = make_staff("reviewer", "tax")
    services.notify_many(recipients=[reviewer], subject="核验任务", body="",
                         category=Category.VERIFICATION)
    client = staff_client(reviewer)
    body = client.get("/api/messages").json()
    assert body["unread_count"] == 1
    assert body["items"][0]["category_display"] == "核验"


def test_staff_owing_the_second_factor_get_nothing() -> None:
    reviewer = make_staff("reviewer", "tax")
    send(reviewer, "核验任务")
    client = Client()
    client.force_login(reviewer)
    refused(client.get("/api/messages"), 401, "second_factor_required")


def test_session_read_all_needs_the_csrf_token() -> None:
    applicant = make_applicant()
    send(applicant, "通知")
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    refused(client.post("/api/messages/read-all"), 403, "csrf_failed")
    assert Message.objects.filter(read_at__isnull=True).count() == 1
    client.get("/")  # sets the CSRF cookie
    response = client.post(
        "/api/messages/read-all", headers={"X-CSRFToken": client.cookies["csrftoken"].value}
    )
    assert response.json() == {"marked": 1, "unread_count": 0}


def test_openapi_lists_the_operations() -> None:
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/messages"]) == {"get"}
    assert paths["/api/messages"]["get"]["operationId"] == "messages_list"
    assert paths["/api/messages/{message_id}"]["get"]["operationId"] == "message_read"
    assert paths["/api/messages/read-all"]["post"]["operationId"] == "messages_read_all"
