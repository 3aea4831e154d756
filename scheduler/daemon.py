"""``peacewatch daemon``: APScheduler 3 runs the cycles until SIGTERM, SIGINT or SIGHUP.

One job per group of sources sharing an interval (explicit ids, ``replace_existing``), plus
one for alert delivery on its own timer. All jobs share ONE worker thread, so two cycles never
overlap inside the daemon, and each cycle takes the run lock so a cron ``run`` on the same
database waits its turn too. Every crawl is a subprocess with a hard timeout (DESIGN §12): the
daemon keeps no crawl state and stays small.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.config import Config
from scheduler.crawl import stop_running_crawls
from scheduler.cron import on_stop_signals
from scheduler.cycle import close_interrupted, deliver_pending, run_cycle
from scheduler.due import SourceGroup, first_run_time, group_by_interval
from scheduler.lock import LockHeld, RunLock
from scheduler.output import alert_summary
from storage.db import StoreError, open_db
from storage.queries import last_run_times

log = logging.getLogger("peacewatch.daemon")

ALERTS_JOB_ID = "deliver-alerts"


@dataclass
class DaemonStats:
    cycles: int = 0
    cycles_skipped: int = 0
    job_errors: int = 0
    misfires: int = 0
    last_error: str = ""
    last_run: int | None = None


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.now = now
        self.stop_grace = config.crawl.stop_grace_seconds
        self.stopping = threading.Event()
        self.stats = DaemonStats()
        self.lock = RunLock.beside(config.storage_path)
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": self.executor},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(config.schedule.misfire_grace_seconds) or None,
            },
        )
        self.scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    # -- jobs ----------------------------------------------------------------------------

    def plan(self) -> list[tuple[SourceGroup, datetime]]:
        """Each group with its first run: at once when overdue (catch-up), else when due."""
        now = self.now()
        db = open_db(self.config.storage_path)
        try:
            last_runs = last_run_times(db)
        finally:
            db.close()
        groups = group_by_interval(self.config.enabled_sources)
        if not self.config.schedule.catch_up:
            return [(g, now + timedelta(minutes=g.interval_minutes)) for g in groups]
        return [(g, first_run_time(g, last_runs, now)) for g in groups]

    def add_jobs(self) -> None:
        for group, first in self.plan():
            self.scheduler.add_job(
                self.cycle,
                IntervalTrigger(minutes=group.interval_minutes, start_date=first, timezone=UTC),
                args=[group],
                id=group.job_id,
                name=f"crawl {len(group.sources)} source(s) every {group.interval_minutes:g} min",
                replace_existing=True,
                next_run_time=first,
            )
            log.info(
                "%s: %d source(s), first run %s",
                group.job_id,
                len(group.sources),
                first.isoformat(timespec="seconds"),
            )
        self.scheduler.add_job(
            self.deliver,
            IntervalTrigger(minutes=self.config.schedule.alert_retry_minutes, timezone=UTC),
            id=ALERTS_JOB_ID,
            name="deliver pending alerts",
            replace_existing=True,
        )

    def cycle(self, group: SourceGroup) -> None:
        if self.stopping.is_set():
            return
        try:
            self.lock.acquire(wait_seconds=0)
        except LockHeld as exc:
            self.stats.cycles_skipped += 1
            log.warning("%s skipped: %s", group.job_id, exc)
            return
        try:
            self._close_interrupted()
            report = run_cycle(
                self.config, sources=list(group.sources), trigger="daemon", stopping=self.stopping
            )
        finally:
            self.lock.release()
        self.stats.cycles += 1
        self.stats.last_run = report.run_id
        failed = [s.source_id for s in report.stats if s.failed]
        new = report.diff.statements_new if report.diff else 0
        sent = report.delivery.sent if report.delivery else 0
        log.info(
            "run %d %s: %d source(s), %d new article(s), %d new statement(s), %d alert(s) sent%s",
            report.run_id,
            report.status,
            len(report.stats),
            report.articles_new,
            new,
            sent,
            f"; failed: {', '.join(failed)}" if failed else "",
        )
        for change in report.health:
            log.warning("source %s %s: %s", change["source_id"], change["state"], change["reason"])
        for payload in report.delivery.delivered if report.delivery else []:
            log.info("alert: %s", alert_summary(payload).replace("\n", " |"))

    def _close_interrupted(self) -> None:
        """Under the run lock: runs a dead process left running, closed as interrupted."""
        for run_id in close_interrupted(self.config):
            log.warning(
                "run %d was left running by a process that died: closed as interrupted", run_id
            )

    def close_interrupted_at_start(self) -> None:
        """At start, when no run holds the lock (one that does closes them itself)."""
        try:
            self.lock.acquire(wait_seconds=0)
        except LockHeld:
            return
        try:
            self._close_interrupted()
        finally:
            self.lock.release()

    def deliver(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.lock.acquire(wait_seconds=0)
        except LockHeld:
            return  # a cycle (ours or cron's) is running; it delivers at its end
        try:
            report = deliver_pending(self.config, self.stopping)
        finally:
            self.lock.release()
        if report.sent or report.errors:
            log.info(
                "alerts: %d sent, %d to retry, %d failed",
                report.sent,
                report.retrying,
                report.failed,
            )

    # -- events and signals --------------------------------------------------------------

    def _on_job_event(self, event: Any) -> None:
        if isinstance(event, JobExecutionEvent) and event.exception is not None:
            self.stats.job_errors += 1
            self.stats.last_error = f"{type(event.exception).__name__}: {event.exception}"
            level = logging.ERROR
            if isinstance(event.exception, StoreError):
                level = logging.WARNING  # a busy or full database: the next cycle tries again
            log.log(
                level,
                "job %s failed (%d so far): %s",
                event.job_id,
                self.stats.job_errors,
                self.stats.last_error,
            )
        elif event.code == EVENT_JOB_MISSED:
            self.stats.misfires += 1
            log.warning(
                "job %s missed its run time (more than the misfire grace late)", event.job_id
            )

    def stop(self, signum: int | None = None, _frame: Any = None) -> None:
        """Stop scheduling, ask a running crawl to stop; the running cycle ends quickly."""
        if self.stopping.is_set():
            return
        name = signal.Signals(signum).name if signum else "stop"
        log.info(
            "%s: stopping%s (a running crawl gets SIGTERM, SIGKILL after %.0f s)",
            name,
            " as on SIGTERM, no reload" if signum == signal.SIGHUP else "",
            self.stop_grace,
        )
        self.stopping.set()
        stop_running_crawls(self.stop_grace)
        self.scheduler.shutdown(wait=False)

    def run(self) -> DaemonStats:
        """Raises ``LockHeld`` when another daemon already serves this database."""
        with RunLock.beside(self.config.storage_path, "daemon").acquire():
            on_stop_signals(self.stop)  # SIGTERM, SIGINT, SIGHUP (unless nohup ignores it)
            self.close_interrupted_at_start()
            self.add_jobs()
            log.info(
                "daemon started: %d source(s), database %s",
                len(self.config.enabled_sources),
                self.config.storage_path,
            )
            self.scheduler.start()  # blocks until stop()
            # no new jobs start now; wait for the one that may still be running
            self.executor.shutdown(wait=True)
        log.info("daemon stopped after %d cycle(s)", self.stats.cycles)
        return self.stats
