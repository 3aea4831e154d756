"""The schema, as registered migrations: each runs once, in order, and is recorded.

Never edit a migration that has shipped; add a new one. ``open_db`` applies pending ones.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("peacewatch")


def _known() -> set[str]:
    empty = Database(memory=True)
    try:
        return {m.name for m in migrations.pending(empty)}
    finally:
        empty.close()


def unknown_migrations(db: Database) -> list[str]:
    """Migrations the database records that this version does not have: it was written by a
    newer peacewatch, whose schema this code may misread or break. Only reads."""
    known = _known()
    return [m.name for m in migrations.applied(db) if m.name not in known]


def pending_migrations(db: Database) -> list[str]:
    """Migrations this version has that the database has not had yet. Only reads."""
    return [m.name for m in migrations.pending(db)]


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


@migrations(name="0003_statements_alerts")
def create_statements_and_alerts(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE statements (
            id INTEGER PRIMARY KEY,
            speaker TEXT NOT NULL,
            speaker_as_written TEXT NOT NULL,
            text TEXT NOT NULL,
            language TEXT NOT NULL,
            kind TEXT NOT NULL,
            said_at TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            lead_report_id INTEGER,
            first_article_id INTEGER REFERENCES articles(id),
            first_outlet TEXT REFERENCES sources(id),
            first_url TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            outlets TEXT NOT NULL DEFAULT '[]',
            outlet_count INTEGER NOT NULL DEFAULT 1,
            report_count INTEGER NOT NULL DEFAULT 1,
            languages TEXT NOT NULL DEFAULT '[]',
            renderings TEXT NOT NULL DEFAULT '',
            about_peace_talks INTEGER NOT NULL,
            first_seen_via_recap INTEGER NOT NULL DEFAULT 0,
            topic_score REAL NOT NULL DEFAULT 0,
            topic_concepts TEXT NOT NULL DEFAULT '[]',
            topic_terms TEXT NOT NULL DEFAULT '[]',
            features TEXT NOT NULL DEFAULT '{}',
            created_run_id INTEGER REFERENCES runs(id),
            updated_at TEXT NOT NULL
        )
        """
    )
    # the diff's candidate search: one speaker, a window of time
    db.execute("CREATE INDEX statements_speaker_said ON statements(speaker, said_at)")
    db.execute("CREATE INDEX statements_said ON statements(said_at)")
    db.table("statements").enable_fts(
        ["speaker", "text", "renderings"], create_triggers=True, tokenize="unicode61"
    )
    db.execute("ALTER TABLE reports ADD COLUMN claim TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE reports ADD COLUMN embedding BLOB")
    db.execute(
        "ALTER TABLE reports ADD COLUMN statement_id INTEGER "
        "REFERENCES statements(id) ON DELETE SET NULL"
    )
    db.execute("ALTER TABLE reports ADD COLUMN match_score REAL")
    db.execute("ALTER TABLE reports ADD COLUMN match_reason TEXT")
    db.execute("CREATE INDEX reports_statement ON reports(statement_id)")
    # what the diff has still to decide: a small partial index, not a scan of every report
    db.execute("CREATE INDEX reports_undecided ON reports(article_id) WHERE statement_id IS NULL")
    db.execute(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('statement', 'health')),
            statement_id INTEGER REFERENCES statements(id),
            source_id TEXT REFERENCES sources(id),
            payload TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            message_id TEXT,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            run_id INTEGER REFERENCES runs(id),
            UNIQUE (statement_id, channel)
        )
        """
    )
    db.execute("CREATE INDEX alerts_due ON alerts(status, next_attempt_at)")
    db.execute("ALTER TABLE runs ADD COLUMN reports_decided INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE runs ADD COLUMN statements_new INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE runs ADD COLUMN alerts_queued INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE runs ADD COLUMN alerts_sent INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE runs ADD COLUMN alerts_failed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE run_sources ADD COLUMN statements_new INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """
        CREATE VIEW new_peace_statements AS
        SELECT s.id, s.said_at, s.speaker, s.text, s.language, s.first_outlet, s.first_url,
               s.outlet_count, s.report_count, s.first_seen_via_recap,
               (SELECT group_concat(a.channel || ':' || a.status, ' ')
                  FROM alerts a WHERE a.statement_id = s.id) AS alerts
        FROM statements s
        WHERE s.about_peace_talks = 1
        ORDER BY s.said_at DESC
        """
    )


@migrations(name="0004_source_health")
def create_source_health(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE source_health (
            source_id TEXT PRIMARY KEY REFERENCES sources(id),
            state TEXT NOT NULL CHECK (state IN ('ok', 'failing')),
            since TEXT NOT NULL,
            reason TEXT,
            transitions INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations(name="0005_article_versions")
def create_article_versions(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX article_versions_article ON article_versions(article_id, id)")


@migrations(name="0006_run_sources_refused_offsite")
def add_refused_offsite(db: Database) -> None:
    """Requests a source's crawl refused because they would have left its own hosts."""
    db.execute("ALTER TABLE run_sources ADD COLUMN refused_offsite INTEGER NOT NULL DEFAULT 0")


