"""Migrations from 0012 on (search, remote crawls), registered on the same list as
``storage.migrations``, in order.

Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.lemmas import lemma_text
from storage.migrations import migrations


@migrations(name="0012_statement_lemmas")
def index_statement_lemmas(db: Database) -> None:
    """Search in any word form (issue 14): each statement keeps the dictionary forms of its
    words and of its speaker as written, from every report, and the full-text index covers
    them. Existing statements are filled in from their reports."""
    db.execute("ALTER TABLE statements ADD COLUMN lemmas TEXT NOT NULL DEFAULT ''")
    rows = db.execute(
        "SELECT s.id, s.text, s.speaker_as_written, "
        "group_concat(r.text || ' ' || r.speaker_as_written, ' ') "
        "FROM statements s LEFT JOIN reports r ON r.statement_id = s.id GROUP BY s.id"
    ).fetchall()
    for statement_id, text, as_written, reports in rows:
        db.execute(
            "UPDATE statements SET lemmas = ? WHERE id = ?",
            [lemma_text(text, as_written, reports or ""), statement_id],
        )
    db.table("statements").disable_fts()
    db.table("statements").enable_fts(
        ["speaker", "text", "renderings", "lemmas"], create_triggers=True, tokenize="unicode61"
    )


@migrations(name="0013_remote_crawl_jobs")
def remote_crawl_jobs(db: Database) -> None:
    """The scrapyd backend (issue 15, DESIGN §11): every job scheduled on a server and how far
    its export was ingested, each server as last seen, and which job last counted a page's
    failure, so that reading the same export again counts nothing twice."""
    db.execute(
        """
        CREATE TABLE crawl_jobs (
            job_id TEXT PRIMARY KEY,
            server TEXT NOT NULL,
            run_id INTEGER,
            sources TEXT NOT NULL,
            egg_version TEXT NOT NULL,
            state TEXT NOT NULL,
            scheduled_at TEXT NOT NULL,
            finished_at TEXT,
            ingested_at TEXT,
            records INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX crawl_jobs_open ON crawl_jobs(state) WHERE state != 'ingested'")
    db.execute(
        """
        CREATE TABLE crawl_servers (
            url TEXT PRIMARY KEY,
            checked_at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            egg_version TEXT,
            last_ok_at TEXT,
            last_error TEXT,
            jobs INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("ALTER TABLE page_failures ADD COLUMN last_job TEXT")
