"""The SMTP transport (scheduler.alerts.mailer) against a real server on 127.0.0.1: no mocks.

The servers are aiosmtpd (tests/smtpserver.py), the certificates come from throwaway CAs
(trustme); nothing is written outside tmp_path.
"""

from __future__ import annotations

import ssl
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import trustme

from scheduler.alerts.mailer import DeliveryError
from scheduler.config import Secret
from tests.smtpserver import (
    PASSWORD,
    RECIPIENT,
    USER,
    Recorder,
    auth_server,
    deliver,
    echo_password,
    free_port,
    server_context,
    settings_for,
    silent_server,
    smtp_server,
    statement_alert,
)

# --- certificates and failures ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def tls_context(ca: trustme.CA) -> ssl.SSLContext:
    return server_context(ca)


def failure(call: Callable[[], object]) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        call()
    return caught.value


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
    assert "Mark Rutte" in handler.received[0].message.get_body(("plain",)).get_content()


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
