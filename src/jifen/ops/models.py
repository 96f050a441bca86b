"""The operations side's records (运维): system parameters and their changes, alerts and
incidents, backups and recovery drills, health probes, audit-chain verifications, inspection
reports and the scheduler's runs.

These are the records the yearly operations agreement asks the operators to keep
(shared/spec/operations.md); the console (/ops/) shows them and the reports are made from them.
Other modules of this app add complaints, on-site service, training and the CMDB.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Parameter(models.Model):
    """One system parameter (配置) the operators maintain: thresholds, SLA targets, triggers,
    retention. Defaults live in :mod:`jifen.ops.parameters`; a row exists once it was changed."""

    key = models.CharField("参数", max_length=80, unique=True)
    value = models.JSONField("取值")
    updated_at = models.DateTimeField("修改时间")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "系统参数"
        verbose_name_plural = verbose_name


class ParameterChange(models.Model):
    """Every change of a system parameter: who, when, old → new, why (insert-only)."""

    key = models.CharField("参数", max_length=80, db_index=True)
    old_value = models.JSONField("原值", null=True)
    new_value = models.JSONField("新值")
    changed_at = models.DateTimeField("修改时间", db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField("修改原因")

    class Meta:
        verbose_name = "参数变更记录"
        verbose_name_plural = verbose_name
        ordering = ["-changed_at", "-id"]


class Incident(models.Model):
    """A fault ticket (故障单) with the agreement's fields."""

    class Severity(models.TextChoices):
        MINOR = "minor", "一般"
        SERIOUS = "serious", "严重"
        MAJOR = "major", "重大"

    class Status(models.TextChoices):
        OPEN = "open", "待响应"
        RESPONDING = "responding", "处理中"
        RESOLVED = "resolved", "已解决"
        CLOSED = "closed", "已关闭"

    class Channel(models.TextChoices):
        MONITORING = "monitoring", "监控告警"
        PHONE = "phone", "7×24 电话"
        REMOTE = "remote", "远程"
        EMAIL = "email", "电子邮件"
        ONSITE = "onsite", "现场"

    number = models.CharField("故障单号", max_length=20, unique=True)
    title = models.CharField("标题", max_length=200)
    channel = models.CharField("发现途径", max_length=20, choices=Channel.choices)
    severity = models.CharField(
        "级别", max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    symptom = models.TextField("故障现象")
    analysis = models.TextField("故障分析", blank=True, default="")
    actions = models.TextField("处理措施", blank=True, default="")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField("发现时间", db_index=True)
    responded_at = models.DateTimeField("响应时间", null=True, blank=True)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    # A major incident (重大故障) starts the emergency plan (应急预案): when and why.
    emergency_plan_started_at = models.DateTimeField("启动应急预案时间", null=True, blank=True)
    escalation_reason = models.TextField("升级原因", blank=True, default="")
    # The impact, as reported (or computed from the health probes): what the major-incident
    # triggers (parameters major_*) are checked against.
    outage_minutes = models.PositiveIntegerField("系统中断时长（分钟）", null=True, blank=True)
    affected_users = models.PositiveIntegerField("受影响用户数", null=True, blank=True)
    data_loss = models.BooleanField("发生数据丢失", default=False)
    security_breach = models.BooleanField("发生安全事件", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "故障单"
        verbose_name_plural = verbose_name
        ordering = ["-reported_at", "-id"]


class IncidentEvent(models.Model):
    """One line of an incident's timeline (insert-only)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30)
    text = models.TextField()

    class Meta:
        verbose_name = "故障处理记录"
        verbose_name_plural = verbose_name
        ordering = ["at", "id"]


class Alert(models.Model):
    """A problem found by monitoring, an inspection, a backup or a drill. An alert opens an
    incident unless one for the same ``code`` is still open (no ticket storms)."""

    class Level(models.TextChoices):
        WARNING = "warning", "警告"
        CRITICAL = "critical", "严重"

    source = models.CharField("来源", max_length=20)
    code = models.CharField("告警类型", max_length=60, db_index=True)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    message = models.TextField("告警内容")
    details = models.JSONField(default=dict)
    raised_at = models.DateTimeField("告警时间", db_index=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )

    class Meta:
        verbose_name = "告警"
        verbose_name_plural = verbose_name
        ordering = ["-raised_at", "-id"]


class Backup(models.Model):
    """One backup file (数据备份): a full backup or an incremental on top of the previous one."""

    class Kind(models.TextChoices):
        FULL = "full", "全量备份"
        INCREMENTAL = "incremental", "增量备份"

    class Status(models.TextChoices):
        OK = "ok", "完成"
        FAILED = "failed", "失败"
        PRUNED = "pruned", "已按保留期清理"

    backup_id = models.CharField("备份编号", max_length=40, unique=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    engine = models.CharField("数据库", max_length=12)  # sqlite | postgresql
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created = models.DateTimeField("备份时间", db_index=True)
    finished = models.DateTimeField("完成时间", null=True, blank=True)
    bytes = models.BigIntegerField("大小（字节）", default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    path = models.CharField("文件", max_length=500, blank=True, default="")
    # What the backup holds: tables and their row counts, evidence files, configuration.
    manifest = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "数据备份"
        verbose_name_plural = verbose_name
        ordering = ["created", "id"]


class RecoveryDrill(models.Model):
    """A recovery drill (数据恢复演练): the latest chain restored somewhere else and checked."""

    started = models.DateTimeField("开始时间", db_index=True)
    finished = models.DateTimeField("结束时间", null=True, blank=True)
    ok = models.BooleanField("通过", default=False)
    backup = models.ForeignKey(Backup, null=True, on_delete=models.SET_NULL, related_name="drills")
    rto_seconds = models.FloatField("恢复用时（秒）", null=True, blank=True)
    rpo_seconds = models.FloatField("数据时差（秒）", null=True, blank=True)
    checks = models.JSONField(default=dict)
    failure = models.TextField("失败原因", blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "恢复演练"
        verbose_name_plural = verbose_name
        ordering = ["-started", "-id"]


class HealthProbe(models.Model):
    """One readiness probe, kept for the availability figures of the reports."""

    at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    duration_ms = models.PositiveIntegerField(default=0)
    checks = models.JSONField(default=dict)

    class Meta:
        verbose_name = "健康探测"
        verbose_name_plural = verbose_name
        ordering = ["-at"]


class ChainVerification(models.Model):
    """One run of the audit chain's verification, from the last verified event onward."""

    at = models.DateTimeField(db_index=True)
    from_seq = models.BigIntegerField()
    to_seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=128, blank=True, default="")
    ok = models.BooleanField()
    problem = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "审计链校验"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]


