"""The incident and complaint pages: who may open and write them, forms that keep what was typed
and name the field, the incident report as a real PDF with the Chinese text, complainants
masked on the list and in full (logged) on the detail page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.roles import Role
from jifen.ops import complaints, incidents
from jifen.ops.models import Complaint, Incident
from tests.factories import make_staff, staff_client
from tests.publication.pdftext import pdf_text

pytestmark = pytest.mark.django_db


def _closed_major(operator: object) -> Incident:
    incident = incidents.register_incident(
        actor=operator,
        title="数据库主节点宕机",
        symptom="全部页面返回 500。",
        channel=Incident.Channel.PHONE,
    )
    incidents.respond(actor=operator, incident_id=incident.pk)
    incidents.record_impact(
        actor=operator, incident_id=incident.pk, outage_minutes=95, affected_users=3200
    )
    incidents.record_analysis(actor=operator, incident_id=incident.pk, analysis="主节点磁盘故障。")
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="切换至备节点。")
    incidents.resolve(actor=operator, incident_id=incident.pk)
    return incidents.close(actor=operator, incident_id=incident.pk)


def test_operator_registers_and_walks_the_steps_through_the_pages() -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    page = client.get("/ops/incidents/new/")
    assert page.status_code == 200 and "登记故障" in page.content.decode()
    # Refused: the fields are named and what was typed stays.
    refused = client.post(
        "/ops/incidents/new/",
        {"title": "查询缓慢", "channel": "", "severity": "minor", "symptom": ""},
    )
    text = refused.content.decode()
    assert refused.status_code == 200
    assert "请选择报告途径" in text and "请填写故障现象。" in text
    assert 'value="查询缓慢"' in text
    assert not Incident.objects.exists()

    done = client.post(
        "/ops/incidents/new/",
        {
            "title": "查询缓慢",
            "channel": "email",
            "severity": "minor",
            "symptom": "积分查询超过 10 秒。",
        },
    )
    incident = Incident.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/ops/incidents/{incident.number}/"
    base = f"/ops/incidents/{incident.number}/"
    assert client.post(base + "respond/", {"handler": ""}).status_code == 302
    # Resolving without actions: back to the page with the reason.
    page = client.post(base + "resolve/", follow=True)
    assert "请先填写处理措施，再标记故障已解决。" in page.content.decode()
    kept = client.post(base + "actions/", {"actions": "   "})
    assert kept.status_code == 400 and "请填写处理措施。" in kept.content.decode()
    client.post(base + "actions/", {"actions": "增加索引。"})
    client.post(base + "analysis/", {"analysis": "缺少索引。"})
    client.post(base + "resolve/")
    client.post(base + "close/")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    page = client.get(base).content.decode()
    assert "下载故障处理报告（PDF）" in page and "关闭故障单，出具故障处理报告" in page
    listing = client.get("/ops/incidents/?status=closed").content.decode()
    assert incident.number in listing
    assert incident.number not in client.get("/ops/incidents/?status=open").content.decode()
    assert "月份格式应为" in client.get("/ops/incidents/?month=may").content.decode()


def test_the_report_is_a_pdf_with_the_fields_timeline_sla_and_special_section() -> None:
    operator = make_staff(Role.OPERATOR)
    incident = _closed_major(operator)
    response = staff_client(operator).get(f"/ops/incidents/{incident.number}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"incident-report-{incident.number}.pdf" in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"%PDF-")
    text = pdf_text(data).replace(" ", "")
    for expected in (
        "故障处理报告",
        incident.number,
        "数据库主节点宕机",
        "全部页面返回500。",
        "主节点磁盘故障。",
        "切换至备节点。",
        "响应时间",
        "处理时间",
        "重大故障专项报告",
        "系统中断95分钟，达到重大故障条件（60分钟）",
        "启动应急预案",
        "3200人",
    ):
        assert expected in text, expected


def test_no_report_before_closing_and_a_minor_one_has_no_special_section() -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    incident = incidents.register_incident(
        actor=operator, title="短信延迟", symptom="验证码短信延迟。", channel="remote"
    )
    page = client.get(f"/ops/incidents/{incident.number}/report.pdf", follow=True)
    assert "关闭后才能出具故障处理报告" in page.content.decode()
    incidents.respond(actor=operator, incident_id=incident.pk)
    incidents.record_analysis(actor=operator, incident_id=incident.pk, analysis="网关拥塞。")
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="切换通道。")
    incidents.resolve(actor=operator, incident_id=incident.pk)
    incidents.close(actor=operator, incident_id=incident.pk)
    data = client.get(f"/ops/incidents/{incident.number}/report.pdf").content
    text = pdf_text(data).replace(" ", "")
    assert "短信延迟" in text and "重大故障专项报告" not in text


def test_auditor_reads_but_cannot_write_reviewer_is_refused() -> None:
    operator = make_staff(Role.OPERATOR)
    incident = _closed_major(operator)
    complaint = complaints.take_complaint(
        actor=operator,
        channel="phone",
        complainant="张伟",
        contact="13900001111",
        subject="无法登录",
        content="提示账户锁定。",
    )
    auditor = staff_client(make_staff(Role.AUDITOR))
    for url in (
        "/ops/incidents/",
        f"/ops/incidents/{incident.number}/",
        f"/ops/incidents/{incident.number}/report.pdf",
        "/ops/complaints/",
        f"/ops/complaints/{complaint.number}/",
    ):
        assert auditor.get(url).status_code == 200, url
    page = auditor.get(f"/ops/complaints/{complaint.number}/").content.decode()
    assert 'id="answer-form"' not in page
    for url, data in (
        ("/ops/incidents/new/", {"title": "x"}),
        (f"/ops/incidents/{incident.number}/analysis/", {"analysis": "x"}),
        ("/ops/complaints/new/", {"subject": "x"}),
        (f"/ops/complaints/{complaint.number}/answer/", {"answer": "x"}),
    ):
        assert auditor.post(url, data).status_code == 403, url
    assert auditor.get("/ops/incidents/new/").status_code == 403
    reviewer = staff_client(make_staff(Role.REVIEWER, department="tax"))
    for url in ("/ops/incidents/", "/ops/complaints/", f"/ops/complaints/{complaint.number}/"):
        assert reviewer.get(url).status_code == 403, url
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.OPEN


def test_complaint_pages_mask_on_the_list_and_log_the_full_view() -> None:
    operator = make_staff(Role.OPERATOR)
    client = staff_client(operator)
    refused = client.post(
        "/ops/complaints/new/",
        {"channel": "phone", "complainant": "王小明", "contact": "", "subject": "", "content": "x"},
    )
    text = refused.content.decode()
    assert "请填写联系方式。" in text and "请填写事由。" in text and 'value="王小明"' in text
    done = client.post(
        "/ops/complaints/new/",
        {
            "channel": "phone",
            "complainant": "王小明",
            "contact": "13712345678",
            "subject": "积分明细有误",
            "content": "教育背景积分未计入。",
            "received_at": "",
        },
        follow=True,
    )
    complaint = Complaint.objects.get()
    page = done.content.decode()
    assert f"已受理投诉 {complaint.number}" in page
    assert "王小明" in page and "13712345678" in page
    views = AuditEvent.objects.filter(action="ops.complaint.view", target_id=str(complaint.pk))
    assert views.count() == 1 and views.get().field == "complainant,contact"

    listing = client.get("/ops/complaints/").content.decode()
    assert "王**" in listing and "137****5678" in listing
    assert "王小明" not in listing and "13712345678" not in listing
    assert 'id="reply-rate">0.0%' in listing

    answered = client.post(f"/ops/complaints/{complaint.number}/answer/", {"answer": ""})
    assert answered.status_code == 400 and "请填写答复内容。" in answered.content.decode()
    client.post(f"/ops/complaints/{complaint.number}/answer/", {"answer": "已核实并更正。"})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.ANSWERED
    listing = client.get("/ops/complaints/").content.decode()
    assert 'id="reply-rate">100.0%' in listing


def test_a_complaint_at_night_is_taken_with_a_warning() -> None:
    operator = make_staff(Role.OPERATOR)
    page = (
        staff_client(operator)
        .post(
            "/ops/complaints/new/",
            {
                "channel": "email",
                "complainant": "赵敏",
                "contact": "zhaomin@example.com",
                "subject": "夜间无法申报",
                "content": "晚上十点页面报错。",
                "received_at": "2026-05-11T22:05",
            },
            follow=True,
        )
        .content.decode()
    )
    assert "受理时间不在 8:00–20:00 受理时段内，已受理并标注“时段外”" in page
    assert Complaint.objects.get().due_at.date().isoformat() == "2026-05-14"


def test_lists_read_the_parameters_once_not_per_row(django_assert_max_num_queries: Any) -> None:
    operator = make_staff(Role.OPERATOR)
    for k in range(30):
        incidents.register_incident(
            actor=operator, title=f"故障{k}", symptom="现象", channel="phone"
        )
        complaints.take_complaint(
            actor=operator,
            channel="web",
            complainant="陈静",
            contact="13800000000",
            subject=f"事由{k}",
            content="内容",
        )
    client = staff_client(operator)
    client.get("/ops/")  # the session and the second factor's first checks
    for url in ("/ops/incidents/", "/ops/complaints/"):
        with django_assert_max_num_queries(20):
            page = client.get(url)
        assert page.status_code == 200 and "30）" in page.content.decode()


def test_overdue_complaints_of_earlier_months_are_pointed_out() -> None:
    operator = make_staff(Role.OPERATOR)
    old = complaints.take_complaint(
        actor=operator,
        channel="letter",
        complainant="孙丽",
        contact="13511112222",
        subject="来信反映积分计算",
        content="内容",
        received_at=timezone.now() - timedelta(days=70),
    )
    client = staff_client(operator)
    page = client.get("/ops/complaints/").content.decode()
    assert "超期未答复的投诉共 1 件（不限月份）" in page and old.number not in page
    page = client.get("/ops/complaints/?status=overdue").content.decode()
    assert old.number in page and "超期未答复的投诉（不限月份，1）" in page
    complaints.answer_complaint(actor=operator, complaint_id=old.pk, answer="已答复")
    assert 'id="overdue-all"' not in client.get("/ops/complaints/").content.decode()


def test_the_dashboard_links_open_incidents_to_their_page() -> None:
    operator = make_staff(Role.OPERATOR)
    incident = incidents.register_incident(
        actor=operator, title="备份失败", symptom="夜间备份未完成。", channel="remote"
    )
    page = staff_client(operator).get("/ops/").content.decode()
    assert f'<a href="/ops/incidents/{incident.number}/">{incident.number}</a>' in page
