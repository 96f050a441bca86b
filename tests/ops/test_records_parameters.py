"""The system parameters page: every parameter by group, a change with a reason, a refused
change naming the parameter with what was typed kept, the filterable history, the round's
parameters read-only with their change history; the auditor reads, only operators change."""

from __future__ import annotations

import pytest

from jifen.core.roles import Role
from jifen.ops import parameters
from jifen.ops.models import ParameterChange
from jifen.rounds import services as round_services
from tests.factories import make_round, make_staff, staff_client

pytestmark = pytest.mark.django_db


def test_the_page_lists_parameters_by_group_with_the_last_change() -> None:
    operator = make_staff(Role.OPERATOR)
    parameters.set_parameter(
        actor=operator, key="visits_per_month_target", value="12", reason="新合同约定每月 12 次"
    )
    page = staff_client(operator).get("/ops/parameters/").content.decode()
    for group in ("巡检阈值", "备份与恢复", "现场服务与培训"):
        assert f">{group}</h2>" in page
    row = page.split('data-key="visits_per_month_target"')[1].split("</tr>")[0]
    assert "<strong>12</strong>" in row and ">10<" in row and "次" in row
    assert "工作人员" in row  # who changed it last
    assert "新合同约定每月 12 次" in page


def test_a_change_through_the_form_is_recorded() -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    form = client.get("/ops/parameters/inspect_disk_percent_warn/").content.decode()
    assert 'value="80"' in form and "磁盘使用率告警阈值" in form
    response = client.post(
        "/ops/parameters/inspect_disk_percent_warn/",
        {"value": "75", "reason": "扩容前收紧"},
        follow=True,
    )
    assert "已修改参数“磁盘使用率告警阈值”" in response.content.decode()
    assert parameters.get("inspect_disk_percent_warn") == 75
    change = ParameterChange.objects.get()
    assert (change.old_value, change.new_value, change.changed_by) == (80, 75, operator)


@pytest.mark.parametrize(
    ("value", "reason", "text"),
    [
        ("八十五", "调整", "参数“磁盘使用率告警阈值”的取值应为非负整数，收到“八十五”"),
        ("85", "", "请填写修改原因"),
        ("80", "无变化", "新值与原值相同"),
    ],
)
def test_a_refused_change_names_the_parameter_and_keeps_the_input(value, reason, text) -> None:
    client = staff_client(make_staff(Role.OPERATOR))
    response = client.post(
        "/ops/parameters/inspect_disk_percent_warn/", {"value": value, "reason": reason}
    )
    page = response.content.decode()
    assert text in page
    assert f'value="{value}"' in page and (not reason or reason in page)
    assert not ParameterChange.objects.exists()


def test_history_is_filterable_by_parameter() -> None:
    operator = make_staff(Role.OPERATOR)
    parameters.set_parameter(actor=operator, key="backup_keep_days", value="40", reason="理由甲")
    parameters.set_parameter(actor=operator, key="backup_keep_full", value="6", reason="理由乙")
    client = staff_client(make_staff(Role.AUDITOR))
    everything = client.get("/ops/parameters/").content.decode()
    assert "理由甲" in everything and "理由乙" in everything
    one = client.get("/ops/parameters/?key=backup_keep_days").content.decode()
    history = one.split('id="parameter-history"')[1].split("</table>")[0]
    assert "理由甲" in history and "35 → 40" in history and "理由乙" not in history


def test_round_parameters_are_shown_read_only_with_their_history() -> None:
    rnd = make_round(2026)
    bureau = make_staff(Role.BUREAU_ADMIN)
    round_services.round_update(actor=bureau, round=rnd, changes={"quota": 6100}, reason="指标调整")
    page = staff_client(make_staff(Role.OPERATOR)).get("/ops/parameters/").content.decode()
    section = page.split('id="round-title"')[1]
    assert "2026 年度" in section and 'href="/staff/rounds/"' in section
    assert "落户指标数" in section and "积分规则" in section
    assert "6100" in section and "<form" not in section.split("年度参数变更记录")[0]
    history = section.split('id="round-changes"')[1]
    assert "落户指标数" in history and "指标调整" in history and "→ 6100" in history


def test_only_operators_change_parameters() -> None:
    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get("/ops/parameters/").status_code == 200
    assert "修改</a>" not in auditor.get("/ops/parameters/").content.decode()
    refused = auditor.post(
        "/ops/parameters/inspect_disk_percent_warn/", {"value": "70", "reason": "审计员"}
    )
    assert refused.status_code == 403
    assert staff_client(make_staff(Role.BUREAU_ADMIN)).get("/ops/parameters/").status_code == 403
    assert staff_client(make_staff(Role.OPERATOR)).get("/ops/parameters/nope/").status_code == 404
    assert not ParameterChange.objects.exists()
