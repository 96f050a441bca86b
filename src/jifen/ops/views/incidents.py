"""Incident pages (故障处理): the list with filters, a new ticket, a ticket with its timeline and
a form for each step, the report (PDF). Operators write; the auditor reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, ServiceError
from jifen.core.forms import TEXT_MAX, apply_service_error
from jifen.core.roles import Role
from jifen.ops import incident_report, incidents, parameters
from jifen.ops.access import ops_page, ops_read
from jifen.ops.models import Incident

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
SECTION = "ops:incidents"


class IncidentForm(forms.Form):
    title = forms.CharField(label="故障标题", required=False, max_length=200)
    channel = forms.ChoiceField(
        label="报告途径",
        choices=[("", "请选择")] + [(c.value, c.label) for c in incidents.MANUAL_CHANNELS],
        required=False,
    )
    severity = forms.ChoiceField(
        label="故障级别", choices=Incident.Severity.choices, initial=Incident.Severity.MINOR
    )
    reported_at = forms.DateTimeField(
        label="发现时间",
        required=False,
        input_formats=[INPUT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT),
        help_text="留空：当前时间",
        error_messages={"invalid": "请填写正确的日期时间（如 2026-05-01 09:00）"},
    )
    symptom = forms.CharField(
        label="故障现象", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RespondForm(forms.Form):
    handler = forms.ModelChoiceField(
        label="处理人",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="本人",
        error_messages={"invalid_choice": "请选择在岗的运维人员"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["handler"]
        field.queryset = (
            get_user_model().objects.filter(role=Role.OPERATOR, is_active=True).order_by("username")
        )
        field.label_from_instance = lambda u: u.full_name or u.username


class AnalysisForm(forms.Form):
    analysis = forms.CharField(
        label="故障分析", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ActionsForm(forms.Form):
    actions = forms.CharField(
        label="处理措施", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ImpactForm(forms.Form):
    outage_minutes = forms.IntegerField(
        label="系统中断时长（分钟）",
        required=False,
        min_value=0,
        help_text="留空：按健康探测记录计算",
        error_messages={
            "invalid": "系统中断时长应为非负整数",
            "min_value": "系统中断时长应为非负整数",
        },
    )
    affected_users = forms.IntegerField(
        label="受影响用户数",
        required=False,
        min_value=0,
        error_messages={
            "invalid": "受影响用户数应为非负整数",
            "min_value": "受影响用户数应为非负整数",
        },
    )
    data_loss = forms.BooleanField(label="发生数据丢失", required=False)
    security_breach = forms.BooleanField(label="发生安全事件（数据泄露、入侵）", required=False)


class EmptyForm(forms.Form):
    pass


STEP_FORMS: dict[str, type[forms.Form]] = {
    "respond": RespondForm,
    "analysis": AnalysisForm,
    "actions": ActionsForm,
    "impact": ImpactForm,
    "resolve": EmptyForm,
    "close": EmptyForm,
}
STEP_DONE = {
    "respond": "已响应故障",
    "analysis": "已记录故障分析",
    "actions": "已记录处理措施",
    "impact": "已记录故障影响",
    "resolve": "已标记故障处理完成",
    "close": "已关闭故障单，可下载故障处理报告",
}


def _run_step(request: HttpRequest, incident: Incident, step: str, data: dict[str, Any]) -> None:
    actor = request.user
    if step == "respond":
        incidents.respond(actor=actor, incident_id=incident.pk, handler=data.get("handler"))
    elif step == "analysis":
        incidents.record_analysis(actor=actor, incident_id=incident.pk, analysis=data["analysis"])
    elif step == "actions":
        incidents.record_actions(actor=actor, incident_id=incident.pk, actions=data["actions"])
    elif step == "impact":
        incidents.record_impact(
            actor=actor,
            incident_id=incident.pk,
            outage_minutes=data.get("outage_minutes"),
            affected_users=data.get("affected_users"),
            data_loss=data.get("data_loss", False),
            security_breach=data.get("security_breach", False),
        )
    elif step == "resolve":
        incidents.resolve(actor=actor, incident_id=incident.pk)
    elif step == "close":
        incidents.close(actor=actor, incident_id=incident.pk)


@require_safe
@ops_read
def incident_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    severity = request.GET.get("severity", "")
    month = request.GET.get("month", "").strip()
    error = ""
    try:
        rows = incidents.incident_list(status=status, severity=severity, month=month)
    except ServiceError as exc:
        error = exc.message
        rows = incidents.incident_list()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    now, targets = timezone.now(), incidents.sla_targets()
    return render(
        request,
        "ops/incident_list.html",
        {
            "ops_section": SECTION,
            "page": page,
            "rows": [
                {"incident": i, "sla": incidents.sla(i, now=now, targets=targets)}
                for i in page.object_list
            ],
            "statuses": Incident.Status.choices,
            "severities": Incident.Severity.choices,
            "status": status,
            "severity": severity,
            "month": month,
            "error": error,
            "can_write": request.user.role == Role.OPERATOR,
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def incident_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = IncidentForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                incident = incidents.register_incident(
                    actor=request.user,
                    title=d["title"],
                    symptom=d["symptom"],
                    channel=d["channel"],
                    severity=d["severity"],
                    reported_at=d.get("reported_at"),
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, f"已登记故障 {incident.number}")
                if incident.emergency_plan_started_at:
                    messages.warning(request, "该故障为重大故障，已启动应急预案并通知相关人员")
                return redirect("ops:incident", number=incident.number)
    else:
        form = IncidentForm(
            initial={"reported_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
    return render(request, "ops/incident_form.html", {"ops_section": SECTION, "form": form})


def _detail(
    request: HttpRequest, incident: Incident, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    step_forms: dict[str, forms.Form] = {
        "respond": RespondForm(),
        "analysis": AnalysisForm(initial={"analysis": incident.analysis}),
        "actions": ActionsForm(initial={"actions": incident.actions}),
        "impact": ImpactForm(
            initial={
                "outage_minutes": incident.outage_minutes,
                "affected_users": incident.affected_users,
                "data_loss": incident.data_loss,
                "security_breach": incident.security_breach,
            }
        ),
        "resolve": EmptyForm(),
        "close": EmptyForm(),
    }
    step_forms.update(bound or {})
    status = incident.status
    S = Incident.Status
    steps = {
        "respond": status == S.OPEN,
        "impact": status in (S.OPEN, S.RESPONDING),
        "analysis": status in (S.RESPONDING, S.RESOLVED),
        "actions": status in (S.RESPONDING, S.RESOLVED),
        "resolve": status == S.RESPONDING,
        "close": status == S.RESOLVED,
    }
    can_write = request.user.role == Role.OPERATOR
    return render(
        request,
        "ops/incident_detail.html",
        {
            "ops_section": SECTION,
            "incident": incident,
            "events": list(incident.events.select_related("actor").order_by("at", "id")),
            "sla": incidents.sla(incident),
            "impact": incidents.impact_text(incident),
            "handler": incidents._person(incident.handler) if incident.handler else "",
            "forms": step_forms,
            # Only the steps open now, for operators (an empty dict hides the card).
            "steps": {k: v for k, v in steps.items() if v} if can_write else {},
            "can_write": can_write,
            "alerts": list(incident.alerts.order_by("raised_at")),
            "triggers": {
                "outage": parameters.get("major_outage_minutes"),
                "users": parameters.get("major_affected_users"),
            },
        },
        status=400 if bound else 200,
    )


@require_safe
@ops_read
def incident_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, incidents.get_incident(number))


@require_POST
@ops_page
def incident_step(request: HttpRequest, number: str, step: str) -> HttpResponse:
    if step not in STEP_FORMS:
        raise Http404("没有这个处理步骤")
    incident = incidents.get_incident(number)
    form = STEP_FORMS[step](request.POST)
    was_major = incident.emergency_plan_started_at is not None
    if form.is_valid():
        try:
            _run_step(request, incident, step, form.cleaned_data)
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
            if step in ("resolve", "close"):
                messages.error(request, exc.message)
                return redirect("ops:incident", number=number)
        else:
            messages.success(request, STEP_DONE[step])
            incident.refresh_from_db()
            if not was_major and incident.emergency_plan_started_at is not None:
                messages.warning(
                    request,
                    f"该故障已升级为重大故障（{incident.escalation_reason}），"
                    "已启动应急预案并通知相关人员",
                )
            return redirect("ops:incident", number=number)
    return _detail(request, incidents.get_incident(number), {step: form})


@require_safe
@ops_read
def incident_report_download(request: HttpRequest, number: str) -> HttpResponse:
    incident = incidents.get_incident(number)
    try:
        data = incident_report.incident_report_pdf(incident, actor=request.user)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
        return redirect("ops:incident", number=number)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{incident_report.filename(incident)}"'
    return response
