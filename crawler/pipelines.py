"""Item pipelines: validate an article, then store it in its own transaction."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import tomllib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from scrapy.exceptions import DropItem

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from crawler.lifeline import die_with_parent
from crawler.reports import to_reports
from storage.crashpoints import crash_point
from storage.db import StoreError, open_db
from storage.models import Article, Report
from storage.queries import record_page_failure, save_article


class ValidateArticlePipeline:
    """Refuse articles we would regret storing: empty, garbled, or not a known source's."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, Article):
            raise DropItem(f"unexpected item type {type(item).__name__}")
        if not item.title.strip() or len(item.text) < 80:
            raise DropItem(f"{item.fetched_url}: article without title or text")
        if "encoding_suspect" in item.flags or "\ufffd" in item.text:
            raise DropItem(f"{item.fetched_url}: text does not decode to readable characters")
        return item


@dataclass
class AnalyzedArticle:
    article: Article
    reports: list[Report]


@dataclass(frozen=True)
class AnalysisSetup:
    """What the analysis needs, small enough to hand to a worker process."""

    speakers_path: str
    topics_path: str
    topic_threshold: float | None
    encoder: bool


class ArticleAnalysis:
    """Statements of one article, then the encoder's vectors for them (pure CPU work)."""

    def __init__(self, setup: AnalysisSetup) -> None:
        with open(setup.speakers_path, "rb") as speakers, open(setup.topics_path, "rb") as topics:
            self.analyzer = Analyzer.from_data(
                tomllib.load(speakers), tomllib.load(topics), setup.topic_threshold
            )
        self.encoder = SentenceEncoder() if setup.encoder else None

    def __call__(self, article: Article) -> list[Report]:
        published = datetime.fromisoformat(article.published_at).date()
        findings = self.analyzer.analyze(
            article.text, language=article.language, published=published, title=article.title
        )
        return to_reports(findings, self.encoder)


_worker_analysis: ArticleAnalysis | None = None


def _start_worker(setup: AnalysisSetup, crawl_pid: int) -> None:
    global _worker_analysis
    die_with_parent(crawl_pid)  # a killed crawl takes its worker with it
    _worker_analysis = ArticleAnalysis(setup)


def _analyze_in_worker(article: Article) -> list[Report]:
    assert _worker_analysis is not None
    return _worker_analysis(article)


class AnalyzeArticlePipeline:
    """Find the article's statements; they are stored with it, in the same transaction.

    The analysis runs in one worker process: the crawl process is CPU-bound on one core
    (extraction), and analysis with the encoder costs as much again, so on two cores it goes
    alongside instead of after. If the worker dies, the analysis falls back to this process.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.setup: AnalysisSetup | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.local: ArticleAnalysis | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> AnalyzeArticlePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        job = (spider or self.crawler.spider).job
        if not (job.speakers_path and job.topics_path):
            return
        self.setup = AnalysisSetup(
            job.speakers_path, job.topics_path, job.topic_threshold, job.encoder
        )
        if job.analysis_worker:
            self.pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.setup, os.getpid()),
            )
        else:
            self.local = ArticleAnalysis(self.setup)

    def close_spider(self, spider: Any = None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _analyze_here(self, item: Article) -> AnalyzedArticle:
        if self.local is None and self.setup is not None:
            self.local = ArticleAnalysis(self.setup)
        return AnalyzedArticle(item, self.local(item) if self.local is not None else [])

    async def process_item(self, item: Article, spider: Any = None) -> AnalyzedArticle:
        if self.pool is None:
            return self._analyze_here(item)
        try:
            reports = await asyncio.wrap_future(self.pool.submit(_analyze_in_worker, item))
        except BrokenProcessPool:
            self.pool = None
            return self._analyze_here(item)
        return AnalyzedArticle(item, reports)


class StoreArticlePipeline:
    """Store the article with its reports; in a remote crawl (scrapyd), hand it to the feed
    export as an ``article`` record instead, for the node to analyse and store."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreArticlePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        if not spider.job.remote:
            self.db = open_db(spider.job.db_path, migrate=False)

    def close_spider(self, spider: Any = None) -> None:
        if self.db is not None:
            self.db.close()

    def process_item(self, analyzed: AnalyzedArticle, spider: Any = None) -> Any:
        spider = spider or self.crawler.spider
        item = analyzed.article
        stats = spider.stats_for(item.source_id)
        if self.db is None:  # a remote crawl: the record is what Scrapy exports
            stats.articles_new += 1
            return spider.export.record("article", asdict(item))
        crash_point("after-fetch")
        try:
            article_id = save_article(self.db, item, analyzed.reports)
        except StoreError as exc:
            stats.pages_failed += 1
            spider._error(stats, str(exc))
            with contextlib.suppress(StoreError):
                record_page_failure(self.db, item.source_id, item.url, str(exc))
            raise DropItem(str(exc)) from exc
        crash_point("after-commit")
        if article_id is None:
            stats.skipped_known += 1
        else:
            stats.articles_new += 1
            stats.reports += len(analyzed.reports)
        return analyzed
