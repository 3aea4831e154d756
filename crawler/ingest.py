"""Ingest a remote crawl's export into the store, exactly once (DESIGN §11).

A scrapyd worker's job writes JSON lines through Scrapy's feed export: a ``header`` (the
crawler code it ran), then ``feed_state``, ``page_failure`` and ``article`` records as the
crawl goes, and last a ``result`` with each source's statistics (crawler/spiders/news.py).
The node reads them here, analyses each new article as the local crawl does and stores it.

Exactly once: every record can be applied again without effect (an article is known by its
URL, a revision by its text, a feed's state is overwritten with the same values, a page
failure names its job), and a line delivered twice is read once. So an export read twice,
or read again after the node died half-way through, changes nothing.

An export cut short (a worker killed mid-job, a truncated transfer) is ingested up to its
last whole line; its sources are marked partial and their feeds are read in full next cycle,
so what it did not deliver is fetched again: nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlite_utils import Database

from storage.db import StoreError
from storage.models import Article, Report, SourceRunStats
from storage.queries import is_known_url, record_page_failure, save_article, save_feed_state

ARTICLE_FIELDS = {f.name for f in fields(Article)}
STATS_FIELDS = {f.name for f in fields(SourceRunStats)}
FEED_STATE_FIELDS = ("status", "etag", "last_modified", "error", "deferred_until", "at")


@dataclass
class ExportReading:
    """The records of one export, in the order written, each ``seq`` once."""

    records: list[dict[str, Any]]
    #: the last line was cut off (the worker died, or the transfer was truncated)
    truncated: bool = False
    #: lines that are not records (garbled), skipped and counted
    bad_lines: int = 0
    #: lines delivered again (same seq), skipped
    repeated: int = 0


def read_export(body: bytes, job_id: str) -> ExportReading:
    reading = ExportReading([])
    seen: set[int] = set()
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:  # no newline after the last line: it may be cut off
        try:
            json.loads(lines[-1])
        except ValueError:
            lines.pop()
            reading.truncated = True
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            reading.bad_lines += 1
            continue
        if (
            not isinstance(record, dict)
            or record.get("job") != job_id
            or not isinstance(record.get("record"), str)
        ):
            reading.bad_lines += 1
            continue
        seq = record.get("seq")
        if not isinstance(seq, int) or seq in seen:
            reading.repeated += 1
            continue
        seen.add(seq)
        reading.records.append(record)
    return reading


@dataclass
class IngestResult:
    stats: list[SourceRunStats]
    #: the export ended with its result record, and the crawl finished
    finished: bool
    records: int = 0
    articles_new: int = 0
    error: str | None = None
    worker_code: str | None = None
    notes: list[str] = field(default_factory=list)


def ingest_export(
    db: Database,
    job_id: str,
    reading: ExportReading,
    sources: list[str],
    *,
    node_code: str,
    analyse: Callable[[Article], list[Report]] | None,
) -> IngestResult:
    """Apply one job's export; every source of the job gets a stats row, whatever it held."""
    header = next((r for r in reading.records if r["record"] == "header"), None)
    result = next((r for r in reading.records if r["record"] == "result"), None)
    worker_code = header.get("code") if header else None
    if not reading.records:
        return _refused(
            sources,
            f"job {job_id} exported nothing: the crawl did not start on the worker "
            "(the job's log on its scrapyd server says why)",
        )
    if header is None:
        return _refused(sources, "the export has no header record: not a peacewatch crawl")
    if worker_code != node_code:
        return _refused(
            sources,
            f"the worker ran crawler code {worker_code}, this node runs {node_code}: "
            "its items were not ingested; run `peacewatch deploy`",
            worker_code,
        )
    stats = _worker_stats(result, sources)
    for item in stats.values():  # counted again below, from what the store takes
        item.articles_new = item.reports = 0
        if result is None:
            item.skipped_known = 0
    applied = 0
    for record in reading.records:
        source_id = record.get("source_id")
        if record["record"] in ("header", "result"):
            continue
        if source_id not in stats:
            reading.bad_lines += 1
            continue
        try:
            _apply(db, job_id, record, stats[source_id], analyse, counted=result is not None)
        except StoreError as exc:
            stats[source_id].pages_failed += 1
            _error(stats[source_id], str(exc))
        except (KeyError, TypeError, ValueError):  # a record without its fields
            reading.bad_lines += 1
            continue
        applied += 1
    finished = bool(result and result.get("finished"))
    outcome = IngestResult(list(stats.values()), finished, applied, worker_code=worker_code)
    outcome.articles_new = sum(s.articles_new for s in outcome.stats)
    if reading.bad_lines:
        outcome.notes.append(f"{reading.bad_lines} lines of the export were not records")
    if reading.repeated:
        outcome.notes.append(f"{reading.repeated} records were delivered twice, read once")
    if result is None:
        cut = "cut off mid-line" if reading.truncated else "without its result record"
        outcome.error = (
            f"the job's export ended {cut} (worker killed or export truncated): "
            f"{applied} records ingested; the sources' feeds are read in full next cycle"
        )
    elif not finished:
        outcome.error = f"the job was stopped before it finished ({result.get('reason')})"
    if outcome.error:
        for item in outcome.stats:
            if item.status != "failed" or item.articles_new:
                item.status = "partial"
            _error(item, outcome.error)
    return outcome


