"""A scratch PostgreSQL cluster of a test's own: initdb in a temporary folder, pg_ctl on a free
port, stopped and removed afterwards. For what must not be done to the shared server on 5432
(restart it, archive its WAL, restore it). As root, the server programs run as the ``postgres``
OS user (initdb refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg

BINDIR = Path(os.environ.get("JIFEN_PG_BINDIR", "/usr/lib/postgresql/15/bin"))


def scratch_missing() -> str:
    """Why no scratch cluster can be made here ("" when one can)."""
    if not (BINDIR / "initdb").exists():
        return f"the PostgreSQL server programs are not in {BINDIR}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres OS user for initdb"
    return ""


def as_pg(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScratchCluster:
    """One cluster under ``base`` (its data folder, log and Unix socket), listening on the
    socket only. ``init()`` then ``start()``; ``remove()`` stops it and deletes the folder."""

    def __init__(self, base: Path | None = None) -> None:
        self.base = Path(base or tempfile.mkdtemp(prefix="jifen-pgtest-"))
        self.data = self.base / "data"
        self.log = self.base / "pg.log"
        self.port = free_port()

    def database_url(self, dbname: str) -> str:
        """A DATABASE_URL for ``dbname`` through the cluster's socket."""
        return f"postgres://postgres@{quote(str(self.base), safe='')}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.base), port=self.port, dbname=dbname, user="postgres", **kwargs
        )

    def pg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(as_pg([*args]), check=True, capture_output=True, text=True, cwd="/")

    def init(self, settings: str = "") -> None:
        """initdb (trust, UTF8), listening on the socket under ``base`` only; ``settings``
        appended to postgresql.conf."""
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self.pg(str(BINDIR / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as fh:
            fh.write(
                f"\nport = {self.port}\nunix_socket_directories = '{self.base}'\n"
                f"listen_addresses = ''\nfsync = off\n{settings}\n"
            )

    def ctl(self, *args: str) -> None:
        try:
            self.pg(str(BINDIR / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *args)
        except subprocess.CalledProcessError as exc:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise AssertionError(f"pg_ctl {' '.join(args)}: {exc.stderr}\n{tail}") from exc

    def start(self) -> None:
        self.ctl("start")

    def restart(self, mode: str = "fast") -> None:
        self.ctl("-m", mode, "restart")

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            as_pg([str(BINDIR / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True, cwd="/",
        )

    def createdb(self, name: str) -> str:
        self.pg(str(BINDIR / "createdb"), "-h", str(self.base), "-p", str(self.port), name)
        return self.database_url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
