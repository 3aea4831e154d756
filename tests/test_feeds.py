from datetime import UTC, datetime

import pytest

from crawler.feeds import FeedError, parse_discovery
from tests.conftest import SHARED

BASE = "https://news.example.ua/rss/"


def _rss(items: str, *, prolog: str = '<?xml version="1.0" encoding="utf-8"?>', attrs: str = ""):
    return f'{prolog}<rss version="2.0"{attrs}><channel><title>T</title>{items}</channel></rss>'


def test_windows_1251_declared_only_in_the_prolog_is_decoded() -> None:
    body = _rss(
        "<item><title>Песков ответил на вопрос о переговорах</title>"
        "<link>https://news.example.ua/a/1</link></item>",
        prolog='<?xml version="1.0" encoding="windows-1251"?>',
    ).encode("cp1251")
    entry = parse_discovery(body, BASE).entries[0]
    assert entry.title == "Песков ответил на вопрос о переговорах"


def test_default_namespace_on_rss_still_yields_items() -> None:
    body = _rss(
        "<item><title>Один</title><link>https://news.example.ua/a/1</link></item>"
        "<item><title>Два</title><link>https://news.example.ua/a/2</link></item>",
        attrs=' xmlns="https://backend.userland.com/rss2"',
    ).encode()
    assert [e.url for e in parse_discovery(body, BASE).entries] == [
        "https://news.example.ua/a/1",
        "https://news.example.ua/a/2",
    ]


def test_cdata_title_with_stray_whitespace_is_trimmed() -> None:
    body = _rss(
        "<item><title><![CDATA[\n     Умєров: обмін полоненими погоджено   \n  ]]></title>"
        "<link>https://news.example.ua/a/3</link></item>"
    ).encode()
    assert parse_discovery(body, BASE).entries[0].title == "Умєров: обмін полоненими погоджено"


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    body = _rss("<item><title>x</title><link>/politics/talks-42.html</link></item>").encode()
    assert (
        parse_discovery(body, BASE).entries[0].url
        == "https://news.example.ua/politics/talks-42.html"
    )


def test_missing_dates_give_none_not_an_error() -> None:
    body = _rss("<item><title>x</title><link>https://news.example.ua/a/5</link></item>").encode()
    assert parse_discovery(body, BASE).entries[0].published is None


def test_rfc822_dates_with_offsets_become_utc() -> None:
    body = _rss(
        "<item><title>x</title><link>https://news.example.ua/a/6</link>"
        "<pubDate>Wed, 11 Feb 2026 18:40:00 +0200</pubDate></item>"
    ).encode()
    assert parse_discovery(body, BASE).entries[0].published == datetime(
        2026, 2, 11, 16, 40, tzinfo=UTC
    )


def test_rss_091_is_read() -> None:
    body = (
        '<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
        "<item><title>Старий формат</title><link>https://news.example.ua/old/1</link></item>"
        "</channel></rss>"
    ).encode()
    discovery = parse_discovery(body, BASE)
    assert discovery.kind == "rss091u" or discovery.kind.startswith("rss09")
    assert discovery.entries[0].url == "https://news.example.ua/old/1"


def test_rss_1_0_rdf_with_dc_date_is_read() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://x.ru/"><title>X</title><link>https://x.ru/</link></channel>'
        '<item rdf:about="https://x.ru/n/1"><title>Лавров о переговорах</title>'
        "<link>https://x.ru/n/1</link><dc:date>2026-02-13T12:00:00+03:00</dc:date></item>"
        "</rdf:RDF>"
    ).encode()
    entry = parse_discovery(body, "https://x.ru/rss").entries[0]
    assert (entry.url, entry.published) == (
        "https://x.ru/n/1",
        datetime(2026, 2, 13, 9, tzinfo=UTC),
    )


def test_atom_entries_use_the_alternate_link_and_published_time() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>A</title><id>urn:a</id><updated>2026-02-12T10:00:00Z</updated>"
        b"<entry><title>Geneva round confirmed</title>"
        b'<link rel="alternate" href="https://en.example.com/2026/02/12/geneva"/>'
        b"<id>urn:1</id><published>2026-02-12T09:30:00Z</published>"
        b"<updated>2026-02-12T10:00:00Z</updated></entry></feed>"
    )
    entry = parse_discovery(body, "https://en.example.com/feed").entries[0]
    assert entry.url == "https://en.example.com/2026/02/12/geneva"
    assert entry.published == datetime(2026, 2, 12, 9, 30, tzinfo=UTC)


