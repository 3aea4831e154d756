"""The SMTP transport of the email channel (DESIGN §7): putting built mails on the wire.

One job: deliver messages from ``scheduler.alerts.email`` to the configured server over one
connection per delivery cycle (``Session``), so a server that never greets costs one timeout,
not one per alert. Delivery never downgrades security: the certificate and host name are always
verified and a STARTTLS server that does not offer STARTTLS is refused rather than spoken to in
clear text. Each transaction says what became of every recipient: accepted, refused (with the
server's reply), or not asked because the server's per-message limit of recipients was reached
(452 after others were accepted, RFC 5321 §4.5.3.1.10) — those go in a transaction of their
own. Every failure comes back as one ``DeliveryError`` that says whether a retry can help,
whether the connection is gone, and whether the message may have arrived all the same (the
connection dropped after the message data, before the server's answer); its text never holds
the password.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TypeVar

from scheduler.alerts.email import message_bytes, sanitize_header
from scheduler.config import EmailSettings

__all__ = [
    "DeliveryError",
    "Session",
    "Transaction",
    "message_bytes",
    "send_message",
]

_T = TypeVar("_T")


class DeliveryError(Exception):
    """A mail was not delivered; ``temporary`` tells the outbox whether retrying can help.

    ``connection_lost``: the session cannot be used any more. ``in_doubt``: the whole message
    was sent and the connection ended before the server's answer, so it may have been
    delivered. ``too_big``: the server refused the message for its size (552, 5.3.4).
    """

    def __init__(
        self,
        message: str,
        *,
        temporary: bool,
        code: int | None = None,
        connection_lost: bool = False,
        in_doubt: bool = False,
        too_big: bool = False,
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.connection_lost = connection_lost
        self.in_doubt = in_doubt
        self.too_big = too_big

    def __repr__(self) -> str:
        return f"DeliveryError({self.args[0]!r}, temporary={self.temporary!r}, code={self.code!r})"


@dataclass
class Transaction:
    """What one SMTP transaction did with its recipients."""

    accepted: list[str] = field(default_factory=list)
    #: the server's code and reply for each recipient it refused
    refused: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    #: not asked: the server's limit of recipients per message was reached (452)
    deferred: list[str] = field(default_factory=list)


def _secrets(settings: EmailSettings) -> list[str]:
    """The password and the encodings of it that AUTH puts on the wire."""
    password = settings.password.reveal()
    if not password:
        return []
    user = settings.username
    forms = {
        password,
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
        repr(password)[1:-1],
    }
    return sorted((f for f in forms if f), key=len, reverse=True)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _chain_mentions(exc: BaseException, secrets: Sequence[str]) -> bool:
    """Whether the exception or anything chained to it shows one of the secrets."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if any(secret in f"{current!s}{current!r}{current.args!r}" for secret in secrets):
            return True
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return sanitize_header(text, 300)


def _classify(exc: BaseException, where: str) -> tuple[str, bool, int | None]:
    """The message, whether a retry can help, and the SMTP code of one delivery failure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        codes = [code for code, _ in refused.values()]
        detail = "; ".join(
            f"{sanitize_header(addr, 100)}: {code} {_reply_text(reply)}"
            for addr, (code, reply) in refused.items()
        )
        temporary = bool(codes) and all(400 <= c < 500 for c in codes)
        return (
            f"{where}: every recipient refused ({detail})",
            temporary,
            codes[0] if codes else None,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = int(exc.smtp_code)
        what = {
            smtplib.SMTPAuthenticationError: "login refused",
            smtplib.SMTPSenderRefused: "sender refused",
            smtplib.SMTPDataError: "message refused",
            smtplib.SMTPConnectError: "connection refused by greeting",
            smtplib.SMTPHeloError: "EHLO/HELO refused",
        }.get(type(exc), "server replied")
        return f"{where}: {what}: {code} {_reply_text(exc.smtp_error)}", 400 <= code < 500, code
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{where}: server does not support what we need: {exc}", False, None
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where}: server disconnected: {exc}", True, None
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        return f"certificate of {where} not trusted: {reason}", False, None
    if isinstance(exc, ssl.SSLError) and not isinstance(
        exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError
    ):
        # A protocol mismatch (plain SMTP on the TLS port, no common version or cipher) stays
        # wrong however often we retry: it needs the port or security setting changed.
        return f"{where}: TLS handshake failed: {exc} (check port and security)", False, None
    if isinstance(exc, TimeoutError):
        return f"{where}: timed out: {exc}", True, None
    if isinstance(exc, smtplib.SMTPException):
        # Raised by smtplib for local decisions, e.g. no common AUTH mechanism.
        return f"{where}: {exc}", False, None
    if isinstance(exc, OSError):
        return f"{where}: network error: {exc}", True, None
    # ValueError: smtplib cannot put this message on the wire; sending it again will not help.
    return f"{where}: cannot send this message: {type(exc).__name__}: {exc}", False, None


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """The system's trust store plus ``ca_file``: always verifying, never downgraded."""
    context = ssl.create_default_context()
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError(
                f"cannot load ca_file {settings.ca_file}: {exc}", temporary=False
            ) from None
    return context


