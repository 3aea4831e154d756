"""Source health state and its alerts: one alert when a source starts failing, one when it
recovers, through the same outbox (and channels) as statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from storage.db import write_transaction
from storage.outbox import queue_health_alert
from storage.queries import utc_now


def run_history(db: Database, source_id: str, limit: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT * FROM run_sources WHERE source_id = ? ORDER BY run_id DESC LIMIT ?",
        [source_id, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def health_states(db: Database) -> dict[str, dict[str, Any]]:
    cursor = db.execute("SELECT source_id, state, since, reason FROM source_health")
    return {row[0]: {"state": row[1], "since": row[2], "reason": row[3]} for row in cursor}


def update_health(
    db: Database,
    source_ids: list[str],
    judge: Callable[[list[dict[str, Any]]], Any],
    history_runs: int,
    channels: tuple[str, ...],
    run_id: int | None = None,
) -> list[dict[str, Any]]:
    """Judge each source on its history; record changes and queue their alerts."""
    changes: list[dict[str, Any]] = []
    now = utc_now()
    for source_id in source_ids:
        verdict = judge(run_history(db, source_id, history_runs))
        with write_transaction(db):
            row = db.execute(
                "SELECT state, transitions FROM source_health WHERE source_id = ?", [source_id]
            ).fetchone()
            previous, transitions = row if row else ("ok", 0)
            if row is None:
                db.execute(
                    "INSERT INTO source_health (source_id, state, since, reason, transitions, "
                    "updated_at) VALUES (?, ?, ?, ?, 0, ?)",
                    [source_id, "ok", now, None, now],
                )
            if verdict.state == previous:
                db.execute(
                    "UPDATE source_health SET reason = ?, updated_at = ? WHERE source_id = ?",
                    [verdict.reason or None, now, source_id],
                )
                continue
            transitions += 1
            db.execute(
                "UPDATE source_health SET state = ?, since = ?, reason = ?, transitions = ?, "
                "updated_at = ? WHERE source_id = ?",
                [verdict.state, now, verdict.reason or None, transitions, now, source_id],
            )
            name = db.execute("SELECT name FROM sources WHERE id = ?", [source_id]).fetchone()
        change = {
            "source_id": source_id,
            "source_name": name[0] if name else source_id,
            "state": "failing" if verdict.state == "failing" else "recovered",
            "reason": verdict.reason,
            "since": now,
        }
        queue_health_alert(
            db, source_id, f"health-{source_id}-{transitions}", change, channels, run_id
        )
        changes.append(change)
    return changes


def source_overview(db: Database) -> dict[str, dict[str, Any]]:
    """Per source: its last run's figures, its totals, its health (for ``peacewatch status``)."""
    cursor = db.execute(
        """
        SELECT s.id AS source_id,
               r.started_at AS last_run, rs.status AS last_status,
               rs.articles_new AS last_articles, rs.reports AS last_reports,
               rs.statements_new AS last_statements_new, rs.errors AS last_errors,
               rs.refused_offsite AS last_refused_offsite,
               rs.error_text AS last_error, rs.deferred_until,
               (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id) AS articles,
               (SELECT COUNT(*) FROM reports p JOIN articles a ON a.id = p.article_id
                 WHERE a.source_id = s.id) AS reports,
               (SELECT COUNT(*) FROM statements t WHERE t.first_outlet = s.id) AS statements_first,
               h.state, h.since AS state_since, h.reason AS state_reason
        FROM sources s
        LEFT JOIN run_sources rs ON rs.source_id = s.id
             AND rs.run_id = (SELECT MAX(run_id) FROM run_sources WHERE source_id = s.id)
        LEFT JOIN runs r ON r.id = rs.run_id
        LEFT JOIN source_health h ON h.source_id = s.id
        """
    )
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
