"""Writing to the audit log and checking its hash chain.

Call ``record_event``/``record_access`` inside the transaction of the change they describe::

    with transaction.atomic():
        application.status = "submitted"
        application.save(update_fields=["status"])
        record_event(actor=user, action="application.submit", target=application,
                     before={"status": "draft"}, after={"status": "submitted"})

If that transaction rolls back, the event goes with it. Appending locks the chain head until
the surrounding transaction ends, so every audited write in the system queues behind it:
record the event late in the transaction and keep such transactions short.

``before``/``after`` hold only the fields that changed, as JSON; never personal data in the
clear (the log cannot be corrected later): use :mod:`jifen.audit.redact` (which fields
changed, keyed fingerprints of the values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .context import current_context
from .hashing import GENESIS_HASH, jsonable
from .keys import current_keys
from .models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    ok: bool
    checked: int
    first_bad_id: int | None
    problem: str
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


def _actor_fields(actor: Any) -> dict[str, Any]:
    # An AnonymousUser (request.user before login) counts as no actor.
    if actor is None or not getattr(actor, "is_authenticated", True):
        return {"actor": None, "actor_ref": "", "actor_name": "", "actor_role": ""}
    if getattr(actor, "pk", None) is None:
        raise ValueError("the actor of an audit event must be a saved user")
    name = actor.get_username() if hasattr(actor, "get_username") else str(actor)
    return {
        "actor": actor,
        "actor_ref": str(actor.pk),
        "actor_name": name,
        "actor_role": str(getattr(actor, "role", "") or ""),
    }


def _target_fields(target: models.Model | None, target_type: str, target_id: str) -> dict[str, str]:
    if target is not None:
        if not target_type:
            target_type = target._meta.label_lower
        if not target_id:
            if target.pk is None:
                raise ValueError("the target of an audit event must be saved (it has no pk)")
            target_id = str(target.pk)
    return {"target_type": target_type, "target_id": str(target_id)}


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the surrounding transaction ends; created on first use."""
    head = AuditChainHead.objects.select_for_update().filter(pk=AuditChainHead.SINGLETON_PK).first()
    if head is not None:
        return head
    # First event ever (or the head row was lost): start from the newest event, if any.
    newest = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=AuditChainHead.SINGLETON_PK,
        defaults={
            "seq": newest.seq if newest else 0,
            "hash": newest.hash if newest else GENESIS_HASH,
        },
    )
    return head


