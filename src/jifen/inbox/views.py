"""The message centre's pages, for anyone signed in: the list, one message (opening it marks
it read), and "mark all read". A message that is not the caller's is the 404 page
(ServiceErrorMiddleware), as one that does not exist."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from . import selectors, services

PAGE_SIZE = 20


@require_safe
@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        selectors.messages_of(request.user, unread_only=unread_only), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request, "inbox/list.html", {"page": page, "unread_only": unread_only},
    )


@require_safe
@login_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = services.message_open(actor=request.user, message_id=message_id)
    return render(request, "inbox/detail.html", {"message": message})


@require_POST
@login_required
def message_read_all(request: HttpRequest) -> HttpResponse:
    count = services.messages_mark_all_read(actor=request.user)
    if count:
        flash.success(request, f"已将 {count} 条消息标为已读。")
    else:
        flash.info(request, "没有未读消息。")
    return redirect("inbox:list")
