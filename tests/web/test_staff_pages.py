"""The dashboard redirect, the staff workbench per role, and the 403/404 pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications import services
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from tests.factories import (
    employer_submitted,
    fill_declaration,
    linked_pair,
    make_applicant,
    make_staff,
    verify_second_factor,
)

pytestmark = pytest.mark.django_db

STAFF_HOME = "/staff/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    if user.is_staff_role:
        verify_second_factor(client, user)
    return client


# --- the dashboard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "department"),
    [
        (Role.REVIEWER, Department.TAX),
        (Role.BUREAU_ADMIN, ""),
        (Role.AUDITOR, ""),
        (Role.SECURITY_ADMIN, ""),
        (Role.OPERATOR, ""),
    ],
)
def test_dashboard_sends_staff_to_the_workbench(role, department):
    response = signed_in(make_staff(role, department)).get("/dashboard/")
    assert response.status_code == 302
    assert response.url == reverse("staff:home") == STAFF_HOME


def test_dashboard_sends_applicants_and_employers_to_their_pages():
    applicant, agent = linked_pair()
    response = signed_in(applicant).get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("applications:applicant_home") == "/my/"
    response = signed_in(agent).get(reverse("web:dashboard"))
    assert response.url == reverse("applications:employer_home") == "/my/employer/"


def test_dashboard_needs_login():
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# --- who may use the workbench ----------------------------------------------------------------


def test_workbench_refuses_applicants_and_employer_agents():
    applicant, agent = linked_pair()
    for user in (applicant, agent):
        response = signed_in(user).get(STAFF_HOME)
        assert response.status_code == 403
        html = response.content.decode()
        assert "无权访问" in html
        assert '<html lang="zh-Hans">' in html  # the site's own 403 page


def test_workbench_needs_login():
    response = Client().get(STAFF_HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_unknown_page_shows_the_chinese_404():
    response = signed_in(make_staff(Role.OPERATOR)).get("/staff/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


# --- each role's section ------------------------------------------------------------------------


def test_bureau_admin_sees_the_round_and_counts():
    _applicant, agent, app = employer_submitted()
    services.link_request(actor=make_applicant(), employer_code=agent.employer.code)

    response = signed_in(make_staff(Role.BUREAU_ADMIN)).get(STAFF_HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert "2026 年" in html
    assert "beijing-2020" in html
    assert "6000 人" in html
    assert re.search(r'data-status="employer_submitted">1<', html)
    assert re.search(r'data-status="draft">0<', html)
    assert re.search(r'id="pending-links">1<', html)
    assert reverse("staff:application", args=[app.pk]) in html
    # Not another role's section.
    assert 'id="audit-log"' not in html
    assert 'id="user-accounts"' not in html


def test_reviewer_lists_employer_submitted_applications_only():
    _applicant, agent, app = employer_submitted()
    # Another declaration, submitted by the applicant but not yet by the employer.
    other = make_applicant()
    link = services.link_request(actor=other, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)
    pending = fill_declaration(other, services.application_start(actor=other))
    pending = services.application_submit(actor=other, application_id=pending.pk,
                                          version=pending.version)
    reviewer = make_staff(Role.REVIEWER, Department.TAX)

    response = signed_in(reviewer).get(STAFF_HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert "税务" in html
    assert app.number in html
    assert reverse("staff:application", args=[app.pk]) in html
    assert pending.number not in html
    assert signed_in(reviewer).get(
        reverse("staff:application", args=[pending.pk])
    ).status_code == 404


def test_tax_reviewer_sees_tax_and_violations_but_not_housing():
    applicant, _agent, app = employer_submitted()
    reviewer = make_staff(Role.REVIEWER, Department.TAX)

    response = signed_in(reviewer).get(reverse("staff:application", args=[app.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="summary-tax"' in html
    assert 'id="summary-violations"' in html
    assert "120000" in html  # a tax amount
    for hidden in ("housing", "education", "social_insurance", "employment", "honours"):
        assert f'id="summary-{hidden}"' not in html
    assert "合法稳定住所" not in html
    assert "海淀区" not in html  # the rented flat's district
    profile = applicant.applicant
    assert profile.id_number_masked in html
    assert profile.id_number not in html


def test_housing_reviewer_sees_housing_but_not_tax():
    _applicant, _agent, app = employer_submitted()
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)

    html = signed_in(reviewer).get(reverse("staff:application", args=[app.pk])).content.decode()

    assert 'id="summary-housing"' in html
    assert "海淀区" in html
    assert 'id="summary-tax"' not in html
    assert "120000" not in html


def test_application_page_is_staff_only():
    applicant, agent, app = employer_submitted()
    url = reverse("staff:application", args=[app.pk])
    assert signed_in(applicant).get(url).status_code == 403
    assert signed_in(agent).get(url).status_code == 403
    assert signed_in(make_staff(Role.AUDITOR)).get(url).status_code == 404


def test_auditor_sees_the_log_and_the_chain_status():
    _applicant, _agent, _app = employer_submitted()
    auditor = make_staff(Role.AUDITOR)

    response = signed_in(auditor).get(STAFF_HOME)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chain-status"' in html
    assert "审计日志哈希链完整" in html
    actions = re.findall(r'<td data-action="([a-z_.]+)">', html)
    assert "application.employer_submit" in actions
    assert "link.confirm" in actions
    assert actions[0] == "audit.auditevent.view"  # newest first: this very page view
    # The page view itself is on the record, once.
    views = AuditEvent.objects.filter(kind="access", field="audit_log", actor=auditor)
    assert views.count() == 1
    assert 'id="user-accounts"' not in html


def test_auditor_filters_by_action_actor_kind_and_dates():
    applicant, agent, _app = employer_submitted()
    services.record_personal_data_view(actor=agent, applicant=applicant.applicant,
                                       field="id_number")
    client = signed_in(make_staff(Role.AUDITOR))

    def actions(params):
        html = client.get(STAFF_HOME, params).content.decode()
        return re.findall(r'<td data-action="([a-z_.]+)">', html)

    assert set(actions({"action": "link.confirm"})) == {"link.confirm"}
    by_agent = actions({"actor": agent.username})
    assert by_agent and "application.employer_submit" in by_agent
    assert "application.submit" not in by_agent  # the applicant's, not the agent's
    access = actions({"kind": "access", "actor": agent.username})
    assert access == ["accounts.applicantprofile.view"]
    today = timezone.localdate()
    assert actions({"date_from": today.isoformat(), "date_to": today.isoformat(),
                    "action": "link.confirm"}) == ["link.confirm"]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert actions({"date_to": yesterday}) == []
    # A reversed range is an error, shown on the form.
    html = client.get(STAFF_HOME, {"date_from": today.isoformat(),
                                   "date_to": yesterday}).content.decode()
    assert "结束日期不能早于开始日期" in html


def test_auditor_log_is_paginated():
    for _ in range(55):  # one event each
        make_applicant()
    client = signed_in(make_staff(Role.AUDITOR))
    html = client.get(STAFF_HOME).content.decode()
    assert len(re.findall(r'<td data-action="[a-z_.]+">', html)) == 50
    assert "下一页" in html
    second = client.get(STAFF_HOME, {"page": 2}).content.decode()
    assert "上一页" in second
    assert 0 < len(re.findall(r'<td data-action="[a-z_.]+">', second)) < 50


def test_security_admin_sees_the_accounts():
    applicant, agent = linked_pair()
    admin = make_staff(Role.SECURITY_ADMIN)
    reviewer = make_staff(Role.REVIEWER, Department.POLICE)

    response = signed_in(admin).get(STAFF_HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="user-accounts"' in html
    for user in (applicant, agent, reviewer, admin):
        assert user.username in html
    assert "公安" in html
    assert agent.employer.name in html
    only_reviewers = signed_in(admin).get(STAFF_HOME, {"role": "reviewer"}).content.decode()
    assert reviewer.username in only_reviewers
    assert applicant.username not in only_reviewers
    assert 'id="audit-log"' not in html


def test_operator_sees_system_health():
    linked_pair()
    response = signed_in(make_staff(Role.OPERATOR)).get(STAFF_HOME)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="health-checks"' in html
    assert "数据库连接" in html
    assert "已全部应用" in html  # migrations
    assert "完整" in html  # the audit chain
    assert re.search(r"<dt>用人单位</dt><dd>1</dd>", html)
    assert 'id="audit-log"' not in html
    assert 'id="user-accounts"' not in html
