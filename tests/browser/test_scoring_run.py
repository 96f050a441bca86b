"""The scoring run in a browser: the bureau starts it and reads the line and the lists; a
running run's bar follows the run's row every second (counts, rate, time left), survives a
reload, and the page shows the outcome when the run ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.rounds import scoring
from jifen.rounds.models import Round, RunState, ScoringRun
from tests.factories import make_staff
from tests.rounds.scoring_world import add_unverified, add_verified, base_world, open_scoring

from .conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scene() -> Any:
    base = base_world()  # 140.75
    rnd = open_scoring(base.app.round)
    add_verified(base, "26900002", "no_innovation")  # 136.75
    add_verified(base, "26900003", "low_tax")  # 136.75
    add_verified(base, "26900004", "bare")  # 116.75
    add_verified(base, "26900005", "criminal")
    add_unverified(base, "26900006")
    Round.objects.filter(pk=rnd.pk).update(quota=2)
    return base


def test_the_bureau_starts_a_run_and_reads_the_lists(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    base = scene()
    login_as(page, make_staff(Role.BUREAU_ADMIN))
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/rounds/2026/scoring/")
    expect(page.get_by_role("heading", name="2026 年度积分评定")).to_be_visible()
    expect(page.locator("#no-result")).to_have_text("本年度尚未完成积分评定。")
    # The test settings' immediate backend runs the task when the request's transaction
    # commits: the redirect shows the result.
    page.get_by_role("button", name="开始积分评定").click()
    run = ScoringRun.objects.get()
    expect(page.locator("#line")).to_have_text("136.75 分")
    expect(page.locator("#admitted")).to_have_text("3")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(base.app.number)
    expect(rows.nth(1)).to_contain_text("26900002")
    expect(rows.nth(2)).to_contain_text("26900003")
    expect(rows.nth(2)).to_contain_text("拟落户")
    expect(rows.nth(3)).to_contain_text("26900004")
    expect(page.locator("#history")).to_contain_text(f"第 {run.pk} 号（当前结果）")
    screenshot(page, "scoring-result")

    page.get_by_role("link", name="不符合申报条件").click()
    expect(page.locator("#results")).to_contain_text("26900005")
    expect(page.locator("#results")).to_contain_text("犯罪")
    page.get_by_role("link", name="核验未完成").click()
    expect(page.locator("#results")).to_contain_text("部门核验尚未完成，不参加排名")
    page.get_by_role("link", name="排名名单").click()
    page.get_by_label("申请编号").fill("26900004")
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("26900004")
    assert record.problems() == []


def test_the_bar_follows_a_running_run_and_the_page_shows_the_end(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    base = scene()
    rnd = base.app.round
    first = scoring.execute_run(scoring.create_run(actor=None, round=rnd), workers=1)
    bureau = make_staff(Role.BUREAU_ADMIN)
    started = timezone.now() - timedelta(seconds=10)
    run = ScoringRun.objects.create(
        round=rnd,
        state=RunState.RUNNING,
        started_by=bureau,
        started_at=started,
        stage="scoring",
        total=1_000_000,
        done=250_000,
        summary={"stage_started_at": started.isoformat()},
    )
    login_as(page, bureau)
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/rounds/2026/scoring/")
    expect(page.locator("#progress-stage")).to_have_text("计算积分")
    expect(page.locator("#progress-percent")).to_have_text("25%")
    expect(page.locator("#progress-rate")).to_contain_text("每秒")
    expect(page.locator("#progress-left")).to_contain_text("预计还需")
    expect(page.locator("#line")).to_have_text("136.75 分")  # the previous results stand

    ScoringRun.objects.filter(pk=run.pk).update(stage="writing", done=600_000)
    expect(page.locator("#progress-stage")).to_have_text("写入结果", timeout=5000)
    expect(page.locator("#progress-percent")).to_have_text("60%")
    expect(page.locator("#progress-count")).to_have_text("600,000 / 1,000,000")
    screenshot(page, "scoring-progress")
    page.reload()  # the state is on the run's row
    expect(page.locator("#progress-percent")).to_have_text("60%")

    page.get_by_role("button", name="停止评定").click()
    expect(page.locator("#stopping")).to_contain_text("正在停止")
    expect(page.locator("#stop-run")).to_have_text("强制停止")
    ScoringRun.objects.filter(pk=run.pk).update(
        state=RunState.STOPPED,
        error="已按要求停止，本年度原有结果未改变",
        finished_at=timezone.now(),
    )
    # The page reloads itself when the run has ended: no bar, the history says why.
    expect(page.locator("#progress")).to_have_count(0, timeout=5000)
    expect(page.locator("#history")).to_contain_text("已按要求停止，本年度原有结果未改变")
    expect(page.locator("#history")).to_contain_text(f"第 {first.pk} 号（当前结果）")
    expect(page.get_by_role("button", name="开始积分评定")).to_be_visible()
    screenshot(page, "scoring-stopped")
    assert record.problems() == []
