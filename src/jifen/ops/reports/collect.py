"""The figures of an operations report, computed from the operations records (the models of
:mod:`jifen.ops.models`, read directly) for one period.

:func:`collect` returns a plain, JSON-serialisable dict; every date is ``YYYY-MM-DD`` and every
time ``YYYY-MM-DD HH:MM`` in Beijing time; a rate is a percentage (float) or ``None`` when the
period has nothing to measure it on. Its keys:

``period``
    ``kind`` (month|quarter|year), ``label`` (2026Q4), ``title`` (the report's Chinese title),
    ``first_day``, ``last_day``, ``as_of`` (when the figures were taken: the period's end, or
    now for a period not yet over).
``work`` (工作概况)
    counts of what was done in the period: ``inspections_daily``, ``inspections_weekly``,
    ``inspections_monthly``, ``backups_full``, ``backups_incremental``, ``backups_failed``,
    ``drills``, ``drills_passed``, ``alerts``, ``incidents``, ``incidents_closed``,
    ``complaints``, ``complaints_answered``, ``visits``, ``training_held``,
    ``training_attendees``, ``config_changes``, ``parameter_changes``.
``service`` (服务统计与分析: on-site visits)
    ``visits``, ``signed_off``, ``rated``, ``satisfaction_mean`` (1–5), ``satisfied_percent``
    (share of rated visits rated 满意 or 很满意), ``target`` (``sla_visit_satisfaction_percent``),
    ``met``, ``by_month`` (``month``, ``visits``, ``satisfaction_mean``), ``by_rating``.
``complaints`` (意见反馈与投诉统计: complaints received in the period)
    ``received``, ``answered``, ``answered_on_time`` (by their due time), ``answered_late``,
    ``open``, ``overdue`` (open past their due time now), ``pending`` (open, not yet due),
    ``reply_rate`` (answered / received), ``on_time_rate`` (answered on time / those due),
    ``target`` (``sla_complaint_reply_percent``), ``reply_met``, ``working_days``,
    ``escalated`` (to the ops lead or beyond), ``escalated_management``, ``by_channel``.
``incidents`` (故障分析: incidents reported in the period)
    ``total``, ``by_severity``, ``by_channel``, ``by_kind`` (what found it: the first alert's
    source, or 人工报告), ``response_due`` (responded, or unanswered past the limit),
    ``response_within``, ``response_rate``, ``response_mean_minutes``, ``response_target``
    (``sla_incident_response_minutes``), ``response_met``; for 一般 (minor) incidents
    ``resolve_due``, ``resolve_within``, ``resolve_rate``, ``resolve_mean_hours``,
    ``resolve_target`` (``sla_incident_resolve_hours``), ``resolve_met``; ``unresolved``;
    ``major`` (the major incidents listed).
``capacity`` (容量分析: from the daily inspections' summaries)
    ``points`` (one a day: ``date``, ``database_bytes``, ``disk_used_percent``,
    ``disk_used_bytes``), ``disk_trend`` / ``database_trend`` (least-squares line over days
    since the first point: ``slope_per_day``, ``intercept``, ``days``), ``warn_percent`` and
    ``critical_percent`` (the disk thresholds), ``warn_date`` / ``critical_date`` (the day the
    trend reaches each threshold, ``None`` when it does not rise), ``projection`` (the
    sentence).
``availability`` (可用性分析: from the health probes)
    ``probes``, ``up``, ``percent``, ``target`` (``sla_availability_percent``), ``met``,
    ``by_month`` (``month``, ``probes``, ``up``, ``percent``), ``outages`` (runs of failed
    probes: ``start``, ``end`` (the probe that found it back, or the last failed one),
    ``probes``, ``minutes``).
``configuration`` (配置状态)
    ``items_total``, ``retired``, ``items_by_kind``, ``changes`` (CMDB changes in the period),
    ``parameter_changes``.
``sla`` (服务水平评价)
    a list of rows: ``key``, ``name``, ``target`` (text), ``measured`` (text), ``met``
    (True, False, or None when there was nothing to measure).
``inspections`` (巡检情况汇总)
    ``days`` (days of the period up to ``as_of``), ``done`` (days with a daily inspection),
    ``missing`` (those without), ``completion_percent``, ``target``, ``met``, ``by_status``,
    ``weekly``, ``monthly``, ``problems`` (dailies not 正常 with the checks that were not).
``documents`` (交付文档清单)
    ``kind``, ``title``, ``date``: the inspection reports, the incident reports of incidents
    closed in the period (and the special reports of major ones), the training material.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from jifen.ops import parameters
from jifen.ops.models import (
    Alert,
    Backup,
    Complaint,
    ConfigChange,
    ConfigItem,
    HealthProbe,
    Incident,
    Inspection,
    ParameterChange,
    RecoveryDrill,
    ServiceVisit,
    TrainingSession,
)

from .period import BEIJING, Period

# What found an incident: the first alert's source (see jifen.ops.alerts.raise_alert).
ALERT_SOURCES: dict[str, str] = {
    "inspection": "巡检发现",
    "monitoring": "监控告警",
    "probe": "健康探测",
    "health": "健康探测",
    "backup": "备份",
    "drill": "恢复演练",
    "chain": "审计链校验",
    "audit": "审计链校验",
}
MANUAL_KIND = "人工报告"

WORK_LABELS: dict[str, str] = {
    "inspections_daily": "日常巡检（次）",
    "inspections_weekly": "系统软件周检（次）",
    "inspections_monthly": "月度巡检汇总（份）",
    "backups_full": "全量备份（次）",
    "backups_incremental": "增量备份（次）",
    "backups_failed": "备份失败（次）",
    "drills": "恢复演练（次）",
    "drills_passed": "恢复演练通过（次）",
    "alerts": "系统告警（条）",
    "incidents": "故障登记（起）",
    "incidents_closed": "故障关闭（起）",
    "complaints": "受理投诉（件）",
    "complaints_answered": "答复投诉（件）",
    "visits": "现场服务（次）",
    "training_held": "举办培训（场）",
    "training_attendees": "参训人数（人次）",
    "config_changes": "配置变更（项）",
    "parameter_changes": "参数变更（项）",
}


def _local(dt: datetime | None) -> datetime | None:
    return None if dt is None else dt.astimezone(BEIJING)


def _t(dt: datetime | None) -> str:
    return "" if dt is None else _local(dt).strftime("%Y-%m-%d %H:%M")


def _d(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return value.isoformat()


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else part * 100.0 / whole


def _within(qs: QuerySet, field: str, period: Period) -> QuerySet:
    return qs.filter(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _dates_within(qs: QuerySet, field: str, period: Period) -> QuerySet:
    return qs.filter(**{f"{field}__gte": period.first_day, f"{field}__lte": period.last_day})


def _month_key(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value.year}-{value.month:02d}"


def _met(value: float | None, target: float) -> bool | None:
    # Compared on the value rounded to what the report shows (3 decimals), so that a measured
    # 99.5 is 99.5 and not 99.49999999999999.
    return None if value is None else round(value, 6) >= target


def collect(period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the report of ``period`` (see the module's docstring for the keys)."""
    now = now or timezone.now()
    as_of = min(period.end, now)
    params = parameters.current_values()
    data: dict[str, Any] = {
        "period": {
            "kind": period.kind,
            "label": period.label,
            "title": period.title,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "as_of": _t(as_of),
        }
    }
    data["service"] = _service(period, params)
    # Whether a complaint or an incident of the period is late is judged at ``now``: one
    # received on the last evening is due after the period and counted once it is.
    data["complaints"] = _complaints(period, params, now)
    data["incidents"] = _incidents(period, params, now)
    data["capacity"] = _capacity(period, params)
    data["availability"] = _availability(period, params)
    data["configuration"] = _configuration(period)
    data["inspections"] = _inspections(period, params, as_of)
    data["documents"] = _documents(period)
    data["work"] = _work(period, data)
    data["sla"] = _sla(data, params)
    return data


