"""Training (培训): the year's plan with plan-vs-held figures, a new session, a session marked
held or cancelled, its material uploaded (operators) and downloaded (any staff)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import STAFF_ROLES
from jifen.ops import training
from jifen.ops.access import ops_page, ops_read
from jifen.ops.models import TrainingSession
from jifen.web.access import role_required

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
staff_download = role_required(STAFF_ROLES, "培训材料仅供工作人员下载。")

AUDIENCES = ["市级工作人员", "区级工作人员", "市级和区级工作人员"]


class PlanForm(forms.Form):
    title = forms.CharField(
        label="培训主题", max_length=200, error_messages={"required": "请填写培训主题。"}
    )
    audience = forms.CharField(
        label="培训对象",
        max_length=200,
        error_messages={"required": "请填写培训对象。"},
        help_text="如：市级工作人员、区级工作人员",
    )
    planned_on = forms.DateField(
        label="计划日期",
        widget=DATE,
        error_messages={"required": "请填写计划日期。", "invalid": "计划日期格式应为 年-月-日。"},
    )
    function = forms.CharField(label="涉及功能（新功能培训时填写）", max_length=200, required=False)


class HeldForm(forms.Form):
    held_on = forms.DateField(
        label="举办日期",
        widget=DATE,
        error_messages={"required": "请填写举办日期。", "invalid": "举办日期格式应为 年-月-日。"},
    )
    attendees = forms.IntegerField(
        label="参训人数",
        min_value=1,
        error_messages={
            "required": "请填写参训人数。",
            "invalid": "参训人数应为正整数。",
            "min_value": "参训人数应为正整数。",
        },
    )
    trainer = forms.CharField(
        label="讲师", max_length=50, error_messages={"required": "请填写讲师。"}
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="取消原因", max_length=500, error_messages={"required": "请填写取消原因。"}
    )


class MaterialForm(forms.Form):
    material = forms.FileField(
        label="培训材料",
        help_text="",
        error_messages={"required": "请选择培训材料文件。", "empty": "培训材料文件为空。"},
    )


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


@require_safe
@ops_read
def training_list(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    return render(
        request,
        "ops/training/list.html",
        {
            "ops_section": "ops:training",
            "year": year,
            "sessions": list(TrainingSession.objects.filter(year=year)),
            "stats": training.training_stats(year),
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def training_new(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                session = training.training_plan(
                    actor=request.user,
                    year=year,
                    title=d["title"],
                    audience=d["audience"],
                    planned_on=d["planned_on"],
                    function=d["function"],
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, "已列入年度培训计划。")
                return redirect("ops:training_detail", pk=session.pk)
    else:
        form = PlanForm()
    return render(
        request,
        "ops/training/new.html",
        {"ops_section": "ops:training", "form": form, "year": year},
    )


def _detail(request: HttpRequest, session: TrainingSession, **forms_: Any) -> HttpResponse:
    material_form = forms_.get("material_form") or MaterialForm()
    material_form.fields["material"].help_text = training.limits_text()
    context = {
        "ops_section": "ops:training",
        "session": session,
        "cancel_reason": training.cancel_reason(session),
        "held_form": forms_.get("held_form") or HeldForm(initial={"held_on": session.planned_on}),
        "cancel_form": forms_.get("cancel_form") or CancelForm(),
        "material_form": material_form,
    }
    return render(request, "ops/training/detail.html", context)


@require_safe
@ops_read
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(TrainingSession, pk=pk))


@require_POST
@ops_page
def training_held(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession, pk=pk)
    form = HeldForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            training.training_mark_held(
                actor=request.user,
                session=session,
                held_on=d["held_on"],
                attendees=d["attendees"],
                trainer=d["trainer"],
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已登记培训举办情况。")
            return redirect("ops:training_detail", pk=pk)
    return _detail(request, session, held_form=form)


@require_POST
@ops_page
def training_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession, pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            training.training_cancel(
                actor=request.user, session=session, reason=form.cleaned_data["reason"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已取消该培训。")
            return redirect("ops:training_detail", pk=pk)
    return _detail(request, session, cancel_form=form)


@require_POST
@ops_page
def training_upload(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession, pk=pk)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            training.training_upload_material(
                actor=request.user, session=session, upload=form.cleaned_data["material"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已上传培训材料。")
            return redirect("ops:training_detail", pk=pk)
    return _detail(request, session, material_form=form)


@require_safe
@staff_download
def training_material(request: HttpRequest, pk: int) -> FileResponse:
    session = get_object_or_404(TrainingSession, pk=pk)
    stream, name, content_type = training.open_material(session)
    return FileResponse(stream, as_attachment=True, filename=name, content_type=content_type)


@require_safe
@staff_download
def training_materials(request: HttpRequest) -> HttpResponse:
    """Every session's material, newest first: for all staff (city and district)."""
    sessions = TrainingSession.objects.exclude(material_path="").exclude(
        status=TrainingSession.Status.CANCELLED
    )
    return render(
        request,
        "ops/training/materials.html",
        {"sessions": list(sessions.order_by("-year", "-planned_on", "-id"))},
    )
