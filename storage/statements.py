"""Reading statements back: the list behind ``peacewatch statements`` and one for ``show``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from storage.claims import statement_claims
from storage.lemmas import lemma_query, names_match


@dataclass(frozen=True)
class StatementFilter:
    new: bool = False
    speaker: str | None = None
    since: str | None = None
    search: str | None = None
    peace_only: bool = False
    limit: int = 50
    #: said on this day (YYYY-MM-DD, UTC)
    day: str | None = None
    #: leave out background statements (told as old news: never alerted)
    fresh_only: bool = False


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: its %, _ and \\ match themselves."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def speakers_named(db: Database, name: str) -> list[str]:
    """The gazetteer's speakers whose name or an alias has every word of ``name``, in any case
    form or language it lists: "Песков", "Пєсков", "Peskov", "Пескова" name the same person."""
    found = []
    for canonical, aliases in db.execute("SELECT name, aliases FROM speakers").fetchall():
        names = [canonical, *(a for forms in json.loads(aliases).values() for a in forms)]
        if any(names_match(name, written) for written in names):
            found.append(canonical)
    return found


def _speaker_condition(db: Database, name: str) -> tuple[str, list[Any]]:
    """A speaker filter: the gazetteer's people of that name, else part of a name as written."""
    named = speakers_named(db, name)
    if named:
        return f"s.speaker IN ({','.join('?' * len(named))})", named
    # part of a name, taken literally: % and _ in it are not LIKE wildcards
    pattern = f"%{like_literal(name)}%"
    return "(s.speaker LIKE ? ESCAPE '\\' OR s.speaker_as_written LIKE ? ESCAPE '\\')", [
        pattern,
        pattern,
    ]


def _search_condition(db: Database, text: str) -> tuple[str, list[Any]] | None:
    """Every word of ``text`` in some form of the statement's words, or naming its speaker."""
    parts: list[str] = []
    params: list[Any] = []
    for word in re.findall(r"\w+", text):
        part = "s.id IN (SELECT rowid FROM statements_fts WHERE statements_fts MATCH ?)"
        params.append(lemma_query(word))
        named = speakers_named(db, word)
        if named:
            part = f"({part} OR s.speaker IN ({','.join('?' * len(named))}))"
            params += named
        parts.append(part)
    return (" AND ".join(parts), params) if parts else None


def _alerted(statement: dict[str, Any]) -> bool | None:
    states = (statement.pop("alert_states") or "").split(",")
    if not statement["about_peace_talks"]:
        return None
    return "sent" in states


def list_statements(db: Database, flt: StatementFilter) -> list[dict[str, Any]]:
    """Newest first. ``new``: peace-talk statements not alerted yet, or alerted by the last run."""
    where: list[str] = []
    params: list[Any] = []
    if flt.new:
        where.append(
            "s.about_peace_talks = 1 AND EXISTS (SELECT 1 FROM alerts a WHERE "
            "a.statement_id = s.id AND (a.status IN ('pending', 'sending') OR a.sent_at >= "
            "(SELECT started_at FROM runs ORDER BY id DESC LIMIT 1)))"
        )
    if flt.peace_only:
        where.append("s.about_peace_talks = 1")
    if flt.speaker:
        condition, values = _speaker_condition(db, flt.speaker)
        where.append(condition)
        params += values
    if flt.since:
        where.append("s.said_at >= ?")
        params.append(flt.since)
    if flt.day:
        where.append("s.said_at >= ? AND s.said_at < ?")
        params += [flt.day, flt.day + "\uffff"]
    if flt.fresh_only:
        where.append("s.background = 0")
    if flt.search:
        search = _search_condition(db, flt.search)
        if search is None:
            return []
        where.append(search[0])
        params += search[1]
    sql = f"""
        SELECT s.id, s.speaker, s.speaker_as_written, s.text, s.language, s.kind, s.said_at,
               s.first_seen_at, s.updated_at, s.first_outlet,
               COALESCE(NULLIF(fa.fetched_url, ''), s.first_url) AS first_url, s.outlets,
               s.report_count, s.outlet_count, s.languages, s.about_peace_talks,
               s.background, s.first_seen_via_recap, s.topic_score, s.topic_terms,
               (SELECT group_concat(status) FROM alerts a WHERE a.statement_id = s.id)
                   AS alert_states
        FROM statements s LEFT JOIN articles fa ON fa.id = s.first_article_id
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY s.said_at DESC, s.id DESC
        LIMIT ?
    """
    rows = _rows(db, sql, [*params, flt.limit])
    for row in rows:
        row["alerted"] = _alerted(row)
        row["about_peace_talks"] = bool(row["about_peace_talks"])
        row["first_seen_via_recap"] = bool(row["first_seen_via_recap"])
        row["background"] = bool(row["background"])
        for key in ("outlets", "languages", "topic_terms"):
            row[key] = json.loads(row[key])
    return rows