def _work(period: Period, data: dict[str, Any]) -> dict[str, int]:
    inspections = Counter(
        _within(Inspection.objects, "created", period).values_list("kind", flat=True)
    )
    backups = _within(Backup.objects, "created", period)
    drills = _within(RecoveryDrill.objects, "started", period)
    held = _dates_within(
        TrainingSession.objects.filter(status=TrainingSession.Status.HELD), "held_on", period
    )
    return {
        "inspections_daily": inspections[Inspection.Kind.DAILY],
        "inspections_weekly": inspections[Inspection.Kind.WEEKLY],
        "inspections_monthly": inspections[Inspection.Kind.MONTHLY],
        "backups_full": backups.filter(kind=Backup.Kind.FULL)
        .exclude(status=Backup.Status.FAILED)
        .count(),
        "backups_incremental": backups.filter(kind=Backup.Kind.INCREMENTAL)
        .exclude(status=Backup.Status.FAILED)
        .count(),
        "backups_failed": backups.filter(status=Backup.Status.FAILED).count(),
        "drills": drills.count(),
        "drills_passed": drills.filter(ok=True).count(),
        "alerts": _within(Alert.objects, "raised_at", period).count(),
        "incidents": data["incidents"]["total"],
        "incidents_closed": _within(Incident.objects, "closed_at", period).count(),
        "complaints": data["complaints"]["received"],
        "complaints_answered": _within(Complaint.objects, "answered_at", period).count(),
        "visits": data["service"]["visits"],
        "training_held": held.count(),
        "training_attendees": sum(a or 0 for a in held.values_list("attendees", flat=True)),
        "config_changes": len(data["configuration"]["changes"]),
        "parameter_changes": len(data["configuration"]["parameter_changes"]),
    }


