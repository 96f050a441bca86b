"""The demo's month of incidents and complaints (故障与投诉), ending at the load.

Four incidents: one opened by a monitoring alert, one major (an outage over the trigger, the
emergency plan started), one reported by e-mail — these three closed, with their reports — and
one still being handled. Ten complaints: nine answered on time, one overdue and escalated by
the escalation job. Complainants are synthetic (Faker zh_CN, fixed seed).

Everything goes through the services, each step with its moment in the month (``at``); the
audit events keep the moment of the load.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from faker import Faker

from jifen.core.working_days import add_working_days, is_working_day
from jifen.ops import complaints, incidents
from jifen.ops.alerts import raise_alert
from jifen.ops.models import Complaint, Incident

SEED = 20260610


def _handle(
    operator: Any,
    incident: Incident,
    *,
    analysis: str,
    actions: str,
    times: dict[str, datetime],
    impacts: tuple[tuple[datetime, dict[str, Any]], ...] = (),
) -> Incident:
    """Respond, record the impacts (if any), the analysis and the actions, then resolve and
    close when ``times`` has those steps."""
    pk = incident.pk
    incidents.respond(actor=operator, incident_id=pk, at=times["respond"])
    for at, impact in impacts:
        incidents.record_impact(actor=operator, incident_id=pk, at=at, **impact)
    incidents.record_analysis(
        actor=operator, incident_id=pk, analysis=analysis, at=times["analysis"]
    )
    incidents.record_actions(actor=operator, incident_id=pk, actions=actions, at=times["actions"])
    if "resolve" in times:
        incidents.resolve(actor=operator, incident_id=pk, at=times["resolve"])
    if "close" in times:
        incidents.close(actor=operator, incident_id=pk, at=times["close"])
    incident.refresh_from_db()
    return incident


def _working_moment(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``days_ago`` days back (moved earlier to a working day) at ``hour:minute``."""
    day = timezone.localtime(now).date() - timedelta(days=days_ago)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def _load_incidents(operator: Any, now: datetime) -> list[Incident]:
    m = timedelta(minutes=1)
    # 1. Found by the daily inspection (an alert opens the ticket by itself).
    at = _working_moment(now, 26, 6, 5)
    alert = raise_alert(
        source="inspection",
        code="disk_usage",
        level="warning",
        message="数据盘使用率 86%，超过告警阈值 80%",
        details={"mount": "/var/lib/jifen", "percent": 86},
        at=at,
    )
    disk = _handle(
        operator,
        alert.incident,
        analysis="证明材料目录增长较快，旧日志未按期压缩归档。",
        actions="压缩并归档 30 天前的应用日志，清理临时文件；使用率降至 61%。已申请扩容。",
        times={
            "respond": at + 22 * m,
            "analysis": at + 60 * m,
            "actions": at + 140 * m,
            "resolve": at + 150 * m,
            "close": at + 180 * m,
        },
    )
    # 2. A major incident: the database went down, 75 minutes of outage (trigger: 60).
    at = _working_moment(now, 17, 9, 40)
    major = incidents.register_incident(
        actor=operator,
        title="数据库主节点宕机，系统无法访问",
        symptom="9:40 起申报、查询页面均返回“服务暂不可用”，7×24 热线接到多区服务窗口来电。",
        channel=Incident.Channel.PHONE,
        severity=Incident.Severity.SERIOUS,
        reported_at=at,
    )
    _handle(
        operator,
        major,
        analysis="数据库主节点所在服务器存储控制器故障，数据库进程异常退出；备节点数据完整。",
        actions="启动应急预案，切换至备节点并恢复服务（10:55）；更换存储控制器后重建主备复制。",
        # 2,300 users cut off: the trigger is met at once and the emergency plan starts; the
        # outage's length is recorded once the service is back.
        impacts=(
            (at + 15 * m, {"affected_users": 2300}),
            (at + 76 * m, {"outage_minutes": 75, "affected_users": 2300}),
        ),
        times={
            "respond": at + 8 * m,
            "analysis": at + 50 * m,
            "actions": at + 77 * m,
            "resolve": at + 78 * m,
            "close": at + 26 * 60 * m,
        },
    )
    # 3. Reported by e-mail: some applicants get their SMS codes late.
    at = _working_moment(now, 9, 14, 10)
    sms = incidents.register_incident(
        actor=operator,
        title="部分申请人短信验证码延迟",
        symptom="区服务窗口邮件反映：部分申请人找回密码时验证码 5 分钟后才收到。",
        channel=Incident.Channel.EMAIL,
        reported_at=at,
    )
    _handle(
        operator,
        sms,
        analysis="短信网关通道拥塞，运营商侧限流。",
        actions="切换至备用短信通道，联系运营商提高限额。",
        times={
            "respond": at + 25 * m,
            "analysis": at + 90 * m,
            "actions": at + 4 * 60 * m,
            "resolve": at + 5 * 60 * m,
            "close": at + 6 * 60 * m,
        },
    )
    # 4. Still being handled: reported remotely this week.
    at = _working_moment(now, 1, 10, 30)
    printing = incidents.register_incident(
        actor=operator,
        title="区服务窗口打印申报表出现乱码",
        symptom="朝阳区服务窗口远程反映：打印的申报表部分汉字显示为方框。",
        channel=Incident.Channel.REMOTE,
        reported_at=at,
    )
    _handle(
        operator,
        printing,
        analysis="窗口终端缺少中文字体，浏览器回退字体不含部分汉字。",
        actions="已远程安装 Noto CJK 字体，待窗口确认打印效果。",
        times={"respond": at + 18 * m, "analysis": at + 60 * m, "actions": at + 80 * m},
    )
    return [disk, major, sms, printing]


