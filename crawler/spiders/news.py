"""The generic news spider: feeds and sitemaps of every source in the job, then their articles.

Feeds are fetched with conditional GET (the validators live in ``feed_state``), so an
unchanged feed costs one 304. Item URLs are canonicalised and skipped when the store already
has them. Every page that fails is recorded, so the run's statistics tell what went wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, ResponseDataLossError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract import ExtractionError, extract_article
from crawler.feeds import FeedEntry, FeedError, cap_order, parse_discovery
from crawler.job import CrawlJob, write_result
from crawler.scope import Scope, has_web_scheme, offsite_refused, without_credentials
from crawler.state import CrawlState, ExportState, StoreState
from crawler.urls import canonical_url
from storage.models import Article, Feed, Source, SourceRunStats
from storage.snapshot import Snapshot

MAX_SITEMAP_DEPTH = 2
#: A sitemap index can list thousands of archive sitemaps; news lives in the newest few.
MAX_CHILD_SITEMAPS = 3


def describe_failure(failure: Failure, max_bytes: int = 0) -> str:
    """One line a person can act on, for any download failure."""
    error = failure.value
    if isinstance(error, HttpError):
        response = error.response
        return f"HTTP {response.status} from {response.url}"
    name = type(error).__name__
    request = getattr(failure, "request", None)
    where = f" ({request.url})" if request is not None else ""
    text = str(error).strip()
    if not text and isinstance(error, DownloadCancelledError) and max_bytes:
        # Scrapy cancels a body that grows past DOWNLOAD_MAXSIZE without a message
        text = f"response body larger than the size limit (DOWNLOAD_MAXSIZE = {max_bytes} bytes)"
    elif not text and isinstance(error, ResponseDataLossError):
        text = "the connection ended before the whole body arrived (reset or truncated)"
    elif isinstance(error, IgnoreRequest) and text == "max redirections reached":
        text = "too many redirects (redirect loop or chain), gave up"
    text = text or name
    return f"{name}: {text}{where}"[:500]


def _content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, job: str = "", job_data: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # a path to the job's file (the local crawl), or the job itself (a scrapyd job)
        self.job = CrawlJob.decode(job_data) if job_data else CrawlJob.read(job)
        self.sources = {source.id: source for source in self.job.sources}
        #: what each source's crawl may request (crawler/scope.py); SourceScopeMiddleware
        #: enforces the same for every request, redirects and robots.txt included
        self.scopes = {source.id: Scope.of(source) for source in self.job.sources}
        self.stats_by_source = {sid: SourceRunStats(source_id=sid) for sid in self.sources}
        self.started = time.monotonic()
        self.export: ExportState | None = None
        self.state: CrawlState
        if self.job.remote:  # scrapyd names its job with the ``_job`` argument
            self.export = ExportState(
                Snapshot.decode(self.job.snapshot), str(kwargs.get("_job")), self._export_item
            )
            self.state = self.export
        else:
            self.state = StoreState(self.job.db_path)
        self._scheduled: set[str] = set()
        self._new_pages: dict[str, int] = dict.fromkeys(self.sources, 0)
        self._deferred: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._count_request, signal=signals.request_reached_downloader)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._offsite_refused, signal=offsite_refused)
        crawler.signals.connect(spider._item_error, signal=signals.item_error)
        crawler.signals.connect(spider._callback_error, signal=signals.spider_error)
        return spider

    def stats_for(self, source_id: str) -> SourceRunStats:
        return self.stats_by_source[source_id]

    def _export_item(self, record: dict[str, Any]) -> None:
        """A remote crawl's record into the feed export, as Scrapy sends a scraped item."""
        self.crawler.signals.send_catch_log(
            signal=signals.item_scraped, item=record, response=None, spider=self
        )

    # -- discovery -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.export is not None:
            self.export.header(list(self.sources))
        now = datetime.now(UTC)
        for source in self.sources.values():
            for feed in source.feeds:
                state = self.state.feed_state(source.id, feed.url)
                if state and state.deferred_until and state.deferred_until > now.isoformat():
                    self._deferred[source.id] = state.deferred_until
                    continue
                headers = {}
                if state and state.etag:
                    headers["If-None-Match"] = state.etag
                if state and state.last_modified:
                    headers["If-Modified-Since"] = state.last_modified
                yield self._discovery_request(source, feed, feed.url, headers, depth=0)

    def _discovery_request(
        self, source: Source, feed: Feed, url: str, headers: dict[str, str], depth: int
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            headers=headers,
            callback=self.parse_discovery,
            errback=self.discovery_failed,
            cb_kwargs={"source": source, "feed": feed, "depth": depth},
            meta={"source_id": source.id, "handle_httpstatus_list": [304]},
            dont_filter=True,
            priority=10,
        )

    def parse_discovery(
        self, response: Response, source: Source, feed: Feed, depth: int
    ) -> Iterator[scrapy.Request]:
        stats = self.stats_for(source.id)
        top_level = depth == 0
        if response.status == 304:
            stats.not_modified += 1
            stats.feeds_ok += 1
            self.state.save_feed_state(source.id, feed.url, status=304)
            return
        content_type = _header(response, b"Content-Type")
        try:
            discovery = parse_discovery(response.body, response.url, feed.kind, content_type)
        except FeedError as exc:
            stats.feeds_failed += 1
            self._error(stats, f"{response.url}: {exc}")
            if top_level:
                self.state.save_feed_state(
                    source.id, feed.url, status=response.status, error=str(exc)
                )
            return
        stats.feeds_ok += 1
        for warning in discovery.warnings[:3]:
            self.logger.info("%s: %s: %s", source.id, response.url, warning)
        if top_level:
            self.state.save_feed_state(
                source.id,
                feed.url,
                status=response.status,
                etag=_header(response, b"ETag"),
                last_modified=_header(response, b"Last-Modified"),
            )
        if depth < MAX_SITEMAP_DEPTH:
            # off-site children are refused before the cap, so they cannot crowd out our own
            children = [u for u in discovery.sitemaps if not self._refused(source, u, "sitemap")]
            for child in children[:MAX_CHILD_SITEMAPS]:
                yield self._discovery_request(
                    source, feed, without_credentials(child), {}, depth + 1
                )
        for failure in discovery.failures:
            stats.items_seen += 1
            self._item_failed(source, failure.url, f"{response.url}: {failure.error}")
        for entry in self._cap_order(discovery.entries):
            try:
                request = self._article_request(source, entry)
            except Exception as exc:  # one item's problem costs that item, never the feed
                message = f"{entry.url}: item skipped: {type(exc).__name__}: {exc}"
                self._item_failed(source, entry.url, message)
                continue
            if request is not None:
                yield request

    def _cap_order(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        """``cap_order`` with what the store knows: which items failed before."""
        canonical: dict[str, str] = {}
        for entry in entries:
            with contextlib.suppress(ValueError):
                canonical[entry.url] = canonical_url(entry.url)
        failed = self.state.failed_attempts(list(canonical.values()))
        return cap_order(entries, lambda url: canonical.get(url, "") in failed)

    def _article_request(self, source: Source, entry: FeedEntry) -> scrapy.Request | None:
        stats = self.stats_for(source.id)
        stats.items_seen += 1
        # file:, data:, ftp: … are refused (counted), not item failures
        if not has_web_scheme(entry.url) and self._refused(source, entry.url, "item"):
            return None
        try:
            canonical = canonical_url(entry.url)
        except ValueError as exc:
            self._item_failed(source, entry.url, f"{entry.url}: {exc}")
            return None
        revision = False
        if canonical in self._scheduled:
            stats.skipped_known += 1
            return None
        if self.state.is_known(canonical):
            fetched = self.state.fetch_time(canonical)
            # edited since we fetched it, says the feed: fetch it again (a new version)
            revision = bool(entry.updated and fetched and entry.updated > fetched)
            if not revision:
                stats.skipped_known += 1
                return None
        if self._refused(source, entry.url, "item"):  # before the cap: it does not use it up
            return None
        if self._new_pages[source.id] >= self.job.max_articles_per_source:
            return None
        self._scheduled.add(canonical)
        self._new_pages[source.id] += 1
        return scrapy.Request(
            without_credentials(entry.url),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"source": source, "entry": entry, "canonical": canonical},
            meta={"source_id": source.id, "revision": revision},
            # deduplicated above by canonical URL; Scrapy's filter would also drop a redirect
            # back to a seen URL (a redirect loop) silently, without calling the errback
            dont_filter=True,
        )

    def discovery_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.cb_kwargs["source"]
        feed: Feed = request.cb_kwargs["feed"]
        stats = self.stats_for(source.id)
        stats.feeds_failed += 1
        message = describe_failure(failure, self.settings.getint("DOWNLOAD_MAXSIZE"))
        deferred_until = None
        wait = request.meta.get("retry_after_s")
        if wait:
            until = datetime.now(UTC) + timedelta(seconds=wait)
            deferred_until = until.isoformat(timespec="seconds")
            self._deferred[source.id] = deferred_until
            message += f"; server asked to wait {int(wait)} s: deferred until {deferred_until}"
        self._error(stats, message)
        if request.cb_kwargs.get("depth", 0) == 0:
            status = failure.value.response.status if isinstance(failure.value, HttpError) else None
            self.state.save_feed_state(
                source.id,
                feed.url,
                status=status,
                error=message,
                deferred_until=deferred_until,
            )

    # -- articles --------------------------------------------------------------------------

    def parse_article(
        self, response: Response, source: Source, entry: FeedEntry, canonical: str
    ) -> Iterator[Article]:
        fetched_at = datetime.now(UTC)
        charset = _charset(response)
        try:
            extracted = extract_article(
                response.body,
                response.url,
                rules=source.extract,
                fetched_at=fetched_at,
                feed_published=entry.published,
                feed_published_without_zone=entry.published_without_zone,
                feed_title=entry.title,
                header_encoding=charset,
                language_hint=source.language,
            )
        except ExtractionError as exc:
            self._page_failed(source, canonical, f"{response.url}: {exc}")
            return
        except Exception as exc:  # a bug or a rule that throws costs this page, not the crawl
            message = f"{response.url}: extraction failed: {type(exc).__name__}: {exc}"
            self._page_failed(source, canonical, message)
            return
        if "encoding_suspect" in extracted.flags or "\ufffd" in extracted.text:
            # Refused here rather than dropped silently by the pipeline: a page failure is
            # counted, shown in the source's status and not fetched again forever.
            self._page_failed(
                source, canonical, f"{response.url}: text does not decode to readable characters"
            )
            return
        # Stored under the URL the feed gave, so the next cycle recognises it even when the
        # page redirected; fetched_url keeps where it was actually read.
        yield Article(
            url=canonical,
            fetched_url=without_credentials(response.url),
            source_id=source.id,
            title=extracted.title,
            published_at=extracted.published_at.isoformat(timespec="seconds"),
            published_from=extracted.published_from,
            updated_at=(
                extracted.updated_at.isoformat(timespec="seconds") if extracted.updated_at else None
            ),
            language=extracted.language,
            text=extracted.text,
            content_hash=_content_hash(extracted.text),
            fetched_at=fetched_at.isoformat(timespec="seconds"),
            author=extracted.author,
            # What the text was decoded from, not what the header claimed (outlets lie).
            encoding=extracted.encoding or charset,
            # and what was wrong with the feed's item (a date it ignored)
            flags=tuple(dict.fromkeys((*extracted.flags, *entry.flags))),
            revision=bool(response.meta.get("revision")),
        )

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.cb_kwargs["source"]
        message = describe_failure(failure, self.settings.getint("DOWNLOAD_MAXSIZE"))
        self._page_failed(source, request.cb_kwargs["canonical"], message)

    def _page_failed(self, source: Source, canonical: str, message: str) -> None:
        stats = self.stats_for(source.id)
        stats.pages_failed += 1
        self._error(stats, message)
        self.state.record_page_failure(source.id, canonical, message)

    def _item_failed(self, source: Source, key: str, message: str) -> None:
        """A feed or sitemap item that could not be read: a page failure under ``key`` (its
        link as given), until it has failed for good; then it is skipped like a known page."""
        if self.state.is_known(key):
            self.stats_for(source.id).skipped_known += 1
            return
        self._page_failed(source, key, message)

    def _item_error(self, item: Any, response: Response | None, failure: Failure) -> None:
        """A pipeline raised for an article (anything but DropItem, which the store pipeline
        records itself): a page failure with the message, not just a traceback in the log."""
        article = getattr(item, "article", item)
        source = self.sources.get(getattr(article, "source_id", None) or "")
        if source is None or not isinstance(article, Article):
            return
        error = failure.value
        message = f"{article.fetched_url}: not stored: {type(error).__name__}: {error}"
        self._page_failed(source, article.url, message)

    def _callback_error(self, failure: Failure, response: Response) -> None:
        """The last net: a callback raised despite the guards above. The page (or the feed) is
        recorded as failed with the message, so the run and ``status`` say so."""
        kwargs = response.request.cb_kwargs if response.request is not None else {}
        source = kwargs.get("source")
        if not isinstance(source, Source) or source.id not in self.stats_by_source:
            return
        error = failure.value
        message = f"{response.url}: {type(error).__name__}: {error}"
        if "canonical" in kwargs:
            self._page_failed(source, kwargs["canonical"], message)
        else:
            self.stats_for(source.id).feeds_failed += 1
            self._error(self.stats_for(source.id), message)

    # -- bookkeeping -----------------------------------------------------------------------

    def _error(self, stats: SourceRunStats, message: str) -> None:
        stats.errors += 1
        if stats.error_text is None:
            stats.error_text = message
        self.logger.warning("%s: %s", stats.source_id, message)

    def _refused(self, source: Source, url: str, what: str) -> bool:
        """Whether ``url`` (a feed item or sitemap entry, or a child sitemap) is off the source's
        own hosts (crawler/scope.py); a refusal is counted and logged, nothing is requested."""
        reason = self.scopes[source.id].refusal(url)
        if reason is None:
            return False
        self.stats_for(source.id).refused_offsite += 1
        # an off-site item is common (a partner's link); an off-site child sitemap is not
        level = logging.WARNING if what == "sitemap" else logging.INFO
        self.logger.log(
            level,
            "%s: off-site %s %s refused: %s",
            source.id,
            what,
            without_credentials(url),
            reason,
        )
        return True

    def _offsite_refused(self, request: scrapy.Request, reason: str) -> None:
        """SourceScopeMiddleware refused a request (a redirect, a robots.txt): count it for its
        source, or, for a robots.txt request, for the sources whose site asked for it."""
        source_id = request.meta.get("source_id")
        if source_id in self.stats_by_source:
            owners = [source_id]
        else:
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            owners = [sid for sid, scope in self.scopes.items() if scope.refusal(first) is None]
        for owner in owners:
            self.stats_by_source[owner].refused_offsite += 1
        self.logger.info(
            "%s: refused %s: %s",
            ", ".join(owners) or "the crawl",
            without_credentials(request.url),
            reason,
        )

    def _count_request(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        source_id = request.meta.get("source_id")
        if source_id in self.stats_by_source:
            self.stats_by_source[source_id].requests += 1

    def final_stats(self) -> list[SourceRunStats]:
        elapsed = round(time.monotonic() - self.started, 3)
        for stats in self.stats_by_source.values():
            stats.duration_s = elapsed
            if stats.source_id in self._deferred and stats.feeds_ok == 0:
                stats.status = "deferred"
                stats.deferred_until = self._deferred[stats.source_id]
            elif stats.feeds_ok == 0:
                stats.status = "failed"
                stats.error_text = stats.error_text or "no feed or sitemap could be read"
            elif stats.errors:
                stats.status = "partial"
        return list(self.stats_by_source.values())

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        finished = reason == "finished"
        if self.export is not None:
            self.export.result(finished, reason, self.final_stats())
        else:
            write_result(self.job.result_path, self.final_stats(), finished=finished)
        self.state.close()


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _charset(response: Response) -> str | None:
    content_type = _header(response, b"Content-Type") or ""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip().strip('"')
    return None
