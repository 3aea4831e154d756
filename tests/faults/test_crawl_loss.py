"""Issue 11, class 2 (and two crawler bullets of class 6): nothing is lost in silence.

One bad item or page — a date no calendar holds, a list where a string belongs, a control
character in CMS copy, a rule that throws — costs that item at most, is recorded as a page
failure with its message and counted in the run, and the rest of the feed goes on. Per-run
caps take the newest items first, and items that keep failing wait behind fresh ones.

Real crawls (``run_cycle``: crawl subprocess, store, diff, alerts) against the mock server in
its own process, as in ``test_content.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.job import CrawlJob
from crawler.spiders.news import NewsSpider
from crawler.urls import canonical_url
from scheduler.config import Config
from storage.db import open_db
from storage.health import source_overview
from storage.models import Article, ExtractRules, Feed, Source
from storage.queries import upsert_sources
from tests.faults.harness import NEWS, Cycle, bounded_config, crawl, iso, put, rss
from tests.faults.mockserver import MockServer

pytestmark = pytest.mark.faults

#: What must never reach ``articles.title`` / ``articles.text``: C0 and C1 controls (tab and
#: line breaks aside), U+FFFE/U+FFFF, and the bidi embeddings, overrides and isolates.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
YEAR_ONE_EAST = "0001-01-01T00:00:00+14:00"  # before year 1 in UTC: unrepresentable
YEAR_END_WEST = "9999-12-31T23:59:59-14:00"  # after year 9999 in UTC: unrepresentable


def _rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def article(
    title: str,
    paragraphs: list[str],
    *,
    ld: dict[str, object] | None = None,
    head: str = "",
) -> str:
    script = ""
    if ld is not None:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", **ld}
        script = (
            f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=True)}</script>'
        )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">{head}<title>{title}</title>'
        f"{script}</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def numbered(index: int) -> list[str]:
    """NEWS with a first paragraph of its own, so no two pages are the same text."""
    return [f"Сообщение номер {index}: " + NEWS[0], *NEWS[1:]]


def source(source_id: str, *feeds: str, rules: ExtractRules | None = None) -> Source:
    return Source(
        id=source_id,
        name=source_id,
        language="ru",
        feeds=tuple(Feed(url, "auto") for url in feeds),
        extract=rules or ExtractRules(),
    )


@pytest.fixture(scope="module")
def base_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return bounded_config(
        tmp_path_factory.mktemp("config"), atom_feed=False, concurrent_requests_per_site=4
    )


def status_of(run: Cycle, source_id: str) -> dict[str, object]:
    """The row ``peacewatch status`` prints for the source."""
    db = open_db(run.db_path)
    try:
        return source_overview(db)[source_id]
    finally:
        db.close()


# -- dates no calendar holds, a list for a headline ----------------------------------------


@pytest.fixture(scope="module")
def dates(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/dates")
    now = datetime.now(UTC).replace(microsecond=0)
    hour_ago = now - timedelta(hours=1)
    # A feed whose middle item carries a date before year 1 in UTC, and whose first says it
    # was edited at the end of time (which would fetch it again as a revision every run).
    for index, name in enumerate(("before", "year-one", "after")):
        put(static, f"dates/{name}.html", article(f"Новость {index}", numbered(index)))
    put(
        static,
        "dates/feed.xml",
        rss(
            [
                (f"{base}/before.html", "До", _rfc822(hour_ago)),
                (f"{base}/year-one.html", "Год первый", YEAR_ONE_EAST),
                (f"{base}/after.html", "После", _rfc822(hour_ago)),
            ]
        ).replace(
            "<title>До</title>",
            '<title>До</title><atom:updated xmlns:atom="http://www.w3.org/2005/Atom">'
            "9999-12-31T23:59:59Z</atom:updated>",
        ),
        "application/rss+xml",
    )
    # A news sitemap with the same dates in <news:publication_date> and <lastmod>.
    for index, name in enumerate(("map-year-one", "map-year-end"), start=3):
        put(static, f"dates/{name}.html", article(f"Карта {index}", numbered(index)))
    put(
        static,
        "dates/sitemap.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{base}/map-year-one.html</loc><news:news><news:title>a</news:title>"
        f"<news:publication_date>{YEAR_ONE_EAST}</news:publication_date></news:news></url>"
        f"<url><loc>{base}/map-year-end.html</loc><lastmod>{YEAR_END_WEST}</lastmod></url>"
        "</urlset>",
        "application/xml",
    )
    # Pages whose JSON-LD time is unrepresentable or absurd; one dated by its feed item too.
    pages = {
        "ld-year-end-fed": YEAR_END_WEST,
        "ld-year-end": YEAR_END_WEST,
        "ld-year-one-utc": "0001-01-01T00:00:00Z",
    }
    for index, (name, when) in enumerate(pages.items(), start=5):
        put(
            static,
            f"dates/{name}.html",
            article(
                f"Дата {index}",
                numbered(index),
                ld={"headline": f"Дата {index}", "datePublished": when, "dateModified": when},
            ),
        )
    put(
        static,
        "dates/headline.html",
        article(
            "Заголовок страницы",
            numbered(9),
            ld={
                "headline": ["Первый заголовок", "Второй заголовок"],
                "datePublished": iso(hour_ago),
            },
        ),
    )
    put(
        static,
        "dates/ld.xml",
        rss(
            [
                (f"{base}/ld-year-end-fed.html", "a", _rfc822(hour_ago)),
                (f"{base}/ld-year-end.html", "b", None),
                (f"{base}/ld-year-one-utc.html", "c", None),
                (f"{base}/headline.html", "d", None),
            ]
        ),
        "application/rss+xml",
    )
    db_path = tmp_path_factory.mktemp("dates") / "store.db"
    sources = (
        source("feeddate", f"{base}/feed.xml"),
        source("mapdate", f"{base}/sitemap.xml"),
        source("lddate", f"{base}/ld.xml"),
    )
    first = crawl(base_config, db_path, base, *sources)
    first.hour_ago = hour_ago  # type: ignore[attr-defined]
    before = len(server.requests())
    first.second = crawl(base_config, db_path, base, *sources)  # type: ignore[attr-defined]
    first.refetched = [  # type: ignore[attr-defined]
        path for path in server.requests()[before:] if path.endswith(".html")
    ]
    return first


def test_one_feed_item_dated_before_year_one_in_utc_does_not_lose_the_feed(dates: Cycle) -> None:
    articles = dates.articles()
    assert {"before.html", "year-one.html", "after.html"} <= set(articles), dates.report.stats
    assert dates.stats("feeddate").status == "ok", dates.stats("feeddate")


def test_an_unrepresentable_feed_date_is_ignored_and_flagged_on_the_article(dates: Cycle) -> None:
    stored = dates.articles()["year-one.html"]
    assert stored["published_from"] == "fetched"
    assert stored["published_at"] == stored["fetched_at"]
    assert "feed_date_out_of_range" in stored["flags"]


def test_unrepresentable_sitemap_dates_do_not_lose_the_sitemap(dates: Cycle) -> None:
    articles = dates.articles()
    assert {"map-year-one.html", "map-year-end.html"} <= set(articles), dates.report.stats
    assert dates.stats("mapdate").status == "ok", dates.stats("mapdate")


def test_unrepresentable_json_ld_time_takes_the_feed_date_and_is_flagged(dates: Cycle) -> None:
    stored = dates.articles()["ld-year-end-fed.html"]
    assert stored["published_from"] == "feed"
    assert stored["published_at"] == iso(dates.hour_ago)  # type: ignore[attr-defined]
    assert "date_out_of_range" in stored["flags"]
    assert stored["updated_at"] is None


def test_unrepresentable_json_ld_time_without_another_date_is_the_fetch_time(
    dates: Cycle,
) -> None:
    stored = dates.articles()["ld-year-end.html"]
    assert stored["published_from"] == "fetched"
    assert stored["published_at"] == stored["fetched_at"]
    assert "date_out_of_range" in stored["flags"]


def test_a_json_ld_time_in_year_one_is_not_believed(dates: Cycle) -> None:
    stored = dates.articles()["ld-year-one-utc.html"]
    assert stored["published_from"] == "fetched"
    assert "date_out_of_range" in stored["flags"]


def test_pages_with_odd_dates_are_stored_once_and_not_fetched_again(dates: Cycle) -> None:
    assert dates.refetched == [], dates.refetched  # type: ignore[attr-defined]
    assert status_of(dates, "lddate")["articles"] == 4
    assert dates.rows("SELECT url, last_error FROM page_failures") == []


def test_a_json_ld_headline_given_as_a_list_becomes_its_first_string(dates: Cycle) -> None:
    assert dates.articles()["headline.html"]["title"] == "Первый заголовок"


# -- control characters in CMS copy ----------------------------------------------------------

CONTROLS = {
    "soh": "\x01",
    "bs": "\x08",
    "vt": "\x0b",
    "ff": "\x0c",
    "so": "\x0e",
    "esc": "\x1b",
    "bel": "\x07",
    "us": "\x1f",
    "fffe": "\ufffe",
    "ffff": "\uffff",
    "csi": "\x9b",
    "nel": "\x85",
}


@pytest.fixture(scope="module")
def controls(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/ctl")
    when = iso(datetime.now(UTC) - timedelta(hours=1))
    items = []
    for index, (name, char) in enumerate(CONTROLS.items()):
        text = numbered(20 + index)
        text[1] = text[1].replace("следующий раунд", f"следующий{char} раунд")
        title = f"Переговоры {name}{char} в Стамбуле"
        put(static, f"ctl/{name}.html", article(title, text))
        items.append((f"{base}/{name}.html", f"Элемент{char} {name}", None))
    # JSON-LD titles carrying C1, ESC, BEL and a right-to-left override, as JSON escapes.
    put(
        static,
        "ctl/ld-title.html",
        article(
            "Заголовок",
            numbered(40),
            ld={
                "headline": "Песков\u009b2J \x1b[31mо\x07 переговорах \u202eвонатс\u202c в Женеве",
                "datePublished": when,
                "author": "Ред\u0007акция\u2066",
            },
        ),
    )
    items.append((f"{base}/ld-title.html", "ld", None))
    feed = rss(items).replace("<item>", "<item>\x0c\x01", 1).replace("</channel>", "\x1b</channel>")
    put(static, "ctl/feed.xml", feed.encode("utf-8"), "application/rss+xml")
    # A sitemap with a control character in a <loc> and between its elements.
    put(static, "ctl/map.html", article("Карта", numbered(41)))
    put(
        static,
        "ctl/sitemap.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\x01'
        f"<url><loc>{base}/map\x02.html</loc></url>\x1f</urlset>",
        "application/xml",
    )
    db_path = tmp_path_factory.mktemp("ctl") / "store.db"
    return crawl(
        base_config,
        db_path,
        base,
        source("ctl", f"{base}/feed.xml"),
        source("ctlmap", f"{base}/sitemap.xml"),
    )


@pytest.mark.parametrize("name", list(CONTROLS))
def test_a_control_character_in_body_and_title_does_not_lose_the_article(
    controls: Cycle, name: str
) -> None:
    articles = controls.articles()
    assert f"{name}.html" in articles, controls.rows("SELECT url, last_error FROM page_failures")
    stored = articles[f"{name}.html"]
    assert not FORBIDDEN.search(stored["title"] + stored["text"]), stored["title"]
    assert stored["title"].startswith("Переговоры ") and "в Стамбуле" in stored["title"]
    assert re.search(r"следующий ?раунд", stored["text"]), stored["text"]


def test_c1_esc_bel_and_bidi_overrides_never_reach_the_stored_title(controls: Cycle) -> None:
    stored = controls.articles()["ld-title.html"]
    assert not FORBIDDEN.search(stored["title"] + stored["text"] + stored["author"])
    assert stored["title"] == "Песков2J [31mо переговорах вонатс в Женеве"
    assert stored["author"] == "Редакция"


def test_control_characters_in_a_feed_do_not_lose_its_items(controls: Cycle) -> None:
    assert controls.stats("ctl").status == "ok", controls.stats("ctl")
    assert len(controls.articles()) == len(CONTROLS) + 2, controls.report.stats


def test_control_characters_in_a_sitemap_do_not_lose_its_urls(controls: Cycle) -> None:
    assert controls.stats("ctlmap").status == "ok", controls.stats("ctlmap")
    assert "map.html" in controls.articles()


# -- an unexpected error in one item or page -------------------------------------------------


@pytest.fixture(scope="module")
def throwing(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/err")
    for index, name in enumerate(("one", "two", "three", "four", "other")):
        put(static, f"err/{name}.html", article(f"Новость {index}", numbered(50 + index)))
    put(
        static,
        "err/links.xml",
        rss(
            [
                (f"{base}/one.html", "один", None),
                ("http://[::1/broken.html", "сломанная ссылка", None),
                (f"{base}/two.html", "два", None),
            ]
        ),
        "application/rss+xml",
    )
    put(
        static,
        "err/sitemap.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>http://[::1/broken.html</loc></url>"
        f"<url><loc>{base}/four.html</loc></url></urlset>",
        "application/xml",
    )
    put(static, "err/rules.xml", rss([(f"{base}/three.html", "три", None)]))
    put(static, "err/other.xml", rss([(f"{base}/other.html", "другая", None)]))
    db_path = tmp_path_factory.mktemp("err") / "store.db"
    # A rule that throws on every page (config validation refuses it; a job may still carry it).
    bad_rule = ExtractRules(prune_xpaths=("//div[@",))
    return crawl(
        base_config,
        db_path,
        base,
        source("links", f"{base}/links.xml"),
        source("maplinks", f"{base}/sitemap.xml"),
        source("rules", f"{base}/rules.xml", rules=bad_rule),
        source("other", f"{base}/other.xml"),
    )


def test_a_feed_item_whose_link_cannot_be_read_is_recorded_and_the_rest_is_read(
    throwing: Cycle,
) -> None:
    assert {"one.html", "two.html"} <= set(throwing.articles()), throwing.report.stats
    stats = throwing.stats("links")
    assert stats.status == "partial" and stats.pages_failed == 1 and stats.errors == 1
    assert "item without a usable link: 'сломанная ссылка'" in (stats.error_text or "")
    failures = throwing.rows("SELECT url, last_error FROM page_failures WHERE source_id='links'")
    assert [url for url, _ in failures] == [f"{throwing.base}/links.xml#item:сломанная ссылка"]
    shown = status_of(throwing, "links")
    assert shown["last_status"] == "partial" and "usable link" in str(shown["last_error"])


def test_a_sitemap_entry_whose_url_cannot_be_read_is_recorded_and_the_rest_is_read(
    throwing: Cycle,
) -> None:
    assert "four.html" in throwing.articles(), throwing.report.stats
    stats = throwing.stats("maplinks")
    assert stats.status == "partial" and stats.pages_failed == 1 and stats.errors == 1
    assert "Invalid IPv6 URL" in (stats.error_text or ""), stats.error_text
    failures = throwing.rows("SELECT url FROM page_failures WHERE source_id = 'maplinks'")
    assert failures == [("http://[::1/broken.html",)]
    assert "Invalid IPv6 URL" in str(status_of(throwing, "maplinks")["last_error"])


def test_an_unexpected_error_on_a_page_is_a_page_failure_with_its_message(
    throwing: Cycle,
) -> None:
    assert "three.html" not in throwing.articles()
    stats = throwing.stats("rules")
    assert stats.status == "partial" and stats.pages_failed == 1, stats
    failures = throwing.rows(
        "SELECT url, attempts, last_error FROM page_failures WHERE source_id = 'rules'"
    )
    assert len(failures) == 1 and failures[0][0].endswith("/three.html"), failures
    assert failures[0][1] == 1 and "XPath" in failures[0][2], failures
    shown = status_of(throwing, "rules")
    assert shown["last_status"] == "partial" and "XPath" in str(shown["last_error"])
    # and the other sources of the same crawl went on
    assert "other.html" in throwing.articles()
    assert throwing.stats("other").status == "ok"


# -- per-run caps: newest first, failures behind fresh items ---------------------------------


def _flood(static: Path, base: str, folder: str, *, real_age: timedelta, fail_age: timedelta):
    """Twelve items whose pages are missing (404), then one real article, in document order."""
    now = datetime.now(UTC).replace(microsecond=0)
    put(static, f"{folder}/real.html", article("Настоящая новость", numbered(60)))
    items = [(f"{base}/missing-{i}.html", f"нет {i}", _rfc822(now - fail_age)) for i in range(12)]
    items.append((f"{base}/real.html", "настоящая", _rfc822(now - real_age)))
    put(static, f"{folder}/feed.xml", rss(items), "application/rss+xml")
    return [url for url, _, _ in items]


def test_the_per_run_cap_takes_the_newest_items_first(
    base_config: Config, server: MockServer, static: Path, tmp_path: Path
) -> None:
    base = server.url("/static/cap1")
    _flood(static, base, "cap1", real_age=timedelta(minutes=5), fail_age=timedelta(days=2))
    run = crawl(
        base_config,
        tmp_path / "store.db",
        base,
        source("cap", f"{base}/feed.xml"),
        max_articles_per_source=3,
    )
    assert "real.html" in run.articles(), run.report.stats
    assert run.stats("cap").pages_failed == 2


def test_items_that_failed_before_wait_behind_fresh_ones_and_failed_for_good_do_not_count(
    base_config: Config, server: MockServer, static: Path, tmp_path: Path
) -> None:
    base = server.url("/static/cap2")
    # The failing items are newer than the real one: newest first alone would not reach it.
    urls = _flood(static, base, "cap2", real_age=timedelta(days=2), fail_age=timedelta(minutes=5))
    db_path = tmp_path / "store.db"
    cap = source("cap", f"{base}/feed.xml")
    db = open_db(db_path)
    try:
        upsert_sources(db, [cap])
        with db.conn:
            for index, url in enumerate(urls[:12]):
                db.execute(
                    "INSERT INTO page_failures (url, source_id, attempts, last_error, "
                    "last_attempt_at) VALUES (?, 'cap', ?, 'HTTP 404', '2026-01-01T00:00:00+00:00')",
                    [canonical_url(url), 3 if index < 6 else 1],
                )
    finally:
        db.close()
    run = crawl(base_config, db_path, base, cap, max_articles_per_source=3)
    assert "real.html" in run.articles(), run.report.stats
    stats = run.stats("cap")
    assert stats.skipped_known == 6, stats  # failed for good: not fetched, not counted
    assert stats.pages_failed == 2, stats  # two retries fill the rest of the cap


# -- the last nets: a pipeline or a callback that raises -----------------------------------------


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[NewsSpider]:
    """The real spider on a real store, wired to a Scrapy crawler's signals (not crawling)."""
    news = source("net", "http://127.0.0.1:9/rss.xml")
    db = open_db(tmp_path / "store.db")
    upsert_sources(db, [news])
    db.close()
    job = CrawlJob(str(tmp_path / "store.db"), [news], str(tmp_path / "result.json"))
    job.write(tmp_path / "job.json")
    crawler = get_crawler(NewsSpider)
    made = NewsSpider.from_crawler(crawler, job=str(tmp_path / "job.json"))
    yield made
    made.state.close()


