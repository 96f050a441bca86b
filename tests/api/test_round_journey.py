"""A whole round over the JSON API, from its creation to settlement (issue 9's "done when").

The bureau creates the round and moves its phases forward with a reason at each step; the
employer and the applicant register, link, declare and submit; the departments verify (one
correction); the applicant reads the first result and files a re-check, which the tax office
answers; a handful of other verified applications make ties and a line; the scoring run ranks
them; the list is published, an objection filed (the public form) and answered; settlement is
recorded and the applicant reads the final result. Staff call the API with their page session
(second factor verified), as the API's auth allows; applicants and employers with tokens.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jifen.applications.models import Application
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review.models import FirstResult, VerificationItem
from jifen.rounds import phases
from jifen.rounds.models import Round
from tests.api.conftest import PDF_BYTES, ApiClient
from tests.factories import (
    PASSWORD,
    credit_code,
    full_declaration,
    id_number,
    make_staff,
    staff_client,
)
from tests.review.results_world import TAX_DECLARED_ROWS, World
from tests.rounds.scoring_world import add_unverified, add_verified

pytestmark = pytest.mark.django_db

YEAR = 2026
TAX_CORRECTED_ROWS = [
    {"year": "2023", "amount": "120000"},
    {"year": "2024", "amount": "80000"},
    {"year": "2025", "amount": "90000"},
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


class StaffApi:
    """A staff member's page session (second factor verified) speaking JSON to the API."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.client: Client = staff_client(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, body or {}, content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(path, body, content_type="application/json")

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(path, body, content_type="application/json")


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json() if response.content else None


def outside(response: Any, phase: str) -> str:
    """A 409 outside_window naming ``phase``'s window in Chinese; returns the message."""
    assert response.status_code == 409, response.content.decode()
    body = response.json()
    assert body["code"] == "outside_window"
    rnd = Round.objects.get(year=YEAR)
    assert phases.describe(rnd, phase) in body["message"]
    return body["message"]


def iso(when: datetime) -> str:
    return when.isoformat()


def states(body: dict[str, Any]) -> dict[str, str]:
    return {p["phase"]: p["state"] for p in body["phases"]}


