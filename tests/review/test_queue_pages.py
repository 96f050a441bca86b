"""The reviewers' pages (queue, item, decisions, bulk confirm) and the bureau's overview."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jifen.applications.selectors import profile_of
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review import records
from jifen.review.models import Decision, ItemState, VerificationItem
from tests.factories import employer_submitted, make_staff, staff_client

from .queue_helpers import another_submitted, compare, item_of, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    return employer_submitted()[2]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_lists_the_departments_items_with_counts(app) -> None:
    other = another_submitted()
    compare(item_of(other, "housing"), [], matched=False)
    client = staff_client(reviewer(Department.HOUSING))
    response = client.get("/review/")
    assert response.status_code == 200
    page = _text(response)
    assert "核验工作队列" in page and "住房城乡建设" in page
    rows = re.findall(r'<tr data-item="(\d+)"', page)
    assert sorted(map(int, rows)) == sorted([item_of(app, "housing").pk,
                                             item_of(other, "housing").pk])
    assert "住所" in page and "个人所得税" not in page  # only the department's kinds
    chip = r'>(待核验|比对不一致|已超期|全部) <span class="badge [^"]+">(\d+)<'
    chips = dict(re.findall(chip, page))
    assert chips == {"全部": "2", "待核验": "1", "比对不一致": "1", "已超期": "0"}


def test_the_queue_filters_searches_and_sorts(app) -> None:
    other = another_submitted()
    client = staff_client(reviewer(Department.SOCIAL_INSURANCE))
    page = _text(client.get("/review/", {"kind": "employment"}))
    assert len(re.findall(r'<tr data-item="', page)) == 2
    assert "就业地（社保缴纳单位所在区）" in page
    page = _text(client.get("/review/", {"number": other.number}))
    found = {int(i) for i in re.findall(r'<tr data-item="(\d+)"', page)}
    assert found == {item_of(other, "social_insurance").pk, item_of(other, "employment").pk}
    # Sorted by waiting time: the oldest first, or the newest first.
    VerificationItem.objects.filter(application=app).update(
        opened_at=timezone.now() - timedelta(days=9))
    oldest = [int(i) for i in re.findall(r'<tr data-item="(\d+)"', _text(
        client.get("/review/", {"kind": "employment"})))]
    newest = [int(i) for i in re.findall(r'<tr data-item="(\d+)"', _text(
        client.get("/review/", {"kind": "employment", "order": "-waiting"})))]
    assert oldest == [item_of(app, "employment").pk, item_of(other, "employment").pk]
    assert newest == list(reversed(oldest))


def test_overdue_items_are_highlighted(app) -> None:
    item = item_of(app, "tax")
    VerificationItem.objects.filter(pk=item.pk).update(
        due_on=timezone.localdate() - timedelta(days=1))
    client = staff_client(reviewer(Department.TAX))
    page = _text(client.get("/review/"))
    assert f'<tr data-item="{item.pk}" class="row-overdue">' in page
    assert "已超期</span>" in page
    page = _text(client.get("/review/", {"overdue": "on"}))
    assert re.findall(r'<tr data-item="(\d+)"', page) == [str(item.pk)]


@pytest.mark.parametrize("role", [Role.BUREAU_ADMIN, Role.AUDITOR, Role.OPERATOR])
def test_the_queue_is_for_reviewers_only(role) -> None:
    assert staff_client(make_staff(role)).get("/review/").status_code == 403


def test_applicants_get_no_queue_and_anonymous_visitors_sign_in() -> None:
    applicant, agent, app = employer_submitted()
    item = item_of(app, "housing")
    for user in (applicant, agent):
        client = Client()
        client.force_login(user)
        assert client.get("/review/").status_code == 403
        assert client.get(f"/review/items/{item.pk}/").status_code == 403
        assert client.post(f"/review/items/{item.pk}/confirm/").status_code == 403
    response = Client().get("/review/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- one item --------------------------------------------------------------------------------


def test_the_item_shows_declared_and_recorded_side_by_side(app) -> None:
    item = item_of(app, "housing")
    recorded = [
        {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"},
        {"kind": "owned", "from": "2018-01", "to": "2025-12", "district": "通州区"},
    ]
    compare(item, recorded, matched=False)
    user = reviewer(Department.HOUSING)
    response = staff_client(user).get(f"/review/items/{item.pk}/")
    assert response.status_code == 200
    page = _text(response)
    assert "比对不一致" in page and "申报内容与部门记录不一致" in page
    # Owned 2016-01..2017-12 is declared only.
    assert '<li class="diff-only-declared">2016-01～2017-12 自有产权住房 通州区</li>' in page
    person = app.applicant
    assert person.name in page and person.id_number_masked in page
    assert person.id_number not in page
    assert "证明.pdf" in page
    links = re.findall(r'<a href="(/my/evidence/\d+/[^"]*)" download>', page)
    assert len(links) == 2  # one for each housing record
    download = staff_client(user).get(links[0])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "数据比对" in page  # the history
    access = AuditEvent.objects.filter(action="applications.application.view", actor=user).get()
    assert access.target_id == str(app.pk) and access.detail == "housing"


def test_another_departments_item_is_not_found(app) -> None:
    client = staff_client(reviewer(Department.TAX))
    item = item_of(app, "housing")
    assert client.get(f"/review/items/{item.pk}/").status_code == 404
    assert client.post(f"/review/items/{item.pk}/reject/",
                       {"reject-reason": "x"}).status_code == 404
    assert not Decision.objects.filter(item=item).exists()


def test_confirm_on_the_page(app) -> None:
    item = item_of(app, "education")
    client = staff_client(reviewer(Department.EDUCATION))
    response = client.post(f"/review/items/{item.pk}/confirm/", {"confirm-reason": ""})
    assert response.status_code == 302 and response.url == f"/review/items/{item.pk}/"
    item.refresh_from_db()
    assert item.state == ItemState.CONFIRMED
    page = _text(client.get(response.url))
    assert "已确认该核验事项。" in page and "当前核验结果" in page


def test_a_refused_correction_keeps_what_was_typed_and_names_the_field(app) -> None:
    item = item_of(app, "employment")
    client = staff_client(reviewer(Department.SOCIAL_INSURANCE))
    response = client.post(f"/review/items/{item.pk}/correct/", {
        "rows-0-from": "2008-07", "rows-0-to": "2015-12", "rows-0-district": "通州区",
        "rows-1-from": "2021-13", "rows-1-to": "2025-12", "rows-1-district": "朝阳区",
        "rows-2-from": "", "rows-2-to": "", "rows-2-district": "",
        "correct-reason": "就业地变更",
    })
    assert response.status_code == 422
    page = _text(response)
    assert "更正的核验值有 1 处错误，请按提示修改" in page
    assert "第 2 行“起始年月”：“2021-13”不是有效的年月（应为 YYYY-MM）" in page
    assert 'name="rows-1-from" value="2021-13"' in page
    assert '<option value="朝阳区" selected>' in page
    assert ">就业地变更</textarea>" in page
    assert not Decision.objects.filter(item=item).exists()


def test_a_correction_without_a_reason_is_refused_under_the_reason(app) -> None:
    item = item_of(app, "permits")
    client = staff_client(reviewer(Department.POLICE))
    response = client.post(f"/review/items/{item.pk}/correct/", {"choice": "false",
                                                                 "correct-reason": ""})
    assert response.status_code == 422
    page = _text(response)
    assert '<p class="field-error" role="alert">请填写更正的理由</p>' in page
    assert 'value="false" checked' in page
    response = client.post(f"/review/items/{item.pk}/correct/", {"choice": "false",
                                                                 "correct-reason": "已过期"})
    assert response.status_code == 302
    assert Decision.objects.get(item=item).value is False


def test_a_correction_on_the_page_makes_the_rows_verified(app) -> None:
    item = item_of(app, "tax")
    client = staff_client(reviewer(Department.TAX))
    response = client.post(f"/review/items/{item.pk}/correct/", {
        "rows-0-year": "2023", "rows-0-amount": "60000",
        "rows-1-year": "2023", "rows-1-amount": "60000.50",
        "rows-2-year": "2024", "rows-2-amount": "80000", "rows-2-remove": "on",
        "rows-7-year": "2025", "rows-7-amount": "150000.5",
        "correct-reason": "按税务记录",
    })
    assert response.status_code == 302
    decision = Decision.objects.get(item=item)
    assert decision.value == {"2023": 120000.5, "2025": 150000.5}
    assert decision.reason == "按税务记录"


def test_reject_without_a_reason_keeps_the_page(app) -> None:
    item = item_of(app, "honours")
    client = staff_client(reviewer(Department.HONOURS))
    response = client.post(f"/review/items/{item.pk}/reject/", {"reject-reason": "  "})
    assert response.status_code == 422
    assert "请填写不予认定的理由" in _text(response)
    response = client.post(f"/review/items/{item.pk}/reject/", {"reject-reason": "查无记录"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.REJECTED


def test_an_item_in_recheck_offers_no_decision(app) -> None:
    item = item_of(app, "housing")
    VerificationItem.objects.filter(pk=item.pk).update(recheck="open")
    client = staff_client(reviewer(Department.HOUSING))
    page = _text(client.get(f"/review/items/{item.pk}/"))
    assert "该事项正在复查中，请在复查处理中作出决定" in page
    assert 'id="confirm-form"' not in page
    response = client.post(f"/review/items/{item.pk}/confirm/", {})
    assert response.status_code == 409
    assert "该事项正在复查中" in _text(response)


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_confirm_on_the_page(app) -> None:
    other = another_submitted()
    matched = item_of(app, "education")
    compare(matched, records.declared("education", profile_of(app)), matched=True)
    different = item_of(other, "education")
    compare(different, [], matched=False)
    client = staff_client(reviewer(Department.EDUCATION))
    page = _text(client.get("/review/"))
    boxes = re.findall(r'name="item" value="(\d+)"', page)
    assert boxes == [str(matched.pk)]  # only matched items can be ticked
    response = client.post("/review/bulk-confirm/", {
        "item": [matched.pk, different.pk], "next": "/review/?state=matched",
    })
    assert response.status_code == 302 and response.url == "/review/?state=matched"
    page = _text(client.get(response.url))
    assert "已确认 1 项比对一致的核验事项。另有 1 项" in page
    matched.refresh_from_db()
    different.refresh_from_db()
    assert matched.state == ItemState.CONFIRMED and different.state == ItemState.DIFFERENT
    response = client.post("/review/bulk-confirm/", {"next": "https://evil.example/"})
    assert response.url == "/review/"
    assert "请选择要确认的核验事项" in _text(client.get("/review/"))


# --- the workbenches and the bureau ----------------------------------------------------------


def test_the_workbenches_link_to_the_queue_and_the_overview(app) -> None:
    page = _text(staff_client(reviewer(Department.HOUSING)).get("/staff/"))
    assert 'href="/review/" id="open-queue"' in page
    assert '<dd id="queue-waiting">1</dd>' in page
    page = _text(staff_client(make_staff(Role.BUREAU_ADMIN)).get("/staff/"))
    assert 'href="/review/overview/" id="open-overview"' in page


def test_the_bureau_overview(app) -> None:
    another_submitted()
    VerificationItem.objects.filter(application=app, department=Department.TAX).update(
        due_on=timezone.localdate() - timedelta(days=2))
    housing = item_of(app, "housing")
    compare(housing, [], matched=False)
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    response = client.get("/review/overview/")
    assert response.status_code == 200
    page = _text(response)
    row = re.search(r'<tr data-department="tax" class="row-overdue">(.*?)</tr>', page).group(1)
    assert re.findall(r'data-count="(\w+)">(?:<span class="badge badge-refused">)?(\d+)', row) \
        == [("waiting", "4"), ("decided", "0"), ("overdue", "2"), ("recheck", "0")]
    row = re.search(r'<tr data-department="housing">(.*?)</tr>', page).group(1)
    assert re.findall(r'data-count="(\w+)">(\d+)', row) == [
        ("waiting", "1"), ("decided", "1"), ("overdue", "0"), ("recheck", "0")]
    assert staff_client(reviewer(Department.TAX)).get("/review/overview/").status_code == 403


def test_the_queue_and_the_item_show_the_signals_an_application_is_in(app) -> None:
    from jifen.review.models import Signal

    signal = Signal.objects.create(
        round=app.round, kind="tax_cluster", key="t1", employer=app.employer,
        summary="纳税额集中在分档线上方", departments="|tax|",
    )
    signal.applications.add(app)
    tax = staff_client(reviewer(Department.TAX))
    page = re.sub(r"<[^>]+>", "", _text(tax.get("/review/?kind=tax")))
    assert f"{app.number} 异常信号 1" in page
    item = item_of(app, "tax")
    assert "异常信号 1" in _text(tax.get(f"/review/items/{item.pk}/"))
    # Another department does not see the tax office's signal.
    housing = staff_client(reviewer(Department.HOUSING))
    assert "异常信号" not in _text(housing.get("/review/?kind=housing"))
    signal.state = "dismissed"
    signal.save()
    assert "异常信号" not in _text(tax.get("/review/?kind=tax"))
