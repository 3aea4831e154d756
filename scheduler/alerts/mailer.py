"""The SMTP transport of the email channel (DESIGN §7): putting one built mail on the wire.

One job: deliver a message from ``scheduler.alerts.email`` to the configured server. Delivery
never downgrades security: the certificate and host name are always verified and a STARTTLS
server that does not offer STARTTLS is refused rather than spoken to in clear text. Every
failure comes back as one ``DeliveryError`` that says whether a retry can help, so the outbox
can back off or give up; its text never holds the password.
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from email.message import EmailMessage

from scheduler.alerts.email import sanitize_header
from scheduler.config import EmailSettings

__all__ = [
    "DeliveryError",
    "send_message",
]


class DeliveryError(Exception):
    """A mail was not delivered; ``temporary`` tells the outbox whether retrying can help."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code

    def __repr__(self) -> str:
        return f"DeliveryError({self.args[0]!r}, temporary={self.temporary!r}, code={self.code!r})"


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


def send_message(message: EmailMessage, settings: EmailSettings) -> dict[str, tuple[int, bytes]]:
    """Deliver one mail; returns the recipients refused when at least one was accepted.

    Raises DeliveryError for everything else; its text never holds the password.
    """
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
    host, port, timeout = settings.host, settings.port, settings.timeout_seconds
    where = f"{host}:{port}"
    secrets = _secrets(settings)
    context = _tls_context(settings) if settings.security != "none" else None
    smtp: smtplib.SMTP | None = None
    polite = True
    try:
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"{where}: server does not offer STARTTLS; refusing to send in clear text",
                    temporary=False,
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            smtp.login(settings.username, settings.password.reveal())
        return smtp.send_message(message, to_addrs=list(settings.recipients))
    except DeliveryError:
        raise
    except (OSError, ValueError) as exc:  # smtplib's and ssl's errors are OSErrors
        text, temporary, code = _classify(exc, where)
        polite = not temporary or isinstance(exc, smtplib.SMTPResponseException)
        error = DeliveryError(_scrub(text, secrets), temporary=temporary, code=code)
        # Keep the original for debugging unless something in its chain shows the secret.
        if not _chain_mentions(exc, secrets):
            raise error from exc
    finally:
        if smtp is not None:
            _close(smtp, polite)
    # Raised out here, not in the handler, so not even __context__ refers to the original.
    raise error