def test_a_whole_round_from_creation_to_settlement_over_the_api(
    django_capture_on_commit_callbacks: Any,
) -> None:
    bureau = StaffApi(make_staff(Role.BUREAU_ADMIN, username="bureau_li"))
    anonymous = ApiClient()
    now = timezone.now()
    day = timedelta(days=1)

    # --- The bureau creates the round: registration to verification open now. ---------------
    created = ok(
        bureau.post(
            "/api/rounds",
            {
                "year": YEAR,
                "declaration_opens": iso(now - day),
                "declaration_closes": iso(now + 30 * day),
                "registration_opens": iso(now - day),
                "registration_closes": iso(now + 30 * day),
                "employer_review_opens": iso(now - day),
                "employer_review_closes": iso(now + 35 * day),
                "verification_opens": iso(now - day),
                "verification_closes": iso(now + 60 * day),
                "recheck_opens": iso(now + 60 * day),
                "recheck_closes": iso(now + 75 * day),
                "scoring_opens": iso(now + 75 * day),
                "scoring_closes": iso(now + 90 * day),
                "publication_opens": iso(now + 90 * day),
                "publication_closes": iso(now + 97 * day),
                "settlement_opens": iso(now + 97 * day),
                "settlement_closes": iso(now + 280 * day),
            },
        ),
        201,
    )
    assert created["year"] == YEAR and created["rule_set"] == "beijing-2020"
    assert created["quota"] == 6000  # the rule set's ranking.quota
    assert created["open_phases"] == [
        "registration",
        "declaration",
        "employer_review",
        "verification",
    ]
    assert states(created)["recheck"] == "upcoming"
    assert ok(anonymous.get(f"/api/rounds/{YEAR}"))["open_phases"] == created["open_phases"]
    # Anyone else may not.
    refused = ApiClient().post("/api/rounds", {"year": 2027})
    assert refused.status_code == 401

    patches: list[tuple[dict[str, Any], str]] = []

    def move(reason: str, **windows: Any) -> dict[str, Any]:
        body = {k: iso(v) if isinstance(v, datetime) else v for k, v in windows.items()}
        patches.append((body, reason))
        answer = ok(bureau.patch(f"/api/rounds/{YEAR}", {**body, "reason": reason}))
        assert {c["field"] for c in answer["changes"]} == set(body)
        assert all(c["reason"] == reason and c["actor"] == "bureau_li" for c in answer["changes"])
        return answer["round"]

    # --- The employer and the applicant register, link, declare and submit. -----------------
    employer = ok(
        anonymous.post(
            "/api/register/employer",
            {
                "employer_name": "北京星河科技有限公司",
                "credit_code": credit_code(),
                "district": "通州区",
                "username": "xinghe_hr",
                "password": PASSWORD,
                "agent_name": "李经办",
                "phone": "13800000001",
            },
        ),
        201,
    )
    person_id = id_number("19880315", "F")
    ok(
        anonymous.post(
            "/api/register/applicant",
            {
                "username": "wang_sufang",
                "password": PASSWORD,
                "id_number": person_id,
                "name": "周晓梅",
                "phone": "13900000002",
            },
        ),
        201,
    )

    def sign_in(username: str) -> ApiClient:
        body = ok(anonymous.post("/api/auth/token", {"username": username, "password": PASSWORD}))
        return ApiClient(body["token"])

    me, hr = sign_in("wang_sufang"), sign_in("xinghe_hr")
    link = ok(me.post("/api/links", {"employer_code": employer["employer_code"]}), 201)
    ok(hr.post(f"/api/employer/links/{link['id']}/confirm"))
    app = ok(me.post("/api/applications"))
    app_id, version = app["id"], app["version"]
    number = app["number"]
    for section, value in full_declaration(YEAR).items():
        saved = ok(
            me.put(
                f"/api/applications/{app_id}/sections/{section}",
                {"version": version, "value": value},
            )
        )
        assert saved["errors"] == [], (section, saved)
        version = saved["version"]
    for r in ok(me.get(f"/api/applications/{app_id}"))["evidence_required"]:
        if not r["uploaded"]:
            scan = SimpleUploadedFile("扫描件.pdf", PDF_BYTES, content_type="application/pdf")
            ok(
                me.upload(
                    f"/api/applications/{app_id}/evidence",
                    {"section": r["section"], "item_id": r["item_id"], "file": scan},
                ),
                201,
            )
    submitted = ok(me.post(f"/api/applications/{app_id}/submit", {"version": version}))
    assert submitted["status"] == "submitted"
    done = ok(
        hr.post(f"/api/employer/applications/{app_id}/submit", {"version": submitted["version"]})
    )
    assert done["status"] == "employer_submitted"

    # --- The bureau closes registration, declaration and the employers' review. -------------
    now = timezone.now()
    rnd = move(
        "个人申报和单位审核按期结束",
        registration_closes=now,
        declaration_closes=now,
        employer_review_closes=now,
    )
    assert rnd["open_phases"] == ["verification"]
    assert states(rnd)["declaration"] == "closed"
    # Linking is refused now: 409 outside_window with the window in Chinese.
    message = outside(
        me.post("/api/links", {"employer_code": employer["employer_code"]}), "registration"
    )
    assert message.startswith("注册与单位关联阶段已经结束：2026年度注册与单位关联阶段为 ")

    # --- The departments verify: every item confirmed, the tax corrected. -------------------
    items = VerificationItem.objects.filter(application_id=app_id)
    departments = sorted(set(items.values_list("department", flat=True)))
    assert Department.TAX in departments
    tax_reviewer = StaffApi(make_staff(Role.REVIEWER, Department.TAX, username="tax_zhao"))
    for department in departments:
        reviewer = (
            tax_reviewer
            if department == Department.TAX
            else StaffApi(make_staff(Role.REVIEWER, department))
        )
        queue = ok(reviewer.get("/api/review/queue", number=number))
        assert queue["year"] == YEAR and queue["items"]
        for item in queue["items"]:
            if item["kind"] == "tax":
                decided = ok(
                    reviewer.post(
                        f"/api/review/items/{item['id']}/correct",
                        {
                            "value": TAX_CORRECTED_ROWS,
                            "reason": "税务部门记录2025年度纳税额为90000元",
                        },
                    )
                )
                assert decided["item"]["state"] == "corrected"
            else:
                decided = ok(reviewer.post(f"/api/review/items/{item['id']}/confirm", {}))
                assert decided["item"]["state"] == "confirmed"

    # The applicant sees the first result: the tax indicator 4 → 2 (one year ≥ 100,000).
    first = ok(me.get(f"/api/applications/{app_id}/result"))
    assert first["verifying"] is False and first["eligible"] is True
    assert first["declared_total"] == 140.75 and first["total"] == 138.75
    assert [i["indicator"] for i in first["indicators"] if i["differs"]] == ["tax"]
    assert first["recheck"]["open"] is False
    # The re-check window has not opened yet.
    recheck_url = f"/api/applications/{app_id}/recheck"
    dispute_body = {
        "disputes": [{"kind": "tax", "statement": "2025年度实际纳税150000.50元，附完税证明"}]
    }
    message = outside(me.post(recheck_url, dispute_body), "recheck")
    assert message.startswith("初核结果与复查阶段尚未开始：")

    # --- The bureau closes verification and opens the re-check. ------------------------------
    now = timezone.now()
    rnd = move(
        "部门核验完成，公布初核结果并受理复查",
        verification_closes=now,
        recheck_opens=now,
        recheck_closes=now + 14 * day,
    )
    assert rnd["open_phases"] == ["recheck"]
    filed = ok(me.post(recheck_url, dispute_body), 201)
    assert [d["kind"] for d in filed["disputes"]] == ["tax"]
    [dispute] = ok(tax_reviewer.get("/api/disputes"))
    assert dispute["application_no"] == number
    answered = ok(
        tax_reviewer.post(
            f"/api/disputes/{dispute['id']}/answer",
            {"outcome": "changed", "reason": "完税证明属实", "value": TAX_DECLARED_ROWS},
        )
    )
    assert answered["recheck"] == "answered" and answered["outcome"] == "changed"
    after = ok(me.get(f"/api/applications/{app_id}/result"))
    assert after["total"] == 140.75 and after["after_recheck"] is True

    # A handful of other verified applications (factory-made, as an import would leave them):
    # ties at the top and at the line.
    journey_app = Application.objects.select_related("round", "employer").get(pk=app_id)
    base = World(
        None,
        None,
        journey_app,  # type: ignore[arg-type]
        FirstResult.objects.filter(application=journey_app).latest("id"),
    )
    add_verified(base, "26900002", "full")  # 140.75, the applicant's tie
    add_verified(base, "26900003", "no_innovation")  # 136.75
    add_verified(base, "26900004", "low_tax")  # 136.75, the tie at the line
    add_verified(base, "26900005", "bare")  # 116.75
    add_verified(base, "26900006", "criminal")  # not eligible
    add_unverified(base, "26900007")  # verification not complete

    # --- The bureau closes the re-check, opens scoring and sets a small quota. --------------
    # Scoring is still upcoming: the run is refused.
    outside(bureau.post(f"/api/rounds/{YEAR}/scoring/runs"), "scoring")
    now = timezone.now()
    rnd = move(
        "复查结束，开始积分评定",
        recheck_closes=now,
        scoring_opens=now,
        scoring_closes=now + 10 * day,
    )
    assert rnd["open_phases"] == ["scoring"]
    rnd = move("按本年度落户指标调整（测试规模）", quota=3)
    assert rnd["quota"] == 3
    # Verification is closed: a reviewer's decision is refused.
    tax_item = items.get(kind="tax")
    outside(tax_reviewer.post(f"/api/review/items/{tax_item.pk}/confirm", {}), "verification")

    # --- The scoring run (the test settings run the task at once). --------------------------
    # The task is enqueued when the request's transaction commits (here: the test's).
    with django_capture_on_commit_callbacks(execute=True):
        run = ok(bureau.post(f"/api/rounds/{YEAR}/scoring/runs"), 202)
    assert run["state"] == "queued" and run["state_name"] == "排队中"
    status = ok(bureau.get(f"/api/rounds/{YEAR}/scoring/runs/{run['run']}"))
    assert status["state"] == "done" and status["state_name"] == "已完成"
    assert status["finished"] is True and status["percent"] == 100
    outcome = status["outcome"]
    assert (outcome["applications"], outcome["scored"], outcome["eligible"]) == (7, 6, 5)
    assert outcome["incomplete"] == 1
    assert outcome["line"] == 136.75 and outcome["admitted"] == 4
    results = ok(bureau.get(f"/api/rounds/{YEAR}/scoring/results"))
    assert results["run"] == run["run"] and results["line"] == 136.75
    ranked = [(r["application_no"], r["rank"], r["total"], r["admitted"]) for r in results["items"]]
    assert ranked == [
        (number, 1, 140.75, True),
        ("26900002", 1, 140.75, True),
        ("26900003", 3, 136.75, True),
        ("26900004", 3, 136.75, True),
        ("26900005", 5, 116.75, False),
    ]
    ineligible = ok(bureau.get(f"/api/rounds/{YEAR}/scoring/results", list="ineligible"))
    assert [r["application_no"] for r in ineligible["items"]] == ["26900006"]
    assert ineligible["items"][0]["reasons_zh"]
    incomplete = ok(bureau.get(f"/api/rounds/{YEAR}/scoring/results", list="incomplete"))
    assert [r["application_no"] for r in incomplete["items"]] == ["26900007"]

    # --- Publication. ------------------------------------------------------------------------
    outside(bureau.post(f"/api/rounds/{YEAR}/publication"), "publication")
    assert anonymous.get(f"/api/gongshi/{YEAR}").status_code == 404
    now = timezone.now()
    rnd = move(
        "积分评定完成，公示拟落户名单",
        scoring_closes=now,
        publication_opens=now,
        publication_closes=now + 7 * day,
    )
    assert rnd["open_phases"] == ["publication"]
    published = ok(bureau.post(f"/api/rounds/{YEAR}/publication"))
    assert published["published"] is True and published["rows"] == 4
    assert published["line"] == 136.75
    assert sorted(f["kind"] for f in published["files"]) == ["csv", "pdf", "xlsx"]
    public = ok(anonymous.get(f"/api/gongshi/{YEAR}", q="周晓梅"))
    assert public["title"] == "北京市2026年积分落户公示名单"
    [entry] = public["items"]
    assert entry["name"] == "周晓梅" and entry["rank"] == 1 and entry["total"] == 140.75
    assert entry["id_masked"] == person_id[:6] + "********" + person_id[-4:]
    assert entry["birth_month"] == "1988-03" and entry["employer"] == "北京星河科技有限公司"
    assert entry["scores"]["tax"] == 4.0
    assert ok(anonymous.get(f"/api/gongshi/{YEAR}"))["count"] == 4
    assert person_id not in anonymous.get(f"/api/gongshi/{YEAR}").content.decode()

    # An objection, filed on the public form (no login), checked and answered by the bureau.
    page = Client().post(
        f"/gongshi/{YEAR}/objection/",
        {
            "rank": "3",
            "name": "赵敏",
            "phone": "13912345678",
            "reason": "据我所知该申请人的创新创业获奖情况与公示不符，请核查。",
        },
    )
    assert page.status_code == 200
    assert "异议已受理" in page.content.decode()
    [objection] = ok(bureau.get(f"/api/rounds/{YEAR}/objections"))["items"]
    assert objection["state"] == "received" and objection["rank"] == 3
    assert objection["application_no"] == "26900003"
    assert objection["receipt_no"] in page.content.decode()
    detail = ok(bureau.get(f"/api/objections/{objection['id']}"))
    assert detail["filer_name"] == "赵敏" and detail["filer_phone"] == "13912345678"
    checking = ok(
        bureau.post(f"/api/objections/{objection['id']}/check", {"note": "调取大赛获奖证书核对"})
    )
    assert checking["state"] == "checking" and checking["state_name"] == "核查中"
    answer = "经核查，该申请人获奖证书真实有效，公示信息无误。"
    closed = ok(bureau.post(f"/api/objections/{objection['id']}/answer", {"answer": answer}))
    assert closed["state"] == "answered" and closed["answer"] == answer
    assert closed["rerun_needed"] is False

    # The applicant reads the final result with the next steps.
    final = ok(me.get(f"/api/applications/{app_id}/final-result"))
    assert (final["rank"], final["total"], final["admitted"]) == (1, 140.75, True)
    assert final["settlement"] == "pending" and final["next_steps"]
    assert final["settlement_window"].startswith("2026年度落户办理阶段为 ")

    # --- Settlement. --------------------------------------------------------------------------
    settle = {"state": "settled", "settled_on": timezone.localdate().isoformat(), "reason": ""}
    outside(bureau.put(f"/api/rounds/{YEAR}/settlement/{app_id}", settle), "settlement")
    now = timezone.now()
    rnd = move(
        "公示期满，开始办理落户",
        publication_closes=now,
        settlement_opens=now,
        settlement_closes=now + 180 * day,
    )
    assert rnd["open_phases"] == ["settlement"]
    assert anonymous.get(f"/api/gongshi/{YEAR}").json()["message"] == "公示期已结束"
    recorded = ok(bureau.put(f"/api/rounds/{YEAR}/settlement/{app_id}", settle))
    assert recorded["state"] == "settled"
    assert recorded["counts"] == {"admitted": 4, "settled": 1, "given_up": 0, "pending": 3}
    given_up_id = Application.objects.get(number="26900004").pk
    ok(
        bureau.put(
            f"/api/rounds/{YEAR}/settlement/{given_up_id}",
            {"state": "given_up", "reason": "本人书面申请放弃落户"},
        )
    )
    listing = ok(bureau.get(f"/api/rounds/{YEAR}/settlement"))
    assert listing["counts"] == {"admitted": 4, "settled": 1, "given_up": 1, "pending": 2}
    # A place given up is not re-allocated: 26900005 stays out.
    assert "26900005" not in {r["application_no"] for r in listing["items"]}
    final = ok(me.get(f"/api/applications/{app_id}/final-result"))
    assert (final["rank"], final["admitted"], final["settlement"]) == (1, True, "settled")
    assert final["settled_on"] == settle["settled_on"]

    # --- The changes endpoint lists every PATCH with its reason. ------------------------------
    changes = ok(bureau.get(f"/api/rounds/{YEAR}/changes"))
    expected = [(field, reason) for body, reason in patches for field in body]
    assert sorted((c["field"], c["reason"]) for c in changes) == sorted(expected)
    assert {c["actor"] for c in changes} == {"bureau_li"}
    assert any(c["field"] == "quota" and (c["old"], c["new"]) == (6000, 3) for c in changes)
    assert me.get(f"/api/rounds/{YEAR}/changes").status_code == 403

    # --- The audit trail, in order. -----------------------------------------------------------
    log = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    milestones = [
        "round.create",
        "account.register_employer",
        "account.register_applicant",
        "link.request",
        "link.confirm",
        "application.start",
        "application.submit",
        "application.employer_submit",
        "round.update",
        "review.correct",
        "recheck.request",
        "recheck.answer",
        "round.update",
        "rounds.scoring_start",
        "rounds.scoring_finish",
        "round.update",
        "publication.publish",
        "objection.file",
        "objection.state",
        "objection.answer",
        "round.update",
        "settlement.record",
    ]
    position = 0
    for action in milestones:
        assert action in log[position:], (action, log[position:])
        position = log.index(action, position) + 1
    assert log.count("round.update") == len(patches)
    assert log.count("settlement.record") == 2
