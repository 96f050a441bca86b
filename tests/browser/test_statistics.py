"""The statistics page in a real browser: ECharts from our static files draws every chart
(a canvas each) under the Content-Security-Policy, the tables beside them hold the numbers,
and an XLSX download arrives."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.published.rebuild import data_dir
from jifen.stats.history import import_published
from tests.factories import employer_submitted, make_staff

from .conftest import PageWatch

PAST_KEYS = ["distribution", "indicators", "age", "education", "years"]


def test_the_bureau_reads_the_statistics_of_a_past_and_the_live_round(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    path = data_dir() / "beijing-settled-2020.csv"
    import_published(actor=None, year=2020, text=path.read_text(encoding="utf-8"))
    employer_submitted(2026)
    login_as(page, make_staff(Role.BUREAU_ADMIN))
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/staff/")
    page.locator("#statistics-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统计分析 · 2026 年度")
    for key in ["applications", "backlogs", "years"]:
        expect(page.locator(f'[data-chart="{key}"] canvas')).to_have_count(1)
    expect(page.locator("#stat-phases")).to_contain_text("个人申报")

    page.get_by_role("link", name="2020 年度（公布名单）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("统计分析 · 2020 年度")
    for key in PAST_KEYS:
        chart = page.locator(f'[data-chart="{key}"]')
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("canvas")).to_have_count(1)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] >= 300
    expect(page.locator("#stat-distribution")).to_contain_text(
        "分数线 97.13 分（在 95–100 分数段）"
    )
    # The table beside the chart: the 6,032 admitted of 2020 by band of five points.
    dist = page.locator('[data-table="distribution"] tbody tr')
    first_band = dist.filter(has_text="95–100")
    expect(first_band.locator("td").nth(0)).to_have_text("3563")  # counted from the CSV
    years = page.locator('[data-table="years"] tbody tr').filter(has_text="2020")
    expect(years.locator("td").nth(0)).to_have_text("97.13")
    expect(years.locator("td").nth(1)).to_have_text("6032")
    edu = page.locator('[data-table="education"]')
    expect(edu).to_contain_text("37 分（研究生（博士））")
    screenshot(page, "statistics-2020")

    with page.expect_download() as info:
        page.locator("#stat-age").get_by_role("link", name="下载 Excel（XLSX）").click()
    download = info.value
    assert download.suggested_filename == "statistics-2020-age.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(["年龄段", "人数", "其中落户"])
    assert sum(r[1] for r in rows[header + 1 :]) == 6032
    assert record.problems() == []
