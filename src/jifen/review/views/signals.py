"""The signals pages (/review/signals/): the list a reviewer or the bureau sees, one signal with
its evidence, and its handling (排除 / 确认异常, each with a reason). Reads go through
``signal_selectors``, writes through ``signal_actions``; NotFound/NotPermitted become the
404/403 page in ServiceErrorMiddleware."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round
from jifen.web.access import role_required

from .. import signal_actions, signal_selectors
from ..models import Signal, SignalKind, SignalState

PAGE_SIZE = 50
LISTED = 5  # application numbers shown in a row of the list

signals_page = role_required(
    [Role.REVIEWER, Role.BUREAU_ADMIN], signal_selectors.NOT_PERMITTED
)

STATE_BADGES = {
    SignalState.OPEN: "badge-returned",
    SignalState.DISMISSED: "badge-draft",
    SignalState.CONFIRMED: "badge-refused",
}


class SignalFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label="类别", required=False,
                             choices=[("", "全部"), *SignalKind.choices])
    state = forms.ChoiceField(label="状态", required=False,
                              choices=[("", "全部"), *SignalState.choices])
    number = forms.CharField(label="申请编号", required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = Round.objects.order_by("-year").values_list("year", flat=True)
        self.fields["year"].choices = [(y, f"{y} 年") for y in years]


class ReasonForm(forms.Form):
    # Not required here: the service says what is missing (one message for page and API).
    reason = forms.CharField(
        label="理由", required=False, max_length=signal_actions.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["reason"].label = REASON_LABELS[prefix]


REASON_LABELS = {"dismiss": "排除理由", "confirm": "确认异常的理由"}


def application_link(number: str) -> str:
    """Where an application number leads: the reviewers' queue searched for it (the queue
    names its page "review:queue"; until it does, its address)."""
    try:
        base = reverse("review:queue")
    except NoReverseMatch:
        base = reverse("review:signals").removesuffix("signals/")
    return f"{base}?{urlencode({'number': number})}"


def _row(signal: Signal, members: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "signal": signal,
        "badge": STATE_BADGES[SignalState(signal.state)],
        "applications": [
            {"number": n, "href": application_link(n)} for _, n in members[:LISTED]
        ],
        "more": max(0, len(members) - LISTED),
    }


@require_safe
@signals_page
def signal_list(request: HttpRequest) -> HttpResponse:
    form = SignalFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    rnd = current_round()
    if form.is_valid():
        d = form.cleaned_data
        if d["year"]:
            rnd = Round.objects.filter(year=d["year"]).first()
        filters = {"kind": d["kind"] or None, "state": d["state"] or None,
                   "number": d["number"].strip() or None}
    elif not form.is_bound:
        filters = {"state": SignalState.OPEN}
        form = SignalFilterForm(initial={"state": SignalState.OPEN,
                                         "year": rnd.year if rnd else None})
    queryset = (
        signal_selectors.signals_for(request.user, rnd=rnd, **filters)
        if rnd is not None else Signal.objects.none()
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    members = signal_selectors.members_by_signal(page.object_list)
    counts = signal_selectors.state_counts(request.user, rnd) if rnd is not None else {}
    return render(request, "review/signals_list.html", {
        "form": form,
        "round": rnd,
        "page": page,
        "rows": [_row(s, members.get(s.pk, [])) for s in page.object_list],
        "state_counts": [(SignalState(s).label, counts.get(s, 0)) for s in SignalState.values],
    })


def _detail(request: HttpRequest, signal: Signal, forms_: dict[str, ReasonForm],
            status: int = 200) -> HttpResponse:
    apps = signal_selectors.signal_applications(signal)
    return render(request, "review/signal_detail.html", {
        "signal": signal,
        "badge": STATE_BADGES[SignalState(signal.state)],
        "lines": signal_selectors.evidence_lines(signal),
        "departments": signal_selectors.department_labels(signal),
        "applications": [
            {"app": a, "href": application_link(a.number)} for a in apps
        ],
        "dismiss_form": forms_.get("dismiss") or ReasonForm(prefix="dismiss"),
        "confirm_form": forms_.get("confirm") or ReasonForm(prefix="confirm"),
        "is_open": signal.state == SignalState.OPEN,
        # A refusal with no field (handled meanwhile by someone else) when no form is shown.
        "refusals": [e for f in forms_.values() for e in f.non_field_errors()],
    }, status=status)


@require_safe
@signals_page
def signal_detail(request: HttpRequest, signal_id: int) -> HttpResponse:
    return _detail(request, signal_selectors.signal_for(request.user, signal_id), {})


HANDLERS = {
    "dismiss": (signal_actions.signal_dismiss, "已排除该异常信号。"),
    "confirm": (signal_actions.signal_confirm, "已确认该异常信号。"),
}


@require_http_methods(["POST"])
@signals_page
def signal_handle(request: HttpRequest, signal_id: int, action: str) -> HttpResponse:
    if action not in HANDLERS:
        raise Http404
    handler, done = HANDLERS[action]
    form = ReasonForm(request.POST, prefix=action)
    if form.is_valid():
        try:
            handler(actor=request.user, signal_id=signal_id, reason=form.cleaned_data["reason"])
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("review:signal", signal_id=signal_id)
    signal = signal_selectors.signal_for(request.user, signal_id)
    return _detail(request, signal, {action: form}, status=422)
