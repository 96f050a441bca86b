"""Refused requests are audited (who, what, when, where, why) on object endpoints and for role
refusals, through the pages and the API; a flood of them writes a bounded number of events and
one summary with the right count."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jifen.accounts.models import User
from jifen.applications import services
from jifen.applications.models import Application
from jifen.audit import refusals
from jifen.audit.models import AuditEvent
from jifen.audit.services import verify_chain
from jifen.core.roles import Role
from tests.factories import (
    fill_declaration,
    linked_pair,
    make_applicant,
    make_round,
    make_staff,
    verify_second_factor,
)

pytestmark = pytest.mark.django_db

PROBE = {"HTTP_USER_AGENT": "Probe/1.0", "REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def app() -> Application:
    make_round(2026)
    applicant, _agent = linked_pair()
    return fill_declaration(applicant, services.application_start(actor=applicant))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The refusal counter's clock, at the start of a window; tests move it on."""
    now = [60.0 * 28_000_000]
    monkeypatch.setattr(refusals, "_now", lambda: now[0])
    return now


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    if user.is_staff_role:
        verify_second_factor(client, user)
    return client


def token_client(user: User) -> tuple[Client, dict[str, str]]:
    from jifen.api.models import ApiToken

    _row, token = ApiToken.issue(user)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}", **PROBE}


def refused(action: str = refusals.REFUSED_ACTION) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- what is recorded ---------------------------------------------------------------------------


def test_a_page_refusing_someone_elses_declaration_is_recorded(app: Application) -> None:
    stranger = make_applicant()
    url = reverse("applications:declaration", args=[app.pk])

    response = client_for(stranger).get(url + "?utm=x", **PROBE)

    assert response.status_code == 404
    [event] = refused()
    assert event.kind == AuditEvent.Kind.REFUSAL
    assert event.actor == stranger and event.actor_role == Role.APPLICANT
    assert (event.target_type, event.target_id) == ("applications.application", str(app.pk))
    assert event.after == {
        "reason": "not_found", "status": 404, "method": "GET", "path": url,  # no query string
        "url_name": "applications:declaration", "kwargs": {"pk": str(app.pk)},
    }
    assert event.detail == "没有找到该申报"
    assert (event.ip, event.user_agent, event.channel) == ("203.0.113.7", "Probe/1.0", "web")
    assert verify_chain().ok


def test_a_role_refusal_is_recorded_without_an_object(app: Application) -> None:
    applicant = User.objects.get(pk=app.applicant.user_id)
    response = client_for(applicant).get(reverse("staff:home"), **PROBE)
    assert response.status_code == 403
    [event] = refused()
    assert event.actor == applicant
    assert (event.target_type, event.target_id) == ("", "")
    assert event.after == {
        "reason": "forbidden", "status": 403, "method": "GET", "path": "/staff/",
        "url_name": "staff:home", "kwargs": {},
    }
    assert event.detail == "工作台仅供工作人员使用"


def test_a_refused_post_to_an_employer_action_is_recorded(app: Application) -> None:
    stranger = make_applicant()
    url = reverse("applications:employer_application_submit", args=[app.pk])
    assert client_for(stranger).post(url, {"version": "1"}, **PROBE).status_code == 403
    [event] = refused()
    assert (event.after["method"], event.after["reason"]) == ("POST", "forbidden")
    assert (event.target_type, event.target_id) == ("applications.application", str(app.pk))
    assert event.detail == "只有用人单位经办人可以访问此页面"


def test_unknown_urls_and_anonymous_visits_are_not_refusals(app: Application) -> None:
    anonymous = Client()
    assert anonymous.get("/no/such/page/", **PROBE).status_code == 404
    assert anonymous.get("/api/no/such/thing", **PROBE).status_code == 404
    assert anonymous.get(reverse("staff:home"), **PROBE).status_code == 302  # to the login page
    signed_in = client_for(make_applicant())
    assert signed_in.get("/my/applications/not-a-number/", **PROBE).status_code == 404
    assert refused() == []


def test_api_refusals_are_recorded_with_their_channel(app: Application) -> None:
    stranger = make_applicant()
    client, headers = token_client(stranger)
    path = f"/api/applications/{app.pk}"

    assert client.get(path, **headers).status_code == 404
    assert client.get("/api/employer/applications", **headers).status_code == 403
    assert Client().get(path, **PROBE).status_code == 401

    not_found, forbidden, anonymous = refused()
    assert not_found.actor == stranger and not_found.channel == "api"
    assert (not_found.target_type, not_found.target_id) == (
        "applications.application", str(app.pk))
    assert not_found.after == {
        "reason": "not_found", "status": 404, "method": "GET", "path": path,
        "url_name": "api:application_detail", "kwargs": {"application_id": str(app.pk)},
    }
    assert forbidden.after["reason"] == "forbidden"
    assert forbidden.detail == "只有用人单位经办人可以查看"
    assert anonymous.actor is None
    assert (anonymous.after["reason"], anonymous.after["status"]) == ("not_authenticated", 401)
    assert anonymous.ip == "203.0.113.7"


