"""The employer agent's pages: employment links to decide, and the employees' declarations
to review, return or pass on to the departments.

Views stay thin: every read goes through ``selectors`` and every write through ``services``
(which check the role and the employer again). Bad input and conflicts are shown on the page;
any other refusal becomes the 404/403 page in ServiceErrorMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, InvalidInput, StaleVersion

from .. import display, selectors, services
from ..declaration import SECTIONS_BY_KEY
from ..models import LinkStatus, Status
from .access import employer_page, posted_version

PAGE_SIZE = 50

# Statuses an employer sees (drafts stay with the applicant), in the order of the work.
EMPLOYER_STATUSES = (Status.SUBMITTED, Status.RETURNED, Status.EMPLOYER_SUBMITTED)

# Session key: the application whose identity number is shown in full on the next render.
REVEAL_SESSION_KEY = "employer_reveal_id"

STALE_MESSAGE = "申请人已修改该申报，页面已刷新为最新内容，请核对后再操作。"

View = Callable[..., HttpResponse]



# --- the employer's home page ---------------------------------------------------------------


def _status_counts(request: HttpRequest) -> list[dict[str, Any]]:
    counts = selectors.employer_status_counts(request.user)
    return [
        {"value": s.value, "label": s.label, "count": counts.get(s.value, 0)}
        for s in EMPLOYER_STATUSES
    ]


def _render_home(
    request: HttpRequest,
    *,
    refuse_link_id: int | None = None,
    refuse_reason: str = "",
    refuse_error: str = "",
) -> HttpResponse:
    user = request.user
    status_filter = request.GET.get("status", "")
    if status_filter not in {s.value for s in EMPLOYER_STATUSES}:
        status_filter = ""
    pending = list(selectors.links_for_employer(user, status=LinkStatus.PENDING))
    for link in pending:
        # A refusal that failed keeps what was typed, under its own row.
        if link.pk == refuse_link_id:
            link.refuse_reason = refuse_reason
            link.refuse_error = refuse_error
    confirmed = selectors.links_for_employer(user, status=LinkStatus.CONFIRMED)
    applications = selectors.applications_for_employer(user, status=status_filter or None)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = _status_counts(request)
    context = {
        "employer": user.employer,
        "pending_links": pending,
        "confirmed_links": confirmed,
        "applications": page,
        "status_filter": status_filter,
        "status_counts": counts,
        "total_count": sum(c["count"] for c in counts),
    }
    return render(request, "applications/employer/home.html", context)


@require_safe
@employer_page
def employer_home(request: HttpRequest) -> HttpResponse:
    return _render_home(request)


@require_POST
@employer_page
def employer_link_confirm(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        link = services.link_confirm(actor=request.user, link_id=link_id)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已确认 {link.applicant.name} 为本单位职工。")
    return redirect("applications:employer_home")


@require_POST
@employer_page
def employer_link_refuse(request: HttpRequest, link_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    try:
        link = services.link_refuse(actor=request.user, link_id=link_id, reason=reason)
    except InvalidInput as exc:
        return _render_home(
            request, refuse_link_id=link_id, refuse_reason=reason, refuse_error=exc.message
        )
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已拒绝 {link.applicant.name} 的关联申请。")
    return redirect("applications:employer_home")


# --- one application ------------------------------------------------------------------------


def _render_review(
    request: HttpRequest,
    application_id: int,
    *,
    return_reason: str = "",
    return_error: str = "",
) -> HttpResponse:
    user = request.user
    app = selectors.application_for(user, application_id)
    # The full identity number is shown once, right after the (logged) request to see it.
    reveal = request.session.pop(REVEAL_SESSION_KEY, None) == app.pk
    assessment = selectors.assess(app)
    sections = selectors.visible_sections(user, app)
    services.record_declaration_view(actor=user, app=app, sections=sections)
    context = {
        "app": app,
        "applicant": app.applicant,
        "id_number_full": app.applicant.id_number if reveal else "",
        "data": selectors.application_data_for(user, app),
        "sections": [SECTIONS_BY_KEY[k] for k in sections],
        "evidence_by_item": display.group_evidence(selectors.evidence_for(user, app)),
        "evidence_url_name": "applications:evidence_download",
        "assessment": assessment,
        "explanation": display.explanation_of(assessment),
        "can_decide": app.status == Status.SUBMITTED,
        "return_reason": return_reason,
        "return_error": return_error,
    }
    return render(request, "applications/employer/application.html", context)


@require_safe
@employer_page
def employer_application(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_review(request, application_id)


@require_POST
@employer_page
def employer_reveal_id(request: HttpRequest, application_id: int) -> HttpResponse:
    app = selectors.application_for(request.user, application_id)
    services.record_personal_data_view(
        actor=request.user, applicant=app.applicant, field="id_number"
    )
    request.session[REVEAL_SESSION_KEY] = app.pk
    return redirect("applications:employer_application", application_id=app.pk)


@require_http_methods(["POST"])
@employer_page
def employer_application_return(request: HttpRequest, application_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    try:
        app = services.application_return(
            actor=request.user, application_id=application_id, reason=reason,
            version=posted_version(request),
        )
    except StaleVersion:
        messages.warning(request, STALE_MESSAGE)
        return _render_review(request, application_id, return_reason=reason)
    except InvalidInput as exc:
        return _render_review(
            request, application_id, return_reason=reason, return_error=exc.message
        )
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
        return _render_review(request, application_id, return_reason=reason)
    messages.success(request, f"申报 {app.number} 已退回申请人修改。")
    return redirect("applications:employer_application", application_id=app.pk)


@require_POST
@employer_page
def employer_application_submit(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        app = services.application_employer_submit(
            actor=request.user, application_id=application_id, version=posted_version(request)
        )
    except StaleVersion:
        messages.warning(request, STALE_MESSAGE)
        return _render_review(request, application_id)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
        return _render_review(request, application_id)
    messages.success(request, f"申报 {app.number} 已提交至审核部门。")
    return redirect("applications:employer_application", application_id=app.pk)

