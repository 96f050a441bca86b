"""Users, employers and applicants' identity data (encrypted at rest)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from jifen.core import crypto
from jifen.core.fields import EncryptedTextField
from jifen.core.roles import STAFF_ROLES, Department, Role
from jifen.rules.identity import mask


class Employer(models.Model):
    name = models.CharField("单位名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    code = models.CharField("单位注册码", max_length=12, unique=True)
    district = models.CharField("所在区", max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "用人单位"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    department = models.CharField(
        "所属部门", max_length=20, choices=Department.choices, blank=True, default=""
    )
    employer = models.ForeignKey(
        Employer,
        verbose_name="所属单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agents",
    )
    full_name = models.CharField("姓名", max_length=50, blank=True, default="")
    phone = EncryptedTextField("手机号码", blank=True, default="")
    # The phone's blind index (crypto.phone_index), set on every save: finds several accounts
    # with one number (the reviewers' signals) without decrypting. Bulk writes set it themselves.
    phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    # Set when the security administrator gives the account a temporary password: until its
    # owner chooses their own, every page leads to the password change (PasswordChangeRequired).
    must_change_password = models.BooleanField("须修改临时密码", default=False)

    REQUIRED_FIELDS = ["role"]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.REVIEWER) | ~Q(department=""),
                name="reviewer_has_department",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.EMPLOYER_AGENT) | Q(employer__isnull=False),
                name="employer_agent_has_employer",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_index = crypto.phone_index(self.phone or "")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_index"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def phone_masked(self) -> str:
        p = self.phone or ""
        return p[:3] + "****" + p[-4:] if len(p) == 11 else ("*" * len(p))


class ApplicantProfile(models.Model):
    """The applicant's identity. The number is encrypted; ``id_index`` keeps it unique."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="applicant")
    id_number = EncryptedTextField("公民身份号码")
    id_index = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=[("M", "男"), ("F", "女")])
    birth_date = models.DateField("出生日期")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请人"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    @property
    def id_number_masked(self) -> str:
        return mask(self.id_number)


class PasswordReset(models.Model):
    """One request for a password-reset code by SMS (``jifen.accounts.recovery``).

    A row is made for every request, matching an account or not, so that requests can be
    counted per address and the answer is the same either way. The person holds ``token``
    (kept in their session, or returned by the API); only hashes of it and of the code are
    stored.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # None when the details matched no account that may reset its password this way.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="password_resets"
    )
    code_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "密码重置申请"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["ip", "created_at"])]

    def __str__(self) -> str:
        return f"密码重置申请 #{self.pk}"
