"""manage.py flush, able to empty the append-only audit table too.

Django's ``flush`` (also run by test suites between transactional tests) empties every table
with DELETE (SQLite) or TRUNCATE (PostgreSQL), which the audit table's triggers refuse. This
command lifts those triggers for the flush and puts them back afterwards; erasing the whole
database is the one way the audit log goes away.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from jifen.audit.triggers import triggers_lifted
from jifen.core.append_only import all_lifted


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            # The audit log must be kept (等保2.0: at least 6 months); only test settings
            # may erase it along with everything else.
            raise CommandError(
                "flush would erase the append-only audit log and is refused; "
                "only settings with AUDIT_ALLOW_FLUSH = True (the test settings) may flush."
            )
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        # The audit log's triggers and every other insert-only table's (the decision ledger).
        with triggers_lifted(connection), all_lifted(connection):
            super().handle(**options)
