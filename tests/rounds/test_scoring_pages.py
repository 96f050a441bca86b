"""The bureau's scoring page and the scoring API (start, stop, status, results)."""

from __future__ import annotations

import pytest

from jifen.core.roles import Department, Role
from jifen.rounds.models import Round, RunState, ScoringRun
from tests.api.conftest import token_for
from tests.factories import make_staff, staff_client
from tests.rounds.scoring_world import add_unverified, add_verified, base_world, open_scoring

pytestmark = pytest.mark.django_db

PAGE = "/rounds/2026/scoring/"
API = "/api/rounds/2026/scoring"


def scene():
    base = base_world()  # 140.75
    rnd = open_scoring(base.app.round)
    add_verified(base, "26900002", "no_innovation")  # 136.75
    add_verified(base, "26900003", "low_tax")  # 136.75
    add_verified(base, "26900004", "bare")  # 116.75
    add_verified(base, "26900005", "criminal")
    add_unverified(base, "26900006")
    Round.objects.filter(pk=rnd.pk).update(quota=2)
    return base


def test_page_start_then_result_lists_and_search(django_capture_on_commit_callbacks) -> None:
    base = scene()
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026 年度积分评定" in text and "本年度尚未完成积分评定" in text
    assert "开始积分评定" in text
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(PAGE, {"action": "start"})
    assert started.status_code == 302
    run = ScoringRun.objects.get()
    assert run.state == RunState.DONE  # the immediate backend ran it at the commit
    text = client.get(PAGE).content.decode()
    assert f"第 {run.pk} 号积分评定批次已开始" in text
    assert "136.75 分" in text and ">3<" in text  # the line, admitted
    assert "（当前结果）" in text
    ranked = text[text.index('id="results"') :]
    assert ranked.index(base.app.number) < ranked.index("26900002") < ranked.index("26900003")
    assert "拟落户" in ranked and "26900005" not in ranked
    text = client.get(PAGE, {"list": "ineligible"}).content.decode()
    assert "26900005" in text and "犯罪" in text
    text = client.get(PAGE, {"list": "incomplete"}).content.decode()
    assert "26900006" in text and "部门核验尚未完成，不参加排名" in text
    text = client.get(PAGE, {"list": "ranked", "q": "2690000"}).content.decode()
    assert "26900002" in text and base.app.number not in text[text.index('id="results"') :]
    text = client.get(PAGE, {"q": "99"}).content.decode()
    assert "没有申请编号以“99”开头的申报" in text


def test_page_refusals_and_stop() -> None:
    base = scene()
    rnd = base.app.round
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    run = ScoringRun.objects.create(round=rnd, state=RunState.QUEUED)
    text = client.get(PAGE).content.decode()
    assert f'data-status-url="/rounds/2026/scoring/runs/{run.pk}/status/"' in text
    assert "停止评定" in text and "rounds/scoring.js" in text
    refused = client.post(PAGE, {"action": "start"})
    assert refused.status_code == 409
    assert "已有一个积分评定批次" in refused.content.decode()
    status = client.get(f"/rounds/2026/scoring/runs/{run.pk}/status/").json()
    assert status["state"] == "queued" and status["state_name"] == "排队中"
    assert status["finished"] is False
    stopped = client.post(PAGE, {"action": "stop", "run": run.pk})
    assert stopped.status_code == 302
    run.refresh_from_db()
    assert run.state == RunState.STOPPED
    # A reviewer may not see the page; nor the status.
    reviewer = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    assert reviewer.get(PAGE).status_code == 403
    assert reviewer.get(f"/rounds/2026/scoring/runs/{run.pk}/status/").status_code == 403
    assert client.get("/rounds/2031/scoring/").status_code == 404


def test_page_outside_the_scoring_phase_says_so() -> None:
    base = base_world()
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    refused = client.post(PAGE, {"action": "start"})
    assert refused.status_code == 409
    assert "积分评定阶段尚未开始" in refused.content.decode()
    assert not ScoringRun.objects.filter(round=base.app.round).exists()


def test_api_start_status_results_stop(django_capture_on_commit_callbacks) -> None:
    base = scene()
    bureau = make_staff(Role.BUREAU_ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(bureau)}"}
    from django.test import Client

    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"{API}/runs", **auth)
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["state"] == "queued"  # as it was when the request answered
    run_id = body["run"]
    status = client.get(f"{API}/runs/{run_id}", **auth).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["outcome"] == {
        "year": 2026,
        "applications": 6,
        "scored": 5,
        "eligible": 4,
        "incomplete": 1,
        "line": 136.75,
        "admitted": 3,
        "run": run_id,
    }
    runs = client.get(f"{API}/runs", **auth).json()
    assert [r["run"] for r in runs] == [run_id]
    results = client.get(f"{API}/results", **auth).json()
    assert (results["run"], results["line"], results["admitted"], results["count"]) == (
        run_id,
        136.75,
        3,
        4,
    )
    assert [(i["application_no"], i["rank"], i["admitted"]) for i in results["items"]] == [
        (base.app.number, 1, True),
        ("26900002", 2, True),
        ("26900003", 2, True),
        ("26900004", 4, False),
    ]
    bad = client.get(f"{API}/results", {"list": "ineligible"}, **auth).json()
    assert bad["items"][0]["application_no"] == "26900005"
    assert bad["items"][0]["reasons_zh"]
    found = client.get(f"{API}/results", {"q": "26900004"}, **auth).json()
    assert [i["application_no"] for i in found["items"]] == ["26900004"]
    again = client.post(f"{API}/runs/{run_id}/stop", **auth)
    assert again.status_code == 409 and "无需停止" in again.json()["message"]
    # Not the bureau: 403, in Chinese.
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    other = client.get(f"{API}/runs", HTTP_AUTHORIZATION=f"Bearer {token_for(reviewer)}")
    assert other.status_code == 403
    assert other.json()["message"] == "只有市人社局管理员可以进行积分评定"
    assert client.get(f"{API}/runs/999999", **auth).status_code == 404


def test_api_outside_the_phase_is_409_outside_window() -> None:
    base_world()
    bureau = make_staff(Role.BUREAU_ADMIN)
    from django.test import Client

    response = Client().post(f"{API}/runs", HTTP_AUTHORIZATION=f"Bearer {token_for(bureau)}")
    assert response.status_code == 409
    assert response.json()["code"] == "outside_window"
