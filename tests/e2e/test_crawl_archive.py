"""End-to-end: the real crawl subprocess against the archive served on loopback."""

from __future__ import annotations

import pytest

from scheduler.cycle import run_cycle
from storage.db import open_db

pytestmark = pytest.mark.e2e


def _article_counts(config) -> dict[str, int]:
    db = open_db(config.storage_path)
    try:
        return dict(db.execute("SELECT source_id, COUNT(*) FROM articles GROUP BY source_id"))
    finally:
        db.close()


def test_first_cycle_stores_every_served_article_of_every_outlet(archive_server, archive_config):
    site = archive_server.site
    report = run_cycle(archive_config)
    assert report.status == "ok", report.error
    expected = {o.id: len(site.visible(o.id)) for o in site.outlets}
    assert _article_counts(archive_config) == expected
    assert report.articles_new == sum(expected.values())


def test_second_cycle_over_an_unchanged_archive_costs_one_304_per_feed(
    archive_server, archive_config
):
    site = archive_server.site
    run_cycle(archive_config)
    site.request_log.clear()
    report = run_cycle(archive_config)
    feeds = {url for o in site.outlets for url, _ in site.feed_urls(o.id)}
    paths = [(path, status) for _, path, status in site.request_log if path != "/robots.txt"]
    assert len(paths) == len(feeds)
    assert all(status == 304 for _, status in paths)
    assert report.articles_new == 0
    assert all(s.not_modified == len(site.feed_urls(s.source_id)) for s in report.stats)


def test_day_two_fetches_only_the_new_articles(archive_server, archive_config):
    site = archive_server.site
    run_cycle(archive_config)
    day_one = {site.url_of(a) for a in site.articles if a.day == 1}
    site.day = 2
    site.request_log.clear()
    report = run_cycle(archive_config)
    fetched = {path for _, path, status in site.request_log if status == 200}
    assert not any(url.endswith(path) for url in day_one for path in fetched)
    assert report.articles_new == sum(1 for a in site.articles if a.day == 2)


def test_stored_article_has_utc_time_language_and_no_boilerplate(archive_server, archive_config):
    run_cycle(archive_config)
    db = open_db(archive_config.storage_path)
    rows = list(db.query("SELECT * FROM articles"))
    db.close()
    assert rows
    for row in rows:
        assert row["published_at"].endswith("+00:00")
        assert row["language"] in ("ru", "uk", "en")
        for boilerplate in ("Видео дня", "Читайте также:", "Читайте також:", "Read also:"):
            assert boilerplate not in row["text"], (row["url"], boilerplate)
        assert "\ufffd" not in row["text"]


def test_the_crawl_stores_each_articles_reports_with_it(archive_server, archive_config):
    report = run_cycle(archive_config)
    assert sum(s.reports for s in report.stats) > 100
    db = open_db(archive_config.storage_path)
    try:
        rutte = list(
            db.query(
                "SELECT r.kind, r.recap, r.about_peace_talks FROM reports r "
                "JOIN articles a ON a.id = r.article_id "
                "WHERE a.source_id = 'unian-ru' AND r.speaker = 'Mark Rutte' AND r.kind = 'direct'"
            )
        )
        orphans = db.execute(
            "SELECT COUNT(*) FROM reports WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
        speakers = db["speakers"].count
    finally:
        db.close()
    assert any(row["about_peace_talks"] and not row["recap"] for row in rutte)
    assert orphans == 0
    assert speakers >= 80
