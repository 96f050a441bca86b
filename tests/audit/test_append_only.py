"""Audit events cannot be changed or deleted: not through the ORM, not with raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from jifen.audit.errors import AppendOnlyError
from jifen.audit.models import AuditEvent
from jifen.audit.services import record_event, verify_chain
from jifen.audit.triggers import (
    TABLE,
    ensure_triggers_after_migrate,
    remove_triggers,
    triggers_installed,
)

from .conftest import IS_POSTGRES

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list | None = None) -> None:
    """Run one raw statement in a savepoint (an error must not spoil the test's transaction)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def event() -> AuditEvent:
    return record_event(actor=None, action="x.original", after={"a": 1}, detail="original")


def test_table_name_matches_the_triggers() -> None:
    assert AuditEvent._meta.db_table == TABLE


def test_orm_save_of_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.detail = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    loaded = AuditEvent.objects.get(pk=event.pk)
    loaded.after = {"a": 2}
    with pytest.raises(AppendOnlyError):
        loaded.save(update_fields=["after"])
    assert AuditEvent.objects.get(pk=event.pk).detail == "original"


def test_orm_delete_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["detail"])
    assert AuditEvent.objects.get(pk=event.pk).detail == "original"


def test_inserts_that_bypass_the_chain_are_refused(event: AuditEvent) -> None:
    fields = {"seq": 99, "kind": "change", "action": "x.forged", "prev_hash": "", "hash": "f"}
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.create(**fields)
    with pytest.raises(AppendOnlyError):
        AuditEvent(**fields).save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(**fields)])
    assert AuditEvent.objects.count() == 1


def test_raw_sql_update_is_refused_by_the_trigger(event: AuditEvent) -> None:
    assert triggers_installed(connection)
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET detail = 'changed' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).detail == "original"
    assert verify_chain().ok


def test_raw_sql_delete_is_refused_by_the_trigger(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_clearing_the_actor_cannot_smuggle_in_other_changes(make_user) -> None:
    user = make_user()
    event = record_event(actor=user, action="x.y", detail="original")
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(
            f"UPDATE {TABLE} SET actor_id = NULL, detail = 'changed' WHERE id = %s",
            [event.pk],
        )
    other = make_user()
    with pytest.raises(IntegrityError, match="append-only"):
        _raw(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [other.pk, event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_id == user.pk


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite has no TRUNCATE")
@pytest.mark.django_db(transaction=True)  # TRUNCATE refuses tables with pending FK checks
def test_truncate_is_refused_on_postgresql(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"TRUNCATE {TABLE}")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_lost_triggers_come_back_after_migrate(event: AuditEvent) -> None:
    remove_triggers(connection)
    assert not triggers_installed(connection)
    with connection.cursor() as cursor:  # now nothing stops raw SQL...
        cursor.execute(f"UPDATE {TABLE} SET detail = 'changed' WHERE id = %s", [event.pk])
    assert not verify_chain().ok  # ...but the chain shows it

    ensure_triggers_after_migrate(sender=None, using=connection.alias)  # what migrate runs

    assert triggers_installed(connection)
    with pytest.raises(IntegrityError):
        _raw(f"UPDATE {TABLE} SET detail = 'again' WHERE id = %s", [event.pk])
