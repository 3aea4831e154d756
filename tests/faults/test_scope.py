"""Scope (issue 11, class 1): the crawl of a source never leaves it.

Real crawls (``run_cycle`` → crawl subprocess → Scrapy) against mock servers in their own
processes: the source's own server on 127.0.0.1, "another port" on 127.0.0.1, "another host" on
127.0.0.2. Each test asserts what reached the other servers (nothing, not even robots.txt),
what was stored, and the refusals counted in the run's statistics.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from scrapy.settings import Settings
from scrapy.utils.python import without_none_values

from scheduler.cli.app import cli
from scheduler.config import Config, ConfigError, load_config, load_sources
from scheduler.cycle import CycleReport, run_cycle
from storage.models import Feed, Source, SourceRunStats
from tests.faults.harness import ARTICLE_HTML, bounded_config, link_feed, query
from tests.faults.mockserver import MockServer

pytestmark = pytest.mark.faults

SECRET = "s3cr3t-pa55"
_names = itertools.count()


# -- servers and documents ----------------------------------------------------------------------


class Site:
    """One mock server and a directory of its own for one test's files."""

    def __init__(self, server: MockServer, folder: str) -> None:
        self.server = server
        assert server.static is not None
        self.dir = server.static / folder
        self.dir.mkdir()
        self.folder = folder

    def url(self, name: str) -> str:
        return self.server.url(self.path(name))

    def path(self, name: str) -> str:
        return f"/static/{self.folder}/{name}"

    def put(self, name: str, body: str, headers: str = "") -> str:
        (self.dir / name).write_text(body, encoding="utf-8")
        if headers:
            (self.dir / f"{name}.headers").write_text(headers, encoding="utf-8")
        return self.url(name)

    def article(self, name: str) -> str:
        return self.put(name, ARTICLE_HTML.format(title=f"Talks resume: {name}"))

    def redirect(self, name: str, target: str) -> str:
        return self.put(name, "", f"status: 302\nLocation: {target}\nContent-Length: 0\n")

    def feed(self, name: str, links: list[str]) -> str:
        return self.put(
            name,
            link_feed(links, title="t", home=self.url("")),
            "Content-Type: application/rss+xml\n",
        )

    def urlset(self, name: str, links: list[str]) -> str:
        return self.put(name, urlset(links), "Content-Type: application/xml\n")

    def sitemap_index(self, name: str, children: list[str]) -> str:
        entries = "".join(
            f"<sitemap><loc>{escape(child)}</loc><lastmod>2026-11-2{n % 10}</lastmod></sitemap>"
            for n, child in enumerate(children)
        )
        return self.put(
            name,
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>",
            "Content-Type: application/xml\n",
        )


def urlset(links: list[str]) -> str:
    entries = "".join(
        f"<url><loc>{escape(link)}</loc><lastmod>2026-11-20T10:00:00+00:00</lastmod></url>"
        for link in links
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )


def _server(tmp_path_factory: pytest.TempPathFactory, host: str) -> Iterator[MockServer]:
    with MockServer(tmp_path_factory.mktemp("static"), host=host) as server:
        yield server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    yield from _server(tmp_path_factory, "127.0.0.1")


@pytest.fixture(scope="module")
def port_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The same host as the source, another port."""
    yield from _server(tmp_path_factory, "127.0.0.1")


@pytest.fixture(scope="module")
def host_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """Another host (another loopback address)."""
    yield from _server(tmp_path_factory, "127.0.0.2")


@pytest.fixture
def own(own_server: MockServer) -> Site:
    return Site(own_server, f"t{next(_names)}")


@pytest.fixture
def elsewhere(port_server: MockServer, host_server: MockServer) -> dict[str, Site]:
    folder = f"t{next(_names)}"
    return {"another port": Site(port_server, folder), "another host": Site(host_server, folder)}


# -- crawling -------------------------------------------------------------------------------------


def config_for(tmp_path: Path, *sources: Source, **crawl: Any) -> Config:
    settings = {
        "timeout_seconds": 40,
        "stop_grace_seconds": 5,
        "download_delay_seconds": 0.0,
        "analysis_worker": False,
    }
    return replace(bounded_config(tmp_path, **(settings | crawl)), sources=sources)


def source(feed_url: str, kind: str = "rss", **extra: Any) -> Source:
    return Source(id="own", name="Own", language="en", feeds=(Feed(feed_url, kind),), **extra)


def crawl(config: Any, *watched: Site) -> tuple[SourceRunStats, list[list[str]]]:
    """One cycle; the stats of source "own" and what each watched server received meanwhile."""
    before = [len(site.server.requests()) for site in watched]
    report: CycleReport = run_cycle(config)
    received = [site.server.requests()[n:] for site, n in zip(watched, before, strict=True)]
    return next(s for s in report.stats if s.source_id == "own"), received


def stored(config: Any) -> list[str]:
    return [row[0] for row in query(config, "SELECT fetched_url FROM articles")]


def hits(site: Site, name: str) -> int:
    return site.server.requests().count(site.path(name))


# -- child sitemaps -----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["another port", "another host"])
def test_a_sitemap_index_child_on_another_port_or_host_is_never_requested(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site], where: str
) -> None:
    other = elsewhere[where]
    other.urlset("child.xml", [other.article("away.html")])
    own.urlset("child.xml", [own.article("home.html")])
    index = own.sitemap_index("index.xml", [other.url("child.xml"), own.url("child.xml")])
    config = config_for(tmp_path, source(index, "sitemap"))
    stats, (received,) = crawl(config, other)
    assert received == []  # not the child, not its articles, not its robots.txt
    assert stats.refused_offsite == 1, stats
    assert stored(config) == [own.url("home.html")]


@pytest.mark.parametrize("scheme", ["file", "data"])
def test_a_child_sitemap_that_is_not_http_is_never_read(
    tmp_path: Path, own: Site, scheme: str
) -> None:
    """A ``file://`` child pointing at a local sitemap is not read, so the URLs inside it are
    not requested either; nor is a ``data:`` one."""
    local = tmp_path / "local-sitemap.xml"
    local.write_text(urlset([own.article("secret.html")]), encoding="utf-8")
    child = (
        local.as_uri() if scheme == "file" else "data:text/xml," + urlset([own.url("secret.html")])
    )
    own.urlset("child.xml", [own.article("home.html")])
    config = config_for(
        tmp_path, source(own.sitemap_index("index.xml", [child, own.url("child.xml")]), "sitemap")
    )
    stats, _ = crawl(config)
    assert hits(own, "secret.html") == 0
    assert stats.refused_offsite == 1, stats
    assert stored(config) == [own.url("home.html")]


def test_a_child_sitemap_on_dev_zero_does_not_grow_the_crawl(tmp_path: Path, own: Site) -> None:
    index = own.sitemap_index("index.xml", ["file:///dev/zero"])
    config = config_for(tmp_path, source(index, "sitemap"), timeout_seconds=20)
    started = time.monotonic()
    stats, _ = crawl(config)
    assert time.monotonic() - started < 15
    assert stats.refused_offsite == 1 and stats.status == "ok", stats


def test_a_feed_declared_rss_that_answers_with_a_sitemap_index_stays_on_the_source(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site]
) -> None:
    other = elsewhere["another port"]
    other.urlset("child.xml", [other.article("away.html")])
    own.urlset("child.xml", [own.article("home.html")])
    index = own.sitemap_index(
        "rss.xml", [other.url("child.xml"), "file:///dev/zero", own.url("child.xml")]
    )
    config = config_for(tmp_path, source(index, "rss"))
    stats, (received,) = crawl(config, other)
    assert received == []
    assert stats.refused_offsite == 2, stats
    assert stored(config) == [own.url("home.html")]


# -- feed items ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["another port", "another host"])
def test_a_feed_item_on_another_port_or_host_is_not_requested(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site], where: str
) -> None:
    other = elsewhere[where]
    feed = own.feed("rss.xml", [other.article("away.html"), own.article("home.html")])
    config = config_for(tmp_path, source(feed))
    stats, (received,) = crawl(config, other)
    assert received == []
    assert stats.refused_offsite == 1 and stats.errors == 0, stats
    assert stored(config) == [own.url("home.html")]


def test_a_feed_item_that_is_not_http_is_refused_not_failed(tmp_path: Path, own: Site) -> None:
    local = tmp_path / "page.html"
    local.write_text(ARTICLE_HTML.format(title="Local file"), encoding="utf-8")
    feed = own.feed("rss.xml", [local.as_uri(), own.article("home.html")])
    config = config_for(tmp_path, source(feed))
    stats, _ = crawl(config)
    assert stats.refused_offsite == 1 and stats.errors == 0 and stats.status == "ok", stats
    assert stored(config) == [own.url("home.html")]


def test_a_host_listed_in_allowed_hosts_is_fetched(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site]
) -> None:
    other = elsewhere["another port"]
    away = other.article("away.html")
    feed = own.feed("rss.xml", [away])
    allowed = (f"127.0.0.1:{other.server.port}",)
    config = config_for(tmp_path, source(feed, allowed_hosts=allowed))
    stats, (received,) = crawl(config, other)
    assert other.path("away.html") in received
    assert stats.refused_offsite == 0 and stored(config) == [away], stats


# -- redirects and robots.txt -------------------------------------------------------------------


def test_an_article_redirecting_to_another_port_is_refused_and_not_stored(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site]
) -> None:
    other = elsewhere["another port"]
    moved = own.redirect("moved.html", other.article("away.html"))
    config = config_for(tmp_path, source(own.feed("rss.xml", [moved, own.article("home.html")])))
    stats, (received,) = crawl(config, other)
    assert received == []
    assert stats.refused_offsite == 1 and stats.pages_failed == 1, stats
    assert stored(config) == [own.url("home.html")]
    (error,) = [e for (e,) in query(config, "SELECT last_error FROM page_failures")]
    assert "off-site redirect" in error and f":{other.server.port}" in error, error


def test_a_feed_redirecting_to_another_port_is_refused(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site]
) -> None:
    other = elsewhere["another port"]
    moved = own.redirect("rss.xml", other.feed("rss.xml", [other.article("away.html")]))
    config = config_for(tmp_path, source(moved))
    stats, (received,) = crawl(config, other)
    assert received == []
    assert stats.refused_offsite == 1 and stats.status == "failed", stats
    assert "off-site redirect" in (stats.error_text or ""), stats
    assert stored(config) == []


def test_a_robots_txt_redirecting_to_another_port_is_not_followed(
    tmp_path: Path, elsewhere: dict[str, Site]
) -> None:
    """robots.txt requests carry no source; theirs may go only to some source's own hosts."""
    other = elsewhere["another port"]
    static = tmp_path / "own-static"
    static.mkdir()
    with MockServer(static) as server:
        own = Site(server, "t")
        (static / "robots.txt").write_text("")
        (static / "robots.txt.headers").write_text(
            f"status: 302\nLocation: {other.server.url('/robots.txt')}\nContent-Length: 0\n"
        )
        config = config_for(tmp_path, source(own.feed("rss.xml", [own.article("home.html")])))
        stats, (received,) = crawl(config, other)
        assert server.requests().count("/robots.txt") == 1
    assert received == []
    assert stats.refused_offsite == 1, stats
    assert stored(config) == [own.url("home.html")]  # robots.txt unreadable: allowed, as Scrapy