def _worker_stats(result: dict[str, Any] | None, sources: list[str]) -> dict[str, SourceRunStats]:
    found: dict[str, SourceRunStats] = {}
    for row in (result or {}).get("sources", []):
        if isinstance(row, dict) and row.get("source_id") in sources:
            found[row["source_id"]] = SourceRunStats(
                **{k: v for k, v in row.items() if k in STATS_FIELDS}
            )
    for source_id in sources:
        found.setdefault(source_id, SourceRunStats(source_id=source_id))
    return found


def _apply(
    db: Database,
    job_id: str,
    record: dict[str, Any],
    stats: SourceRunStats,
    analyse: Callable[[Article], list[Report]] | None,
    *,
    counted: bool,
) -> None:
    """One record into the store. ``counted``: the worker's result already counted feeds
    and failures; without it (a cut-off export) they are counted here."""
    kind = record["record"]
    if kind == "feed_state":
        save_feed_state(
            db,
            record["source_id"],
            record["url"],
            **{name: record.get(name) for name in FEED_STATE_FIELDS},
        )
        if not counted:
            if record.get("error"):
                stats.feeds_failed += 1
            else:
                stats.feeds_ok += 1
    elif kind == "page_failure":
        record_page_failure(db, record["source_id"], record["url"], record["error"], job=job_id)
        if not counted:
            stats.pages_failed += 1
            _error(stats, record["error"])
    elif kind == "article":
        article = Article(
            **{k: v for k, v in record.items() if k in ARTICLE_FIELDS and k != "flags"},
            flags=tuple(record.get("flags") or ()),
        )
        if not article.revision and is_known_url(db, article.url):
            stats.skipped_known += 1
            return
        try:
            reports = analyse(article) if analyse is not None else []
        except Exception as exc:  # a bug in the analysis costs this article, not the export
            message = f"{article.fetched_url}: not analysed: {type(exc).__name__}: {exc}"
            record_page_failure(db, article.source_id, article.url, message, job=job_id)
            stats.pages_failed += 1
            _error(stats, message)
            return
        if save_article(db, article, reports) is None:
            stats.skipped_known += 1
        else:
            stats.articles_new += 1
            stats.reports += len(reports)


def _error(stats: SourceRunStats, message: str) -> None:
    stats.errors += 1
    if stats.error_text is None:
        stats.error_text = message


def _refused(sources: list[str], message: str, code: str | None = None) -> IngestResult:
    stats = [
        SourceRunStats(source_id=s, status="failed", errors=1, error_text=message) for s in sources
    ]
    return IngestResult(stats, False, error=message, worker_code=code)
