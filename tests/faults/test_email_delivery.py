"""Issue 11, class 5 (email delivery) and the flood bullet of class 6, against real SMTP
servers on loopback (aiosmtpd), real SQLite files and, for SIGTERM, a real ``peacewatch run``.

The servers: one that takes at most 50 recipients per message (452 past that), one that
advertises a small SIZE (552 past it), one that refuses big messages without advertising SIZE,
one that accepts TCP and never greets, one that drops the connection after the message data
without answering, and a slow one.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scheduler.config import Config, load_config
from tests.faults.harness import (
    ROOT,
    cycle,
    email_config,
    email_run_config,
    peace_report,
    rows,
    store_articles,
    unian_article,
    unserved_registry,
)
from tests.smtpserver import (
    SENDER,
    Received,
    Recorder,
    silent_server,
    smtp_server,
)

pytestmark = pytest.mark.faults

# --- servers -------------------------------------------------------------------------------


class RecipientLimit(Recorder):
    """Takes at most ``limit`` recipients per message: 452 for the rest (RFC 5321 §4.5.3.1.10)."""

    def __init__(self, limit: int = 50, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= self.limit:
            return "452 4.5.3 Too many recipients"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


class SizeRefuser(Recorder):
    """Refuses a message over ``limit`` bytes at the end of DATA, without advertising SIZE."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(envelope.content) > self.limit:
            self.refused += 1
            return "552 5.3.4 Message size exceeds fixed limit"
        return await super().handle_DATA(server, session, envelope)


class DropsAfterData(Recorder):
    """Takes the whole message, then hangs up without a word: the sender cannot know."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        server.transport.close()
        return "250 OK"


class Slow(Recorder):
    """Answers each message after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


# --- the store and the cycle ---------------------------------------------------------------


def seed(path: Path, count: int, *, one_article: bool = False, long_text: int = -1) -> None:
    """``count`` distinct peace-talk statements (one speaker each), stored as a crawl stores
    them; the cycle decides them and queues their alerts. ``one_article``: all quotes in one
    article (the flood). ``long_text``: this statement's text is 60,000 characters long."""
    reports = []
    for number in range(count):
        text = f"Переговоры о перемирии номер {number} продолжатся в Женеве, заявил спикер"
        if number == long_text:
            text += " Женева" * 10_000
        speaker = f"Спикер {number}"
        reports.append(
            peace_report(
                text, speaker=speaker, speaker_as_written=speaker, stems=["перег", "перем", "женев"]
            )
        )
    groups = [reports] if one_article else [[report] for report in reports]
    store_articles(
        path,
        [
            (
                unian_article(
                    number,
                    " ".join(report.text for report in group),
                    day=11,
                    title="Переговоры в Женеве",
                ),
                group,
            )
            for number, group in enumerate(groups)
        ],
    )


def statuses(config: Config) -> Counter[str]:
    return Counter(status for (status,) in rows(config, "SELECT status FROM alerts"))


def keys_in(mail: Received) -> list[str]:
    """The alert keys a mail carries (each alert's footer names its key)."""
    return re.findall(
        r"alert (statement-\d+-email)", mail.message.get_body(("plain",)).get_content()
    )


def copies_per_recipient(mails: list[Received]) -> Counter[str]:
    return Counter(recipient for mail in mails for recipient in mail.rcpt_tos)


def assert_each_alert_in_one_mail(mails: list[Received], count: int) -> None:
    carried = Counter(key for mail in mails for key in keys_in(mail))
    assert sorted(carried.values()) == [1] * count


# --- refused recipients --------------------------------------------------------------------

HUNDRED = tuple(f"reader{n:03d}@example.org" for n in range(100))


def test_recipients_past_the_servers_limit_get_the_alert_in_a_further_message_each_once(
    tmp_path: Path,
) -> None:
    server = RecipientLimit(50)
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, recipients=HUNDRED)
        seed(config.storage_path, 1)
        report = cycle(config)
    assert report.delivery is not None and report.delivery.sent == 1
    assert copies_per_recipient(server.received) == Counter(HUNDRED)  # nobody twice or missed
    assert [len(mail.rcpt_tos) for mail in server.received] == [50, 50]
    assert len({mail.message["Message-ID"] for mail in server.received}) == 1
    assert rows(config, "SELECT status, COUNT(*) FROM alert_recipients GROUP BY status") == [
        ("sent", 100)
    ]
    assert statuses(config) == {"sent": 1}


