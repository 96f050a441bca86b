"""Selectors: newest first, filtered by target, actor (or username), action, kind and time;
the auditor's search by calendar days, for auditors only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from jifen.audit import selectors
from jifen.audit.services import record_access, record_event
from jifen.core.errors import NotPermitted
from jifen.core.roles import Department, Role
from tests.factories import make_applicant, make_employer, make_staff

pytestmark = pytest.mark.django_db


def test_events_for_target_newest_first(make_user) -> None:
    applicant = make_user()
    first = record_event(actor=None, action="a.create", target=applicant)
    record_event(actor=None, action="a.other", target_type="x.y", target_id=str(applicant.pk))
    second = record_access(actor=None, target=applicant, field="identity_number")
    found = selectors.events_for_target(applicant._meta.label_lower, applicant.pk)
    assert list(found) == [second, first]


def test_events_filters(make_user) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    a1 = record_event(actor=alice, action="application.submit")
    b1 = record_event(actor=bob, action="application.submit")
    a2 = record_access(actor=alice, target=bob, field="phone")
    a3 = record_event(actor=alice, action="application.withdraw")

    assert list(selectors.events()) == [a3, a2, b1, a1]
    assert list(selectors.events(actor=alice)) == [a3, a2, a1]
    assert list(selectors.events(action="application.submit")) == [b1, a1]
    assert list(selectors.events(kind="access")) == [a2]
    assert list(selectors.events(actor=alice, kind="change")) == [a3, a1]

    now = timezone.now()
    assert list(selectors.events(since=now + dt.timedelta(seconds=1))) == []
    assert list(selectors.events(until=now + dt.timedelta(seconds=1))) == [a3, a2, b1, a1]
    assert list(selectors.events(since=b1.at, until=a3.at)) == [a2, b1]


def test_events_by_actor_username(make_user) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    a1 = record_event(actor=alice, action="application.submit")
    record_event(actor=bob, action="application.submit")
    a2 = record_event(actor=alice, action="application.withdraw")

    assert list(selectors.events(actor_username="alice")) == [a2, a1]
    assert list(selectors.events(actor_username="alice", action="application.submit")) == [a1]
    assert list(selectors.events(actor_username="nobody")) == []
    assert selectors.events(actor_username="").count() == 3  # no filter
    assert list(selectors.events(actor=bob, actor_username="alice")) == []


def test_events_by_the_username_of_a_deleted_account(make_user) -> None:
    gone = make_user("gone")
    kept = record_event(actor=gone, action="application.submit")
    record_event(actor=make_user("stays"), action="application.submit")
    gone.delete()  # the event keeps actor_name; actor becomes NULL

    assert list(selectors.events(actor_username="gone")) == [kept]


def test_action_names_once_each_in_order(make_user) -> None:
    alice = make_user()
    for action in ("b.two", "a.one", "b.two", "c.three"):
        record_event(actor=alice, action=action)
    assert selectors.action_names() == ["a.one", "b.two", "c.three"]


def test_events_for_auditor_filters_by_calendar_days(make_user) -> None:
    auditor = make_user("auditor", role=Role.AUDITOR)  # no audit event of its own
    alice = make_user("alice")
    a1 = record_event(actor=alice, action="application.submit")
    a2 = record_access(actor=alice, target=auditor, field="phone")
    today = timezone.localdate()
    day = dt.timedelta(days=1)

    assert list(selectors.events_for_auditor(auditor)) == [a2, a1]
    assert list(selectors.events_for_auditor(auditor, date_from=today, date_to=today)) == [a2, a1]
    assert list(selectors.events_for_auditor(auditor, date_to=today - day)) == []
    assert list(selectors.events_for_auditor(auditor, date_from=today + day)) == []
    assert list(
        selectors.events_for_auditor(auditor, actor_username="alice", kind="access")
    ) == [a2]
    assert list(selectors.events_for_auditor(auditor, action="application.submit")) == [a1]


def test_events_for_auditor_refuses_everyone_else(make_user) -> None:
    record_event(actor=None, action="application.submit")
    others = [
        make_applicant(),
        make_employer(),
        make_staff(Role.REVIEWER, Department.TAX),
        make_staff(Role.BUREAU_ADMIN),
        make_staff(Role.OPERATOR),
        make_staff(Role.SECURITY_ADMIN),
        make_user("no-role"),
        AnonymousUser(),
    ]
    for user in others:
        with pytest.raises(NotPermitted):
            selectors.events_for_auditor(user)
