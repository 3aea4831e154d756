"""Opening the database the same way everywhere: WAL, a busy timeout, foreign keys, migrations
— or, for commands that only read, read-only, changing nothing."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations, pending_migrations, unknown_migrations

BUSY_TIMEOUT_SECONDS = 30.0

#: The busy timeout ``open_db`` uses when not given one: ``[storage] busy_timeout_seconds``,
#: set once at process start by ``configure`` (the CLI, and the crawl subprocess from its job).
_default_timeout = BUSY_TIMEOUT_SECONDS


def configure(*, busy_timeout: float) -> None:
    global _default_timeout
    _default_timeout = float(busy_timeout)


class StoreError(Exception):
    """The store could not do what was asked (locked, full, unreadable); the message says why."""


class SchemaOutdated(StoreError):
    """A read-only open found a database an older version wrote: its migrations are pending."""


def open_db(path: str | Path, *, timeout: float | None = None, migrate: bool = True):
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    A second process writing at the same time waits up to ``timeout`` seconds for the lock
    (default: the configured ``[storage] busy_timeout_seconds``).
    """
    timeout = _default_timeout if timeout is None else timeout
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=timeout)
        db = sqlite_utils.Database(conn)
        _refuse_unknown_schema(db, path)  # before anything is written, WAL mode included
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {_explain(exc, timeout)}") from exc
    return db


def _refuse_unknown_schema(db: sqlite_utils.Database, path: Path) -> None:
    unknown = unknown_migrations(db)
    if unknown:
        db.close()
        raise StoreError(
            f"database {path} has schema changes this version of peacewatch does not know "
            f"({', '.join(unknown)}): it was written by a newer version. Not using it; "
            "upgrade peacewatch, or point [storage] path at another database"
        )


#: SQLite's answers when a read-only connection cannot create the WAL index (``-shm``) beside
#: a WAL database in a directory it may not write.
_NO_WAL_INDEX = {
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_READONLY_CANTINIT",
    "SQLITE_READONLY_CANTLOCK",
    "SQLITE_READONLY_DIRECTORY",
}


def _connect_readonly(path: Path, timeout: float, *, immutable: bool) -> sqlite_utils.Database:
    uri = path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    conn = sqlite3.connect(uri, uri=True, timeout=timeout)
    db = sqlite_utils.Database(conn)
    try:
        db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the file for real
    except BaseException:
        db.close()
        raise
    return db


def open_db_readonly(path: str | Path, *, timeout: float | None = None) -> sqlite_utils.Database:
    """Open an existing database only to read it (``status``, ``statements``, ``show``).

    SQLite's read-only mode, no migrations, no change of journal mode: nothing is written, and
    a database file, directory or mount the user may not write still works. A WAL database
    needs its index file (``-shm``) beside it; when that is missing and cannot be created (a
    read-only directory), and no write-ahead log holds commits, the file is read as immutable
    — with no ``-wal`` file, no process has it open for writing.
    """
    timeout = _default_timeout if timeout is None else timeout
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no database at {path}")
    try:
        try:
            db = _connect_readonly(path, timeout, immutable=False)
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") not in _NO_WAL_INDEX:
                raise
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise StoreError(
                    f"cannot read database {path}: {exc}; its write-ahead log {wal} holds "
                    "commits, which SQLite can only read with write access to the directory"
                ) from exc
            db = _connect_readonly(path, timeout, immutable=True)
        try:
            _refuse_unknown_schema(db, path)
            pending = pending_migrations(db)
        except BaseException:
            db.close()
            raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read database {path}: {_explain(exc, timeout)}") from exc
    if pending:
        db.close()
        raise SchemaOutdated(
            f"database {path} was written by an older version of peacewatch and needs "
            f"upgrading ({', '.join(pending)}), which needs write access"
        )
    return db


def _explain(exc: sqlite3.Error, timeout: float | None = None) -> str:
    """SQLite's terse message, with what it means for the operator."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        waited = f" ({timeout:g} s)" if timeout is not None else ""
        return f"{text}: another process held the write lock longer than the busy timeout{waited}"
    if "full" in text:
        return f"{text} (no space left for the database, or its size limit reached)"
    if "readonly" in text or "read-only" in text:
        return f"{text} (the database file or its directory is read-only)"
    return text


def _db_name(db: sqlite_utils.Database) -> str:
    try:
        row = db.conn.execute("PRAGMA database_list").fetchone()
    except sqlite3.Error:
        return "database"
    return f"database {row[2]}" if row and row[2] else "database"


def _busy_timeout(db: sqlite_utils.Database) -> float | None:
    try:
        return float(db.conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000
    except sqlite3.Error:
        return None


def _rollback(db: sqlite_utils.Database) -> None:
    if db.conn.in_transaction:
        # SQLite may have rolled back already (e.g. after SQLITE_FULL)
        with contextlib.suppress(sqlite3.Error):
            db.conn.execute("ROLLBACK")


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One short write transaction that takes the write lock up front.

    ``BEGIN IMMEDIATE`` matters in WAL mode: a deferred transaction that first reads and then
    writes fails at once when another process committed in between (DESIGN §12).
    Any SQLite error inside (locked, disk full, corrupt) rolls the whole transaction back and
    comes out as a StoreError naming the database: nothing is half-written.
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"{_db_name(db)} is locked: {_explain(exc, _busy_timeout(db))}") from exc
    try:
        yield db
    except sqlite3.DatabaseError as exc:
        _rollback(db)
        raise StoreError(
            f"{_db_name(db)}: write failed and was rolled back: {_explain(exc)}"
        ) from exc
    except BaseException:
        _rollback(db)
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            _rollback(db)
            raise StoreError(
                f"{_db_name(db)}: commit failed and was rolled back: {_explain(exc)}"
            ) from exc
        except BaseException:
            _rollback(db)
            raise


def backup_database(source: str | Path, target: str | Path) -> int:
    """A consistent copy through SQLite's online backup API (never a copy of the live file:
    in WAL mode recent commits live in the -wal file). Returns the pages copied."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise StoreError(f"no database at {source}")
    try:
        with sqlite3.connect(str(source), timeout=_default_timeout) as live:
            copy = sqlite3.connect(str(target))
            try:
                live.backup(copy, pages=1024)
                pages = copy.execute("PRAGMA page_count").fetchone()[0]
            finally:
                copy.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"backup of {source} failed: {exc}") from exc
    return int(pages)
