"""One cycle: crawl the sources (articles and their reports), diff, record, health, alerts.

The diff and the alerts run even when the crawl failed or timed out: whatever the crawl
committed is decided, and alerts left pending by earlier cycles get another try.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.job import CrawlJob
from scheduler.alerts.atom import write_atom_feed
from scheduler.alerts.delivery import DeliveryReport, deliver_alerts
from scheduler.alerts.filtering import channel_filters
from scheduler.config import Config, read_analysis_data
from scheduler.crawl import CrawlOutcome, run_crawl
from scheduler.due import due_sources
from scheduler.health import assess
from storage.db import open_db, write_transaction
from storage.diff import DiffOutcome, DiffParams, decide_pending
from storage.filters import channels_taking
from storage.health import update_health
from storage.models import Source, SourceRunStats
from storage.queries import (
    close_interrupted_runs,
    finish_run,
    forget_feed_validators,
    last_run_times,
    start_run,
    upsert_sources,
    upsert_speakers,
)


@dataclass
class CycleReport:
    run_id: int
    status: str
    stats: list[SourceRunStats]
    duration_s: float
    error: str | None = None
    diff: DiffOutcome | None = None
    delivery: DeliveryReport | None = None
    health: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        return bool(self.stats) and all(s.failed for s in self.stats)

    @property
    def articles_new(self) -> int:
        return sum(s.articles_new for s in self.stats)


def run_cycle(
    config: Config,
    *,
    sources: list[Source] | None = None,
    trigger: str = "run",
    stopping: threading.Event | None = None,
) -> CycleReport:
    """Crawl → diff → record → health → alerts. When ``stopping`` is set during the crawl
    (SIGTERM), what was stored stays stored, and deciding and delivering wait for the next
    cycle: reports stay undecided and alerts pending, nothing is lost."""
    sources = list(config.enabled_sources if sources is None else sources)
    started = time.monotonic()
    speakers, _ = read_analysis_data(config.analysis)
    db = open_db(config.storage_path, timeout=config.busy_timeout_seconds)
    try:
        upsert_sources(db, sources)
        upsert_speakers(db, speakers.get("speakers", []))
        run_id = start_run(db, trigger, [s.id for s in sources])
        job = CrawlJob(
            db_path=str(config.storage_path),
            sources=sources,
            result_path="",
            settings=config.crawl.scrapy_settings(),
            max_articles_per_source=config.crawl.max_articles_per_source,
            speakers_path=str(config.analysis.speakers_path),
            topics_path=str(config.analysis.topics_path),
            topic_threshold=config.analysis.topic_threshold,
            encoder=config.diff.encoder,
            analysis_worker=config.crawl.analysis_worker,
            busy_timeout_seconds=config.busy_timeout_seconds,
            crash_at=sorted(config.crash_at),
        )
        log_path = config.storage_path.parent / "logs" / "crawl-latest.log"
        if not sources:
            outcome = CrawlOutcome([], 0, False, 0.0)  # nothing to crawl: decide and deliver only
        elif config.crawl.backend == "scrapyd":
            # imported here: the local backend's daemon need not load the analysis (DESIGN §12)
            from scheduler.scrapyd.backend import remote_crawl, run_crawl_scrapyd

            outcome = run_crawl_scrapyd(db, job, remote_crawl(config, stopping), run_id)
        else:
            outcome = run_crawl(
                job,
                timeout=config.crawl.timeout_seconds,
                log_path=log_path,
                terminate_grace=config.crawl.stop_grace_seconds,
            )
        stopped = stopping is not None and stopping.is_set()
        if outcome.error:
            # killed, crashed or timed out: feeds it read may list articles it never stored
            forget_feed_validators(db, [s.id for s in sources])
        # after the crawl, not alongside it: decisions in publication order are reproducible
        diff = DiffOutcome() if stopped else decide_pending(db, diff_params(config), run_id)
        for stats in outcome.stats:
            stats.statements_new = diff.statements_new_by_source.get(stats.source_id, 0)
        status = finish_run(
            db,
            run_id,
            outcome.stats,
            duration_s=time.monotonic() - started,
            error=f"stopped by a signal; {outcome.error}" if stopped else outcome.error,
            totals={
                "reports_decided": diff.reports_decided,
                "statements_new": diff.statements_new,
                "alerts_queued": diff.alerts_queued,
            },
        )
        delivery = DeliveryReport()
        health: list[dict[str, Any]] = []
        if not stopped:
            health = update_health(
                db,
                [s.source_id for s in outcome.stats],
                lambda history: assess(history, config.health),
                config.health.baseline_runs + 1,
                tuple(channels_taking(config.alerts.channels, channel_filters(config), "health")),
                run_id,
            )
            delivery = deliver_and_publish(db, config, stopping)
            record_delivery(db, run_id, delivery)
    finally:
        db.close()
    duration = time.monotonic() - started
    return CycleReport(
        run_id, status, outcome.stats, duration, outcome.error, diff, delivery, health
    )


def record_delivery(db: Any, run_id: int, delivery: DeliveryReport) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE runs SET alerts_sent = ?, alerts_failed = ? WHERE id = ?",
            [delivery.sent, delivery.failed, run_id],
        )


def deliver_and_publish(
    db: Any, config: Config, stopping: threading.Event | None = None
) -> DeliveryReport:
    """Deliver what the outbox has due, then rewrite the Atom feed."""
    delivery = deliver_alerts(db, config.alerts, stopping)
    if config.alerts.atom_path is not None:
        write_atom_feed(
            db,
            config.alerts.atom_path,
            config.alerts.atom_entries,
            config.alerts.atom_keep_days,
            config.alerts.atom_self_url,
        )
    return delivery


def deliver_pending(config: Config, stopping: threading.Event | None = None) -> DeliveryReport:
    """The daemon's alert timer: retries between cycles, without crawling."""
    db = open_db(config.storage_path, timeout=config.busy_timeout_seconds)
    try:
        return deliver_and_publish(db, config, stopping)
    finally:
        db.close()


def close_interrupted(config: Config) -> list[int]:
    """Close the runs a dead process left running (``kill -9``, a crash, a power cut) as
    interrupted; their ids. Only while holding the run lock, so that no run is in progress."""
    db = open_db(config.storage_path, timeout=config.busy_timeout_seconds)
    try:
        return close_interrupted_runs(db)
    finally:
        db.close()


def due_now(config: Config, sources: list[Source], now: datetime | None = None) -> list[Source]:
    db = open_db(config.storage_path, timeout=config.busy_timeout_seconds)
    try:
        last_runs = last_run_times(db)
    finally:
        db.close()
    return due_sources(sources, last_runs, now or datetime.now(UTC))


def diff_params(config: Config) -> DiffParams:
    return DiffParams(
        filters=channel_filters(config),
        window_hours=config.diff.window_hours,
        recap_window_days=config.diff.recap_window_days,
        threshold=config.diff.match_threshold,
        use_embeddings=config.diff.encoder,
        channels=config.alerts.channels,
        background_after_days=config.diff.background_after_days,
        occasion_hours=config.diff.occasion_hours,
        update_channels=tuple(
            channel
            for channel in config.alerts.channels
            if getattr(config.alerts, channel).updates != "off"
        ),
    )
