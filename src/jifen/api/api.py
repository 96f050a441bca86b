"""The NinjaAPI instance, its authentication and the one place errors become responses.

Every refusal has the same body as :meth:`jifen.core.errors.ServiceError.as_dict`:
``{"code", "message", "errors": [{"field", "message"}]}`` — the services' errors as they are,
and the framework's own (bad JSON, validation, authentication, unknown URL) in that shape too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.views import openapi_json

from jifen.audit.refusals import audit_refusal
from jifen.core.errors import ServiceError

from . import (
    accounts,
    applications,
    assess,
    evidence,
    links,
    messages,
    privacy,
    publication,
    review_compare,
    review_queue,
    review_results,
    review_signals,
    round_setup,
    rounds_scoring,
    stats_adhoc,
)
from . import auth as auth_api

DESCRIPTION = """\
北京市积分落户管理信息系统的 JSON 接口：申请人和用人单位注册、单位关联、积分填报、自评、
提交、撤回、单位审核与退回、证明材料、站内消息、部门核验、初核结果与复查。

**认证**：`POST /api/auth/token` 取得访问令牌（8小时有效），之后在请求头中发送
`Authorization: Bearer <token>`；或使用网页登录后的会话（写操作须带 `X-CSRFToken` 请求头）。

**错误**：所有错误均为 `{"code", "message", "errors": [{"field", "message"}]}`。
401 not_authenticated（未登录）、403 forbidden（无权限）、404 not_found（不存在或无权查看）、
409 stale_version（版本号已变，请重新读取）/ outside_window（不在申报期内）/ conflict、
422 invalid（输入有误，errors 逐项指出字段）。
"""

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
}
_HTTP_MESSAGES = {
    400: "请求格式有误",
    401: "请先登录或提供有效的访问令牌",
    403: "没有权限",
    404: "没有找到",
    429: "请求过于频繁，请稍后再试",
}

# Messages for pydantic's error types, in Chinese.
_VALIDATION_MESSAGES = {
    "missing": "此项必填",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不是可识别的字段",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "datetime_type": "应为日期时间",
    "date_type": "应为日期",
}


def _loc_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "value", 0, "from")`` → ``value[0].from``."""
    parts = list(loc)
    source = parts.pop(0) if parts else ""
    if source == "body" and parts:
        parts.pop(0)  # the view's body parameter: the body itself
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or ("body" if source == "body" else str(source) or "body")


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _VALIDATION_MESSAGES:
        return _VALIDATION_MESSAGES[kind]
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bounds = {"greater_than_equal": "不小于", "less_than_equal": "不大于",
                  "greater_than": "大于", "less_than": "小于"}
        limit = next(iter(ctx.values()), "")
        return f"应{bounds[kind]} {limit}"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short":
        return f"至少 {ctx.get('min_length')} 个字符"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "too_short":
        return f"至少 {ctx.get('min_length')} 项"
    if kind in ("enum", "literal_error"):
        return f"不是允许的取值（可选：{ctx.get('expected', '')}）"
    return f"格式不正确（{error.get('msg', kind)}）"


def _body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": errors or []}


def staff_docs_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The interactive docs for signed-in staff only; the OpenAPI document stays public."""
    if getattr(view, "func", None) is openapi_json:
        return view

    @functools.wraps(view.func if isinstance(view, functools.partial) else view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_staff_role", False):
            raise PermissionDenied("接口文档仅供工作人员查看")
        return view(request, *args, **kwargs)

    return wrapped


class JifenAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # The view's own name (unique in this API): "application_submit", not a module path.
        return operation.view_func.__name__


api = JifenAPI(
    title="北京市积分落户管理信息系统 API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs_decorator=staff_docs_only,
    auth=auth_api.DEFAULT_AUTH,
)


# Refusals go to the audit log (jifen.audit.refusals decides which are recorded one by one).
_REFUSAL_REASONS = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}
# The catch-all for unknown paths under /api/ (registered last): no refusal, just nothing.
_UNKNOWN_URL_NAME = "_unknown"


def _audit_refusal(request: HttpRequest, status: int, message: str = "") -> None:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == _UNKNOWN_URL_NAME:
        return
    audit_refusal(request, reason=_REFUSAL_REASONS[status], status=status, message=message)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    if exc.status in _REFUSAL_REASONS:
        _audit_refusal(request, exc.status, exc.message)
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    seen = set()
    for error in exc.errors:
        item = {"field": _loc_path(error.get("loc", ())), "message": _validation_message(error)}
        key = (item["field"], item["message"])
        if key not in seen:
            seen.add(key)
            errors.append(item)
    return api.create_response(
        request, _body("invalid", "请求数据有误，请按提示修改", errors), status=422
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    _audit_refusal(request, 401, _HTTP_MESSAGES[401])
    response = api.create_response(
        request, _body("not_authenticated", _HTTP_MESSAGES[401]), status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    message = _HTTP_MESSAGES.get(status, exc.message)
    if status == 400 and "parse request body" in exc.message:
        message = "请求内容不是有效的 JSON"
    return api.create_response(
        request, _body(_HTTP_CODES.get(status, "error"), message), status=status
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    _audit_refusal(request, 404)
    return api.create_response(request, _body("not_found", _HTTP_MESSAGES[404]), status=404)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    _audit_refusal(request, 403, str(exc) or _HTTP_MESSAGES[403])
    return api.create_response(request, _body("forbidden", _HTTP_MESSAGES[403]), status=403)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return api.create_response(
            request, _body("too_large", "请求内容过大"), status=413
        )
    return api.create_response(request, _body("bad_request", _HTTP_MESSAGES[400]), status=400)


api.add_router("/auth", auth_api.router)
api.add_router("", accounts.router)
api.add_router("", links.router)
api.add_router("", applications.router)
api.add_router("", applications.employer_router)
api.add_router("", evidence.router)
api.add_router("", assess.router)
api.add_router("", messages.router)
api.add_router("", review_queue.router)
api.add_router("", review_compare.router)
api.add_router("", review_results.router)
api.add_router("", review_signals.router)
api.add_router("", rounds_scoring.router)
api.add_router("", stats_adhoc.router)
api.add_router("", publication.router)
api.add_router("", round_setup.router)
api.add_router("", privacy.router)

# Last: any other path under /api/ is a JSON 404, not the site's HTML page.
_fallback = Router()


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def _unknown(request: HttpRequest, rest: str) -> HttpResponse:
    raise Http404


api.add_router("", _fallback)
