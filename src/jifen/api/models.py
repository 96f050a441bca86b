"""Bearer tokens of the JSON API. Only a hash of each token is stored."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from jifen.core.crypto import sm3_hex

TOKEN_LIFETIME = timedelta(hours=8)
TOKEN_PREFIX = "jf_"


def token_hash(token: str) -> str:
    """The SM3 hash stored in place of the token (tokens are random: no salt needed)."""
    return sm3_hex(token.encode("utf-8", "surrogatepass"))


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A Bearer token: given once by POST /api/auth/token, good for 8 hours or until revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField("令牌摘要（SM3）", max_length=64, unique=True, editable=False)
    # The first characters of the token, enough to tell tokens apart in the audit log.
    prefix = models.CharField("令牌前缀", max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("失效时间")
    revoked_at = models.DateTimeField("注销时间", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "接口访问令牌"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @classmethod
    def issue(cls, user: models.Model) -> tuple[ApiToken, str]:
        """A new token for ``user``: the row and the token itself (shown to the caller once)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user,
            key_hash=token_hash(token),
            prefix=token[:10],
            expires_at=timezone.now() + TOKEN_LIFETIME,
        )
        return row, token
