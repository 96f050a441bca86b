"""Application writes: links, the declaration, submission, the employer's review, evidence.

Each function checks who may do it (role and ownership, on the server), the round's window
and the version the caller saw, then writes and records the audit event in one transaction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.accounts.roles import Role
from jifen.audit.services import record_access, record_event
from jifen.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    NotPermitted,
    OutsideWindow,
    StaleVersion,
)
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round

from . import declaration as decl
from .models import (
    EDITABLE_STATUSES,
    Application,
    EmploymentLink,
    Evidence,
    LinkStatus,
    Status,
)
from .selectors import assess, declaration_problems, rule_set_of

# --- who is acting --------------------------------------------------------------------------


def _applicant_of(actor: User) -> ApplicantProfile:
    if actor is None or not actor.is_authenticated or actor.role != Role.APPLICANT:
        raise NotPermitted("只有申请人本人可以办理此事项")
    try:
        return actor.applicant
    except ApplicantProfile.DoesNotExist as exc:
        raise NotPermitted("申请人信息不完整") from exc


def _employer_of(actor: User) -> Employer:
    if (
        actor is None
        or not actor.is_authenticated
        or actor.role != Role.EMPLOYER_AGENT
        or actor.employer_id is None
    ):
        raise NotPermitted("只有用人单位经办人可以办理此事项")
    return actor.employer


def _lock_application(application_id: int) -> Application:
    try:
        return (
            Application.objects.select_for_update()
            .select_related("round", "applicant", "employer")
            .get(pk=application_id)
        )
    except Application.DoesNotExist as exc:
        raise NotFound("没有找到该申报") from exc


def _own_application(actor: User, application_id: int) -> Application:
    applicant = _applicant_of(actor)
    app = _lock_application(application_id)
    if app.applicant_id != applicant.pk:
        # Same answer as a missing record: do not reveal that it exists.
        raise NotFound("没有找到该申报")
    return app


def _employer_application(actor: User, application_id: int) -> Application:
    employer = _employer_of(actor)
    app = _lock_application(application_id)
    if app.employer_id != employer.pk or app.status == Status.DRAFT:
        raise NotFound("没有找到该申报")
    return app


def _check_version(app: Application, version: int | None) -> None:
    if version is None or int(version) != app.version:
        raise StaleVersion(
            "该申报已在其他页面或设备上修改，请刷新后再操作（您填写的内容未丢失）",
            field="version",
        )


def _check_window(rnd: Round) -> None:
    if not rnd.declaration_open():
        opens = timezone.localtime(rnd.declaration_opens).strftime("%Y-%m-%d %H:%M")
        closes = timezone.localtime(rnd.declaration_closes).strftime("%Y-%m-%d %H:%M")
        raise OutsideWindow(f"不在{rnd.year}年度申报期内（{opens} 至 {closes}）")


def _bump(app: Application, **fields: Any) -> None:
    """Write ``fields`` and the next version, only if nobody wrote in between."""
    updated = Application.objects.filter(pk=app.pk, version=app.version).update(
        version=app.version + 1, updated_at=timezone.now(), **fields
    )
    if updated != 1:
        raise StaleVersion("该申报已在其他页面或设备上修改，请刷新后再操作", field="version")
    app.version += 1
    for name, value in fields.items():
        setattr(app, name, value)


# --- employer links -------------------------------------------------------------------------


@transaction.atomic
def link_request(*, actor: User, employer_code: str) -> EmploymentLink:
    applicant = _applicant_of(actor)
    code = (employer_code or "").strip().upper()
    employer = Employer.objects.filter(code=code).first()
    if employer is None:
        raise InvalidInput(
            "没有找到该单位注册码对应的单位，请向单位经办人核实", field="employer_code"
        )
    active = EmploymentLink.objects.filter(
        applicant=applicant, status__in=[LinkStatus.PENDING, LinkStatus.CONFIRMED]
    ).first()
    if active is not None:
        raise Conflict("您已关联单位或有待确认的关联申请，如需更换请先撤销", field="employer_code")
    try:
        with transaction.atomic():
            link = EmploymentLink.objects.create(applicant=applicant, employer=employer)
    except IntegrityError as exc:
        raise Conflict("您已有待确认的关联申请", field="employer_code") from exc
    record_event(
        actor=actor,
        action="link.request",
        target=link,
        after={"employer": employer.name, "status": link.status},
    )
    return link


def _lock_link(link_id: int) -> EmploymentLink:
    try:
        return (
            EmploymentLink.objects.select_for_update()
            .select_related("employer", "applicant")
            .get(pk=link_id)
        )
    except EmploymentLink.DoesNotExist as exc:
        raise NotFound("没有找到该关联申请") from exc


@transaction.atomic
def link_cancel(*, actor: User, link_id: int) -> EmploymentLink:
    """The applicant withdraws a link: a pending one always, a confirmed one while no
    application of theirs is with the employer."""
    applicant = _applicant_of(actor)
    link = _lock_link(link_id)
    if link.applicant_id != applicant.pk:
        raise NotFound("没有找到该关联申请")
    if link.status not in (LinkStatus.PENDING, LinkStatus.CONFIRMED):
        raise Conflict("该关联申请已结束")
    busy = Application.objects.filter(applicant=applicant, employer=link.employer).exclude(
        status=Status.DRAFT
    )
    if link.status == LinkStatus.CONFIRMED and busy.exists():
        raise Conflict("申报已提交单位，不能撤销单位关联；请先撤回申报")
    before = link.status
    link.status = LinkStatus.CANCELLED
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "decided_at"])
    record_event(
        actor=actor,
        action="link.cancel",
        target=link,
        before={"status": before},
        after={"status": link.status},
    )
    return link


def _decide_link(actor: User, link_id: int) -> EmploymentLink:
    employer = _employer_of(actor)
    link = _lock_link(link_id)
    if link.employer_id != employer.pk:
        raise NotFound("没有找到该关联申请")
    if link.status != LinkStatus.PENDING:
        raise Conflict(f"该关联申请{link.get_status_display()}，不能重复处理")
    return link


@transaction.atomic
def link_confirm(*, actor: User, link_id: int) -> EmploymentLink:
    link = _decide_link(actor, link_id)
    link.status = LinkStatus.CONFIRMED
    link.decided_at = timezone.now()
    link.decided_by = actor
    link.save(update_fields=["status", "decided_at", "decided_by"])
    # A draft started under an earlier employer follows the confirmed one.
    Application.objects.filter(applicant=link.applicant, status=Status.DRAFT).exclude(
        employer=link.employer
    ).update(employer=link.employer)
    record_event(
        actor=actor,
        action="link.confirm",
        target=link,
        before={"status": LinkStatus.PENDING},
        after={"status": link.status},
    )
    return link


@transaction.atomic
def link_refuse(*, actor: User, link_id: int, reason: str) -> EmploymentLink:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写拒绝理由", field="reason")
    link = _decide_link(actor, link_id)
    link.status = LinkStatus.REFUSED
    link.reason = reason[:500]
    link.decided_at = timezone.now()
    link.decided_by = actor
    link.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    record_event(
        actor=actor,
        action="link.refuse",
        target=link,
        before={"status": LinkStatus.PENDING},
        after={"status": link.status, "reason": link.reason},
    )
    return link


# --- the declaration -----------------------------------------------------------------------


@transaction.atomic
def application_start(*, actor: User, round_id: int | None = None) -> Application:
    """Open the applicant's declaration for the round (the current one by default).

    Returns the existing application when there is one."""
    applicant = _applicant_of(actor)
    rnd = Round.objects.filter(pk=round_id).first() if round_id else current_round()
    if rnd is None:
        raise NotFound("目前没有积分落户年度")
    existing = Application.objects.filter(round=rnd, applicant=applicant).first()
    if existing is not None:
        return existing
    _check_window(rnd)
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
                data=decl.empty_declaration(rnd.year),
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


@transaction.atomic
def application_save_section(
    *, actor: User, application_id: int, section: str, value: Any, version: int | None
) -> SaveResult:
    """Store a section as typed (even with problems, so nothing is lost) and report its
    problems. Evidence of rows that were removed goes with them."""
    if section not in decl.SECTION_KEYS:
        raise InvalidInput(f"没有名为 {section} 的填报项", field="section")
    app = _own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能修改；如需修改请先撤回")
    _check_window(app.round)
    _check_version(app, version)
    clean = decl.normalise_section(section, value, app.round.year)
    before = app.data.get(section)
    data = dict(app.data)
    data[section] = clean
    _bump(app, data=data)
    kept = decl.item_ids(data, section)
    gone = (
        Evidence.objects.filter(application=app, section=section)
        .exclude(item_id="")
        .exclude(item_id__in=kept)
    )
    for ev in gone:
        _evidence_remove(actor, ev)
    errors = decl.clean_section(section, clean, year=app.round.year, rule_set=rule_set_of(app))
    record_event(
        actor=actor,
        action="application.save",
        target=app,
        before={"section": section, "value": before, "version": app.version - 1},
        after={"section": section, "value": clean, "version": app.version},
    )
    return SaveResult(app, errors)


@transaction.atomic
def application_submit(*, actor: User, application_id: int, version: int | None) -> Application:
    app = _own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能重复提交")
    _check_window(app.round)
    _check_version(app, version)
    if not EmploymentLink.objects.filter(
        applicant=app.applicant, employer=app.employer, status=LinkStatus.CONFIRMED
    ).exists():
        raise Conflict("用人单位尚未确认与您的关联，暂不能提交")
    problems = declaration_problems(app)
    if problems:
        raise InvalidInput("申报信息尚有问题，请修改后再提交", errors=problems)
    assessment = assess(app)
    if assessment.errors:
        raise InvalidInput("申报信息尚有问题，请修改后再提交", errors=assessment.errors)
    before = app.status
    _bump(app, status=Status.SUBMITTED, submitted_at=timezone.now(), return_reason="")
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
    app = _own_application(actor, application_id)
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能撤回")
    _check_window(app.round)
    _check_version(app, version)
    _bump(app, status=Status.DRAFT, submitted_at=None)
    record_event(
        actor=actor,
        action="application.withdraw",
        target=app,
        before={"status": Status.SUBMITTED},
        after={"status": app.status},
    )
    return app


@transaction.atomic
def application_return(
    *, actor: User, application_id: int, reason: str, version: int | None
) -> Application:
    """The employer sends the declaration back to the applicant with a reason."""
    reason = (reason or "").strip()
    app = _employer_application(actor, application_id)
    if not reason:
        raise InvalidInput("请填写退回理由", field="reason")
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能退回")
    _check_window(app.round)
    _check_version(app, version)
    _bump(app, status=Status.RETURNED, return_reason=reason[:500])
    record_event(
        actor=actor,
        action="application.return",
        target=app,
        before={"status": Status.SUBMITTED},
        after={"status": app.status, "reason": app.return_reason},
    )
    return app


@transaction.atomic
def application_employer_submit(
    *, actor: User, application_id: int, version: int | None
) -> Application:
    app = _employer_application(actor, application_id)
    if app.status != Status.SUBMITTED:
        raise Conflict(f"申报{app.get_status_display()}，不能提交")
    _check_window(app.round)
    _check_version(app, version)
    _bump(app, status=Status.EMPLOYER_SUBMITTED, employer_submitted_at=timezone.now())
    record_event(
        actor=actor,
        action="application.employer_submit",
        target=app,
        before={"status": Status.SUBMITTED},
        after={"status": app.status},
    )
    return app


# --- evidence -------------------------------------------------------------------------------

# Magic numbers: the declared type must match what the file really is.
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def _sniff(head: bytes) -> str | None:
    for content_type, prefixes in _SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            return content_type
    return None


@transaction.atomic
def evidence_add(
    *, actor: User, application_id: int, section: str, item_id: str, upload: Any
) -> Evidence:
    """Attach a PDF/JPG/PNG to a section item. ``upload`` is a Django UploadedFile (or any
    file object with ``name`` and ``size``)."""
    app = _own_application(actor, application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能上传材料")
    _check_window(app.round)
    if section not in decl.SECTION_KEYS:
        raise InvalidInput("请选择填报项", field="section")
    item_id = (item_id or "").strip()
    if item_id and item_id not in decl.item_ids(app.data, section):
        raise InvalidInput("请选择已保存的填报条目", field="item_id")
    name = os.path.basename(getattr(upload, "name", "") or "")[:200]
    ext = os.path.splitext(name)[1].lower()
    size = int(getattr(upload, "size", 0) or 0)
    limit = settings.EVIDENCE_MAX_BYTES
    if ext not in _EXTENSIONS:
        raise InvalidInput("只能上传 PDF、JPG 或 PNG 文件", field="file")
    if size <= 0:
        raise InvalidInput("文件为空", field="file")
    if size > limit:
        raise InvalidInput(f"文件不能超过 {limit // (1024 * 1024)} MB", field="file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    sniffed = _sniff(head)
    if sniffed is None or sniffed != _EXTENSIONS[ext]:
        raise InvalidInput("文件内容与扩展名不符，只能上传 PDF、JPG 或 PNG 文件", field="file")
    if Evidence.objects.filter(application=app).count() >= settings.EVIDENCE_MAX_FILES:
        raise Conflict("证明材料数量已达上限", field="file")
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    ev = Evidence(
        application=app,
        section=section,
        item_id=item_id,
        original_name=name or f"file{ext}",
        content_type=sniffed,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    # A random stored name: the applicant's file name never reaches the file system.
    ev.file.save(f"{os.urandom(12).hex()}{ext}", File(upload), save=False)
    try:
        ev.save()
        record_event(
            actor=actor,
            action="evidence.add",
            target=app,
            after={
                "evidence": ev.pk,
                "section": section,
                "item": item_id,
                "name": ev.original_name,
                "size": size,
                "sha256": ev.sha256,
            },
        )
    except Exception:
        # No row, no event: the file must not stay behind either.
        ev.file.delete(save=False)
        raise
    return ev


def _evidence_remove(actor: User, ev: Evidence) -> None:
    stored = ev.file.name
    pk = ev.pk
    ev.delete()
    # The file goes only once the deletion is committed.
    transaction.on_commit(lambda: ev.file.storage.delete(stored))
    record_event(
        actor=actor,
        action="evidence.delete",
        target=ev.application,
        before={
            "evidence": pk,
            "section": ev.section,
            "item": ev.item_id,
            "name": ev.original_name,
        },
    )


@transaction.atomic
def evidence_delete(*, actor: User, evidence_id: int) -> None:
    applicant = _applicant_of(actor)
    ev = Evidence.objects.select_related("application").filter(pk=evidence_id).first()
    if ev is None or ev.application.applicant_id != applicant.pk:
        raise NotFound("没有找到该材料")
    app = _lock_application(ev.application_id)
    if app.status not in EDITABLE_STATUSES:
        raise Conflict(f"申报{app.get_status_display()}，不能删除材料")
    _check_window(app.round)
    _evidence_remove(actor, ev)


def record_personal_data_view(*, actor: User, applicant: ApplicantProfile, field: str) -> None:
    """Log that ``actor`` saw ``field`` of another person in full (access event)."""
    if (
        actor.is_authenticated
        and actor.role == Role.APPLICANT
        and actor.applicant.pk == applicant.pk
    ):
        return  # one's own data
    record_access(actor=actor, target=applicant, field=field)
