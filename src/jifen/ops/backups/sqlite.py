"""The SQLite side of backups: online snapshots and page-level increments.

A full backup is a snapshot made through SQLite's online backup API
(``sqlite3.Connection.backup``) while the server keeps running. An incremental compares the
pages of a fresh snapshot with the page hashes the previous backup recorded and keeps only the
pages that differ, with the new page count; applying the increments of a chain to the full
snapshot, in order, gives back the later snapshots byte for byte (checked by their sha256).
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.db import connection

_PAGE_RECORD = struct.Struct(">I")  # page number (1-based) before each stored page


def snapshot(dest: Path) -> None:
    """Copy the live default database into ``dest`` through the online backup API."""
    if connection.in_atomic_block:
        # The backup would wait for ever for this connection's own write transaction.
        raise RuntimeError("an SQLite snapshot cannot be taken inside a transaction")
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def page_size(path: Path) -> int:
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise ValueError(f"{path.name} is not an SQLite database")
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def iter_pages(path: Path, size: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while page := fh.read(size):
            yield page


def page_hashes(path: Path) -> list[str]:
    """The sha256 of every page of the database file (hex, first 32 characters)."""
    size = page_size(path)
    return [hashlib.sha256(page).hexdigest()[:32] for page in iter_pages(path, size)]


def write_changed_pages(path: Path, previous: list[str], out: BinaryIO) -> tuple[int, list[str]]:
    """Write the pages of ``path`` whose hash differs from ``previous`` (or that are new) to
    ``out``; returns how many and the hashes of all pages of ``path``."""
    size = page_size(path)
    hashes: list[str] = []
    changed = 0
    for number, page in enumerate(iter_pages(path, size), start=1):
        digest = hashlib.sha256(page).hexdigest()[:32]
        hashes.append(digest)
        if number > len(previous) or previous[number - 1] != digest:
            out.write(_PAGE_RECORD.pack(number))
            out.write(page)
            changed += 1
    return changed, hashes


def apply_pages(db: Path, pages: BinaryIO, size: int, page_count: int) -> int:
    """Write the stored pages into ``db`` at their places and cut it to ``page_count`` pages;
    returns how many pages were written."""
    written = 0
    with db.open("r+b") as fh:
        while head := pages.read(_PAGE_RECORD.size):
            (number,) = _PAGE_RECORD.unpack(head)
            page = pages.read(size)
            if len(page) != size or not 1 <= number <= page_count:
                raise ValueError("the increment's page data is damaged")
            fh.seek((number - 1) * size)
            fh.write(page)
            written += 1
        fh.truncate(page_count * size)
    return written


def table_counts(path: Path) -> dict[str, int]:
    """Rows in every table of the database file (SQLite's internal tables left out)."""
    con = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        con.close()


def integrity(path: Path) -> str:
    """``ok`` or SQLite's first complaint (PRAGMA quick_check)."""
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA quick_check").fetchone()[0])
    finally:
        con.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