def _service(period: Period, params: dict[str, Any]) -> dict[str, Any]:
    visits = list(
        _dates_within(ServiceVisit.objects, "visited_on", period).values(
            "visited_on", "satisfaction", "signed_off_at"
        )
    )
    rated = [v["satisfaction"] for v in visits if v["satisfaction"] is not None]
    by_month = []
    for year, month in period.months():
        key = f"{year}-{month:02d}"
        these = [v for v in visits if _month_key(v["visited_on"]) == key]
        scores = [v["satisfaction"] for v in these if v["satisfaction"] is not None]
        by_month.append(
            {
                "month": key,
                "visits": len(these),
                "satisfaction_mean": round(statistics.fmean(scores), 2) if scores else None,
            }
        )
    counts = Counter(rated)
    satisfied = _pct(sum(1 for r in rated if r >= 4), len(rated))
    target = float(params["sla_visit_satisfaction_percent"])
    return {
        "visits": len(visits),
        "signed_off": sum(1 for v in visits if v["signed_off_at"] is not None),
        "rated": len(rated),
        "satisfaction_mean": round(statistics.fmean(rated), 2) if rated else None,
        "satisfied_percent": satisfied,
        "target": target,
        "met": _met(satisfied, target),
        "by_month": by_month,
        "by_rating": [
            {"rating": int(value), "label": label, "count": counts.get(value, 0)}
            for value, label in reversed(ServiceVisit.Satisfaction.choices)
        ],
    }


