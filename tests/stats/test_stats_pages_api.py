"""The ad-hoc statistics and what-if pages and API: who may use them, a refused question keeps
what was typed, answers and XLSX downloads."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.rounds.models import RankedResult
from tests.factories import make_staff, staff_client
from tests.stats.adhoc_world import build

pytestmark = pytest.mark.django_db

ADHOC, WHATIF = "/stats/adhoc/", "/stats/whatif/"


@pytest.fixture
def boss_client():
    return staff_client(make_staff(Role.BUREAU_ADMIN))


def test_only_bureau_administrators_with_the_second_factor():
    for role, department in ((Role.REVIEWER, Department.TAX), (Role.AUDITOR, "")):
        client = staff_client(make_staff(role, department))
        for url in (ADHOC, WHATIF):
            response = client.get(url)
            assert response.status_code == 403
    # Signed in but without the second factor: sent to the code page first.
    boss = make_staff(Role.BUREAU_ADMIN)
    client = Client()
    client.force_login(boss)
    response = client.get(ADHOC)
    assert response.status_code == 302 and ADHOC not in response["Location"].split("?")[0]
    assert Client().get(WHATIF).status_code == 302  # anonymous: the login page


def test_the_adhoc_page_answers(boss_client):
    build(24)
    page = boss_client.get(ADHOC)
    assert page.status_code == 200
    assert "应急统计" in page.content.decode() and "小样本隐去规则" in page.content.decode()
    response = boss_client.post(
        ADHOC,
        {
            "group1": "employer_district",
            "group2": "",
            "measures": ["count", "avg:total"],
            "f0_field": "year",
            "f0_op": "eq",
            "f0_value": "2026",
            "action": "run",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "按单位所在区分组；条件：申报年度等于2026" in html
    assert "<td>海淀区</td><td>12</td>" in html
    assert "<td>合计</td><td>24</td>" in html
    assert AuditEvent.objects.filter(action="stats.adhoc_run").count() == 1


def test_a_refused_question_keeps_what_was_typed(boss_client):
    build(3)
    response = boss_client.post(
        ADHOC,
        {
            "group1": "sex",
            "group2": "employer_district",
            "f1_field": "total",
            "f1_op": "range",
            "f1_value": "一百",
            "f1_upper": "140",
            "action": "run",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "「总积分」的取值须为数字，“一百”不是" in html
    assert 'value="一百"' in html and 'value="140"' in html
    assert '<option value="employer_district" selected>' in html
    assert '<option value="total" selected>' in html
    assert not AuditEvent.objects.filter(action__startswith="stats.").exists()


def test_the_adhoc_xlsx_download(boss_client):
    build(24)
    response = boss_client.post(ADHOC, {"group1": "sex", "action": "export"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["应急统计"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=5)]
    assert rows == [["性别", "人数"], ["女", 12], ["男", 12], ["合计", 24]]
    assert AuditEvent.objects.filter(action="stats.adhoc_export").count() == 1


def test_a_round_too_big_for_a_request_is_computed_in_the_background(
    boss_client, settings, django_capture_on_commit_callbacks
):
    """Above STATS_WHATIF_MAX the page queues a job (django-tasks; immediate in the tests) and
    follows it; the outcome and its XLSX are the job's, readable by its bureau user only."""
    build(24)
    settings.STATS_WHATIF_MAX = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = boss_client.post(WHATIF, {"year": "2026", "quota": "5", "action": "run"})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(WHATIF + "?job=")
    html = boss_client.get(location).content.decode()
    assert "落户指标数由10调整为5" in html and "不再取得落户资格" in html
    assert 'value="5"' in html  # the scenario shown as it was typed
    assert AuditEvent.objects.filter(action="stats.whatif").count() == 1
    export = boss_client.get(location + "&export=1")
    assert export.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(export.content))["模拟测算"].max_row > 1
    other = staff_client(make_staff(Role.BUREAU_ADMIN))
    refused = other.get(location)  # not theirs: as if it were not there
    assert refused.status_code == 404
    assert "落户指标数由10调整为5" not in refused.content.decode()


