"""The data comparison in a browser: a reviewer uploads a file and reads the differences; a
running comparison's bar follows the run's row every second and the page shows the result
when it ends; a refused file lists its errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jifen.core.roles import Department, Role
from jifen.review.comparisons import start_run
from jifen.review.models import ComparisonRun, RunState
from jifen.rounds.models import Round
from tests.factories import make_staff
from tests.review.compare_helpers import csv_bytes, housing_rows, two_submitted

from .conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inline(settings: Any, tmp_path: Path) -> None:
    # In the upload's request: the live server's SQLite test database is in memory (shared
    # cache), where a read beside another thread's write fails instead of waiting.
    settings.COMPARISON_RUN_INLINE = True
    settings.COMPARISON_UPLOAD_ROOT = tmp_path


def test_a_reviewer_uploads_a_file_and_reads_the_differences(
    page: Page, live_server: Any, login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch], screenshot: Callable[[Page, str], Path],
    inline: None, tmp_path: Path,
) -> None:
    a, b = two_submitted()
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    header, rows = housing_rows(a, b)
    file = tmp_path / "住房记录.csv"
    file.write_bytes(csv_bytes(header, rows, bom=True))
    login_as(page, reviewer)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="数据比对（上传部门记录）").click()
    expect(page.get_by_role("heading", name="上传部门记录")).to_be_visible()
    page.get_by_label("记录类别").select_option(label="住所")
    page.get_by_label("部门记录文件").set_input_files(str(file))
    screenshot(page, "compare-upload")
    page.get_by_role("button", name="上传并开始比对").click()

    run = ComparisonRun.objects.get()
    expect(page).to_have_url(f"{live_server.url}/review/compare/{run.pk}/")
    expect(page.locator("#run-state")).to_have_text("已完成")
    expect(page.locator("#counts")).to_contain_text("比对不一致")
    table = page.locator("#differences")
    expect(table).to_contain_text(b.number)
    expect(table).to_contain_text("2016-01～2025-12 自有产权住房 通州区")
    expect(table).not_to_contain_text(a.number)
    screenshot(page, "compare-result")
    assert record.problems() == []


def test_the_bar_follows_a_running_comparison_and_the_result_replaces_it(
    page: Page, live_server: Any, login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch], screenshot: Callable[[Page, str], Path],
) -> None:
    two_submitted()
    reviewer = make_staff(Role.REVIEWER, Department.SOCIAL_INSURANCE)
    run = start_run(round_=Round.objects.get(), kind="social_insurance", actor=reviewer,
                    file_name="社保记录.csv", size=48_000_000)
    ComparisonRun.objects.filter(pk=run.pk).update(stage="reading", done=12_000_000,
                                                   total=48_000_000)
    login_as(page, reviewer)
    record = watch(page, live_server.url)

    page.goto(f"{live_server.url}/review/compare/{run.pk}/")
    expect(page.locator("#progress-stage")).to_have_text("读取文件")
    expect(page.locator("#progress-percent")).to_have_text("25%")
    assert page.locator("#progress-bar").get_attribute("value") == "12000000"

    ComparisonRun.objects.filter(pk=run.pk).update(stage="comparing", done=90_000,
                                                   total=120_000)
    expect(page.locator("#progress-stage")).to_have_text("比对中", timeout=5000)
    expect(page.locator("#progress-percent")).to_have_text("75%")
    expect(page.locator("#progress-count")).to_have_text("90,000 / 120,000")
    expect(page.locator("li.is-done")).to_have_text(["读取文件"])
    expect(page.locator("li.is-current")).to_have_text("比对中")
    screenshot(page, "compare-progress")

    summary = {"kind": "social_insurance", "rows": 200_000, "persons": 124_800,
               "applications": 120_000, "matched": 112_936, "different": 7_064,
               "not_in_round": 4_800}
    ComparisonRun.objects.filter(pk=run.pk).update(
        state=RunState.DONE, stage="done", done=120_000, summary=summary
    )
    # The page reloads itself and shows the result, without the bar.
    expect(page.locator("#counts")).to_contain_text("112936", timeout=5000)
    expect(page.locator("#progress")).to_have_count(0)
    expect(page.locator("#run-state")).to_have_text("已完成")
    assert record.problems() == []


def test_a_refused_file_lists_its_errors(
    page: Page, live_server: Any, login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch], screenshot: Callable[[Page, str], Path],
    inline: None, tmp_path: Path,
) -> None:
    a, _ = two_submitted()
    reviewer = make_staff(Role.REVIEWER, Department.SOCIAL_INSURANCE)
    ida = a.applicant.id_number
    file = tmp_path / "社保记录.csv"
    file.write_bytes(csv_bytes(["id_number", "from", "to", "back_paid"], [
        [ida, "2008-07", "2021-13", ""],
        [ida, "2008-07", "2025-12", "2008-06"],
        [ida[:17] + "0" if ida[17] != "0" else ida[:17] + "1", "2008-07", "2025-12", ""],
    ]))
    login_as(page, reviewer)
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/review/compare/")
    page.get_by_label("记录类别").select_option(label="社会保险缴纳")
    page.get_by_label("部门记录文件").set_input_files(str(file))
    page.get_by_role("button", name="上传并开始比对").click()
    expect(page.locator("#refused")).to_contain_text("共 3 处错误")
    expect(page.locator("#errors li")).to_have_count(3)
    expect(page.locator("#errors li").first).to_contain_text("第 2 行，to 列")
    screenshot(page, "compare-refused")
    assert record.problems() == []
