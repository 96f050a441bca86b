"""The declaration (积分填报) page by page: a section with its rows, autosave, the
self-assessment, submission and withdrawal.

Drafts are saved as typed (problems are shown under their fields, never blocking the save);
a second tab's save meets a conflict banner that keeps its typing (StaleVersion); a save the
round or the state refuses lists what was typed instead of dropping it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, FieldError, InvalidInput, ServiceError, StaleVersion
from jifen.core.roles import Role
from jifen.rules.evidence import Requirement

from .. import declaration as decl
from .. import selectors, services
from ..display import (
    ROW_NOUNS,
    describe_path,
    explanation_of,
    group_evidence,
    parse_path,
    reasons_of,
    rule_set_for,
    section_of_path,
)
from ..evidence_checks import limits_text
from ..forms_applicant import (
    ParsedSection,
    input_name,
    parse_section,
    place_errors,
    row_form,
    single_widgets,
)
from ..models import Application, Status
from .access import applicant_page, posted_version

SECTION_URL = "applications:declaration_section"
EVIDENCE_URL = "applications:evidence_download"


def _problem_links(app: Application, errors: list[FieldError]) -> list[dict[str, str]]:
    """Problems for a list: where (in words), the message and the section page's URL (at the
    row, for a row's problem)."""
    out = []
    for err in errors:
        section = section_of_path(err.field)
        url = reverse(SECTION_URL, args=[app.pk, section]) if section else ""
        anchor = _row_anchor(app, err.field)
        if url and anchor:
            url += anchor
        out.append({"where": describe_path(err.field), "message": err.message, "url": url,
                    "field": err.field})
    return out


def _row_anchor(app: Application, path: str) -> str:
    """``#item-<id>`` of the stored row a field path names ("" for none)."""
    parts = parse_path(path)
    if parts is None or parts.index is None:
        return ""
    rows = app.data.get(parts.section)
    if not isinstance(rows, list) or parts.index >= len(rows):
        return ""
    item = rows[parts.index].get("id", "") if isinstance(rows[parts.index], dict) else ""
    return f"#item-{item}" if item else ""


@require_safe
@applicant_page
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    """The declaration's first section with a problem (else the first section)."""
    app = selectors.application_for(request.user, pk)
    problems = selectors.section_problems(app) if app.editable else {}
    first = next((k for k in decl.SECTION_KEYS if problems.get(k)), decl.SECTION_KEYS[0])
    return redirect(SECTION_URL, app.pk, first)


def _window_message(app: Application) -> str:
    rnd = app.round
    opens = timezone.localtime(rnd.declaration_opens).strftime("%Y-%m-%d %H:%M")
    closes = timezone.localtime(rnd.declaration_closes).strftime("%Y-%m-%d %H:%M")
    return f"不在{rnd.year}年度申报期内（{opens} 至 {closes}），申报信息只能查看，不能修改。"


def _read_only_reason(app: Application) -> str:
    if not app.editable:
        if app.status == Status.SUBMITTED:
            return "申报已提交，待单位审核，不能修改；如需修改请先撤回申报。"
        return f"申报{app.get_status_display()}，不能修改。"
    if not app.round.declaration_open():
        return _window_message(app)
    return ""


def section_or_404(key: str) -> decl.Section:
    section = decl.SECTIONS_BY_KEY.get(key)
    if section is None:
        raise Http404("没有该填报项")
    return section


def _missing_by_section(
    requirements: list[tuple[Requirement, bool]],
) -> dict[str, int]:
    """How many items of each section still need their evidence (``requirements`` from
    ``selectors.evidence_requirements``)."""
    out: dict[str, int] = {}
    for requirement, attached in requirements:
        if not attached:
            out[requirement.section] = out.get(requirement.section, 0) + 1
    return out


def _section_nav(
    app: Application, current: str, problems: dict[str, list[FieldError]],
    missing: dict[str, int],
) -> list[dict[str, Any]]:
    """The section list: "!" for problems, "待传材料" for evidence still to upload, ✓ only for a
    section saved at least once with neither (an untouched section is not done)."""
    saved = set(app.saved_sections or [])
    items = []
    for s in decl.SECTIONS:
        items.append({
            "key": s.key, "title": s.title, "active": s.key == current,
            "problems": len(problems.get(s.key, [])), "filled": s.key in saved,
            "evidence_missing": missing.get(s.key, 0),
            "url": reverse(SECTION_URL, args=[app.pk, s.key]),
        })
    return items


