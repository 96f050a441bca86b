"""The audit log's tables.

``AuditEvent`` rows are written once, by :func:`jifen.audit.services.record_event` /
:func:`~jifen.audit.services.record_access`, and never changed: the model, its manager and (in
the database) triggers refuse updates and deletes. Each row carries the HMAC-SM3 (keyed with
``AUDIT_CHAIN_KEY``, which the database never holds) of its own content and of its
predecessor's hash (``prev_hash``), so any later change or removal breaks the chain and
:func:`jifen.audit.services.verify_chain` finds it; checkpoints outside the database
(:mod:`jifen.audit.checkpoints`) catch a log emptied, cut short or rewritten as a whole.

The one change the database allows: when a user account is deleted, ``actor`` becomes NULL
(``on_delete=SET_NULL``). The hash covers ``actor_ref``, an unchangeable copy of the actor's
primary key, and ``actor_name``/``actor_role`` keep the trail readable without the account.

Never put personal data in the clear into ``before``, ``after`` or ``detail`` (identity
numbers, even masked; names; declared values; free texts such as reasons or file names): the
log cannot be corrected afterwards. Record which fields changed, with keyed fingerprints
(:mod:`jifen.audit.redact`).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from .errors import AppendOnlyError
from .hashing import GENESIS_HASH, chain_hash, utc_iso
from .keys import current_keys

_REFUSED = "the audit log is append-only: events cannot be changed or deleted"
_INSERT_ONLY_THROUGH_SERVICES = (
    "audit events are written only by jifen.audit.services.record_event / record_access"
)


class AuditEventQuerySet(models.QuerySet):
    """Queries over audit events; everything that would write outside the chain refuses."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_REFUSED)

    def delete(self) -> NoReturn:
        raise AppendOnlyError(_REFUSED)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> NoReturn:
        raise AppendOnlyError(_REFUSED)

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_REFUSED)

    def create(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_INSERT_ONLY_THROUGH_SERVICES)

    def get_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_INSERT_ONLY_THROUGH_SERVICES)

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_INSERT_ONLY_THROUGH_SERVICES)


AuditEventManager = models.Manager.from_queryset(AuditEventQuerySet)


class AuditChainHead(models.Model):
    """The single row (pk 1) naming the newest event of the chain.

    Appending locks this row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers anyway), so concurrent transactions queue up behind each
    other instead of forking the chain. It also lets ``verify_chain`` notice events cut off
    the end of the log.
    """

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK)
    seq = models.BigIntegerField("最新事件序号", default=0)
    hash = models.CharField("最新事件哈希", max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"audit chain head: seq {self.seq} {self.hash[:12]}…"


class AuditEvent(models.Model):
    """One security-relevant event: a change ("change"), a view of personal data ("access") or
    a refused request ("refusal")."""

    class Kind(models.TextChoices):
        CHANGE = "change", "变更"
        ACCESS = "access", "查阅"
        REFUSAL = "refusal", "拒绝访问"

    class Channel(models.TextChoices):
        WEB = "web", "网页"
        API = "api", "接口"
        CLI = "cli", "命令行"
        SYSTEM = "system", "系统"

    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField("序号", unique=True, editable=False)
    at = models.DateTimeField("时间", editable=False)

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # covered by the (actor, seq) index below
    )
    # Copies taken when the event is written; they survive the deletion of the account.
    actor_ref = models.CharField("操作人主键", max_length=64, blank=True, editable=False)
    actor_name = models.CharField("操作人用户名", max_length=150, blank=True, editable=False)
    actor_role = models.CharField("操作人角色", max_length=64, blank=True, editable=False)

    kind = models.CharField("类别", max_length=10, choices=Kind.choices, editable=False)
    action = models.CharField("动作", max_length=100, editable=False)
    target_type = models.CharField("对象类型", max_length=100, blank=True, editable=False)
    target_id = models.CharField("对象主键", max_length=64, blank=True, editable=False)
    field = models.CharField("查阅字段", max_length=100, blank=True, editable=False)
    before = models.JSONField("变更前", null=True, blank=True, editable=False)
    after = models.JSONField("变更后", null=True, blank=True, editable=False)
    detail = models.TextField("说明", blank=True, editable=False)

    ip = models.CharField("IP 地址", max_length=45, blank=True, editable=False)
    user_agent = models.CharField("客户端", max_length=255, blank=True, editable=False)
    channel = models.CharField(
        "渠道", max_length=10, choices=Channel.choices, default=Channel.SYSTEM, editable=False
    )

    prev_hash = models.CharField("前一事件哈希", max_length=64, editable=False)
    hash = models.CharField("本事件哈希", max_length=64, unique=True, editable=False)

    objects = AuditEventManager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        indexes = [
            models.Index(fields=["actor", "seq"], name="audit_event_actor_idx"),
            models.Index(fields=["target_type", "target_id", "seq"], name="audit_event_target_idx"),
            models.Index(fields=["at"], name="audit_event_at_idx"),
            models.Index(fields=["action", "seq"], name="audit_event_action_idx"),
            models.Index(fields=["kind", "seq"], name="audit_event_kind_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        target = f" {self.target_type}#{self.target_id}" if self.target_type else ""
        return f"#{self.seq} {utc_iso(self.at)} {who} {self.kind}:{self.action}{target}"

    # --- the chain ---------------------------------------------------------------------------

    def hash_payload(self) -> dict[str, Any]:
        """The fields the hash covers (everything but ``id``, ``hash`` and the ``actor`` FK)."""
        return {
            "seq": self.seq,
            "at": utc_iso(self.at),
            "actor_id": self.actor_ref,
            "actor_name": self.actor_name,
            "actor_role": self.actor_role,
            "kind": self.kind,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "channel": self.channel,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self, key: bytes | None = None) -> str:
        """The event's HMAC-SM3 under ``key`` (by default the chain key of the settings)."""
        return chain_hash(self.hash_payload(), key if key is not None else current_keys().chain)

    # --- append-only -------------------------------------------------------------------------

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_REFUSED)
        if not getattr(self, "_appending", False):
            raise AppendOnlyError(_INSERT_ONLY_THROUGH_SERVICES)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(_REFUSED)
