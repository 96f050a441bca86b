"""manage.py round_results: one JSON object a line, exactly the public shape."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jifen.applications import services
from jifen.core.roles import Department, Role
from jifen.review import ledger, recheck
from jifen.review.models import Action, Dispute, VerificationItem
from jifen.review.results import score_completed
from tests.factories import (
    employer_submitted,
    fill_declaration,
    linked_pair,
    make_round,
    make_staff,
)
from tests.review.results_world import TAX_DECLARED_ROWS, decide, world

pytestmark = pytest.mark.django_db

KEYS = ["application_no", "eligible", "reasons", "total", "indicators", "rank", "admitted"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("round_results", *args, stdout=out)
    return out.getvalue()


def test_one_line_per_application_with_a_result_by_number() -> None:
    first = world()  # 135.00, housing and tax verified lower
    # A second applicant of the same round, decided as declared; a third not decided at all.
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    app = services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    app = services.application_employer_submit(actor=agent, application_id=app.pk,
                                               version=app.version)
    decide(app, differ=False)
    score_completed([app.pk])
    other, _ = linked_pair()
    pending = fill_declaration(other, services.application_start(actor=other))
    services.application_submit(actor=other, application_id=pending.pk,
                                version=pending.version)

    lines = run("--year", "2026").splitlines()
    assert len(lines) == 2
    rows = [json.loads(line) for line in lines]
    assert [list(r) for r in rows] == [KEYS, KEYS]
    assert [r["application_no"] for r in rows] == sorted([first.app.number, app.number])
    by_no = {r["application_no"]: r for r in rows}
    assert by_no[first.app.number] == {
        "application_no": first.app.number,
        "eligible": True,
        "reasons": [],
        "total": 135.0,
        "indicators": {
            "employment": 52.0, "housing": 10.0, "education": 15.0, "study_deduction": 0.0,
            "area": 12.0, "innovation": 4.0, "tax": 2.0, "age": 20.0, "honours": 20.0,
            "law": 0.0,
        },
        "rank": None,
        "admitted": None,
    }
    assert by_no[app.number]["total"] == 140.75
    # Compact JSON, one object a line: the exact bytes of the first line.
    assert lines[0] == json.dumps(rows[0], ensure_ascii=False, separators=(",", ":"))


def test_the_newest_result_counts() -> None:
    w = world()
    recheck.recheck_request(actor=w.applicant, application_id=w.app.pk,
                            disputes=[{"kind": "tax", "statement": "附完税证明"}])
    recheck.dispute_answer(
        actor=make_staff(Role.REVIEWER, Department.TAX),
        dispute_id=Dispute.objects.get().pk, outcome="changed", reason="完税证明属实",
        value=TAX_DECLARED_ROWS,
    )
    [line] = run("--year", "2026").splitlines()
    row = json.loads(line)
    assert row["total"] == 137.0 and row["indicators"]["tax"] == 4.0


def test_an_ineligible_result_keeps_the_english_reasons() -> None:
    _, _, app = employer_submitted()
    decide(app, differ=False)
    ledger.append(VerificationItem.objects.get(application=app, kind="criminal_records"),
                  action=Action.CORRECT, source="reviewer", value=True, reason="有刑事犯罪记录")
    [result] = score_completed([app.pk])
    [line] = run("--year", "2026").splitlines()
    row = json.loads(line)
    assert row["eligible"] is False and row["reasons"] == result.result["reasons"]
    assert row["reasons"] == ["criminal record (刑事犯罪记录)"]  # not the page's Chinese
    assert row["reasons"] != result.reasons_zh


def test_numbers_have_at_most_two_decimals() -> None:
    from jifen.review.management.commands.round_results import line_of

    row = line_of("26000001", {"eligible": True, "reasons": [], "total": 1 / 3,
                               "indicators": {"housing": 2 / 3, "tax": 4}})
    assert row["total"] == 0.33 and row["indicators"] == {"housing": 0.67, "tax": 4.0}


def test_an_empty_round_prints_nothing() -> None:
    make_round(2027)
    assert run("--year", "2027") == ""


def test_a_missing_round_exits_1() -> None:
    with pytest.raises(CommandError) as exc:
        run("--year", "2031")
    assert exc.value.returncode == 1 and str(exc.value) == "没有 2031 年度的积分落户年度"
