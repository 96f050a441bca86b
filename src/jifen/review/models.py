"""Verification items, the insert-only decision ledger, comparisons, first results, re-checks
and signals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from jifen.core.roles import Department

from .kinds import KIND_NAMES, KINDS


class Kind(models.TextChoices):
    PERMITS = "permits", KIND_NAMES["permits"]
    CRIMINAL_RECORDS = "criminal_records", KIND_NAMES["criminal_records"]
    DETENTIONS = "detentions", KIND_NAMES["detentions"]
    SOCIAL_INSURANCE = "social_insurance", KIND_NAMES["social_insurance"]
    EMPLOYMENT = "employment", KIND_NAMES["employment"]
    HOUSING = "housing", KIND_NAMES["housing"]
    EDUCATION = "education", KIND_NAMES["education"]
    TAX = "tax", KIND_NAMES["tax"]
    TAX_OFFENCES = "tax_offences", KIND_NAMES["tax_offences"]
    INNOVATION = "innovation", KIND_NAMES["innovation"]
    HONOURS = "honours", KIND_NAMES["honours"]


assert tuple(Kind.values) == KINDS  # one list of kinds


class ItemState(models.TextChoices):
    WAITING = "waiting", "待核验"
    MATCHED = "matched", "比对一致"
    DIFFERENT = "different", "比对不一致"
    CONFIRMED = "confirmed", "已确认"
    CORRECTED = "corrected", "已更正"
    REJECTED = "rejected", "不予认定"


DECIDED_STATES = tuple(s for s in ItemState.values if s != ItemState.WAITING)


class RecheckState(models.TextChoices):
    NONE = "", "—"
    OPEN = "open", "复查中"
    ONSITE = "onsite", "待现场核验"
    ANSWERED = "answered", "已答复"


class VerificationItem(models.Model):
    """One kind of record of one application, owned by its department (mutable state; the
    decisions that set it are in the ledger, ``Decision``)."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="verification_items"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("核验事项", max_length=20, choices=Kind.choices)
    department = models.CharField("核验部门", max_length=20, choices=Department.choices)
    state = models.CharField(
        "核验状态", max_length=20, choices=ItemState.choices, default=ItemState.WAITING
    )
    # The latest comparison's outcome (None: no file has decided this kind yet).
    matched = models.BooleanField("比对结果", null=True, blank=True)
    recheck = models.CharField(
        "复查", max_length=20, choices=RecheckState.choices, blank=True, default=""
    )
    latest_decision = models.ForeignKey(
        "Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField("进入核验时间")
    due_on = models.DateField("核验时限", null=True, blank=True)
    decided_at = models.DateTimeField("核验时间", null=True, blank=True)

    class Meta:
        verbose_name = "核验事项"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="one_item_per_kind"),
        ]
        indexes = [
            models.Index(fields=["round", "department", "state"]),
            models.Index(fields=["round", "kind", "state"]),
            models.Index(fields=["round", "department", "recheck"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.application_id}）"

    @property
    def decided(self) -> bool:
        return self.state != ItemState.WAITING


class Source(models.TextChoices):
    COMPARISON = "comparison", "数据比对"
    REVIEWER = "reviewer", "审核员"
    RECHECK = "recheck", "复查"
    ONSITE = "onsite", "现场核验"


class Action(models.TextChoices):
    COMPARE = "compare", "数据比对"
    CONFIRM = "confirm", "确认"
    CORRECT = "correct", "更正"
    REJECT = "reject", "不予认定"
    UPHOLD = "uphold", "复查维持"


class Decision(models.Model):
    """One decision on an item: insert-only (the database refuses UPDATE and DELETE, see
    ``ledger_triggers``). A later decision supersedes an earlier one; none is ever changed.

    ``value`` is the verified value of the kind (``records``' fragment): what the verified
    profile takes from this decision.
    """

    item = models.ForeignKey(VerificationItem, on_delete=models.PROTECT, related_name="decisions")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField("决定", max_length=20, choices=Action.choices)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    matched = models.BooleanField(null=True, blank=True)
    value = models.JSONField("核验值")
    reason = models.TextField("理由", blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comparison = models.ForeignKey(
        "ComparisonRun", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "核验决定"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["item", "id"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("the decision ledger is insert-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("the decision ledger is insert-only")


class RunState(models.TextChoices):
    RUNNING = "running", "比对中"
    REFUSED = "refused", "文件被拒绝"
    DONE = "done", "已完成"
    FAILED = "failed", "出错"


class ComparisonRun(models.Model):
    """One department file compared with a round (or one fetch of a live source)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("记录类别", max_length=20, choices=Kind.choices)
    department = models.CharField("部门", max_length=20, choices=Department.choices)
    source = models.CharField("数据来源", max_length=20, default="file")
    file_name = models.CharField("文件名", max_length=200, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.BigIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.RUNNING)
    # Progress for the page's bar: ``done`` of ``total`` (bytes or rows, then applications).
    stage = models.CharField(max_length=20, blank=True, default="")
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    # The summary of the spec's command ({kind, rows, persons, applications, matched, ...}).
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [{line, column, message, message_zh}]
    error_count = models.PositiveIntegerField(default=0)
    # Why a run failed (state failed), in Chinese, for the page.
    failure = models.CharField("出错原因", max_length=300, blank=True, default="")
    started_at = models.DateTimeField(auto_now_add=True)
    # The last progress written: a running run without any for long was cut off (its process
    # ended) and no longer blocks the next comparison of its kind.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "数据比对"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        constraints = [
            # One comparison of a kind at a time in a round (the service says so in Chinese
            # first; this holds against two requests at once).
            models.UniqueConstraint(
                fields=["round", "kind"],
                condition=models.Q(state="running"),
                name="one_running_comparison_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["department", "-id"])]


class FirstResult(models.Model):
    """The score of an application's verified profile (初核结果); a re-check that changes
    the verified data adds a newer one (the newest is the application's result)."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="first_results"
    )
    after_recheck = models.BooleanField(default=False)
    rule_set = models.CharField(max_length=40)
    rule_set_version = models.CharField(max_length=40)
    eligible = models.BooleanField()
    total = models.DecimalField(max_digits=8, decimal_places=2)
    # The jifen.result/1 object (indicators, reasons and explanation as the engine wrote them).
    result = models.JSONField()
    explanation_zh = models.JSONField(default=list)
    reasons_zh = models.JSONField(default=list)
    profile = models.JSONField()  # the verified profile that was scored
    decisions = models.JSONField(default=dict)  # kind -> the decision id it took its value from
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "初核结果"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["application", "-id"])]


class RecheckRequest(models.Model):
    """The applicant's one request for a re-check (复查) of chosen items."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="recheck_request"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "复查申请"
        verbose_name_plural = verbose_name


class Outcome(models.TextChoices):
    UPHELD = "upheld", "维持原核验结果"
    CHANGED = "changed", "变更核验结果"


class Dispute(models.Model):
    """One disputed item of a re-check request: the applicant's statement, the department's
    (and, where paper must be seen, the service window's) answer."""

    request = models.ForeignKey(RecheckRequest, on_delete=models.PROTECT, related_name="disputes")
    item = models.ForeignKey(VerificationItem, on_delete=models.PROTECT, related_name="disputes")
    statement = models.TextField("复查理由")
    onsite_requested_at = models.DateTimeField(null=True, blank=True)
    onsite_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why the department asked the service window to see the originals.
    onsite_reason = models.TextField("转交现场核验理由", blank=True, default="")
    onsite_note = models.TextField("现场核验意见", blank=True, default="")
    # What the originals showed: consistent with the declaration or not (None: not yet seen).
    onsite_consistent = models.BooleanField("原件与申报一致", null=True, blank=True)
    onsite_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    onsite_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    answer = models.TextField("复查答复", blank=True, default="")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "复查事项"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="one_dispute_per_item"),
        ]


class SignalKind(models.TextChoices):
    SAME_EVIDENCE = "same_evidence", "同一证明材料出现在不同申请人名下"
    SAME_PHONE = "same_phone", "同一手机号码用于多名申请人"
    TAX_CLUSTER = "tax_cluster", "单位申请人纳税额集中在分档线上方"
    INSURANCE_BURST = "insurance_burst", "单位申请人社保集中起缴"
    RECORDS_CONFLICT = "records_conflict", "部门记录相互矛盾"


class SignalState(models.TextChoices):
    OPEN = "open", "待处理"
    DISMISSED = "dismissed", "已排除"
    CONFIRMED = "confirmed", "已确认异常"


class Signal(models.Model):
    """A sign of a duplicate or of fraud, for the reviewers: never changes a score itself."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=SignalKind.choices)
    key = models.CharField(max_length=120)  # what makes it the same signal when detected again
    employer = models.ForeignKey(
        "accounts.Employer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applications = models.ManyToManyField("applications.Application", related_name="signals")
    summary = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict)
    # The verifying departments the signal concerns, as "|tax|police|" (a list that filters the
    # same on SQLite and PostgreSQL): their reviewers see it.
    departments = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=20, choices=SignalState.choices, default=SignalState.OPEN)
    note = models.TextField(blank=True, default="")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    # False when the newest detection no longer found it (kept: it may have been handled).
    active = models.BooleanField(default=True)
    detected_at = models.DateTimeField(null=True, blank=True)  # the newest detection finding it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "异常信号"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["round", "kind", "key"], name="one_signal_per_key"),
        ]
        indexes = [
            models.Index(fields=["round", "state", "kind"], name="signal_round_state_kind")
        ]

    def __str__(self) -> str:
        return f"异常信号 #{self.pk}（{self.get_kind_display()}）"

    @property
    def department_list(self) -> list[str]:
        return [d for d in self.departments.split("|") if d]