def _append(*, kind: str, actor: Any, action: str, **fields: Any) -> AuditEvent:
    if not action or not action.strip():
        raise ValueError("an audit event needs an action, e.g. 'application.submit'")
    context = current_context()
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=kind,
            action=action,
            ip=context.ip,
            user_agent=context.user_agent,
            channel=context.channel,
            prev_hash=head.hash,
            **_actor_fields(actor),
            **fields,
        )
        event.hash = event.compute_hash()
        event._appending = True  # the one sanctioned way past AuditEvent.save()'s guard
        event.save()
        head.seq = event.seq
        head.hash = event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def record_event(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append a "change" event: ``actor`` (a user or None for the system) did ``action``
    to ``target`` (or to ``target_type``/``target_id`` given explicitly)."""
    return _append(
        kind=AuditEvent.Kind.CHANGE,
        actor=actor,
        action=action,
        **_target_fields(target, target_type, target_id),
        before=jsonable(before),
        after=jsonable(after),
        detail=detail,
    )


def record_access(
    *,
    actor: Any,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    field: str,
    detail: str = "",
) -> AuditEvent:
    """Append an "access" event: ``actor`` viewed ``field`` (personal data, e.g. the full
    identity number) of ``target``. The action is ``"<target_type>.view"``."""
    if not field:
        raise ValueError("record_access needs the field that was viewed")
    target_fields = _target_fields(target, target_type, target_id)
    action = f"{target_fields['target_type'] or 'data'}.view"
    return _append(
        kind=AuditEvent.Kind.ACCESS,
        actor=actor,
        action=action,
        **target_fields,
        field=field,
        detail=detail,
    )


def record_refusal(
    *,
    actor: Any,
    action: str,
    target_type: str = "",
    target_id: str = "",
    after: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append a "refusal" event: a request for ``target_type``/``target_id`` (or a page) that
    was refused. Written by :mod:`jifen.audit.refusals`, which decides which refusals are
    recorded one by one and which only counted."""
    return _append(
        kind=AuditEvent.Kind.REFUSAL,
        actor=actor,
        action=action,
        **_target_fields(None, target_type, target_id),
        after=jsonable(after),
        detail=detail,
    )


def verify_chain(*, start_seq: int = 0, start_hash: str = GENESIS_HASH) -> ChainReport:
    """Walk the log in ``seq`` order, recompute every keyed hash and check every link.

    Reports the first problem: a changed event (its hash no longer matches its content under
    the chain key, e.g. recomputed without the key or with another one), a missing event (a gap
    in ``seq``, or a ``prev_hash`` that is not its predecessor's hash), or events cut off the
    end (the chain head names a later event than the last one found).

    With ``start_seq``/``start_hash`` (a checkpoint) only the events from ``start_seq`` on are
    walked, and event ``start_seq`` must still carry ``start_hash``. A log emptied or cut short
    as a whole, head included, verifies here; :func:`jifen.audit.anchor.verify_log` compares it
    with the checkpoints kept outside the database.
    """
    key = current_keys().chain
    # The head first, then only the events it covers: an event appended meanwhile (with its
    # head update, in one transaction) is not mistaken for a broken end of the chain.
    head_seq, head_hash = current_head()
    checked = 0
    expected_seq = start_seq if start_seq > 0 else 1
    prev_hash = start_hash
    events = (
        AuditEvent.objects.filter(seq__gte=expected_seq, seq__lte=max(head_seq, start_seq))
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    for event in events:
        problem = ""
        anchor = start_seq > 0 and checked == 0
        if event.seq != expected_seq:
            missing = event.seq - expected_seq
            problem = (
                f"event seq {event.seq} follows seq {expected_seq - 1}: {missing} event(s) missing"
                if missing > 0
                else f"event seq {event.seq} is out of order (expected {expected_seq})"
            )
        elif anchor and event.hash != start_hash:
            problem = f"event seq {event.seq} no longer has the hash its checkpoint recorded"
        elif not anchor and event.prev_hash != prev_hash:
            problem = f"event seq {event.seq} does not link to its predecessor (prev_hash differs)"
        elif event.compute_hash(key) != event.hash:
            problem = (
                f"event seq {event.seq} was altered (its content no longer matches its keyed hash)"
            )
        if problem:
            return ChainReport(
                ok=False,
                checked=checked,
                first_bad_id=event.pk,
                problem=problem,
                last_seq=expected_seq - 1,
                last_hash=prev_hash,
            )
        checked += 1
        expected_seq = event.seq + 1
        prev_hash = event.hash

    last_seq = expected_seq - 1

    def broken(problem: str) -> ChainReport:
        return ChainReport(
            ok=False,
            checked=checked,
            first_bad_id=None,
            problem=problem,
            last_seq=last_seq,
            last_hash=prev_hash,
        )

    if start_seq > 0 and checked == 0:
        return broken(f"the log has no event seq {start_seq}, which its checkpoint names")
    if (head_seq, head_hash) != (last_seq, prev_hash):
        if head_seq > last_seq:
            return broken(
                f"the chain head names event seq {head_seq} but the log ends at seq {last_seq}: "
                "events were removed from the end"
            )
        return broken(
            f"the chain head (seq {head_seq}) does not match the last event (seq {last_seq})"
        )
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    if newest > head_seq and current_head()[0] < newest:
        # Not a concurrent append (that moves the head along): events outside the chain.
        return broken(
            f"the log holds events after the chain head (seq {head_seq}), up to seq {newest}"
        )
    return ChainReport(
        ok=True,
        checked=checked,
        first_bad_id=None,
        problem="",
        last_seq=last_seq,
        last_hash=prev_hash,
    )


def current_head() -> tuple[int, str]:
    """The chain head's (seq, hash), as stored (0 and the genesis hash before any event)."""
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_PK).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)
