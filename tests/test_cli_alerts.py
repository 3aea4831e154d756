"""The outbox in sight and in reach: `status` per channel, `alerts test`, `alerts retry`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scheduler.cli import cli
from storage.db import open_db
from storage.diff import DiffParams, decide_pending
from tests.test_diff import RUTTE_RU
from tests.webhook import Endpoint


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: Endpoint) -> Path:
    monkeypatch.setenv("PEACEWATCH_APPRISE_URLS", endpoint.url())
    path = tmp_path / "peacewatch.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "test.db"}"\n\n'
        '[alerts]\nchannels = ["log", "chat"]\n\n'
        f'[alerts.log]\npath = "{tmp_path / "alerts.jsonl"}"\n',
        encoding="utf-8",
    )
    return path


def _invoke(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args])


@pytest.fixture
def failed_alert(config: Path, store, db) -> Path:
    """The store of ``config`` (the ``db`` fixture's file) with one chat alert that failed for
    good."""
    store("outlet-ru", "2026-02-11T12:00:00+00:00", RUTTE_RU)
    decide_pending(db, DiffParams(channels=("chat",)))
    db.execute("UPDATE alerts SET status = 'failed', attempts = 5, last_error = 'service said no'")
    db.conn.commit()
    db.close()
    return config.parent / "test.db"


def test_alerts_test_log_writes_one_line(config: Path, tmp_path: Path) -> None:
    result = _invoke(config, "alerts", "test", "log")
    assert result.exit_code == 0, result.output
    [line] = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert "peacewatch test message" in json.loads(line)["health"]["source_name"]


def test_alerts_test_chat_reaches_the_service(config: Path, endpoint: Endpoint) -> None:
    result = _invoke(config, "alerts", "test", "chat")
    assert result.exit_code == 0, result.output
    assert ": ok" in result.output
    assert len(endpoint.received) == 1


def test_alerts_test_says_which_recipient_failed(config: Path, endpoint: Endpoint) -> None:
    endpoint.statuses = [500]
    result = _invoke(config, "alerts", "test", "chat", "--json")
    assert result.exit_code == 3
    assert json.loads(result.output)["result"] != "ok"


def test_status_shows_the_outbox_per_channel(config: Path, failed_alert: Path) -> None:
    result = _invoke(config, "status")
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if line.startswith("chat ")]
    assert row.split()[1:4] == ["0", "1", "0"]  # pending, failed, sent
    assert "service said no" in row
    records = [json.loads(line) for line in _invoke(config, "status", "--json").output.splitlines()]
    assert {"record": "outbox", "channel": "chat"}.items() <= records[-1].items()


def test_alerts_retry_puts_failed_alerts_back(
    config: Path, failed_alert: Path, endpoint: Endpoint
) -> None:
    result = _invoke(config, "alerts", "retry")
    assert result.exit_code == 0, result.output
    assert "1 failed alert(s) put back" in result.output
    db = open_db(failed_alert)
    assert db.execute("SELECT status, attempts FROM alerts").fetchall() == [("pending", 0)]
    db.close()
    assert _invoke(config, "alerts", "retry", "--json").output.strip() == (
        '{"channel": null, "alerts_put_back": 0}'
    )
