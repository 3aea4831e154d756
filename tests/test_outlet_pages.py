"""One saved page per outlet with its expected extraction: a template change is a red test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extract import extract_article
from scheduler.config import DEFAULT_REGISTRY, load_sources
from storage.models import ExtractRules
from tests.conftest import FIXTURES

OUTLET_DIR = FIXTURES / "outlets"
PAGES = sorted(p.stem for p in OUTLET_DIR.glob("*.html"))
RULES = {s.id: s.extract for s in load_sources(DEFAULT_REGISTRY)}
FETCHED = datetime(2026, 3, 1, tzinfo=UTC)


def _extract(outlet: str):
    expected = json.loads((OUTLET_DIR / f"{outlet}.json").read_text(encoding="utf-8"))
    page = (OUTLET_DIR / f"{outlet}.html").read_bytes()
    article = extract_article(
        page,
        expected["url"],
        rules=RULES.get(outlet, ExtractRules()),
        fetched_at=FETCHED,
        header_encoding=expected["charset_header"],
    )
    return article, expected


def test_every_archive_outlet_has_a_saved_page() -> None:
    assert len(PAGES) >= 8


@pytest.mark.parametrize("outlet", PAGES)
def test_title_author_language_and_published_time(outlet: str) -> None:
    article, expected = _extract(outlet)
    assert article.title == expected["title"]
    assert article.language == expected["language"]
    assert article.published_at.isoformat() == expected["published_at"]
    if expected["author"]:
        assert article.author == expected["author"]


@pytest.mark.parametrize("outlet", PAGES)
def test_text_is_exactly_the_article_paragraphs(outlet: str) -> None:
    article, expected = _extract(outlet)
    assert article.text.split("\n\n") == expected["paragraphs"]


@pytest.mark.parametrize("outlet", PAGES)
def test_no_navigation_teasers_or_related_headlines_in_the_text(outlet: str) -> None:
    article, expected = _extract(outlet)
    for line in expected["absent"]:
        assert line not in article.text


def test_seed_page_text_is_the_users_seed_without_its_boilerplate() -> None:
    article, _ = _extract("unian-ru")
    seed = (Path(__file__).resolve().parents[1] / "seeds" / "000_037014a95d8099d3.txt").read_text(
        encoding="utf-8"
    )
    kept = [p for p in article.text.split("\n\n")]
    assert "Видео дня" not in kept
    assert "Вас также могут заинтересовать новости:" not in kept
    assert not any(p.endswith("важные новости") for p in kept)
    assert kept[0] in seed and kept[-1] in seed
    assert any("Я бы поощрял каждую инициативу" in p for p in kept)
