"""Retries that back off, and that wait as long as a server asks with Retry-After.

Scrapy's RetryMiddleware retries at once and ignores Retry-After. Here a 429/503 whose
Retry-After is short is retried after that wait; one whose Retry-After is long is not retried
at all: the response goes on to the spider, which defers the source until then.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.response import response_status_message

from crawler.urls import site_of


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX_WAIT", 60.0)

    def _backoff(self, request: Request) -> float:
        tries = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * (2**tries)) if self.backoff_base else 0.0

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            request.meta["retry_after_s"] = wait
            return response
        delay = wait if wait is not None else self._backoff(request)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            if wait is not None:
                request.meta["retry_after_s"] = wait
            return response
        if delay:
            await asyncio.sleep(delay)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            delay = self._backoff(request)
            if delay:
                await asyncio.sleep(delay)
        return retry


class OffsiteRedirectMiddleware:
    """Refuses a redirect that leaves the source's sites (its feed and homepage hosts and their
    subdomains), before robots.txt or DNS are asked: the spider's off-site rule for feed items
    would mean little if a redirect could take the crawl anywhere."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: object = None) -> None:
        if not request.meta.get("redirect_urls"):
            return
        sources = getattr(self.crawler.spider, "sources", None) or {}
        source = sources.get(request.meta.get("source_id"))
        if source is None:
            return
        allowed = {site_of(feed.url) for feed in source.feeds}
        if source.homepage:
            allowed.add(site_of(source.homepage))
        site = site_of(request.url)
        if not any(site == a or site.endswith("." + a) for a in allowed if a):
            raise IgnoreRequest(f"off-site redirect to {request.url} refused")
