"""The email channel of the alert outbox (DESIGN §7): building the alert mails.

One job: turn outbox alerts into an ``EmailMessage`` (an immediate mail or a digest) with a
stable Message-ID, and digests into as few mails as fit the server's SIZE (``fit_messages``);
putting them on the wire is ``scheduler.alerts.mailer``'s job. Scraped titles
and texts are hostile input: they reach headers only through ``sanitize_header`` and the body
only without control characters.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import Any

from scheduler.alerts.digest import counts, digest, digest_subject
from scheduler.alerts.email_html import html_body
from scheduler.config import EmailSettings
from storage.text import safe_line, safe_text

__all__ = [
    "build_message",
    "fit_messages",
    "message_bytes",
    "message_id",
    "plain_body",
    "sanitize_header",
    "subject_line",
]

SUBJECT_LIMIT = 180
_SPEAKER_LIMIT = 60
_SNIPPET_LIMIT = 100
_FALLBACK_DOMAIN = "peacewatch.invalid"
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*$")
# Control and bidi-control characters: storage.text, the one definition every output uses.
# A header line loses everything that could end it or confuse a reader of it (C0, DEL, C1 incl.
# NEL, the Unicode line and paragraph separators); a body keeps its line structure and tabs
# (a lone \r or a NUL can make MTAs and mail clients disagree about where lines end).
_SURROGATES = re.compile("[\ud800-\udfff]")

KINDS = {"direct": "direct quote", "indirect": "paraphrase (indirect speech)"}


# --- headers and ids ---------------------------------------------------------------------


def sanitize_header(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of text that cannot start a new header, whatever the scraped page contained."""
    text = safe_line(_SURROGATES.sub("\ufffd", str(text)))
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
    return safe_text(_SURROGATES.sub("\ufffd", text))


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


def _title(alert: dict[str, Any], update: str = "update: ") -> str:
    """One alert in a line: a subject, or a digest's entry."""
    if alert.get("type") == "health":
        return _health_subject_part(alert.get("health") or {})
    part = _statement_subject_part(alert.get("statement") or {})
    return update + part if alert.get("type") == "update" else part


def subject_line(alerts: Sequence[dict[str, Any]], prefix: str) -> str:
    part = _title(alerts[0]) if len(alerts) == 1 else digest_subject(alerts)
    return sanitize_header(f"{prefix} {part}" if prefix else part)


def _first_published(statement: dict[str, Any]) -> str:
    parsed = []
    for outlet in statement.get("outlet_links") or ():
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
    claims = [c for c in s.get("claims") or () if c.get("text")]
    if len(claims) > 1:
        lines.append(f"What {speaker} said on this occasion ({len(claims)} points):")
        lines.extend(
            f"  - {_body_text(c['text']).strip()} [{_body_text(c.get('language') or '')}]"
            for c in claims
        )
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
    outlets = list(s.get("outlet_links") or ())
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
        if s.get("outlets_omitted"):
            lines.append(f"  … and {s['outlets_omitted']} more")
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


def _update_lines(alert: dict[str, Any]) -> list[str]:
    """An update: the points one more article carried of a statement already alerted."""
    points = [c for c in (alert.get("update") or {}).get("new_claims") or () if c.get("text")]
    if not points:
        return []
    outlet = _body_text(points[0].get("outlet") or "an outlet")
    lines = [f"Update: {outlet} carried new points of this statement, already alerted:"]
    lines += [f"  - {_body_text(c['text']).strip()}" for c in points]
    if points[0].get("url"):
        lines.append(f"    {_body_text(points[0]['url'])}")
    return [*lines, ""]


def _alert_body(alert: dict[str, Any]) -> list[str]:
    if alert.get("type") == "health":
        lines = _health_body(alert)
    elif alert.get("type") == "update":
        lines = _update_lines(alert) + _statement_body(alert)
    else:
        lines = _statement_body(alert)
    created = f"raised {_when(alert.get('created_at'))}" if alert.get("created_at") else ""
    key = _body_text(alert.get("key") or "")
    footer = "; ".join(x for x in (f"alert {key}" if key else "", created) if x)
    if footer:
        lines += ["", f"({footer})"]
    return lines


def plain_body(alerts: Sequence[dict[str, Any]]) -> str:
    if len(alerts) == 1:
        return "\n".join(_alert_body(alerts[0])) + "\n"
    found = digest(alerts)
    lines = [f"peacewatch digest: {counts(found)}.", ""]
    sections = (
        (found.statements, "New statements on peace talks, newest occasion first"),
        (found.updates, "Updates: new points of statements already alerted"),
        (found.health, "Source health"),
    )
    number = 0
    for section, heading in sections:
        if not section:
            continue
        lines += [heading.upper(), ""]
        for alert in section:
            number += 1
            lines += ["=" * 72, f"{number}. {_title(alert, 'Update: ')}", "=" * 72, ""]
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


