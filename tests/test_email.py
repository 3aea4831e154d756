"""Building the alert mails (scheduler.alerts.email), checked as a real SMTP server got them.

The server is aiosmtpd on 127.0.0.1 (tests/smtpserver.py): no mocks.
"""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest

from scheduler.alerts.email import build_message, message_id, sanitize_header
from tests.smtpserver import (
    RECIPIENT,
    SENDER,
    Recorder,
    deliver,
    settings_for,
    smtp_server,
    statement_alert,
)

# --- payloads --------------------------------------------------------------------------------


def health_alert(state: str = "failing") -> dict[str, Any]:
    return {
        "alert_id": 9,
        "key": f"health-unian-ru-3-{state}-email",
        "channel": "email",
        "type": "health",
        "created_at": "2026-02-11T16:40:05Z",
        "health": {
            "source_id": "unian-ru",
            "source_name": "УНИАН (рус.)",
            "state": state,
            "reason": "no articles in 3 runs (usually 12)",
            "since": "2026-02-11T10:00:00Z",
        },
    }


# --- what a mail says ------------------------------------------------------------------------


def test_immediate_mail_carries_the_statement_and_an_encoded_cyrillic_subject() -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        settings = settings_for(port)
        assert deliver([statement_alert()], settings) == {}
    [got] = handler.received
    assert got.mail_from == SENDER
    assert got.rcpt_tos == [RECIPIENT]
    header_bytes = got.content.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in header_bytes
    assert header_bytes.isascii()
    assert max(len(line) for line in header_bytes.split(b"\r\n")) <= 78
    message = got.message
    assert message["Subject"] == (
        "[peacewatch] Mark Rutte: "
        "Я бы поощрял каждую инициативу, которая позволит быстрее завершить войну"
    )
    assert message["From"] == SENDER
    assert message["To"] == RECIPIENT
    assert message["Date"]
    body = message.get_body(("plain",)).get_content()
    for expected in (
        "Mark Rutte",
        "as written: Рютте",
        "Я бы поощрял каждую инициативу, которая позволит быстрее завершить войну",
        "direct quote",
        "Said: 2026-02-11 16:40 UTC",
        "first published: 2026-02-11 16:40 UTC",
        "First outlet: УНИАН (рус.)",
        "https://www.unian.net/world/rutte-42.html",
        "Other outlets that carried it (2)",
        "https://www.unian.ua/world/rutte-42.html",
        "https://www.ukrinform.net/rubric-polytics/42-rutte.html",
        "Carried by 3 outlet(s), 4 report(s), in en, ru, uk",
        "инициатив*, завершени* войн*",
        "Topic score: 2.5",
    ):
        assert expected in body
    assert "recap" not in body


@pytest.mark.parametrize(
    "text",
    [
        "Я бы поощрял каждую инициативу, которая позволит быстрее завершить войну",
        "Ми готові до переговорів — але не за будь-яку ціну, заявив Зеленський у вечірньому зверненні",
        "I would encourage every initiative that brings the end of the war closer, Rutte said",
        "Ж" * 300,
        "ab " * 60,
    ],
)
def test_subject_survives_folding_without_losing_blanks(text: str) -> None:
    # CPython 3.11's folder drops the blank between encoded words at a fold (gh-92081).
    settings = settings_for(25)
    for cut in range(1, len(text) + 1, 7):
        message = build_message([statement_alert(text=text[:cut])], settings)
        expected = sanitize_header("[peacewatch] Mark Rutte: " + sanitize_header(text[:cut], 100))
        raw = message.as_bytes(policy=email.policy.SMTP)
        headers = raw.split(b"\r\n\r\n", 1)[0]
        assert max(len(line) for line in headers.split(b"\r\n")) <= 78
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["Subject"] == expected


def test_recap_first_statement_says_so() -> None:
    message = build_message([statement_alert(recap=True)], settings_for(25))
    assert "first seen through a recap" in message.get_body(("plain",)).get_content()


def test_health_alert_subject_names_source_and_state() -> None:
    failing = build_message([health_alert("failing")], settings_for(25))
    recovered = build_message([health_alert("recovered")], settings_for(25))
    assert failing["Subject"] == "[peacewatch] source УНИАН (рус.) failing"
    assert "no articles in 3 runs (usually 12)" in failing.get_body(("plain",)).get_content()
    assert recovered["Subject"] == "[peacewatch] source УНИАН (рус.) recovered"
    assert "has recovered" in recovered.get_body(("plain",)).get_content()


def test_digest_of_three_alerts_is_one_mail_listing_all_three() -> None:
    handler = Recorder()
    alerts = [
        statement_alert(1, speaker="Mark Rutte"),
        statement_alert(2, speaker="Emmanuel Macron", text="La France a repris des contacts"),
        statement_alert(3, speaker="Volodymyr Zelensky", text="Ми готові до переговорів"),
    ]
    with smtp_server(handler) as port:
        deliver(alerts, settings_for(port, mode="digest"))
    [got] = handler.received
    message = got.message
    assert message["Subject"] == "[peacewatch] Rutte, Macron +1: 3 new statements on peace talks"
    assert message["Message-ID"] == message_id([a["key"] for a in alerts], "example.org")
    body = message.get_body(("plain",)).get_content()
    for speaker, number in (("Mark Rutte", 1), ("Emmanuel Macron", 2), ("Volodymyr Zelensky", 3)):
        assert f"{number}. {speaker}:" in body
        assert f"statement-{number}-email" in body
    assert "La France a repris des contacts" in body
    assert "Ми готові до переговорів" in body


