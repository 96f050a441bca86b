"""System parameters (系统参数): every parameter by group with its value, default and last
change; a change form (value and a required reason) for operators; the history of changes,
filterable by parameter; the round's parameters (read-only, changed on the round set-up pages)
with their change history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from jifen.core.errors import FieldError, ServiceError
from jifen.core.forms import apply_service_error
from jifen.ops import parameters
from jifen.ops.access import ops_page, ops_read
from jifen.ops.models import ParameterChange
from jifen.rounds.models import Round, RoundChange
from jifen.rounds.services import PARAMETER_LABELS, WINDOW_FIELDS


class ChangeForm(forms.Form):
    value = forms.CharField(label="新值", max_length=500, required=False)
    reason = forms.CharField(
        label="修改原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写修改原因。"},
    )

    def __init__(self, *args: Any, label: str = "新值", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The value's label names the parameter (and its unit).
        self.fields["value"].label = label


def _label(spec: parameters.ParameterSpec) -> str:
    return f"{spec.label}（{spec.unit}）" if spec.unit else spec.label


def shown(value: Any) -> str:
    """A parameter's value as the page shows it."""
    if value is None:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "，".join(str(v) for v in value) or "（空）"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, dict):
        return "；".join(f"{k} {v}" for k, v in value.items()) or "（均按默认）"
    return str(value)


def _form_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _groups() -> list[dict[str, Any]]:
    values = parameters.current_values()
    last: dict[str, ParameterChange] = {}
    for change in ParameterChange.objects.select_related("changed_by").order_by(
        "-changed_at", "-id"
    ):
        last.setdefault(change.key, change)
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, spec in parameters.specs().items():
        groups.setdefault(spec.group, []).append(
            {
                "spec": spec,
                "value": shown(values[key]),
                "default": shown(spec.default),
                "changed": values[key] != spec.default,
                "last": last.get(key),
            }
        )
    return [{"group": g, "rows": rows} for g, rows in groups.items()]


def _history(key: str) -> list[dict[str, Any]]:
    specs = parameters.specs()
    changes = ParameterChange.objects.select_related("changed_by")
    if key:
        changes = changes.filter(key=key)
    return [
        {
            "change": c,
            "label": specs[c.key].label if c.key in specs else c.key,
            "unit": specs[c.key].unit if c.key in specs else "",
            "old": shown(c.old_value),
            "new": shown(c.new_value),
        }
        for c in changes[:200]
    ]


def _round_context() -> dict[str, Any]:
    rnd = Round.objects.order_by("-year").first()
    rows: list[tuple[str, str]] = []
    if rnd is not None:
        rows = [
            (PARAMETER_LABELS["rule_set"], rnd.rule_set),
            (PARAMETER_LABELS["quota"], str(rnd.quota)),
        ]
        for f in WINDOW_FIELDS:
            value = getattr(rnd, f)
            rows.append(
                (
                    PARAMETER_LABELS[f],
                    timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "（未设置）",
                )
            )
    changes = [
        {
            "change": c,
            "label": PARAMETER_LABELS.get(c.field.partition(".")[0], c.field),
            "old": shown(c.old),
            "new": shown(c.new),
        }
        for c in RoundChange.objects.select_related("round", "actor").order_by("-at", "-id")[:50]
    ]
    return {"round": rnd, "round_rows": rows, "round_changes": changes}


@require_safe
@ops_read
def parameter_list(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("key", "")
    if key not in parameters.specs():
        key = ""
    return render(
        request,
        "ops/parameters/list.html",
        {
            "ops_section": "ops:parameters",
            "groups": _groups(),
            "key": key,
            "specs": list(parameters.specs().values()),
            "history": _history(key),
            **_round_context(),
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def parameter_edit(request: HttpRequest, key: str) -> HttpResponse:
    spec = parameters.specs().get(key)
    if spec is None:
        raise Http404("没有这个系统参数。")
    current = parameters.get(key)
    if request.method == "POST":
        form = ChangeForm(request.POST, label=_label(spec))
        if form.is_valid():
            try:
                parameters.set_parameter(
                    actor=request.user,
                    key=key,
                    value=form.cleaned_data["value"],
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as exc:  # set_parameter's refusals: type, reason, same value
                # The service names the parameter by its key: that is the form's value field.
                exc.errors = [
                    FieldError("value", e.message) if e.field == key else e for e in exc.errors
                ]
                apply_service_error(form, exc)
            else:
                messages.success(request, f"已修改参数“{spec.label}”。")
                return redirect(f"{reverse('ops:parameters')}?key={key}#history")
    else:
        form = ChangeForm(initial={"value": _form_value(current)}, label=_label(spec))
    return render(
        request,
        "ops/parameters/edit.html",
        {
            "ops_section": "ops:parameters",
            "spec": spec,
            "current": shown(current),
            "default": shown(spec.default),
            "form": form,
            "history": _history(key)[:10],
        },
    )
