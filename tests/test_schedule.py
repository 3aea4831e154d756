"""What is due, catch-up after downtime, the daemon's jobs, the run lock — with a chosen clock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.config import Config, ScheduleSettings, load_config
from scheduler.due import due_sources, first_run_time, group_by_interval, next_due
from scheduler.lock import LockHeld, RunLock
from storage.models import Feed, Source

NOW = datetime(2026, 2, 11, 12, 0, tzinfo=UTC)


def source(source_id: str, interval: float) -> Source:
    return Source(
        source_id, source_id, "ru", (Feed("https://example.org/rss"),), interval_minutes=interval
    )


def test_a_source_never_run_is_due_now() -> None:
    assert next_due(source("a", 15), None, NOW) == NOW
    assert due_sources([source("a", 15)], {}, NOW) == [source("a", 15)]


def test_a_source_is_due_one_interval_after_its_last_run_started() -> None:
    a = source("a", 15)
    assert due_sources([a], {"a": NOW - timedelta(minutes=10)}, NOW) == []
    assert due_sources([a], {"a": NOW - timedelta(minutes=15)}, NOW) == [a]


def test_a_run_a_few_seconds_late_does_not_push_the_next_one_by_a_whole_cron_step() -> None:
    a = source("a", 15)
    started_late = NOW - timedelta(minutes=15) + timedelta(seconds=20)
    assert due_sources([a], {"a": started_late}, NOW) == [a]


def test_sources_sharing_an_interval_are_one_job_with_a_stable_id() -> None:
    groups = group_by_interval([source("a", 15), source("b", 5), source("c", 15)])
    assert [(g.interval_minutes, [s.id for s in g.sources]) for g in groups] == [
        (5.0, ["b"]),
        (15.0, ["a", "c"]),
    ]
    assert groups[1].job_id == "crawl-every-15-min"


def test_after_a_day_away_an_overdue_group_runs_once_at_start_not_once_per_missed_tick() -> None:
    (group,) = group_by_interval([source("a", 15), source("b", 15)])
    day_ago = NOW - timedelta(days=1)
    assert first_run_time(group, {"a": day_ago, "b": day_ago}, NOW) == NOW


def test_a_group_not_yet_due_starts_when_its_earliest_source_is_due() -> None:
    (group,) = group_by_interval([source("a", 15), source("b", 15)])
    runs = {"a": NOW - timedelta(minutes=5), "b": NOW - timedelta(minutes=10)}
    assert first_run_time(group, runs, NOW) == NOW + timedelta(minutes=5)


def test_the_clock_set_back_an_hour_waits_one_interval_not_an_hour_more() -> None:
    (group,) = group_by_interval([source("a", 15)])
    future_run = NOW + timedelta(hours=1)  # the last run's time is now in the future
    assert first_run_time(group, {"a": future_run}, NOW) == NOW + timedelta(minutes=15)


def _config(tmp_path: Path) -> Config:
    config = load_config(None)
    sources = (source("a", 15), source("b", 15), source("c", 60))
    return replace(config, storage_path=tmp_path / "pw.db", sources=sources)


def test_daemon_jobs_have_explicit_ids_coalesce_one_instance_and_a_misfire_grace(
    tmp_path: Path,
) -> None:
    from scheduler.daemon import ALERTS_JOB_ID, Daemon

    config = _config(tmp_path)
    config = replace(config, schedule=ScheduleSettings(misfire_grace_seconds=120))
    daemon = Daemon(config, now=lambda: NOW)
    daemon.add_jobs()
    # started paused in a thread: the jobs get their final settings, none of them runs
    runner = threading.Thread(target=daemon.scheduler.start, kwargs={"paused": True}, daemon=True)
    runner.start()
    for _ in range(50):
        if daemon.scheduler.running:
            break
        time.sleep(0.05)
    jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
    daemon.scheduler.shutdown(wait=False)
    runner.join(5)
    assert set(jobs) == {"crawl-every-15-min", "crawl-every-60-min", ALERTS_JOB_ID}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 120
    assert jobs["crawl-every-15-min"].next_run_time == NOW  # never run: catch up at once


def test_daemon_plan_follows_the_runs_table(tmp_path: Path) -> None:
    from scheduler.daemon import Daemon
    from storage.db import open_db
    from storage.models import SourceRunStats
    from storage.queries import finish_run, start_run, upsert_sources

    config = _config(tmp_path)
    db = open_db(config.storage_path)
    upsert_sources(db, list(config.sources))
    run_id = start_run(db, "test")
    finish_run(
        db, run_id, [SourceRunStats("a"), SourceRunStats("b"), SourceRunStats("c")], duration_s=1
    )
    db.close()
    later = datetime.now(UTC) + timedelta(minutes=20)
    plan = {group.job_id: first for group, first in Daemon(config, now=lambda: later).plan()}
    assert plan["crawl-every-15-min"] == later  # overdue: one catch-up run now
    assert plan["crawl-every-60-min"] > later  # not due yet


def test_the_run_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "pw.lock").acquire()
    try:
        holder = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from scheduler.lock import RunLock, LockHeld\n"
                "try:\n    RunLock(Path(sys.argv[1])).acquire()\nexcept LockHeld as e:\n    print(e)",
                str(tmp_path / "pw.lock"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert f"pid {os.getpid()}" in holder.stdout
    finally:
        lock.release()
    RunLock(tmp_path / "pw.lock").acquire().release()  # free again


def test_a_lock_held_by_a_process_killed_with_sigkill_is_free_again(tmp_path: Path) -> None:
    path = tmp_path / "pw.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from scheduler.lock import RunLock\n"
            "RunLock(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld):
            RunLock(path).acquire()
    finally:
        holder.kill()
        holder.wait()
    RunLock(path).acquire().release()  # the kernel dropped the dead holder's lock


def test_waiting_for_the_lock_gives_up_after_the_wait(tmp_path: Path) -> None:
    lock = RunLock(tmp_path / "pw.lock").acquire()
    try:
        other = RunLock(tmp_path / "pw.lock")
        with pytest.raises(LockHeld):
            # same process, other descriptor: flock treats it as another holder
            other.acquire(wait_seconds=0.5)
    finally:
        lock.release()
