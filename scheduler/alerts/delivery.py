"""Alert delivery: take what the outbox has due, hand it to each channel, record the outcome.

Marked sent only when the channel accepted it; a temporary failure (SMTP down, 4xx, a full
disk for the log) leaves it pending with a later retry time; a permanent refusal (5xx, an
untrusted certificate) fails it after ``max_attempts`` tries, logged with the error.

Email goes over one SMTP session per delivery: a server that does not answer costs one timeout,
and every alert waiting for it counts that failed try. Each recipient is tracked on its own
(``storage.recipients``): one refused for now gets the alert again later, alone; one the server
had no room for in a message (452) gets it in the next transaction. Past
``max_immediate_per_cycle`` new alerts, the rest go as a digest, and digests are split to fit
the server's SIZE. A delivery starts no new message after ``delivery_budget_seconds`` or once a
stop was asked for; what is left stays pending, untouched, for the next.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import Any

from scheduler.alerts import email as email_channel
from scheduler.alerts import mailer
from scheduler.alerts.chat import deliver_chat
from scheduler.alerts.log import write_alerts
from scheduler.config import AlertSettings
from storage.crashpoints import crash_point
from storage.outbox import (
    OutboxAlert,
    alert_payload,
    due_alerts,
    mark_failed_attempt,
    mark_sending,
    mark_sent,
)
from storage.recipients import (
    count_interrupted,
    mark_in_doubt,
    recipients_done,
    record_transaction,
    release,
    settle,
)

log = logging.getLogger("peacewatch.alerts")


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    #: due, but not tried by this delivery (stop asked, budget used up, server gone): pending
    left: int = 0
    #: the delivery ran (a cycle stopped during its crawl delivers nothing)
    ran: bool = False
    #: a stop was asked for while alerts were still to go
    stopped: bool = False
    errors: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def after_stop(self) -> str:
        """What a run stopped by a signal says about its alerts — only what is true."""
        if not self.ran:
            return "what was stored is kept; the next run decides it and sends its alerts"
        pending = self.left + self.retrying
        if self.stopped:
            return (
                f"alert delivery stopped after the message in flight: {self.sent} alert(s) "
                f"sent, {self.left} not sent yet and {self.retrying} to retry stay pending "
                "for the next run"
            )
        return f"the cycle had finished: {self.sent} alert(s) sent, " + (
            f"{pending} pending for the next run" if pending else "none left to send"
        )


class _Halt:
    """Whether a delivery may start another message: no stop asked, budget not used up."""

    def __init__(self, budget: float, stopping: threading.Event | None) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.stopping = stopping
        self.reason = ""

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def now(self) -> bool:
        if self.stopping is not None and self.stopping.is_set():
            self.reason = "stop"
        elif self.remaining() <= 0:
            self.reason = "budget"
        return bool(self.reason)


def deliver_alerts(
    db: Any, settings: AlertSettings, stopping: threading.Event | None = None
) -> DeliveryReport:
    """Deliver what is due on every channel; ``stopping`` set: finish the message in flight,
    start no other."""
    report = DeliveryReport(ran=True)
    halt = _Halt(settings.delivery_budget_seconds, stopping)
    for channel in settings.channels:
        if channel == "email":
            interrupted = [a.id for a in due_alerts(db, channel) if a.status == "sending"]
            report.failed += len(
                count_interrupted(db, interrupted, max_resends=settings.max_resends)
            )
        due = due_alerts(db, channel)
        if not due:
            continue
        if halt.now():
            report.left += len(due)
        elif channel == "log":
            _deliver_log(db, due, settings, report)
        elif channel == "chat":
            sent, retrying, failed, errors = deliver_chat(db, due, settings, halt.now)
            report.sent += sent
            report.retrying += retrying
            report.failed += failed
            report.errors += errors
            report.left += len(due) - sent - retrying - failed
        else:
            _EmailDelivery(db, settings, report, halt).run(due)
    if report.left and halt.reason == "stop":
        report.stopped = True
        log.info("stopped: %d alert(s) left pending for the next delivery", report.left)
    elif report.left and halt.reason == "budget":
        text = (
            f"delivery budget of {halt.budget:g} s used up; {report.left} alert(s) left "
            "pending for the next delivery"
        )
        report.errors.append(text)
        log.warning("%s", text)
    return report


# --- the log channel ----------------------------------------------------------------------


def _log_message_id(settings: AlertSettings, keys: list[str]) -> str:
    sender = settings.email.sender
    domain = sender.rpartition("@")[2] if "@" in sender else "peacewatch.invalid"
    return email_channel.message_id(keys, domain)


def _deliver_log(
    db: Any, due: list[OutboxAlert], settings: AlertSettings, report: DeliveryReport
) -> None:
    """Every due alert at once, one line each; an alert left ``sending`` keeps its id."""
    ids = [alert.id for alert in due]
    message_id = due[0].message_id or _log_message_id(settings, [a.key for a in due])
    payloads = [alert_payload(db, alert) for alert in due]
    for payload in payloads:
        payload["message_id"] = message_id
    mark_sending(db, ids, message_id)
    try:
        write_alerts(payloads, settings.log.path, sys.stderr if settings.log.stderr else None)
    except OSError as exc:
        error = f"cannot write alert log: {exc}"
        mark_failed_attempt(
            db,
            ids,
            error,
            permanent=False,
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.retry_backoff_seconds,
        )
        report.retrying += len(ids)
        report.errors.append(f"log: {error}")
        log.warning("log: delivery failed, will retry: %s", error)
        return
    crash_point("between-accept-and-sent")
    mark_sent(db, ids)
    report.sent += len(ids)
    report.delivered.extend(payloads)


# --- the email channel --------------------------------------------------------------------


@dataclass
class _Mail:
    """One message of a delivery and the alerts it carries."""

    alerts: list[OutboxAlert]
    payloads: list[dict[str, Any]]
    message: EmailMessage
    shortened: bool = False

    @property
    def ids(self) -> list[int]:
        return [alert.id for alert in self.alerts]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class _EmailDelivery:
    """One delivery's email: one session, the mails planned to fit, each recipient recorded."""

    def __init__(
        self, db: Any, settings: AlertSettings, report: DeliveryReport, halt: _Halt
    ) -> None:
        self.db = db
        self.settings = settings
        self.email = settings.email
        self.report = report
        self.halt = halt
        self.session: mailer.Session | None = None
        self.connections = 0
        self.mails_accepted = 0

    def run(self, due: list[OutboxAlert]) -> None:
        try:
            if not self._connect(due):
                return
            queue = deque(self._plan(due))
            while queue:
                waiting = sum(len(mail.alerts) for mail in queue)
                if self.halt.now():
                    self.report.left += waiting
                    return
                if self.session is None or not self.session.alive:
                    if self.connections > self.mails_accepted:
                        # the last connection delivered nothing: no new one in this delivery
                        self.report.left += waiting
                        return
                    if not self._connect([alert for mail in queue for alert in mail.alerts]):
                        return
                mail = queue.popleft()
                queue.extendleft(reversed(self._send(mail)))
        finally:
            if self.session is not None:
                self.session.close()

    def _connect(self, alerts: list[OutboxAlert]) -> bool:
        """A session, its timeouts within what is left of the budget; when the server cannot
        be reached, every alert waiting for it counts the failed try."""
        self.connections += 1
        timeout = max(1.0, min(self.email.timeout_seconds, self.halt.remaining()))
        try:
            self.session = mailer.Session(replace(self.email, timeout_seconds=timeout))
        except mailer.DeliveryError as exc:
            self.session = None
            self._count_failure([alert.id for alert in alerts], exc)
            return False
        return True

    def _plan(self, due: list[OutboxAlert]) -> list[_Mail]:
        """A mail that may have reached someone goes again as it went (same alerts, same
        Message-ID); new alerts one mail each up to ``max_immediate_per_cycle`` (immediate
        mode), the rest as digests that fit the server's SIZE."""
        done = recipients_done(self.db, [alert.id for alert in due])
        again: dict[str, list[OutboxAlert]] = {}
        fresh: list[OutboxAlert] = []
        for alert in due:
            if alert.message_id and (alert.sends_in_doubt or done[alert.id]):
                again.setdefault(alert.message_id, []).append(alert)
            else:
                fresh.append(alert)
        mails = [self._mail(group, message_id=mid) for mid, group in again.items()]
        # updates in "digest": one mail for all of them, whatever the mode of new alerts
        held = [a for a in fresh if a.type == "update" and self.email.updates == "digest"]
        fresh = [a for a in fresh if a not in held]
        if held:
            mails.extend(self._fitted(held))
        singles: list[OutboxAlert] = []
        if self.email.mode == "immediate":
            cap = self.email.max_per_cycle or self.settings.max_immediate_per_cycle
            singles, fresh = (fresh, []) if len(fresh) <= cap else (fresh[:cap], fresh[cap:])
            if fresh:
                log.info(
                    "email: %d new alerts, more than max_immediate_per_cycle = %d: "
                    "%d go as a digest",
                    len(singles) + len(fresh),
                    cap,
                    len(fresh),
                )
        for group in [[alert] for alert in singles] + ([fresh] if fresh else []):
            mails.extend(self._fitted(group))
        return mails

    def _mail(
        self, alerts: list[OutboxAlert], *, shortened: bool = False, message_id: str = ""
    ) -> _Mail:
        payloads = [alert_payload(self.db, alert) for alert in alerts]
        message = email_channel.build_message(payloads, self.email, shortened=shortened)
        if message_id:  # a mail going again keeps the Message-ID it went with
            message.replace_header("Message-ID", message_id)
        return _Mail(alerts, payloads, message, shortened)

    def _fitted(self, alerts: list[OutboxAlert]) -> list[_Mail]:
        limit = self.session.size_limit if self.session is not None else None
        by_id = {alert.id: alert for alert in alerts}
        payloads = [alert_payload(self.db, alert) for alert in alerts]
        return [
            _Mail([by_id[p["alert_id"]] for p in part], part, message)
            for part, message in email_channel.fit_messages(payloads, self.email, limit)
        ]

    def _send(self, mail: _Mail) -> list[_Mail]:
        """Send one mail to every recipient who lacks it, in as many transactions as the
        server's recipient limit needs; returns the mails to send instead (split for size)."""
        assert self.session is not None
        recipients = list(self.email.recipients)
        done = recipients_done(self.db, mail.ids)
        targets = [r for r in recipients if any(r not in done[i] for i in mail.ids)]
        if targets:
            mark_sending(self.db, mail.ids, mail.message_id)
        accepted = False
        while targets:
            try:
                result = self.session.send(mail.message, targets)
            except mailer.DeliveryError as exc:
                return self._failed(mail, exc)
            if result.accepted:
                crash_point("between-accept-and-sent")
                accepted = True
            refused = {
                recipient: (self.session.describe(code, reply), code >= 500)
                for recipient, (code, reply) in result.refused.items()
            }
            record_transaction(
                self.db,
                mail.ids,
                result.accepted,
                refused,
                max_attempts=self.settings.max_attempts,
            )
            targets = result.deferred
        self.mails_accepted += accepted
        settled = settle(
            self.db, mail.ids, recipients, backoff_seconds=self.settings.retry_backoff_seconds
        )
        self.report.sent += len(settled.sent)
        self.report.failed += len(settled.failed)
        self.report.retrying += len(settled.pending)
        for error in settled.errors:
            self.report.errors.append(f"email: {error}")
            log.warning("email: %s", error)
        return []

    def _failed(self, mail: _Mail, exc: mailer.DeliveryError) -> list[_Mail]:
        if exc.too_big and (len(mail.alerts) > 1 or not mail.shortened):
            # too big for the server: two halves, or the one alert shortened, go instead
            release(self.db, mail.ids)
            if len(mail.alerts) == 1:
                return [self._mail(mail.alerts, shortened=True, message_id=mail.message_id)]
            half = len(mail.alerts) // 2
            log.info("email: a digest of %d alerts is too big: split in two", len(mail.alerts))
            return [self._mail(mail.alerts[:half]), self._mail(mail.alerts[half:])]
        self._count_failure(mail.ids, exc)
        return []

    def _count_failure(self, ids: list[int], exc: mailer.DeliveryError) -> None:
        if exc.in_doubt:
            failed = mark_in_doubt(
                self.db,
                ids,
                str(exc),
                max_resends=self.settings.max_resends,
                backoff_seconds=self.settings.retry_backoff_seconds,
            )
        else:
            failed = mark_failed_attempt(
                self.db,
                ids,
                str(exc),
                permanent=not exc.temporary,
                max_attempts=self.settings.max_attempts,
                backoff_seconds=self.settings.retry_backoff_seconds,
            )
        self.report.failed += len(failed)
        self.report.retrying += len(ids) - len(failed)
        self.report.errors.append(f"email: {exc}")
        if failed:
            log.error("email: %d alert(s) failed for good: %s", len(failed), exc)
        else:
            log.warning("email: delivery failed, will retry: %s", exc)
