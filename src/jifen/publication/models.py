"""The published list (公示名单), its downloads, objections (异议) and settlement (落户).

The list is a snapshot taken at publication: the public page and the downloads read these
rows only (no decryption, no joins, no scoring per request). Re-publishing replaces the rows
and the files in one transaction and raises ``version`` (the public page's cache key).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jifen.core import crypto
from jifen.core.fields import EncryptedTextField


class Publication(models.Model):
    """The round's published list: one per round, replaced on re-publication."""

    round = models.OneToOneField(
        "rounds.Round", on_delete=models.CASCADE, related_name="publication"
    )
    run = models.ForeignKey(
        "rounds.ScoringRun", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    rows = models.PositiveIntegerField(default=0)
    line = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = verbose_name


class ListedEntry(models.Model):
    """One admitted applicant as published (masked identity number, no decryption later)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    rank = models.PositiveIntegerField()
    application = models.ForeignKey(
        "applications.Application", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    application_no = models.CharField(max_length=20)
    name = models.CharField(max_length=50)
    id_masked = models.CharField(max_length=24)
    birth_month = models.CharField(max_length=7, blank=True, default="")
    employer = models.CharField(max_length=200, blank=True, default="")
    # The ten indicator scores in jifen.rules.INDICATORS order, as "12.50" strings.
    scores = models.JSONField(default=list)
    total = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = "公示名单条目"
        verbose_name_plural = verbose_name
        ordering = ["position"]
        indexes = [
            models.Index(fields=["publication", "position"]),
            models.Index(fields=["publication", "rank"]),
            models.Index(fields=["publication", "application"]),
        ]


class FileKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel"
    PDF = "pdf", "PDF"


class PublicationFile(models.Model):
    """A download made once at publication time."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=4, choices=FileKind.choices)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)  # how long it took to make (docs: measured)

    class Meta:
        verbose_name = "公示名单下载文件"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["publication", "kind"], name="one_file_per_kind")
        ]


class ObjectionState(models.TextChoices):
    RECEIVED = "received", "已受理"
    CHECKING = "checking", "核查中"
    ANSWERED = "answered", "已答复"


class Objection(models.Model):
    """An objection (异议) to one listed entry, filed by anyone under a real name."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    receipt_no = models.CharField("受理编号", max_length=20, unique=True)
    application = models.ForeignKey(
        "applications.Application", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    application_no = models.CharField(max_length=20)
    rank = models.PositiveIntegerField()
    listed_name = models.CharField(max_length=50)  # as published (public already)
    # The filer's personal data, encrypted at rest; the phone's blind index for the look-up.
    filer_name = EncryptedTextField("异议人姓名")
    filer_phone = EncryptedTextField("联系电话")
    phone_index = models.CharField(max_length=64, db_index=True)
    reason = models.TextField("异议理由")
    # The blind index of the filer's address: the throttle counts by it, no address is kept.
    address_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    state = models.CharField(
        max_length=10, choices=ObjectionState.choices, default=ObjectionState.RECEIVED
    )
    note = models.CharField("核查情况", max_length=500, blank=True, default="")
    answer = models.TextField("答复", blank=True, default="")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # A correction made through the verification ledger because of this objection.
    decision = models.ForeignKey(
        "review.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rerun_needed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["round", "state"])]

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.phone_index = crypto.phone_index(self.filer_phone or "")
        super().save(*args, **kwargs)


class SettlementState(models.TextChoices):
    SETTLED = "settled", "已办理落户"
    GIVEN_UP = "given_up", "放弃落户"


class Settlement(models.Model):
    """The bureau's record of an admitted applicant's settlement (one per application)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="settlement"
    )
    state = models.CharField(max_length=10, choices=SettlementState.choices)
    settled_on = models.DateField("落户日期", null=True, blank=True)
    reason = models.CharField("放弃理由", max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "落户办理记录"
        verbose_name_plural = verbose_name