def _failure(error: Exception) -> Failure:
    try:
        raise error
    except type(error):
        return Failure()


def test_an_article_a_pipeline_raises_for_is_a_page_failure_with_its_message(
    spider: NewsSpider,
) -> None:
    stored = Article(
        url="https://127.0.0.1:9/a.html",
        fetched_url="http://127.0.0.1:9/a.html",
        source_id="net",
        title="Заголовок",
        published_at="2026-02-11T10:00:00+00:00",
        published_from="json-ld",
        language="ru",
        text=" ".join(NEWS),
        content_hash="0",
        fetched_at="2026-02-11T10:05:00+00:00",
    )
    spider.crawler.signals.send_catch_log(
        signals.item_error,
        item=stored,
        response=None,
        spider=spider,
        failure=_failure(RuntimeError("the analysis broke")),
    )
    stats = spider.stats_for("net")
    assert stats.pages_failed == 1 and stats.errors == 1
    assert "RuntimeError: the analysis broke" in (stats.error_text or "")
    rows = spider.state.db.execute("SELECT url, attempts, last_error FROM page_failures").fetchall()
    assert rows == [(stored.url, 1, stats.error_text)]


def test_a_callback_that_raises_records_its_page_as_failed(spider: NewsSpider) -> None:
    news = spider.sources["net"]
    request = Request(
        "http://127.0.0.1:9/b.html",
        cb_kwargs={"source": news, "entry": None, "canonical": "https://127.0.0.1:9/b.html"},
    )
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    spider.crawler.signals.send_catch_log(
        signals.spider_error,
        failure=_failure(KeyError("surprise")),
        response=response,
        spider=spider,
    )
    stats = spider.stats_for("net")
    assert stats.pages_failed == 1 and "KeyError" in (stats.error_text or "")
    rows = spider.state.db.execute("SELECT url FROM page_failures").fetchall()
    assert rows == [("https://127.0.0.1:9/b.html",)]
