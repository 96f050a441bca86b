"""An operator in a real browser: records an on-site visit and has it signed off, uploads a
training session's material, and changes a system parameter (refused first without a reason,
what was typed kept)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.ops import parameters, training
from jifen.ops.models import ParameterChange, ServiceVisit, TrainingSession
from tests.factories import make_staff
from tests.files import pdf

from .conftest import PageWatch


def test_visit_sign_off_training_material_and_a_parameter_change(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    operator = make_staff(Role.OPERATOR, username="ops-records")
    login_as(page, operator)
    record = watch(page, live_server.url)

    # On-site service: record a visit with its solution, then the bureau's sign-off.
    page.goto(live_server.url + "/ops/")
    page.get_by_role("link", name="现场服务").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户现场服务")
    page.get_by_role("link", name="登记现场服务").click()
    page.get_by_label("服务地点").fill("海淀区人力社保局积分落户窗口")
    page.get_by_label("问题描述").fill("申请人社保缴纳月数与窗口核对结果不一致")
    page.get_by_label("解决方法（已解决时填写）").fill("与社保部门比对原始记录后更正")
    page.locator("#visit-save").click()
    expect(page.locator("#visit-state")).to_have_text("已解决，待甲方确认")
    page.get_by_label("甲方确认人").fill("赵科长")
    page.locator("#sign-save").click()
    expect(page.locator("#sign-errors")).to_contain_text("确认信息有误")
    expect(page.get_by_label("甲方确认人")).to_have_value("赵科长")
    page.get_by_label("满意度").select_option("5")
    page.locator("#sign-save").click()
    expect(page.get_by_role("status").first).to_contain_text("甲方已确认")
    expect(page.locator("#visit-state")).to_have_text("已完成")
    visit = ServiceVisit.objects.get()
    assert (visit.signed_off_by, visit.satisfaction) == ("赵科长", 5)
    page.get_by_role("link", name=f"← 返回 {visit.visited_on:%Y-%m} 月").click()
    expect(page.locator("#visit-stats")).to_contain_text("平均满意度5.0 分")
    screenshot(page, "ops-records-visits")

    # Training: the plan's session gets its material.
    year = date.today().year
    session = training.training_plan(
        actor=operator,
        year=year,
        title="积分评定与公示功能培训",
        audience="市级工作人员",
        planned_on=date(year, 1, 15),
        function="积分评定",
    )
    material = tmp_path / "积分评定操作手册.pdf"
    material.write_bytes(pdf())
    page.goto(live_server.url + f"/ops/training/?year={year}")
    page.get_by_role("link", name="积分评定与公示功能培训").click()
    page.get_by_label("培训材料").set_input_files(str(material))
    page.locator("#material-save").click()
    expect(page.get_by_role("status").first).to_contain_text("已上传培训材料")
    expect(page.locator("#training-material")).to_have_text("积分评定操作手册.pdf")
    page.get_by_label("参训人数").fill("42")
    page.get_by_label("讲师").fill("陈工")
    page.locator("#held-save").click()
    expect(page.locator("#training-state")).to_have_text("已举办")
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.HELD and session.material_path
    page.get_by_role("link", name=f"← 返回 {year} 年度培训计划").click()
    expect(page.locator("#training-stats")).to_contain_text("已举办且有培训材料1 场")
    screenshot(page, "ops-records-training")

    # A system parameter: refused without a reason (the value kept), then changed.
    page.get_by_role("link", name="系统参数").click()
    page.locator("tr[data-key='visits_per_month_target']").get_by_role("link", name="修改").click()
    page.get_by_label("每月现场服务次数（约定）（次）").fill("12")
    page.locator("#parameter-save").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.get_by_text("请填写修改原因。")).to_be_visible()
    expect(page.get_by_label("每月现场服务次数（约定）（次）")).to_have_value("12")
    page.get_by_label("修改原因").fill("2027 年运维合同约定每月 12 次")
    page.locator("#parameter-save").click()
    expect(page.get_by_role("status").first).to_contain_text("已修改参数")
    expect(page.locator("#parameter-history")).to_contain_text("10 → 12")
    assert parameters.get("visits_per_month_target") == 12
    assert ParameterChange.objects.get().reason == "2027 年运维合同约定每月 12 次"
    screenshot(page, "ops-records-parameters")

    # The CMDB: the system registers its own server and software.
    page.get_by_role("link", name="配置管理").click()
    page.locator("#cmdb-discover").click()
    expect(page.get_by_role("status").first).to_contain_text("新增")
    expect(page.locator("table[data-kind='software']")).to_contain_text("Django")
    screenshot(page, "ops-records-cmdb")
    assert record.problems() == []
