"""The declaration's life: start, save a section, submit, withdraw; the employer returns it
or passes it on. Each write checks role, ownership, window and version and is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jifen.accounts.models import User
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase
from jifen.rounds.selectors import current_round
from jifen.rules.ruleset import load_rule_set

from .. import declaration as decl
from ..events import passed_to_departments
from ..models import EDITABLE_STATUSES, Application, EmploymentLink, Evidence, LinkStatus, Status
from ..selectors import assess, declaration_problems, missing_evidence, rule_set_of
from ._access import (
    applicant_of,
    bump,
    check_version,
    check_window,
    employer_application,
    own_application,
)
from .evidence import remove_evidence


@transaction.atomic
def application_start(*, actor: User, round_id: int | None = None) -> Application:
    """Open the applicant's declaration for the round (the current one by default).

    Returns the existing application when there is one."""
    applicant = applicant_of(actor)
    rnd = Round.objects.filter(pk=round_id).first() if round_id else current_round()
    if rnd is None:
        raise NotFound("目前没有积分落户年度")
    existing = Application.objects.filter(round=rnd, applicant=applicant).first()
    if existing is not None:
        return existing
    check_window(rnd)
    link = (
        EmploymentLink.objects.filter(applicant=applicant, status=LinkStatus.CONFIRMED)
        .select_related("employer")
        .first()
    )
    if link is None:
        raise Conflict("请先关联用人单位，并等待单位确认后再填报")
    try:
        with transaction.atomic():
            app = Application.objects.create(
                round=rnd,
                applicant=applicant,
                employer=link.employer,
                data=decl.empty_declaration(rnd.year, load_rule_set(rnd.rule_set)),
            )
    except IntegrityError:
        return Application.objects.get(round=rnd, applicant=applicant)
    app.number = f"{rnd.year % 100:02d}{app.pk:06d}"
    app.save(update_fields=["number"])
    record_event(
        actor=actor,
        action="application.start",
        target=app,
        after={"round": rnd.year, "number": app.number, "status": app.status},
    )
    return app


@dataclass
class SaveResult:
    application: Application
    errors: list[FieldError]
    # Possible but unlikely values (declaration.warn_section): shown, never blocking.
    warnings: list[FieldError] = field(default_factory=list)


@transaction.atomic
def application_save_section(
    *, actor: User, application_id: int, section: str, value: Any, version: int | None
) -> SaveResult:
    """Store a section as typed (even with problems, so nothing is lost) and report its
    problems. Evidence of rows that were removed goes with them."""
    if section not in decl.SECTION_KEYS:
        raise InvalidInput(f"没有名为 {section} 的填报项", field="section")
    app = own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能修改；如需修改请先撤回")
    check_window(app.round)
    check_version(app, version)
    clean = decl.normalise_section(section, value, app.round.year, rule_set_of(app))
    before = app.data.get(section)
    data = dict(app.data)
    data[section] = clean
    saved = list(app.saved_sections or [])
    if section not in saved:
        saved.append(section)
    bump(app, data=data, saved_sections=saved)
    kept = decl.item_ids(data, section)
    gone = (
        Evidence.objects.filter(application=app, section=section)
        .exclude(item_id="")
        .exclude(item_id__in=kept)
    )
    for ev in gone:
        remove_evidence(actor, ev)
    errors = decl.clean_section(section, clean, year=app.round.year, rule_set=rule_set_of(app))
    warnings = decl.warn_section(
        section, clean, rule_set=rule_set_of(app), birth_date=app.applicant.birth_date
    )
    # Which fields changed, with keyed fingerprints: never the declared values themselves.
    record_event(
        actor=actor,
        action="application.save",
        target=app,
        before={"section": section, "version": app.version - 1},
        after={
            "section": section,
            "version": app.version,
            "changes": redact.changes(
                before, clean, path=section, scope=f"applications.application:{app.pk}:{section}"
            ),
        },
    )
    return SaveResult(app, errors, warnings)


@transaction.atomic
def application_submit(*, actor: User, application_id: int, version: int | None) -> Application:
    app = own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能重复提交")
    check_window(app.round)
    check_version(app, version)
    if not EmploymentLink.objects.filter(
        applicant=app.applicant, employer=app.employer, status=LinkStatus.CONFIRMED
    ).exists():
        raise Conflict("用人单位尚未确认与您的关联，暂不能提交")
    # Data problems and evidence still to upload, all named at once.
    problems = declaration_problems(app) + missing_evidence(app)
    if problems:
        raise InvalidInput("申报信息尚有问题，请修改后再提交", errors=problems)
    assessment = assess(app)
    if assessment.errors:
        raise InvalidInput("申报信息尚有问题，请修改后再提交", errors=assessment.errors)
    before = app.status
    bump(app, status=Status.SUBMITTED, submitted_at=timezone.now(), return_reason="")
    record_event(
        actor=actor,
        action="application.submit",
        target=app,
        before={"status": before},
        after={"status": app.status, "self_assessed_total": assessment.total},
    )
    return app


@transaction.atomic
def application_withdraw(*, actor: User, application_id: int, version: int | None) -> Application:
    """The applicant takes a submitted declaration back to edit it, until the employer submits."""
    app = own_application(actor, application_id)
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能撤回")
    check_window(app.round)
    check_version(app, version)
    bump(app, status=Status.DRAFT, submitted_at=None)
    record_event(
        actor=actor,
        action="application.withdraw",
        target=app,
        before={"status": Status.SUBMITTED},
        after={"status": app.status},
    )
    passed_to_departments.send(sender=Application, application_ids=[app.pk])
    return app


@transaction.atomic
def application_return(
    *, actor: User, application_id: int, reason: str, version: int | None
) -> Application:
    """The employer sends the declaration back to the applicant with a reason."""
    reason = (reason or "").strip()
    app = employer_application(actor, application_id)
    if not reason:
        raise InvalidInput("请填写退回理由", field="reason")
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能退回")
    check_window(app.round, Phase.EMPLOYER_REVIEW)
    check_version(app, version)
    bump(app, status=Status.RETURNED, return_reason=reason[:500])
    record_event(
        actor=actor,
        action="application.return",
        target=app,
        before={"status": Status.SUBMITTED},
        after={
            "status": app.status,
            "reason": redact.text_fact(
                app.return_reason, scope=f"applications.application:{app.pk}:return_reason"
            ),
        },
    )
    return app


@transaction.atomic
def application_employer_submit(
    *, actor: User, application_id: int, version: int | None
) -> Application:
    app = employer_application(actor, application_id)
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能提交")
    check_window(app.round, Phase.EMPLOYER_REVIEW)
    check_version(app, version)
    bump(app, status=Status.EMPLOYER_SUBMITTED, employer_submitted_at=timezone.now())
    record_event(
        actor=actor,
        action="application.employer_submit",
        target=app,
        before={"status": Status.SUBMITTED},
        after={"status": app.status},
    )
    passed_to_departments.send(sender=Application, application_ids=[app.pk])
    return app
