"""Middleware of the site: security headers Django 5.2 does not send by itself (CSP arrives
only in Django 6), and the pages' mapping of service errors to responses."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jifen.audit.middleware import API_PREFIX
from jifen.audit.refusals import audit_refusal
from jifen.core.errors import NotAuthenticated, NotFound, NotPermitted, ServiceError


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy from settings, and
    ``Cache-Control: no-store`` to every response Django makes: pages and API answers carry
    personal data whenever someone is signed in, and a refused form echoes what was typed, so
    no browser or proxy may keep a copy (static files are not served through here).

    A view that sets its own header keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if csp and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = csp
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions
        if "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        return response


def _refusal(exception: Exception) -> tuple[str, int, str] | None:
    """(reason, status, message) when ``exception`` refuses the request, else None."""
    if isinstance(exception, NotFound):
        return "not_found", 404, exception.message
    if isinstance(exception, NotPermitted):
        return "forbidden", 403, exception.message
    if isinstance(exception, NotAuthenticated):
        return "not_authenticated", 403, exception.message
    if isinstance(exception, PermissionDenied):
        return "forbidden", 403, str(exception)
    if isinstance(exception, Http404):
        return "not_found", 404, ""  # Django's own text is for developers
    return None


class ServiceErrorMiddleware:
    """The one place where a page's unhandled service error becomes a response, and where a
    page's refusals reach the audit log.

    Views show bad input and conflicts themselves (``SHOWN_ON_PAGE``); whatever else a service
    raises arrives here: ``NotFound`` as the 404 page (a record that is not the caller's looks
    like one that does not exist), ``NotPermitted``/``NotAuthenticated`` as the 403 page with
    the service's message, any other ``ServiceError`` as an error page with its message and
    status. The JSON API (``/api/``) maps the same errors in its own exception handler.

    Refusals — those, and the ``PermissionDenied``/``Http404`` of the role decorator and of
    missing records — are recorded (or counted) by :func:`jifen.audit.refusals.audit_refusal`
    before Django renders its page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Also under /api/: what reaches a middleware there came from a view outside the API's
        # own exception handlers (the interactive docs), which record the others.
        refusal = _refusal(exception)
        if refusal is not None:
            reason, status, message = refusal
            audit_refusal(request, reason=reason, status=status, message=message)
        if not isinstance(exception, ServiceError) or request.path_info.startswith(API_PREFIX):
            return None
        if isinstance(exception, NotFound):
            return render(request, "404.html", {"exception": exception.message}, status=404)
        if isinstance(exception, NotPermitted | NotAuthenticated):
            return render(request, "403.html", {"exception": exception.message}, status=403)
        return render(
            request, "web/service_error.html", {"message": exception.message},
            status=exception.status,
        )
