"""Reads of rounds."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import Round


def current_round() -> Round | None:
    """The round open for declaration now, else the newest round run in this system (None
    when there is none; past rounds imported from published lists are history, not current)."""
    now = timezone.now()
    live = Round.objects.filter(source="live")
    open_round = (
        live.filter(declaration_opens__lte=now, declaration_closes__gt=now)
        .order_by("-year")
        .first()
    )
    return open_round or live.order_by("-year").first()


def round_in_phase(phase: str) -> Round | None:
    """The newest round whose ``phase`` is open now, else :func:`current_round` (so that a
    refusal can name the window of the round people are working on)."""
    now = timezone.now()
    opens, closes = f"{phase}_opens", f"{phase}_closes"
    open_round = (
        Round.objects.filter(**{f"{opens}__lte": now, f"{closes}__gt": now})
        .order_by("-year")
        .first()
    )
    return open_round or current_round()


def round_by_year(year: int) -> Round:
    """The round of ``year`` (NotFound when there is none)."""
    from jifen.core.errors import NotFound

    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        raise NotFound(f"没有 {year} 年度的积分落户年度")
    return rnd


def round_changes(rnd: Round) -> list[Any]:
    """The round's parameter changes, newest first, with who made them."""
    return list(rnd.changes.select_related("actor").order_by("-at", "-id"))
