"""Events live and die with the caller's transaction (real transactions: transaction=True)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from jifen.audit.models import AuditChainHead, AuditEvent
from jifen.audit.services import record_event, verify_chain
from jifen.audit.triggers import triggers_installed

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_rollback_of_the_outer_transaction_removes_the_event(make_user) -> None:
    user = make_user()
    kept = record_event(actor=user, action="x.kept")  # standalone: its own transaction

    with pytest.raises(Boom), transaction.atomic():
        record_event(actor=user, action="x.rolled_back", after={"a": 1})
        raise Boom

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["x.kept"]
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (1, kept.hash)  # the head rolled back too

    following = record_event(actor=user, action="x.next")
    assert (following.seq, following.prev_hash) == (2, kept.hash)
    assert verify_chain().ok


def test_committed_outer_transaction_keeps_the_event(make_user) -> None:
    user = make_user()
    with transaction.atomic():
        user.first_name = "张"
        user.save(update_fields=["first_name"])
        record_event(
            actor=user, action="accounts.user.edit", target=user, after={"first_name": "张"}
        )
    assert AuditEvent.objects.filter(action="accounts.user.edit").count() == 1


def test_flush_empties_the_log_and_keeps_the_triggers() -> None:
    record_event(actor=None, action="x.y")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert triggers_installed(connection)
    assert record_event(actor=None, action="x.z").seq == 1


@pytest.mark.django_db
def test_flush_is_refused_outside_test_settings(settings) -> None:
    from django.core.management.base import CommandError

    record_event(actor=None, action="test.keep")
    settings.AUDIT_ALLOW_FLUSH = False
    with pytest.raises(CommandError, match="audit log"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(action="test.keep").exists()
