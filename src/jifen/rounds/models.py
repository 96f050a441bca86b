"""The yearly round (年度积分落户): its rule set, quota and declaration window."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from jifen.rules.ruleset import newest_rule_set


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
    # The re-check window (复查): the round issue's phases will replace these two.
    recheck_opens = models.DateTimeField("复查申请开始时间", null=True, blank=True)
    recheck_closes = models.DateTimeField("复查申请截止时间", null=True, blank=True)
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

    def recheck_open(self, now: datetime | None = None) -> bool:
        if self.recheck_opens is None or self.recheck_closes is None:
            return False
        now = now or timezone.now()
        return self.recheck_opens <= now < self.recheck_closes

    def declaration_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.declaration_opens <= now < self.declaration_closes
