"""The auditor's page in Chinese: action names, the filter's choices, readable changes, and
the checkpoint status next to the chain's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from jifen.applications import services
from jifen.audit.anchor import take_checkpoint
from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from jifen.web.audit_display import access_fields, event_lines
from tests.audit.conftest import tampering
from tests.factories import (
    fill_declaration,
    linked_pair,
    make_applicant,
    make_round,
    make_staff,
    verify_second_factor,
)

pytestmark = pytest.mark.django_db

STAFF_HOME = "/staff/"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def checkpoint_dir(tmp_path: Path, settings) -> Path:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


def auditor_client() -> Client:
    auditor = make_staff(Role.AUDITOR)
    client = Client()
    client.force_login(auditor)
    verify_second_factor(client, auditor)
    return client


def change_cells(html: str) -> list[str]:
    return re.findall(r'<tr class="audit-change">(.*?)</tr>', html, re.S)


def event(action: str, before=None, after=None, **fields) -> AuditEvent:
    return AuditEvent(action=action, kind=fields.pop("kind", "change"), before=before,
                      after=after, **fields)


# --- readable lines ----------------------------------------------------------------------------


def test_a_save_reads_as_the_fields_that_changed() -> None:
    lines = event_lines(event(
        "application.save", target_type="applications.application",
        before={"section": "housing", "version": 3},
        after={"section": "housing", "version": 4, "changes": [
            {"path": "housing[0].district", "change": "modified", "before": "ab", "after": "cd"},
            {"path": "housing[2]", "change": "added", "after": "ef"},
            {"path": "tax.2024", "change": "modified", "before": "01", "after": "23"},
            {"path": "conditions.criminal_record", "change": "modified"},
        ]},
    ))
    assert lines == [
        "填报项：合法稳定住所",
        "版本：3 → 4",
        "合法稳定住所 第 1 条 所在区：已修改",
        "合法稳定住所 第 3 条：已添加",
        "纳税 2024 年度：已修改",
        "申请条件 有刑事犯罪记录：已修改",
    ]


def test_statuses_read_in_chinese_for_applications_and_links() -> None:
    assert event_lines(event(
        "application.submit", target_type="applications.application",
        before={"status": "draft"}, after={"status": "submitted", "self_assessed_total": 92.5},
    )) == ["状态：填报中 → 已提交，待单位审核", "自评总分：92.5"]
    assert event_lines(event(
        "link.refuse", target_type="applications.employmentlink",
        before={"status": "pending"},
        after={"status": "refused", "reason": {"length": 4, "fingerprint": "ab"}},
    )) == ["状态：待单位确认 → 单位已拒绝", "理由：已填写（4 字，内容不入日志）"]


def test_redacted_values_read_as_such() -> None:
    assert event_lines(event(
        "account.login_failed",
        after={"locked_out": False, "typed_username": {"length": 7, "fingerprint": "ab"}},
    )) == ["输入的用户名：已填写（7 字，内容不入日志）", "账户已锁定：否"]
    assert event_lines(event(
        "evidence.add",
        after={"evidence": 7, "section": "tax", "item": "", "size": 2048,
               "file_name": {"length": 9, "fingerprint": "ab"}, "content": "cd"},
    )) == [
        "填报项：纳税", "证明材料编号：7", "条目：整个填报项",
        "文件名：已填写（9 字，内容不入日志）", "文件内容：已记录指纹（内容不入日志）",
        "文件大小：2.0 KB",
    ]


def test_refusals_and_reads_read_in_chinese() -> None:
    assert event_lines(event(
        "access.refused", kind="refusal",
        after={"reason": "not_found", "status": 404, "method": "GET", "path": "/my/applications/5/",
               "url_name": "applications:declaration", "kwargs": {"pk": "5"}},
    )) == [
        "原因：记录不存在或无权查看（404）",
        "请求：GET /my/applications/5/",
        "页面：applications:declaration（pk=5）",
    ]
    summary = event_lines(event(
        "access.refused_summary", kind="refusal",
        after={"reason": "forbidden", "count": 437, "source": "user:9"},
    ))
    assert summary == ["另有 437 次同类拒绝未逐条记录", "来源：user:9", "原因：无权访问"]
    read = event("applications.application.view", kind="access", field="declaration",
                 detail="tax,violations")
    assert access_fields(read) == "申报内容（纳税、守法记录）"
    assert event_lines(read) == []


# --- the page ------------------------------------------------------------------------------------


def test_the_page_names_actions_and_changes_in_chinese() -> None:
    make_round(2026)
    applicant, _agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    housing = [dict(row) for row in app.data["housing"]]
    housing[0]["district"] = "朝阳区"
    app = services.application_save_section(actor=applicant, application_id=app.pk,
                                            section="housing", value=housing,
                                            version=app.version).application
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    stranger = make_applicant()
    refused = Client()
    refused.force_login(stranger)
    assert refused.get(reverse("applications:declaration", args=[app.pk])).status_code == 404

    html = auditor_client().get(STAFF_HOME).content.decode()

    for name in ("提交申报", "保存填报项", "确认单位关联", "拒绝访问", "查阅审计日志"):
        assert f">{name}<br><code" in html, name
    cells = "".join(change_cells(html))
    assert "状态：填报中 → 已提交，待单位审核" in cells
    assert "合法稳定住所 第 1 条 所在区：已修改" in cells
    assert "原因：记录不存在或无权查看（404）" in cells
    assert "说明：没有找到该申报" in cells
    assert "{&quot;" not in cells and '{"' not in cells  # no raw JSON any more
    # The filter offers every action by its Chinese name.
    options = re.findall(r'<option value="([a-z_.]+)"[^>]*>([^<]+)</option>', html)
    assert ("application.save", "保存填报项") in options
    assert ("access.refused", "拒绝访问") in options
    assert all(_CJK.search(label) for _value, label in options)
    assert "拒绝访问</option>" in html  # the kind too


def test_the_page_shows_the_checkpoint_status(checkpoint_dir: Path) -> None:
    make_applicant()
    client = auditor_client()
    html = client.get(STAFF_HOME).content.decode()
    assert 'id="checkpoint-status"' in html and "尚无库外检查点" in html

    take_checkpoint()
    html = client.get(STAFF_HOME).content.decode()
    assert re.search(r"库外检查点相符：共 1 个，最近一个（第 1 个，[-\d]{10} \d\d:\d\d）", html)
    assert "审计日志哈希链完整" in html

    # The log cut back below the checkpoint (head rewritten with it): the chain alone would pass.
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 1")
        cursor.execute("UPDATE audit_auditchainhead SET seq = 1, hash = "
                       "(SELECT hash FROM audit_auditevent WHERE seq = 1)")
    html = client.get(STAFF_HOME).content.decode()
    assert "审计日志与库外检查点不符" in html
