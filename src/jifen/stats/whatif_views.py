"""The what-if page (模拟测算, /stats/whatif/): bureau administrators only. The scenario is
typed in a form kept as typed when refused; "导出 XLSX" answers with every applicant's
difference as a spreadsheet."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from jifen.core.errors import SHOWN_ON_PAGE, FieldError, InvalidInput
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rules import load_rule_set
from jifen.rules.ruleset import available_rule_sets
from jifen.web.access import role_required

from . import exports
from .adhoc_views import XLSX
from .whatif import REFUSED, Scenario, compute_whatif, max_applications, too_big_for_a_request
from .whatif_jobs import job_of, start_job
from .whatif_params import PARAMETERS

SHOWN_DIFFERENCES = 500

bureau_page = role_required([Role.BUREAU_ADMIN], REFUSED)


def scenario_from(data: Any) -> tuple[int, Scenario]:
    """The round's year and the scenario from the form (or the API's JSON); InvalidInput
    naming every bad field."""
    errors: list[FieldError] = []

    def number(name: str, label: str) -> int | None:
        text = str(data.get(name) or "").strip()
        if not text:
            return None
        if text.isdigit() and len(text) <= 7:
            return int(text)
        errors.append(FieldError(name, f"{label}须为正整数，“{text[:20]}”不是"))
        return None

    year = number("year", "年度")
    if year is None and not any(e.field == "year" for e in errors):
        errors.append(FieldError("year", "请选择积分落户年度"))
    quota = number("quota", "落户指标数")
    rule_set = str(data.get("rule_set") or "").strip() or None
    parameter = str(data.get("parameter") or "").strip() or None
    value = str(data.get("value") or "").strip() or None
    if parameter and not value:
        errors.append(
            FieldError(
                "value",
                f"请填写「{PARAMETERS[parameter].label}」的新取值"
                if parameter in PARAMETERS
                else "请填写参数的新取值",
            )
        )
    if value and not parameter:
        errors.append(FieldError("parameter", "请选择要调整的参数"))
    if errors:
        raise InvalidInput(errors[0].message, errors=errors)
    assert year is not None
    return year, Scenario(quota=quota, rule_set=rule_set, parameter=parameter, value=value)


def _typed(post: QueryDict | None, rounds: list[Round]) -> dict[str, str]:
    post = post or QueryDict()
    default_year = str(rounds[0].year) if rounds else ""
    return {
        k: post.get(k, default_year if k == "year" else "")
        for k in ("year", "quota", "rule_set", "parameter", "value")
    }


def _xlsx(actor: Any, outcome: Any) -> HttpResponse:
    response = HttpResponse(exports.whatif_file(actor=actor, outcome=outcome), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"模拟测算-{outcome.round.year}.xlsx"
    )
    return response


@bureau_page
@require_http_methods(["GET", "POST"])
def whatif_page(request: HttpRequest) -> HttpResponse:
    rounds = list(Round.objects.filter(source="live").order_by("-year"))
    outcome = None
    errors: dict[str, list[str]] = {}
    general = ""
    status = 200
    job: dict[str, Any] | None = None
    job_id = request.GET.get("job", "")
    typed_from: Any = request.POST if request.method == "POST" else None
    if request.method == "POST":
        export = request.POST.get("action") == "export"
        try:
            year, scenario = scenario_from(request.POST)
            if too_big_for_a_request(year):
                # A big round: computed in the background; the page follows the job.
                job_id = start_job(actor=request.user, year=year, scenario=scenario)
                return redirect(f"{reverse('stats:whatif')}?job={job_id}")
            outcome = compute_whatif(
                actor=request.user,
                year=year,
                scenario=scenario,
                purpose="export" if export else "view",
            )
        except SHOWN_ON_PAGE as exc:
            general, status = exc.message, exc.status
            for err in exc.errors:
                errors.setdefault(err.field, []).append(err.message)
        else:
            if export:
                return _xlsx(request.user, outcome)
    elif job_id:
        # Expired, or someone else's: NotFound, the 404 page (the one mapping of refusals).
        job = job_of(actor=request.user, job_id=job_id)
        typed_from = QueryDict(mutable=True)
        typed_from.update(
            {
                "year": str(job["year"]),
                **{k: "" if v is None else str(v) for k, v in job["scenario"].items()},
            }
        )
        if job["state"] == "done":
            outcome = job["outcome"]
            if request.GET.get("export"):
                return _xlsx(request.user, outcome)
        elif job["state"] == "failed":
            general, status = job["message"], 409
    changed = outcome.changed if outcome else []
    context = {
        "job": job,
        "job_id": job_id if job else "",
        "typed": _typed(typed_from, rounds),
        "rounds": rounds,
        "rule_sets": [(n, load_rule_set(n).title) for n in available_rule_sets()],
        "parameters": [(p.key, p.label) for p in PARAMETERS.values()],
        "outcome": outcome,
        "changed": changed[:SHOWN_DIFFERENCES],
        "more": max(0, len(changed) - SHOWN_DIFFERENCES),
        "errors": errors,
        "general": general,
        "limit": max_applications(),
    }
    return render(request, "stats/whatif.html", context, status=status)