def _form_from_value(app: Application, key: str, value: Any, errors: list[FieldError],
                     *, extra_row: bool = False,
                     warnings: list[FieldError] | None = None) -> dict[str, Any]:
    """Rows or widgets for ``value`` (the stored section), errors and warnings placed under
    their inputs."""
    rule_set = rule_set_for(app)
    if warnings is None:
        warnings = decl.warn_section(key, value, rule_set=rule_set,
                                     birth_date=app.applicant.birth_date)
    if decl.SECTIONS_BY_KEY[key].is_list:
        rows = [row_form(key, i, r, rule_set) for i, r in enumerate(value or [])]
        if extra_row or not rows:
            rows.append(row_form(key, len(rows), {}, rule_set))
        top = place_errors(key, errors, rows=rows)
        top_warnings = place_errors(key, warnings, rows=rows, as_warnings=True)
        return {"rows": rows, "widgets": [], "form_errors": top, "form_warnings": top_warnings}
    widgets = single_widgets(key, value or {}, year=app.round.year, sex=app.applicant.sex,
                             rule_set=rule_set)
    top = place_errors(key, errors, widgets=widgets)
    top_warnings = place_errors(key, warnings, widgets=widgets, as_warnings=True)
    return {"rows": [], "widgets": widgets, "form_errors": top, "form_warnings": top_warnings}


def _form_from_typed(app: Application, key: str, parsed: ParsedSection) -> dict[str, Any]:
    """Rows or widgets exactly as posted (used when nothing was saved: a conflict)."""
    rule_set = rule_set_for(app)
    if decl.SECTIONS_BY_KEY[key].is_list:
        rows = [row_form(key, i, r, rule_set, number=n + 1)
                for n, (i, r) in enumerate(parsed.typed_rows)]
        if not rows:
            rows.append(row_form(key, 0, {}, rule_set))
        return {"rows": rows, "widgets": [], "form_errors": [], "form_warnings": []}
    widgets = single_widgets(key, parsed.value, year=app.round.year, sex=app.applicant.sex,
                             rule_set=rule_set)
    return {"rows": [], "widgets": widgets, "form_errors": [], "form_warnings": []}


