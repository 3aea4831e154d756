"""The offline archive is big and varied enough for the demo, the tests and the diff issue."""

from __future__ import annotations

from collections import defaultdict

from scheduler.config import SEEDS_DIR
from scheduler.demo.articles import ArchiveArticle
from scheduler.demo.outlets import OUTLETS
from tests.conftest import SHARED

SEED = "000_037014a95d8099d3.txt"


def test_archive_has_eight_outlets_in_three_languages(archive_articles: list[ArchiveArticle]):
    outlets = {a.outlet for a in archive_articles}
    assert len(outlets) >= 8
    assert {OUTLETS[o].language for o in outlets} == {"ru", "uk", "en"}


def test_archive_has_80_peace_and_80_other_articles_over_two_days(archive_articles):
    topics = defaultdict(int)
    for article in archive_articles:
        topics[article.topic] += 1
    assert topics["peace"] >= 80
    assert topics["other"] >= 80
    assert {a.day for a in archive_articles} == {1, 2}


def test_every_outlet_publishes_on_both_days(archive_articles):
    days = defaultdict(set)
    for article in archive_articles:
        days[article.outlet].add(article.day)
    assert all(d == {1, 2} for d in days.values()), days


def test_several_statements_are_carried_by_three_outlets_in_two_languages(archive_articles):
    carriers = defaultdict(set)
    for article in archive_articles:
        for statement in article.statements:
            if not statement.get("recap"):
                carriers[statement["story"]].add(article.outlet)
    wide = [
        story
        for story, outlets in carriers.items()
        if len(outlets) >= 3 and len({OUTLETS[o].language for o in outlets}) >= 2
    ]
    assert len(wide) >= 5, wide


def test_later_articles_recap_earlier_statements(archive_articles):
    first_day = {}
    for article in archive_articles:
        for statement in article.statements:
            if not statement.get("recap"):
                first_day.setdefault(statement["story"], article.day)
    recaps = [
        (article.outlet, statement["story"])
        for article in archive_articles
        if article.day == 2
        for statement in article.statements
        if statement.get("recap") and first_day.get(statement["story"]) == 1
    ]
    assert len(recaps) >= 10


def test_statement_labels_use_known_kinds(archive_articles):
    for article in archive_articles:
        for statement in article.statements:
            assert statement["kind"] in ("direct", "indirect"), (article.slug, statement)
            assert isinstance(statement.get("about_peace_talks"), bool), (article.slug, statement)


def test_the_users_seed_article_is_one_page_unchanged(archive_articles):
    seed_text = (SEEDS_DIR / SEED).read_text(encoding="utf-8")
    if SHARED.exists():
        assert seed_text == (SHARED / "seeds" / SEED).read_text(encoding="utf-8")
    seed_pages = [a for a in archive_articles if a.outlet == "unian-ru" and a.slug.endswith("seed")]
    assert len(seed_pages) == 1
    paragraphs = [p.strip() for p in seed_text.split("\n\n") if p.strip()]
    assert seed_pages[0].blocks == [" ".join(p.split("\n")) for p in paragraphs]
