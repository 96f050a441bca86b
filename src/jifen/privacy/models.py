"""Personal data's life cycle (PIPL): what was anonymised when, and correction requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AnonymisedApplication(models.Model):
    """An application whose personal data the retention job removed (its numbers kept for
    the statistics). Its presence makes the job idempotent."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="anonymised"
    )
    at = models.DateTimeField("匿名化时间")
    evidence_deleted = models.PositiveIntegerField("删除证明材料数", default=0)

    class Meta:
        verbose_name = "已匿名化申请"
        verbose_name_plural = verbose_name


class AnonymisedPerson(models.Model):
    """An applicant's account whose identity the retention job removed (no application of
    theirs is kept any longer in a form that names them)."""

    applicant = models.OneToOneField(
        "accounts.ApplicantProfile", on_delete=models.PROTECT, related_name="anonymised"
    )
    at = models.DateTimeField("匿名化时间")

    class Meta:
        verbose_name = "已匿名化申请人"
        verbose_name_plural = verbose_name


class CorrectionField(models.TextChoices):
    """The personal data an applicant may ask to have corrected (PIPL art. 46). The first
    three are account data the bureau's acceptance changes itself; the others are corrected
    through the round's own procedures (declaration, re-check), which the answer explains."""

    NAME = "name", "姓名"
    PHONE = "phone", "手机号码"
    EMAIL = "email", "电子邮箱"
    ID_NUMBER = "id_number", "公民身份号码"
    BIRTH_DATE = "birth_date", "出生日期"
    SEX = "sex", "性别"
    DECLARATION = "declaration", "申报信息"
    OTHER = "other", "其他"


# Fields whose accepted correction is applied to the account by the system itself.
APPLIED_FIELDS = frozenset({CorrectionField.NAME, CorrectionField.PHONE, CorrectionField.EMAIL})


class CorrectionState(models.TextChoices):
    WAITING = "waiting", "待处理"
    ACCEPTED = "accepted", "已更正"
    REFUSED = "refused", "不予更正"


class CorrectionRequest(models.Model):
    """An applicant's request to correct their personal data, and the bureau's answer."""

    applicant = models.ForeignKey(
        "accounts.ApplicantProfile", on_delete=models.PROTECT, related_name="corrections"
    )
    field = models.CharField("更正项目", max_length=20, choices=CorrectionField.choices)
    wrong = models.CharField("现有信息错在何处", max_length=500)
    correct = models.CharField("应更正为", max_length=200)
    state = models.CharField(
        "处理状态", max_length=10, choices=CorrectionState.choices, default=CorrectionState.WAITING
    )
    answer = models.CharField("处理意见", max_length=500, blank=True, default="")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "个人信息更正申请"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["state", "created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"更正申请 #{self.pk}"
