"""Unapplying the audit app's migrations is refused, on a real, throw-away database; the
migration carries its own copy of the triggers it creates."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

import jifen.audit.migrations as audit_migrations
from jifen.audit import triggers

from .conftest import IS_POSTGRES


@pytest.fixture
def throwaway_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for manage.py against a database of its own: an SQLite file in tmp_path,
    or (in the PostgreSQL run) a database created for the test and dropped afterwards."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="jifen.settings.test",
        JIFEN_VAR_DIR=str(tmp_path),
        AUDIT_CHECKPOINT_DIR=str(tmp_path / "checkpoints"),
    )
    if not IS_POSTGRES:
        yield env
        return
    conf = connection.settings_dict
    name = f"{conf['NAME']}_mig_{uuid.uuid4().hex[:8]}"
    params = {
        "host": conf["HOST"] or "127.0.0.1",
        "port": conf["PORT"] or 5432,
        "user": conf["USER"],
        "password": conf["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['password']}" if params["password"] else ""
    env["DATABASE_URL"] = (
        f"postgres://{params['user']}{password}@{params['host']}:{params['port']}/{name}"
    )
    try:
        yield env
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(repo_root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(repo_root / "manage.py"), *args],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=300,
    )


def test_unapplying_the_audit_migrations_is_refused(
    repo_root: Path, throwaway_env: dict[str, str]
) -> None:
    migrated = _manage(repo_root, throwaway_env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    cache_table = _manage(repo_root, throwaway_env, "createcachetable")  # as make migrate does
    assert cache_table.returncode == 0, cache_table.stderr
    checkpoint = _manage(repo_root, throwaway_env, "audit_checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr

    for args in (["audit", "zero"], ["accounts", "zero"], ["audit", "zero", "--fake"]):
        refused = _manage(repo_root, throwaway_env, "migrate", *args, "--noinput")
        assert refused.returncode == 1, (args, refused.stdout)
        assert "refused: this would unapply the audit log's migrations (audit." in refused.stderr
        assert "audit.0001_initial) and drop the append-only audit log" in refused.stderr
        assert "Unapplying" not in refused.stdout

    shown = _manage(repo_root, throwaway_env, "showmigrations", "audit", "accounts")
    assert "[ ]" not in shown.stdout
    verified = _manage(repo_root, throwaway_env, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit chain OK: 1 event(s) checked")


def test_the_migration_does_not_import_the_live_triggers_module() -> None:
    source = (Path(audit_migrations.__file__).parent / "0001_initial.py").read_text()
    imported = {
        node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any(name and name.startswith("jifen") for name in imported), imported


@pytest.mark.django_db
@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite triggers name the table's columns")
def test_the_frozen_triggers_match_the_live_ones() -> None:
    # The test database was migrated by 0001: its triggers are the frozen copy, and they are
    # what the live module would create (so post_migrate has nothing to redo).
    assert triggers._sqlite_installed(connection) == triggers._sqlite_triggers(connection)
