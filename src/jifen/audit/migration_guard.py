"""No migration of the audit app is ever unapplied.

``manage.py migrate audit zero`` (or unapplying any app the audit log depends on, such as
accounts) would drop the audit tables, and a following ``migrate`` would create them empty: the
log wiped with two ordinary commands. :func:`refuse_unapplying` is a ``pre_migrate`` receiver;
``migrate`` sends that signal with its plan before it touches the database, so a plan that
unapplies an audit migration stops there, the database unchanged. (Someone with the database
owner's rights can still drop the tables by hand; the checkpoints outside the database show
that: docs/audit.md.)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError


def refuse_unapplying(
    sender: Any, plan: list[tuple[Any, bool]] | None = None, **kwargs: Any
) -> None:
    """Raise CommandError when ``plan`` unapplies a migration of the audit app."""
    unapplied = [
        f"{migration.app_label}.{migration.name}"
        for migration, backwards in plan or ()
        if backwards and migration.app_label == "audit"
    ]
    if unapplied:
        raise CommandError(
            "refused: this would unapply the audit log's migrations "
            f"({', '.join(unapplied)}) and drop the append-only audit log. The audit log is "
            "kept for at least 6 months and is never unapplied; nothing was changed."
        )
