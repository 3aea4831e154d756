"""Alert delivery: take what the outbox has due, hand it to each channel, record the outcome.

Marked sent only when the channel accepted it; a temporary failure (SMTP down, 4xx, a full
disk for the log) leaves it pending with a later retry time; a permanent refusal (5xx, an
untrusted certificate) fails it after ``max_attempts`` tries, logged with the error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scheduler.alerts import email as email_channel
from scheduler.alerts import mailer
from scheduler.alerts.log import write_alerts
from scheduler.config import AlertSettings
from storage.crashpoints import crash_point
from storage.outbox import (
    OutboxAlert,
    alert_payload,
    due_alerts,
    mark_failed_attempt,
    mark_sending,
    mark_sent,
)

log = logging.getLogger("peacewatch.alerts")


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)


def _domain(settings: AlertSettings) -> str:
    sender = settings.email.sender
    return sender.rpartition("@")[2] if "@" in sender else "peacewatch.invalid"


def _batches(
    channel: str, due: list[OutboxAlert], settings: AlertSettings
) -> Iterator[list[OutboxAlert]]:
    """How alerts travel: the log takes them all at once; email one each, or one digest.

    Alerts left in ``sending`` by an interrupted run go again exactly as they went before
    (same group, same Message-ID), so a receiver can tell the duplicate.
    """
    if channel == "log":
        if due:
            yield due
        return
    if settings.email.mode == "immediate":
        for alert in due:
            yield [alert]
        return
    interrupted: dict[str, list[OutboxAlert]] = {}
    fresh: list[OutboxAlert] = []
    for alert in due:
        if alert.status == "sending" and alert.message_id:
            interrupted.setdefault(alert.message_id, []).append(alert)
        else:
            fresh.append(alert)
    yield from interrupted.values()
    if fresh:
        yield fresh


def _send(channel: str, payloads: list[dict[str, Any]], settings: AlertSettings) -> None:
    if channel == "log":
        try:
            write_alerts(payloads, settings.log.path, sys.stderr if settings.log.stderr else None)
        except OSError as exc:
            raise mailer.DeliveryError(f"cannot write alert log: {exc}", temporary=True) from exc
        return
    message = email_channel.build_message(payloads, settings.email)
    refused = mailer.send_message(message, settings.email)
    for recipient, (code, reply) in refused.items():
        # accepted for the other recipients: the alert counts as sent, the refusal is logged
        log.warning("email: %s refused %s: %s %s", channel, recipient, code, reply[:200])


def deliver_alerts(db: Any, settings: AlertSettings) -> DeliveryReport:
    report = DeliveryReport()
    for channel in settings.channels:
        for batch in _batches(channel, due_alerts(db, channel), settings):
            ids = [alert.id for alert in batch]
            message_id = batch[0].message_id or email_channel.message_id(
                [alert.key for alert in batch], _domain(settings)
            )
            payloads = [alert_payload(db, alert) for alert in batch]
            for payload in payloads:
                payload["message_id"] = message_id
            mark_sending(db, ids, message_id)
            try:
                _send(channel, payloads, settings)
            except mailer.DeliveryError as exc:
                failed = mark_failed_attempt(
                    db,
                    ids,
                    str(exc),
                    permanent=not exc.temporary,
                    max_attempts=settings.max_attempts,
                    backoff_seconds=settings.retry_backoff_seconds,
                )
                report.failed += len(failed)
                report.retrying += len(ids) - len(failed)
                report.errors.append(f"{channel}: {exc}")
                if failed:
                    log.error("%s: %d alert(s) failed for good: %s", channel, len(failed), exc)
                else:
                    log.warning("%s: delivery failed, will retry: %s", channel, exc)
                continue
            crash_point("between-accept-and-sent")
            mark_sent(db, ids)
            report.sent += len(ids)
            if channel == "log":
                report.delivered.extend(payloads)
    return report
