"""The reviewers' decisions: confirm, correct, reject, bulk confirm — each a ledger row and an
audit event, only by a reviewer of the item's department, and scoring a completed application."""

from __future__ import annotations

import json

import pytest

from jifen.applications.selectors import profile_of
from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.review import records
from jifen.review.decisions import (
    item_confirm,
    item_correct,
    item_reject,
    items_bulk_confirm,
)
from jifen.review.kinds import KIND_DEPARTMENT, KINDS
from jifen.review.models import Decision, FirstResult, ItemState, VerificationItem
from tests.factories import FULL_DECLARATION_2026_TOTAL, employer_submitted, make_staff

from .queue_helpers import another_submitted, compare, item_of, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return employer_submitted()[2]


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _no_personal_data(event: AuditEvent, app) -> None:
    text = json.dumps([event.before, event.after, event.detail], ensure_ascii=False)
    person = app.applicant
    assert person.name not in text and person.id_number not in text
    assert person.id_number[-6:] not in text


# --- confirm ---------------------------------------------------------------------------------


def test_confirm_without_a_comparison_verifies_the_declared_value(app) -> None:
    housing = item_of(app, "housing")
    user = reviewer(Department.HOUSING)
    decision = item_confirm(actor=user, item_id=housing.pk)
    housing.refresh_from_db()
    assert housing.state == ItemState.CONFIRMED and housing.latest_decision_id == decision.pk
    assert decision.action == "confirm" and decision.source == "reviewer"
    assert decision.actor == user and decision.reason == ""
    assert decision.value == records.declared("housing", profile_of(app))
    assert len(decision.value) == 2
    [event] = _events("review.confirm")
    assert event.actor_id == user.pk
    assert event.target_type == "review.verificationitem" and event.target_id == str(housing.pk)
    assert event.before == {"state": "waiting"}
    assert event.after == {"kind": "housing", "state": "confirmed", "decision": decision.pk}
    _no_personal_data(event, app)


def test_confirm_after_a_comparison_verifies_the_recorded_value(app) -> None:
    housing = item_of(app, "housing")
    recorded = [{"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"}]
    compare(housing, recorded, matched=False)
    decision = item_confirm(actor=reviewer(Department.HOUSING), item_id=housing.pk,
                            reason="以部门记录为准")
    assert decision.value == recorded and decision.reason == "以部门记录为准"
    [event] = _events("review.confirm")
    assert event.before == {"state": "different"}


# --- correct ---------------------------------------------------------------------------------


def test_correct_makes_the_typed_rows_the_verified_value(app) -> None:
    item = item_of(app, "social_insurance")
    user = reviewer(Department.SOCIAL_INSURANCE)
    rows = [
        {"from": "2008-07", "to": "2015-12", "back_paid": "2010-03;2010-04"},
        {"from": "2016-01", "to": "2025-12", "back_paid": ""},
        {"from": "", "to": "", "back_paid": ""},  # an empty row of the page: left out
    ]
    decision = item_correct(actor=user, item_id=item.pk, value=rows, reason="社保记录分两段")
    assert decision.value == [
        {"from": "2008-07", "to": "2015-12", "back_paid": ["2010-03", "2010-04"]},
        {"from": "2016-01", "to": "2025-12", "back_paid": []},
    ]
    assert decision.action == "correct" and decision.reason == "社保记录分两段"
    item.refresh_from_db()
    assert item.state == ItemState.CORRECTED
    [event] = _events("review.correct")
    assert event.after == {"kind": "social_insurance", "state": "corrected",
                           "decision": decision.pk}
    assert "社保记录分两段" not in json.dumps(event.after, ensure_ascii=False)
    _no_personal_data(event, app)


def test_correct_needs_a_reason(app) -> None:
    item = item_of(app, "tax")
    with pytest.raises(InvalidInput) as exc:
        item_correct(actor=reviewer(Department.TAX), item_id=item.pk,
                     value=[{"year": "2023", "amount": "1"}], reason="  ")
    assert exc.value.errors[0].field == "reason"
    assert exc.value.errors[0].message == "请填写更正的理由"
    assert not Decision.objects.filter(item=item).exists()


