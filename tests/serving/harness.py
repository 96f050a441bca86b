"""The production set-up as real processes, for the serving, scale-out and fault tests.

``ServedSystem`` starts ``deploy/serve.sh`` (gunicorn with WhiteNoise, optionally the task worker
and the scheduler; settings jifen.settings.serve) on a port of its own, against a PostgreSQL
database and a Redis database of the test's choosing, and stops or kills it. Databases are made
from one migrated template per test session (``CREATE DATABASE ... TEMPLATE``), so each system
starts in seconds rather than migrating again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
SERVE_SCRIPT = ROOT / "deploy" / "serve.sh"
PYTHON = ROOT / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_url(database_url: str) -> dict[str, Any]:
    """Connection parameters of the server behind a database URL (its ``postgres`` database)."""
    cfg = dj_database_url.parse(database_url)
    return {
        "host": cfg["HOST"] or None,
        "port": cfg["PORT"] or None,
        "user": cfg["USER"] or None,
        "password": cfg["PASSWORD"] or None,
        "dbname": "postgres",
    }


def with_database(database_url: str, name: str) -> str:
    """The same server's URL with another database name."""
    base, _, _ = database_url.rpartition("/")
    return f"{base}/{name}"


def admin_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(autocommit=True, **server_url(database_url))


DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def drop_database(database_url: str, name: str) -> None:
    with admin_connection(database_url) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))


def clone_database(database_url: str, template: str, name: str) -> str:
    """A fresh copy of the migrated template; returns its URL."""
    with admin_connection(database_url) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return with_database(database_url, name)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


class ServedSystem:
    """One node of the production set-up: ``deploy/serve.sh`` on ``port``.

    ``var_dir`` holds its secrets, logs, evidence and static files; two nodes of one system share
    it (and so the keys). ``worker``/``scheduler``: whether this node also runs the task worker
    and the scheduler; ``migrate``: whether it migrates and collects static files first.
    """

    def __init__(
        self,
        *,
        database_url: str,
        var_dir: Path,
        port: int | None = None,
        redis_url: str = "",
        worker: bool = False,
        scheduler: bool = False,
        migrate: bool = False,
        gunicorn_workers: int = 2,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.var_dir = Path(var_dir)
        self.log_path = self.var_dir / f"serve-{self.port}.out"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        self.env.pop("DATABASE_URL", None)
        self.env.update(
            PORT=str(self.port),
            SERVE_DATABASE_URL=database_url,
            SERVE_REDIS_URL=redis_url,
            SERVE_VAR=str(self.var_dir),
            SERVE_WORKER="1" if worker else "0",
            SERVE_SCHEDULER="1" if scheduler else "0",
            SERVE_MIGRATE="1" if migrate else "0",
            GUNICORN_WORKERS=str(gunicorn_workers),
            PYTHONUNBUFFERED="1",
        )
        self.env.update(extra_env or {})
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> ServedSystem:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # Its own process group, so that stop() and kill() reach gunicorn's workers too.
        self.process = subprocess.Popen(
            ["bash", str(SERVE_SCRIPT)], cwd=ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"serve.sh ended early:\n{self.output()}")
            try:
                status, _ = http_get(f"{self.url}/healthz/live", timeout=2)
                if status == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"{self.url} did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-5000:]
        except OSError:
            return ""

    def signal_group(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        """SIGKILL to every process of this node (gunicorn, its workers, worker, scheduler)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``manage.py`` with this node's settings, database, cache and secrets."""
        env = dict(self.env)
        env.update(_secrets(self.var_dir))
        env.update(
            DJANGO_SETTINGS_MODULE="jifen.settings.serve",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.env["SERVE_REDIS_URL"],
            ALLOWED_HOSTS="127.0.0.1,localhost",
            JIFEN_VAR_DIR=str(self.var_dir),
            AUDIT_CHECKPOINT_DIR=str(self.var_dir / "audit-checkpoints"),
        )
        return subprocess.run(
            [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=timeout,
        )

    def __enter__(self) -> ServedSystem:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _secrets(var_dir: Path) -> dict[str, str]:
    path = var_dir / "secrets.env"
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def migrated_template(database_url: str, name: str, var_dir: Path) -> str:
    """Migrate ``name`` once through serve.sh's own start-up (migrate, cache table, static files)
    and stop; later systems clone it. Returns its URL."""
    drop_database(database_url, name)
    url = with_database(database_url, name)
    system = ServedSystem(database_url=url, var_dir=var_dir, migrate=True, gunicorn_workers=1)
    system.start(timeout=600)
    system.stop()
    # A template must have no open connections when it is copied.
    with admin_connection(database_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
    return url


# --- commands beside a node (the load benchmark's seed, any script) ------------------------------


def node_environment(system: ServedSystem) -> dict[str, str]:
    """The environment ``manage()`` gives its commands: the node's settings, database, cache,
    keys and files, for a script that calls ``django.setup()`` itself."""
    env = dict(system.env)
    env.update(_secrets(system.var_dir))
    env.update(
        DJANGO_SETTINGS_MODULE="jifen.settings.serve",
        DATABASE_URL=system.database_url,
        REDIS_URL=system.env["SERVE_REDIS_URL"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        JIFEN_VAR_DIR=str(system.var_dir),
        AUDIT_CHECKPOINT_DIR=str(system.var_dir / "audit-checkpoints"),
    )
    return env


def run_beside(
    system: ServedSystem,
    *args: str | Path,
    timeout: float = 600,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (e.g. ``[PYTHON, "bench/load/seed.py", ...]``) from the repository's root
    with ``node_environment(system)``."""
    env = node_environment(system)
    env.update(extra_env or {})
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
