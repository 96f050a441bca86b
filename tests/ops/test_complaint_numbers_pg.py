"""Complaint numbers stay unique and gapless when operators take complaints at the same moment
(PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from jifen.ops import complaints
from jifen.ops.models import Complaint

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database with concurrent writers"
    ),
]

THREADS = 4
EACH = 5


def test_concurrent_takes_get_distinct_consecutive_numbers() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for k in range(EACH):
                complaints.take_complaint(
                    actor=None,
                    channel="phone",
                    complainant="周强",
                    contact="13600000000",
                    subject=f"线程{n}第{k}件",
                    content="内容",
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Complaint.objects.values_list("number", flat=True))
    year = numbers[0].split("-")[1]
    assert numbers == [f"TS-{year}-{k:04d}" for k in range(1, THREADS * EACH + 1)]
