"""An employer agent or a staff member opening a declaration is an access event naming the
sections shown; the applicant's own reads are not logged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jifen.accounts.models import User
from jifen.api.models import ApiToken
from jifen.applications.declaration import SECTION_KEYS
from jifen.applications.models import Application
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from tests.factories import (
    employer_submitted,
    make_staff,
    verify_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> tuple[User, User, Application]:
    """An applicant, their employer's agent, and a declaration passed on to the departments."""
    return employer_submitted()


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind="access", field="declaration").order_by("seq"))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    if user.is_staff_role:
        verify_second_factor(client, user)
    return client


def bearer(user: User) -> dict[str, str]:
    _row, token = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_employers_review_page_is_a_logged_read(people) -> None:
    _applicant, agent, app = people
    url = reverse("applications:employer_application", args=[app.pk])
    response = client_for(agent).get(url, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 200
    [event] = reads()
    assert (event.actor, event.action) == (agent, "applications.application.view")
    assert (event.target_type, event.target_id) == ("applications.application", str(app.pk))
    assert event.detail == ",".join(SECTION_KEYS)
    assert (event.ip, event.channel) == ("10.0.0.8", "web")


def test_a_reviewers_read_names_only_the_departments_sections(people) -> None:
    _applicant, _agent, app = people
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    response = client_for(reviewer).get(reverse("staff:application", args=[app.pk]))
    assert response.status_code == 200
    [event] = reads()
    assert event.actor == reviewer and event.actor_role == Role.REVIEWER
    assert event.detail == "tax,violations"


def test_api_reads_by_the_employer_are_logged_the_applicants_are_not(people) -> None:
    applicant, agent, app = people
    client = Client()
    assert client.get(f"/api/applications/{app.pk}", **bearer(applicant)).status_code == 200
    assert client.get(reverse("applications:declaration", args=[app.pk]),
                      follow=True).status_code == 200  # anonymous: the login page
    own = client_for(applicant)
    assert own.get(reverse("applications:declaration", args=[app.pk]),
                   follow=True).status_code == 200
    assert reads() == []

    response = client.get(f"/api/employer/applications/{app.pk}", **bearer(agent))
    assert response.status_code == 200
    response = client.get(f"/api/applications/{app.pk}", **bearer(agent))
    assert response.status_code == 200
    assert [(e.actor, e.channel, e.detail) for e in reads()] == [
        (agent, "api", ",".join(SECTION_KEYS)),
    ] * 2


def test_a_refused_read_is_not_a_read(people) -> None:
    _applicant, _agent, app = people
    auditor = make_staff(Role.AUDITOR)
    assert client_for(auditor).get(reverse("staff:application", args=[app.pk])).status_code == 404
    assert reads() == []
    assert AuditEvent.objects.filter(kind="refusal", actor=auditor).count() == 1