def test_a_recipient_refused_for_now_gets_the_alert_alone_in_a_later_cycle(
    tmp_path: Path,
) -> None:
    readers = HUNDRED[:3]
    server = Recorder(refuse_rcpt={readers[1]: "450 4.2.1 Mailbox busy"})
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, recipients=readers)
        seed(config.storage_path, 1)
        first = cycle(config)
        assert first.delivery is not None and (first.delivery.sent, first.delivery.retrying) == (
            0,
            1,
        )
        [(status, error)] = rows(config, "SELECT status, last_error FROM alerts")
        assert status == "pending" and "delivered to 2 of 3" in error and readers[1] in error
        server.refuse_rcpt.clear()
        second = cycle(config)
    assert second.delivery is not None and second.delivery.sent == 1
    assert [mail.rcpt_tos for mail in server.received] == [[readers[0], readers[2]], [readers[1]]]
    assert copies_per_recipient(server.received) == Counter(readers)
    assert statuses(config) == {"sent": 1}


def test_a_recipient_refused_for_good_is_given_up_alone_and_the_others_keep_their_one_copy(
    tmp_path: Path,
) -> None:
    readers = HUNDRED[:3]
    server = Recorder(refuse_rcpt={readers[2]: "550 5.1.1 No such user"})
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, recipients=readers)  # max_attempts = 3
        seed(config.storage_path, 1)
        reports = [cycle(config) for _ in range(4)]
    assert [r.delivery.sent for r in reports if r.delivery] == [0, 0, 1, 0]
    assert copies_per_recipient(server.received) == Counter(readers[:2])
    [(status, error)] = rows(config, "SELECT status, last_error FROM alerts")
    assert status == "sent" and "not delivered to 1 of 3" in error
    assert readers[2] in error and "550" in error
    assert rows(config, "SELECT recipient, status, attempts FROM alert_recipients ORDER BY 1") == [
        (readers[0], "sent", 1),
        (readers[1], "sent", 1),
        (readers[2], "failed", 3),
    ]


# --- the server's SIZE ---------------------------------------------------------------------


def test_a_digest_over_the_servers_size_is_split_into_mails_that_fit(tmp_path: Path) -> None:
    limit = 12_000
    server = Recorder()
    with smtp_server(server, data_size_limit=limit) as port:
        config = email_config(tmp_path, port, mode="digest")
        seed(config.storage_path, 12)
        report = cycle(config)
    assert report.delivery is not None and (report.delivery.sent, report.delivery.failed) == (
        12,
        0,
    )
    assert len(server.received) > 1
    assert all(len(mail.content) <= limit for mail in server.received)
    assert_each_alert_in_one_mail(server.received, 12)
    assert statuses(config) == {"sent": 12}


def test_one_oversized_statement_goes_shortened_and_never_takes_the_others_down(
    tmp_path: Path,
) -> None:
    server = Recorder()
    with smtp_server(server, data_size_limit=30_000) as port:
        config = email_config(tmp_path, port, mode="digest")
        seed(config.storage_path, 6, long_text=2)  # its text alone is ~400 KB on the wire
        report = cycle(config)
    assert report.delivery is not None and report.delivery.sent == 6
    assert statuses(config) == {"sent": 6}
    assert_each_alert_in_one_mail(server.received, 6)
    [alone] = [
        mail
        for mail in server.received
        if "shortened to fit" in mail.message.get_body(("plain",)).get_content()
    ]
    assert len(keys_in(alone)) == 1
    assert (
        "unian.example/2" in alone.message.get_body(("plain",)).get_content()
    )  # the link to the full text stays


def test_a_digest_refused_as_too_big_without_size_advertised_is_split_until_it_fits(
    tmp_path: Path,
) -> None:
    server = SizeRefuser(limit=10_000)
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, mode="digest")
        seed(config.storage_path, 8)
        report = cycle(config)
    assert server.refused >= 1
    assert report.delivery is not None and report.delivery.sent == 8
    assert_each_alert_in_one_mail(server.received, 8)
    assert statuses(config) == {"sent": 8}


# --- servers that do not answer ------------------------------------------------------------


def test_a_server_that_never_greets_costs_one_timeout_per_cycle_not_one_per_alert(
    tmp_path: Path,
) -> None:
    with silent_server() as port:
        config = email_config(tmp_path, port, timeout_seconds=1)
        seed(config.storage_path, 20)
        started = time.monotonic()
        report = cycle(config)
        elapsed = time.monotonic() - started
    assert elapsed < 5  # one timeout of 1 s, not 20
    assert report.delivery is not None and report.delivery.retrying == 20
    alerts = rows(config, "SELECT status, attempts, last_error FROM alerts")
    assert {(status, attempts) for status, attempts, _ in alerts} == {("pending", 1)}
    assert all("timed out" in error for _, _, error in alerts)


def test_the_delivery_budget_leaves_the_rest_pending_untouched_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    server = Slow(delay=0.3)
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, alerts={"delivery_budget_seconds": 1.0})
        seed(config.storage_path, 8)
        started = time.monotonic()
        first = cycle(config)
        elapsed = time.monotonic() - started
        assert first.delivery is not None
        assert 0 < first.delivery.sent < 8 and first.delivery.left == 8 - first.delivery.sent
        assert any("budget" in error for error in first.delivery.errors)
        assert elapsed < 1.0 + 2 * 0.3 + 2  # at most the message in flight past the budget
        untouched = rows(config, "SELECT attempts FROM alerts WHERE status = 'pending'")
        assert untouched == [(0,)] * first.delivery.left
        server.delay = 0
        cycle(config)
    assert statuses(config) == {"sent": 8}
    assert_each_alert_in_one_mail(server.received, 8)


