"""A reviewer's day, end to end in a real browser (issue 8): upload → queue → decision → the
applicant sees the explained result → disputes → gets the answer.

Two applications of the 2026 round have been passed on by their employers (both declared
``full_declaration(2026)``, 140.75 points). Nine kinds are compared by the command with the
departments' CSV files, all agreeing; the social insurance file goes through the upload page,
its bar followed to 完成; employment is left waiting (人社 sent no file). The social insurance
department's reviewer finds 王素芳's insurance different in the queue (its file starts in
2009-01), corrects it from the paper archive to 2008-10 with a reason, confirms her waiting
employment item as declared; her first result is then out: 140.00 (205 insured months × 0.25
instead of 208). She reads it from the message centre, disputes the insurance with a statement
and a file; the reviewer changes it back to her declaration; she is told and reads 140.75.

Every page is watched for console errors, CSP violations, failed responses and requests to
other origins. Screenshots of the queue, the item, the comparison and the result pages.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, Route, expect

from jifen.applications import services as app_services
from jifen.applications.models import Application
from jifen.core.roles import Department, Role
from jifen.inbox.models import Message
from jifen.review import comparison_uploads
from jifen.review.models import ComparisonRun, Decision, Dispute, FirstResult, VerificationItem
from tests.factories import (
    employer_submitted,
    fill_declaration,
    id_number,
    make_applicant,
    make_employer,
    make_staff,
)
from tests.files import PDF
from tests.review.compare_helpers import csv_bytes
from tests.review.results_world import open_recheck

from .conftest import MOBILE_VIEWPORT, PageWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2026
SECOND_EMPLOYER = "北京云帆数据服务有限公司"
CORRECTION_REASON = (
    "经调取社保经办机构纸质档案，2008年10月至12月的缴费记录属实，予以补录；2008年7月至9月无缴费记录"
)
STATEMENT = "2008年7月起单位即为我缴纳社会保险，附当年的缴费凭证"
ANSWER_REASON = "经核实单位提供的2008年缴费凭证，2008年7月至9月已足额缴纳，予以认定"

# Keeps what the comparison's progress box shows when the page is left (sessionStorage).
SHOWN_AT_PAGEHIDE = """() => addEventListener("pagehide", () => {
    const text = (id) => document.getElementById(id).textContent;
    const stages = (cls) => [...document.querySelectorAll(`.compare-stages li.${cls}`)]
        .map((li) => li.textContent);
    const bar = document.getElementById("progress-bar");
    sessionStorage.setItem("shown", JSON.stringify({
        stage: text("progress-stage"), percent: text("progress-percent"),
        count: text("progress-count"), bar: [bar.value, bar.max],
        current: stages("is-current"), done: stages("is-done"),
    }));
})"""


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> list:
    """Uploaded comparisons are not started by the upload: the test runs them itself, while
    the page's bar waits (the live server's SQLite test database is in memory, where a read
    beside another thread's write fails instead of waiting, so the two must not overlap)."""
    settings.COMPARISON_UPLOAD_ROOT = tmp_path / "uploads"
    started: list[tuple[int, str]] = []
    monkeypatch.setattr(comparison_uploads, "start_in_background",
                        lambda run_id, path: started.append((run_id, path)))
    return started


@pytest.fixture
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


