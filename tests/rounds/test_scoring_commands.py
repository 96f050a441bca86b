"""manage.py score_round and round_results (rank, admitted, --summary): the exact JSON."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jifen.rounds.models import RankedResult, Round, RunState, ScoringRun
from tests.rounds.scoring_world import add_unverified, add_verified, base_world, open_scoring

pytestmark = pytest.mark.django_db


def call(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_score_round_prints_the_summary_last_and_round_results_fills_rank() -> None:
    base = base_world()  # 140.75
    rnd = open_scoring(base.app.round)
    add_verified(base, "26900002", "no_innovation")  # 136.75
    add_verified(base, "26900003", "low_tax")  # 136.75
    add_verified(base, "26900004", "bare")  # 116.75
    add_verified(base, "26900005", "criminal")
    add_unverified(base, "26900006")
    Round.objects.filter(pk=rnd.pk).update(quota=2)

    out = call("score_round", "--year", "2026", "--workers", "1")
    summary = json.loads(out.splitlines()[-1])
    run = ScoringRun.objects.get()
    assert list(summary) == [
        "year",
        "applications",
        "scored",
        "eligible",
        "incomplete",
        "line",
        "admitted",
        "run",
    ]
    assert summary == {
        "year": 2026,
        "applications": 6,
        "scored": 5,
        "eligible": 4,
        "incomplete": 1,
        "line": 136.75,
        "admitted": 3,
        "run": run.pk,
    }
    assert out.splitlines()[-1] == json.dumps(summary, separators=(",", ":"))
    assert len(out.splitlines()) == 1  # no progress bar when stdout is not a terminal

    lines = [json.loads(x) for x in call("round_results", "--year", "2026").splitlines()]
    by_no = {r["application_no"]: r for r in lines}
    assert list(lines[0]) == [
        "application_no",
        "eligible",
        "reasons",
        "total",
        "indicators",
        "rank",
        "admitted",
    ]
    assert [r["application_no"] for r in lines] == sorted(by_no)  # the order is kept
    assert (by_no[base.app.number]["rank"], by_no[base.app.number]["admitted"]) == (1, True)
    assert (by_no["26900002"]["rank"], by_no["26900002"]["admitted"]) == (2, True)
    assert (by_no["26900003"]["rank"], by_no["26900003"]["admitted"]) == (2, True)
    assert (by_no["26900004"]["rank"], by_no["26900004"]["admitted"]) == (4, False)
    assert (by_no["26900005"]["rank"], by_no["26900005"]["admitted"]) == (None, None)
    assert "26900006" not in by_no  # no first result: not a line, as before

    s = json.loads(call("round_results", "--year", "2026", "--summary"))
    assert s == {"applications": 6, "scored": 5, "eligible": 4, "line": 136.75, "admitted": 3}
    assert list(s) == ["applications", "scored", "eligible", "line", "admitted"]


def test_round_results_without_a_run() -> None:
    base = base_world()
    add_verified(base, "26900002", "criminal")
    add_unverified(base, "26900003")
    lines = [json.loads(x) for x in call("round_results", "--year", "2026").splitlines()]
    assert {(r["rank"], r["admitted"]) for r in lines} == {(None, None)}
    s = json.loads(call("round_results", "--year", "2026", "--summary"))
    assert s == {"applications": 3, "scored": 2, "eligible": 1, "line": None, "admitted": None}


def test_score_round_refuses_outside_scoring_and_publication_in_chinese() -> None:
    base = base_world()
    with pytest.raises(CommandError) as refused:
        call("score_round", "--year", "2026")
    assert refused.value.returncode == 1
    assert "积分评定只能在积分评定阶段或公示与异议阶段进行" in str(refused.value)
    assert "2026年度积分评定阶段为" in str(refused.value)
    assert not ScoringRun.objects.exists()
    # In the publication phase (a re-run after an objection) it runs.
    rnd = base.app.round
    now = timezone.now()
    rnd.publication_opens, rnd.publication_closes = now - timedelta(days=1), now + timedelta(days=3)
    rnd.save()
    summary = json.loads(call("score_round", "--year", "2026").splitlines()[-1])
    assert summary["admitted"] == 1 and summary["line"] == 140.75


def test_score_round_refuses_a_second_run_and_a_missing_year() -> None:
    base = base_world()
    rnd = open_scoring(base.app.round)
    ScoringRun.objects.create(round=rnd, state=RunState.RUNNING)
    with pytest.raises(CommandError) as busy:
        call("score_round", "--year", "2026")
    assert "已有一个积分评定批次" in str(busy.value)
    with pytest.raises(CommandError) as missing:
        call("score_round", "--year", "2031")
    assert "没有 2031 年度" in str(missing.value)


def test_score_round_with_two_worker_processes() -> None:
    base = base_world()
    open_scoring(base.app.round)
    for n in range(2, 9):
        add_verified(base, f"2690000{n}", "bare" if n % 2 else "no_honours")
    import jifen.rounds.scoring as scoring

    old = scoring.CHUNK
    scoring.CHUNK = 2
    try:
        summary = json.loads(call("score_round", "--year", "2026", "--workers", "2"))
    finally:
        scoring.CHUNK = old
    assert summary["applications"] == summary["eligible"] == 8
    ranks = list(
        RankedResult.objects.filter(run_id=summary["run"])
        .order_by("position")
        .values_list("rank", flat=True)
    )
    assert ranks == [1, 2, 2, 2, 2, 6, 6, 6]
