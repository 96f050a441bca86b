"""What every application service checks first: who is acting, on which record, in which
window and at which version; and the versioned write that ends each change.

Private to the services package: the functions raise the services' errors (NotPermitted,
NotFound as for a missing record, StaleVersion, OutsideWindow).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.core.errors import NotFound, NotPermitted, StaleVersion
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase, require_open

from ..models import Application, Status


def applicant_of(actor: User) -> ApplicantProfile:
    if actor is None or not actor.is_authenticated or actor.role != Role.APPLICANT:
        raise NotPermitted("只有申请人本人可以办理此事项")
    try:
        return actor.applicant
    except ApplicantProfile.DoesNotExist as exc:
        raise NotPermitted("申请人信息不完整") from exc


def employer_of(actor: User) -> Employer:
    if (
        actor is None
        or not actor.is_authenticated
        or actor.role != Role.EMPLOYER_AGENT
        or actor.employer_id is None
    ):
        raise NotPermitted("只有用人单位经办人可以办理此事项")
    return actor.employer


def lock_application(application_id: int) -> Application:
    try:
        return (
            Application.objects.select_for_update()
            .select_related("round", "applicant", "employer")
            .get(pk=application_id)
        )
    except Application.DoesNotExist as exc:
        raise NotFound("没有找到该申报") from exc


def own_application(actor: User, application_id: int) -> Application:
    applicant = applicant_of(actor)
    app = lock_application(application_id)
    if app.applicant_id != applicant.pk:
        # Same answer as a missing record: do not reveal that it exists.
        raise NotFound("没有找到该申报")
    return app


def employer_application(actor: User, application_id: int) -> Application:
    employer = employer_of(actor)
    app = lock_application(application_id)
    if app.employer_id != employer.pk or app.status == Status.DRAFT:
        raise NotFound("没有找到该申报")
    return app


def check_version(app: Application, version: int | None) -> None:
    if version is None or int(version) != app.version:
        raise StaleVersion(
            "该申报已在其他页面或设备上修改，请刷新后再操作（您填写的内容未丢失）",
            field="version",
        )


def check_window(rnd: Round, phase: Phase = Phase.DECLARATION) -> None:
    """OutsideWindow unless ``phase`` (the declaration by default) of ``rnd`` is open now."""
    require_open(rnd, phase)


def bump(app: Application, **fields: Any) -> None:
    """Write ``fields`` and the next version, only if nobody wrote in between."""
    updated = Application.objects.filter(pk=app.pk, version=app.version).update(
        version=app.version + 1, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise StaleVersion("该申报已在其他页面或设备上修改，请刷新后再操作", field="version")
    app.version += 1
    for name, value in fields.items():
        setattr(app, name, value)
