"""The forms of the re-check pages: the department's and the service window's (the applicant's
request is read from its checkboxes by the view: one statement and files per chosen kind)."""

from __future__ import annotations

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


class AnswerForm(forms.Form):
    """The answer; a change's value comes from the correction's editor on the same page (the
    kind's rows, or 有/无), read by the view as the queue's correction reads it."""

    outcome = forms.ChoiceField(
        label="复查结论", required=False, widget=forms.RadioSelect, choices=Outcome.choices,
    )
    reason = forms.CharField(
        label="答复理由", max_length=REASON_MAX, required=False,
        widget=forms.Textarea(attrs=_TEXTAREA), help_text="申请人将看到本理由。",
    )
