"""Health probes (可用性探测): the readiness checks run every 5 minutes by the scheduler and kept
as :class:`HealthProbe` rows; the availability of the reports is computed from them
(:func:`jifen.ops.selectors.availability`)."""

from __future__ import annotations

import time

from django.utils import timezone

from .alerts import raise_alert
from .health_checks import run_checks
from .models import Alert, HealthProbe

ALERT_CODE = "health_ready"


def record_probe() -> HealthProbe:
    """Run the readiness checks in-process, keep the outcome, and raise the ``health_ready``
    alert when a critical check fails."""
    at = timezone.now()
    started = time.perf_counter()
    readiness = run_checks()
    probe = HealthProbe.objects.create(
        at=at,
        ok=readiness.ok,
        duration_ms=int((time.perf_counter() - started) * 1000),
        checks={r.name: {"status": r.status, "message": r.message} for r in readiness.results},
    )
    if not readiness.ok:
        failing = [r for r in readiness.results if r.name in readiness.failing]
        raise_alert(
            source="monitoring",
            code=ALERT_CODE,
            level=Alert.Level.CRITICAL,
            message="就绪检查未通过：" + "；".join(f"{r.label}：{r.message}" for r in failing),
            details={"probe": probe.pk, "failing": readiness.failing},
            at=at,
        )
    return probe


def probe_job() -> str:
    probe = record_probe()
    if probe.ok:
        warnings = [name for name, c in probe.checks.items() if c["status"] != "ok"]
        return "就绪检查通过" + (f"（提示：{'、'.join(warnings)}）" if warnings else "")
    failing = [name for name, c in probe.checks.items() if c["status"] == "error"]
    return f"就绪检查未通过：{'、'.join(failing)}"
