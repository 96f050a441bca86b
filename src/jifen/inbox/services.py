"""Sending messages and marking them read.

``notify``/``notify_many`` are called by other services inside their own transaction: a
message is written with the state change it reports, or not at all. They write no audit event
(a message is not a security event; the change it reports has its own) and open no savepoint:
one INSERT each. Reading is the recipient's alone: anyone else is told the message does not
exist, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jifen.core.errors import FieldError, InvalidInput, NotFound

from .models import SUBJECT_MAX, Category, Message, validate_internal_link

NOT_FOUND = "没有找到该消息"
# The largest primary key the databases store; a larger id is simply not found.
_MAX_ID = 2**63 - 1
_BATCH = 1000


def _checked(subject: str, body: str, link: str, category: str) -> tuple[str, str, str, str]:
    """The message's fields, or InvalidInput naming each bad one (callers are our own code:
    a bad field is a mistake to see at once, not something to store)."""
    errors: list[FieldError] = []
    subject = (subject or "").strip()
    body = body or ""
    link = link or ""
    if not subject:
        errors.append(FieldError("subject", "消息标题不能为空"))
    elif len(subject) > SUBJECT_MAX:
        errors.append(FieldError("subject", f"消息标题最多 {SUBJECT_MAX} 个字"))
    for field, text in (("subject", subject), ("body", body)):
        if "\x00" in text:
            errors.append(FieldError(field, "不能包含空字符（NUL）"))
    try:
        validate_internal_link(link)
    except ValidationError as exc:
        errors.append(FieldError("link", exc.messages[0]))
    if category not in Category.values:
        errors.append(FieldError("category", f"没有名为 {category} 的消息类别"))
    if errors:
        raise InvalidInput("站内消息有误", errors=errors)
    return subject, body, link, str(category)


def notify(
    *,
    recipient: Any,
    subject: str,
    body: str,
    link: str = "",
    category: str = Category.SYSTEM,
) -> Message:
    """Send one message to ``recipient`` (in the caller's transaction)."""
    subject, body, link, category = _checked(subject, body, link, category)
    return Message.objects.create(
        recipient=recipient, subject=subject, body=body, link=link, category=category
    )


def notify_many(
    *,
    recipients: Iterable[Any],
    subject: str,
    body: str,
    link: str = "",
    category: str = Category.SYSTEM,
) -> int:
    """Send the same message to each of ``recipients`` (once to each person, however often
    they are listed), in the caller's transaction; how many were sent."""
    subject, body, link, category = _checked(subject, body, link, category)
    now = timezone.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk is None:
            raise ValueError("a recipient must be a saved user")
        if user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Message(
                recipient_id=user.pk, subject=subject, body=body, link=link,
                category=category, created_at=now,
            )
        )
    Message.objects.bulk_create(rows, batch_size=_BATCH)
    return len(rows)


def _own(actor: Any, message_id: int) -> Message:
    user_id = getattr(actor, "pk", None)
    if user_id is None or not isinstance(message_id, int) or not 1 <= message_id <= _MAX_ID:
        raise NotFound(NOT_FOUND)
    message = Message.objects.filter(pk=message_id, recipient_id=user_id).first()
    if message is None:
        raise NotFound(NOT_FOUND)
    return message


@transaction.atomic
def message_open(*, actor: Any, message_id: int) -> Message:
    """The actor's message ``message_id``, marked read (the first reading's time is kept).
    Anyone else's, or none: NotFound."""
    message = _own(actor, message_id)
    if message.read_at is None:
        now = timezone.now()
        if Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now):
            message.read_at = now
        else:  # opened at the same moment elsewhere: keep that time
            message.refresh_from_db(fields=["read_at"])
    return message


@transaction.atomic
def messages_mark_all_read(*, actor: Any) -> int:
    """Mark all of the actor's unread messages read; how many there were."""
    user_id = getattr(actor, "pk", None)
    if user_id is None:
        return 0
    return Message.objects.filter(recipient_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
