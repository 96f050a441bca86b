"""Employment links: the applicant asks, the employer confirms or refuses; audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from jifen.applications import selectors, services
from jifen.applications.models import Application, EmploymentLink, LinkStatus, Status
from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.audit.redact import fingerprint
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted, ServiceError
from jifen.core.roles import Department, Role
from tests.factories import (
    fill_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registration_open() -> None:
    """Links are made in a round's registration phase (注册与单位关联): one open now."""
    make_round(2025)


def link_row(link: EmploymentLink) -> dict[str, Any]:
    return EmploymentLink.objects.filter(pk=link.pk).values(
        "status", "reason", "decided_at", "decided_by", "employer"
    ).get()


@contextmanager
def refused(
    error: type[ServiceError], link: EmploymentLink | None = None, field: str | None = None
) -> Iterator[pytest.ExceptionInfo[ServiceError]]:
    """The call raises ``error`` (naming ``field``), writes no audit event, changes no link."""
    events, links = AuditEvent.objects.count(), EmploymentLink.objects.count()
    before = link_row(link) if link is not None else None
    with pytest.raises(error) as info:
        yield info
    assert type(info.value) is error
    if field is not None:
        assert [e.field for e in info.value.errors] == [field]
    assert AuditEvent.objects.count() == events
    assert EmploymentLink.objects.count() == links
    if link is not None:
        assert link_row(link) == before


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


@pytest.fixture
def applicant():
    return make_applicant()


@pytest.fixture
def agent():
    return make_employer()


@pytest.fixture
def pending(applicant, agent) -> EmploymentLink:
    return services.link_request(actor=applicant, employer_code=agent.employer.code)


# --- request --------------------------------------------------------------------------------


def test_request_creates_a_pending_link(applicant, agent) -> None:
    with audit_context(ip="10.1.2.3"):
        link = services.link_request(actor=applicant, employer_code=agent.employer.code)
    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert (link.applicant, link.employer) == (applicant.applicant, agent.employer)
    assert link.decided_at is None and link.decided_by is None
    event = last_event("link.request")
    assert event.actor == applicant and event.actor_role == Role.APPLICANT
    assert event.ip == "10.1.2.3"
    assert (event.target_type, event.target_id) == ("applications.employmentlink", str(link.pk))
    assert event.before is None
    assert event.after == {"employer": agent.employer.pk, "status": "pending"}
    assert selectors.active_link_of_applicant(applicant) == link
    assert list(selectors.links_for_employer(agent, status=LinkStatus.PENDING)) == [link]


def test_request_accepts_the_code_in_lower_case_with_spaces(applicant, agent) -> None:
    link = services.link_request(actor=applicant, employer_code=f" {agent.employer.code.lower()} ")
    assert link.employer == agent.employer


@pytest.mark.parametrize("code", ["", "DW0000000", "DWXXXXXXXX", None])
def test_request_with_an_unknown_code(applicant, agent, code: str | None) -> None:
    with refused(InvalidInput, field="employer_code"):
        services.link_request(actor=applicant, employer_code=code)


def test_a_second_active_link_is_refused(applicant, pending) -> None:
    other = make_employer()
    with refused(Conflict, field="employer_code"):
        services.link_request(actor=applicant, employer_code=other.employer.code)
    services.link_confirm(actor=pending.employer.agents.get(), link_id=pending.pk)
    with refused(Conflict, field="employer_code"):
        services.link_request(actor=applicant, employer_code=other.employer.code)


@pytest.mark.parametrize("who", ["employer", "reviewer", "anonymous"])
def test_only_applicants_request_links(agent, who: str) -> None:
    actor = {
        "employer": lambda: make_employer(),
        "reviewer": lambda: make_staff(Role.REVIEWER, Department.TAX),
        "anonymous": AnonymousUser,
    }[who]()
    with refused(NotPermitted):
        services.link_request(actor=actor, employer_code=agent.employer.code)


