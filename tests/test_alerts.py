"""The outbox and its log and Atom channels, on a real SQLite file and real files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.alerts.atom import ATOM, write_atom_feed
from scheduler.alerts.delivery import deliver_alerts
from scheduler.config import AlertSettings, EmailSettings, LogChannelSettings
from storage.diff import DiffParams, decide_pending
from storage.models import Article, Report, Source
from storage.outbox import due_alerts, mark_failed_attempt, queue_health_alert
from storage.queries import save_article, upsert_sources
from tests.smtpserver import Recorder, free_port, settings_for, smtp_server


def _report(text: str, *, peace: bool = True, recap: bool = False) -> Report:
    return Report(
        speaker="Mark Rutte",
        speaker_as_written="Рютте",
        kind="direct",
        text=text,
        recap=recap,
        about_peace_talks=peace,
        topic_score=2.0 if peace else 0.0,
        topic_concepts=["negotiations"] if peace else [],
        topic_terms=["переговор*"] if peace else [],
        start=0,
        end=len(text),
        stems=[w[:5] for w in text.lower().split() if len(w) > 3],
    )


@pytest.fixture
def peace_statement(db) -> int:
    upsert_sources(db, [Source("unian-ru", "УНИАН", "ru", ())])
    text = "Переговоры должны продолжиться\r\nBcc: evil@example.org \x00 в Женеве"
    save_article(
        db,
        Article(
            url="https://unian.example/1",
            fetched_url="https://unian.example/1",
            source_id="unian-ru",
            title="Рютте о переговорах",
            published_at="2026-02-11T12:00:00+00:00",
            published_from="json-ld",
            language="ru",
            text=text,
            content_hash="x",
            fetched_at="2026-02-11T12:05:00+00:00",
        ),
        [_report(text)],
    )
    decide_pending(db, DiffParams(channels=("log",)))
    return db.execute("SELECT id FROM statements").fetchone()[0]


def _settings(tmp_path: Path, **changes) -> AlertSettings:
    return replace(
        AlertSettings(channels=("log",), log=LogChannelSettings(path=tmp_path / "alerts.jsonl")),
        **changes,
    )


def test_the_log_channel_writes_one_json_object_a_line_and_marks_it_sent(
    db, peace_statement: int, tmp_path: Path
) -> None:
    report = deliver_alerts(db, _settings(tmp_path))
    assert report.sent == 1
    (line,) = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    alert = json.loads(line)
    assert alert["type"] == "statement"
    statement = alert["statement"]
    assert statement["id"] == peace_statement
    assert statement["speaker"] == "Mark Rutte"
    assert statement["first_outlet"] == "unian-ru"
    assert statement["outlet_links"][0]["url"] == "https://unian.example/1"
    assert statement["topic_terms"] == ["переговор*"]
    assert db.execute("SELECT status FROM alerts").fetchone()[0] == "sent"


def test_a_sent_alert_is_never_sent_again(db, peace_statement: int, tmp_path: Path) -> None:
    deliver_alerts(db, _settings(tmp_path))
    again = deliver_alerts(db, _settings(tmp_path))
    assert again.sent == 0
    assert len((tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_an_unwritable_log_keeps_the_alert_pending_for_a_later_cycle(
    db, peace_statement: int, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a directory should be")
    report = deliver_alerts(
        db, _settings(tmp_path, log=LogChannelSettings(path=blocked / "alerts.jsonl"))
    )
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    status, attempts, error = db.execute(
        "SELECT status, attempts, last_error FROM alerts"
    ).fetchone()
    assert (status, attempts) == ("pending", 1)
    assert "cannot write alert log" in error
    assert due_alerts(db, "log") == []  # backed off: not due again at once
    db.execute("UPDATE alerts SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    assert deliver_alerts(db, _settings(tmp_path)).sent == 1


def test_an_alert_interrupted_while_sending_goes_again_with_the_same_message_id(
    db, peace_statement: int, tmp_path: Path
) -> None:
    db.execute("UPDATE alerts SET status = 'sending', message_id = '<kept@peacewatch>'")
    deliver_alerts(db, _settings(tmp_path))
    (line,) = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["message_id"] == "<kept@peacewatch>"


def test_permanent_refusals_fail_the_alert_after_max_attempts(db, peace_statement: int) -> None:
    alert_id = db.execute("SELECT id FROM alerts").fetchone()[0]
    for _ in range(2):
        failed = mark_failed_attempt(
            db, [alert_id], "550 no", permanent=True, max_attempts=3, backoff_seconds=0
        )
        assert failed == []
    failed = mark_failed_attempt(
        db, [alert_id], "550 no", permanent=True, max_attempts=3, backoff_seconds=0
    )
    assert failed == [alert_id]
    assert db.execute("SELECT status, attempts FROM alerts").fetchone() == ("failed", 3)


def test_temporary_failures_back_off_and_never_fail_the_alert(db, peace_statement: int) -> None:
    alert_id = db.execute("SELECT id FROM alerts").fetchone()[0]
    for _ in range(8):
        assert (
            mark_failed_attempt(
                db, [alert_id], "421 busy", permanent=False, max_attempts=3, backoff_seconds=60
            )
            == []
        )
    assert db.execute("SELECT status FROM alerts").fetchone()[0] == "pending"


def test_a_health_alert_is_queued_once_per_key(db) -> None:
    upsert_sources(db, [Source("unian-ru", "УНИАН", "ru", ())])
    payload = {"source_id": "unian-ru", "state": "failing", "reason": "no articles"}
    assert queue_health_alert(db, "unian-ru", "health-unian-ru-1", payload, ("log",)) == 1
    assert queue_health_alert(db, "unian-ru", "health-unian-ru-1", payload, ("log",)) == 0


def test_the_atom_feed_lists_peace_statements_as_valid_xml(
    db, peace_statement: int, tmp_path: Path
) -> None:
    path = tmp_path / "feed" / "alerts.atom"
    assert write_atom_feed(db, path) == 1
    feed = ET.parse(path).getroot()
    entries = feed.findall(f"{{{ATOM}}}entry")
    assert len(entries) == 1
    title = entries[0].findtext(f"{{{ATOM}}}title")
    assert title is not None and title.startswith("Mark Rutte: Переговоры")
    assert "\x00" not in path.read_text(encoding="utf-8")
    link = entries[0].find(f"{{{ATOM}}}link")
    assert link is not None and link.get("href") == "https://unian.example/1"


def _entries(path: Path) -> list[ET.Element]:
    return ET.parse(path).getroot().findall(f"{{{ATOM}}}entry")


def test_the_atom_feed_names_itself_with_rel_self(db, peace_statement: int, tmp_path: Path) -> None:
    path = tmp_path / "alerts.atom"
    write_atom_feed(db, path, self_url="https://desk.example/alerts.atom")
    [link] = [
        link
        for link in ET.parse(path).getroot().findall(f"{{{ATOM}}}link")
        if link.get("rel") == "self"
    ]
    assert link.get("href") == "https://desk.example/alerts.atom"


def test_the_atom_feed_holds_every_statement_of_the_last_keep_days(
    db, peace_statement: int, tmp_path: Path
) -> None:
    path = tmp_path / "alerts.atom"
    assert write_atom_feed(db, path, keep_days=7) == 1
    db.execute("UPDATE statements SET updated_at = '2020-01-01T00:00:00+00:00'")
    assert write_atom_feed(db, path, keep_days=7) == 0
    assert _entries(path) == []


def test_an_updated_statement_is_the_same_entry_updated_not_a_second_one(
    db, peace_statement: int, tmp_path: Path
) -> None:
    path = tmp_path / "alerts.atom"
    write_atom_feed(db, path)
    [before] = _entries(path)
    db.execute("UPDATE statements SET updated_at = '2099-01-01T00:00:00+00:00'")
    write_atom_feed(db, path)
    [after] = _entries(path)
    assert after.findtext(f"{{{ATOM}}}id") == before.findtext(f"{{{ATOM}}}id")
    assert after.findtext(f"{{{ATOM}}}updated") == "2099-01-01T00:00:00+00:00"


def test_email_settings_never_show_the_password() -> None:
    from scheduler.config import Secret

    settings = EmailSettings(password=Secret("hunter2-secret"))
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)


# --- the email channel through the outbox, against a real SMTP server on loopback ---------


def _email_settings(tmp_path: Path, port: int, mode: str = "immediate") -> AlertSettings:
    return AlertSettings(
        channels=("email",),
        retry_backoff_seconds=0,
        max_attempts=3,
        log=LogChannelSettings(path=tmp_path / "alerts.jsonl"),
        email=settings_for(port, mode=mode, timeout_seconds=2),
    )


@pytest.fixture
def email_statements(db) -> list[int]:
    upsert_sources(db, [Source("unian-ru", "УНИАН", "ru", ())])
    for number, text in enumerate(
        ["Переговоры в Женеве продолжатся завтра", "Обмен пленными согласован в Абу-Даби"]
    ):
        save_article(
            db,
            Article(
                url=f"https://unian.example/{number}",
                fetched_url=f"https://unian.example/{number}",
                source_id="unian-ru",
                title=f"Заголовок {number}",
                published_at=f"2026-02-1{number}T12:00:00+00:00",
                published_from="json-ld",
                language="ru",
                text=text,
                content_hash=str(number),
                fetched_at=f"2026-02-1{number}T12:05:00+00:00",
            ),
            [_report(text)],
        )
    decide_pending(db, DiffParams(channels=("email",), use_embeddings=False))
    return [row[0] for row in db.execute("SELECT id FROM statements ORDER BY id")]


def test_smtp_down_keeps_alerts_pending_and_the_next_cycle_delivers_them(
    db, email_statements: list[int], tmp_path: Path
) -> None:
    port = free_port()  # nobody listens here yet
    first = deliver_alerts(db, _email_settings(tmp_path, port))
    assert (first.sent, first.retrying, first.failed) == (0, 2, 0)
    assert {row[0] for row in db.execute("SELECT status FROM alerts")} == {"pending"}
    recorder = Recorder()
    with smtp_server(recorder) as live_port:
        second = deliver_alerts(db, _email_settings(tmp_path, live_port))
    assert second.sent == 2
    assert len(recorder.received) == 2
    assert {row[0] for row in db.execute("SELECT status FROM alerts")} == {"sent"}


def test_digest_mode_sends_one_mail_per_cycle(
    db, email_statements: list[int], tmp_path: Path
) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        report = deliver_alerts(db, _email_settings(tmp_path, port, mode="digest"))
    assert report.sent == 2
    (mail,) = recorder.received
    body = mail.message.get_body(("plain",)).get_content()
    assert "Женеве" in body and "Абу-Даби" in body


def test_a_5xx_reply_fails_the_alert_after_max_attempts_and_says_why(
    db, email_statements: list[int], tmp_path: Path
) -> None:
    recorder = Recorder(data_reply="550 mailbox unavailable")
    with smtp_server(recorder) as port:
        for _ in range(3):
            report = deliver_alerts(db, _email_settings(tmp_path, port))
    assert report.failed == 2
    rows = db.execute("SELECT status, attempts, last_error FROM alerts").fetchall()
    assert all(
        status == "failed" and attempts == 3 and "550" in error for status, attempts, error in rows
    )


def test_a_resent_interrupted_mail_keeps_its_message_id(
    db, email_statements: list[int], tmp_path: Path
) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        deliver_alerts(db, _email_settings(tmp_path, port))
        # as if the process died after the server accepted and before "sent" was written
        # (nor who the server accepted it for)
        db.execute("UPDATE alerts SET status = 'sending'")
        db.execute("DELETE FROM alert_recipients")
        deliver_alerts(db, _email_settings(tmp_path, port))
    first, second = recorder.received[:2], recorder.received[2:]
    assert [m.message["Message-ID"] for m in first] == [m.message["Message-ID"] for m in second]


def test_statements_new_lists_pending_and_just_alerted_but_not_older(
    db, peace_statement: int, tmp_path: Path
) -> None:
    from storage.queries import start_run
    from storage.statements import StatementFilter, list_statements

    new = StatementFilter(new=True)
    assert [s["id"] for s in list_statements(db, new)] == [peace_statement]  # pending
    start_run(db, "test")
    deliver_alerts(db, _settings(tmp_path))
    (listed,) = list_statements(db, new)
    assert listed["alerted"] is True  # alerted by the last run
    db.execute(
        "INSERT INTO runs (started_at, trigger, status) VALUES ('2999-01-01T00:00:00+00:00', 't', 'ok')"
    )
    assert list_statements(db, new) == []
