"""Fault injection, content side (DESIGN §10, scenarios 8–12): hostile XML, broken feeds and
pages, lying encodings, odd dates and URL variants, served by the mock server in its own
process and crawled by the real pipeline (``run_cycle``: crawl subprocess, store, diff, alerts).

Each scenario runs one cycle in a module-scoped fixture; the tests read its report and store.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.extract import ExtractionError, extract_article
from crawler.feeds import FeedError, parse_discovery
from crawler.urls import canonical_url
from scheduler.config import Config
from storage.db import open_db
from storage.models import Feed, Source
from tests.faults.harness import NEWS, Cycle, bounded_config, crawl, iso, put, rss
from tests.faults.mockserver import MockServer

pytestmark = pytest.mark.faults

#: Every cycle here must finish well inside this; the crawl's own hard timeout is 60 s.
CYCLE_BUDGET_S = 45
SECRET = "PW-SECRET-7f3a9c-не-для-чужих-глаз"
MOJIBAKE = re.compile(r"Ð|Ñ|Р°|Рѕ|Рµ|Рё|С‚|СЃ|вЂ|[\u2500-\u257f]|\ufffd")

# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A bounded config (3 s downloads, one retry, 60 s crawl) with no sources of its own."""
    return bounded_config(
        tmp_path_factory.mktemp("config"),
        retry_times=1,
        retry_backoff_seconds=0.1,
        concurrent_requests_per_site=4,
    )


def source(source_id: str, *feeds: tuple[str, str], language: str = "ru") -> Source:
    return Source(
        id=source_id,
        name=source_id,
        language=language,
        feeds=tuple(Feed(url, kind) for url, kind in feeds),
    )


def page(
    title: str,
    paragraphs: list[str],
    *,
    published: str | None = None,
    head: str = "",
    lang: str = "ru",
) -> str:
    ld = ""
    if published is not None:
        data = {"@type": "NewsArticle", "headline": title, "datePublished": published}
        ld = f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{head}<title>{title}</title>{ld}</head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def all_text_in_store(run: Cycle) -> str:
    """Every text column of every table, joined: for 'nothing leaked anywhere' checks."""
    db = open_db(run.db_path)
    try:
        chunks: list[str] = []
        for table in db.table_names():
            if table.startswith("articles_fts"):
                continue
            for row in db[table].rows:
                chunks.extend(str(v) for v in row.values() if isinstance(v, str))
        return "\n".join(chunks)
    finally:
        db.close()


def assert_clean_cyrillic(text: str) -> None:
    found = MOJIBAKE.findall(text)
    assert not found, f"mojibake in stored text: {found[:5]} in {text[:200]!r}"


def normal_encoding(name: str | None) -> str:
    return codecs.lookup(name).name if name else ""


# -- scenario 8: XML bombs and external entities -------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
QUADRATIC = '<!DOCTYPE rss [<!ENTITY big "' + "Б" * 50000 + '">]>'


