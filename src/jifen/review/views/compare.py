"""The departments' data comparison pages (数据比对), under /review/compare/.

- the upload page: a reviewer chooses one of their department's kinds and a round, uploads a
  CSV or XLSX file; below, the department's earlier runs (the bureau sees every department's,
  read-only, without the form);
- a run's page: its progress while it runs (a bar that ``review/compare.js`` refreshes from
  the status endpoint every second; the state is on the run's row, so a reload shows the
  same), then its counts and the applications found different, or the refusal with every
  bad line;
- the status endpoint: the run's progress as JSON.

Reads go through ``comparison_selectors``, the upload through ``comparison_uploads``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from jifen.applications.evidence_checks import size_label
from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round
from jifen.web.access import role_required

from .. import comparison_selectors as selectors
from ..comparison_uploads import SUFFIXES, accept_upload, upload_kinds
from ..kinds import KIND_NAMES
from ..models import RunState

RUNS_PER_PAGE = 20
DIFFERENCES_PER_PAGE = 50

compare_page = role_required(
    [Role.REVIEWER, Role.BUREAU_ADMIN], selectors.REFUSED
)

STATE_BADGES = {
    RunState.RUNNING: "badge-pending",
    RunState.DONE: "badge-done",
    RunState.REFUSED: "badge-refused",
    RunState.FAILED: "badge-returned",
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="记录类别")
    year = forms.TypedChoiceField(label="积分落户年度", coerce=int)
    file = forms.FileField(
        label="部门记录文件",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )

    def __init__(
        self, *args: Any, kinds: tuple[str, ...], rounds: list[Round], max_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "请选择"), *((k, KIND_NAMES[k]) for k in kinds)]
        self.fields["year"].choices = [(r.year, f"{r.year} 年度") for r in rounds]
        self.fields["file"].help_text = (
            "CSV（UTF-8 编码，逗号分隔，第一行为列名）或 XLSX（第一个工作表），"
            f"不超过 {size_label(max_bytes)}；文件须包含本类别全部人员的完整记录。"
        )


def _run_rows(runs: Any) -> list[dict[str, Any]]:
    return [
        {
            "run": run,
            "kind_name": KIND_NAMES[run.kind],
            "department": Department(run.department).label,
            "badge": STATE_BADGES.get(run.state, "badge-draft"),
            "status": selectors.status_of(run, errors=False),
        }
        for run in runs
    ]


@require_http_methods(["GET", "POST"])
@compare_page
def compare_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    runs = selectors.runs_for(user)  # NotPermitted (403) for anyone else
    kinds = upload_kinds(user)
    form = None
    if kinds:
        rounds = list(Round.objects.order_by("-year"))
        current = current_round()
        form = UploadForm(
            request.POST or None, request.FILES or None, kinds=kinds, rounds=rounds,
            max_bytes=settings.COMPARISON_MAX_BYTES,
            initial={"year": current.year if current else None},
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                run = accept_upload(
                    actor=user, kind=d["kind"], upload=d["file"],
                    round_=next((r for r in rounds if r.year == d["year"]), None),
                )
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                return redirect("review:compare_run", run.pk)
    elif request.method == "POST":
        raise PermissionDenied("只有部门审核员可以上传本部门负责的记录")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/compare.html",
        {
            "form": form,
            "page": page,
            "rows": _run_rows(page.object_list),
            "department_label": (
                Department(user.department).label if user.role == Role.REVIEWER else ""
            ),
            "is_bureau": user.role == Role.BUREAU_ADMIN,
        },
    )


@require_safe
@compare_page
def compare_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_for(request.user, run_id)
    status = selectors.status_of(run, errors=False)
    differences = None
    difference_rows: list[dict[str, Any]] = []
    if run.summary:
        differences = Paginator(selectors.differences_of(run), DIFFERENCES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        difference_rows = selectors.difference_rows(run, list(differences.object_list))
    return render(
        request,
        "review/compare_run.html",
        {
            "run": run,
            "status": status,
            "kind_name": KIND_NAMES[run.kind],
            "department": Department(run.department).label,
            "badge": STATE_BADGES.get(run.state, "badge-draft"),
            "size": size_label(run.size),
            "counts": [
                (name, run.summary[key]) for key, name in selectors.COUNT_NAMES.items()
            ] if run.summary else [],
            "error_lines": [selectors.error_line(e) for e in run.errors],
            "errors_cut": run.error_count > len(run.errors),
            "differences": differences,
            "difference_rows": difference_rows,
        },
    )


@require_safe
@compare_page
def compare_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = selectors.run_for(request.user, run_id)
    response = JsonResponse(selectors.status_of(run, errors=False), json_dumps_params={
        "ensure_ascii": False
    })
    response["Cache-Control"] = "no-store"
    return response
