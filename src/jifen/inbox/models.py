"""One message to one person. Messages are kept (the recipient cannot be deleted while they
have any): what the system told someone, and when they read it, may be asked about later."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

SUBJECT_MAX = 100
LINK_MAX = 300


class Category(models.TextChoices):
    RESULT = "result", "初核结果"
    RECHECK = "recheck", "复查"
    VERIFICATION = "verification", "核验"
    SYSTEM = "system", "系统通知"


def validate_internal_link(value: str) -> None:
    """A path of this site ("/my/result/"), or blank. Never another site: the page shows it as
    a button, and a link elsewhere ("//host", "https:", "javascript:", a backslash that some
    browsers read as "/") would send a person off the system from a trusted message."""
    if value == "":
        return
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise ValidationError("链接须为本系统内以“/”开头的地址", code="invalid_link")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        raise ValidationError("链接须为本系统内以“/”开头的地址", code="invalid_link")
    if len(value) > LINK_MAX:
        raise ValidationError(f"链接最多 {LINK_MAX} 个字符", code="link_too_long")


class Message(models.Model):
    # PROTECT: a person with messages is never deleted together with them (accounts are
    # deactivated, not deleted; the audit log refers to them as well).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        on_delete=models.PROTECT,
        related_name="inbox_messages",
    )
    subject = models.CharField("标题", max_length=SUBJECT_MAX)
    # Plain text; pages escape it and turn line breaks into <br>.
    body = models.TextField("正文", blank=True, default="")
    link = models.CharField(
        "链接", max_length=LINK_MAX, blank=True, default="", validators=[validate_internal_link]
    )
    category = models.CharField(
        "类别", max_length=20, choices=Category.choices, default=Category.SYSTEM
    )
    created_at = models.DateTimeField("发送时间", default=timezone.now, editable=False)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        # The unread count of the header badge on every page: recipient = ? AND read_at IS NULL.
        indexes = [models.Index(fields=["recipient", "read_at"], name="inbox_recipient_read")]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
