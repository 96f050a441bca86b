"""Pages: the public list (公示), the objection form and look-up (no login), the bureau's
publication, objection and settlement pages, and the applicant's final result."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, ServiceError
from jifen.core.roles import Role
from jifen.review.kinds import KIND_NAMES
from jifen.rounds import phases
from jifen.web.access import role_required

from . import exports, page_cache, selectors, services
from .forms import (
    AnswerForm,
    CorrectionForm,
    LookupForm,
    NoteForm,
    ObjectionForm,
    SettlementForm,
)
from .models import FileKind, Objection, ObjectionState, Publication, SettlementState

bureau_only = role_required([Role.BUREAU_ADMIN], services.BUREAU_ONLY)
_CONTENT_TYPES = {
    FileKind.CSV: "text/csv; charset=utf-8",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.PDF: "application/pdf",
}


def _int(value: Any, default: int | None = None, limit: int = 10**7) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return n if 1 <= n <= limit else default


def _show_errors(form: Any, exc: ServiceError) -> None:
    """A service's refusal on the form: each field error on its field, the rest on top."""
    if not exc.errors:
        form.add_error(None, exc.message)
    for error in exc.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)


# --- public pages ----------------------------------------------------------------------------


@require_safe
def public_list(request: HttpRequest, year: int) -> HttpResponse:
    # The state and a visitor's page come from the cache (page_cache: the opening day's
    # busiest page, the same for everyone until the list is re-published).
    state = page_cache.public_state(year)
    context: dict[str, Any] = {"year": year, "state": state, "title": exports.title(year)}
    if state.state == "unpublished":
        return render(request, "publication/unpublished.html", context, status=404)
    if state.state == "closed":
        return render(request, "publication/closed.html", context)
    query = request.GET.get("q", "")[: selectors.QUERY_MAX]
    rank = _int(request.GET.get("rank"))
    page = _int(request.GET.get("page"), 1) or 1

    def rendered() -> HttpResponse:
        data = selectors.public_list(
            state.publication, year=year, query=query, rank=rank, page=page
        )
        context.update(
            data=data,
            query=query,
            rank=rank or "",
            headers=list(exports.INDICATOR_HEADERS.values()),
            closes=state.round.publication_closes,
            kinds=list(FileKind),
        )
        return render(request, "publication/list.html", context)

    return page_cache.cached_page(request, state, (query, rank, page), rendered)


