"""The whole declaration in a real browser, as the people doing it would click through it.

An employer agent registers and reads its 单位注册码 off the page; an applicant registers in a
second browser context, links to the employer with that code, and once the agent has confirmed
fills every section of the declaration through the form controls (typing, selecting, ticking,
adding a row, uploading a PDF), relying on the page's autosave. The applicant reads the
self-assessment, submits; the agent opens the declaration, reveals the identity number (an
audited access) and passes it on to the departments. Every page is watched for console errors,
CSP violations and requests to other origins.

With ``JIFEN_SCREENSHOTS=1`` the screenshots of the main pages land in docs/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, Route, expect

from jifen.accounts.models import User
from jifen.applications import services
from jifen.applications.models import Application, Evidence, Status
from jifen.applications.selectors import assess
from jifen.audit.models import AuditEvent
from tests.factories import (
    PASSWORD,
    credit_code,
    full_declaration,
    id_number,
    linked_pair,
    make_round,
)
from tests.files import PDF, PNG

from .conftest import PageWatch

pytestmark = pytest.mark.browser

YEAR = 2026
EMPLOYER_NAME = "北京星河科技有限公司"
APPLICANT_NAME = "王素芳"
# Deducted: an administrative detention inside the look-back window of the 2026 round.
VIOLATION = {"kind": "administrative_detention", "date": "2023-05-10"}
SAVED_AT = re.compile(r"^已自动保存 \d{2}:\d{2}:\d{2}$")  # saved, and no problems reported

Screenshot = Callable[[Page, str], Path]
Watch = Callable[[Page, str], PageWatch]


@pytest.fixture
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a temporary folder, not the working copy's var/."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


# --- helpers -----------------------------------------------------------------------------------


def labelled(page: Page, label: str) -> Locator:
    """The input whose label reads ``label`` (a required field's label ends in a "*" that
    screen readers skip but Playwright's label matching reads)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def fill_form(page: Page, values: dict[str, str]) -> None:
    """Type into the inputs labelled with the keys."""
    for label, value in values.items():
        labelled(page, label).fill(value)


def field_box(page: Page, label: str) -> Locator:
    """The ``.field`` block of the input labelled ``label``: its errors are shown inside."""
    return page.locator(".field").filter(has=labelled(page, label))


def expect_section(page: Page, title: str) -> None:
    expect(page.locator("#section-title")).to_have_text(title)
    # The autosave script is deferred: a change made before it listens would never save.
    expect(page.locator("#section-form[data-autosave-ready]")).to_have_count(1)


def wait_autosaved(page: Page) -> None:
    """The page saved by itself after the last change, and the server found nothing wrong."""
    expect(page.locator("#autosave-status")).to_have_text(SAVED_AT, timeout=10_000)


def save_and_next(page: Page, title: str, next_title: str) -> None:
    """Press "下一项：… →": the section is saved (no problems) and the next one opens."""
    page.get_by_role("button", name=re.compile(r"^下一项")).click()
    expect(page.locator(".messages")).to_contain_text(f"“{title}”已保存。")
    expect_section(page, next_title)


def row(page: Page, number: int) -> Locator:
    """The ``number``-th row (from 1) of a list section."""
    return page.locator("#rows .row-item").nth(number - 1)


def upload_to_row(page: Page, number: int, path: Path) -> None:
    """Upload ``path`` to the ``number``-th (saved) row and wait for the page to say so."""
    item = row(page, number)
    item.get_by_label(f"为第 {number} 条上传证明材料").set_input_files(path)
    row_id = (item.get_attribute("id") or "").removeprefix("item-")
    page.locator(f'button[form="upload-{row_id}"]').click()
    expect(page.locator(".messages")).to_contain_text(f"已上传“{path.name}”")
    expect(row(page, number).locator("[data-evidence-needed]")).to_contain_text("（已上传）")


def upload_to_section(page: Page, path: Path) -> None:
    page.get_by_label("上传本项证明材料").set_input_files(path)
    page.locator('button[form="upload-section"]').click()
    expect(page.locator(".messages")).to_contain_text(f"已上传“{path.name}”")


def save(page: Page, title: str) -> None:
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"“{title}”已保存。")
    expect_section(page, title)


