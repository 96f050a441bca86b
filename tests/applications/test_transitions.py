"""Every transition of an application and every refusal: wrong role, wrong owner, outside
the declaration window, stale version. Each change writes its audit event (who, what, from
where, before -> after) in the same transaction; each refusal writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils import timezone

from jifen.applications import selectors, services
from jifen.applications.models import Application, EmploymentLink, Status
from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.audit.redact import fingerprint
from jifen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    OutsideWindow,
    ServiceError,
    StaleVersion,
)
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from tests.factories import (
    FULL_DECLARATION_2026,
    FULL_DECLARATION_2026_TOTAL,
    fill_declaration,
    full_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
    make_staff,
)

pytestmark = pytest.mark.django_db

IP = "10.1.2.3"


def row(app: Application) -> dict[str, Any]:
    """The application as stored now."""
    return Application.objects.filter(pk=app.pk).values(
        "status", "version", "data", "return_reason", "submitted_at", "employer_submitted_at",
        "employer", "number",
    ).get()


@contextmanager
def refused(
    error: type[ServiceError], app: Application | None = None, field: str | None = None
) -> Iterator[pytest.ExceptionInfo[ServiceError]]:
    """The call raises exactly ``error`` (naming ``field`` first), writes no audit event and
    leaves the application as it was."""
    events, apps = AuditEvent.objects.count(), Application.objects.count()
    before = row(app) if app is not None else None
    with pytest.raises(error) as info:
        yield info
    assert type(info.value) is error, info.value
    if field is not None:
        assert info.value.errors and info.value.errors[0].field == field, info.value.errors
    assert AuditEvent.objects.count() == events
    assert Application.objects.count() == apps
    if app is not None:
        assert row(app) == before


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def assert_event(action: str, actor: Any, app: Application, before: Any, after: Any) -> None:
    event = last_event()
    assert event.action == action
    assert event.kind == "change"
    assert event.actor == actor
    assert event.actor_role == actor.role
    assert (event.target_type, event.target_id) == ("applications.application", str(app.pk))
    assert event.ip == IP
    assert event.before == before
    assert event.after == after


def close_window(rnd: Round) -> None:
    now = timezone.now()
    Round.objects.filter(pk=rnd.pk).update(
        declaration_opens=now - timedelta(days=60), declaration_closes=now - timedelta(minutes=1)
    )


@pytest.fixture
def app(applicant) -> Application:
    return services.application_start(actor=applicant)


@pytest.fixture
def filled(applicant, app) -> Application:
    return fill_declaration(applicant, app)


@pytest.fixture
def submitted(applicant, filled) -> Application:
    return services.application_submit(actor=applicant, application_id=filled.pk,
                                       version=filled.version)


@pytest.fixture
def employer_submitted(agent, submitted) -> Application:
    return services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                                version=submitted.version)


def save(actor, app: Application, section: str, value: Any, version: int | None = None):
    return services.application_save_section(
        actor=actor, application_id=app.pk, section=section, value=value,
        version=app.version if version is None else version,
    )


# --- start ----------------------------------------------------------------------------------


def test_start(rnd, applicant, agent) -> None:
    with audit_context(ip=IP):
        app = services.application_start(actor=applicant)
    app.refresh_from_db()
    assert (app.round, app.applicant, app.employer) == (rnd, applicant.applicant, agent.employer)
    assert (app.status, app.version) == (Status.DRAFT, 1)
    assert app.number == f"26{app.pk:06d}"
    assert set(app.data) == {"conditions", "social_insurance", "housing", "education",
                             "employment", "innovation", "tax", "honours", "violations"}
    assert_event("application.start", applicant, app, None,
                 {"round": 2026, "number": app.number, "status": "draft"})


def test_start_twice_gives_the_same_application(applicant, app) -> None:
    events, before = AuditEvent.objects.count(), row(app)
    again = services.application_start(actor=applicant)
    assert again.pk == app.pk
    assert row(app) == before
    assert AuditEvent.objects.count() == events
    assert AuditEvent.objects.filter(action="application.start").count() == 1


def test_start_again_after_the_window_closed_gives_the_application(rnd, applicant, app) -> None:
    close_window(rnd)
    assert services.application_start(actor=applicant).pk == app.pk


def test_start_for_a_named_round(applicant) -> None:
    later = make_round(2027)
    app = services.application_start(actor=applicant, round_id=later.pk)
    assert app.round == later and app.number.startswith("27")


def test_start_requires_a_confirmed_link(rnd) -> None:
    applicant = make_applicant()
    with refused(Conflict):
        services.application_start(actor=applicant)
    agent = make_employer()
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)
    with refused(Conflict):  # pending is not enough
        services.application_start(actor=applicant)
    services.link_refuse(actor=agent, link_id=link.pk, reason="查无此人")
    with refused(Conflict):
        services.application_start(actor=applicant)


def test_start_outside_the_window() -> None:
    make_round(2026, open_now=False)
    applicant, _ = linked_pair()
    with refused(OutsideWindow) as info:
        services.application_start(actor=applicant)
    assert info.value.code == "outside_window" and info.value.status == 409


def test_start_before_the_window_opens() -> None:
    now = timezone.now()
    Round.objects.create(year=2026, rule_set="beijing-2020",
                         declaration_opens=now + timedelta(days=1),
                         declaration_closes=now + timedelta(days=30))
    applicant, _ = linked_pair()
    with refused(OutsideWindow):
        services.application_start(actor=applicant)


def test_start_without_any_round() -> None:
    applicant, _ = linked_pair()
    with refused(NotFound):
        services.application_start(actor=applicant)


@pytest.mark.parametrize("who", ["employer", "bureau", "anonymous"])
def test_only_applicants_start(rnd, who: str) -> None:
    actor = {"employer": make_employer, "bureau": lambda: make_staff(Role.BUREAU_ADMIN),
             "anonymous": AnonymousUser}[who]()
    with refused(NotPermitted):
        services.application_start(actor=actor)


# --- save a section -------------------------------------------------------------------------


def test_save_a_section(applicant, app) -> None:
    value = full_declaration(2026)["housing"]
    with audit_context(ip=IP):
        result = save(applicant, app, "housing", value)
    assert result.errors == []
    stored = row(app)
    assert stored["version"] == 2 and result.application.version == 2
    assert [(r["kind"], r["district"]) for r in stored["data"]["housing"]] == [
        ("rented", "海淀区"), ("owned", "通州区"),
    ]
    assert all(r["id"] for r in stored["data"]["housing"])
    assert stored["data"]["tax"] == {"2023": "", "2024": "", "2025": ""}  # others untouched
    # Which rows changed, with keyed fingerprints: never the declared values.
    rows = stored["data"]["housing"]
    scope = f"applications.application:{app.pk}:housing"
    assert_event(
        "application.save", applicant, app,
        {"section": "housing", "version": 1},
        {"section": "housing", "version": 2, "changes": [
            {"path": f"housing[{i}]", "change": "added",
             "after": fingerprint(r, scope=f"{scope}[{r['id']}]")}
            for i, r in enumerate(rows)
        ]},
    )


def test_every_write_adds_one_to_the_version(applicant, app) -> None:
    versions = [app.version]
    for section, value in full_declaration(2026).items():
        app = save(applicant, app, section, value).application
        versions.append(app.version)
        assert row(app)["version"] == app.version
    assert versions == list(range(1, 11))


def test_saves_what_was_typed_even_with_errors(applicant, app) -> None:
    value = [
        {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "火星区"},
        {"kind": "castle", "from": "2016-13", "to": "2025-12", "district": "通州区"},
    ]
    result = save(applicant, app, "housing", value)
    assert {(e.field, e.message) for e in result.errors} == {
        ("housing[0].district", "请选择北京市的区"),
        ("housing[1].kind", "请选择住所类型"),
        ("housing[1].from", "请按“年-月”填写起始年月，如 2015-07"),
    }
    stored = row(app)
    assert stored["version"] == 2
    assert stored["data"]["housing"][0]["district"] == "火星区"
    assert stored["data"]["housing"][1]["kind"] == "castle"
    assert stored["data"]["housing"][1]["from"] == "2016-13"
    assert last_event().action == "application.save"


def test_saving_rows_keeps_their_ids(applicant, app) -> None:
    app = save(applicant, app, "honours", [{"code": "model_worker"}]).application
    first_id = app.data["honours"][0]["id"]
    value = [{"id": first_id, "code": "model_worker"}, {"code": "moral_model"}]
    app = save(applicant, app, "honours", value).application
    assert row(app)["data"]["honours"][0]["id"] == first_id


def test_save_an_unknown_section(applicant, app) -> None:
    with refused(InvalidInput, app, field="section"):
        save(applicant, app, "salary", {"2025": "1"})


def test_save_someone_elses_application(app) -> None:
    other = make_applicant()
    with refused(NotFound, app):
        save(other, app, "tax", {"2025": "1"})


@pytest.mark.parametrize("who", ["employer", "bureau", "anonymous"])
def test_only_the_applicant_saves(agent, app, who: str) -> None:
    actor = {"employer": lambda: agent, "bureau": lambda: make_staff(Role.BUREAU_ADMIN),
             "anonymous": AnonymousUser}[who]()
    with refused(NotPermitted, app):
        save(actor, app, "tax", {"2025": "1"})


def test_save_a_missing_application(applicant, app) -> None:
    with refused(NotFound):
        services.application_save_section(actor=applicant, application_id=app.pk + 999,
                                          section="tax", value={}, version=1)


@pytest.mark.parametrize("version", [0, 2, None])
def test_save_with_a_stale_version(applicant, app, version: int | None) -> None:
    with refused(StaleVersion, app, field="version") as info:
        services.application_save_section(actor=applicant, application_id=app.pk,
                                          section="tax", value={"2025": "1"}, version=version)
    assert info.value.code == "stale_version" and info.value.status == 409


def test_two_saves_from_the_same_version(applicant, app) -> None:
    """Two tabs opened at version 1: the first save wins, the second is told to reload."""
    seen = app.version
    save(applicant, app, "tax", {"2025": "100"}, version=seen)
    with refused(StaleVersion, app, field="version"):
        save(applicant, app, "tax", {"2025": "999"}, version=seen)
    assert row(app)["data"]["tax"]["2025"] == "100"


def test_save_outside_the_window(rnd, applicant, app) -> None:
    close_window(rnd)
    with refused(OutsideWindow, app):
        save(applicant, app, "tax", {"2025": "1"})


@pytest.mark.parametrize("state", ["submitted", "employer_submitted"])
def test_not_editable_once_submitted(request, applicant, state: str) -> None:
    app = request.getfixturevalue(state)
    assert not app.editable
    with refused(Conflict, app):
        save(applicant, app, "tax", {"2025": "1"})


# --- submit ---------------------------------------------------------------------------------


def test_submit(applicant, filled) -> None:
    expected = selectors.assess(filled).total
    assert expected and expected > 0
    with audit_context(ip=IP):
        app = services.application_submit(actor=applicant, application_id=filled.pk,
                                           version=filled.version)
    stored = row(app)
    assert stored["status"] == Status.SUBMITTED
    assert stored["version"] == filled.version + 1 == app.version
    assert stored["submitted_at"] is not None
    assert_event("application.submit", applicant, app, {"status": "draft"},
                 {"status": "submitted", "self_assessed_total": expected})


def test_submit_with_problems_lists_the_fields(applicant, app) -> None:
    app = save(applicant, app, "housing", [
        {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "火星区"},
    ]).application
    app = save(applicant, app, "tax", {"2024": "-1"}).application
    with refused(InvalidInput, app) as info:
        services.application_submit(actor=applicant, application_id=app.pk,
                                    version=app.version)
    # The data's problems, then every item still without its evidence.
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("housing[0].district", "请选择北京市的区"),
        ("tax.2024", "请填写不小于0的金额（元），最多两位小数"),
        ("conditions", "请上传 北京市居住证"),
        ("housing[0]", "请上传 租赁合同及登记备案证明"),
    ]
    assert info.value.code == "invalid" and info.value.status == 422


def test_submit_twice(applicant, submitted) -> None:
    with refused(Conflict, submitted):
        services.application_submit(actor=applicant, application_id=submitted.pk,
                                    version=submitted.version)


def test_submit_without_a_confirmed_link(applicant, filled) -> None:
    link = selectors.active_link_of_applicant(applicant)
    services.link_cancel(actor=applicant, link_id=link.pk)
    app = Application.objects.get(pk=filled.pk)
    with refused(Conflict, app):
        services.application_submit(actor=applicant, application_id=app.pk,
                                    version=app.version)


def test_submit_with_a_stale_version(applicant, filled) -> None:
    with refused(StaleVersion, filled, field="version"):
        services.application_submit(actor=applicant, application_id=filled.pk,
                                    version=filled.version - 1)


def test_submit_outside_the_window(rnd, applicant, filled) -> None:
    close_window(rnd)
    with refused(OutsideWindow, filled):
        services.application_submit(actor=applicant, application_id=filled.pk,
                                    version=filled.version)


def test_submit_someone_elses(filled) -> None:
    other = make_applicant()
    with refused(NotFound, filled):
        services.application_submit(actor=other, application_id=filled.pk,
                                    version=filled.version)


def test_the_employer_cannot_submit_for_the_applicant(agent, filled) -> None:
    with refused(NotPermitted, filled):
        services.application_submit(actor=agent, application_id=filled.pk,
                                    version=filled.version)


# --- withdraw -------------------------------------------------------------------------------


def test_withdraw(applicant, submitted) -> None:
    with audit_context(ip=IP):
        app = services.application_withdraw(actor=applicant, application_id=submitted.pk,
                                            version=submitted.version)
    stored = row(app)
    assert stored["status"] == Status.DRAFT and stored["submitted_at"] is None
    assert stored["version"] == submitted.version + 1
    assert_event("application.withdraw", applicant, app, {"status": "submitted"},
                 {"status": "draft"})
    # Editable again, and the employer no longer sees it.
    save(applicant, app, "tax", {"2025": "1"})
    assert not selectors.applications_for_employer(
        Application.objects.get(pk=app.pk).employer.agents.get()
    ).exists()


def test_withdraw_a_draft(applicant, filled) -> None:
    with refused(Conflict, filled):
        services.application_withdraw(actor=applicant, application_id=filled.pk,
                                      version=filled.version)


def test_no_withdrawal_after_the_employer_submitted(applicant, employer_submitted) -> None:
    with refused(Conflict, employer_submitted):
        services.application_withdraw(actor=applicant, application_id=employer_submitted.pk,
                                      version=employer_submitted.version)


def test_withdraw_with_a_stale_version(applicant, submitted) -> None:
    with refused(StaleVersion, submitted, field="version"):
        services.application_withdraw(actor=applicant, application_id=submitted.pk,
                                      version=submitted.version - 1)


def test_withdraw_outside_the_window(rnd, applicant, submitted) -> None:
    close_window(rnd)
    with refused(OutsideWindow, submitted):
        services.application_withdraw(actor=applicant, application_id=submitted.pk,
                                      version=submitted.version)


def test_withdraw_someone_elses(agent, submitted) -> None:
    other = make_applicant()
    with refused(NotFound, submitted):
        services.application_withdraw(actor=other, application_id=submitted.pk,
                                      version=submitted.version)
    with refused(NotPermitted, submitted):
        services.application_withdraw(actor=agent, application_id=submitted.pk,
                                      version=submitted.version)


# --- return (the employer sends it back) ----------------------------------------------------


def test_return(applicant, agent, submitted) -> None:
    with audit_context(ip=IP):
        app = services.application_return(
            actor=agent, application_id=submitted.pk, reason="  请补充住房租赁备案  ",
            version=submitted.version,
        )
    stored = row(app)
    assert stored["status"] == Status.RETURNED
    assert stored["return_reason"] == "请补充住房租赁备案"
    assert stored["version"] == submitted.version + 1
    assert_event("application.return", agent, app, {"status": "submitted"},
                 {"status": "returned", "reason": {
                     "length": 9,
                     "fingerprint": fingerprint(
                         "请补充住房租赁备案",
                         scope=f"applications.application:{app.pk}:return_reason",
                     ),
                 }})
    # The applicant sees why, and may edit again.
    mine = selectors.application_for(applicant, app.pk)
    assert mine.return_reason == "请补充住房租赁备案" and mine.editable


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_return_needs_a_reason(agent, submitted, reason: str | None) -> None:
    with refused(InvalidInput, submitted, field="reason"):
        services.application_return(actor=agent, application_id=submitted.pk, reason=reason,
                                    version=submitted.version)


def test_a_draft_cannot_be_returned_nor_seen(agent, filled) -> None:
    with refused(NotFound, filled):
        services.application_return(actor=agent, application_id=filled.pk, reason="x",
                                    version=filled.version)


@pytest.mark.parametrize("state", ["employer_submitted", "returned"])
def test_return_only_a_submitted_application(request, agent, submitted, state: str) -> None:
    if state == "returned":
        app = services.application_return(actor=agent, application_id=submitted.pk,
                                          reason="补充", version=submitted.version)
    else:
        app = request.getfixturevalue(state)
    with refused(Conflict, app):
        services.application_return(actor=agent, application_id=app.pk, reason="再退",
                                    version=app.version)


def test_return_by_another_employer(submitted) -> None:
    stranger = make_employer()
    with refused(NotFound, submitted):
        services.application_return(actor=stranger, application_id=submitted.pk, reason="x",
                                    version=submitted.version)


@pytest.mark.parametrize("who", ["owner", "reviewer"])
def test_return_is_for_employer_agents(applicant, submitted, who: str) -> None:
    actor = applicant if who == "owner" else make_staff(Role.REVIEWER, Department.TAX)
    with refused(NotPermitted, submitted):
        services.application_return(actor=actor, application_id=submitted.pk, reason="x",
                                    version=submitted.version)


def test_return_with_a_stale_version(agent, submitted) -> None:
    with refused(StaleVersion, submitted, field="version"):
        services.application_return(actor=agent, application_id=submitted.pk, reason="x",
                                    version=submitted.version + 1)


def close_employer_review(rnd: Round) -> None:
    now = timezone.now()
    Round.objects.filter(pk=rnd.pk).update(
        employer_review_opens=now - timedelta(days=60),
        employer_review_closes=now - timedelta(minutes=1),
    )


def test_return_outside_the_window(rnd, agent, submitted) -> None:
    close_employer_review(rnd)
    with refused(OutsideWindow, submitted) as exc:
        services.application_return(actor=agent, application_id=submitted.pk, reason="x",
                                    version=submitted.version)
    assert exc.value.message.startswith("单位审核阶段已经结束：2026年度单位审核阶段为 ")


def test_the_employer_reviews_after_the_declaration_closed(rnd, agent, submitted) -> None:
    # By the default schedule the employer review runs five days past the declaration.
    close_window(rnd)
    app = services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                               version=submitted.version)
    assert app.status == Status.EMPLOYER_SUBMITTED


def test_resubmit_after_return_clears_the_reason(applicant, agent, submitted) -> None:
    app = services.application_return(actor=agent, application_id=submitted.pk,
                                      reason="请补充", version=submitted.version)
    app = save(applicant, app, "tax", {"2023": "120000", "2024": "90000", "2025": "1"}
               ).application
    with audit_context(ip=IP):
        app = services.application_submit(actor=applicant, application_id=app.pk,
                                           version=app.version)
    stored = row(app)
    assert stored["status"] == Status.SUBMITTED and stored["return_reason"] == ""
    assert last_event().before == {"status": "returned"}


# --- the employer submits -------------------------------------------------------------------


def test_employer_submit(agent, submitted) -> None:
    with audit_context(ip=IP):
        app = services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                                    version=submitted.version)
    stored = row(app)
    assert stored["status"] == Status.EMPLOYER_SUBMITTED
    assert stored["employer_submitted_at"] is not None
    assert stored["version"] == submitted.version + 1
    assert_event("application.employer_submit", agent, app, {"status": "submitted"},
                 {"status": "employer_submitted"})


def test_employer_submit_a_draft(agent, filled) -> None:
    with refused(NotFound, filled):
        services.application_employer_submit(actor=agent, application_id=filled.pk,
                                             version=filled.version)


@pytest.mark.parametrize("state", ["employer_submitted", "returned"])
def test_employer_submit_only_a_submitted_application(request, agent, submitted,
                                                      state: str) -> None:
    if state == "returned":
        app = services.application_return(actor=agent, application_id=submitted.pk,
                                          reason="补充", version=submitted.version)
    else:
        app = request.getfixturevalue(state)
    with refused(Conflict, app):
        services.application_employer_submit(actor=agent, application_id=app.pk,
                                             version=app.version)


def test_employer_submit_by_another_employer(submitted) -> None:
    stranger = make_employer()
    with refused(NotFound, submitted):
        services.application_employer_submit(actor=stranger, application_id=submitted.pk,
                                             version=submitted.version)


def test_employer_submit_is_for_employer_agents(applicant, submitted) -> None:
    with refused(NotPermitted, submitted):
        services.application_employer_submit(actor=applicant, application_id=submitted.pk,
                                             version=submitted.version)


def test_employer_submit_with_a_stale_version(agent, submitted) -> None:
    with refused(StaleVersion, submitted, field="version"):
        services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                             version=None)


def test_employer_submit_outside_the_window(rnd, agent, submitted) -> None:
    close_employer_review(rnd)
    with refused(OutsideWindow, submitted) as exc:
        services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                             version=submitted.version)
    assert exc.value.message.startswith("单位审核阶段已经结束：2026年度单位审核阶段为 ")


# --- self-assessment ------------------------------------------------------------------------


def test_the_self_assessment_is_the_engines_score(filled) -> None:
    assessment = selectors.assess(filled)
    assert assessment.errors == []
    assert assessment.result["indicators"] == FULL_DECLARATION_2026
    assert assessment.total == FULL_DECLARATION_2026_TOTAL
    assert assessment.result["eligible"] is True and assessment.result["reasons"] == []
    assert assessment.result["application_no"] == filled.number
    assert assessment.result["rule_set"] == "beijing-2020"
    assert assessment.result["explanation"][0]["basis"] == (
        "208 months × 0.25; 2 back-paid months earn nothing (1998-07..2025-12)"
    )
    assert assessment.breakdown is not None
    assert selectors.profile_of(filled)["application_no"] == filled.number


def test_the_engines_refusal_is_reported_in_chinese(rnd) -> None:
    """A declaration the form accepts but the engine refuses: an applicant born after the
    round's statistics cut-off (registration accepts any birth date up to today)."""
    born = date.today() - timedelta(days=1)
    baby = make_applicant(birth=born.strftime("%Y%m%d"), name="王小宝")
    Round.objects.filter(pk=rnd.pk).update(year=born.year)
    agent = make_employer()
    link = services.link_request(actor=baby, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)
    app = selectors.application_for(baby, services.application_start(actor=baby).pk)
    assessment = selectors.assess(app)
    assert assessment.result is None and assessment.breakdown is None
    assert [(e.field, e.message) for e in assessment.errors] == [
        ("person.birth_date", f"积分规则校验未通过：出生日期 {born.isoformat()} 晚于统计截止日"),
    ]


