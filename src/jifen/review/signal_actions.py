"""Handling a signal: a reviewer (or the bureau) dismisses it (排除) or confirms it as an
anomaly (确认异常), with a reason, audited. Neither changes an item, a decision or a score:
what follows a confirmed anomaly (correcting or rejecting an item) is a decision of its own.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jifen.accounts.models import User
from jifen.audit import redact
from jifen.audit.services import record_event
from jifen.core.errors import Conflict, InvalidInput

from .models import Signal, SignalState
from .signal_selectors import signal_for

REASON_MAX = 1000
DISMISS_ACTION = "signal.dismiss"
CONFIRM_ACTION = "signal.confirm"
_ACTIONS = {SignalState.DISMISSED: DISMISS_ACTION, SignalState.CONFIRMED: CONFIRM_ACTION}
_REASON_MISSING = {
    SignalState.DISMISSED: "请填写排除理由",
    SignalState.CONFIRMED: "请填写确认异常的理由",
}


def _handle(*, actor: User, signal_id: int, state: str, reason: str) -> Signal:
    signal_for(actor, signal_id)  # NotPermitted / NotFound before anything else
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_REASON_MISSING[state], field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"理由最多 {REASON_MAX} 字", field="reason")
    signal = Signal.objects.select_for_update().get(pk=signal_id)
    if signal.state != SignalState.OPEN:
        raise Conflict(f"该异常信号{signal.get_state_display()}，不能再次处理")
    signal.state, signal.note = state, reason
    signal.handled_by, signal.handled_at = actor, timezone.now()
    signal.save(update_fields=["state", "note", "handled_by", "handled_at"])
    record_event(
        actor=actor,
        action=_ACTIONS[state],
        target=signal,
        before={"signal_state": SignalState.OPEN},
        after={
            "signal_state": state,
            "reason": redact.text_fact(reason, scope=f"review.signal:{signal.pk}:note"),
        },
    )
    return signal


@transaction.atomic
def signal_dismiss(*, actor: User, signal_id: int, reason: str) -> Signal:
    """Dismiss an open signal (not an anomaly), with the reason why."""
    return _handle(actor=actor, signal_id=signal_id, state=SignalState.DISMISSED, reason=reason)


@transaction.atomic
def signal_confirm(*, actor: User, signal_id: int, reason: str) -> Signal:
    """Confirm an open signal as an anomaly, with the reason why."""
    return _handle(actor=actor, signal_id=signal_id, state=SignalState.CONFIRMED, reason=reason)