def test_the_database_allows_one_active_link_per_applicant(applicant, agent, pending) -> None:
    other = make_employer().employer
    for status in (LinkStatus.PENDING, LinkStatus.CONFIRMED):
        with pytest.raises(IntegrityError), transaction.atomic():
            EmploymentLink.objects.create(applicant=applicant.applicant, employer=other,
                                          status=status)
    # Ended links do not count.
    EmploymentLink.objects.create(applicant=applicant.applicant, employer=other,
                                  status=LinkStatus.REFUSED)
    EmploymentLink.objects.create(applicant=applicant.applicant, employer=other,
                                  status=LinkStatus.CANCELLED)
    assert EmploymentLink.objects.filter(applicant=applicant.applicant).count() == 3


def test_the_database_refuses_confirming_a_second_link(applicant, pending) -> None:
    other = make_employer().employer
    ended = EmploymentLink.objects.create(applicant=applicant.applicant, employer=other,
                                          status=LinkStatus.REFUSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentLink.objects.filter(pk=ended.pk).update(status=LinkStatus.CONFIRMED)


# --- confirm / refuse -----------------------------------------------------------------------


def test_confirm(applicant, agent, pending) -> None:
    with audit_context(ip="10.1.2.3"):
        link = services.link_confirm(actor=agent, link_id=pending.pk)
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED
    assert link.decided_by == agent and link.decided_at is not None
    event = last_event("link.confirm")
    assert event.actor == agent and event.actor_role == Role.EMPLOYER_AGENT
    assert event.ip == "10.1.2.3"
    assert event.target_id == str(link.pk)
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "confirmed"})


def test_refuse_with_a_reason(applicant, agent, pending) -> None:
    with audit_context(ip="10.1.2.3"):
        link = services.link_refuse(actor=agent, link_id=pending.pk, reason="  查无此人  ")
    link.refresh_from_db()
    assert (link.status, link.reason) == (LinkStatus.REFUSED, "查无此人")
    assert link.decided_by == agent
    event = last_event("link.refuse")
    assert event.actor == agent and event.ip == "10.1.2.3"
    # The reason may name a person: only its length and keyed fingerprint reach the log.
    assert (event.before, event.after) == (
        {"status": "pending"},
        {"status": "refused", "reason": {
            "length": 4,
            "fingerprint": fingerprint(
                "查无此人", scope=f"applications.employmentlink:{link.pk}:reason"
            ),
        }},
    )
    assert selectors.active_link_of_applicant(applicant) is None


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_refuse_needs_a_reason(agent, pending, reason: str | None) -> None:
    with refused(InvalidInput, pending, field="reason"):
        services.link_refuse(actor=agent, link_id=pending.pk, reason=reason)


def test_an_employer_of_another_company_cannot_decide(pending) -> None:
    stranger = make_employer()
    with refused(NotFound, pending):
        services.link_confirm(actor=stranger, link_id=pending.pk)
    with refused(NotFound, pending):
        services.link_refuse(actor=stranger, link_id=pending.pk, reason="不是我们的员工")
    assert not selectors.links_for_employer(stranger).exists()


@pytest.mark.parametrize("who", ["owner", "bureau"])
def test_only_employer_agents_decide(applicant, pending, who: str) -> None:
    actor = applicant if who == "owner" else make_staff(Role.BUREAU_ADMIN)
    with refused(NotPermitted, pending):
        services.link_confirm(actor=actor, link_id=pending.pk)
    with refused(NotPermitted, pending):
        services.link_refuse(actor=actor, link_id=pending.pk, reason="x")


def test_an_unknown_link(agent) -> None:
    with refused(NotFound):
        services.link_confirm(actor=agent, link_id=999_999)


@pytest.mark.parametrize("first", ["confirm", "refuse"])
def test_a_decision_is_final(agent, pending, first: str) -> None:
    if first == "confirm":
        services.link_confirm(actor=agent, link_id=pending.pk)
    else:
        services.link_refuse(actor=agent, link_id=pending.pk, reason="查无此人")
    with refused(Conflict, pending):
        services.link_confirm(actor=agent, link_id=pending.pk)
    with refused(Conflict, pending):
        services.link_refuse(actor=agent, link_id=pending.pk, reason="再次拒绝")