def test_a_running_job_refreshes_the_page(boss_client, settings):
    """Queued (no worker yet): the page says so and refreshes itself."""
    build(24)
    settings.STATS_WHATIF_MAX = 10
    response = boss_client.post(WHATIF, {"year": "2026", "action": "run"})
    html = boss_client.get(response["Location"]).content.decode()
    assert "正在后台测算" in html and "排队中" in html
    assert '<meta http-equiv="refresh" content="3">' in html


def test_the_whatif_page(boss_client):
    w = build(24)
    rows_before = RankedResult.objects.count()
    page = boss_client.get(WHATIF)
    assert '<option value="2026" selected>' in page.content.decode()
    response = boss_client.post(WHATIF, {"year": "2026", "quota": "5", "action": "run"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "落户指标数由10调整为5" in html
    assert "不再取得落户资格" in html and f"第{w.run.pk}号" in html
    assert RankedResult.objects.count() == rows_before
    refused = boss_client.post(
        WHATIF,
        {
            "year": "2026",
            "parameter": "honours.points",
            "value": "很多",
            "quota": "五",
            "action": "run",
        },
    )
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "落户指标数须为正整数，“五”不是" in html
    assert 'value="很多"' in html and 'value="五"' in html
    export = boss_client.post(WHATIF, {"year": "2026", "quota": "5", "action": "export"})
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content))["模拟测算"]
    assert sheet["A2"].value == "落户指标数由10调整为5"


# ---------------------------------------------------------------- API


def test_adhoc_api(boss_client):
    build(24)
    fields = boss_client.get("/api/stats/adhoc/fields").json()
    assert fields["minimum"] == 10
    sex = next(f for f in fields["fields"] if f["key"] == "sex")
    assert sex == {
        "key": "sex",
        "label": "性别",
        "kind": "choice",
        "ops": ["eq", "in"],
        "groupable": True,
        "measurable": False,
        "choices": [{"value": "M", "label": "男"}, {"value": "F", "label": "女"}],
    }
    answer = boss_client.post(
        "/api/stats/adhoc",
        {
            "group_by": ["admitted"],
            "measures": ["count", "max:total"],
            "filters": [
                {"field": "sex", "op": "eq", "value": "男"},
                {"field": "employer_district", "op": "in", "value": "海淀区、通州区"},
            ],
        },
        content_type="application/json",
    ).json()
    assert answer["headers"] == ["取得落户资格（当前积分评定）", "人数", "总积分（最高）"]
    assert [r["kind"] for r in answer["rows"]] == ["cell", "cell", "total"]
    assert answer["rows"][1]["hidden"] is True and answer["rows"][1]["count"] is None
    assert answer["rows"][1]["shown"][1] == "<10"
    assert answer["rows"][2]["count"] == 12
    bad = boss_client.post(
        "/api/stats/adhoc",
        {"group_by": ["sex"], "filters": [{"field": "year", "op": "eq", "value": "next"}]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "filters[0].value", "message": "「申报年度」的取值须为整数，“next”不是"}
    ]
    xlsx = boss_client.post(
        "/api/stats/adhoc/xlsx", {"group_by": ["sex"]}, content_type="application/json"
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_whatif_api(boss_client):
    build(24)
    params = boss_client.get("/api/stats/whatif/parameters").json()
    assert {"key": "honours.points", "label": "荣誉表彰：积分", "kind": "points"} in params
    body = boss_client.post(
        "/api/stats/whatif?limit=3", {"year": 2026, "quota": 5}, content_type="application/json"
    ).json()
    assert body["description"] == "落户指标数由10调整为5"
    assert body["after"]["quota"] == 5 and body["drops_out"] == 6
    assert len(body["differences"]) == 3
    assert body["differences"][0]["change"] == "out"
    assert body["differences"][0]["why"][0].startswith("落户指标数调整为5")
    refused = boss_client.post(
        "/api/stats/whatif", {"year": 2026, "rule_set": "nowhere"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "rule_set"


def test_the_api_refuses_other_roles():
    client = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    assert client.get("/api/stats/adhoc/fields").status_code == 403
    assert (
        client.post(
            "/api/stats/whatif", {"year": 2026}, content_type="application/json"
        ).status_code
        == 403
    )
