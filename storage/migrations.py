"""The schema, as registered migrations: each runs once, in order, and is recorded.

Never edit a migration that has shipped; add a new one. ``open_db`` applies pending ones.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("peacewatch")


@migrations(name="0001_sources_articles_runs")
def create_core_tables(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            language TEXT NOT NULL,
            country TEXT,
            homepage TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            settings TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE feed_state (
            source_id TEXT NOT NULL REFERENCES sources(id),
            url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_status INTEGER,
            last_fetched_at TEXT,
            last_error TEXT,
            deferred_until TEXT,
            PRIMARY KEY (source_id, url)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            fetched_url TEXT NOT NULL,
            source_id TEXT NOT NULL REFERENCES sources(id),
            title TEXT NOT NULL,
            author TEXT,
            published_at TEXT NOT NULL,
            published_from TEXT NOT NULL,
            updated_at TEXT,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            encoding TEXT,
            flags TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX articles_source_published ON articles(source_id, published_at)")
    db.execute("CREATE INDEX articles_content_hash ON articles(content_hash)")
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")
    db.execute(
        """
        CREATE TABLE page_failures (
            url TEXT PRIMARY KEY,
            source_id TEXT NOT NULL REFERENCES sources(id),
            attempts INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            last_attempt_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            trigger TEXT NOT NULL,
            status TEXT NOT NULL,
            sources INTEGER NOT NULL DEFAULT 0,
            sources_failed INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            duration_s REAL,
            error TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE run_sources (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source_id TEXT NOT NULL REFERENCES sources(id),
            status TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            feeds_ok INTEGER NOT NULL DEFAULT 0,
            feeds_failed INTEGER NOT NULL DEFAULT 0,
            items_seen INTEGER NOT NULL DEFAULT 0,
            skipped_known INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            pages_failed INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            error_text TEXT,
            deferred_until TEXT,
            duration_s REAL,
            PRIMARY KEY (run_id, source_id)
        )
        """
    )
    db.execute("CREATE INDEX run_sources_source ON run_sources(source_id, run_id)")
    db.execute(
        """
        CREATE VIEW articles_per_source AS
        SELECT s.id AS source, s.language, COUNT(a.id) AS articles,
               MIN(a.published_at) AS oldest, MAX(a.published_at) AS newest
        FROM sources s LEFT JOIN articles a ON a.source_id = s.id
        GROUP BY s.id
        """
    )


@migrations(name="0002_speakers_reports")
def create_speakers_and_reports(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE speakers (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            country TEXT,
            aliases TEXT NOT NULL DEFAULT '{}',
            roles TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            speaker TEXT NOT NULL,
            speaker_as_written TEXT NOT NULL,
            speaker_resolution TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('direct', 'indirect')),
            text TEXT NOT NULL,
            recap INTEGER NOT NULL,
            about_peace_talks INTEGER NOT NULL,
            topic_score REAL NOT NULL,
            topic_concepts TEXT NOT NULL DEFAULT '[]',
            topic_terms TEXT NOT NULL DEFAULT '[]',
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            UNIQUE (article_id, position)
        )
        """
    )
    db.execute("CREATE INDEX reports_speaker ON reports(speaker, article_id)")
    db.execute("ALTER TABLE run_sources ADD COLUMN reports INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX reports_peace ON reports(about_peace_talks, recap)")
    db.execute(
        """
        CREATE VIEW peace_reports AS
        SELECT r.id, r.speaker, r.kind, r.recap, r.topic_score, r.text, a.source_id AS outlet,
               a.url, a.published_at, a.language
        FROM reports r JOIN articles a ON a.id = r.article_id
        WHERE r.about_peace_talks = 1
        """
    )
