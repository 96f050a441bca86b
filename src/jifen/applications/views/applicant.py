"""The applicant's status page (办理状态) and the employment link (关联单位): ask to be linked
to an employer by its 单位注册码, withdraw the request, start the year's declaration.

Views stay thin: reads through ``selectors``, writes through ``services``; a service's refusal
that the page does not show itself becomes the 404/403 page in ServiceErrorMiddleware.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from jifen.core.errors import SHOWN_ON_PAGE, NotFound
from jifen.rounds.selectors import current_round

from .. import declaration as decl
from .. import selectors, services
from ..forms_applicant import LinkForm
from ..models import ACTIVE_LINK_STATUSES, Application, EmploymentLink, LinkStatus, Status
from .access import applicant_page

STEP_NAMES = ("注册", "关联单位", "填报", "提交", "单位审核/提交", "部门比对", "复查", "公示")
# The steps the system does not handle yet (shown, marked as not yet open).
NOT_YET_OPEN: frozenset[str] = frozenset()
SECTION_URL = "applications:declaration_section"


@dataclass
class Step:
    name: str
    state: str  # done | current | todo
    open: bool = True  # False: this system does not handle the step yet


def _steps(link: EmploymentLink | None, app: Application | None) -> list[Step]:
    if app is not None and app.status == Status.EMPLOYER_SUBMITTED:
        current = 5
    elif app is not None and app.status == Status.SUBMITTED:
        current = 4
    elif app is not None or (link is not None and link.status == LinkStatus.CONFIRMED):
        current = 2
    else:
        current = 1
    return [
        Step(name, "done" if i < current else "current" if i == current else "todo",
             open=name not in NOT_YET_OPEN)
        for i, name in enumerate(STEP_NAMES)
    ]


def _home_context(request: HttpRequest, link_form: LinkForm | None = None) -> dict[str, Any]:
    user = request.user
    rnd = current_round()
    apps = list(selectors.applications_of_applicant(user))
    app = next((a for a in apps if rnd is not None and a.round_id == rnd.pk), None)
    links = list(selectors.links_of_applicant(user)[:10])
    active = next((lk for lk in links if lk.status in ACTIVE_LINK_STATUSES), None)
    latest = links[0] if links else None
    refused = latest if latest is not None and latest.status == LinkStatus.REFUSED else None
    first_section = decl.SECTIONS[0].key
    problems = selectors.section_problems(app) if app is not None and app.editable else {}
    # Evidence still to upload counts too: submission refuses without it.
    missing = selectors.missing_evidence(app) if app is not None and app.editable else []
    return {
        "profile": user.applicant,
        "round": rnd,
        "round_open": rnd is not None and rnd.declaration_open(),
        "app": app,
        "other_apps": [a for a in apps if a is not app],
        "active_link": active,
        "refused_link": refused,
        "link_form": link_form or LinkForm(),
        "steps": _steps(active, app),
        "first_section": first_section,
        "problem_count": sum(len(v) for v in problems.values()) + len(missing),
        "can_start": app is None and active is not None
        and active.status == LinkStatus.CONFIRMED and rnd is not None and rnd.declaration_open(),
    }


@require_safe
@applicant_page
def applicant_home(request: HttpRequest) -> HttpResponse:
    return render(request, "applications/applicant/home.html", _home_context(request))


@require_POST
@applicant_page
def link_request(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.link_request(actor=request.user,
                                         employer_code=form.cleaned_data["employer_code"])
        except SHOWN_ON_PAGE as exc:
            form.add_error("employer_code", exc.message)
            status = exc.status
        else:
            messages.success(
                request, f"已向“{link.employer.name}”发送关联申请，请等待单位经办人确认。"
            )
            return redirect("applications:applicant_home")
    else:
        status = 422
    return render(request, "applications/applicant/home.html",
                  _home_context(request, link_form=form), status=status)


@require_POST
@applicant_page
def link_cancel(request: HttpRequest, link_id: int) -> HttpResponse:
    try:
        services.link_cancel(actor=request.user, link_id=link_id)
    except SHOWN_ON_PAGE as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销单位关联。")
    return redirect("applications:applicant_home")


@require_POST
@applicant_page
def application_start(request: HttpRequest) -> HttpResponse:
    try:
        app = services.application_start(actor=request.user)
    except (*SHOWN_ON_PAGE, NotFound) as exc:  # NotFound: no round to declare for
        messages.error(request, exc.message)
        return redirect("applications:applicant_home")
    return redirect(SECTION_URL, app.pk, decl.SECTIONS[0].key)
