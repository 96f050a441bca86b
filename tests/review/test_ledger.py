"""Items open on the employer's submission; the ledger is insert-only; a complete application
gets its first result."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jifen.review import ledger, records
from jifen.review.kinds import KINDS
from jifen.review.models import Action, Decision, FirstResult, ItemState, VerificationItem
from jifen.review.results import score_completed
from tests.factories import FULL_DECLARATION_2026_TOTAL, employer_submitted

pytestmark = pytest.mark.django_db


def test_the_employers_submission_opens_one_item_per_kind() -> None:
    _, _, app = employer_submitted()
    items = VerificationItem.objects.filter(application=app)
    assert sorted(items.values_list("kind", flat=True)) == sorted(KINDS)
    tax = items.get(kind="tax")
    assert tax.department == "tax" and tax.state == ItemState.WAITING
    assert tax.due_on is not None and tax.due_on > tax.opened_at.date()


def _decide_all_as_declared(app) -> None:
    from jifen.applications.selectors import profile_of

    profile = profile_of(app)
    for item in VerificationItem.objects.filter(application=app):
        ledger.append(
            item,
            action=Action.CONFIRM,
            source="reviewer",
            value=records.declared(item.kind, profile),
        )


def test_a_decided_application_is_scored_on_its_verified_profile() -> None:
    _, _, app = employer_submitted()
    assert score_completed([app.pk]) == []  # nothing decided yet
    _decide_all_as_declared(app)
    [result] = score_completed([app.pk])
    assert float(result.total) == FULL_DECLARATION_2026_TOTAL
    assert result.rule_set == "beijing-2020" and result.rule_set_version
    assert len(result.explanation_zh) == 10 and result.profile["application_no"] == app.number
    assert score_completed([app.pk]) == []  # the same decisions: no new result

    housing = VerificationItem.objects.get(application=app, kind="housing")
    ledger.append(housing, action=Action.REJECT, source="reviewer", value=[], reason="无备案")
    [again] = score_completed([app.pk])
    assert again.total < result.total and again.profile["housing"] == []
    assert FirstResult.objects.filter(application=app).count() == 2


def test_a_later_decision_supersedes_and_both_stay() -> None:
    _, _, app = employer_submitted()
    item = VerificationItem.objects.get(application=app, kind="permits")
    first = ledger.append(item, action=Action.CONFIRM, source="reviewer", value=True)
    second = ledger.append(
        item, action=Action.CORRECT, source="reviewer", value=False, reason="居住证已过期"
    )
    item.refresh_from_db()
    assert item.state == ItemState.CORRECTED and item.latest_decision_id == second.pk
    assert second.supersedes_id == first.pk
    assert list(Decision.objects.filter(item=item).values_list("value", flat=True)) == [True, False]


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_changing_or_deleting_a_decision() -> None:
    _, _, app = employer_submitted()
    item = VerificationItem.objects.get(application=app, kind="permits")
    decision = ledger.append(item, action=Action.CONFIRM, source="reviewer", value=True)
    with pytest.raises(ValueError):
        decision.save()
    for sql in (
        "UPDATE review_decision SET reason = 'x' WHERE id = %s",
        "DELETE FROM review_decision WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [decision.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE review_decision CASCADE")
    assert Decision.objects.get(pk=decision.pk).reason == ""


def test_imported_applications_get_their_items(tmp_path) -> None:
    import io

    from django.core.management import call_command

    from jifen.synth import generate, write_profiles
    from tests.factories import make_round

    make_round(2026)
    path = tmp_path / "p.jsonl"
    with path.open("wb") as out:
        write_profiles(generate(30, 2026, 5), out)
    call_command("import_applications", "--year", "2026", str(path), stdout=io.StringIO())
    assert VerificationItem.objects.count() == 30 * len(KINDS)
    assert VerificationItem.objects.filter(due_on__isnull=True).count() == 0
    assert set(VerificationItem.objects.values_list("state", flat=True)) == {ItemState.WAITING}
