"""The staff workbench (/staff/): one section per staff role, read-only but the security
administrator's account administration.

- 市人社局管理员 (bureau_admin): the current round and where its applications stand;
- 部门审核员 (reviewer): the applications the employers passed on, cut down to the sections
  of the reviewer's department;
- 审计员 (auditor): the audit log with filters, and whether its hash chain is intact;
- 安全管理员 (security_admin): the user accounts, and their administration (create staff
  accounts, unlock, disable/enable, reset the second factor or a staff password:
  ``jifen.accounts.administration``);
- 运维人员 (operator): the system's health.

Which section a person sees follows from their role on the server; applicants and employer
agents get 403; a selector's NotFound/NotPermitted becomes the 404/403 page in
ServiceErrorMiddleware. The views only parse the request and render: every read goes through a
selector (``jifen.applications.selectors``, ``jifen.accounts.selectors``,
``jifen.audit.selectors``, ``jifen.web.selectors``), which decide what each role may see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from jifen.accounts import administration
from jifen.accounts import selectors as account_selectors
from jifen.accounts.models import User
from jifen.applications import selectors as app_selectors
from jifen.applications import services as app_services
from jifen.applications.declaration import SECTIONS_BY_KEY
from jifen.applications.display import group_evidence
from jifen.applications.models import Status
from jifen.audit import selectors as audit_selectors
from jifen.audit.actions import ACTION_LABELS, action_label
from jifen.audit.anchor import verify_anchor
from jifen.audit.models import AuditEvent
from jifen.audit.services import record_access
from jifen.core.errors import SHOWN_ON_PAGE
from jifen.core.forms import apply_service_error
from jifen.core.roles import STAFF_ROLES, Department, Role
from jifen.ops.verification import current_verification
from jifen.review import selectors as review_selectors
from jifen.rounds.selectors import current_round

from . import selectors as web_selectors
from .access import role_required
from .audit_display import access_fields, event_lines
from .health import check_database, unapplied_migrations

PAGE_SIZE = 50

View = Callable[..., HttpResponse]

ROLE_LABELS = dict(Role.choices)
STATUS_BADGES = {
    Status.DRAFT: "badge-draft",
    Status.SUBMITTED: "badge-submitted",
    Status.RETURNED: "badge-returned",
    Status.EMPLOYER_SUBMITTED: "badge-done",
}
# The operator's table sizes (keys of ``web.selectors.system_counts``), in the order shown.
COUNT_LABELS = {
    "users": "用户账户",
    "employers": "用人单位",
    "applicants": "申请人",
    "rounds": "积分落户年度",
    "applications": "积分申报",
    "evidence": "证明材料",
    "audit_events": "审计事件",
}


staff_page = role_required(STAFF_ROLES, "工作台仅供工作人员使用")


# --- 市人社局管理员 -----------------------------------------------------------------------------


def _status_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"value": s.value, "label": s.label, "badge": STATUS_BADGES[s], "count": counts.get(s, 0)}
        for s in Status
    ]


def _bureau_context(request: HttpRequest) -> dict[str, Any]:
    rnd = current_round()
    overview = app_selectors.round_overview(request.user, rnd)
    return {
        "round": rnd,
        "round_open": rnd.declaration_open() if rnd else False,
        "rounds": overview["rounds"],
        "status_rows": _status_rows(overview["status_counts"]) if rnd is not None else [],
        "application_total": overview["application_total"],
        "pending_links": overview["pending_links"],
        "confirmed_links": overview["confirmed_links"],
        "employer_count": overview["employer_count"],
        "applicant_count": overview["applicant_count"],
        "recent_submitted": overview["recent_submitted"],
    }


# --- 部门审核员 ---------------------------------------------------------------------------------


def _department_sections(user: User) -> list[Any]:
    keys = app_selectors.DEPARTMENT_SECTIONS.get(user.department, ())
    return [SECTIONS_BY_KEY[k] for k in keys]


def _reviewer_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    rnd = current_round()
    queryset = app_selectors.reviewer_queue(user, rnd)
    return {
        "round": rnd,
        "department_label": user.get_department_display() or "（未指定部门）",
        "department_sections": _department_sections(user),
        "applications": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")),
        "review_counts": review_selectors.queue_counts(user, rnd),
    }


# --- 审计员 -------------------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="动作", required=False)
    actor = forms.CharField(label="操作人用户名", required=False, max_length=150)
    kind = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部"), *AuditEvent.Kind.choices]
    )
    date_from = forms.DateField(
        label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every action the system records, and any other the log holds, by Chinese name.
        known = sorted({*ACTION_LABELS, *actions}, key=lambda a: (action_label(a), a))
        self.fields["action"].choices = [("", "全部"), *((a, action_label(a)) for a in known)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data


def _target_label(event: AuditEvent) -> str:
    if not event.target_type:
        return ""
    try:
        name = str(apps.get_model(event.target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = event.target_type
    return f"{name} #{event.target_id}" if event.target_id else name


def _event_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "event": event,
        "action": action_label(event.action),
        "role": ROLE_LABELS.get(event.actor_role, event.actor_role),
        "target": _target_label(event),
        "field": access_fields(event) if event.field else "",
        "lines": event_lines(event),
        # A refusal's message, a summary's count: the detail says it in Chinese already.
        "detail": event.detail if event.kind != AuditEvent.Kind.ACCESS else "",
    }


def _auditor_context(request: HttpRequest) -> dict[str, Any]:
    # The auditor's reading of the log is itself on the record (once per page view).
    record_access(
        actor=request.user, target_type="audit.auditevent", field="audit_log",
        detail=request.GET.urlencode()[:500],
    )
    form = AuditFilterForm(request.GET or None, actions=audit_selectors.action_names())
    queryset = AuditEvent.objects.none()
    if not form.is_bound:
        queryset = audit_selectors.events_for_auditor(request.user)
    elif form.is_valid():
        d = form.cleaned_data
        queryset = audit_selectors.events_for_auditor(
            request.user,
            action=d["action"] or None,
            # By username: also finds the events of an account since deleted.
            actor_username=d["actor"].strip() or None,
            kind=d["kind"] or None,
            date_from=d["date_from"],
            date_to=d["date_to"],
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    # The chain's last recorded verification (incremental, jifen.ops.verification) and the log
    # against its checkpoints outside the database.
    anchor = verify_anchor()
    newest = anchor.newest
    return {
        "chain": current_verification(),
        "anchor": anchor,
        "checkpoint_at": datetime.fromisoformat(newest.at) if newest else None,
        "form": form,
        "page": page,
        "rows": [_event_row(e) for e in page.object_list],
    }


# --- 安全管理员 ---------------------------------------------------------------------------------


class AccountFilterForm(forms.Form):
    role = forms.ChoiceField(label="角色", required=False)
    state = forms.ChoiceField(
        label="状态", required=False,
        choices=[("", "全部"), *account_selectors.STATES.items()],
    )
    q = forms.CharField(label="用户名或姓名", required=False, max_length=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "全部"), *Role.choices]


def _security_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    form = AccountFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        d = form.cleaned_data
        filters = {"role": d["role"] or None, "state": d["state"] or None,
                   "query": d["q"].strip() or None}
    users = account_selectors.accounts_for_security_admin(user, **filters)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "form": form,
        "users": page,
        "rows": account_selectors.account_rows(user, list(page.object_list)),
        "role_counts": {
            ROLE_LABELS.get(r, r): n for r, n in account_selectors.role_counts(user).items()
        },
    }


security_page = role_required([Role.SECURITY_ADMIN], "只有安全管理员可以管理用户账户")


class StaffAccountForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=40,
                               help_text="4到40位字母、数字或 _ . @ + - 符号")
    full_name = forms.CharField(label="姓名", max_length=50)
    role = forms.ChoiceField(
        label="角色",
        choices=[("", "请选择"), *((r, ROLE_LABELS[r]) for r in administration.CREATABLE_ROLES)],
    )
    department = forms.ChoiceField(
        label="所属部门", required=False, choices=[("", "（部门审核员必填）"), *Department.choices],
    )
    phone = forms.CharField(label="手机号码", required=False, max_length=20)


@require_http_methods(["GET", "POST"])
@security_page
def account_create(request: HttpRequest) -> HttpResponse:
    """A new staff account; its temporary password is shown once, on the answer page."""
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account, password = administration.create_staff_account(
                actor=request.user, username=d["username"], role=d["role"],
                department=d["department"], full_name=d["full_name"], phone=d["phone"],
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            return render(request, "web/staff/account_password.html", {
                "account": account, "password": password, "created": True,
            })
    return render(request, "web/staff/account_create.html", {"form": form})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因", required=False, max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如工单号、申请人来电记录"}),
    )


# action in the URL -> (title, what it does, reason required, button)
ACCOUNT_ACTIONS: dict[str, tuple[str, str, bool, str]] = {
    "unlock": ("解除登录限制", "清除该账户在所有网络地址的登录失败记录，立即解除锁定和等待。",
               False, "解除锁定"),
    "disable": ("停用账户", "停用后该账户不能登录，已登录的会话立即失效，接口访问令牌全部注销。",
                True, "停用"),
    "enable": ("启用账户", "启用后该账户可以重新登录。", False, "启用"),
    "reset-second-factor": (
        "重置身份验证器", "删除该账户已绑定的身份验证器（如手机丢失）；下次登录时须重新绑定。",
        True, "重置身份验证器"),
    "reset-password": (
        "重置密码", "为该工作人员账户生成新的临时密码（只显示一次），原密码和其他会话立即失效。",
        True, "重置密码"),
}


@require_http_methods(["GET", "POST"])
@security_page
def account_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """A confirmation page (GET) and the action itself (POST), for one account."""
    if action not in ACCOUNT_ACTIONS:
        raise Http404
    account = account_selectors.account_for_security_admin(request.user, user_id)
    title, explanation, reason_required, button = ACCOUNT_ACTIONS[action]
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        actor = request.user
        try:
            if action == "unlock":
                administration.unlock(actor=actor, user_id=user_id, reason=reason)
                messages.success(request, f"已解除 {account.username} 的登录限制。")
            elif action in ("disable", "enable"):
                administration.set_active(actor=actor, user_id=user_id,
                                          active=action == "enable", reason=reason)
                done = "启用" if action == "enable" else "停用"
                messages.success(request, f"已{done}账户 {account.username}。")
            elif action == "reset-second-factor":
                administration.reset_second_factor(actor=actor, user_id=user_id, reason=reason)
                messages.success(
                    request, f"已重置 {account.username} 的身份验证器，下次登录时须重新绑定。"
                )
            else:
                password = administration.reset_password(
                    actor=actor, user_id=user_id, reason=reason
                )
                return render(request, "web/staff/account_password.html", {
                    "account": account, "password": password, "created": False,
                })
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            return redirect("staff:home")
    return render(request, "web/staff/account_action.html", {
        "account": account, "action": action, "title": title, "explanation": explanation,
        "reason_required": reason_required, "button": button, "form": form,
        "destructive": action != "enable",
    })


# --- 运维人员 -----------------------------------------------------------------------------------


def _operator_context(request: HttpRequest) -> dict[str, Any]:
    database = check_database()
    unapplied = unapplied_migrations()
    # The last recorded verification (jifen.ops.verification), not the whole chain again.
    chain = current_verification()
    counts = [(COUNT_LABELS[k], n) for k, n in web_selectors.system_counts().items()]
    return {
        "database_ok": database["status"] == "ok",
        "database_error": database.get("error", ""),
        "database_vendor": connection.vendor,
        "unapplied": unapplied,
        "chain": chain,
        "counts": counts,
        "checked_at": timezone.now(),
    }


SECTIONS: dict[str, tuple[str, Callable[[HttpRequest], dict[str, Any]]]] = {
    Role.BUREAU_ADMIN: ("web/staff/home_bureau.html", _bureau_context),
    Role.REVIEWER: ("web/staff/home_reviewer.html", _reviewer_context),
    Role.AUDITOR: ("web/staff/home_auditor.html", _auditor_context),
    Role.SECURITY_ADMIN: ("web/staff/home_security.html", _security_context),
    Role.OPERATOR: ("web/staff/home_operator.html", _operator_context),
}


@require_safe
@staff_page
def home(request: HttpRequest) -> HttpResponse:
    section = SECTIONS.get(request.user.role)
    if section is None:
        raise PermissionDenied("该角色没有工作台")
    template, build = section
    return render(request, template, build(request))


@require_safe
@staff_page
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    """One application, read-only, cut down to the sections the viewer's role may see."""
    user = request.user
    app = app_selectors.application_for(user, application_id)
    sections = app_selectors.visible_sections(user, app)
    app_services.record_declaration_view(actor=user, app=app, sections=sections)
    return render(
        request,
        "web/staff/application.html",
        {
            "app": app,
            "applicant": app.applicant,
            "sections": [SECTIONS_BY_KEY[k] for k in sections],
            "section_titles": [SECTIONS_BY_KEY[k].title for k in sections],
            "data": app_selectors.application_data_for(user, app),
            "evidence_by_item": group_evidence(app_selectors.evidence_for(user, app)),
            "evidence_url_name": "applications:evidence_download",
            "department_label": (
                Department(user.department).label if user.department else ""
            ),
        },
    )
