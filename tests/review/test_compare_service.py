"""The comparison service: its bulk writes (ledger.append_comparisons: rows as the ORM would
write them, the items following their newest comparison row, in one call or in batches, with
and without SQLite's UPDATE ... FROM) and the hooks called with each batch of new results."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jifen.review import comparisons, ledger, records
from jifen.review.comparisons import run_comparison, start_run
from jifen.review.kinds import KINDS
from jifen.review.models import Action, Decision, FirstResult, ItemState, VerificationItem
from jifen.review.sources import FileSource
from jifen.rounds.models import Round
from tests.review.compare_helpers import csv_bytes, two_submitted

pytestmark = pytest.mark.django_db

VALUE = [{"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"}]


def _entries(items, matched):
    return [
        ledger.ComparedItem(i.pk, i.application_id, i.latest_decision_id, VALUE if m else [], m)
        for i, m in zip(items, matched, strict=True)
    ]


@pytest.mark.parametrize("update_from", [True, False])
def test_comparison_rows_and_the_items_that_follow_them(monkeypatch, update_from):
    if not update_from:
        monkeypatch.setattr(ledger, "update_from_supported", lambda: False)
    two_submitted()
    items = list(VerificationItem.objects.filter(kind="housing").order_by("application_id"))
    reviewer_decision = ledger.append(
        items[1], action=Action.CONFIRM, source="reviewer", value=VALUE
    )
    items[1].refresh_from_db()
    first = start_run(round_=Round.objects.get(), kind="housing")
    now = timezone.now()
    # Two batches of one comparison.
    ledger.append_comparisons(_entries(items[:1], [True]), kind="housing", comparison=first,
                              now=now)
    ledger.append_comparisons(_entries(items[1:], [False]), kind="housing", comparison=first,
                              now=now)
    rows = list(Decision.objects.filter(comparison=first).order_by("id"))
    assert [(d.item_id, d.matched, d.value, d.action, d.source) for d in rows] == [
        (items[0].pk, True, VALUE, Action.COMPARE, "comparison"),
        (items[1].pk, False, [], Action.COMPARE, "comparison"),
    ]
    assert rows[0].supersedes_id is None and rows[1].supersedes_id == reviewer_decision.pk
    assert rows[0].created_at == now and rows[0].reason == "" and rows[0].actor_id is None
    for item, row, state in zip(items, rows, (ItemState.MATCHED, ItemState.DIFFERENT),
                                strict=True):
        item.refresh_from_db()
        assert (item.state, item.matched, item.latest_decision_id, item.decided_at) == (
            state, row.matched, row.pk, now
        )
    # Other kinds of the same applications are untouched.
    assert set(VerificationItem.objects.exclude(kind="housing").values_list(
        "state", flat=True)) == {ItemState.WAITING}


def test_the_last_kind_scores_in_batches_and_tells_each_applicant(monkeypatch, tmp_path):
    from jifen.inbox.models import Message

    a, b = two_submitted()
    rnd = Round.objects.get()
    # Every kind but permits decided already (nothing on record).
    for item in VerificationItem.objects.exclude(kind="permits"):
        ledger.append(item, action=Action.CONFIRM, source="reviewer",
                      value=records.empty(item.kind))
    monkeypatch.setattr(comparisons, "SCORE_CHUNK", 1)
    path = tmp_path / "permits.csv"
    path.write_bytes(csv_bytes(["id_number"], [[a.applicant.id_number]]))
    run = run_comparison(start_run(round_=rnd, kind="permits"), FileSource(path, "permits"))
    assert run.state == "done" and run.stage == "done"
    for app in (a, b):
        [message] = Message.objects.filter(recipient=app.applicant.user, category="result")
        assert message.subject == "您的积分初核结果已发布"
    assert FirstResult.objects.count() == 2 and len(KINDS) == 11
    # b holds no permit on record: not eligible.
    assert FirstResult.objects.get(application=b).eligible is False
