"""The statistics page (/stats/) and its XLSX downloads: who may see them, what they hold."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from jifen.core.roles import Role
from jifen.stats.history import import_published
from tests.factories import employer_submitted, make_applicant, make_staff, staff_client

from .test_statistics_selectors import LIST_2020

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau() -> Client:
    import_published(actor=None, year=2020, text=LIST_2020)
    return staff_client(make_staff(Role.BUREAU_ADMIN))


def test_the_page_shows_every_chart_with_its_table_and_data(bureau: Client) -> None:
    response = bureau.get("/stats/?year=2020")
    assert response.status_code == 200
    html = response.content.decode()
    assert "统计分析 · 2020 年度" in html
    for title in (
        "积分分布与分数线",
        "各项指标平均分与占总分比例",
        "年龄段分布",
        "教育背景（按得分）",
        "历年分数线与落户人数",
    ):
        assert title in html
    for key in ("distribution", "indicators", "age", "education", "years"):
        assert f'data-chart="{key}"' in html and f'data-table="{key}"' in html
        assert f"/stats/statistics/{key}.xlsx" in html
    assert "分数线 55.00 分（在 55–60 分数段）" in html
    assert '<script src="/static/stats/echarts/echarts.min.js"></script>' in html
    # The charts' data is a JSON block, not a script (the CSP allows only our files).
    start = html.index('<script id="statistics-charts" type="application/json">')
    data = json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])
    assert data["distribution"]["markLine"]["category"] == "55–60"
    assert "<script>" not in html


def test_the_live_round_is_the_default_and_has_its_progress_tables() -> None:
    employer_submitted(2026)
    client = staff_client(make_staff(Role.BUREAU_ADMIN))
    html = client.get("/stats/").content.decode()
    assert "统计分析 · 2026 年度" in html
    assert (
        "申报进度（按状态）" in html and "各部门待核验事项" in html and "各阶段时间与状态" in html
    )


def test_auditors_see_it_read_only_others_do_not() -> None:
    import_published(actor=None, year=2020, text=LIST_2020)
    assert staff_client(make_staff(Role.AUDITOR)).get("/stats/").status_code == 200
    for user in (make_staff(Role.REVIEWER, "tax"), make_staff(Role.OPERATOR)):
        response = staff_client(user).get("/stats/")
        assert response.status_code == 403
        assert "统计分析仅供市人社局管理员和审计员查看" in response.content.decode()
        assert staff_client(user).get("/stats/statistics/years.xlsx").status_code == 403
    applicant = Client()
    applicant.force_login(make_applicant())
    assert applicant.get("/stats/").status_code == 403
    anonymous = Client().get("/stats/")
    assert anonymous.status_code == 302 and "next=/stats/" in anonymous["Location"]


def test_an_unknown_year_or_table_is_404(bureau: Client) -> None:
    assert bureau.get("/stats/?year=1999").status_code == 404
    assert bureau.get("/stats/statistics/nothing.xlsx").status_code == 404
    assert bureau.get("/stats/statistics/backlogs.xlsx?year=2020").status_code == 404


def test_the_xlsx_holds_the_table(bureau: Client) -> None:
    response = bureau.get("/stats/statistics/age.xlsx?year=2020")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2020-age.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "年龄段分布"
    assert rows[1][0] == "2020 年度 · 公布名单"
    assert rows[2][0] == "年龄按 2019 年 1 月 1 日的周岁计（由出生年月推算）"
    header = rows.index(["年龄段", "人数", "其中落户"])
    assert rows[header + 1 :] == [
        ["35 岁及以下", 2, 2],
        ["36–40 岁", 1, 1],
        ["41–45 岁", 1, 1],
        ["46–50 岁", 1, 1],
        ["51 岁及以上", 1, 1],
    ]


def test_the_years_xlsx(bureau: Client) -> None:
    response = bureau.get("/stats/statistics/years.xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="statistics-years-years.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(
        ["年度", "分数线", "落户人数", "申报人数", "公布分数线", "公布落户人数", "来源"]
    )
    by_year = {r[0]: r for r in rows[header + 1 :]}
    assert by_year[2020] == [2020, 55, 6, 122852, 97.13, 6032, "公布名单导入"]
    assert by_year[2021] == [2021, 100.88, 6045, None, 100.88, 6045, "公布数据"]


def test_the_workbenches_link_to_the_statistics() -> None:
    for role in (Role.BUREAU_ADMIN, Role.AUDITOR):
        html = staff_client(make_staff(role)).get("/staff/").content.decode()
        assert 'href="/stats/" id="statistics-link"' in html