def scan(folder: Path, name: str, content: bytes = PDF) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def points_text(value: float) -> str:
    return f"{value:.2f}"  # the pages print points with two decimals


# --- the journey -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_employer_and_applicant_complete_a_declaration_in_the_browser(
    page: Page,
    new_page: Callable[..., Page],
    mobile_page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Watch,
    screenshot: Screenshot,
    evidence_root: Path,
    tmp_path: Path,
) -> None:
    base = live_server.url
    make_round(YEAR)
    expected = full_declaration(YEAR)
    expected["violations"] = [VIOLATION]
    watches: list[PageWatch] = []

    # 1. The employer agent registers; the success message gives the 单位注册码. -------------
    employer = page
    watches.append(watch(employer, base))
    employer.goto(base + reverse("accounts:register_employer"))
    fill_form(
        employer,
        {
            "单位名称": EMPLOYER_NAME,
            "统一社会信用代码": credit_code(),
            "经办人姓名": "李经办",
            "经办人手机号码": "13800138001",
            "用户名": "xinghe-hr",
            "密码": PASSWORD,
            "确认密码": PASSWORD,
        },
    )
    labelled(employer, "单位所在区").select_option(label="通州区")
    employer.get_by_role("button", name="注册").click()
    employer.wait_for_url(base + reverse("applications:employer_home"))
    message = employer.locator(".messages").inner_text()
    found = re.search(r"单位注册码：(\w+)", message)
    assert found is not None, message
    code = found.group(1)
    expect(employer.locator("#employer-code")).to_have_text(code)
    expect(employer.get_by_role("heading", level=1)).to_have_text(EMPLOYER_NAME)
    screenshot(employer, "employer-registered")

    # 2. The applicant registers in another browser context and asks to be linked. -----------
    applicant = new_page()
    watches.append(watch(applicant, base))
    identity = id_number()
    applicant.goto(base + reverse("accounts:register_applicant"))
    fill_form(
        applicant,
        {
            "姓名": APPLICANT_NAME,
            "公民身份号码": identity,
            "手机号码": "13900139002",
            "用户名": "wangsufang",
            "密码": PASSWORD,
            "确认密码": PASSWORD,
        },
    )
    applicant.get_by_role("button", name="注册").click()
    applicant.wait_for_url(base + reverse("applications:applicant_home"))
    expect(applicant.locator(".messages")).to_contain_text("注册成功")
    # Only the masked number is on screen.
    expect(applicant.locator("#applicant-id-number")).to_have_text(
        identity[:6] + "********" + identity[-4:]
    )
    expect(applicant.locator("#link-state")).to_contain_text("尚未关联用人单位")
    screenshot(applicant, "applicant-status-new")

    labelled(applicant, "单位注册码").fill(code)
    applicant.get_by_role("button", name="关联单位").click()
    expect(applicant.locator(".messages")).to_contain_text(f"已向“{EMPLOYER_NAME}”发送关联申请")
    expect(applicant.locator("#link-state")).to_contain_text("待单位确认")

    # 3. The agent sees the request, named after the applicant, and confirms it. -------------
    employer.reload()
    request = employer.get_by_role("article", name=APPLICANT_NAME)
    expect(request).to_contain_text(identity[-4:])
    request.get_by_role("button", name="确认").click()
    expect(employer.locator(".messages")).to_contain_text(f"已确认 {APPLICANT_NAME} 为本单位职工。")
    expect(employer.get_by_role("article", name=APPLICANT_NAME)).to_have_count(0)
    screenshot(employer, "employer-home")

    # 4. The applicant fills every section. ----------------------------------------------------
    applicant.reload()
    expect(applicant.locator("#link-state")).to_contain_text("单位已确认")
    applicant.get_by_role("button", name="开始填报").click()

    expect_section(applicant, "申请条件")
    permit = applicant.get_by_label("持有有效的北京市居住证")
    permit.check()
    expect(permit).to_be_checked()
    expect(applicant.get_by_label("有刑事犯罪记录")).not_to_be_checked()
    applicant.get_by_role("button", name="保存", exact=True).click()
    expect(applicant.locator(".messages")).to_contain_text("“申请条件”已保存。")
    # The residence permit must be shown: the section says so until a file is there.
    expect(applicant.locator("#section-evidence-needed")).to_have_text(
        "须上传：北京市居住证（尚未上传，提交前须上传）")
    expect(applicant.locator('.section-nav a[data-section="conditions"] .mark')).to_have_text(
        "待传材料")
    upload_to_section(applicant, scan(tmp_path, "居住证.png", PNG))
    expect(applicant.locator("#section-evidence-needed")).to_have_text("须上传：北京市居住证（已上传）")
    save_and_next(applicant, "申请条件", "合法稳定就业（社会保险）")

    social = expected["social_insurance"][0]
    first = row(applicant, 1)
    first.get_by_label("起始年月").fill(social["from"])
    first.get_by_label("截止年月").fill(social["to"])
    first.get_by_label("补缴月份").fill(social["back_paid"])
    wait_autosaved(applicant)
    # A saved row can carry evidence: the page shows the upload control after saving.
    applicant.get_by_role("button", name="保存", exact=True).click()
    expect(applicant.locator(".messages")).to_contain_text("已保存")
    proof = scan(tmp_path, "社保缴费证明.pdf")
    first = row(applicant, 1)
    first.get_by_label("为第 1 条上传证明材料").set_input_files(proof)
    row_id = (first.get_attribute("id") or "").removeprefix("item-")
    applicant.locator(f'button[form="upload-{row_id}"]').click()
    expect(applicant.locator(".messages")).to_contain_text("已上传“社保缴费证明.pdf”")
    expect(row(applicant, 1).locator(".evidence-list")).to_contain_text("社保缴费证明.pdf")
    save_and_next(applicant, "合法稳定就业（社会保险）", "合法稳定住所")

    rented, owned = expected["housing"]
    first = row(applicant, 1)
    first.get_by_label("住所类型").select_option(label="租赁住房")
    first.get_by_label("起始年月").fill(rented["from"])
    first.get_by_label("截止年月").fill(rented["to"])
    first.get_by_label("所在区").select_option(label=rented["district"])
    applicant.get_by_role("button", name="添加一条").click()
    second = row(applicant, 2)
    expect(second.locator(".row-item-title")).to_have_text("第 2 条居住期间")
    second.get_by_label("住所类型").select_option(label="自有产权住房")
    second.get_by_label("起始年月").fill(owned["from"])
    second.get_by_label("截止年月").fill(owned["to"])
    second.get_by_label("所在区").select_option(label=owned["district"])
    wait_autosaved(applicant)
    applicant.get_by_role("button", name="保存", exact=True).click()
    expect(applicant.locator(".messages")).to_contain_text("“合法稳定住所”已保存。")
    expect(applicant.locator("#rows .row-item")).to_have_count(2)
    expect(applicant.get_by_label("为第 2 条上传证明材料")).to_be_visible()
    upload_to_row(applicant, 1, scan(tmp_path, "租赁合同及备案证明.pdf"))
    upload_to_row(applicant, 2, scan(tmp_path, "不动产权证书.pdf"))
    screenshot(applicant, "declaration-housing")
    housing_url = applicant.url
    save_and_next(applicant, "合法稳定住所", "教育背景")

    school = expected["education"][0]
    first = row(applicant, 1)
    first.get_by_label("学历").select_option(label="本科")
    first.get_by_label("学位").select_option(label="学士")
    first.get_by_label("全日制").check()
    first.get_by_label("入学年月").fill(school["from"])
    first.get_by_label("毕业年月").fill(school["to"])
    wait_autosaved(applicant)
    save(applicant, "教育背景")
    expect(row(applicant, 1).locator("[data-evidence-needed]")).to_contain_text(
        "须上传：学历证书、学位证书（尚未上传")
    upload_to_row(applicant, 1, scan(tmp_path, "学历学位证书.pdf"))
    save_and_next(applicant, "教育背景", "职住区域（就业地）")

    work = expected["employment"][0]
    first = row(applicant, 1)
    first.get_by_label("起始年月").fill(work["from"])
    first.get_by_label("截止年月").fill(work["to"])
    first.get_by_label("就业所在区").select_option(label=work["district"])
    wait_autosaved(applicant)
    save_and_next(applicant, "职住区域（就业地）", "创新创业")

    row(applicant, 1).get_by_label("创新创业项目").select_option(label="北京市创新创业大赛三等奖")
    wait_autosaved(applicant)
    save(applicant, "创新创业")
    upload_to_row(applicant, 1, scan(tmp_path, "大赛获奖证书.pdf"))
    save_and_next(applicant, "创新创业", "纳税")

    for tax_year, amount in expected["tax"].items():
        applicant.get_by_label(f"{tax_year} 年度个人所得税（元）").fill(amount)
    wait_autosaved(applicant)
    save_and_next(applicant, "纳税", "荣誉表彰")

    row(applicant, 1).get_by_label("荣誉类别").select_option(label="省部级以上劳动模范")
    wait_autosaved(applicant)
    save(applicant, "荣誉表彰")
    upload_to_row(applicant, 1, scan(tmp_path, "劳动模范证书.pdf"))
    save_and_next(applicant, "荣誉表彰", "守法记录")

    first = row(applicant, 1)
    first.get_by_label("记录类型").select_option(label="行政拘留")
    first.get_by_label("日期（年-月-日）").fill(VIOLATION["date"])
    wait_autosaved(applicant)
    # Every section is filled without a problem: the navigation ticks them all.
    expect(applicant.locator(".section-nav .mark-done")).to_have_count(9)
    expect(applicant.locator(".section-nav .mark-error")).to_have_count(0)

    # What the browser typed is what was stored.
    app = Application.objects.get(applicant__user__username="wangsufang")
    assert app.status == Status.DRAFT
    stored = {
        key: [{k: v for k, v in r.items() if k != "id"} for r in value]
        if isinstance(value, list)
        else value
        for key, value in app.data.items()
    }
    assert stored == expected
    evidence = Evidence.objects.get(application=app, section="social_insurance")
    assert evidence.original_name == "社保缴费证明.pdf"
    assert Evidence.objects.filter(application=app).count() == 7
    assert evidence.item_id == app.data["social_insurance"][0]["id"] == row_id
    assert (evidence.content_type, evidence.size) == ("application/pdf", len(PDF))

    # The same applicant on a phone sees the housing section stacked, without sideways scroll.
    login_as(mobile_page, User.objects.get(username="wangsufang"))
    watches.append(watch(mobile_page, base))
    mobile_page.goto(housing_url)
    expect_section(mobile_page, "合法稳定住所")
    expect(mobile_page.locator("#rows .row-item")).to_have_count(2)
    scroll, inner = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert (scroll, inner) == (390, 390)
    screenshot(mobile_page, "declaration-housing-mobile")

    # 5. The self-assessment: not verified, and the engine's total for what was stored. -----
    applicant.locator(".section-links").get_by_role("link", name="查看自评").click()
    applicant.wait_for_url(base + reverse("applications:assessment", args=[app.pk]))
    expect(applicant.locator("#not-verified")).to_contain_text("自评结果，未经部门核验，仅供参考。")
    result = assess(Application.objects.get(pk=app.pk))
    assert result.errors == [] and result.result is not None
    assert result.result["eligible"] is True
    expect(applicant.locator("#assessment-total strong")).to_have_text(points_text(result.total))
    law = applicant.locator('tr[data-indicator="law"] td.num')
    expect(law).to_have_text("-30.00")
    expect(law).to_have_class(re.compile(r"\bscore-negative\b"))
    screenshot(applicant, "self-assessment")

    # 6. Submission: from the status page's link, confirmed on the submit page. ---------------
    applicant.goto(base + reverse("applications:applicant_home"))
    applicant.locator("#application").get_by_role("link", name="提交申报").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("提交申报")
    expect(applicant.locator("#submit-total")).to_have_text(points_text(result.total))
    applicant.get_by_role("button", name="提交申报").click()
    applicant.wait_for_url(base + reverse("applications:applicant_home"))
    expect(applicant.locator(".messages")).to_contain_text("申报已提交")
    expect(applicant.locator("#application-status")).to_contain_text("已提交")
    screenshot(applicant, "applicant-status-submitted")
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED

    # 7. The agent reviews, reveals the identity number (audited) and passes it on. ----------
    employer.goto(base + reverse("applications:employer_home"))
    employer.get_by_role("link", name=app.number).click()
    expect(employer.get_by_role("heading", level=1)).to_contain_text(app.number)
    expect(employer.locator("#assessment-total strong")).to_have_text(points_text(result.total))
    expect(employer.locator("#id-number")).not_to_have_text(identity)
    screenshot(employer, "employer-review")

    assert not AuditEvent.objects.filter(kind="access", field="id_number").exists()
    employer.get_by_role("button", name="显示完整号码").click()
    expect(employer.locator("#id-number")).to_have_text(identity)
    agent = User.objects.get(username="xinghe-hr")
    assert AuditEvent.objects.filter(kind="access", field="id_number", actor=agent).count() == 1

    employer.get_by_role("button", name="提交至审核部门").click()
    expect(employer.locator(".messages")).to_contain_text(f"申报 {app.number} 已提交至审核部门。")
    expect(employer.get_by_role("heading", level=1)).to_contain_text("单位已提交")
    expect(employer.get_by_role("button", name="提交至审核部门")).to_have_count(0)
    assert Application.objects.get(pk=app.pk).status == Status.EMPLOYER_SUBMITTED

    applicant.reload()
    expect(applicant.locator("#application-status")).to_contain_text("单位已提交")

    # 8. No page logged an error, broke the CSP or fetched anything from another site. -------
    for record in watches:
        assert record.problems() == [], record.problems()


