"""Transport faults (DESIGN §10) against the real pipeline: ``run_cycle`` → crawl subprocess →
Scrapy → the mock server in its own process (``tests/faults/mockserver.py``).

Every test asserts what the operator sees (per-source status and error text in the cycle's
stats) and what is left in the store (articles, page_failures, feed_state), plus what reached
the server (``requests.log``) where "not fetched" or "not retried" is the point.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.settings import REDIRECT_MAX_TIMES as MAX_REDIRECTS
from scheduler.config import Config
from scheduler.cycle import CycleReport, run_cycle
from storage.db import open_db
from storage.models import Feed, Source, SourceRunStats
from tests.faults.harness import ARTICLE_HTML, bounded_config, link_feed, query
from tests.faults.mockserver import MockServer

pytestmark = pytest.mark.faults

DOWNLOAD_TIMEOUT = 2
TRIES = 2  # retry_times = 1
MAX_PAGE_BYTES = 1024 * 1024

# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MockServer]:
    static = tmp_path / "static"
    static.mkdir()
    with MockServer(static) as mock:
        yield mock


@pytest.fixture
def plain_config(tmp_path: Path) -> Config:
    """A config of its own (no archive server to start and stop); tests set the sources."""
    return bounded_config(tmp_path)


def _static(server: MockServer) -> Path:
    assert server.static is not None
    return server.static


def write_article(server: MockServer, name: str) -> str:
    """A small, extractable article page in the static dir; returns its path on the server."""
    (_static(server) / name).write_text(ARTICLE_HTML.format(title=f"Talks resume: {name}"))
    return f"/static/{name}"


def write_feed(server: MockServer, name: str, paths: list[str]) -> str:
    """An RSS feed in the static dir whose items link to ``paths`` on the server (or to full
    URLs given as such)."""
    urls = [path if path.startswith("http") else server.url(path) for path in paths]
    (_static(server) / name).write_text(
        link_feed(urls, title=name, home=server.url("/")), encoding="utf-8"
    )
    (_static(server) / f"{name}.headers").write_text("Content-Type: application/rss+xml\n")
    return server.url(f"/static/{name}")


def source(source_id: str, feed_url: str) -> Source:
    return Source(id=source_id, name=source_id, language="en", feeds=(Feed(feed_url, "rss"),))


def fast_config(base: Config, *sources: Source, **crawl: Any) -> Config:
    settings = {
        "download_timeout_seconds": DOWNLOAD_TIMEOUT,
        "retry_times": TRIES - 1,
        "retry_backoff_seconds": 0.1,
        "timeout_seconds": 60,
        "stop_grace_seconds": 5,
        "max_page_bytes": MAX_PAGE_BYTES,
        "download_delay_seconds": 0.05,
        "autothrottle": False,
        "analysis_worker": False,
        **crawl,
    }
    return replace(base, sources=sources, crawl=replace(base.crawl, **settings))


def by_id(report: CycleReport) -> dict[str, SourceRunStats]:
    return {stats.source_id: stats for stats in report.stats}


def stored_urls(config: Config) -> list[str]:
    return [row[0] for row in query(config, "SELECT url FROM articles")]


def page_failure(config: Config, path: str) -> str | None:
    rows = query(config, "SELECT url, last_error FROM page_failures")
    return next((error for url, error in rows if url.endswith(path)), None)


def hits(server: MockServer, path: str) -> int:
    return sum(1 for line in server.requests() if line == path)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed_cycle(config: Config) -> tuple[CycleReport, float]:
    started = time.monotonic()
    report = run_cycle(config)
    return report, time.monotonic() - started


#: A crawl that fails every page within the timeout x tries, plus the subprocess and the cycle.
BOUND_S = DOWNLOAD_TIMEOUT * (TRIES + 1) + 15


# -- 1. slow, hanging, trickling --------------------------------------------------------------


@pytest.mark.parametrize("fault", ["/delay/30", "/hang-after-headers", "/trickle"])
def test_a_slow_feed_fails_within_the_timeout_and_other_sources_still_run(
    archive_config: Config, server: MockServer, fault: str
) -> None:
    good = next(s for s in archive_config.sources if s.id == "kyiv-independent")
    config = fast_config(archive_config, good, source("slow", server.url(fault)))
    report, elapsed = timed_cycle(config)
    stats = by_id(report)
    assert stats["slow"].status == "failed"
    assert "Timeout" in (stats["slow"].error_text or ""), stats["slow"].error_text
    assert stats["kyiv-independent"].status == "ok"
    assert stats["kyiv-independent"].articles_new > 0
    assert hits(server, fault) == TRIES
    assert elapsed < BOUND_S + 10  # + the archive source's own crawl


def test_slow_article_pages_fail_within_the_timeout_and_the_good_page_is_stored(
    plain_config: Config, server: MockServer
) -> None:
    faults = ["/delay/30", "/hang-after-headers", "/trickle"]
    good = write_article(server, "good.html")
    config = fast_config(
        plain_config, source("slowpages", write_feed(server, "rss.xml", [*faults, good]))
    )
    report, elapsed = timed_cycle(config)
    stats = by_id(report)["slowpages"]
    assert stats.status == "partial"
    assert stats.pages_failed == 3 and stats.articles_new == 1
    assert [url for url in stored_urls(config) if not url.endswith(good)] == []
    for fault in faults:
        assert "Timeout" in (page_failure(config, fault) or ""), fault
        assert hits(server, fault) == TRIES
    assert elapsed < BOUND_S


# -- 2. refused, reset, truncated -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("refused", "ConnectionRefused"),
        ("/reset-now", "before the whole body arrived"),
        ("/truncated-now", "before the whole body arrived"),
    ],
)
def test_refused_reset_and_truncated_pages_are_retried_then_one_clear_error(
    plain_config: Config, server: MockServer, fault: str, error: str
) -> None:
    url_path, allowed = fault, ()
    if fault == "refused":  # another port of the same host, nothing listening; the registry
        port = closed_port()  # lists it (allowed_hosts): any other port is off-site
        url_path, allowed = f":{port}/article.html", (f"127.0.0.1:{port}",)
    good = write_article(server, "good.html")
    target = f"http://127.0.0.1{url_path}" if fault == "refused" else url_path
    feed = write_feed(server, "rss.xml", [target, good])
    config = fast_config(plain_config, replace(source("broken", feed), allowed_hosts=allowed))
    report = run_cycle(config)
    stats = by_id(report)["broken"]
    assert stats.status == "partial"
    assert stats.pages_failed == 1 and stats.articles_new == 1
    assert [url for url in stored_urls(config) if url.endswith(url_path)] == []
    message = page_failure(config, url_path) or ""
    assert error.lower() in message.lower(), message
    assert message.count("\n") == 0 and len(message) < 300
    if fault != "refused":
        assert hits(server, url_path) == TRIES


# -- 3. 429/503 with a long Retry-After -------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_long_retry_after_defers_the_source_without_a_retry_loop(
    plain_config: Config, server: MockServer, status: int
) -> None:
    path = f"/status/{status}?retry_after=3600"
    config = fast_config(plain_config, source("busy", server.url(path)))
    before = datetime.now(UTC)
    first = by_id(run_cycle(config))["busy"]
    assert first.status == "deferred"
    assert hits(server, path) == 1
    assert first.deferred_until is not None
    until = datetime.fromisoformat(first.deferred_until)
    assert before + timedelta(seconds=3590) <= until <= datetime.now(UTC) + timedelta(hours=1)
    assert first.deferred_until in (first.error_text or "")
    [(stored_until,)] = query(config, "SELECT deferred_until FROM feed_state")
    assert stored_until == first.deferred_until

    second = by_id(run_cycle(config))["busy"]
    assert second.status == "deferred" and second.requests == 0
    assert second.deferred_until == first.deferred_until
    assert hits(server, path) == 1


def test_long_retry_after_on_an_article_page_is_not_retried(
    plain_config: Config, server: MockServer
) -> None:
    path = "/status/429?retry_after=3600"
    good = write_article(server, "good.html")
    feed = write_feed(server, "rss.xml", [path, good])
    config = fast_config(plain_config, source("busypage", feed))
    stats = by_id(run_cycle(config))["busypage"]
    assert hits(server, path) == 1
    assert "HTTP 429" in (page_failure(config, path) or "")
    assert stats.status == "partial" and stats.pages_failed == 1 and stats.articles_new == 1


# -- 4. oversized and endless bodies ----------------------------------------------------------


@pytest.mark.parametrize("fault", ["/huge-length", "/endless"])
def test_oversized_and_endless_pages_are_cut_at_the_size_limit(
    plain_config: Config, server: MockServer, fault: str
) -> None:
    good = write_article(server, "good.html")
    config = fast_config(plain_config, source("big", write_feed(server, "rss.xml", [fault, good])))
    report, elapsed = timed_cycle(config)
    stats = by_id(report)["big"]
    assert stats.status == "partial" and stats.articles_new == 1
    assert [url for url in stored_urls(config) if url.endswith(fault)] == []
    message = page_failure(config, fault) or ""
    assert "size" in message.lower() and str(MAX_PAGE_BYTES) in message, message
    assert hits(server, fault) == 1  # a size verdict is final: not retried
    assert elapsed < BOUND_S


def test_an_endless_feed_is_cut_and_the_crawl_stays_small(
    plain_config: Config, server: MockServer
) -> None:
    config = fast_config(plain_config, source("endless", server.url("/endless")))
    report, elapsed = timed_cycle(config)
    stats = by_id(report)["endless"]
    assert stats.status == "failed"
    assert "size" in (stats.error_text or "").lower(), stats.error_text
    assert elapsed < BOUND_S
    assert stored_urls(config) == []


def test_the_crawl_process_memory_stays_bounded_on_endless_and_bomb_bodies(
    tmp_path: Path, server: MockServer
) -> None:
    """Peak RSS of the crawl subprocess (``peacewatch run`` in a fresh wrapper process, whose
    RUSAGE_CHILDREN then covers just that run): a 1 GB bomb and an endless body, both cut at
    1 MiB, must not show up in it. Uncapped, the bomb alone would be over 1 GB."""
    with urllib.request.urlopen(server.url("/gzip-bomb-big"), timeout=120) as warm_up:
        warm_up.read()
    feeds = [server.url("/endless"), server.url("/gzip-bomb-big"), server.url("/huge-length")]
    (tmp_path / "sources.toml").write_text(
        "".join(
            f'[[sources]]\nid = "s{n}"\nname = "S{n}"\nlanguage = "en"\nfeeds = ["{url}"]\n'
            for n, url in enumerate(feeds)
        )
    )
    (tmp_path / "peacewatch.toml").write_text(
        f'[storage]\npath = "{tmp_path / "store.db"}"\n[sources]\nregistry = "sources.toml"\n'
        f"[crawl]\ndownload_timeout_seconds = {DOWNLOAD_TIMEOUT}\nretry_times = 1\n"
        f"retry_backoff_seconds = 0.1\ntimeout_seconds = 60\nmax_page_bytes = {MAX_PAGE_BYTES}\n"
        "download_delay_seconds = 0.05\nanalysis_worker = false\n"
    )
    wrapper = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'scheduler.cli', '--config', sys.argv[1], 'run'],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, str(tmp_path / "peacewatch.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    elapsed = time.monotonic() - started
    peak_mb = int(done.stdout.strip()) / 1024
    assert peak_mb < 400, f"crawl peak RSS {peak_mb:.0f} MB"
    assert elapsed < BOUND_S + 10
    db_path = tmp_path / "store.db"
    db = open_db(db_path)
    try:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
        statuses = db.execute("SELECT status FROM run_sources").fetchall()
    finally:
        db.close()
    assert [row[0] for row in statuses] == ["failed"] * 3


# -- 5. compression bombs ---------------------------------------------------------------------


@pytest.mark.parametrize("bomb", ["/gzip-bomb", "/gzip-bomb-big"])
def test_a_compression_bomb_feed_is_rejected(
    plain_config: Config, server: MockServer, bomb: str
) -> None:
    config = fast_config(plain_config, source("bomb", server.url(bomb)))
    # the server builds the bomb on first use (seconds for 1 GB): not what is measured here
    with urllib.request.urlopen(server.url(bomb), timeout=120) as warm_up:
        warm_up.read()
    report, elapsed = timed_cycle(config)
    stats = by_id(report)["bomb"]
    assert stats.status == "failed"
    assert "DOWNLOAD_MAXSIZE" in (stats.error_text or ""), stats.error_text
    assert hits(server, bomb) == 1 + 1  # the warm-up, then one: a size verdict is not retried
    assert stored_urls(config) == []
    assert elapsed < BOUND_S


def test_a_compression_bomb_article_is_rejected_and_nothing_stored(
    plain_config: Config, server: MockServer
) -> None:
    good = write_article(server, "good.html")
    config = fast_config(
        plain_config, source("bombpage", write_feed(server, "rss.xml", ["/gzip-bomb", good]))
    )
    report, elapsed = timed_cycle(config)
    stats = by_id(report)["bombpage"]
    assert stats.status == "partial" and stats.articles_new == 1
    assert "DOWNLOAD_MAXSIZE" in (page_failure(config, "/gzip-bomb") or "")
    assert [url for url in stored_urls(config) if "bomb" in url] == []
    assert elapsed < BOUND_S


# -- 6. redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["/redirect-loop", "/redirect-chain/30"])
def test_redirect_loops_and_long_chains_stop_at_the_limit_with_one_clear_error(
    plain_config: Config, server: MockServer, fault: str
) -> None:
    good = write_article(server, "good.html")
    config = fast_config(plain_config, source("loop", write_feed(server, "rss.xml", [fault, good])))
    stats = by_id(run_cycle(config))["loop"]
    assert stats.status == "partial" and stats.pages_failed == 1 and stats.articles_new == 1
    message = page_failure(config, fault) or ""
    assert "redirect" in message.lower(), message
    prefix = fault.rsplit("/", 1)[0] if fault[-1].isdigit() else fault
    assert sum(1 for line in server.requests() if line.startswith(prefix)) == 1 + MAX_REDIRECTS


def test_a_short_redirect_chain_is_followed(plain_config: Config, server: MockServer) -> None:
    config = fast_config(
        plain_config, source("chain", write_feed(server, "rss.xml", ["/redirect-chain/3"]))
    )
    stats = by_id(run_cycle(config))["chain"]
    assert hits(server, "/redirect-chain/0") == 1
    assert stats.pages_failed == 1  # the end of the chain is a 16-character page: not an article
    message = page_failure(config, "/redirect-chain/3") or ""
    assert "/redirect-chain/0: no article text" in message, message


def test_an_off_site_redirect_is_refused(plain_config: Config, server: MockServer) -> None:
    good = write_article(server, "good.html")
    config = fast_config(
        plain_config, source("away", write_feed(server, "rss.xml", ["/redirect-offsite", good]))
    )
    stats = by_id(run_cycle(config))["away"]
    assert stats.status == "partial" and stats.articles_new == 1
    message = page_failure(config, "/redirect-offsite") or ""
    assert "off-site redirect" in message and "offsite.invalid" in message, message
    assert "DNSLookupError" not in message  # refused before any attempt to reach it
    assert hits(server, "/redirect-offsite") == 1


# -- 7. robots.txt ----------------------------------------------------------------------------


def test_a_robots_disallowed_page_is_never_fetched(
    plain_config: Config, server: MockServer
) -> None:
    (_static(server) / "robots.txt").write_text("User-agent: *\nDisallow: /static/private/\n")
    (_static(server) / "private").mkdir()
    private = write_article(server, "private/secret.html")
    public = write_article(server, "public.html")
    config = fast_config(
        plain_config, source("polite", write_feed(server, "rss.xml", [private, public]))
    )
    stats = by_id(run_cycle(config))["polite"]
    assert hits(server, private) == 0
    assert hits(server, "/robots.txt") == 1
    assert [url for url in stored_urls(config) if "private" in url] == []
    assert stats.articles_new == 1
    assert "robots.txt" in (page_failure(config, private) or "")


def test_robots_txt_answering_500_is_treated_as_allow_all_and_the_crawl_goes_on(
    plain_config: Config, server: MockServer
) -> None:
    (_static(server) / "robots.txt").write_text("<html><body>Internal error</body></html>")
    (_static(server) / "robots.txt.headers").write_text("status: 500\nContent-Type: text/html\n")
    public = write_article(server, "public.html")
    config = fast_config(plain_config, source("robots500", write_feed(server, "rss.xml", [public])))
    stats = by_id(run_cycle(config))["robots500"]
    assert hits(server, "/robots.txt") >= 1
    assert stats.status == "ok" and stats.articles_new == 1, stats
    assert hits(server, public) == 1
