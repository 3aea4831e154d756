"""The run lock: one cycle at a time per database, whether from cron or the daemon.

An advisory ``flock`` on a file beside the database. The kernel drops it when the holder dies
(even by ``kill -9``), so a crash never leaves a stale lock; the file's text (pid, since) is
only there to tell the user who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from storage.db import StoreError
from storage.queries import utc_now


class LockHeld(Exception):
    """Another run or daemon cycle holds the lock; the message says who and since when."""


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: int | None = None

    @classmethod
    def beside(cls, database: Path, name: str = "") -> RunLock:
        suffix = f".{name}.lock" if name else ".lock"
        return cls(database.with_name(database.stem + suffix))

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            return "unknown"

    def acquire(self, wait_seconds: float = 0.0) -> RunLock:
        """Raises ``LockHeld`` when another process holds it, ``StoreError`` when the lock file
        cannot be created (a read-only or missing data directory: the database beside it could
        not be written either)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot open the run lock {self.path}: {exc.strerror or exc} "
                "(the data directory must be writable)"
            ) from exc
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(handle)
                    raise LockHeld(
                        f"another peacewatch run or daemon cycle holds {self.path} "
                        f"({self.holder()})"
                    ) from None
                time.sleep(0.2)
        with contextlib.suppress(OSError):  # the text only says who holds it; flock is the lock
            os.ftruncate(handle, 0)
            os.write(handle, f"pid {os.getpid()} since {utc_now()}\n".encode())
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            os.ftruncate(self._handle, 0)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
            self._handle = None

    def __enter__(self) -> RunLock:
        return self if self._handle is not None else self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