# -- credentials --------------------------------------------------------------------------------


def test_credentials_in_a_url_never_appear_in_stored_errors_urls_or_the_log(
    tmp_path: Path, own: Site
) -> None:
    def with_secret(url: str) -> str:
        return url.replace("http://", f"http://reader:{SECRET}@")

    links = [
        with_secret(own.url("missing.html")),  # in a feed item
        own.redirect("moved.html", with_secret(own.url("gone.html"))),  # in a redirect
        with_secret(own.article("home.html")),
    ]
    config = config_for(tmp_path, source(own.feed("rss.xml", links)), log_level="DEBUG")
    stats, _ = crawl(config)
    assert stats.pages_failed == 2 and stats.articles_new == 1, stats
    log = (config.storage_path.parent / "logs" / "crawl-latest.log").read_text(encoding="utf-8")
    assert "missing.html" in log and "gone.html" in log and SECRET not in log
    failures = query(config, "SELECT url, last_error FROM page_failures")
    assert [e for _, e in failures if "HTTP 404" in e] == [e for _, e in failures], failures
    assert SECRET not in repr(failures), failures
    assert SECRET not in repr(query(config, "SELECT * FROM run_sources"))
    assert SECRET not in repr(query(config, "SELECT url, fetched_url FROM articles"))
    assert stored(config) == [own.url("home.html")]


