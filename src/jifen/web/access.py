"""Who may open a page: one decorator for every role's pages.

A page for some roles only answers 403 to anyone else signed in, and sends an anonymous visitor
to the login page with ``?next=``. What a service refuses later (a record that is not the
caller's, a role without the right) is turned into the 404 or 403 page in one place,
:class:`jifen.web.middleware.ServiceErrorMiddleware`; views catch only the errors they show on
the page themselves (``jifen.core.errors.SHOWN_ON_PAGE``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def role_required(
    roles: Iterable[str], message: str, *, check: Callable[[Any], bool] | None = None
) -> Callable[[View], View]:
    """Signed in (else the login page), with one of ``roles`` (and passing ``check``, if
    given), else 403 with ``message``."""
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if user.role not in allowed or (check is not None and not check(user)):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate
