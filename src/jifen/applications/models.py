"""Employment links, applications (the declaration) and evidence files."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from .evidence_storage import EncryptedFileStorage, PrivateFileStorage

__all__ = ["PrivateFileStorage"]  # re-exported: the storage's base, without URLs


class LinkStatus(models.TextChoices):
    PENDING = "pending", "待单位确认"
    CONFIRMED = "confirmed", "单位已确认"
    REFUSED = "refused", "单位已拒绝"
    CANCELLED = "cancelled", "已撤销"


ACTIVE_LINK_STATUSES = (LinkStatus.PENDING, LinkStatus.CONFIRMED)


class EmploymentLink(models.Model):
    """The applicant's claim to work for an employer, confirmed or refused by the employer."""

    applicant = models.ForeignKey(
        "accounts.ApplicantProfile", on_delete=models.PROTECT, related_name="links"
    )
    employer = models.ForeignKey(
        "accounts.Employer", on_delete=models.PROTECT, related_name="links"
    )
    status = models.CharField(max_length=20, choices=LinkStatus.choices, default=LinkStatus.PENDING)
    reason = models.CharField("理由", max_length=500, blank=True, default="")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "单位关联"
        verbose_name_plural = verbose_name
        constraints = [
            # At most one pending-or-confirmed link per applicant, enforced by the database.
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status__in=ACTIVE_LINK_STATUSES),
                name="one_active_link_per_applicant",
            )
        ]


class Status(models.TextChoices):
    DRAFT = "draft", "填报中"
    SUBMITTED = "submitted", "已提交，待单位审核"
    RETURNED = "returned", "单位退回修改"
    EMPLOYER_SUBMITTED = "employer_submitted", "单位已提交"


EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)


class Application(models.Model):
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        "accounts.ApplicantProfile", on_delete=models.PROTECT, related_name="applications"
    )
    employer = models.ForeignKey(
        "accounts.Employer", on_delete=models.PROTECT, related_name="applications"
    )
    number = models.CharField("申请编号", max_length=20, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The declaration as typed (see jifen.applications.declaration); version counts its writes.
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    # The sections the applicant saved at least once (a section untouched is not "done").
    saved_sections = models.JSONField(default=list, blank=True)
    return_reason = models.CharField("退回理由", max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    employer_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "积分申报"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["round", "applicant"], name="one_application_per_round"
            ),
        ]
        indexes = [models.Index(fields=["employer", "status"])]

    def __str__(self) -> str:
        return f"{self.round.year}年申报 {self.number}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class _EvidenceStorage(LazyObject):
    """Files outside the web root (settings.EVIDENCE_ROOT), encrypted, never given a public
    URL (see evidence_storage)."""

    def _setup(self) -> None:
        self._wrapped = EncryptedFileStorage(location=settings.EVIDENCE_ROOT)


evidence_storage = _EvidenceStorage()


def _evidence_storage() -> _EvidenceStorage:
    """The field's storage, given as a callable so that migrations name it instead of
    recording this machine's EVIDENCE_ROOT."""
    return evidence_storage


@receiver(setting_changed)
def _evidence_root_changed(*, setting: str, **kwargs: Any) -> None:
    # override_settings(EVIDENCE_ROOT=...) must reach the storage set up earlier.
    if setting == "EVIDENCE_ROOT":
        evidence_storage._wrapped = empty


def _evidence_path(instance: Evidence, filename: str) -> str:
    return f"{instance.application.round.year}/{instance.application_id}/{filename}"


class Evidence(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    section = models.CharField(max_length=30)
    item_id = models.CharField(max_length=16, blank=True, default="")  # "" = the whole section
    file = models.FileField(storage=_evidence_storage, upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "证明材料"
        verbose_name_plural = verbose_name
        ordering = ["uploaded_at", "id"]