SUBJECTS = (
    ("积分查询页面打开缓慢", "查询积分明细要等很久才显示。"),
    ("单位经办人无法确认关联", "点击确认关联后提示错误。"),
    ("教育背景积分与预期不符", "本人硕士学位，积分显示按本科计算。"),
    ("短信验证码收不到", "找回密码时多次收不到验证码。"),
    ("申报材料上传失败", "上传住房证明 PDF 时提示文件类型不符。"),
    ("热线电话长时间占线", "工作日上午多次拨打热线均占线。"),
    ("公示名单查询不到本人", "按姓名查询公示名单没有结果。"),
    ("纳税记录核验结果有误", "纳税年限少计了一年。"),
    ("区服务窗口答复不一致", "两个窗口对同一问题答复不同。"),
    ("页面在手机上显示不全", "手机浏览器中表格显示不全。"),
)
CHANNELS = (
    Complaint.Channel.PHONE,
    Complaint.Channel.WEB,
    Complaint.Channel.PHONE,
    Complaint.Channel.EMAIL,
    Complaint.Channel.WEB,
    Complaint.Channel.PHONE,
    Complaint.Channel.LETTER,
    Complaint.Channel.PHONE,
    Complaint.Channel.VISIT,
    Complaint.Channel.EMAIL,
)


def _overdue_received(now: datetime) -> datetime:
    """A working day far enough back that a complaint received then is past management's
    escalation (its due day plus the parameter's working days) by now."""
    days = 6
    while True:
        received = _working_moment(now, days, 15, 20)
        due = add_working_days(timezone.localtime(received).date(), 3)
        if (
            complaints.level_due(
                Complaint(status=Complaint.Status.OPEN, due_at=complaints.due_at(received)), now
            )
            == Complaint.Escalation.MANAGEMENT
            and due < timezone.localtime(now).date()
        ):
            return received
        days += 1


def _load_complaints(operator: Any, now: datetime) -> list[Complaint]:
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    taken = []
    for k, ((subject, content), channel) in enumerate(zip(SUBJECTS, CHANNELS, strict=True)):
        name = fake.name()
        if channel == Complaint.Channel.EMAIL:
            contact = f"user{k + 1:02d}@example.com"
        else:
            contact = f"139{fake.random_number(digits=8, fix_len=True)}"
        if k == 9:
            received = _overdue_received(now)
        else:
            # Spread over the month; one (k == 3) by e-mail at night: taken, flagged.
            hour, minute = (21, 40) if k == 3 else (9 + k % 8, 15 + 3 * k)
            received = _working_moment(now, 29 - 3 * k, hour, minute)
        complaint = complaints.take_complaint(
            actor=operator,
            channel=channel,
            complainant=name,
            contact=contact,
            subject=subject,
            content=content,
            received_at=received,
        )
        if k == 9:
            taken.append(complaint)
            continue  # the overdue one: escalated below
        complaints.answer_complaint(
            actor=operator,
            complaint_id=complaint.pk,
            answer=f"您反映的“{subject}”问题已核实处理，如仍有疑问请拨打咨询热线。",
            at=min(received + timedelta(hours=20 + 5 * k), complaint.due_at),
        )
        taken.append(complaint)
    complaints.escalate_overdue(now=now)
    return taken


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    """Load the month (once: nothing when there are complaints or incidents already)."""
    if Complaint.objects.exists() or Incident.objects.exists():
        return
    loaded = _load_incidents(operator, now)
    taken = _load_complaints(operator, now)
    say(f"  operations: {len(loaded)} incidents (one major), {len(taken)} complaints")
