import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from storage.db import StoreError, open_db, write_transaction
from storage.migrations import migrations
from storage.models import Article, Feed, Report, Source, SourceRunStats
from storage.queries import (
    MAX_PAGE_ATTEMPTS,
    finish_run,
    get_feed_state,
    is_known_url,
    record_page_failure,
    save_article,
    save_feed_state,
    start_run,
    upsert_sources,
)

SOURCE = Source(id="unian-ru", name="UNIAN", language="ru", feeds=(Feed("https://x.org/rss"),))
ARTICLE = Article(
    url="https://x.org/a/1",
    fetched_url="https://x.org/a/1?utm_source=rss",
    source_id="unian-ru",
    title="Рютте о мирных инициативах",
    published_at="2026-02-11T16:40:00+00:00",
    published_from="json-ld",
    language="ru",
    text="Генсек НАТО Марк Рютте заявил, что поощрял бы каждую инициативу.",
    content_hash="abc",
    fetched_at="2026-02-11T17:00:00+00:00",
)


@pytest.fixture
def store(db):
    upsert_sources(db, [SOURCE])
    return db


def test_database_is_in_wal_mode_with_foreign_keys(db) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_are_recorded_and_rerunning_them_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    first = open_db(path)
    tables = sorted(first.table_names())
    applied = [m.name for m in migrations.applied(first)]
    first.close()
    second = open_db(path)
    assert sorted(second.table_names()) == tables
    assert [m.name for m in migrations.applied(second)] == applied
    assert migrations.pending(second) == []
    assert {"sources", "articles", "articles_fts", "runs", "run_sources", "feed_state"} <= set(
        tables
    )


def test_a_reports_said_on_and_its_evidence_are_stored(store) -> None:
    report = Report(
        speaker="Mark Rutte",
        speaker_as_written="Марк Рютте",
        kind="indirect",
        text="поощрял бы каждую инициативу",
        recap=False,
        about_peace_talks=True,
        topic_score=1.5,
        topic_concepts=[],
        topic_terms=[],
        start=30,
        end=58,
        said_on="2026-02-10",
        said_evidence="вчера",
    )
    save_article(store, ARTICLE, [report])
    row = store.execute("SELECT said_on, said_evidence FROM reports").fetchone()
    assert tuple(row) == ("2026-02-10", "вчера")


def test_articles_are_unique_by_canonical_url(store) -> None:
    assert save_article(store, ARTICLE) is not None
    assert save_article(store, replace(ARTICLE, title="other")) is None
    assert store["articles"].count == 1


def test_article_title_and_text_are_full_text_searchable(store) -> None:
    save_article(store, ARTICLE)
    rows = list(store["articles"].search("Рютте"))
    assert [r["url"] for r in rows] == [ARTICLE.url]


def test_article_of_an_unknown_source_is_refused_by_the_foreign_key(db) -> None:
    with pytest.raises((StoreError, sqlite3.IntegrityError)):
        save_article(db, ARTICLE)
    assert db["articles"].count == 0


def test_known_urls_are_stored_articles_or_pages_that_failed_too_often(store) -> None:
    assert not is_known_url(store, ARTICLE.url)
    save_article(store, ARTICLE)
    assert is_known_url(store, ARTICLE.url)
    broken = "https://x.org/broken"
    for _ in range(MAX_PAGE_ATTEMPTS - 1):
        record_page_failure(store, "unian-ru", broken, "HTTP 500")
    assert not is_known_url(store, broken)
    record_page_failure(store, "unian-ru", broken, "HTTP 500")
    assert is_known_url(store, broken)


def test_feed_validators_survive_a_304_that_sends_none(store) -> None:
    save_feed_state(
        store,
        "unian-ru",
        "https://x.org/rss",
        status=200,
        etag='"v1"',
        last_modified="Wed, 11 Feb 2026 16:40:00 GMT",
    )
    save_feed_state(store, "unian-ru", "https://x.org/rss", status=304)
    state = get_feed_state(store, "unian-ru", "https://x.org/rss")
    assert state is not None
    assert (state.etag, state.last_modified) == ('"v1"', "Wed, 11 Feb 2026 16:40:00 GMT")


