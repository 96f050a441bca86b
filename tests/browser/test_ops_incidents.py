"""An operator in a real browser: registers an incident reported by phone, responds, records the
analysis and the actions, marks it resolved, closes it and downloads the report (a PDF); then
takes a complaint and answers it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.ops.models import Complaint, Incident
from tests.factories import make_staff

from .conftest import PageWatch


def test_operator_handles_an_incident_and_answers_a_complaint(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    operator = make_staff(Role.OPERATOR, username="ops-browser")
    login_as(page, operator)
    record = watch(page, live_server.url)

    page.goto(live_server.url + "/ops/")
    page.get_by_role("link", name="故障处理", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("故障处理")
    page.get_by_role("link", name="登记故障").click()
    # Refused without a channel: the title typed stays.
    page.get_by_label("故障标题").fill("积分查询页面响应缓慢")
    page.get_by_role("button", name="登记").click()
    expect(page.locator(".field-error")).to_contain_text(
        ["请选择报告途径（7×24 电话、远程、电子邮件或现场）。", "请填写故障现象。"]
    )
    expect(page.get_by_label("故障标题")).to_have_value("积分查询页面响应缓慢")
    page.get_by_label("报告途径").select_option(label="7×24 电话")
    page.get_by_label("故障现象").fill("市人社局来电：积分查询页面打开需 20 秒以上。")
    page.get_by_role("button", name="登记").click()
    incident = Incident.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"故障单 {incident.number}")
    expect(page.locator("#incident-status")).to_have_text("待响应")

    page.get_by_role("button", name="响应").click()
    expect(page.locator("#incident-status")).to_have_text("处理中")
    page.get_by_label("故障分析").fill("积分明细查询缺少索引，全表扫描。")
    page.get_by_role("button", name="保存故障分析").click()
    page.get_by_label("处理措施").fill("为积分明细表增加索引，查询降至 0.3 秒。")
    page.get_by_role("button", name="保存处理措施").click()
    page.get_by_label("受影响用户数").fill("1200")
    page.get_by_role("button", name="保存故障影响").click()
    expect(page.locator("#major-banner")).to_contain_text("受影响用户 1200 人")
    expect(page.locator("#incident-severity")).to_have_text("重大")
    screenshot(page, "ops-incident-steps")
    page.get_by_role("button", name="标记处理完成").click()
    expect(page.locator("#incident-status")).to_have_text("已解决")
    page.get_by_role("button", name="关闭故障单").click()
    expect(page.locator("#incident-status")).to_have_text("已关闭")
    expect(page.locator("#incident-timeline tbody tr")).to_have_count(9)
    screenshot(page, "ops-incidents")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载故障处理报告（PDF）").click()
    download = download_info.value
    assert download.suggested_filename == f"incident-report-{incident.number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")

    page.get_by_role("link", name="故障处理", exact=True).click()
    expect(page.locator(f"#incident-table tr[data-number='{incident.number}']")).to_contain_text(
        "已关闭"
    )
    screenshot(page, "ops-incidents-list")

    # A complaint, taken and answered.
    page.get_by_role("link", name="投诉受理", exact=True).click()
    page.get_by_role("link", name="受理投诉").click()
    page.get_by_label("受理渠道").select_option(label="电话")
    page.get_by_label("投诉人").fill("刘建国")
    page.get_by_label("联系方式").fill("13698765432")
    page.get_by_label("事由").fill("积分明细查询太慢")
    page.get_by_label("投诉内容").fill("查询积分明细要等很久。")
    page.get_by_role("button", name="受理").click()
    complaint = Complaint.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"投诉 {complaint.number}")
    expect(page.locator("#complainant")).to_have_text("刘建国")
    page.get_by_label("答复内容").fill("已优化查询，现在数秒内可显示。感谢您的反馈。")
    page.get_by_role("button", name="答复").click()
    expect(page.locator("#complaint-status")).to_have_text("已答复")
    page.get_by_role("link", name="← 返回投诉列表").click()
    expect(page.locator("#reply-rate")).to_have_text("100.0%")
    row = page.locator(f"#complaint-table tr[data-number='{complaint.number}']")
    expect(row).to_contain_text("刘**")
    expect(row).not_to_contain_text("刘建国")
    screenshot(page, "ops-complaints")

    assert record.problems() == []