def test_the_self_assessment_reports_form_problems_instead_of_a_score(applicant, app) -> None:
    app = save(applicant, app, "honours", [{"code": "nope"}]).application
    assessment = selectors.assess(app)
    assert assessment.result is None and assessment.total is None
    assert [e.field for e in assessment.errors] == ["honours[0].code"]


def test_conditions_do_not_block_the_assessment_but_block_submission(applicant, filled) -> None:
    app = save(applicant, filled, "conditions",
               {"residence_permit": False, "criminal_record": True}).application
    assessment = selectors.assess(app)
    assert assessment.errors == []
    assert assessment.result["eligible"] is False
    with refused(InvalidInput, app) as info:
        services.application_submit(actor=applicant, application_id=app.pk,
                                    version=app.version)
    assert [e.field for e in info.value.errors] == [
        "conditions.residence_permit", "conditions.criminal_record",
    ]


def test_female_cadre_is_ignored_for_men(rnd) -> None:
    man = make_applicant(sex="M", name="张伟")
    agent = make_employer()
    link = services.link_request(actor=man, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)
    app = services.application_start(actor=man)
    app = save(man, app, "conditions", {"residence_permit": True, "female_cadre": True}
               ).application
    assert row(app)["data"]["conditions"]["female_cadre"] is True  # stored as typed
    assert selectors.profile_of(app)["person"]["female_cadre"] is False


