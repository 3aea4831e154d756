"""One cycle: crawl the sources (articles and their reports), then record the run.

Later steps (diff, alerts) join here, after the crawl and before the run is recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crawler.job import CrawlJob
from scheduler.config import Config, read_analysis_data
from scheduler.crawl import run_crawl
from storage.db import open_db
from storage.models import Source, SourceRunStats
from storage.queries import finish_run, start_run, upsert_sources, upsert_speakers


@dataclass
class CycleReport:
    run_id: int
    status: str
    stats: list[SourceRunStats]
    duration_s: float
    error: str | None = None

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
        )
        log_path = config.storage_path.parent / "logs" / "crawl-latest.log"
        outcome = run_crawl(job, timeout=config.crawl.timeout_seconds, log_path=log_path)
        duration = time.monotonic() - started
        status = finish_run(db, run_id, outcome.stats, duration_s=duration, error=outcome.error)
    finally:
        db.close()
    return CycleReport(run_id, status, outcome.stats, duration, outcome.error)
