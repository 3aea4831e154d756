"""What each page of the web view shows, read from the store (read-only) in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from scheduler.ui.chart import Chart, build_chart
from storage.health import source_overview
from storage.outbox import outbox_summary
from storage.statements import (
    StatementFilter,
    get_statement,
    list_statements,
    peace_statements_per_day,
    speakers_named,
)

#: days the chart covers, back from the newest statement
CHART_DAYS = 30
#: statements a list page shows at most
PAGE_SIZE = 100


def why_text(why: dict[str, Any]) -> str:
    """Why a report is part of its statement, in a reader's words."""
    if why.get("decision") == "new":
        return "first report of this occasion"
    if why.get("occasion") == "same article":
        return "same article: the speaker's other words on this subject that day"
    if why.get("occasion"):
        return "same speaker, subject and day in another outlet"
    shared = why.get("shared") or {}
    words = ", ".join([*shared.get("concepts", []), *shared.get("words", [])][:6])
    score = why.get("score")
    said = "same words" if score is None else f"same words (score {score:.2f})"
    return f"{said}; shared: {words}" if words else said


def statement_card(db: Any, statement_id: int) -> dict[str, Any] | None:
    """One statement as the pages and the HTML digest show it: claims, outlets with their
    languages and links, and why each report was grouped with it."""
    statement = get_statement(db, statement_id)
    if statement is None:
        return None
    outlets: dict[str, dict[str, Any]] = {}
    for report in statement["reports"]:
        report["why_text"] = why_text(report["why"])
        outlets.setdefault(
            report["outlet"],
            {"outlet": report["outlet"], "language": report["language"], "url": report["url"]},
        )
    statement["outlet_links"] = list(outlets.values())
    return statement


def statement_cards(db: Any, flt: StatementFilter) -> list[dict[str, Any]]:
    cards = (statement_card(db, row["id"]) for row in list_statements(db, flt))
    return [card for card in cards if card is not None]


def chart(db: Any, speaker: str | None = None, newest: date | None = None) -> Chart:
    """Peace-talk statements per day over the last ``CHART_DAYS`` days that have any."""
    if newest is None:
        row = db.execute(
            "SELECT MAX(said_at) FROM statements WHERE about_peace_talks = 1 AND background = 0"
        ).fetchone()
        newest = date.fromisoformat(row[0][:10]) if row and row[0] else datetime.now(UTC).date()
    first = newest - timedelta(days=CHART_DAYS - 1)
    rows = peace_statements_per_day(db, first.isoformat(), speaker)
    if rows:  # no empty days before the first statement
        first = max(first, date.fromisoformat(rows[0]["day"]))
    return build_chart(rows, first, newest)


def front_page(db: Any, query: str = "") -> dict[str, Any]:
    """New statements by occasion (peace talks, background left out), newest said first; or
    the statements a search finds, in any word form."""
    flt = StatementFilter(
        peace_only=not query, fresh_only=not query, search=query or None, limit=PAGE_SIZE
    )
    return {"q": query, "statements": statement_cards(db, flt), "chart": chart(db)}


def speaker_page(db: Any, name: str) -> dict[str, Any]:
    named = speakers_named(db, name)
    canonical = named[0] if len(named) == 1 else name
    flt = StatementFilter(speaker=name, limit=PAGE_SIZE)
    return {
        "speaker": canonical,
        "statements": statement_cards(db, flt),
        "chart": chart(db, speaker=canonical),
    }


def day_page(db: Any, day: str) -> dict[str, Any]:
    date.fromisoformat(day)  # ValueError on anything else: the page answers 400
    flt = StatementFilter(day=day, limit=PAGE_SIZE)
    return {"day": day, "statements": statement_cards(db, flt)}


def health_page(db: Any) -> dict[str, Any]:
    return {
        "sources": sorted(source_overview(db).values(), key=lambda s: s["source_id"]),
        "outbox": outbox_summary(db),
    }
