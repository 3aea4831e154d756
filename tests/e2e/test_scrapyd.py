"""End-to-end: the crawl on two real scrapyd servers on 127.0.0.1 (DESIGN §11, issue 15).

The crawler is deployed as an egg with ``peacewatch deploy``; each cycle schedules jobs on
the servers, collects their feed exports over scrapyd's HTTP port and ingests them."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.build import code_digest
from scheduler.cli import cli
from scheduler.config import Config, load_config
from scheduler.cycle import run_cycle
from scheduler.scrapyd.deploy import deploy, servers_of
from storage.db import open_db
from tests.processes import children_of, kill
from tests.scrapydserver import ScrapydServer, scrapyd_servers
from tests.smtpserver import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[ScrapydServer]]:
    with scrapyd_servers(tmp_path / "workers", 2) as servers:
        yield servers


def on_scrapyd(config: Config, urls: list[str], **crawl: object) -> Config:
    settings = dataclasses.replace(
        config.crawl,
        backend="scrapyd",
        scrapyd_urls=tuple(urls),
        scrapyd_poll_seconds=0.3,
        **crawl,
    )
    return dataclasses.replace(config, crawl=settings)


@pytest.fixture
def remote(archive_config: Config, workers: list[ScrapydServer]) -> Config:
    config = on_scrapyd(archive_config, [w.url for w in workers])
    assert all(d.ok for d in deploy(servers_of(config.crawl), config.crawl.scrapyd_project))
    return config


def rows(config: Config, sql: str) -> list[tuple]:
    db = open_db(config.storage_path)
    try:
        return [tuple(row) for row in db.execute(sql).fetchall()]
    finally:
        db.close()


ALERTS = (
    "SELECT a.channel, a.type, s.speaker, s.text, s.said_at FROM alerts a "
    "JOIN statements s ON s.id = a.statement_id ORDER BY 1, 2, 3, 4, 5"
)


def stored(config: Config) -> dict[str, int]:
    counts = {}
    for table in ("articles", "reports", "statements", "alerts", "page_failures"):
        counts[table] = rows(config, f"SELECT COUNT(*) FROM {table}")[0][0]
    counts["attempts"] = rows(config, "SELECT COALESCE(SUM(attempts), 0) FROM page_failures")[0][0]
    return counts


def test_deploy_uploads_the_egg_to_every_server_under_this_codes_version(
    archive_config: Config, workers: list[ScrapydServer]
) -> None:
    config = on_scrapyd(archive_config, [w.url for w in workers])
    config_file = Path(str(config.config_path))
    text = config_file.read_text(encoding="utf-8").replace(
        "[crawl]",
        f'[crawl]\nbackend = "scrapyd"\nscrapyd_urls = {json.dumps([w.url for w in workers])}',
        1,
    )
    config_file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config_file), "deploy", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["server"] for line in lines] == [w.url for w in workers]
    assert all(line["ok"] and line["version"].endswith(code_digest()) for line in lines)
    for worker in workers:
        (egg,) = (worker.folder / "eggs" / "peacewatch").glob("*.egg")
        assert egg.stem == lines[0]["version"]
    again = CliRunner().invoke(cli, ["--config", str(config_file), "deploy"])
    assert again.exit_code == 0 and again.output.count("already deployed") == 2


def test_alerts_on_two_scrapyd_servers_equal_the_local_backends(
    remote: Config, archive_server, tmp_path: Path
) -> None:
    local = dataclasses.replace(
        remote,
        crawl=dataclasses.replace(remote.crawl, backend="local"),
        storage_path=tmp_path / "local.db",
    )
    for day in (1, 2):
        archive_server.site.day = day
        report = run_cycle(remote)
        assert report.status == "ok", report.error
        assert run_cycle(local).status == "ok"
    assert rows(remote, ALERTS) == rows(local, ALERTS)
    assert len(rows(remote, ALERTS)) > 50
    assert stored(remote) == stored(local)
    jobs = rows(remote, "SELECT server, state FROM crawl_jobs")
    assert {server for server, _ in jobs} == set(remote.crawl.scrapyd_urls)  # spread over both
    assert all(state == "ingested" for _, state in jobs)


def test_a_cycle_with_nothing_new_stores_nothing_and_asks_only_for_changed_feeds(
    remote: Config, archive_server
) -> None:
    run_cycle(remote)
    before = stored(remote)
    archive_server.site.request_log.clear()
    report = run_cycle(remote)
    assert report.status == "ok" and report.articles_new == 0
    assert stored(remote) == before
    statuses = [
        status for _, path, status in archive_server.site.request_log if path != "/robots.txt"
    ]
    assert statuses and all(status == 304 for status in statuses)  # the snapshot's validators


def test_a_server_that_is_down_leaves_its_sources_to_the_other_and_is_named(
    archive_config: Config, workers: list[ScrapydServer]
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    config = on_scrapyd(archive_config, [down, workers[0].url])
    deploy(servers_of(config.crawl), config.crawl.scrapyd_project)
    report = run_cycle(config)
    assert report.status == "ok", report.error
    assert report.articles_new == rows(config, "SELECT COUNT(*) FROM articles")[0][0] > 50
    result = CliRunner().invoke(cli, ["--config", str(config.config_path), "status", "--json"])
    servers = [json.loads(line) for line in result.output.splitlines() if '"server"' in line]
    by_url = {s["url"]: s for s in servers if s["record"] == "server"}
    assert by_url[workers[0].url]["ok"] and by_url[workers[0].url]["jobs"] == 1
    assert not by_url[down]["ok"]
    assert "cannot connect (connection refused)" in by_url[down]["last_error"]


def test_with_every_server_down_each_source_fails_saying_why(archive_config: Config) -> None:
    config = on_scrapyd(archive_config, [f"http://127.0.0.1:{free_port()}"])
    report = run_cycle(config)
    assert report.status == "failed"
    assert all(s.failed and "connection refused" in (s.error_text or "") for s in report.stats)


def test_a_server_without_this_nodes_egg_is_named_as_a_version_mismatch(
    archive_config: Config, workers: list[ScrapydServer]
) -> None:
    config = on_scrapyd(archive_config, [w.url for w in workers])
    deploy(servers_of(on_scrapyd(archive_config, [workers[0].url]).crawl), "peacewatch")
    report = run_cycle(config)
    assert report.status == "ok", report.error
    (error,) = rows(config, f"SELECT last_error FROM crawl_servers WHERE url = '{workers[1].url}'")[
        0
    ]
    assert "version mismatch" in error and code_digest() in error and "peacewatch deploy" in error
    assert {s for (s,) in rows(config, "SELECT server FROM crawl_jobs")} == {workers[0].url}


def test_a_job_past_the_timeout_is_cancelled_and_nothing_it_missed_is_lost(
    remote: Config, archive_server
) -> None:
    slow = on_scrapyd(
        remote,
        list(remote.crawl.scrapyd_urls),
        timeout_seconds=6,
        download_delay_seconds=1.0,
        autothrottle=False,
        stop_grace_seconds=5,
    )
    report = run_cycle(slow)
    assert report.error and "timed out" in report.error
    states = {state for (state,) in rows(slow, "SELECT state FROM crawl_jobs")}
    assert states == {"ingested"}
    partial = rows(slow, "SELECT COUNT(*) FROM articles")[0][0]
    expected = sum(len(archive_server.site.visible(o.id)) for o in archive_server.site.outlets)
    assert 0 < partial < expected
    report = run_cycle(remote)  # the feeds are read in full again: the rest comes in
    assert report.status == "ok", report.error
    assert rows(remote, "SELECT COUNT(*) FROM articles")[0][0] == expected


def test_a_worker_killed_mid_job_costs_nothing_the_next_cycle_does_not_fetch(
    remote: Config, archive_server, workers: list[ScrapydServer]
) -> None:
    slow = on_scrapyd(remote, [workers[0].url], download_delay_seconds=0.5, autothrottle=False)
    expected = sum(len(archive_server.site.visible(o.id)) for o in archive_server.site.outlets)
    done: list = []
    cycle = threading.Thread(target=lambda: done.append(run_cycle(slow)))
    cycle.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for some articles in the export, then kill -9
        exports = list(workers[0].items_dir.rglob("*.jl"))
        if exports and exports[0].read_text().count('"record": "article"') >= 5:
            break
        time.sleep(0.2)
    crawls = children_of(workers[0].process.pid)
    assert crawls
    kill(crawls)
    cycle.join(120)
    report = done[0]
    assert report.error
    assert "cut off" in report.error or "without its result record" in report.error
    assert any(s.status == "partial" for s in report.stats)
    got = rows(slow, "SELECT COUNT(*) FROM articles")[0][0]
    assert 0 < got < expected
    assert run_cycle(remote).status == "ok"
    assert rows(remote, "SELECT COUNT(*) FROM articles")[0][0] == expected
    assert rows(remote, "SELECT COUNT(*) FROM articles")[0][0] == len(
        rows(remote, "SELECT DISTINCT url FROM articles")
    )


def test_the_same_export_ingested_twice_changes_nothing(remote: Config) -> None:
    from scheduler.scrapyd.backend import collect_left_over, remote_crawl

    run_cycle(remote)
    before = stored(remote)
    db = open_db(remote.storage_path)
    try:
        db.execute("UPDATE crawl_jobs SET state = 'finished'")  # as if never marked ingested
        db.conn.commit()
        assert collect_left_over(db, remote_crawl(remote), code_digest()) == 2
    finally:
        db.close()
    assert stored(remote) == before
    assert run_cycle(remote).articles_new == 0
    assert stored(remote) == before


def test_credentials_come_from_the_environment_and_a_refusal_names_the_variables(
    archive_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scrapyd_servers(tmp_path / "locked", 1, username="crawler", password="s3cret") as (
        locked,
    ):
        path = Path(str(archive_config.config_path))
        text = path.read_text(encoding="utf-8").replace(
            "[crawl]", f'[crawl]\nbackend = "scrapyd"\nscrapyd_urls = ["{locked.url}"]', 1
        )
        path.write_text(text, encoding="utf-8")
        report = run_cycle(load_config(path))  # no credentials in the environment
        assert report.status == "failed"
        error = report.stats[0].error_text or ""
        assert "HTTP 401" in error and "PEACEWATCH_SCRAPYD_PASSWORD" in error
        monkeypatch.setenv("PEACEWATCH_SCRAPYD_USERNAME", "crawler")
        monkeypatch.setenv("PEACEWATCH_SCRAPYD_PASSWORD", "s3cret")
        config = load_config(path)
        assert "s3cret" not in repr(config) and "s3cret" not in repr(servers_of(config.crawl))
        assert all(d.ok for d in deploy(servers_of(config.crawl), "peacewatch"))
        report = run_cycle(config)
        assert report.status == "ok", report.error
        assert report.articles_new > 50
        db = open_db(config.storage_path)
        try:
            dump = "\n".join(db.iterdump())
        finally:
            db.close()
        assert "s3cret" not in dump


def test_jobs_left_running_by_a_stopped_node_are_collected_by_the_next_cycle(
    remote: Config, archive_server
) -> None:
    slow = on_scrapyd(
        remote, list(remote.crawl.scrapyd_urls), download_delay_seconds=0.3, autothrottle=False
    )
    stopping = threading.Event()
    threading.Timer(2.0, stopping.set).start()  # SIGTERM to the daemon, mid-crawl
    report = run_cycle(slow, stopping=stopping)
    assert all("ingested next cycle" in (s.error_text or "") for s in report.stats)
    assert {state for (state,) in rows(slow, "SELECT state FROM crawl_jobs")} == {"scheduled"}
    servers = servers_of(slow.crawl)
    deadline = time.monotonic() + 120  # the jobs go on without the node, to their end
    while time.monotonic() < deadline and any(
        state != "finished" for server in servers for state in server.jobs("peacewatch").values()
    ):
        time.sleep(0.5)
    run_cycle(remote)
    expected = sum(len(archive_server.site.visible(o.id)) for o in archive_server.site.outlets)
    assert rows(remote, "SELECT COUNT(*) FROM articles")[0][0] == expected
    assert {state for (state,) in rows(remote, "SELECT state FROM crawl_jobs")} == {"ingested"}


def test_a_server_keeping_no_exports_is_named_and_its_jobs_are_not_read_again(
    archive_config: Config, tmp_path: Path
) -> None:
    with scrapyd_servers(tmp_path / "no-items", 1, items=False) as (server,):
        config = on_scrapyd(archive_config, [server.url])
        deploy(servers_of(config.crawl), "peacewatch")
        report = run_cycle(config)
        assert report.status == "failed"
        assert report.error and "set items_dir" in report.error
        assert all("set items_dir" in (s.error_text or "") for s in report.stats)
        assert rows(config, "SELECT state FROM crawl_jobs") == [("gone",)]
        run_cycle(config)
        assert rows(config, "SELECT COUNT(*) FROM crawl_jobs WHERE state = 'gone'") == [(2,)]
