"""The bureau's scoring page (积分评定), under /rounds/<year>/scoring/.

Start and stop a run; its progress (a bar that ``rounds/scoring.js`` refreshes from the status
endpoint every second: counts, rate a second, time left; the state is on the run's row, so a
reload shows the same); the history of runs; and the current run's result: the line, the
number admitted, the ranked list (paginated, searchable by application number), the
ineligible ones with their reasons and the incomplete ones. Writes go through
``jifen.rounds.scoring``, reads through ``scoring_selectors``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.roles import Role
from jifen.web.access import role_required

from . import phases, scoring
from . import scoring_selectors as selectors

ROWS_PER_PAGE = 50
RUNS_SHOWN = 20

bureau_page = role_required([Role.BUREAU_ADMIN], selectors.REFUSED)

BADGES = {
    "queued": "badge-pending",
    "running": "badge-pending",
    "done": "badge-done",
    "failed": "badge-returned",
    "stopped": "badge-draft",
}


@require_http_methods(["GET", "POST"])
@bureau_page
def scoring_home(request: HttpRequest, year: int) -> HttpResponse:
    rnd = selectors.round_for(request.user, year)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "stop":
                run = selectors.run_for(request.user, year, int(request.POST.get("run") or 0))
                scoring.request_stop(actor=request.user, run=run)
                messages.success(request, f"已要求停止第 {run.pk} 号积分评定批次")
            else:
                run = scoring.start_run(actor=request.user, round=rnd)
                messages.success(request, f"第 {run.pk} 号积分评定批次已开始")
            return redirect("scoring:home", year)
        except SHOWN_ON_PAGE as exc:
            error = exc.message
    active = scoring.active_run(rnd)
    runs = list(selectors.runs_of(rnd)[:RUNS_SHOWN])
    list_name = request.GET.get("list", "ranked")
    if list_name not in selectors.LISTS:
        list_name = "ranked"
    q = request.GET.get("q", "")[:20]
    page = Paginator(selectors.results_of(rnd, list_name, q), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    current = rnd.current_run
    return render(
        request,
        "rounds/scoring.html",
        {
            "round": rnd,
            "window": phases.describe(rnd, phases.Phase.SCORING),
            "scoring_open": phases.is_open(rnd, phases.Phase.SCORING),
            "error": error,
            "active": active,
            "status": scoring.status_of(active) if active else None,
            "history": [
                {"run": r, "status": scoring.status_of(r), "badge": BADGES.get(r.state, "")}
                for r in runs
            ],
            "current": current,
            "incomplete": (current.summary or {}).get("incomplete", 0) if current else 0,
            "lists": [(k, v, k == list_name) for k, v in selectors.LISTS.items()],
            "list_name": list_name,
            "list_label": selectors.LISTS[list_name],
            "q": q,
            "page": page,
        },
        status=409 if error else 200,
    )


@require_safe
@bureau_page
def scoring_status(request: HttpRequest, year: int, run_id: int) -> JsonResponse:
    run = selectors.run_for(request.user, year, run_id)
    response = JsonResponse(scoring.status_of(run), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
