"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1: no mocks.

Certificates come from throwaway CAs (trustme); nothing is written outside tmp_path.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from scheduler.alerts.email import (
    DeliveryError,
    build_message,
    message_id,
    sanitize_header,
    send_message,
)
from scheduler.config import EmailSettings, Secret

SENDER = "peacewatch@example.org"
RECIPIENT = "analyst@example.org"
USER = "peacewatch"
PASSWORD = "pa55-W0rd!s3cr3t"


# --- payloads --------------------------------------------------------------------------------


def statement_alert(
    number: int = 42,
    *,
    speaker: str = "Mark Rutte",
    text: str = "Я бы поощрял каждую инициативу, которая позволит быстрее завершить войну",
    title: str = "Рютте поддержал инициативы по завершению войны",
    recap: bool = False,
) -> dict[str, Any]:
    return {
        "alert_id": number,
        "key": f"statement-{number}-email",
        "channel": "email",
        "type": "statement",
        "created_at": "2026-02-11T16:40:05Z",
        "statement": {
            "id": number,
            "speaker": speaker,
            "speaker_as_written": "Рютте",
            "text": text,
            "language": "ru",
            "kind": "direct",
            "said_at": "2026-02-11T16:40:00Z",
            "first_outlet": "unian-ru",
            "first_outlet_name": "УНИАН (рус.)",
            "first_url": f"https://www.unian.net/world/rutte-{number}.html",
            "title": title,
            "outlets": [
                {
                    "outlet": "unian-ru",
                    "name": "УНИАН (рус.)",
                    "url": f"https://www.unian.net/world/rutte-{number}.html",
                    "language": "ru",
                    "published_at": "2026-02-11T16:40:00Z",
                },
                {
                    "outlet": "unian-uk",
                    "name": "УНІАН",
                    "url": f"https://www.unian.ua/world/rutte-{number}.html",
                    "language": "uk",
                    "published_at": "2026-02-11T16:52:00Z",
                },
                {
                    "outlet": "ukrinform-en",
                    "name": "Ukrinform",
                    "url": f"https://www.ukrinform.net/rubric-polytics/{number}-rutte.html",
                    "language": "en",
                    "published_at": "2026-02-11T17:05:00Z",
                },
            ],
            "outlet_count": 3,
            "report_count": 4,
            "languages": ["en", "ru", "uk"],
            "topic_terms": ["инициатив*", "завершени* войн*"],
            "topic_concepts": ["ending-the-war"],
            "topic_score": 2.5,
            "first_seen_via_recap": recap,
        },
    }


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


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it got and can refuse at RCPT or DATA."""

    data_reply: str = "250 OK"
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return self.data_reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(handler: Recorder, **kwargs: Any) -> Iterator[int]:
    # aiosmtpd 1.4 pokes its own port to start the server lazily, so port 0 cannot be used.
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        ready_timeout=5,
        **kwargs,
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@contextmanager
def silent_server(*, close_at_once: bool = False) -> Iterator[int]:
    """Accepts TCP connections and then never says a word (or hangs up at once)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if close_at_once:
                conn.close()
            else:
                accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in accepted:
            conn.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def tls_context(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca)


def settings_for(port: int, security: str = "none", **changes: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "sender": SENDER,
        "recipients": (RECIPIENT,),
        "timeout_seconds": 3,
    }
    return replace(EmailSettings(), **(values | changes))


def deliver(alerts: list[dict[str, Any]], settings: EmailSettings) -> dict[str, Any]:
    return send_message(build_message(alerts, settings), settings)


def failure(call: Callable[[], object]) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        call()
    return caught.value


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
    body = message.get_content()
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
    assert "first seen through a recap" in message.get_content()


