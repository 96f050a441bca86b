"""The life cycle of an incident ticket (故障单): register → respond → analysis and actions →
resolve → close, each step a timeline line and an audit event; the major-incident triggers
(重大故障触发条件, parameters ``major_*``) that escalate a ticket and start the emergency plan
(应急预案); and the response and resolution times against the SLA parameters.

Alerts open tickets by themselves (:mod:`jifen.ops.alerts`); an operator registers the others
here (7×24 phone line, remote, e-mail, on site).

Each step takes the moment it happened as ``at`` (now by default): the pages never pass it;
it is for steps recorded after the fact (the demo's month of records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound
from jifen.core.roles import Role
from jifen.inbox.services import notify_many

from . import parameters
from .alerts import open_incident
from .models import HealthProbe, Incident, IncidentEvent

RESPOND_ACTION = "ops.incident_respond"
ANALYSIS_ACTION = "ops.incident_analysis"
ACTIONS_ACTION = "ops.incident_actions"
IMPACT_ACTION = "ops.incident_impact"
ESCALATE_ACTION = "ops.incident_escalate"
RESOLVE_ACTION = "ops.incident_resolve"
CLOSE_ACTION = "ops.incident_close"

# The channels an operator registers by hand (monitoring is the alerts' own).
MANUAL_CHANNELS = (
    Incident.Channel.PHONE,
    Incident.Channel.REMOTE,
    Incident.Channel.EMAIL,
    Incident.Channel.ONSITE,
)
# How far before the report a run of failed health probes may have started and still count
# as this incident's outage.
PROBE_LOOKBACK = timedelta(hours=24)
# The fields a ticket must have before it is closed (the agreement's fields), in form order.
REQUIRED_TO_CLOSE = (("symptom", "故障现象"), ("analysis", "故障分析"), ("actions", "处理措施"))


def get_incident(number: str) -> Incident:
    incident = (
        Incident.objects.select_related("handler", "created_by").filter(number=number).first()
    )
    if incident is None:
        raise NotFound("没有找到该故障单。")
    return incident


def _locked(incident_id: int) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise NotFound("没有找到该故障单。")
    return incident


def _line(incident: Incident, *, actor: Any, kind: str, text: str, at: datetime) -> None:
    IncidentEvent.objects.create(incident=incident, at=at, actor=actor, kind=kind, text=text)


def _text(value: str | None, *, field: str, label: str, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{label}。", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label}最多 {max_length} 个字。", field=field)
    return text


def _need_status(incident: Incident, allowed: tuple[str, ...], doing: str) -> None:
    if incident.status not in allowed:
        raise Conflict(
            f"故障单 {incident.number} 当前为“{incident.get_status_display()}”，不能{doing}。"
        )


# ---- register ---------------------------------------------------------------------------


def register_incident(
    *,
    actor: Any,
    title: str,
    symptom: str,
    channel: str,
    severity: str = Incident.Severity.MINOR,
    reported_at: datetime | None = None,
) -> Incident:
    """Register an incident reported by phone (7×24), remotely, by e-mail or on site.

    A ticket registered as major (重大) is escalated at once: the emergency plan starts."""
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(("title", "请填写故障标题。"))
    elif len(title) > 200:
        errors.append(("title", "故障标题最多 200 个字。"))
    if not (symptom or "").strip():
        errors.append(("symptom", "请填写故障现象。"))
    if channel not in MANUAL_CHANNELS:
        errors.append(("channel", "请选择报告途径（7×24 电话、远程、电子邮件或现场）。"))
    if severity not in Incident.Severity.values:
        errors.append(("severity", "请选择故障级别。"))
    now = timezone.now()
    if reported_at is not None and reported_at > now + timedelta(minutes=1):
        errors.append(("reported_at", "发现时间不能晚于当前时间。"))
    if errors:
        raise InvalidInput(
            errors[0][1], errors=[FieldError(field, message) for field, message in errors]
        )
    with transaction.atomic():
        incident = open_incident(
            title=title,
            symptom=symptom.strip(),
            channel=channel,
            severity=severity,
            actor=actor,
            reported_at=reported_at or now,
        )
        if severity == Incident.Severity.MAJOR:
            _escalate(incident, actor=actor, reasons=["登记时定为重大故障"], at=now)
    return incident


# ---- the steps --------------------------------------------------------------------------


@transaction.atomic
def respond(
    *, actor: Any, incident_id: int, handler: Any = None, at: datetime | None = None
) -> Incident:
    """Take the ticket: response time now, the handler (the actor unless another operator is
    named), status 处理中."""
    incident = _locked(incident_id)
    _need_status(incident, (Incident.Status.OPEN,), "响应")
    handler = handler or actor
    if getattr(handler, "role", None) != Role.OPERATOR or not handler.is_active:
        raise InvalidInput("处理人须为在岗的运维人员。", field="handler")
    now = at or timezone.now()
    incident.responded_at = now
    incident.handler = handler
    incident.status = Incident.Status.RESPONDING
    incident.save(update_fields=["responded_at", "handler", "status"])
    minutes = response_minutes(incident)
    _line(
        incident,
        actor=actor,
        kind="responded",
        text=f"响应故障，处理人：{_person(handler)}（响应用时 {minutes} 分钟）",
        at=now,
    )
    record_event(
        actor=actor,
        action=RESPOND_ACTION,
        target=incident,
        before={"status": Incident.Status.OPEN},
        after={"status": incident.status, "handler": handler.pk, "response_minutes": minutes},
    )
    return incident


def _record_text(
    *,
    actor: Any,
    incident_id: int,
    field: str,
    label: str,
    text: str,
    action: str,
    at: datetime | None,
) -> Incident:
    incident = _locked(incident_id)
    _need_status(incident, (Incident.Status.RESPONDING, Incident.Status.RESOLVED), f"记录{label}")
    text = _text(text, field=field, label=label)
    had = bool(getattr(incident, field))
    setattr(incident, field, text)
    incident.save(update_fields=[field])
    now = at or timezone.now()
    _line(
        incident,
        actor=actor,
        kind=field,
        text=f"{'修改' if had else '记录'}{label}：{text}",
        at=now,
    )
    record_event(actor=actor, action=action, target=incident, after={"field": field})
    return incident


@transaction.atomic
def record_analysis(
    *, actor: Any, incident_id: int, analysis: str, at: datetime | None = None
) -> Incident:
    """Record (or revise) the analysis (故障分析)."""
    return _record_text(
        actor=actor,
        incident_id=incident_id,
        field="analysis",
        label="故障分析",
        text=analysis,
        action=ANALYSIS_ACTION,
        at=at,
    )


@transaction.atomic
def record_actions(
    *, actor: Any, incident_id: int, actions: str, at: datetime | None = None
) -> Incident:
    """Record (or revise) the actions taken (处理措施)."""
    return _record_text(
        actor=actor,
        incident_id=incident_id,
        field="actions",
        label="处理措施",
        text=actions,
        action=ACTIONS_ACTION,
        at=at,
    )


@transaction.atomic
def record_impact(
    *,
    actor: Any,
    incident_id: int,
    outage_minutes: int | None = None,
    affected_users: int | None = None,
    data_loss: bool = False,
    security_breach: bool = False,
    at: datetime | None = None,
) -> Incident:
    """Record the incident's impact; an outage left blank is computed from the health probes.
    When the impact meets a major-incident trigger the ticket is escalated."""
    incident = _locked(incident_id)
    _need_status(incident, (Incident.Status.OPEN, Incident.Status.RESPONDING), "记录故障影响")
    for field, label, value in (
        ("outage_minutes", "系统中断时长", outage_minutes),
        ("affected_users", "受影响用户数", affected_users),
    ):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidInput(f"{label}应为非负整数。", field=field)
    now = at or timezone.now()
    computed = False
    if outage_minutes is None:
        outage_minutes = outage_from_probes(incident, until=now) or None
        computed = outage_minutes is not None
    incident.outage_minutes = outage_minutes
    incident.affected_users = affected_users
    incident.data_loss = bool(data_loss)
    incident.security_breach = bool(security_breach)
    incident.save(
        update_fields=["outage_minutes", "affected_users", "data_loss", "security_breach"]
    )
    text = f"记录故障影响：{impact_text(incident, computed)}"
    _line(incident, actor=actor, kind="impact", text=text, at=now)
    record_event(
        actor=actor,
        action=IMPACT_ACTION,
        target=incident,
        after={
            "outage_minutes": outage_minutes,
            "outage_from_probes": computed,
            "affected_users": affected_users,
            "data_loss": incident.data_loss,
            "security_breach": incident.security_breach,
        },
    )
    reasons = major_reasons(incident)
    if reasons:
        _escalate(incident, actor=actor, reasons=reasons, at=now)
    return incident


@transaction.atomic
def resolve(*, actor: Any, incident_id: int, at: datetime | None = None) -> Incident:
    """The fault is removed: completion time now, status 已解决. The actions taken must be on
    the ticket. An outage not reported is computed from the health probes, and the triggers are
    checked once more."""
    incident = _locked(incident_id)
    _need_status(incident, (Incident.Status.RESPONDING,), "标记为已解决")
    if not incident.actions.strip():
        raise InvalidInput("请先填写处理措施，再标记故障已解决。", field="actions")
    now = at or timezone.now()
    incident.completed_at = now
    incident.status = Incident.Status.RESOLVED
    fields = ["completed_at", "status"]
    if incident.outage_minutes is None:
        measured = outage_from_probes(incident, until=now)
        if measured:
            incident.outage_minutes = measured
            fields.append("outage_minutes")
    incident.save(update_fields=fields)
    hours = resolve_hours(incident)
    _line(
        incident,
        actor=actor,
        kind="resolved",
        text=f"故障处理完成（处理用时 {hours} 小时）",
        at=now,
    )
    record_event(
        actor=actor,
        action=RESOLVE_ACTION,
        target=incident,
        before={"status": Incident.Status.RESPONDING},
        after={"status": incident.status, "resolve_hours": hours},
    )
    reasons = major_reasons(incident)
    if reasons:
        _escalate(incident, actor=actor, reasons=reasons, at=now)
    return incident


@transaction.atomic
def close(*, actor: Any, incident_id: int, at: datetime | None = None) -> Incident:
    """Close a resolved ticket; the symptom, analysis and actions must all be filled in (the
    report is made from them)."""
    incident = _locked(incident_id)
    _need_status(incident, (Incident.Status.RESOLVED,), "关闭")
    for field, label in REQUIRED_TO_CLOSE:
        if not getattr(incident, field).strip():
            raise InvalidInput(f"请先填写{label}，再关闭故障单。", field=field)
    now = at or timezone.now()
    incident.closed_at = now
    incident.status = Incident.Status.CLOSED
    incident.save(update_fields=["closed_at", "status"])
    _line(incident, actor=actor, kind="closed", text="关闭故障单，出具故障处理报告", at=now)
    record_event(
        actor=actor,
        action=CLOSE_ACTION,
        target=incident,
        before={"status": Incident.Status.RESOLVED},
        after={"status": incident.status},
    )
    return incident


# ---- major incidents --------------------------------------------------------------------


def major_reasons(incident: Incident) -> list[str]:
    """The major-incident triggers ``incident`` meets now, as Chinese sentences."""
    reasons = []
    outage_limit = parameters.get("major_outage_minutes")
    if incident.outage_minutes is not None and incident.outage_minutes >= outage_limit:
        reasons.append(
            f"系统中断 {incident.outage_minutes} 分钟，达到重大故障条件（{outage_limit} 分钟）"
        )
    users_limit = parameters.get("major_affected_users")
    if incident.affected_users is not None and incident.affected_users >= users_limit:
        reasons.append(
            f"受影响用户 {incident.affected_users} 人，达到重大故障条件（{users_limit} 人）"
        )
    if incident.data_loss and parameters.get("major_on_data_loss"):
        reasons.append("发生数据丢失")
    if incident.security_breach and parameters.get("major_on_security_breach"):
        reasons.append("发生安全事件（数据泄露或入侵）")
    return reasons


def _escalate(incident: Incident, *, actor: Any, reasons: list[str], at: datetime) -> None:
    """Make the ticket major, start the emergency plan, tell the bureau and the operators.
    Once only: a ticket whose emergency plan has started is not escalated again."""
    if incident.emergency_plan_started_at is not None:
        return
    before = incident.severity
    reason = "；".join(reasons)
    incident.severity = Incident.Severity.MAJOR
    incident.escalation_reason = reason
    incident.emergency_plan_started_at = at
    incident.save(update_fields=["severity", "escalation_reason", "emergency_plan_started_at"])
    _line(incident, actor=actor, kind="escalated", text=f"升级为重大故障：{reason}", at=at)
    _line(incident, actor=actor, kind="emergency_plan", text="启动应急预案", at=at)
    record_event(
        actor=actor,
        action=ESCALATE_ACTION,
        target=incident,
        before={"severity": before},
        after={"severity": incident.severity, "emergency_plan_started_at": at},
        detail=reason,
    )
    recipients = (
        get_user_model()
        .objects.filter(role__in=(Role.BUREAU_ADMIN, Role.OPERATOR), is_active=True)
        .order_by("pk")
    )
    notify_many(
        recipients=recipients,
        subject=f"重大故障 {incident.number}：已启动应急预案",
        body=(
            f"故障单 {incident.number}（{incident.title}）已升级为重大故障，"
            f"于 {timezone.localtime(at):%Y-%m-%d %H:%M} 启动应急预案。\n升级原因：{reason}"
        ),
        link=reverse("ops:incident", args=[incident.number]),
    )


def outage_from_probes(incident: Incident, *, until: datetime | None = None) -> int:
    """The outage of ``incident`` in whole minutes, from the health probes: the longest run of
    consecutive failed probes that was not over before the ticket was reported (it may have
    started up to a day before), from its first failed probe to the next successful one (or
    to the last failed one, while it lasts). 0 when there is none."""
    end = until or incident.completed_at or timezone.now()
    probes = list(
        HealthProbe.objects.filter(at__gte=incident.reported_at - PROBE_LOOKBACK, at__lte=end)
        .order_by("at")
        .values_list("at", "ok")
    )
    longest = timedelta(0)
    run_start: datetime | None = None
    last_failed: datetime | None = None
    for at, ok in probes:
        if not ok:
            run_start = run_start or at
            last_failed = at
            continue
        if run_start is not None:
            if at >= incident.reported_at:
                longest = max(longest, at - run_start)
            run_start = None
    if run_start is not None and last_failed is not None:
        longest = max(longest, last_failed - run_start)
    return int(longest.total_seconds() // 60)


def impact_text(incident: Incident, computed: bool = False) -> str:
    parts = []
    if incident.outage_minutes is not None:
        source = "（据健康探测记录计算）" if computed else ""
        parts.append(f"系统中断 {incident.outage_minutes} 分钟{source}")
    if incident.affected_users is not None:
        parts.append(f"受影响用户 {incident.affected_users} 人")
    if incident.data_loss:
        parts.append("发生数据丢失")
    if incident.security_breach:
        parts.append("发生安全事件")
    return "，".join(parts) or "未发现系统中断、数据丢失或安全事件"


# ---- times against the SLA --------------------------------------------------------------


def _person(user: Any) -> str:
    if user is None:
        return "系统"
    return user.full_name or user.get_username()


def response_minutes(incident: Incident) -> float | None:
    """Minutes from the report to the response, to one decimal (None before the response)."""
    if incident.responded_at is None:
        return None
    return round((incident.responded_at - incident.reported_at).total_seconds() / 60, 1)


def resolve_hours(incident: Incident) -> float | None:
    """Hours from the report to the completion, to two decimals (None before it)."""
    if incident.completed_at is None:
        return None
    return round((incident.completed_at - incident.reported_at).total_seconds() / 3600, 2)


@dataclass(frozen=True)
class SlaFigure:
    label: str
    value: float | None  # None: not yet
    unit: str
    target: int
    met: bool | None  # None: still running and within the limit
    elapsed: float  # so far (the value once done)

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "进行中"
        return "达标" if self.met else "超时"


def _figure(label: str, value: float | None, elapsed: float, unit: str, target: int) -> SlaFigure:
    if value is not None:
        met: bool | None = value <= target
    else:
        met = False if elapsed > target else None
    return SlaFigure(label, value, unit, target, met, elapsed)


def sla_targets() -> tuple[int, int]:
    """(response minutes, resolution hours) agreed: the SLA parameters."""
    return (
        parameters.get("sla_incident_response_minutes"),
        parameters.get("sla_incident_resolve_hours"),
    )


def sla(
    incident: Incident, *, now: datetime | None = None, targets: tuple[int, int] | None = None
) -> list[SlaFigure]:
    """The response and resolution times against ``sla_incident_response_minutes`` and
    ``sla_incident_resolve_hours`` (``targets``: those, read once for a list); a time still
    running counts as over once past the limit."""
    now = now or timezone.now()
    response_target, resolve_target = targets or sla_targets()
    so_far = (now - incident.reported_at).total_seconds()
    minutes = response_minutes(incident)
    hours = resolve_hours(incident)
    return [
        _figure(
            "响应时间",
            minutes,
            minutes if minutes is not None else round(so_far / 60, 1),
            "分钟",
            response_target,
        ),
        _figure(
            "处理时间",
            hours,
            hours if hours is not None else round(so_far / 3600, 2),
            "小时",
            resolve_target,
        ),
    ]


# ---- lists ------------------------------------------------------------------------------


def incident_list(*, status: str = "", severity: str = "", month: str = "") -> Any:
    """Incidents, newest first, filtered by status, severity and month (``YYYY-MM`` of the
    report, Beijing time); a bad month is InvalidInput naming ``month``."""
    rows = Incident.objects.select_related("handler").order_by("-reported_at", "-id")
    if status:
        if status not in Incident.Status.values:
            raise InvalidInput("没有这种故障单状态。", field="status")
        rows = rows.filter(status=status)
    if severity:
        if severity not in Incident.Severity.values:
            raise InvalidInput("没有这种故障级别。", field="severity")
        rows = rows.filter(severity=severity)
    if month:
        start, end = month_bounds(month)
        rows = rows.filter(reported_at__gte=start, reported_at__lt=end)
    return rows


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first moment of ``month`` (``YYYY-MM``, Beijing time) and of the month after."""
    try:
        year, mon = (int(part) for part in month.split("-"))
        start = timezone.make_aware(datetime(year, mon, 1))
    except (ValueError, TypeError):
        raise InvalidInput("月份格式应为“2026-05”。", field="month") from None
    end = timezone.make_aware(datetime(year + mon // 12, mon % 12 + 1, 1))
    return start, end