def _complaints(period: Period, params: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    rows = list(
        _within(Complaint.objects, "received_at", period).values(
            "channel", "due_at", "answered_at", "escalation"
        )
    )
    answered = [r for r in rows if r["answered_at"] is not None]
    on_time = [r for r in answered if r["answered_at"] <= r["due_at"]]
    still_open = [r for r in rows if r["answered_at"] is None]
    overdue = [r for r in still_open if r["due_at"] < as_of]
    pending = len(still_open) - len(overdue)
    target = float(params["sla_complaint_reply_percent"])
    reply_rate = _pct(len(answered), len(rows))
    channels = Counter(r["channel"] for r in rows)
    return {
        "received": len(rows),
        "answered": len(answered),
        "answered_on_time": len(on_time),
        "answered_late": len(answered) - len(on_time),
        "open": len(still_open),
        "overdue": len(overdue),
        "pending": pending,
        "reply_rate": reply_rate,
        "on_time_rate": _pct(len(on_time), len(rows) - pending),
        "target": target,
        "reply_met": _met(reply_rate, target),
        "working_days": int(params["sla_complaint_working_days"]),
        "escalated": sum(1 for r in rows if r["escalation"] >= Complaint.Escalation.OPS_LEAD),
        "escalated_management": sum(
            1 for r in rows if r["escalation"] >= Complaint.Escalation.MANAGEMENT
        ),
        "by_channel": [
            {"key": key, "label": label, "count": channels.get(key, 0)}
            for key, label in Complaint.Channel.choices
        ],
    }


def _incidents(period: Period, params: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    incidents = list(_within(Incident.objects, "reported_at", period).order_by("reported_at"))
    first_source: dict[int, str] = {}
    for incident_id, source in (
        Alert.objects.filter(incident__in=incidents)
        .order_by("-raised_at", "-id")
        .values_list("incident_id", "source")
    ):
        first_source[incident_id] = source  # the last written is the earliest
    kinds = Counter(
        ALERT_SOURCES.get(first_source[i.pk], first_source[i.pk])
        if i.pk in first_source
        else MANUAL_KIND
        for i in incidents
    )
    response_limit = timedelta(minutes=int(params["sla_incident_response_minutes"]))
    resolve_limit = timedelta(hours=float(params["sla_incident_resolve_hours"]))

    response_due = [
        i for i in incidents if i.responded_at or i.reported_at + response_limit < as_of
    ]
    response_within = [
        i
        for i in response_due
        if i.responded_at and i.responded_at - i.reported_at <= response_limit
    ]
    responded = [
        (i.responded_at - i.reported_at).total_seconds() / 60 for i in incidents if i.responded_at
    ]
    minor = [i for i in incidents if i.severity == Incident.Severity.MINOR]
    resolve_due = [i for i in minor if i.completed_at or i.reported_at + resolve_limit < as_of]
    resolve_within = [
        i for i in resolve_due if i.completed_at and i.completed_at - i.reported_at <= resolve_limit
    ]
    resolved_hours = [
        (i.completed_at - i.reported_at).total_seconds() / 3600 for i in incidents if i.completed_at
    ]
    response_rate = _pct(len(response_within), len(response_due))
    resolve_rate = _pct(len(resolve_within), len(resolve_due))
    severity = Counter(i.severity for i in incidents)
    channel = Counter(i.channel for i in incidents)
    return {
        "total": len(incidents),
        "by_severity": [
            {"key": k, "label": label, "count": severity.get(k, 0)}
            for k, label in Incident.Severity.choices
        ],
        "by_channel": [
            {"key": k, "label": label, "count": channel.get(k, 0)}
            for k, label in Incident.Channel.choices
        ],
        "by_kind": [
            {"label": k, "count": n} for k, n in sorted(kinds.items(), key=lambda x: -x[1])
        ],
        "response_due": len(response_due),
        "response_within": len(response_within),
        "response_rate": response_rate,
        "response_mean_minutes": round(statistics.fmean(responded), 1) if responded else None,
        "response_target": int(params["sla_incident_response_minutes"]),
        "response_met": _met(response_rate, 100.0),
        "resolve_due": len(resolve_due),
        "resolve_within": len(resolve_within),
        "resolve_rate": resolve_rate,
        "resolve_mean_hours": round(statistics.fmean(resolved_hours), 2)
        if resolved_hours
        else None,
        "resolve_target": float(params["sla_incident_resolve_hours"]),
        "resolve_met": _met(resolve_rate, 100.0),
        "unresolved": sum(1 for i in incidents if i.completed_at is None),
        "major": [
            {
                "number": i.number,
                "title": i.title,
                "reported_at": _t(i.reported_at),
                "emergency_plan_started_at": _t(i.emergency_plan_started_at),
                "completed_at": _t(i.completed_at),
                "status": i.get_status_display(),
                "escalation_reason": i.escalation_reason,
            }
            for i in incidents
            if i.severity == Incident.Severity.MAJOR
        ],
    }


def _trend(xs: list[float], ys: list[float]) -> dict[str, float] | None:
    if len(xs) < 2 or len(set(xs)) < 2:
        return None
    slope, intercept = statistics.linear_regression(xs, ys)
    return {"slope_per_day": slope, "intercept": intercept, "days": max(xs)}


def _reach(trend: dict[str, float] | None, first: date, level: float) -> str | None:
    """The first day the trend line is at or above ``level`` (None if it does not rise)."""
    if trend is None or trend["slope_per_day"] <= 0:
        return None
    x = (level - trend["intercept"]) / trend["slope_per_day"]
    return (first + timedelta(days=max(0, math.ceil(round(x, 9))))).isoformat()


def _capacity(period: Period, params: dict[str, Any]) -> dict[str, Any]:
    by_day: dict[date, dict[str, Any]] = {}
    dailies = _within(Inspection.objects.filter(kind=Inspection.Kind.DAILY), "created", period)
    for created, summary in dailies.order_by("created", "id").values_list("created", "summary"):
        summary = summary if isinstance(summary, dict) else {}
        by_day[_local(created).date()] = {  # the day's last inspection counts
            "database_bytes": summary.get("database_bytes"),
            "disk_used_percent": summary.get("disk_used_percent"),
            "disk_used_bytes": summary.get("disk_used_bytes"),
        }
    points = [{"date": day.isoformat(), **values} for day, values in sorted(by_day.items())]
    warn = float(params["inspect_disk_percent_warn"])
    critical = float(params["inspect_disk_percent_critical"])
    result: dict[str, Any] = {
        "points": points,
        "disk_trend": None,
        "database_trend": None,
        "warn_percent": warn,
        "critical_percent": critical,
        "warn_date": None,
        "critical_date": None,
        "projection": "本期巡检记录不足两天，无法计算容量趋势。",
    }
    if not points:
        return result
    first = date.fromisoformat(points[0]["date"])

    def series(key: str) -> tuple[list[float], list[float]]:
        pairs = [
            ((date.fromisoformat(p["date"]) - first).days, float(p[key]))
            for p in points
            if isinstance(p[key], (int, float))
        ]
        return [float(x) for x, _ in pairs], [y for _, y in pairs]

    disk = _trend(*series("disk_used_percent"))
    result["disk_trend"] = disk
    result["database_trend"] = _trend(*series("database_bytes"))
    if disk is None:
        return result
    result["warn_date"] = _reach(disk, first, warn)
    result["critical_date"] = _reach(disk, first, critical)
    slope = disk["slope_per_day"]
    if slope <= 0:
        result["projection"] = (
            f"磁盘使用率平均每日变化 {slope:+.3f} 个百分点，呈平稳或下降趋势，"
            "按当前趋势不会达到告警阈值。"
        )
    else:
        result["projection"] = (
            f"磁盘使用率平均每日增长 {slope:.3f} 个百分点，按线性趋势预计 "
            f"{result['warn_date']} 达到告警阈值 {warn:g}%，"
            f"{result['critical_date']} 达到异常阈值 {critical:g}%。"
        )
    return result


def _availability(period: Period, params: dict[str, Any]) -> dict[str, Any]:
    # One pass over the probes in time order (a year of one a minute is half a million rows:
    # streamed, never held as a list).
    rows = _within(HealthProbe.objects, "at", period).order_by("at").values_list("at", "ok")
    months: dict[str, list[int]] = {f"{y}-{m:02d}": [0, 0] for y, m in period.months()}
    total = up = 0
    outages: list[dict[str, Any]] = []
    run: list[datetime] = []  # the first and the last failed probe of the current outage
    run_length = 0

    def close(end: datetime | None) -> None:
        last = end or run[-1]
        outages.append(
            {
                "start": _t(run[0]),
                "end": _t(last),
                "probes": run_length,
                "minutes": round((last - run[0]).total_seconds() / 60, 1),
                "recovered": end is not None,
            }
        )

    # Each month's first instant (Beijing); the probes come in order, so the month advances.
    starts = [(key, datetime(int(key[:4]), int(key[5:]), 1, tzinfo=BEIJING)) for key in months]
    month = 0
    for at, ok in rows.iterator(chunk_size=5000):
        while month + 1 < len(starts) and at >= starts[month + 1][1]:
            month += 1
        counts = months[starts[month][0]]
        counts[0] += 1
        total += 1
        if ok:
            counts[1] += 1
            up += 1
            if run:
                close(at)
                run, run_length = [], 0
        else:
            run = [run[0], at] if run else [at]
            run_length += 1
    if run:
        close(None)
    percent = _pct(up, total)
    target = float(params["sla_availability_percent"])
    return {
        "probes": total,
        "up": up,
        "percent": percent,
        "target": target,
        "met": _met(percent, target),
        "by_month": [
            {"month": key, "probes": n, "up": u, "percent": _pct(u, n)}
            for key, (n, u) in months.items()
        ],
        "outages": outages,
    }


def _configuration(period: Period) -> dict[str, Any]:
    kinds = dict(
        ConfigItem.objects.filter(retired=False)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    changes = _within(ConfigChange.objects.select_related("item"), "changed_at", period)
    labels = {key: spec.label for key, spec in parameters.specs().items()}
    param_changes = _within(
        ParameterChange.objects.select_related("changed_by"), "changed_at", period
    )
    return {
        "items_total": sum(kinds.values()),
        "retired": ConfigItem.objects.filter(retired=True).count(),
        "items_by_kind": [
            {"key": k, "label": label, "count": kinds.get(k, 0)}
            for k, label in ConfigItem.Kind.choices
        ],
        "changes": [
            {
                "at": _t(c.changed_at),
                "item": c.item.name,
                "kind": c.item.get_kind_display(),
                "field": c.field,
                "old": c.old_value,
                "new": c.new_value,
                "reason": c.reason,
            }
            for c in changes.order_by("changed_at", "id")
        ],
        "parameter_changes": [
            {
                "at": _t(c.changed_at),
                "key": c.key,
                "label": labels.get(c.key, c.key),
                "old": c.old_value,
                "new": c.new_value,
                "reason": c.reason,
                "by": c.changed_by.username if c.changed_by else "系统",
            }
            for c in param_changes.order_by("changed_at", "id")
        ],
    }


def _inspections(period: Period, params: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    qs = _within(Inspection.objects, "created", period)
    dailies = list(
        qs.filter(kind=Inspection.Kind.DAILY)
        .order_by("created", "id")
        .values_list("created", "status", "findings")
    )
    last_day = min(period.last_day, (_local(as_of) - timedelta(microseconds=1)).date())
    days = [
        period.first_day + timedelta(days=k)
        for k in range(max(0, (last_day - period.first_day).days + 1))
    ]
    done_days = {_local(created).date() for created, _, _ in dailies}
    statuses = Counter(status for _, status, _ in dailies)
    problems = []
    for created, status, findings in dailies:
        if status == Inspection.Status.NORMAL:
            continue
        names = [
            str(f.get("name") or f.get("check") or f.get("group") or "")
            for f in (findings if isinstance(findings, list) else [])
            if isinstance(f, dict) and f.get("status") not in (None, "", Inspection.Status.NORMAL)
        ]
        problems.append({"date": _d(created), "status": status, "checks": [n for n in names if n]})
    done = sum(1 for d in days if d in done_days)
    completion = _pct(done, len(days))
    target = float(params["sla_daily_inspection_percent"])
    return {
        "days": len(days),
        "done": done,
        "missing": [d.isoformat() for d in days if d not in done_days],
        "completion_percent": completion,
        "target": target,
        "met": _met(completion, target),
        "by_status": [
            {"status": s, "count": statuses.get(s, 0)} for s, _ in Inspection.Status.choices
        ],
        "weekly": qs.filter(kind=Inspection.Kind.WEEKLY).count(),
        "monthly": qs.filter(kind=Inspection.Kind.MONTHLY).count(),
        "problems": problems,
    }


def _documents(period: Period) -> list[dict[str, str]]:
    docs: list[dict[str, str]] = []
    for inspection in _within(Inspection.objects, "created", period).order_by("created", "id"):
        docs.append(
            {
                "kind": "巡检报告",
                "title": f"{inspection.get_kind_display()}报告（{_d(inspection.period_start)}"
                + (
                    f" 至 {_d(inspection.period_end - timedelta(seconds=1))}）"
                    if inspection.kind != Inspection.Kind.DAILY
                    else "）"
                ),
                "date": _d(inspection.created),
            }
        )
    for incident in _within(Incident.objects, "closed_at", period).order_by("closed_at", "id"):
        docs.append(
            {
                "kind": "故障处理报告",
                "title": f"{incident.number} {incident.title}",
                "date": _d(incident.closed_at),
            }
        )
        if incident.severity == Incident.Severity.MAJOR:
            docs.append(
                {
                    "kind": "重大故障专项报告",
                    "title": f"{incident.number} {incident.title}",
                    "date": _d(incident.closed_at),
                }
            )
    held = _dates_within(
        TrainingSession.objects.filter(status=TrainingSession.Status.HELD), "held_on", period
    )
    for session in held.exclude(material_name="").order_by("held_on", "id"):
        docs.append(
            {
                "kind": "培训材料",
                "title": f"{session.material_name}（{session.title}）",
                "date": _d(session.held_on),
            }
        )
    return docs


def _fmt_pct(value: float | None) -> str:
    return "本期无记录" if value is None else f"{value:.2f}%"


def _sla(data: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    av, co, inc = data["availability"], data["complaints"], data["incidents"]
    sv, ins = data["service"], data["inspections"]
    return [
        {
            "key": "availability",
            "name": "系统可用率",
            "target": f"≥ {av['target']:g}%",
            "measured": _fmt_pct(av["percent"]),
            "met": av["met"],
        },
        {
            "key": "complaint_reply",
            "name": "投诉答复率",
            "target": f"≥ {co['target']:g}%",
            "measured": _fmt_pct(co["reply_rate"]),
            "met": co["reply_met"],
        },
        {
            "key": "complaint_on_time",
            "name": f"投诉 {co['working_days']} 个工作日内答复",
            "target": "100%",
            "measured": _fmt_pct(co["on_time_rate"]),
            "met": _met(co["on_time_rate"], 100.0),
        },
        {
            "key": "incident_response",
            "name": f"故障 {inc['response_target']} 分钟内响应",
            "target": "100%",
            "measured": _fmt_pct(inc["response_rate"]),
            "met": inc["response_met"],
        },
        {
            "key": "incident_resolve",
            "name": f"一般故障 {inc['resolve_target']:g} 小时内处理完成",
            "target": "100%",
            "measured": _fmt_pct(inc["resolve_rate"]),
            "met": inc["resolve_met"],
        },
        {
            "key": "visit_satisfaction",
            "name": "现场服务满意率",
            "target": f"≥ {sv['target']:g}%",
            "measured": _fmt_pct(sv["satisfied_percent"]),
            "met": sv["met"],
        },
        {
            "key": "daily_inspection",
            "name": "日常巡检完成率",
            "target": f"≥ {ins['target']:g}%",
            "measured": _fmt_pct(ins["completion_percent"]),
            "met": ins["met"],
        },
    ]
