"""The console's front page: what needs attention today."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jifen.ops import selectors
from jifen.ops.access import ops_read
from jifen.ops.models import Complaint


@require_safe
@ops_read
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    open_complaints = Complaint.objects.filter(status=Complaint.Status.OPEN)
    return render(
        request,
        "ops/dashboard.html",
        {
            "ops_section": "ops:dashboard",
            "now": now,
            "inspection": selectors.latest_inspection(),
            "backup": selectors.latest_backup(),
            "drill": selectors.latest_drill(),
            "verification": selectors.latest_chain_verification(),
            "incidents": list(selectors.open_incidents()[:10]),
            "complaints_overdue": open_complaints.filter(due_at__lt=now).count(),
            "complaints_open": open_complaints.count(),
            "failed_runs": selectors.failed_scheduled_runs(now - timedelta(days=1), limit=5),
        },
    )
