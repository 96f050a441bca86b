"""The public forms (objection, look-up) and the bureau's forms. The checks themselves are the
services'; these forms only carry what was typed (and keep it when the services refuse)."""

from __future__ import annotations

from django import forms

from jifen.core.forms import TEXT_MAX
from jifen.review.kinds import KIND_NAMES

from .models import SettlementState
from .services import ANSWER_MAX, NOTE_MAX, REASON_MAX, SETTLE_REASON_MAX


class ObjectionForm(forms.Form):
    rank = forms.IntegerField(
        label="被异议人员的排名",
        min_value=1,
        max_value=10**7,
        error_messages={
            "required": "请填写被异议人员的排名",
            "invalid": "排名应为整数",
            "min_value": "排名应为正整数",
            "max_value": "公示名单中没有该排名",
        },
    )
    name = forms.CharField(
        label="异议人姓名", max_length=30, required=False, help_text="请使用真实姓名"
    )
    phone = forms.CharField(
        label="联系电话（手机号码）",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    reason = forms.CharField(
        label="异议事实和理由",
        required=False,
        max_length=REASON_MAX + 200,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"10到{REASON_MAX}个字",
    )


class LookupForm(forms.Form):
    receipt_no = forms.CharField(
        label="受理编号", max_length=20, error_messages={"required": "请填写受理编号"}
    )
    phone = forms.CharField(
        label="联系电话（手机号码）",
        max_length=20,
        error_messages={"required": "请填写提交异议时的联系电话"},
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="核查情况",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="答复内容及理由",
        max_length=ANSWER_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CorrectionForm(forms.Form):
    kind = forms.ChoiceField(label="更正的核验事项", choices=list(KIND_NAMES.items()))
    value = forms.CharField(
        label="更正后的核验值",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="与部门审核员更正时相同：“有/无”，或各行记录的 JSON，"
        '如 [{"year": "2025", "amount": "90000"}]',
    )
    reason = forms.CharField(label="更正理由", max_length=NOTE_MAX, required=False)


class SettlementForm(forms.Form):
    state = forms.ChoiceField(label="办理结果", choices=SettlementState.choices)
    settled_on = forms.DateField(
        label="落户日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入有效的日期"},
    )
    reason = forms.CharField(label="放弃理由", max_length=SETTLE_REASON_MAX, required=False)
