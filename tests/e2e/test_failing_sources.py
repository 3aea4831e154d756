"""One failing source is a clear error for that source; the others are still crawled."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from click.testing import CliRunner

from scheduler.cli import EXIT_ALL_SOURCES_FAILED, cli
from scheduler.cycle import run_cycle
from storage.models import Feed, Source
from tests.faultserver import FaultServer

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bad_sources(base: str) -> list[Source]:
    def source(source_id: str, url: str) -> Source:
        return Source(id=source_id, name=source_id, language="en", feeds=(Feed(url, "rss"),))

    return [
        source("refused", f"http://127.0.0.1:{_closed_port()}/rss.xml"),
        source("server-error", f"{base}/status/500"),
        source("hanging", f"{base}/hang"),
        source("garbage", f"{base}/garbage"),
    ]


def _fast_failing(config):
    crawl = replace(
        config.crawl, download_timeout_seconds=2, retry_times=1, retry_backoff_seconds=0.1
    )
    return replace(config, crawl=crawl)


def test_failing_sources_get_clear_errors_and_good_ones_are_still_crawled(archive_config):
    with FaultServer() as faults:
        good = [s for s in archive_config.sources if s.id in ("unian-ru", "kyiv-independent")]
        config = _fast_failing(
            replace(archive_config, sources=tuple(good + _bad_sources(faults.base)))
        )
        report = run_cycle(config)
    by_id = {s.source_id: s for s in report.stats}
    assert report.status == "partial"
    assert by_id["unian-ru"].articles_new > 0 and by_id["kyiv-independent"].articles_new > 0
    assert by_id["refused"].status == "failed"
    assert "ConnectionRefused" in (by_id["refused"].error_text or "")
    assert by_id["server-error"].status == "failed"
    assert "HTTP 500" in (by_id["server-error"].error_text or "")
    assert by_id["hanging"].status == "failed"
    assert "Timeout" in (by_id["hanging"].error_text or "")
    assert by_id["garbage"].status == "failed"
    assert "not an RSS/Atom feed" in (by_id["garbage"].error_text or "")


def test_run_exits_non_zero_when_every_source_failed(tmp_path):
    with FaultServer() as faults:
        registry = tmp_path / "sources.toml"
        registry.write_text(
            f'[[sources]]\nid = "down"\nname = "Down"\nlanguage = "ru"\n'
            f'feeds = ["{faults.base}/status/503"]\n'
        )
        config = tmp_path / "peacewatch.toml"
        config.write_text(
            f'[storage]\npath = "{tmp_path / "x.db"}"\n[sources]\nregistry = "sources.toml"\n'
            "[crawl]\nretry_times = 0\ndownload_delay_seconds = 0\n"
        )
        result = CliRunner().invoke(cli, ["--config", str(config), "run"])
    assert result.exit_code == EXIT_ALL_SOURCES_FAILED, result.output
    assert "down" in result.output and "HTTP 503" in result.output
    assert "every source failed" in result.output


def _single_source_config(archive_config, url: str):
    source = Source(id="slow-outlet", name="Slow", language="ru", feeds=(Feed(url, "rss"),))
    return _fast_failing(replace(archive_config, sources=(source,)))


def test_long_retry_after_defers_the_source_without_a_retry_loop(archive_config):
    with FaultServer() as faults:
        config = _single_source_config(archive_config, f"{faults.base}/retry-after/3600")
        first = run_cycle(config)
        second = run_cycle(config)
        hits = faults.hits["/retry-after/3600"]
    stats = first.stats[0]
    assert stats.status == "deferred"
    assert stats.deferred_until is not None and "deferred until" in (stats.error_text or "")
    assert hits == 1
    assert second.stats[0].status == "deferred" and second.stats[0].requests == 0


def test_robots_txt_disallow_means_the_url_is_never_fetched(archive_config):
    with FaultServer() as faults:
        config = _single_source_config(archive_config, f"{faults.base}/private/rss.xml")
        report = run_cycle(config)
        hits = dict(faults.hits)
    assert hits == {}
    assert report.stats[0].status == "failed"
    assert "robots.txt" in (report.stats[0].error_text or "")


def test_a_crawl_that_overruns_its_hard_timeout_is_stopped_and_reported(tmp_path):
    from crawler.job import CrawlJob
    from scheduler.crawl import run_crawl
    from storage.db import open_db
    from storage.queries import upsert_sources

    with FaultServer() as faults:
        source = Source(
            id="stuck", name="Stuck", language="ru", feeds=(Feed(f"{faults.base}/hang"),)
        )
        db_path = tmp_path / "t.db"
        db = open_db(db_path)
        upsert_sources(db, [source])
        db.close()
        job = CrawlJob(
            db_path=str(db_path),
            sources=[source],
            result_path="",
            settings={"DOWNLOAD_TIMEOUT": 60, "RETRY_TIMES": 0},
        )
        outcome = run_crawl(job, timeout=3, log_path=tmp_path / "crawl.log", terminate_grace=3)
    assert outcome.timed_out
    assert outcome.duration_s < 20
    assert outcome.stats[0].status == "failed"
    assert "timed out after 3 s" in (outcome.error or "")


def test_a_sitemap_index_is_followed_to_its_newest_three_children_only(archive_config):
    with FaultServer() as faults:
        config = _single_source_config(archive_config, f"{faults.base}/sitemap-index.xml")
        report = run_cycle(config)
        hits = sorted(faults.hits)
    assert report.stats[0].status == "ok"
    assert hits == ["/sitemaps/3.xml", "/sitemaps/4.xml", "/sitemaps/5.xml"]
