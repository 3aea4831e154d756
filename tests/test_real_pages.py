"""Robustness on real outlets' pages kept in ../shared (skipped when it is absent)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.extract import extract_article
from tests.conftest import SHARED

pytestmark = [
    pytest.mark.robustness,
    pytest.mark.skipif(not (SHARED / "real-pages").exists(), reason="../shared is absent"),
]
FUNDUS = SHARED / "real-pages" / "fundus"
FETCHED = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "language", "title_start", "published"),
    [
        ("ru_Kommersant_2025_05_14.html.gz", "ru", "Легкий троннинг", "2025-05-14"),
        ("ua_Pravda_2026_01_08.html.gz", "ru", "157 миллионов за бездействие", "2026-01-08"),
        ("ua_Pravda_2025_10_24.html.gz", "uk", "В Україні вперше встановлять", "2025-10-24"),
        ("ca_GlobalNews_2026_05_24.html.gz", "en", "Russia hits Kyiv", "2026-05-24"),
        ("uk_EveningStandard_2024_10_24.html.gz", "en", "Tony Blair", "2024-10-24"),
    ],
)
def test_real_article_pages_extract_title_language_and_date(
    name: str, language: str, title_start: str, published: str
) -> None:
    page = gzip.decompress((FUNDUS / name).read_bytes())
    article = extract_article(page, "https://example.org/article", fetched_at=FETCHED)
    assert article.title.startswith(title_start)
    assert article.language == language
    assert article.published_at.date().isoformat() == published
    assert len(article.text) > 800
    assert "\ufffd" not in article.text


def test_real_page_without_any_date_gets_the_fetch_time_and_a_flag() -> None:
    page = (SHARED / "real-pages" / "trafilatura" / "football.ua.podolski.html").read_bytes()
    article = extract_article(page, "https://football.ua/x", fetched_at=FETCHED)
    assert article.title == "Подольски завершил карьеру в сборной"
    assert article.published_at == FETCHED
    assert "date_missing" in article.flags
