"""What a remote crawl needs to know of the store, small enough to travel as a spider argument.

A scrapyd worker has no database. The node gives each job a snapshot of what the store knows
of the job's sources: each feed's validators (conditional GET) and deferral, which article
URLs are stored (with when they were fetched, so a feed's "updated" can ask for a new
version) and which pages failed before. URLs travel as 12-hex-digit keys, the whole as
zlib-compressed JSON in base64: scrapyd hands spider arguments to the crawl on its command
line, where one argument may hold at most 128 KiB on Linux.

A snapshot that would not fit keeps the most recently fetched URLs; an older URL a feed still
lists is then fetched again, and the ingest recognises it by its URL and stores nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.queries import MAX_PAGE_ATTEMPTS, FeedState

#: the most a snapshot may take as one command-line argument (Linux: 128 KiB per argument)
MAX_SNAPSHOT_CHARS = 120_000


def url_key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]


@dataclass
class Snapshot:
    #: "source_id url" -> (etag, last_modified, deferred_until)
    feeds: dict[str, list[str | None]] = field(default_factory=dict)
    #: url_key -> when the stored article was fetched (Unix seconds)
    known: dict[str, int] = field(default_factory=dict)
    #: url_key -> how often the page failed so far
    failed: dict[str, int] = field(default_factory=dict)
    #: URLs left out to fit (they are recognised at ingest instead)
    dropped: int = 0

    def feed_state(self, source_id: str, url: str) -> FeedState | None:
        found = self.feeds.get(f"{source_id} {url}")
        return FeedState(*found) if found else None

    def is_known(self, url: str) -> bool:
        key = url_key(url)
        return key in self.known or self.failed.get(key, 0) >= MAX_PAGE_ATTEMPTS

    def fetch_time(self, url: str) -> datetime | None:
        seconds = self.known.get(url_key(url))
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)

    def failed_attempts(self, urls: list[str]) -> dict[str, int]:
        return {url: self.failed[url_key(url)] for url in urls if url_key(url) in self.failed}

    def encode(self) -> str:
        data = {"feeds": self.feeds, "known": self.known, "failed": self.failed}
        packed = zlib.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), 9)
        return base64.urlsafe_b64encode(packed).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Snapshot:
        try:
            data: dict[str, Any] = json.loads(zlib.decompress(base64.urlsafe_b64decode(text)))
        except (ValueError, zlib.error) as exc:
            raise ValueError(f"the job's snapshot does not decode: {exc}") from exc
        return cls(feeds=data["feeds"], known=data["known"], failed=data["failed"])


def build_snapshot(
    db: Database,
    source_ids: list[str],
    *,
    known_days: float = 30,
    max_chars: int = MAX_SNAPSHOT_CHARS,
    now: datetime | None = None,
) -> Snapshot:
    """The snapshot for a job crawling ``source_ids``: their feeds, the URLs they stored in
    the last ``known_days`` (feeds list recent items) and their failed pages."""
    marks = ", ".join("?" for _ in source_ids)
    snapshot = Snapshot()
    for source_id, url, etag, modified, deferred in db.execute(
        "SELECT source_id, url, etag, last_modified, deferred_until FROM feed_state "
        f"WHERE source_id IN ({marks})",
        source_ids,
    ):
        snapshot.feeds[f"{source_id} {url}"] = [etag, modified, deferred]
    for url, attempts in db.execute(
        f"SELECT url, attempts FROM page_failures WHERE source_id IN ({marks})", source_ids
    ):
        snapshot.failed[url_key(url)] = attempts
    since = ((now or datetime.now(UTC)) - timedelta(days=known_days)).isoformat()
    rows = db.execute(
        f"SELECT url, fetched_at FROM articles WHERE source_id IN ({marks}) AND fetched_at >= ? "
        "ORDER BY fetched_at DESC",
        [*source_ids, since],
    ).fetchall()
    for url, fetched_at in rows:
        snapshot.known[url_key(url)] = int(datetime.fromisoformat(fetched_at).timestamp())
    while len(snapshot.encode()) > max_chars and snapshot.known:
        # keep the newest: the URL list is newest first, so drop from the end
        keep = len(snapshot.known) * 3 // 4
        snapshot.dropped += len(snapshot.known) - keep
        snapshot.known = dict(list(snapshot.known.items())[:keep])
    return snapshot
