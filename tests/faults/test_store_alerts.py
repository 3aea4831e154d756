"""Scenarios 14–18 and 20 (DESIGN §10): the store, the alert outbox and the process.

A write lock held too long, a full disk, crashes at named points of the pipeline
(``[testing] crash_at``, storage/crashpoints.py), SMTP faults through the cycle, hostile text
on its way to mail headers, and garbage configuration. Real SQLite files, real subprocesses,
a real SMTP server (aiosmtpd) on loopback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme

from crawler.analysis.analyzer import Analyzer
from scheduler.config import (
    AnalysisSettings,
    Config,
    Secret,
    read_analysis_data,
)
from scheduler.demo.server import ArchiveServer
from storage.crashpoints import CRASH_EXIT_CODE
from storage.db import StoreError, open_db
from storage.diff import DiffParams, decide_pending
from storage.queries import save_article, upsert_sources
from tests.e2e.test_daemon import write_config
from tests.faults.harness import (
    ROOT,
    UNIAN,
    cycle,
    email_config,
    email_run_config,
    email_table,
    peace_report,
    rows,
    store_articles,
    unian_article,
    unserved_registry,
)
from tests.smtpserver import (
    PASSWORD,
    RECIPIENT,
    SENDER,
    USER,
    Recorder,
    auth_server,
    echo_password,
    free_port,
    server_context,
    settings_for,
    silent_server,
    smtp_server,
)


@pytest.fixture(scope="module")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(test_ca: trustme.CA) -> ssl.SSLContext:
    """The SMTP server's side: a certificate for 127.0.0.1 from the throwaway CA."""
    return server_context(test_ca)


@pytest.fixture
def ca_pem(test_ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(path))
    return path


pytestmark = pytest.mark.faults

WRONG = "Wr0ng-" + PASSWORD


# --- helpers -------------------------------------------------------------------------------


