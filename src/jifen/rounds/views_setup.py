"""The bureau's round set-up pages (/staff/rounds/, 年度设置): the list of rounds, a new
round, a round with its phases and change history, and its edit form (a reason required).

Bureau administrators only (the second factor comes with every staff page: the staff
middleware). The views parse and render; the services decide and record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, FieldError
from jifen.core.forms import apply_service_error
from jifen.core.roles import Role
from jifen.web.access import role_required

from . import phases, selectors, services
from .forms import RoundForm, initial_for, initial_for_new
from .models import Round

bureau_page = role_required({Role.BUREAU_ADMIN}, "年度设置仅供市人社局管理员使用")


def _field_label(field: str) -> str:
    if field.startswith("verification_days"):
        return services.PARAMETER_LABELS["verification_days"]
    return services.PARAMETER_LABELS.get(field, field)


def _shown(field: str, value: Any) -> str:
    """A RoundChange value as the history shows it."""
    if value is None or value == {}:
        return "（未设置）" if value is None else "（均按默认）"
    if field.endswith(("_opens", "_closes")) and isinstance(value, str):
        return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    if field == "verification_days" and isinstance(value, dict):
        labels = services.verifying_departments()
        return "；".join(f"{labels.get(k, k)} {v} 个工作日" for k, v in value.items())
    return str(value)


def _place_errors(form: RoundForm, exc: Any) -> None:
    """The service's errors under the form's fields (a department's days: ``days_<dept>``)."""
    exc.errors = [
        FieldError(f"days_{e.field.partition('.')[2]}", e.message)
        if e.field and e.field.startswith("verification_days.")
        else e
        for e in exc.errors
    ]
    apply_service_error(form, exc)


def _history(rnd: Round) -> list[dict[str, Any]]:
    return [
        {
            "change": c,
            "label": _field_label(c.field),
            "old": _shown(c.field, c.old),
            "new": _shown(c.field, c.new),
        }
        for c in selectors.round_changes(rnd)
    ]


@require_safe
@bureau_page
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = list(Round.objects.order_by("-year"))
    rows = [{"round": r, "open": phases.open_phases(r)} for r in rounds]
    return render(request, "rounds/setup_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@bureau_page
def round_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = RoundForm(request.POST, creating=True)
        if form.is_valid():
            d = form.cleaned_data
            windows = form.windows()
            try:
                rnd = services.round_create(
                    actor=request.user,
                    year=d["year"],
                    rule_set=d["rule_set"],
                    quota=d.get("quota"),
                    opens=windows.pop("declaration_opens"),
                    closes=windows.pop("declaration_closes"),
                    windows={k: v for k, v in windows.items() if v is not None},
                    verification_days=form.verification_days(),
                )
            except SHOWN_ON_PAGE as exc:
                _place_errors(form, exc)
            else:
                messages.success(request, f"已创建 {rnd.year} 年度积分落户")
                return redirect("round_setup:detail", year=rnd.year)
    else:
        newest = Round.objects.order_by("-year").first()
        year = newest.year + 1 if newest else timezone.localdate().year
        form = RoundForm(initial=initial_for_new(year), creating=True)
    return render(request, "rounds/setup_form.html", {"form": form, "creating": True})


@require_safe
@bureau_page
def round_detail(request: HttpRequest, year: int) -> HttpResponse:
    rnd = selectors.round_by_year(year)
    days = rnd.verification_days or {}
    labels = services.verifying_departments()
    return render(
        request,
        "rounds/setup_detail.html",
        {
            "round": rnd,
            "history": _history(rnd),
            "days": [
                {"label": label, "days": days.get(dept), "dept": dept}
                for dept, label in labels.items()
            ],
            "has_run": services.has_scoring_run(rnd),
        },
    )


@require_http_methods(["GET", "POST"])
@bureau_page
def round_edit(request: HttpRequest, year: int) -> HttpResponse:
    rnd = selectors.round_by_year(year)
    has_run = services.has_scoring_run(rnd)
    if request.method == "POST":
        form = RoundForm(request.POST, creating=False)
        if form.is_valid():
            try:
                result = services.round_update(
                    actor=request.user,
                    round=rnd,
                    changes=form.changes_for(rnd),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except SHOWN_ON_PAGE as exc:
                _place_errors(form, exc)
            else:
                names = "、".join(_field_label(c.field) for c in result.changes)
                messages.success(request, f"已变更 {rnd.year} 年度的{names}")
                for warning in result.warnings:
                    messages.warning(request, warning)
                return redirect("round_setup:detail", year=rnd.year)
    else:
        form = RoundForm(initial=initial_for(rnd), creating=False)
    return render(
        request,
        "rounds/setup_form.html",
        {
            "form": form,
            "creating": False,
            "round": rnd,
            "has_run": has_run,
            "rerun_warning": services.RERUN_WARNING,
        },
    )
