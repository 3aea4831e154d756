"""Email delivery per recipient, and sends that ended in doubt.

An email alert is done with a recipient when the server accepted it for them (``sent``) or
refused them for good (``failed``: a permanent refusal, ``max_attempts`` times); a recipient
refused for now (``refused``: 4xx) is asked again later, alone. So one recipient's refusal
never marks the alert sent for them and never sends it twice to the others. An alert is
``sent`` once every configured recipient is done and at least one has it (``last_error`` then
names who never will), ``failed`` when nobody will.

A send that ended without the server's answer after the message data may have been delivered:
it is counted in ``alerts.sends_in_doubt`` and sent again with the same Message-ID (so the
receiver can tell the duplicate) at most ``max_resends`` times, then failed with that said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from storage.db import write_transaction
from storage.outbox import retry_time
from storage.queries import utc_now

_ERROR_LIMIT = 2000
_NAMED = 5  # recipients named in an alert's error, the rest counted


@dataclass
class Settled:
    """What became of the alerts of one message after its transactions."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    #: one line per alert that did not reach everyone
    errors: list[str] = field(default_factory=list)


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def recipients_done(db: Database, alert_ids: Sequence[int]) -> dict[int, set[str]]:
    """Per alert, the recipients it is done with: they have it, or refused it for good."""
    done: dict[int, set[str]] = {alert_id: set() for alert_id in alert_ids}
    if not alert_ids:
        return done
    rows = db.execute(
        "SELECT alert_id, recipient FROM alert_recipients WHERE status IN ('sent', 'failed') "
        f"AND alert_id IN ({_placeholders(alert_ids)})",
        list(alert_ids),
    ).fetchall()
    for alert_id, recipient in rows:
        done[alert_id].add(recipient)
    return done


def record_transaction(
    db: Database,
    alert_ids: Sequence[int],
    accepted: Sequence[str],
    refused: Mapping[str, tuple[str, bool]],
    *,
    max_attempts: int,
) -> None:
    """One accepted transaction: who has the alerts now, and who refused them (the server's
    reply, and whether the refusal was permanent), in one write."""
    now = utc_now()
    with write_transaction(db):
        for alert_id in alert_ids:
            for recipient in accepted:
                db.execute(
                    """
                    INSERT INTO alert_recipients (alert_id, recipient, status, attempts,
                                                  updated_at)
                    VALUES (?, ?, 'sent', 1, ?)
                    ON CONFLICT (alert_id, recipient) DO UPDATE SET
                        status = 'sent', attempts = attempts + 1, last_error = NULL,
                        updated_at = excluded.updated_at
                    """,
                    [alert_id, recipient, now],
                )
            for recipient, (error, permanent) in refused.items():
                db.execute(
                    """
                    INSERT INTO alert_recipients (alert_id, recipient, status, attempts,
                                                  last_error, updated_at)
                    VALUES (?, ?, 'refused', 1, ?, ?)
                    ON CONFLICT (alert_id, recipient) DO UPDATE SET
                        attempts = attempts + 1, last_error = excluded.last_error,
                        updated_at = excluded.updated_at
                    """,
                    [alert_id, recipient, error[:_ERROR_LIMIT], now],
                )
                if permanent:
                    db.execute(
                        "UPDATE alert_recipients SET status = 'failed' "
                        "WHERE alert_id = ? AND recipient = ? AND attempts >= ?",
                        [alert_id, recipient, max_attempts],
                    )


def _named(states: dict[str, tuple[str, str | None]], recipients: Sequence[str]) -> str:
    shown = [f"{r} ({states[r][1] or 'not asked yet'})" if r in states else r for r in recipients]
    more = len(shown) - _NAMED
    return "; ".join(shown[:_NAMED]) + (f"; and {more} more" if more > 0 else "")


