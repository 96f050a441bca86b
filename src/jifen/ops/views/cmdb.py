"""The CMDB (配置管理): items by kind with their history; operators add, edit and retire items
and can run the system's own registration (自动登记) now."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import TEXT_MAX, apply_service_error
from jifen.ops import cmdb
from jifen.ops.access import ops_page, ops_read
from jifen.ops.models import ConfigChange, ConfigItem


class ItemForm(forms.Form):
    kind = forms.ChoiceField(
        label="类别",
        choices=[("", "请选择"), *ConfigItem.Kind.choices],
        error_messages={"required": "请选择配置项类别。", "invalid_choice": "请选择配置项类别。"},
    )
    name = forms.CharField(
        label="名称", max_length=200, error_messages={"required": "请填写配置项名称。"}
    )
    version = forms.CharField(label="版本", max_length=100, required=False)
    host = forms.CharField(label="所在服务器", max_length=100, required=False)
    note = forms.CharField(
        label="说明", required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label="变更原因", max_length=500, error_messages={"required": "请填写变更原因。"}
    )


class RetireForm(forms.Form):
    reason = forms.CharField(
        label="停用原因", max_length=500, error_messages={"required": "请填写停用原因。"}
    )


def _history(changes: Any) -> list[dict[str, Any]]:
    return [{"change": c, "label": cmdb.FIELD_LABELS.get(c.field, c.field)} for c in changes]


@require_safe
@ops_read
def cmdb_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    show_retired = request.GET.get("retired") == "1"
    items = ConfigItem.objects.order_by("kind", Lower("name"), "host")
    if kind in ConfigItem.Kind.values:
        items = items.filter(kind=kind)
    if not show_retired:
        items = items.filter(retired=False)
    groups = []
    for value, label in ConfigItem.Kind.choices:
        rows = [i for i in items if i.kind == value]
        if rows:
            groups.append({"kind": value, "label": label, "items": rows})
    recent = ConfigChange.objects.select_related("item", "changed_by")[:20]
    return render(
        request,
        "ops/cmdb/list.html",
        {
            "ops_section": "ops:cmdb",
            "kind": kind,
            "kinds": ConfigItem.Kind.choices,
            "show_retired": show_retired,
            "groups": groups,
            "status": cmdb.cmdb_status(),
            "recent": _history(recent),
        },
    )


@require_http_methods(["GET", "POST"])
@ops_page
def cmdb_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ItemForm(request.POST)
        if form.is_valid():
            try:
                item = cmdb.config_item_add(actor=request.user, **form.cleaned_data)
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, "已新增配置项。")
                return redirect("ops:cmdb_detail", pk=item.pk)
    else:
        form = ItemForm(initial={"kind": request.GET.get("kind", "")})
    return render(
        request, "ops/cmdb/form.html", {"ops_section": "ops:cmdb", "form": form, "item": None}
    )


def _detail(request: HttpRequest, item: ConfigItem, **forms_: Any) -> HttpResponse:
    form = forms_.get("form") or ItemForm(
        initial={
            "kind": item.kind,
            "name": item.name,
            "version": item.version,
            "host": item.host,
            "note": item.attributes.get("note", ""),
        }
    )
    if item.discovered:
        form.fields["version"].disabled = True
        form.fields["version"].help_text = "由系统自动登记，随升级自动更新。"
    return render(
        request,
        "ops/cmdb/detail.html",
        {
            "ops_section": "ops:cmdb",
            "item": item,
            "attributes": [(k, v) for k, v in item.attributes.items() if k != "note"],
            "history": _history(item.changes.select_related("changed_by")),
            "form": form,
            "retire_form": forms_.get("retire_form") or RetireForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@ops_read
def cmdb_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ConfigItem, pk=pk)
    if request.method == "GET":
        return _detail(request, item)
    return _edit(request, item)


@ops_page
def _edit(request: HttpRequest, item: ConfigItem) -> HttpResponse:
    form = ItemForm(request.POST, initial={"version": item.version})
    if item.discovered:
        form.fields["version"].disabled = True
    if form.is_valid():
        try:
            changes = cmdb.config_item_edit(actor=request.user, item=item, **form.cleaned_data)
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"已保存，记录 {len(changes)} 项变更。")
            return redirect("ops:cmdb_detail", pk=item.pk)
    return _detail(request, item, form=form)


@require_POST
@ops_page
def cmdb_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ConfigItem, pk=pk)
    form = RetireForm(request.POST)
    if form.is_valid():
        try:
            cmdb.config_item_retire(
                actor=request.user, item=item, reason=form.cleaned_data["reason"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已停用该配置项。")
            return redirect("ops:cmdb_detail", pk=pk)
    return _detail(request, item, retire_form=form)


@require_POST
@ops_page
def cmdb_discover(request: HttpRequest) -> HttpResponse:
    messages.success(request, cmdb.discover_job())
    return redirect("ops:cmdb")
