"""The email channel of the alert outbox (DESIGN §7).

Scraped titles and texts are hostile input: they reach headers only through
``sanitize_header`` and the body only without control characters. Delivery never downgrades
security: the certificate and host name are always verified and a STARTTLS server that does
not offer STARTTLS is refused rather than spoken to in clear text. Every failure comes back as
one ``DeliveryError`` that says whether a retry can help, so the outbox can back off or give up.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import Any

from scheduler.config import EmailSettings

__all__ = [
    "DeliveryError",
    "build_message",
    "message_id",
    "sanitize_header",
    "send_message",
]

SUBJECT_LIMIT = 180
_SPEAKER_LIMIT = 60
_SNIPPET_LIMIT = 100
_FALLBACK_DOMAIN = "peacewatch.invalid"
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*$")
# Everything that could end a header line or confuse a reader of one: C0, DEL, C1 (incl. NEL
# \x85), and the Unicode line and paragraph separators (\v and \f are C0 already).
_HEADER_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A body keeps its line structure and tabs, nothing else below 0x20 (a lone \r or a NUL can
# make MTAs and mail clients disagree about where lines end).
_BODY_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES = re.compile("[\ud800-\udfff]")

KINDS = {"direct": "direct quote", "indirect": "paraphrase (indirect speech)"}


class DeliveryError(Exception):
    """A mail was not delivered; ``temporary`` tells the outbox whether retrying can help."""

    def __init__(self, message: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code

    def __repr__(self) -> str:
        return f"DeliveryError({self.args[0]!r}, temporary={self.temporary!r}, code={self.code!r})"


# --- headers and ids ---------------------------------------------------------------------


def sanitize_header(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of text that cannot start a new header, whatever the scraped page contained."""
    text = _SURROGATES.sub("\ufffd", str(text))
    text = _HEADER_BREAKERS.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().lower() if "@" in address else ""
    return domain if len(domain) <= 253 and _DOMAIN_RE.match(domain) else _FALLBACK_DOMAIN


