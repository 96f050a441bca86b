"""Rounds: creation with its checks and audit event; which round is current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput
from jifen.core.roles import Role
from jifen.rounds import models, services
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round
from jifen.rounds.services import round_create
from jifen.rules.ruleset import _read, compile_rule_set
from tests.factories import make_round, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau():
    return make_staff(Role.BUREAU_ADMIN)


def window(days_ago: int = 10, days_ahead: int = 20):
    now = timezone.now()
    return now - timedelta(days=days_ago), now + timedelta(days=days_ahead)


@contextmanager
def refused(*fields: str) -> Iterator[pytest.ExceptionInfo[InvalidInput]]:
    """InvalidInput naming exactly ``fields``, with nothing written."""
    counts = (Round.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as info:
        yield info
    assert {e.field for e in info.value.errors} == set(fields), info.value.errors
    assert (Round.objects.count(), AuditEvent.objects.count()) == counts


def test_round_create(bureau) -> None:
    opens, closes = window()
    with audit_context(ip="10.1.2.3"):
        rnd = round_create(actor=bureau, year=2026, opens=opens, closes=closes, quota=6000)
    rnd.refresh_from_db()
    assert (rnd.year, rnd.rule_set, rnd.quota) == (2026, "beijing-2020", 6000)
    assert (rnd.declaration_opens, rnd.declaration_closes) == (opens, closes)
    assert rnd.declaration_open()
    event = AuditEvent.objects.get(action="round.create")
    assert (event.actor, event.ip) == (bureau, "10.1.2.3")
    assert (event.target_type, event.target_id) == ("rounds.round", str(rnd.pk))
    windows = event.after.pop("windows")
    assert event.after == {"year": 2026, "rule_set": "beijing-2020", "quota": 6000,
                           "opens": opens.isoformat(), "closes": closes.isoformat(),
                           "verification_days": {}}
    # Every phase's window, the unscheduled ones from the default schedule.
    assert windows["scoring_opens"] == rnd.scoring_opens.isoformat()
    assert len(windows) == 16


@pytest.mark.parametrize("year,rule_set", [(2018, "beijing-2016"), (2019, "beijing-2016"),
                                           (2020, "beijing-2020"), (2031, "beijing-2020")])
def test_the_rule_set_follows_the_year(bureau, year: int, rule_set: str) -> None:
    opens, closes = window()
    assert round_create(actor=bureau, year=year, opens=opens, closes=closes).rule_set == rule_set


def _rule_set_with_quota(quota: int):  # type: ignore[no-untyped-def]
    data = _read("beijing-2020")
    data["ranking"]["quota"] = quota
    return compile_rule_set(data)


def test_the_quota_is_the_rule_sets_unless_given(bureau, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    opens, closes = window()
    assert round_create(actor=bureau, year=2026, opens=opens, closes=closes).quota == 6000
    # A rule set whose ranking.quota is another number: that number, no code change.
    monkeypatch.setattr(services, "load_rule_set", lambda name: _rule_set_with_quota(4321))
    rnd = round_create(actor=bureau, year=2027, opens=opens, closes=closes)
    assert Round.objects.get(pk=rnd.pk).quota == 4321
    assert round_create(actor=bureau, year=2028, opens=opens, closes=closes, quota=17).quota == 17
    # A round made without the service still gets the (newest) rule set's quota.
    monkeypatch.setattr(models, "newest_rule_set", lambda: _rule_set_with_quota(5555))
    made = Round.objects.create(year=2029, rule_set="beijing-2020", declaration_opens=opens,
                                declaration_closes=closes)
    assert made.quota == 5555


def test_an_unknown_rule_set_is_named_once(bureau) -> None:
    opens, closes = window()
    with refused("rule_set"):
        round_create(actor=bureau, year=2026, opens=opens, closes=closes, rule_set="nope")


def test_a_rule_set_can_be_named(bureau) -> None:
    opens, closes = window()
    rnd = round_create(actor=bureau, year=2021, opens=opens, closes=closes,
                       rule_set="beijing-2016")
    assert rnd.rule_set == "beijing-2016"


def test_an_unknown_rule_set(bureau) -> None:
    opens, closes = window()
    with refused("rule_set"):
        round_create(actor=bureau, year=2026, opens=opens, closes=closes, rule_set="shanghai")


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(seconds=-1), timedelta(days=-30)])
def test_the_window_must_close_after_it_opens(bureau, gap: timedelta) -> None:
    opens = timezone.now()
    with refused("declaration_closes") as info:
        round_create(actor=bureau, year=2026, opens=opens, closes=opens + gap)
    assert info.value.errors[0].message == "申报截止时间必须晚于开始时间"


@pytest.mark.parametrize("quota", [0, -5])
def test_the_quota_must_be_positive(bureau, quota: int) -> None:
    opens, closes = window()
    with refused("quota"):
        round_create(actor=bureau, year=2026, opens=opens, closes=closes, quota=quota)


def test_one_round_per_year(bureau) -> None:
    opens, closes = window()
    round_create(actor=bureau, year=2026, opens=opens, closes=closes)
    with refused("year") as info:
        round_create(actor=bureau, year=2026, opens=opens, closes=closes)
    assert info.value.errors[0].message == "2026年度已存在"


def test_a_year_before_the_earliest_rule_set(bureau) -> None:
    opens, closes = window()
    with refused("year") as info:
        round_create(actor=bureau, year=2017, opens=opens, closes=closes)
    assert "2018" in info.value.message  # names the earliest year there are rules for


def test_all_problems_at_once(bureau) -> None:
    round_create(actor=bureau, year=2026, opens=window()[0], closes=window()[1])
    opens = timezone.now()
    with refused("year", "declaration_closes", "quota"):
        round_create(actor=bureau, year=2026, opens=opens, closes=opens, quota=0)


def test_the_database_keeps_the_window_ordered() -> None:
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(year=2026, rule_set="beijing-2020", declaration_opens=now,
                             declaration_closes=now)


def test_declaration_open_is_half_open() -> None:
    rnd = make_round(2026)
    assert rnd.declaration_open(rnd.declaration_opens)
    assert not rnd.declaration_open(rnd.declaration_closes)
    assert not rnd.declaration_open(rnd.declaration_opens - timedelta(seconds=1))
    assert str(rnd) == "2026年积分落户"


# --- the current round ----------------------------------------------------------------------


def test_no_round() -> None:
    assert current_round() is None


def test_the_open_round_is_current_even_when_a_newer_one_exists() -> None:
    now = timezone.now()
    Round.objects.create(year=2027, rule_set="beijing-2020",
                         declaration_opens=now + timedelta(days=300),
                         declaration_closes=now + timedelta(days=330))
    make_round(2025, open_now=False)
    open_round = make_round(2026)
    assert current_round() == open_round


def test_without_an_open_round_the_newest_is_current() -> None:
    make_round(2024, open_now=False)
    newest = make_round(2025, open_now=False)
    assert current_round() == newest


def test_of_two_open_rounds_the_newer_is_current() -> None:
    make_round(2025)
    newer = make_round(2026)
    assert current_round() == newer
