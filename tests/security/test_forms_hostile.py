"""Every form the project defines, bound to each hostile value in each of its fields.

Bound and validated as the views do (the views themselves are driven in
test_pages_hostile.py): validation never raises (a server error on the page), a NUL byte or
an impossible date is never accepted, every free-text field is bounded, each refusal is in
Chinese, and a re-displayed form never carries the value unescaped.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.test import RequestFactory

from jifen.core.roles import Role
from tests.factories import make_staff
from tests.security.forms_registry import project_forms
from tests.security.hostile import BAD_DATES, HOSTILE_TEXT, encodable, markers

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

# The forms there are: a new form fails here until it is listed (and so tried below).
EXPECTED_FORMS = {
    "jifen.accounts.forms.ApplicantRegistrationForm",
    "jifen.accounts.forms.EmployerRegistrationForm",
    "jifen.accounts.forms.LoginForm",
    "jifen.accounts.forms.OTPCodeForm",
    "jifen.accounts.forms.PasswordChangeForm",
    "jifen.accounts.forms.ResetConfirmForm",
    "jifen.accounts.forms.ResetRequestForm",
    "jifen.applications.forms_applicant.LinkForm",
    "jifen.ops.views.cmdb.ItemForm",
    "jifen.ops.views.cmdb.RetireForm",
    "jifen.ops.views.complaints.AnswerForm",
    "jifen.ops.views.complaints.ComplaintForm",
    "jifen.ops.views.incidents.ActionsForm",
    "jifen.ops.views.incidents.AnalysisForm",
    "jifen.ops.views.incidents.EmptyForm",
    "jifen.ops.views.incidents.ImpactForm",
    "jifen.ops.views.incidents.IncidentForm",
    "jifen.ops.views.incidents.RespondForm",
    "jifen.ops.views.parameters.ChangeForm",
    "jifen.ops.views.training.CancelForm",
    "jifen.ops.views.training.HeldForm",
    "jifen.ops.views.training.MaterialForm",
    "jifen.ops.views.training.PlanForm",
    "jifen.ops.views.visits.SignOffForm",
    "jifen.ops.views.visits.SolveForm",
    "jifen.ops.views.visits.VisitForm",
    "jifen.privacy.forms.AnswerForm",
    "jifen.privacy.forms.CorrectionForm",
    "jifen.publication.forms.AnswerForm",
    "jifen.publication.forms.CorrectionForm",
    "jifen.publication.forms.LookupForm",
    "jifen.publication.forms.NoteForm",
    "jifen.publication.forms.ObjectionForm",
    "jifen.publication.forms.SettlementForm",
    "jifen.review.forms_recheck.AnswerForm",
    "jifen.review.forms_recheck.OnsiteForm",
    "jifen.review.forms_recheck.OnsiteRecordForm",
    "jifen.review.views.compare.UploadForm",
    "jifen.review.views.queue.QueueFilterForm",
    "jifen.review.views.queue.ReasonForm",
    "jifen.review.views.signals.ReasonForm",
    "jifen.review.views.signals.SignalFilterForm",
    "jifen.rounds.forms.RoundForm",
    "jifen.web.staff_views.AccountFilterForm",
    "jifen.web.staff_views.AuditFilterForm",
    "jifen.web.staff_views.ReasonForm",
    "jifen.web.staff_views.StaffAccountForm",
}

# Constructor arguments of the forms that need them (as their views pass them).
FORM_KWARGS: dict[str, dict[str, Any]] = {
    "jifen.rounds.forms.RoundForm": {"creating": True},
    "jifen.web.staff_views.AuditFilterForm": {"actions": ["account.login"]},
    "jifen.review.views.compare.UploadForm": {
        "kinds": ("tax",), "rounds": [], "max_bytes": 1024,
    },
    "jifen.review.views.queue.QueueFilterForm": {"department": "tax"},
    "jifen.review.views.signals.ReasonForm": {"prefix": "dismiss"},
}

# Password fields are hashed, never stored as typed, and have no upper bound of their own
# (Argon2 takes any length; the request size limit bounds them).
UNBOUNDED_OK = {"password", "password2", "old_password", "new_password", "new_password2"}
# Formats the registration services check, length included, with their own messages (the
# pages' refusals are in test_pages_hostile.py).
SERVICE_CHECKED = {
    "jifen.accounts.forms.ApplicantRegistrationForm": {"id_number", "phone"},
    "jifen.accounts.forms.EmployerRegistrationForm": {"credit_code", "phone"},
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _bind(name: str, form_class: type[forms.BaseForm], data: dict[str, str]) -> Any:
    kwargs = dict(FORM_KWARGS.get(name, {}))
    if name == "jifen.accounts.forms.LoginForm":
        request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.7")
        return form_class(request, data=data, **kwargs)
    return form_class(data=data, files={}, **kwargs)


def test_every_form_is_covered() -> None:
    assert set(project_forms()) == EXPECTED_FORMS


def test_every_free_text_field_is_bounded() -> None:
    unbounded = []
    for name, form_class in project_forms().items():
        form = _bind(name, form_class, {})
        for field_name, field in form.fields.items():
            if (
                isinstance(field, forms.CharField)
                and field.max_length is None
                and field_name not in UNBOUNDED_OK
                and field_name not in SERVICE_CHECKED.get(name, ())
            ):
                unbounded.append(f"{name}.{field_name}")
    assert unbounded == []


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMS))
def test_hostile_values_in_every_field(name: str) -> None:
    make_staff(Role.OPERATOR)  # a choice for the forms that pick an operator
    form_class = project_forms()[name]
    problems: list[str] = []
    blank = _bind(name, form_class, {})
    for field_name, field in blank.fields.items():
        key = blank.add_prefix(field_name)
        for label, value in HOSTILE_TEXT.items():
            if not encodable(value) or isinstance(field, forms.FileField):
                continue
            where = f"{field_name} = {label}"
            form = _bind(name, form_class, {key: value})
            try:
                form.is_valid()
                html = str(form) if markers(value) else ""
            except Exception as exc:  # a server error on the page
                problems.append(f"{where}: {type(exc).__name__}: {exc}"[:300])
                continue
            errors = form.errors.get(field_name, [])
            accepted = field_name in form.cleaned_data and not errors
            if "\x00" in value and isinstance(field, forms.CharField) and accepted:
                problems.append(f"{where}: a NUL byte was accepted")
            if label in BAD_DATES and isinstance(field, forms.DateField | forms.DateTimeField) \
                    and accepted:
                problems.append(f"{where}: an impossible date was accepted")
            if label == "oversized_1m" and isinstance(field, forms.CharField) and accepted \
                    and field_name not in UNBOUNDED_OK | SERVICE_CHECKED.get(name, set()):
                problems.append(f"{where}: a million characters were accepted")
            for message in errors:
                if not _CJK.search(message):
                    problems.append(f"{where}: refusal not in Chinese: {message!r}")
            for marker in markers(value):
                if marker in html:
                    problems.append(f"{where}: {marker!r} re-displayed unescaped")
    assert problems == []