@require_safe
def download(request: HttpRequest, year: int, kind: str) -> HttpResponse:
    if kind not in FileKind.values:
        raise Http404
    content, filename = selectors.download(year, kind)
    response = HttpResponse(content, content_type=_CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@never_cache
@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest, year: int) -> HttpResponse:
    state = selectors.public_state(year)
    if not state.open:
        context = {"year": year, "state": state, "title": exports.title(year)}
        if state.state == "closed":
            return render(request, "publication/closed.html", context)
        return render(request, "publication/unpublished.html", context, status=404)
    if request.method == "POST":
        form = ObjectionForm(request.POST)
        if form.is_valid():
            try:
                objection = services.objection_file(
                    year=year,
                    rank=form.cleaned_data["rank"],
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    reason=form.cleaned_data["reason"],
                    ip=_client_ip(request),
                )
            except SHOWN_ON_PAGE as exc:
                _show_errors(form, exc)
            else:
                return render(
                    request,
                    "publication/objection_received.html",
                    {"objection": objection, "year": year},
                )
    else:
        form = ObjectionForm(initial={"rank": _int(request.GET.get("rank"))})
    return render(
        request,
        "publication/objection_form.html",
        {"form": form, "year": year, "closes": state.round.publication_closes},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def objection_lookup(request: HttpRequest) -> HttpResponse:
    objection = None
    if request.method == "POST":
        form = LookupForm(request.POST)
        if form.is_valid():
            try:
                objection = services.objection_lookup(
                    receipt_no=form.cleaned_data["receipt_no"], phone=form.cleaned_data["phone"]
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
    else:
        form = LookupForm()
    return render(
        request, "publication/objection_lookup.html", {"form": form, "objection": objection}
    )


# --- the bureau's pages ------------------------------------------------------------------------


def _rerun_link(year: int) -> str:
    """The round's scoring page (积分评定), where the bureau starts the re-run."""
    return reverse("scoring:home", args=[year])


@bureau_only
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, year: int) -> HttpResponse:
    rnd = selectors.round_of(year)
    if request.method == "POST":
        try:
            pub = services.publish(actor=request.user, round=rnd)
        except SHOWN_ON_PAGE as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已公示 {pub.rows} 人（第 {pub.version} 版）")
        return redirect("publication:manage", year=year)
    pub = Publication.objects.filter(round=rnd).first()
    return render(
        request,
        "publication/manage.html",
        {
            "round": rnd,
            "year": year,
            "pub": pub,
            "files": list(pub.files.values("kind", "size", "seconds")) if pub else [],
            "window": phases.describe(rnd, phases.Phase.PUBLICATION),
            "window_state": phases.state_of(rnd, phases.Phase.PUBLICATION),
            "counts": selectors.settlement_counts(rnd),
            "objection_counts": selectors.objection_counts(rnd),
            "rerun_needed": Objection.objects.filter(round=rnd, rerun_needed=True).exists(),
            "rerun_link": _rerun_link(year),
        },
    )


@bureau_only
@require_safe
def objection_list(request: HttpRequest, year: int) -> HttpResponse:
    from django.core.paginator import Paginator

    state = request.GET.get("state", "")
    rows = selectors.objections(actor=request.user, year=year, state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/objection_list.html",
        {
            "year": year,
            "page": page,
            "state": state,
            "states": ObjectionState.choices,
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def objection_detail(request: HttpRequest, objection_id: int) -> HttpResponse:
    note_form, answer_form, correct_form = NoteForm(), AnswerForm(), CorrectionForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "check":
                note_form = NoteForm(request.POST)
                note_form.is_valid()
                services.objection_start_check(
                    actor=request.user, objection_id=objection_id, note=request.POST.get("note", "")
                )
                messages.success(request, "已转为核查中")
            elif action == "answer":
                answer_form = AnswerForm(request.POST)
                services.objection_answer(
                    actor=request.user,
                    objection_id=objection_id,
                    answer=request.POST.get("answer", ""),
                )
                messages.success(request, "已答复")
            elif action == "correct":
                correct_form = CorrectionForm(request.POST)
                raw = request.POST.get("value", "").strip()
                try:
                    value: Any = json.loads(raw)
                except ValueError:
                    value = raw
                services.objection_correct(
                    actor=request.user,
                    objection_id=objection_id,
                    kind=request.POST.get("kind", ""),
                    value=value,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(
                    request, "已通过核验台账更正，并生成新的初核结果；需重新进行积分评定"
                )
            else:
                raise Http404
        except SHOWN_ON_PAGE as exc:
            form = {"check": note_form, "answer": answer_form}.get(action, correct_form)
            form.is_valid()
            _show_errors(form, exc)
        else:
            return redirect("publication:objection_detail", objection_id=objection_id)
    objection = selectors.objection_detail(actor=request.user, objection_id=objection_id)
    return render(
        request,
        "publication/objection_detail.html",
        {
            "o": objection,
            "note_form": note_form,
            "answer_form": answer_form,
            "correct_form": correct_form,
            "kind_names": KIND_NAMES,
            "rerun_link": _rerun_link(objection.round.year),
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def settlement(request: HttpRequest, year: int) -> HttpResponse:
    from django.core.paginator import Paginator

    rnd = selectors.round_of(year)
    form = SettlementForm()
    failed_for = None
    if request.method == "POST":
        form = SettlementForm(request.POST)
        failed_for = _int(request.POST.get("application_id"), limit=2**63 - 1)
        if form.is_valid() and failed_for:
            try:
                services.settlement_record(
                    actor=request.user,
                    year=year,
                    application_id=failed_for,
                    state=form.cleaned_data["state"],
                    settled_on=form.cleaned_data["settled_on"],
                    reason=form.cleaned_data["reason"],
                )
            except SHOWN_ON_PAGE as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, "已记录落户办理结果")
                return redirect(request.get_full_path())
    state = request.GET.get("state", "")
    rows = selectors.settlement_rows(
        actor=request.user, year=year, rank=_int(request.GET.get("rank")), state=state
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/settlement.html",
        {
            "year": year,
            "round": rnd,
            "page": page,
            "form": form,
            "failed_for": failed_for,
            "counts": selectors.settlement_counts(rnd),
            "state": state,
            "states": [("pending", "待办理"), *SettlementState.choices],
            "window": phases.describe(rnd, phases.Phase.SETTLEMENT),
            "window_open": phases.is_open(rnd, phases.Phase.SETTLEMENT),
        },
    )


# --- the applicant's page ----------------------------------------------------------------------


@login_required
@require_safe
def my_result(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "publication/my_result.html",
        {"results": selectors.final_results(request.user), "next_steps": selectors.next_steps()},
    )