def cli(
    config: Path | str,
    *args: str,
    home: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def seed_undecided(path: Path, texts: list[str], title: str = "Рютте о переговорах") -> None:
    """Articles with peace-talk reports, stored as a crawl stores them; the cycle decides."""
    store_articles(
        path,
        [
            (unian_article(number, text, title=title), [peace_report(text)])
            for number, text in enumerate(texts)
        ],
    )


def alert_rows(config: Config) -> list[tuple[Any, ...]]:
    return rows(
        config.storage_path, "SELECT status, attempts, last_error, next_attempt_at FROM alerts"
    )


def add_to_config(path: Path, *, storage: str = "", alerts: str = "", tail: str = "") -> None:
    text = path.read_text(encoding="utf-8")
    text = text.replace("[storage]\n", f"[storage]\n{storage}", 1)
    text = text.replace("[alerts]\n", f"[alerts]\n{alerts}", 1)
    path.write_text(text + tail, encoding="utf-8")


# --- 14: a write lock held longer than the busy timeout ------------------------------------

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
"""


def test_a_write_lock_held_beyond_the_busy_timeout_exits_5_writes_nothing_and_a_later_run_succeeds(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    config = write_config(archive_server, tmp_path, outlets=("unian-ru",), timeout=60)
    add_to_config(config, storage="busy_timeout_seconds = 1\n")
    database = tmp_path / "data" / "peacewatch.db"
    open_db(database).close()  # the schema exists; another process now holds the write lock
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        locked = cli(config, "run", "--all", home=tmp_path)
        elapsed = time.monotonic() - started
    finally:
        holder.communicate("", timeout=10)  # releases the lock
    assert locked.returncode == 5, locked.stderr
    assert "locked" in locked.stderr and str(database) in locked.stderr
    assert "Traceback" not in locked.stderr
    assert elapsed < 20
    assert rows(database, "SELECT COUNT(*) FROM runs")[0][0] == 0
    assert rows(database, "SELECT COUNT(*) FROM articles")[0][0] == 0

    later = cli(config, "run", "--all", home=tmp_path)
    assert later.returncode == 0, later.stderr
    assert rows(database, "SELECT status FROM runs WHERE finished_at IS NOT NULL") == [("ok",)]
    assert rows(database, "SELECT COUNT(*) FROM articles")[0][0] > 0
    assert rows(database, "PRAGMA integrity_check") == [("ok",)]


# --- 15: disk full --------------------------------------------------------------------------


def fill_up(db: Any, spare_pages: int = 0) -> None:
    """From now on this connection cannot grow the file beyond what it has (a full disk)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


def test_a_full_disk_while_storing_an_article_rolls_it_back_as_a_store_error(db) -> None:
    upsert_sources(db, [UNIAN])
    text = "Переговоры о перемирии продолжатся в Женеве. " * 2000
    fill_up(db)
    with pytest.raises(StoreError, match="full") as caught:
        save_article(
            db, unian_article(1, text), [peace_report(text[:4000]), peace_report(text[:9000])]
        )
    assert "unian.example/1" in str(caught.value)
    assert not db.conn.in_transaction
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM reports").fetchone()[0] == 0
    db.execute("PRAGMA max_page_count = 1073741823")  # space again: the same article stores
    assert save_article(db, unian_article(1, text), [peace_report(text[:4000])]) is not None


def test_a_full_disk_during_the_diff_leaves_no_statement_without_its_alert(db) -> None:
    upsert_sources(db, [UNIAN])
    for number in range(6):
        text = f"Переговоры номер {number} о перемирии продолжатся в Женеве. " * 150
        save_article(
            db, unian_article(number, text), [peace_report(text), peace_report(text[::-1])]
        )
    fill_up(db, spare_pages=6)
    params = DiffParams(channels=("log", "email"), use_embeddings=False)
    with pytest.raises(StoreError, match="full"):
        decide_pending(db, params)
    assert not db.conn.in_transaction

    def consistent() -> None:
        # every statement has both alerts; no alert without its statement; an article's
        # reports are decided together or not at all
        assert (
            db.execute(
                "SELECT COUNT(*) FROM statements s WHERE (SELECT COUNT(*) FROM alerts a "
                "WHERE a.statement_id = s.id) != 2"
            ).fetchone()[0]
            == 0
        )
        assert (
            db.execute(
                "SELECT COUNT(*) FROM alerts a LEFT JOIN statements s ON s.id = a.statement_id "
                "WHERE a.type = 'statement' AND s.id IS NULL"
            ).fetchone()[0]
            == 0
        )
        assert (
            db.execute(
                "SELECT COUNT(*) FROM (SELECT article_id FROM reports GROUP BY article_id "
                "HAVING COUNT(statement_id) NOT IN (0, COUNT(*)))"
            ).fetchone()[0]
            == 0
        )
        assert (
            db.execute(
                "SELECT COUNT(*) FROM reports r LEFT JOIN statements s ON s.id = r.statement_id "
                "WHERE r.statement_id IS NOT NULL AND s.id IS NULL"
            ).fetchone()[0]
            == 0
        )

    consistent()
    decided_before = db.execute("SELECT COUNT(statement_id) FROM reports").fetchone()[0]
    assert decided_before < 12
    db.execute("PRAGMA max_page_count = 1073741823")
    decide_pending(db, params)
    consistent()
    assert db.execute("SELECT COUNT(*) FROM reports WHERE statement_id IS NULL").fetchone()[0] == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- 16: crashes at named points, then a normal run ----------------------------------------


def stored_articles_are_complete(database: Path) -> None:
    """Every stored article has exactly the reports its text yields (none lost mid-insert)."""
    speakers, topics = read_analysis_data(AnalysisSettings())
    analyzer = Analyzer.from_data(speakers, topics, None)
    articles = rows(
        database,
        "SELECT a.id, a.text, a.language, a.published_at, a.title, "
        "(SELECT COUNT(*) FROM reports r WHERE r.article_id = a.id) FROM articles a",
    )
    assert articles
    for _, text, language, published, title, stored in articles:
        found = analyzer.analyze(
            text,
            language=language,
            published=datetime.fromisoformat(published).date(),
            title=title,
        )
        assert stored == len(found)


def alerted_once(database: Path, alerts_log: Path) -> None:
    """Every peace-talk statement that is not background alerted once (updates aside)."""
    peace = {
        row[0]
        for row in rows(
            database, "SELECT id FROM statements WHERE about_peace_talks AND NOT background"
        )
    }
    assert peace
    lines = [json.loads(line) for line in alerts_log.read_text(encoding="utf-8").splitlines()]
    logged = Counter(line["statement"]["id"] for line in lines if line["type"] == "statement")
    assert set(logged) == peace
    assert set(logged.values()) == {1}
    assert rows(database, "SELECT DISTINCT status FROM alerts") == [("sent",)]


@pytest.mark.parametrize(
    ("point", "articles_after_crash"),
    [("after-fetch", 0), ("mid-insert", 0), ("after-commit", 1)],
)
def test_a_crawl_killed_at_a_crash_point_leaves_whole_articles_and_the_next_run_alerts_once(
    archive_server: ArchiveServer, tmp_path: Path, point: str, articles_after_crash: int
) -> None:
    config = write_config(archive_server, tmp_path, outlets=("unian-ru",), timeout=60)
    original = config.read_text(encoding="utf-8")
    config.write_text(original + f'\n[testing]\ncrash_at = "{point}"\n', encoding="utf-8")
    database = tmp_path / "data" / "peacewatch.db"

    crashed = cli(config, "run", "--all", home=tmp_path)
    assert crashed.returncode == 3, crashed.stderr  # the crawl died: every source failed
    crawl_log = (tmp_path / "data" / "logs" / "crawl-latest.log").read_text(encoding="utf-8")
    assert f"crash point {point} reached" in crawl_log
    assert rows(database, "SELECT COUNT(*) FROM articles")[0][0] == articles_after_crash
    assert rows(database, "PRAGMA integrity_check") == [("ok",)]

    config.write_text(original, encoding="utf-8")
    again = cli(config, "run", "--all", home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert rows(database, "PRAGMA integrity_check") == [("ok",)]
    stored_articles_are_complete(database)
    assert rows(database, "SELECT COUNT(*) FROM reports WHERE statement_id IS NULL") == [(0,)]
    alerted_once(database, tmp_path / "data" / "alerts.jsonl")


def test_a_crash_between_smtp_acceptance_and_sent_resends_one_mail_with_the_same_message_id(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config = write_config(archive_server, tmp_path, outlets=("unian-ru",), timeout=60)
        table = email_table(
            port, security="none", sender=SENDER, recipients=[RECIPIENT], timeout_seconds=3
        )
        add_to_config(
            config, alerts='channels = ["email"]\nretry_backoff_seconds = 0\n', tail="\n" + table
        )
        original = config.read_text(encoding="utf-8")
        config.write_text(
            original + '\n[testing]\ncrash_at = "between-accept-and-sent"\n', encoding="utf-8"
        )
        crashed = cli(config, "run", "--all", home=tmp_path)
        assert crashed.returncode == CRASH_EXIT_CODE, crashed.stderr
        assert len(recorder.received) == 1
        config.write_text(original, encoding="utf-8")
        again = cli(config, "run", "--all", home=tmp_path)
        assert again.returncode == 0, again.stderr
    database = tmp_path / "data" / "peacewatch.db"
    alerts = rows(database, "SELECT status, message_id FROM alerts WHERE channel = 'email'")
    assert alerts and {status for status, _ in alerts} == {"sent"}
    received = Counter(mail.message["Message-ID"] for mail in recorder.received)
    assert set(received) == {message_id for _, message_id in alerts}
    duplicated = [mid for mid, count in received.items() if count > 1]
    assert len(duplicated) == 1 and received[duplicated[0]] == 2
    assert recorder.received[0].message["Message-ID"] == duplicated[0]
    assert rows(database, "PRAGMA integrity_check") == [("ok",)]


# --- 17: SMTP faults through the cycle ------------------------------------------------------

TEXTS = ["Переговоры в Женеве продолжатся завтра, заявил Рютте"]


def test_smtp_down_keeps_the_alert_pending_and_a_later_cycle_delivers_it(tmp_path: Path) -> None:
    config = email_config(tmp_path, free_port())  # nobody listens there
    seed_undecided(config.storage_path, TEXTS)
    first = cycle(config)
    assert first.diff is not None and first.diff.alerts_queued == 1
    assert first.delivery is not None and first.delivery.retrying == 1
    [(status, attempts, error, _)] = alert_rows(config)
    assert (status, attempts) == ("pending", 1) and "network error" in error
    recorder = Recorder()
    with smtp_server(recorder) as port:
        second = cycle(replace(config, alerts=replace(config.alerts, email=settings_for(port))))
    assert second.delivery is not None and second.delivery.sent == 1
    assert len(recorder.received) == 1
    assert [row[:2] for row in alert_rows(config)] == [("sent", 2)]


def test_a_4xx_reply_is_retried_after_a_backoff_and_delivered_once_accepted(
    tmp_path: Path,
) -> None:
    recorder = Recorder(data_reply="451 4.3.0 try again later")
    with smtp_server(recorder) as port:
        config = email_config(tmp_path, port)
        config = replace(config, alerts=replace(config.alerts, retry_backoff_seconds=2))
        seed_undecided(config.storage_path, TEXTS)
        before = datetime.now(UTC)
        cycle(config)
        [(status, attempts, error, next_at)] = alert_rows(config)
        assert (status, attempts) == ("pending", 1) and "451" in error
        retry_at = datetime.fromisoformat(next_at)  # whole seconds
        assert (retry_at - before).total_seconds() >= 1
        soon = cycle(config)  # before the backoff: not tried again
        assert soon.delivery is not None and (soon.delivery.sent, soon.delivery.retrying) == (0, 0)
        assert alert_rows(config)[0][1] == 1
        recorder.data_reply = "250 OK"
        time.sleep(max(0.0, (retry_at - datetime.now(UTC)).total_seconds() + 1.05))
        later = cycle(config)
    assert later.delivery is not None and later.delivery.sent == 1
    assert [row[:2] for row in alert_rows(config)] == [("sent", 2)]
    assert len(recorder.received) == 1


def test_a_5xx_reply_fails_the_alert_after_max_attempts_and_logs_the_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="peacewatch")
    recorder = Recorder(data_reply="550 5.7.1 message rejected")
    with smtp_server(recorder) as port:
        config = email_config(tmp_path, port)
        seed_undecided(config.storage_path, TEXTS)
        reports = [cycle(config) for _ in range(4)]
    assert [r.delivery.failed for r in reports if r.delivery] == [0, 0, 1, 0]
    [(status, attempts, error, _)] = alert_rows(config)
    assert (status, attempts) == ("failed", 3) and "550" in error
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "550" in failures[0].getMessage()
    assert recorder.received == []


def test_a_hanging_smtp_server_costs_the_cycle_at_most_its_timeout(tmp_path: Path) -> None:
    with silent_server() as port:
        config = email_config(tmp_path, port, timeout_seconds=1)
        seed_undecided(config.storage_path, TEXTS)
        started = time.monotonic()
        report = cycle(config)
        elapsed = time.monotonic() - started
    assert elapsed < 6
    assert report.delivery is not None and report.delivery.retrying == 1
    [(status, _, error, _)] = alert_rows(config)
    assert status == "pending" and "timed out" in error


def test_an_untrusted_certificate_is_refused_and_nothing_is_sent(
    tmp_path: Path, tls: ssl.SSLContext
) -> None:
    recorder = Recorder()
    with smtp_server(recorder, tls_context=tls, require_starttls=True) as port:
        config = email_config(tmp_path, port, security="starttls")  # no ca_file for the test CA
        seed_undecided(config.storage_path, TEXTS)
        report = cycle(config)
    assert recorder.received == []
    assert report.delivery is not None and report.delivery.sent == 0
    [(status, _, error, _)] = alert_rows(config)
    assert status == "pending" and "not trusted" in error


def test_a_server_without_starttls_is_refused_rather_than_spoken_to_in_clear(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config = email_config(tmp_path, port, security="starttls")
        seed_undecided(config.storage_path, TEXTS)
        cycle(config)
    assert recorder.received == []
    [(status, _, error, _)] = alert_rows(config)
    assert status == "pending" and "STARTTLS" in error


def test_the_password_never_appears_in_the_cycles_logs_errors_or_store(
    tmp_path: Path, tls: ssl.SSLContext, ca_pem: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    with auth_server(recorder, tls, authenticator=echo_password) as port:
        config = email_config(
            tmp_path,
            port,
            security="starttls",
            ca_file=ca_pem,
            username=USER,
            password=Secret(WRONG),
        )
        seed_undecided(config.storage_path, TEXTS)
        report = cycle(config)
    assert report.delivery is not None and report.delivery.errors
    assert "535" in report.delivery.errors[0]
    [(_, _, error, _)] = alert_rows(config)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    # (the test server itself logs what it was sent: that is its business, not ours)
    shown = "\n".join([*ours, *report.delivery.errors, error, repr(report)])
    assert WRONG not in shown and PASSWORD not in shown


def test_the_password_never_appears_on_the_stderr_of_peacewatch_run(
    tmp_path: Path, tls: ssl.SSLContext, ca_pem: Path
) -> None:
    unserved_registry(tmp_path)
    recorder = Recorder()
    with auth_server(recorder, tls, authenticator=echo_password) as port:
        config = email_run_config(
            tmp_path,
            port,
            security="starttls",
            ca_file=ca_pem,
            username=USER,
            sender=SENDER,
            recipients=[RECIPIENT],
            timeout_seconds=3,
        )
        seed_undecided(tmp_path / "data" / "peacewatch.db", TEXTS)
        result = cli(
            config, "run", "--all", "-v", home=tmp_path, env={"PEACEWATCH_SMTP_PASSWORD": WRONG}
        )
    assert result.returncode == 3, result.stderr  # the one source failed; delivery was tried
    assert "535" in result.stderr
    assert WRONG not in result.stderr + result.stdout
    crawl_log = (tmp_path / "data" / "logs" / "crawl-latest.log").read_text(encoding="utf-8")
    assert WRONG not in crawl_log
    assert recorder.received == []


# --- 18: hostile text on its way to the mail headers ---------------------------------------


def test_hostile_titles_and_statements_reach_the_mail_as_one_encoded_subject_and_no_new_headers(
    tmp_path: Path,
) -> None:
    text = (
        "Переговоры\r\nBcc: evil@example.org\r\n\r\nX-Injected: yes\x85Cc: nel@example.org"
        "\u2028To: ls@example.org\u2029" + "Ж" * 300
    )
    title = "Заголовок\nBcc: title@example.org\rReply-To: x@example.org\x85\u2028" + "Щ" * 300
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config = email_config(tmp_path, port)
        seed_undecided(config.storage_path, [text], title=title)
        report = cycle(config)
    assert report.delivery is not None and report.delivery.sent == 1
    [mail] = recorder.received
    assert mail.rcpt_tos == [RECIPIENT]
    head = mail.content.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"\r" not in head.replace(b"\r\n", b"")
    names = [
        line.split(b":", 1)[0].decode()
        for line in head.split(b"\r\n")
        if line[:1] not in (b" ", b"\t")
    ]
    assert Counter(names)["Subject"] == 1
    assert {n.lower() for n in names} <= {
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
    assert b"=?utf-8?b?" in head
    message = mail.message
    subject = str(message["Subject"])
    assert not re.search("[\r\n\x85\u2028\u2029]", subject)
    assert subject.startswith("[peacewatch] Mark Rutte: Переговоры Bcc: evil@example.org")
    assert len(subject) <= 180 and "Ж" in subject
    assert message["To"] == RECIPIENT and message["Bcc"] is None and message["Cc"] is None
    body = message.get_body(("plain",)).get_content()
    assert "Ж" * 50 in body and "Щ" * 50 in body


# --- 20: garbage configuration ---------------------------------------------------------------

BAD_CONFIGS = {
    "unknown-key": ("[crawl]\ntimout_seconds = 5\n", ["timout_seconds", "line 2"]),
    "toml-syntax": ("[crawl]\n\ntimeout_seconds = = 5\n", ["not valid TOML", "line 3"]),
    "negative-interval": (
        "[schedule]\ndefault_interval_minutes = -5\n",
        ["default_interval_minutes", "line 2"],
    ),
    "negative-timeout": ("[crawl]\ntimeout_seconds = -1\n", ["timeout_seconds", "line 2"]),
    "wrong-type": ('[alerts]\n\nmax_attempts = "five"\n', ["max_attempts", "line 3"]),
    "bad-feed-url": (
        '[sources]\nregistry = "bad.toml"\n',
        ["bad.toml", "broken", "feed URL", "htp:/nowhere"],
    ),
    "unknown-crash-point": ('[testing]\ncrash_at = "everywhere"\n', ["crash_at", "everywhere"]),
}


@pytest.mark.parametrize("case", sorted([*BAD_CONFIGS, "missing-file"]))
def test_garbage_config_is_one_clear_message_exit_2_and_nothing_crawled(
    tmp_path: Path, case: str
) -> None:
    (tmp_path / "bad.toml").write_text(
        '[[sources]]\nid = "broken"\nname = "Broken"\nlanguage = "ru"\n\n'
        '[[sources.feeds]]\nurl = "htp:/nowhere"\n',
        encoding="utf-8",
    )
    config = tmp_path / "peacewatch.toml"
    if case == "missing-file":
        expected = ["not found", str(tmp_path / "nope.toml")]
        config = tmp_path / "nope.toml"
    else:
        text, expected = BAD_CONFIGS[case]
        config.write_text(text, encoding="utf-8")
    result = cli(config, "run", "--all", home=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for part in expected:
        assert part in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # no database, no run


def test_tomllib_position_is_not_lost_for_a_registry_either(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[sources]]\nid = "x\n', encoding="utf-8")
    config = tmp_path / "peacewatch.toml"
    config.write_text('[sources]\nregistry = "sources.toml"\n', encoding="utf-8")
    result = cli(config, "status", home=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "sources.toml" in result.stderr and "line 2" in result.stderr
    assert not (tmp_path / "data").exists()
