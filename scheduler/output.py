"""Human tables and JSON lines for the command line."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from storage.models import SourceRunStats
from storage.text import safe_data, safe_line, safe_text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Aligned columns; every cell one line, without control or bidi-control characters."""
    cells = [[str(h) for h in headers]] + [
        ["" if v is None else safe_line(str(v)) for v in r] for r in rows
    ]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append(
            "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(row)).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def json_line(record: dict[str, Any]) -> str:
    """One JSON object; its strings without control or bidi-control characters."""
    return json.dumps(safe_data(record), ensure_ascii=False, sort_keys=False)


def run_table(stats: list[SourceRunStats]) -> str:
    rows = [
        (
            s.source_id,
            s.status,
            s.requests,
            s.not_modified,
            s.items_seen,
            s.skipped_known,
            s.articles_new,
            s.reports,
            s.statements_new,
            s.errors,
            s.refused_offsite,
            (s.error_text or s.deferred_until or "")[:70],
        )
        for s in sorted(stats, key=lambda s: s.source_id)
    ]
    return table(
        (
            "source",
            "status",
            "requests",
            "304",
            "items",
            "known",
            "new",
            "reports",
            "statements",
            "errors",
            "refused",
            "first error",
        ),
        rows,
    )


def shorten(text: str, limit: int) -> str:
    text = safe_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_summary(payload: dict[str, Any]) -> str:
    """One alert as a person reads it in a terminal: who, how many outlets, what."""
    if payload.get("type") != "statement":
        health = payload.get(payload.get("type", ""), {})
        return safe_line(
            f"[{payload.get('type')}] {health.get('source_id')}: {health.get('state')} "
            f"{health.get('reason', '')}"
        )
    statement = payload["statement"]
    others = [o for o in statement["outlets"] if o != statement["first_outlet"]]
    recap = " (first seen in a recap)" if statement["first_seen_via_recap"] else ""
    lines = [
        f"#{statement['id']} {statement['speaker']} — {statement['kind']}, "
        f"{statement['said_at'][:16].replace('T', ' ')} UTC{recap}",
        f"    {shorten(statement['text'], 160)}",
        f"    first: {statement['first_outlet']} {statement['first_url']}",
    ]
    if others:
        lines.append(
            f"    also: {', '.join(others)} ({statement['outlet_count']} outlets, "
            f"{', '.join(statement['languages'])})"
        )
    return safe_text("\n".join(lines))
