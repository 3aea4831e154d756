"""Source health, Spidermon-like and built in: is a source failing, compared with itself?

Each source is judged on its own recent runs, not on a global number: an outlet that lists
five items a day and one that lists two hundred both have a normal. Pure rules here
(``assess``); ``storage/health.py`` keeps the state and queues one alert per change.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from scheduler.config import HealthSettings


@dataclass(frozen=True)
class Verdict:
    state: str  # ok | failing
    reason: str = ""


def assess(history: list[dict[str, Any]], settings: HealthSettings) -> Verdict:
    """``history``: the source's ``run_sources`` rows, newest first."""
    if not history:
        return Verdict("ok")
    latest = history[0]
    streak = 0
    for run in history:
        if run["status"] != "failed":
            break
        streak += 1
    if streak >= settings.failing_after_failed_runs:
        return Verdict(
            "failing",
            f"failed {streak} runs in a row: {latest.get('error_text') or 'no feed could be read'}",
        )
    if latest["status"] in ("deferred", "failed"):
        return Verdict("ok")  # waiting out a Retry-After; or failing, which the streak judges
    earlier = [run["items_seen"] for run in history[1 : settings.baseline_runs + 1]]
    usual = statistics.median(earlier) if earlier else 0
    if (
        latest["items_seen"] == 0
        and latest["not_modified"] == 0
        and len(earlier) >= 2
        and usual >= settings.usual_items
    ):
        return Verdict("failing", f"its feeds listed no items (usually {usual:g} a run)")
    attempted = latest["articles_new"] + latest["pages_failed"]
    if (
        attempted >= settings.min_pages_for_extraction
        and latest["pages_failed"] / attempted > settings.extraction_failure_share
    ):
        return Verdict(
            "failing",
            f"{latest['pages_failed']} of {attempted} article pages failed: "
            f"{latest.get('error_text') or 'extraction failed'}",
        )
    return Verdict("ok")
