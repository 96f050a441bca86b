"""Login, logout, registration and the staff's second-factor pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from jifen.audit.middleware import client_ip
from jifen.core.errors import SHOWN_ON_PAGE, FieldError
from jifen.core.forms import apply_service_error

from . import backends, recovery, second_factor, services
from .forms import (
    ApplicantRegistrationForm,
    EmployerRegistrationForm,
    LoginForm,
    OTPCodeForm,
    PasswordChangeForm,
    ResetConfirmForm,
    ResetRequestForm,
)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _all_problems(form: forms.Form, problems: list[FieldError]) -> bool:
    """Put the service's problems on ``form`` beside Django's own (required fields, the two
    passwords), so that every error shows at once; a field Django already refused keeps its
    message. True when the form has no error at all."""
    form.is_valid()
    refused_by_django = set(form.errors)
    for problem in problems:
        field = problem.field if problem.field in form.fields else None
        if field not in refused_by_django:
            form.add_error(field, problem.message)
    return not form.errors


def _typed(form: forms.Form, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.data.get(name, "")) for name in names}


APPLICANT_FIELDS = ("username", "password", "id_number", "name", "phone")
EMPLOYER_FIELDS = (
    "employer_name", "credit_code", "district", "username", "password", "agent_name", "phone",
)


@require_http_methods(["GET", "POST"])
def register_applicant(request: HttpRequest) -> HttpResponse:
    form = ApplicantRegistrationForm(request.POST or None)
    if request.method == "POST":
        data = _typed(form, APPLICANT_FIELDS)
        if _all_problems(form, services.applicant_registration_problems(**data)):
            try:
                user = services.register_applicant(**data)
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                login(request, user, backend=backends.PATH)
                messages.success(request, "注册成功。下一步：输入单位注册码，关联您的用人单位。")
                return redirect("web:dashboard")
    return render(request, "accounts/register_applicant.html", {"form": form})


@require_http_methods(["GET", "POST"])
def register_employer(request: HttpRequest) -> HttpResponse:
    form = EmployerRegistrationForm(request.POST or None)
    if request.method == "POST":
        data = _typed(form, EMPLOYER_FIELDS)
        if _all_problems(form, services.employer_registration_problems(**data)):
            try:
                user = services.register_employer(**data)
            except SHOWN_ON_PAGE as exc:
                apply_service_error(form, exc)
            else:
                login(request, user, backend=backends.PATH)
                messages.success(
                    request,
                    f"单位注册成功。单位注册码：{user.employer.code}，请告知本单位申请人用于关联。",
                )
                return redirect("web:dashboard")
    return render(request, "accounts/register_employer.html", {"form": form})


# --- the staff's second factor (jifen.accounts.second_factor) ----------------------------------


def _next_url(request: HttpRequest) -> str:
    """The page to go on to: ``next`` from the form or the query if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _go_on(request: HttpRequest) -> HttpResponse:
    return redirect(_next_url(request) or "web:dashboard")


def _with_next(request: HttpRequest, name: str) -> HttpResponse:
    response = redirect(name)
    target = _next_url(request)
    if target:
        response["Location"] += "?" + urlencode({"next": target})
    return response


@require_http_methods(["GET", "POST"])
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type the first code."""
    user = request.user
    if not user.is_staff_role:
        return redirect("web:dashboard")
    if second_factor.has_confirmed_device(user):
        # A second device needs the first one's code (or the security administrator's reset).
        if user.is_verified():
            return _go_on(request)
        return _with_next(request, "accounts:otp_verify")
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor.enrol(request, form.cleaned_data["code"])
        if check.ok:
            messages.success(request, "身份验证器绑定成功，以后每次登录都需要输入动态验证码。")
            return _go_on(request)
        form.add_error("code", check.message)
    device = second_factor.pending_device(user)
    context = {
        "form": form,
        "next": _next_url(request),
        "provisioning": second_factor.provisioning(device),
    }
    return render(request, "accounts/otp_setup.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a staff sign-in: the authenticator app's current code."""
    user = request.user
    if not user.is_staff_role or user.is_verified():
        return _go_on(request) if user.is_staff_role else redirect("web:dashboard")
    if not second_factor.has_confirmed_device(user):
        return _with_next(request, "accounts:otp_setup")
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify(request, form.cleaned_data["code"])
        if check.ok:
            return _go_on(request)
        form.add_error("code", check.message)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


# --- passwords: change and reset (jifen.accounts.recovery) -------------------------------------

RESET_SESSION_KEY = "jifen_password_reset"


@require_http_methods(["GET", "POST"])
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            recovery.change_password(
                user=request.user, old_password=d["old_password"], new_password=d["new_password"]
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            # This session stays signed in; every other one of the account ends.
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。其他设备上的登录已失效，需用新密码重新登录。")
            return redirect("web:dashboard")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Step 1: user name or identity number, and the registered phone number."""
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = recovery.request_reset(
                identifier=form.cleaned_data["identifier"],
                phone=form.cleaned_data["phone"],
                ip=client_ip(request) or None,
            )
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            # The handle of step 2 stays in the session, never in the URL.
            request.session[RESET_SESSION_KEY] = started.token
            messages.info(request, started.message)
            return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS and the new password."""
    token = request.session.get(RESET_SESSION_KEY)
    if not token:
        messages.info(request, "请先填写用户名和手机号码获取验证码。")
        return redirect("accounts:password_reset")
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            recovery.complete_reset(token=token, code=d["code"], new_password=d["new_password"])
        except SHOWN_ON_PAGE as exc:
            apply_service_error(form, exc)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            messages.success(request, "密码已重置，请用新密码登录。")
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})
