"""Concurrent appends queue up behind the chain head instead of forking the chain."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from jifen.audit.models import AuditEvent
from jifen.audit.services import record_event, verify_chain

from .conftest import IS_POSTGRES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not IS_POSTGRES, reason="needs a database with concurrent writers"),
]

THREADS = 4
EVENTS_PER_THREAD = 15


def test_concurrent_transactions_extend_one_chain() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for index in range(EVENTS_PER_THREAD):
                with transaction.atomic():
                    record_event(actor=None, action=f"t{number}.e{index}")
                    time.sleep(0.001)  # hold the lock a little so the others queue up
        except BaseException as error:  # reported below; the thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * EVENTS_PER_THREAD
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == total
