"""The applicant's personal-data page (download, correction requests) and the bureau's queue.

Views stay thin: the archive and the corrections are the services' (archive, corrections)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from jifen.audit.services import record_access
from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import Role
from jifen.web.access import role_required

from . import archive, corrections
from .forms import AnswerForm, CorrectionForm
from .models import CorrectionState

applicant_page = role_required([Role.APPLICANT], archive.REFUSED)
bureau_page = role_required([Role.BUREAU_ADMIN], corrections.BUREAU_ONLY)


def _mine(request: HttpRequest, form: CorrectionForm, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "requests": list(corrections.corrections_of(request.user)),
    }
    return render(request, "privacy/mine.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_page
def mine(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _mine(request, CorrectionForm())
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            corrections.correction_request(actor=request.user, **form.cleaned_data)
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
            return _mine(request, form, status=exc.status)
        messages.success(request, "更正申请已提交，市人社局处理后将通过站内消息通知您。")
        return redirect("privacy:mine")
    return _mine(request, form, status=422)


@never_cache
@require_safe
@applicant_page
def download(request: HttpRequest) -> HttpResponse:
    made = archive.build_archive(actor=request.user)
    response = HttpResponse(made.content, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, made.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_safe
@bureau_page
def queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", CorrectionState.WAITING)
    if state not in CorrectionState.values and state != "all":
        state = CorrectionState.WAITING
    items = list(corrections.queue(request.user, state="" if state == "all" else state)[:200])
    states = [(CorrectionState.WAITING.value, "待处理"), ("all", "全部")]
    states[1:1] = [(s.value, s.label) for s in CorrectionState if s != CorrectionState.WAITING]
    return render(
        request, "privacy/queue.html", {"items": items, "state": state, "states": states}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@bureau_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = corrections.queue_item(request.user, pk)
    status = 200
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                corrections.correction_answer(
                    actor=request.user,
                    request_id=pk,
                    accept=form.cleaned_data["decision"] == "accept",
                    answer=form.cleaned_data["answer"],
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "已答复该更正申请，并通过站内消息通知申请人。")
                return redirect("privacy:queue")
        else:
            status = 422
    else:
        form = AnswerForm()
    # The page shows the person's name and request: a view of personal data, on the record.
    record_access(actor=request.user, target=req.applicant, field=f"correction:{req.pk}")
    return render(request, "privacy/detail.html", {"req": req, "form": form}, status=status)