def test_run_status_is_failed_only_when_every_source_failed(store) -> None:
    run = start_run(store, "run")
    ok = SourceRunStats("unian-ru", articles_new=3)
    assert finish_run(store, run, [ok], duration_s=1.0) == "ok"
    run = start_run(store, "run")
    failed = SourceRunStats("unian-ru", status="failed", errors=1, error_text="refused")
    assert finish_run(store, run, [failed], duration_s=1.0) == "failed"
    row = store["runs"].get(run)
    assert (row["sources"], row["sources_failed"]) == (1, 1)
    assert store["run_sources"].count == 2


def test_a_failed_write_rolls_back_the_whole_transaction(store) -> None:
    with pytest.raises(RuntimeError), write_transaction(store):
        store.execute("INSERT INTO runs (started_at, trigger, status) VALUES ('x', 'run', 'x')")
        raise RuntimeError("crash mid-transaction")
    assert store["runs"].count == 0


def test_a_database_locked_longer_than_the_timeout_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = open_db(path)
    holder.execute("BEGIN IMMEDIATE")
    waiter = open_db(path, timeout=0.2)
    with pytest.raises(StoreError, match="busy"), write_transaction(waiter):
        pass
    holder.execute("ROLLBACK")


def test_backup_is_a_consistent_copy_while_a_writer_holds_uncheckpointed_commits(tmp_path) -> None:
    from storage.db import StoreError, backup_database, open_db

    live = open_db(tmp_path / "live.db")
    live.execute("CREATE TABLE t (x)")
    live.execute("INSERT INTO t VALUES (1), (2), (3)")
    live.conn.commit()  # in the -wal file, not yet checkpointed into live.db
    pages = backup_database(tmp_path / "live.db", tmp_path / "copy.db")
    live.close()
    copy = open_db(tmp_path / "copy.db", migrate=False)
    assert pages > 0
    assert copy.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 3
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    with pytest.raises(StoreError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "x.db")


def test_the_alerts_rebuild_keeps_every_alert_and_its_recipients(tmp_path: Path) -> None:
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    old.execute("PRAGMA foreign_keys=ON")
    migrations.apply(old, stop_before="0011_alert_updates")
    old.execute("INSERT INTO sources (id, name, language, updated_at) VALUES ('s', 'S', 'ru', 't')")
    old.execute(
        "INSERT INTO alerts (key, channel, type, source_id, status, created_at, "
        "next_attempt_at) VALUES ('health-s-email', 'email', 'health', 's', 'sent', 't', 't')"
    )
    old.execute(
        "INSERT INTO alert_recipients (alert_id, recipient, status, updated_at) "
        "VALUES (1, 'a@example.org', 'sent', 't')"
    )
    old.conn.commit()
    old.close()
    db = open_db(path)
    assert db.execute("SELECT key, status FROM alerts").fetchall() == [("health-s-email", "sent")]
    assert db.execute("SELECT alert_id, recipient FROM alert_recipients").fetchall() == [
        (1, "a@example.org")
    ]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_an_older_stores_recap_first_statements_become_background(tmp_path: Path) -> None:
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0009_statements_background")
    for recap in (0, 1):
        old.execute(
            "INSERT INTO statements (speaker, speaker_as_written, text, language, kind, said_at, "
            "first_seen_at, first_url, about_peace_talks, first_seen_via_recap, updated_at) "
            "VALUES ('Mark Rutte', 'Рютте', 't', 'ru', 'direct', 's', 's', 'u', 1, ?, 's')",
            [recap],
        )
    old.conn.commit()
    old.close()
    db = open_db(path)
    rows = db.execute("SELECT first_seen_via_recap, background FROM statements").fetchall()
    assert sorted(rows) == [(0, 0), (1, 1)]
    db.close()
