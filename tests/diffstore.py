"""A store the diff can be tried on: four outlets, and articles analysed as a crawl would
(fixtures ``analyzer``, ``encoder`` and ``store``, shared through ``conftest``)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from crawler.analysis.analyzer import Analyzer
from crawler.analysis.encoder import SentenceEncoder
from crawler.reports import to_reports
from scheduler.config import load_config, read_analysis_data
from storage.models import Article, Source
from storage.queries import save_article, upsert_sources

SOURCES = [
    Source("outlet-ru", "Outlet RU", "ru", ()),
    Source("outlet-uk", "Outlet UK", "uk", ()),
    Source("outlet-en", "Outlet EN", "en", ()),
    Source("other-ru", "Other RU", "ru", ()),
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    speakers, topics = read_analysis_data(load_config().analysis)
    return Analyzer.from_data(speakers, topics)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


@pytest.fixture
def store(db, analyzer: Analyzer, encoder: SentenceEncoder):
    upsert_sources(db, SOURCES)

    def save(source: str, published: str, text: str, title: str = "") -> int:
        language = next(s.language for s in SOURCES if s.id == source)
        findings = analyzer.analyze(
            text, language=language, published=date.fromisoformat(published[:10]), title=title
        )
        assert findings, f"no statement found in {text!r}"
        reports = to_reports(findings, encoder)
        digest = hashlib.sha1(f"{source}{published}{text}".encode()).hexdigest()[:12]
        article_id = save_article(
            db,
            Article(
                url=f"https://{source}.example/{digest}",
                fetched_url=f"https://{source}.example/{digest}",
                source_id=source,
                title=title or text[:60],
                published_at=published,
                published_from="test",
                language=language,
                text=text,
                content_hash=digest,
                fetched_at=published,
            ),
            reports,
        )
        assert article_id is not None
        return article_id

    return save