@migrations(name="0007_alert_recipients")
def create_alert_recipients(db: Database) -> None:
    """Email delivery per recipient: who has an alert, who refused it and how often, and how
    many sends of it ended without the server's answer (it may have been delivered)."""
    db.execute(
        """
        CREATE TABLE alert_recipients (
            alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sent', 'refused', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (alert_id, recipient)
        )
        """
    )
    db.execute("ALTER TABLE alerts ADD COLUMN sends_in_doubt INTEGER NOT NULL DEFAULT 0")


@migrations(name="0008_reports_said_on")
def add_report_said_on(db: Database) -> None:
    """When a report's words were said as its attribution dates them ("on Monday", "19 грудня"),
    with the words that date them; NULL where the text gives no date (DESIGN §2, said_at)."""
    db.execute("ALTER TABLE reports ADD COLUMN said_on TEXT")
    db.execute("ALTER TABLE reports ADD COLUMN said_evidence TEXT NOT NULL DEFAULT ''")


@migrations(name="0009_statements_background")
def add_statement_background(db: Database) -> None:
    """A background statement (DESIGN §2): first met only in recap sentences, or said well
    before its first report. Stored and shown, never alerted. Statements an older store first
    saw through a recap become background; alerts already sent stay as they are and are never
    sent again."""
    db.execute("ALTER TABLE statements ADD COLUMN background INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE statements SET background = 1 WHERE first_seen_via_recap = 1")


@migrations(name="0010_statements_occasion_index")
def index_statements_by_occasion(db: Database) -> None:
    """The diff's candidate search reads a statement's subject and background beside its
    speaker and time: one covering index, so the lookup never reads the table."""
    db.execute("DROP INDEX IF EXISTS statements_speaker_said")
    db.execute(
        "CREATE INDEX statements_speaker_said ON statements"
        "(speaker, said_at, about_peace_talks, background)"
    )


@migrations(name="0011_alert_updates", transactional=False)
def allow_update_alerts(db: Database) -> None:
    """Alerts of type ``update`` (DESIGN §2: a new peace-talk claim of an alerted statement):
    the table is rebuilt with the wider type check, and "one alert per statement and channel"
    becomes a unique index on new-statement alerts only. Foreign keys are off for the rebuild
    (dropping the old table must not cascade to ``alert_recipients``), then checked; a rerun
    after a crash between the rebuild and its record finds it done."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'alerts'").fetchone()[0]
    if "'update'" in sql:
        return
    new_sql = (
        sql.replace("CREATE TABLE alerts", "CREATE TABLE alerts_rebuilt", 1)
        .replace(
            "CHECK (type IN ('statement', 'health'))",
            "CHECK (type IN ('statement', 'health', 'update'))",
        )
        .replace(",\n            UNIQUE (statement_id, channel)\n        ", "\n        ")
    )
    if "'update'" not in new_sql or "UNIQUE (statement_id, channel)" in new_sql:
        raise RuntimeError("0011_alert_updates: the alerts table is not as migration 0003 made it")
    db.conn.execute("PRAGMA foreign_keys=OFF")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            db.conn.execute(new_sql)
            db.conn.execute("INSERT INTO alerts_rebuilt SELECT * FROM alerts")
            db.conn.execute("DROP VIEW IF EXISTS new_peace_statements")
            db.conn.execute("DROP TABLE alerts")
            db.conn.execute("ALTER TABLE alerts_rebuilt RENAME TO alerts")
            db.conn.execute("CREATE INDEX alerts_due ON alerts(status, next_attempt_at)")
            db.conn.execute(
                "CREATE UNIQUE INDEX alerts_once ON alerts(statement_id, channel) "
                "WHERE type = 'statement'"
            )
            db.conn.execute(
                """
                CREATE VIEW new_peace_statements AS
                SELECT s.id, s.said_at, s.speaker, s.text, s.language, s.first_outlet,
                       s.first_url, s.outlet_count, s.report_count, s.first_seen_via_recap,
                       (SELECT group_concat(a.channel || ':' || a.status, ' ')
                          FROM alerts a WHERE a.statement_id = s.id AND a.type = 'statement')
                          AS alerts
                FROM statements s
                WHERE s.about_peace_talks = 1
                ORDER BY s.said_at DESC
                """
            )
            broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"0011_alert_updates: foreign keys broken: {broken[:3]}")
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
    finally:
        db.conn.execute("PRAGMA foreign_keys=ON")


# later migrations register themselves on import, after the ones above
from storage import migrations_more  # noqa: E402, F401
