"""The applicant's first result (/review/my/): per indicator and per kind of record, declared
beside verified, and the re-check request with its files.

Reads through ``selectors_result``, writes through ``recheck``; someone else's application is
the 404 page (ServiceErrorMiddleware).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from jifen.applications.evidence_checks import limits_text
from jifen.applications.views.access import applicant_page
from jifen.core.errors import SHOWN_ON_PAGE, InvalidInput

from .. import recheck, selectors_result
from ..kinds import KINDS

_DISPUTE_FIELD = re.compile(r"^disputes\[(\d+)\]\.(\w+)$")


@require_safe
@applicant_page
def my_results(request: HttpRequest) -> HttpResponse:
    """The applicant's applications under verification; one alone opens directly."""
    apps = selectors_result.applications_with_verification(request.user)
    if len(apps) == 1:
        return redirect("review:my_result", apps[0].round.year)
    rows = [(a, selectors_result.status_of(a)) for a in apps]
    return render(request, "review/my_results.html", {"rows": rows})


def _render(request: HttpRequest, year: int, *, status: int = 200,
            **extra: Any) -> HttpResponse:
    view = selectors_result.applicant_result_of_year(request.user, year)
    chosen = extra.get("chosen", set())
    statements = extra.get("statements", {})
    errors = extra.get("recheck_errors", {})
    evidence_errors = extra.get("evidence_errors", {})
    return render(request, "review/my_result.html", {
        "view": view,
        "app": view.app,
        "recheck": view.recheck,
        # The request form: one choice per kind, as typed when it comes back refused.
        "choices": [
            {"row": k, "checked": k.kind in chosen, "statement": statements.get(k.kind, ""),
             "errors": errors.get(k.kind, [])}
            # The kinds that differ first: those are what one disputes.
            for k in sorted(view.kinds, key=lambda k: not k.differs)
        ],
        # In full: what differs, was disputed or has a reason; the rest in a short table.
        "kind_rows": [
            {"row": k, "upload_error": evidence_errors.get(k.dispute.pk, "") if k.dispute else "",
             "can_upload": k.dispute is not None and not k.dispute.outcome
             and view.recheck is not None and view.recheck.open_now}
            for k in view.kinds if k.differs or k.dispute is not None or k.reason
        ],
        "plain_kinds": [
            k for k in view.kinds if not (k.differs or k.dispute is not None or k.reason)
        ],
        "differing_count": len(view.different_kinds),
        # The folded choices open when one of them was ticked or refused.
        "others_open": any(k.kind in chosen or k.kind in errors
                           for k in view.kinds if not k.differs),
        "recheck_alert": extra.get("recheck_alert", ""),
        "evidence_limits": limits_text(),
    }, status=status)


@require_safe
@applicant_page
def my_result(request: HttpRequest, year: int) -> HttpResponse:
    return _render(request, year)


def _errors_by_kind(exc: Exception, asked: list[str]) -> dict[str, list[str]]:
    """A refusal's field errors, under the kind each names (``disputes[2].statement``)."""
    out: dict[str, list[str]] = {}
    for err in getattr(exc, "errors", []):
        match = _DISPUTE_FIELD.match(err.field)
        if match and int(match.group(1)) < len(asked):
            out.setdefault(asked[int(match.group(1))], []).append(err.message)
    return out


@require_POST
@applicant_page
def my_recheck(request: HttpRequest, year: int) -> HttpResponse:
    """File the re-check request: the kinds ticked, each with its statement and files."""
    app = selectors_result.own_application_of_year(request.user, year)
    chosen = [k for k in KINDS if k in request.POST.getlist("kind")]
    statements = {k: request.POST.get(f"statement-{k}", "") for k in KINDS}
    disputes = [
        {"kind": k, "statement": statements[k], "files": request.FILES.getlist(f"files-{k}")}
        for k in chosen
    ]
    try:
        if not disputes:
            raise InvalidInput("请至少选择一项申请复查的核验事项", field="disputes")
        recheck.recheck_request(actor=request.user, application_id=app.pk, disputes=disputes)
    except SHOWN_ON_PAGE as exc:
        return _render(
            request, year, status=exc.status, chosen=set(chosen), statements=statements,
            recheck_errors=_errors_by_kind(exc, chosen),
            recheck_alert=f"复查申请未提交：{exc.message}",
        )
    messages.success(request, "已提交复查申请，核验部门答复后您将收到站内消息。")
    return redirect(reverse("review:my_result", args=[year]) + "#recheck")


@require_POST
@applicant_page
def my_dispute_evidence(request: HttpRequest, year: int, dispute_id: int) -> HttpResponse:
    """One more file for a disputed item (within the window, until it is answered)."""
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput("请选择要上传的文件", field="file")
        ev = recheck.dispute_add_evidence(actor=request.user, dispute_id=dispute_id,
                                          upload=upload)
    except SHOWN_ON_PAGE as exc:
        return _render(
            request, year, status=exc.status,
            evidence_errors={dispute_id: exc.message},
        )
    messages.success(request, f"已上传“{ev.original_name}”。")
    return redirect(reverse("review:my_result", args=[year]) + f"#dispute-{dispute_id}")