class Inspection(models.Model):
    """An inspection report (巡检报告): daily, the weekly system-software check, or the monthly
    summary made from the dailies."""

    class Kind(models.TextChoices):
        DAILY = "daily", "日常巡检"
        WEEKLY = "weekly", "系统软件周检"
        MONTHLY = "monthly", "月度巡检汇总"

    class Status(models.TextChoices):
        NORMAL = "正常", "正常"
        WARNING = "警告", "警告"
        ABNORMAL = "异常", "异常"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    period_start = models.DateTimeField("起")
    period_end = models.DateTimeField("止")
    created = models.DateTimeField("生成时间", db_index=True)
    status = models.CharField("结论", max_length=4, choices=Status.choices)
    # Every check: its group, name, measured value, threshold and status; and the summary.
    findings = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "巡检报告"
        verbose_name_plural = verbose_name
        ordering = ["-created", "-id"]


class ScheduledRun(models.Model):
    """One run of a scheduled job (the scheduler enqueues, the worker runs)."""

    job = models.CharField(max_length=60, db_index=True)
    planned_at = models.DateTimeField()
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    output = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "定时任务运行记录"
        verbose_name_plural = verbose_name
        ordering = ["-planned_at", "-id"]


class Complaint(models.Model):
    """A complaint (投诉), taken 8:00–20:00, answered within 3 working days (parameter
    ``sla_complaint_working_days``) on the official calendar; overdue ones escalate."""

    class Channel(models.TextChoices):
        PHONE = "phone", "电话"
        EMAIL = "email", "电子邮件"
        WEB = "web", "网站留言"
        LETTER = "letter", "信函"
        VISIT = "visit", "来访"

    class Status(models.TextChoices):
        OPEN = "open", "待答复"
        ANSWERED = "answered", "已答复"

    class Escalation(models.IntegerChoices):
        NONE = 0, "未升级"
        OPS_LEAD = 1, "已升级至甲方运维负责人"
        MANAGEMENT = 2, "已升级至管理层"

    number = models.CharField("投诉编号", max_length=20, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField("受理时间", db_index=True)
    # Who complained: a name and a way back, as given (not linked to an account).
    complainant = models.CharField("投诉人", max_length=50)
    contact = models.CharField("联系方式", max_length=100, blank=True, default="")
    subject = models.CharField("事由", max_length=200)
    content = models.TextField("投诉内容")
    due_at = models.DateTimeField("答复期限", db_index=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField("答复内容", blank=True, default="")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalation = models.PositiveSmallIntegerField(
        "升级", choices=Escalation.choices, default=Escalation.NONE
    )
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "投诉"
        verbose_name_plural = verbose_name
        ordering = ["-received_at", "-id"]


class ServiceVisit(models.Model):
    """An on-site service visit (客户现场服务): the problem, how it was solved, the sign-off
    by the bureau's staff and their satisfaction rating."""

    class Satisfaction(models.IntegerChoices):
        VERY_UNSATISFIED = 1, "很不满意"
        UNSATISFIED = 2, "不满意"
        NEUTRAL = 3, "一般"
        SATISFIED = 4, "满意"
        VERY_SATISFIED = 5, "很满意"

    visited_on = models.DateField("服务日期", db_index=True)
    place = models.CharField("服务地点", max_length=200)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="服务人员",
        on_delete=models.PROTECT,
        related_name="+",
    )
    problem = models.TextField("问题描述")
    solution = models.TextField("解决方法", blank=True, default="")
    signed_off_by = models.CharField("甲方确认人", max_length=50, blank=True, default="")
    signed_off_at = models.DateTimeField("确认时间", null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "满意度", choices=Satisfaction.choices, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "现场服务记录"
        verbose_name_plural = verbose_name
        ordering = ["-visited_on", "-id"]


class TrainingSession(models.Model):
    """A training session of the yearly plan (培训计划): planned, then held (with attendance
    and material) or cancelled."""

    class Status(models.TextChoices):
        PLANNED = "planned", "计划中"
        HELD = "held", "已举办"
        CANCELLED = "cancelled", "已取消"

    year = models.PositiveIntegerField("年度", db_index=True)
    title = models.CharField("培训主题", max_length=200)
    audience = models.CharField("培训对象", max_length=200)  # city / district staff
    planned_on = models.DateField("计划日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PLANNED)
    held_on = models.DateField("举办日期", null=True, blank=True)
    attendees = models.PositiveIntegerField("参训人数", null=True, blank=True)
    trainer = models.CharField("讲师", max_length=50, blank=True, default="")
    # The training material (a file kept with the evidence store's encryption, or a document
    # reference) and the function it introduces.
    material_name = models.CharField("培训材料", max_length=200, blank=True, default="")
    material_path = models.CharField(max_length=500, blank=True, default="")
    function = models.CharField("涉及功能", max_length=200, blank=True, default="")
    notes = models.TextField("备注", blank=True, default="")

    class Meta:
        verbose_name = "培训"
        verbose_name_plural = verbose_name
        ordering = ["year", "planned_on", "id"]


class ConfigItem(models.Model):
    """A configuration item of the CMDB (运维配置管理数据库): a server, a piece of software
    with its version, a service, a network device, a document."""

    class Kind(models.TextChoices):
        SERVER = "server", "服务器"
        SOFTWARE = "software", "软件"
        SERVICE = "service", "服务"
        NETWORK = "network", "网络设备"
        DOCUMENT = "document", "文档"

    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=200)
    version = models.CharField("版本", max_length=100, blank=True, default="")
    host = models.CharField("所在服务器", max_length=100, blank=True, default="")
    attributes = models.JSONField("属性", default=dict)
    # True for what the system fills in by itself (its own software and versions).
    discovered = models.BooleanField("系统自动登记", default=False)
    retired = models.BooleanField("已停用", default=False)
    updated = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "配置项"
        verbose_name_plural = verbose_name
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name", "host"], name="ops_config_item_unique")
        ]


class ConfigChange(models.Model):
    """Every change to a configuration item (insert-only): who, when, old → new, why."""

    item = models.ForeignKey(ConfigItem, on_delete=models.PROTECT, related_name="changes")
    changed_at = models.DateTimeField(db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(max_length=50)
    old_value = models.TextField(blank=True, default="")
    new_value = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "配置变更记录"
        verbose_name_plural = verbose_name
        ordering = ["-changed_at", "-id"]


class OpsReport(models.Model):
    """One generated operations report (运维报告): the monthly inspection report or the
    quarterly or annual report, made on demand (console or ``manage.py ops_report``) or by the
    schedule. The file is not kept by the console (it is made again from the records); who
    made it, when, for which period and its checksum are."""

    class Kind(models.TextChoices):
        MONTH = "month", "运维巡检月报"
        QUARTER = "quarter", "季度运维报告"
        YEAR = "year", "年度运维报告"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    kind = models.CharField("报告类型", max_length=10, choices=Kind.choices)
    period = models.CharField("报告期", max_length=10, db_index=True)  # 2026-11 | 2026Q4 | 2026
    format = models.CharField("格式", max_length=4, choices=Format.choices)
    generated_at = models.DateTimeField("生成时间", db_index=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField("生成方式", max_length=10)  # console | command | schedule
    bytes = models.BigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    path = models.CharField("文件", max_length=500, blank=True, default="")

    class Meta:
        verbose_name = "运维报告"
        verbose_name_plural = verbose_name
        ordering = ["-generated_at", "-id"]


class TaskWorker(models.Model):
    """A task worker process (``manage.py task_worker``) and its last sign of life.

    django-tasks-db leaves a job RUNNING for ever when the process carrying it dies (SIGKILL,
    out of memory, the machine lost); the heartbeat tells a live worker's job from an
    abandoned one (jifen.ops.task_workers)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "任务进程"
        verbose_name_plural = verbose_name
        ordering = ["-beat_at"]