def test_a_server_that_drops_after_data_gets_the_same_message_at_most_max_resends_more_times(
    tmp_path: Path,
) -> None:
    server = DropsAfterData()
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, alerts={"max_resends": 2})
        seed(config.storage_path, 1)
        reports = [cycle(config) for _ in range(5)]
    assert len(server.received) == 3  # the first send and two resends, then no more
    assert len({mail.message["Message-ID"] for mail in server.received}) == 1
    assert [r.delivery.failed for r in reports if r.delivery] == [0, 0, 1, 0, 0]
    [(status, sends, error, message_id)] = rows(
        config, "SELECT status, sends_in_doubt, last_error, message_id FROM alerts"
    )
    assert (status, sends) == ("failed", 3)
    assert "may have arrived" in error and message_id in error
    assert message_id == server.received[0].message["Message-ID"]


# --- SIGTERM during delivery ---------------------------------------------------------------


def test_sigterm_during_delivery_stops_after_the_message_in_flight_and_says_what_is_left(
    tmp_path: Path,
) -> None:
    unserved_registry(tmp_path)
    server = Slow(delay=0.4)
    with smtp_server(server) as port:
        config_path = email_run_config(
            tmp_path,
            port,
            alerts='max_immediate_per_cycle = 50\natom_path = ""\n',
            security="none",
            sender=SENDER,
            recipients=["desk@example.org"],
            timeout_seconds=5,
        )
        seed(tmp_path / "data" / "peacewatch.db", 12)
        run = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "--config", str(config_path), "run", "--all"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            deadline = time.monotonic() + 90
            while not server.received and run.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.received, "no mail arrived"
            run.send_signal(signal.SIGTERM)
            _, stderr = run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        assert run.returncode == 143, stderr
        said = re.search(r"(\d+) alert\(s\) sent, (\d+) not sent yet and 0 to retry", stderr)
        assert said, stderr
        sent, left = int(said[1]), int(said[2])
        config = load_config(config_path)
        assert (sent, left) == (len(server.received), 12 - len(server.received))
        assert left > 0 and statuses(config) == {"sent": sent, "pending": left}
        server.delay = 0
        cycle(config)
    assert statuses(config) == {"sent": 12}
    assert_each_alert_in_one_mail(server.received, 12)


# --- class 6: a flood of alerts ------------------------------------------------------------


def test_past_max_immediate_per_cycle_the_rest_of_a_flood_goes_as_one_digest(
    tmp_path: Path,
) -> None:
    server = Recorder()
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, alerts={"max_immediate_per_cycle": 5})
        seed(config.storage_path, 40, one_article=True)  # one article quoting 40 people
        report = cycle(config)
    assert report.diff is not None and report.diff.alerts_queued == 40
    assert report.delivery is not None and report.delivery.sent == 40
    assert [len(keys_in(mail)) for mail in server.received] == [1, 1, 1, 1, 1, 35]
    assert "35 new statements" in str(server.received[-1].message["Subject"])
    assert statuses(config) == {"sent": 40}


def test_the_new_alert_keys_are_read_from_the_config_and_range_checked(tmp_path: Path) -> None:
    path = tmp_path / "peacewatch.toml"
    path.write_text(
        "[alerts]\nmax_immediate_per_cycle = 3\ndelivery_budget_seconds = 45\nmax_resends = 1\n",
        encoding="utf-8",
    )
    alerts = load_config(path).alerts
    assert (alerts.max_immediate_per_cycle, alerts.delivery_budget_seconds, alerts.max_resends) == (
        3,
        45.0,
        1,
    )
    for bad in ("delivery_budget_seconds = 0", "max_resends = -1", "max_immediate_per_cycle = 1.5"):
        path.write_text(f"[alerts]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ValueError, match=bad.split(" ")[0]):
            load_config(path)


def test_every_recipient_keeps_a_deduplicable_message_id_across_a_split_delivery(
    tmp_path: Path,
) -> None:
    """A 452 split and a later resend to the refused recipient carry one Message-ID."""
    readers = HUNDRED[:60]
    server = RecipientLimit(50, refuse_rcpt={readers[55]: "451 4.3.0 Try later"})
    with smtp_server(server) as port:
        config = email_config(tmp_path, port, recipients=readers)
        seed(config.storage_path, 1)
        cycle(config)
        server.refuse_rcpt.clear()
        cycle(config)
    assert copies_per_recipient(server.received) == Counter(readers)
    assert len({mail.message["Message-ID"] for mail in server.received}) == 1
