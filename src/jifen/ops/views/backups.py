"""The console's backup page (备份与恢复), /ops/backups/: the chains with age and size, the
last drill with its RTO/RPO, the retention rule; an operator takes a backup or runs a drill
now (as background tasks)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from jifen.core.errors import ServiceError
from jifen.ops.access import ops_page, ops_read
from jifen.ops.backups import selectors, services
from jifen.ops.models import Backup


@require_safe
@ops_read
def backups(request: HttpRequest) -> HttpResponse:
    drills = selectors.drills()
    return render(
        request,
        "ops/backups.html",
        {
            "ops_section": "ops:backups",
            "now": timezone.now(),
            "chains": selectors.chains(),
            "failed": selectors.failed(),
            "drill": drills[0] if drills else None,
            "drills": drills,
            "retention": selectors.retention(),
            "pending": selectors.pending_tasks(),
            "can_act": request.user.role == "operator",
        },
    )


@require_POST
@ops_page
def backup_now(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    try:
        services.request_backup(actor=request.user, kind=kind)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已提交{Backup.Kind(kind).label}任务，完成后结果显示在本页。")
    return redirect("ops:backups")


@require_POST
@ops_page
def drill_now(request: HttpRequest) -> HttpResponse:
    try:
        services.request_drill(actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交恢复演练任务，完成后结果显示在本页。")
    return redirect("ops:backups")
