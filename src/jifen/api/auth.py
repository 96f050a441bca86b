"""Who is calling: Bearer tokens (POST /api/auth/token) or the pages' session with CSRF.

A token is 8 hours of access for an applicant or an employer agent; only its SM3 hash is
stored. Staff accounts get no tokens: they sign in on the pages (with their second factor),
and their session works for the API as well.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jifen.accounts.second_factor import needs_second_factor
from jifen.audit.services import record_event
from jifen.core.errors import NotAuthenticated, NotPermitted
from jifen.core.roles import Role
from jifen.core.text import halfwidth

from .models import ApiToken, token_hash
from .schemas import ErrorOut, TokenIn, TokenOut

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
