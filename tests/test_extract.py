from datetime import UTC, datetime

import pytest

from crawler.extract import ExtractionError, extract_article
from storage.models import ExtractRules

FETCHED = datetime(2026, 2, 12, 8, 0, tzinfo=UTC)
BODY = (
    "<p>Міністр закордонних справ заявив, що будь-які контакти європейців з Москвою мають "
    "узгоджуватися з Києвом і не повинні винагороджувати агресора.</p>"
    "<p>Він додав, що Україна готова до чесних переговорів, але не до капітуляції, і що "
    "партнери поділяють цю позицію.</p>"
)


def page(head: str = "", body: str = BODY, lang: str = "uk") -> str:
    return (
        f'<html lang="{lang}"><head><title>Сибіга про контакти з Москвою</title>{head}</head>'
        f"<body><nav><a href='/'>Головна</a></nav><article><h1>Сибіга про контакти з Москвою</h1>"
        f"{body}</article><footer>© 2026</footer></body></html>"
    )


def extract(html: str | bytes, **kwargs):
    return extract_article(html, "https://news.example.ua/a/1", fetched_at=FETCHED, **kwargs)


def test_json_ld_published_time_with_zone_is_stored_in_utc() -> None:
    ld = (
        '<script type="application/ld+json">{"@context":"https://schema.org",'
        '"@type":"NewsArticle","headline":"Сибіга про контакти з Москвою",'
        '"datePublished":"2026-02-10T15:20:00+02:00","dateModified":"2026-02-10T16:00:00+02:00",'
        '"author":{"@type":"Person","name":"Олена Гречко"}}</script>'
    )
    article = extract(page(ld))
    assert article.published_at == datetime(2026, 2, 10, 13, 20, tzinfo=UTC)
    assert article.published_from == "json-ld"
    assert article.updated_at == datetime(2026, 2, 10, 14, 0, tzinfo=UTC)
    assert article.author == "Олена Гречко"


def test_meta_published_time_is_used_when_there_is_no_json_ld() -> None:
    meta = '<meta property="article:published_time" content="2026-02-10T15:20:00+03:00">'
    article = extract(page(meta))
    assert (article.published_at, article.published_from) == (
        datetime(2026, 2, 10, 12, 20, tzinfo=UTC),
        "meta",
    )


def test_zone_less_time_is_taken_as_utc_and_flagged() -> None:
    meta = '<meta property="article:published_time" content="2026-02-10T15:20:00">'
    article = extract(page(meta))
    assert article.published_at == datetime(2026, 2, 10, 15, 20, tzinfo=UTC)
    assert "date_without_zone" in article.flags


def test_future_time_is_clamped_to_the_fetch_time_and_flagged() -> None:
    meta = '<meta property="article:published_time" content="2027-01-01T00:00:00Z">'
    article = extract(page(meta))
    assert article.published_at == FETCHED
    assert "date_in_future" in article.flags


def test_feed_date_is_the_fallback_before_the_fetch_time() -> None:
    feed_time = datetime(2026, 2, 9, 7, 0, tzinfo=UTC)
    assert extract(page(), feed_published=feed_time).published_at == feed_time


def test_missing_date_falls_back_to_the_fetch_time_and_is_flagged() -> None:
    article = extract(page())
    assert (article.published_at, article.published_from) == (FETCHED, "fetched")
    assert "date_missing" in article.flags


def test_in_article_boilerplate_paragraphs_are_dropped() -> None:
    body = (
        "<p>Генсек НАТО заявил, что поощрял бы каждую инициативу, которая приблизит конец войны, "
        "и что ключевым остается лидерство США.</p>"
        "<p>Видео дня</p>"
        "<p><strong>Читайте также:</strong> <a href='/x'>Другая новость</a></p>"
        "<p>Он добавил, что союзники тесно координируют свои шаги и полностью прозрачны друг "
        "для друга.</p>"
        "<p>Вас также могут заинтересовать новости:</p>"
    )
    article = extract(page(body=body, lang="ru"))
    assert "Видео дня" not in article.text
    assert "Читайте также" not in article.text
    assert "заинтересовать" not in article.text
    assert article.text.startswith("Генсек НАТО")
    assert article.text.endswith("друг для друга.")


def test_source_rules_drop_lines_by_prefix_or_pattern() -> None:
    body = BODY + "<p>Підтримайте нас донатом на банку</p><p>Переговори — важливі новини</p>"
    rules = ExtractRules(drop_lines=("Підтримайте нас", "re:важливі новини$"))
    article = extract(page(body=body), rules=rules)
    assert "донатом" not in article.text
    assert "важливі новини" not in article.text


def test_source_rules_prune_xpaths_before_extraction() -> None:
    body = (
        BODY
        + '<div class="promo"><p>Партнерський матеріал: купуйте генератори зі знижкою '
        + "до 30 відсотків вже сьогодні.</p></div>"
    )
    rules = ExtractRules(prune_xpaths=('//div[@class="promo"]',))
    assert "генератори" not in extract(page(body=body), rules=rules).text


def test_language_is_detected_from_the_letters_not_only_the_declaration() -> None:
    assert extract(page(lang="ru")).language == "uk"


def test_windows_1251_page_without_any_charset_is_decoded() -> None:
    html = page(lang="uk").encode("cp1251")
    article = extract(html)
    assert "Міністр закордонних справ" in article.text
    assert "\ufffd" not in article.text


def test_utf8_header_on_a_windows_1251_body_is_corrected() -> None:
    article = extract(page().encode("cp1251"), header_encoding="utf-8")
    assert "Міністр закордонних справ" in article.text


def test_koi8_r_declared_only_in_meta_is_decoded() -> None:
    body = (
        "<p>Пресс-секретарь президента заявил журналистам, что Кремль внимательно изучает сигналы "
        "из Парижа и готов к разговору при наличии политической воли.</p>"
    )
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    html = page(meta, body, "ru").replace("Сибіга про контакти з Москвою", "Песков о Париже")
    article = extract(html.encode("koi8-r"))
    assert "Пресс-секретарь президента" in article.text


def test_page_without_article_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="no article text"):
        extract("<html><body><nav>Головна</nav></body></html>")


def test_utf8_body_under_a_windows_1251_header_is_read_as_utf8() -> None:
    article = extract(page().encode("utf-8"), header_encoding="windows-1251")
    assert "Міністр закордонних справ" in article.text
