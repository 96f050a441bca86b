"""Complaints (投诉受理): taken with the channel and the time, answered within
``sla_complaint_working_days`` working days on the official calendar (public holidays and the
make-up working days of :mod:`jifen.core.working_days`), escalated when overdue, and the reply
rate for the list page and the reports (:func:`complaint_stats`).

Hours: complaints are taken 8:00–20:00 (parameters ``complaint_hours_start``/``_end``). One
received outside those hours (an e-mail at night, a letter opened late) is still taken — a
complaint is never refused for its time — but flagged (:func:`outside_hours`), shown on the
list and counted in the statistics. Its time limit counts from the day it was received like
any other (the day of receipt is never counted, so the result is the same as counting from
the next morning).

Escalation (:func:`escalate_overdue`, the hourly job ``complaint_escalation``): an open
complaint past its due time goes to level 1, the client's operations lead (甲方运维负责人);
once it is ``complaint_escalate_management_working_days`` working days past its due day, to
level 2, management (管理层). Each level is one inbox message to its people and one audit
event. Who they are: the usernames in the parameters ``complaint_escalation_lead`` and
``complaint_escalation_management``; while those are empty, the bureau administrators
(level 1) and the bureau administrators with the operators (level 2).

The complainant's name and contact are personal data: lists show them masked
(:func:`mask_name`, :func:`mask_contact`); the detail page shows them in full and records the
view (``record_access``). Audit events never hold them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from jifen.audit.services import record_access, record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound
from jifen.core.roles import Role
from jifen.core.working_days import add_working_days, working_days_between
from jifen.inbox.services import notify_many

from . import parameters
from .models import Complaint
from .numbering import create_numbered

TAKE_ACTION = "ops.complaint_take"
ANSWER_ACTION = "ops.complaint_answer"
ESCALATE_ACTION = "ops.complaint_escalate"

_LIMITS = {"complainant": 50, "contact": 100, "subject": 200, "content": 5000, "answer": 5000}
_LABELS = {
    "channel": "受理渠道",
    "complainant": "投诉人",
    "contact": "联系方式",
    "subject": "事由",
    "content": "投诉内容",
    "answer": "答复内容",
    "received_at": "受理时间",
}


# ---- time limits ------------------------------------------------------------------------


def due_date(received_at: datetime) -> date:
    """The last day to answer a complaint received at ``received_at``: the
    ``sla_complaint_working_days``-th working day after the day of receipt (Beijing time)."""
    day = timezone.localtime(received_at).date()
    return add_working_days(day, parameters.get("sla_complaint_working_days"))


def due_at(received_at: datetime) -> datetime:
    """The end of :func:`due_date` (23:59:59, Beijing time)."""
    return timezone.make_aware(datetime.combine(due_date(received_at), time(23, 59, 59)))


def service_hours() -> tuple[int, int]:
    """The hours complaints are taken (parameters ``complaint_hours_start``/``_end``)."""
    return parameters.get("complaint_hours_start"), parameters.get("complaint_hours_end")


def outside_hours(received_at: datetime, hours: tuple[int, int] | None = None) -> bool:
    """Whether ``received_at`` is outside the hours complaints are taken (8:00–20:00 by
    default; 20:00:00 itself is inside). ``hours``: :func:`service_hours`, read once for a
    list."""
    start_hour, end_hour = hours or service_hours()
    moment = timezone.localtime(received_at).time()
    end = time(23, 59, 59, 999999) if end_hour >= 24 else time(end_hour)
    return not (time(start_hour) <= moment <= end)


def hours_text() -> str:
    start, end = parameters.get("complaint_hours_start"), parameters.get("complaint_hours_end")
    return f"{start}:00–{end}:00"


# ---- masking ----------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """王素芳 → 王**."""
    name = name or ""
    return name[:1] + "*" * (len(name) - 1)


def mask_contact(contact: str) -> str:
    """13812345678 → 138****5678; wang.li@example.com → w***@example.com; anything else: the
    first and last two characters."""
    contact = (contact or "").strip()
    if not contact:
        return ""
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(contact) == 11 and contact.isdigit():
        return contact[:3] + "****" + contact[-4:]
    if len(contact) <= 4:
        return "*" * len(contact)
    return contact[:2] + "*" * (len(contact) - 4) + contact[-2:]


# ---- taking and answering ---------------------------------------------------------------


def _clean(values: dict[str, str | None], required: tuple[str, ...]) -> dict[str, str]:
    errors = []
    out = {}
    for field, raw in values.items():
        text = (raw or "").strip()
        if field in required and not text:
            errors.append(FieldError(field, f"请填写{_LABELS[field]}。"))
        elif len(text) > _LIMITS[field]:
            errors.append(FieldError(field, f"{_LABELS[field]}最多 {_LIMITS[field]} 个字。"))
        out[field] = text
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    return out


@transaction.atomic
def take_complaint(
    *,
    actor: Any,
    channel: str,
    complainant: str,
    contact: str,
    subject: str,
    content: str,
    received_at: datetime | None = None,
) -> Complaint:
    """Take a complaint (受理投诉), numbered TS-<year>-<serial>, due in the SLA's working days.
    ``received_at`` defaults to now and cannot be in the future."""
    if channel not in Complaint.Channel.values:
        raise InvalidInput("请选择受理渠道。", field="channel")
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=1):
        raise InvalidInput("受理时间不能晚于当前时间。", field="received_at")
    fields = _clean(
        {
            "complainant": complainant,
            "contact": contact,
            "subject": subject,
            "content": content,
        },
        required=("complainant", "contact", "subject", "content"),
    )
    complaint = create_numbered(
        Complaint,
        "TS",
        received_at,
        channel=channel,
        received_at=received_at,
        due_at=due_at(received_at),
        taken_by=actor,
        **fields,
    )
    record_event(
        actor=actor,
        action=TAKE_ACTION,
        target=complaint,
        after={
            "number": complaint.number,
            "channel": channel,
            "received_at": received_at,
            "due_at": complaint.due_at,
            "outside_hours": outside_hours(received_at),
        },
    )
    return complaint


@transaction.atomic
def answer_complaint(
    *, actor: Any, complaint_id: int, answer: str, at: datetime | None = None
) -> Complaint:
    """Answer an open complaint (答复): the text, the time (``at``, now by default: the pages
    never pass it) and who answered."""
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound("没有找到该投诉。")
    if complaint.status != Complaint.Status.OPEN:
        when = timezone.localtime(complaint.answered_at)
        raise Conflict(f"投诉 {complaint.number} 已于 {when:%Y-%m-%d %H:%M} 答复，不能再次答复。")
    text = _clean({"answer": answer}, required=("answer",))["answer"]
    now = at or timezone.now()
    complaint.answer = text
    complaint.answered_at = now
    complaint.answered_by = actor
    complaint.status = Complaint.Status.ANSWERED
    complaint.save(update_fields=["answer", "answered_at", "answered_by", "status"])
    record_event(
        actor=actor,
        action=ANSWER_ACTION,
        target=complaint,
        before={"status": Complaint.Status.OPEN},
        after={"status": complaint.status, "on_time": now <= complaint.due_at},
    )
    return complaint


def get_complaint(number: str) -> Complaint:
    complaint = (
        Complaint.objects.select_related("answered_by", "taken_by").filter(number=number).first()
    )
    if complaint is None:
        raise NotFound("没有找到该投诉。")
    return complaint


def view_complaint(*, actor: Any, number: str) -> Complaint:
    """The complaint with the complainant in full, the view recorded (personal data)."""
    complaint = get_complaint(number)
    record_access(actor=actor, target=complaint, field="complainant,contact")
    return complaint


# ---- escalation -------------------------------------------------------------------------


def _people(parameter: str, fallback_roles: tuple[str, ...]) -> list[Any]:
    users = get_user_model().objects.filter(is_active=True)
    names = parameters.get(parameter)
    chosen = users.filter(username__in=names) if names else users.filter(role__in=fallback_roles)
    return list(chosen.order_by("pk"))


def level_due(complaint: Complaint, now: datetime) -> int:
    """The escalation level an open complaint should have at ``now``."""
    if complaint.status != Complaint.Status.OPEN or now <= complaint.due_at:
        return Complaint.Escalation.NONE
    late_days = working_days_between(
        timezone.localtime(complaint.due_at).date(), timezone.localtime(now).date()
    )
    if late_days >= parameters.get("complaint_escalate_management_working_days"):
        return Complaint.Escalation.MANAGEMENT
    return Complaint.Escalation.OPS_LEAD


_LEVELS = {
    Complaint.Escalation.OPS_LEAD: (
        "complaint_escalation_lead",
        (Role.BUREAU_ADMIN,),
        "甲方运维负责人",
    ),
    Complaint.Escalation.MANAGEMENT: (
        "complaint_escalation_management",
        (Role.BUREAU_ADMIN, Role.OPERATOR),
        "管理层",
    ),
}


@transaction.atomic
def escalate_overdue(*, now: datetime | None = None) -> list[tuple[str, int]]:
    """Raise every overdue open complaint to the level it is due; each level reached is one
    inbox message to its people and one audit event. (number, level) of each step taken."""
    now = now or timezone.now()
    steps: list[tuple[str, int]] = []
    overdue = Complaint.objects.select_for_update().filter(
        status=Complaint.Status.OPEN,
        due_at__lt=now,
        escalation__lt=Complaint.Escalation.MANAGEMENT,
    )
    for complaint in overdue.order_by("due_at", "id"):
        target = level_due(complaint, now)
        for level in range(complaint.escalation + 1, target + 1):
            parameter, roles, who = _LEVELS[Complaint.Escalation(level)]
            before = complaint.escalation
            complaint.escalation = level
            complaint.escalated_at = now
            complaint.save(update_fields=["escalation", "escalated_at"])
            due = timezone.localtime(complaint.due_at)
            notify_many(
                recipients=_people(parameter, roles),
                subject=f"投诉 {complaint.number} 超期未答复，已升级至{who}",
                body=(
                    f"投诉 {complaint.number}（{complaint.subject}）应于 {due:%Y-%m-%d} 前答复，"
                    f"至 {timezone.localtime(now):%Y-%m-%d %H:%M} 仍未答复，按规定升级至{who}。"
                ),
                link=reverse("ops:complaint", args=[complaint.number]),
            )
            record_event(
                actor=None,
                action=ESCALATE_ACTION,
                target=complaint,
                before={"escalation": before},
                after={"escalation": level},
                detail=f"超期未答复，升级至{who}",
            )
            steps.append((complaint.number, level))
    return steps


def escalation_job() -> str:
    """The hourly job ``complaint_escalation``: its summary line."""
    steps = escalate_overdue()
    if not steps:
        return "没有需要升级的超期投诉"
    return "；".join(
        f"{number} 升级至{'甲方运维负责人' if level == 1 else '管理层'}" for number, level in steps
    )


# ---- lists and statistics ---------------------------------------------------------------


def complaint_list(
    *, status: str = "", start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Complaint]:
    rows = Complaint.objects.select_related("answered_by").order_by("-received_at", "-id")
    if status == "overdue":
        rows = rows.filter(status=Complaint.Status.OPEN, due_at__lt=timezone.now())
    elif status:
        if status not in Complaint.Status.values:
            raise InvalidInput("没有这种投诉状态。", field="status")
        rows = rows.filter(status=status)
    if start is not None:
        rows = rows.filter(received_at__gte=start)
    if end is not None:
        rows = rows.filter(received_at__lt=end)
    return rows


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def complaint_stats(
    start: datetime, end: datetime, *, now: datetime | None = None
) -> dict[str, Any]:
    """The complaints received in ``[start, end)`` and how they were answered (as of ``now``).

    Keys:

    - ``received``: complaints received in the period;
    - ``answered``: of these, answered (by ``now``), on time or late;
    - ``answered_on_time``: answered no later than their due time;
    - ``answered_late``: answered after their due time;
    - ``open``: not answered yet; ``overdue``: of these, past their due time;
    - ``reply_rate``: answered / received, percent to one decimal (None when none received);
    - ``on_time_rate``: answered on time / received, percent (None when none received);
    - ``target``: the agreed reply rate (parameter ``sla_complaint_reply_percent``);
    - ``met``: ``on_time_rate`` reaches ``target`` (None when none received);
    - ``escalated``: complaints escalated at all; ``escalated_management``: to management;
    - ``outside_hours``: received outside the hours complaints are taken;
    - ``by_channel``: {channel's Chinese name: count}, every channel listed.
    """
    now = now or timezone.now()
    rows = list(
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end).values_list(
            "channel", "received_at", "due_at", "answered_at", "escalation"
        )
    )
    received = len(rows)
    answered = [r for r in rows if r[3] is not None and r[3] <= now]
    on_time = sum(1 for r in answered if r[3] <= r[2])
    open_rows = [r for r in rows if r[3] is None or r[3] > now]
    target = parameters.get("sla_complaint_reply_percent")
    hours = service_hours()
    on_time_rate = _percent(on_time, received)
    labels = dict(Complaint.Channel.choices)
    by_channel = {label: 0 for label in labels.values()}
    for r in rows:
        by_channel[labels.get(r[0], r[0])] = by_channel.get(labels.get(r[0], r[0]), 0) + 1
    return {
        "received": received,
        "answered": len(answered),
        "answered_on_time": on_time,
        "answered_late": len(answered) - on_time,
        "open": len(open_rows),
        "overdue": sum(1 for r in open_rows if r[2] < now),
        "reply_rate": _percent(len(answered), received),
        "on_time_rate": on_time_rate,
        "target": target,
        "met": None if on_time_rate is None else on_time_rate >= target,
        "escalated": sum(1 for r in rows if r[4] > 0),
        "escalated_management": sum(1 for r in rows if r[4] >= Complaint.Escalation.MANAGEMENT),
        "outside_hours": sum(1 for r in rows if outside_hours(r[1], hours)),
        "by_channel": by_channel,
    }
