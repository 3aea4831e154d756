"""``peacewatch alerts test CHANNEL``: one test message on a channel, now, outside the outbox
(it never counts as an alert sent, and never stops one), to check a channel's settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.alerts import email as email_channel
from scheduler.alerts import mailer
from scheduler.alerts.chat import notify_service, service_name
from scheduler.alerts.log import write_alerts
from scheduler.config import AlertSettings


def test_payload() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "alert_id": 0,
        "key": f"test-{now}",
        "type": "health",
        "created_at": now,
        "health": {
            "source_id": "peacewatch",
            "source_name": "peacewatch test message",
            "state": "ok",
            "reason": "sent by `peacewatch alerts test`: this channel works",
            "since": now,
        },
    }


def send_test(channel: str, settings: AlertSettings) -> list[tuple[str, str]]:
    """Send a test message; (recipient, "ok" or the error) for each recipient of the channel."""
    payload = test_payload()
    if channel == "log":
        if settings.log.path is None:
            return [("log", "no alert log configured ([alerts.log] path)")]
        try:
            write_alerts([payload], settings.log.path, None)
        except OSError as exc:
            return [(str(settings.log.path), f"cannot write: {exc}")]
        return [(str(settings.log.path), "ok")]
    if channel == "email":
        message = email_channel.build_message([payload], settings.email)
        try:
            with mailer.Session(settings.email) as session:
                result = session.send(message, list(settings.email.recipients))
        except mailer.DeliveryError as exc:
            return [(r, str(exc)) for r in settings.email.recipients]
        outcome = [(r, "ok") for r in result.accepted]
        outcome += [
            (r, f"refused: {code} {reply!r}") for r, (code, reply) in result.refused.items()
        ]
        outcome += [(r, "deferred: the server took too many recipients") for r in result.deferred]
        return outcome
    if channel == "chat":
        title = email_channel.subject_line([payload], "")
        body = email_channel.plain_body([payload])
        return [
            (
                service_name(url.reveal()),
                "ok"
                if notify_service(url.reveal(), title, body, settings.chat.timeout_seconds)
                else "the service did not accept the notification",
            )
            for url in settings.chat.urls
        ] or [("chat", "no service URL in $" + settings.chat.urls_env)]
    return [(channel, "unknown channel")]