def settle(
    db: Database,
    alert_ids: Sequence[int],
    recipients: Sequence[str],
    *,
    backoff_seconds: float,
) -> Settled:
    """After a message's transactions: each alert sent (every recipient done, someone has it),
    failed (everyone refused it for good), or pending until the recipients it still waits for
    are asked again, after the usual backoff."""
    settled = Settled()
    now = utc_now()
    with write_transaction(db):
        for alert_id in alert_ids:
            states: dict[str, tuple[str, str | None]] = {
                recipient: (status, error)
                for recipient, status, error in db.execute(
                    "SELECT recipient, status, last_error FROM alert_recipients WHERE alert_id = ?",
                    [alert_id],
                ).fetchall()
            }
            has = [r for r in recipients if states.get(r, ("",))[0] == "sent"]
            never = [r for r in recipients if states.get(r, ("",))[0] == "failed"]
            waiting = [r for r in recipients if r not in has and r not in never]
            attempts = (
                db.execute("SELECT attempts FROM alerts WHERE id = ?", [alert_id]).fetchone()[0] + 1
            )
            of = f"{len(recipients)} recipient(s)"
            error: str | None
            if waiting:
                error = (
                    f"delivered to {len(has)} of {of}; to be sent again to "
                    f"{len(waiting)}: {_named(states, waiting)}"
                )
                db.execute(
                    "UPDATE alerts SET status = 'pending', attempts = ?, last_error = ?, "
                    "next_attempt_at = ? WHERE id = ?",
                    [
                        attempts,
                        error[:_ERROR_LIMIT],
                        retry_time(attempts, backoff_seconds),
                        alert_id,
                    ],
                )
                settled.pending.append(alert_id)
            elif has:
                error = (
                    f"not delivered to {len(never)} of {of}, refused for good: "
                    f"{_named(states, never)}"
                    if never
                    else None
                )
                db.execute(
                    "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = ?, "
                    "last_error = ? WHERE id = ?",
                    [now, attempts, error[:_ERROR_LIMIT] if error else None, alert_id],
                )
                settled.sent.append(alert_id)
            else:
                error = f"every recipient refused it for good: {_named(states, never)}"
                db.execute(
                    "UPDATE alerts SET status = 'failed', attempts = ?, last_error = ? "
                    "WHERE id = ?",
                    [attempts, error[:_ERROR_LIMIT], alert_id],
                )
                settled.failed.append(alert_id)
            if error:
                settled.errors.append(f"alert {alert_id}: {error}")
    return settled


def count_interrupted(db: Database, alert_ids: Sequence[int], *, max_resends: int) -> list[int]:
    """Alerts a stopped run left ``sending``: handed to the server, its answer never recorded.
    Each counts as a send in doubt and becomes due again as the same message; past
    ``max_resends`` it is failed. Returns the ids failed now."""
    return _in_doubt(
        db,
        alert_ids,
        "the run stopped while sending it, before the server's answer was recorded",
        max_resends=max_resends,
        retry_at=None,
    )


def mark_in_doubt(
    db: Database,
    alert_ids: Sequence[int],
    error: str,
    *,
    max_resends: int,
    backoff_seconds: float,
) -> list[int]:
    """The connection ended after the message data, before the server's answer: the message
    may have arrived. Sent again later with the same Message-ID, at most ``max_resends``
    times in all; then failed. Returns the ids failed now."""
    return _in_doubt(
        db, alert_ids, error, max_resends=max_resends, retry_at=backoff_seconds, count_try=True
    )


def _in_doubt(
    db: Database,
    alert_ids: Sequence[int],
    error: str,
    *,
    max_resends: int,
    retry_at: float | None,
    count_try: bool = False,
) -> list[int]:
    failed: list[int] = []
    with write_transaction(db):
        for alert_id in alert_ids:
            attempts, sends, message_id = db.execute(
                "SELECT attempts, sends_in_doubt, message_id FROM alerts WHERE id = ?",
                [alert_id],
            ).fetchone()
            attempts += 1 if count_try else 0
            sends += 1
            if sends > max_resends:
                text = (
                    f"{error}; sent {sends} time(s) as Message-ID {message_id} without the "
                    "server's answer — it may have arrived; not sent again"
                )
                db.execute(
                    "UPDATE alerts SET status = 'failed', attempts = ?, sends_in_doubt = ?, "
                    "last_error = ? WHERE id = ?",
                    [attempts, sends, text[:_ERROR_LIMIT], alert_id],
                )
                failed.append(alert_id)
                continue
            text = (
                f"{error}; to be sent again with the same Message-ID {message_id} "
                f"(send {sends + 1} of at most {max_resends + 1})"
            )
            when = utc_now() if retry_at is None else retry_time(attempts, retry_at)
            db.execute(
                "UPDATE alerts SET status = 'pending', attempts = ?, sends_in_doubt = ?, "
                "last_error = ?, next_attempt_at = ? WHERE id = ?",
                [attempts, sends, text[:_ERROR_LIMIT], when, alert_id],
            )
    return failed


def release(db: Database, alert_ids: Sequence[int]) -> None:
    """Back to pending, no try counted: the message was refused for its size before anyone got
    it, and goes again at once in smaller parts."""
    with write_transaction(db):
        db.execute(
            f"UPDATE alerts SET status = 'pending' WHERE status = 'sending' "
            f"AND id IN ({_placeholders(alert_ids)})",
            list(alert_ids),
        )