def test_correct_names_every_bad_row_and_column(app) -> None:
    item = item_of(app, "housing")
    rows = [
        {"kind": "owned", "from": "2016-01", "to": "2025-12", "district": "通州区"},
        {"kind": "castle", "from": "2021-13", "to": "2022-01", "district": "通县"},
        {"kind": "rented", "from": "2019-05", "to": "2018-01", "district": "海淀区"},
    ]
    with pytest.raises(InvalidInput) as exc:
        item_correct(actor=reviewer(Department.HOUSING), item_id=item.pk, value=rows,
                     reason="核对")
    fields = {e.field: e.message for e in exc.value.errors}
    # The same checks and words as the department files' rows (record_files).
    assert set(fields) == {"value[1].kind", "value[1].from", "value[1].district", "value[2].from"}
    assert fields["value[1].from"] == "第 2 行“起始年月”：“2021-13”不是有效的年月（应为 YYYY-MM）"
    assert fields["value[1].district"].startswith("第 2 行“所在区”：") and "通县" in fields[
        "value[1].district"]
    assert fields["value[2].from"].startswith("第 3 行“起始年月”：")
    assert exc.value.message == "更正的核验值有 4 处错误，请按提示修改"
    assert not Decision.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    ("kind", "rows", "field", "message"),
    [
        ("tax", [{"year": "21", "amount": "5"}], "value[0].year", "“21”不是有效的年份"),
        ("tax", [{"year": "2023", "amount": "-5"}], "value[0].amount", "金额不能为负数"),
        ("tax", [{"year": "2023", "amount": "1.005"}], "value[0].amount", "最多两位小数"),
        ("tax_offences", [{"date": "2023-02-30"}], "value[0].date", "不是有效的日期"),
        ("social_insurance", [{"from": "2010-01", "to": "2010-06", "back_paid": "2011-01"}],
         "value[0].back_paid", "不在本行的缴费期间"),
        ("education", [{"level": "bachelor", "degree": "", "full_time": "maybe",
                        "from": "2004-09", "to": "2008-06"}], "value[0].full_time", "是 或 否"),
        ("innovation", [{"code": "award.moon"}], "value[0].code", "award.moon"),
        ("honours", [{"code": "model_worker", "id_number": "110105198803150023"}], "value[0]",
         "不是项目中的一列"),
        ("housing", "not rows", "value", "核验值应为若干行记录"),
        ("permits", "perhaps", "value", "请选择“有”或“无”"),
    ],
)
def test_correct_checks_each_kind_like_the_department_files(app, kind, rows, field, message):
    item = item_of(app, kind)
    with pytest.raises(InvalidInput) as exc:
        item_correct(actor=reviewer(KIND_DEPARTMENT[kind]), item_id=item.pk, value=rows,
                     reason="更正")
    [error] = exc.value.errors
    assert error.field == field and message in error.message


def test_correct_of_a_yes_no_kind_and_of_codes(app) -> None:
    police = reviewer(Department.POLICE)
    permit = item_correct(actor=police, item_id=item_of(app, "permits").pk, value="否",
                          reason="居住证已过期")
    assert permit.value is False
    honours = item_correct(actor=reviewer(Department.HONOURS),
                           item_id=item_of(app, "honours").pk,
                           value=[{"code": "省部级以上劳动模范"}], reason="名称对应代码")
    # The Chinese name of a code is read as its code.
    assert honours.value == ["model_worker"]


def test_the_verified_profile_is_checked_by_the_rules_engine(app) -> None:
    # The last guard before scoring (the row checks catch all this first): what the engine
    # refuses is named by the row it is in.
    from jifen.review.decisions import check_verified_profile

    item = item_of(app, "employment")
    with pytest.raises(InvalidInput) as exc:
        check_verified_profile(item, [{"from": "2008-07", "to": "2008-01", "district": "通州区"}])
    assert exc.value.message == "更正的核验值未通过积分规则校验，请按提示修改"
    assert exc.value.errors[0].field == "value[0].from"
    assert exc.value.errors[0].message.startswith("第 1 行：")


# --- reject ----------------------------------------------------------------------------------


def test_reject_verifies_no_record_and_needs_a_reason(app) -> None:
    item = item_of(app, "honours")
    user = reviewer(Department.HONOURS)
    with pytest.raises(InvalidInput) as exc:
        item_reject(actor=user, item_id=item.pk, reason="")
    assert exc.value.errors[0].field == "reason"
    assert exc.value.errors[0].message == "请填写不予认定的理由"
    decision = item_reject(actor=user, item_id=item.pk, reason="未查到表彰记录")
    assert decision.value == [] and decision.action == "reject"
    item.refresh_from_db()
    assert item.state == ItemState.REJECTED
    [event] = _events("review.reject")
    assert event.after["state"] == "rejected" and event.after["kind"] == "honours"
    tax = item_reject(actor=reviewer(Department.TAX), item_id=item_of(app, "tax").pk,
                      reason="无纳税记录")
    assert tax.value == {}


def test_a_later_decision_supersedes_the_earlier(app) -> None:
    item = item_of(app, "education")
    user = reviewer(Department.EDUCATION)
    compared = compare(item, records.declared("education", profile_of(app)), matched=True)
    first = item_confirm(actor=user, item_id=item.pk)
    second = item_reject(actor=user, item_id=item.pk, reason="学历证书不真实")
    assert first.supersedes_id == compared.pk and second.supersedes_id == first.pk
    assert list(Decision.objects.filter(item=item).order_by("id").values_list(
        "action", flat=True)) == ["compare", "confirm", "reject"]
    item.refresh_from_db()
    assert item.latest_decision_id == second.pk and item.state == ItemState.REJECTED
    assert item.matched is True  # the comparison's outcome stays what the file said


