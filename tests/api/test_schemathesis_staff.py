"""Property-based tests of the staff's operations of the JSON API (schemathesis), and the
check that every operation of the OpenAPI document is tested by one of the two modules.

Staff have no tokens: each operation is called with the signed-in session (second factor
passed, CSRF token sent) of the staff member it is meant for — a tax reviewer, a district
service window, the bureau — on a round whose declarations the employers have passed on;
with the ids of real records where there are some, random ids otherwise. An applicant's
token is then refused cleanly (a 4xx with the API's error body). Whatever arrives, never a
server error; the answers the meant caller gets conform to the schema.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WerkzeugClient

from jifen.core.roles import Department, Role
from jifen.review.models import VerificationItem
from tests.api.conftest import token_for
from tests.api.operation_roles import (
    BUREAU,
    OPERATION_ROLES,
    REVIEWER,
    STAFF_CALLERS,
    WINDOW,
)
from tests.factories import employer_submitted, make_applicant, make_staff, staff_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sweep]

# Examples per operation: (mode, examples, with the ids of real records?) for the caller it
# is meant for; the other caller gets OTHER_EXAMPLES. Bounded so that the ~50 staff
# operations take about a minute.
PLAN = (
    (GenerationMode.POSITIVE, 10, True),
    (GenerationMode.NEGATIVE, 4, False),
)
OTHER_EXAMPLES = 3

# Answers whose body is not the schema's JSON: files (XLSX) come back as they are.
NOT_CONFORMANCE_CHECKED = {"adhoc_export", "whatif_export", "dispute_evidence_download"}


def _session(user: Any) -> dict[str, Any]:
    """The cookies and X-CSRFToken header of ``user``'s signed-in session (second factor
    passed), as the pages' JavaScript sends them."""
    client = staff_client(user)
    csrf = _get_new_csrf_string()
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {
            django_settings.SESSION_COOKIE_NAME:
                client.cookies[django_settings.SESSION_COOKIE_NAME].value,
            django_settings.CSRF_COOKIE_NAME: csrf,
        },
    }


def _world() -> dict[str, Any]:
    applicant, _agent, app = employer_submitted(2026)
    item = VerificationItem.objects.filter(
        application=app, department=Department.TAX
    ).first()
    callers = {
        REVIEWER: make_staff(Role.REVIEWER, department=Department.TAX),
        WINDOW: make_staff(Role.REVIEWER, department=Department.SERVICE_WINDOW),
        BUREAU: make_staff(Role.BUREAU_ADMIN),
    }
    return {
        "auth": {role: _session(user) for role, user in callers.items()},
        "other": {
            "headers": {"Authorization": f"Bearer {token_for(make_applicant())}"},
            "cookies": None,
        },
        "ids": {
            "year": 2026, "application_id": app.pk,
            **({"item_id": item.pk} if item is not None else {}),
        },
        "applicant": applicant,
    }


def _run(operation: Any, auth: dict[str, Any], mode: GenerationMode, examples: int,
         path_parameters: dict[str, Any], *, refused: bool, conformance: bool) -> None:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)
    checks = [not_a_server_error, *([response_schema_conformance] if conformance else [])]

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(headers=auth["headers"], cookies=auth["cookies"])
        case.validate_response(response, checks=checks)
        if refused:
            # Refused cleanly: a client error with the API's error body, never the data.
            assert 400 <= response.status_code < 500, (case.path, response.status_code)
            body = response.json()
            assert set(body) == {"code", "message", "errors"}, body

    check()


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())


def _sessions_work(world: dict[str, Any]) -> None:
    """The staff's cookies really sign them in (else every answer would be a 401 and the
    test would prove nothing): a read and a write with the CSRF token."""
    client = WerkzeugClient(WSGIHandler(), use_cookies=False)

    def headers(role: str) -> dict[str, str]:
        auth = world["auth"][role]
        cookie = "; ".join(f"{k}={v}" for k, v in auth["cookies"].items())
        return {**auth["headers"], "Cookie": cookie}

    assert client.get("/api/review/queue", headers=headers(REVIEWER)).status_code == 200
    assert client.get("/api/rounds/2026/changes", headers=headers(BUREAU)).status_code == 200
    write = client.post("/api/review/bulk-confirm", json={}, headers=headers(REVIEWER))
    assert write.status_code not in (401, 403), write.get_data(as_text=True)


def test_no_staff_request_makes_a_server_error(evidence_dir: Any) -> None:
    world = _world()
    _sessions_work(world)
    failures: list[str] = []
    tried = 0
    for result in _schema().get_all_operations():
        operation = result.ok()
        operation_id = operation.definition.raw["operationId"]
        caller = OPERATION_ROLES[operation_id]
        if caller not in STAFF_CALLERS:
            continue  # tests/api/test_schemathesis.py
        tried += 1
        wanted = {p.name for p in operation.path_parameters}
        real_ids = {name: world["ids"][name] for name in wanted if name in world["ids"]}
        conformance = operation_id not in NOT_CONFORMANCE_CHECKED
        runs = [
            (world["auth"][caller], mode, n, real_ids if with_ids else {}, False,
             conformance and mode == GenerationMode.POSITIVE)
            for mode, n, with_ids in PLAN
        ]
        runs.append((world["other"], GenerationMode.POSITIVE, OTHER_EXAMPLES, real_ids, True,
                     False))
        for auth, mode, examples, fixed, refused, conforms in runs:
            try:
                _run(operation, auth, mode, examples, fixed, refused=refused,
                     conformance=conforms)
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label
            except Exception:  # every failing operation is reported, not only the first
                who = "an applicant" if refused else caller
                failures.append(
                    f"{operation.label} as {who} ({mode.value}, ids {fixed}):\n"
                    + traceback.format_exc(limit=3)[-1500:]
                )
    assert tried == sum(1 for c in OPERATION_ROLES.values() if c in STAFF_CALLERS)
    assert not failures, "\n\n".join(failures)