def test_health_alert_subject_names_source_and_state() -> None:
    failing = build_message([health_alert("failing")], settings_for(25))
    recovered = build_message([health_alert("recovered")], settings_for(25))
    assert failing["Subject"] == "[peacewatch] source УНИАН (рус.) failing"
    assert "no articles in 3 runs (usually 12)" in failing.get_content()
    assert recovered["Subject"] == "[peacewatch] source УНИАН (рус.) recovered"
    assert "has recovered" in recovered.get_content()


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
    assert message["Subject"] == "[peacewatch] 3 new statements"
    assert message["Message-ID"] == message_id([a["key"] for a in alerts], "example.org")
    body = message.get_content()
    for speaker, number in (("Mark Rutte", 1), ("Emmanuel Macron", 2), ("Volodymyr Zelensky", 3)):
        assert f"{number}. {speaker}:" in body
        assert f"statement-{number}-email" in body
    assert "La France a repris des contacts" in body
    assert "Ми готові до переговорів" in body


def test_digest_subject_mentions_health_alerts() -> None:
    message = build_message(
        [statement_alert(1), statement_alert(2), health_alert()], settings_for(25)
    )
    assert message["Subject"] == "[peacewatch] 2 new statements, 1 source health alert"


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
    body = message.get_content()
    assert "мир и[31m переговоры\n  вторая строка\tтаб" in body
    assert "\x00" not in body
    assert "\x1b" not in body


# --- transport security ----------------------------------------------------------------------


def test_starttls_with_the_test_ca_delivers(tls_context: ssl.SSLContext, ca_file: Path) -> None:
    handler = Recorder()
    with smtp_server(handler, tls_context=tls_context, require_starttls=True) as port:
        deliver([statement_alert()], settings_for(port, "starttls", ca_file=ca_file))
    assert len(handler.received) == 1


def test_starttls_to_a_server_with_an_untrusted_certificate_is_refused(ca_file: Path) -> None:
    handler = Recorder()
    stranger = server_context(trustme.CA())
    with smtp_server(handler, tls_context=stranger, require_starttls=True) as port:
        settings = settings_for(port, "starttls", ca_file=ca_file)
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert "not trusted" in str(error)
    assert handler.received == []


def test_certificate_for_another_host_name_is_refused(ca: trustme.CA, ca_file: Path) -> None:
    handler = Recorder()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.example.org").configure_cert(context)
    with smtp_server(handler, tls_context=context, require_starttls=True) as port:
        settings = settings_for(port, "starttls", ca_file=ca_file)
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert handler.received == []


def test_server_without_starttls_is_refused_rather_than_sent_in_clear(ca_file: Path) -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        settings = settings_for(port, "starttls", ca_file=ca_file)
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert "does not offer STARTTLS" in str(error)
    assert handler.received == []


def test_implicit_tls_delivers(tls_context: ssl.SSLContext, ca_file: Path) -> None:
    handler = Recorder()
    with smtp_server(handler, ssl_context=tls_context) as port:
        deliver([statement_alert()], settings_for(port, "tls", ca_file=ca_file))
    assert len(handler.received) == 1
    assert "Mark Rutte" in handler.received[0].message.get_content()


def test_implicit_tls_to_a_plain_smtp_port_is_refused(ca_file: Path) -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        settings = settings_for(port, "tls", ca_file=ca_file)
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert handler.received == []


def test_missing_ca_file_is_a_permanent_configuration_error(tmp_path: Path) -> None:
    settings = settings_for(free_port(), "starttls", ca_file=tmp_path / "absent.pem")
    error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert "ca_file" in str(error)


# --- network faults --------------------------------------------------------------------------


def test_closed_port_is_a_temporary_failure() -> None:
    settings = settings_for(free_port())
    error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is True
    assert error.code is None


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_server_that_never_answers_times_out_as_temporary(security: str, ca_file: Path) -> None:
    with silent_server() as port:
        settings = settings_for(port, security, ca_file=ca_file, timeout_seconds=1)
        started = time.monotonic()
        error = failure(lambda: deliver([statement_alert()], settings))
        elapsed = time.monotonic() - started
    assert error.temporary is True
    assert elapsed < 10


def test_server_that_hangs_up_at_once_is_a_temporary_failure() -> None:
    with silent_server(close_at_once=True) as port:
        settings = settings_for(port, timeout_seconds=1)
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is True


