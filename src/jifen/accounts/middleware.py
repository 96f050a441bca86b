"""Sessions: an absolute lifetime from login; staff must pass the second factor, and anyone
with a temporary password must choose their own, before they reach anything else."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from jifen.audit.middleware import API_PREFIX
from jifen.audit.services import record_event

from .second_factor import has_confirmed_device, needs_second_factor

SECOND_FACTOR_REQUIRED = "second_factor_required"
SECOND_FACTOR_MESSAGE = "工作人员账户须完成动态验证码验证后才能继续操作"

LOGIN_AT_KEY = "jifen_login_at"
SESSION_EXPIRED_MESSAGE = "登录已超过{hours}小时，为保护您的信息，请重新登录。"


def remember_login_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: note when the session signed in (its absolute lifetime starts then).
    Only for a session login (the API's token endpoint signs no session in)."""
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        session[LOGIN_AT_KEY] = int(time.time())


class SessionLifetimeMiddleware:
    """A signed-in session older than ``SESSION_ABSOLUTE_AGE`` since its login (or with no
    login time) is ended, however active it has been: the page goes to the login page with a
    message; under /api/ the caller is simply no longer signed in (401 from the API)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self._expired(request):
            record_event(actor=user, action="account.session_expired", target=user)
            request.session.flush()
            request.user = AnonymousUser()
            if not request.path_info.startswith(API_PREFIX):
                hours = int(settings.SESSION_ABSOLUTE_AGE.total_seconds() // 3600)
                messages.info(request, SESSION_EXPIRED_MESSAGE.format(hours=hours))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> bool:
        login_at = request.session.get(LOGIN_AT_KEY)
        if not isinstance(login_at, int):
            return True
        return time.time() - login_at > settings.SESSION_ABSOLUTE_AGE.total_seconds()


# Reachable before the second factor or a new password: the health checks and the public API
# description (and, see reachable_before_sign_in_completes, logout, the second-factor pages and
# static files).
OPEN_PREFIXES = ("/healthz/",)
OPEN_PATHS = frozenset({"/api/openapi.json"})


def reachable_before_sign_in_completes(path: str, *extra_paths: str) -> bool:
    """Whether a session that still owes its second factor or a new password may open
    ``path``: OPEN_PATHS and ``extra_paths``, logout, the second-factor pages, /healthz/*, and
    static files when this site serves them."""
    prefixes = [*OPEN_PREFIXES, reverse("accounts:otp_verify")]
    static = settings.STATIC_URL or ""
    if static.startswith("/") and not static.startswith("//"):  # served by this site
        prefixes.append(static)
    return (
        path in OPEN_PATHS
        or path in extra_paths
        or path == reverse("accounts:logout")
        or path.startswith(tuple(prefixes))
    )


class StaffSecondFactorMiddleware:
    """A signed-in staff user whose session is not OTP-verified (``request.user.is_verified()``,
    django-otp's OTPMiddleware must come first) reaches only the second-factor pages, logout,
    static files, /healthz/* and /api/openapi.json.

    Any other page redirects to the enrolment page (no confirmed device yet) or to the code
    page, with ``?next=`` the page asked for; under /api/ the answer is HTTP 401
    ``second_factor_required`` in the API's error shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not reachable_before_sign_in_completes(request.path_info)
            and needs_second_factor(request.user)
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse(
                {"code": SECOND_FACTOR_REQUIRED, "message": SECOND_FACTOR_MESSAGE, "errors": []},
                status=401,
            )
        page = "accounts:otp_verify" if has_confirmed_device(request.user) else "accounts:otp_setup"
        target = reverse(page)
        if request.method in ("GET", "HEAD"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


PASSWORD_CHANGE_REQUIRED = "password_change_required"
PASSWORD_CHANGE_MESSAGE = "您正在使用安全管理员发放的临时密码，请先设置自己的密码"


class PasswordChangeRequiredMiddleware:
    """A signed-in account with a temporary password (``must_change_password``, set by the
    security administrator) reaches only the password change (page and API), logout, the
    second-factor pages, static files and /healthz/*: any other page redirects to the password
    change with a message; under /api/ the answer is HTTP 403 ``password_change_required``.
    Comes after StaffSecondFactorMiddleware: the second factor first, then the new password."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            getattr(user, "is_authenticated", False)
            and getattr(user, "must_change_password", False)
            and not reachable_before_sign_in_completes(
                request.path_info,
                reverse("accounts:password_change"), reverse("api:password_change"),
            )
        ):
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse(
                    {"code": PASSWORD_CHANGE_REQUIRED, "message": PASSWORD_CHANGE_MESSAGE,
                     "errors": []},
                    status=403,
                )
            messages.warning(request, PASSWORD_CHANGE_MESSAGE)
            return HttpResponseRedirect(reverse("accounts:password_change"))
        return self.get_response(request)
