"""The chat channel of the outbox (DESIGN §7): Telegram, Slack, Matrix, Discord, ntfy, a JSON
webhook… through Apprise, under the outbox's rules.

Each service URL is one recipient (``storage.recipients``): an alert is sent once every
service has it, a service that failed gets it again after the backoff, alone, and a service
that has it never gets it twice. A service that keeps failing is given up after
``max_attempts`` (``peacewatch alerts retry`` puts such alerts back). Apprise tells success
from failure, not a passing fault from a lasting one, so every failure is retried with backoff
until then.

Service URLs carry tokens: they come from the environment, and only Apprise's privacy form
(tokens masked) with a short hash is ever stored or printed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from scheduler.alerts import email as email_channel
from scheduler.config import AlertSettings
from storage.outbox import OutboxAlert, alert_payload
from storage.recipients import recipients_done, record_transaction, settle

log = logging.getLogger("peacewatch.alerts")
#: Apprise's own log would name the URLs it failed on: only its warnings and worse, and those
#: go through our handlers like any other
logging.getLogger("apprise").setLevel(logging.ERROR)

#: a chat message's body at most (Apprise splits or cuts longer ones per service)
BODY_LIMIT = 3500


def service_name(url: str) -> str:
    """A service URL as it may be stored and shown: tokens masked, plus a short hash so two
    services that mask alike stay apart."""
    import apprise

    service = apprise.Apprise()
    service.add(url)
    masked = next(iter(service.urls(privacy=True)), "unknown service")
    digest = hashlib.sha256(url.encode()).hexdigest()[:10]
    return f"{masked.split('?', 1)[0]} #{digest}"


def notify_service(url: str, title: str, body: str, timeout: float) -> bool:
    import apprise

    service = apprise.Apprise()
    if not service.add(url):
        return False
    return bool(service.notify(body=body, title=title, body_format="text", timeout=timeout))


def messages(alerts: list[OutboxAlert], settings: AlertSettings) -> list[list[OutboxAlert]]:
    """One message per alert, updates together when they go as a digest; past the channel's
    ``max_per_cycle`` (else ``max_immediate_per_cycle``) new alerts, all of them in one digest
    (the flood guard)."""
    held = [a for a in alerts if a.type == "update" and settings.chat.updates == "digest"]
    fresh = [a for a in alerts if a not in held]
    groups = [held] if held else []
    cap = settings.chat.max_per_cycle or settings.max_immediate_per_cycle
    if len(fresh) > cap:
        log.info("chat: %d new alerts, more than max_per_cycle = %d: one digest", len(fresh), cap)
        return [*groups, fresh]
    return [*groups, *([alert] for alert in fresh)]


def deliver_chat(
    db: Any,
    due: list[OutboxAlert],
    settings: AlertSettings,
    halted: Callable[[], bool],
    notify: Callable[[str, str, str, float], bool] = notify_service,
) -> tuple[int, int, int, list[str]]:
    """Send what is due to every service that does not have it yet; (sent, retrying, failed,
    errors) over the alerts. ``halted``: checked before each message."""
    services = {service_name(url.reveal()): url for url in settings.chat.urls}
    sent = retrying = failed = 0
    errors: list[str] = []
    for group in messages(due, settings):
        if halted():
            break
        ids = [alert.id for alert in group]
        payloads = [alert_payload(db, alert) for alert in group]
        title = email_channel.subject_line(payloads, "")
        body = email_channel.plain_body(payloads)
        if len(body) > BODY_LIMIT:
            body = body[:BODY_LIMIT] + "\n… (cut; the full text is at the links above)"
        done = recipients_done(db, ids)
        accepted: list[str] = []
        refused: dict[str, tuple[str, bool]] = {}
        for name, url in services.items():
            if all(name in done[alert_id] for alert_id in ids):
                continue  # this service has the message already
            if notify(url.reveal(), title, body, settings.chat.timeout_seconds):
                accepted.append(name)
            else:
                refused[name] = ("the service did not accept the notification", True)
        record_transaction(db, ids, accepted, refused, max_attempts=settings.max_attempts)
        settled = settle(db, ids, list(services), backoff_seconds=settings.retry_backoff_seconds)
        sent += len(settled.sent)
        retrying += len(settled.pending)
        failed += len(settled.failed)
        errors += [f"chat: {line}" for line in settled.errors]
    return sent, retrying, failed, errors
