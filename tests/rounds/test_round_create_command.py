"""manage.py round_create: the round, its JSON line, and exit status 1 naming the option."""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.rounds.management.commands.round_create import DEFAULT_WINDOW_DAYS
from jifen.rounds.models import Round
from jifen.rules.ruleset import load_rule_set

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[dict, str]:
    out = io.StringIO()
    call_command("round_create", *args, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    return json.loads(text.splitlines()[-1]), text


def refused(*args: str) -> list[str]:
    """The error lines of a refused call, after checking that nothing was written."""
    counts = (Round.objects.count(), AuditEvent.objects.count())
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("round_create", *args, stdout=io.StringIO(), stderr=err)
    assert info.value.returncode == 1
    assert (Round.objects.count(), AuditEvent.objects.count()) == counts
    return err.getvalue().splitlines()


def test_creates_the_round_and_prints_its_json() -> None:
    summary, _ = run("--year", "2026", "--quota", "6000")
    rnd = Round.objects.get(year=2026)
    assert summary == {"year": 2026, "rule_set": "beijing-2020", "quota": 6000, "id": rnd.pk}
    event = AuditEvent.objects.get(action="round.create")
    assert event.actor is None and event.channel == "cli"
    assert event.after["quota"] == 6000


def test_defaults_the_rule_sets_quota_and_a_window_from_today() -> None:
    summary, _ = run("--year", "2019")
    rnd = Round.objects.get(year=2019)
    assert summary["rule_set"] == "beijing-2016"
    assert summary["quota"] == rnd.quota == load_rule_set("beijing-2016").quota
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time()))
    assert rnd.declaration_opens == start
    assert rnd.declaration_closes == start + timedelta(days=DEFAULT_WINDOW_DAYS)
    assert rnd.declaration_open()


def test_a_named_rule_set_and_window() -> None:
    summary, _ = run("--year", "2026", "--quota", "100", "--rule-set", "beijing-2016",
                     "--opens", "2026-05-01", "--closes", "2026-05-31")
    rnd = Round.objects.get(year=2026)
    assert (summary["rule_set"], summary["quota"]) == ("beijing-2016", 100)
    # Dates are Beijing days: from the start of the first to the end of the last.
    assert timezone.localtime(rnd.declaration_opens).isoformat() == "2026-05-01T00:00:00+08:00"
    assert timezone.localtime(rnd.declaration_closes).isoformat() == "2026-06-01T00:00:00+08:00"


def test_a_window_with_times() -> None:
    run("--year", "2026", "--opens", "2026-05-01T09:00", "--closes", "2026-05-31T17:30")
    rnd = Round.objects.get(year=2026)
    assert timezone.localtime(rnd.declaration_closes).isoformat() == "2026-05-31T17:30:00+08:00"


def test_an_existing_year_is_refused() -> None:
    run("--year", "2026", "--quota", "6000")
    assert refused("--year", "2026", "--quota", "6000") == ["--year: 2026年度已存在"]


def test_every_bad_option_is_named() -> None:
    assert refused("--year", "2026", "--quota", "0", "--rule-set", "beijing-1999",
                   "--opens", "2026-05-31", "--closes", "2026-05-01") == [
        "--rule-set: 没有名为 beijing-1999 的积分规则",
        "--closes: 申报截止时间必须晚于开始时间",
        "--quota: 落户指标数必须为正数",
    ]


def test_a_year_without_rules() -> None:
    assert refused("--year", "2017") == ["--year: 2017年度没有适用的积分规则（最早为 2018 年度）"]


def test_a_date_that_is_not_one() -> None:
    with pytest.raises(CommandError, match=r"--opens: 日期格式不正确.*“2026-13-01”") as info:
        call_command("round_create", "--year", "2026", "--opens", "2026-13-01",
                     stdout=io.StringIO())
    assert info.value.returncode == 1
    assert not Round.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    execute_from_command_line(["manage.py", "round_create", "--year", "2026", "--quota", "5"])
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["quota"] == 5
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "round_create", "--year", "2026", "--quota", "5"])
    assert exit_info.value.code == 1
    assert "--year: 2026年度已存在" in capsys.readouterr().err