def test_a_cancelled_link_cannot_be_confirmed(applicant, agent, pending) -> None:
    services.link_cancel(actor=applicant, link_id=pending.pk)
    with refused(Conflict, pending):
        services.link_confirm(actor=agent, link_id=pending.pk)


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_a_pending_link(applicant, pending) -> None:
    with audit_context(ip="10.1.2.3"):
        link = services.link_cancel(actor=applicant, link_id=pending.pk)
    link.refresh_from_db()
    assert link.status == LinkStatus.CANCELLED and link.decided_at is not None
    event = last_event("link.cancel")
    assert event.actor == applicant and event.ip == "10.1.2.3"
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "cancelled"})
    assert selectors.active_link_of_applicant(applicant) is None


def test_cancel_a_confirmed_link_while_the_application_is_a_draft() -> None:
    make_round()
    applicant, _ = linked_pair()
    services.application_start(actor=applicant)
    link = selectors.active_link_of_applicant(applicant)
    services.link_cancel(actor=applicant, link_id=link.pk)
    assert last_event("link.cancel").before == {"status": "confirmed"}


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.RETURNED,
                                    Status.EMPLOYER_SUBMITTED])
def test_cancel_a_confirmed_link_is_refused_while_the_employer_has_the_application(
    status: str,
) -> None:
    make_round()
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                       version=app.version)
    if status == Status.RETURNED:
        services.application_return(actor=agent, application_id=app.pk, reason="补充材料",
                                    version=app.version)
    elif status == Status.EMPLOYER_SUBMITTED:
        services.application_employer_submit(actor=agent, application_id=app.pk,
                                             version=app.version)
    assert Application.objects.get(pk=app.pk).status == status
    link = selectors.active_link_of_applicant(applicant)
    with refused(Conflict, link):
        services.link_cancel(actor=applicant, link_id=link.pk)


def test_cancel_someone_elses_link(pending) -> None:
    someone = make_applicant()
    with refused(NotFound, pending):
        services.link_cancel(actor=someone, link_id=pending.pk)


def test_the_employer_cannot_cancel(agent, pending) -> None:
    with refused(NotPermitted, pending):
        services.link_cancel(actor=agent, link_id=pending.pk)


@pytest.mark.parametrize("end", ["refuse", "cancel"])
def test_an_ended_link_cannot_be_cancelled(applicant, agent, pending, end: str) -> None:
    if end == "refuse":
        services.link_refuse(actor=agent, link_id=pending.pk, reason="查无此人")
    else:
        services.link_cancel(actor=applicant, link_id=pending.pk)
    with refused(Conflict, pending):
        services.link_cancel(actor=applicant, link_id=pending.pk)


# --- after the end of a link ----------------------------------------------------------------


def test_request_again_after_a_refusal(applicant, agent, pending) -> None:
    services.link_refuse(actor=agent, link_id=pending.pk, reason="信息有误")
    again = services.link_request(actor=applicant, employer_code=agent.employer.code)
    assert again.pk != pending.pk and again.status == LinkStatus.PENDING
    services.link_confirm(actor=agent, link_id=again.pk)
    assert [link.status for link in selectors.links_of_applicant(applicant)] == [
        LinkStatus.CONFIRMED, LinkStatus.REFUSED,
    ]


def test_request_another_employer_after_cancelling(applicant, pending) -> None:
    services.link_cancel(actor=applicant, link_id=pending.pk)
    other = make_employer()
    link = services.link_request(actor=applicant, employer_code=other.employer.code)
    assert link.employer == other.employer


def test_a_draft_follows_the_newly_confirmed_employer() -> None:
    make_round()
    applicant, first = linked_pair()
    app = services.application_start(actor=applicant)
    assert app.employer == first.employer
    services.link_cancel(actor=applicant, link_id=selectors.active_link_of_applicant(applicant).pk)
    second = make_employer()
    link = services.link_request(actor=applicant, employer_code=second.employer.code)
    services.link_confirm(actor=second, link_id=link.pk)
    assert Application.objects.get(pk=app.pk).employer == second.employer
