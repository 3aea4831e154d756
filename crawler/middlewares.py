"""Downloader middlewares: retries that back off and honour Retry-After; the source's scope.

Scrapy's RetryMiddleware retries at once and ignores Retry-After. Here a 429/503 whose
Retry-After is short is retried after that wait; one whose Retry-After is long is not retried
at all: the response goes on to the spider, which defers the source until then.
``SourceScopeMiddleware`` refuses every request that would leave the source's own hosts.
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

from crawler.scope import Scope, offsite_refused, without_credentials


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


class SourceScopeMiddleware:
    """Refuses every request outside its source's own hosts (crawler/scope.py): scheme, host and
    port. It runs first (before RobotsTxtMiddleware), so a refused URL is not contacted at all,
    not even for its robots.txt; it sees redirects (RedirectMiddleware reschedules them) and
    robots.txt requests too, which carry no source: those may go to any source's hosts."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._scopes: dict[str, Scope] = {}
        self._any_source: Scope | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SourceScopeMiddleware:
        return cls(crawler)

    def _scope(self, source_id: object) -> Scope:
        sources = getattr(self.crawler.spider, "sources", None) or {}
        if not self._scopes and sources:
            self._scopes = {sid: Scope.of(source) for sid, source in sources.items()}
            self._any_source = Scope.union(self._scopes.values())
        if isinstance(source_id, str) and source_id in self._scopes:
            return self._scopes[source_id]
        return self._any_source or Scope(frozenset())

    def process_request(self, request: Request, spider: object = None) -> Request | None:
        reason = self._scope(request.meta.get("source_id")).refusal(request.url)
        if reason is None:
            clean = without_credentials(request.url)
            # a redirect to user:password@ on our host: Twisted cannot send it; followed without
            return None if clean == request.url else request.replace(url=clean)
        self.crawler.signals.send_catch_log(signal=offsite_refused, request=request, reason=reason)
        what = (
            "off-site redirect to" if request.meta.get("redirect_urls") else "off-site request to"
        )
        raise IgnoreRequest(f"{what} {without_credentials(request.url)} refused: {reason}")
