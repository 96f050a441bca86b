"""Every refusal of the JSON API, in one shape: {"code", "message", "errors": [...]}."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jifen.api.models import ApiToken
from jifen.applications import services
from jifen.applications.models import Application, Status
from jifen.audit.models import AuditEvent
from jifen.core.crypto import sm3_hex
from jifen.core.roles import Department, Role
from tests.api.conftest import PDF_BYTES, ApiClient, token_for
from tests.factories import (
    PASSWORD,
    fill_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
    make_staff,
    staff_client,
)

pytestmark = pytest.mark.django_db


def refused(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code, body
    assert body["message"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.fixture
def world() -> dict[str, Any]:
    """An open round; an applicant with a confirmed link and a draft; a stranger of each kind."""
    rnd = make_round(2026)
    applicant, agent = linked_pair()
    app = services.application_start(actor=applicant)
    other_applicant, other_agent = linked_pair()
    other_app = services.application_start(actor=other_applicant)
    return {
        "round": rnd, "applicant": applicant, "agent": agent, "app": app,
        "other_applicant": other_applicant, "other_agent": other_agent, "other_app": other_app,
        "me": ApiClient(token_for(applicant)), "hr": ApiClient(token_for(agent)),
    }


def submitted(world: dict[str, Any]) -> Application:
    app = fill_declaration(world["applicant"], world["app"])
    return services.application_submit(
        actor=world["applicant"], application_id=app.pk, version=app.version
    )


# --- 401 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/me"),
        ("get", "/api/applications"),
        ("post", "/api/applications"),
        ("post", "/api/links"),
        ("get", "/api/employer/links"),
        ("get", "/api/employer/applications"),
        ("post", "/api/assess"),
        ("delete", "/api/auth/token"),
    ],
)
def test_no_authentication_is_401(method: str, path: str) -> None:
    response = getattr(ApiClient(), method)(path)
    refused(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_every_section_save_needs_authentication(world: dict[str, Any]) -> None:
    app = world["app"]
    for section in ("conditions", "housing", "tax"):
        response = ApiClient().put(f"/api/applications/{app.pk}/sections/{section}",
                                   {"version": app.version, "value": {}})
        refused(response, 401, "not_authenticated")


def test_unknown_expired_and_revoked_tokens_are_401(world: dict[str, Any]) -> None:
    refused(ApiClient("jf_not-a-token").get("/api/me"), 401, "not_authenticated")
    row, token = ApiToken.issue(world["applicant"])
    assert ApiClient(token).get("/api/me").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(ApiClient(token).get("/api/me"), 401, "not_authenticated")
    row, token = ApiToken.issue(world["applicant"])
    ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    refused(ApiClient(token).get("/api/me"), 401, "not_authenticated")
    # A deactivated account's token stops working at once.
    row, token = ApiToken.issue(world["applicant"])
    world["applicant"].is_active = False
    world["applicant"].save(update_fields=["is_active"])
    refused(ApiClient(token).get("/api/me"), 401, "not_authenticated")


def test_token_refused_with_one_generic_message(world: dict[str, Any]) -> None:
    anonymous = ApiClient()
    tokens = ApiToken.objects.filter(user=world["applicant"]).count()
    wrong = refused(
        anonymous.post("/api/auth/token",
                       {"username": world["applicant"].username, "password": "wrong-password"}),
        401, "invalid_credentials",
    )
    unknown = refused(
        anonymous.post("/api/auth/token", {"username": "nobody-here", "password": PASSWORD}),
        401, "invalid_credentials",
    )
    assert wrong == unknown
    failures = AuditEvent.objects.filter(action="account.login_failed").order_by("seq")
    # The known account as the target; the unknown name only as its length and fingerprint.
    assert [e.target_id for e in failures] == [str(world["applicant"].pk), ""]
    assert failures[1].after["typed_username"]["length"] == len("nobody-here")
    assert not AuditEvent.objects.filter(action="api.token_issue").exists()
    assert ApiToken.objects.filter(user=world["applicant"]).count() == tokens


def test_five_failures_lock_the_account_for_the_api_too(world: dict[str, Any]) -> None:
    anonymous = ApiClient()
    username = world["applicant"].username
    for _ in range(5):
        response = anonymous.post("/api/auth/token", {"username": username, "password": "nope"})
    response = anonymous.post("/api/auth/token", {"username": username, "password": PASSWORD})
    refused(response, 429, "locked_out")
    assert not AuditEvent.objects.filter(action="api.token_issue").exists()


def test_token_is_stored_only_as_a_hash_and_lasts_eight_hours(world: dict[str, Any]) -> None:
    body = ApiClient().post("/api/auth/token", {"username": world["applicant"].username,
                                                "password": PASSWORD}).json()
    row = ApiToken.objects.get(key_hash=sm3_hex(body["token"].encode()))
    assert row.user == world["applicant"]
    assert body["token"] not in (row.key_hash, row.prefix)
    lifetime = row.expires_at - row.created_at
    assert timedelta(hours=8) - timedelta(seconds=5) < lifetime <= timedelta(hours=8)
    event = AuditEvent.objects.get(action="api.token_issue")
    assert event.actor_name == world["applicant"].username
    assert AuditEvent.objects.filter(action="account.login", actor=world["applicant"]).exists()
    assert body["token"] not in str(event.after)


def test_staff_get_no_token_and_the_answer_does_not_tell_the_password_was_right(
    world: dict[str, Any],
) -> None:
    staff = make_staff(Role.BUREAU_ADMIN)
    right = ApiClient().post("/api/auth/token", {"username": staff.username,
                                                 "password": PASSWORD})
    wrong = ApiClient().post("/api/auth/token", {"username": staff.username,
                                                 "password": "Wrong-passw0rd-guess"})
    assert right.status_code == wrong.status_code == 401
    assert right.json() == wrong.json() == refused(wrong, 401, "invalid_credentials")
    assert right["WWW-Authenticate"] == wrong["WWW-Authenticate"]
    assert not ApiToken.objects.filter(user=staff).exists()
    # Both count as failures: five right passwords lock the address as five wrong ones would.
    failures = AuditEvent.objects.filter(action="account.login_failed", target_id=str(staff.pk))
    assert failures.count() == 2


# --- 403: wrong role ----------------------------------------------------------------------


def test_wrong_role_is_403(world: dict[str, Any]) -> None:
    me, hr, app = world["me"], world["hr"], world["app"]
    refused(me.get("/api/employer/links"), 403, "forbidden")
    refused(me.get("/api/employer/applications"), 403, "forbidden")
    refused(me.get(f"/api/employer/applications/{app.pk}"), 403, "forbidden")
    refused(me.post("/api/employer/links/1/confirm"), 403, "forbidden")
    refused(me.post(f"/api/employer/applications/{app.pk}/return",
                    {"version": app.version, "reason": "x"}), 403, "forbidden")
    refused(hr.get("/api/applications"), 403, "forbidden")
    refused(hr.get("/api/links"), 403, "forbidden")
    refused(hr.post("/api/links", {"employer_code": "ABC"}), 403, "forbidden")
    refused(hr.post("/api/applications"), 403, "forbidden")
    refused(hr.put(f"/api/applications/{app.pk}/sections/tax",
                   {"version": app.version, "value": {}}), 403, "forbidden")
    refused(hr.post(f"/api/applications/{app.pk}/submit", {"version": app.version}),
            403, "forbidden")


def test_department_reviewer_gets_no_self_assessment(world: dict[str, Any]) -> None:
    app = submitted(world)
    services.application_employer_submit(actor=world["agent"], application_id=app.pk,
                                         version=app.version)
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    client = staff_client(reviewer)
    detail = client.get(f"/api/applications/{app.pk}").json()
    assert set(detail["data"]) == {"tax", "violations"}
    refused(client.get(f"/api/applications/{app.pk}/assessment"), 403, "forbidden")


# --- 404: someone else's ------------------------------------------------------------------


def test_another_applicants_application_is_404(world: dict[str, Any]) -> None:
    me, other = world["me"], world["other_app"]
    base = f"/api/applications/{other.pk}"
    refused(me.get(base), 404, "not_found")
    refused(me.get(f"{base}/assessment"), 404, "not_found")
    refused(me.get(f"{base}/evidence"), 404, "not_found")
    refused(me.put(f"{base}/sections/tax", {"version": other.version, "value": {}}),
            404, "not_found")
    refused(me.post(f"{base}/submit", {"version": other.version}), 404, "not_found")
    refused(me.post(f"{base}/withdraw", {"version": other.version}), 404, "not_found")
    upload = SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf")
    refused(me.upload(f"{base}/evidence", {"section": "tax", "file": upload}), 404, "not_found")
    # Their evidence, too: neither listed, downloaded nor deleted.
    ev = services.evidence_add(
        actor=world["other_applicant"], application_id=other.pk, section="tax", item_id="",
        upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
    )
    refused(me.get(f"/api/evidence/{ev.pk}"), 404, "not_found")
    refused(me.delete(f"/api/evidence/{ev.pk}"), 404, "not_found")
    assert Application.objects.get(pk=other.pk).version == other.version


def test_another_employers_application_and_link_are_404(world: dict[str, Any]) -> None:
    app = submitted(world)
    stranger = ApiClient(token_for(world["other_agent"]))
    refused(stranger.get(f"/api/employer/applications/{app.pk}"), 404, "not_found")
    refused(stranger.get(f"/api/applications/{app.pk}"), 404, "not_found")
    refused(stranger.post(f"/api/employer/applications/{app.pk}/return",
                          {"version": app.version, "reason": "不对"}), 404, "not_found")
    refused(stranger.post(f"/api/employer/applications/{app.pk}/submit",
                          {"version": app.version}), 404, "not_found")
    assert [a["id"] for a in stranger.get("/api/employer/applications").json()] == []
    newcomer = make_applicant()
    link = services.link_request(actor=newcomer, employer_code=world["agent"].employer.code)
    refused(stranger.post(f"/api/employer/links/{link.pk}/confirm"), 404, "not_found")
    refused(stranger.post(f"/api/employer/links/{link.pk}/refuse", {"reason": "不认识"}),
            404, "not_found")


def test_employer_does_not_see_drafts(world: dict[str, Any]) -> None:
    refused(world["hr"].get(f"/api/employer/applications/{world['app'].pk}"), 404, "not_found")
    assert world["hr"].get("/api/employer/applications").json() == []


# --- 409 ------------------------------------------------------------------------------------


def test_stale_version_is_409_naming_version(world: dict[str, Any]) -> None:
    me, app = world["me"], world["app"]
    path = f"/api/applications/{app.pk}/sections/tax"
    assert me.put(path, {"version": app.version, "value": {"2025": "1"}}).status_code == 200
    body = refused(me.put(path, {"version": app.version, "value": {"2025": "2"}}),
                   409, "stale_version", field="version")
    assert body["errors"][0]["field"] == "version"
    refused(me.post(f"/api/applications/{app.pk}/submit", {"version": app.version}),
            409, "stale_version", field="version")


def test_outside_the_window_is_409(world: dict[str, Any]) -> None:
    me, app, rnd = world["me"], world["app"], world["round"]
    rnd.declaration_opens = timezone.now() - timedelta(days=60)
    rnd.declaration_closes = timezone.now() - timedelta(days=1)
    rnd.save()
    refused(me.put(f"/api/applications/{app.pk}/sections/tax",
                   {"version": app.version, "value": {}}), 409, "outside_window")
    refused(me.post(f"/api/applications/{app.pk}/submit", {"version": app.version}),
            409, "outside_window")


def test_second_link_is_409(world: dict[str, Any]) -> None:
    code = world["other_agent"].employer.code
    refused(world["me"].post("/api/links", {"employer_code": code}), 409, "conflict",
            field="employer_code")


# --- 422 and saving with errors ------------------------------------------------------------


def test_invalid_payloads_are_422_naming_the_field(world: dict[str, Any]) -> None:
    me, app = world["me"], world["app"]
    base = f"/api/applications/{app.pk}"
    refused(me.put(f"{base}/sections/tax", {"version": "abc", "value": {}}),
            422, "invalid", field="version")
    refused(me.put(f"{base}/sections/tax", {"value": {}}), 422, "invalid", field="version")
    refused(me.put(f"{base}/sections/housing",
                   {"version": app.version, "value": [{"colour": "red"}]}),
            422, "invalid", field="value[0].colour")
    refused(me.put(f"{base}/sections/housing",
                   {"version": app.version, "value": [{"district": {"a": 1}}]}),
            422, "invalid", field="value[0].district")
    refused(me.put(f"{base}/sections/tax", {"version": app.version, "value": {"2025": "1\x00"}}),
            422, "invalid", field="value.2025")
    refused(me.post("/api/links", {}), 422, "invalid", field="employer_code")
    refused(me.post("/api/links", {"employer_code": "NOPE0000"}), 422, "invalid",
            field="employer_code")
    refused(me.get("/api/applications/0"), 422, "invalid", field="application_id")
    refused(me.get(f"/api/applications/{2**70}"), 422, "invalid", field="application_id")
    refused(me.get("/api/applications/abc"), 422, "invalid", field="application_id")
    refused(me.put(f"{base}/sections/nonsense", {"version": app.version, "value": {}}),
            422, "invalid", field="section")
    refused(world["hr"].post(f"/api/employer/links/{2**62}/refuse", {"reason": ""}),
            422, "invalid", field="reason")
    refused(ApiClient().post("/api/register/applicant", {
        "username": "ab", "password": "short", "id_number": "110105198803150000",
        "name": "王", "phone": "123",
    }), 422, "invalid", field="id_number")
    assert Application.objects.get(pk=app.pk).version == app.version


def test_bad_json_and_unknown_paths(world: dict[str, Any]) -> None:
    me = world["me"]
    response = me.client.post("/api/links", "{not json", content_type="application/json",
                               headers=me._headers())
    refused(response, 400, "bad_request")
    refused(me.get("/api/no/such/thing"), 404, "not_found")


def test_a_section_with_errors_is_saved_and_the_errors_returned(world: dict[str, Any]) -> None:
    me, app = world["me"], world["app"]
    response = me.put(f"/api/applications/{app.pk}/sections/housing", {
        "version": app.version,
        "value": [{"kind": "rented", "from": "2015-13", "to": "2021-12", "district": "通县"}],
    })
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == app.version + 1
    fields = {e["field"] for e in body["errors"]}
    assert {"housing[0].from", "housing[0].district"} <= fields
    detail = me.get(f"/api/applications/{app.pk}").json()
    assert detail["data"]["housing"][0]["from"] == "2015-13"  # kept as typed
    assert {e["field"] for e in detail["problems"]["housing"]} == fields
    # Submitting it is refused, naming the same fields.
    refused(me.post(f"/api/applications/{app.pk}/submit", {"version": body["version"]}),
            422, "invalid", field="housing[0].from")


def test_assess_reports_profile_errors_by_path(world: dict[str, Any]) -> None:
    response = world["me"].post("/api/assess", {
        "format": "jifen.profile/1", "application_year": 2022,
        "person": {"id_number": "110105197601152347", "name": "王素芳", "sex": "F",
                   "birth_date": "1976-01-15", "female_cadre": False,
                   "residence_permit": True, "criminal_record": False},
        "housing": [{"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通县"}],
        "employment": [{"from": "2010-01", "to": "2021-12", "district": "110105197601152347"}],
        "colour": "red",
    })
    body = refused(response, 422, "invalid")
    # In Chinese like every other error, each naming its field; an identity number masked.
    assert body["errors"] == [
        {"field": "colour", "message": "“colour”：没有这个字段（请检查拼写）"},
        {"field": "housing[0].district",
         "message": "住所记录第 1 条的所在区：没有名为 “通县” 的北京市区"},
        {"field": "employment[0].district",
         "message": "就业记录第 1 条的所在区：没有名为 “110105********2347” 的北京市区"},
    ]
    assert b"110105197601152347" not in response.content


# --- sessions, CSRF and the docs -------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world: dict[str, Any]) -> None:
    applicant = make_applicant()
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    assert client.get("/api/me").status_code == 200  # reads need no token
    code = world["agent"].employer.code
    refused(client.post("/api/links", {"employer_code": code}, content_type="application/json"),
            403, "csrf_failed")
    client.get("/")  # a page with a form (sign out) sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/api/links", {"employer_code": code},
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content
    # A Bearer token needs no CSRF token: it is never sent by the browser on its own.
    bearer = Client(enforce_csrf_checks=True)
    response = bearer.post(f"/api/links/{response.json()['id']}/cancel",
                           headers={"Authorization": f"Bearer {token_for(applicant)}"})
    assert response.status_code == 200, response.content


def test_docs_only_for_signed_in_staff() -> None:
    anonymous = Client()
    response = anonymous.get("/api/docs")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    applicant = Client()
    applicant.force_login(make_applicant())
    assert applicant.get("/api/docs").status_code == 403
    agent = Client()
    agent.force_login(make_employer())
    assert agent.get("/api/docs").status_code == 403
    staff = staff_client(make_staff(Role.OPERATOR))
    response = staff.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content


def test_openapi_document_is_served_to_everyone() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "北京市积分落户管理信息系统 API"
    paths = schema["paths"]
    for path in ("/api/auth/token", "/api/register/applicant", "/api/register/employer",
                 "/api/links", "/api/employer/links/{link_id}/refuse",
                 "/api/applications/{application_id}/sections/housing",
                 "/api/applications/{application_id}/assessment",
                 "/api/applications/{application_id}/evidence", "/api/evidence/{evidence_id}",
                 "/api/employer/applications/{application_id}/return", "/api/assess"):
        assert path in paths, path
    save = paths["/api/applications/{application_id}/sections/housing"]["put"]
    assert "即使有错误也会保存" in save["description"]
    assert set(schema["components"]["securitySchemes"]) == {"BearerAuth", "SessionAuth"}


def test_withdrawal_and_employer_submission_states(world: dict[str, Any]) -> None:
    me, hr = world["me"], world["hr"]
    app = submitted(world)
    withdrawn = me.post(f"/api/applications/{app.pk}/withdraw", {"version": app.version})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == Status.DRAFT
    refused(hr.post(f"/api/employer/applications/{app.pk}/submit",
                    {"version": withdrawn.json()["version"]}), 404, "not_found")
    refused(me.post(f"/api/applications/{app.pk}/withdraw",
                    {"version": withdrawn.json()["version"]}), 409, "conflict")


def test_evidence_is_checked_and_only_the_owner_deletes_it(world: dict[str, Any]) -> None:
    me, hr, app = world["me"], world["hr"], world["app"]
    base = f"/api/applications/{app.pk}/evidence"
    fake = SimpleUploadedFile("证明.pdf", b"not a pdf at all", content_type="application/pdf")
    refused(me.upload(base, {"section": "tax", "file": fake}), 422, "invalid", field="file")
    wrong = SimpleUploadedFile("a.pdf", PDF_BYTES)
    refused(me.upload(base, {"section": "tax", "item_id": "zzzz9999", "file": wrong}),
            422, "invalid", field="item_id")
    refused(me.upload(base, {"section": "nowhere", "file": wrong}), 422, "invalid",
            field="section")
    upload = SimpleUploadedFile("纳税\x00证明.pdf", PDF_BYTES)
    response = me.upload(base, {"section": "tax", "file": upload})
    assert response.status_code == 201, response.content
    evidence = response.json()
    assert "\x00" not in evidence["original_name"]
    refused(hr.delete(f"/api/evidence/{evidence['id']}"), 403, "forbidden")
    assert me.delete(f"/api/evidence/{evidence['id']}").status_code == 204
    assert me.get(base).json() == []
    assert AuditEvent.objects.filter(action="evidence.delete").count() == 1
