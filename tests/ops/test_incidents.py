"""Incidents (故障): the life cycle step by step, refusals naming the field, the SLA times with
exact numbers, the major-incident triggers one by one (with the emergency plan and the inbox
messages), the outage measured from the health probes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, InvalidInput, ServiceError
from jifen.core.roles import Role
from jifen.inbox.models import Message
from jifen.ops import incidents, parameters
from jifen.ops.alerts import raise_alert
from jifen.ops.models import HealthProbe, Incident
from tests.factories import make_staff

from .clock import Clock, install_clock, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def _register(actor: object, **kw: object) -> Incident:
    values = {
        "title": "申报页面无法提交",
        "symptom": "申请人点击提交后页面报错 502。",
        "channel": Incident.Channel.PHONE,
    }
    values.update(kw)
    return incidents.register_incident(actor=actor, **values)


def test_full_life_cycle_with_timeline_audit_and_sla(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    clock.set(2026, 5, 11, 9, 0)
    incident = _register(operator)
    assert incident.number == "GZ-2026-0001"
    assert incident.status == Incident.Status.OPEN and incident.created_by == operator

    clock.set(2026, 5, 11, 9, 25)
    incident = incidents.respond(actor=operator, incident_id=incident.pk)
    assert incident.status == Incident.Status.RESPONDING
    assert incident.handler == operator and incident.responded_at == local(2026, 5, 11, 9, 25)

    clock.set(2026, 5, 11, 10, 0)
    incidents.record_analysis(
        actor=operator, incident_id=incident.pk, analysis="应用服务器连接池耗尽。"
    )
    incidents.record_actions(
        actor=operator, incident_id=incident.pk, actions="重启应用并调大连接池。"
    )
    clock.set(2026, 5, 11, 18, 30)
    incident = incidents.resolve(actor=operator, incident_id=incident.pk)
    assert incident.status == Incident.Status.RESOLVED
    assert incident.completed_at == local(2026, 5, 11, 18, 30)
    clock.set(2026, 5, 12, 9, 0)
    incident = incidents.close(actor=operator, incident_id=incident.pk)
    assert incident.status == Incident.Status.CLOSED and incident.closed_at == local(2026, 5, 12, 9)

    assert [e.kind for e in incident.events.all()] == [
        "opened",
        "responded",
        "analysis",
        "actions",
        "resolved",
        "closed",
    ]
    responded = incident.events.get(kind="responded")
    assert responded.text == "响应故障，处理人：工作人员（响应用时 25.0 分钟）"
    assert list(
        AuditEvent.objects.filter(target_type="ops.incident", target_id=str(incident.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "ops.incident_open",
        "ops.incident_respond",
        "ops.incident_analysis",
        "ops.incident_actions",
        "ops.incident_resolve",
        "ops.incident_close",
    ]
    # 25 minutes against 30: met; 9.5 hours against 8: over.
    response, resolution = incidents.sla(incident)
    assert (response.value, response.target, response.met, response.verdict) == (
        25.0,
        30,
        True,
        "达标",
    )
    assert (resolution.value, resolution.target, resolution.met, resolution.verdict) == (
        9.5,
        8,
        False,
        "超时",
    )


def test_sla_of_an_open_ticket_runs_and_follows_the_parameters(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    clock.set(2026, 5, 11, 9, 0)
    incident = _register(operator)
    clock.set(2026, 5, 11, 9, 20)
    response, _resolution = incidents.sla(incident)
    assert (response.value, response.elapsed, response.met, response.verdict) == (
        None,
        20.0,
        None,
        "进行中",
    )
    clock.set(2026, 5, 11, 9, 45)
    assert incidents.sla(incident)[0].met is False  # 45 minutes without a response
    parameters.set_parameter(
        actor=operator, key="sla_incident_response_minutes", value="60", reason="新合同"
    )
    clock.set(2026, 5, 11, 9, 50)
    incident = incidents.respond(actor=operator, incident_id=incident.pk)
    response = incidents.sla(incident)[0]
    assert (response.value, response.target, response.met) == (50.0, 60, True)


def test_register_refusals_name_each_field(clock: Clock) -> None:
    with pytest.raises(InvalidInput) as caught:
        incidents.register_incident(
            actor=None,
            title=" ",
            symptom="",
            channel=Incident.Channel.MONITORING,
            reported_at=local(2026, 5, 12, 9, 0),
        )
    fields = {e.field: e.message for e in caught.value.errors}
    assert fields == {
        "title": "请填写故障标题。",
        "symptom": "请填写故障现象。",
        "channel": "请选择报告途径（7×24 电话、远程、电子邮件或现场）。",
        "reported_at": "发现时间不能晚于当前时间。",
    }
    assert not Incident.objects.exists()


def test_steps_out_of_order_and_closing_without_analysis_are_refused(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    incident = _register(operator)
    with pytest.raises(Conflict, match="当前为“待响应”，不能标记为已解决"):
        incidents.resolve(actor=operator, incident_id=incident.pk)
    with pytest.raises(Conflict, match="不能记录故障分析"):
        incidents.record_analysis(actor=operator, incident_id=incident.pk, analysis="x")
    auditor = make_staff(Role.AUDITOR)
    with pytest.raises(InvalidInput, match="处理人须为在岗的运维人员") as caught:
        incidents.respond(actor=operator, incident_id=incident.pk, handler=auditor)
    assert caught.value.errors[0].field == "handler"
    incidents.respond(actor=operator, incident_id=incident.pk)
    with pytest.raises(InvalidInput) as caught:
        incidents.resolve(actor=operator, incident_id=incident.pk)
    assert (caught.value.errors[0].field, caught.value.message) == (
        "actions",
        "请先填写处理措施，再标记故障已解决。",
    )
    with pytest.raises(InvalidInput) as caught:
        incidents.record_actions(actor=operator, incident_id=incident.pk, actions="  ")
    assert caught.value.errors[0].field == "actions"
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="切换备用节点。")
    incidents.resolve(actor=operator, incident_id=incident.pk)
    with pytest.raises(InvalidInput) as caught:
        incidents.close(actor=operator, incident_id=incident.pk)
    assert (caught.value.errors[0].field, caught.value.message) == (
        "analysis",
        "请先填写故障分析，再关闭故障单。",
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED and incident.closed_at is None


def test_an_alert_opened_ticket_goes_through_the_same_steps(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    alert = raise_alert(
        source="inspection", code="disk", level="critical", message="磁盘使用率 93%"
    )
    incident = alert.incident
    assert incident.channel == Incident.Channel.MONITORING
    incidents.respond(actor=operator, incident_id=incident.pk)
    incidents.record_analysis(actor=operator, incident_id=incident.pk, analysis="日志未轮转。")
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="清理并配置轮转。")
    incidents.resolve(actor=operator, incident_id=incident.pk)
    incident = incidents.close(actor=operator, incident_id=incident.pk)
    assert incident.status == Incident.Status.CLOSED
    assert incident.severity == Incident.Severity.SERIOUS  # not major: no trigger met


@pytest.mark.parametrize(
    ("impact", "reason"),
    [
        ({"outage_minutes": 60}, "系统中断 60 分钟，达到重大故障条件（60 分钟）"),
        ({"affected_users": 1500}, "受影响用户 1500 人，达到重大故障条件（1000 人）"),
        ({"data_loss": True}, "发生数据丢失"),
        ({"security_breach": True}, "发生安全事件（数据泄露或入侵）"),
    ],
)
def test_each_trigger_escalates_starts_the_plan_and_notifies(
    clock: Clock, impact: dict[str, object], reason: str
) -> None:
    operator = make_staff(Role.OPERATOR)
    bureau = make_staff(Role.BUREAU_ADMIN)
    reviewer = make_staff(Role.REVIEWER, department="tax")
    incident = _register(operator)
    clock.advance(minutes=10)
    incident = incidents.record_impact(actor=operator, incident_id=incident.pk, **impact)
    assert incident.severity == Incident.Severity.MAJOR
    assert incident.escalation_reason == reason
    assert incident.emergency_plan_started_at == clock.now
    kinds = [e.kind for e in incident.events.all()]
    assert kinds == ["opened", "impact", "escalated", "emergency_plan"]
    assert incident.events.get(kind="escalated").text == f"升级为重大故障：{reason}"
    messages = Message.objects.filter(subject=f"重大故障 {incident.number}：已启动应急预案")
    assert set(messages.values_list("recipient", flat=True)) == {operator.pk, bureau.pk}
    assert reason in messages.first().body
    assert not Message.objects.filter(recipient=reviewer).exists()
    assert AuditEvent.objects.filter(action="ops.incident_escalate", detail=reason).count() == 1
    # Escalated once: a second impact record adds no second emergency plan.
    incidents.record_impact(actor=operator, incident_id=incident.pk, affected_users=5000)
    assert incident.events.filter(kind="emergency_plan").count() == 1


def test_below_the_triggers_stays_minor_and_triggers_follow_parameters(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    incident = _register(operator)
    incident = incidents.record_impact(
        actor=operator, incident_id=incident.pk, outage_minutes=59, affected_users=999
    )
    assert (
        incident.severity == Incident.Severity.MINOR and incident.emergency_plan_started_at is None
    )
    assert incident.events.last().text == "记录故障影响：系统中断 59 分钟，受影响用户 999 人"
    parameters.set_parameter(actor=operator, key="major_on_data_loss", value="否", reason="演练")
    incident = incidents.record_impact(actor=operator, incident_id=incident.pk, data_loss=True)
    assert incident.severity == Incident.Severity.MINOR
    parameters.set_parameter(
        actor=operator, key="major_affected_users", value="500", reason="新合同"
    )
    incident = incidents.record_impact(actor=operator, incident_id=incident.pk, affected_users=600)
    assert incident.severity == Incident.Severity.MAJOR


def test_registered_as_major_starts_the_plan_at_once(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    incident = _register(operator, severity=Incident.Severity.MAJOR)
    assert incident.emergency_plan_started_at == clock.now
    assert incident.escalation_reason == "登记时定为重大故障"


def _probes(start_hour: int, pattern: str) -> None:
    """One probe every 10 minutes from start_hour:00 on 2026-05-11; 'x' failed, '.' ok."""
    for k, ch in enumerate(pattern):
        HealthProbe.objects.create(
            at=local(2026, 5, 11, start_hour) + timedelta(minutes=10 * k),
            ok=ch == ".",
        )


def test_outage_from_the_health_probes_escalates(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    # 8:00 ok, 8:10 failed (an earlier 20-minute blip, over at 8:30), 8:40 ok,
    # 9:00-10:10 failed, 10:20 ok: 80 minutes, the outage the ticket is about.
    _probes(8, "..xx...xxxxxxxx.")
    clock.set(2026, 5, 11, 9, 5)
    incident = _register(operator)
    clock.set(2026, 5, 11, 11, 0)
    assert incidents.outage_from_probes(incident) == 80
    incident = incidents.record_impact(actor=operator, incident_id=incident.pk)
    assert incident.outage_minutes == 80
    assert incident.severity == Incident.Severity.MAJOR
    assert "系统中断 80 分钟" in incident.escalation_reason
    assert "（据健康探测记录计算）" in incident.events.get(kind="impact").text


def test_outage_still_going_counts_to_the_last_failed_probe(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    _probes(9, ".xxxx")  # 9:10 .. 9:40 failed, nothing after
    clock.set(2026, 5, 11, 9, 15)
    incident = _register(operator)
    clock.set(2026, 5, 11, 9, 45)
    assert incidents.outage_from_probes(incident) == 30


def test_resolve_measures_the_outage_and_escalates(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    _probes(9, "x" * 8 + ".")  # 9:00 .. 10:10 failed, 10:20 ok: 80 minutes
    clock.set(2026, 5, 11, 9, 5)
    incident = _register(operator)
    incidents.respond(actor=operator, incident_id=incident.pk)
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="切换数据库主备。")
    clock.set(2026, 5, 11, 10, 30)
    incident = incidents.resolve(actor=operator, incident_id=incident.pk)
    assert incident.outage_minutes == 80 and incident.severity == Incident.Severity.MAJOR


def test_list_filters_by_status_severity_and_month(clock: Clock) -> None:
    operator = make_staff(Role.OPERATOR)
    clock.set(2026, 4, 30, 23, 30)
    april = _register(operator, title="四月")
    clock.set(2026, 5, 1, 0, 10)
    may = _register(operator, title="五月", severity=Incident.Severity.SERIOUS)
    assert list(incidents.incident_list(month="2026-04")) == [april]
    assert list(incidents.incident_list(month="2026-05")) == [may]
    assert list(incidents.incident_list(severity="serious")) == [may]
    assert list(incidents.incident_list(status="open")) == [may, april]
    with pytest.raises(ServiceError) as caught:
        incidents.incident_list(month="2026-13")
    assert caught.value.errors[0].field == "month"
