"""Generated requests (schemathesis) to the reviewers' API as a reviewer and as the bureau:
whatever arrives, never a server error. (tests/api/test_schemathesis.py calls them as an
applicant and an employer, who are refused early; staff sign in with a session, not a token.)
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from jifen.core.roles import Department, Role
from tests.factories import employer_submitted, make_staff, staff_client

from .queue_helpers import compare, item_of, reviewer

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user: Any) -> dict[str, dict[str, str]]:
    """What a signed-in session (second factor passed) sends: its cookies and a CSRF token."""
    client = staff_client(user)
    secret = _get_new_csrf_string()
    return {
        "cookies": {
            django_settings.SESSION_COOKIE_NAME:
                client.cookies[django_settings.SESSION_COOKIE_NAME].value,
            django_settings.CSRF_COOKIE_NAME: secret,
        },
        "headers": {"X-CSRFToken": _mask_cipher_secret(secret)},
    }


def _run(operation: Any, caller: dict[str, Any], mode: GenerationMode, examples: int,
         path_parameters: dict[str, Any], seen: set[int]) -> None:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=caller["headers"], cookies=caller["cookies"])
        seen.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    check()


def test_no_request_to_the_reviewers_api_makes_a_server_error() -> None:
    app = employer_submitted()[2]
    housing = item_of(app, "housing")
    compare(housing, [{"kind": "owned", "from": "2016-01", "to": "2025-12",
                       "district": "通州区"}], matched=False)
    callers = {
        "reviewer": _signed_in(reviewer(Department.HOUSING)),
        "bureau": _signed_in(make_staff(Role.BUREAU_ADMIN)),
    }
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    failures: list[str] = []
    operations = 0
    statuses: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        # The queue's operations (the comparisons have their own tests).
        if not operation.path.startswith("/api/review/") or any(
            part in operation.path for part in ("/compar", "/signals")
        ):
            continue
        operations += 1
        caller = "bureau" if operation.path.endswith("/overview") else "reviewer"
        wanted = {p.name for p in operation.path_parameters}
        real = {"item_id": housing.pk} if "item_id" in wanted else {}
        seen: set[int] = set()
        for mode, examples, fixed in ((GenerationMode.POSITIVE, 25, real),
                                      (GenerationMode.NEGATIVE, 10, {})):
            try:
                _run(operation, callers[caller], mode, examples, fixed, seen)
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label
            except Exception:
                failures.append(f"{operation.label} ({mode.value}):\n"
                                + traceback.format_exc(limit=3))
        statuses[operation.label] = seen
    assert operations == 7
    assert not failures, "\n\n".join(failures)
    # Signed in: the requests reached the services (not all refused at the door).
    assert all(seen - {401, 403} for seen in statuses.values()), statuses
