"""A whole round in a real browser, from its creation to settlement (issue 9's "done when").

The bureau creates the round and moves its phases with a reason (the history shows each
change); the applications are prepared through the services where a browser adds nothing
(declared, passed on, verified); the bureau starts the scoring run and watches it end, reads
the line and the admitted list, publishes; anyone opens the public list without logging in,
finds a name and files an objection; the bureau answers it and records a settlement; the
admitted applicant reads the result and the next steps. Screenshots: round-journey-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from jifen.applications import services as app_services
from jifen.core.roles import Role
from jifen.publication.models import Objection
from jifen.review.results import score_completed
from jifen.rounds import scoring
from jifen.rounds.models import Round, RoundChange, ScoringRun
from tests.factories import fill_declaration, make_applicant, make_employer, make_staff
from tests.review.results_world import World, decide
from tests.rounds.scoring_world import add_verified

from .conftest import PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2026
# The test settings run tasks at once; here the run waits in the queue (the dummy backend
# keeps it) so that the page shows it queued and follows it to its end, as with a worker.
QUEUE_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def local(when: datetime) -> str:
    """A datetime-local input's value, in Beijing time (the form's)."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def prepare_applications(round_: Round) -> Any:
    """The applicant 周晓梅 declares and is passed on by her employer, every item is verified
    (140.75), and three other verified applications: 136.75, 136.75 and 116.75."""
    applicant = make_applicant("zhou_xiaomei", name="周晓梅")
    agent = make_employer(name="北京星河科技有限公司")
    link = app_services.link_request(actor=applicant, employer_code=agent.employer.code)
    app_services.link_confirm(actor=agent, link_id=link.pk)
    app = fill_declaration(applicant, app_services.application_start(actor=applicant))
    app = app_services.application_submit(
        actor=applicant, application_id=app.pk, version=app.version
    )
    app = app_services.application_employer_submit(
        actor=agent, application_id=app.pk, version=app.version
    )
    decide(app, differ=False)
    [result] = score_completed([app.pk])
    base = World(applicant, agent, app, result)
    add_verified(base, "26900002", "no_innovation")  # 136.75
    add_verified(base, "26900003", "low_tax")  # 136.75: the tie at the line
    add_verified(base, "26900004", "bare")  # 116.75
    return base


