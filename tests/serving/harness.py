"""The production set-up as real processes, for the serving, scale-out and fault tests.

``ServedSystem`` starts ``deploy/serve.sh`` (gunicorn with WhiteNoise, optionally the task worker
and the scheduler; settings jifen.settings.serve) on a port of its own, against a PostgreSQL
database and a Redis database of the test's choosing, and stops or kills it. Databases are made
from one migrated template per test session (``CREATE DATABASE ... TEMPLATE``), so each system
starts in seconds rather than migrating again.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
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
        env = command_env(self)
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


# --- a browser over plain HTTP, and two-node systems (the scale-out test) -------------------


@dataclass
class Reply:
    status: int
    headers: Any
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class WebSession:
    """One browser: its cookies (which do not depend on the port, so one session reaches every
    node on 127.0.0.1), redirects not followed, and optionally the client address a proxy would
    put in X-Forwarded-For (read when the node trusts it: AUDIT_TRUST_X_FORWARDED_FOR=1)."""

    def __init__(self, *, forwarded_for: str = "", tls: ssl.SSLContext | None = None) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect,
            urllib.request.HTTPSHandler(context=tls),
        )
        self.forwarded_for = forwarded_for

    def request(
        self, method: str, url: str, *, form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None, timeout: float = 30.0,
    ) -> Reply:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if self.forwarded_for:
            request.add_header("X-Forwarded-For", self.forwarded_for)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Reply(response.status, response.headers,
                             response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read().decode("utf-8", "replace"))

    def get(self, url: str, **kwargs: Any) -> Reply:
        return self.request("GET", url, **kwargs)

    def submit(self, url: str, fields: Mapping[str, str], *, page_url: str = "") -> Reply:
        """POST a form as a browser does: its CSRF token taken from the form's page
        (``page_url``, by default the same URL) first."""
        page = self.get(page_url or url)
        token = CSRF_INPUT.search(page.body)
        assert token, f"no CSRF token on {page_url or url} ({page.status})"
        return self.request(
            "POST", url, form={"csrfmiddlewaretoken": token.group(1), **fields},
            headers={"Referer": page_url or url},
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def database_connections(database_url: str, name: str) -> int:
    """How many server processes are connected to database ``name`` now (pg_stat_activity)."""
    with admin_connection(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = "
            "'client backend'", [name],
        ).fetchone()
    return int(row[0]) if row else 0


def start_manage(node: ServedSystem, *args: str) -> subprocess.Popen[bytes]:
    """``manage.py`` with ``node``'s settings, database, cache and secrets as a background
    process (e.g. a task worker started when the test wants it); its output goes to the node's
    log folder. The caller stops it (``terminate()``)."""
    return start_command(node, *args, name=f"manage-{node.port}-{args[0]}")


# ---- for the fault tests (tests/serving/test_faults_*) ------------------------------------


def command_env(node: ServedSystem, **extra: str) -> dict[str, str]:
    """The environment of ``node.manage(...)``, for commands started without waiting."""
    env = dict(node.env)
    env.update(_secrets(node.var_dir))
    env.update(
        DJANGO_SETTINGS_MODULE="jifen.settings.serve",
        DATABASE_URL=node.database_url,
        REDIS_URL=node.env["SERVE_REDIS_URL"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        JIFEN_VAR_DIR=str(node.var_dir),
        AUDIT_CHECKPOINT_DIR=str(node.var_dir / "audit-checkpoints"),
    )
    env.update(extra)
    return env


def start_command(node: ServedSystem, *args: str, name: str, **extra: str) -> subprocess.Popen:
    """``manage.py *args`` with the node's settings in a process group of its own (so that a
    test can SIGKILL it with its children), its output in ``var_dir/<name>.out``."""
    log = (node.var_dir / f"{name}.out").open("ab")
    return subprocess.Popen(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=command_env(node, **extra),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    """``signum`` to the process and its children (start_command's group); waits for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    process.wait(timeout=30)


def node_python(node: ServedSystem, code: str, timeout: float = 300) -> str:
    """Run ``code`` in ``manage.py shell`` with the node's settings and database; its standard
    output. Fails the test with the error when the code raises."""
    done = node.manage("shell", "--no-imports", "-c", code, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"manage.py shell failed:\n{done.stderr[-4000:]}")
    return done.stdout


def wait_for(predicate: Any, timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll ``predicate()`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what}")


def page_login(url: str, username: str, password: str) -> Any:
    """A ``requests`` session signed in through the login page (its CSRF token and cookie), as
    a browser does."""
    import re

    import requests

    session = requests.Session()
    form = session.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    answer = session.post(
        f"{url}/accounts/login/",
        data={"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        headers={"Referer": f"{url}/accounts/login/"}, allow_redirects=False, timeout=30,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session


def api_token(url: str, username: str, password: str) -> str:
    import requests

    answer = requests.post(f"{url}/api/auth/token",
                           json={"username": username, "password": password}, timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    return str(answer.json()["token"])


def process_tree(pid: int) -> set[int]:
    """The ids of ``pid``'s descendants (gunicorn's master and workers under serve.sh)."""
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    return set()


def node_query(node: ServedSystem, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``statement`` on the node's database (read straight from PostgreSQL: it works
    whatever state the node's processes are in)."""
    with psycopg.connect(node.database_url.replace("postgres://", "postgresql://", 1),
                         autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


# --- commands beside a node (the load benchmark's seed, any script) ------------------------------


def run_beside(
    system: ServedSystem,
    *args: str | Path,
    timeout: float = 600,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (e.g. ``[PYTHON, "bench/load/seed.py", ...]``) from the repository's root
    with the node's environment (``command_env``)."""
    env = command_env(system, **dict(extra_env or {}))
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