@pytest.fixture(scope="module")
def xml_attacks(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/s8")
    secret_file = static.parent / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    put(static, "s8/news.html", page("Обычная новость", NEWS, published=iso(datetime.now(UTC))))
    item = [(f"{base}/news.html", "Заголовок &lol9; &big; &xxe; &secret;", None)]
    xxe = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    secret = f'<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{secret_file}">]>'
    put(static, "s8/laughs.xml", rss(item, BILLION_LAUGHS).replace("&big; &xxe; &secret;", ""))
    put(static, "s8/quadratic.xml", rss(item, QUADRATIC).replace(" &lol9;", "&big;" * 2000))
    put(static, "s8/xxe.xml", rss(item, xxe))
    put(static, "s8/secret.xml", rss(item, secret))
    # The declaration hidden behind 70 KB of comment, beyond a prefix-only check.
    padded = "<!--" + "отступ " * 10000 + "-->" + secret
    put(static, "s8/padded.xml", rss(item, padded))
    put(static, "s8/utf16.xml", rss(item, xxe).replace("utf-8", "utf-16").encode("utf-16"))
    put(
        static,
        "s8/sitemap.xml",
        f'<?xml version="1.0"?>{secret}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/news.html?q=&secret;</loc></url></urlset>",
        "application/xml",
    )
    # An external DTD (as RSS 0.91 feeds declare) is not refused, but must not be loaded.
    dtd = static.parent / "evil.dtd"
    dtd.write_text(f'<!ENTITY secret SYSTEM "file://{secret_file}">', encoding="utf-8")
    put(static, "s8/extdtd.xml", rss(item, f'<!DOCTYPE rss SYSTEM "file://{dtd}">'))
    sources = [
        source(name, (f"{base}/{name}.xml", "sitemap" if name == "sitemap" else "rss"))
        for name in ("laughs", "quadratic", "xxe", "secret", "padded", "utf16", "sitemap")
    ]
    sources.append(source("extdtd", (f"{base}/extdtd.xml", "rss")))
    db_path = tmp_path_factory.mktemp("s8") / "store.db"
    return crawl(base_config, db_path, base, *sources)


def test_entity_bombs_and_xxe_feeds_are_refused_with_a_clear_error_in_bounded_time(
    xml_attacks: Cycle,
) -> None:
    assert xml_attacks.seconds < CYCLE_BUDGET_S
    for source_id in ("laughs", "quadratic", "xxe", "secret", "utf16", "sitemap"):
        stats = xml_attacks.stats(source_id)
        assert stats.status == "failed", source_id
        assert "declares XML entities" in (stats.error_text or ""), stats.error_text


def test_entity_declaration_behind_a_long_prolog_comment_is_refused_too(
    xml_attacks: Cycle,
) -> None:
    stats = xml_attacks.stats("padded")
    assert stats.status == "failed"
    assert "declares XML entities" in (stats.error_text or ""), stats.error_text


def test_no_local_file_content_reaches_the_store(xml_attacks: Cycle) -> None:
    stored = all_text_in_store(xml_attacks)
    assert "root:" not in stored
    assert SECRET not in stored
    # Only the external-DTD feed was read; its entity stayed unresolved.
    assert xml_attacks.rows("SELECT source_id FROM articles") == [("extdtd",)]
    assert xml_attacks.stats("extdtd").status == "ok"


def test_billion_laughs_is_refused_by_the_parser_in_milliseconds() -> None:
    started = time.monotonic()
    with pytest.raises(FeedError, match="entities"):
        parse_discovery(
            rss([("http://a.example/x", "&lol9;", None)], BILLION_LAUGHS).encode(),
            "http://a.example/rss",
        )
    assert time.monotonic() - started < 1


# -- scenario 9: broken feeds, pathological pages ------------------------------------------


@pytest.fixture(scope="module")
def broken(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/s9")
    now = iso(datetime.now(UTC))
    for name in ("one", "two", "three", "bad-one", "bad-two", "ok"):
        put(static, f"s9/{name}.html", page(f"Новость {name}", NEWS, published=now))
    full = rss([(f"{base}/{n}.html", f"Новость {n}", None) for n in ("one", "two", "three")])
    put(static, "s9/truncated.xml", full[: full.index("<link>", full.index("three") - 40)])
    bad = rss([(f"{base}/{n}.html", f"Новость {n} BAD", None) for n in ("bad-one", "bad-two")])
    put(static, "s9/badbytes.xml", bad.encode("utf-8").replace(b"BAD", b"\xff\xfe\x01\xc3("))
    deep = "<div>" * 10000 + "<p>" + " ".join(NEWS) + "</p>" + "</div>" * 10000
    put(
        static,
        "s9/deep.html",
        f"<html><head><title>Глубокая</title></head><body>{deep}</body></html>",
    )
    put(
        static,
        "s9/deep.xml",
        rss([(f"{base}/deep.html", "Глубокая", None), (f"{base}/ok.html", "ok", None)]),
    )
    db_path = tmp_path_factory.mktemp("s9") / "store.db"
    return crawl(
        base_config,
        db_path,
        base,
        source("truncated", (f"{base}/truncated.xml", "rss")),
        source("badbytes", (f"{base}/badbytes.xml", "rss")),
        source("deep", (f"{base}/deep.xml", "rss")),
    )


def test_feed_truncated_mid_item_still_yields_its_complete_items(broken: Cycle) -> None:
    assert broken.seconds < CYCLE_BUDGET_S
    assert broken.stats("truncated").status in ("ok", "partial")
    stored = set(broken.articles())
    assert {"one.html", "two.html"} <= stored


def test_feed_with_invalid_bytes_is_read_or_refused_with_a_clear_error(broken: Cycle) -> None:
    stats = broken.stats("badbytes")
    stored = set(broken.articles())
    if stats.status == "failed":
        assert stats.error_text and "not an RSS/Atom feed" in stats.error_text
    else:
        assert {"bad-one.html", "bad-two.html"} <= stored


def test_ten_thousand_deep_nested_page_is_extracted_or_failed_clearly(broken: Cycle) -> None:
    stats = broken.stats("deep")
    articles = broken.articles()
    assert "ok.html" in articles, "the crawl must go on past the deep page"
    if "deep.html" in articles:
        assert "Стамбуле" in articles["deep.html"]["text"]
    else:
        failures = broken.rows("SELECT last_error FROM page_failures WHERE url LIKE '%deep%'")
        assert failures and "Excessive depth" in failures[0][0], failures
        assert stats.status == "partial"


def test_truncated_feed_parses_to_its_complete_items_with_a_warning() -> None:
    full = rss([(f"http://a.example/{n}", n, None) for n in ("one", "two", "three")])
    cut = full[: full.index("http://a.example/three") - 3].encode()
    discovery = parse_discovery(cut, "http://a.example/rss")
    assert [e.url for e in discovery.entries] == ["http://a.example/one", "http://a.example/two"]
    assert any("not well-formed" in w for w in discovery.warnings)


def test_ten_thousand_deep_page_fails_fast_with_a_clear_error() -> None:
    deep = "<html><body>" + "<div>" * 10000 + "<p>" + " ".join(NEWS) + "</p>" + "</div>" * 10000
    started = time.monotonic()
    with pytest.raises(ExtractionError, match="Excessive depth"):
        extract_article(deep.encode(), "http://a.example/deep", fetched_at=datetime.now(UTC))
    assert time.monotonic() - started < 2


# -- scenario 10: encodings ----------------------------------------------------------------

PHRASE = "Переговоры о прекращении огня продолжатся в Стамбуле на следующей неделе"


@pytest.fixture(scope="module")
def encodings(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/s10")
    now = iso(datetime.now(UTC))
    paragraphs = [PHRASE + ", сообщили источники в обеих делегациях.", *NEWS]
    bare = page("Новости дня", paragraphs, published=now)
    put(static, "s10/cp1251.html", bare.encode("cp1251"), "text/html")
    meta = page("Новости дня", paragraphs, published=now, head='<meta charset="koi8-r">')
    put(static, "s10/koi8.html", meta.encode("koi8-r"), "text/html")
    put(static, "s10/lying.html", bare.encode("cp1251"), "text/html; charset=utf-8")
    # UTF-8 text misread as cp1251 and encoded again ("РџРµСЂРµ…"): repairable.
    double = bare.encode("utf-8").decode("cp1251").encode("utf-8")
    put(static, "s10/double.html", double, "text/html; charset=utf-8")
    # Misread as cp1252 with its holes replaced ("Ð¿Ñ€Ð�…"): not repairable, must not be kept.
    lost = bare.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    put(static, "s10/lost.html", lost, "text/html; charset=utf-8")
    names = ("cp1251", "koi8", "lying", "double", "lost")
    items = [(f"{base}/{n}.html", "Новости", None) for n in names]
    put(static, "s10/rss.xml", rss(items), "application/rss+xml")
    db_path = tmp_path_factory.mktemp("s10") / "store.db"
    return crawl(base_config, db_path, base, source("enc", (f"{base}/rss.xml", "rss")))


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("cp1251.html", "cp1251"),
        ("koi8.html", "koi8-r"),
        ("lying.html", "cp1251"),
        ("double.html", "utf-8"),
    ],
    ids=["cp1251-undeclared", "koi8r-meta-only", "utf8-header-cp1251-body", "double-encoded"],
)
def test_cyrillic_page_in_any_declared_or_undeclared_encoding_is_stored_correctly(
    encodings: Cycle, name: str, encoding: str
) -> None:
    articles = encodings.articles()
    assert name in articles, encodings.report.stats
    article = articles[name]
    assert PHRASE in article["text"]
    assert_clean_cyrillic(article["title"] + "\n" + article["text"])
    assert article["language"] == "ru"
    assert normal_encoding(article["encoding"]) == encoding


def test_utf8_header_over_cp1251_body_is_flagged_as_corrected(encodings: Cycle) -> None:
    flags = encodings.articles()["lying.html"]["flags"]
    assert "encoding_corrected:" in flags


def test_double_encoded_utf8_is_repaired_and_flagged(encodings: Cycle) -> None:
    flags = encodings.articles()["double.html"]["flags"]
    assert "encoding_corrected:double-encoded-windows-1251" in flags


def test_unrepairable_mojibake_is_refused_and_nothing_garbled_is_stored(
    encodings: Cycle,
) -> None:
    articles = encodings.articles()
    assert "lost.html" not in articles
    failures = encodings.rows("SELECT url, last_error FROM page_failures")
    assert [(url.rsplit("/", 1)[-1], "readable" in error) for url, error in failures] == [
        ("lost.html", True)
    ]
    assert encodings.stats("enc").status == "partial"
    assert len(articles) == 4, encodings.report.stats
    for article in articles.values():
        assert_clean_cyrillic(article["title"] + "\n" + article["text"])


# -- scenario 11: dates --------------------------------------------------------------------


@pytest.fixture(scope="module")
def dates(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/s11")
    instant = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    variants = {
        "zulu": instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "moscow": (instant + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S+03:00"),
        "zoneless": instant.strftime("%Y-%m-%dT%H:%M:%S"),
        "future": (instant + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "unparsable": "вчера после обеда",
        "missing": None,
    }
    for index, (name, when) in enumerate(variants.items()):
        text = [f"Сообщение номер {index}: " + NEWS[0], *NEWS[1:]]
        put(static, f"s11/{name}.html", page(f"Дата {index}", text, published=when))
    items = [(f"{base}/{name}.html", name, None) for name in variants]
    put(static, "s11/rss.xml", rss(items))
    # Pages without a date of their own, dated only by a feed or a news sitemap.
    rfc822 = "%a, %d %b %Y %H:%M:%S"
    for index, name in enumerate(("feed-zoneless", "feed-moscow", "sitemap-rfc822")):
        text = [f"Заметка номер {index}: " + NEWS[0], *NEWS[1:]]
        put(static, f"s11/{name}.html", page(f"Без даты {index}", text))
    feed_items = [
        (f"{base}/feed-zoneless.html", "a", instant.strftime(rfc822)),
        (
            f"{base}/feed-moscow.html",
            "b",
            (instant + timedelta(hours=3)).strftime(rfc822 + " +0300"),
        ),
    ]
    put(static, "s11/feed.xml", rss(feed_items))
    put(
        static,
        "s11/sitemap.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{base}/sitemap-rfc822.html</loc><news:news><news:title>c</news:title>"
        f"<news:publication_date>{instant.strftime(rfc822 + ' GMT')}</news:publication_date>"
        "</news:news></url></urlset>",
        "application/xml",
    )
    db_path = tmp_path_factory.mktemp("s11") / "store.db"
    run = crawl(
        base_config,
        db_path,
        base,
        source("dates", (f"{base}/rss.xml", "rss")),
        source("feeddates", (f"{base}/feed.xml", "rss"), (f"{base}/sitemap.xml", "sitemap")),
    )
    run.instant = instant  # type: ignore[attr-defined]
    return run


def test_every_published_time_is_stored_in_utc(dates: Cycle) -> None:
    articles = dates.articles()
    assert len(articles) == 9, dates.report.stats
    for name, article in articles.items():
        assert article["published_at"].endswith("+00:00"), (name, article["published_at"])


def test_plus_0300_and_z_of_the_same_instant_store_the_same_utc_time(dates: Cycle) -> None:
    articles = dates.articles()
    expected = iso(dates.instant)  # type: ignore[attr-defined]
    assert articles["zulu.html"]["published_at"] == expected
    assert articles["moscow.html"]["published_at"] == expected


def test_future_date_is_replaced_by_the_fetch_time_and_flagged(dates: Cycle) -> None:
    article = dates.articles()["future.html"]
    assert "date_in_future" in article["flags"]
    assert article["published_at"] == article["fetched_at"]


def test_missing_or_unparsable_date_is_the_fetch_time_flagged_date_missing(dates: Cycle) -> None:
    articles = dates.articles()
    for name in ("missing.html", "unparsable.html"):
        assert "date_missing" in articles[name]["flags"], name
        assert articles[name]["published_at"] == articles[name]["fetched_at"], name


def test_zone_less_date_is_taken_as_utc_and_flagged(dates: Cycle) -> None:
    article = dates.articles()["zoneless.html"]
    assert "date_without_zone" in article["flags"]
    assert article["published_at"] == iso(dates.instant)  # type: ignore[attr-defined]


def test_zone_less_feed_date_is_taken_as_utc_and_flagged(dates: Cycle) -> None:
    article = dates.articles()["feed-zoneless.html"]
    assert article["published_from"] == "feed"
    assert "date_without_zone" in article["flags"]
    assert article["published_at"] == iso(dates.instant)  # type: ignore[attr-defined]


def test_feed_and_sitemap_rfc822_dates_store_the_same_utc_time(dates: Cycle) -> None:
    articles = dates.articles()
    assert dates.stats("feeddates").status == "ok", dates.stats("feeddates")
    for name in ("feed-moscow.html", "sitemap-rfc822.html"):
        assert articles[name]["published_from"] == "feed", name
        assert articles[name]["published_at"] == iso(dates.instant), name  # type: ignore[attr-defined]
        assert "date_without_zone" not in articles[name]["flags"], name


# -- scenario 12: one article under many URLs ----------------------------------------------

PEACE = [
    "«Мы готовы к переговорам о прекращении огня», — заявил Дмитрий Песков журналистам.",
    "По его словам, Москва ждет ответа на переданные предложения и рассчитывает на "
    "продолжение контактов на уровне экспертов в ближайшие дни.",
]


@pytest.fixture(scope="module")
def variants(base_config: Config, server: MockServer, static: Path, tmp_path_factory) -> Cycle:
    base = server.url("/static/s12")
    https = base.replace("http://", "https://")
    now = iso(datetime.now(UTC) - timedelta(minutes=30))
    put(static, "s12/peace.html", page("Песков о переговорах", PEACE, published=now))
    feed_variants = [
        f"{base}/peace.html?utm_source=rss&utm_medium=feed",
        f"{base}/peace.html#comments",
        f"{https}/peace.html",
        f"{base}/peace.html/",
        f"{base}/peace.html?fbclid=IwAR0abc",
    ]
    put(
        static,
        "s12/rss.xml",
        rss([(u.replace("&", "&amp;"), "Песков", None) for u in feed_variants]),
    )
    sitemap_variants = [
        f"{base}/peace.html?utm_campaign=x#top",
        f"{https}/peace.html/?fbclid=1",
        f"{base}/peace.html/#main",
    ]
    urls = "".join(f"<url><loc>{u.replace('&', '&amp;')}</loc></url>" for u in sitemap_variants)
    put(
        static,
        "s12/sitemap.xml",
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>",
        "application/xml",
    )
    db_path = tmp_path_factory.mktemp("s12") / "store.db"
    dup = source("dup", (f"{base}/rss.xml", "rss"), (f"{base}/sitemap.xml", "sitemap"))
    first = crawl(base_config, db_path, base, dup)
    first.fetched = [r for r in server.requests() if r.startswith("/static/s12/peace")]  # type: ignore[attr-defined]
    first.second = crawl(base_config, db_path, base, dup)  # type: ignore[attr-defined]
    return first


def test_url_variants_across_a_feed_and_a_sitemap_store_one_article(variants: Cycle) -> None:
    assert variants.rows("SELECT COUNT(*) FROM articles") == [(1,)], variants.report.stats
    assert variants.stats("dup").skipped_known >= 7
    assert len(variants.fetched) == 1, variants.fetched  # type: ignore[attr-defined]


def test_url_variants_give_one_alert_per_channel_for_the_statement(variants: Cycle) -> None:
    # the one article holds Peskov's quote and his "По его словам, …": one occasion, one
    # statement with both points; under eight URL variants it stays one, alerted once
    peace = variants.rows("SELECT id, report_count FROM statements WHERE about_peace_talks = 1")
    assert len(peace) == 1 and peace[0][1] == len(PEACE), variants.rows(
        "SELECT speaker, text FROM statements"
    )
    alerts = variants.rows(
        "SELECT channel, COUNT(*) FROM alerts WHERE type = 'statement' GROUP BY channel"
    )
    assert alerts == [("log", 1)]


def test_a_second_cycle_over_the_same_variants_adds_nothing(variants: Cycle) -> None:
    second = variants.second.stats("dup")  # type: ignore[attr-defined]
    assert (second.articles_new, second.skipped_known) == (0, 8)
    assert variants.rows("SELECT COUNT(*) FROM articles") == [(1,)]
    assert variants.rows("SELECT COUNT(*) FROM alerts") == [(1,)]


def test_canonical_url_collapses_tracking_fragment_scheme_and_slash_variants() -> None:
    forms = {
        canonical_url(url)
        for url in (
            "http://news.example/a/peace?utm_source=tg&id=7",
            "https://NEWS.example:443/a/peace/?id=7&fbclid=abc#comments",
            "https://news.example/a/peace?id=7&utm_medium=x&utm_campaign=y",
            "http://news.example:80/a//peace/?id=7#top",
        )
    }
    assert forms == {"https://news.example/a/peace?id=7"}
