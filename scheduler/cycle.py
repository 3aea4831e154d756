"""One cycle: crawl the sources (articles and their reports), diff, alert, record the run.

The diff and the alerts run even when the crawl failed or timed out: whatever the crawl
committed is decided, and alerts left pending by earlier cycles get another try.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from crawler.job import CrawlJob
from scheduler.alerts import DeliveryReport, deliver_alerts
from scheduler.atom import write_atom_feed
from scheduler.config import Config, read_analysis_data
from scheduler.crawl import run_crawl
from storage.db import open_db
from storage.diff import DiffOutcome, DiffParams, decide_pending
from storage.models import Source, SourceRunStats
from storage.queries import finish_run, start_run, upsert_sources, upsert_speakers


@dataclass
class CycleReport:
    run_id: int
    status: str
    stats: list[SourceRunStats]
    duration_s: float
    error: str | None = None
    diff: DiffOutcome | None = None
    delivery: DeliveryReport | None = None

    @property
    def all_failed(self) -> bool:
        return bool(self.stats) and all(s.failed for s in self.stats)

    @property
    def articles_new(self) -> int:
        return sum(s.articles_new for s in self.stats)


def run_cycle(
    config: Config, *, sources: list[Source] | None = None, trigger: str = "run"
) -> CycleReport:
    sources = list(config.enabled_sources if sources is None else sources)
    started = time.monotonic()
    speakers, _ = read_analysis_data(config.analysis)
    db = open_db(config.storage_path)
    try:
        upsert_sources(db, sources)
        upsert_speakers(db, speakers.get("speakers", []))
        run_id = start_run(db, trigger)
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
        )
        log_path = config.storage_path.parent / "logs" / "crawl-latest.log"
        outcome = run_crawl(job, timeout=config.crawl.timeout_seconds, log_path=log_path)
        # after the crawl, not alongside it: decisions in publication order are reproducible
        diff, delivery = decide_and_alert(db, config, run_id)
        for stats in outcome.stats:
            stats.statements_new = diff.statements_new_by_source.get(stats.source_id, 0)
        duration = time.monotonic() - started
        status = finish_run(
            db,
            run_id,
            outcome.stats,
            duration_s=duration,
            error=outcome.error,
            totals={
                "reports_decided": diff.reports_decided,
                "statements_new": diff.statements_new,
                "alerts_queued": diff.alerts_queued,
                "alerts_sent": delivery.sent,
                "alerts_failed": delivery.failed,
            },
        )
    finally:
        db.close()
    return CycleReport(run_id, status, outcome.stats, duration, outcome.error, diff, delivery)


def diff_params(config: Config) -> DiffParams:
    return DiffParams(
        window_hours=config.diff.window_hours,
        recap_window_days=config.diff.recap_window_days,
        threshold=config.diff.match_threshold,
        use_embeddings=config.diff.encoder,
        channels=config.alerts.channels,
    )


def decide_and_alert(
    db: Any, config: Config, run_id: int | None
) -> tuple[DiffOutcome, DeliveryReport]:
    """The steps after a crawl: new reports → statements (+ outbox), then delivery, then Atom."""
    diff = decide_pending(db, diff_params(config), run_id)
    delivery = deliver_alerts(db, config.alerts)
    if config.alerts.atom_path is not None:
        write_atom_feed(db, config.alerts.atom_path, config.alerts.atom_entries)
    return diff, delivery
