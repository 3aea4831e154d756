"""What the commands print: a cycle's summary, the status table, statements and reports."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from scheduler.cycle import CycleReport
from scheduler.output import alert_summary, run_table, shorten, table
from storage.text import safe_line, safe_text


def echo_cycle(report: CycleReport, title: str) -> None:
    click.echo(
        f"{title}: run {report.run_id} {report.status}, {report.articles_new} new "
        f"articles in {report.duration_s:.1f} s"
    )
    click.echo(run_table(report.stats))
    if report.error:
        click.echo(f"error: {safe_line(report.error)}", err=True)
    if report.diff is not None and report.delivery is not None:
        click.echo(
            f"diff: {report.diff.reports_decided} reports decided, "
            f"{report.diff.statements_new} new statements, {report.diff.alerts_queued} alerts "
            f"queued; delivery: {report.delivery.sent} sent, {report.delivery.retrying} to "
            f"retry, {report.delivery.failed} failed"
        )
        for error in report.delivery.errors:
            click.echo(f"alert delivery: {safe_line(error)}", err=True)


def echo_problems(report: CycleReport) -> None:
    """Cron mode: one line on stderr per problem, nothing else."""
    for stats in report.stats:
        if stats.failed:
            click.echo(
                safe_line(f"peacewatch: {stats.source_id} failed: {stats.error_text}"), err=True
            )
    for error in report.delivery.errors if report.delivery else []:
        click.echo(safe_line(f"peacewatch: alert delivery: {error}"), err=True)
    for change in report.health:
        click.echo(
            safe_line(
                f"peacewatch: source {change['source_id']} {change['state']}: {change['reason']}"
            ),
            err=True,
        )


def echo_alerts(report: CycleReport, every: bool = True) -> None:
    """The count of alerts a cycle raised, and (``every``) each of them."""
    delivered = report.delivery.delivered if report.delivery else []
    click.echo(f"alerts raised: {len(delivered)}")
    if every:
        for payload in delivered:
            click.echo(alert_summary(payload))


def cycle_record(report: CycleReport) -> dict[str, Any]:
    """A cycle as one JSON object (``run --json``, ``demo --json``): the run, each source's
    figures, the diff, the delivery and the alerts it raised (docs/VOCABULARY.md)."""
    delivery = report.delivery
    return {
        "run_id": report.run_id,
        "status": report.status,
        "articles_new": report.articles_new,
        "duration_s": round(report.duration_s, 3),
        "error": report.error,
        "sources": [dataclasses.asdict(stats) for stats in report.stats],
        "diff": dataclasses.asdict(report.diff) if report.diff is not None else None,
        "delivery": None
        if delivery is None
        else {
            "sent": delivery.sent,
            "retrying": delivery.retrying,
            "failed": delivery.failed,
            "left": delivery.left,
            "errors": delivery.errors,
        },
        "alerts": list(delivery.delivered) if delivery is not None else [],
        "health": report.health,
    }


def _minute(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


def status_table(rows: list[dict[str, Any]]) -> str:
    return table(
        (
            "source",
            "state",
            "last run",
            "status",
            "next due",
            "new",
            "reports",
            "statements",
            "errors",
            "refused",
            "last error",
        ),
        [
            (
                r["source"],
                r["state"] if r["enabled"] else "disabled",
                _minute(r["last_run"]),
                r["last_status"] or "",
                _minute(r["next_due"]),
                r["articles_last_run"],
                r["reports_last_run"],
                r["new_statements_last_run"],
                r["errors_last_run"],
                r["refused_offsite_last_run"],
                shorten(r["state_reason"] or r["last_error"] or "", 60),
            )
            for r in rows
        ],
    )


def outbox_table(rows: list[dict[str, Any]]) -> str:
    """The outbox per alert channel: what waits, what failed, and the last error."""
    return table(
        ("channel", "pending", "failed", "sent", "last error", "at"),
        [
            (
                r["channel"],
                r["pending"],
                r["failed"],
                r["sent"],
                shorten(r["last_error"] or "", 70),
                _minute(r["last_error_at"]),
            )
            for r in rows
        ],
    )


def servers_table(rows: list[dict[str, Any]]) -> str:
    """The scrapyd servers as last seen: reachable, the egg they hold, last cycle's work."""
    return table(
        ("scrapyd server", "state", "egg", "jobs", "articles", "open jobs", "checked", "error"),
        [
            (
                r["url"],
                "ok" if r["ok"] else "DOWN" if not r["last_ok_at"] else "FAILING",
                r["egg_version"] or "",
                r["jobs"],
                r["articles_new"],
                r["jobs_open"],
                _minute(r["checked_at"]),
                shorten(r["last_error"] or "", 70),
            )
            for r in rows
        ],
    )


