"""The staff and employer overviews: counts per status, the bureau's round overview and the
reviewer's queue, each for its own role only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from jifen.accounts.models import User
from jifen.applications import selectors, services
from jifen.applications.models import Application, Status
from jifen.core.errors import NotPermitted
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from tests.factories import fill_declaration, linked_pair, make_applicant, make_round, make_staff

pytestmark = pytest.mark.django_db

ZERO = {s.value: 0 for s in Status}


def declare(applicant: User, *, submit: bool = False) -> Application:
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    if submit:
        app = services.application_submit(actor=applicant, application_id=app.pk,
                                          version=app.version)
    return app


def pass_on(agent: User, app: Application) -> Application:
    return services.application_employer_submit(actor=agent, application_id=app.pk,
                                                version=app.version)


@pytest.fixture
def spread(rnd: Round, applicant: User, agent: User) -> dict[str, Application]:
    """At the same employer: one draft, one submitted, two passed on to the departments
    (``first`` before ``second``). Another employer has one submitted application."""
    drafting = make_applicant()
    submitting = make_applicant()
    second = make_applicant()
    for person in (drafting, submitting, second):
        link = services.link_request(actor=person, employer_code=agent.employer.code)
        services.link_confirm(actor=agent, link_id=link.pk)
    elsewhere, _other_agent = linked_pair()
    return {
        "draft": declare(drafting),
        "submitted": declare(submitting, submit=True),
        "first": pass_on(agent, declare(applicant, submit=True)),
        "second": pass_on(agent, declare(second, submit=True)),
        "elsewhere": declare(elsewhere, submit=True),
    }


# --- status_counts --------------------------------------------------------------------------


def test_status_counts_has_every_status_in_order(rnd: Round) -> None:
    counts = selectors.status_counts(Application.objects.all())
    assert counts == ZERO
    assert list(counts) == [s.value for s in Status]


def test_status_counts_counts_the_queryset_given(spread) -> None:
    assert selectors.status_counts(Application.objects.all()) == {
        **ZERO, Status.DRAFT: 1, Status.SUBMITTED: 2, Status.EMPLOYER_SUBMITTED: 2,
    }
    one = Application.objects.filter(pk=spread["first"].pk)
    assert selectors.status_counts(one) == {**ZERO, Status.EMPLOYER_SUBMITTED: 1}


# --- the employer's counts ------------------------------------------------------------------


def test_employer_counts_are_its_own_without_drafts(agent, spread) -> None:
    assert selectors.employer_status_counts(agent) == {
        **ZERO, Status.SUBMITTED: 1, Status.EMPLOYER_SUBMITTED: 2,
    }
    other_agent = spread["elsewhere"].employer.agents.get()
    assert selectors.employer_status_counts(other_agent) == {**ZERO, Status.SUBMITTED: 1}


def test_employer_counts_are_for_employer_agents(applicant, spread) -> None:
    for user in (applicant, make_staff(Role.BUREAU_ADMIN), AnonymousUser()):
        with pytest.raises(NotPermitted):
            selectors.employer_status_counts(user)


# --- the bureau's overview ------------------------------------------------------------------


def test_round_overview_counts_the_round(rnd, spread) -> None:
    make_applicant()  # registered, no link
    bureau = make_staff(Role.BUREAU_ADMIN)
    pending_from = make_applicant()
    services.link_request(actor=pending_from, employer_code=spread["first"].employer.code)

    overview = selectors.round_overview(bureau, rnd)

    assert overview["status_counts"] == {
        **ZERO, Status.DRAFT: 1, Status.SUBMITTED: 2, Status.EMPLOYER_SUBMITTED: 2,
    }
    assert overview["application_total"] == 5
    assert overview["pending_links"] == 1
    assert overview["confirmed_links"] == 5  # four at the one employer, one elsewhere
    assert overview["employer_count"] == 2
    assert overview["applicant_count"] == 7
    # Newest first, with the employer at hand.
    assert overview["recent_submitted"] == [spread["second"], spread["first"]]
    assert overview["recent_submitted"][0].employer.name


def test_round_overview_lists_a_limited_number_of_recent(rnd, spread, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "RECENT_SUBMITTED_LIMIT", 1)
    overview = selectors.round_overview(make_staff(Role.BUREAU_ADMIN), rnd)
    assert overview["recent_submitted"] == [spread["second"]]


def test_round_overview_of_another_round_counts_none_of_this_one(rnd, spread) -> None:
    older = make_round(2025, open_now=False)
    overview = selectors.round_overview(make_staff(Role.BUREAU_ADMIN), older)
    assert overview["status_counts"] == ZERO
    assert overview["application_total"] == 0
    assert overview["recent_submitted"] == []
    assert overview["confirmed_links"] == 5  # links belong to no round
    assert list(overview["rounds"]) == [rnd, older]


def test_round_overview_without_a_round(db) -> None:
    linked_pair()
    overview = selectors.round_overview(make_staff(Role.BUREAU_ADMIN), None)
    assert overview["status_counts"] == {}
    assert overview["application_total"] == 0
    assert overview["recent_submitted"] == []
    assert overview["confirmed_links"] == 1
    assert (overview["employer_count"], overview["applicant_count"]) == (1, 1)
    assert list(overview["rounds"]) == []


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.OPERATOR,
                                  Role.SECURITY_ADMIN])
def test_round_overview_is_for_the_bureau_only(rnd, role: str) -> None:
    user = make_staff(role, Department.TAX if role == Role.REVIEWER else "")
    with pytest.raises(NotPermitted):
        selectors.round_overview(user, rnd)


def test_round_overview_is_not_for_the_public(rnd, applicant, agent) -> None:
    for user in (applicant, agent, AnonymousUser()):
        with pytest.raises(NotPermitted):
            selectors.round_overview(user, rnd)


# --- the reviewer's queue -------------------------------------------------------------------


@pytest.mark.parametrize("department", [Department.TAX, Department.SERVICE_WINDOW])
def test_reviewer_queue_holds_the_passed_on_oldest_first(rnd, spread, department) -> None:
    reviewer = make_staff(Role.REVIEWER, department)
    queue = selectors.reviewer_queue(reviewer, rnd)
    assert list(queue) == [spread["first"], spread["second"]]
    assert queue[0].employer.name


def test_reviewer_queue_is_empty_for_another_round_or_none(rnd, spread) -> None:
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    assert list(selectors.reviewer_queue(reviewer, make_round(2025, open_now=False))) == []
    assert list(selectors.reviewer_queue(reviewer, None)) == []


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.AUDITOR, Role.OPERATOR,
                                  Role.SECURITY_ADMIN])
def test_reviewer_queue_is_for_reviewers_only(rnd, spread, role: str) -> None:
    with pytest.raises(NotPermitted):
        selectors.reviewer_queue(make_staff(role), rnd)


def test_reviewer_queue_is_not_for_the_public(rnd, applicant, agent) -> None:
    for user in (applicant, agent, AnonymousUser()):
        with pytest.raises(NotPermitted):
            selectors.reviewer_queue(user, rnd)