# --- flood control --------------------------------------------------------------------------------


def test_a_burst_of_500_refusals_writes_a_bounded_number_of_events(
    app: Application, clock: list[float]
) -> None:
    stranger = make_applicant()
    client = client_for(stranger)
    url = reverse("applications:declaration", args=[app.pk])
    before = AuditEvent.objects.count()

    for _ in range(500):
        assert client.get(url, **PROBE).status_code == 404

    limit = refusals._limit()
    assert limit == 20
    assert len(refused()) == limit
    assert refused(refusals.SUMMARY_ACTION) == []
    assert AuditEvent.objects.count() - before == limit

    # A legitimate write goes through at once, its chain intact.
    services.link_request(actor=make_applicant(), employer_code=app.employer.code)

    # The next window: the first refusal of anyone writes the summary of the last one.
    clock[0] += 60
    other = Client().get(f"/api/applications/{app.pk}", REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 401
    [summary] = refused(refusals.SUMMARY_ACTION)
    assert summary.kind == AuditEvent.Kind.REFUSAL
    assert summary.actor == stranger
    assert summary.after["count"] == 500 - limit
    assert summary.after["reason"] == "not_found"
    assert summary.after["source"] == f"user:{stranger.pk}"
    assert summary.after["recorded_individually"] == limit
    assert summary.detail == "另有 480 次同类拒绝未逐条记录"
    assert (summary.ip, summary.user_agent, summary.channel) == ("203.0.113.7", "Probe/1.0", "web")
    # Written once only.
    other = Client().get(f"/api/applications/{app.pk}", REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 401
    assert len(refused(refusals.SUMMARY_ACTION)) == 1
    assert verify_chain().ok


def test_each_source_has_its_own_allowance(app: Application, clock: list[float], settings) -> None:
    settings.AUDIT_REFUSALS_PER_WINDOW = 3
    first, second = make_applicant(), make_applicant()
    url = reverse("applications:declaration", args=[app.pk])
    for user in (first, second):
        client = client_for(user)
        for _ in range(5):
            client.get(url)
    for _ in range(5):  # anonymous callers count by address
        Client().get(f"/api/applications/{app.pk}", REMOTE_ADDR="192.0.2.1")
    events = refused()
    assert [e.actor for e in events] == [first] * 3 + [second] * 3 + [None] * 3
    clock[0] += 60
    summaries = refusals.flush_refusal_summaries()
    assert sorted((s.after["source"], s.after["count"]) for s in summaries) == sorted(
        [(f"user:{first.pk}", 2), (f"user:{second.pk}", 2), ("ip:192.0.2.1", 2)]
    )


def test_audit_checkpoint_writes_the_summaries_of_a_flood_that_stopped(
    app: Application, clock: list[float], settings
) -> None:
    settings.AUDIT_REFUSALS_PER_WINDOW = 2
    client = client_for(make_applicant())
    url = reverse("applications:declaration", args=[app.pk])
    for _ in range(7):
        client.get(url)
    clock[0] += 30 * 60  # half an hour later: nobody has been refused since
    call_command("audit_checkpoint")
    [summary] = refused(refusals.SUMMARY_ACTION)
    assert summary.after["count"] == 5
    assert summary.channel == "web"  # the refused requests', not the command's
    assert AuditEvent.objects.filter(action="audit.checkpoint").get().seq > summary.seq


def test_a_reviewer_refused_a_draft_is_recorded(app: Application) -> None:
    # Staff are refused like anyone else: a draft has not reached the departments.
    reviewer = make_staff(Role.REVIEWER, "tax")
    response = client_for(reviewer).get(reverse("staff:application", args=[app.pk]))
    assert response.status_code == 404
    [event] = refused()
    assert (event.actor, event.actor_role) == (reviewer, Role.REVIEWER)
    assert event.after["url_name"] == "staff:application"


def test_the_api_docs_refusing_a_non_staff_account_is_recorded(app: Application) -> None:
    # A view under /api/ outside the API's exception handlers: the middleware records it.
    applicant = User.objects.get(pk=app.applicant.user_id)
    assert client_for(applicant).get("/api/docs", **PROBE).status_code == 403
    [event] = refused()
    assert (event.actor, event.after["reason"], event.after["path"]) == (
        applicant, "forbidden", "/api/docs")
    assert event.detail == "接口文档仅供工作人员查看"


def test_audit_checkpoint_goes_on_when_the_summaries_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unavailable(*args, **kwargs):
        raise ConnectionError("cache unavailable")

    monkeypatch.setattr(
        "jifen.audit.management.commands.audit_checkpoint.flush_refusal_summaries", unavailable
    )
    call_command("audit_checkpoint")
    captured = capsys.readouterr()
    assert "refusal summaries not written: cache unavailable" in captured.err
    assert AuditEvent.objects.filter(action="audit.checkpoint").count() == 1
