"""Correction of personal data (PIPL art. 46): the applicant asks, the bureau answers.

The applicant names the item, what is wrong and what it should be. The bureau's
administrators see the queue and accept (an account item — name, phone, e-mail — is then
changed by the system at once; the others are corrected through the round's own procedures,
which the answer explains) or refuse with a reason. The applicant is told by 站内消息.
Each step is audited with fingerprints of the texts, never the texts (they are personal data).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from jifen.accounts.models import ApplicantProfile, User
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import Role
from jifen.core.text import halfwidth
from jifen.inbox.services import notify, notify_many

from .models import APPLIED_FIELDS, CorrectionField, CorrectionRequest, CorrectionState

APPLICANT_ONLY = "只有申请人本人可以申请更正个人信息"
BUREAU_ONLY = "只有市人社局管理员可以处理个人信息更正申请"
NOT_FOUND = "没有找到该更正申请"
WRONG_MAX = 500
CORRECT_MAX = 200
ANSWER_MAX = 500
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
NAME_MAX = 50


def _profile(actor: Any) -> ApplicantProfile:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.APPLICANT:
        raise NotPermitted(APPLICANT_ONLY)
    profile = ApplicantProfile.objects.filter(user=actor).first()
    if profile is None:
        raise NotPermitted(APPLICANT_ONLY)
    return profile


def _require_bureau(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.BUREAU_ADMIN:
        raise NotPermitted(BUREAU_ONLY)


def _check_correct(field: str, correct: str) -> str | None:
    """The problem with the new value of an account item, or None."""
    if field == CorrectionField.PHONE and not PHONE_RE.match(correct):
        return "应更正为的手机号码应为以 1 开头的 11 位数字"
    if field == CorrectionField.EMAIL:
        try:
            validate_email(correct)
        except ValidationError:
            return "应更正为的电子邮箱格式不正确"
    if field == CorrectionField.NAME and len(correct) > NAME_MAX:
        return f"应更正为的姓名最多 {NAME_MAX} 个字"
    return None


def check_request(field: str, wrong: str, correct: str) -> tuple[str, str, str]:
    """The request's fields cleaned, or InvalidInput naming each bad one (in Chinese)."""
    field = (field or "").strip()
    wrong = (wrong or "").strip()
    correct = (correct or "").strip()
    errors: list[FieldError] = []
    if field not in CorrectionField.values:
        errors.append(FieldError("field", "请选择要更正的项目"))
    if not wrong:
        errors.append(FieldError("wrong", "请说明现有信息错在何处"))
    elif len(wrong) > WRONG_MAX:
        errors.append(FieldError("wrong", f"“现有信息错在何处”最多 {WRONG_MAX} 个字"))
    if not correct:
        errors.append(FieldError("correct", "请填写应更正为的内容"))
    elif len(correct) > CORRECT_MAX:
        errors.append(FieldError("correct", f"“应更正为”最多 {CORRECT_MAX} 个字"))
    else:
        if field in (CorrectionField.PHONE, CorrectionField.EMAIL):
            correct = halfwidth(correct).replace(" ", "")
        problem = _check_correct(field, correct) if field in CorrectionField.values else None
        if problem:
            errors.append(FieldError("correct", problem))
    for name, text in (("wrong", wrong), ("correct", correct)):
        if "\x00" in text:
            errors.append(FieldError(name, "不能包含空字符（NUL）"))
    if errors:
        raise InvalidInput("更正申请有误，请检查标出的项目", errors=errors)
    return field, wrong, correct


def _facts(req: CorrectionRequest) -> dict[str, Any]:
    scope = f"privacy.correction:{req.pk}"
    return {
        "field": req.field,
        "wrong": redact.text_fact(req.wrong, scope=f"{scope}:wrong"),
        "correct": redact.text_fact(req.correct, scope=f"{scope}:correct"),
    }


@transaction.atomic
def correction_request(*, actor: Any, field: str, wrong: str, correct: str) -> CorrectionRequest:
    """File the signed-in applicant's request; Conflict while one on the same item waits."""
    profile = _profile(actor)
    field, wrong, correct = check_request(field, wrong, correct)
    label = CorrectionField(field).label
    if CorrectionRequest.objects.filter(
        applicant=profile, field=field, state=CorrectionState.WAITING
    ).exists():
        raise Conflict(f"您已就“{label}”提出更正申请，正在处理中，请等待答复", field="field")
    req = CorrectionRequest.objects.create(
        applicant=profile, field=field, wrong=wrong, correct=correct
    )
    record_event(
        actor=actor, action="privacy.correction_request", target=req, after=_facts(req)
    )
    notify_many(
        recipients=User.objects.filter(role=Role.BUREAU_ADMIN, is_active=True),
        subject="新的个人信息更正申请",
        body=f"申请人就“{label}”提出了个人信息更正申请（第 {req.pk} 号），请及时处理。",
        link=reverse("privacy:queue"),
    )
    return req