# --- SMTP replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "reply", "temporary"),
    [
        ("DATA", "421 4.3.2 Service shutting down", True),
        ("DATA", "451 4.3.0 Try again later", True),
        ("DATA", "550 5.7.1 Message rejected as spam", False),
        ("RCPT", "450 4.2.1 Mailbox busy", True),
        ("RCPT", "550 5.1.1 No such user", False),
    ],
)
def test_smtp_reply_codes_decide_whether_to_retry(stage: str, reply: str, temporary: bool) -> None:
    if stage == "DATA":
        handler = Recorder(data_reply=reply)
    else:
        handler = Recorder(refuse_rcpt={RECIPIENT: reply})
    with smtp_server(handler) as port:
        error = failure(lambda: deliver([statement_alert()], settings_for(port)))
    assert error.temporary is temporary
    assert error.code == int(reply[:3])
    assert reply[4:] in str(error)
    assert handler.received == []


def test_partial_refusal_delivers_to_the_rest_and_returns_the_refused() -> None:
    handler = Recorder(refuse_rcpt={"gone@example.org": "550 5.1.1 No such user"})
    with smtp_server(handler) as port:
        settings = replace(settings_for(port), recipients=(RECIPIENT, "gone@example.org"))
        refused = deliver([statement_alert()], settings)
    assert refused == {"gone@example.org": (550, b"5.1.1 No such user")}
    [got] = handler.received
    assert got.rcpt_tos == [RECIPIENT]


# --- login -----------------------------------------------------------------------------------


def check_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    # handled=False: aiosmtpd answers 535 itself; with handled=True it would say nothing.
    return AuthResult(success=ok, handled=False)


def echo_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    """A careless server that quotes the credentials back in its refusal."""
    password = auth_data.password.decode() if isinstance(auth_data, LoginPassword) else "?"
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 bad password {password}")


@contextmanager
def auth_server(
    handler: Recorder,
    tls_context: ssl.SSLContext,
    authenticator: Callable[..., AuthResult] = check_password,
) -> Iterator[int]:
    with smtp_server(
        handler,
        tls_context=tls_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    ) as port:
        yield port


def test_login_with_the_right_password_delivers(tls_context: ssl.SSLContext, ca_file: Path) -> None:
    handler = Recorder()
    with auth_server(handler, tls_context) as port:
        settings = settings_for(
            port, "starttls", ca_file=ca_file, username=USER, password=Secret(PASSWORD)
        )
        deliver([statement_alert()], settings)
    assert len(handler.received) == 1


def test_wrong_password_fails_without_showing_the_password(
    tls_context: ssl.SSLContext, ca_file: Path
) -> None:
    handler = Recorder()
    wrong = "Wr0ng-" + PASSWORD
    with auth_server(handler, tls_context) as port:
        settings = settings_for(
            port, "starttls", ca_file=ca_file, username=USER, password=Secret(wrong)
        )
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert error.code == 535
    whole = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), whole, repr(settings)):
        assert wrong not in text
        assert PASSWORD not in text
    assert handler.received == []


def test_password_quoted_back_by_the_server_is_scrubbed_from_the_error(
    tls_context: ssl.SSLContext, ca_file: Path
) -> None:
    handler = Recorder()
    with auth_server(handler, tls_context, echo_password) as port:
        settings = settings_for(
            port, "starttls", ca_file=ca_file, username=USER, password=Secret(PASSWORD)
        )
        error = failure(lambda: deliver([statement_alert()], settings))
    assert error.code == 535
    assert "bad password ***" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    whole = "".join(traceback.format_exception(error))
    assert PASSWORD not in whole
    assert PASSWORD not in repr(error)


def test_username_without_password_is_refused_before_connecting() -> None:
    settings = replace(settings_for(free_port()), username=USER)
    error = failure(lambda: deliver([statement_alert()], settings))
    assert error.temporary is False
    assert "PEACEWATCH_SMTP_PASSWORD" in str(error)