def statements_table(rows: list[dict[str, Any]]) -> str:
    return table(
        ("id", "said (UTC)", "speaker", "lang", "outlets", "peace", "alerted", "text"),
        [
            (
                r["id"],
                _minute(r["said_at"]),
                r["speaker"],
                r["language"],
                r["outlet_count"],
                "yes" if r["about_peace_talks"] else "",
                {True: "yes", False: "pending", None: ""}[r["alerted"]],
                shorten(r["text"], 70),
            )
            for r in rows
        ],
    )


def _why(report: dict[str, Any]) -> str:
    why = report["why"]
    if why.get("decision") == "joined" and "score" in why:
        parts = ", ".join(f"{k} {v}" for k, v in why.get("parts", {}).items())
        return f"joined, score {why['score']} ({parts})"
    if why.get("decision") == "joined":
        return f"joined: {why.get('occasion', 'same occasion')}"
    background = ", background" if why.get("background") else ""
    return f"created it ({why.get('candidates', 0)} candidates{background})"


def statement_detail(statement: dict[str, Any]) -> str:
    lines = [
        f"statement {statement['id']}: {statement['speaker']} "
        f"(as written: {statement['speaker_as_written']})",
        f"  {statement['text']}",
        f"  said {statement['said_at']}, {statement['kind']}, {statement['language']}; "
        f"{statement['report_count']} reports in {statement['outlet_count']} outlets "
        f"({', '.join(statement['languages'])}); about peace talks: "
        f"{'yes' if statement['about_peace_talks'] else 'no'}"
        + ("; first seen through a recap" if statement["first_seen_via_recap"] else ""),
        f"  first: {statement['first_outlet']} {statement['first_url']}",
    ]
    if statement.get("background"):
        lines.append("  background: said well before it was reported; never alerted")
    if statement.get("claims"):
        lines.append(f"  claims ({len(statement['claims'])}):")
        lines.extend(
            f"    - {c['text']} [{c['language']}, {c['outlet']}]" for c in statement["claims"]
        )
    if statement["topic_terms"]:
        lines.append(
            f"  terms: {', '.join(statement['topic_terms'])} (score {statement['topic_score']})"
        )
    for alert in statement["alerts"]:
        kind = " (update)" if alert.get("type") == "update" else ""
        lines.append(
            f"  alert {alert['channel']}{kind}: {alert['status']}"
            + (f" ({alert['last_error']})" if alert["last_error"] else "")
        )
    rows = [
        (
            r["outlet"],
            r["language"],
            _minute(r["published"]),
            r["kind"],
            "recap" if r["recap"] else "",
            _why(r),
            r["url"],
        )
        for r in statement["reports"]
    ]
    lines.append(table(("outlet", "lang", "published", "kind", "recap", "why", "url"), rows))
    return safe_text("\n".join(lines))


def analysis_table(reports: list[Any]) -> str:
    rows = [
        (
            r.speaker,
            r.speaker_as_written[:24],
            r.kind,
            "recap" if r.recap else "",
            "yes" if r.about_peace_talks else "",
            f"{r.topic_score:g}",
            r.text[:70],
        )
        for r in reports
    ]
    return table(("speaker", "as written", "kind", "recap", "peace", "score", "text"), rows)
