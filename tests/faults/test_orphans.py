"""Processes (issue 11, class 4): a crawl and its analysis worker die with their parent, runs a
dead process left running are closed as interrupted, SIGHUP stops ``run`` and the daemon
cleanly, and the suite itself notices a process a test leaves behind.

Real processes and signals: ``python -m scheduler.cli`` against the archive on loopback plus a
mock server whose feed hangs after its headers, so the crawl is alive (with its worker) when
the signal comes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scheduler.config import load_config
from scheduler.cron import STOP_SIGNALS, on_stop_signals
from scheduler.daemon import Daemon
from scheduler.demo.server import ArchiveServer
from scheduler.status import source_status
from storage.db import open_db
from storage.models import Source
from storage.queries import (
    close_interrupted_runs,
    get_feed_state,
    save_feed_state,
    start_run,
    upsert_sources,
)
from tests import conftest
from tests.e2e.test_daemon import query, run_cli, start, wait_for, write_config
from tests.faults.harness import hanging_feed_config
from tests.processes import Proc, children_of, is_alive, living_descendants, wait_gone

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

#: A process tied to its parent is gone this soon after the parent (the watch thread's second,
#: plus a loaded machine).
GONE_WITHIN = 5.0


def _crawl_with_worker(
    archive_server: ArchiveServer, tmp_path: Path
) -> AbstractContextManager[Path]:
    """One archive outlet (articles, so the analysis worker starts) and a feed that hangs."""
    return hanging_feed_config(archive_server, tmp_path, outlets=("unian-ru",))


def _only(procs: set[Proc], what: str) -> Proc:
    assert len(procs) == 1, f"expected one {what}, found {len(procs)}"
    return next(iter(procs))


def _crawl_and_worker(run: subprocess.Popen[str], tmp_path: Path) -> tuple[Proc, Proc]:
    """Wait until ``run``'s crawl has stored an article (its worker analysed it), then both."""
    wait_for(
        lambda: bool(query(tmp_path, "SELECT 1 FROM articles LIMIT 1")), 90, "a stored article"
    )
    crawl = _only(children_of(run.pid), "crawl")
    assert "crawler.run" in crawl.command()
    workers: set[Proc] = set()

    def worker_started() -> bool:
        workers.update(p for p in children_of(crawl.pid) if "spawn_main" in p.command())
        return bool(workers)

    wait_for(worker_started, 30, "the crawl's analysis worker")
    return crawl, _only(workers, "analysis worker")