def _apply(req: CorrectionRequest) -> dict[str, Any]:
    """Change the account item ``req`` names; the audit's before/after fingerprints."""
    profile = req.applicant
    user: User = profile.user
    scope = f"privacy.correction:{req.pk}:applied"
    if req.field == CorrectionField.NAME:
        before = profile.name
        profile.name = req.correct
        profile.save(update_fields=["name"])
        user.full_name = req.correct
        user.save(update_fields=["full_name"])
    elif req.field == CorrectionField.PHONE:
        before = user.phone
        user.phone = req.correct
        user.save(update_fields=["phone"])
    else:
        before = user.email
        user.email = req.correct
        user.save(update_fields=["email"])
    return {
        "before": redact.fingerprint(before, scope=scope),
        "after": redact.fingerprint(req.correct, scope=scope),
    }


@transaction.atomic
def correction_answer(
    *, actor: Any, request_id: int, accept: bool, answer: str
) -> CorrectionRequest:
    """The bureau's answer: accepted (an account item changed at once) or refused with a
    reason; the applicant is told by message."""
    _require_bureau(actor)
    req = (
        CorrectionRequest.objects.select_for_update()
        .select_related("applicant__user")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise NotFound(NOT_FOUND)
    answer = (answer or "").strip()
    if req.state != CorrectionState.WAITING:
        raise Conflict(f"该更正申请已处理（{req.get_state_display()}），不能再次答复")
    if not accept and not answer:
        raise InvalidInput("不予更正时须说明理由", field="answer")
    if len(answer) > ANSWER_MAX:
        raise InvalidInput(f"处理意见最多 {ANSWER_MAX} 个字", field="answer")
    if "\x00" in answer:
        raise InvalidInput("不能包含空字符（NUL）", field="answer")
    applied = None
    if accept and req.field in APPLIED_FIELDS:
        problem = _check_correct(req.field, req.correct)
        if problem:
            raise Conflict(f"申请的更正内容无法直接采用：{problem}")
        applied = _apply(req)
    req.state = CorrectionState.ACCEPTED if accept else CorrectionState.REFUSED
    req.answer = answer
    req.answered_by = actor
    req.answered_at = timezone.now()
    req.save(update_fields=["state", "answer", "answered_by", "answered_at"])
    record_event(
        actor=actor,
        action="privacy.correction_answer",
        target=req,
        before={"state": CorrectionState.WAITING},
        after={
            "state": req.state,
            "applied": applied,
            "answer": redact.text_fact(answer, scope=f"privacy.correction:{req.pk}:answer"),
        },
    )
    label = req.get_field_display()
    if accept:
        body = (
            f"您就“{label}”提出的个人信息更正申请已受理并更正。"
            if applied
            else f"您就“{label}”提出的个人信息更正申请已受理，请按处理意见办理。"
        )
    else:
        body = f"您就“{label}”提出的个人信息更正申请不予更正。"
    if answer:
        body += f"\n处理意见：{answer}"
    notify(
        recipient=req.applicant.user,
        subject="个人信息更正申请已处理",
        body=body,
        link=reverse("privacy:mine"),
    )
    return req


def corrections_of(actor: Any) -> QuerySet[CorrectionRequest]:
    """The signed-in applicant's own requests, newest first."""
    return CorrectionRequest.objects.filter(applicant=_profile(actor))


def queue(actor: Any, *, state: str = "") -> QuerySet[CorrectionRequest]:
    """The bureau's queue: every request (or those in ``state``), waiting ones first, oldest
    first among them."""
    _require_bureau(actor)
    qs = CorrectionRequest.objects.select_related("applicant", "answered_by")
    if state in CorrectionState.values:
        qs = qs.filter(state=state)
    return qs.order_by("-state", "created_at", "id") if not state else qs.order_by("created_at")


def queue_item(actor: Any, request_id: int) -> CorrectionRequest:
    _require_bureau(actor)
    req = (
        CorrectionRequest.objects.select_related("applicant__user", "answered_by")
        .filter(pk=request_id)
        .first()
    )
    if req is None:
        raise NotFound(NOT_FOUND)
    return req
