"""Fixtures of the audit-log tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from jifen.audit.triggers import triggers_lifted

IS_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def checkpoint_dir(tmp_path: Path, settings: Any) -> Path:
    """Every audit test has a checkpoint folder of its own (a fresh database each time)."""
    folder = tmp_path / "checkpoints"
    settings.AUDIT_CHECKPOINT_DIR = folder
    return folder


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    """Create a user of whatever AUTH_USER_MODEL is (accounts.User once it exists)."""
    counter = iter(range(1, 1_000_000))

    def make(username: str | None = None, **extra: Any) -> Any:
        username = username or f"user{next(counter)}"
        return get_user_model().objects.create_user(
            username=username, password="correct horse battery staple", **extra
        )

    return make


@contextmanager
def tampering() -> Iterator[Any]:
    """A cursor for simulating an attacker who writes to the audit table behind the
    application's back. The append-only triggers would refuse that, so they are lifted for
    the block (as someone with the database owner's rights could) and restored afterwards."""
    with triggers_lifted(connection), connection.cursor() as cursor:
        yield cursor


def json_param(placeholder: str = "%s") -> str:
    """SQL for a JSON parameter in a raw UPDATE: jsonb needs a cast, SQLite stores text."""
    return f"CAST({placeholder} AS jsonb)" if IS_POSTGRES else placeholder
