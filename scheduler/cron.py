"""One cycle and exit, as ``peacewatch run`` does it for cron: pick the sources, take the run
lock, close runs a dead process left running, skip when nothing is due, and stop cleanly on
SIGTERM / SIGINT / SIGHUP."""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.config import Config
from scheduler.crawl import stop_running_crawls
from scheduler.cycle import CycleReport, close_interrupted, due_now, run_cycle
from scheduler.lock import RunLock
from storage.db import StoreError
from storage.models import Source

log = logging.getLogger("peacewatch.run")
#: What stops a run or the daemon cleanly. SIGHUP too (its terminal closed, ``kill -HUP``): it
#: never reloads the configuration (restart for that).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def on_stop_signals(handler: Callable[[int, Any], None]) -> None:
    """``handler`` for each of ``STOP_SIGNALS``; a SIGHUP ignored when we started (``nohup``)
    stays ignored, as asked."""
    for signum in STOP_SIGNALS:
        if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        signal.signal(signum, handler)


@dataclass
class CronRun:
    #: None when no source was due
    report: CycleReport | None = None
    #: the signal that stopped the run early, if one did
    stopped_by: signal.Signals | None = None


def pick_sources(config: Config, source_ids: Sequence[str]) -> list[Source]:
    """The enabled sources, or the ones named; ValueError names what is unknown or missing."""
    sources = config.enabled_sources
    if source_ids:
        known = {s.id: s for s in config.sources}
        missing = [s for s in source_ids if s not in known]
        if missing:
            raise ValueError(f"unknown source(s): {', '.join(missing)}")
        sources = [known[s] for s in source_ids]
    if not sources:
        raise ValueError("no enabled sources in the registry")
    return sources


def run_once(
    config: Config,
    sources: list[Source],
    *,
    due_only: bool,
    wait_seconds: float,
    on_start: Callable[[int], None] = lambda count: None,
) -> CronRun:
    """Raises ``LockHeld`` when another run holds the lock, ``StoreError`` on database errors."""
    lock = RunLock.beside(config.storage_path).acquire(wait_seconds=wait_seconds)
    try:
        for run_id in close_interrupted(config):
            log.warning(
                "run %d was left running by a process that died: closed as interrupted", run_id
            )
        if due_only:
            sources = due_now(config, sources)
            if not sources:
                return CronRun()
        on_start(len(sources))
        stopping, received = stop_on_signals(config.crawl.stop_grace_seconds)
        report = run_cycle(config, sources=sources, trigger="run", stopping=stopping)
    except sqlite3.DatabaseError as exc:  # a read outside a write transaction
        raise StoreError(f"database {config.storage_path}: {exc}") from exc
    finally:
        lock.release()
    return CronRun(report, received[0] if received else None)


def stop_on_signals(grace: float) -> tuple[threading.Event, list[signal.Signals]]:
    """SIGTERM / SIGINT / SIGHUP during a run: stop the crawl (it runs in its own session, so
    it would not get the signal) and let the cycle end early without losing anything."""
    stopping = threading.Event()
    received: list[signal.Signals] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum))
        stopping.set()
        stop_running_crawls(grace)

    on_stop_signals(handler)
    return stopping, received