def render_section(
    request: HttpRequest,
    app: Application,
    section: decl.Section,
    *,
    form: dict[str, Any] | None = None,
    conflict: dict[str, Any] | None = None,
    alert: str = "",
    saved_with_errors: bool = False,
    upload_errors: dict[tuple[str, str], str] | None = None,
    unsaved: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    key = section.key
    read_only_reason = _read_only_reason(app)
    editable = not read_only_reason
    # Checked once per page: the form's errors and the section list's marks come from it.
    problems = selectors.section_problems(app)
    if form is None:
        errors = problems.get(key, []) if editable else []
        form = _form_from_value(app, key, app.data.get(key), errors)
    rule_set = rule_set_for(app)
    template_row = row_form(key, "__i__", {}, rule_set, number="__n__") if section.is_list else None
    evidence = group_evidence(selectors.evidence_for(request.user, app).filter(section=key))
    keys = list(decl.SECTION_KEYS)
    idx = keys.index(key)
    prev_key = keys[idx - 1] if idx > 0 else None
    next_key = keys[idx + 1] if idx + 1 < len(keys) else None
    saved_ids = decl.item_ids(app.data, key)
    upload_errors = upload_errors or {}
    # The evidence each stored item needs (by item id; "" is the section as a whole).
    requirements = selectors.evidence_requirements(app)  # one query for the nav and the rows
    needs = {r.item_id: r.documents for r, _ in requirements if r.section == key}
    for row in form["rows"]:
        row.saved = editable and bool(row.id) and row.id in saved_ids
        row.files = evidence.get((key, row.id), []) if row.id else []
        row.upload_error = upload_errors.get((key, row.id), "") if row.id else ""
        row.documents = needs.get(row.id, ()) if row.id in saved_ids else ()
    context = {
        "app": app,
        "section": section,
        "nav": _section_nav(app, key, problems, _missing_by_section(requirements)),
        "prev": decl.SECTIONS_BY_KEY[prev_key] if prev_key else None,
        "next": decl.SECTIONS_BY_KEY[next_key] if next_key else None,
        "editable": editable,
        "read_only_reason": read_only_reason,
        "rows": form["rows"],
        "widgets": form["widgets"],
        "form_errors": form["form_errors"],
        "form_warnings": form.get("form_warnings", []),
        # What this section needs uploaded as a whole, or why it needs nothing.
        "section_documents": needs.get("", ()),
        "evidence_not_required": selectors.evidence_rules_of(app).section(key).none,
        "template_row": template_row,
        "row_noun": ROW_NOUNS.get(key, ""),
        "evidence_by_item": evidence,
        "evidence_url_name": EVIDENCE_URL,
        "evidence_limits": limits_text(),
        "section_files": evidence.get((key, ""), []),
        "section_upload_error": upload_errors.get((key, ""), ""),
        "all_files": [ev for files in evidence.values() for ev in files],
        "conflict": conflict,
        "alert": alert,
        "saved_with_errors": saved_with_errors,
        "data": app.data,
        "sections": [section],
        "draft_key": f"jifen:draft:{app.pk}:{key}",
        # What was posted but refused (submitted elsewhere, window closed): shown, not lost.
        "unsaved": unsaved,
    }
    return render(request, "applications/applicant/section.html", context, status=status)


def _save(request: HttpRequest, app: Application, key: str, parsed: ParsedSection,
          version: int | None) -> services.SaveResult:
    result = services.application_save_section(
        actor=request.user, application_id=app.pk, section=key, value=parsed.value,
        version=version,
    )
    if parsed.too_many:
        result.errors.insert(0, FieldError(key, f"最多填报 {decl.MAX_ROWS} 条，多出的未保存"))
    return result


@require_http_methods(["GET", "POST"])
@applicant_page
def declaration_section(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    app = selectors.application_for(request.user, pk)
    section = section_or_404(key)
    if request.method != "POST":
        return render_section(request, app, section)
    action = request.POST.get("action", "save")
    parsed = parse_section(key, request.POST, year=app.round.year, sex=app.applicant.sex,
                           rule_set=rule_set_for(app))
    version = posted_version(request, "current_version" if action == "overwrite" else "version")
    try:
        result = _save(request, app, key, parsed, version)
    except StaleVersion as exc:
        current = selectors.application_for(request.user, pk)
        return render_section(
            request, current, section,
            form=_form_from_typed(current, key, parsed),
            conflict={"message": exc.message, "version": posted_version(request),
                      "current_version": current.version, "current": current},
            status=409,
        )
    except SHOWN_ON_PAGE as exc:
        current = selectors.application_for(request.user, pk)
        return render_section(request, current, section, alert=exc.message, status=exc.status,
                               unsaved={key: parsed.value})
    app = result.application
    target = {"prev": -1, "next": 1}.get(action)
    if target is not None:
        keys = decl.SECTION_KEYS
        goto = keys[min(max(keys.index(key) + target, 0), len(keys) - 1)]
        if result.errors:
            messages.warning(request, f"“{section.title}”已保存，但尚有 {len(result.errors)} "
                                      "处需要修改（左侧标有“!”）。")
        else:
            messages.success(request, f"“{section.title}”已保存。")
        return redirect(SECTION_URL, app.pk, goto)
    if action == "add" or result.errors or parsed.too_many:
        form = _form_from_value(app, key, app.data.get(key), result.errors,
                                extra_row=action == "add", warnings=result.warnings)
        if action == "add" and not result.errors:
            messages.info(request, "已保存，并添加了一条空白记录。")
        return render_section(request, app, section, form=form,
                               saved_with_errors=bool(result.errors))
    messages.success(request, f"“{section.title}”已保存。")
    return redirect(SECTION_URL, app.pk, key)


def _json_error(exc: ServiceError, **extra: Any) -> JsonResponse:
    body = exc.as_dict()
    body.update(extra)
    return JsonResponse(body, status=exc.status)


@require_POST
def declaration_autosave(request: HttpRequest, pk: int, key: str) -> JsonResponse:
    """The section form posted by declaration.js: saved as typed, answered in JSON.

    401 (not 302 to the login page) when the session has timed out, so the page can keep
    what was typed in the browser."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "message": "登录已超时，请重新登录"},
                            status=401)
    if user.role != Role.APPLICANT:
        return JsonResponse({"code": "forbidden", "message": "本页面仅供申请人本人使用"},
                            status=403)
    if key not in decl.SECTIONS_BY_KEY:
        return JsonResponse({"code": "not_found", "message": "没有该填报项"}, status=404)
    try:
        app = selectors.application_for(user, pk)
    except ServiceError as exc:
        return _json_error(exc)
    parsed = parse_section(key, request.POST, year=app.round.year, sex=app.applicant.sex,
                           rule_set=rule_set_for(app))
    try:
        result = _save(request, app, key, parsed, posted_version(request))
    except StaleVersion as exc:
        current = selectors.application_for(user, pk)
        return _json_error(exc, current_version=current.version)
    except ServiceError as exc:
        return _json_error(exc)
    positions = parsed.positions if section_is_list(key) else None

    def placed(items: list[FieldError]) -> list[dict[str, str]]:
        return [{"field": e.field, "message": e.message,
                 "input": input_name(key, e.field, positions)} for e in items]

    missing = _missing_by_section(
        selectors.evidence_requirements(result.application)).get(key, 0)
    return JsonResponse({
        "version": result.application.version,
        "errors": placed(result.errors),
        "warnings": placed(result.warnings),
        "evidence_missing": missing,
        "ids": parsed.ids_by_form_index(),
        "saved_at": timezone.localtime().strftime("%H:%M:%S"),
    })


def section_is_list(key: str) -> bool:
    return decl.SECTIONS_BY_KEY[key].is_list


def _assessment_context(app: Application) -> dict[str, Any]:
    assessment = selectors.assess(app)
    return {
        "app": app,
        "assessment": assessment,
        "explanation": explanation_of(assessment),
        "reasons": reasons_of(assessment),
        "problem_url_name": SECTION_URL,
    }


@require_safe
@applicant_page
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_for(request.user, pk)
    return render(request, "applications/applicant/assessment.html", _assessment_context(app))


@require_http_methods(["GET", "POST"])
@applicant_page
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_for(request.user, pk)
    alert = ""
    status = 200
    problems: list[FieldError] = []
    if request.method == "POST":
        try:
            services.application_submit(actor=request.user, application_id=app.pk,
                                        version=posted_version(request))
        except InvalidInput as exc:
            alert, status, problems = exc.message, exc.status, exc.errors
        except SHOWN_ON_PAGE as exc:
            alert, status = exc.message, exc.status
        else:
            messages.success(
                request, "申报已提交，等待用人单位审核。单位提交前，您可以撤回后修改。"
            )
            return redirect("applications:applicant_home")
        app = selectors.application_for(request.user, pk)
    elif app.editable:
        problems = selectors.declaration_problems(app) + selectors.missing_evidence(app)
    context = _assessment_context(app)
    if not problems and context["assessment"].errors:
        problems = context["assessment"].errors
    warnings = [w for ws in selectors.section_warnings(app).values() for w in ws]
    context.update({
        "alert": alert,
        "problems": _problem_links(app, problems),
        # Why there is no score: the data's own problems (not just missing evidence).
        "data_problem_count": len(context["assessment"].errors),
        "warnings": _problem_links(app, warnings) if app.editable else [],
        "read_only_reason": _read_only_reason(app),
    })
    return render(request, "applications/applicant/submit.html", context, status=status)


@require_POST
@applicant_page
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.application_withdraw(actor=request.user, application_id=pk,
                                      version=posted_version(request))
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "申报已撤回，可以继续修改后重新提交。")
    return redirect("applications:applicant_home")
