"""Reads and writes the crawler and the scheduler need; every write is one short transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from storage.crashpoints import crash_point
from storage.db import StoreError, write_transaction
from storage.models import Article, Report, Source, SourceRunStats
from storage.redact import redact_credentials, redact_optional

#: What a cycle adds to its run row after the crawl (diff and alerts).
RUN_TOTALS = (
    "reports_decided",
    "statements_new",
    "alerts_queued",
    "alerts_sent",
    "alerts_failed",
)
#: A page that failed this many times (extraction, 404, …) is not fetched again.
MAX_PAGE_ATTEMPTS = 3


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FeedState:
    etag: str | None
    last_modified: str | None
    deferred_until: str | None


def upsert_sources(db: Database, sources: list[Source]) -> None:
    with write_transaction(db):
        for source in sources:
            db.execute(
                """
                INSERT INTO sources (id, name, language, country, homepage, enabled, settings,
                                     updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name=excluded.name, language=excluded.language,
                    country=excluded.country, homepage=excluded.homepage,
                    enabled=excluded.enabled, settings=excluded.settings,
                    updated_at=excluded.updated_at
                """,
                [
                    source.id,
                    source.name,
                    source.language,
                    source.country,
                    source.homepage,
                    int(source.enabled),
                    json.dumps(source.to_json(), ensure_ascii=False),
                    utc_now(),
                ],
            )


def get_feed_state(db: Database, source_id: str, url: str) -> FeedState | None:
    row = db.execute(
        "SELECT etag, last_modified, deferred_until FROM feed_state WHERE source_id=? AND url=?",
        [source_id, url],
    ).fetchone()
    return FeedState(*row) if row else None


def save_feed_state(
    db: Database,
    source_id: str,
    url: str,
    *,
    status: int | None,
    etag: str | None = None,
    last_modified: str | None = None,
    error: str | None = None,
    deferred_until: str | None = None,
    at: str | None = None,
) -> None:
    """Remember how a feed answered; validators are kept across a 304 and across errors.
    ``at``: when it answered (a remote crawl's record says; default now)."""
    with write_transaction(db):
        db.execute(
            """
            INSERT INTO feed_state (source_id, url, etag, last_modified, last_status,
                                    last_fetched_at, last_error, deferred_until)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(source_id, url) DO UPDATE SET
                etag=COALESCE(excluded.etag, feed_state.etag),
                last_modified=COALESCE(excluded.last_modified, feed_state.last_modified),
                last_status=excluded.last_status, last_fetched_at=excluded.last_fetched_at,
                last_error=excluded.last_error, deferred_until=excluded.deferred_until
            """,
            [
                source_id,
                url,
                etag,
                last_modified,
                status,
                at or utc_now(),
                redact_optional(error),
                deferred_until,
            ],
        )


def forget_feed_validators(db: Database, source_ids: list[str]) -> None:
    """Drop the ETag / Last-Modified of these sources' feeds (Retry-After deferrals stay).

    The crawl saves a feed's validators when it reads the feed, before the articles it lists
    are stored. When the crawl did not finish (killed, crashed, timed out) the next conditional
    GET would get a 304 and the unstored articles would never be fetched: so after such a
    crawl the next one reads the feeds in full (stored URLs are skipped as usual).
    """
    if not source_ids:
        return
    with write_transaction(db):
        db.execute(
            "UPDATE feed_state SET etag = NULL, last_modified = NULL "
            f"WHERE source_id IN ({', '.join('?' for _ in source_ids)})",
            list(source_ids),
        )


def is_known_url(db: Database, url: str) -> bool:
    """True when the page is stored, or failed often enough that fetching it again is waste."""
    row = db.execute(
        """
        SELECT 1 FROM articles WHERE url = ?
        UNION ALL
        SELECT 1 FROM page_failures WHERE url = ? AND attempts >= ?
        LIMIT 1
        """,
        [url, url, MAX_PAGE_ATTEMPTS],
    ).fetchone()
    return row is not None


def save_article(db: Database, article: Article, reports: list[Report] | None = None) -> int | None:
    """Store one article and its reports in one transaction; None when the URL is stored.

    A revision (``article.revision``: fetched again because its feed says it changed) is kept
    as a new version instead; see ``_save_revision``.
    """
    if article.revision:
        return _save_revision(db, article, reports or [])
    row = asdict(article)
    row.pop("revision")
    row["flags"] = ",".join(article.flags)
    columns = ", ".join(row)
    placeholders = ", ".join("?" for _ in row)
    try:
        with write_transaction(db):
            cursor = db.execute(
                f"INSERT INTO articles ({columns}) VALUES ({placeholders}) "
                "ON CONFLICT(url) DO NOTHING",
                list(row.values()),
            )
            if cursor.rowcount == 0:
                return None
            article_id = cursor.lastrowid
            crash_point("mid-insert")
            for position, report in enumerate(reports or ()):
                _insert_report(db, article_id, position, report)
            db.execute("DELETE FROM page_failures WHERE url = ?", [article.url])
            return article_id
    except (sqlite3.OperationalError, StoreError) as exc:
        raise StoreError(f"could not store {article.url}: {exc}") from exc


def _save_revision(db: Database, article: Article, reports: list[Report]) -> int | None:
    """An edited article: the new text becomes the article's, every version is kept, and only
    statements the article did not carry before become new reports — so an edit that adds a
    statement alerts it once, and a page flapping A→B→A adds nothing the second time.
    Returns the article id, or None when the text did not change."""
    try:
        with write_transaction(db):
            found = db.execute(
                "SELECT id, content_hash, title, text, fetched_at FROM articles WHERE url = ?",
                [article.url],
            ).fetchone()
            if found is None or found[1] == article.content_hash:
                return None
            article_id = found[0]
            if not db.execute(
                "SELECT 1 FROM article_versions WHERE article_id = ?", [article_id]
            ).fetchone():
                db.execute(
                    "INSERT INTO article_versions (article_id, content_hash, title, text, "
                    "fetched_at) VALUES (?, ?, ?, ?, ?)",
                    [article_id, found[1], found[2], found[3], found[4]],
                )
            db.execute(
                "INSERT INTO article_versions (article_id, content_hash, title, text, fetched_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [article_id, article.content_hash, article.title, article.text, article.fetched_at],
            )
            db.execute(
                "UPDATE articles SET title = ?, text = ?, content_hash = ?, updated_at = ?, "
                "fetched_at = ?, flags = ? WHERE id = ?",
                [
                    article.title,
                    article.text,
                    article.content_hash,
                    article.updated_at or article.fetched_at,
                    article.fetched_at,
                    ",".join(article.flags),
                    article_id,
                ],
            )
            known = {
                row[0]
                for row in db.execute("SELECT text FROM reports WHERE article_id = ?", [article_id])
            }
            position = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM reports WHERE article_id = ?",
                [article_id],
            ).fetchone()[0]
            for report in reports:
                if report.text in known:
                    continue
                _insert_report(db, article_id, position, report)
                known.add(report.text)
                position += 1
            return int(article_id)
    except (sqlite3.OperationalError, StoreError) as exc:
        raise StoreError(f"could not store a new version of {article.url}: {exc}") from exc


def stored_fetch_time(db: Database, url: str) -> datetime | None:
    """When the stored article at ``url`` was last fetched (None: not stored)."""
    row = db.execute("SELECT fetched_at FROM articles WHERE url = ?", [url]).fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def _insert_report(db: Database, article_id: int | None, position: int, report: Report) -> None:
    db.execute(
        """
        INSERT INTO reports (article_id, position, speaker, speaker_as_written, speaker_resolution,
            kind, text, recap, about_peace_talks, topic_score, topic_concepts, topic_terms,
            start, "end", claim, embedding, said_on, said_evidence)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            article_id,
            position,
            report.speaker,
            report.speaker_as_written,
            report.speaker_resolution,
            report.kind,
            report.text,
            int(report.recap),
            int(report.about_peace_talks),
            report.topic_score,
            json.dumps(report.topic_concepts, ensure_ascii=False),
            json.dumps(report.topic_terms, ensure_ascii=False),
            report.start,
            report.end,
            json.dumps(report.claim_json(), ensure_ascii=False),
            report.embedding,
            report.said_on,
            report.said_evidence,
        ],
    )


def upsert_speakers(db: Database, speakers: list[dict[str, Any]]) -> None:
    """Mirror the gazetteer into the ``speakers`` table, for joins and Datasette."""
    with write_transaction(db):
        for entry in speakers:
            db.execute(
                """
                INSERT INTO speakers (name, kind, country, aliases, roles, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, country=excluded.country,
                    aliases=excluded.aliases, roles=excluded.roles, updated_at=excluded.updated_at
                """,
                [
                    entry["name"],
                    entry.get("kind", "person"),
                    entry.get("country", ""),
                    json.dumps(entry.get("aliases", {}), ensure_ascii=False),
                    json.dumps(entry.get("roles", []), ensure_ascii=False, default=str),
                    utc_now(),
                ],
            )


def record_page_failure(
    db: Database, source_id: str, url: str, error: str, *, job: str | None = None
) -> None:
    """Count one more failed attempt at ``url``. A remote crawl's failure names its ``job``:
    the same job's failure, read again from its export, is not counted twice."""
    with write_transaction(db):
        db.execute(
            """
            INSERT INTO page_failures (url, source_id, attempts, last_error, last_attempt_at,
                                       last_job)
            VALUES (?, ?, 1, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET
                attempts = page_failures.attempts + (
                    CASE WHEN excluded.last_job IS NOT NULL
                         AND excluded.last_job IS page_failures.last_job THEN 0 ELSE 1 END),
                last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at,
                last_job = excluded.last_job
            """,
            [url, source_id, redact_credentials(error)[:2000], utc_now(), job],
        )


def failed_attempts(db: Database, urls: list[str]) -> dict[str, int]:
    """How often each of ``urls`` failed so far (only those that did), in batched reads."""
    found: dict[str, int] = {}
    for start in range(0, len(urls), 500):
        batch = urls[start : start + 500]
        rows = db.execute(
            "SELECT url, attempts FROM page_failures "
            f"WHERE url IN ({', '.join('?' for _ in batch)})",
            batch,
        ).fetchall()
        found.update((url, attempts) for url, attempts in rows)
    return found


def start_run(db: Database, trigger: str, source_ids: Sequence[str] = ()) -> int:
    """A run row, and one per source marked running: if the run's process dies, the next
    run closes them as interrupted (``close_interrupted_runs``) and each source shows it."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO runs (started_at, trigger, status) VALUES (?, ?, 'running')",
            [utc_now(), trigger],
        )
        run_id = cursor.lastrowid
        assert run_id is not None
        for source_id in source_ids:
            db.execute(
                "INSERT INTO run_sources (run_id, source_id, status) VALUES (?, ?, 'running')",
                [run_id, source_id],
            )
    return run_id


#: The error of a run whose process ended before the run did.
INTERRUPTED = (
    "interrupted: the run's process ended before the run did (killed, crashed or the machine "
    "stopped); what it stored is kept, and its sources' feeds are read in full next time"
)


def close_interrupted_runs(db: Database) -> list[int]:
    """Close the runs still marked running as ``interrupted`` (finished now), with their
    sources' rows; returns their ids. Call it only while holding the run lock: then no run is
    in progress, and a run still marked running is one whose process died.

    The dead crawl may have saved a feed's validators before storing the articles the feed
    listed, so those sources' feeds are read in full next time (``forget_feed_validators``).
    """
    with write_transaction(db):
        ids = [row[0] for row in db.execute("SELECT id FROM runs WHERE status = 'running'")]
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        now = utc_now()
        db.execute(
            f"""
            UPDATE run_sources SET status = 'interrupted', errors = errors + 1,
                error_text = COALESCE(error_text, ?)
            WHERE run_id IN ({marks}) AND status = 'running'
            """,
            [INTERRUPTED, *ids],
        )
        db.execute(
            f"""
            UPDATE runs SET status = 'interrupted', finished_at = ?, error = COALESCE(error, ?),
                sources = (SELECT COUNT(*) FROM run_sources WHERE run_id = runs.id)
            WHERE id IN ({marks})
            """,
            [now, INTERRUPTED, *ids],
        )
        db.execute(
            "UPDATE feed_state SET etag = NULL, last_modified = NULL WHERE source_id IN "
            f"(SELECT source_id FROM run_sources WHERE run_id IN ({marks}))",
            ids,
        )
    return ids


def finish_run(
    db: Database,
    run_id: int,
    stats: list[SourceRunStats],
    *,
    duration_s: float,
    error: str | None = None,
    totals: dict[str, int] | None = None,
) -> str:
    """Record per-source statistics and close the run; returns the run's status."""
    failed = sum(1 for s in stats if s.failed)
    if error or (stats and failed == len(stats)):
        status = "failed"
    elif failed:
        status = "partial"
    else:
        status = "ok"
    with write_transaction(db):
        for item in stats:
            row = asdict(item)
            row["error_text"] = redact_optional(item.error_text)
            row["run_id"] = run_id
            columns = ", ".join(row)
            db.execute(
                # replaces the row start_run marked running
                f"INSERT OR REPLACE INTO run_sources ({columns}) "
                f"VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )
        db.execute(
            """
            UPDATE runs SET finished_at=?, status=?, sources=?, sources_failed=?,
                articles_new=?, duration_s=?, error=? WHERE id=?
            """,
            [
                utc_now(),
                status,
                len(stats),
                failed,
                sum(s.articles_new for s in stats),
                round(duration_s, 3),
                redact_optional(error),
                run_id,
            ],
        )
        for column, value in (totals or {}).items():
            if column not in RUN_TOTALS:
                raise ValueError(f"not a run total: {column}")
            db.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", [value, run_id])
    return status


def last_run_times(db: Database) -> dict[str, datetime]:
    """When each source's last run started (any outcome), for what is due."""
    rows = db.execute(
        """
        SELECT rs.source_id, MAX(r.started_at) FROM run_sources rs
        JOIN runs r ON r.id = rs.run_id GROUP BY rs.source_id
        """
    ).fetchall()
    return {source: datetime.fromisoformat(started) for source, started in rows}