def test_digest_subject_mentions_health_alerts() -> None:
    message = build_message(
        [statement_alert(1), statement_alert(2), health_alert()], settings_for(25)
    )
    assert message["Subject"] == (
        "[peacewatch] Rutte: 2 new statements on peace talks, 1 source health alert"
    )


def test_message_id_is_stable_for_the_same_keys_and_differs_for_others() -> None:
    settings = settings_for(25)
    first = build_message([statement_alert(1), statement_alert(2)], settings)
    again = build_message([statement_alert(2), statement_alert(1)], settings)
    other = build_message([statement_alert(1), statement_alert(3)], settings)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"] == message_id(
        ["statement-1-email", "statement-2-email"], "example.org"
    )
    assert message_id(["a"], "example.org").startswith("<peacewatch.")
    assert message_id(["a"], "example.org").endswith("@example.org>")
    assert message_id(["a"], "") == message_id(["a"], "peacewatch.invalid")


# --- header injection ------------------------------------------------------------------------


def test_scraped_title_and_text_cannot_inject_headers() -> None:
    handler = Recorder()
    evil = (
        "Рютте: мир\r\nBcc: evil@example.org\r\nX-Evil: 1\x85Subject: two\u2028three\u2029\x0bfour"
    )
    alerts = [
        statement_alert(1, speaker="Mark Rutte\r\nBcc: evil@example.org", text=evil, title=evil),
        statement_alert(2, text="", title="Заголовок\nBcc: evil@example.org"),
        statement_alert(3, text="Ж" * 300, title="Ж" * 300),
    ]
    with smtp_server(handler) as port:
        settings = settings_for(port)
        for alert in alerts:
            deliver([alert], settings)
    assert len(handler.received) == 3
    for got in handler.received:
        assert got.rcpt_tos == [RECIPIENT]
        headers = got.content.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in headers
        assert b"\nX-Evil" not in headers
        message = got.message
        assert len(message.get_all("Subject") or []) == 1
        assert "Bcc" not in message
        assert "X-Evil" not in message
        subject = str(message["Subject"])
        assert "\r" not in subject
        assert "\n" not in subject
        assert "\x85" not in subject
        assert "\u2028" not in subject
        assert len(subject) <= 180
    long_subject = str(handler.received[2].message["Subject"])
    assert long_subject.endswith("…")
    assert "ЖЖЖ" in long_subject


def test_sanitize_header_flattens_every_line_breaker_and_keeps_cyrillic() -> None:
    assert sanitize_header("a\r\nb\x85c\u2028d\u2029e\x0bf\x0cg\x00h\x7fi\x9fj") == (
        "a b c d e f g h i j"
    )
    assert sanitize_header("  Рютте\t\t поддержал  ") == "Рютте поддержал"
    cut = sanitize_header("Ж" * 300, limit=50)
    assert len(cut) == 50
    assert cut == "Ж" * 49 + "…"
    assert sanitize_header("broken \ud800 surrogate") == "broken \ufffd surrogate"


def test_body_keeps_scraped_text_but_drops_control_characters() -> None:
    message = build_message(
        [statement_alert(text="мир\x00 и\x1b[31m переговоры\r\nвторая строка\tтаб")],
        settings_for(25),
    )
    body = message.get_body(("plain",)).get_content()
    assert "мир и[31m переговоры\n  вторая строка\tтаб" in body
    assert "\x00" not in body
    assert "\x1b" not in body


def test_an_update_says_what_the_new_article_added_to_a_statement_already_alerted() -> None:
    update = statement_alert(7) | {
        "key": "update-42-9-email",
        "type": "update",
        "update": {
            "article_id": 9,
            "new_claims": [
                {
                    "text": "it was not his role to advise allies on contacts with Moscow",
                    "language": "en",
                    "kind": "indirect",
                    "outlet": "kyiv-independent",
                    "url": "https://kyivindependent.com/rutte-allies/",
                }
            ],
        },
    }
    handler = Recorder()
    with smtp_server(handler) as port:
        assert deliver([update, statement_alert(8)], settings_for(port)) == {}
    [got] = handler.received
    assert "1 new statement on peace talks, 1 update" in str(got.message["Subject"])
    body = got.message.get_body(("plain",)).get_content()
    assert "Update: kyiv-independent carried new points" in body
    assert "it was not his role to advise allies" in body


def test_a_digest_lists_the_newest_occasion_first_under_counts() -> None:
    older = statement_alert(1, speaker="Mark Rutte")
    newer = statement_alert(2, speaker="Dmitry Peskov", text="Переговоры продолжатся в Женеве")
    older["statement"]["said_at"] = "2026-02-11T10:00:00+00:00"
    newer["statement"]["said_at"] = "2026-02-12T10:00:00+00:00"
    body = build_message([older, newer], settings_for(25)).get_body(("plain",)).get_content()
    assert body.startswith("peacewatch digest: 2 new statements on peace talks.")
    assert body.index("1. Dmitry Peskov:") < body.index("2. Mark Rutte:")


def test_every_mail_has_an_html_part_from_the_web_views_templates() -> None:
    alerts = [statement_alert(1, speaker="Mark Rutte"), health_alert()]
    alerts[0]["statement"]["title"] = "<script>alert(1)</script>"
    alerts[0]["statement"]["text"] = "Рютте: <b>не</b> мешать контактам"
    message = build_message(alerts, settings_for(25))
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",)).get_content()
    assert 'id="summary"' in html and "1 new statement on peace talks" in html
    assert 'class="pw-statement' in html  # the web view's statement card
    assert "&lt;b&gt;не&lt;/b&gt;" in html and "<b>не</b>" not in html  # scraped text escaped
    assert "<script" not in html
    assert 'href="/speaker' not in html  # no link into a web view whose address it lacks