def get_statement(db: Database, statement_id: int) -> dict[str, Any] | None:
    """One statement with every report of it and why each report joined."""
    found = _rows(
        db,
        """
        SELECT s.*, (SELECT group_concat(status) FROM alerts a WHERE a.statement_id = s.id)
                   AS alert_states,
               (SELECT NULLIF(fetched_url, '') FROM articles WHERE id = s.first_article_id)
                   AS first_fetched_url
        FROM statements s WHERE s.id = ?
        """,
        [statement_id],
    )
    if not found:
        return None
    statement = found[0]
    # links as fetched (http stays http); the canonical URL is only the deduplication key
    statement["first_url"] = statement.pop("first_fetched_url") or statement["first_url"]
    statement["alerted"] = _alerted(statement)
    for key in ("outlets", "languages", "topic_terms", "topic_concepts", "features"):
        statement[key] = json.loads(statement[key])
    statement["about_peace_talks"] = bool(statement["about_peace_talks"])
    statement["first_seen_via_recap"] = bool(statement["first_seen_via_recap"])
    statement["background"] = bool(statement["background"])
    statement.pop("renderings", None)
    statement.pop("lemmas", None)  # the search index's words, not the statement's
    statement["claims"] = statement_claims(db, statement_id)
    statement["reports"] = _rows(
        db,
        """
        SELECT r.id, a.source_id AS outlet, COALESCE(NULLIF(a.fetched_url, ''), a.url) AS url,
               a.language, a.published_at AS published,
               r.kind, r.recap, r.speaker_as_written, r.text, r.about_peace_talks,
               r.topic_score, r.match_score, r.match_reason
        FROM reports r JOIN articles a ON a.id = r.article_id
        WHERE r.statement_id = ?
        ORDER BY a.published_at, a.url, r.position
        """,
        [statement_id],
    )
    for report in statement["reports"]:
        report["recap"] = bool(report["recap"])
        report["about_peace_talks"] = bool(report["about_peace_talks"])
        report["why"] = json.loads(report.pop("match_reason") or "{}")
    statement["alerts"] = _rows(
        db,
        "SELECT channel, type, status, attempts, last_error, message_id, created_at, sent_at "
        "FROM alerts WHERE statement_id = ? ORDER BY channel, id",
        [statement_id],
    )
    return statement


def peace_statements_per_day(
    db: Database, since: str, speaker: str | None = None
) -> list[dict[str, Any]]:
    """Peace-talk statements per day said and speaker, background left out (the chart of the
    web view)."""
    where = "about_peace_talks = 1 AND background = 0 AND said_at >= ?"
    params: list[Any] = [since]
    if speaker:
        where += " AND speaker = ?"
        params.append(speaker)
    return _rows(
        db,
        f"SELECT substr(said_at, 1, 10) AS day, speaker, COUNT(*) AS statements "
        f"FROM statements WHERE {where} GROUP BY day, speaker ORDER BY day, speaker",
        params,
    )
