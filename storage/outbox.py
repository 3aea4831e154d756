"""The alert outbox: what is due, what an alert says, and what became of each delivery.

An alert row is written by the diff in the same transaction as its statement. Delivery moves
it ``pending → sending → sent``; ``sending`` is written (with the Message-ID) before the channel
is asked, so an alert interrupted between the channel's acceptance and ``sent`` is sent once
more with the same Message-ID — the only duplicate the outbox allows, and only while the
server's answer is unknown (bounded: ``storage.recipients`` counts such sends, and tracks each
email recipient on its own).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.claims import statement_claims
from storage.db import write_transaction
from storage.filters import ChannelFilter, channels_taking
from storage.queries import utc_now

#: A temporary failure is retried after backoff × 2^(attempts-1), at most this long after.
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class OutboxAlert:
    id: int
    key: str
    channel: str
    type: str
    statement_id: int | None
    source_id: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    message_id: str | None
    created_at: str
    #: sends that ended without the server's answer after the data (it may have them)
    sends_in_doubt: int = 0


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def due_alerts(db: Database, channel: str, now: str | None = None) -> list[OutboxAlert]:
    """Pending alerts whose time has come, and any left in ``sending`` by an interrupted run."""
    rows = _rows(
        db,
        """
        SELECT id, key, channel, type, statement_id, source_id, payload, status, attempts,
               message_id, created_at, sends_in_doubt
        FROM alerts
        WHERE channel = ? AND (status = 'sending' OR (status = 'pending' AND next_attempt_at <= ?))
        ORDER BY id
        """,
        [channel, now or utc_now()],
    )
    return [OutboxAlert(**{**row, "payload": json.loads(row["payload"] or "{}")}) for row in rows]


def pending_count(db: Database) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM alerts WHERE status IN ('pending', 'sending')"
    ).fetchone()[0]


def mark_sending(db: Database, alert_ids: list[int], message_id: str) -> None:
    with write_transaction(db):
        for alert_id in alert_ids:
            db.execute(
                "UPDATE alerts SET status = 'sending', message_id = ? WHERE id = ?",
                [message_id, alert_id],
            )


def mark_sent(db: Database, alert_ids: list[int]) -> None:
    now = utc_now()
    with write_transaction(db):
        for alert_id in alert_ids:
            db.execute(
                "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                [now, alert_id],
            )


def retry_time(attempts: int, backoff_seconds: float, now: datetime | None = None) -> str:
    """When a temporary failure on try number ``attempts`` is retried: backoff × 2^(attempts-1),
    at most ``MAX_BACKOFF`` later."""
    delay = min(timedelta(seconds=backoff_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return ((now or datetime.now(UTC)) + delay).isoformat(timespec="seconds")


def mark_failed_attempt(
    db: Database,
    alert_ids: list[int],
    error: str,
    *,
    permanent: bool,
    max_attempts: int,
    backoff_seconds: float,
) -> list[int]:
    """Count a failed try: back to pending with a later retry time, or ``failed`` for good.

    Temporary failures (4xx, connection refused, timeouts) are retried for as long as it
    takes — nothing is dropped because a server was down. Permanent refusals (5xx, an untrusted
    certificate) are tried ``max_attempts`` times, then the alert is marked failed.
    Returns the ids that are now failed.
    """
    failed: list[int] = []
    now = datetime.now(UTC)
    with write_transaction(db):
        for alert_id in alert_ids:
            attempts = (
                db.execute("SELECT attempts FROM alerts WHERE id = ?", [alert_id]).fetchone()[0] + 1
            )
            if permanent and attempts >= max_attempts:
                db.execute(
                    "UPDATE alerts SET status = 'failed', attempts = ?, last_error = ? "
                    "WHERE id = ?",
                    [attempts, error[:2000], alert_id],
                )
                failed.append(alert_id)
                continue
            db.execute(
                "UPDATE alerts SET status = 'pending', attempts = ?, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                [attempts, error[:2000], retry_time(attempts, backoff_seconds, now), alert_id],
            )
    return failed


def statement_payload(db: Database, statement_id: int) -> dict[str, Any]:
    """Everything an alert says about a statement (DESIGN §7), as it stands now.

    Links are the URLs as fetched (an http-only outlet stays http); the canonical URL is only
    the key articles are deduplicated under.
    """
    statement = _rows(
        db,
        """
        SELECT s.*, a.fetched_url AS first_fetched_url, k.kind AS speaker_kind
        FROM statements s LEFT JOIN articles a ON a.id = s.first_article_id
        LEFT JOIN speakers k ON k.name = s.speaker
        WHERE s.id = ?
        """,
        [statement_id],
    )[0]
    reports = _rows(
        db,
        """
        SELECT a.source_id AS outlet, s.name, COALESCE(NULLIF(a.fetched_url, ''), a.url) AS url,
               a.language, a.published_at, a.title
        FROM reports r
        JOIN articles a ON a.id = r.article_id
        JOIN sources s ON s.id = a.source_id
        WHERE r.statement_id = ?
        ORDER BY a.published_at, a.url
        """,
        [statement_id],
    )
    outlets: list[dict[str, Any]] = []
    seen: set[str] = set()
    for report in reports:
        if report["outlet"] in seen:
            continue
        seen.add(report["outlet"])
        outlets.append(
            {k: report[k] for k in ("outlet", "name", "url", "language", "published_at")}
        )
    first_name = next((o["name"] for o in outlets if o["outlet"] == statement["first_outlet"]), "")
    return {
        "id": statement["id"],
        "speaker": statement["speaker"],
        "speaker_as_written": statement["speaker_as_written"],
        # person / body / … as the gazetteer has it ("person" for a name it does not know)
        "speaker_kind": statement["speaker_kind"] or "person",
        "text": statement["text"],
        "language": statement["language"],
        "kind": statement["kind"],
        "said_at": statement["said_at"],
        "first_seen_at": statement["first_seen_at"],
        "updated_at": statement["updated_at"],
        "first_outlet": statement["first_outlet"],
        "first_outlet_name": first_name,
        "first_url": statement["first_fetched_url"] or statement["first_url"],
        "title": statement["title"],
        "outlets": [o["outlet"] for o in outlets],
        "outlet_links": outlets,
        "outlet_count": len(outlets),
        "report_count": statement["report_count"],
        "languages": sorted(json.loads(statement["languages"])),
        "topic_terms": json.loads(statement["topic_terms"]),
        "topic_concepts": [
            c for c in json.loads(statement["topic_concepts"]) if c != "context" and c[:1] != "-"
        ],
        "topic_score": statement["topic_score"],
        "first_seen_via_recap": bool(statement["first_seen_via_recap"]),
        "background": bool(statement["background"]),
        "claims": [
            {k: c[k] for k in ("text", "language", "kind", "outlet", "url")}
            for c in statement_claims(db, statement_id)
        ],
    }


def alert_payload(db: Database, alert: OutboxAlert) -> dict[str, Any]:
    """The alert as channels see it: one JSON object (a log line, the data of an email)."""
    payload: dict[str, Any] = {
        "alert_id": alert.id,
        "key": alert.key,
        "channel": alert.channel,
        "type": alert.type,
        "created_at": alert.created_at,
    }
    if alert.type in ("statement", "update") and alert.statement_id is not None:
        payload["statement"] = statement_payload(db, alert.statement_id)
    else:
        payload[alert.type] = alert.payload
    if alert.type == "update" and alert.statement_id is not None:
        # what the article behind the update added: its points on the statement's subject
        article_id = (alert.payload or {}).get("article_id")
        payload["update"] = {
            "article_id": article_id,
            "new_claims": [
                {k: c[k] for k in ("text", "language", "kind", "outlet", "url")}
                for c in statement_claims(db, alert.statement_id, article_id=article_id)
            ],
        }
    return payload


def queue_health_alert(
    db: Database,
    source_id: str,
    key: str,
    payload: dict[str, Any],
    channels: tuple[str, ...],
    run_id: int | None = None,
) -> int:
    """One health alert per channel (source failing / recovered); the key makes it once-only."""
    with write_transaction(db):
        return sum(
            _insert_alert(
                db,
                f"{key}-{channel}",
                channel,
                "health",
                run_id,
                source_id=source_id,
                payload=payload,
            )
            for channel in channels
        )


# --- queuing (the diff, in its transaction) ------------------------------------------------


def _statement_row(db: Database, statement_id: int) -> dict[str, Any]:
    return _rows(
        db,
        "SELECT speaker, languages, outlet_count, topic_score FROM statements WHERE id = ?",
        [statement_id],
    )[0]


def queue_statement_alerts(
    db: Database,
    statement_id: int,
    channels: Sequence[str],
    run_id: int | None,
    filters: Mapping[str, ChannelFilter] | None = None,
) -> int:
    """One new-statement alert per channel that takes it (the diff's transaction); asked again
    as the statement grows, a channel that already has its alert gets none."""
    if filters:
        channels = channels_taking(channels, filters, "new", _statement_row(db, statement_id))
    return sum(
        _insert_alert(
            db,
            f"statement-{statement_id}-{channel}",
            channel,
            "statement",
            run_id,
            statement_id=statement_id,
        )
        for channel in channels
    )


def queue_update_alerts(
    db: Database,
    statement_id: int,
    article_id: int,
    channels: Sequence[str],
    run_id: int | None,
    filters: Mapping[str, ChannelFilter] | None = None,
) -> int:
    """One ``update`` per channel and article that adds points to a statement whose alert that
    channel has already sent. An alert still pending needs none: it is built when it goes, with
    every point known by then."""
    if filters:
        channels = channels_taking(channels, filters, "update")
    sent = {
        row[0]
        for row in db.execute(
            "SELECT channel FROM alerts WHERE statement_id = ? AND type = 'statement' "
            "AND status = 'sent'",
            [statement_id],
        ).fetchall()
    }
    return sum(
        _insert_alert(
            db,
            f"update-{statement_id}-{article_id}-{channel}",
            channel,
            "update",
            run_id,
            statement_id=statement_id,
            payload={"article_id": article_id},
        )
        for channel in channels
        if channel in sent
    )


def _insert_alert(
    db: Database,
    key: str,
    channel: str,
    kind: str,
    run_id: int | None,
    *,
    statement_id: int | None = None,
    source_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """One pending alert row, once: a key already there changes nothing (returns 0)."""
    now = utc_now()
    cursor = db.execute(
        """
        INSERT OR IGNORE INTO alerts (key, channel, type, statement_id, source_id, payload,
                                      status, created_at, next_attempt_at, run_id)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
        """,
        [
            key,
            channel,
            kind,
            statement_id,
            source_id,
            json.dumps(payload or {}, ensure_ascii=False),
            now,
            now,
            run_id,
        ],
    )
    return int(cursor.rowcount)


def outbox_summary(db: Database) -> list[dict[str, Any]]:
    """Per channel: alerts pending (or being sent), failed and sent, and the last error with
    its time — what ``status`` and the web view show of the outbox."""
    return _rows(
        db,
        """
        SELECT channel,
               SUM(status IN ('pending', 'sending')) AS pending,
               SUM(status = 'failed') AS failed,
               SUM(status = 'sent') AS sent,
               (SELECT last_error FROM alerts e WHERE e.channel = a.channel
                  AND e.last_error IS NOT NULL ORDER BY e.id DESC LIMIT 1) AS last_error,
               (SELECT COALESCE(e.next_attempt_at, e.created_at) FROM alerts e
                  WHERE e.channel = a.channel AND e.last_error IS NOT NULL
                  ORDER BY e.id DESC LIMIT 1) AS last_error_at
        FROM alerts a GROUP BY channel ORDER BY channel
        """,
        [],
    )


def retry_failed(db: Database, channel: str | None = None) -> int:
    """Failed alerts (of one channel, or all) put back as pending, due now, their tries counted
    afresh; the recipients that had given up are asked again, those that have them are not."""
    where = "status = 'failed'" + (" AND channel = ?" if channel else "")
    params: list[Any] = [channel] if channel else []
    with write_transaction(db):
        ids = [row[0] for row in db.execute(f"SELECT id FROM alerts WHERE {where}", params)]
        for alert_id in ids:
            db.execute(
                "UPDATE alerts SET status = 'pending', attempts = 0, next_attempt_at = ? "
                "WHERE id = ?",
                [utc_now(), alert_id],
            )
            db.execute(
                "UPDATE alert_recipients SET status = 'refused', attempts = 0 "
                "WHERE alert_id = ? AND status = 'failed'",
                [alert_id],
            )
    return len(ids)
