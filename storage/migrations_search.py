"""Migrations from 0012 on: registered on the same list as ``storage.migrations``, in order.

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
