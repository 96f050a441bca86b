"""The JSON API of publication, objections and settlement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from jifen.core.roles import Department, Role
from jifen.publication import services
from jifen.publication.models import ObjectionState
from tests.api.conftest import ApiClient, token_for
from tests.factories import make_staff
from tests.review.results_world import TAX_DECLARED_ROWS, world

from .world import listed_round, make_run, set_windows

pytestmark = pytest.mark.django_db
REASON = "该人员申报的住房情况与实际不符，请核查。"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def api(user: Any = None) -> ApiClient:
    return ApiClient(token_for(user) if user is not None else None)


def test_publish_and_status(bureau):
    listed_round(n=4, admitted=3)
    status = api(bureau).get("/api/rounds/2026/publication")
    assert status.status_code == 200 and status.json()["published"] is False
    assert status.json()["window"]["state"] == "open"
    response = api(bureau).post("/api/rounds/2026/publication")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["published"] and body["rows"] == 3 and body["version"] == 1
    assert {f["kind"] for f in body["files"]} == {"csv", "xlsx", "pdf"}
    assert body["settlement"] == {"admitted": 3, "settled": 0, "given_up": 0, "pending": 3}
    assert api(bureau).post("/api/rounds/2026/publication").json()["version"] == 2


def test_publish_refusals(bureau):
    w = listed_round()
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    refused = api(reviewer).post("/api/rounds/2026/publication")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert api().post("/api/rounds/2026/publication").status_code == 401
    set_windows(w.round, publication="upcoming")
    late = api(bureau).post("/api/rounds/2026/publication")
    assert late.status_code == 409 and late.json()["code"] == "outside_window"
    assert "公示与异议阶段尚未开始" in late.json()["message"]
    assert api(bureau).get("/api/rounds/2031/publication").status_code == 404


def test_public_list_without_login(bureau):
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)
    body = api().get("/api/gongshi/2026", q="京东方").json()
    assert body["count"] == 1 and body["title"] == "北京市2026年积分落户公示名单"
    item = body["items"][0]
    assert item["name"] == "李建国" and item["rank"] == 2 and "********" in item["id_masked"]
    assert item["scores"]["employment"] == 59.5 and len(item["scores"]) == 10
    set_windows(w.round, publication="closed")
    closed = api().get("/api/gongshi/2026")
    assert closed.status_code == 404 and closed.json()["message"] == "公示期已结束"


def test_objections_over_the_api(bureau):
    w = world(2026, recheck=False)
    make_run(w.app.round, [w.app], admitted=1)
    set_windows(w.app.round, publication="open")
    services.publish(actor=bureau, round=w.app.round)
    o = services.objection_file(
        year=2026, rank=1, name="赵敏", phone="13912345678", reason=REASON, ip="1.1.1.1"
    )
    client = api(bureau)
    listing = client.get("/api/rounds/2026/objections").json()
    assert listing["count"] == 1 and listing["items"][0]["receipt_no"] == o.receipt_no
    assert "filer_phone" not in listing["items"][0]
    detail = client.get(f"/api/objections/{o.pk}").json()
    assert detail["filer_phone"] == "13912345678" and detail["state"] == "received"
    checked = client.post(f"/api/objections/{o.pk}/check", {"note": "调取纳税记录"}).json()
    assert checked["state"] == "checking"
    bad = client.post(
        f"/api/objections/{o.pk}/correction",
        {"kind": "tax", "value": [{"year": "x", "amount": "1"}], "reason": "r"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("value[0]")
    fixed = client.post(
        f"/api/objections/{o.pk}/correction",
        {"kind": "tax", "value": TAX_DECLARED_ROWS, "reason": "税务复核"},
    )
    assert fixed.status_code == 200, fixed.content
    assert fixed.json()["rerun_needed"] and fixed.json()["decision_id"]
    assert client.get("/api/rounds/2026/publication").json()["rerun_needed"] is True
    empty = client.post(f"/api/objections/{o.pk}/answer", {"answer": ""})
    assert empty.status_code == 422 and empty.json()["message"] == "请填写答复内容及理由"
    answered = client.post(f"/api/objections/{o.pk}/answer", {"answer": "异议成立，已更正。"})
    assert answered.json()["state"] == ObjectionState.ANSWERED
    assert api(w.applicant).get(f"/api/objections/{o.pk}").status_code == 403


def test_settlement_and_final_result_over_the_api(bureau):
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)
    now = timezone.now()
    w.round.settlement_opens, w.round.settlement_closes = (
        now - timedelta(days=1),
        now + timedelta(days=30),
    )
    w.round.save()
    mine = api(w.applicants[0]).get(f"/api/applications/{w.apps[0].pk}/final-result").json()
    assert mine["rank"] == 1 and mine["admitted"] is True and mine["total"] == 111.96
    assert mine["settlement"] == "pending" and "居民身份证" in " ".join(mine["next_steps"]["steps"])
    assert (
        api(w.applicants[1]).get(f"/api/applications/{w.apps[0].pk}/final-result").status_code
        == 404
    )
    out = api(w.applicants[3]).get(f"/api/applications/{w.apps[3].pk}/final-result").json()
    assert out["admitted"] is False and out["next_steps"] is None
    client = api(bureau)
    put = client.put(
        f"/api/rounds/2026/settlement/{w.apps[0].pk}", {"state": "given_up", "reason": "本人放弃"}
    )
    assert put.status_code == 200, put.content
    assert put.json()["counts"] == {"admitted": 3, "settled": 0, "given_up": 1, "pending": 2}
    missing = client.put(f"/api/rounds/2026/settlement/{w.apps[1].pk}", {"state": "settled"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "settled_on"
    rows = client.get("/api/rounds/2026/settlement", state="pending").json()
    assert rows["count"] == 2 and {r["rank"] for r in rows["items"]} == {2, 3}
    assert api(w.applicants[0]).get("/api/rounds/2026/settlement").status_code == 403
    mine = api(w.applicants[0]).get(f"/api/applications/{w.apps[0].pk}/final-result").json()
    assert mine["settlement"] == "given_up" and mine["next_steps"] is None
