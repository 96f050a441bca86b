"""The caller's message centre (站内消息): the list with the unread count, one message (reading
it marks it read), and marking all read. Any signed-in caller; only their own messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from jifen.inbox import selectors, services
from jifen.inbox.models import Message

from .schemas import MAX_ID, MAX_PAGE, ErrorOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

MessageId = Annotated[int, Path(ge=1, le=MAX_ID, description="消息编号")]

router = Router(tags=["站内消息"])


class MessageOut(Schema):
    id: int
    subject: str
    body: str = Field(..., description="纯文本（换行为 \\n）")
    link: str = Field(..., description="本系统内的页面地址（以 / 开头），可为空")
    category: str = Field(
        ..., description="result（初核结果） / recheck（复查） / verification（核验） / "
        "system（系统通知）"
    )
    category_display: str
    created_at: datetime
    read_at: datetime | None = Field(None, description="阅读时间；未读时为 null")
    read: bool


class MessagePageOut(Schema):
    count: int = Field(..., description="符合筛选条件的消息总数")
    unread_count: int = Field(..., description="全部未读消息数")
    limit: int
    offset: int
    items: list[MessageOut]


class ReadAllOut(Schema):
    marked: int = Field(..., description="本次标为已读的消息数")
    unread_count: int


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "subject": m.subject,
        "body": m.body,
        "link": m.link,
        "category": m.category,
        "category_display": m.get_category_display(),
        "created_at": m.created_at,
        "read_at": m.read_at,
        "read": m.read_at is not None,
    }


@router.get(
    "/messages",
    response={200: MessagePageOut, **ERRORS},
    summary="站内消息",
    description="本人的站内消息，最新的在前；unread=true 只列未读消息。unread_count 为全部未读数。",
)
def messages_list(
    request: HttpRequest,
    unread: Annotated[bool, Query(description="只列未读消息")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> dict[str, Any]:
    user = request.auth
    qs = selectors.messages_of(user, unread_only=unread)
    return {
        "count": qs.count(),
        "unread_count": selectors.unread_count(user),
        "limit": limit,
        "offset": offset,
        "items": [_message(m) for m in qs[offset : offset + limit]],
    }


# Before /messages/{message_id}: that path would take "read-all" as an id.
@router.post(
    "/messages/read-all",
    response={200: ReadAllOut, **ERRORS},
    summary="全部标为已读",
)
def messages_read_all(request: HttpRequest) -> dict[str, Any]:
    marked = services.messages_mark_all_read(actor=request.auth)
    return {"marked": marked, "unread_count": selectors.unread_count(request.auth)}


@router.get(
    "/messages/{message_id}",
    response={200: MessageOut, **ERRORS},
    summary="阅读站内消息",
    description="返回一条本人的消息并标为已读。不是本人的消息返回 404。",
)
def message_read(request: HttpRequest, message_id: MessageId) -> dict[str, Any]:
    return _message(services.message_open(actor=request.auth, message_id=message_id))
