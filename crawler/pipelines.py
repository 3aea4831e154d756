"""Item pipelines: validate an article, then store it in its own transaction."""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrapy.exceptions import DropItem

from crawler.analysis import Analyzer
from crawler.encoder import SentenceEncoder
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


class AnalyzeArticlePipeline:
    """Find the article's statements; they are stored with it, in the same transaction."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.analyzer: Analyzer | None = None
        self.encoder: SentenceEncoder | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> AnalyzeArticlePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        job = (spider or self.crawler.spider).job
        if job.speakers_path and job.topics_path:
            with open(job.speakers_path, "rb") as speakers, open(job.topics_path, "rb") as topics:
                self.analyzer = Analyzer.from_data(
                    tomllib.load(speakers), tomllib.load(topics), job.topic_threshold
                )
            if job.encoder:
                self.encoder = SentenceEncoder()

    def process_item(self, item: Article, spider: Any = None) -> AnalyzedArticle:
        reports: list[Report] = []
        if self.analyzer is not None:
            published = datetime.fromisoformat(item.published_at).date()
            reports = self.analyzer.analyze(
                item.text, language=item.language, published=published, title=item.title
            )
        if self.encoder is not None and reports:
            vectors = self.encoder.encode([report.text for report in reports])
            for report, vector in zip(reports, vectors, strict=True):
                report.embedding = vector
        return AnalyzedArticle(item, reports)


class StoreArticlePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoreArticlePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        spider = spider or self.crawler.spider
        self.db = open_db(spider.job.db_path, migrate=False)

    def close_spider(self, spider: Any = None) -> None:
        if self.db is not None:
            self.db.close()

    def process_item(self, analyzed: AnalyzedArticle, spider: Any = None) -> AnalyzedArticle:
        spider = spider or self.crawler.spider
        item = analyzed.article
        stats = spider.stats_for(item.source_id)
        try:
            article_id = save_article(self.db, item, analyzed.reports)
        except StoreError as exc:
            stats.pages_failed += 1
            spider._error(stats, str(exc))
            with contextlib.suppress(StoreError):
                record_page_failure(self.db, item.source_id, item.url, str(exc))
            raise DropItem(str(exc)) from exc
        if article_id is None:
            stats.skipped_known += 1
        else:
            stats.articles_new += 1
            stats.reports += len(analyzed.reports)
        return analyzed
