"""The demo's past round (2022): run through every phase by the real services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jifen.demo.loader import load_demo
from jifen.demo.past_round import YEAR
from jifen.publication.models import Objection, ObjectionState, Publication, Settlement
from jifen.rounds import phases
from jifen.rounds.models import RankedResult, Round, RunState, ScoringRun

pytestmark = pytest.mark.django_db


def test_the_past_round_is_scored_published_objected_and_settling():
    load_demo()
    rnd = Round.objects.get(year=YEAR)
    size = 40  # the test settings' DEMO_PAST_ROUND_SIZE
    assert rnd.quota == 2  # 6,000 places for 120,000 applicants, scaled to the demo's size
    run = rnd.current_run
    assert run is not None and run.state == RunState.DONE
    # Scored twice (an objection corrected a record): both runs done, only the current one's
    # rows kept.
    assert ScoringRun.objects.filter(round=rnd, kind="score", state=RunState.DONE).count() == 2
    assert RankedResult.objects.filter(run__round=rnd).exclude(run=run).count() == 0
    assert RankedResult.objects.filter(run=run).count() == size
    admitted = RankedResult.objects.filter(run=run, admitted=True)
    assert admitted.count() == run.admitted >= rnd.quota
    assert all(r.total >= run.line for r in admitted)
    # Published (re-published after the correction), on show now, settlement begun.
    assert Publication.objects.filter(round=rnd).exists()
    now = timezone.now()
    assert phases.is_open(rnd, phases.Phase.PUBLICATION, now)
    assert phases.is_open(rnd, phases.Phase.SETTLEMENT, now)
    assert not phases.is_open(rnd, phases.Phase.VERIFICATION, now)
    states = sorted(Objection.objects.filter(round=rnd).values_list("state", flat=True))
    assert states == sorted(
        [ObjectionState.ANSWERED, ObjectionState.ANSWERED, ObjectionState.CHECKING]
    )
    corrected = Objection.objects.get(round=rnd, decision__isnull=False)
    assert corrected.state == ObjectionState.ANSWERED and "重新公示" in corrected.answer
    assert sorted(Settlement.objects.filter(round=rnd).values_list("state", flat=True)) == [
        "given_up",
        "settled",
    ]
