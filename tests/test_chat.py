"""The chat channel (Apprise) against a real HTTP endpoint on 127.0.0.1: once per service,
again only after a failure, tokens never stored, a flood as one digest."""

from __future__ import annotations

import json

import pytest

from scheduler.alerts.chat import messages
from scheduler.alerts.delivery import deliver_alerts
from scheduler.config import AlertSettings, ChatSettings, ConfigError, load_config
from scheduler.settings import Secret
from storage.diff import DiffParams, decide_pending
from tests.smtpserver import outbox_alert
from tests.test_diff import RUTTE_RU
from tests.webhook import Endpoint

PARAMS = DiffParams(channels=("chat",))


def _settings(*urls: str) -> AlertSettings:
    return AlertSettings(
        channels=("chat",),
        retry_backoff_seconds=0,  # a failed service is due again at once
        chat=ChatSettings(urls=tuple(Secret(u) for u in urls), timeout_seconds=5),
    )


@pytest.fixture
def alert(db, store) -> int:
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, PARAMS)
    (alert_id,) = [row[0] for row in db.execute("SELECT id FROM alerts WHERE channel = 'chat'")]
    return alert_id


def _status(db, alert_id: int) -> str:
    return db.execute("SELECT status FROM alerts WHERE id = ?", [alert_id]).fetchone()[0]


def test_an_alert_reaches_the_service_once(db, alert: int, endpoint: Endpoint) -> None:
    settings = _settings(endpoint.url())
    assert deliver_alerts(db, settings).sent == 1
    assert deliver_alerts(db, settings).sent == 0
    assert len(endpoint.received) == 1
    assert "Mark Rutte" in endpoint.received[0]["title"]
    assert "Рютте" in endpoint.received[0]["message"] or "Rutte" in endpoint.received[0]["message"]
    assert _status(db, alert) == "sent"


def test_a_failure_is_sent_again_and_only_then(db, alert: int, endpoint: Endpoint) -> None:
    endpoint.statuses = [500]
    settings = _settings(endpoint.url())
    first = deliver_alerts(db, settings)
    assert (first.sent, first.retrying) == (0, 1)
    assert _status(db, alert) == "pending"
    assert deliver_alerts(db, settings).sent == 1
    deliver_alerts(db, settings)
    assert len(endpoint.received) == 2
    assert _status(db, alert) == "sent"


def test_a_service_that_has_it_is_not_sent_it_again(db, alert: int, endpoint: Endpoint) -> None:
    settings = _settings(endpoint.url(), endpoint.url("other@"))
    endpoint.statuses = [200, 500]  # the first service takes it, the second fails once
    deliver_alerts(db, settings)
    assert _status(db, alert) == "pending"
    deliver_alerts(db, settings)
    assert _status(db, alert) == "sent"
    assert len(endpoint.received) == 3  # 1 + (1 failed, 1 again): never twice to the first


def test_a_service_urls_token_is_never_stored(db, alert: int, endpoint: Endpoint) -> None:
    endpoint.statuses = [500]
    deliver_alerts(db, _settings(endpoint.url("bot:S3CRETTOKEN@")))
    stored = json.dumps(
        [
            list(row)
            for table in ("alerts", "alert_recipients")
            for row in db.execute(f"SELECT * FROM {table}")
        ],
        default=str,
    )
    assert "S3CRETTOKEN" not in stored
    assert "127.0.0.1" in stored  # the service is named, its token masked


def test_a_flood_goes_as_one_digest() -> None:
    settings = _settings("json://127.0.0.1:9/")
    few = [outbox_alert(n) for n in range(settings.max_immediate_per_cycle)]
    assert [len(group) for group in messages(few, settings)] == [1] * len(few)
    many = [outbox_alert(n) for n in range(settings.max_immediate_per_cycle + 1)]
    assert [len(group) for group in messages(many, settings)] == [len(many)]


def test_updates_go_together_as_a_digest() -> None:
    settings = _settings("json://127.0.0.1:9/")
    alerts = [outbox_alert(1), outbox_alert(2, kind="update"), outbox_alert(3, kind="update")]
    assert [[a.id for a in group] for group in messages(alerts, settings)] == [[2, 3], [1]]


def test_the_chat_channel_needs_service_urls_in_the_environment(tmp_path, monkeypatch) -> None:
    config = tmp_path / "peacewatch.toml"
    config.write_text('[alerts]\nchannels = ["log", "chat"]\n', encoding="utf-8")
    monkeypatch.delenv("PEACEWATCH_APPRISE_URLS", raising=False)
    with pytest.raises(ConfigError, match="PEACEWATCH_APPRISE_URLS"):
        load_config(config)
    monkeypatch.setenv("PEACEWATCH_APPRISE_URLS", "json://127.0.0.1:9/a, ntfy://127.0.0.1/topic")
    assert len(load_config(config).alerts.chat.urls) == 2
