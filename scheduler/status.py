"""``peacewatch status``: per source, what its last run did, when it is due, how it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.config import Config
from scheduler.due import next_due
from storage.health import source_overview


def source_status(db: Any, config: Config, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    overview = source_overview(db)
    rows = []
    for source in config.sources:
        seen = overview.get(source.id, {})
        last_run = seen.get("last_run")
        due = next_due(source, datetime.fromisoformat(last_run) if last_run else None, now)
        rows.append(
            {
                "source": source.id,
                "enabled": source.enabled,
                "interval_minutes": source.interval_minutes,
                "last_run": last_run,
                "last_status": seen.get("last_status"),
                "next_due": due.isoformat(timespec="seconds") if source.enabled else None,
                "articles_last_run": seen.get("last_articles"),
                "reports_last_run": seen.get("last_reports"),
                "new_statements_last_run": seen.get("last_statements_new"),
                "errors_last_run": seen.get("last_errors"),
                "refused_offsite_last_run": seen.get("last_refused_offsite"),
                "articles": seen.get("articles", 0),
                "reports": seen.get("reports", 0),
                "state": seen.get("state") or ("never run" if last_run is None else "ok"),
                "state_since": seen.get("state_since"),
                "state_reason": seen.get("state_reason"),
                "last_error": seen.get("last_error"),
                "deferred_until": seen.get("deferred_until"),
            }
        )
    return rows
