"""A bare Scrapy spider: fetch a list of URLs and do nothing with the responses.

``python -m benchmarks.bare_spider JOB.json``; the job holds ``urls``, ``concurrency`` (per
site), ``concurrent_requests`` (in all), ``download_delay`` and ``result_path``. The spider
parses nothing and stores nothing: it is the floor our pipeline is compared with. At close it
writes how long the spider ran (from its construction to ``spider_closed``, i.e. without the
interpreter's and Scrapy's start-up and shut-down), the statuses it saw and its peak memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], result_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.started = time.monotonic()
        self.urls = urls
        self.result_path = result_path
        self.statuses: Counter[int] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BareSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._response, signal=signals.response_received)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response, **kwargs: Any) -> None:
        return None

    def failed(self, failure: Any) -> None:
        return None

    def _response(self, response: Response, request: scrapy.Request, spider: Any) -> None:
        self.statuses[response.status] += 1

    def _closed(self, spider: Any, reason: str) -> None:
        payload = {
            "reason": reason,
            "spider_s": time.monotonic() - self.started,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        Path(self.result_path).write_text(json.dumps(payload), encoding="utf-8")


def bare_settings(concurrency: int, concurrent_requests: int, download_delay: float) -> Settings:
    """The crawl settings our pipeline uses that bear on throughput, and nothing else."""
    return Settings(
        {
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": download_delay,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_TIMEOUT": 10,
            "RETRY_TIMES": 2,
            "USER_AGENT": "peacewatch-bench/0.1 (bare spider)",
            "LOG_LEVEL": "WARNING",
        }
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m benchmarks.bare_spider JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    settings = bare_settings(
        int(job["concurrency"]), int(job["concurrent_requests"]), float(job["download_delay"])
    )
    process = CrawlerProcess(settings)
    process.crawl(BareSpider, urls=job["urls"], result_path=job["result_path"])
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
