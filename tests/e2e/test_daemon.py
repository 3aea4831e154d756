"""The daemon and cron mode as real processes against loopback servers: cycles, new items,
signals, the run lock, a hanging crawl."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scheduler.demo.server import ArchiveServer
from scheduler.demo.steps import write_demo_config
from storage.db import open_db
from tests.faultserver import FaultServer

pytestmark = pytest.mark.e2e

FAST = """
[crawl]
timeout_seconds = {timeout}
download_timeout_seconds = {download_timeout}
retry_times = 0
"""


def write_config(
    server: ArchiveServer,
    home: Path,
    *,
    outlets: tuple[str, ...] = ("unian-ru", "kyiv-independent", "interfax-ru"),
    extra_sources: str = "",
    interval: float = 0.05,
    timeout: float = 120,
    download_timeout: float = 10,
    stop_grace: float = 2,
) -> Path:
    """The demo's config for a few archive outlets, with intervals of seconds."""
    config = write_demo_config(server.site, home / "demo", home / "data" / "peacewatch.db")
    registry = home / "demo" / "sources.toml"
    entries = registry.read_text(encoding="utf-8").split("[[sources]]")
    kept = [e for e in entries[1:] if any(f'id = "{o}"' in e for o in outlets)]
    text = ("[[sources]]" + "[[sources]]".join(kept) if kept else "") + extra_sources
    registry.write_text(
        text.replace("interval_minutes = 5", f"interval_minutes = {interval}"), encoding="utf-8"
    )
    body = config.read_text(encoding="utf-8")
    body = body.replace(
        "min_interval_minutes = 1\n",
        "min_interval_minutes = 0.01\nalert_retry_minutes = 0.05\nmisfire_grace_seconds = 30\n",
    )
    body = body.replace("[crawl]\ntimeout_seconds = 300\n", "[crawl]\ntimeout_seconds = 300\n")
    body = body.replace("timeout_seconds = 300", f"timeout_seconds = {timeout}")
    body = body.replace(
        "download_timeout_seconds = 10", f"download_timeout_seconds = {download_timeout}"
    )
    body = body.replace(
        "retry_backoff_seconds = 0.5",
        f"retry_backoff_seconds = 0.5\nretry_times = 0\nstop_grace_seconds = {stop_grace}",
    )
    config.write_text(body, encoding="utf-8")
    return config


def hanging_source(base: str) -> str:
    return (
        '\n[[sources]]\nid = "stuck"\nname = "Stuck"\nlanguage = "ru"\n'
        f'interval_minutes = 0.05\n\n[[sources.feeds]]\nurl = "{base}/hang"\nkind = "rss"\n'
    )