def test_a_whole_round_in_the_browser(
    live_server: Any,
    new_page: Callable[..., Page],
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
    settings: Any,
) -> None:
    cache.clear()
    base_url = live_server.url
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-journey")
    page = new_page()
    login_as(page, bureau)
    record = watch(page, base_url)

    # --- The bureau creates the round: registration to verification open now. ---------------
    now = timezone.now().replace(second=0, microsecond=0)
    t0 = now - timedelta(days=1)
    day = timedelta(days=1)
    page.goto(base_url + "/staff/")
    page.get_by_role("link", name="年度设置").click()
    page.get_by_role("link", name="新建年度").click()
    page.get_by_label("申报年度").fill(str(YEAR))
    expect(page.get_by_label("落户指标数")).to_have_value("6000")
    windows = {
        "申报开始时间": t0, "申报截止时间": t0 + 30 * day,
        "注册与单位关联开始时间": t0, "注册与单位关联截止时间": t0 + 30 * day,
        "单位审核开始时间": t0, "单位审核截止时间": t0 + 35 * day,
        "部门核验开始时间": t0, "部门核验截止时间": t0 + 60 * day,
        "复查申请开始时间": t0 + 60 * day, "复查申请截止时间": t0 + 75 * day,
        "积分评定开始时间": t0 + 75 * day, "积分评定截止时间": t0 + 90 * day,
        "公示开始时间": t0 + 90 * day, "公示截止时间": t0 + 97 * day,
        "落户办理开始时间": t0 + 97 * day, "落户办理截止时间": t0 + 280 * day,
    }  # fmt: skip
    for label, value in windows.items():
        page.get_by_label(label, exact=True).fill(local(value))
    page.get_by_role("button", name="创建年度").click()
    expect(page.get_by_role("status").first).to_contain_text(f"已创建 {YEAR} 年度积分落户")
    timeline = page.locator("#phase-timeline")
    expect(timeline.locator("tr[data-phase='declaration']")).to_contain_text("进行中")
    expect(timeline.locator("tr[data-phase='scoring']")).to_contain_text("未开始")
    rnd = Round.objects.get(year=YEAR)
    round_url = page.url

    # The applications, through the services (the browser adds nothing here).
    world = prepare_applications(rnd)
    number = world.app.number

    def edit_round(reason: str, fields: dict[str, Any]) -> None:
        page.goto(round_url)
        page.get_by_role("link", name="变更年度参数").click()
        for label, value in fields.items():
            text = local(value) if isinstance(value, datetime) else str(value)
            page.get_by_label(label, exact=True).fill(text)
        page.get_by_role("textbox", name="变更理由").fill(reason)
        page.get_by_role("button", name="保存变更").click()
        expect(page.get_by_role("status").first).to_contain_text(f"已变更 {YEAR} 年度的")
        expect(page.locator("#round-history")).to_contain_text(reason)

    # --- The bureau closes the earlier phases, opens scoring, sets a small quota. ------------
    now = timezone.now().replace(second=0, microsecond=0)
    edit_round(
        "部门核验和复查已结束，开始积分评定；落户指标按本次演练规模调整",
        {
            "落户指标数": 2,
            "注册与单位关联截止时间": now - timedelta(hours=3),
            "申报截止时间": now - timedelta(hours=3),
            "单位审核截止时间": now - timedelta(hours=3),
            "部门核验截止时间": now - timedelta(hours=3),
            "复查申请开始时间": now - timedelta(hours=3),
            "复查申请截止时间": now - timedelta(hours=2),
            "积分评定开始时间": now - timedelta(hours=2),
        },
    )
    quota_row = page.locator("#round-history tr[data-field='quota']")
    expect(quota_row).to_contain_text("6000")
    expect(quota_row).to_contain_text("部门核验和复查已结束")
    expect(page.locator("#round-quota")).to_have_text("2")
    expect(timeline.locator("tr[data-phase='scoring']")).to_contain_text("进行中")
    expect(timeline.locator("tr[data-phase='declaration']")).to_contain_text("已结束")
    assert RoundChange.objects.filter(round=rnd).count() == 8
    screenshot(page, "round-journey-history")

    # --- The scoring run: queued, followed by the page to its end. ---------------------------
    settings.TASKS = QUEUE_ONLY
    page.goto(base_url + f"/rounds/{YEAR}/scoring/")
    expect(page.locator("#no-result")).to_have_text("本年度尚未完成积分评定。")
    page.get_by_role("button", name="开始积分评定").click()
    expect(page.locator("#progress-state")).to_have_text("排队中")
    run = ScoringRun.objects.get()
    scoring.execute_run(run, workers=1)  # what the worker does with the queued task
    # The page polls the run's status and reloads itself when the run has ended.
    expect(page.locator("#line")).to_have_text("136.75 分", timeout=15_000)
    expect(page.locator("#admitted")).to_have_text("3")
    history = page.locator("#history tbody tr").first
    expect(history).to_contain_text("已完成")
    expect(history).to_contain_text(f"第 {run.pk} 号（当前结果）")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(number)
    expect(rows.nth(0)).to_contain_text("拟落户")
    expect(rows.nth(2)).to_contain_text("26900003")
    expect(rows.nth(2)).to_contain_text("拟落户")
    expect(rows.nth(3)).to_contain_text("26900004")
    expect(rows.nth(3)).not_to_contain_text("拟落户")
    screenshot(page, "round-journey-scoring")

    # --- Publication. ------------------------------------------------------------------------
    now = timezone.now().replace(second=0, microsecond=0)
    edit_round(
        "积分评定完成，公示拟落户名单",
        {"积分评定截止时间": now - timedelta(hours=1), "公示开始时间": now - timedelta(hours=1)},
    )
    page.goto(base_url + f"/gongshi/manage/{YEAR}/")
    page.locator("#publish").click()
    expect(page.get_by_role("status")).to_contain_text("已公示 3 人（第 1 版）")
    screenshot(page, "round-journey-publish")

    # Anyone, without logging in, finds the applicant and files an objection.
    public = new_page()
    public_record = watch(public, base_url)
    public.goto(base_url + "/")
    public.get_by_role("link", name=f"{YEAR}年积分落户公示名单").click()
    expect(public.get_by_role("heading", level=1)).to_have_text(f"北京市{YEAR}年积分落户公示名单")
    table = public.locator("#gongshi-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    public.get_by_label("姓名或单位名称").fill("周晓梅")
    public.get_by_role("button", name="查询").click()
    expect(public.locator("#match-count")).to_have_text("查询到 1 人")
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("周晓梅")
    expect(row).to_contain_text("140.75")
    masked = world.applicant.applicant.id_number_masked
    expect(row).to_contain_text(masked)
    # The employer's name is readable, not a character or two a line beside the scores.
    employer = row.locator("td.employer-cell")
    expect(employer).to_have_text("北京星河科技有限公司")
    assert employer.bounding_box()["width"] > 150, employer.bounding_box()  # 12em
    assert world.applicant.applicant.id_number not in public.content()
    screenshot(public, "round-journey-gongshi")
    row.get_by_role("link", name="异议").click()
    expect(public.get_by_label("被异议人员的排名")).to_have_value("1")
    public.get_by_label("异议人姓名").fill("赵敏")
    public.get_by_label("联系电话（手机号码）").fill("13912345678")
    public.get_by_label("异议事实和理由").fill("该人员申报的荣誉表彰情况与实际不符，请核查。")
    public.get_by_role("button", name="提交异议").click()
    expect(public.get_by_role("heading", level=1)).to_have_text("异议已受理")
    receipt = Objection.objects.get().receipt_no
    expect(public.locator("#receipt-no")).to_have_text(receipt)
    screenshot(public, "round-journey-objection-receipt")
    assert public_record.problems() == []

    # The bureau answers it.
    page.goto(base_url + f"/gongshi/manage/{YEAR}/")
    page.get_by_role("link", name="办理异议").click()
    page.get_by_role("link", name=receipt).click()
    expect(page.get_by_text("赵敏，13912345678")).to_be_visible()
    page.get_by_label("答复内容及理由").fill("经核查，该人员的劳动模范表彰属实，异议不成立。")
    page.get_by_role("button", name="答复").click()
    expect(page.locator("#objection-state")).to_have_text("已答复")
    screenshot(page, "round-journey-objection-answered")

    # --- Settlement: the tie at the line settles; 周晓梅 has yet to. --------------------------
    now = timezone.now().replace(second=0, microsecond=0)
    edit_round("公示无异议成立，开始办理落户", {"落户办理开始时间": now - timedelta(hours=1)})
    expect(timeline.locator("tr[data-phase='settlement']")).to_contain_text("进行中")
    page.goto(base_url + f"/gongshi/manage/{YEAR}/settlement/")
    settle = page.locator("#settlement-table tbody tr").nth(2)
    expect(settle).to_contain_text("136.75")
    settle.get_by_label("办理结果").select_option("settled")
    settle.get_by_label("落户日期").fill(timezone.localdate().isoformat())
    settle.get_by_role("button", name="记录").click()
    expect(page.locator("#count-settled")).to_have_text("1")
    expect(page.locator("#count-admitted")).to_have_text("3")
    expect(page.locator("#count-pending")).to_have_text("2")
    expect(page.locator("#settlement-table tbody tr").nth(2)).to_contain_text("已办理落户")
    screenshot(page, "round-journey-settlement")
    assert record.problems() == []

    # --- The admitted applicant reads the result and the next steps. -------------------------
    mine = new_page()
    login_as(mine, world.applicant)
    mine_record = watch(mine, base_url)
    mine.goto(base_url + "/gongshi/my/")
    expect(mine.locator("#final-total")).to_have_text("140.75")
    expect(mine.locator("#final-rank")).to_have_text("第 1 名")
    expect(mine.locator("#final-admitted")).to_have_text("拟落户")
    steps = mine.locator("#next-steps")
    expect(steps).to_contain_text("落户办理须知")
    expect(steps).to_contain_text(f"{YEAR}年度落户办理阶段为")
    screenshot(mine, "round-journey-my-result")
    assert mine_record.problems() == []
