"""The forms of the re-check pages: the department's and the service window's (the applicant's
request is read from its checkboxes by the view: one statement and files per chosen kind)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from .models import Outcome
from .recheck import REASON_MAX

_TEXTAREA = {"rows": 3}


class OnsiteForm(forms.Form):
    reason = forms.CharField(
        label="转交理由", max_length=REASON_MAX, required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text="写明须由区服务窗口核验哪些原件，如“请核验2019年租赁合同原件及备案证明”。",
    )


class OnsiteRecordForm(forms.Form):
    consistent = forms.TypedChoiceField(
        label="原件与申报内容是否一致", required=False, widget=forms.RadioSelect,
        choices=[("yes", "一致"), ("no", "不一致")],
        coerce=lambda v: v == "yes", empty_value=None,
    )
    note = forms.CharField(
        label="现场核验意见", max_length=REASON_MAX, required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text="写明查看了哪些原件、原件显示的内容。",
    )


VALUE_DECLARED = "declared"
VALUE_TYPED = "typed"


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label="复查结论", required=False, widget=forms.RadioSelect, choices=Outcome.choices,
    )
    reason = forms.CharField(
        label="答复理由", max_length=REASON_MAX, required=False,
        widget=forms.Textarea(attrs=_TEXTAREA), help_text="申请人将看到本理由。",
    )
    value_source = forms.ChoiceField(
        label="变更后的核验值", required=False, widget=forms.RadioSelect,
        choices=[(VALUE_DECLARED, "采用申请人申报的内容"),
                 (VALUE_TYPED, "填写核验值（JSON，格式同申报内容）")],
        initial=VALUE_DECLARED,
    )
    value_json = forms.CharField(
        label="核验值（JSON）", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="仅在选择“填写核验值”时使用，初始为当前核验值。",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["typed_value"] = None
        typed = data.get("value_source") == VALUE_TYPED
        text = (data.get("value_json") or "").strip()
        if data.get("outcome") == Outcome.CHANGED and typed and text:
            try:
                data["typed_value"] = json.loads(text)
            except ValueError:
                self.add_error("value_json", "不是有效的 JSON")
        return data

    def value(self, declared: Any) -> Any:
        """The verified value the form gives for a change: the declared one, or the typed
        JSON (None: none given, or not a change)."""
        d = self.cleaned_data
        if d.get("outcome") != Outcome.CHANGED:
            return None
        return d["typed_value"] if d.get("value_source") == VALUE_TYPED else declared
