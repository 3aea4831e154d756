"""When sources are due: pure functions of their intervals, their last runs and the time.

Kept apart from the clock and the database so that catch-up and misfire behaviour can be
tested with any ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.models import Source


def next_due(source: Source, last_run: datetime | None, now: datetime) -> datetime:
    """Never run: now. Otherwise one interval after the last run started — counted from now
    when the clock was set back past that run, so a source never waits longer than it should."""
    if last_run is None:
        return now
    return min(last_run, now) + timedelta(minutes=source.interval_minutes)


def tolerance(source: Source) -> timedelta:
    """How early a source may run: cron fires on the minute, and a run started a few seconds
    after its minute must not push a 15-minute source to 20 minutes."""
    return min(timedelta(seconds=60), timedelta(minutes=source.interval_minutes) * 0.1)


def due_sources(
    sources: Iterable[Source], last_runs: Mapping[str, datetime], now: datetime
) -> list[Source]:
    return [s for s in sources if next_due(s, last_runs.get(s.id), now) - tolerance(s) <= now]


@dataclass(frozen=True)
class SourceGroup:
    """Sources sharing an interval: one scheduler job, one crawl per tick."""

    interval_minutes: float
    sources: tuple[Source, ...]

    @property
    def job_id(self) -> str:
        return f"crawl-every-{self.interval_minutes:g}-min"


def group_by_interval(sources: Iterable[Source]) -> list[SourceGroup]:
    groups: dict[float, list[Source]] = {}
    for source in sources:
        groups.setdefault(float(source.interval_minutes), []).append(source)
    return [SourceGroup(interval, tuple(items)) for interval, items in sorted(groups.items())]


def first_run_time(
    group: SourceGroup, last_runs: Mapping[str, datetime], now: datetime
) -> datetime:
    """When a group's job first fires after a (re)start: at once if any source is overdue —
    one catch-up run however long the daemon was away — else when the earliest is due."""
    return max(now, min(next_due(s, last_runs.get(s.id), now) for s in group.sources))
