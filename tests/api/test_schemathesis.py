"""Property-based tests of the whole JSON API from its own OpenAPI document (schemathesis).

Every operation of the public (tests/api/operation_roles.py; the staff's are in
test_schemathesis_staff.py) gets generated requests — valid ones by the schema and invalid
ones — as an applicant and as an employer agent, both with random path ids and with the ids of real
records (an application, a link, an evidence file), on a round open for declaration. Whatever
arrives, the answer is never a server error.

The requests go through Django's real WSGI handler (as in production), which closes database
connections between requests: hence a transactional test.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from jifen.applications import selectors, services
from jifen.applications.models import Application
from jifen.inbox.services import notify
from tests.api.conftest import PDF_BYTES, token_for
from tests.api.operation_roles import OPERATION_ROLES, STAFF_CALLERS
from tests.factories import fill_declaration, linked_pair, make_applicant, make_round

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sweep]

# (generation mode, examples, with the ids of real records?) per operation, for the caller the
# operation is meant for; the other role gets the first plan only (it is refused early).
PLAN = (
    (GenerationMode.POSITIVE, 20, True),
    (GenerationMode.NEGATIVE, 8, False),
)
OTHER_ROLE_EXAMPLES = 5


def _world() -> dict[str, Any]:
    """Two applicants of one employer: one with a full draft, an evidence file and a message,
    one whose declaration was submitted to the employer; and a link waiting for the employer."""
    make_round(2026)
    applicant, agent = linked_pair()
    draft = fill_declaration(applicant, services.application_start(actor=applicant))
    evidence = services.evidence_add(
        actor=applicant, application_id=draft.pk, section="tax", item_id="",
        upload=SimpleUploadedFile("tax.pdf", PDF_BYTES),
    )
    colleague = make_applicant()
    services.link_confirm(
        actor=agent,
        link_id=services.link_request(actor=colleague, employer_code=agent.employer.code).pk,
    )
    sent = fill_declaration(colleague, services.application_start(actor=colleague))
    sent = services.application_submit(actor=colleague, application_id=sent.pk,
                                       version=sent.version)
    newcomer = make_applicant()
    pending = services.link_request(actor=newcomer, employer_code=agent.employer.code)
    own_link = selectors.links_of_applicant(applicant).get()
    message = notify(recipient=applicant, subject="初核结果已公布", body="请查看。", link="/my/")
    return {
        "applicant": applicant,
        "agent": agent,
        "applicant_ids": {"application_id": draft.pk, "link_id": own_link.pk,
                          "evidence_id": evidence.pk, "message_id": message.pk},
        "employer_ids": {"application_id": sent.pk, "link_id": pending.pk},
    }


def _current_version(case: Any) -> None:
    """Send the application's current version (a random one would only ever be stale), so
    that the writes really happen."""
    body = case.body
    application_id = (case.path_parameters or {}).get("application_id")
    if (
        isinstance(body, dict)
        and type(body.get("version")) is int
        and type(application_id) is int
    ):
        current = Application.objects.filter(pk=application_id).values_list(
            "version", flat=True
        ).first()
        if current is not None:
            body["version"] = current


def _run(operation: Any, user: Any, mode: GenerationMode, examples: int,
         path_parameters: dict[str, Any]) -> None:
    strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        _current_version(case)
        # A fresh token each time: the operation under test may well revoke the last one.
        response = case.call(headers={"Authorization": f"Bearer {token_for(user)}"})
        case.validate_response(response, checks=[not_a_server_error])

    check()


def test_no_request_makes_a_server_error(evidence_dir: Any) -> None:
    world = _world()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if OPERATION_ROLES[operation.definition.raw["operationId"]] in STAFF_CALLERS:
            continue  # test_schemathesis_staff.py
        operations += 1
        employer_side = operation.path.startswith("/api/employer/")
        ids = world["employer_ids" if employer_side else "applicant_ids"]
        wanted = {p.name for p in operation.path_parameters}
        real_ids = {name: ids[name] for name in wanted if name in ids}
        user, other = (
            (world["agent"], world["applicant"]) if employer_side
            else (world["applicant"], world["agent"])
        )
        runs = [(user, mode, n, real_ids if with_ids else {}) for mode, n, with_ids in PLAN]
        runs.append((other, GenerationMode.POSITIVE, OTHER_ROLE_EXAMPLES, real_ids))
        for caller, mode, examples, fixed in runs:
            try:
                _run(operation, caller, mode, examples, fixed)
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (it has no parameters).
                assert mode == GenerationMode.NEGATIVE, operation.label
            except Exception:  # every failing operation is reported, not only the first
                failures.append(
                    f"{operation.label} as {caller.role} ({mode.value}, ids {fixed}):\n"
                    + traceback.format_exc(limit=3)
                )
    assert operations == sum(1 for c in OPERATION_ROLES.values() if c not in STAFF_CALLERS)
    assert not failures, "\n\n".join(failures)
