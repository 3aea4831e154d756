"""A statement's claims (DESIGN §2): the propositions its speaker made on that occasion.

The claims are the sentences of the first article that carried the statement (one speaker's
sentences on one occasion in one article render different points), and any report of another
article that joined the statement as the same occasion without matching a rendering already
there; a report that matched a rendering is one more rendering of a claim. Fresh claims come
first, then in the order they were published, each with the outlet and link that carried it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

#: claims listed at most per statement (an interview can run to dozens of sentences)
MAX_CLAIMS = 12


def statement_claims(
    db: Database, statement_id: int, *, article_id: int | None = None
) -> list[dict[str, Any]]:
    """The statement's claims; with ``article_id``, every point that article carried (what an
    update adds)."""
    if article_id is not None:
        return _article_points(db, statement_id, article_id)
    cursor = db.execute(
        """
        SELECT r.text, r.kind, r.recap, a.language, a.source_id AS outlet,
               COALESCE(NULLIF(a.fetched_url, ''), a.url) AS url, a.published_at,
               r.match_reason, r.article_id = s.first_article_id AS in_first_article
        FROM reports r JOIN articles a ON a.id = r.article_id
        JOIN statements s ON s.id = r.statement_id
        WHERE r.statement_id = ? AND r.about_peace_talks = s.about_peace_talks
        ORDER BY r.recap, a.published_at, a.url, r.position
        """,
        [statement_id],
    )
    names = [d[0] for d in cursor.description]
    claims: list[dict[str, Any]] = []
    for row in cursor.fetchall():
        report = dict(zip(names, row, strict=True))
        why = json.loads(report.pop("match_reason") or "{}")
        if "score" in why and not report.pop("in_first_article"):
            continue  # a rendering of a claim already listed
        report.pop("in_first_article", None)
        report["recap"] = bool(report["recap"])
        claims.append(report)
        if len(claims) >= MAX_CLAIMS:
            break
    return claims


def _article_points(db: Database, statement_id: int, article_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        """
        SELECT r.text, r.kind, r.recap, a.language, a.source_id AS outlet,
               COALESCE(NULLIF(a.fetched_url, ''), a.url) AS url
        FROM reports r JOIN articles a ON a.id = r.article_id
        JOIN statements s ON s.id = r.statement_id
        WHERE r.statement_id = ? AND r.article_id = ? AND r.recap = 0
          AND r.about_peace_talks = s.about_peace_talks
        ORDER BY r.position
        LIMIT ?
        """,
        [statement_id, article_id, MAX_CLAIMS],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
