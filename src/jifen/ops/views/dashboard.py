"""The console's front page: what needs attention today."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from jifen.ops import selectors
from jifen.ops.access import ops_read


@require_safe
@ops_read
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ops/dashboard.html",
        {
            "ops_section": "ops:dashboard",
            "now": timezone.now(),
            "inspection": selectors.latest_inspection(),
            "backup": selectors.latest_backup(),
            "drill": selectors.latest_drill(),
            "verification": selectors.latest_chain_verification(),
            "incidents": list(selectors.open_incidents()[:10]),
        },
    )