def start(config: Path, *args: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(
    config: Path, *args: str, home: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``peacewatch --config CONFIG ARGS`` to completion, as cron or a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "--config", str(config), *args],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def query(home: Path, sql: str) -> list[tuple]:
    path = home / "data" / "peacewatch.db"
    if not path.exists():
        return []
    db = open_db(path, migrate=False)
    try:
        return list(db.execute(sql).fetchall())
    except Exception:  # the daemon may not have created the tables yet
        return []
    finally:
        db.close()


def finished_runs(home: Path) -> list[tuple]:
    return query(
        home,
        "SELECT id, status, statements_new, error FROM runs WHERE finished_at IS NOT NULL ORDER BY id",
    )


def stop(process: subprocess.Popen[str], timeout: float = 40) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def integrity(home: Path) -> str:
    return query(home, "PRAGMA integrity_check")[0][0]


def test_daemon_runs_cycles_alerts_new_items_and_stops_cleanly_on_sigterm(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    config = write_config(archive_server, tmp_path)
    daemon = start(config, "daemon", "-v", home=tmp_path)
    try:
        wait_for(lambda: len(finished_runs(tmp_path)) >= 2, 120, "two cycles")
        alerts_day_1 = query(tmp_path, "SELECT COUNT(*) FROM alerts")[0][0]
        assert alerts_day_1 > 0
        switched_after = finished_runs(tmp_path)[-1][0]
        archive_server.site.day = 2  # new items appear in the feeds
        wait_for(
            lambda: any(r[0] > switched_after and r[2] > 0 for r in finished_runs(tmp_path)),
            120,
            "a cycle that finds day 2's statements",
        )
        wait_for(
            lambda: (
                query(tmp_path, "SELECT COUNT(*) FROM alerts WHERE status = 'sent'")[0][0]
                > alerts_day_1
            ),
            60,
            "day 2's alerts delivered",
        )
    finally:
        code, stderr = stop(daemon)
    assert code == 0, stderr
    assert "daemon stopped" in stderr
    assert integrity(tmp_path) == "ok"
    lines = (tmp_path / "data" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    alerts = [json.loads(line) for line in lines]
    ids = [alert["statement"]["id"] for alert in alerts if alert["type"] == "statement"]
    assert len(ids) == len(set(ids))  # never twice (updates aside)
    runs = finished_runs(tmp_path)
    assert len(runs) >= 3


@pytest.mark.faults  # scenario 19 of the fault suite
def test_sigterm_mid_crawl_stops_the_crawl_keeps_the_store_and_exits_zero(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    with FaultServer() as faults:
        config = write_config(
            archive_server,
            tmp_path,
            outlets=("unian-ru",),
            extra_sources=hanging_source(faults.base),
            download_timeout=60,
        )
        daemon = start(config, "daemon", "-v", home=tmp_path)
        try:
            wait_for(
                lambda: (
                    query(tmp_path, "SELECT COUNT(*) FROM articles")
                    and query(tmp_path, "SELECT COUNT(*) FROM articles")[0][0] > 0
                ),
                90,
                "articles stored while a feed hangs",
            )
        finally:
            started = time.monotonic()
            code, stderr = stop(daemon)
            took = time.monotonic() - started
    assert code == 0, stderr
    assert took < 15  # the crawl's grace (2 s here) plus the cycle's end
    assert integrity(tmp_path) == "ok"
    assert query(tmp_path, "PRAGMA foreign_key_check") == []
    ((error,),) = query(tmp_path, "SELECT error FROM runs ORDER BY id DESC LIMIT 1")
    assert "stopped by a signal" in (error or "")
    # what was stored stays: every stored article has its text, undecided reports wait
    assert query(tmp_path, "SELECT COUNT(*) FROM articles WHERE text = ''")[0][0] == 0


@pytest.mark.faults  # scenario 19 of the fault suite
def test_two_runs_at_once_the_second_refuses_with_its_own_exit_code(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    with FaultServer() as faults:
        config = write_config(
            archive_server,
            tmp_path,
            outlets=("unian-ru",),
            extra_sources=hanging_source(faults.base),
            download_timeout=60,
        )
        first = start(config, "run", "--all", home=tmp_path)
        lock = tmp_path / "data" / "peacewatch.lock"
        try:
            wait_for(
                lambda: lock.exists() and "pid" in lock.read_text(), 30, "the first run's lock"
            )
            second = run_cli(config, "run", "--all", home=tmp_path, timeout=60)
        finally:
            code, stderr = stop(first)
    assert second.returncode == 4
    assert "holds" in second.stderr and f"pid {first.pid}" in second.stderr
    assert code == 143  # the first was stopped by SIGTERM and says so
    assert "stopped by SIGTERM" in stderr
    assert integrity(tmp_path) == "ok"


@pytest.mark.faults  # scenario 19 of the fault suite
def test_a_hanging_crawl_is_killed_at_its_timeout_and_the_next_cycle_runs(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    with FaultServer() as faults:
        config = write_config(
            archive_server,
            tmp_path,
            outlets=(),
            extra_sources=hanging_source(faults.base),
            timeout=3,
            download_timeout=60,
        )
        daemon = start(config, "daemon", "-v", home=tmp_path)
        try:
            wait_for(lambda: len(finished_runs(tmp_path)) >= 2, 90, "two cycles")
        finally:
            code, _ = stop(daemon)
    runs = finished_runs(tmp_path)
    assert all("timed out after 3 s" in (error or "") for _, _, _, error in runs)
    assert code == 0


def test_a_second_daemon_on_the_same_database_refuses(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    config = write_config(archive_server, tmp_path, outlets=("unian-ru",), interval=60)
    daemon = start(config, "daemon", home=tmp_path)
    try:
        lock = tmp_path / "data" / "peacewatch.daemon.lock"
        wait_for(lambda: lock.exists() and "pid" in lock.read_text(), 30, "the daemon's lock")
        second = run_cli(config, "daemon", home=tmp_path, timeout=60)
    finally:
        code, _ = stop(daemon)
    assert second.returncode == 4
    assert "not starting" in second.stderr
    assert code == 0


def test_run_under_cron_is_quiet_and_only_crawls_what_is_due(
    archive_server: ArchiveServer, tmp_path: Path
) -> None:
    config = write_config(archive_server, tmp_path, outlets=("unian-ru",), interval=60)
    first = run_cli(config, "run", home=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""  # not a terminal: nothing for cron to mail
    second = run_cli(config, "run", "--verbose", home=tmp_path, timeout=120)
    assert second.returncode == 0
    assert "no source is due" in second.stdout
    assert len(finished_runs(tmp_path)) == 1
    status = run_cli(config, "status", "--json", home=tmp_path, timeout=60)
    (row,) = [r for r in map(json.loads, status.stdout.splitlines()) if r["record"] == "source"]
    assert row["source"] == "unian-ru" and row["state"] == "ok"
    assert row["articles_last_run"] > 0 and row["next_due"] > row["last_run"]