def test_a_run_killed_by_sigkill_takes_its_crawl_and_the_crawls_worker_with_it(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    """Without this the crawl, in its own session, crawls on outside the run lock (beside the
    next run), and one stuck on a hanging server lives forever."""
    with _crawl_with_worker(archive_server, tmp_path) as config:
        run = start(config, "run", "--all", home=tmp_path)
        try:
            crawl, worker = _crawl_and_worker(run, tmp_path)
        finally:
            run.kill()
            run.communicate(timeout=10)
        assert wait_gone({crawl, worker}, GONE_WITHIN) == set()


def test_a_crawl_killed_by_sigkill_takes_its_analysis_worker_with_it(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    """The worker of a dead crawl used to wait on its task queue for good (~250 MB each)."""
    with _crawl_with_worker(archive_server, tmp_path) as config:
        run = start(config, "run", "--all", home=tmp_path)
        try:
            crawl, worker = _crawl_and_worker(run, tmp_path)
            os.kill(crawl.pid, signal.SIGKILL)
            assert wait_gone({worker}, GONE_WITHIN) == set()
        finally:
            run.send_signal(signal.SIGTERM)
            run.communicate(timeout=30)


def test_sighup_stops_the_daemon_cleanly_like_sigterm_and_says_so(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    with _crawl_with_worker(archive_server, tmp_path) as config:
        daemon = start(config, "daemon", home=tmp_path)
        try:
            crawl, worker = _crawl_and_worker(daemon, tmp_path)
            daemon.send_signal(signal.SIGHUP)
            code = daemon.wait(timeout=30)
        finally:
            if daemon.poll() is None:
                daemon.kill()
            _, stderr = daemon.communicate(timeout=10)
    assert code == 0, stderr
    assert "SIGHUP: stopping" in stderr and "daemon stopped" in stderr
    assert not is_alive(crawl) and not is_alive(worker)
    ((status, error),) = query(tmp_path, "SELECT status, error FROM runs")
    assert status != "running" and "stopped by a signal" in error


def test_sighup_stops_a_run_cleanly_with_exit_129(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    with _crawl_with_worker(archive_server, tmp_path) as config:
        run = start(config, "run", "--all", home=tmp_path)
        try:
            crawl, _ = _crawl_and_worker(run, tmp_path)
            run.send_signal(signal.SIGHUP)
            _, stderr = run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate(timeout=10)
    assert run.returncode == 129, stderr
    assert "stopped by SIGHUP" in stderr
    assert not is_alive(crawl)
    ((status, error),) = query(tmp_path, "SELECT status, error FROM runs")
    assert status != "running" and "stopped by a signal" in error


def test_a_sighup_ignored_at_start_stays_ignored_as_nohup_asks() -> None:
    saved = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}

    def handler(signum: int, frame: Any) -> None:
        """Never called."""

    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        on_stop_signals(handler)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        for signum, previous in saved.items():
            signal.signal(signum, previous)


# -- runs a dead process left running --------------------------------------------------------


def _left_running(database: Path, sources: list[Source]) -> int:
    """What a ``run`` killed mid-crawl leaves: its run row and its sources' rows "running"."""
    database.parent.mkdir(parents=True, exist_ok=True)
    db = open_db(database)
    try:
        upsert_sources(db, sources)
        return start_run(db, "run", [s.id for s in sources])
    finally:
        db.close()


def test_a_run_left_running_is_closed_as_interrupted_by_the_next_run(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    config = write_config(archive_server, tmp_path, outlets=("unian-ru",))
    dead = _left_running(tmp_path / "data" / "peacewatch.db", list(load_config(config).sources))

    done = run_cli(config, "run", "--all", home=tmp_path, timeout=120)

    assert done.returncode == 0, done.stderr
    assert f"run {dead} was left running by a process that died" in done.stderr
    ((status, finished, error),) = query(
        tmp_path, f"SELECT status, finished_at, error FROM runs WHERE id = {dead}"
    )
    assert status == "interrupted" and finished is not None and error.startswith("interrupted")
    assert query(tmp_path, f"SELECT status FROM run_sources WHERE run_id = {dead}") == [
        ("interrupted",)
    ]
    assert query(tmp_path, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == [(0,)]


def test_status_shows_an_interrupted_run_as_the_sources_last_run(tmp_path: Path) -> None:
    config = load_config(None)
    source = config.sources[0]
    database = tmp_path / "pw.db"
    run_id = _left_running(database, [source])
    db = open_db(database)
    try:
        assert close_interrupted_runs(db) == [run_id]
        (row,) = [r for r in source_status(db, config) if r["source"] == source.id]
    finally:
        db.close()
    assert row["state"] != "never run" and row["last_run"] is not None
    assert row["last_status"] == "interrupted"
    assert row["errors_last_run"] == 1 and row["last_error"].startswith("interrupted")


def test_an_interrupted_runs_sources_read_their_feeds_in_full_next_time(tmp_path: Path) -> None:
    """The dead crawl may have saved a feed's ETag before storing what the feed listed: a 304
    next time would lose those articles for good."""
    source = load_config(None).sources[0]
    database = tmp_path / "pw.db"
    _left_running(database, [source])
    db = open_db(database)
    try:
        save_feed_state(db, source.id, "http://feed.test/rss", status=200, etag='"v1"')
        close_interrupted_runs(db)
        state = get_feed_state(db, source.id, "http://feed.test/rss")
    finally:
        db.close()
    assert state is not None and state.etag is None and state.last_modified is None


def test_a_daemon_start_closes_runs_left_running(tmp_path: Path) -> None:
    config = replace(load_config(None), storage_path=tmp_path / "pw.db")
    run_id = _left_running(config.storage_path, [config.sources[0]])
    Daemon(config).close_interrupted_at_start()
    db = open_db(config.storage_path)
    try:
        assert db.execute("SELECT status FROM runs WHERE id = ?", [run_id]).fetchone() == (
            "interrupted",
        )
    finally:
        db.close()


# -- the suite's own check -------------------------------------------------------------------


def test_the_suite_fails_a_test_that_leaves_a_process_and_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even an orphan, whose parent ended: pytest is its subreaper, so it is still ours."""
    monkeypatch.setattr(conftest, "EXIT_GRACE_SECONDS", 0.5)
    before = living_descendants()
    orphaning = subprocess.run(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)  # left-behind'])",
        ],
        timeout=30,
        check=True,
    )
    assert orphaning.returncode == 0
    with pytest.raises(pytest.fail.Exception, match=r"left 1 process.*left-behind"):
        conftest._left_behind(before, "the test")
    assert living_descendants() - before == set()  # killed, so no other test is blamed
