"""The queue's reads: filters, search, sort, counts, waiting and overdue, the bureau's view."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from jifen.core.errors import InvalidInput, NotPermitted
from jifen.core.roles import Department, Role
from jifen.review import selectors
from jifen.review.decisions import item_confirm
from jifen.review.models import VerificationItem
from tests.factories import employer_submitted, make_staff

from .queue_helpers import another_submitted, compare, item_of, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _applicant, agent, first = employer_submitted()
    second = another_submitted(agent)  # the same employer
    third = another_submitted()  # another employer
    return {"agent": agent, "apps": [first, second, third], "round": first.round}


def _ids(qs) -> list[int]:
    return list(qs.values_list("id", flat=True))


def test_only_the_departments_items(world) -> None:
    user = reviewer(Department.HOUSING)
    items = selectors.department_queue(user, world["round"])
    assert {i.kind for i in items} == {"housing"} and items.count() == 3
    police = selectors.department_queue(reviewer(Department.POLICE), world["round"])
    assert {i.kind for i in police} == {"permits", "criminal_records", "detentions"}
    window = selectors.department_queue(reviewer(Department.SERVICE_WINDOW), world["round"])
    assert window.count() == 0  # the service window verifies no kind


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.AUDITOR, Role.APPLICANT])
def test_only_reviewers_read_a_queue(world, role) -> None:
    user = world["apps"][0].applicant.user if role == Role.APPLICANT else make_staff(role)
    with pytest.raises(NotPermitted):
        selectors.department_queue(user, world["round"])
    with pytest.raises(NotPermitted):
        selectors.queue_counts(user, world["round"])
    with pytest.raises(NotPermitted):
        selectors.item_detail(user, item_of(world["apps"][0], "housing").pk)


def test_filters_and_search(world) -> None:
    first, second, third = world["apps"]
    rnd = world["round"]
    user = reviewer(Department.SOCIAL_INSURANCE)
    compare(item_of(first, "employment"), [], matched=False)
    compare(item_of(second, "employment"), [], matched=True)
    VerificationItem.objects.filter(pk=item_of(third, "social_insurance").pk).update(
        recheck="open")

    def ids(**filters) -> set[int]:
        return set(_ids(selectors.department_queue(user, rnd, **filters)))

    assert ids(state="different") == {item_of(first, "employment").pk}
    assert ids(state="matched") == ids(matched=True) == {item_of(second, "employment").pk}
    assert ids(matched=False) == {item_of(first, "employment").pk}
    assert ids(kind="social_insurance") == {item_of(a, "social_insurance").pk for a in
                                            world["apps"]}
    assert ids(recheck=True) == {item_of(third, "social_insurance").pk}
    assert len(ids(recheck=False)) == 5
    same_employer = {item_of(a, k).pk for a in (first, second)
                     for k in ("social_insurance", "employment")}
    assert ids(employer=first.employer_id) == same_employer
    assert ids(employer=third.employer.credit_code.lower()) == {
        item_of(third, k).pk for k in ("social_insurance", "employment")}
    assert ids(employer="星河") == {i for a in world["apps"] for i in
                                    (item_of(a, "social_insurance").pk,
                                     item_of(a, "employment").pk)}
    assert ids(number=second.number) == {item_of(second, k).pk
                                         for k in ("social_insurance", "employment")}
    prefix = first.number[:-1]
    assert ids(number=prefix) >= {item_of(first, "employment").pk}
    assert ids(number="999") == set()
    with pytest.raises(InvalidInput) as exc:
        selectors.department_queue(user, rnd, kind="housing")
    assert exc.value.errors[0].field == "kind"
    with pytest.raises(InvalidInput):
        selectors.department_queue(user, rnd, state="lost")


def test_sorted_by_waiting_time(world) -> None:
    first, second, third = world["apps"]
    now = timezone.now()
    for age, app in ((3, first), (9, second), (1, third)):
        VerificationItem.objects.filter(application=app).update(
            opened_at=now - timedelta(days=age))
    user = reviewer(Department.EDUCATION)
    oldest_first = _ids(selectors.department_queue(user, world["round"]))
    assert oldest_first == [item_of(a, "education").pk for a in (second, first, third)]
    newest_first = _ids(selectors.department_queue(user, world["round"], order="-waiting"))
    assert newest_first == list(reversed(oldest_first))
    with pytest.raises(InvalidInput):
        selectors.department_queue(user, world["round"], order="name")


def test_counts_per_state_overdue_and_recheck(world) -> None:
    first, second, third = world["apps"]
    user = reviewer(Department.TAX)
    today = timezone.localdate()
    compare(item_of(first, "tax"), {}, matched=False)
    compare(item_of(second, "tax"), {"2023": 120000}, matched=True)
    item_confirm(actor=user, item_id=item_of(second, "tax").pk)
    VerificationItem.objects.filter(pk=item_of(third, "tax").pk).update(
        due_on=today - timedelta(days=1))
    # Past its due date but decided: not overdue.
    VerificationItem.objects.filter(pk=item_of(second, "tax").pk).update(
        due_on=today - timedelta(days=1))
    VerificationItem.objects.filter(pk=item_of(first, "tax_offences").pk).update(
        recheck="onsite")
    counts = selectors.queue_counts(user, world["round"])
    assert counts == {"total": 6, "waiting": 4, "matched": 0, "different": 1, "confirmed": 1,
                      "corrected": 0, "rejected": 0, "overdue": 1, "recheck": 1}
    overdue = _ids(selectors.department_queue(user, world["round"], overdue=True))
    assert overdue == [item_of(third, "tax").pk]
    assert len(_ids(selectors.department_queue(user, world["round"], overdue=False))) == 5
    assert selectors.queue_counts(user, None)["total"] == 0


def test_waiting_days_are_working_days_until_decided(world) -> None:
    item = item_of(world["apps"][0], "honours")
    tz = timezone.get_current_timezone()
    item.opened_at = datetime(2025, 3, 3, 9, 0, tzinfo=tz)  # a Monday
    item.due_on = date(2025, 3, 17)
    [row] = selectors.queue_rows([item], today=date(2025, 3, 7))  # that Friday
    assert row.waiting_days == 4 and not row.overdue
    [row] = selectors.queue_rows([item], today=date(2025, 3, 18))
    assert row.overdue
    item.state, item.decided_at = "confirmed", datetime(2025, 3, 5, 15, 0, tzinfo=tz)
    [row] = selectors.queue_rows([item], today=date(2025, 3, 18))
    assert row.waiting_days == 2 and not row.overdue


def test_the_bureau_sees_every_department(world) -> None:
    first, second, _third = world["apps"]
    today = timezone.localdate()
    VerificationItem.objects.filter(application=first, department=Department.HOUSING).update(
        due_on=today - timedelta(days=3), opened_at=timezone.now() - timedelta(days=20))
    compare(item_of(second, "housing"), [], matched=False)
    loads = {load.department: load for load in selectors.overdue(world["round"])}
    housing = loads[Department.HOUSING]
    assert (housing.total, housing.waiting, housing.decided, housing.overdue) == (3, 2, 1, 1)
    assert housing.oldest_waiting == item_of(first, "housing").opened_at
    assert housing.days == 10 and housing.label == "住房城乡建设"
    assert loads[Department.POLICE].total == 9 and loads[Department.POLICE].overdue == 0
    assert Department.SERVICE_WINDOW not in loads
    bureau = make_staff(Role.BUREAU_ADMIN)
    assert selectors.bureau_overview(bureau, world["round"]) == list(loads.values())
    assert selectors.bureau_overview(bureau, None) == []
    with pytest.raises(NotPermitted):
        selectors.bureau_overview(reviewer(Department.HOUSING), world["round"])


def test_a_rounds_own_time_limit_is_shown(world) -> None:
    rnd = world["round"]
    rnd.verification_days = {"tax": 5}
    rnd.save(update_fields=["verification_days"])
    loads = {load.department: load for load in selectors.overdue(rnd)}
    assert loads["tax"].days == 5 and loads["housing"].days == 10


def test_the_item_detail_evidence_of_a_violation_kind() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jifen.applications import services
    from tests.factories import fill_declaration, full_declaration, linked_pair, make_round
    from tests.files import PDF

    make_round(2026)
    applicant, agent = linked_pair()
    data = full_declaration()
    data["violations"] = [{"kind": "administrative_detention", "date": "2019-05-01"},
                          {"kind": "tax_offence", "date": "2020-06-01"}]
    app = fill_declaration(applicant, services.application_start(actor=applicant), data)
    rows = {r["kind"]: r["id"] for r in app.data["violations"]}
    for kind, name in (("administrative_detention", "拘留.pdf"), ("tax_offence", "税务.pdf")):
        services.evidence_add(actor=applicant, application_id=app.pk, section="violations",
                              item_id=rows[kind], upload=SimpleUploadedFile(name, PDF))
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    app = services.application_employer_submit(actor=agent, application_id=app.pk,
                                               version=app.version)
    detail = selectors.item_detail(reviewer(Department.TAX), item_of(app, "tax_offences").pk)
    assert [e.original_name for e in detail.evidence] == ["税务.pdf"]
    assert detail.declared == [{"kind": "tax_offence", "date": "2020-06-01"}]
    assert detail.declared_lines == ["2020-06-01"] and detail.recorded is None
    police = selectors.item_detail(reviewer(Department.POLICE), item_of(app, "detentions").pk)
    assert [e.original_name for e in police.evidence] == ["拘留.pdf"]
