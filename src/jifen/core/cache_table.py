"""The database cache's table made by ``migrate`` itself.

Where no Redis is given the shared cache is a table (``cache_config``), and saving a round or a
publication drops cached pages; a database migrated without ``createcachetable`` (a script, a
benchmark, a restore drill) then failed on its first round. ``createcachetable`` is idempotent,
so it runs after every ``migrate``.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command


def create_cache_table_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: the cache table of the migrated database (not after a ``flush``,
    which sends the signal without a plan)."""
    if kwargs.get("plan") is None:
        return
    call_command("createcachetable", database=using, verbosity=0)
