"""The yearly round (年度积分落户): its rule set, quota and declaration window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from jifen.rules.ruleset import newest_rule_set

from . import phases


def default_quota() -> int:
    """The newest rule set's quota (``ranking.quota``): the policy's number, not the code's."""
    return newest_rule_set().quota


class Round(models.Model):
    year = models.PositiveIntegerField("申报年度", unique=True)
    rule_set = models.CharField("积分规则", max_length=40)
    # round_create gives the quota of the round's own rule set when none is given.
    quota = models.PositiveIntegerField("落户指标数", default=default_quota)
    declaration_opens = models.DateTimeField("申报开始时间")
    declaration_closes = models.DateTimeField("申报截止时间")
    # Working days each department has for its verification items ({department: days}; a
    # department not named has jifen.review.kinds.DEFAULT_VERIFICATION_DAYS).
    verification_days = models.JSONField("部门核验时限（工作日）", default=dict, blank=True)
    # The phases' windows (jifen.rounds.phases): declaration above, the others here. Missing
    # ones are filled from phases.DEFAULT_SCHEDULE when the round is saved.
    registration_opens = models.DateTimeField("注册与单位关联开始时间", null=True, blank=True)
    registration_closes = models.DateTimeField("注册与单位关联截止时间", null=True, blank=True)
    employer_review_opens = models.DateTimeField("单位审核开始时间", null=True, blank=True)
    employer_review_closes = models.DateTimeField("单位审核截止时间", null=True, blank=True)
    verification_opens = models.DateTimeField("部门核验开始时间", null=True, blank=True)
    verification_closes = models.DateTimeField("部门核验截止时间", null=True, blank=True)
    recheck_opens = models.DateTimeField("复查申请开始时间", null=True, blank=True)
    recheck_closes = models.DateTimeField("复查申请截止时间", null=True, blank=True)
    scoring_opens = models.DateTimeField("积分评定开始时间", null=True, blank=True)
    scoring_closes = models.DateTimeField("积分评定截止时间", null=True, blank=True)
    publication_opens = models.DateTimeField("公示开始时间", null=True, blank=True)
    publication_closes = models.DateTimeField("公示截止时间", null=True, blank=True)
    settlement_opens = models.DateTimeField("落户办理开始时间", null=True, blank=True)
    settlement_closes = models.DateTimeField("落户办理截止时间", null=True, blank=True)
    # "live": run in this system; "published": a past round imported from its published list
    # (manage.py import_published: no applications, only the list's rows).
    source = models.CharField(
        "来源",
        max_length=12,
        default="live",
        choices=[("live", "本系统办理"), ("published", "公布名单导入")],
    )
    applicants_reported = models.PositiveIntegerField("申报人数（公布）", null=True, blank=True)
    # The scoring run whose results are the round's (switched atomically when a run finishes).
    current_run = models.ForeignKey(
        "rounds.ScoringRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "积分落户年度"
        verbose_name_plural = verbose_name
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(declaration_closes__gt=models.F("declaration_opens")),
                name="declaration_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}年积分落户"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_default_windows()
        super().save(*args, **kwargs)

    def fill_default_windows(self) -> None:
        """Give each unscheduled phase its default window (phases.DEFAULT_SCHEDULE)."""
        if self.declaration_opens is None or self.declaration_closes is None:
            return
        for phase in phases.DEFAULT_SCHEDULE:
            o, c = phases.field_names(phase)
            if getattr(self, o) is None and getattr(self, c) is None:
                opens, closes = phases.default_window(
                    phase, self.declaration_opens, self.declaration_closes
                )
                setattr(self, o, opens)
                setattr(self, c, closes)

    def phase_open(self, phase: str, now: datetime | None = None) -> bool:
        return phases.is_open(self, phase, now)

    def recheck_open(self, now: datetime | None = None) -> bool:
        return phases.is_open(self, phases.Phase.RECHECK, now)

    def declaration_open(self, now: datetime | None = None) -> bool:
        return phases.is_open(self, phases.Phase.DECLARATION, now)


class RoundChange(models.Model):
    """One change of one round parameter (who, when, old → new, why); insert-only."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField("参数", max_length=40)
    old = models.JSONField("原值", null=True)
    new = models.JSONField("新值", null=True)
    reason = models.CharField("变更理由", max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("变更时间", auto_now_add=True)

    class Meta:
        verbose_name = "年度参数变更记录"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]


class RunState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
    STOPPED = "stopped", "已停止"


class ScoringRun(models.Model):
    """One scoring run (积分评定) of a round: scores every application from its verified
    profile and ranks them. Its rows are RankedResult; the round points at its current run, and
    only a finished run becomes current (the switch is atomic, the old rows stay until then)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="runs")
    # "score": a scoring run; "published": the rows of an imported published list;
    # "whatif": a what-if run that never becomes current.
    kind = models.CharField(max_length=12, default="score")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True, default="")
    rule_set = models.CharField(max_length=40, blank=True, default="")
    rule_set_version = models.CharField(max_length=40, blank=True, default="")
    quota = models.PositiveIntegerField(null=True, blank=True)
    # Progress: the stage and counts, written while the run works (a page polls them).
    stage = models.CharField(max_length=20, blank=True, default="")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The outcome (the JSON of score_round / round_results --summary).
    applications = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    line = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    admitted = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    stop_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "积分评定批次"
        verbose_name_plural = verbose_name
        ordering = ["-id"]


class RankedResult(models.Model):
    """One application's final score and place in a run (or one row of a published list)."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="results")
    # Null for a published list's rows (no applications behind them) and for incomplete ones.
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    application_no = models.CharField(max_length=20)
    # The listing order: ranked ones 1..n by rank then number; then the ineligible; then the
    # incomplete (verification not finished), each by application number.
    position = models.PositiveIntegerField()
    # "ranked", "ineligible" or "incomplete"
    status = models.CharField(max_length=12, default="ranked")
    eligible = models.BooleanField(default=True)
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    indicators = models.JSONField(default=dict, blank=True)  # code -> points
    reasons = models.JSONField(default=list, blank=True)  # English (jifen.result/1)
    reasons_zh = models.JSONField(default=list, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    admitted = models.BooleanField(null=True, blank=True)
    birth_month = models.CharField(max_length=7, blank=True, default="")  # "1980-05"
    first_result_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "积分排名"
        verbose_name_plural = verbose_name
        indexes = [
            models.Index(fields=["run", "position"]),
            models.Index(fields=["run", "application_no"]),
            models.Index(fields=["run", "application"]),
        ]
