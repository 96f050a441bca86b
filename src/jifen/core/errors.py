"""Expected failures of the services, one hierarchy, mapped to HTTP in one place.

Views and API endpoints catch :class:`ServiceError` and render it; the status code and the
machine-readable ``code`` come from here so pages and the JSON API agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``field`` is a path such as ``housing[1].district``."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])
        if field is not None:
            self.errors.insert(0, FieldError(field, message))
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "errors": [e.as_dict() for e in self.errors],
        }


class NotAuthenticated(ServiceError):
    status = 401
    code = "not_authenticated"


class NotPermitted(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The request is well-formed but the object's state does not allow it now."""

    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"


class OutsideWindow(Conflict):
    code = "outside_window"


class InvalidInput(ServiceError):
    status = 422
    code = "invalid"


class Throttled(ServiceError):
    """Too many requests from here for now."""

    status = 429
    code = "throttled"


class Unavailable(ServiceError):
    """A service the request needs is not available now (e.g. no SMS gateway)."""

    status = 503
    code = "unavailable"


# What a page shows to the person on the page itself (a message, the form again): bad input, a
# state that does not allow the action now, "too often" and "not available now". NotFound and
# NotPermitted are not among them: they become the 404 and 403 pages in one place
# (jifen.web.middleware.ServiceErrorMiddleware).
SHOWN_ON_PAGE = (InvalidInput, Conflict, Throttled, Unavailable)
