"""The signals pages: who sees which signal, the evidence, and dismissing or confirming one
with a reason (audited, never twice); the badge selectors for the queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Department, Role
from jifen.review import signal_actions, signal_selectors
from jifen.review.models import Signal, SignalKind, SignalState
from jifen.review.signals import detect_signals
from tests.factories import make_applicant, make_staff, staff_client
from tests.review.signals_data import a_round, an_application, an_employer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    """A round with a tax cluster, an insurance burst and a study/insurance conflict (all at
    one employer, items open), detected."""
    rnd = a_round()
    employer = an_employer("北京信号测试有限公司")
    apps = [
        an_application(rnd, employer, items=True, tax={"2024": "101000"},
                       insurance=[("2019-01", "2025-12")],
                       education=[("2015-09", "2019-06", i == 0)])
        for i in range(5)
    ]
    detect_signals(rnd)
    by_kind = {s.kind: s for s in Signal.objects.all()}
    assert set(by_kind) == {SignalKind.TAX_CLUSTER, SignalKind.INSURANCE_BURST,
                            SignalKind.RECORDS_CONFLICT}
    return {"round": rnd, "apps": apps, "employer": employer, **by_kind}


def reviewer(department: str) -> Client:
    return staff_client(make_staff(Role.REVIEWER, department))


def _listed(client: Client, **params: str) -> set[str]:
    response = client.get("/review/signals/", params)
    assert response.status_code == 200
    return {s.kind for s in response.context["page"].object_list}


def test_the_bureau_sees_every_signal_and_each_department_its_own(world) -> None:
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert _listed(bureau) == {"tax_cluster", "insurance_burst", "records_conflict"}
    assert _listed(reviewer(Department.TAX)) == {"tax_cluster"}
    assert _listed(reviewer(Department.SOCIAL_INSURANCE)) == {"insurance_burst",
                                                              "records_conflict"}
    assert _listed(reviewer(Department.EDUCATION)) == {"records_conflict"}
    assert _listed(reviewer(Department.HONOURS)) == set()


def test_only_reviewers_of_verifying_departments_and_the_bureau(world) -> None:
    window = reviewer(Department.SERVICE_WINDOW)
    assert window.get("/review/signals/").status_code == 403
    applicant = Client()
    applicant.force_login(make_applicant())
    assert applicant.get("/review/signals/").status_code == 403
    assert applicant.get(f"/review/signals/{world['tax_cluster'].pk}/").status_code == 403
    anonymous = Client().get("/review/signals/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_signal_of_another_department_is_not_found(world) -> None:
    client = reviewer(Department.EDUCATION)
    assert client.get(f"/review/signals/{world['tax_cluster'].pk}/").status_code == 404
    response = client.post(f"/review/signals/{world['tax_cluster'].pk}/dismiss/",
                           {"dismiss-reason": "不相关"})
    assert response.status_code == 404
    assert Signal.objects.get(pk=world["tax_cluster"].pk).state == SignalState.OPEN


def test_the_list_filters_and_links_each_application_to_the_queue(world) -> None:
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert _listed(client, kind="records_conflict", state="") == {"records_conflict"}
    first = world["apps"][0]
    assert _listed(client, number=first.number, state="") == {
        "tax_cluster", "insurance_burst", "records_conflict"}
    assert _listed(client, number=world["apps"][1].number, state="") == {
        "tax_cluster", "insurance_burst"}
    html = client.get("/review/signals/").content.decode()
    assert f'href="/review/?number={first.number}"' in html
    assert "单位申请人纳税额集中在分档线上方" in html and "待处理" in html


def test_the_signal_page_shows_the_evidence(world) -> None:
    client = reviewer(Department.TAX)
    html = client.get(f"/review/signals/{world['tax_cluster'].pk}/").content.decode()
    assert "北京信号测试有限公司：申报纳税的 5 名申请人中有 5 名（100%）" in html
    assert "100000 元（含）至 110000 元（不含）" in html
    assert "2024 年 5 名" in html
    for app in world["apps"]:
        assert f'href="/review/?number={app.number}"' in html
    assert "排除（理由）" in html and "确认异常（理由）" in html


def test_dismissing_needs_a_reason_and_is_audited(world) -> None:
    signal = world["insurance_burst"]
    user = make_staff(Role.REVIEWER, Department.SOCIAL_INSURANCE)
    client = staff_client(user)
    url = f"/review/signals/{signal.pk}/dismiss/"

    response = client.post(url, {"dismiss-reason": "  "})
    assert response.status_code == 422 and "请填写排除理由" in response.content.decode()
    assert Signal.objects.get(pk=signal.pk).state == SignalState.OPEN

    response = client.post(url, {"dismiss-reason": "新设分公司统一招聘，已核实劳动合同"})
    assert response.status_code == 302 and response["Location"] == f"/review/signals/{signal.pk}/"
    signal.refresh_from_db()
    assert signal.state == SignalState.DISMISSED and signal.handled_by == user
    assert signal.note == "新设分公司统一招聘，已核实劳动合同" and signal.handled_at is not None
    event = AuditEvent.objects.get(action="signal.dismiss")
    assert event.actor == user and event.target_id == str(signal.pk)
    assert event.before == {"signal_state": "open"}
    assert event.after["signal_state"] == "dismissed"
    assert event.after["reason"]["length"] == len(signal.note)
    assert "劳动合同" not in str(event.after)  # the reason only as length and fingerprint

    html = client.get(f"/review/signals/{signal.pk}/").content.decode()
    assert "已排除" in html and "新设分公司统一招聘" in html and "排除（理由）" not in html
    again = client.post(f"/review/signals/{signal.pk}/confirm/", {"confirm-reason": "再看"})
    assert again.status_code == 422 and "该异常信号已排除，不能再次处理" in again.content.decode()


def test_confirming_an_anomaly(world) -> None:
    signal = world["records_conflict"]
    user = make_staff(Role.REVIEWER, Department.EDUCATION)
    client = staff_client(user)
    response = client.post(f"/review/signals/{signal.pk}/confirm/", {"confirm-reason": ""})
    assert response.status_code == 422 and "请填写确认异常的理由" in response.content.decode()
    response = client.post(f"/review/signals/{signal.pk}/confirm/",
                           {"confirm-reason": "学信网显示全日制在读"})
    assert response.status_code == 302
    signal.refresh_from_db()
    assert signal.state == SignalState.CONFIRMED and signal.note == "学信网显示全日制在读"
    assert AuditEvent.objects.filter(action="signal.confirm", actor=user).count() == 1
    assert client.post(f"/review/signals/{signal.pk}/nonsense/", {}).status_code == 404


def test_the_services_refuse_what_they_must(world) -> None:
    tax = make_staff(Role.REVIEWER, Department.TAX)
    police = make_staff(Role.REVIEWER, Department.POLICE)
    window = make_staff(Role.REVIEWER, Department.SERVICE_WINDOW)
    signal_id = world["tax_cluster"].pk
    with pytest.raises(NotFound):
        signal_actions.signal_dismiss(actor=police, signal_id=signal_id, reason="x")
    with pytest.raises(NotPermitted):
        signal_actions.signal_dismiss(actor=window, signal_id=signal_id, reason="x")
    with pytest.raises(InvalidInput) as missing:
        signal_actions.signal_confirm(actor=tax, signal_id=signal_id, reason="")
    assert missing.value.errors[0].field == "reason"
    with pytest.raises(InvalidInput):
        signal_actions.signal_confirm(actor=tax, signal_id=signal_id, reason="长" * 1001)
    signal_actions.signal_confirm(actor=tax, signal_id=signal_id, reason="虚开工资")
    with pytest.raises(Conflict):
        signal_actions.signal_dismiss(actor=tax, signal_id=signal_id, reason="撤回")


def test_the_badge_selectors_for_an_applications_items(world) -> None:
    first, second = world["apps"][0], world["apps"][1]
    kinds = {s.kind for s in signal_selectors.signals_for_application(first)}
    assert kinds == {"tax_cluster", "insurance_burst", "records_conflict"}
    tax = make_staff(Role.REVIEWER, Department.TAX)
    assert [s.kind for s in signal_selectors.signals_for_application(first, user=tax)] == [
        "tax_cluster"]
    ids = [a.pk for a in world["apps"]]
    assert signal_selectors.signal_counts(ids) == {
        first.pk: 3, **{a.pk: 2 for a in world["apps"][1:]}}
    signal_actions.signal_dismiss(actor=tax, signal_id=world["tax_cluster"].pk, reason="已核")
    assert signal_selectors.signal_counts(ids, user=tax) == {}
    assert {s.kind for s in signal_selectors.signals_for_application(second)} == {
        "insurance_burst"}
    assert len(signal_selectors.signals_for_application(second, include_dismissed=True)) == 2


def test_the_badge_template(world) -> None:
    from django.template.loader import render_to_string

    app = world["apps"][1]
    html = render_to_string("review/_signal_badge.html", {
        "signals": signal_selectors.signals_for_application(app), "number": app.number})
    assert "异常信号 2" in html and f"/review/signals/?number={app.number}&amp;state=" in html
    assert render_to_string("review/_signal_badge.html", {"signals": []}).strip() == ""


def test_the_workbenches_lead_to_the_signals() -> None:
    a_round()
    for user in (make_staff(Role.BUREAU_ADMIN), make_staff(Role.REVIEWER, Department.TAX)):
        assert 'href="/review/signals/"' in staff_client(user).get("/staff/").content.decode()
    window = make_staff(Role.REVIEWER, Department.SERVICE_WINDOW)
    assert "/review/signals/" not in staff_client(window).get("/staff/").content.decode()