# --- one transaction ------------------------------------------------------------------------


class AuditDown(Exception):
    pass


@pytest.fixture
def audit_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**kwargs: Any) -> None:
        raise AuditDown("the audit log is unavailable")

    for module in ("applications", "evidence", "links"):
        monkeypatch.setattr(f"jifen.applications.services.{module}.record_event", fail)


@pytest.mark.parametrize("step", ["save", "submit"])
def test_no_change_without_its_audit_event(request, applicant, filled, step: str) -> None:
    request.getfixturevalue("audit_fails")
    before, events = row(filled), AuditEvent.objects.count()
    with pytest.raises(AuditDown):
        if step == "save":
            save(applicant, filled, "tax", {"2025": "1"})
        else:
            services.application_submit(actor=applicant, application_id=filled.pk,
                                        version=filled.version)
    assert row(filled) == before
    assert AuditEvent.objects.count() == events


def test_no_employer_decision_without_its_audit_event(agent, submitted, audit_fails) -> None:
    before = row(submitted)
    with pytest.raises(AuditDown):
        services.application_return(actor=agent, application_id=submitted.pk, reason="x",
                                    version=submitted.version)
    with pytest.raises(AuditDown):
        services.application_employer_submit(actor=agent, application_id=submitted.pk,
                                             version=submitted.version)
    assert row(submitted) == before