# --- the registration form keeps what was typed --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_rejected_registration_keeps_what_was_typed(
    page: Page, live_server: Any, watch: Watch
) -> None:
    record = watch(page, live_server.url)
    valid = id_number()
    wrong = next(c for c in "0123456789X" if c != valid[-1])
    typed = {
        "姓名": APPLICANT_NAME,
        "公民身份号码": valid[:17] + wrong,
        "手机号码": "13900139003",
        "用户名": "wangsufang2",
        "密码": PASSWORD,
        "确认密码": PASSWORD,
    }
    page.goto(live_server.url + reverse("accounts:register_applicant"))
    fill_form(page, typed)
    page.get_by_role("button", name="注册").click()

    expect(field_box(page, "公民身份号码").locator(".field-error")).to_have_text(
        "公民身份号码校验位不正确，请核对"
    )
    expect(page.locator(".field-error")).to_have_count(1)
    for label, value in typed.items():
        # Everything typed is kept but the passwords: they never come back into the page.
        expect(labelled(page, label)).to_have_value("" if "密码" in label else value)
    assert PASSWORD not in page.content()
    assert page.url == live_server.url + reverse("accounts:register_applicant")
    assert not User.objects.filter(username="wangsufang2").exists()
    assert record.problems() == []


# --- a section posted while an autosave is on its way ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_leaving_a_section_during_an_autosave_is_not_a_conflict(
    page: Page, live_server: Any, login_as: Callable[[Page, Any], None], watch: Watch
) -> None:
    """The autosave reached the server (new version) but its answer is still on the way when
    "下一项" is pressed: the page must not post the old version (a false "modified elsewhere"
    conflict); it waits for the answer and posts with the version it brought."""
    make_round(YEAR)
    person, _agent = linked_pair()
    app = services.application_start(actor=person)
    login_as(page, person)
    record = watch(page, live_server.url)

    held: list[tuple[Route, Any]] = []

    def hold_answer(route: Route) -> None:
        held.append((route, route.fetch()))  # the server has saved; the page has not heard

    page.route(re.compile(r"/autosave/$"), hold_answer)
    page.goto(live_server.url + reverse("applications:declaration_section", args=[app.pk, "tax"]))
    page.get_by_label(f"{YEAR - 1} 年度个人所得税（元）").fill("150000.50")
    expect(page.locator("#autosave-status")).to_have_text("正在自动保存…")
    for _ in range(50):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    assert Application.objects.get(pk=app.pk).data["tax"][str(YEAR - 1)] == "150000.50"

    page.get_by_role("button", name=re.compile(r"^下一项")).click()
    expect(page.locator("#autosave-status")).to_have_text("正在保存…")  # waiting, not posting
    route, answer = held.pop()
    route.fulfill(response=answer)
    expect(page.locator(".messages")).to_contain_text("“纳税”已保存。")
    expect_section(page, "荣誉表彰")
    assert record.problems() == []