def _close(smtp: smtplib.SMTP, polite: bool) -> None:
    """QUIT when the server is still talking to us; after a network fault just drop it."""
    if polite:
        try:
            smtp.quit()
            return
        except OSError:  # includes SMTPException
            pass
    with contextlib.suppress(OSError):
        smtp.close()


def _check_settings(settings: EmailSettings) -> None:
    if not settings.host:
        raise DeliveryError("no SMTP host configured", temporary=False)
    if settings.security not in ("starttls", "tls", "none"):
        raise DeliveryError(f"unknown security setting {settings.security!r}", temporary=False)
    if not settings.recipients:
        raise DeliveryError("no recipients configured", temporary=False)
    if settings.username and not settings.password:
        raise DeliveryError(
            f"username {settings.username!r} is set but the password is empty "
            f"(set ${settings.password_env})",
            temporary=False,
        )


def _lost(exc: BaseException) -> bool:
    """Whether the connection is unusable after this failure."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # the server is closing the connection
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False  # a local decision (no common AUTH mechanism, SMTPUTF8 missing, …)
    return isinstance(exc, OSError)


def _too_big(exc: BaseException) -> bool:
    if not isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return False
    reply = exc.smtp_error if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error).encode()
    return exc.smtp_code == 552 or b"5.3.4" in reply


def _data_payload(data: bytes) -> bytes:
    """DATA's payload: lines starting with a dot doubled, then the terminating dot line."""
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def _size_limit(smtp: smtplib.SMTP) -> int | None:
    """The largest message the server takes, from EHLO's SIZE extension (RFC 1870); None when
    it names no limit (absent, or SIZE 0)."""
    value = (smtp.esmtp_features.get("size") or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


class Session:
    """One connection to the configured server, reused for every message of a delivery cycle.

    Opening it connects, waits for the greeting, secures the connection and logs in; every
    failure is a ``DeliveryError`` and leaves nothing open. ``size_limit`` is the server's SIZE.
    """

    def __init__(self, settings: EmailSettings) -> None:
        _check_settings(settings)
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        self._secrets = _secrets(settings)
        self._smtp: smtplib.SMTP | None = None
        self.size_limit: int | None = None
        context = _tls_context(settings) if settings.security != "none" else None
        self._guard(lambda: self._connect(context))
        if self._smtp is not None:
            self.size_limit = _size_limit(self._smtp)

    def _connect(self, context: ssl.SSLContext | None) -> None:
        settings, timeout = self.settings, self.settings.timeout_seconds
        if settings.security == "tls":
            self._smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=context
            )
        else:
            self._smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        smtp = self._smtp
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"{self.where}: server does not offer STARTTLS; refusing to send in clear text",
                    temporary=False,
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password.reveal())
        smtp.ehlo_or_helo_if_needed()

    @property
    def alive(self) -> bool:
        return self._smtp is not None and self._smtp.sock is not None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self, polite: bool = True) -> None:
        """QUIT when the server is still talking to us; after a network fault just drop it."""
        if self._smtp is not None:
            _close(self._smtp, polite and self._smtp.sock is not None)
            self._smtp = None

    def describe(self, code: int, reply: bytes | str) -> str:
        """A refusal as one line for the outbox: the code and the server's words."""
        return _scrub(f"{code} {_reply_text(reply)}", self._secrets)

    def _guard(self, step: Callable[[], _T], *, in_doubt: bool = False) -> _T:
        """Run one step of the conversation; every failure becomes a ``DeliveryError``."""
        try:
            return step()
        except DeliveryError:
            self.close()
            raise
        except (OSError, ValueError) as exc:  # smtplib's and ssl's errors are OSErrors
            text, temporary, code = _classify(exc, self.where)
            lost = _lost(exc)
            if in_doubt and lost:
                text = (
                    f"{self.where}: the connection ended after the message data, before the "
                    f"server's answer ({exc}); the server may have accepted it"
                )
            error = DeliveryError(
                _scrub(text, self._secrets),
                temporary=temporary,
                code=code,
                connection_lost=lost or self._smtp is None,
                in_doubt=in_doubt and lost,
                too_big=_too_big(exc),
            )
            # Keep the original for debugging unless something in its chain shows the secret.
            cause = None if _chain_mentions(exc, self._secrets) else exc
        if error.connection_lost:
            self.close(polite=isinstance(cause, smtplib.SMTPResponseException))
        elif self._smtp is not None:
            with contextlib.suppress(OSError):  # end the failed transaction, keep the session
                self._smtp.rset()
        # Raised out here, not in the handler, so not even __context__ refers to the original.
        raise error from cause

    def send(self, message: EmailMessage, recipients: Sequence[str]) -> Transaction:
        """One transaction: MAIL, RCPT for each recipient until the server's limit, DATA.

        Raises DeliveryError when the message as a whole was not delivered; refused and
        deferred recipients come back in the ``Transaction`` instead.
        """
        smtp = self._smtp
        if smtp is None or smtp.sock is None:
            raise DeliveryError(
                f"{self.where}: the connection is closed", temporary=True, connection_lost=True
            )
        sender = self.settings.sender
        utf8 = not "".join([sender, *recipients]).isascii()
        data = self._guard(lambda: message_bytes(message, utf8=utf8))
        options = [f"SIZE={len(data)}"] if smtp.has_extn("size") else []
        if utf8:
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        done = Transaction()

        def envelope_and_data() -> bool:
            if utf8 and not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    "an address needs SMTPUTF8, which the server does not offer"
                )
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            for index, recipient in enumerate(recipients):
                code, reply = smtp.rcpt(recipient)
                if code in (250, 251):
                    done.accepted.append(recipient)
                elif code == 421:
                    raise smtplib.SMTPResponseException(code, reply)
                elif code == 452 and done.accepted:
                    done.deferred = list(recipients[index:])  # this message is full
                    break
                else:
                    done.refused[recipient] = (code, reply)
            if not done.accepted:
                smtp.rset()
                return False
            code, reply = smtp.docmd("DATA")
            if code != 354:
                raise smtplib.SMTPDataError(code, reply)
            smtp.send(_data_payload(data))
            return True

        def answer() -> None:
            code, reply = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)

        if self._guard(envelope_and_data):
            self._guard(answer, in_doubt=True)
        return done

    def refusal(self, refused: dict[str, tuple[int, bytes]]) -> DeliveryError:
        """Every recipient refused: temporary when every refusal was."""
        text, temporary, code = _classify(smtplib.SMTPRecipientsRefused(refused), self.where)
        return DeliveryError(_scrub(text, self._secrets), temporary=temporary, code=code)


def send_message(message: EmailMessage, settings: EmailSettings) -> dict[str, tuple[int, bytes]]:
    """Deliver one mail to every configured recipient, in as many transactions as the server's
    recipient limit needs; returns the recipients refused when at least one was accepted.

    Raises DeliveryError for everything else; its text never holds the password.
    """
    with Session(settings) as session:
        remaining = list(settings.recipients)
        refused: dict[str, tuple[int, bytes]] = {}
        accepted = False
        while remaining:
            done = session.send(message, remaining)
            refused.update(done.refused)
            accepted = accepted or bool(done.accepted)
            remaining = done.deferred
        if not accepted:
            raise session.refusal(refused)
        return refused