class Gate:
    """Holds the requests a route matches until ``release()`` (the sync API answers a route
    only inside a Playwright call, so a held request stays in the browser meanwhile)."""

    def __init__(self, page: Page, url: str) -> None:
        self.page, self.url = page, url
        self.held: list[Route] = []
        self.closed = True
        page.route(url, self._on)

    def _on(self, route: Route) -> None:
        if self.closed:
            self.held.append(route)
        else:
            route.continue_()

    def wait_for_request(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.held:
            assert time.monotonic() < deadline, f"no request to {self.url}"
            self.page.wait_for_timeout(50)

    def release(self) -> None:
        self.closed = False
        for route in self.held:
            route.continue_()
        self.held.clear()




def second_submitted() -> Application:
    """李志强 of another employer, with the same declaration, passed on to the departments."""
    applicant = make_applicant(name="李志强", birth="19850612", sex="M")
    agent = make_employer(name=SECOND_EMPLOYER)
    link = app_services.link_request(actor=applicant, employer_code=agent.employer.code)
    app_services.link_confirm(actor=agent, link_id=link.pk)
    app = fill_declaration(applicant, app_services.application_start(actor=applicant))
    app = app_services.application_submit(actor=applicant, application_id=app.pk,
                                          version=app.version)
    return app_services.application_employer_submit(actor=agent, application_id=app.pk,
                                                    version=app.version)


def compare_by_command(ids: list[str], folder: Path) -> None:
    """The nine kinds of 公安, 住建, 教育, 税务, 科技 and the awarding bodies, each a complete
    file in which everyone's records agree with the declaration (compared by the command)."""
    each = {
        "permits": (["id_number"], [[]]),
        "criminal_records": (["id_number"], []),
        "detentions": (["id_number", "date"], []),
        "housing": (["id_number", "kind", "from", "to", "district"], [
            ["rented", "2008-07", "2015-12", "海淀区"], ["owned", "2016-01", "2025-12", "通州区"],
        ]),
        "education": (["id_number", "level", "degree", "full_time", "from", "to"], [
            ["bachelor", "bachelor", "true", "2004-09", "2008-06"],
        ]),
        "tax": (["id_number", "year", "amount"], [
            ["2023", "120000"], ["2024", "80000"], ["2025", "150000.50"],
        ]),
        "tax_offences": (["id_number", "date"], []),
        "innovation": (["id_number", "code"], [["contest.municipal.third"]]),
        "honours": (["id_number", "code"], [["model_worker"]]),
    }
    for kind, (header, records) in each.items():
        file = folder / f"{kind}.csv"
        file.write_bytes(csv_bytes(header, [[n, *r] for n in ids for r in records]))
        out = io.StringIO()
        call_command("compare_records", "--year", str(YEAR), "--kind", kind, str(file),
                     stdout=out)
        summary = json.loads(out.getvalue().strip().splitlines()[-1])
        assert (summary["matched"], summary["different"]) == (2, 0), (kind, summary)


def test_a_reviewers_day(
    deferred: list, evidence_root: Path, live_server: Any, new_page: Callable[..., Page],
    login_as: Callable[[Page, Any], None], watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path], tmp_path: Path,
) -> None:
    base = live_server.url
    applicant_user, _, app = employer_submitted(YEAR)
    other = second_submitted()
    ida, idb = app.applicant.id_number, other.applicant.id_number
    compare_by_command([ida, idb], tmp_path)
    open_recheck(app)
    reviewer = make_staff(Role.REVIEWER, Department.SOCIAL_INSURANCE)
    watches: list[PageWatch] = []

    # --- 人社 uploads its social insurance file; the bar follows the run to 完成 -----------
    file = tmp_path / "社会保险缴纳记录.csv"
    file.write_bytes(csv_bytes(["id_number", "from", "to", "back_paid"], [
        [ida, "2009-01", "2025-12", "2010-03;2010-04"],
        [idb, "2008-07", "2012-12", "2010-03;2010-04"],  # split differently, still the same
        [idb, "2013-01", "2025-12", ""],
        [id_number("19790203", "M", 777), "2001-01", "2025-12", ""],  # not in the round
    ], bom=True))
    staff = new_page()
    login_as(staff, reviewer)
    watches.append(watch(staff, base))
    status_gate = Gate(staff, "**/review/compare/*/status/")
    staff.goto(base + "/staff/")
    staff.get_by_role("link", name="数据比对（上传部门记录）").click()
    staff.get_by_label("记录类别").select_option(label="社会保险缴纳")
    staff.get_by_label("部门记录文件").set_input_files(str(file))
    staff.get_by_role("button", name="上传并开始比对").click()

    expect(staff.locator("#progress-title")).to_have_text("比对进度")
    [(run_id, stored)] = deferred
    run_url = f"{base}/review/compare/{run_id}/"
    expect(staff).to_have_url(run_url)
    expect(staff.locator("#run-state")).to_have_text("比对中")
    expect(staff.locator("#progress-percent")).to_have_text("0%")
    screenshot(staff, "journey-compare-running")
    status_gate.wait_for_request()  # the page asks; nothing of it is at the server now
    comparison_uploads.run_uploaded(run_id, stored)
    assert ComparisonRun.objects.get(pk=run_id).summary["different"] == 1
    # The page reloads itself once the run has finished: what its bar showed last is kept
    # for after the reload (a locator cannot read a page that is being replaced).
    staff.evaluate(SHOWN_AT_PAGEHIDE)
    status_gate.release()
    expect(staff.locator("#run-state")).to_have_text("已完成")
    expect(staff.locator("#progress")).to_have_count(0)
    assert staff.evaluate("() => JSON.parse(sessionStorage.getItem('shown'))") == {
        "stage": "完成", "percent": "100%", "count": "2 / 2", "bar": [2, 2],
        "current": ["完成"],
        "done": ["读取文件", "比对中", "写入结果", "计算初核结果", "异常信号检测"],
    }
    counts = staff.locator("#counts")
    for name, value in [("文件记录行数", "4"), ("文件涉及人数", "3"), ("比对申报数", "2"),
                        ("比对一致", "1"), ("比对不一致", "1"), ("不在本年度申报中的人数", "1")]:
        expect(counts.locator("div").filter(has_text=name).locator("dd")).to_have_text(value)
    differences = staff.locator("#differences tbody tr")
    expect(differences).to_have_count(1)
    expect(differences.locator("td")).to_have_text(
        [app.number, "王**", "缴费 2008-07～2008-12", "—", "查看核验事项"])
    screenshot(staff, "journey-compare-result")

    # --- the queue: filtered to what differs, the item side by side, a correction ---------
    staff.goto(base + "/staff/")
    expect(staff.locator("#queue-waiting")).to_have_text("2")  # both employment items
    staff.locator("#open-queue").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("核验工作队列 · 2026 年度")
    chips = staff.locator("#state-chips")
    expect(chips.get_by_role("link", name="比对不一致 1")).to_be_visible()
    expect(chips.get_by_role("link", name="待核验 2")).to_be_visible()
    rows = staff.locator("#queue-table tbody tr")
    expect(rows).to_have_count(4)
    filters = staff.locator("#queue-filter")
    filters.get_by_label("核验事项").select_option(label="社会保险缴纳")
    filters.get_by_label("比对结果").select_option(label="比对不一致")
    filters.get_by_role("button", name="筛选", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text(app.number)
    expect(rows.first.locator("td").nth(2)).to_have_text("社会保险缴纳")
    expect(rows.first.locator("td").nth(3)).to_have_text("北京星河科技有限公司")
    expect(rows.first.locator("td").nth(4)).to_have_text("比对不一致")
    screenshot(staff, "journey-queue")

    staff.get_by_role("link", name=f"办理 {app.number} 社会保险缴纳").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("社会保险缴纳 · 申请编号")
    expect(staff.locator("#compare-title + p")).to_have_text(
        "数据比对结果：申报内容与部门记录不一致，差异已标出。")
    expect(staff.locator("#declared .value-lines")).to_contain_text("2008-07～2025-12")
    expect(staff.locator("#recorded .value-lines")).to_contain_text("2009-01～2025-12")
    expect(staff.locator(".diff-only-declared")).to_contain_text("2008-07～2008-12")
    expect(staff.locator("#id-number")).not_to_contain_text(ida[6:14])  # masked
    editor_rows = staff.locator("#value-rows tbody tr.value-row")
    first = editor_rows.nth(0)
    expect(first.get_by_label("起始年月")).to_have_value("2009-01")
    first.get_by_label("起始年月").fill("2008-10")
    staff.locator("#id_correct-reason").fill(CORRECTION_REASON)
    screenshot(staff, "journey-item")
    staff.get_by_role("button", name="更正").click()
    expect(staff.locator("#item-state")).to_have_text("已更正")
    history = staff.locator("#history tbody tr").first
    expect(history).to_contain_text("更正")
    expect(history).to_contain_text(CORRECTION_REASON)
    assert not FirstResult.objects.filter(application=app).exists()  # employment waits

    staff.get_by_role("link", name="← 返回核验工作队列").click()
    chips.get_by_role("link", name="待核验 2").click()
    expect(rows).to_have_count(2)
    expect(rows.locator("td:nth-child(4)")).to_have_text(
        ["北京星河科技有限公司", SECOND_EMPLOYER])
    filters.get_by_label("用人单位").fill("星河")
    filters.get_by_role("button", name="筛选", exact=True).click()
    expect(rows).to_have_count(1)
    staff.get_by_role("link", name=f"办理 {app.number} 就业地（社保缴纳单位所在区）").click()
    expect(staff.locator("#recorded")).to_contain_text("（尚无）")
    expect(staff.locator("#declared")).to_contain_text("通州区")
    staff.locator("#confirm-form").get_by_role("button", name="确认").click()
    expect(staff.locator("#item-state")).to_have_text("已确认")
    result = FirstResult.objects.get(application=app)
    assert float(result.total) == 140.0
    assert not FirstResult.objects.filter(application=other).exists()

    # --- the applicant: the message, the explained result, a re-check ----------------------
    me = new_page()
    login_as(me, applicant_user)
    watches.append(watch(me, base))
    me.goto(base + "/my/")
    nav = me.get_by_role("navigation", name="账户")
    nav.get_by_role("link", name="站内消息（未读1条）").click()
    me.get_by_role("link", name="您的积分初核结果已发布").click()
    expect(me.locator("#message-body")).to_contain_text(
        "您2026年度积分落户申报的各项信息已完成部门核验，初核结果已发布。")
    me.get_by_role("link", name="前往查看").click()
    expect(me).to_have_url(f"{base}/review/my/{YEAR}/")
    expect(me.locator("#result-total")).to_have_text("初核总分 140.00 分")
    expect(me.locator("#declared-total")).to_have_text("140.75 分")
    expect(me.locator("#different-count")).to_have_text("1 项")
    expect(me.locator("#eligibility")).to_have_text("按核验后的信息，符合积分落户申请条件。")
    differing = me.locator("#indicator-table tbody tr.row-differs")
    expect(differing).to_have_count(1)
    expect(differing.locator("th")).to_have_text("合法稳定就业")
    expect(differing.locator("td").nth(0)).to_have_text("52.00")
    expect(differing.locator("td").nth(1)).to_contain_text("51.25")
    insurance = me.locator("#kind-social_insurance")
    expect(insurance).to_contain_text("与申报不一致")
    expect(insurance.locator(".value-pair > div").nth(0)).to_contain_text("2008-07～2025-12")
    expect(insurance.locator(".value-pair > div").nth(1)).to_contain_text("2008-10～2025-12")
    expect(insurance.locator(".diff-declared")).to_have_text("缴费 2008-07～2008-09")
    expect(insurance.locator(".dept-reason")).to_have_text(f"部门理由：{CORRECTION_REASON}")
    expect(me.locator("#plain-kinds tbody tr")).to_have_count(10)
    screenshot(me, "journey-result")

    receipt = tmp_path / "2008年缴费凭证.pdf"
    receipt.write_bytes(PDF)
    choice = me.locator("#choice-social_insurance")
    choice.get_by_role("checkbox").check()
    choice.locator("textarea").fill(STATEMENT)
    choice.locator("input[type=file]").set_input_files(str(receipt))
    me.get_by_role("button", name="提交复查申请").click()
    expect(me.locator("#recheck-state")).to_have_text(
        re.compile(r"^已申请复查 您已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 申请复查 1 项，"))
    expect(insurance).to_contain_text(f"您的复查申请：{STATEMENT}")
    expect(insurance).to_contain_text("复查中 核验部门正在复查。")

    # --- the department answers: changed -----------------------------------------------------
    dispute = Dispute.objects.get()
    staff.goto(base + "/staff/")
    staff.locator("#recheck-link").click()
    staff.get_by_role("link", name=f"办理复查 {app.number}").click()
    expect(staff.locator("#statement")).to_have_text(STATEMENT)
    expect(staff.locator("#recheck-evidence")).to_contain_text("2008年缴费凭证.pdf")
    expect(staff.locator(".dept-reason")).to_have_text(f"核验理由：{CORRECTION_REASON}")
    form = staff.locator("#answer-form")
    expect(form.locator("#value-rows tbody tr.value-row").first.get_by_label("起始年月")
           ).to_have_value("2008-07")  # the editor starts from the declaration
    form.get_by_label("变更核验结果").check()
    form.get_by_label("答复理由").fill(ANSWER_REASON)
    screenshot(staff, "journey-recheck")
    form.get_by_role("button", name="提交答复").click()
    expect(staff.locator("#outcome")).to_have_text("变更核验结果")
    expect(staff.locator("#answer-text")).to_have_text(ANSWER_REASON)
    last = Decision.objects.filter(item=dispute.item).order_by("-id").first()
    assert (last.action, last.source) == ("correct", "recheck")

    # --- the applicant is told, and reads the new score --------------------------------------
    me.goto(base + "/messages/")
    expect(nav.get_by_role("link", name="站内消息（未读1条）")).to_be_visible()
    me.get_by_role("link", name="您的复查申请已答复").click()
    expect(me.locator("#message-body")).to_have_text(
        "您对“社会保险缴纳”核验结果的复查申请已答复：变更核验结果。\n"
        f"答复理由：{ANSWER_REASON}\n"
        "复查后您的初核总分为 140.75 分（原 140.00 分）。",
        use_inner_text=True,
    )
    me.get_by_role("link", name="前往查看").click()
    expect(me.locator("#result-total")).to_have_text("初核总分 140.75 分")
    expect(me.locator("#indicator-table tbody tr.row-differs")).to_have_count(0)
    expect(me.locator(f"#dispute-{dispute.pk}-answer")).to_contain_text(
        f"变更核验结果 {ANSWER_REASON}")
    expect(me.locator("#summary-title + .score-total + .kv")).to_contain_text("复查后结果")
    screenshot(me, "journey-result-after-recheck")

    # The same result on a phone: nothing wider than the screen (tables become cards).
    phone = new_page(viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True)
    login_as(phone, applicant_user)
    watches.append(watch(phone, base))
    phone.goto(f"{base}/review/my/{YEAR}/")
    expect(phone.locator("#result-total")).to_have_text("初核总分 140.75 分")
    assert phone.evaluate("() => document.documentElement.scrollWidth") == 390
    cell = phone.locator("#indicator-table tr[data-indicator=employment] td.basis")
    expect(cell).to_contain_text("统计期 1998-07 至 2025-12 内共 208 个缴费月 × 0.25 分")
    box, reference = cell.bounding_box(), cell.locator(".help").bounding_box()
    assert box and reference
    # The reference under the basis, as wide as it (not a narrow third column beside it).
    assert reference["y"] > box["y"] + 40 and reference["width"] > 150, (box, reference)
    screenshot(phone, "journey-result-phone")

    assert Message.objects.filter(recipient=applicant_user).count() == 2
    assert VerificationItem.objects.get(application=app, kind="social_insurance").state == (
        "corrected")
    assert [record.problems() for record in watches] == [[], [], []]
