"""System monitoring (系统监测): the console page and the Prometheus endpoint /metrics."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jifen.core.roles import Role
from jifen.ops import metrics, parameters, selectors
from jifen.ops.access import ops_read
from jifen.ops.health_checks import run_checks
from jifen.ops.schedule import JOBS

METRICS_REFUSED = "只有本机或已登录的运维人员可以读取监控指标。"
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _is_loopback(request: HttpRequest) -> bool:
    """The request comes from this machine itself, not through a proxy on it (a proxy of ours
    on the same machine would make every client look local: it adds a forwarding header)."""
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _is_operator(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) == Role.OPERATOR
    )


def metrics_allowed(request: HttpRequest) -> bool:
    """Loopback; an operator's session that passed the second factor; or an operator's API
    token (``Authorization: Bearer``)."""
    if _is_loopback(request):
        return True
    user = getattr(request, "user", None)
    if _is_operator(user) and user.is_verified():
        return True
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        from jifen.api.auth import BearerAuth

        token_user = BearerAuth().authenticate(request, header[7:])
        return _is_operator(token_user)
    return False


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse(METRICS_REFUSED, status=403, content_type="text/plain; charset=utf-8")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def _strip(since: Any, now: Any) -> list[dict[str, Any]]:
    """The last 24 hours in probe-interval slots: up, down or no probe."""
    interval = timedelta(minutes=parameters.get("health_probe_interval_minutes"))
    probes = selectors.probes_since(since)
    slots: list[dict[str, Any]] = []
    start = since
    i = 0
    while start < now:
        end = start + interval
        state = "none"
        while i < len(probes) and probes[i].at < end:
            if probes[i].at >= start:
                state = "down" if not probes[i].ok or state == "down" else "up"
            i += 1
        slots.append({"at": start, "state": state})
        start = end
    return slots


@require_safe
@ops_read
def monitoring(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    for back in range(29, -1, -1):
        day = today - timedelta(days=back)
        days.append({"day": day, **selectors.availability(day, day + timedelta(days=1))})
    strip = _strip(now - timedelta(hours=24), now)
    labels = {job.name: job.label for job in JOBS}
    runs = selectors.recent_scheduled_runs(50)
    failed_runs = selectors.failed_scheduled_runs(now - timedelta(days=30))
    for run in [*runs, *failed_runs]:
        run.label = labels.get(run.job, run.job)  # type: ignore[attr-defined]
    return render(
        request,
        "ops/monitoring.html",
        {
            "ops_section": "ops:monitoring",
            "now": now,
            "readiness": run_checks(),
            "strip": strip,
            "strip_down": sum(1 for s in strip if s["state"] == "down"),
            "strip_none": sum(1 for s in strip if s["state"] == "none"),
            "month": selectors.availability(today - timedelta(days=29), now),
            "days": days,
            "target": parameters.get("sla_availability_percent"),
            "verifications": selectors.recent_chain_verifications(20),
            "runs": runs,
            "failed_runs": failed_runs,
        },
    )
