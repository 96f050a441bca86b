"""Employment links: the applicant asks to be linked to an employer by its 单位注册码, the
employer confirms or refuses, the applicant may withdraw. Each write is audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from jifen.accounts.models import Employer, User
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, InvalidInput, NotFound
from jifen.core.text import halfwidth
from jifen.rounds.phases import Phase, require_open
from jifen.rounds.selectors import round_in_phase

from ..models import ACTIVE_LINK_STATUSES, Application, EmploymentLink, LinkStatus, Status
from ._access import applicant_of, employer_of


def _require_registration() -> None:
    """Links are made and decided in the registration phase (注册与单位关联) of the round
    people are working on; with no round at all there is nothing to link for."""
    rnd = round_in_phase(Phase.REGISTRATION)
    if rnd is None:
        raise NotFound("目前没有积分落户年度，暂不能办理单位关联")
    require_open(rnd, Phase.REGISTRATION)


@transaction.atomic
def link_request(*, actor: User, employer_code: str) -> EmploymentLink:
    applicant = applicant_of(actor)
    _require_registration()
    code = halfwidth(employer_code or "").strip().upper()  # full width from a Chinese IME
    employer = Employer.objects.filter(code=code).first()
    if employer is None:
        raise InvalidInput(
            "没有找到该单位注册码对应的单位，请向单位经办人核实", field="employer_code"
        )
    active = EmploymentLink.objects.filter(
        applicant=applicant, status__in=ACTIVE_LINK_STATUSES
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
        after={"employer": employer.pk, "status": link.status},
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
    applicant = applicant_of(actor)
    link = _lock_link(link_id)
    if link.applicant_id != applicant.pk:
        raise NotFound("没有找到该关联申请")
    if link.status not in ACTIVE_LINK_STATUSES:
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
    employer = employer_of(actor)
    link = _lock_link(link_id)
    if link.employer_id != employer.pk:
        raise NotFound("没有找到该关联申请")
    if link.status != LinkStatus.PENDING:
        raise Conflict(f"该关联申请{link.get_status_display()}，不能重复处理")
    _require_registration()
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
        after={
            "status": link.status,
            "reason": redact.text_fact(
                link.reason, scope=f"applications.employmentlink:{link.pk}:reason"
            ),
        },
    )
    return link
