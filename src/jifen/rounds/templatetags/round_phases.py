"""``{% phase_timeline round %}``: the round's phases, their windows and what is open now.

Without a round (or with ``None``) the current round (``rounds.selectors.current_round``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from jifen.rounds import phases
from jifen.rounds.models import Round
from jifen.rounds.selectors import current_round

register = template.Library()

BADGES = {
    "open": "badge-confirmed",
    "upcoming": "badge-pending",
    "closed": "badge-draft",
    "unscheduled": "badge-refused",
}


def timeline(rnd: Round | None) -> dict[str, Any]:
    if rnd is None:
        return {"round": None, "rows": [], "open_now": []}
    now = timezone.now()
    rows = [
        {"state": s, "badge": BADGES[s.state], "phase": s.phase.value}
        for s in phases.states(rnd, now)
    ]
    return {
        "round": rnd,
        "rows": rows,
        "open_now": [r["state"] for r in rows if r["state"].state == "open"],
    }


@register.inclusion_tag("rounds/_phases.html")
def phase_timeline(rnd: Round | None = None, compact: bool = False) -> dict[str, Any]:
    context = timeline(rnd if rnd is not None else current_round())
    context["compact"] = compact
    return context
