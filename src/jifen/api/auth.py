"""Who is calling: Bearer tokens (POST /api/auth/token) or the pages' session with CSRF.

A token is 8 hours of access for an applicant or an employer agent; only its SM3 hash is
stored. Staff accounts get no tokens: they sign in on the pages (with their second factor),
and their session works for the API as well.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jifen.accounts import recovery
from jifen.accounts.second_factor import needs_second_factor
from jifen.audit.middleware import client_ip
from jifen.audit.services import record_event
from jifen.core.errors import NotAuthenticated, NotPermitted
from jifen.core.roles import Role
from jifen.core.text import halfwidth

from .models import ApiToken, token_hash
from .schemas import (
    ErrorOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PasswordResetOut,
    TokenIn,
    TokenOut,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOKEN_ROLES = frozenset({Role.APPLICANT, Role.EMPLOYER_AGENT})
BAD_LOGIN = "用户名或密码不正确"


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from POST /api/auth/token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token or len(token) > 200:
            return None
        row = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(key_hash=token_hash(token))
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        request.api_token = row  # type: ignore[attr-defined]
        return row.user


class SessionAuth(APIKeyCookie):
    """The pages' signed-in session; writes need the CSRF token (header X-CSRFToken).

    Unlike ninja's own SessionAuth, an anonymous caller is simply not authenticated (401),
    and only a signed-in caller's unsafe request is checked for CSRF (403 csrf_failed).
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if needs_second_factor(user):
            # StaffSecondFactorMiddleware answers first; this holds even without it.
            raise NotAuthenticated(
                "工作人员账户须完成动态验证码验证后才能继续操作", code="second_factor_required"
            )
        if (
            request.method not in SAFE_METHODS
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise NotPermitted("CSRF 校验失败，请刷新页面后重试", code="csrf_failed")
        return user


bearer_auth = BearerAuth()
session_auth = SessionAuth()
DEFAULT_AUTH = [bearer_auth, session_auth]

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}

router = Router(tags=["登录与令牌"])


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 429: ErrorOut, **ERRORS},
    summary="取得访问令牌",
    description=(
        "用用户名和密码换取8小时有效的访问令牌（仅申请人和单位经办人）。"
        "用户名或密码不正确、或账户不能使用令牌（工作人员）时，统一返回 401 invalid_credentials。"
        "登录失败过多时返回 429 locked_out（Retry-After 为需等待的秒数）：同一账户在同一地址"
        "失败5次暂停该地址30分钟；同一地址10分钟内失败20次暂停15分钟；同一账户失败过多时，"
        "未曾成功登录过的地址须等待。"
    ),
)
def token_issue(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    # With the request, so that the login lock-out (django-axes) counts API attempts too; a
    # failure is audited by jifen.accounts.signals (account.login_failed), and a locked-out
    # account gets axes' 429 locked_out from its middleware.
    username = halfwidth(payload.username).strip()
    user = authenticate(request, username=username, password=payload.password)
    if user is not None and user.role not in TOKEN_ROLES:
        # A staff account's right password gets the same answer as a wrong one (no way to
        # tell the two apart), and counts as a failure for the login throttle as well.
        user_login_failed.send(
            sender=__name__, credentials={"username": username}, request=request
        )
        user = None
    if user is None:
        raise NotAuthenticated(BAD_LOGIN, code="invalid_credentials")
    with transaction.atomic():
        # A successful sign-in, as on the login page: resets the failure count (axes) and
        # records account.login.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        row, token = ApiToken.issue(user)
        record_event(
            actor=user, action="api.token_issue", target=row,
            after={"token": row.prefix, "expires_at": row.expires_at.isoformat()},
        )
    return {"token": token, "token_type": "Bearer", "expires_at": row.expires_at}


@router.delete(
    "/token",
    auth=[bearer_auth],
    response={204: None, **ERRORS},
    summary="注销访问令牌",
    description="注销本次请求所用的访问令牌，之后该令牌不能再使用。",
)
def token_revoke(request: HttpRequest) -> Status[None]:
    row: ApiToken = request.api_token  # set by bearer_auth, the endpoint's only auth
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=row.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record_event(
                actor=request.auth, action="api.token_revoke", target=row,
                after={"token": row.prefix},
            )
    return Status(204, None)


# --- passwords ----------------------------------------------------------------------------------


@router.post(
    "/password",
    response={204: None, **ERRORS},
    summary="修改密码",
    description=(
        "已登录用户凭原密码设置新密码。成功后该账户其他会话结束，其他访问令牌全部注销"
        "（本次请求所用的令牌仍有效）。原密码不正确时 422（errors 指出 old_password）。"
    ),
)
def password_change(request: HttpRequest, payload: PasswordChangeIn) -> Status[None]:
    token = getattr(request, "api_token", None)
    recovery.change_password(
        user=request.auth, old_password=payload.old_password, new_password=payload.new_password,
        keep_token_id=token.pk if token is not None else None,
    )
    if token is None:  # the session that made the change stays signed in
        update_session_auth_hash(request, request.auth)
    return Status(204, None)


@router.post(
    "/password-reset",
    auth=None,
    response={202: PasswordResetOut, 429: ErrorOut, 503: ErrorOut, **ERRORS},
    summary="找回密码：获取短信验证码",
    description=(
        "申请人（用户名或公民身份号码）和单位经办人（用户名）凭注册手机号码找回密码。"
        "无论信息是否与账户相符，都返回相同的 202 应答和 reset_id；相符时向该手机发送6位验证码，"
        "10分钟内有效。工作人员账户不能使用，请联系安全管理员。"
        "同一地址1小时内请求过多时返回 429 throttled。"
    ),
)
def password_reset_request(request: HttpRequest, payload: PasswordResetIn) -> Status[Any]:
    started = recovery.request_reset(
        identifier=payload.identifier, phone=payload.phone, ip=client_ip(request) or None
    )
    return Status(202, {"reset_id": started.token, "message": started.message})


@router.post(
    "/password-reset/confirm",
    auth=None,
    response={204: None, **ERRORS},
    summary="找回密码：设置新密码",
    description=(
        "用短信验证码设置新密码。验证码错误、过期、已使用或错误次数过多时返回 422"
        "（errors 指出 code）；新密码不符合要求时 errors 指出 new_password。成功后该账户所有会话"
        "结束、访问令牌全部注销、登录限制解除。"
    ),
)
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> Status[None]:
    recovery.complete_reset(
        token=payload.reset_id, code=payload.code, new_password=payload.new_password
    )
    return Status(204, None)
