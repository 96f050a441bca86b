"""Who may read what of an application: the selectors' object-level checks, and the access
log of personal data seen in full."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jifen.applications import selectors, services
from jifen.applications.declaration import SECTION_KEYS
from jifen.applications.models import Application, Evidence, Status
from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import Department, Role
from tests.factories import (
    fill_declaration,
    make_applicant,
    make_employer,
    make_staff,
)
from tests.files import PDF

pytestmark = pytest.mark.django_db

ALL = SECTION_KEYS
EXPECTED_BY_DEPARTMENT = {
    Department.SOCIAL_INSURANCE: ("social_insurance", "employment"),
    Department.HOUSING: ("housing",),
    Department.EDUCATION: ("education",),
    Department.TAX: ("tax", "violations"),
    Department.POLICE: ("conditions", "violations"),
    Department.SCIENCE: ("innovation",),
    Department.HONOURS: ("honours",),
    Department.SERVICE_WINDOW: ALL,
}


@pytest.fixture
def draft(applicant) -> Application:
    return fill_declaration(applicant, services.application_start(actor=applicant))


@pytest.fixture
def submitted(applicant, draft) -> Application:
    return services.application_submit(actor=applicant, application_id=draft.pk,
                                       version=draft.version)


@pytest.fixture
def employer_submitted(agent, submitted) -> Application:
    return services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                                version=submitted.version)


def fresh(app: Application) -> Application:
    return Application.objects.select_related("round", "applicant", "employer").get(pk=app.pk)


def test_every_department_has_its_sections() -> None:
    assert set(selectors.DEPARTMENT_SECTIONS) == set(Department.values)
    for department, sections in EXPECTED_BY_DEPARTMENT.items():
        assert tuple(selectors.DEPARTMENT_SECTIONS[department]) == sections


# --- the applicant --------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "submitted", "employer_submitted"])
def test_the_applicant_sees_all_of_their_own(request, applicant, state: str) -> None:
    app = fresh(request.getfixturevalue(state))
    assert selectors.visible_sections(applicant, app) == ALL
    assert selectors.application_for(applicant, app.pk) == app
    assert selectors.application_data_for(applicant, app) == app.data
    assert list(selectors.applications_of_applicant(applicant)) == [app]


def test_another_applicant_sees_nothing(employer_submitted) -> None:
    app = fresh(employer_submitted)
    other = make_applicant()
    with pytest.raises(NotFound):
        selectors.visible_sections(other, app)
    with pytest.raises(NotFound):
        selectors.application_for(other, app.pk)
    assert not selectors.applications_of_applicant(other).exists()


def test_a_missing_application_is_not_found(applicant) -> None:
    with pytest.raises(NotFound):
        selectors.application_for(applicant, 999_999)


def test_anonymous_sees_nothing(employer_submitted) -> None:
    with pytest.raises(NotFound):
        selectors.application_for(AnonymousUser(), employer_submitted.pk)
    with pytest.raises(NotPermitted):
        selectors.applications_of_applicant(AnonymousUser())
    with pytest.raises(NotPermitted):
        selectors.applications_for_employer(AnonymousUser())


# --- employers ------------------------------------------------------------------------------


def test_a_draft_is_invisible_to_the_employer(agent, draft) -> None:
    app = fresh(draft)
    with pytest.raises(NotFound):
        selectors.visible_sections(agent, app)
    with pytest.raises(NotFound):
        selectors.application_for(agent, app.pk)
    assert not selectors.applications_for_employer(agent).exists()


@pytest.mark.parametrize("state", ["submitted", "employer_submitted"])
def test_the_employer_sees_all_once_submitted(request, agent, state: str) -> None:
    app = fresh(request.getfixturevalue(state))
    assert selectors.visible_sections(agent, app) == ALL
    assert selectors.application_data_for(agent, app) == app.data
    assert list(selectors.applications_for_employer(agent)) == [app]
    assert list(selectors.applications_for_employer(agent, status=state)) == [app]
    other = Status.SUBMITTED if state == Status.EMPLOYER_SUBMITTED else Status.RETURNED
    assert not selectors.applications_for_employer(agent, status=other).exists()


def test_a_withdrawn_application_disappears_from_the_employer(applicant, agent, submitted
                                                              ) -> None:
    services.application_withdraw(actor=applicant, application_id=submitted.pk,
                                  version=submitted.version)
    with pytest.raises(NotFound):
        selectors.application_for(agent, submitted.pk)


def test_another_employer_sees_nothing(employer_submitted) -> None:
    stranger = make_employer()
    with pytest.raises(NotFound):
        selectors.application_for(stranger, employer_submitted.pk)
    assert not selectors.applications_for_employer(stranger).exists()
    assert not selectors.links_for_employer(stranger).exists()


def test_employer_lists_are_for_employer_agents(applicant) -> None:
    with pytest.raises(NotPermitted):
        selectors.applications_for_employer(applicant)
    with pytest.raises(NotPermitted):
        selectors.links_for_employer(make_staff(Role.BUREAU_ADMIN))


# --- staff ----------------------------------------------------------------------------------


@pytest.mark.parametrize("department", sorted(EXPECTED_BY_DEPARTMENT))
def test_a_reviewer_sees_their_departments_sections(employer_submitted, department: str
                                                    ) -> None:
    app = fresh(employer_submitted)
    reviewer = make_staff(Role.REVIEWER, department)
    expected = EXPECTED_BY_DEPARTMENT[department]
    assert tuple(selectors.visible_sections(reviewer, app)) == expected
    data = selectors.application_data_for(reviewer, app)
    assert set(data) == set(expected)
    assert all(data[k] == app.data[k] for k in expected)
    assert selectors.application_for(reviewer, app.pk) == app


def test_a_tax_reviewer_sees_only_tax_and_violations(employer_submitted) -> None:
    app = fresh(employer_submitted)
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    data = selectors.application_data_for(reviewer, app)
    assert set(data) == {"tax", "violations"}
    assert data["tax"] == app.data["tax"]
    assert "housing" not in data and "conditions" not in data


@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_reviewers_see_nothing_before_the_employer_submits(request, state: str) -> None:
    app = fresh(request.getfixturevalue(state))
    reviewer = make_staff(Role.REVIEWER, Department.SERVICE_WINDOW)
    with pytest.raises(NotFound):
        selectors.visible_sections(reviewer, app)
    with pytest.raises(NotFound):
        selectors.application_data_for(reviewer, app)


@pytest.mark.parametrize("state", ["submitted", "employer_submitted"])
def test_the_bureau_sees_all_once_submitted(request, state: str) -> None:
    app = fresh(request.getfixturevalue(state))
    bureau = make_staff(Role.BUREAU_ADMIN)
    assert selectors.visible_sections(bureau, app) == ALL
    assert selectors.application_data_for(bureau, app) == app.data


def test_the_bureau_does_not_see_drafts(request) -> None:
    app = fresh(request.getfixturevalue("draft"))
    bureau = make_staff(Role.BUREAU_ADMIN)
    with pytest.raises(NotFound):
        selectors.visible_sections(bureau, app)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.OPERATOR, Role.SECURITY_ADMIN])
def test_auditors_operators_and_security_admins_see_no_declaration(employer_submitted,
                                                                    role: str) -> None:
    user = make_staff(role)
    with pytest.raises(NotFound):
        selectors.visible_sections(user, fresh(employer_submitted))
    with pytest.raises(NotFound):
        selectors.application_for(user, employer_submitted.pk)


def test_evidence_follows_the_visible_sections(applicant, draft, tmp_path) -> None:
    app = fresh(draft)
    with override_settings(EVIDENCE_ROOT=tmp_path):
        tax_ev = services.evidence_add(
            actor=applicant, application_id=app.pk, section="tax", item_id="",
            upload=SimpleUploadedFile("tax.pdf", PDF),
        )
        housing_ev = services.evidence_add(
            actor=applicant, application_id=app.pk, section="housing",
            item_id=app.data["housing"][0]["id"],
            upload=SimpleUploadedFile("home.pdf", PDF),
        )
        app = fresh(app)
        app = services.application_submit(actor=applicant, application_id=app.pk,
                                          version=app.version)
        agent = app.employer.agents.get()
        services.application_employer_submit(actor=agent, application_id=app.pk,
                                              version=app.version)
        app = fresh(app)
        reviewer = make_staff(Role.REVIEWER, Department.TAX)
        assert list(selectors.evidence_for(reviewer, app)) == [tax_ev]
        assert selectors.evidence_item_for(reviewer, tax_ev.pk) == tax_ev
        with pytest.raises(NotFound):
            selectors.evidence_item_for(reviewer, housing_ev.pk)
        everything = set(Evidence.objects.filter(application=app))
        assert {tax_ev, housing_ev} < everything  # with the files submission required
        assert set(selectors.evidence_for(agent, app)) == everything
        with pytest.raises(NotFound):
            selectors.evidence_for(make_staff(Role.AUDITOR), app)


# --- the access log -------------------------------------------------------------------------


def test_an_employer_seeing_the_full_identity_number_is_logged(applicant, agent, submitted
                                                               ) -> None:
    profile = applicant.applicant
    with audit_context(ip="10.1.2.3"):
        services.record_personal_data_view(actor=agent, applicant=profile, field="id_number")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.kind == "access"
    assert event.action == "accounts.applicantprofile.view"
    assert (event.actor, event.actor_role, event.ip) == (agent, Role.EMPLOYER_AGENT, "10.1.2.3")
    assert (event.target_type, event.target_id) == ("accounts.applicantprofile", str(profile.pk))
    assert event.field == "id_number"
    assert profile.id_number not in str(event.before) + str(event.after) + event.detail


def test_staff_views_are_logged_too(applicant, employer_submitted) -> None:
    reviewer = make_staff(Role.REVIEWER, Department.POLICE)
    services.record_personal_data_view(actor=reviewer, applicant=applicant.applicant,
                                       field="phone")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.kind, event.actor, event.field) == ("access", reviewer, "phone")


def test_the_owner_seeing_their_own_number_is_not_logged(applicant) -> None:
    events = AuditEvent.objects.count()
    services.record_personal_data_view(actor=applicant, applicant=applicant.applicant,
                                       field="id_number")
    assert AuditEvent.objects.count() == events


def test_another_applicant_seeing_a_number_is_logged(applicant) -> None:
    other = make_applicant()
    services.record_personal_data_view(actor=other, applicant=applicant.applicant,
                                       field="id_number")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.kind, event.actor, event.target_id) == (
        "access", other, str(applicant.applicant.pk),
    )
