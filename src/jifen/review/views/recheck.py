"""Re-check pages of the departments and the district service window (/review/recheck/): the
list of disputes, one dispute with its forms (send for an on-site check, record it, answer),
and the download of a re-check's evidence files (also for the applicant who gave them).

Reads through ``selectors_recheck``, writes through ``recheck``; a refusal the page does not
show (NotFound, NotPermitted) becomes the 404/403 page in ServiceErrorMiddleware.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from jifen.applications import services as app_services
from jifen.applications.evidence_storage import open_verified
from jifen.applications.views.evidence import attachment_disposition
from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import Department, Role
from jifen.rules import load_rule_set
from jifen.web.access import role_required

from .. import recheck, selectors_recheck
from ..corrections import BOOLEAN_KINDS, value_rows
from ..forms_recheck import AnswerForm, OnsiteForm, OnsiteRecordForm
from ..kinds import KIND_SECTION
from ..models import Outcome, RecheckState
from .queue import posted_rows, value_editor

PAGE_SIZE = 50

reviewer_page = role_required([Role.REVIEWER], "复查事项仅供部门审核员办理")


@require_safe
@reviewer_page
def recheck_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    state = request.GET.get("state") or "pending"
    if state not in selectors_recheck.STATES:
        raise Http404
    disputes = selectors_recheck.disputes_for(user, state)
    page = Paginator(disputes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/recheck_list.html", {
        "page": page,
        "state": state,
        "state_label": selectors_recheck.STATES[state],
        "states": selectors_recheck.STATES,
        "counts": selectors_recheck.dispute_counts(user),
        "service_window": user.department == Department.SERVICE_WINDOW,
        "department_label": user.get_department_display(),
    })


def _render_detail(request: HttpRequest, dispute_id: int, *, status: int = 200,
                   rows: list[dict[str, str]] | None = None, choice: str | None = None,
                   value_errors: dict[str, str] | None = None, alert: str = "",
                   **forms: Any) -> HttpResponse:
    user = request.user
    dispute = selectors_recheck.dispute_for(user, dispute_id)
    detail = selectors_recheck.detail_of(user, dispute)
    item = dispute.item
    owning = user.department == item.department
    window = user.department == Department.SERVICE_WINDOW
    # The declaration's part of this kind is shown to staff: on the record.
    app_services.record_declaration_view(
        actor=user, app=item.application, sections=[KIND_SECTION[detail.kind]],
    )
    boolean = item.kind in BOOLEAN_KINDS
    # A change usually adopts what the applicant declared: the editor starts from it.
    if rows is None and not boolean:
        rows = value_rows(item.kind, detail.declared)
    if choice is None and boolean:
        choice = "true" if detail.declared else "false"
    rule_set = load_rule_set(item.application.round.rule_set)
    return render(request, "review/recheck_detail.html", {
        "detail": detail,
        "dispute": dispute,
        "item": item,
        "app": item.application,
        "can_send_onsite": owning and item.recheck == RecheckState.OPEN
        and dispute.onsite_at is None,
        "can_answer": owning and item.recheck == RecheckState.OPEN,
        "can_record_onsite": window and item.recheck == RecheckState.ONSITE,
        "onsite_form": forms.get("onsite_form") or OnsiteForm(),
        "onsite_record_form": forms.get("onsite_record_form") or OnsiteRecordForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "boolean": boolean,
        "choice": choice,
        "editor": None if boolean else value_editor(item.kind, rule_set, rows or [],
                                                    value_errors),
        "value_errors": [m for f, m in (value_errors or {}).items() if f == "value"],
        "answer_alert": alert,
    }, status=status)


@require_safe
@reviewer_page
def recheck_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _render_detail(request, dispute_id)


@require_POST
@reviewer_page
def recheck_send_onsite(request: HttpRequest, dispute_id: int) -> HttpResponse:
    form = OnsiteForm(request.POST)
    if form.is_valid():
        try:
            recheck.dispute_send_onsite(actor=request.user, dispute_id=dispute_id,
                                        reason=form.cleaned_data["reason"])
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
            return _render_detail(request, dispute_id, status=exc.status, onsite_form=form,
                                  active="onsite")
        messages.success(request, "已转交区服务窗口现场核验。")
        return redirect("review:recheck_detail", dispute_id)
    return _render_detail(request, dispute_id, status=422, onsite_form=form, active="onsite")


@require_POST
@reviewer_page
def recheck_onsite_record(request: HttpRequest, dispute_id: int) -> HttpResponse:
    form = OnsiteRecordForm(request.POST)
    if form.is_valid():
        try:
            recheck.dispute_onsite_record(
                actor=request.user, dispute_id=dispute_id, note=form.cleaned_data["note"],
                consistent=form.cleaned_data["consistent"],
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
            return _render_detail(request, dispute_id, status=exc.status,
                                  onsite_record_form=form, active="onsite_record")
        messages.success(request, "已记录现场核验结果，复查事项退回核验部门答复。")
        return redirect("review:recheck_list")
    return _render_detail(request, dispute_id, status=422, onsite_record_form=form,
                          active="onsite_record")


@require_POST
@reviewer_page
def recheck_answer(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = selectors_recheck.dispute_for(request.user, dispute_id)
    form = AnswerForm(request.POST)
    boolean = dispute.item.kind in BOOLEAN_KINDS
    choice = request.POST.get("choice", "") if boolean else None
    rows = None if boolean else posted_rows(dispute.item.kind, request.POST)
    changed = request.POST.get("outcome") == Outcome.CHANGED
    if form.is_valid():
        try:
            recheck.dispute_answer(
                actor=request.user, dispute_id=dispute_id,
                outcome=form.cleaned_data["outcome"], reason=form.cleaned_data["reason"],
                value=(choice if boolean else rows) if changed else None,
            )
        except SHOWN_ON_PAGE as exc:
            value_errors = {e.field: e.message for e in exc.errors
                            if e.field.startswith("value")}
            for err in exc.errors:
                if not err.field.startswith("value"):
                    form.add_error(err.field if err.field in form.fields else None, err.message)
            return _render_detail(request, dispute_id, status=exc.status, answer_form=form,
                                  rows=rows, choice=choice, value_errors=value_errors,
                                  alert=exc.message)
        messages.success(request, "已答复复查申请，申请人将收到站内消息。")
        return redirect("review:recheck_detail", dispute_id)
    return _render_detail(request, dispute_id, status=422, answer_form=form, rows=rows,
                          choice=choice)


@require_safe
@login_required
def recheck_evidence(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """One file given with a re-check, for the applicant who gave it and the staff who see
    its dispute; anyone but the owner reading it is on the record."""
    ev = selectors_recheck.dispute_evidence_item(request.user, evidence_id)
    app_services.record_personal_data_view(
        actor=request.user, applicant=ev.application.applicant, field=f"evidence:{ev.pk}"
    )
    try:
        handle = open_verified(ev)
    except FileNotFoundError as exc:
        raise Http404("文件不存在") from exc
    response = FileResponse(handle, content_type=ev.content_type)
    response["Content-Disposition"] = attachment_disposition(ev.original_name, f"evidence-{ev.pk}")
    response["Content-Length"] = str(ev.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
