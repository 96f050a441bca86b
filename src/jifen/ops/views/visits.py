"""On-site service records (现场服务): the month's visits with their figures, a new visit, a
visit with its solution and sign-off, the XLSX of a period."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.accounts.models import User
from jifen.core.errors import SHOWN_ON_PAGE, InvalidInput
from jifen.core.forms import TEXT_MAX, apply_service_error
from jifen.core.roles import Role
from jifen.ops import visits
from jifen.ops.access import ops_page, ops_read
from jifen.ops.models import ServiceVisit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _operators() -> Any:
    return User.objects.filter(role=Role.OPERATOR, is_active=True).order_by("username")


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label="服务日期",
        widget=DATE,
        error_messages={"required": "请填写服务日期。", "invalid": "服务日期格式应为 年-月-日。"},
    )
    place = forms.CharField(
        label="服务地点", max_length=200, error_messages={"required": "请填写服务地点。"}
    )
    engineer = forms.ModelChoiceField(
        label="服务人员",
        queryset=User.objects.none(),
        error_messages={"required": "请选择服务人员。", "invalid_choice": "请选择服务人员。"},
    )
    problem = forms.CharField(
        label="问题描述",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写问题描述。"},
    )
    solution = forms.CharField(
        label="解决方法（已解决时填写）", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["engineer"]
        field.queryset = _operators()  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]


class SolveForm(forms.Form):
    solution = forms.CharField(
        label="解决方法",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写解决方法。"},
    )


class SignOffForm(forms.Form):
    signed_off_by = forms.CharField(
        label="甲方确认人", max_length=50, error_messages={"required": "请填写甲方确认人姓名。"}
    )
    satisfaction = forms.TypedChoiceField(
        label="满意度",
        coerce=int,
        choices=[("", "请选择"), *ServiceVisit.Satisfaction.choices],
        error_messages={
            "required": "请选择满意度（1–5 分）。",
            "invalid_choice": "满意度应为 1 至 5 分。",
        },
    )


def _month(request: HttpRequest) -> tuple[date, date, str]:
    raw = request.GET.get("month", "")
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in raw.split("-"))
        start = date(year, month, 1)
    except ValueError:
        start = today.replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start, end, start.strftime("%Y-%m")


def _shift(start: date, months: int) -> str:
    index = start.year * 12 + start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@require_safe
@ops_read
def visit_list(request: HttpRequest) -> HttpResponse:
    start, end, month = _month(request)
    rows = list(visits.visits_between(start, end))
    return render(
        request,
        "ops/visits/list.html",
        {
            "ops_section": "ops:visits",
            "month": month,
            "previous": _shift(start, -1),
            "next": _shift(start, 1),
            "start": start,
            "end": end,
            "rows": [{"visit": v, "complete": visits.is_complete(v)} for v in rows],
            "stats": visits.visit_stats(start, end),
            "year_stats": visits.visit_stats(date(start.year, 1, 1), date(start.year, 12, 31)),
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def visit_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = VisitForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = visits.visit_record(
                    actor=request.user,
                    visited_on=d["visited_on"],
                    place=d["place"],
                    engineer=d["engineer"],
                    problem=d["problem"],
                    solution=d["solution"],
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, "已登记现场服务。")
                return redirect("ops:visit_detail", pk=visit.pk)
    else:
        form = VisitForm(initial={"visited_on": timezone.localdate(), "engineer": request.user.pk})
    return render(request, "ops/visits/new.html", {"ops_section": "ops:visits", "form": form})


def _detail(request: HttpRequest, visit: ServiceVisit, **forms_: Any) -> HttpResponse:
    context = {
        "ops_section": "ops:visits",
        "visit": visit,
        "complete": visits.is_complete(visit),
        "solve_form": forms_.get("solve_form") or SolveForm(initial={"solution": visit.solution}),
        "sign_form": forms_.get("sign_form") or SignOffForm(),
    }
    return render(request, "ops/visits/detail.html", context)


@require_safe
@ops_read
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(
        request, get_object_or_404(ServiceVisit.objects.select_related("engineer"), pk=pk)
    )


@require_POST
@ops_page
def visit_solve(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(ServiceVisit, pk=pk)
    form = SolveForm(request.POST)
    if form.is_valid():
        try:
            visits.visit_solve(
                actor=request.user, visit=visit, solution=form.cleaned_data["solution"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已保存解决方法。")
            return redirect("ops:visit_detail", pk=pk)
    return _detail(request, visit, solve_form=form)


@require_POST
@ops_page
def visit_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(ServiceVisit, pk=pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            visits.visit_sign_off(
                actor=request.user,
                visit=visit,
                signed_off_by=d["signed_off_by"],
                satisfaction=d["satisfaction"],
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "甲方已确认，本次现场服务已完成。")
            return redirect("ops:visit_detail", pk=pk)
    return _detail(request, visit, sign_form=form)


def _date_param(request: HttpRequest, name: str, label: str) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        raise InvalidInput(f"{label}格式应为 年-月-日。", field=name) from None


@require_safe
@ops_read
def visit_export(request: HttpRequest) -> HttpResponse:
    start = _date_param(request, "start", "起始日期")
    end = _date_param(request, "end", "截止日期")
    if end < start:
        raise InvalidInput("截止日期不能早于起始日期。", field="end")
    response = HttpResponse(
        visits.visits_xlsx(start, end, actor=request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="service-visits-{start.isoformat()}-{end.isoformat()}.xlsx"'
    )
    return response