def test_news_sitemap_gives_titles_and_publication_dates() -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        "<url><loc>https://m.example.io/news/2026/02/17/geneva</loc><news:news>"
        "<news:publication><news:name>M</news:name><news:language>ru</news:language>"
        "</news:publication><news:publication_date>2026-02-17T20:15:00+03:00"
        "</news:publication_date><news:title>Мединский о первом дне</news:title></news:news>"
        "</url></urlset>"
    ).encode()
    discovery = parse_discovery(body, "https://m.example.io/sitemap-news.xml")
    assert discovery.kind == "news-sitemap"
    entry = discovery.entries[0]
    assert entry.title == "Мединский о первом дне"
    assert entry.published == datetime(2026, 2, 17, 17, 15, tzinfo=UTC)


def test_sitemap_index_lists_child_sitemaps_to_follow() -> None:
    body = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://x.org/sitemap-1.xml</loc></sitemap>"
        b"<sitemap><loc>/sitemap-2.xml</loc></sitemap></sitemapindex>"
    )
    discovery = parse_discovery(body, "https://x.org/sitemap.xml")
    assert discovery.sitemaps == ["https://x.org/sitemap-1.xml", "https://x.org/sitemap-2.xml"]
    assert discovery.entries == []


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<rss><channel><item><title>&b;</title></item></channel></rss>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<urlset><url><loc>&xxe;</loc></url></urlset>",
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_documents_declaring_entities_are_refused(body: bytes) -> None:
    with pytest.raises(FeedError, match="entities"):
        parse_discovery(body, BASE)


def test_an_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not an RSS/Atom feed"):
        parse_discovery(b"<html><body><p>Maintenance</p></body></html>", BASE)


def test_an_empty_body_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_discovery(b"  \n", BASE)


REAL_FEEDS = SHARED / "real-pages" / "rss_ua_2020"


@pytest.mark.robustness
@pytest.mark.skipif(not REAL_FEEDS.exists(), reason="../shared/real-pages is absent")
@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("stub_unian_rss.xml", 50),
        ("stub_pravda_rss.xml", 20),
        ("stub_liga_rss.xml", 20),
        ("stub_ukranews_rss.xml", 2),
    ],
)
def test_real_ukrainian_feeds_parse_completely(name: str, items: int) -> None:
    discovery = parse_discovery((REAL_FEEDS / name).read_bytes(), "https://example.org/rss")
    assert len(discovery.entries) == items
    assert all(e.url.startswith("https://") and e.title for e in discovery.entries)
    cyrillic = sum(1 for e in discovery.entries if any("а" <= c <= "я" for c in e.title.lower()))
    assert cyrillic == items


def test_the_document_decides_the_format_not_the_registry_kind() -> None:
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://x.org/a/1</loc></url></urlset>"
    )
    feed = _rss("<item><title>x</title><link>https://x.org/a/2</link></item>").encode()
    assert parse_discovery(sitemap, "https://x.org/rss", kind="rss").entries[0].url.endswith("/1")
    assert (
        parse_discovery(feed, "https://x.org/s.xml", kind="sitemap").entries[0].url.endswith("/2")
    )


@pytest.mark.parametrize(
    ("stamp", "utc_hour"),
    [("MSK", 15), ("+0300", 15), ("EET", 16), ("EEST", 15), ("GMT", 18)],
)
def test_named_zones_of_russian_and_ukrainian_feeds_are_not_taken_as_utc(
    stamp: str, utc_hour: int
) -> None:
    body = (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        "<link>https://example.org/a</link>"
        f"<pubDate>Wed, 11 Feb 2026 18:40:00 {stamp}</pubDate></item></channel></rss>"
    ).encode()
    (entry,) = parse_discovery(body, "https://example.org/rss").entries
    assert entry.published is not None
    assert (entry.published.hour, entry.published.minute) == (utc_hour, 40)
    assert not entry.published_without_zone