def message_id(keys: Sequence[str], domain: str) -> str:
    """Derived from the alert keys only, so a re-send after a crash is the same message."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()[:32]
    if len(domain) > 253 or not _DOMAIN_RE.match(domain):
        domain = _FALLBACK_DOMAIN
    return f"<peacewatch.{digest}@{domain}>"


# --- building ------------------------------------------------------------------------------


def _body_text(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROLS.sub("", _SURROGATES.sub("\ufffd", text))


def _when(value: Any) -> str:
    """ISO 8601 from the store shown as UTC minutes; anything unparsable shown as it came."""
    if not value:
        return "unknown"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return sanitize_header(str(value), 40)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _speaker(statement: dict[str, Any]) -> str:
    return str(statement.get("speaker") or statement.get("speaker_as_written") or "unknown speaker")


def _statement_subject_part(statement: dict[str, Any]) -> str:
    speaker = sanitize_header(_speaker(statement), _SPEAKER_LIMIT)
    snippet = sanitize_header(
        str(statement.get("text") or statement.get("title") or ""), _SNIPPET_LIMIT
    )
    return f"{speaker}: {snippet}" if snippet else speaker


def _health_subject_part(health: dict[str, Any]) -> str:
    name = sanitize_header(str(health.get("source_name") or health.get("source_id") or "?"), 60)
    state = sanitize_header(str(health.get("state") or "?"), 20)
    return f"source {name} {state}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _subject(alerts: Sequence[dict[str, Any]], prefix: str) -> str:
    if len(alerts) == 1:
        alert = alerts[0]
        if alert.get("type") == "health":
            part = _health_subject_part(alert.get("health") or {})
        else:
            part = _statement_subject_part(alert.get("statement") or {})
    else:
        statements = sum(1 for a in alerts if a.get("type") != "health")
        health = len(alerts) - statements
        parts = []
        if statements:
            parts.append(f"{_plural(statements, 'new statement')}")
        if health:
            parts.append(f"{_plural(health, 'source health alert')}")
        part = ", ".join(parts)
    return sanitize_header(f"{prefix} {part}" if prefix else part)


def _first_published(statement: dict[str, Any]) -> str:
    parsed = []
    for outlet in statement.get("outlets") or ():
        if not outlet.get("published_at"):
            continue
        try:
            moment = datetime.fromisoformat(str(outlet["published_at"]))
        except ValueError:
            continue
        parsed.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if parsed:
        return _when(min(parsed).isoformat())
    return _when(statement.get("said_at"))


def _outlet_line(outlet: dict[str, Any]) -> str:
    name = _body_text(outlet.get("name") or outlet.get("outlet") or "?")
    language = f" [{_body_text(outlet['language'])}]" if outlet.get("language") else ""
    when = f", {_when(outlet['published_at'])}" if outlet.get("published_at") else ""
    url = _body_text(outlet.get("url") or "")
    return f"  - {name}{language}{when}\n    {url}" if url else f"  - {name}{language}{when}"


def _statement_body(alert: dict[str, Any]) -> list[str]:
    s = alert.get("statement") or {}
    speaker = _body_text(_speaker(s))
    written = _body_text(s.get("speaker_as_written") or "")
    lines = [f"Speaker: {speaker}" + (f" (as written: {written})" if written else "")]
    kind = str(s.get("kind") or "")
    lines.append(f"Kind: {KINDS.get(kind, _body_text(kind) or 'unknown')}")
    lines.append(f"Language: {_body_text(s.get('language') or 'unknown')}")
    lines.append(f"Said: {_when(s.get('said_at'))}; first published: {_first_published(s)}")
    lines.append("")
    lines.append("Statement (original language):")
    text = _body_text(s.get("text") or "").strip() or "(no text)"
    lines.extend(f"  {line}" if line else "" for line in text.split("\n"))
    lines.append("")
    if s.get("title"):
        lines.append(f"Article title: {_body_text(s['title']).strip()}")
    first_name = _body_text(s.get("first_outlet_name") or s.get("first_outlet") or "unknown")
    lines.append(f"First outlet: {first_name}")
    if s.get("first_url"):
        lines.append(f"  {_body_text(s['first_url'])}")
    if s.get("first_seen_via_recap"):
        lines.append(
            "Note: first seen through a recap (an article repeated it as background), "
            "so the first outlet may not be where it was first said."
        )
    outlets = list(s.get("outlets") or ())
    first = s.get("first_outlet")
    others = [o for o in outlets if not (first and o.get("outlet") == first)]
    outlet_count = s.get("outlet_count", len(outlets))
    report_count = s.get("report_count")
    languages = ", ".join(_body_text(x) for x in s.get("languages") or ())
    summary = f"Carried by {outlet_count} outlet(s)"
    if report_count is not None:
        summary += f", {report_count} report(s)"
    if languages:
        summary += f", in {languages}"
    lines.append(summary + ".")
    if others:
        lines.append(f"Other outlets that carried it ({len(others)}):")
        lines.extend(_outlet_line(o) for o in others)
    else:
        lines.append("No other outlet has carried it yet.")
    lines.append("")
    terms = ", ".join(_body_text(t) for t in s.get("topic_terms") or ()) or "none"
    lines.append(f"Topic terms matched: {terms}")
    concepts = ", ".join(_body_text(c) for c in s.get("topic_concepts") or ())
    if concepts:
        lines.append(f"Topic concepts: {concepts}")
    score = s.get("topic_score")
    lines.append(f"Topic score: {_body_text(score) if score is not None else 'unknown'}")
    return lines


def _health_body(alert: dict[str, Any]) -> list[str]:
    h = alert.get("health") or {}
    name = _body_text(h.get("source_name") or h.get("source_id") or "?")
    source_id = _body_text(h.get("source_id") or "")
    state = str(h.get("state") or "")
    label = f"{name} ({source_id})" if source_id and source_id != name else name
    if state == "recovered":
        lines = [f"Source {label} has recovered."]
    else:
        lines = [f"Source {label} is {_body_text(state) or 'in an unknown state'}."]
    if h.get("reason"):
        lines.append(f"Reason: {_body_text(h['reason'])}")
    if h.get("since"):
        lines.append(f"Since: {_when(h['since'])}")
    return lines


def _alert_body(alert: dict[str, Any]) -> list[str]:
    lines = _health_body(alert) if alert.get("type") == "health" else _statement_body(alert)
    created = f"raised {_when(alert.get('created_at'))}" if alert.get("created_at") else ""
    key = _body_text(alert.get("key") or "")
    footer = "; ".join(x for x in (f"alert {key}" if key else "", created) if x)
    if footer:
        lines += ["", f"({footer})"]
    return lines


def _body(alerts: Sequence[dict[str, Any]]) -> str:
    if len(alerts) == 1:
        return "\n".join(_alert_body(alerts[0])) + "\n"
    statements = [a for a in alerts if a.get("type") != "health"]
    health = [a for a in alerts if a.get("type") == "health"]
    counts = []
    if statements:
        counts.append(_plural(len(statements), "new statement"))
    if health:
        counts.append(_plural(len(health), "source health alert"))
    lines = [f"peacewatch digest: {', '.join(counts)}.", ""]
    for number, alert in enumerate([*statements, *health], 1):
        if alert.get("type") == "health":
            title = _health_subject_part(alert.get("health") or {})
        else:
            title = _statement_subject_part(alert.get("statement") or {})
        lines += ["=" * 72, f"{number}. {title}", "=" * 72, ""]
        lines += _alert_body(alert)
        lines.append("")
    return "\n".join(lines)


def _encoded_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Encode and fold a non-ASCII subject ourselves instead of leaving it to the policy.

    CPython's folder loses the blank between two words when a fold falls between encoded
    words (gh-92081: "Я бы поощрял каждую" arrives as "поощрялкаждую"); its fix in 3.12.5
    broke compliance in another way (gh-144156). Here every blank travels inside an encoded
    word, which is lossless on every version. Lines stay within 78 characters, so the policy
    emits the value as it is; ``subject`` has already been through sanitize_header.
    """
    first_room = 78 - len("Subject: ")
    if subject.isascii() and len(subject) <= first_room:
        message["Subject"] = subject
        return
    words: list[str] = []
    room, chunk = first_room, ""
    for char in subject:
        if chunk and len(_encoded_word(chunk + char)) > room:
            words.append(_encoded_word(chunk))
            room, chunk = 75, ""  # RFC 2047's limit; with the folding blank, 76 of 78
        chunk += char
    if chunk:
        words.append(_encoded_word(chunk))
    message.set_raw("Subject", "\n ".join(words))


def build_message(alerts: Sequence[dict[str, Any]], settings: EmailSettings) -> EmailMessage:
    """One alert makes an immediate mail, several one digest; the Message-ID follows the keys."""
    if not alerts:
        raise ValueError("build_message needs at least one alert")
    message = EmailMessage(policy=default_policy)
    _set_subject(message, _subject(alerts, sanitize_header(settings.subject_prefix, 40)))
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
    keys = [str(a.get("key") or a.get("alert_id") or "") for a in alerts]
    message["Message-ID"] = message_id(keys, _domain(settings.sender))
    # RFC 3834: tells vacation responders and mailing lists not to answer a robot.
    message["Auto-Submitted"] = "auto-generated"
    body = _body(alerts)
    # Quoted-printable keeps the mail 7-bit clean for relays without 8BITMIME and the URLs
    # readable in the raw source.
    message.set_content(body, charset="utf-8", cte="7bit" if body.isascii() else "quoted-printable")
    return message


# --- sending -------------------------------------------------------------------------------


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
