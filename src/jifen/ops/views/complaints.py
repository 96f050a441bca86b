"""Complaint pages (投诉受理): the list (complainants masked) with the month's reply rate, taking
a complaint, a complaint in full (the view recorded) with its answer form. Operators write; the
auditor reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, ServiceError
from jifen.core.forms import TEXT_MAX, apply_service_error
from jifen.core.roles import Role
from jifen.ops import complaints
from jifen.ops.access import ops_page, ops_read
from jifen.ops.incidents import month_bounds
from jifen.ops.models import Complaint

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
SECTION = "ops:complaints"


class ComplaintForm(forms.Form):
    channel = forms.ChoiceField(
        label="受理渠道", choices=[("", "请选择"), *Complaint.Channel.choices], required=False
    )
    received_at = forms.DateTimeField(
        label="受理时间",
        required=False,
        input_formats=[INPUT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT),
        error_messages={"invalid": "请填写正确的日期时间（如 2026-05-01 09:00）"},
    )
    complainant = forms.CharField(label="投诉人", required=False, max_length=50)
    contact = forms.CharField(label="联系方式", required=False, max_length=100)
    subject = forms.CharField(label="事由", required=False, max_length=200)
    content = forms.CharField(
        label="投诉内容", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="答复内容", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _row(c: Complaint, now: Any, hours: tuple[int, int] | None = None) -> dict[str, Any]:
    return {
        "complaint": c,
        "name": complaints.mask_name(c.complainant),
        "contact": complaints.mask_contact(c.contact),
        "outside_hours": complaints.outside_hours(c.received_at, hours),
        "overdue": c.status == Complaint.Status.OPEN and c.due_at < now,
        "late": c.answered_at is not None and c.answered_at > c.due_at,
    }


@require_safe
@ops_read
def complaint_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    month = request.GET.get("month", "").strip() or timezone.localtime(now).strftime("%Y-%m")
    status = request.GET.get("status", "")
    error = ""
    try:
        start, end = month_bounds(month)
        if status == "overdue":  # every overdue complaint, whatever month it came in
            rows = complaints.complaint_list(status=status)
        else:
            rows = complaints.complaint_list(status=status, start=start, end=end)
    except ServiceError as exc:
        error = exc.message
        month = timezone.localtime(now).strftime("%Y-%m")
        start, end = month_bounds(month)
        status = ""
        rows = complaints.complaint_list(start=start, end=end)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    hours = complaints.service_hours()
    return render(
        request,
        "ops/complaint_list.html",
        {
            "ops_section": SECTION,
            "page": page,
            "rows": [_row(c, now, hours) for c in page.object_list],
            "stats": complaints.complaint_stats(start, end, now=now),
            "overdue_all": complaints.complaint_list(status="overdue").count(),
            "month": month,
            "status": status,
            "statuses": [*Complaint.Status.choices, ("overdue", "超期未答复")],
            "error": error,
            "hours": complaints.hours_text(),
            "can_write": request.user.role == Role.OPERATOR,
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def complaint_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ComplaintForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                complaint = complaints.take_complaint(
                    actor=request.user,
                    channel=d["channel"],
                    received_at=d.get("received_at"),
                    complainant=d["complainant"],
                    contact=d["contact"],
                    subject=d["subject"],
                    content=d["content"],
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                due = timezone.localtime(complaint.due_at)
                messages.success(
                    request, f"已受理投诉 {complaint.number}，请于 {due:%Y-%m-%d} 前答复"
                )
                if complaints.outside_hours(complaint.received_at):
                    messages.warning(
                        request,
                        f"受理时间不在 {complaints.hours_text()} 受理时段内，已受理并标注“时段外”",
                    )
                return redirect("ops:complaint", number=complaint.number)
    else:
        form = ComplaintForm(
            initial={"received_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
    return render(
        request,
        "ops/complaint_form.html",
        {"ops_section": SECTION, "form": form, "hours": complaints.hours_text()},
    )


def _detail(request: HttpRequest, complaint: Complaint, form: AnswerForm | None) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "ops/complaint_detail.html",
        {
            "ops_section": SECTION,
            "complaint": complaint,
            "row": _row(complaint, now),
            "form": form or AnswerForm(),
            "can_answer": request.user.role == Role.OPERATOR
            and complaint.status == Complaint.Status.OPEN,
            "hours": complaints.hours_text(),
        },
        status=400 if form is not None else 200,
    )


@require_safe
@ops_read
def complaint_detail(request: HttpRequest, number: str) -> HttpResponse:
    complaint = complaints.view_complaint(actor=request.user, number=number)
    return _detail(request, complaint, None)


@require_POST
@ops_page
def complaint_answer(request: HttpRequest, number: str) -> HttpResponse:
    complaint = complaints.get_complaint(number)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            complaint = complaints.answer_complaint(
                actor=request.user, complaint_id=complaint.pk, answer=form.cleaned_data["answer"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            late = complaint.answered_at > complaint.due_at
            messages.success(
                request, f"已答复投诉 {complaint.number}" + ("（已超过答复期限）" if late else "")
            )
            return redirect("ops:complaint", number=number)
    complaint = complaints.view_complaint(actor=request.user, number=number)
    return _detail(request, complaint, form)
