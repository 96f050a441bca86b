"""The reviewers' pages: their department's queue, one item with its three decisions, bulk
confirmation of matched items; and the bureau's overview of waiting and overdue items.

Views parse the request and render; the reads are ``review.selectors``' and the writes
``review.decisions``' (which decide who may do what). A refused decision shows the page again
with what was typed and the message under its field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, InvalidInput, ServiceError
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round
from jifen.rules.ruleset import load_rule_set
from jifen.web.access import role_required

from .. import decisions, selectors
from ..corrections import BOOLEAN_KINDS, COLUMN_NAMES, COLUMNS, blank_row, value_rows
from ..kinds import KIND_NAMES, kinds_of
from ..models import ItemState
from ..signal_selectors import signal_counts, signals_for_application

PAGE_SIZE = 50
BLANK_ROWS = 3  # empty rows of the value editor (more with JavaScript's "添加一行")

reviewer_page = role_required([Role.REVIEWER], "核验工作队列仅供部门审核员使用")
bureau_page = role_required([Role.BUREAU_ADMIN], "各部门核验进度仅供市人社局管理员查看")

STATE_BADGES = {
    ItemState.WAITING: "badge-pending",
    ItemState.MATCHED: "badge-submitted",
    ItemState.DIFFERENT: "badge-returned",
    ItemState.CONFIRMED: "badge-confirmed",
    ItemState.CORRECTED: "badge-done",
    ItemState.REJECTED: "badge-refused",
}


def _round(request: HttpRequest) -> Round | None:
    """The round of ``?year=`` when given (and known), else the current one."""
    year = request.GET.get("year", "")
    if year.isdigit():
        chosen = Round.objects.filter(year=int(year)).first()
        if chosen is not None:
            return chosen
    return current_round()


# --- the queue -----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label="核验状态", required=False)
    kind = forms.ChoiceField(label="核验事项", required=False)
    matched = forms.ChoiceField(
        label="比对结果", required=False,
        choices=[("", "全部"), ("1", "比对一致"), ("0", "比对不一致")],
    )
    recheck = forms.ChoiceField(
        label="复查", required=False,
        choices=[("", "全部"), ("1", "复查中"), ("0", "不在复查中")],
    )
    overdue = forms.BooleanField(label="只看已超期", required=False)
    employer = forms.CharField(
        label="用人单位", required=False, max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "单位名称或统一社会信用代码"}),
    )
    number = forms.CharField(
        label="申请编号", required=False, max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "完整编号或开头几位", "inputmode": "numeric"}),
    )
    order = forms.ChoiceField(
        label="排序", required=False,
        choices=[("waiting", "等待最久的在前"), ("-waiting", "最新进入的在前")],
    )

    def __init__(self, *args: Any, department: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "全部"), *ItemState.choices]
        self.fields["kind"].choices = [
            ("", "全部"), *((k, KIND_NAMES[k]) for k in kinds_of(department))
        ]

    def filters(self) -> dict[str, Any]:
        d = self.cleaned_data
        flag = {"1": True, "0": False}
        return {
            "state": d["state"] or None,
            "kind": d["kind"] or None,
            "matched": flag.get(d["matched"]),
            "recheck": flag.get(d["recheck"]),
            "overdue": True if d["overdue"] else None,
            "employer": d["employer"].strip() or None,
            "number": d["number"].strip() or None,
            "order": d["order"] or "waiting",
        }


def _chips(request: HttpRequest, counts: dict[str, int]) -> list[dict[str, Any]]:
    """The tabs above the list: all, each state, overdue, in re-check (with their counts)."""
    current = request.GET
    chips = [{"label": "全部", "count": counts["total"], "query": "",
              "active": not any(current.get(k) for k in ("state", "overdue", "recheck"))}]
    for state in ItemState:
        chips.append({"label": state.label, "count": counts[state.value],
                      "query": f"state={state.value}", "active": current.get("state") == state,
                      "badge": STATE_BADGES[state]})
    chips.append({"label": "已超期", "count": counts["overdue"], "query": "overdue=on",
                  "active": current.get("overdue") == "on", "badge": "badge-refused"})
    chips.append({"label": "复查中", "count": counts["recheck"], "query": "recheck=1",
                  "active": current.get("recheck") == "1", "badge": "badge-pending"})
    return chips


@require_safe
@reviewer_page
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    rnd = _round(request)
    form = QueueFilterForm(request.GET or None, department=user.department)
    filters = form.filters() if form.is_valid() else {}
    counts = selectors.queue_counts(user, rnd)
    items = selectors.department_queue(user, rnd, **filters)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.queue_rows(page.object_list)
    # Signals of duplicates and fraud this reviewer may see, per application of the page.
    in_signals = signal_counts({r.item.application_id for r in rows}, user=user)
    return render(request, "review/queue.html", {
        "round": rnd,
        "department_label": Department(user.department).label if user.department else "",
        "form": form,
        "counts": counts,
        "chips": _chips(request, counts),
        "page": page,
        "rows": [(row, in_signals.get(row.item.application_id, 0)) for row in rows],
        "badges": STATE_BADGES,
        "here": request.get_full_path(),
    })


def _back_to_queue(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/review/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("review:queue")


@require_POST
@reviewer_page
def bulk_confirm(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("item") if v.isdigit() and len(v) < 19]
    try:
        result = decisions.items_bulk_confirm(actor=request.user, item_ids=ids)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        text = f"已确认 {result.confirmed} 项比对一致的核验事项。"
        if result.skipped:
            text += f"另有 {result.skipped} 项不是本部门比对一致、未在复查中的事项，未予确认。"
        messages.success(request, text)
    return redirect(_back_to_queue(request))


# --- one item ------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="理由", required=False, max_length=decisions.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


_ROW_FIELD = re.compile(r"^rows-([0-9]{1,3})-([a-z_]+)$")


def posted_rows(kind: str, data: QueryDict) -> list[dict[str, str]]:
    """The editor's rows as posted (``rows-<i>-<column>``), in their order on the page; a row
    whose 删除 box is ticked, and a wholly empty one, is left out."""
    rows: dict[int, dict[str, str]] = {}
    for name in data:
        m = _ROW_FIELD.match(name)
        if m and (m.group(2) in COLUMNS[kind] or m.group(2) == "remove"):
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = data.get(name, "")
    kept = [
        {c: row.get(c, "") for c in COLUMNS[kind]}
        for _, row in sorted(rows.items())
        if not row.get("remove")
    ]
    return [row for row in kept if not blank_row(row, kind)]


def value_editor(kind: str, rule_set: Any, rows: list[dict[str, str]],
            errors: dict[str, str] | None = None) -> dict[str, Any]:
    """What the value editor renders: its columns (with their choices) and rows, each cell
    with what is in it and its error."""
    errors = errors or {}
    codes = rule_set.innovation_names if kind == "innovation" else rule_set.honour_codes
    choices: dict[str, list[tuple[str, str]]] = {
        "district": [("", "请选择"), *((d, d) for d in rule_set.districts)],
        "kind": [("", "请选择"), *rule_set.housing_kind_names.items()],
        "level": [("", "（无）"), *rule_set.level_names.items()],
        "degree": [("", "（无）"), *rule_set.degree_names.items()],
        "full_time": [("true", "是"), ("false", "否")],
        "code": [("", "请选择"), *codes.items()],
    }
    placeholders = {"from": "2021-03", "to": "2021-12", "date": "2021-03-05",
                    "back_paid": "2021-01;2021-02", "year": "2021", "amount": "12000.00"}
    columns = [
        {"name": c, "label": COLUMN_NAMES[c], "choices": choices.get(c),
         "placeholder": placeholders.get(c, "")}
        for c in COLUMNS[kind]
    ]
    shown = rows + [{c: "" for c in COLUMNS[kind]} for _ in range(BLANK_ROWS)]
    return {
        "columns": columns,
        "rows": [
            {
                "index": i,
                "number": i + 1,
                "error": errors.get(f"value[{i}]", ""),
                "cells": [
                    {**col, "value": row.get(col["name"], ""),
                     "error": errors.get(f"value[{i}].{col['name']}", "")}
                    for col in columns
                ],
            }
            for i, row in enumerate(shown)
        ],
        "template": {
            "cells": [{**col, "value": "true" if col["name"] == "full_time" else ""}
                      for col in columns],
        },
        "value_errors": [m for f, m in errors.items() if f == "value"],
    }


def _item_page(
    request: HttpRequest,
    item_id: int,
    *,
    forms_: dict[str, ReasonForm] | None = None,
    rows: list[dict[str, str]] | None = None,
    choice: str | None = None,
    value_errors: dict[str, str] | None = None,
    failed: str = "",
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    detail = selectors.item_detail(request.user, item_id)
    item = detail.item
    rule_set = load_rule_set(item.application.round.rule_set)
    forms_ = forms_ or {}
    start = detail.recorded if detail.recorded is not None else detail.declared
    if rows is None:
        rows = value_rows(item.kind, start) if item.kind not in BOOLEAN_KINDS else []
    if choice is None and item.kind in BOOLEAN_KINDS:
        choice = "true" if start else "false"
    return render(request, "review/item.html", {
        "d": detail,
        "item": item,
        "app": item.application,
        "badge": STATE_BADGES[item.state],
        "confirm_form": forms_.get("confirm") or ReasonForm(prefix="confirm"),
        "correct_form": forms_.get("correct") or ReasonForm(prefix="correct"),
        "reject_form": forms_.get("reject") or ReasonForm(prefix="reject"),
        "boolean": item.kind in BOOLEAN_KINDS,
        "choice": choice,
        "editor": None if item.kind in BOOLEAN_KINDS else value_editor(
            item.kind, rule_set, rows, value_errors),
        "value_errors": [m for f, m in (value_errors or {}).items() if f == "value"],
        "failed": failed,
        "alert": alert,
        "confirm_source": "部门记录" if detail.recorded is not None else "申报内容",
        "signals": signals_for_application(item.application, user=request.user),
    }, status=status)


@require_safe
@reviewer_page
def item(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_page(request, item_id)


def _done(request: HttpRequest, item_id: int, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("review:item", item_id)


def _refused(request: HttpRequest, item_id: int, which: str, form: ReasonForm,
             exc: ServiceError, **kwargs: Any) -> HttpResponse:
    """The page again, with the refused form as it was typed, the service's message on top
    of it and each field's message under the field (the value editor's under its rows)."""
    value_errors: dict[str, str] = {}
    for err in exc.errors:
        if err.field.startswith("value"):
            value_errors[err.field] = err.message
        else:
            form.add_error("reason" if err.field == "reason" else None, err.message)
    return _item_page(request, item_id, forms_={which: form}, value_errors=value_errors,
                      failed=which, alert=exc.message, status=exc.status, **kwargs)


def _reason(form: ReasonForm) -> str:
    if not form.is_valid():
        raise InvalidInput(form.errors["reason"][0], field="reason")
    return form.cleaned_data["reason"]


@require_POST
@reviewer_page
def confirm(request: HttpRequest, item_id: int) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="confirm")
    try:
        decisions.item_confirm(actor=request.user, item_id=item_id, reason=_reason(form))
    except SHOWN_ON_PAGE as exc:
        return _refused(request, item_id, "confirm", ReasonForm(request.POST, prefix="confirm"),
                        exc)
    return _done(request, item_id, "已确认该核验事项。")


@require_POST
@reviewer_page
def correct(request: HttpRequest, item_id: int) -> HttpResponse:
    target = selectors.item_for(request.user, item_id)
    form = ReasonForm(request.POST, prefix="correct")
    boolean = target.kind in BOOLEAN_KINDS
    choice = request.POST.get("choice", "") if boolean else None
    rows = None if boolean else posted_rows(target.kind, request.POST)
    try:
        decisions.item_correct(actor=request.user, item_id=item_id,
                               value=choice if boolean else rows, reason=_reason(form))
    except SHOWN_ON_PAGE as exc:
        return _refused(request, item_id, "correct", ReasonForm(request.POST, prefix="correct"),
                        exc, rows=rows, choice=choice)
    return _done(request, item_id, "已更正该核验事项。")


@require_POST
@reviewer_page
def reject(request: HttpRequest, item_id: int) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="reject")
    try:
        decisions.item_reject(actor=request.user, item_id=item_id, reason=_reason(form))
    except SHOWN_ON_PAGE as exc:
        return _refused(request, item_id, "reject", ReasonForm(request.POST, prefix="reject"),
                        exc)
    return _done(request, item_id, "已对该核验事项作出不予认定的决定。")


# --- the bureau ----------------------------------------------------------------------------


@require_safe
@bureau_page
def overview(request: HttpRequest) -> HttpResponse:
    rnd = _round(request)
    loads = selectors.bureau_overview(request.user, rnd)
    return render(request, "review/overview.html", {
        "round": rnd,
        "loads": loads,
        "totals": {
            k: sum(getattr(load, k) for load in loads)
            for k in ("total", "waiting", "decided", "overdue", "recheck")
        },
        "rounds": Round.objects.order_by("-year"),
    })