#: An alert too big for the server's SIZE on its own goes with this much of its text and title
#: and this many of its outlets (the link to the article stays).
_SHORT_TEXT = 1000
_SHORT_OUTLETS = 10
_SHORTENED_NOTE = " … [shortened to fit the mail server's size limit; the full text is at the link]"


def _shortened(alert: dict[str, Any]) -> dict[str, Any]:
    statement = alert.get("statement")
    if not isinstance(statement, dict):
        return alert
    short = dict(statement)
    text = str(statement.get("text") or "")
    if len(text) > _SHORT_TEXT:
        short["text"] = text[:_SHORT_TEXT].rstrip() + _SHORTENED_NOTE
    title = str(statement.get("title") or "")
    if len(title) > _SHORT_TEXT:
        short["title"] = title[:_SHORT_TEXT].rstrip() + " …"
    short["claims"] = [
        {**claim, "text": str(claim.get("text") or "")[:_SHORT_TEXT].rstrip() + _SHORTENED_NOTE}
        if len(str(claim.get("text") or "")) > _SHORT_TEXT
        else claim
        for claim in statement.get("claims") or ()
    ]
    outlets = list(statement.get("outlet_links") or ())
    if len(outlets) > _SHORT_OUTLETS:
        short["outlet_links"] = outlets[:_SHORT_OUTLETS]
        short["outlets_omitted"] = len(outlets) - _SHORT_OUTLETS
    return {**alert, "statement": short}


def build_message(
    alerts: Sequence[dict[str, Any]], settings: EmailSettings, *, shortened: bool = False
) -> EmailMessage:
    """One alert makes an immediate mail, several one digest; the Message-ID follows the keys.

    ``shortened``: long statement texts, titles and outlet lists are cut (for a server whose
    SIZE an alert exceeds on its own); the Message-ID stays the same.
    """
    if not alerts:
        raise ValueError("build_message needs at least one alert")
    if shortened:
        alerts = [_shortened(alert) for alert in alerts]
    message = EmailMessage(policy=default_policy)
    _set_subject(message, subject_line(alerts, sanitize_header(settings.subject_prefix, 40)))
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(datetime.now(UTC), usegmt=True)
    keys = [str(a.get("key") or a.get("alert_id") or "") for a in alerts]
    message["Message-ID"] = message_id(keys, _domain(settings.sender))
    # RFC 3834: tells vacation responders and mailing lists not to answer a robot.
    message["Auto-Submitted"] = "auto-generated"
    body = plain_body(alerts)
    # Quoted-printable keeps the mail 7-bit clean for relays without 8BITMIME and the URLs
    # readable in the raw source.
    message.set_content(body, charset="utf-8", cte="7bit" if body.isascii() else "quoted-printable")
    # the same alerts as HTML, from the web view's templates; a client shows one of the two
    message.add_alternative(html_body(alerts), subtype="html", cte="quoted-printable")
    return message


# --- fitting the server's SIZE -------------------------------------------------------------


def message_bytes(message: EmailMessage, *, utf8: bool = False) -> bytes:
    """The message as it goes on the wire (CRLF line ends), flattened as smtplib does it."""
    with io.BytesIO() as out:
        if utf8:
            policy = message.policy.clone(utf8=True)  # type: ignore[call-arg]  # an EmailPolicy
            generator = BytesGenerator(out, policy=policy)
        else:
            generator = BytesGenerator(out)
        generator.flatten(message, linesep="\r\n")
        return out.getvalue()


def _fits(message: EmailMessage, room: int) -> bool:
    return len(message_bytes(message)) <= room


def fit_messages(
    alerts: Sequence[dict[str, Any]], settings: EmailSettings, limit: int | None
) -> list[tuple[list[dict[str, Any]], EmailMessage]]:
    """The alerts as few mails as fit ``limit`` bytes each (the server's SIZE), in order.

    Each mail is the longest run of alerts that fits (found by doubling, then halving: a few
    builds per mail, not one per alert). An alert too big for a mail of its own goes alone and
    shortened, so it never takes the others down. ``limit`` None: one mail.
    """
    if limit is None:
        return [(list(alerts), build_message(alerts, settings))] if alerts else []
    room = limit - max(limit // 50, 64)  # dot-stuffing and the server's own counting
    parts: list[tuple[list[dict[str, Any]], EmailMessage]] = []
    start = 0
    while start < len(alerts):
        rest = alerts[start:]
        best: EmailMessage | None = None
        fits, too_many = 0, len(rest) + 1
        probe = 1
        while probe < too_many:
            message = build_message(rest[:probe], settings)
            if not _fits(message, room):
                too_many = probe
                break
            fits, best = probe, message
            if probe == len(rest):
                break
            probe = min(probe * 2, len(rest))
        while too_many - fits > 1:
            middle = (fits + too_many) // 2
            message = build_message(rest[:middle], settings)
            if _fits(message, room):
                fits, best = middle, message
            else:
                too_many = middle
        if best is None:
            parts.append(([rest[0]], build_message(rest[:1], settings, shortened=True)))
            start += 1
        else:
            parts.append((list(rest[:fits]), best))
            start += fits
    return parts