# -- statistics, registry, settings -------------------------------------------------------------


def test_refusals_are_stored_with_the_run_and_shown_by_status_json(
    tmp_path: Path, own: Site, elsewhere: dict[str, Site]
) -> None:
    other = elsewhere["another port"]
    feed = own.feed("rss.xml", [other.article("a.html"), other.article("b.html")])
    (tmp_path / "sources.toml").write_text(
        f'[[sources]]\nid = "own"\nname = "Own"\nlanguage = "en"\nfeeds = ["{feed}"]\n'
    )
    path = tmp_path / "peacewatch.toml"
    path.write_text(
        f'[storage]\npath = "{tmp_path / "store.db"}"\n[sources]\nregistry = "sources.toml"\n'
        "[crawl]\nanalysis_worker = false\nautothrottle = false\ndownload_delay_seconds = 0.0\n"
    )
    run_cycle(load_config(path))
    config = load_config(path)
    assert query(config, "SELECT refused_offsite FROM run_sources WHERE source_id = 'own'") == [
        (2,)
    ]
    result = CliRunner().invoke(cli, ["--config", str(path), "status", "--json"])
    assert result.exit_code == 0, result.output
    assert '"refused_offsite_last_run": 2' in result.output, result.output


def wide_registry(tmp_path: Path, allowed_hosts: str) -> Path:
    """sources.toml of one source "wide" whose allowed_hosts are ``allowed_hosts`` (TOML)."""
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[sources]]\nid = "wide"\nname = "Wide"\nlanguage = "en"\n'
        f'feeds = ["https://example.org/rss"]\nallowed_hosts = {allowed_hosts}\n'
    )
    return registry


@pytest.mark.parametrize(
    "value",
    [
        '"example.org"',
        '["http://example.org"]',
        '["example.org/news"]',
        '["example.org:0"]',
        '["example.org:99999"]',
        '["user@example.org"]',
        "[5]",
        '[""]',
    ],
)
def test_a_bad_allowed_hosts_entry_is_refused_when_the_registry_loads(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(ConfigError, match=r"\(wide\).*allowed_hosts"):
        load_sources(wide_registry(tmp_path, value))


def test_allowed_hosts_from_the_registry_reach_the_source(tmp_path: Path) -> None:
    registry = wide_registry(tmp_path, '["CDN.example.org", "127.0.0.1:8080", "[::1]:81"]')
    (wide,) = load_sources(registry)
    assert wide.allowed_hosts == ("cdn.example.org", "127.0.0.1:8080", "[::1]:81")
    assert Source.from_json(wide.to_json()) == wide


def test_only_http_download_handlers_are_enabled() -> None:
    """No file, s3, ftp or data handler: every download goes through the HTTP handler, the one
    that enforces DOWNLOAD_MAXSIZE."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    handlers = without_none_values(settings.getwithbase("DOWNLOAD_HANDLERS"))
    assert sorted(handlers) == ["http", "https"]


def test_the_default_registry_fetches_nothing_over_plain_http() -> None:
    sources = load_config(None).sources
    plain = [
        url
        for s in sources
        for url in [s.homepage, *(feed.url for feed in s.feeds)]
        if url.startswith("http://")
    ]
    assert plain == []
