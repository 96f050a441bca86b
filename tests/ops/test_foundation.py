"""The operations foundation: parameters with their change record, alerts opening incidents,
the scheduler running a job and keeping its outcome."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from jifen.audit.models import AuditEvent
from jifen.core.errors import ServiceError
from jifen.core.roles import Role
from jifen.ops import parameters, runner
from jifen.ops.alerts import raise_alert
from jifen.ops.models import Incident, ParameterChange, ScheduledRun
from tests.factories import make_staff, staff_client

pytestmark = pytest.mark.django_db


def test_parameter_default_then_change_is_recorded_with_reason() -> None:
    operator = make_staff(Role.OPERATOR)
    assert parameters.get("inspect_disk_percent_warn") == 80
    parameters.set_parameter(
        actor=operator, key="inspect_disk_percent_warn", value="75", reason="磁盘扩容前收紧"
    )
    assert parameters.get("inspect_disk_percent_warn") == 75
    change = ParameterChange.objects.get()
    assert (change.old_value, change.new_value, change.reason) == (80, 75, "磁盘扩容前收紧")
    assert change.changed_by == operator
    event = AuditEvent.objects.filter(action="ops.parameter_change").get()
    assert event.target_id == "inspect_disk_percent_warn"


@pytest.mark.parametrize(
    ("value", "reason", "field", "text"),
    [
        ("abc", "原因", "inspect_disk_percent_warn", "应为非负整数"),
        ("-3", "原因", "inspect_disk_percent_warn", "应为非负整数"),
        ("70", "  ", "reason", "请填写修改原因"),
        ("80", "原因", "inspect_disk_percent_warn", "与原值相同"),
    ],
)
def test_parameter_refusals_name_the_field(value: str, reason: str, field: str, text: str) -> None:
    with pytest.raises(ServiceError) as caught:
        parameters.set_parameter(
            actor=None, key="inspect_disk_percent_warn", value=value, reason=reason
        )
    assert text in caught.value.message
    assert caught.value.errors[0].field == field
    assert not ParameterChange.objects.exists()


def test_float_parameter_keeps_its_type() -> None:
    parameters.set_parameter(
        actor=None, key="sla_availability_percent", value="99.9", reason="新合同"
    )
    assert parameters.get("sla_availability_percent") == pytest.approx(99.9)


def test_alert_opens_one_incident_per_code_while_open() -> None:
    first = raise_alert(
        source="inspection", code="disk", level="critical", message="磁盘使用率 93%"
    )
    second = raise_alert(
        source="inspection", code="disk", level="critical", message="磁盘使用率 94%"
    )
    other = raise_alert(source="backup", code="backup_age", level="warning", message="备份过旧")
    assert first.incident == second.incident != other.incident
    incident = first.incident
    assert incident.number.startswith("GZ-") and incident.channel == Incident.Channel.MONITORING
    assert incident.severity == Incident.Severity.SERIOUS
    assert [e.kind for e in incident.events.all()] == ["opened", "alert"]
    incident.status = Incident.Status.CLOSED
    incident.save()
    third = raise_alert(source="inspection", code="disk", level="warning", message="磁盘使用率 85%")
    assert third.incident != incident and third.incident.severity == Incident.Severity.MINOR


def test_scheduler_runs_a_job_and_records_it() -> None:
    out = StringIO()
    call_command("run_scheduler", "--run", "audit_checkpoint", stdout=out)
    outcome = json.loads(out.getvalue().strip().splitlines()[-1])
    assert outcome["job"] == "audit_checkpoint" and outcome["ok"] is True
    run = ScheduledRun.objects.get()
    assert run.ok and run.finished >= run.started


def test_failed_job_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from jifen.ops import jobs

    def boom() -> str:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(jobs, "audit_checkpoint", boom)
    run = runner.execute(runner.plan("audit_checkpoint").pk)
    assert run.ok is False and "磁盘已满" in run.output


def test_scheduler_lists_jobs_with_next_time() -> None:
    out = StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    assert "audit_checkpoint\t5 * * * *\t" in out.getvalue()


def test_console_for_operator_and_auditor_only() -> None:
    operator = staff_client(make_staff(Role.OPERATOR))
    page = operator.get("/ops/")
    assert page.status_code == 200
    assert "运维管理台" in page.content.decode() and "尚无备份" in page.content.decode()
    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get("/ops/").status_code == 200
    reviewer = staff_client(make_staff(Role.REVIEWER, department="tax"))
    assert reviewer.get("/ops/").status_code == 403


def test_console_bar_shows_each_role_only_what_it_may_open() -> None:
    operator = staff_client(make_staff(Role.OPERATOR))
    page = operator.get("/ops/").content.decode()
    for label in ("日常巡检", "故障处理", "投诉受理", "系统参数", "运维报告"):
        assert f">{label}</a>" in page
    bureau = staff_client(make_staff(Role.BUREAU_ADMIN))
    reports = bureau.get("/ops/reports/")
    assert reports.status_code == 200
    text = reports.content.decode()
    assert ">运维报告</a>" in text
    for label in ("日常巡检", "故障处理", "系统参数", "总览"):
        assert f">{label}</a>" not in text


def test_dashboard_points_at_overdue_complaints_and_failed_jobs() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from jifen.ops.models import Complaint

    now = timezone.now()
    for n, due in enumerate((now - timedelta(hours=2), now + timedelta(days=2))):
        Complaint.objects.create(
            number=f"TS-2026-{n + 1:04d}",
            channel="phone",
            received_at=now - timedelta(days=5),
            complainant="张三",
            subject="事由",
            content="内容",
            due_at=due,
        )
    ScheduledRun.objects.create(job="inspection_daily", planned_at=now, ok=False, output="x")
    page = staff_client(make_staff(Role.OPERATOR)).get("/ops/").content.decode()
    assert "待答复 2 件，<strong>其中超期 1 件</strong>" in page
    assert '<span class="mono">inspection_daily</span>' in page


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        # Cron counts weekdays from Sunday = 0; APScheduler from Monday = 0.
        ("inspection_weekly", "2026-12-05 12:00", "2026-12-07 08:00"),  # "* * 1": Monday
        ("audit_chain_verify_full", "2026-12-01 12:00", "2026-12-06 03:40"),  # "* * 0": Sunday
        ("backup_full", "2026-12-01 12:00", "2026-12-06 02:00"),  # "sun"
        ("inspection_daily", "2026-12-01 12:00", "2026-12-02 07:30"),
        ("report_quarterly", "2026-12-01 12:00", "2027-01-01 07:00"),
    ],
)
def test_jobs_fire_on_the_days_cron_means(name: str, after: str, expected: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from jifen.ops.schedule import job, trigger

    tz = ZoneInfo("Asia/Shanghai")
    start = datetime.strptime(after, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    fire = trigger(job(name), "Asia/Shanghai").get_next_fire_time(None, start)
    assert fire.strftime("%Y-%m-%d %H:%M") == expected


def test_weekday_numbers_become_names() -> None:
    from jifen.ops.schedule import _weekday_names

    assert _weekday_names("1-5") == "mon-fri"
    assert _weekday_names("0,6") == "sun,sat"
    assert _weekday_names("7") == "sun"
    assert _weekday_names("*/2") == "*/2"
    assert _weekday_names("1-5/2") == "mon-fri/2"
    assert _weekday_names("sun") == "sun"
