"""The SMTP side of the email tests: real servers on 127.0.0.1 (aiosmtpd), no mocks.

Shared by tests/test_email.py, tests/test_mailer.py and the alert tests that need a mail server.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from scheduler.alerts.email import build_message
from scheduler.alerts.mailer import send_message
from scheduler.config import EmailSettings
from storage.outbox import OutboxAlert

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
            "outlets": ["unian-ru", "unian-uk", "ukrinform-en"],
            "outlet_links": [
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


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


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


def outbox_alert(
    alert_id: int,
    *,
    channel: str = "chat",
    kind: str = "statement",
    statement_id: int | None = None,
    key: str = "",
    created_at: str = "2026-02-11T12:00:00+00:00",
) -> OutboxAlert:
    """A pending outbox row as delivery reads it, for tests that build alerts by hand."""
    return OutboxAlert(
        id=alert_id,
        key=key or f"k{alert_id}",
        channel=channel,
        type=kind,
        statement_id=alert_id if statement_id is None else statement_id,
        source_id=None,
        payload={},
        status="pending",
        attempts=0,
        message_id=None,
        created_at=created_at,
    )
