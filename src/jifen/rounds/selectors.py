"""Reads of rounds."""

from __future__ import annotations

from django.utils import timezone

from .models import Round


def current_round() -> Round | None:
    """The round open for declaration now, else the newest round (None when there is none)."""
    now = timezone.now()
    open_round = (
        Round.objects.filter(declaration_opens__lte=now, declaration_closes__gt=now)
        .order_by("-year")
        .first()
    )
    return open_round or Round.objects.order_by("-year").first()
