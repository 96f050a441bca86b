"""The opening day's busiest pages (bench/load, docs/benchmarks.md) keep their number of
queries: bounded, and not growing with the rows they show (no N+1)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jifen.accounts.models import User
from jifen.applications import services as app_services
from jifen.applications.models import Application, EmploymentLink, LinkStatus
from tests.factories import fill_declaration, make_applicant

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/my/")  # the session's first refresh is written once, not on every page
    return client


def queries(client: Client, method: str, path: str, data: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, data or {})
    assert response.status_code == 200, response.content[:300]
    return len(captured)


@pytest.fixture
def draft(applicant: User) -> Application:
    return fill_declaration(applicant, app_services.application_start(actor=applicant),
                            evidence=False)


def test_the_applicants_pages(applicant: User, draft: Application) -> None:
    client = signed_in(applicant)
    # The session, the user with their profile (one query: AccountBackend), the round, the
    # application, the link, the evidence, the inbox's unread count, the lists on show — and
    # no session write.
    assert queries(client, "get", "/my/") <= 8
    assert queries(client, "get", f"/my/applications/{draft.pk}/sections/employment/") <= 6
    assert queries(client, "get", f"/my/applications/{draft.pk}/assessment/") <= 4
    assert queries(client, "get", "/messages/") <= 4


def test_an_autosave(applicant: User, draft: Application) -> None:
    client = signed_in(applicant)
    year = draft.round.year
    data = {f"tax-{year - 3 + i}": a for i, a in enumerate(("120000", "80000", "150000.50"))}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/my/applications/{draft.pk}/sections/tax/autosave/",
                               {**data, "version": str(draft.version)})
    assert response.status_code == 200
    assert json.loads(response.content)["version"] == draft.version + 1
    # The save itself (lock, update, the audit chain's row) and its answer's evidence check.
    assert len(captured) <= 14


def test_the_employers_queue_does_not_grow_with_its_rows(agent: User, applicant: User) -> None:
    client = signed_in(agent)

    def submitted_by_new_applicant() -> None:
        person = make_applicant()
        EmploymentLink.objects.create(applicant=person.applicant, employer=agent.employer,
                                      status=LinkStatus.CONFIRMED)
        app = fill_declaration(person, app_services.application_start(actor=person))
        app_services.application_submit(actor=person, application_id=app.pk,
                                        version=app.version)

    submitted_by_new_applicant()
    one = queries(client, "get", "/my/employer/?status=submitted")
    for _ in range(4):
        submitted_by_new_applicant()
    five = queries(client, "get", "/my/employer/?status=submitted")
    assert five == one
    assert five <= 9
