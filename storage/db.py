"""Opening the database the same way everywhere: WAL, a busy timeout, foreign keys, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations

BUSY_TIMEOUT_SECONDS = 30.0


class StoreError(Exception):
    """The store could not do what was asked (locked, full, unreadable); the message says why."""


def open_db(path: str | Path, *, timeout: float = BUSY_TIMEOUT_SECONDS, migrate: bool = True):
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    A second process writing at the same time waits up to ``timeout`` seconds for the lock.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=timeout)
        db = sqlite_utils.Database(conn)
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    return db


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One short write transaction that takes the write lock up front.

    ``BEGIN IMMEDIATE`` matters in WAL mode: a deferred transaction that first reads and then
    writes fails at once when another process committed in between (DESIGN §12).
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"database is busy: {exc}") from exc
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise


def backup_database(source: str | Path, target: str | Path) -> int:
    """A consistent copy through SQLite's online backup API (never a copy of the live file:
    in WAL mode recent commits live in the -wal file). Returns the pages copied."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise StoreError(f"no database at {source}")
    try:
        with sqlite3.connect(str(source), timeout=BUSY_TIMEOUT_SECONDS) as live:
            copy = sqlite3.connect(str(target))
            try:
                live.backup(copy, pages=1024)
                pages = copy.execute("PRAGMA page_count").fetchone()[0]
            finally:
                copy.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    return int(pages)