# --- who may decide --------------------------------------------------------------------------


def test_another_departments_reviewer_finds_no_such_item(app) -> None:
    item = item_of(app, "housing")
    with pytest.raises(NotFound) as exc:
        item_confirm(actor=reviewer(Department.TAX), item_id=item.pk)
    assert exc.value.message == "没有找到该核验事项"
    with pytest.raises(NotFound):
        item_reject(actor=reviewer(Department.TAX), item_id=999_999, reason="x")
    assert not Decision.objects.filter(item=item).exists()


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.AUDITOR, Role.OPERATOR])
def test_other_staff_may_not_decide(app, role) -> None:
    item = item_of(app, "housing")
    with pytest.raises(NotPermitted) as exc:
        item_confirm(actor=make_staff(role), item_id=item.pk)
    assert exc.value.message == "只有部门审核员可以办理核验事项"


def test_applicants_and_employers_may_not_decide() -> None:
    applicant, agent, app = employer_submitted()
    item = item_of(app, "housing")
    for user in (applicant, agent):
        with pytest.raises(NotPermitted):
            item_reject(actor=user, item_id=item.pk, reason="x")
        with pytest.raises(NotPermitted):
            items_bulk_confirm(actor=user, item_ids=[item.pk])


def test_an_item_in_recheck_is_decided_through_the_recheck(app) -> None:
    item = item_of(app, "housing")
    VerificationItem.objects.filter(pk=item.pk).update(recheck="open")
    with pytest.raises(Conflict) as exc:
        item_confirm(actor=reviewer(Department.HOUSING), item_id=item.pk)
    assert exc.value.message == "该事项正在复查中，请在复查处理中作出决定"


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_confirm_takes_only_matched_items_of_the_department() -> None:
    apps = [employer_submitted()[2], another_submitted(), another_submitted()]
    social = reviewer(Department.SOCIAL_INSURANCE)
    matched = [item_of(a, "social_insurance") for a in apps[:2]]
    for item in matched:
        compare(item, records.declared("social_insurance", profile_of(item.application)),
                matched=True)
    different = item_of(apps[2], "employment")
    compare(different, [], matched=False)
    waiting = item_of(apps[2], "social_insurance")
    in_recheck = item_of(apps[1], "employment")
    compare(in_recheck, records.declared("employment", profile_of(apps[1])), matched=True)
    VerificationItem.objects.filter(pk=in_recheck.pk).update(recheck="onsite")
    others = item_of(apps[0], "housing")
    compare(others, [], matched=True)

    ids = [m.pk for m in matched] + [different.pk, waiting.pk, in_recheck.pk, others.pk]
    result = items_bulk_confirm(actor=social, item_ids=ids)
    assert (result.confirmed, result.skipped) == (2, 4)
    for item in matched:
        item.refresh_from_db()
        assert item.state == ItemState.CONFIRMED
        assert item.latest_decision.value == records.declared(
            "social_insurance", profile_of(item.application))
        assert item.latest_decision.actor == social
    for item, state in ((different, "different"), (waiting, "waiting"),
                        (in_recheck, "matched"), (others, "matched")):
        item.refresh_from_db()
        assert item.state == state
        assert not Decision.objects.filter(item=item, action="confirm").exists()
    [event] = _events("review.bulk_confirm")
    assert event.after == {"confirmed": 2, "skipped": 4, "items": [m.pk for m in matched],
                           "decisions": result.decision_ids}
    assert not _events("review.confirm")


def test_bulk_confirm_needs_a_choice(app) -> None:
    with pytest.raises(InvalidInput) as exc:
        items_bulk_confirm(actor=reviewer(Department.TAX), item_ids=[])
    assert exc.value.errors[0].field == "item_ids"


# --- the first result ------------------------------------------------------------------------


def test_the_last_decision_scores_the_application(app) -> None:
    users = {d: reviewer(d) for d in set(KIND_DEPARTMENT.values())}
    for kind in KINDS[:-1]:
        item_confirm(actor=users[KIND_DEPARTMENT[kind]], item_id=item_of(app, kind).pk)
    assert not FirstResult.objects.filter(application=app).exists()
    item_confirm(actor=users[Department.HONOURS], item_id=item_of(app, "honours").pk)
    [result] = FirstResult.objects.filter(application=app)
    assert float(result.total) == FULL_DECLARATION_2026_TOTAL
    # A later rejection makes a new result without the honours' 20 points.
    item_reject(actor=users[Department.HONOURS], item_id=item_of(app, "honours").pk,
                reason="未查到表彰记录")
    newest = FirstResult.objects.filter(application=app).order_by("-id").first()
    assert float(newest.total) == FULL_DECLARATION_2026_TOTAL - 20
