"""Selectors: newest first, filtered by target, actor, action, kind and time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jifen.audit import selectors
from jifen.audit.services import record_access, record_event

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
