"""What the spider knows of the store, and where it writes what it learns.

Run locally, the spider reads and writes the SQLite store directly (``StoreState``). Run by
scrapyd on another machine (DESIGN §11), it has no store: it reads the job's snapshot and
writes what it learns as records into its feed export, beside the articles
(``ExportState``); the node ingests them (crawler/ingest.py).
"""

from __future__ import annotations

import itertools
import platform
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol

from scrapy import __version__ as scrapy_version

from crawler.build import code_digest
from storage.db import open_db
from storage.models import SourceRunStats
from storage.queries import (
    FeedState,
    failed_attempts,
    get_feed_state,
    is_known_url,
    record_page_failure,
    save_feed_state,
    stored_fetch_time,
)
from storage.snapshot import Snapshot


class CrawlState(Protocol):
    def feed_state(self, source_id: str, url: str) -> FeedState | None: ...

    def save_feed_state(self, source_id: str, url: str, **fields: Any) -> None: ...

    def is_known(self, url: str) -> bool: ...

    def fetch_time(self, url: str) -> datetime | None: ...

    def failed_attempts(self, urls: list[str]) -> dict[str, int]: ...

    def record_page_failure(self, source_id: str, url: str, error: str) -> None: ...

    def close(self) -> None: ...


class StoreState:
    """The local crawl: the store itself."""

    def __init__(self, db_path: str) -> None:
        self.db = open_db(db_path)

    def feed_state(self, source_id: str, url: str) -> FeedState | None:
        return get_feed_state(self.db, source_id, url)

    def save_feed_state(self, source_id: str, url: str, **fields: Any) -> None:
        save_feed_state(self.db, source_id, url, **fields)

    def is_known(self, url: str) -> bool:
        return is_known_url(self.db, url)

    def fetch_time(self, url: str) -> datetime | None:
        return stored_fetch_time(self.db, url)

    def failed_attempts(self, urls: list[str]) -> dict[str, int]:
        return failed_attempts(self.db, urls)

    def record_page_failure(self, source_id: str, url: str, error: str) -> None:
        record_page_failure(self.db, source_id, url, error)

    def close(self) -> None:
        self.db.close()


class ExportState:
    """A remote crawl: the job's snapshot to read, records in the feed export to write.

    Records are numbered (``seq``) and name their job, so the node applies each once. The
    spider's articles leave as ``record("article", …)`` returned by the store pipeline; the
    rest is written with ``emit``, straight to the feed exporter as Scrapy writes a scraped
    item: a ``header`` first (the crawler code it runs), a ``result`` last."""

    def __init__(self, snapshot: Snapshot, job_id: str, write: Callable[[dict], None]) -> None:
        self.snapshot = snapshot
        self.job_id = job_id
        self.write = write
        self._seq = itertools.count(1)

    def record(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {"record": kind, "job": self.job_id, "seq": next(self._seq), **fields}

    def emit(self, kind: str, fields: dict[str, Any]) -> None:
        self.write(self.record(kind, fields))

    def header(self, source_ids: list[str]) -> None:
        self.emit(
            "header",
            {
                "code": code_digest(),
                "sources": source_ids,
                "scrapy": scrapy_version,
                "python": platform.python_version(),
            },
        )

    def result(self, finished: bool, reason: str, stats: list[SourceRunStats]) -> None:
        """The export's last record: written before the feed exporter closes the export (the
        spider's spider_closed handler is connected before the exporter's)."""
        sources = [asdict(item) for item in stats]
        self.emit("result", {"finished": finished, "reason": reason, "sources": sources})

    def feed_state(self, source_id: str, url: str) -> FeedState | None:
        return self.snapshot.feed_state(source_id, url)

    def save_feed_state(self, source_id: str, url: str, **fields: Any) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.emit("feed_state", {"source_id": source_id, "url": url, "at": at, **fields})

    def is_known(self, url: str) -> bool:
        return self.snapshot.is_known(url)

    def fetch_time(self, url: str) -> datetime | None:
        return self.snapshot.fetch_time(url)

    def failed_attempts(self, urls: list[str]) -> dict[str, int]:
        return self.snapshot.failed_attempts(urls)

    def record_page_failure(self, source_id: str, url: str, error: str) -> None:
        self.emit("page_failure", {"source_id": source_id, "url": url, "error": error})

    def close(self) -> None:
        pass