def test_no_start_without_its_audit_event(rnd, applicant, audit_fails) -> None:
    with pytest.raises(AuditDown):
        services.application_start(actor=applicant)
    assert not Application.objects.exists()


def test_no_link_change_without_its_audit_event(rnd, audit_fails) -> None:
    applicant, agent = make_applicant(), make_employer()
    with pytest.raises(AuditDown):
        services.link_request(actor=applicant, employer_code=agent.employer.code)
    assert not EmploymentLink.objects.exists()


# --- concurrency (PostgreSQL: real concurrent writers) --------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_saves_from_one_version_let_exactly_one_win() -> None:
    make_round(2026)
    applicant, _ = linked_pair()
    app = services.application_start(actor=applicant)
    threads, barrier = 4, threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                save(applicant, app, "tax", {"2025": str(n)}, version=1)
            outcome = f"ok {n}"
        except StaleVersion:
            outcome = "stale"
        except BaseException as exc:  # reported below
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    winners = [o for o in outcomes if o.startswith("ok")]
    assert len(winners) == 1, outcomes
    assert outcomes.count("stale") == threads - 1, outcomes
    stored = row(app)
    assert stored["version"] == 2
    assert stored["data"]["tax"]["2025"] == winners[0].split()[1]
    assert AuditEvent.objects.filter(action="application.save").count() == 1
