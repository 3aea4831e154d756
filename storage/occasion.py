"""Occasions (DESIGN §2): one speaker's remarks on one subject on one day are one statement.

Pure helpers of the diff: when a report's words were said, which of the speaker's statements
is the same occasion, and whether a new statement is background (never alerted).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage.match_score import parse_time

#: one speaker, on the talks or not, fresh or told as background, on one day
OccasionKey = tuple[str, int, int, str]


def said_at(report: dict[str, Any]) -> str:
    """When the report's words were said: the day its attribution gives (noon UTC, when before
    the article's day), else the article's publication time (DESIGN §2)."""
    published = report["published_at"]
    said_on = report.get("said_on")
    if said_on and said_on < published[:10]:
        return f"{said_on}T12:00:00+00:00"
    return str(published)


def occasion_key(report: dict[str, Any]) -> OccasionKey:
    """One speaker's remarks on one subject, fresh or told as background, on one day."""
    return (
        report["speaker"],
        int(report["about_peace_talks"]),
        int(report["recap"]),
        report["said_at"][:10],
    )


def is_background(report: dict[str, Any], background_after_days: float) -> bool:
    """First met only in a recap, or said more than ``background_after_days`` before it was
    published: stored, never alerted (DESIGN §2)."""
    if report["recap"]:
        return True
    said = parse_time(report["said_at"])
    return parse_time(report["published_at"]) - said > timedelta(days=background_after_days)


def same_occasion(
    report: dict[str, Any], candidates: list[dict[str, Any]], occasion_hours: float
) -> int | None:
    """The speaker's statement on the same subject said closest in time to the report, within
    ``occasion_hours``: one person's remarks on one occasion are one statement, whatever each
    outlet chose to quote (DESIGN §2). None when there is none."""
    said = parse_time(report["said_at"])
    best: tuple[float, int] | None = None
    for candidate in candidates:
        if bool(candidate["about_peace_talks"]) != bool(report["about_peace_talks"]):
            continue  # another subject: the budget is not the talks
        if candidate["background"]:
            continue  # told as background: another, earlier occasion
        apart = abs((parse_time(candidate["said_at"]) - said).total_seconds()) / 3600
        if apart <= occasion_hours and (best is None or apart < best[0]):
            best = (apart, candidate["id"])
    return best[1] if best else None
