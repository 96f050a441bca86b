"""The applicant's correction request and the bureau's answer. The checks are the services'
(jifen.privacy.corrections); these forms carry what was typed and keep it on a refusal."""

from __future__ import annotations

from django import forms

from .corrections import ANSWER_MAX, CORRECT_MAX, WRONG_MAX
from .models import CorrectionField


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(
        label="更正项目",
        choices=[("", "请选择"), *CorrectionField.choices],
        required=False,
        error_messages={"invalid_choice": "请选择要更正的项目"},
    )
    wrong = forms.CharField(
        label="现有信息错在何处",
        required=False,
        max_length=WRONG_MAX + 100,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"最多 {WRONG_MAX} 个字",
    )
    correct = forms.CharField(
        label="应更正为",
        required=False,
        max_length=CORRECT_MAX + 100,
        help_text="姓名、手机号码、电子邮箱经审核同意后由系统直接更正",
    )


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label="处理结果",
        choices=[("accept", "同意更正"), ("refuse", "不予更正")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理结果", "invalid_choice": "请选择处理结果"},
    )
    answer = forms.CharField(
        label="处理意见",
        required=False,
        max_length=ANSWER_MAX + 100,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不予更正时必须说明理由",
    )
