"""Scenario 19: runs that overlap in time, crawls longer than their interval, clock jumps.

The daemon runs as a real process against loopback servers; the clock is chosen through the
daemon's ``now`` (plan) where the real clock cannot be moved.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.config import load_config
from scheduler.daemon import Daemon
from scheduler.demo.server import ArchiveServer
from storage.db import open_db
from storage.models import SourceRunStats
from storage.queries import finish_run, start_run, upsert_sources
from tests.e2e.test_daemon import (
    finished_runs,
    query,
    run_cli,
    start,
    stop,
    wait_for,
)
from tests.faults.harness import hanging_feed_config

pytestmark = [pytest.mark.faults, pytest.mark.e2e]


def test_a_crawl_longer_than_its_interval_never_overlaps_and_never_bursts(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    """Interval 3 s, every crawl killed at its 5 s timeout: runs follow each other, one at a
    time, and the ticks missed meanwhile are coalesced instead of queued."""
    with hanging_feed_config(
        archive_server, tmp_path, outlets=(), timeout=5, stop_grace=1
    ) as config:
        started = time.monotonic()
        daemon = start(config, "daemon", "-v", home=tmp_path)
        try:
            wait_for(lambda: len(finished_runs(tmp_path)) >= 3, 90, "three cycles")
        finally:
            code, _ = stop(daemon)
        elapsed = time.monotonic() - started
    assert code == 0
    runs = query(tmp_path, "SELECT started_at, finished_at FROM runs ORDER BY id")
    finished = [r for r in runs if r[1] is not None]
    for (_, previous_end), (next_start, _) in itertools.pairwise(finished):
        assert next_start >= previous_end  # one after the other, never two at once
    # each run takes ≥ 5 s: no burst of queued ticks (at most one run per 5 s, plus one)
    assert len(runs) <= elapsed / 5 + 2


def _store_with_runs(tmp_path: Path, last_run: datetime):
    config = load_config(None)
    config = replace(config, storage_path=tmp_path / "pw.db", sources=config.sources[:3])
    db = open_db(config.storage_path)
    upsert_sources(db, list(config.sources))
    run_id = start_run(db, "test")
    finish_run(db, run_id, [SourceRunStats(s.id) for s in config.sources], duration_s=1)
    db.execute("UPDATE runs SET started_at = ?", [last_run.isoformat(timespec="seconds")])
    db.conn.commit()
    db.close()
    return config


def test_clock_set_forward_a_day_gives_one_catch_up_run_per_group_not_a_burst(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    config = _store_with_runs(tmp_path, now)
    tomorrow = now + timedelta(days=1)
    plan = Daemon(config, now=lambda: tomorrow).plan()
    assert plan and all(first == tomorrow for _, first in plan)  # due once, at once
    assert len({group.job_id for group, _ in plan}) == len(plan)  # one job per group


def test_clock_set_back_an_hour_neither_hangs_nor_bursts(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    config = _store_with_runs(tmp_path, now)
    an_hour_ago = now - timedelta(hours=1)  # the last run now lies in the future
    for group, first in Daemon(config, now=lambda: an_hour_ago).plan():
        assert first == an_hour_ago + timedelta(minutes=group.interval_minutes)


def test_run_and_daemon_cycles_take_turns_on_the_lock(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    """A cron run while the daemon crawls: refused with exit 4, and the store stays whole."""
    with hanging_feed_config(
        archive_server, tmp_path, outlets=("unian-en",), timeout=20, stop_grace=1
    ) as config:
        daemon = start(config, "daemon", home=tmp_path)
        try:
            wait_for(
                lambda: bool(query(tmp_path, "SELECT 1 FROM runs WHERE finished_at IS NULL")),
                60,
                "a daemon cycle in progress",
            )
            run = run_cli(config, "run", "--all", home=tmp_path, timeout=60)
        finally:
            code, _ = stop(daemon)
    assert run.returncode == 4, run.stderr
    assert code == 0
    assert query(tmp_path, "PRAGMA integrity_check")[0][0] == "ok"
