"""Reading a person's messages. Always filtered by recipient: nobody reads another's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Message


def messages_of(user: Any, *, unread_only: bool = False) -> QuerySet[Message]:
    """``user``'s messages, newest first (only the unread ones if asked)."""
    qs = Message.objects.filter(recipient_id=getattr(user, "pk", None))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(user: Any) -> int:
    """How many of ``user``'s messages are unread: one COUNT on the (recipient, read_at)
    index, asked on every page for the header badge."""
    if getattr(user, "pk", None) is None:
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
