"""Writing the decision ledger: every decision is a new row that supersedes the item's latest.

The item (``VerificationItem``) carries the state the queues filter on; it is set here, in the
same transaction as the ledger row, and nowhere else. Callers hold the item locked
(``select_for_update``) or, for a comparison, the round's kind (one comparison at a time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import Action, Decision, ItemState, VerificationItem

_STATE_OF_ACTION = {
    Action.CONFIRM: ItemState.CONFIRMED,
    Action.CORRECT: ItemState.CORRECTED,
    Action.REJECT: ItemState.REJECTED,
}


def state_after(action: str, matched: bool | None, previous: str) -> str:
    """The item's state after a decision: a comparison's outcome, a reviewer's decision, or
    (a re-check upheld) the state it had."""
    if action == Action.COMPARE:
        return ItemState.MATCHED if matched else ItemState.DIFFERENT
    if action == Action.UPHOLD:
        return previous
    return _STATE_OF_ACTION[action]


def append(
    item: VerificationItem,
    *,
    action: str,
    source: str,
    value: Any,
    reason: str = "",
    actor: Any = None,
    matched: bool | None = None,
    comparison: Any = None,
    now: datetime | None = None,
) -> Decision:
    """One decision on ``item`` (held locked by the caller); the item's state follows it."""
    now = now or timezone.now()
    decision = Decision.objects.create(
        item=item,
        application_id=item.application_id,
        kind=item.kind,
        action=action,
        source=source,
        matched=matched,
        value=value,
        reason=reason,
        actor=actor if getattr(actor, "pk", None) else None,
        comparison=comparison,
        supersedes_id=item.latest_decision_id,
        created_at=now,
    )
    item.state = state_after(action, matched, item.state)
    if action == Action.COMPARE:
        item.matched = matched
    item.latest_decision = decision
    item.decided_at = now
    item.save(update_fields=["state", "matched", "latest_decision", "decided_at"])
    return decision


@dataclass(frozen=True)
class ComparedItem:
    item_id: int
    application_id: int
    latest_decision_id: int | None
    value: Any
    matched: bool


def append_comparisons(
    entries: Sequence[ComparedItem], *, kind: str, comparison: Any, now: datetime
) -> None:
    """The decisions of one batch of a comparison: one ledger row per item, then the items'
    state in two set-based updates (matched, different)."""
    if not entries:
        return
    Decision.objects.bulk_create(
        [
            Decision(
                item_id=e.item_id,
                application_id=e.application_id,
                kind=kind,
                action=Action.COMPARE,
                source="comparison",
                matched=e.matched,
                value=e.value,
                comparison=comparison,
                supersedes_id=e.latest_decision_id,
                created_at=now,
            )
            for e in entries
        ],
        batch_size=1000,
    )
    newest = Subquery(
        Decision.objects.filter(item=OuterRef("pk")).order_by("-id").values("id")[:1]
    )
    for matched, state in ((True, ItemState.MATCHED), (False, ItemState.DIFFERENT)):
        ids = [e.item_id for e in entries if e.matched is matched]
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            VerificationItem.objects.filter(id__in=ids[start : start + 900]).update(
                state=state, matched=matched, decided_at=now, latest_decision_id=newest
            )
