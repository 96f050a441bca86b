"""The applicant is told in the message centre (站内消息) when the first result is out, when it
changes, and when a re-check is answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from jifen.core.roles import Department, Role
from jifen.inbox.models import Message
from jifen.review import ledger, recheck
from jifen.review.models import Action, Dispute, VerificationItem
from jifen.review.results import score_completed
from tests.factories import employer_submitted, make_staff
from tests.review.results_world import TAX_DECLARED_ROWS, decide, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        yield tmp_path / "evidence"


def test_the_result_is_announced_once_to_its_applicant() -> None:
    w = world()
    [message] = Message.objects.filter(recipient=w.applicant)
    assert message.subject == "您的积分初核结果已发布"
    assert message.link == "/review/my/2026/" and message.category == "result"
    assert "您2026年度积分落户申报的各项信息已完成部门核验" in message.body
    assert Message.objects.count() == 1  # nobody else is told
    assert score_completed([w.app.pk]) == [] and Message.objects.count() == 1


def test_a_changed_result_is_announced_as_such() -> None:
    w = world()
    item = VerificationItem.objects.get(application=w.app, kind="honours")
    ledger.append(item, action=Action.REJECT, source="reviewer", value=[],
                  reason="无劳动模范表彰记录")
    score_completed([w.app.pk])
    subjects = list(Message.objects.filter(recipient=w.applicant).order_by("id")
                    .values_list("subject", flat=True))
    assert subjects == ["您的积分初核结果已发布", "您的积分初核结果已更新"]


def test_many_results_at_once_each_reach_their_applicant() -> None:
    first, _, app = employer_submitted(2026)  # makes the round the others join
    apps = [(first, app)]
    apps += [(applicant, app) for applicant, _, app in (_another(), _another())]
    for _, app in apps:
        decide(app, differ=False)
    made = score_completed([app.pk for _, app in apps])
    assert len(made) == 3
    for applicant, _ in apps:
        assert Message.objects.filter(recipient=applicant,
                                      subject="您的积分初核结果已发布").count() == 1


def _another():
    from jifen.applications import services
    from tests.factories import fill_declaration, linked_pair

    applicant, agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    app = services.application_employer_submit(actor=agent, application_id=app.pk,
                                               version=app.version)
    return applicant, agent, app


def test_the_answer_and_the_new_score_are_told() -> None:
    w = world()
    recheck.recheck_request(actor=w.applicant, application_id=w.app.pk,
                            disputes=[{"kind": "tax", "statement": "附完税证明"},
                                      {"kind": "housing", "statement": "合同已备案"}])
    recheck.dispute_answer(
        actor=make_staff(Role.REVIEWER, Department.TAX),
        dispute_id=Dispute.objects.get(item__kind="tax").pk, outcome="changed",
        reason="完税证明属实", value=TAX_DECLARED_ROWS,
    )
    recheck.dispute_answer(
        actor=make_staff(Role.REVIEWER, Department.HOUSING),
        dispute_id=Dispute.objects.get(item__kind="housing").pk, outcome="upheld",
        reason="备案系统中没有该合同",
    )
    messages = list(Message.objects.filter(recipient=w.applicant).order_by("id"))
    assert [m.subject for m in messages] == [
        "您的积分初核结果已发布", "您的复查申请已答复", "您的复查申请已答复"]
    tax, housing = messages[1], messages[2]
    assert tax.category == "recheck" and tax.link == "/review/my/2026/"
    assert tax.body.splitlines() == [
        "您对“个人所得税”核验结果的复查申请已答复：变更核验结果。",
        "答复理由：完税证明属实",
        "复查后您的初核总分为 137.00 分（原 135.00 分）。",
    ]
    assert housing.body.splitlines() == [
        "您对“住所”核验结果的复查申请已答复：维持原核验结果。",
        "答复理由：备案系统中没有该合同",
        "复查后您的初核总分为 137.00 分。",
    ]
